#!/usr/bin/env python3
"""The demo's privacy check (issue 13): no name or document number of a registered person is in
the accounting store, the ledgers or the reports.

    privacy.py --people FILE [--control FILE] PATH...

FILE lists the strings to look for, one a line (full names and document numbers). Each full name
is also looked for word by word (a surname on its own is a leak too). Every PATH (a file, or a
folder searched through) is read as bytes and searched for the UTF-8 of each string. Exit status
1 if any string is found; 2 if the control file (the registry) does not contain the names, since
then the search itself is not shown to work. Prints what was searched and, for a leak, where.
"""
import argparse
import os
import sys


def needles(lines):
    found = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        found.append(text)
        words = text.split()
        if len(words) > 1:
            found.extend(word for word in words if len(word) >= 4)
    # Each string once, longest first, so a report names the whole string before its words.
    return sorted(set(found), key=lambda s: (-len(s), s))


def files_under(paths):
    for path in paths:
        if os.path.isdir(path):
            for folder, _, names in os.walk(path):
                for name in sorted(names):
                    yield os.path.join(folder, name)
        elif os.path.exists(path):
            yield path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", required=True)
    parser.add_argument("--control")
    parser.add_argument("paths", nargs="+")
    arguments = parser.parse_args()
    with open(arguments.people, encoding="utf-8") as handle:
        lines = handle.readlines()
    strings = needles(lines)
    names = [line.strip() for line in lines if len(line.split()) > 1]

    if arguments.control:
        with open(arguments.control, "rb") as handle:
            control = handle.read()
        wal = arguments.control + "-wal"
        if os.path.exists(wal):
            with open(wal, "rb") as handle:
                control += handle.read()
        missing = [name for name in names if name.encode("utf-8") not in control]
        if not names or missing:
            print(f"контроль НЕ вдався / control FAILED: the registry does not hold {len(missing)} of {len(names)} names; the search proves nothing")
            return 2
        print(f"контроль / control: the registry holds all {len(names)} names (the search finds what is there)")

    files = list(files_under(arguments.paths))
    leaks = []
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        for text in strings:
            if text.encode("utf-8") in data:
                leaks.append((path, text))
    if leaks:
        for path, text in leaks:
            print(f"ВИТІК / LEAK: {os.path.basename(path)} holds a registered person's {'name' if not any(c.isdigit() for c in text) else 'document number'}")
        return 1
    print(f"жодного з {len(strings)} рядків (імена, документи) у {len(files)} файлах / none of {len(strings)} strings (names, documents) in {len(files)} files: accounting store, ledgers, report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
