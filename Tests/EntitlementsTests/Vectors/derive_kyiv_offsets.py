#!/usr/bin/env python3
"""Derives kyiv-offsets.json: Europe/Kyiv's UTC offset and local time at chosen instants, from
Python's zoneinfo (the system tz database), independently of the Swift `TimeZoneRule`.

The instants are nine probes around every offset change from 2020 to 2037 (a day before, an hour
and a second either side of the change, the change itself, a day after), found by scanning the
zone database, plus the instants listed in kyiv-sampled-instants.txt: 200 drawn uniformly from
2020-2037 when the vectors were first made (that draw's seed was not kept, so the instants are
kept as data instead).

Regenerate (the test `kyivVectorsAreReproducedByTheirScript` checks the file matches byte for byte):
    python3 derive_kyiv_offsets.py > kyiv-offsets.json
Draw new sampled instants first, if ever wanted:
    python3 derive_kyiv_offsets.py --resample SEED > /dev/null
"""
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
FIRST = int(datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp())
END = int(datetime(2038, 1, 1, tzinfo=timezone.utc).timestamp())
PROBES = (-86400, -3601, -3600, -1, 0, 1, 3599, 3600, 86400)
SAMPLED = Path(__file__).with_name("kyiv-sampled-instants.txt")


def offset(unix):
    return int(datetime.fromtimestamp(unix, KYIV).utcoffset().total_seconds())


def changes():
    """The first second of each new offset between FIRST and END."""
    found = []
    for day in range(FIRST, END, 86400):
        if offset(day) != offset(day + 86400):
            low, high = day, day + 86400  # offset(low) is the old one, offset(high) the new
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            found.append(high)
    return found


def main(arguments):
    if arguments[:1] == ["--resample"]:
        draw = random.Random(int(arguments[1]))
        SAMPLED.write_text("".join(f"{draw.randrange(FIRST, END)}\n" for _ in range(200)))
    sampled = [int(line) for line in SAMPLED.read_text().split()]
    instants = sorted(set(sampled) | {change + probe for change in changes() for probe in PROBES})
    vectors = [
        {
            "unix": unix,
            "offsetSeconds": offset(unix),
            "local": datetime.fromtimestamp(unix, KYIV).strftime("%Y-%m-%dT%H:%M:%S"),
        }
        for unix in instants
    ]
    document = {"source": "Python zoneinfo (system tzdata), Europe/Kyiv", "vectors": vectors}
    sys.stdout.write(json.dumps(document, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
