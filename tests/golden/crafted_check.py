#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""crafted_check.py - replay the crafted pcaps and compare with their expectations.

Usage: crafted_check.py BULKHEAD CRAFTED_DIR [NAME...]

For each CRAFTED_DIR/NAME.expect.json (written by tests/data/craft.py from how
the capture was built; the format is described there) run
`bulkhead replay --eve - --dump-streams DIR NAME.pcap` and compare field by
field: exit status, flows (tuple, VLANs, packets/bytes each way, start/end,
state, TCP flags, stream counters, reassembled bytes), anomaly events (type,
event, count, packet numbers). Also replays with --workers 3 and requires the
same output. Prints one PASS/FAIL line per capture with a readable diff;
exit 0 when all match, 1 otherwise.
"""

import calendar
import filecmp
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60
CHECKED_ANOMALY_TYPES = ("decode", "defrag", "stream", "flow")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:?\d\d)$")


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def ts_us(s):
    """RFC 3339 with microseconds -> integer µs since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})(Z|([+-])(\d\d):?(\d\d))$", s)
    if not m:
        return None
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    if m.group(3) != "Z":
        off = int(m.group(5)) * 3600 + int(m.group(6)) * 60
        secs -= off if m.group(4) == "+" else -off
    return secs * 1000000 + int(m.group(2))


def rfc3339(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06dZ" % (us % 1000000)


def pcap_times(path):
    """Packet timestamps (µs) of a classic pcap file, 1-based list index - 1."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    for e in ("<", ">"):
        magic = struct.unpack(e + "I", data[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            nsec = magic == 0xA1B23C4D
            break
    else:
        return []
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append(sec * 1000000 + (frac // 1000 if nsec else frac))
        off += 16 + incl
    return out


def tuple_of(d):
    """Key for a flow: (proto, src, sport, dst, dport, vlans)."""
    proto = d.get("proto")
    if proto in ("ICMP", "IPv6-ICMP"):
        sp, dp = d.get("icmp_type"), d.get("icmp_code")
    else:
        sp, dp = d.get("src_port"), d.get("dest_port")
    return (proto, norm_ip(d["src_ip"]), sp, norm_ip(d["dest_ip"]), dp, tuple(d.get("vlan") or ()))


def reverse(k):
    return (k[0], k[3], k[4], k[1], k[2], k[5])


def fmt(k):
    p, s, sp, d, dp, v = k
    h = lambda ip, port: ("[%s]" % ip if ":" in ip else ip) + ("" if port is None else ":%s" % port)
    if p in ("ICMP", "IPv6-ICMP"):
        s_ = "%s %s -> %s type %s code %s" % (p, s, d, sp, dp)
    else:
        s_ = "%s %s -> %s" % (p, h(s, sp), h(d, dp))
    return s_ + (" vlan %s" % list(v) if v else "")


def run(exe, pcap, workers, dump):
    # Signatures are golden-alerts' business: without them each replay
    # skips compiling the built-in sets (most of its time here). The other
    # golden tests replay with them, so they still show that signatures
    # don't change flows, streams or L7 events.
    cmd = [exe, "replay", "--sets", "none", "--eve", "-", "--workers", str(workers),
           "--dump-streams", dump, pcap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def cmp_flow(exp, ev, dump, errs):
    label = fmt(tuple_of(exp))
    fl = ev.get("flow") or {}
    for k in ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient"):
        if fl.get(k) != exp[k]:
            errs.append("%s: flow.%s = %s, expected %s" % (label, k, fl.get(k), exp[k]))
    for k in ("start", "end"):
        got = fl.get(k)
        if not isinstance(got, str) or not TS_RE.match(got):
            errs.append("%s: flow.%s = %r is not RFC 3339 with microseconds" % (label, k, got))
        elif ts_us(got) != ts_us(exp[k]):
            errs.append("%s: flow.%s = %s, expected %s" % (label, k, got, exp[k]))
    if "state" in exp and fl.get("state") != exp["state"]:
        errs.append("%s: flow.state = %r, expected %r" % (label, fl.get("state"), exp["state"]))
    tcp = ev.get("tcp") or {}
    for k in ("tcp_flags_ts", "tcp_flags_tc"):
        if k in exp:
            got = tcp.get(k)
            try:
                gv = int(got, 16) if isinstance(got, str) else None
            except ValueError:
                gv = None
            if gv != exp[k]:
                errs.append("%s: tcp.%s = %r, expected %02x" % (label, k, got, exp[k]))
    for d, want in (exp.get("stream") or {}).items():
        got = ((ev.get("stream") or {}).get(d)) or {}
        for k, v in want.items():
            if got.get(k) != v:
                errs.append("%s: stream.%s.%s = %s, expected %s" % (label, d, k, got.get(k), v))
    for d, hexwant in (exp.get("content") or {}).items():
        want = bytes.fromhex(hexwant)
        path = os.path.join(dump, "%s.%s" % (ev.get("flow_id"), d))
        got = open(path, "rb").read() if os.path.exists(path) else b""
        if got != want:
            i = next((j for j in range(min(len(got), len(want))) if got[j] != want[j]),
                     min(len(got), len(want)))
            errs.append("%s: %s stream (%s) differs: %d bytes, expected %d; first difference "
                        "at offset %d: got %r, expected %r" %
                        (label, d, os.path.basename(path), len(got), len(want), i,
                         got[i:i + 24], want[i:i + 24]))


def check(exe, cdir, exp, tmp):
    errs = []
    pcap = os.path.join(cdir, exp["pcap"])
    dump = os.path.join(tmp, exp["pcap"] + ".d1")
    os.makedirs(dump)
    rc, out, err = run(exe, pcap, 1, dump)
    if rc != exp["exit"]:
        errs.append("exit status %d, expected %d (stderr: %s)" % (rc, exp["exit"], err.strip()[:300]))
        return errs
    if exp.get("stderr_regex") and not re.search(exp["stderr_regex"], err):
        errs.append("stderr %r does not match /%s/" % (err.strip()[:300], exp["stderr_regex"]))
    if rc != 0:
        if exp["exit"] != 0 and out.strip():
            errs.append("exit %d but events were written: %.200s" % (rc, out.decode(errors="replace")))
        return errs

    dump3 = os.path.join(tmp, exp["pcap"] + ".d3")
    os.makedirs(dump3)
    rc3, out3, err3 = run(exe, pcap, 3, dump3)
    if rc3 != rc or out3 != out:
        errs.append("--workers 3 output differs from --workers 1 (exit %d, %d vs %d bytes)" %
                    (rc3, len(out3), len(out)))
    elif sorted(os.listdir(dump)) != sorted(os.listdir(dump3)) or not all(
            filecmp.cmp(os.path.join(dump, f), os.path.join(dump3, f), shallow=False)
            for f in os.listdir(dump)):
        errs.append("--workers 3 --dump-streams differs from --workers 1")

    events = []
    for i, line in enumerate(out.decode(errors="replace").splitlines(), 1):
        if line.strip():
            try:
                events.append(json.loads(line))
            except ValueError:
                errs.append("eve line %d is not JSON: %.200s" % (i, line))
    for e in events:
        if not str(e.get("pcap_file", "")).endswith(exp["pcap"]):
            errs.append("event has pcap_file %r: %.150s" % (e.get("pcap_file"), json.dumps(e)))
            break
        if not TS_RE.match(str(e.get("timestamp", ""))):
            errs.append("event timestamp %r is not RFC 3339 with microseconds" % e.get("timestamp"))
            break

    # flows
    flows = {}
    for e in events:
        if e.get("event_type") == "flow":
            try:
                flows.setdefault(tuple_of(e), []).append(e)
            except (KeyError, ValueError) as ex:
                errs.append("flow event without a usable tuple (%s): %.200s" % (ex, json.dumps(e)))
    matched = set()
    for fe in exp["flows"]:
        k = tuple_of(fe)
        got = flows.get(k, [])
        if not got:
            rev = flows.get(reverse(k), [])
            near = [kk for kk in flows if kk[0] == k[0] and {kk[1], kk[3]} == {k[1], k[3]}]
            if rev:
                errs.append("%s: reported reversed, as %s" % (fmt(k), fmt(reverse(k))))
            elif near:
                errs.append("%s: missing; flows between these hosts: %s" %
                            (fmt(k), "; ".join(fmt(x) for x in near)))
            else:
                errs.append("%s: missing" % fmt(k))
            matched.update(rev and [reverse(k)] or [])
            continue
        matched.add(k)
        if len(got) > 1:
            errs.append("%s: %d flow events, expected 1" % (fmt(k), len(got)))
        cmp_flow(fe, got[0], dump, errs)
    if exp.get("flows_exhaustive"):
        for k, v in flows.items():
            if k not in matched:
                errs.append("unexpected flow: %s (%s pkts toserver)" %
                            (fmt(k), (v[0].get("flow") or {}).get("pkts_toserver")))

    # anomalies
    times = pcap_times(pcap)
    got = {}
    for e in events:
        if e.get("event_type") != "anomaly":
            continue
        a = e.get("anomaly") or {}
        t = ts_us(str(e.get("timestamp", "")))
        cnt = e.get("pcap_cnt")
        if isinstance(cnt, int) and 1 <= cnt <= len(times):
            if t != times[cnt - 1]:
                errs.append("anomaly %s/%s at pcap_cnt %d: timestamp %s, the packet's is %s" %
                            (a.get("type"), a.get("event"), cnt, e.get("timestamp"),
                             rfc3339(times[cnt - 1])))
        elif times and (t is None or not times[0] <= t <= times[-1]):
            errs.append("anomaly %s/%s: timestamp %s outside the capture (%s .. %s)" %
                        (a.get("type"), a.get("event"), e.get("timestamp"),
                         rfc3339(times[0]), rfc3339(times[-1])))
        key = (a.get("type"), a.get("event"))
        got.setdefault(key, []).append(e.get("pcap_cnt"))
    for a in exp["anomalies"]:
        key = (a["type"], a["event"])
        cnts = got.pop(key, [])
        if len(cnts) != a["count"]:
            errs.append("anomaly %s/%s: %d events, expected %d%s" %
                        (key[0], key[1], len(cnts), a["count"],
                         " (at pcap_cnt %s)" % cnts if cnts else ""))
        elif "pcap_cnt" in a and sorted(cnts, key=lambda x: (x is None, x)) != sorted(a["pcap_cnt"]):
            errs.append("anomaly %s/%s: at pcap_cnt %s, expected %s" %
                        (key[0], key[1], cnts, a["pcap_cnt"]))
    for a in exp.get("anomalies_optional", []):
        key = (a["type"], a["event"])
        cnts = got.pop(key, [])
        if len(cnts) > a.get("max", 1):
            errs.append("anomaly %s/%s: %d events, at most %d allowed" %
                        (key[0], key[1], len(cnts), a.get("max", 1)))
    if exp.get("anomalies_exhaustive"):
        for key, cnts in sorted(got.items(), key=lambda kv: str(kv[0])):
            if key[0] in CHECKED_ANOMALY_TYPES:
                errs.append("unexpected anomaly %s/%s at pcap_cnt %s" % (key[0], key[1], cnts))
    return errs


def main(argv):
    if len(argv) < 3:
        print("usage: crafted_check.py BULKHEAD CRAFTED_DIR [NAME...]", file=sys.stderr)
        return 2
    exe, cdir, only = argv[1], argv[2], set(argv[3:])
    files = sorted(f for f in os.listdir(cdir) if f.endswith(".expect.json"))
    if not files:
        print("no *.expect.json in %s" % cdir)
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="bh-crafted-") as tmp:
        for f in files:
            name = f[:-len(".expect.json")]
            if only and name not in only:
                continue
            with open(os.path.join(cdir, f)) as fh:
                exp = json.load(fh)
            try:
                errs = check(exe, cdir, exp, tmp)
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
