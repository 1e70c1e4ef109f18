#!/usr/bin/env python3
"""Reads the accounting service's GET /v1/devices answer.

  devices.py caught-up JSON DEVICE=HEAD…   exit 0 when the service holds each device's head
  devices.py show JSON                      print one line per device
"""
import json
import sys

command, answer = sys.argv[1], json.loads(sys.argv[2])["devices"]
if command == "caught-up":
    held = {d["device"]: d.get("heldSequence", 0) for d in answer}
    wanted = dict(arg.split("=") for arg in sys.argv[3:])
    sys.exit(0 if all(held.get(int(device)) == int(head) for device, head in wanted.items()) else 1)
for device in answer:
    print(f"  пристрій/device {device['device']} ({device['label']}): записів у сервісі / entries held "
          f"{device.get('heldSequence')}, квитанція до / receipt up to {device.get('receiptSequence')}")
