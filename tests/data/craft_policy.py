#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""craft_policy.py - crafted evasions of tests/data/crafted-policy/ for the policy engine,
and their expectations tests/data/policy/crafted.expect.

Usage:  /usr/bin/python3 tests/data/craft_policy.py [OUTDIR [EXPECT]]
            (default: tests/data/crafted-policy and tests/data/policy/crafted.expect)
        /usr/bin/python3 tests/data/craft_policy.py --check [DIR [EXPECT]]
            regenerate into a temporary directory and compare byte for byte
            with DIR and EXPECT; exit 1 on any difference, 77 when scapy is
            missing.

Replay (all the pcaps at once, with the shop's own policy):

    bulkhead replay --policy tests/data/policy/shop.yaml \\
        --expect tests/data/policy/crafted.expect tests/data/crafted-policy/*.pcap

Every pcap holds one evasion technique, between the addresses of the shop
of tests/data/shop.pcap (tests/data/capture-shop.sh), so that
tests/data/policy/shop.yaml decides it unchanged: frontend 10.99.7.10 /
fd00:99:7::10 -> api 10.99.7.20 / fd00:99:7::20 port 8080 (HTTP); api -> dns
10.99.7.53 / fd00:99:7::53 port 53, orders-pg 10.99.7.30 port 5432
(PostgreSQL), catalog-db 10.99.7.31 port 3306 (MariaDB).

The expectation of each scenario is written next to the packets that make
it (crafted.expect is generated; edit this file, not that one), from how the
traffic was built and from ../../shared/policy-model.md, never from
bulkhead's output. Format: tests/data/policy/README.md. Conventions that
make every decision addressable by a line, although lines name no source
port and the first matching line decides:

  - HTTP from frontend and DNS from api: what must be DENIED comes from the
    IPv4 address, what must be ALLOWED from the IPv6 one, so the `flow`
    lines can tell the two kinds of flows apart (tests/data/shop.pcap does
    the reverse, so both families see both verdicts).
  - Every transaction has its own normalised target, name or statement
    (e.g. the `//admin` case asks for //admin/users), so no line is shadowed
    by another; generate() checks that with a model of the events each
    scenario must produce (self_check()).
  - Where a signature set that api's policy enforces (sqli, cmdi, traversal)
    also matches a request that is outside the rules anyway ("/../" in a raw
    path), the line checks the verdict only: which of the two reasons wins
    is not specified.

Determinism: craft.py's packets and pcap writer (fixed MACs, IP ids, ISNs
derived from the client port, 1 ms steps); scenario i in name order starts
at 2026-01-01T00:00:00Z + i minutes and uses client ports 41000 + 100 i ...,
so time never runs backwards and no 5-tuple repeats when the files are
replayed together in glob order (a replay is one capture).
"""

import filecmp
import fnmatch
import ipaddress
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import craft  # noqa: E402  (exits 77 when scapy is missing)
from craft import Scenario, Tcp, BASE_US, TH_ACK, TH_PSH, TH_FIN  # noqa: E402
from craft_l7 import (req, resp, prng, tcp_dns, dname, dheader, dq, drr, dptr, ip4,  # noqa: E402
                      Q_FLAGS, R_FLAGS, mypkt, my_greeting, my_login, my_ok,
                      my_resultset_one, SERVER_CAPS, pgmsg, pg_login, pg_ready,
                      pg_select_answer, hs, record, client_hello_body, std_exts)

PA = TH_PSH | TH_ACK

# The shop (tests/data/policy/shop.yaml)
FE4, FE6 = "10.99.7.10", "fd00:99:7::10"
API4, API6 = "10.99.7.20", "fd00:99:7::20"
PG4, MY4 = "10.99.7.30", "10.99.7.31"
DNS4, DNS6 = "10.99.7.53", "fd00:99:7::53"
WORKLOADS = {
    "frontend": {FE4, FE6},
    "api": {API4, API6},
    "orders-pg": {PG4, "fd00:99:7::30"},
    "catalog-db": {MY4, "fd00:99:7::31"},
    "dns": {DNS4, DNS6},
}

HOST = b"api.shop.svc.cluster.local:8080"
UA = b"craft-policy/1.0"
JSON = b"Content-Type: application/json\r\n"
ZONE = "shop.svc.cluster.local"


class PolicyScenario(Scenario):
    """One pcap; its expectation lines (with a comment) and the events they
    must decide (for self_check)."""

    def __init__(self, name, index):
        super().__init__(name, "")
        self.ts = BASE_US + index * 60 * 1000000
        self.port = 41000 + index * 100
        self.lines = []      # expectation lines, in order
        self.events = []     # (kind, src, dst, port, proto, what, verdict, reason)
        self.flows = []      # craft.py's flow records: not written here

    def next_port(self):
        self.port += 1
        return self.port - 1

    def tcp(self, cip, sip, sport):
        cport = self.next_port()
        return Tcp(self, cip=cip, sip=sip, cport=cport, sport=sport,
                   cisn=(0x10000000 + cport * 0x10001) & 0xFFFFFFFF,
                   sisn=(0x70000000 + cport * 0x20003) & 0xFFFFFFFF, flow=False)

    def udp(self, cip, sip, sport=53):
        return Udp(self, self.next_port(), sport, cip, sip)

    def expect(self, line, *events):
        """A line of crafted.expect and the events (kind, src, dst, port,
        proto, what, verdict, reason) it must decide."""
        self.lines.append(line)
        self.events.extend(events)

    def write(self, outdir):
        craft.write_pcap(os.path.join(outdir, self.name + ".pcap"), self.linktype, self.records)


class Udp:
    """A UDP client/server pair (craft_l7.Udp without its expectations)."""

    def __init__(self, sc, cport, sport, cip, sip):
        self.sc, self.port, self.ip = sc, (cport, sport), (cip, sip)
        self.ipid = [700, 900]

    def send(self, d, data):
        self.ipid[d] += 1
        return self.sc.add(craft.udp_l3(self.ip[d], self.ip[1 - d], self.port[d], self.port[1 - d],
                                        data, ipid=self.ipid[d]), d)


# Expected-event helpers: (kind, src, dst, port, proto, what, verdict, reason)
def e_http(src, method, norm, verdict, reason, dst=API4):
    return ("http", src, dst, 8080, "tcp", (method, norm), verdict, reason)


def e_dns(src, name, verdict, reason, proto="udp", dst=None):
    return ("dns", src, dst or (DNS6 if ":" in src else DNS4), 53, proto, (name,), verdict, reason)


def e_sql(dst, port, stmt, verdict, reason, src=API4):
    return ("sql", src, dst, port, "tcp", (stmt,), verdict, reason)


def e_flow(src, dst, port, proto, verdict, reason):
    return ("flow", src, dst, port, proto, (), verdict, reason)


def sqlglob(stmt):
    """A statement as a sql line's glob: '*' and '?' and '[' literal."""
    return '"%s"' % "".join("[%s]" % c if c in "*?[" else c for c in stmt)


# ================================================================= HTTP

def hreq(method, target, extra=b"", body=b""):
    if body:
        extra = JSON + b"Content-Length: %d\r\n" % len(body) + extra
    return req(method, target, HOST, ua=UA, extra=extra, body=body)


def jresp(body=b'{"ok":true}'):
    return resp(200, b"OK", body, extra=JSON)


BAD_REQUEST = resp(400, b"Bad Request", b"<html>400 Bad Request</html>\r\n",
                   extra=b"Content-Type: text/html\r\nConnection: close\r\n")


def http_conn(sc, cip, data, verdict, reason, cuts=(), order=None, responses=(jresp(),)):
    """One connection carrying data cut at the offsets in cuts, the pieces
    sent in the given order (default: in order), then the responses and a
    close; its flow event must carry verdict (and reason, None: any)."""
    sip = API6 if ":" in cip else API4
    sc.events.append(e_flow(cip, sip, 8080, "tcp", verdict, reason))
    t = sc.tcp(cip, sip, 8080)
    t.handshake()
    base = t.nxt[0]
    bounds = [0] + sorted(cuts) + [len(data)]
    pieces = list(zip(bounds, bounds[1:]))
    for i in (order if order is not None else range(len(pieces))):
        a, b = pieces[i]
        t.send(0, PA, data[a:b], seq=base + a)
    t.nxt[0] = base + len(data)
    t.send(1, TH_ACK)
    t.send(1, PA, b"".join(responses))
    t.send(0, TH_ACK)
    t.close()
    return t


def denied_path(sc, target, norm, reason="l7-no-match", why=""):
    """A GET from frontend's IPv4 address whose normalised path no rule
    allows."""
    http_conn(sc, FE4, hreq(b"GET", target), "deny", reason)
    line = "http frontend -> api:8080 GET %s deny%s" % (norm, " " + reason if reason else "")
    sc.expect(line, e_http(FE4, "GET", norm, "deny", reason))


def http_encoded_dotdot(sc):
    sc.description = ("GET /v1/orders/%2e%2e/%2e%2e/admin: percent-encoded dot segments "
                      "climb out of /v1/orders; normalised /admin, no rule: denied. The "
                      "traversal set may match the encoded dots too (verdict only).")
    denied_path(sc, b"/v1/orders/%2e%2e/%2e%2e/admin", "/admin", None)


def http_double_slash(sc):
    sc.description = ("GET //admin/users: an empty first segment; normalised /admin/users "
                      "(//admin alone is /admin, asked by http-encoded-dotdot): denied, "
                      "l7-no-match.")
    denied_path(sc, b"//admin/users", "/admin/users")


def http_dot_segments(sc):
    sc.description = ("GET /v1/./orders/../../admin/keys: '.' and '..' segments in the raw "
                      "path; normalised /admin/keys: denied (the traversal set may match "
                      "the raw '/../': verdict only).")
    denied_path(sc, b"/v1/./orders/../../admin/keys", "/admin/keys", None)


def http_encoded_slash(sc):
    sc.description = ("GET /%2Fadmin/config: an encoded slash that, decoded, makes '//' "
                      "and collapses; normalised /admin/config: denied, l7-no-match.")
    denied_path(sc, b"/%2Fadmin/config", "/admin/config")


def http_case(sc):
    sc.description = ("Paths are case-sensitive (regexes match the whole field as "
                      "written): GET /ADMIN and GET /V1/ORDERS/17 are not /admin and "
                      "/v1/orders/17; neither is allowed: denied, l7-no-match, one "
                      "connection each.")
    denied_path(sc, b"/ADMIN", "/ADMIN")
    denied_path(sc, b"/V1/ORDERS/17", "/V1/ORDERS/17")


def http_allowed_double_slash(sc):
    sc.description = ("GET /v1//orders/17 from frontend's IPv6 address: the raw path "
                      "matches no rule, normalised /v1/orders/17 does: allowed.")
    http_conn(sc, FE6, hreq(b"GET", b"/v1//orders/17"), "allow", None, responses=(jresp(b'{"id":17}'),))
    sc.expect("http frontend -> api:8080 GET /v1/orders/17 allow api-from-frontend",
              e_http(FE6, "GET", "/v1/orders/17", "allow", "api-from-frontend", API6))


def http_allowed_pct(sc):
    sc.description = ("POST /v1/orders/%31%37 (JSON body) from frontend's IPv6 address: "
                      "percent-encoded digits, normalised /v1/orders/17, which GET|POST "
                      "/v1/orders(/[0-9]+)? allows: allowed.")
    http_conn(sc, FE6, hreq(b"POST", b"/v1/orders/%31%37", body=b'{"items":[{"sku":"SKU-2","qty":1}]}'),
              "allow", None, responses=(jresp(b'{"id":17,"items":2}'),))
    sc.expect("http frontend -> api:8080 POST /v1/orders/17 allow api-from-frontend",
              e_http(FE6, "POST", "/v1/orders/17", "allow", "api-from-frontend", API6))


def http_split_1byte(sc):
    sc.description = ("Every byte of the request in its own TCP segment: GET "
                      "/v1/orders/1001 from IPv6 (allowed) and DELETE /v1/orders/1001 from "
                      "IPv4 (denied, l7-no-match): both still decided, the DELETE at the "
                      "segment that completes its head.")
    every = lambda d: range(1, len(d))  # noqa: E731
    get = hreq(b"GET", b"/v1/orders/1001")
    http_conn(sc, FE6, get, "allow", None, cuts=every(get), responses=(jresp(b'{"id":1001}'),))
    sc.expect("http frontend -> api:8080 GET /v1/orders/1001 allow api-from-frontend",
              e_http(FE6, "GET", "/v1/orders/1001", "allow", "api-from-frontend", API6))
    dele = hreq(b"DELETE", b"/v1/orders/1001")
    http_conn(sc, FE4, dele, "deny", "l7-no-match", cuts=every(dele))
    sc.expect("http frontend -> api:8080 DELETE /v1/orders/1001 deny l7-no-match",
              e_http(FE4, "DELETE", "/v1/orders/1001", "deny", "l7-no-match"))


def http_out_of_order(sc):
    sc.description = ("The request in 4 segments sent 3,1,4,2 (cut inside the method, "
                      "inside the path and at the end of the request line): GET "
                      "/v1/orders/1002 from IPv6 (allowed) and PUT /v1/orders/1002 from IPv4 "
                      "(denied, l7-no-match: PUT is no allowed method).")
    for cip, method, verdict, reason in ((FE6, b"GET", "allow", "api-from-frontend"),
                                         (FE4, b"PUT", "deny", "l7-no-match")):
        body = b'{"status":"cancelled"}' if method == b"PUT" else b""
        data = hreq(method, b"/v1/orders/1002", body=body)
        cuts = [2, data.index(b"1002") + 2, data.index(b"\r\n")]
        http_conn(sc, cip, data, verdict, None if verdict == "allow" else reason, cuts=cuts,
                  order=(2, 0, 3, 1))
        sc.expect("http frontend -> api:8080 %s /v1/orders/1002 %s %s" % (method.decode(), verdict, reason),
                  e_http(cip, method.decode(), "/v1/orders/1002", verdict, reason,
                         API6 if ":" in cip else API4))


def http_pipelined(sc):
    sc.description = ("Two pipelined requests on one connection (IPv4), each in its own "
                      "segment, both sent before the first response: GET /v1/orders/1003 "
                      "(allowed), then DELETE /v1/orders/1003 (denied, l7-no-match: the "
                      "packet carrying it is dropped and the flow reset); the server's two "
                      "responses follow.")
    sc.events.append(e_flow(FE4, API4, 8080, "tcp", "deny", "l7-no-match"))
    t = sc.tcp(FE4, API4, 8080)
    t.handshake()
    t.send(0, PA, hreq(b"GET", b"/v1/orders/1003"))
    t.send(0, PA, hreq(b"DELETE", b"/v1/orders/1003"))
    t.send(1, TH_ACK)
    t.send(1, PA, jresp(b'{"id":1003}') + jresp(b'{"deleted":1003}'))
    t.send(0, TH_ACK)
    t.close()
    sc.expect("http frontend -> api:8080 GET /v1/orders/1003 allow api-from-frontend",
              e_http(FE4, "GET", "/v1/orders/1003", "allow", "api-from-frontend"))
    sc.expect("http frontend -> api:8080 DELETE /v1/orders/1003 deny l7-no-match",
              e_http(FE4, "DELETE", "/v1/orders/1003", "deny", "l7-no-match"))


def http_tls_on_8080(sc):
    sc.description = ("A TLS ClientHello (SNI api.shop.svc.cluster.local) to api:8080, "
                      "whose rule has HTTP entries: not HTTP, so unparsed: the flow is "
                      "denied (onUnparsed: deny). The server answers 400 and closes.")
    t = sc.tcp(FE4, API4, 8080)
    t.handshake()
    t.send(0, PA, record(22, hs(1, client_hello_body(std_exts(b"api.shop.svc.cluster.local"),
                                                         b"policy-8080"))))
    t.send(1, PA, BAD_REQUEST)
    t.send(1, TH_FIN | TH_ACK)
    t.send(0, TH_FIN | TH_ACK)
    t.send(1, TH_ACK)
    sc.events.append(e_flow(FE4, API4, 8080, "tcp", "deny", "unparsed"))


def http_garbage_on_8080(sc):
    sc.description = ("64 pseudo-random bytes (first byte 0xa5: no protocol) to api:8080: "
                      "unparsed, the flow is denied. The server answers 400 and closes.")
    t = sc.tcp(FE4, API4, 8080)
    t.handshake()
    t.send(0, PA, b"\xa5" + prng(b"policy-garbage", 63))
    t.send(1, PA, BAD_REQUEST)
    t.send(1, TH_FIN | TH_ACK)
    t.send(0, TH_FIN | TH_ACK)
    t.send(1, TH_ACK)
    sc.events.append(e_flow(FE4, API4, 8080, "tcp", "deny", "unparsed"))


def http_stream_gap(sc):
    sc.description = ("GET /v1/orders/1004 with X-Probe: kubelet whose head loses a "
                      "segment in the middle (never captured; the server ACKs past it): "
                      "the head can't be inspected, unparsed: the flow is denied. Whether "
                      "the cut request is reported at all is left open (no http line).")
    t = sc.tcp(FE4, API4, 8080)
    t.handshake()
    p1 = b"GET /v1/orders/1004 HTTP/1.1\r\nHost: " + HOST + b"\r\n"
    p2 = b"X-Request-Id: " + prng(b"policy-gap", 20).hex().encode() + b"\r\n"
    p3 = b"User-Agent: " + UA + b"\r\nX-Probe: kubelet\r\n\r\n"
    base = t.nxt[0]
    t.send(0, PA, p1)
    t.send(1, TH_ACK)
    t.send(0, PA, p3, seq=base + len(p1) + len(p2))
    t.nxt[0] = base + len(p1) + len(p2) + len(p3)
    t.send(1, TH_ACK)                   # acks past the hole
    t.close()
    sc.events.append(e_flow(FE4, API4, 8080, "tcp", "deny", "unparsed"))


# ================================================================= DNS

def dns_exchange(sc, cip, query, answer, verdict, reason):
    """One query and its answer on a flow of their own, whose flow event
    must carry verdict (and reason, None: any)."""
    sip = DNS6 if ":" in cip else DNS4
    sc.events.append(e_flow(cip, sip, 53, "udp", verdict, reason))
    u = sc.udp(cip, sip)
    u.send(0, query)
    u.send(1, answer)


def a_answer(mid, name, addr):
    return (dheader(mid, R_FLAGS | 0x0400, 1, 1) + dq(dname(name)) + drr(dptr(12), 1, 30, ip4(addr)))


def refused(mid, qwire):
    return dheader(mid, R_FLAGS | 5, 1, 0) + qwire


FORMERR_FLAGS = 0x8101     # QR RD, rcode 1 (FORMERR): no question echoed


def dns_case(sc):
    sc.description = ("DNS names compare case-insensitively and without the trailing dot "
                      "(on the wire every name ends with the root label, so the query for "
                      "ORDERS-PG.Shop.SVC.cluster.local. is this one): A queries from api's "
                      "IPv6 address for ORDERS-PG.Shop.SVC.cluster.local (matchPattern) and "
                      "Api.Example.COM (matchName): allowed; from IPv4, the look-alike "
                      "Orders-Pg.Shop.Svc.Cluster.Local.Evil.Example: denied, l7-no-match.")
    for mid, name, addr in ((0xc101, "ORDERS-PG.Shop.SVC.cluster.local", "10.99.7.30"),
                            (0xc102, "Api.Example.COM", "192.0.2.80")):
        dns_exchange(sc, API6, dheader(mid, Q_FLAGS, 1, 0) + dq(dname(name)), a_answer(mid, name, addr),
                     "allow", None)
        sc.expect("dns api -> dns:53/udp %s allow api-dns" % name.lower(),
                  e_dns(API6, name.lower(), "allow", "api-dns"))
    name = "Orders-Pg.Shop.Svc.Cluster.Local.Evil.Example"
    q = dq(dname(name))
    dns_exchange(sc, API4, dheader(0xc103, Q_FLAGS, 1, 0) + q, refused(0xc103, q), "deny", "l7-no-match")
    sc.expect("dns api -> dns:53/udp %s deny l7-no-match" % name.lower(),
              e_dns(API4, name.lower(), "deny", "l7-no-match"))


def dns_label_dot(sc):
    sc.description = ("Labels that contain a '.' (from api's IPv4 address): the single "
                      "label 'orders-pg.shop.svc.cluster.local', and 'evil' + the label "
                      "'shop.svc.cluster.local'. Joined with dots they read like allowed "
                      "names, but they are not under shop.svc.cluster.local (dpi_dns.h "
                      "renders them orders-pg\\.shop\\.svc\\.cluster\\.local and "
                      "evil.shop\\.svc\\.cluster\\.local): denied, l7-no-match. In the "
                      "lines '?' stands for each backslash.")
    for mid, labels, glob in ((0xc201, [b"orders-pg.shop.svc.cluster.local"],
                               "orders-pg?.shop?.svc?.cluster?.local"),
                              (0xc202, [b"evil", b"shop.svc.cluster.local"],
                               "evil.shop?.svc?.cluster?.local")):
        q = dq(b"".join(bytes([len(lab)]) + lab for lab in labels) + b"\0")
        dns_exchange(sc, API4, dheader(mid, Q_FLAGS, 1, 0) + q, refused(mid, q), "deny", "l7-no-match")
        text = ".".join(lab.decode().replace(".", "\\.") for lab in labels)
        sc.expect("dns api -> dns:53/udp %s deny l7-no-match" % glob,
                  e_dns(API4, text, "deny", "l7-no-match"))


def dns_pointer_tricks(sc):
    sc.description = ("Compression pointers in queries from api's IPv4 address, each on its "
                      "own flow: (1) 'orders-pg' + a pointer to the name's own start (a "
                      "loop); (2) a question that is only a forward pointer to an additional "
                      "record named orders-pg.shop.svc.cluster.local; (3) 'orders-pg' + a "
                      "backward pointer into the header, which reads as the label \\000 "
                      "(orders-pg.\\000 if decoded at all); (4) DNS over TCP, two queries in "
                      "one segment: orders-pg.shop.svc.cluster.local (allowed), then 'evil' + "
                      "a pointer to offset 22, where 'shop.svc.cluster.local' sits in the "
                      "FIRST message (offsets are per message: in the second it points "
                      "forward, into itself). None of (1)-(3) nor the second query of (4) "
                      "names an allowed name, and a query that can't be decoded is unparsed: "
                      "every flow is denied, whatever the reason (l7-no-match, unparsed).")
    qtail = struct.pack(">HH", 1, 1)
    # (1) loop
    q = dheader(0xc301, Q_FLAGS, 1, 0) + b"\x09orders-pg" + dptr(12) + qtail
    dns_exchange(sc, API4, q, dheader(0xc301, FORMERR_FLAGS, 0, 0), "deny", None)
    # (2) forward pointer to an additional record
    q = (dheader(0xc302, Q_FLAGS, 1, 0, 0, 1) + dptr(12 + 2 + 4) + qtail +
         drr(dname("orders-pg." + ZONE), 1, 0, ip4(PG4)))
    dns_exchange(sc, API4, q, dheader(0xc302, FORMERR_FLAGS, 0, 0), "deny", None)
    # (3) backward pointer into the header: offset 2 holds the flags 0x01 0x00
    # (a label of length 1, byte 0), then QDCOUNT's high byte 0 (the root).
    q = dheader(0xc303, Q_FLAGS, 1, 0) + b"\x09orders-pg" + dptr(2) + qtail
    assert q[2:5] == b"\x01\x00\x00"
    dns_exchange(sc, API4, q, dheader(0xc303, R_FLAGS | 5, 0, 0), "deny", None)
    # (4) TCP: the second message's pointer is relative to the first's start
    m1 = dheader(0xc304, Q_FLAGS, 1, 0) + dq(dname("orders-pg." + ZONE))
    off = m1.index(b"\x04shop")
    assert off == 22
    m2 = dheader(0xc305, Q_FLAGS, 1, 0) + b"\x04evil" + dptr(off) + qtail
    assert len(m2) > off        # inside the second message, forward of its name
    t = sc.tcp(API4, DNS4, 53)
    t.handshake()
    t.send(0, PA, tcp_dns(m1) + tcp_dns(m2))
    t.send(1, TH_ACK)
    t.send(1, PA, tcp_dns(a_answer(0xc304, "orders-pg." + ZONE, PG4)) +
           tcp_dns(dheader(0xc305, FORMERR_FLAGS, 0, 0)))
    t.send(0, TH_ACK)
    t.close()
    sc.expect("dns api -> dns:53/tcp orders-pg.%s allow api-dns" % ZONE,
              e_dns(API4, "orders-pg." + ZONE, "allow", "api-dns", "tcp"))
    sc.events.append(e_flow(API4, DNS4, 53, "tcp", "deny", None))


# ================================================================= SQL

PG_STARTUP_DB = b"shop"


def pg_conn(sc):
    t = sc.tcp(API4, PG4, 5432)
    t.handshake()
    pg_login(t, b"app", PG_STARTUP_DB)
    return t


def pg_done(t):
    t.send(0, PA, pgmsg(b"X", b""))
    t.send(1, TH_ACK)
    t.close()


def send_cut(t, data, cuts):
    bounds = [0] + sorted(cuts) + [len(data)]
    for a, b in zip(bounds, bounds[1:]):
        t.send(0, PA, data[a:b])


def pg_complete(tag):
    return pgmsg(b"C", tag + b"\0") + pg_ready()


def sql_split_pgsql(sc):
    ok = "SELECT * FROM orders WHERE id = 1"
    bad = "DROP TABLE order_items"
    sc.description = ("PostgreSQL simple Query messages cut across TCP segments: %r in 3 "
                      "(inside the length field and inside the text): allowed; then %r cut "
                      "inside 'DROP' and inside 'order_items': denied, l7-no-match." % (ok, bad))
    t = pg_conn(sc)
    q = pgmsg(b"Q", ok.encode() + b"\0")
    send_cut(t, q, [3, 14])
    t.send(1, PA, pg_select_answer())
    q = pgmsg(b"Q", bad.encode() + b"\0")
    send_cut(t, q, [q.index(b"DROP") + 2, q.index(b"order_") + 6])
    t.send(1, PA, pg_complete(b"DROP TABLE"))
    pg_done(t)
    sc.expect("sql api -> orders-pg:5432 %s allow api-orders-db" % sqlglob(ok),
              e_sql(PG4, 5432, ok, "allow", "api-orders-db"))
    sc.expect("sql api -> orders-pg:5432 %s deny l7-no-match" % sqlglob(bad),
              e_sql(PG4, 5432, bad, "deny", "l7-no-match"))
    sc.events.append(e_flow(API4, PG4, 5432, "tcp", "deny", "l7-no-match"))


def sql_subquery(sc):
    stmt = "SELECT * FROM orders WHERE id IN (SELECT id FROM users)"
    sc.description = ("PostgreSQL: %r. Every table of a statement must be allowed, "
                      "subqueries included; users is not: denied, l7-no-match." % stmt)
    t = pg_conn(sc)
    t.send(0, PA, pgmsg(b"Q", stmt.encode() + b"\0"))
    t.send(1, PA, pg_select_answer())
    pg_done(t)
    sc.expect("sql api -> orders-pg:5432 %s deny l7-no-match" % sqlglob(stmt),
              e_sql(PG4, 5432, stmt, "deny", "l7-no-match"))
    sc.events.append(e_flow(API4, PG4, 5432, "tcp", "deny", "l7-no-match"))


def sql_pgsql_extended(sc):
    ok = "SELECT * FROM orders WHERE id = $1"
    bad = "DELETE FROM orders WHERE id = $1"
    sc.description = ("PostgreSQL extended query protocol: Parse (unnamed) %r, Bind ($1 = "
                      "17), Execute, Sync in one segment: allowed; then Parse (named "
                      "'del_order') %r, Bind, Execute, Sync: denied, l7-no-match (DELETE is "
                      "no allowed kind). The sql events are the Parse messages." % (ok, bad))
    t = pg_conn(sc)

    def ext(stmt_name, text, value):
        return (pgmsg(b"P", stmt_name + b"\0" + text.encode() + b"\0" + struct.pack(">H", 0)) +
                pgmsg(b"B", b"\0" + stmt_name + b"\0" + struct.pack(">HH", 0, 1) +
                      struct.pack(">I", len(value)) + value + struct.pack(">H", 0)) +
                pgmsg(b"E", b"\0" + struct.pack(">I", 0)) + pgmsg(b"S", b""))

    t.send(0, PA, ext(b"", ok, b"17"))
    t.send(1, PA, pgmsg(b"1", b"") + pgmsg(b"2", b"") +
           pgmsg(b"D", struct.pack(">HI", 1, 2) + b"17") + pg_complete(b"SELECT 1"))
    t.send(0, PA, ext(b"del_order", bad, b"17"))
    t.send(1, PA, pgmsg(b"1", b"") + pgmsg(b"2", b"") + pg_complete(b"DELETE 1"))
    pg_done(t)
    sc.expect("sql api -> orders-pg:5432 %s allow api-orders-db" % sqlglob(ok),
              e_sql(PG4, 5432, ok, "allow", "api-orders-db"))
    sc.expect("sql api -> orders-pg:5432 %s deny l7-no-match" % sqlglob(bad),
              e_sql(PG4, 5432, bad, "deny", "l7-no-match"))
    sc.events.append(e_flow(API4, PG4, 5432, "tcp", "deny", "l7-no-match"))


MARIADB_VERSION = b"5.5.5-10.11.19-MariaDB-0+deb12u1"


def my_conn(sc):
    t = sc.tcp(API4, MY4, 3306)
    t.handshake()
    t.send(1, PA, my_greeting(SERVER_CAPS, MARIADB_VERSION))
    t.send(0, PA, my_login(b"app", b"catalog", SERVER_CAPS))
    t.send(1, PA, my_ok(2))
    return t


def my_done(t):
    t.send(0, PA, mypkt(0, b"\x01"))
    t.send(1, TH_ACK)
    t.close()


def sql_split_mysql(sc):
    ok = "SELECT name FROM products WHERE id = 1"
    bad = "SELECT * FROM secrets"
    sc.description = ("MySQL COM_QUERY packets cut across TCP segments: %r in 3 (inside the "
                      "4-byte packet header and inside the text): allowed; then %r cut after "
                      "the first header byte and inside 'secrets': denied, l7-no-match."
                      % (ok, bad))
    t = my_conn(sc)
    q = mypkt(0, b"\x03" + ok.encode())
    send_cut(t, q, [2, 12])
    t.send(1, PA, my_resultset_one())
    q = mypkt(0, b"\x03" + bad.encode())
    send_cut(t, q, [1, q.index(b"secrets") + 4])
    t.send(1, PA, my_resultset_one())
    my_done(t)
    sc.expect("sql api -> catalog-db:3306 %s allow api-catalog-db" % sqlglob(ok),
              e_sql(MY4, 3306, ok, "allow", "api-catalog-db"))
    sc.expect("sql api -> catalog-db:3306 %s deny l7-no-match" % sqlglob(bad),
              e_sql(MY4, 3306, bad, "deny", "l7-no-match"))
    sc.events.append(e_flow(API4, MY4, 3306, "tcp", "deny", None))


def sql_mysql_exec_comment(sc):
    drop = "/*!50000 DROP TABLE products*/"
    union = "SELECT name FROM products /*!50000 UNION SELECT value FROM secrets*/"
    sc.description = ("MySQL executable comments, which MariaDB runs as SQL: %r (a DROP "
                      "that looks like a comment) and %r (a table hidden in one), each on its "
                      "own connection: both denied. Read as comments they would be an empty "
                      "query and a SELECT on products; the reason (l7-no-match, or "
                      "unparsed for text the analyser flags) is not checked." % (drop, union))
    for stmt in (drop, union):
        t = my_conn(sc)
        t.send(0, PA, mypkt(0, b"\x03" + stmt.encode()))
        t.send(1, PA, my_ok(1) if stmt is drop else my_resultset_one())
        my_done(t)
        sc.expect("sql api -> catalog-db:3306 %s deny" % sqlglob(stmt),
                  e_sql(MY4, 3306, stmt, "deny", None))
        sc.events.append(e_flow(API4, MY4, 3306, "tcp", "deny", None))


# ================================================================= scenarios

BUILDERS = [http_encoded_dotdot, http_double_slash, http_dot_segments, http_encoded_slash,
            http_case, http_allowed_double_slash, http_allowed_pct, http_split_1byte,
            http_out_of_order, http_pipelined, http_tls_on_8080, http_garbage_on_8080,
            http_stream_gap, dns_case, dns_label_dot, dns_pointer_tricks, sql_split_pgsql,
            sql_subquery, sql_pgsql_extended, sql_split_mysql, sql_mysql_exec_comment]


def scenario_name(fn):
    return fn.__name__.replace("_", "-")


def scenarios():
    """Every scenario, in name order (the order of crafted-policy/*.pcap):
    scenario i starts i minutes after the first and uses client ports
    41000 + 100 i and up."""
    names = [scenario_name(fn) for fn in BUILDERS]
    assert len(set(names)) == len(names)
    # the same order whether a shell sorts the glob bytewise (C) or by a
    # locale's collation, which ignores the '-' at first
    assert sorted(names) == sorted(names, key=lambda n: (n.replace("-", ""), n))
    out = []
    for i, fn in enumerate(sorted(BUILDERS, key=scenario_name)):
        sc = PolicyScenario(scenario_name(fn), i)
        fn(sc)
        assert sc.description and sc.port < 41000 + (i + 1) * 100
        out.append(sc)
    return out


# ================================================================= flows

# Flow lines come after every scenario's lines, most specific first: a flow
# line names no source port, so they group flows by address family (see the
# docstring). (comment or None, line)
FLOW_LINES = [
    ("HTTP: every flow from frontend's IPv4 address is denied (L7 rules, unparsed\n"
     "data; the reasons differ, so only the verdict is checked), every one from\n"
     "its IPv6 address allowed (by frontend-to-api and api-from-frontend: which\n"
     "of the two the verdict names is not specified).",
     "flow 10.99.7.10 -> api:8080/tcp deny"),
    (None, "flow frontend -> api:8080/tcp allow"),
    ("DNS: api's flows over UDP from IPv4 are denied, from IPv6 allowed; the TCP\n"
     "one is reset by its undecodable second query.",
     "flow 10.99.7.20 -> dns:53/udp deny"),
    (None, "flow api -> dns:53/udp allow"),
    (None, "flow api -> dns:53/tcp deny"),
    ("SQL: every crafted database connection ends with a denied statement.",
     "flow api -> orders-pg:5432/tcp deny l7-no-match"),
    (None, "flow api -> catalog-db:3306/tcp deny"),
]

EXPECT_HEAD = """\
# crafted.expect - what tests/data/policy/shop.yaml (protect mode) decides for
# the crafted evasions of tests/data/crafted-policy/, replayed together:
#
#   bulkhead replay --policy tests/data/policy/shop.yaml \\
#       --expect tests/data/policy/crafted.expect tests/data/crafted-policy/*.pcap
#
# GENERATED by tests/data/craft_policy.py (edit that, then run it; `--check`
# compares). Each pcap's lines follow a comment saying what it holds; the
# flow lines come last.
#
# Conventions (craft_policy.py's docstring says why): HTTP from frontend and
# DNS from api that must be denied come from the IPv4 address, what must be
# allowed from the IPv6 one; every transaction has its own target, name or
# statement. In the DNS globs '?' stands for a backslash of the escaped
# name; in the SQL globs [*] is a literal '*'. Not constrained (no line): a
# request cut by a stream gap (reported or not), tls events, the dns events
# of queries that can't be decoded.
"""


def wrap(text, prefix="# ", width=78):
    out, line = [], ""
    for word in text.split():
        if line and len(prefix) + len(line) + 1 + len(word) > width:
            out.append(prefix + line)
            line = word
        else:
            line = (line + " " + word) if line else word
    if line:
        out.append(prefix + line)
    return "\n".join(out)


def expect_text(scs):
    parts = [EXPECT_HEAD]
    for sc in scs:
        parts.append("\n%s\n" % wrap("%s.pcap: %s" % (sc.name, sc.description)))
        parts.extend(line + "\n" for line in sc.lines)
    parts.append("\n# ---- flows " + "-" * 66 + "\n")
    for comment, line in FLOW_LINES:
        if comment:
            parts.append("".join("# %s\n" % c for c in comment.split("\n")))
        parts.append(line + "\n")
    return "".join(parts)


# ================================================================= self-check

def parse_line(text):
    """(kind, src, dst, port, proto, globs, verdict, reason) of a line
    written above (they need no quoting beyond one sql glob)."""
    if '"' in text:
        a, glob, b = text.split('"')
        toks = a.split() + [glob] + b.split()
    else:
        toks = text.split()
    kind, src, arrow, dst = toks[:4]
    assert arrow == "->"
    port = proto = None
    if dst.startswith("["):
        host, rest = dst[1:].split("]")
        dst, spec = host, rest[1:]
    elif ":" in dst:
        dst, spec = dst.split(":", 1)
    else:
        spec = ""
    if spec:
        p, _, proto = spec.partition("/")
        port = None if p == "*" else int(p)
        proto = proto or None
    nglob = {"flow": 0, "http": 2, "dns": 1, "sql": 1, "tls": 1}[kind]
    globs = toks[4:4 + nglob]
    rest = toks[4 + nglob:]
    assert len(rest) in (1, 2), text
    return kind, src, dst, port, proto, globs, rest[0], rest[1] if len(rest) > 1 else None


def end_matches(pattern, addr):
    if pattern == "*":
        return True
    if pattern in WORKLOADS:
        return addr in WORKLOADS[pattern]
    return ipaddress.ip_address(pattern) == ipaddress.ip_address(addr)


def decide(lines, ev):
    kind, src, dst, port, proto, what, _, _ = ev
    for i, l in enumerate(lines):
        lk, ls, ld, lp, lproto, globs, _, _ = l
        if lk != kind or not end_matches(ls, src) or not end_matches(ld, dst):
            continue
        if (lp is not None and lp != port) or (lproto is not None and lproto != proto):
            continue
        fold = kind in ("dns", "sql")
        if all(fnmatch.fnmatchcase(w.lower() if fold else w, g.lower() if fold else g)
               for w, g in zip(what, globs)):
            return i
    return None


def self_check(text, events):
    """Every modelled event is decided by a line that expects its verdict
    (and its reason, where the line names one, which the model must know);
    every line decides at least one event. Returns a list of problems."""
    raw = [ln for ln in (x.strip() for x in text.splitlines()) if ln and not ln.startswith("#")]
    lines = [parse_line(ln) for ln in raw]
    used = [0] * len(lines)
    bad = []
    for ev in events:
        i = decide(lines, ev)
        if i is None:
            bad.append("no line decides %r" % (ev,))
            continue
        used[i] += 1
        verdict, reason = lines[i][6], lines[i][7]
        if verdict != ev[6] or (reason is not None and reason != ev[7]):
            bad.append("line %r decides %r" % (raw[i], ev))
    bad += ["line decides nothing: %s" % raw[i] for i, n in enumerate(used) if not n]
    return bad


# ================================================================= main

def generate(outdir, expect_path):
    os.makedirs(outdir, exist_ok=True)
    scs = scenarios()
    text = expect_text(scs)
    problems = self_check(text, [e for sc in scs for e in sc.events])
    if problems:
        raise SystemExit("craft_policy.py: the expectations contradict the model:\n  " +
                         "\n  ".join(problems))
    for sc in scs:
        sc.write(outdir)
    with open(expect_path, "w") as f:
        f.write(text)
    return scs


def main(argv):
    default_dir = os.path.join(HERE, "crafted-policy")
    default_expect = os.path.join(HERE, "policy", "crafted.expect")
    if argv[1:2] == ["--check"]:
        ref = argv[2] if len(argv) > 2 else default_dir
        ref_expect = argv[3] if len(argv) > 3 else default_expect
        with tempfile.TemporaryDirectory() as tmp:
            generate(os.path.join(tmp, "pcaps"), os.path.join(tmp, "crafted.expect"))
            new = set(os.listdir(os.path.join(tmp, "pcaps")))
            old = {f for f in os.listdir(ref) if f.endswith(".pcap")}
            bad = sorted((new ^ old) | {f for f in new & old if not filecmp.cmp(
                os.path.join(tmp, "pcaps", f), os.path.join(ref, f), shallow=False)})
            if not os.path.exists(ref_expect) or not filecmp.cmp(
                    os.path.join(tmp, "crafted.expect"), ref_expect, shallow=False):
                bad.append(ref_expect)
        for f in bad:
            print("differs or missing: %s" % f)
        print("crafted-policy: %s" % ("%d files differ" % len(bad) if bad else "identical"))
        return 1 if bad else 0
    outdir = argv[1] if len(argv) > 1 else default_dir
    expect_path = argv[2] if len(argv) > 2 else default_expect
    scs = generate(outdir, expect_path)
    print("wrote %d scenarios to %s and their expectations to %s" % (len(scs), outdir, expect_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
