#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""craft_l7.py - crafted pcaps of tests/data/crafted-l7/: L7 anomalies and evasions.

Usage:  /usr/bin/python3 tests/data/craft_l7.py [OUTDIR]     (default: tests/data/crafted-l7)
        /usr/bin/python3 tests/data/craft_l7.py --check [DIR]
            regenerate into a temporary directory and compare byte for byte
            with DIR (default: tests/data/crafted-l7); exit 1 on any
            difference, 77 when scapy is missing.

One scenario per L7 anomaly or evasion of issue 3 (HTTP, DNS, MySQL,
PostgreSQL, TLS, unknown protocols). Every message is built byte by byte here
(no client or server library), and every expectation is written from how the
capture was built and what the parser contracts (dpi/dpi_*.h) and
../shared/interfaces.md promise, never from bulkhead's output.

The packets, timestamps and the pcap container come from craft.py (same
directory; imported, not modified): fixed times from 2026-01-01T00:00:00Z in
1 ms steps, fixed ISNs, IP ids and MACs, client 10.0.0.1, server 10.0.0.2.

Expectation format: craft.py's (flows, anomalies, anomalies_optional,
flows_exhaustive, anomalies_exhaustive: checked unchanged by
crafted_check.py), plus (checked by tests/golden/crafted_l7_check.py):

  flows[i].app_proto       the flow event's app_proto (http, dns, mysql, pgsql,
                           tls, unknown); L7 events of the flow carry it too
  flows[i].l7              the flow's L7 events (http, dns, sql, tls) in order:
                           {"event_type": "http", "http": {field: value}}; only
                           the fields listed are compared (l7_check.compare:
                           null = absent or null, [] also accepts absent);
                           "_optional": true = may be missing (when present it
                           must match); keys starting with "_" are notes
  anomalies[j].src_port    (optional) client port of the flow of each
                           occurrence (a list, one entry per count)
  l7_exhaustive            no L7 event beyond those listed
  applayer_exhaustive      no "applayer" anomaly beyond those listed in
                           anomalies / anomalies_optional (bulkhead reports
                           every parser anomaly with type "applayer")
"""

import hashlib
import json
import os
import struct
import sys
import tempfile
import filecmp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import craft  # noqa: E402  (exits 77 when scapy is missing)
from craft import (Scenario, Tcp, udp_l3, stream_exp, C4, S4,  # noqa: E402
                   TH_FIN, TH_PSH, TH_ACK)

PA = TH_PSH | TH_ACK


def prng(tag, n):
    """n deterministic pseudo-random bytes."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (tag, i)).digest()
        i += 1
    return out[:n]


class L7Scenario(Scenario):
    def __init__(self, name, description):
        super().__init__(name, description)
        self.l7_exhaustive = True
        self.applayer_exhaustive = True

    def anomaly(self, typ, event, pcap_cnt=None, count=1, src_port=None):
        """Like craft.py's; the same anomaly on several flows is one entry
        (crafted_check.py counts by type and event) whose src_port lists the
        client port of each occurrence."""
        for a in self.anomalies:
            if (a["type"], a["event"]) == (typ, event):
                assert ("pcap_cnt" in a) == (pcap_cnt is not None)
                assert ("src_port" in a) == (src_port is not None)
                a["count"] += count
                if pcap_cnt is not None:
                    a["pcap_cnt"] += pcap_cnt if isinstance(pcap_cnt, list) else [pcap_cnt]
                if src_port is not None:
                    a["src_port"] += [src_port] * count
                return
        super().anomaly(typ, event, pcap_cnt, count)
        if src_port is not None:
            self.anomalies[-1]["src_port"] = [src_port] * count

    def write(self, outdir):
        craft.write_pcap(os.path.join(outdir, self.name + ".pcap"), self.linktype, self.records)
        exp = {
            "pcap": self.name + ".pcap",
            "description": self.description,
            "exit": self.exit,
            "flows": [f.expect() for f in self.flows],
            "flows_exhaustive": self.flows_exhaustive,
            "anomalies": self.anomalies,
            "anomalies_optional": self.optional,
            "anomalies_exhaustive": self.anomalies_exhaustive,
            "l7_exhaustive": self.l7_exhaustive,
            "applayer_exhaustive": self.applayer_exhaustive,
        }
        with open(os.path.join(outdir, self.name + ".expect.json"), "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)
            f.write("\n")


def conn(sc, cport, sport, app_proto, l7=None, **kw):
    t = Tcp(sc, cport=cport, sport=sport, **kw)
    t.f.extra = {"app_proto": app_proto, "l7": l7 if l7 is not None else []}
    return t


def closed(t, **extra):
    t.f.extra["state"] = "closed"
    t.f.extra.update(extra)


def ev(event_type, **fields):
    return {"event_type": event_type, event_type: fields}


def opt(e, why):
    """An expected event the contracts leave open: it may be missing."""
    e["_optional"] = True
    e["_note"] = why
    return e


def note(e, why):
    e["_note"] = why
    return e


# Requests whose head was parsed but whose body framing fails are still
# reported (without a status: no response follows): dpi_http.h calls
# on_request "once per request", and reports the started message on the other
# ways a direction ends (a gap: "a request not yet reported is reported now",
# end of stream: "reported with DPI_HTTP_F_INCOMPLETE"); a request the policy
# never sees would let a bad body hide its URL from the firewall while a
# streaming proxy forwards the head.
FRAMING_NOTE = "head complete, body framing invalid: still reported (once per request)"


# ================================================================= HTTP

def req(method, target, host, ua=b"craft-l7/1.0", extra=b"", body=b"", proto=b"HTTP/1.1",
        eol=b"\r\n"):
    h = b"%s %s %s%s" % (method, target, proto, eol)
    if host is not None:
        h += b"Host: %s%s" % (host, eol)
    if ua is not None:
        h += b"User-Agent: %s%s" % (ua, eol)
    return h + extra + eol + body


def resp(status, reason, body=b"", extra=b"", cl=True):
    h = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    if cl:
        h += b"Content-Length: %d\r\n" % len(body)
    return h + extra + b"\r\n" + body


def http_ev(method, url, norm, host, ua="craft-l7/1.0", **more):
    f = {"http_method": method, "url": url, "url_normalized": norm, "hostname": host,
         "protocol": "HTTP/1.1", "http_user_agent": ua}
    f.update(more)
    return ev("http", **f)


def exchange(t, request, response, close=True):
    """Request in one segment, ACK, response in one segment, ACK; returns the
    request's packet number."""
    n = t.send(0, PA, request)
    t.send(1, TH_ACK)
    t.send(1, PA, response)
    t.send(0, TH_ACK)
    if close:
        t.close()
    return n


def http_tiny_segments():
    sc = L7Scenario("http-tiny-segments", "A request sent one byte per TCP segment (port "
                    "80): one http event with every field right, no anomaly.")
    t = conn(sc, 41000, 80, "http", [http_ev("GET", "/tiny/path?x=1", "/tiny/path", "tiny.example",
                                             ua="tiny-ua/2", status=200, length=5)])
    t.handshake()
    r = req(b"GET", b"/tiny/path?x=1", b"tiny.example", ua=b"tiny-ua/2")
    for i in range(len(r)):
        t.send(0, PA, r[i:i + 1])
    t.send(1, TH_ACK)
    t.send(1, PA, resp(200, b"OK", b"hello"))
    t.send(0, TH_ACK)
    t.close()
    closed(t, content={"toserver": r.hex()})
    return sc


def http_ooo_request_line():
    sc = L7Scenario("http-ooo-request-line", "The request line is cut in 4 segments sent "
                    "3,1,4,2 (the rest of the head follows in order), on port 9001 (no port "
                    "hint: detected by content).")
    t = conn(sc, 41001, 9001, "http", [http_ev("GET", "/reordered/request/line.html",
                                               "/reordered/request/line.html", "ooo.example",
                                               status=200, length=2)])
    t.handshake()
    r = req(b"GET", b"/reordered/request/line.html", b"ooo.example")
    line_end = r.index(b"\r\n") + 2
    cuts = [0, 5, 16, 27, line_end]
    base = t.nxt[0]
    for i in (2, 0, 3, 1):
        t.send(0, PA, r[cuts[i]:cuts[i + 1]], seq=base + cuts[i])
    t.nxt[0] = base + line_end
    t.send(0, PA, r[line_end:])
    t.send(1, TH_ACK)
    t.send(1, PA, resp(200, b"OK", b"ok"))
    t.send(0, TH_ACK)
    t.close()
    closed(t, content={"toserver": r.hex()})
    return sc


def http_pipelined():
    sc = L7Scenario("http-pipelined", "Three requests (GET, POST with a form body, GET) in one "
                    "segment, then their three responses in one segment: three http events in "
                    "order, each with its own status and length.")
    evs = [http_ev("GET", "/p1", "/p1", "pipe.example", status=200, length=3),
           http_ev("POST", "/p2?q=1", "/p2", "pipe.example", status=404, length=9,
                   request_length=7, http_content_type="application/x-www-form-urlencoded"),
           http_ev("GET", "/p3", "/p3", "pipe.example", status=200, length=2)]
    t = conn(sc, 41002, 80, "http", evs)
    t.handshake()
    body = b"a=1&b=2"
    r = (req(b"GET", b"/p1", b"pipe.example") +
         req(b"POST", b"/p2?q=1", b"pipe.example",
             extra=b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n",
             body=body) +
         req(b"GET", b"/p3", b"pipe.example"))
    rs = resp(200, b"OK", b"one") + resp(404, b"Not Found", b"not found") + resp(200, b"OK", b"ok")
    exchange(t, r, rs)
    closed(t)
    return sc


def http_keepalive():
    sc = L7Scenario("http-keepalive", "Three request/response pairs on one connection (port "
                    "8080); the third response has no Content-Length and ends when the server "
                    "closes (length = bytes up to its FIN).")
    body3 = b"closing-body-0123456789"
    evs = [http_ev("GET", "/k1", "/k1", "keep.example", status=200, length=4),
           http_ev("GET", "/k2", "/k2", "keep.example", status=200, length=6),
           http_ev("GET", "/k3", "/k3", "keep.example", status=200, length=len(body3))]
    t = conn(sc, 41003, 8080, "http", evs)
    t.handshake()
    exchange(t, req(b"GET", b"/k1", b"keep.example"), resp(200, b"OK", b"k1k1"), close=False)
    exchange(t, req(b"GET", b"/k2", b"keep.example"), resp(200, b"OK", b"k2k2k2"), close=False)
    exchange(t, req(b"GET", b"/k3", b"keep.example", extra=b"Connection: close\r\n"),
             resp(200, b"OK", body3, extra=b"Connection: close\r\n", cl=False), close=False)
    t.send(1, TH_FIN | TH_ACK)
    t.send(0, TH_FIN | TH_ACK)
    t.send(1, TH_ACK)
    closed(t)
    return sc


def http_chunked_request_ext():
    sc = L7Scenario("http-chunked-request-ext", "A chunked POST whose chunk-size lines carry "
                    "odd but valid (RFC 9112 7.1.1) extensions: name=value, BWS around ';' and "
                    "'=', a quoted string holding ';' and an escaped quote, upper-case and "
                    "zero-padded hex sizes, an extension on the last chunk. De-chunked body "
                    "21 bytes; no anomaly.")
    chunks = (b"5;name=val\r\nhello\r\n"
              b"6 ; quoted = \"a;b\\\"c\"\r\n world\r\n"
              b"00A;x\r\n0123456789\r\n"
              b"0;last=1\r\n\r\n")
    evs = [http_ev("POST", "/upload/chunks", "/upload/chunks", "chunk.example", status=201,
                   length=0, request_length=21, http_content_type="text/plain")]
    t = conn(sc, 41004, 80, "http", evs)
    t.handshake()
    r = req(b"POST", b"/upload/chunks", b"chunk.example",
            extra=b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n", body=chunks)
    exchange(t, r, resp(201, b"Created"))
    closed(t)
    return sc


def http_chunked_response():
    sc = L7Scenario("http-chunked-response", "A chunked response (chunks of 4, 16 and 1 bytes "
                    "and a trailer field) spread over 3 segments cut inside size lines and data: "
                    "length is the de-chunked size, 21.")
    evs = [http_ev("GET", "/stream", "/stream", "chunkresp.example", status=200, length=21)]
    t = conn(sc, 41005, 80, "http", evs)
    t.handshake()
    t.send(0, PA, req(b"GET", b"/stream", b"chunkresp.example"))
    t.send(1, TH_ACK)
    rs = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
          b"4\r\nabcd\r\n10\r\n0123456789abcdef\r\n1\r\nZ\r\n0\r\nX-Sum: 21\r\n\r\n")
    a = rs.index(b"4\r\n") + 1
    b = rs.index(b"456789")
    for piece in (rs[:a], rs[a:b], rs[b:]):
        t.send(1, PA, piece)
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def http_cl_te_both():
    sc = L7Scenario("http-cl-te-both", "A POST with Content-Length: 4 and Transfer-Encoding: "
                    "chunked (request smuggling): http.cl_te_both; Transfer-Encoding wins "
                    "(RFC 9112 6.3), so the body is the 4 de-chunked bytes and the whole "
                    "chunked body is consumed without a parse error.")
    evs = [http_ev("POST", "/smuggle", "/smuggle", "smuggle.example", status=200, length=2,
                   request_length=4)]
    t = conn(sc, 41006, 80, "http", evs)
    t.handshake()
    r = req(b"POST", b"/smuggle", b"smuggle.example",
            extra=b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            body=b"4\r\nwxyz\r\n0\r\n\r\n")
    n = exchange(t, r, resp(200, b"OK", b"ok"))
    sc.anomaly("applayer", "http.cl_te_both", n)
    closed(t)
    return sc


def http_chunk_invalid():
    sc = L7Scenario("http-chunk-invalid", "Chunked POSTs whose first chunk size is 'zz' (flow "
                    "1) or 2^64 = 10000000000000000 hex (overflow, flow 2): http.chunk_invalid, "
                    "framing lost (-EBADMSG: applayer.parse_error). No response. The request "
                    "is still reported, without status (see FRAMING_NOTE).")
    for cport, size, path in ((41007, b"zz", b"/bad-chunk"),
                              (41022, b"10000000000000000", b"/huge-chunk")):
        e = note(http_ev("POST", path.decode(), path.decode(), "chunk.example", status=None),
                 FRAMING_NOTE)
        t = conn(sc, cport, 80, "http", [e])
        t.handshake()
        r = req(b"POST", path, b"chunk.example", extra=b"Transfer-Encoding: chunked\r\n",
                body=size + b"\r\nhello\r\n0\r\n\r\n")
        n = t.send(0, PA, r)
        t.send(1, TH_ACK)
        t.close()
        sc.anomaly("applayer", "http.chunk_invalid", n, src_port=cport)
        sc.anomaly("applayer", "applayer.parse_error", n, src_port=cport)
        closed(t)
    return sc


def http_cl_overflow():
    sc = L7Scenario("http-cl-overflow", "Content-Length: 99999999999999999999 (flow 1) and "
                    "18446744073709551616 (2^64, one past the largest 64-bit value; flow 2): "
                    "http.content_length_invalid and the direction fails "
                    "(applayer.parse_error). No response; the request is still reported, "
                    "without status (see FRAMING_NOTE).")
    for cport, cl, path in ((41008, b"99999999999999999999", b"/overflow"),
                            (41023, b"18446744073709551616", b"/overflow-by-one")):
        e = note(http_ev("POST", path.decode(), path.decode(), "cl.example", status=None),
                 FRAMING_NOTE)
        t = conn(sc, cport, 80, "http", [e])
        t.handshake()
        r = req(b"POST", path, b"cl.example", extra=b"Content-Length: " + cl + b"\r\n",
                body=b"data")
        n = t.send(0, PA, r)
        t.send(1, TH_ACK)
        t.close()
        sc.anomaly("applayer", "http.content_length_invalid", n, src_port=cport)
        sc.anomaly("applayer", "applayer.parse_error", n, src_port=cport)
        closed(t)
    return sc


def http_cl_duplicate():
    sc = L7Scenario("http-cl-duplicate", "Flow 1: two Content-Length fields that agree (5, 5): "
                    "http.content_length_duplicate, the request is reported with its 5-byte "
                    "body. Flow 2: two that disagree (5, 6): http.content_length_invalid and "
                    "the direction fails (applayer.parse_error); that request is still reported, "
                    "without status (see FRAMING_NOTE).")
    t = conn(sc, 41009, 80, "http", [http_ev("POST", "/dup-same", "/dup-same", "dup.example",
                                             status=200, length=2, request_length=5)])
    t.handshake()
    n1 = exchange(t, req(b"POST", b"/dup-same", b"dup.example",
                         extra=b"Content-Length: 5\r\nContent-Length: 5\r\n", body=b"12345"),
                  resp(200, b"OK", b"ok"))
    closed(t)
    e = note(http_ev("POST", "/dup-differ", "/dup-differ", "dup.example", status=None),
             FRAMING_NOTE)
    u = conn(sc, 41010, 80, "http", [e])
    u.handshake()
    n2 = u.send(0, PA, req(b"POST", b"/dup-differ", b"dup.example",
                           extra=b"Content-Length: 5\r\nContent-Length: 6\r\n", body=b"123456"))
    u.send(1, TH_ACK)
    u.close()
    closed(u)
    sc.anomaly("applayer", "http.content_length_duplicate", n1, src_port=41009)
    sc.anomaly("applayer", "http.content_length_invalid", n2, src_port=41010)
    sc.anomaly("applayer", "applayer.parse_error", n2, src_port=41010)
    return sc


def http_header_count():
    sc = L7Scenario("http-header-count", "Flow 1: a request with 2 + 118 header fields (over "
                    "DPI_HTTP_MAX_HEADERS = 100, head about 1.3 KiB): http.header_limit; the "
                    "request is still reported (only a head over 16 KiB is fatal). Flow 2: "
                    "exactly 100 fields: no anomaly.")
    for cport, nx, path in ((41011, 118, b"/many-headers"), (41024, 98, b"/hundred-headers")):
        evs = [http_ev("GET", path.decode(), path.decode(), "hdr.example", status=200, length=0)]
        t = conn(sc, cport, 80, "http", evs)
        t.handshake()
        extra = b"".join(b"X-H%03d: v\r\n" % i for i in range(nx))
        n = exchange(t, req(b"GET", path, b"hdr.example", extra=extra), resp(200, b"OK"))
        if nx + 2 > 100:
            sc.anomaly("applayer", "http.header_limit", n, src_port=cport)
        closed(t)
    return sc


def http_head_too_large():
    sc = L7Scenario("http-head-too-large", "Flow 1: a request head of 16385 bytes (one long "
                    "header value; start line, fields and the final CRLF counted), in 12 "
                    "segments, one over DPI_HTTP_MAX_HEAD: http.header_limit, the direction "
                    "fails (applayer.parse_error); the head never completes, so no http event; "
                    "the server only ACKs. Flow 2: a head of exactly 16384 bytes: reported, no "
                    "anomaly.")
    for cport, size, path in ((41012, 16385, b"/huge-head"), (41025, 16384, b"/max-head")):
        pad = size - len(req(b"GET", path, b"big.example", extra=b"X-Big: \r\n"))
        r = req(b"GET", path, b"big.example", extra=b"X-Big: " + b"b" * pad + b"\r\n")
        assert len(r) == size
        if size > 16384:
            t = conn(sc, cport, 80, "http", [])
        else:
            t = conn(sc, cport, 80, "http", [http_ev("GET", path.decode(), path.decode(),
                                                     "big.example", status=200, length=0)])
        t.handshake()
        for i in range(0, len(r), 1448):
            t.send(0, PA, r[i:i + 1448])
        t.send(1, TH_ACK)
        if size <= 16384:
            t.send(1, PA, resp(200, b"OK"))
            t.send(0, TH_ACK)
        t.close()
        closed(t)
        if size > 16384:
            sc.anomaly("applayer", "http.header_limit", src_port=cport)
            sc.anomaly("applayer", "applayer.parse_error", src_port=cport)
    return sc


def http_host():
    sc = L7Scenario("http-host", "Flow 1: HTTP/1.1 without Host: http.host_missing, reported "
                    "without hostname. Flow 2: two Host fields: http.host_duplicate, reported "
                    "(which host is kept is not specified). Flow 3: HTTP/1.0 without Host: "
                    "no anomaly (Host is required in 1.1 only).")
    t = conn(sc, 41026, 80, "http", [http_ev("GET", "/no-host", "/no-host", None, status=400,
                                             length=0)])
    t.handshake()
    n1 = exchange(t, req(b"GET", b"/no-host", None), resp(400, b"Bad Request"))
    closed(t)
    u = conn(sc, 41027, 80, "http", [ev("http", http_method="GET", url="/two-hosts",
                                        url_normalized="/two-hosts", protocol="HTTP/1.1",
                                        status=400, length=0)])
    u.handshake()
    n2 = exchange(u, req(b"GET", b"/two-hosts", b"a.example", extra=b"Host: b.example\r\n"),
                  resp(400, b"Bad Request"))
    closed(u)
    e = http_ev("GET", "/old", "/old", None, status=200, length=2)
    e["http"]["protocol"] = "HTTP/1.0"
    v = conn(sc, 41028, 80, "http", [e])
    v.handshake()
    exchange(v, req(b"GET", b"/old", None, proto=b"HTTP/1.0"),
             b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    closed(v)
    sc.anomaly("applayer", "http.host_missing", n1, src_port=41026)
    sc.anomaly("applayer", "http.host_duplicate", n2, src_port=41027)
    return sc


def http_absolute_form():
    sc = L7Scenario("http-absolute-form", "GET http://Abs.Example:8080/x/../y?q=1 with "
                    "Host: other.example: the request target's authority is the host "
                    "(RFC 9112 3.2.2: a server ignores Host then; dpi_http.h: host is 'the "
                    "Host value, or an absolute-form authority'), so hostname abs.example "
                    "and url_normalized /y. No anomaly.")
    evs = [http_ev("GET", "http://Abs.Example:8080/x/../y?q=1", "/y", "abs.example", status=200,
                   length=2)]
    t = conn(sc, 41029, 80, "http", evs)
    t.handshake()
    exchange(t, req(b"GET", b"http://Abs.Example:8080/x/../y?q=1", b"other.example"),
             resp(200, b"OK", b"ok"))
    closed(t)
    return sc


def http_bare_lf():
    sc = L7Scenario("http-bare-lf", "A request whose lines end in a bare LF: http.bare_lf "
                    "(once per message), still parsed (framing unchanged).")
    evs = [http_ev("GET", "/lf-only", "/lf-only", "lf.example", ua="lf-ua", status=200, length=2)]
    t = conn(sc, 41013, 80, "http", evs)
    t.handshake()
    n = exchange(t, req(b"GET", b"/lf-only", b"lf.example", ua=b"lf-ua", eol=b"\n"),
                 resp(200, b"OK", b"ok"))
    sc.anomaly("applayer", "http.bare_lf", n)
    closed(t)
    return sc


def http_obs_fold():
    sc = L7Scenario("http-obs-fold", "A header value continued on the next line (obs-fold): "
                    "http.obs_fold, still parsed; the fields after it are intact.")
    evs = [http_ev("GET", "/folded", "/folded", "fold.example", ua="fold-ua", status=200, length=2)]
    t = conn(sc, 41014, 80, "http", evs)
    t.handshake()
    r = (b"GET /folded HTTP/1.1\r\nHost: fold.example\r\nX-Folded: first\r\n   second\r\n"
         b"User-Agent: fold-ua\r\n\r\n")
    n = exchange(t, r, resp(200, b"OK", b"ok"))
    sc.anomaly("applayer", "http.obs_fold", n)
    closed(t)
    return sc


def http_uri_normalize():
    sc = L7Scenario("http-uri-normalize", "Keep-alive requests whose targets test dpi_uri.h: "
                    "%2e%2e traversal climbing above the root (url_normalized /etc/passwd, "
                    "http.uri_above_root), '//' and '/./' and '..' collapsing, a decoded %2F "
                    "taking part in collapsing, an invalid escape %zz (kept as is, "
                    "http.uri_invalid_escape), an encoded NUL %00 (kept encoded, "
                    "http.uri_encoded_nul).")
    targets = [
        (b"/a/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "http.uri_above_root"),
        (b"//static//./img/../css//site.css?v=1", "/static/css/site.css", None),
        (b"/x%2F%2Fy/%2E/z", "/x/y/z", None),
        (b"/bad%zzescape", "/bad%zzescape", "http.uri_invalid_escape"),
        (b"/nul%00byte.txt", "/nul%00byte.txt", "http.uri_encoded_nul"),
    ]
    evs = [http_ev("GET", tg.decode(), norm, "uri.example", status=404, length=0)
           for tg, norm, _ in targets]
    t = conn(sc, 41015, 80, "http", evs)
    t.handshake()
    for tg, norm, anom in targets:
        n = exchange(t, req(b"GET", tg, b"uri.example"), resp(404, b"Not Found"), close=False)
        if anom:
            sc.anomaly("applayer", anom, n)
    t.close()
    closed(t)
    return sc


def http_connect_tunnel():
    sc = L7Scenario("http-connect-tunnel", "CONNECT db.internal:5432 (port 3128), 200, then "
                    "opaque bytes both ways, the client's looking like an HTTP request: one "
                    "http event (url_normalized empty for CONNECT), nothing parsed in the "
                    "tunnel, no anomaly.")
    evs = [ev("http", http_method="CONNECT", url="db.internal:5432", url_normalized="",
              hostname="db.internal", protocol="HTTP/1.1", status=200, length=0)]
    t = conn(sc, 41016, 3128, "http", evs)
    t.handshake()
    t.send(0, PA, b"CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n"
                  b"User-Agent: craft-l7/1.0\r\n\r\n")
    t.send(1, TH_ACK)
    t.send(1, PA, b"HTTP/1.1 200 Connection Established\r\n\r\n")
    t.send(0, TH_ACK)
    t.send(0, PA, req(b"GET", b"/inside/the/tunnel", b"hidden.example") + prng(b"tun-c", 64))
    t.send(1, PA, prng(b"tun-s", 120))
    t.send(0, PA, b"\x00\xff garbage \r\n\r\n" + prng(b"tun-c2", 40))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    return sc


def http_websocket():
    sc = L7Scenario("http-websocket", "GET with Upgrade: websocket, 101 Switching Protocols, "
                    "then binary WebSocket frames both ways (port 9002): one http event "
                    "(status 101, length 0); the frames are opaque: no more http events, no "
                    "anomaly.")
    evs = [http_ev("GET", "/chat", "/chat", "ws.example", status=101, length=0)]
    t = conn(sc, 41017, 9002, "http", evs)
    t.handshake()
    t.send(0, PA, req(b"GET", b"/chat", b"ws.example",
                      extra=b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            b"Sec-WebSocket-Version: 13\r\n"))
    t.send(1, TH_ACK)
    t.send(1, PA, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    t.send(0, TH_ACK)
    mask = b"\x11\x22\x33\x44"
    data = b"GET /not-http HTTP/1.1\r\n\r\n" + prng(b"ws", 20)
    frame = b"\x82" + bytes([0x80 | len(data)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(data))
    t.send(0, PA, frame)
    t.send(1, PA, b"\x82\x7e\x00\x90" + prng(b"ws-s", 0x90))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def http_connect_variants():
    sc = L7Scenario("http-connect-variants", "Flow 1: tunnel bytes that are not HTTP (a TLS "
                    "ClientHello) in the CONNECT's own segment, before the 200: held until the "
                    "answer, then tunnel: one http event, no anomaly. Flow 2: CONNECT refused "
                    "with 407, then a plain GET on the same connection: both reported, with "
                    "their statuses. Flow 3: early tunnel bytes that look like a request: "
                    "dpi_http.h (working tree) says requests between a CONNECT and its answer "
                    "'are parsed as usual', so that GET is reported too, without status (the "
                    "committed header said they wait for the answer: see README).")
    hello = record(22, hs(1, client_hello_body(std_exts(b"db.internal"), b"early")))
    conn_req = b"CONNECT db.internal:443 HTTP/1.1\r\nHost: db.internal:443\r\n\r\n"
    connect_ev = ev("http", http_method="CONNECT", url="db.internal:443", url_normalized="",
                    hostname="db.internal", status=200, length=0)
    for cport, early, evs in (
            (41030, hello, [connect_ev]),
            (41034, req(b"GET", b"/early/tunnel/bytes", b"hidden.example"),
             [connect_ev, http_ev("GET", "/early/tunnel/bytes", "/early/tunnel/bytes",
                                  "hidden.example", status=None)])):
        t = conn(sc, cport, 3128, "http", evs)
        t.handshake()
        t.send(0, PA, conn_req + early)
        t.send(1, TH_ACK)
        t.send(1, PA, b"HTTP/1.1 200 Connection Established\r\n\r\n" + server_hello_flight())
        t.send(0, PA, record(20, b"\x01", 0x0303) + record(23, prng(b"early-c2", 60), 0x0303))
        t.send(1, TH_ACK)
        t.close()
        closed(t)
    u = conn(sc, 41031, 3128, "http", [
        dict(connect_ev, http=dict(connect_ev["http"], status=407)),
        http_ev("GET", "/after-refused", "/after-refused", "plain.example", status=200, length=2)])
    u.handshake()
    exchange(u, conn_req, resp(407, b"Proxy Authentication Required",
                               extra=b"Proxy-Authenticate: Basic realm=\"x\"\r\n"), close=False)
    exchange(u, req(b"GET", b"/after-refused", b"plain.example"), resp(200, b"OK", b"ok"))
    closed(u)
    return sc


def http_upgrade_variants():
    sc = L7Scenario("http-upgrade-variants", "Flow 1: an Upgrade: websocket request answered "
                    "200 (the server declines), then another GET: both reported, no anomaly. "
                    "Flow 2: a 101 to a request without Upgrade: http.upgrade_unrequested, the "
                    "request reported with status 101.")
    t = conn(sc, 41032, 80, "http", [
        http_ev("GET", "/ws-declined", "/ws-declined", "ws.example", status=200, length=2),
        http_ev("GET", "/next", "/next", "ws.example", status=200, length=3)])
    t.handshake()
    exchange(t, req(b"GET", b"/ws-declined", b"ws.example",
                    extra=b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n"),
             resp(200, b"OK", b"no"), close=False)
    exchange(t, req(b"GET", b"/next", b"ws.example"), resp(200, b"OK", b"yes"))
    closed(t)
    u = conn(sc, 41033, 80, "http", [http_ev("GET", "/plain", "/plain", "ws.example", status=101,
                                             length=0)])
    u.handshake()
    u.send(0, PA, req(b"GET", b"/plain", b"ws.example"))
    u.send(1, TH_ACK)
    n = u.send(1, PA, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\n\r\n")
    u.send(0, TH_ACK)
    u.close()
    closed(u)
    sc.anomaly("applayer", "http.upgrade_unrequested", n)
    return sc


def http_on_pgsql_port():
    sc = L7Scenario("http-on-pgsql-port", "HTTP to port 5432: app_proto http (content wins) and "
                    "applayer.protocol_mismatch once, at the first request.")
    evs = [http_ev("GET", "/not-postgres", "/not-postgres", "odd.example", status=200, length=2)]
    t = conn(sc, 41018, 5432, "http", evs)
    t.handshake()
    n = exchange(t, req(b"GET", b"/not-postgres", b"odd.example"), resp(200, b"OK", b"ok"))
    sc.anomaly("applayer", "applayer.protocol_mismatch", n)
    closed(t)
    return sc


def http_overlap_conflict():
    sc = L7Scenario("http-overlap-conflict", "The request line is sent, then (before any ACK) "
                    "the same sequence range again with another URL, then the rest of the head: "
                    "stream/tcp.overlap_conflict once; the first-sent bytes win, so the http "
                    "event shows /good/index.html.")
    evs = [http_ev("GET", "/good/index.html", "/good/index.html", "ovl.example", status=200,
                   length=2)]
    t = conn(sc, 41019, 80, "http", evs)
    t.handshake()
    line = b"GET /good/index.html HTTP/1.1\r\n"
    evil = b"GET /evil/index.html HTTP/1.1\r\n"
    assert len(line) == len(evil)
    rest = b"Host: ovl.example\r\nUser-Agent: craft-l7/1.0\r\n\r\n"
    base = t.nxt[0]
    t.send(0, PA, line)
    n = t.send(0, PA, evil, seq=base)
    t.send(0, PA, rest)
    t.send(1, TH_ACK)
    t.send(1, PA, resp(200, b"OK", b"ok"))
    t.send(0, TH_ACK)
    t.close()
    sc.anomaly("stream", "tcp.overlap_conflict", n)
    closed(t, stream={"toserver": stream_exp(len(line) + len(rest), overlaps=1, conflicts=1)},
           content={"toserver": (line + rest).hex()})
    return sc


def http_gap_in_head():
    sc = L7Scenario("http-gap-in-head", "A segment inside the request head is never seen and "
                    "the server ACKs past it: http.stream_gap, the direction fails, so the "
                    "bytes after the hole give applayer.parse_error (dpi_app_http.c: 'later "
                    "parse calls then fail'). The head never completes; the request may be "
                    "reported as incomplete (optional).")
    e = opt(ev("http", http_method="GET", url="/gap-head", status=None),
            "dpi_http.h (working tree) on a gap outside a body: 'a message in progress is "
            "reported with DPI_HTTP_F_INCOMPLETE'; whether a head cut before its end is such "
            "a message is not said")
    t = conn(sc, 41020, 80, "http", [e])
    t.handshake()
    p1 = b"GET /gap-head HTTP/1.1\r\nHost: gap.example\r\n"
    p2 = b"X-Lost: " + b"l" * 40 + b"\r\n"
    p3 = b"User-Agent: craft-l7/1.0\r\n\r\n"
    base = t.nxt[0]
    t.send(0, PA, p1)
    t.send(1, TH_ACK)
    t.send(0, PA, p3, seq=base + len(p1) + len(p2))
    t.nxt[0] = base + len(p1) + len(p2) + len(p3)
    t.send(1, TH_ACK)                   # acks past the hole
    t.close()
    sc.optional.append({"type": "stream", "event": "tcp.gap", "max": 1})
    sc.anomaly("applayer", "http.stream_gap")
    sc.anomaly("applayer", "applayer.parse_error")
    closed(t, stream={"toserver": stream_exp(len(p1) + len(p3), gaps=1, gap_bytes=len(p2))})
    return sc


def http_gap_in_body():
    sc = L7Scenario("http-gap-in-body", "A POST with Content-Length 300 whose middle 100 body "
                    "bytes are never seen (the server ACKs past them): http.body_gap, the "
                    "request is still reported and paired with its 200.")
    evs = [http_ev("POST", "/upload/gap", "/upload/gap", "gap.example", status=200, length=2)]
    t = conn(sc, 41021, 80, "http", evs)
    t.handshake()
    head = req(b"POST", b"/upload/gap", b"gap.example",
               extra=b"Content-Type: application/octet-stream\r\nContent-Length: 300\r\n")
    b1, b2, b3 = craft.payload(b"body1", 100), craft.payload(b"body2", 100), craft.payload(b"body3", 100)
    base = t.nxt[0]
    t.send(0, PA, head + b1)
    t.send(1, TH_ACK)
    t.send(0, PA, b3, seq=base + len(head) + 200)
    t.nxt[0] = base + len(head) + 300
    t.send(1, TH_ACK)                   # acks past the hole
    t.send(1, PA, resp(200, b"OK", b"ok"))
    t.send(0, TH_ACK)
    t.close()
    sc.optional.append({"type": "stream", "event": "tcp.gap", "max": 1})
    sc.anomaly("applayer", "http.body_gap")
    closed(t, stream={"toserver": stream_exp(len(head) + 200, gaps=1, gap_bytes=100)})
    return sc


# ================================================================= DNS

def dname(name):
    if isinstance(name, str):
        name = name.encode()
    out = b""
    for lab in name.split(b".") if name else []:
        out += bytes([len(lab)]) + lab
    return out + b"\0"


def dheader(mid, flags, qd, an, ns=0, ar=0):
    return struct.pack(">HHHHHH", mid, flags, qd, an, ns, ar)


def dq(name_wire, qtype=1, qclass=1):
    return name_wire + struct.pack(">HH", qtype, qclass)


def drr(name_wire, rtype, ttl, rdata, rclass=1):
    return name_wire + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def dptr(off):
    return struct.pack(">H", 0xC000 | off)


def ip4(s):
    return bytes(int(x) for x in s.split("."))


Q_FLAGS = 0x0100          # RD
R_FLAGS = 0x8180          # QR RD RA, NOERROR


def dns_query(mid, name, qtype=1):
    return dheader(mid, Q_FLAGS, 1, 0) + dq(dname(name), qtype)


def q_ev(mid, name, rrtype="A"):
    return ev("dns", type="query", id=mid, rrname=name.lower(), rrtype=rrtype)


def a_ev(mid, name, rrtype="A", rcode="NOERROR", answers=()):
    return ev("dns", type="answer", id=mid, rrname=name.lower(), rrtype=rrtype, rcode=rcode,
              answers=list(answers))


def ans(rrname, rrtype, ttl, rdata=None):
    a = {"rrname": rrname, "rrtype": rrtype, "ttl": ttl}
    if rdata is not None:
        a["rdata"] = rdata
    return a


class Udp:
    def __init__(self, sc, cport, sport, app_proto, l7=None, cip=C4, sip=S4):
        self.sc, self.cport, self.sport, self.cip, self.sip = sc, cport, sport, cip, sip
        self.f = sc.flow("UDP", cip, cport, sip, sport)
        self.f.extra = {"app_proto": app_proto, "l7": l7 if l7 is not None else []}
        self.ipid = [700, 900]

    def send(self, d, data):
        src, dst = (self.cip, self.sip) if d == 0 else (self.sip, self.cip)
        sp, dp = (self.cport, self.sport) if d == 0 else (self.sport, self.cport)
        self.ipid[d] += 1
        return self.sc.add(udp_l3(src, dst, sp, dp, data, ipid=self.ipid[d]), d, self.f)


def dns_udp():
    sc = L7Scenario("dns-udp", "UDP query for a mixed-case name and its answer: a CNAME and an "
                    "A record, names compressed (backward pointers); rrname lower-cased.")
    name = "WWW.Example.Internal"
    q = dns_query(0x1234, name)
    r = (dheader(0x1234, R_FLAGS, 1, 2) + dq(dname(name)) +
         drr(dptr(12), 5, 300, b"\x03web" + dptr(16)) +
         drr(dptr(12 + len(dname(name)) + 4 + 12), 1, 60, ip4("10.1.2.3")))
    evs = [q_ev(0x1234, name),
           a_ev(0x1234, name, answers=[ans("www.example.internal", "CNAME", 300, "web.example.internal"),
                                       ans("web.example.internal", "A", 60, "10.1.2.3")])]
    u = Udp(sc, 42000, 53, "dns", evs)
    u.send(0, q)
    u.send(1, r)
    return sc


def tcp_dns(msg):
    return struct.pack(">H", len(msg)) + msg


def dns_tcp():
    sc = L7Scenario("dns-tcp", "DNS over TCP (port 53): two length-prefixed queries in one "
                    "segment; the first answer split across three segments (inside the length "
                    "prefix and inside the record), the second in one: four dns events in "
                    "order.")
    q1, q2 = dns_query(0x0101, "one.example"), dns_query(0x0102, "two.example", 28)
    r1 = (dheader(0x0101, R_FLAGS, 1, 1) + dq(dname("one.example")) +
          drr(dptr(12), 1, 120, ip4("192.0.2.1")))
    r2 = (dheader(0x0102, R_FLAGS, 1, 1) + dq(dname("two.example"), 28) +
          drr(dptr(12), 28, 120, bytes.fromhex("20010db8000000000000000000000002")))
    evs = [q_ev(0x0101, "one.example"), q_ev(0x0102, "two.example", "AAAA"),
           a_ev(0x0101, "one.example", answers=[ans("one.example", "A", 120, "192.0.2.1")]),
           a_ev(0x0102, "two.example", "AAAA", answers=[ans("two.example", "AAAA", 120, "2001:db8::2")])]
    t = conn(sc, 42001, 53, "dns", evs)
    t.handshake()
    t.send(0, PA, tcp_dns(q1) + tcp_dns(q2))
    t.send(1, TH_ACK)
    w = tcp_dns(r1)
    for piece in (w[:1], w[1:20], w[20:]):
        t.send(1, PA, piece)
    t.send(1, PA, tcp_dns(r2))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def dns_tcp_split_query():
    sc = L7Scenario("dns-tcp-split-query", "DNS over TCP (port 53) whose first query is split "
                    "across three segments: the length prefix, then the header and 2 bytes of "
                    "the question, then the rest. Content detection must wait for the rest "
                    "(dpi_detect.c: 'a prefix that could still become a match keeps the flow "
                    "undecided'; issue 3: input may be cut at any byte): app_proto dns, query "
                    "and answer events, no anomaly.")
    q = tcp_dns(dns_query(0x0201, "split.example"))
    r = tcp_dns(dheader(0x0201, R_FLAGS, 1, 1) + dq(dname("split.example")) +
                drr(dptr(12), 1, 33, ip4("192.0.2.33")))
    evs = [q_ev(0x0201, "split.example"),
           a_ev(0x0201, "split.example", answers=[ans("split.example", "A", 33, "192.0.2.33")])]
    t = conn(sc, 42009, 53, "dns", evs)
    t.handshake()
    for a, b in ((0, 2), (2, 16), (16, len(q))):
        t.send(0, PA, q[a:b])
    t.send(1, TH_ACK)
    t.send(1, PA, r)
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def dns_pointer_loop():
    sc = L7Scenario("dns-pointer-loop", "UDP answers whose answer-record names loop: a "
                    "pointer to itself (id 0x2001), and a label followed by a pointer back to "
                    "that label's own start (0x2002): dns.pointer_loop once per message; the "
                    "question decoded before the fault is still reported, with no answers. "
                    "Then (0x2003) 17 answer records, record k named 'a.' * k + 'hop.example' "
                    "through a pointer to record k-1's name, so record k follows k strictly "
                    "backward pointers: 16 (DPI_DNS_MAX_HOPS) are fine, the 17th record is a "
                    "pointer_loop; the 16 records before it are reported.")
    u = Udp(sc, 42002, 53, "dns")
    evs = []
    n = []
    for mid, nm in ((0x2001, "loop1.example"), (0x2002, "loop2.example")):
        qwire = dq(dname(nm))
        u.send(0, dns_query(mid, nm))
        at = 12 + len(qwire)         # offset of the answer's name
        owner = dptr(at) if mid == 0x2001 else b"\x01x" + dptr(at)
        r = dheader(mid, R_FLAGS, 1, 1) + qwire + drr(owner, 1, 30, ip4("10.9.9.9"))
        n.append(u.send(1, r))
        evs += [q_ev(mid, nm), a_ev(mid, nm, answers=[])]
    nm = "hop.example"
    u.send(0, dns_query(0x2003, nm))
    r = dheader(0x2003, R_FLAGS, 1, 17) + dq(dname(nm))
    prev, kept = 12, []
    for k in range(1, 18):
        at = len(r)
        r += drr(b"\x01a" + dptr(prev), 1, 40, ip4("10.0.8.%d" % k))
        prev = at
        if k <= 16:
            kept.append(ans("a." * k + nm, "A", 40, "10.0.8.%d" % k))
    n.append(u.send(1, r))
    evs += [q_ev(0x2003, nm), a_ev(0x2003, nm, answers=kept)]
    u.f.extra["l7"] = evs
    sc.anomaly("applayer", "dns.pointer_loop", n, count=3)
    return sc


def dns_label_too_long():
    sc = L7Scenario("dns-label-too-long", "UDP: a valid query/answer first (detection), then a "
                    "query whose name has a 64-byte label (no question decoded: no event) and "
                    "an answer whose record name has a 64-byte label (question reported, no "
                    "answers): dns.label_too_long twice.")
    u = Udp(sc, 42003, 53, "dns")
    u.send(0, dns_query(0x3001, "ok.example"))
    u.send(1, dheader(0x3001, R_FLAGS, 1, 1) + dq(dname("ok.example")) +
           drr(dptr(12), 1, 10, ip4("10.0.3.1")))
    lab64 = b"L" * 64
    n1 = u.send(0, dheader(0x3002, Q_FLAGS, 1, 0) + dq(b"\x40" + lab64 + dname("example")))
    u.send(0, dns_query(0x3003, "long.example"))
    n2 = u.send(1, dheader(0x3003, R_FLAGS, 1, 1) + dq(dname("long.example")) +
                drr(b"\x40" + lab64 + dptr(12), 1, 10, ip4("10.0.3.3")))
    u.f.extra["l7"] = [q_ev(0x3001, "ok.example"),
                       a_ev(0x3001, "ok.example", answers=[ans("ok.example", "A", 10, "10.0.3.1")]),
                       q_ev(0x3003, "long.example"), a_ev(0x3003, "long.example", answers=[])]
    sc.anomaly("applayer", "dns.label_too_long", [n1, n2], count=2)
    return sc


def dns_name_too_long():
    l63 = ["a" * 63, "b" * 63, "c" * 63]
    qname = ".".join(l63 + ["d"])          # 3*64 + 2 + 1 = 195 wire bytes
    assert len(dname(qname)) == 195
    max_name = ".".join(["m" * 63] * 3 + ["n" * 61])
    assert len(dname(max_name)) == 255
    sc = L7Scenario("dns-name-too-long", "UDP: a valid query for a 195-byte name and an answer "
                    "whose record name is two 63-byte labels plus a pointer to that name "
                    "(323 bytes through compression): dns.name_too_long, question reported, "
                    "no answers. Then a query with a flat 321-byte name (5 x 63-byte labels): "
                    "dns.name_too_long, no event. Then a query for a name of exactly 255 "
                    "bytes: fine.")
    u = Udp(sc, 42004, 53, "dns")
    u.send(0, dns_query(0x4001, qname))
    owner = dname("x" * 63 + "." + "y" * 63)[:-1] + dptr(12)
    n1 = u.send(1, dheader(0x4001, R_FLAGS, 1, 1) + dq(dname(qname)) + drr(owner, 1, 5, ip4("10.0.4.1")))
    flat = ".".join(["e" * 63] * 5)
    assert len(dname(flat)) == 321
    n2 = u.send(0, dheader(0x4002, Q_FLAGS, 1, 0) + dq(dname(flat)))
    u.send(0, dns_query(0x4003, max_name))
    u.f.extra["l7"] = [q_ev(0x4001, qname), a_ev(0x4001, qname, answers=[]),
                       q_ev(0x4003, max_name)]
    sc.anomaly("applayer", "dns.name_too_long", [n1, n2], count=2)
    return sc


def dns_truncated():
    sc = L7Scenario("dns-truncated", "UDP: a query, then its answer cut inside the A record's "
                    "RDATA (the counts still fit: the record header is there), then an 8-byte "
                    "datagram (shorter than the header): dns.truncated twice; the cut answer "
                    "is reported with its question and no answers, the 8 bytes give no event.")
    u = Udp(sc, 42005, 53, "dns")
    u.send(0, dns_query(0x5001, "cut.example"))
    full = dheader(0x5001, R_FLAGS, 1, 1) + dq(dname("cut.example")) + drr(dptr(12), 1, 7, ip4("10.0.5.1"))
    n1 = u.send(1, full[:-2])
    n2 = u.send(1, full[:8])
    u.f.extra["l7"] = [q_ev(0x5001, "cut.example"), a_ev(0x5001, "cut.example", answers=[])]
    sc.anomaly("applayer", "dns.truncated", [n1, n2], count=2)
    return sc


def soa_rdata():
    return (dname("ns1.zone.internal") + dname("admin.zone.internal") +
            struct.pack(">IIIII", 2026010101, 3600, 600, 86400, 300))


def dns_axfr_tcp():
    sc = L7Scenario("dns-axfr-tcp", "A zone transfer over TCP (port 53): AXFR query for "
                    "zone.internal, answered in two messages (SOA + A, then A + SOA): three "
                    "dns events; SOA rdata is not rendered, so only its name, type and TTL "
                    "are compared.")
    zone = "zone.internal"
    q = dns_query(0x6001, zone, 252)
    hq = dheader(0x6001, 0x8480, 1, 2) + dq(dname(zone), 252)
    m1 = hq + drr(dptr(12), 6, 3600, soa_rdata()) + drr(b"\x03www" + dptr(12), 1, 3600, ip4("10.0.6.1"))
    m2 = hq + drr(b"\x04mail" + dptr(12), 1, 3600, ip4("10.0.6.2")) + drr(dptr(12), 6, 3600, soa_rdata())
    evs = [q_ev(0x6001, zone, "AXFR"),
           a_ev(0x6001, zone, "AXFR", answers=[ans(zone, "SOA", 3600),
                                              ans("www." + zone, "A", 3600, "10.0.6.1")]),
           a_ev(0x6001, zone, "AXFR", answers=[ans("mail." + zone, "A", 3600, "10.0.6.2"),
                                              ans(zone, "SOA", 3600)])]
    t = conn(sc, 42006, 53, "dns", evs)
    t.handshake()
    t.send(0, PA, tcp_dns(q))
    t.send(1, TH_ACK)
    t.send(1, PA, tcp_dns(m1) + tcp_dns(m2))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def dns_other_ports():
    sc = L7Scenario("dns-other-ports", "DNS on UDP 5353 and on TCP 8053 (no port hint): both "
                    "flows are dns by content, with their query and answer events; no anomaly.")
    u = Udp(sc, 42007, 5353, "dns")
    u.send(0, dns_query(0x7001, "mdns.example"))
    u.send(1, dheader(0x7001, R_FLAGS, 1, 1) + dq(dname("mdns.example")) + drr(dptr(12), 1, 11, ip4("10.0.7.1")))
    u.f.extra["l7"] = [q_ev(0x7001, "mdns.example"),
                       a_ev(0x7001, "mdns.example", answers=[ans("mdns.example", "A", 11, "10.0.7.1")])]
    evs = [q_ev(0x7002, "alt.example"),
           a_ev(0x7002, "alt.example", answers=[ans("alt.example", "A", 12, "10.0.7.2")])]
    t = conn(sc, 42008, 8053, "dns", evs)
    t.handshake()
    t.send(0, PA, tcp_dns(dns_query(0x7002, "alt.example")))
    t.send(1, TH_ACK)
    t.send(1, PA, tcp_dns(dheader(0x7002, R_FLAGS, 1, 1) + dq(dname("alt.example")) +
                          drr(dptr(12), 1, 12, ip4("10.0.7.2"))))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


# ================================================================= MySQL

CLIENT_LONG_PASSWORD, CLIENT_FOUND_ROWS, CLIENT_LONG_FLAG = 1, 2, 4
CLIENT_CONNECT_WITH_DB, CLIENT_PROTOCOL_41, CLIENT_SSL = 8, 0x200, 0x800
CLIENT_TRANSACTIONS, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH = 0x2000, 0x8000, 0x80000
SERVER_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB |
               CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)


def mypkt(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def lenenc_str(s):
    assert len(s) < 251
    return bytes([len(s)]) + s


def my_greeting(caps, version=b"8.0.36-craft"):
    salt = prng(b"salt", 20).replace(b"\0", b"\1")
    p = (b"\x0a" + version + b"\0" + struct.pack("<I", 42) + salt[:8] + b"\0" +
         struct.pack("<H", caps & 0xFFFF) + b"\x21" + struct.pack("<H", 2) +
         struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10 + salt[8:] + b"\0" +
         b"mysql_native_password\0")
    return mypkt(0, p)


def my_login(user, db, caps):
    p = (struct.pack("<IIB", caps, 16777216, 0x21) + b"\0" * 23 + user + b"\0" +
         bytes([20]) + prng(b"auth", 20))
    if caps & CLIENT_CONNECT_WITH_DB:
        p += db + b"\0"
    p += b"mysql_native_password\0"
    return mypkt(1, p)


def my_ok(seq):
    return mypkt(seq, b"\x00\x00\x00\x02\x00\x00\x00")


def my_eof(seq):
    return mypkt(seq, b"\xfe\x00\x00\x02\x00")


def my_resultset_one():
    """One column, one row, with EOF packets (no CLIENT_DEPRECATE_EOF)."""
    coldef = (lenenc_str(b"def") + lenenc_str(b"other") + lenenc_str(b"customers") +
              lenenc_str(b"customers") + lenenc_str(b"id") + lenenc_str(b"id") + b"\x0c" +
              struct.pack("<HIBHB", 0x3f, 11, 3, 0, 0) + b"\0\0")
    return (mypkt(1, b"\x01") + mypkt(2, coldef) + my_eof(3) + mypkt(4, lenenc_str(b"1")) + my_eof(5))


def sql_ev(dialect, kind, statement, user, database, commands=None):
    f = {"dialect": dialect, "kind": kind, "statement": statement, "user": user, "database": database}
    if commands is not None:
        f["commands"] = [{"verb": v, "tables": tb} for v, tb in commands]
    return ev("sql", **f)


def mysql_session():
    sc = L7Scenario("mysql-session", "MySQL on port 13306 (detected by the greeting): login "
                    "as app with database shop; a COM_QUERY split across 3 segments (inside "
                    "the packet header and the text); COM_INIT_DB other (OK); a SELECT with "
                    "a result set; COM_QUIT. Three sql events; the SELECT runs in 'other'.")
    upd = "UPDATE orders SET total = 0 WHERE id = 1"
    sel = "SELECT id FROM customers WHERE id = 1"
    evs = [sql_ev("mysql", "query", upd, "app", "shop", [("UPDATE", ["orders"])]),
           sql_ev("mysql", "init_db", "other", "app", "shop"),
           sql_ev("mysql", "query", sel, "app", "other", [("SELECT", ["customers"])])]
    t = conn(sc, 43000, 13306, "mysql", evs)
    t.handshake()
    caps = SERVER_CAPS
    t.send(1, PA, my_greeting(caps))
    t.send(0, PA, my_login(b"app", b"shop", caps))
    t.send(1, PA, my_ok(2))
    q = mypkt(0, b"\x03" + upd.encode())
    for piece in (q[:2], q[2:15], q[15:]):
        t.send(0, PA, piece)
    t.send(1, PA, my_ok(1))
    t.send(0, PA, mypkt(0, b"\x02other"))
    t.send(1, PA, my_ok(1))
    t.send(0, PA, mypkt(0, b"\x03" + sel.encode()))
    t.send(1, PA, my_resultset_one())
    t.send(0, PA, mypkt(0, b"\x01"))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    return sc


def mysql_greeting_split():
    sc = L7Scenario("mysql-greeting-split", "A MariaDB-style greeting (version "
                    "'5.5.5-10.11.6-MariaDB-0+deb12u1') split across two segments inside the "
                    "version string (port 3306), then login and a COM_QUERY. Detection must "
                    "wait for the rest of the greeting: app_proto mysql, one sql event, no "
                    "anomaly.")
    t = conn(sc, 43003, 3306, "mysql", [sql_ev("mysql", "query", "SELECT a FROM b", "app", "shop",
                                               [("SELECT", ["b"])])])
    t.handshake()
    g = my_greeting(SERVER_CAPS, b"5.5.5-10.11.6-MariaDB-0+deb12u1")
    t.send(1, PA, g[:20])
    t.send(1, PA, g[20:])
    t.send(0, PA, my_login(b"app", b"shop", SERVER_CAPS))
    t.send(1, PA, my_ok(2))
    t.send(0, PA, mypkt(0, b"\x03SELECT a FROM b"))
    t.send(1, PA, my_ok(1))
    t.send(0, PA, mypkt(0, b"\x01"))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    return sc


def mysql_packet_too_large():
    sc = L7Scenario("mysql-packet-too-large", "After the greeting, the client's handshake "
                    "response announces a 1 MiB payload (over DPI_MAX_PENDING): "
                    "mysql.packet_too_large, fatal (applayer.parse_error); no sql event. "
                    "(Multi-packet payloads need a 16 MiB packet: not crafted, see README.)")
    t = conn(sc, 43001, 3306, "mysql")
    t.handshake()
    t.send(1, PA, my_greeting(SERVER_CAPS))
    login = my_login(b"app", b"shop", SERVER_CAPS)
    bad = struct.pack("<I", 1 << 20)[:3] + login[3:]
    n = t.send(0, PA, bad)
    t.send(1, TH_ACK)
    t.close()
    sc.anomaly("applayer", "mysql.packet_too_large", n)
    sc.anomaly("applayer", "applayer.parse_error", n)
    closed(t)
    return sc


def mysql_ssl():
    sc = L7Scenario("mysql-ssl", "Greeting with CLIENT_SSL, the client's SSLRequest, then "
                    "opaque bytes both ways (the client's include a well-formed COM_QUERY "
                    "packet): no sql event, no anomaly, app_proto mysql.")
    t = conn(sc, 43002, 3306, "mysql")
    t.handshake()
    caps = SERVER_CAPS | CLIENT_SSL
    t.send(1, PA, my_greeting(caps))
    t.send(0, PA, mypkt(1, struct.pack("<IIB", caps, 16777216, 0x21) + b"\0" * 23))
    t.send(0, PA, b"\x17\x03\x03\x00\x30" + prng(b"my-tls", 48) +
           mypkt(0, b"\x03SELECT * FROM secret_table"))
    t.send(1, PA, b"\x17\x03\x03\x00\x40" + prng(b"my-tls-s", 64))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


# ================================================================= PostgreSQL

def pgmsg(typ, payload):
    return typ + struct.pack(">I", len(payload) + 4) + payload


def pg_startup(params):
    body = struct.pack(">I", 196608) + b"".join(k + b"\0" + v + b"\0" for k, v in params) + b"\0"
    return struct.pack(">I", len(body) + 4) + body


SSL_REQUEST = struct.pack(">II", 8, 80877103)


def pg_ready():
    return pgmsg(b"Z", b"I")


def pg_login_answer():
    return (pgmsg(b"R", struct.pack(">I", 0)) + pgmsg(b"S", b"server_version\x0016.1\0") +
            pgmsg(b"K", struct.pack(">II", 4242, 0x5EC2E7)) + pg_ready())


def pg_login(t, user=b"app", db=b"shop"):
    t.send(0, PA, SSL_REQUEST)
    t.send(1, PA, b"N")
    t.send(0, PA, pg_startup([(b"user", user), (b"database", db), (b"application_name", b"psql")]))
    t.send(1, PA, pg_login_answer())


def pg_select_answer():
    rowdesc = pgmsg(b"T", struct.pack(">H", 1) + b"name\0" + struct.pack(">IHIhih", 16384, 2, 25, -1, -1, 0))
    return (rowdesc + pgmsg(b"D", struct.pack(">HI", 1, 5) + b"alice") +
            pgmsg(b"C", b"SELECT 1\0") + pg_ready())


def pgsql_session():
    sc = L7Scenario("pgsql-session", "PostgreSQL on port 15432 (detected by content): "
                    "SSLRequest, 'N', StartupMessage (app/shop), simple Query, then "
                    "Parse/Bind/Execute/Sync in one segment: a query and a parse sql event.")
    sel = "SELECT name FROM customers WHERE id = 1"
    upd = "UPDATE orders SET total = $1 WHERE id = $2"
    evs = [sql_ev("pgsql", "query", sel, "app", "shop", [("SELECT", ["customers"])]),
           sql_ev("pgsql", "parse", upd, "app", "shop", [("UPDATE", ["orders"])])]
    t = conn(sc, 44000, 15432, "pgsql", evs)
    t.handshake()
    pg_login(t)
    t.send(0, PA, pgmsg(b"Q", sel.encode() + b"\0"))
    t.send(1, PA, pg_select_answer())
    ext = (pgmsg(b"P", b"\0" + upd.encode() + b"\0" + struct.pack(">H", 0)) +
           # Bind: unnamed portal and statement, no format codes, 2 text
           # parameters ("0", "1"), no result format codes
           pgmsg(b"B", b"\0\0" + struct.pack(">HH", 0, 2) + struct.pack(">I", 1) + b"0" +
                 struct.pack(">I", 1) + b"1" + struct.pack(">H", 0)) +
           pgmsg(b"E", b"\0" + struct.pack(">I", 0)) + pgmsg(b"S", b""))
    t.send(0, PA, ext)
    t.send(1, PA, pgmsg(b"1", b"") + pgmsg(b"2", b"") + pgmsg(b"C", b"UPDATE 1\0") + pg_ready())
    t.send(0, PA, pgmsg(b"X", b""))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    return sc


def pgsql_ssl():
    sc = L7Scenario("pgsql-ssl", "SSLRequest answered 'S' (port 5432): the bytes after are "
                    "TLS, opaque (the client's include a well-formed simple Query): no sql "
                    "event, no anomaly, app_proto pgsql.")
    t = conn(sc, 44001, 5432, "pgsql")
    t.handshake()
    t.send(0, PA, SSL_REQUEST)
    t.send(1, PA, b"S")
    t.send(0, PA, b"\x17\x03\x03\x00\x20" + prng(b"pg-tls", 32) +
           pgmsg(b"Q", b"SELECT * FROM secret_table\0"))
    t.send(1, PA, b"\x17\x03\x03\x00\x20" + prng(b"pg-tls-s", 32))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    return sc


def pgsql_bad_length():
    sc = L7Scenario("pgsql-bad-length", "After a normal login and one query, a Query message "
                    "whose length field is 2 (< 4; flow 1) or 0x7fffffff (over "
                    "DPI_PGSQL_MAX_MESSAGE; flow 2): pgsql.length_invalid, fatal "
                    "(applayer.parse_error); the earlier query is reported.")
    for cport, ln in ((44002, 2), (44003, 0x7FFFFFFF)):
        t = conn(sc, cport, 5432, "pgsql", [sql_ev("pgsql", "query", "SELECT 1", "app", "shop",
                                                   [("SELECT", [])])])
        t.handshake()
        pg_login(t)
        t.send(0, PA, pgmsg(b"Q", b"SELECT 1\0"))
        t.send(1, PA, pgmsg(b"C", b"SELECT 1\0") + pg_ready())
        n = t.send(0, PA, b"Q" + struct.pack(">I", ln) + b"SELECT 2\0")
        t.send(1, TH_ACK)
        t.close()
        closed(t)
        sc.anomaly("applayer", "pgsql.length_invalid", n, src_port=cport)
        sc.anomaly("applayer", "applayer.parse_error", n, src_port=cport)
    return sc


def sql_on_port_80():
    sc = L7Scenario("sql-on-port-80", "PostgreSQL (flow 1) and MySQL (flow 2) to port 80: "
                    "app_proto pgsql / mysql by content, applayer.protocol_mismatch once each "
                    "(at the SSLRequest; at the server's greeting), and their sql events.")
    t = conn(sc, 44004, 80, "pgsql", [sql_ev("pgsql", "query", "SELECT * FROM orders", "app",
                                             "shop", [("SELECT", ["orders"])])])
    t.handshake()
    n1 = t.send(0, PA, SSL_REQUEST)
    t.send(1, PA, b"N")
    t.send(0, PA, pg_startup([(b"user", b"app"), (b"database", b"shop")]))
    t.send(1, PA, pg_login_answer())
    t.send(0, PA, pgmsg(b"Q", b"SELECT * FROM orders\0"))
    t.send(1, PA, pgmsg(b"C", b"SELECT 0\0") + pg_ready())
    t.send(0, PA, pgmsg(b"X", b""))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    u = conn(sc, 44005, 80, "mysql", [sql_ev("mysql", "query", "DELETE FROM sessions", "app",
                                             "shop", [("DELETE", ["sessions"])])])
    u.handshake()
    n2 = u.send(1, PA, my_greeting(SERVER_CAPS))
    u.send(0, PA, my_login(b"app", b"shop", SERVER_CAPS))
    u.send(1, PA, my_ok(2))
    u.send(0, PA, mypkt(0, b"\x03DELETE FROM sessions"))
    u.send(1, PA, my_ok(1))
    u.send(0, PA, mypkt(0, b"\x01"))
    u.send(1, TH_ACK)
    u.close()
    closed(u)
    sc.anomaly("applayer", "applayer.protocol_mismatch", n1, src_port=44004)
    sc.anomaly("applayer", "applayer.protocol_mismatch", n2, src_port=44005)
    return sc


# ================================================================= TLS

def tls_ext(typ, data):
    return struct.pack(">HH", typ, len(data)) + data


def ext_sni(name):
    entry = b"\0" + struct.pack(">H", len(name)) + name
    return tls_ext(0, struct.pack(">H", len(entry)) + entry)


def ext_versions(vs):
    return tls_ext(43, bytes([2 * len(vs)]) + b"".join(struct.pack(">H", v) for v in vs))


def client_hello_body(exts, tag=b"ch"):
    suites = [0x1301, 0x1302, 0xC02B, 0xC02F, 0x009C]
    body = (struct.pack(">H", 0x0303) + prng(tag + b"-rnd", 32) + b"\x20" + prng(tag + b"-sid", 32) +
            struct.pack(">H", 2 * len(suites)) + b"".join(struct.pack(">H", s) for s in suites) +
            b"\x01\x00")
    if exts is not None:
        body += struct.pack(">H", len(exts)) + exts
    return body


def hs(typ, body):
    return bytes([typ]) + struct.pack(">I", len(body))[1:] + body


def record(ctype, frag, version=0x0301):
    return bytes([ctype]) + struct.pack(">HH", version, len(frag)) + frag


def std_exts(sni=None, versions=(0x0304, 0x0303)):
    e = b""
    if sni is not None:
        e += ext_sni(sni)
    e += tls_ext(10, bytes.fromhex("0004001d0017"))                 # supported_groups
    e += tls_ext(13, bytes.fromhex("0006040308040401"))          # signature_algorithms
    if versions:
        e += ext_versions(versions)
    return e


def server_hello_flight():
    body = (struct.pack(">H", 0x0303) + prng(b"sh-rnd", 32) + b"\x20" + prng(b"ch-sid", 32) +
            struct.pack(">H", 0x1301) + b"\x00")
    exts = tls_ext(43, struct.pack(">H", 0x0304))
    body += struct.pack(">H", len(exts)) + exts
    return (record(22, hs(2, body), 0x0303) + record(20, b"\x01", 0x0303) +
            record(23, prng(b"sh-enc", 80), 0x0303))


def tls_conn(sc, cport, sport, evs, segs_of):
    t = conn(sc, cport, sport, "tls", evs)
    t.handshake()
    first = None
    for s in segs_of:
        n = t.send(0, PA, s)
        first = first or n
    t.send(1, PA, server_hello_flight())
    t.send(0, PA, record(20, b"\x01", 0x0303) + record(23, prng(b"c-enc", 60), 0x0303))
    t.send(1, TH_ACK)
    t.close()
    closed(t)
    return first


def tls_split_hello():
    sc = L7Scenario("tls-split-hello", "A ClientHello (SNI split.example.internal, "
                    "supported_versions 1.3/1.2) fragmented over two handshake records, the "
                    "records cut over three TCP segments not on record boundaries (port 443): "
                    "one tls event, sni and version TLS 1.3.")
    msg = hs(1, client_hello_body(std_exts(b"split.example.internal"), b"split"))
    recs = record(22, msg[:60]) + record(22, msg[60:])
    cut1, cut2 = 20, 60 + 5 + 12
    tls_conn(sc, 45000, 443, [ev("tls", sni="split.example.internal", version="TLS 1.3")],
             [recs[:cut1], recs[cut1:cut2], recs[cut2:]])
    return sc


def tls_no_sni():
    sc = L7Scenario("tls-no-sni", "A TLS 1.2 ClientHello without server_name and without "
                    "supported_versions, on port 8443 (no port hint): one tls event with no "
                    "sni, version TLS 1.2.")
    msg = hs(1, client_hello_body(std_exts(None, versions=()), b"nosni"))
    tls_conn(sc, 45001, 8443, [ev("tls", sni=None, version="TLS 1.2")], [record(22, msg)])
    return sc


def tls_on_port_80():
    sc = L7Scenario("tls-on-port-80", "A ClientHello (SNI web.internal) to port 80: app_proto "
                    "tls and applayer.protocol_mismatch once, at the hello.")
    msg = hs(1, client_hello_body(std_exts(b"web.internal"), b"p80"))
    n = tls_conn(sc, 45002, 80, [ev("tls", sni="web.internal", version="TLS 1.3")], [record(22, msg)])
    sc.anomaly("applayer", "applayer.protocol_mismatch", n)
    return sc


def tls_fragmented():
    sc = L7Scenario("tls-fragmented", "One ClientHello (port 443) fragmented over 32 handshake "
                    "records (DPI_TLS_MAX_RECORDS: fine, a tls event; flow 1) and one over 33 "
                    "(tls.fragmented, fatal: applayer.parse_error, no tls event; flow 2), each "
                    "in one TCP segment. The server only ACKs.")
    for cport, k in ((45005, 32), (45006, 33)):
        msg = hs(1, client_hello_body(std_exts(b"frag.example"), b"frag"))
        cuts = [len(msg) * i // k for i in range(k + 1)]
        recs = b"".join(record(22, msg[cuts[i]:cuts[i + 1]]) for i in range(k))
        evs = [ev("tls", sni="frag.example", version="TLS 1.3")] if k <= 32 else []
        t = conn(sc, cport, 443, "tls", evs)
        t.handshake()
        n = t.send(0, PA, recs)
        t.send(1, TH_ACK)
        t.close()
        closed(t)
        if k > 32:
            sc.anomaly("applayer", "tls.fragmented", n, src_port=cport)
            sc.anomaly("applayer", "applayer.parse_error", n, src_port=cport)
    return sc


def tls_malformed_ext():
    sc = L7Scenario("tls-malformed-ext", "Two ClientHellos (port 443) with broken extension "
                    "lengths: an extension whose length runs past the extensions block (flow "
                    "1), and an extensions block length larger than what is left of the hello "
                    "(flow 2): tls.malformed, fatal (applayer.parse_error), no tls event. The "
                    "server only ACKs and closes.")
    good = std_exts(b"bad.example")
    ext_over = good + struct.pack(">HH", 0xFF01, 50) + b"\0\0\0\0"     # says 50, has 4
    body1 = client_hello_body(None, b"bad1") + struct.pack(">H", len(ext_over)) + ext_over
    body2 = client_hello_body(None, b"bad2") + struct.pack(">H", len(good) + 40) + good
    for cport, body in ((45003, body1), (45004, body2)):
        t = conn(sc, cport, 443, "tls")
        t.handshake()
        n = t.send(0, PA, record(22, hs(1, body)))
        t.send(1, TH_ACK)
        t.close()
        closed(t)
        sc.anomaly("applayer", "tls.malformed", n, src_port=cport)
        sc.anomaly("applayer", "applayer.parse_error", n, src_port=cport)
    return sc


# ================================================================= unknown

def unknown_on_port_80():
    sc = L7Scenario("unknown-on-port-80", "64 pseudo-random bytes each way on port 80 (first "
                    "client byte 0xa5: no probe matches): app_proto unknown, "
                    "applayer.unknown_on_known_port once at the first client data, no L7 "
                    "event.")
    t = conn(sc, 46000, 80, "unknown")
    t.handshake()
    n = t.send(0, PA, b"\xa5" + prng(b"unk-c", 63))
    t.send(1, PA, b"\xa5" + prng(b"unk-s", 63))
    t.send(0, TH_ACK)
    t.close()
    closed(t)
    sc.anomaly("applayer", "applayer.unknown_on_known_port", n)
    return sc


# ================================================================= main

def scenarios():
    return [
        # HTTP
        http_tiny_segments(), http_ooo_request_line(), http_pipelined(), http_keepalive(),
        http_chunked_request_ext(), http_chunked_response(), http_cl_te_both(),
        http_chunk_invalid(), http_cl_overflow(), http_cl_duplicate(), http_header_count(),
        http_head_too_large(), http_host(), http_absolute_form(), http_bare_lf(),
        http_obs_fold(), http_uri_normalize(), http_connect_tunnel(), http_websocket(),
        http_connect_variants(), http_upgrade_variants(),
        http_on_pgsql_port(), http_overlap_conflict(), http_gap_in_head(), http_gap_in_body(),
        # DNS
        dns_udp(), dns_tcp(), dns_tcp_split_query(), dns_pointer_loop(), dns_label_too_long(), dns_name_too_long(),
        dns_truncated(), dns_axfr_tcp(), dns_other_ports(),
        # SQL
        mysql_session(), mysql_greeting_split(), mysql_packet_too_large(), mysql_ssl(),
        pgsql_session(), pgsql_ssl(), pgsql_bad_length(), sql_on_port_80(),
        # TLS, unknown
        tls_split_hello(), tls_no_sni(), tls_on_port_80(), tls_fragmented(), tls_malformed_ext(),
        unknown_on_port_80(),
    ]


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    names = []
    for sc in scenarios():
        sc.write(outdir)
        names.append(sc.name)
    return names


def main(argv):
    default = os.path.join(HERE, "crafted-l7")
    if len(argv) > 1 and argv[1] == "--check":
        ref = argv[2] if len(argv) > 2 else default
        with tempfile.TemporaryDirectory() as tmp:
            generate(tmp)
            new = sorted(os.listdir(tmp))
            old = sorted(f for f in os.listdir(ref) if f.endswith((".pcap", ".expect.json")))
            bad = sorted(set(new) ^ set(old))
            bad += [f for f in new if f in old and
                    not filecmp.cmp(os.path.join(tmp, f), os.path.join(ref, f), shallow=False)]
        for f in bad:
            print("differs or missing: %s" % f)
        print("%d passed, %d failed" % (len(new) - len(bad), len(bad)))
        return 1 if bad else 0
    outdir = argv[1] if len(argv) > 1 else default
    names = generate(outdir)
    print("wrote %d scenarios to %s" % (len(names), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
