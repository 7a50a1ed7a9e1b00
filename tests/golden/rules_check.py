#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""rules_check.py - custom rules in Suricata syntax fire on real captures.

Usage: rules_check.py BULKHEAD RULES EXPECT DATA_DIR

Replays each capture named in EXPECT ("PCAP SID...") with only RULES loaded
(`--sets none --rules RULES`) and compares the set of signature ids that
alerted with the listed ones, exactly. Prints one PASS/FAIL line per capture;
exit 0 when all match, 1 otherwise.
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    exe, rules, expect, data = sys.argv[1:]
    bad = 0
    for line in open(expect, encoding='utf-8'):
        line = line.split('#', 1)[0].split()
        if not line:
            continue
        pcap, want = line[0], {int(x) for x in line[1:]}
        r = subprocess.run([exe, 'replay', '--sets', 'none', '--rules', rules, '--eve', '-',
                            os.path.join(data, pcap)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120, check=False)
        got = set()
        for ev in r.stdout.decode().splitlines():
            e = json.loads(ev)
            if e.get('event_type') == 'alert':
                got.add(e['alert']['signature_id'])
        if r.returncode != 0 or got != want:
            bad += 1
            print('FAIL %s: exit %d, missing %s, unexpected %s %s' % (
                pcap, r.returncode, sorted(want - got), sorted(got - want),
                r.stderr.decode().strip()[:300]))
        else:
            print('PASS %s: %d sids' % (pcap, len(got)))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
