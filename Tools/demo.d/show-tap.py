#!/usr/bin/env python3
"""Prints a validator's JSON tap line the way the passenger display would show it.

Usage: show-tap.py BUS < line.json
"""
import json
import sys


def hryvnias(kopecks):
    if kopecks is None:
        return "—"
    return f"{kopecks // 100},{kopecks % 100:02d} грн"


tap = json.loads(sys.stdin.read())
bus = sys.argv[1]
mark = "✓" if tap["decision"] in ("accept", "repeat") else "✗"
card, decision, reason = tap["card"], tap["decision"], tap["reason"]
fare, apdus, latency = hryvnias(tap["fare"]), tap["apdus"], tap["latencyMs"]
details = []
if tap.get("ridesLeft") is not None:
    details.append(f"поїздок лишилось / rides left {tap['ridesLeft']}")
if tap.get("balance") is not None:
    details.append(f"баланс / balance {hryvnias(tap['balance'])}")
print(f"  {mark} автобус/bus {bus}  картка/card {card}  {decision:8} ({reason})  тариф/fare {fare}  [{apdus} APDU, {latency} ms]")
print(f"      {tap['message']['uk']}")
print(f"      {tap['message']['en']}" + ("   · " + "; ".join(details) if details else ""))
