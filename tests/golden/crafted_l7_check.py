#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""crafted_l7_check.py - replay the crafted L7 pcaps and compare with their expectations.

Usage: crafted_l7_check.py BULKHEAD CRAFTED_L7_DIR [NAME...]

For each CRAFTED_L7_DIR/NAME.expect.json (written by tests/data/craft_l7.py;
the format is described there):
  * everything crafted_check.py checks (exit status, flows, stream counters
    and bytes, anomaly counts and packet numbers, --workers 3 identical),
    by calling its check() unchanged;
  * each listed flow's app_proto, on its flow event and on its L7 events;
  * the flow's http/dns/sql/tls events, in order, field by field (only the
    fields the expectation lists, with l7_check.compare's rules); entries
    marked "_optional" may be missing; with l7_exhaustive, no other L7
    event anywhere;
  * anomalies with src_port are on the flows from those client ports; with applayer_exhaustive, no
    "applayer" anomaly beyond those listed (crafted_check.py only polices
    decode/defrag/stream/flow).
Prints one PASS/FAIL line per capture with the differences; exit 0 when all
match, 1 otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crafted_check  # noqa: E402
from l7_check import compare, label  # noqa: E402

L7_TYPES = ("http", "dns", "sql", "tls")


def l7_errors(exe, cdir, exp):
    errs = []
    pcap = os.path.join(cdir, exp["pcap"])
    r = subprocess.run([exe, "replay", "--sets", "none", "--eve", "-", pcap],
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=crafted_check.TIMEOUT)
    if r.returncode != exp["exit"]:
        return []           # crafted_check already reports the exit status
    events = []
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.strip():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass        # reported by crafted_check

    def key(e):
        try:
            return crafted_check.tuple_of(e)[:5]
        except (KeyError, ValueError):
            return None

    flow_ev, l7_by = {}, {}
    for e in events:
        k = key(e)
        if e.get("event_type") == "flow":
            flow_ev[k] = e
        elif e.get("event_type") in L7_TYPES:
            l7_by.setdefault(k, []).append(e)

    expected_keys = set()
    for fe in exp["flows"]:
        k = crafted_check.tuple_of(fe)[:5]
        expected_keys.add(k)
        where = crafted_check.fmt(k + ((),))
        app = fe.get("app_proto")
        if app is not None:
            f = flow_ev.get(k)
            if f is not None and f.get("app_proto") != app:
                errs.append("%s: app_proto %r, expected %r" % (where, f.get("app_proto"), app))
        if "l7" not in fe:
            continue
        got = l7_by.get(k, [])
        for e in got:
            if app is not None and e.get("app_proto") != app:
                errs.append("%s: %s event with app_proto %r, expected %r" %
                            (where, e.get("event_type"), e.get("app_proto"), app))
        i = 0
        for n, want in enumerate(fe["l7"]):
            w = {kk: vv for kk, vv in want.items() if not kk.startswith("_")}
            if i < len(got):
                diffs = []
                compare("", w, got[i], diffs)
                if not diffs:
                    i += 1
                    continue
                if want.get("_optional"):
                    continue
                errs.append("%s: L7 event #%d (%s) differs:" % (where, n, label(want)))
                errs.extend("    " + d for d in diffs)
                i += 1
            elif not want.get("_optional"):
                errs.append("%s: L7 event #%d missing: %s %s" %
                            (where, n, label(want), json.dumps(want.get(want["event_type"]))))
        for e in got[i:]:
            errs.append("%s: extra L7 event: %s %s" %
                        (where, label(e), json.dumps(e.get(e.get("event_type")))))
    if exp.get("l7_exhaustive"):
        for k, got in sorted(l7_by.items(), key=lambda kv: str(kv[0])):
            if k not in expected_keys:
                errs.append("L7 events on an unexpected flow %s: %s" %
                            (crafted_check.fmt((k or ("?",) * 5) + ((),)),
                             "; ".join(label(e) for e in got)))

    anoms = [e for e in events if e.get("event_type") == "anomaly"]
    for a in exp["anomalies"]:
        if "src_port" not in a:
            continue
        ports = sorted(e.get("src_port") for e in anoms
                       if ((e.get("anomaly") or {}).get("type"), (e.get("anomaly") or {}).get("event"))
                       == (a["type"], a["event"]))
        if ports != sorted(a["src_port"]):
            errs.append("anomaly %s/%s on the flows from ports %s, expected %s" %
                        (a["type"], a["event"], ports, sorted(a["src_port"])))
    if exp.get("applayer_exhaustive"):
        allowed = {(a["type"], a["event"]) for a in exp["anomalies"] + exp.get("anomalies_optional", [])}
        seen = {}
        for e in anoms:
            x = e.get("anomaly") or {}
            kk = (x.get("type"), x.get("event"))
            if kk[0] == "applayer" and kk not in allowed:
                seen.setdefault(kk, []).append(e.get("pcap_cnt"))
        for kk, cnts in sorted(seen.items()):
            errs.append("unexpected anomaly %s/%s at pcap_cnt %s" % (kk[0], kk[1], cnts))
    return errs


def main(argv):
    if len(argv) < 3:
        print("usage: crafted_l7_check.py BULKHEAD CRAFTED_L7_DIR [NAME...]", file=sys.stderr)
        return 2
    exe, cdir, only = argv[1], argv[2], set(argv[3:])
    files = sorted(f for f in os.listdir(cdir) if f.endswith(".expect.json"))
    if not files:
        print("no *.expect.json in %s" % cdir)
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="bh-crafted-l7-") as tmp:
        for f in files:
            name = f[:-len(".expect.json")]
            if only and name not in only:
                continue
            with open(os.path.join(cdir, f)) as fh:
                exp = json.load(fh)
            try:
                errs = crafted_check.check(exe, cdir, exp, tmp)
                errs += l7_errors(exe, cdir, exp)
            except (subprocess.TimeoutExpired, OSError) as e:
                errs = ["error: %s" % e]
            if errs:
                failed += 1
                print("FAIL %s  (%s)" % (name, exp.get("description", "")))
                for e in errs:
                    print("  " + e)
            else:
                passed += 1
                print("PASS %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
