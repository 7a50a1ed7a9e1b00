#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""l7_check.py - compare bulkhead's L7 events with tshark's (via l7_oracle.py).

Usage: l7_check.py [--expect-dir DIR] BULKHEAD DATADIR [NAME...]

For every DATADIR/l7-*.pcap (or only the NAMEs given, e.g. l7-http):
  * the committed expectation EXPECT_DIR/NAME.expect.json (default: l7/ beside
    this script) must equal what l7_oracle.py derives from the pcap now, so
    the expectations stay tshark's and never drift towards bulkhead's output;
  * `BULKHEAD replay --eve - PCAP` and `... --workers 2 ...` must print
    identical output;
  * the http, dns, sql and tls events are matched with the expected ones by
    (event_type, proto, src, src_port, dest, dest_port) and order within that
    flow, then compared field by field: only the fields the expectation has;
    null means "absent or null", [] also accepts an absent list; keys starting
    with '_' are notes. Missing, extra and mismatched events are listed;
  * a flow event of an expected flow must carry the expected app_proto;
  * anomaly events are errors, except on flows whose expected events say
    `"_allow_anomaly": true` (TLS on a plain-text port).

Hand-written expectations tshark cannot give (sql.commands) go in an
optional NAME.manual.json beside the generated file:
  {"overlays": [{"select": {"event_type": "sql", "sql.statement": "..."},
                 "expect": {"sql": {"commands": [...]}}}]}
Every overlay is merged into each expected event matching all of its
dotted-path selectors; an overlay that matches nothing is an error.

Exit 0 on a full match, 1 on any mismatch, 2 on bad usage, 77 (SKIP) when
tshark is missing.
"""

import ipaddress
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import l7_oracle  # noqa: E402

TIMEOUT = 120
L7_TYPES = ("http", "dns", "sql", "tls")
MISSING = object()


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(str(s).strip("[]")))
    except ValueError:
        return str(s)


def flow_key(e):
    return (e.get("event_type"), e.get("proto"), norm_ip(e.get("src_ip")), e.get("src_port"),
            norm_ip(e.get("dest_ip")), e.get("dest_port"))


def rev(k):
    return (k[0], k[1], k[4], k[5], k[2], k[3])


def fmt_flow(k):
    h = lambda ip, port: ("[%s]" % ip if ":" in str(ip) else str(ip)) + ":%s" % port
    return "%s %s -> %s" % (k[1], h(k[2], k[3]), h(k[4], k[5]))


def label(e):
    t = e.get("event_type")
    x = e.get(t) if isinstance(e.get(t), dict) else {}
    if t == "http":
        s = "%s %s" % (x.get("http_method"), x.get("url"))
    elif t == "dns":
        s = "%s id=%s %s %s" % (x.get("type"), x.get("id"), x.get("rrname"), x.get("rrtype"))
    elif t == "sql":
        st = str(x.get("statement"))
        s = "%s %r" % (x.get("kind"), st if len(st) <= 70 else st[:67] + "...")
    elif t == "tls":
        s = "sni=%s %s" % (x.get("sni"), x.get("version"))
    else:
        s = ""
    if "_frame" in e:
        s += " (frame %d)" % e["_frame"]
    return "%s %s" % (t, s)


def compare(path, exp, act, out):
    if exp is None:
        if act is not MISSING and act is not None:
            out.append("%s: expected absent/null, got %s" % (path, json.dumps(act)))
        return
    if act is MISSING:
        if exp == []:
            return
        out.append("%s: missing, expected %s" % (path, json.dumps(exp)))
        return
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            out.append("%s: expected an object, got %s" % (path, json.dumps(act)))
            return
        for k, v in exp.items():
            if k.startswith("_"):
                continue
            compare("%s.%s" % (path, k) if path else k, v, act.get(k, MISSING), out)
        return
    if isinstance(exp, list):
        if not isinstance(act, list):
            out.append("%s: expected a list, got %s" % (path, json.dumps(act)))
            return
        if len(exp) != len(act):
            out.append("%s: %d entries, expected %d: got %s, expected %s" %
                       (path, len(act), len(exp), json.dumps(act), json.dumps(exp)))
            return
        for i, (a, b) in enumerate(zip(exp, act)):
            compare("%s[%d]" % (path, i), a, b, out)
        return
    if type(exp) is not type(act) or exp != act:
        out.append("%s: expected %s, got %s" % (path, json.dumps(exp), json.dumps(act)))


def get_path(e, dotted):
    cur = e
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v


def apply_overlays(events, path, errs):
    if not os.path.exists(path):
        return
    try:
        doc = json.load(open(path))
    except ValueError as ex:
        errs.append("%s: not JSON: %s" % (path, ex))
        return
    for i, ov in enumerate(doc.get("overlays", [])):
        sel, exp = ov.get("select", {}), ov.get("expect", {})
        n = 0
        for e in events:
            if all(get_path(e, k) == v for k, v in sel.items()):
                merge(e, json.loads(json.dumps(exp)))
                n += 1
        if n == 0:
            errs.append("%s: overlay %d selects no expected event: %s" % (path, i, json.dumps(sel)))


def run_bulkhead(exe, pcap, extra):
    cmd = [exe, "replay", "--eve", "-"] + extra + [pcap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace"), cmd


def parse_events(raw, errs):
    events = []
    for i, line in enumerate(raw.decode(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError as ex:
            errs.append("eve line %d is not JSON (%s): %.200s" % (i, ex, line))
    return events


def check_pcap(exe, pcap, expect_path, manual_path):
    errs = []
    name = os.path.basename(pcap)
    if not os.path.exists(expect_path):
        return ["no expectation %s (run l7_oracle.py --all)" % expect_path], 0, 0
    committed = json.load(open(expect_path))

    # 1. the committed expectation is still tshark's reading of the pcap
    fresh = l7_oracle.oracle(pcap, committed.get("decode_as", []))
    a, b = committed.get("events", []), json.loads(json.dumps(fresh["events"]))
    if a != b:
        i = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
        errs.append("%s is stale: l7_oracle.py now gives %d events (committed %d), first difference "
                    "at event %d; regenerate with `l7_oracle.py %s %s`" %
                    (os.path.basename(expect_path), len(b), len(a), i, pcap, expect_path))
    expected = committed.get("events", [])
    apply_overlays(expected, manual_path, errs)

    # 2. bulkhead, one and two workers, identical output
    rc1, out1, err1, cmd1 = run_bulkhead(exe, pcap, [])
    if rc1 != 0:
        errs.append("`%s` exited %d: %s" % (" ".join(cmd1), rc1, err1.strip()[:500]))
        return errs, len(expected), 0
    rc2, out2, err2, cmd2 = run_bulkhead(exe, pcap, ["--workers", "2"])
    if rc2 != 0:
        errs.append("`%s` exited %d: %s" % (" ".join(cmd2), rc2, err2.strip()[:500]))
    elif out2 != out1:
        x, y = out1.splitlines(), out2.splitlines()
        i = next((j for j in range(min(len(x), len(y))) if x[j] != y[j]), min(len(x), len(y)))
        errs.append("--workers 2 output differs from the default (%d vs %d lines, first difference "
                    "at line %d)" % (len(y), len(x), i + 1))
    events = parse_events(out1, errs)

    # 3. L7 events, per flow and in order
    exp_by, act_by = {}, {}
    for e in expected:
        exp_by.setdefault(flow_key(e), []).append(e)
    for e in events:
        if e.get("event_type") in L7_TYPES:
            act_by.setdefault(flow_key(e), []).append(e)
    nexp = sum(len(v) for v in exp_by.values())
    nact = sum(len(v) for v in act_by.values())
    bad_pcap_file = 0
    order = list(exp_by) + [k for k in act_by if k not in exp_by]
    for k in order:
        el, al = exp_by.get(k, []), act_by.get(k, [])
        if not el and rev(k) in exp_by:
            errs.append("%s %s: %d events oriented the wrong way round (src must be the client)" %
                        (k[0], fmt_flow(k), len(al)))
            continue
        if not al and rev(k) in act_by:
            continue            # reported from the other side
        for i in range(max(len(el), len(al))):
            where = "%s %s #%d" % (k[0], fmt_flow(k), i)
            if i >= len(al):
                errs.append("%s: missing: %s" % (where, label(el[i])))
                continue
            if i >= len(el):
                errs.append("%s: extra: %s" % (where, label(al[i])))
                continue
            diffs = []
            compare("", {kk: vv for kk, vv in el[i].items() if kk != "pcap_file"}, al[i], diffs)
            pf = al[i].get("pcap_file")
            if pf is None or not str(pf).endswith(name):
                bad_pcap_file += 1
            if diffs:
                errs.append("%s: %s" % (where, label(el[i])))
                errs.extend("    " + d for d in diffs)
    if bad_pcap_file:
        errs.append("%d L7 events without pcap_file ending in %s" % (bad_pcap_file, name))

    # 4. flow events carry the app_proto; no anomalies on real traffic
    want_app, allow = {}, set()
    for e in expected:
        fk = flow_key(e)[1:]
        want_app[fk] = e.get("app_proto")
        if e.get("_allow_anomaly"):
            allow.add(fk)
            allow.add(rev(("",) + fk)[1:])
    for e in events:
        fk = flow_key(e)[1:]
        if e.get("event_type") == "flow" and fk in want_app and e.get("app_proto") != want_app[fk]:
            errs.append("flow %s: app_proto %r, expected %r" %
                        (fmt_flow(("flow",) + fk), e.get("app_proto"), want_app[fk]))
        if e.get("event_type") == "anomaly" and fk not in allow:
            a = e.get("anomaly") or {}
            errs.append("unexpected anomaly %s/%s on %s" %
                        (a.get("type"), a.get("event"), fmt_flow(("anomaly",) + fk)))
    return errs, nexp, nact


def main(argv):
    args = argv[1:]
    expect_dir = os.path.join(HERE, "l7")
    if args[:1] == ["--expect-dir"] and len(args) >= 2:
        expect_dir, args = args[1], args[2:]
    if len(args) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return 77
    exe, datadir, names = args[0], args[1], args[2:]
    if not names:
        names = sorted(n[:-len(".pcap")] for n in os.listdir(datadir)
                       if n.startswith("l7-") and n.endswith(".pcap"))
        if os.path.isdir(expect_dir):
            names += sorted(n[:-len(".expect.json")] for n in os.listdir(expect_dir)
                            if n.endswith(".expect.json") and n[:-len(".expect.json")] not in names)
    if not names:
        print("no l7-*.pcap in %s" % datadir, file=sys.stderr)
        return 2
    passed = failed = 0
    for n in names:
        n = os.path.basename(n)
        if n.endswith(".pcap"):
            n = n[:-len(".pcap")]
        pcap = os.path.join(datadir, n + ".pcap")
        nexp = nact = 0
        if not os.path.exists(pcap):
            errs = ["%s missing (the expectation has no capture)" % pcap]
        else:
            try:
                errs, nexp, nact = check_pcap(exe, pcap, os.path.join(expect_dir, n + ".expect.json"),
                                              os.path.join(expect_dir, n + ".manual.json"))
            except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as ex:
                errs = ["error: %s" % ex]
        if errs:
            failed += 1
            print("FAIL %s (%d expected L7 events, bulkhead %d)" % (pcap, nexp, nact))
            for e in errs:
                print("  " + e)
        else:
            passed += 1
            print("PASS %s (%d L7 events)" % (pcap, nexp))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
