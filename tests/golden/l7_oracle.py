#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""l7_oracle.py - expected L7 events of a real capture, read by tshark.

Usage: l7_oracle.py [--decode-as tcp.port==N,PROTO]... PCAP OUT.json
       l7_oracle.py --all DATADIR OUTDIR   (every DATADIR/l7-*.pcap -> OUTDIR/l7-*.expect.json)

An independent oracle for tests/golden/l7_check.py: it never runs bulkhead.
It reads the capture with `tshark -T json` (TCP and HTTP body reassembly on,
chunked bodies decoded) and writes the transactions as bulkhead's events
(../shared/interfaces.md), in capture order:

  http  one per request, paired in order with the next final (non-1xx)
        response of the same TCP stream: hostname (Host without port,
        lower-case; an IPv6 literal without its brackets), url (raw request target), url_normalized, http_method,
        protocol, http_user_agent, http_content_type (request), status,
        length (response body bytes: sum of chunk sizes when chunked, 0 for
        HEAD and 1xx/204/304, else Content-Length).
  dns   one per message: type query/answer, id, rrname (lower-case), rrtype;
        answers also rcode and answers [{rrname, rrtype, ttl, rdata}] in
        wire order ([] when none; rdata only for A, AAAA, CNAME, PTR and NS,
        whose text form is unambiguous; names lower-case).
  sql   one per COM_QUERY (kind query), COM_STMT_PREPARE (prepare),
        COM_INIT_DB (init_db, statement = the schema name as sent) for MySQL;
        one per simple Query (query) and Parse (parse) for PostgreSQL. user and
        database from the login / StartupMessage (PostgreSQL: database
        defaults to the user); `database` is the session's database when the
        statement was sent: a MySQL COM_INIT_DB changes it only if the server
        answered OK.
  tls   one per ClientHello: sni, version (highest non-GREASE
        supported_versions entry, else the ClientHello version).

`url_normalized` is the one field tshark does not give: it is computed here
from the raw target by RFC 3986 rules (path only; percent-decoding, then
dot-segment removal, then runs of '/' collapsed to one); the captures only
use targets where the order of those steps does not matter.

Fields tshark cannot vouch for (sql.commands, flow_id, timestamps) are left
out; l7_check.py compares only the fields present here. A null value means
"absent or null". Keys starting with '_' are notes (frame numbers, ...), not
compared.

TLS is decoded on any port whose first client bytes are a TLS ClientHello
record (TLS on a plain-text port); other decode-as rules can be given.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

TIMEOUT = 300

TSHARK_PREFS = [
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "tcp.reassemble_out_of_order:TRUE",
    "-o", "http.desegment_headers:TRUE",
    "-o", "http.desegment_body:TRUE",
    "-o", "http.dechunk_body:TRUE",
    "-o", "http.decompress_body:FALSE",
    "-o", "dns.desegment_dns_messages:TRUE",
    "-o", "mysql.desegment_buffers:TRUE",
    "-o", "tls.desegment_ssl_records:TRUE",
    "-o", "tls.desegment_ssl_application_data:TRUE",
]

RRTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
           28: "AAAA", 33: "SRV", 35: "NAPTR", 39: "DNAME", 41: "OPT", 43: "DS", 46: "RRSIG",
           47: "NSEC", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 99: "SPF", 252: "AXFR", 255: "ANY",
           257: "CAA"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}
RDATA_FIELDS = {"A": "dns.a", "AAAA": "dns.aaaa", "CNAME": "dns.cname",
                "PTR": "dns.ptr.domain_name", "NS": "dns.ns"}
TLS_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
                0x0304: "TLS 1.3"}
MYSQL_KINDS = {3: "query", 22: "prepare", 2: "init_db"}


class Obj(list):
    """A JSON object as an ordered list of (key, value): tshark repeats keys."""


def tshark(args):
    r = subprocess.run(["tshark", "-n"] + TSHARK_PREFS + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("tshark %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout.decode(errors="surrogateescape")


def walk(obj):
    """Depth-first (key, value) pairs of an Obj tree, leaves only, in order."""
    for k, v in obj:
        if isinstance(v, Obj):
            yield from walk(v)
        else:
            yield k, v


def first(obj, key, default=None):
    for k, v in walk(obj):
        if k == key:
            return v
    return default


def subtree(obj, key):
    for k, v in obj:
        if k == key and isinstance(v, Obj):
            return v
        if isinstance(v, Obj):
            r = subtree(v, key)
            if r is not None:
                return r
    return None


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def as_int(s):
    s = str(s)
    return int(s, 16) if s.lower().startswith("0x") else int(s)


# ----------------------------------------------------------------- frames

class Frame:
    __slots__ = ("num", "time", "src", "dst", "proto", "sport", "dport", "stream", "syn", "ack",
                 "layers")


def read_frames(pcap, decode_as):
    args = ["-r", pcap, "-T", "json", "-J", "frame ip ipv6 tcp udp http dns mysql pgsql tls"]
    for d in decode_as:
        args += ["-d", d]
    data = json.loads(tshark(args), object_pairs_hook=Obj)
    frames = []
    for pkt in data:
        layers = dict(pkt).get("_source")
        layers = dict(layers).get("layers") if layers else None
        if layers is None:
            continue
        f = Frame()
        f.layers = layers
        f.num = as_int(first(layers, "frame.number"))
        f.time = first(layers, "frame.time_epoch")
        ips = [(k, v) for k, v in layers if k in ("ip", "ipv6")]
        if len(ips) != 1:
            continue        # not IP, or an ICMP error quoting a packet
        k, ip = ips[0]
        f.src = norm_ip(first(ip, k + ".src"))
        f.dst = norm_ip(first(ip, k + ".dst"))
        tcp = [v for k, v in layers if k == "tcp"]
        udp = [v for k, v in layers if k == "udp"]
        if tcp:
            t = tcp[0]
            f.proto = "TCP"
            f.sport, f.dport = as_int(first(t, "tcp.srcport")), as_int(first(t, "tcp.dstport"))
            f.stream = ("TCP", as_int(first(t, "tcp.stream")))
            f.syn = first(t, "tcp.flags.syn") in ("1", "True")
            f.ack = first(t, "tcp.flags.ack") in ("1", "True")
        elif udp:
            u = udp[0]
            f.proto = "UDP"
            f.sport, f.dport = as_int(first(u, "udp.srcport")), as_int(first(u, "udp.dstport"))
            f.stream = ("UDP", as_int(first(u, "udp.stream")))
            f.syn = f.ack = False
        else:
            continue
        frames.append(f)
    return frames


def tls_ports(pcap):
    """Server ports of TCP streams whose first client payload is a TLS ClientHello."""
    text = tshark(["-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-E", "separator=\t",
                   "-e", "tcp.stream", "-e", "tcp.dstport", "-e", "tcp.payload"])
    seen, ports = set(), set()
    for line in text.splitlines():
        v = line.split("\t")
        if len(v) < 3 or v[0] in seen:
            continue
        seen.add(v[0])
        p = bytes.fromhex(v[2].replace(":", ""))
        if len(p) >= 6 and p[0] == 0x16 and p[1] == 0x03 and p[2] <= 0x04 and p[5] == 0x01:
            ports.add(int(v[1]))
    return sorted(ports)


# ----------------------------------------------------------------- helpers

class Flows:
    """Client side of each stream: the sender of the first SYN without ACK, else
    of the first frame (UDP: the first datagram)."""

    def __init__(self, frames):
        self.client = {}
        for f in frames:
            cur = self.client.get(f.stream)
            syn = f.syn and not f.ack
            if cur is None or (syn and not cur[2]):
                self.client[f.stream] = (f.src, f.sport, syn)

    def from_client(self, f):
        c = self.client[f.stream]
        return (f.src, f.sport) == (c[0], c[1])

    def common(self, f, app_proto, event_type):
        if self.from_client(f):
            s, sp, d, dp = f.src, f.sport, f.dst, f.dport
        else:
            s, sp, d, dp = f.dst, f.dport, f.src, f.sport
        return {"event_type": event_type, "src_ip": s, "src_port": sp, "dest_ip": d,
                "dest_port": dp, "proto": f.proto, "app_proto": app_proto}


def layer_list(f, name):
    return [v for k, v in f.layers if k == name]


def remove_dot_segments(path):
    """RFC 3986 section 5.2.4."""
    inp, out = path, []
    while inp:
        if inp.startswith("../"):
            inp = inp[3:]
        elif inp.startswith("./"):
            inp = inp[2:]
        elif inp.startswith("/./"):
            inp = inp[2:]
        elif inp == "/.":
            inp = "/"
        elif inp.startswith("/../"):
            inp = inp[3:]
            if out:
                out.pop()
        elif inp == "/..":
            inp = "/"
            if out:
                out.pop()
        elif inp in (".", ".."):
            inp = ""
        else:
            m = re.match(r"^/?[^/]*", inp)
            out.append(m.group(0))
            inp = inp[m.end():]
    return "".join(out)


def normalize_url(target):
    path = target
    m = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*", path)   # absolute-form
    if m:
        path = path[m.end():] or "/"
    path = re.split(r"[?#]", path, 1)[0]
    path = urllib.parse.unquote(path, errors="surrogateescape")
    path = remove_dot_segments(path)
    path = re.sub(r"/{2,}", "/", path)
    return path


def norm_host(h):
    if h is None:
        return None
    h = h.strip().lower()
    if h.startswith("["):  # an IPv6 literal: the address, as policies name it
        return h[1:h.index("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if ":" in h else h


# ----------------------------------------------------------------- protocols

def http_events(frames, flows):
    reqs, resps = {}, {}
    for f in frames:
        if f.proto != "TCP":
            continue
        for h in layer_list(f, "http"):
            if first(h, "http.request.method") is not None and flows.from_client(f):
                reqs.setdefault(f.stream, []).append((f, h))
            elif first(h, "http.response.code") is not None and not flows.from_client(f):
                code = as_int(first(h, "http.response.code"))
                if 100 <= code < 200 and code != 101:
                    continue        # interim (100 Continue): not the transaction's answer
                resps.setdefault(f.stream, []).append((f, h))
    events = []
    for stream, rl in reqs.items():
        sl = resps.get(stream, [])
        for i, (f, h) in enumerate(rl):
            method = first(h, "http.request.method")
            uri = first(h, "http.request.uri")
            e = flows.common(f, "http", "http")
            e["_frame"] = f.num
            e["http"] = {
                "hostname": norm_host(first(h, "http.host")),
                "url": uri,
                "url_normalized": normalize_url(uri),
                "http_method": method,
                "protocol": first(h, "http.request.version"),
                "http_user_agent": first(h, "http.user_agent"),
                "http_content_type": first(h, "http.content_type"),
            }
            if i < len(sl):
                rf, r = sl[i]
                code = as_int(first(r, "http.response.code"))
                chunks = [as_int(v) for k, v in walk(r) if k == "http.chunk_size"]
                te = (first(r, "http.transfer_encoding") or "").lower()
                if method == "HEAD" or code in (204, 304) or code < 200:
                    length = 0
                elif "chunked" in te:
                    length = sum(chunks)
                elif first(r, "http.content_length") is not None:
                    length = as_int(first(r, "http.content_length"))
                else:
                    length = len((first(r, "http.file_data") or "").encode("utf-8", "surrogateescape"))
                e["http"]["status"] = code
                e["http"]["length"] = length
                e["_response_frame"] = rf.num
            events.append((f.num, i, e))
    return events


def dns_events(frames, flows):
    events = []
    for f in frames:
        for idx, d in enumerate(layer_list(f, "dns")):
            is_resp = first(d, "dns.flags.response") in ("1", "True")
            e = flows.common(f, "dns", "dns")
            e["_frame"] = f.num
            qtype = first(d, "dns.qry.type")
            qname = first(d, "dns.qry.name")
            x = {"type": "answer" if is_resp else "query",
                 "id": as_int(first(d, "dns.id")),
                 "rrname": qname.lower() if qname is not None else None,
                 "rrtype": RRTYPES.get(as_int(qtype), str(as_int(qtype))) if qtype is not None else None}
            if is_resp:
                x["rcode"] = RCODES.get(as_int(first(d, "dns.flags.rcode")), str(first(d, "dns.flags.rcode")))
                answers = []
                sec = subtree(d, "Answers")
                for _, rr in (sec or []):
                    if not isinstance(rr, Obj):
                        continue
                    t = as_int(first(rr, "dns.resp.type"))
                    tn = RRTYPES.get(t, str(t))
                    a = {"rrname": first(rr, "dns.resp.name").lower(), "rrtype": tn,
                         "ttl": as_int(first(rr, "dns.resp.ttl"))}
                    if tn in RDATA_FIELDS:
                        v = first(rr, RDATA_FIELDS[tn])
                        if tn in ("CNAME", "PTR", "NS"):
                            v = v.lower()
                        elif tn == "AAAA":
                            v = norm_ip(v)
                        a["rdata"] = v
                    answers.append(a)
                x["answers"] = answers
            e["dns"] = x
            events.append((f.num, idx, e))
    return events


def mysql_events(frames, flows):
    st = {}
    events = []
    for f in frames:
        if f.proto != "TCP":
            continue
        for idx, m in enumerate(layer_list(f, "mysql")):
            s = st.setdefault(f.stream, {"user": None, "database": None, "pending": None})
            if flows.from_client(f):
                if first(m, "mysql.user") is not None:
                    s["user"] = first(m, "mysql.user")
                    s["database"] = first(m, "mysql.schema")
                    continue
                cmd = first(m, "mysql.command")
                if cmd is None or as_int(cmd) not in MYSQL_KINDS:
                    continue
                kind = MYSQL_KINDS[as_int(cmd)]
                stmt = first(m, "mysql.schema") if kind == "init_db" else first(m, "mysql.query")
                e = flows.common(f, "mysql", "sql")
                e["_frame"] = f.num
                e["sql"] = {"dialect": "mysql", "user": s["user"], "database": s["database"],
                            "statement": stmt, "kind": kind}
                events.append((f.num, idx, e))
                if kind == "init_db":
                    s["pending"] = stmt
            else:
                rc = first(m, "mysql.response_code")
                if rc is not None and s["pending"] is not None:
                    if as_int(rc) == 0:
                        s["database"] = s["pending"]
                    s["pending"] = None
    return events


def pgsql_events(frames, flows):
    st = {}
    events = []
    for f in frames:
        if f.proto != "TCP" or not flows.from_client(f):
            continue
        for idx, p in enumerate(layer_list(f, "pgsql")):
            s = st.setdefault(f.stream, {"user": None, "database": None})
            t = first(p, "pgsql.type")
            if t == "Startup message":
                names = [v for k, v in walk(p) if k == "pgsql.parameter_name"]
                values = [v for k, v in walk(p) if k == "pgsql.parameter_value"]
                params = dict(zip(names, values))
                s["user"] = params.get("user")
                s["database"] = params.get("database") or params.get("user")
                continue
            if t not in ("Simple query", "Parse"):
                continue
            e = flows.common(f, "pgsql", "sql")
            e["_frame"] = f.num
            e["sql"] = {"dialect": "pgsql", "user": s["user"], "database": s["database"],
                        "statement": first(p, "pgsql.query"),
                        "kind": "query" if t == "Simple query" else "parse"}
            if t == "Parse" and first(p, "pgsql.statement"):
                e["_statement_name"] = first(p, "pgsql.statement")
            events.append((f.num, idx, e))
    return events


def tls_events(frames, flows):
    events = []
    for f in frames:
        if f.proto != "TCP" or not flows.from_client(f):
            continue
        n = 0
        for t in layer_list(f, "tls"):
            hellos = []
            for k, v in walk(t):
                if k == "tls.handshake.type":
                    hellos.append({"type": as_int(v), "sv": []})
                elif not hellos:
                    continue
                elif k == "tls.handshake.version":
                    hellos[-1]["version"] = as_int(v)
                elif k == "tls.handshake.extensions_server_name":
                    hellos[-1]["sni"] = v
                elif k == "tls.handshake.extensions.supported_version":
                    hellos[-1]["sv"].append(as_int(v))
            for h in hellos:
                if h["type"] != 1:
                    continue
                sv = [v for v in h["sv"] if (v & 0x0f0f) != 0x0a0a]
                ver = max(sv) if sv else h.get("version")
                e = flows.common(f, "tls", "tls")
                e["_frame"] = f.num
                e["tls"] = {"sni": h.get("sni"), "version": TLS_VERSIONS.get(ver, "0x%04x" % ver)}
                if e["dest_port"] != 443:
                    e["_note"] = "TLS on a plain-text port"
                    e["_allow_anomaly"] = True
                events.append((f.num, n, e))
                n += 1
    return events


# ----------------------------------------------------------------- main

def oracle(pcap, decode_as=()):
    ports = tls_ports(pcap)
    da = list(decode_as)
    da += [d for d in ("tcp.port==%d,tls" % p for p in ports if p != 443) if d not in da]
    frames = read_frames(pcap, da)
    flows = Flows(frames)
    evs = (http_events(frames, flows) + dns_events(frames, flows) + mysql_events(frames, flows) +
           pgsql_events(frames, flows) + tls_events(frames, flows))
    evs.sort(key=lambda t: (t[0], t[1]))
    out = []
    for _, _, e in evs:
        e["pcap_file"] = os.path.basename(pcap)
        out.append(e)
    return {"pcap": os.path.basename(pcap),
            "generator": "tests/golden/l7_oracle.py (tshark -T json)",
            "decode_as": da,
            "events": out}


KEY_ORDER = ["event_type", "pcap_file", "src_ip", "src_port", "dest_ip", "dest_port", "proto",
             "app_proto", "http", "dns", "sql", "tls"]


def dumps(doc):
    """One event per line: reviewable diffs."""
    lines = ["{"]
    lines.append('  "pcap": %s,' % json.dumps(doc["pcap"]))
    lines.append('  "generator": %s,' % json.dumps(doc["generator"]))
    lines.append('  "decode_as": %s,' % json.dumps(doc["decode_as"]))
    lines.append('  "events": [')
    evs = []
    for e in doc["events"]:
        keys = [k for k in KEY_ORDER if k in e] + sorted(k for k in e if k not in KEY_ORDER)
        evs.append("    " + json.dumps({k: e[k] for k in keys}, ensure_ascii=False))
    lines.append(",\n".join(evs))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv):
    args = argv[1:]
    decode_as = []
    while args and args[0] == "--decode-as":
        decode_as.append(args[1])
        args = args[2:]
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return 77
    if len(args) == 3 and args[0] == "--all":
        datadir, outdir = args[1], args[2]
        os.makedirs(outdir, exist_ok=True)
        names = sorted(n for n in os.listdir(datadir) if n.startswith("l7-") and n.endswith(".pcap"))
        for n in names:
            doc = oracle(os.path.join(datadir, n), decode_as)
            path = os.path.join(outdir, n[:-len(".pcap")] + ".expect.json")
            with open(path, "w") as fh:
                fh.write(dumps(doc))
            print("%s: %d events" % (path, len(doc["events"])))
        return 0
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    doc = oracle(args[0], decode_as)
    with open(args[1], "w") as fh:
        fh.write(dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
