#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""alerts_check.py - check bulkhead's alerts against what the attack and benign pcaps expect.

Usage: alerts_check.py BULKHEAD DATA_DIR [NAME...]
       alerts_check.py --self-test [DATA_DIR]

Pcaps: DATA_DIR/attack-*.pcap, DATA_DIR/benign-*.pcap (tests/data/
capture-attacks.sh) and DATA_DIR/crafted-attacks/*.pcap (craft_attacks.py);
NAMEs (file names without .pcap) pick some of them.

Expectations are read from the pcap itself, never from bulkhead:
  * HTTP: every request carries `X-Bh-Expect: SET[,SET...]` or
    `X-Bh-Expect: none`. Each TCP connection's client stream is rebuilt from
    the segments tshark lists (first copy of a byte wins, as in the receiver's
    stack: a retransmission with other bytes does not change what the server
    reads), and every request line in it must have the header.
  * DNS: NAME.expect beside NAME.pcap, lines `QNAME SETS` (SETS as above;
    `#` starts a comment); every listed name must be queried in the pcap.

Checks, each a FAIL line under the pcap's name:
  * `BULKHEAD replay --eve FILE --workers 1 PCAP` and `--workers 2` both exit
    0 and raise the same alerts (signature_id, set, flow);
  * every alert has a known alert.set, a signature_id and a non-empty
    excerpt; an excerpt found nowhere in its transaction record, its
    connection's bytes (raw, percent-decoded up to three times, %uXXXX, '+'
    as space, lower-cased, SQL comments and punctuation dropped) or its DNS
    name is a WARN, not a failure (a signature may quote what it decoded);
  * per HTTP connection: the alert sets on it (matched by the unordered pair
    of endpoints) are exactly the union of its requests' X-Bh-Expect; with
    several requests of distinct URLs, each alert carrying http.url must
    also land on a request that expects its set;
  * per DNS name: the sets of the alerts whose dns.rrname is that name are
    exactly the listed ones; an alert naming an unlisted name fails;
  * an alert on a flow with neither expectation fails;
  * coverage: a connection expecting `none` must show one http event per
    request, and a DNS name expecting `none` a dns event, or the pass would
    prove nothing.

Output: one PASS or FAIL line per pcap, then the differences indented; WARN
lines do not change the result. Exit 0 when all pass, 1 otherwise, 2 on bad
usage, 77 (SKIP) when tshark is missing.

--self-test checks this script's own logic: synthetic connections and EVE
events (a perfect run must pass, each of a dozen mutations must fail), a
small hand-written pcap read back through tshark, and, with DATA_DIR, every
pcap there with the alerts its expectations call for synthesised (must
pass) and one of them dropped (must fail). It does not run bulkhead.
"""

import ipaddress
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from urllib.parse import unquote

SETS = {"sqli", "cmdi", "traversal", "xss", "jndi", "ssrf-metadata", "scanner", "http-anomaly",
        "dns-tunnel", "dns-anomaly", "custom"}
TIMEOUT = 300
MAX_STREAM = 4 << 20           # bytes rebuilt per direction
TSHARK_FIELDS = ("frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport",
                 "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.seq_raw", "tcp.flags",
                 "tcp.payload", "dns.qry.name", "dns.flags.response")
REQ_LINE = re.compile(r"(?m)^([A-Z][A-Z_-]*) (\S+) HTTP/\d\.\d\r?$")
EXPECT_HDR = re.compile(r"(?im)^x-bh-expect:[ \t]*([^\r\n]*?)[ \t]*\r?$")


class DataError(Exception):
    """The pcap or its .expect file cannot state an expectation."""


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(str(s).strip("[]")))
    except ValueError:
        return str(s)


def endpoints(ip1, port1, ip2, port2):
    return frozenset(((norm_ip(ip1), int(port1)), (norm_ip(ip2), int(port2))))


def parse_sets(text, where):
    text = text.strip()
    if text.lower() == "none":
        return frozenset()
    sets = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sets - SETS
    if not sets or unknown:
        raise DataError("%s: bad expectation %r (sets: %s or none)" % (where, text, ", ".join(sorted(SETS))))
    return sets


def fmt_sets(s):
    return "{%s}" % ",".join(sorted(s)) if s else "none"


def dns_key(name):
    return str(name).lower().rstrip(".")


# ----------------------------------------------------------------- the pcap model

class Request:
    def __init__(self, method, target, expect, text):
        self.method, self.target, self.expect, self.text = method, target, expect, text


class Conn:
    """One TCP connection: client and server endpoints, segments per direction
    (0 = from the client) in capture order, requests found in the client stream."""

    def __init__(self, client, server):
        self.client, self.server = client, server
        self.segs = ([], [])
        self.isn = [None, None]
        self.requests = []
        self.streams = (b"", b"")

    def label(self):
        h = lambda ep: ("[%s]" % ep[0] if ":" in ep[0] else ep[0]) + ":%d" % ep[1]
        return "%s -> %s" % (h(self.client), h(self.server))


class Model:
    def __init__(self, name):
        self.name = name
        self.conns = {}            # endpoints -> Conn
        self.dns_expect = None     # qname -> sets, when NAME.expect exists
        self.dns_queried = set()

    def http_conns(self):
        return [c for c in self.conns.values() if c.requests]


def reassemble(segs, isn):
    """Bytes from the start of a direction up to its first hole; the first
    copy of each byte wins."""
    if not segs:
        return b""
    base = isn if isn is not None else min(s for s, _ in segs)
    buf = bytearray()
    have = bytearray()
    for seq, data in segs:
        off = (seq - base) & 0xFFFFFFFF
        if off >= MAX_STREAM:
            continue
        end = min(off + len(data), MAX_STREAM)
        if end > len(buf):
            buf.extend(b"\0" * (end - len(buf)))
            have.extend(b"\0" * (end - len(have)))
        for i in range(off, end):
            if not have[i]:
                buf[i] = data[i - off]
                have[i] = 1
    hole = have.find(b"\0")
    return bytes(buf if hole < 0 else buf[:hole])


def find_requests(stream, where):
    text = stream.decode("latin-1")
    found = list(REQ_LINE.finditer(text))
    out = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        chunk = text[m.start():end]
        head_end = chunk.find("\r\n\r\n")
        head = chunk if head_end < 0 else chunk[:head_end + 2]
        exp = EXPECT_HDR.findall(head)
        if len(exp) != 1:
            raise DataError("%s: request %s %s has %d X-Bh-Expect fields, needs one" %
                            (where, m.group(1), m.group(2)[:60], len(exp)))
        out.append(Request(m.group(1), m.group(2), parse_sets(exp[0], where), chunk))
    return out


def build_model(name, rows, dns_expect=None):
    """rows: dicts with the TSHARK_FIELDS keys (strings, "" when absent)."""
    m = Model(name)
    m.dns_expect = dns_expect
    first = lambda v: v.split(",")[0] if v else ""
    for r in rows:
        if r.get("dns.qry.name") and r.get("dns.flags.response", "").split(",")[0] in ("0", "False"):
            m.dns_queried.update(dns_key(n) for n in r["dns.qry.name"].split(","))
        if not r.get("tcp.srcport"):
            continue
        src = (norm_ip(first(r["ip.src"]) or first(r["ipv6.src"])), int(first(r["tcp.srcport"])))
        dst = (norm_ip(first(r["ip.dst"]) or first(r["ipv6.dst"])), int(first(r["tcp.dstport"])))
        key = frozenset((src, dst))
        flags = int(first(r["tcp.flags"]) or "0", 16)
        seq = int(first(r["tcp.seq_raw"]) or "0")
        syn_only = flags & 0x12 == 0x02
        c = m.conns.get(key)
        if c is not None and syn_only and c.isn[0] is not None and c.isn[0] != (seq + 1) & 0xFFFFFFFF:
            raise DataError("%s: connection %s reused (second SYN, frame %s)" %
                            (name, c.label(), r["frame.number"]))
        if c is None:
            c = m.conns[key] = Conn(src, dst) if syn_only or flags & 0x12 != 0x12 else Conn(dst, src)
        d = 0 if src == c.client else 1
        if flags & 0x02:
            c.isn[d] = (seq + 1) & 0xFFFFFFFF
        payload = first(r["tcp.payload"])
        if payload:
            c.segs[d].append((seq, bytes.fromhex(payload)))
    for c in m.conns.values():
        c.streams = (reassemble(c.segs[0], c.isn[0]), reassemble(c.segs[1], c.isn[1]))
        c.requests = find_requests(c.streams[0], "%s %s" % (name, c.label()))
    if dns_expect is not None:
        missing = sorted(set(dns_expect) - m.dns_queried)
        if missing:
            raise DataError("%s: listed in .expect but never queried: %s" % (name, ", ".join(missing)))
    elif not m.http_conns():
        raise DataError("%s: no request with X-Bh-Expect and no .expect file" % name)
    return m


def read_expect(path):
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise DataError("%s:%d: want `QNAME SETS`" % (path, n))
            name = dns_key(parts[0])
            if name in out:
                raise DataError("%s:%d: %s listed twice" % (path, n, name))
            out[name] = parse_sets(parts[1], "%s:%d" % (path, n))
    return out


def tshark_rows(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", "(tcp or dns) and not icmp and not icmpv6",
           "-T", "fields", "-E", "separator=/t"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    if p.returncode != 0:
        raise DataError("tshark failed on %s: %s" % (pcap, p.stderr.decode(errors="replace")[-300:]))
    rows = []
    for line in p.stdout.decode("latin-1").splitlines():
        vals = line.split("\t")
        vals += [""] * (len(TSHARK_FIELDS) - len(vals))
        rows.append(dict(zip(TSHARK_FIELDS, vals)))
    return rows


def load_model(pcap):
    name = os.path.basename(pcap)[:-len(".pcap")]
    exp = pcap[:-len(".pcap")] + ".expect"
    return build_model(name, tshark_rows(pcap), read_expect(exp) if os.path.exists(exp) else None)


# ----------------------------------------------------------------- excerpts

def decodings(s):
    """s and what a server might decode it to."""
    out = [s]
    cur = s
    for _ in range(3):
        nxt = unquote(re.sub(r"%u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), cur),
                      encoding="latin-1")
        if nxt == cur:
            break
        out.append(nxt)
        cur = nxt
    out += [x.replace("+", " ") for x in out]
    return out


NORMS = (lambda s: s, str.lower,
         lambda s: re.sub(r"[^a-z0-9]", "", re.sub(r"/\*.*?\*/", "", s.lower())))


def excerpt_found(excerpt, haystacks):
    hay = [d for h in haystacks for d in decodings(h)]
    for norm in NORMS:
        nh = [norm(h) for h in hay]
        for needle in decodings(excerpt):
            n = norm(needle)
            if n and any(n in h for h in nh):
                return True
    return False


def strings_of(x):
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from strings_of(v)
    elif isinstance(x, list):
        for v in x:
            yield from strings_of(v)


# ----------------------------------------------------------------- the comparison

def ev_key(e):
    try:
        return endpoints(e.get("src_ip"), e.get("src_port"), e.get("dest_ip"), e.get("dest_port"))
    except (TypeError, ValueError):
        return None


def alert_id(e):
    a = e.get("alert") or {}
    k = ev_key(e)
    return (a.get("signature_id"), a.get("set"), e.get("proto"),
            tuple(sorted(k)) if k else (e.get("src_ip"), e.get("src_port")))


def describe(e):
    a = e.get("alert") or {}
    return "sid %s %s %r" % (a.get("signature_id"), a.get("set"), a.get("signature", ""))


def check(model, runs):
    """runs: {workers: [EVE events]}. Returns (errors, warnings, number of alerts)."""
    errors, warnings = [], []
    events = runs[min(runs)]
    alerts = [e for e in events if e.get("event_type") == "alert"]

    ids = {w: Counter(alert_id(e) for e in evs if e.get("event_type") == "alert") for w, evs in runs.items()}
    ws = sorted(runs)
    for w in ws[1:]:
        for k, n in (ids[ws[0]] - ids[w]).items():
            errors.append("--workers %d misses %d alert(s) --workers %d raised: sid %s set %s flow %s" %
                          (w, n, ws[0], k[0], k[1], k[3]))
        for k, n in (ids[w] - ids[ws[0]]).items():
            errors.append("--workers %d raised %d alert(s) --workers %d did not: sid %s set %s flow %s" %
                          (w, n, ws[0], k[0], k[1], k[3]))

    http_seen = Counter(ev_key(e) for e in events if e.get("event_type") == "http")
    dns_seen = {dns_key(e["dns"]["rrname"]) for e in events
                if e.get("event_type") == "dns" and isinstance(e.get("dns"), dict) and e["dns"].get("rrname")}
    on_conn = defaultdict(list)
    on_name = defaultdict(list)
    for e in alerts:
        a = e.get("alert")
        if not isinstance(a, dict):
            errors.append("alert event without an alert object: %s" % json.dumps(e)[:200])
            continue
        key = ev_key(e)
        conn = model.conns.get(key)
        where = conn.label() if conn else "%s:%s -> %s:%s" % (e.get("src_ip"), e.get("src_port"),
                                                             e.get("dest_ip"), e.get("dest_port"))
        if a.get("set") not in SETS:
            errors.append("%s: %s: unknown alert.set" % (where, describe(e)))
        if not isinstance(a.get("signature_id"), int):
            errors.append("%s: %s: no integer signature_id" % (where, describe(e)))
        excerpt = a.get("excerpt")
        dns = e.get("dns") if isinstance(e.get("dns"), dict) else None
        if not isinstance(excerpt, str) or not excerpt:
            errors.append("%s: %s: empty or missing excerpt" % (where, describe(e)))
        else:
            hay = list(strings_of(e.get("http"))) + list(strings_of(dns))
            if conn:
                hay += [s.decode("latin-1") for s in conn.streams]
                hay += [d.decode("latin-1") for segs in conn.segs for _, d in segs]
            if not excerpt_found(excerpt, hay):
                warnings.append("%s: %s: excerpt %r is not in its transaction or the traffic "
                                "(after decoding)" % (where, describe(e), excerpt))
        if conn is not None and conn.requests:
            on_conn[key].append(e)
        elif dns is not None and model.dns_expect is not None:
            if not dns.get("rrname"):
                errors.append("%s: %s: DNS alert without dns.rrname" % (where, describe(e)))
            else:
                on_name[dns_key(dns["rrname"])].append(e)
        else:
            errors.append("%s: %s: alert on a flow without expectation" % (where, describe(e)))

    for key, conn in sorted(model.conns.items(), key=lambda kv: sorted(kv[0])):
        if not conn.requests:
            continue
        got_alerts = on_conn.get(key, [])
        want = frozenset().union(*(r.expect for r in conn.requests))
        got = frozenset(e["alert"].get("set") for e in got_alerts)
        first = conn.requests[0]
        what = "%s %s %s" % (conn.label(), first.method, first.target[:80])
        if len(conn.requests) > 1:
            what += " (+%d pipelined)" % (len(conn.requests) - 1)
        if got != want:
            msg = "%s: expected %s, got %s" % (what, fmt_sets(want), fmt_sets(got))
            if got and want - got:
                msg += "; missing %s" % fmt_sets(want - got)
            extra = [describe(e) for e in got_alerts if e["alert"].get("set") not in want]
            if extra:
                msg += "; unexpected: %s" % ", ".join(sorted(set(extra)))
            errors.append(msg)
        elif len(conn.requests) > 1 and len({r.target for r in conn.requests}) == len(conn.requests):
            by_url = {r.target: r for r in conn.requests}
            for e in got_alerts:
                url = (e.get("http") or {}).get("url") if isinstance(e.get("http"), dict) else None
                r = by_url.get(url)
                if url is not None and (r is None or e["alert"].get("set") not in r.expect):
                    errors.append("%s: %s raised on request %s, which expects %s" %
                                  (conn.label(), describe(e), url[:80],
                                   fmt_sets(r.expect) if r else "nothing (no such request)"))
        if not want and http_seen.get(key, 0) < len(conn.requests):
            errors.append("%s: %d of %d requests seen as http events; a 'none' there proves nothing" %
                          (what, http_seen.get(key, 0), len(conn.requests)))

    if model.dns_expect is not None:
        for name, want in sorted(model.dns_expect.items()):
            got_alerts = on_name.get(name, [])
            got = frozenset(e["alert"].get("set") for e in got_alerts)
            if got != want:
                extra = sorted({describe(e) for e in got_alerts if e["alert"].get("set") not in want})
                errors.append("dns %s: expected %s, got %s%s" % (name[:90], fmt_sets(want), fmt_sets(got),
                                                                  "; unexpected: " + ", ".join(extra) if extra else ""))
            if not want and name not in dns_seen:
                errors.append("dns %s: no dns event names it; a 'none' there proves nothing" % name[:90])
        for name in sorted(set(on_name) - set(model.dns_expect)):
            errors.append("dns %s: not listed in the .expect file, alerts: %s" %
                          (name[:90], ", ".join(sorted({describe(e) for e in on_name[name]}))))
    return errors, warnings, len(alerts)


def run_replay(bulkhead, pcap, workers, tmp):
    out = os.path.join(tmp, "eve-%d.json" % workers)
    p = subprocess.run([bulkhead, "replay", "--eve", out, "--workers", str(workers), pcap],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=TIMEOUT)
    if p.returncode != 0:
        raise DataError("replay --workers %d exited %d: %s" %
                        (workers, p.returncode, p.stderr.decode(errors="replace").strip()[-300:]))
    events = []
    with open(out) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError as ex:
                    raise DataError("EVE line %d (--workers %d) is not JSON: %s" % (n, workers, ex))
    return events


def pcaps_of(data_dir):
    out = []
    for d, pats in ((data_dir, ("attack-", "benign-")), (os.path.join(data_dir, "crafted-attacks"), ("",))):
        if os.path.isdir(d):
            out += sorted(os.path.join(d, f) for f in os.listdir(d)
                          if f.endswith(".pcap") and f.startswith(pats))
    return out


def report(name, model, errors, warnings, nalerts):
    nconn = len(model.http_conns()) if model else 0
    ndns = len(model.dns_expect or {}) if model else 0
    print("%s %s: %d HTTP connections, %d DNS names, %d alerts" %
          ("FAIL" if errors else "PASS", name, nconn, ndns, nalerts))
    for e in errors:
        print("  " + e)
    for w in warnings:
        print("  WARN " + w)


def main_check(bulkhead, data_dir, names):
    pcaps = pcaps_of(data_dir)
    if names:
        pcaps = [p for p in pcaps if os.path.basename(p)[:-5] in names]
        missing = set(names) - {os.path.basename(p)[:-5] for p in pcaps}
        if missing:
            print("FAIL: no such pcap: %s" % ", ".join(sorted(missing)))
            return 1
    if not pcaps:
        print("FAIL: no attack-*, benign-* or crafted-attacks/* pcaps in %s" % data_dir)
        return 1
    failed = 0
    for pcap in pcaps:
        name = os.path.basename(pcap)[:-5]
        model = None
        try:
            model = load_model(pcap)
            with tempfile.TemporaryDirectory(prefix="bh-alerts-") as tmp:
                runs = {w: run_replay(bulkhead, pcap, w, tmp) for w in (1, 2)}
            errors, warnings, n = check(model, runs)
        except (DataError, subprocess.TimeoutExpired, OSError) as ex:
            errors, warnings, n = [str(ex)], [], 0
        report(name, model, errors, warnings, n)
        failed += bool(errors)
    print("%d passed, %d failed" % (len(pcaps) - failed, failed))
    return 1 if failed else 0


# ----------------------------------------------------------------- self-test

def synth_events(model, drop=None):
    """The EVE a perfect engine would write for model: an http event per
    request, a dns event per listed name, one alert per expected set."""
    evs = []
    sid = 9900000

    def base(c, t):
        return {"event_type": t, "proto": "TCP", "src_ip": c.client[0], "src_port": c.client[1],
                "dest_ip": c.server[0], "dest_port": c.server[1]}

    for c in sorted(model.http_conns(), key=lambda c: c.client):
        for r in c.requests:
            http = {"http_method": r.method, "url": r.target}
            evs.append(dict(base(c, "http"), http=http))
            for s in sorted(r.expect):
                sid += 1
                evs.append(dict(base(c, "alert"), http=http, alert={
                    "signature_id": sid, "set": s, "signature": "SELFTEST %s" % s,
                    "excerpt": r.target[-12:] or r.method}))
    for name, sets in sorted((model.dns_expect or {}).items()):
        ev = {"proto": "UDP", "src_ip": "192.0.2.1", "src_port": 5353, "dest_ip": "192.0.2.53",
              "dest_port": 53, "dns": {"type": "query", "rrname": name}}
        evs.append(dict(ev, event_type="dns"))
        for s in sorted(sets):
            sid += 1
            evs.append(dict(ev, event_type="alert", alert={
                "signature_id": sid, "set": s, "signature": "SELFTEST %s" % s, "excerpt": name.split(".")[0]}))
    if drop is not None:
        alerts = [i for i, e in enumerate(evs) if e["event_type"] == "alert"]
        if alerts:
            del evs[alerts[drop % len(alerts)]]
    return evs


def row(frame, src, sport, dst, dport, seq, flags, payload=b"", udp=False, qname="", resp=""):
    r = dict.fromkeys(TSHARK_FIELDS, "")
    r.update({"frame.number": str(frame), "ip.src": src, "ip.dst": dst})
    if udp:
        r.update({"udp.srcport": str(sport), "udp.dstport": str(dport), "dns.qry.name": qname,
                  "dns.flags.response": resp})
    else:
        r.update({"tcp.srcport": str(sport), "tcp.dstport": str(dport), "tcp.seq_raw": str(seq),
                  "tcp.flags": "0x%04x" % flags, "tcp.payload": payload.hex()})
    return r


C, S = "10.0.0.1", "10.0.0.2"
REQ_A = b"GET /a?id=1%27+OR+1=1 HTTP/1.1\r\nHost: t\r\nX-Bh-Expect: sqli\r\n\r\n"
REQ_B = b"GET /b?q=union+station HTTP/1.1\r\nHost: t\r\nX-Bh-Expect: none\r\n\r\n"
REQ_P = (b"GET /p1 HTTP/1.1\r\nHost: t\r\nX-Bh-Expect: none\r\n\r\n"
         b"GET /p2?q=<script> HTTP/1.1\r\nHost: t\r\nx-bh-expect: xss , jndi\r\n\r\n")


def selftest_rows():
    """Connection A: request in 2 segments sent 2,1, then a retransmission of
    its first 20 bytes with other bytes (must not win). B: benign. P: two
    pipelined requests. Plus two DNS queries."""
    rows = [row(1, C, 1000, S, 80, 100, 0x02), row(2, S, 80, C, 1000, 900, 0x12),
            row(3, C, 1000, S, 80, 131, 0x18, REQ_A[30:]), row(4, C, 1000, S, 80, 101, 0x18, REQ_A[:30]),
            row(5, C, 1000, S, 80, 101, 0x18, b"X" * 20),
            row(6, C, 1001, S, 80, 500, 0x02), row(7, C, 1001, S, 80, 501, 0x18, REQ_B),
            row(8, C, 1002, S, 80, 7, 0x02), row(9, C, 1002, S, 80, 8, 0x18, REQ_P),
            row(10, C, 5353, S, 53, 0, 0, udp=True, qname="AbC.tunnel.test", resp="0"),
            row(11, C, 5353, S, 53, 0, 0, udp=True, qname="ok.test", resp="0")]
    return rows, {"abc.tunnel.test": frozenset({"dns-tunnel"}), "ok.test": frozenset()}


def expect_fail(label, model, runs, needle, out):
    errors, _, _ = check(model, runs)
    if not any(needle in e for e in errors):
        out.append("mutation '%s' not caught (errors: %s)" % (label, errors))


def selftest_logic():
    out = []
    rows, dns = selftest_rows()
    m = build_model("selftest", rows, dns)
    a = m.conns[endpoints(C, 1000, S, 80)]
    if a.streams[0] != REQ_A or [r.expect for r in a.requests] != [frozenset({"sqli"})]:
        out.append("reassembly: got %r" % a.streams[0])
    p = m.conns[endpoints(C, 1002, S, 80)]
    if [(r.target, r.expect) for r in p.requests] != [("/p1", frozenset()),
                                                      ("/p2?q=<script>", frozenset({"xss", "jndi"}))]:
        out.append("pipelined requests: %r" % [(r.target, r.expect) for r in p.requests])
    good = synth_events(m)
    errors, warnings, n = check(m, {1: good, 2: good})
    if errors or warnings or n != 4:
        out.append("perfect run: %d alerts, errors %s, warnings %s" % (n, errors, warnings))

    def mutate(fn):
        evs = json.loads(json.dumps(good))
        fn(evs)
        return evs

    def alert_of(evs, s):
        return next(e for e in evs if e["event_type"] == "alert" and e["alert"]["set"] == s)

    def add(evs, **kw):
        e = json.loads(json.dumps(alert_of(evs, "sqli")))
        e.update(kw)
        evs.append(e)

    mutations = [
        ("missing set", lambda evs: evs.remove(alert_of(evs, "sqli")), "expected {sqli}, got none"),
        ("extra set", lambda evs: add(evs, src_port=1001, alert=dict(alert_of(evs, "sqli")["alert"], set="xss")),
         "unexpected"),
        ("unknown flow", lambda evs: add(evs, src_ip="10.9.9.9"), "without expectation"),
        ("unknown set", lambda evs: alert_of(evs, "sqli")["alert"].update(set="sql-injection"), "unknown alert.set"),
        ("empty excerpt", lambda evs: alert_of(evs, "sqli")["alert"].update(excerpt=""), "empty or missing excerpt"),
        ("wrong request", lambda evs: alert_of(evs, "xss")["http"].update(url="/p1"), "raised on request /p1"),
        ("dns wrong set", lambda evs: alert_of(evs, "dns-tunnel")["alert"].update(set="dns-anomaly"),
         "expected {dns-tunnel}"),
        ("dns unlisted", lambda evs: alert_of(evs, "dns-tunnel")["dns"].update(rrname="x.test"), "not listed"),
        ("dns without name", lambda evs: alert_of(evs, "dns-tunnel")["dns"].pop("rrname"), "without dns.rrname"),
        ("none unparsed", lambda evs: evs.remove(next(e for e in evs if e["event_type"] == "http"
                                                      and e["src_port"] == 1001)), "proves nothing"),
        ("dns none unseen", lambda evs: evs.remove(next(e for e in evs if e["event_type"] == "dns"
                                                        and e["dns"]["rrname"] == "ok.test")), "proves nothing"),
    ]
    for label, fn, needle in mutations:
        bad = mutate(fn)
        expect_fail(label, m, {1: bad, 2: bad}, needle, out)
    expect_fail("workers differ", m, {1: good, 2: mutate(lambda evs: evs.remove(alert_of(evs, "jndi")))},
                "--workers 2 misses", out)
    far = mutate(lambda evs: alert_of(evs, "sqli")["alert"].update(excerpt="zzqqzz"))
    errors, warnings, _ = check(m, {1: far, 2: far})
    if errors or len(warnings) != 1:
        out.append("unfound excerpt: want one warning, got errors %s warnings %s" % (errors, warnings))
    decoded = mutate(lambda evs: alert_of(evs, "sqli")["alert"].update(excerpt="1' OR 1=1"))
    errors, warnings, _ = check(m, {1: decoded, 2: decoded})
    if errors or warnings:
        out.append("decoded excerpt: errors %s warnings %s" % (errors, warnings))
    for label, bad_rows in (("request without X-Bh-Expect", [row(1, C, 7, S, 80, 1, 0x18, b"GET / HTTP/1.1\r\n\r\n")]),
                            ("unknown expected set", [row(1, C, 7, S, 80, 1, 0x18,
                                                          b"GET / HTTP/1.1\r\nX-Bh-Expect: sqly\r\n\r\n")])):
        try:
            build_model("bad", bad_rows)
            out.append("%s: accepted" % label)
        except DataError:
            pass
    return out


def write_tiny_pcap(path):
    """Ethernet/IPv4/TCP by hand (no scapy): the connection of selftest_rows()
    whose request arrives second half first."""
    def frame(sport, dport, seq, flags, payload=b""):
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                         bytes(map(int, (C if sport != 80 else S).split("."))),
                         bytes(map(int, (S if sport != 80 else C).split("."))))
        return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp
    frames = [frame(1000, 80, 100, 0x02), frame(80, 1000, 900, 0x12),
              frame(1000, 80, 131, 0x18, REQ_A[30:]), frame(1000, 80, 101, 0x18, REQ_A[:30])]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1767225600, i, len(fr), len(fr)) + fr)


def selftest_pcaps(data_dir):
    out = []
    with tempfile.TemporaryDirectory(prefix="bh-alerts-") as tmp:
        path = os.path.join(tmp, "tiny.pcap")
        write_tiny_pcap(path)
        try:
            m = load_model(path)
            reqs = [(c.label(), r.target, r.expect) for c in m.http_conns() for r in c.requests]
            if reqs != [("10.0.0.1:1000 -> 10.0.0.2:80", "/a?id=1%27+OR+1=1", frozenset({"sqli"}))]:
                out.append("tiny.pcap through tshark: %r" % reqs)
        except DataError as ex:
            out.append("tiny.pcap: %s" % ex)
    pcaps = pcaps_of(data_dir) if data_dir else []
    for pcap in pcaps:
        try:
            m = load_model(pcap)
        except DataError as ex:
            out.append(str(ex))
            continue
        good = synth_events(m)
        errors, warnings, n = check(m, {1: good, 2: good})
        if errors:
            out.append("%s, synthesised perfect run: %s" % (pcap, errors[:3]))
        if n:
            errors, _, _ = check(m, {1: synth_events(m, drop=n // 2), 2: good})
            if not errors:
                out.append("%s: a dropped alert was not caught" % pcap)
    return out, len(pcaps)


FAKE_BULKHEAD = """#!/usr/bin/python3
# replay --eve OUT --workers N PCAP: the EVE synth_events() derives from PCAP
import json, sys
sys.path.insert(0, %r)
import alerts_check as ac
a = sys.argv[1:]
with open(a[a.index("--eve") + 1], "w") as f:
    for e in ac.synth_events(ac.load_model(a[-1])):
        f.write(json.dumps(e) + "\\n")
"""


def selftest_main(data_dir):
    """main_check() end to end with a stand-in for bulkhead that writes the
    synthesised EVE: one real HTTP, one DNS and one crafted pcap."""
    names = []
    for want in ("attack-http", "benign-dns"):
        if os.path.exists(os.path.join(data_dir, want + ".pcap")):
            names.append(want)
    names += [os.path.basename(p)[:-5] for p in pcaps_of(data_dir) if "crafted-attacks" in p][:1]
    if not names:
        return []
    with tempfile.TemporaryDirectory(prefix="bh-alerts-") as tmp:
        fake = os.path.join(tmp, "bulkhead")
        with open(fake, "w") as f:
            f.write(FAKE_BULKHEAD % os.path.dirname(os.path.abspath(__file__)))
        os.chmod(fake, 0o755)
        p = subprocess.run([sys.executable, os.path.abspath(__file__), fake, data_dir] + names,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    if p.returncode != 0:
        return ["end to end with a stand-in bulkhead (%s): exit %d\n%s" %
                (", ".join(names), p.returncode, p.stdout.decode(errors="replace"))]
    return []


def self_test(data_dir):
    out = selftest_logic()
    print("%s self-test logic: synthetic connections, EVE and mutations" % ("FAIL" if out else "PASS"))
    for o in out:
        print("  " + o)
    if not shutil.which("tshark"):
        print("SKIP self-test pcaps: tshark not installed (package tshark)")
        return 1 if out else 77
    more, n = selftest_pcaps(data_dir)
    if data_dir and not more:
        more = selftest_main(data_dir)
    print("%s self-test pcaps: hand-written pcap through tshark, %d pcaps of %s with synthesised "
          "alerts, a stand-in bulkhead end to end" % ("FAIL" if more else "PASS", n, data_dir or "(no DATA_DIR)"))
    for o in more:
        print("  " + o)
    return 1 if out or more else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "--self-test":
        return self_test(argv[2] if len(argv) > 2 else None)
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed (package tshark)")
        return 77
    return main_check(argv[1], argv[2], argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
