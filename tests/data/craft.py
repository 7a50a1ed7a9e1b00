#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""craft.py - build the crafted pcaps of tests/data/crafted/ and their expectations.

Usage:  /usr/bin/python3 tests/data/craft.py [OUTDIR]     (default: tests/data/crafted)
        /usr/bin/python3 tests/data/craft.py --check [DIR]
            regenerate into a temporary directory and compare byte for byte
            with DIR (default: tests/data/crafted); exit 1 on any difference,
            77 when scapy is missing.

Every scenario writes NAME.pcap and NAME.expect.json. The expectations are
written from how each capture is crafted (which segment was dropped, which
bytes conflict, which packet is broken), never from bulkhead's output.

Determinism: fixed timestamps (integer microseconds), fixed ISNs, IP ids and
MAC addresses; the pcap container is written by hand (not by scapy) so the
link type, byte order and original lengths are exactly what each case needs.
scapy only serialises headers and computes checksums.

Expectation file format (read by tests/golden/crafted_check.py):
{
  "pcap": "NAME.pcap", "description": "...", "exit": 0,
  "stderr_regex": "..."                  (optional, exit != 0 cases)
  "flows": [ {                           every listed flow must be present once
      "proto": "TCP", "src_ip", "src_port", "dest_ip", "dest_port"
                                         (ICMP: "icmp_type", "icmp_code"),
      "vlan": [..]                       (absent = untagged),
      "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient",
      "start", "end"                     (RFC 3339, first/last packet),
      "state"                            (optional: flow.state),
      "tcp_flags_ts", "tcp_flags_tc"     (optional: OR of flags, int),
      "stream": {"toserver": {...}, "toclient": {...}}
                                         (optional; only listed keys compared)
      "content": {"toserver": HEX, "toclient": HEX}
                                         (optional: --dump-streams bytes)
  } ],
  "flows_exhaustive": true               no other flow events allowed,
  "anomalies": [ {"type", "event", "count", "pcap_cnt": [..] (optional)} ],
  "anomalies_optional": [ {"type", "event", "max"} ]   may appear, at most max,
  "anomalies_exhaustive": true           no other decode/defrag/stream/flow
                                         anomaly allowed
}
"""

import datetime
import filecmp
import json
import os
import shutil
import struct
import sys
import tempfile

try:
    from scapy.layers.inet import IP, TCP, UDP, ICMP, IPOption_NOP, IPOption_RR
    from scapy.layers.inet6 import (IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                    IPv6ExtHdrDestOpt, PadN, ICMPv6EchoRequest,
                                    ICMPv6EchoReply)
    from scapy.layers.l2 import Ether, Dot1Q, Dot1AD
    from scapy.packet import Raw
except ImportError:  # pragma: no cover
    print("SKIP: scapy not installed (python3-scapy)")
    sys.exit(77)

BASE_US = 1767225600 * 1000000  # 2026-01-01T00:00:00Z
STEP_US = 1000

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_USER0 = 147
LINKTYPE_LINUX_SLL2 = 276

MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
C4, S4 = "10.0.0.1", "10.0.0.2"
C6, S6 = "fd00:1::1", "fd00:1::2"

TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def rfc3339(us):
    dt = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)


def payload(tag, n):
    """n printable, position-dependent bytes: a misplaced byte shows."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += b"%s-%04d|" % (tag, i)
        i += 1
    return bytes(out[:n])


# ----------------------------------------------------------------- pcap file

def write_pcap(path, linktype, records, big_endian=False, nsec=False, snaplen=262144):
    """records: list of (ts_us, data, orig_len)."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for ts, data, orig in records:
            frac = (ts % 1000000) * (1000 if nsec else 1)
            f.write(struct.pack(e + "IIII", ts // 1000000, frac, len(data), orig))
            f.write(data)


# ----------------------------------------------------------------- link layers

def l3_ethertype(l3):
    return 0x86DD if (l3[0] >> 4) == 6 else 0x0800


def eth(l3, d, vlans=(), qinq=False):
    src, dst = (MAC_C, MAC_S) if d == 0 else (MAC_S, MAC_C)
    hdr = bytes(Ether(src=src, dst=dst, type=0))[:12]
    tpids = [0x8100] * len(vlans)
    if qinq and vlans:
        tpids[0] = 0x88A8
    for tpid, vid in zip(tpids, vlans):
        hdr += struct.pack(">HH", tpid, vid)
    return hdr + struct.pack(">H", l3_ethertype(l3)) + l3


def sll(l3, d):
    # packet type: 4 = outgoing (sent by the capturing host, the client), 0 = to us
    ptype = 4 if d == 0 else 0
    mac = bytes.fromhex((MAC_C if d == 0 else MAC_S).replace(":", ""))
    return struct.pack(">HHH", ptype, 1, 6) + mac + b"\0\0" + struct.pack(">H", l3_ethertype(l3)) + l3


def sll2(l3, d):
    ptype = 4 if d == 0 else 0
    mac = bytes.fromhex((MAC_C if d == 0 else MAC_S).replace(":", ""))
    return (struct.pack(">HHIHBB", l3_ethertype(l3), 0, 2, 1, ptype, 6) + mac + b"\0\0" + l3)


def raw(l3, d):
    return l3


def null_le(l3, d):
    af = 24 if (l3[0] >> 4) == 6 else 2   # AF_INET, BSD AF_INET6 (NetBSD/OpenBSD)
    return struct.pack("<I", af) + l3


def null_be(l3, d):
    af = 24 if (l3[0] >> 4) == 6 else 2
    return struct.pack(">I", af) + l3


# ----------------------------------------------------------------- scenario

class Flow:
    """Expected flow record, filled as packets are added."""

    def __init__(self, proto, cip, cport, sip, sport, vlan=None, icmp=None):
        self.d = {"proto": proto, "src_ip": cip, "dest_ip": sip}
        if icmp is not None:
            self.d["icmp_type"], self.d["icmp_code"] = icmp
        else:
            self.d["src_port"], self.d["dest_port"] = cport, sport
        if vlan:
            self.d["vlan"] = list(vlan)
        self.pkts = [0, 0]
        self.bytes = [0, 0]
        self.flags = [0, 0]
        self.start = self.end = None
        self.extra = {}
        self.is_tcp = proto == "TCP"

    def account(self, d, ts, wirelen, flags=0):
        self.pkts[d] += 1
        self.bytes[d] += wirelen
        self.flags[d] |= flags
        if self.start is None:
            self.start = ts
        self.end = ts

    def expect(self):
        e = dict(self.d)
        e.update(pkts_toserver=self.pkts[0], pkts_toclient=self.pkts[1],
                 bytes_toserver=self.bytes[0], bytes_toclient=self.bytes[1],
                 start=rfc3339(self.start), end=rfc3339(self.end))
        if self.is_tcp:
            e["tcp_flags_ts"] = self.flags[0]
            e["tcp_flags_tc"] = self.flags[1]
        e.update(self.extra)
        return e


class Scenario:
    def __init__(self, name, description, linktype=LINKTYPE_ETHERNET, l2=eth):
        self.name = name
        self.description = description
        self.linktype = linktype
        self.l2 = l2
        self.records = []
        self.ts = BASE_US
        self.flows = []
        self.anomalies = []
        self.optional = []
        self.flows_exhaustive = True
        self.anomalies_exhaustive = True
        self.exit = 0
        self.stderr_regex = None
        self.big_endian = False
        self.nsec = False

    def flow(self, *a, **kw):
        f = Flow(*a, **kw)
        self.flows.append(f)
        return f

    def add(self, l3, d, flow=None, flags=0, dt=STEP_US, l2kw=None, frame=None):
        """Add one packet; returns its 1-based number (pcap_cnt)."""
        self.ts += dt
        data = frame if frame is not None else self.l2(l3, d, **(l2kw or {}))
        self.records.append((self.ts, data, len(data)))
        if flow is not None:
            flow.account(d, self.ts, len(data), flags)
        return len(self.records)

    def anomaly(self, typ, event, pcap_cnt=None, count=1):
        a = {"type": typ, "event": event, "count": count}
        if pcap_cnt is not None:
            a["pcap_cnt"] = pcap_cnt if isinstance(pcap_cnt, list) else [pcap_cnt]
        self.anomalies.append(a)

    def write(self, outdir):
        write_pcap(os.path.join(outdir, self.name + ".pcap"), self.linktype, self.records,
                   big_endian=self.big_endian, nsec=self.nsec)
        exp = {
            "pcap": self.name + ".pcap",
            "description": self.description,
            "exit": self.exit,
            "flows": [f.expect() for f in self.flows],
            "flows_exhaustive": self.flows_exhaustive,
            "anomalies": self.anomalies,
            "anomalies_optional": self.optional,
            "anomalies_exhaustive": self.anomalies_exhaustive,
        }
        if self.stderr_regex:
            exp["stderr_regex"] = self.stderr_regex
        with open(os.path.join(outdir, self.name + ".expect.json"), "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)
            f.write("\n")


def stream_exp(delivered, gaps=0, gap_bytes=0, overlaps=None, conflicts=0):
    s = {"delivered": delivered, "gaps": gaps, "gap_bytes": gap_bytes, "conflicts": conflicts}
    if overlaps is not None:
        s["overlaps"] = overlaps
    return s


class Tcp:
    """A TCP connection; d = 0 client->server, 1 server->client."""

    def __init__(self, sc, cip=C4, sip=S4, cport=40000, sport=9000, cisn=1000, sisn=5000,
                 vlan=None, l2kw=None, l3opts=None, ipid=(100, 200), flow=True):
        self.sc = sc
        self.ip = (cip, sip)
        self.port = (cport, sport)
        self.nxt = [cisn, sisn]          # next sequence number to send
        self.rcv = [sisn, cisn]          # what each side acknowledges (filled later)
        self.v6 = ":" in cip
        self.l2kw = l2kw
        self.l3opts = l3opts or {}
        self.ipid = list(ipid)
        self.f = sc.flow("TCP", cip, cport, sip, sport, vlan=vlan) if flow else None

    def l3(self, d, flags, data=b"", seq=None, ack=None):
        s, r = d, 1 - d
        seq = self.nxt[d] if seq is None else seq
        if ack is None:
            ack = self.nxt[r] if flags & TH_ACK else 0
        tcp = TCP(sport=self.port[s], dport=self.port[r], seq=seq & 0xFFFFFFFF,
                  ack=ack & 0xFFFFFFFF, flags=flags, window=65535)
        if self.v6:
            ip = self.l3opts.get("v6hdr", lambda d: IPv6(src=self.ip[d], dst=self.ip[1 - d], hlim=64))(d)
            pkt = ip / tcp
        else:
            opts = self.l3opts.get("v4opts", lambda d: [])(d)
            pkt = IP(src=self.ip[s], dst=self.ip[r], id=self.ipid[d], ttl=64, flags="DF",
                     options=opts) / tcp
            self.ipid[d] += 1
        if data:
            pkt = pkt / Raw(data)
        return bytes(pkt)

    def send(self, d, flags, data=b"", seq=None, ack=None, dt=STEP_US, advance=True):
        l3 = self.l3(d, flags, data, seq, ack)
        n = self.sc.add(l3, d, self.f, flags, dt, self.l2kw)
        if advance and seq is None:
            self.nxt[d] += len(data) + (1 if flags & (TH_SYN | TH_FIN) else 0)
        return n

    def handshake(self):
        self.send(0, TH_SYN)
        self.send(1, TH_SYN | TH_ACK)
        self.send(0, TH_ACK)

    def close(self):
        """Client FIN, server FIN/ACK, client ACK."""
        self.send(0, TH_FIN | TH_ACK)
        self.send(1, TH_FIN | TH_ACK)
        self.send(0, TH_ACK)


def udp_l3(src, dst, sport, dport, data, ipid=300):
    if ":" in src:
        return bytes(IPv6(src=src, dst=dst, hlim=64) / UDP(sport=sport, dport=dport) / Raw(data))
    return bytes(IP(src=src, dst=dst, id=ipid, ttl=64) / UDP(sport=sport, dport=dport) / Raw(data))


# ----------------------------------------------------------------- TCP cases

def tcp_reorder():
    sc = Scenario("tcp-reorder", "3WHS; client segments 3,1,2 out of order; reply; FIN close. "
                  "The client stream is D1+D2+D3 in order.")
    t = Tcp(sc)
    t.handshake()
    d1, d2, d3 = payload(b"one", 100), payload(b"two", 120), payload(b"three", 80)
    base = t.nxt[0]
    t.send(0, TH_PSH | TH_ACK, d3, seq=base + 220)
    t.send(0, TH_PSH | TH_ACK, d1, seq=base)
    t.send(0, TH_PSH | TH_ACK, d2, seq=base + 100)
    t.nxt[0] = base + 300
    t.send(1, TH_ACK)
    resp = payload(b"reply", 60)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(300, overlaps=0), "toclient": stream_exp(60, overlaps=0)},
                 "content": {"toserver": (d1 + d2 + d3).hex(), "toclient": resp.hex()}}
    return sc


def tcp_retrans_same():
    sc = Scenario("tcp-retrans-same", "D1 is retransmitted with identical bytes after D2: "
                  "one overlap, no conflict, no overlap_conflict anomaly.")
    t = Tcp(sc, cport=40001)
    t.handshake()
    d1, d2 = payload(b"first", 100), payload(b"second", 100)
    base = t.nxt[0]
    t.send(0, TH_PSH | TH_ACK, d1)
    t.send(0, TH_PSH | TH_ACK, d2)
    t.send(0, TH_PSH | TH_ACK, d1, seq=base)          # retransmission, same bytes
    t.send(1, TH_ACK)
    resp = payload(b"ok", 20)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(200, overlaps=1, conflicts=0),
                            "toclient": stream_exp(20)},
                 "content": {"toserver": (d1 + d2).hex(), "toclient": resp.hex()}}
    return sc


def _overlap_conflict(name, cport, acked):
    if acked:
        # Design decision: bytes the receiver has acknowledged are released.
        # The receiver's stack discards a later copy of acknowledged bytes, so
        # a different copy cannot change what the application reads; it is
        # counted as an overlap, not compared, and not an anomaly.
        what = ("after the server ACKed both, a 'retransmission' of seq +50..+150 carries "
                "different bytes: counted as an overlap but not compared (the receiver "
                "already acknowledged, so discards, those bytes); the first-sent bytes win.")
    else:
        what = ("before the server ACKs anything, a 'retransmission' of seq +50..+150 "
                "carries different bytes: tcp.overlap_conflict once, the first-sent bytes win.")
    sc = Scenario(name, "D1 (100 B) and D2 (100 B) are sent; " + what)
    t = Tcp(sc, cport=cport)
    t.handshake()
    d1, d2 = payload(b"orig", 100), payload(b"more", 100)
    base = t.nxt[0]
    t.send(0, TH_PSH | TH_ACK, d1)
    t.send(0, TH_PSH | TH_ACK, d2)
    if acked:
        t.send(1, TH_ACK)
    evil = b"X" * 100
    n = t.send(0, TH_PSH | TH_ACK, evil, seq=base + 50)
    if not acked:
        t.send(1, TH_ACK)
    resp = payload(b"resp", 40)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    if not acked:
        sc.anomaly("stream", "tcp.overlap_conflict", n)
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(200, overlaps=1, conflicts=0 if acked else 1),
                            "toclient": stream_exp(40, conflicts=0)},
                 "content": {"toserver": (d1 + d2).hex(), "toclient": resp.hex()}}
    return sc


def tcp_overlap_conflict():
    return _overlap_conflict("tcp-overlap-conflict", 40002, False)


def tcp_overlap_conflict_acked():
    return _overlap_conflict("tcp-overlap-conflict-acked", 40012, True)


def tcp_ooo_overlap_conflict():
    sc = Scenario("tcp-ooo-overlap-conflict", "With the first 100 bytes missing, B (+100..+200) "
                  "then C (+150..+250, different bytes where it overlaps B) arrive; then the "
                  "first 100 bytes. tcp.overlap_conflict once, B's bytes win.")
    t = Tcp(sc, cport=40003)
    t.handshake()
    base = t.nxt[0]
    a, b, c = payload(b"aaaa", 100), b"B" * 100, b"C" * 100
    t.send(0, TH_PSH | TH_ACK, b, seq=base + 100)
    n = t.send(0, TH_PSH | TH_ACK, c, seq=base + 150)
    t.send(0, TH_PSH | TH_ACK, a, seq=base)
    t.nxt[0] = base + 250
    t.send(1, TH_ACK)
    t.close()
    sc.anomaly("stream", "tcp.overlap_conflict", n)
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(250, overlaps=1, conflicts=1),
                            "toclient": stream_exp(0)},
                 "content": {"toserver": (a + b + c[50:]).hex(), "toclient": ""}}
    return sc


def tcp_gap():
    sc = Scenario("tcp-gap", "D2 (bytes +100..+200) is never seen; the server ACKs past it. "
                  "One gap of 100 bytes, D1 and D3 delivered.")
    t = Tcp(sc, cport=40004)
    t.handshake()
    base = t.nxt[0]
    d1, d2, d3 = payload(b"seen1", 100), payload(b"lost2", 100), payload(b"seen3", 100)
    t.send(0, TH_PSH | TH_ACK, d1)
    t.send(1, TH_ACK, ack=base + 100)
    t.send(0, TH_PSH | TH_ACK, d3, seq=base + 200)
    t.nxt[0] = base + 300
    t.send(1, TH_ACK)                                   # acks past the hole
    resp = payload(b"resp", 50)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    sc.optional.append({"type": "stream", "event": "tcp.gap", "max": 1})
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(200, gaps=1, gap_bytes=100, conflicts=0),
                            "toclient": stream_exp(50)},
                 "content": {"toserver": (d1 + d3).hex(), "toclient": resp.hex()}}
    return sc


def tcp_midstream():
    sc = Scenario("tcp-midstream", "No handshake: the capture starts with data both ways. "
                  "The client is the sender of the first packet.")
    t = Tcp(sc, cport=40005, cisn=777777, sisn=888888)
    r1, a1 = payload(b"req1", 80), payload(b"ans1", 120)
    r2, a2 = payload(b"req2", 40), payload(b"ans2", 30)
    t.send(0, TH_PSH | TH_ACK, r1)
    t.send(1, TH_PSH | TH_ACK, a1)
    t.send(0, TH_PSH | TH_ACK, r2)
    t.send(1, TH_PSH | TH_ACK, a2)
    t.send(0, TH_ACK)
    sc.optional.append({"type": "stream", "event": "tcp.midstream", "max": 1})
    t.f.extra = {"stream": {"toserver": stream_exp(120, gaps=0, conflicts=0),
                            "toclient": stream_exp(150, gaps=0, conflicts=0)},
                 "content": {"toserver": (r1 + r2).hex(), "toclient": (a1 + a2).hex()}}
    return sc


def tcp_synack_first():
    sc = Scenario("tcp-synack-first", "The SYN is not in the capture: it starts with the "
                  "server's SYN/ACK. The receiver of the SYN/ACK is the client.")
    t = Tcp(sc, cport=40008)
    t.nxt[0] += 1                      # the SYN that was not captured
    t.send(1, TH_SYN | TH_ACK)
    t.send(0, TH_ACK)
    req, resp = payload(b"sareq", 45), payload(b"saresp", 55)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    sc.optional.append({"type": "stream", "event": "tcp.midstream", "max": 1})
    t.f.extra = {"stream": {"toserver": stream_exp(45, gaps=0), "toclient": stream_exp(55, gaps=0)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    return sc


def tcp_seq_wrap():
    sc = Scenario("tcp-seq-wrap", "ISNs just below 2^32: sequence numbers wrap inside the "
                  "data of both directions.")
    t = Tcp(sc, cport=40006, cisn=0xFFFFFFFF - 150, sisn=0xFFFFFFFF - 20)
    t.handshake()
    segs = [payload(b"w%d" % i, 100) for i in range(3)]
    for s in segs:
        t.send(0, TH_PSH | TH_ACK, s)
    t.send(1, TH_ACK)
    resp = payload(b"wrapresp", 100)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(300, gaps=0, overlaps=0),
                            "toclient": stream_exp(100, gaps=0, overlaps=0)},
                 "content": {"toserver": b"".join(segs).hex(), "toclient": resp.hex()}}
    return sc


def tcp_rst():
    sc = Scenario("tcp-rst", "Request, response, then the server resets the connection.")
    t = Tcp(sc, cport=40007)
    t.handshake()
    req, resp = payload(b"rq", 64), payload(b"rs", 200)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.send(1, TH_RST | TH_ACK)
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(64), "toclient": stream_exp(200)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    return sc


# ----------------------------------------------------------------- fragments

def v4_frags(src, dst, proto, l4, sizes, ipid, order):
    """Split l4 (transport header + data) into IPv4 fragments of the given
    sizes (multiples of 8 but the last) and return them in @order."""
    assert sum(sizes) == len(l4)
    frags = []
    off = 0
    for i, n in enumerate(sizes):
        last = i == len(sizes) - 1
        frags.append(bytes(IP(src=src, dst=dst, id=ipid, ttl=64, proto=proto,
                              flags=0 if last else "MF", frag=off // 8) / Raw(l4[off:off + n])))
        off += n
    return [frags[i] for i in order]


def l4_bytes(ipcls_pkt):
    """Transport header + data of a scapy IP/IPv6 packet with checksums filled."""
    b = bytes(ipcls_pkt)
    if ipcls_pkt.version == 4:
        return b[(b[0] & 0x0F) * 4:]
    return b[40:]


def ipv4_frag():
    sc = Scenario("ipv4-frag", "A 3000-byte UDP payload in 3 IPv4 fragments sent 3,1,2; then "
                  "an unfragmented reply. Each fragment counts as a packet of the flow.")
    f = sc.flow("UDP", C4, 5000, S4, 6000)
    data = payload(b"udpfrag", 3000)
    l4 = l4_bytes(IP(src=C4, dst=S4) / UDP(sport=5000, dport=6000) / Raw(data))
    assert len(l4) == 3008
    frs = v4_frags(C4, S4, 17, l4, [1480, 1480, 48], 0x4242, [2, 0, 1])
    for fr in frs:
        sc.add(fr, 0, f)
    sc.add(udp_l3(S4, C4, 6000, 5000, b"thanks", ipid=0x5151), 1, f)
    return sc


def ipv4_frag_tcp():
    sc = Scenario("ipv4-frag-tcp", "A TCP data segment split in 3 IPv4 fragments sent out of "
                  "order (2,3,1); the reassembled stream shows the segment intact.")
    t = Tcp(sc, cport=40010)
    t.handshake()
    data = payload(b"fragtcp", 400)
    seg = t.l3(0, TH_PSH | TH_ACK, data)
    l4 = seg[20:]
    assert len(l4) == 420
    frs = v4_frags(C4, S4, 6, l4, [160, 160, 100], 0x7777, [0, 1, 2])
    for i in (1, 2, 0):
        sc.add(frs[i], 0, t.f, TH_PSH | TH_ACK if i == 0 else 0)
    t.nxt[0] += len(data)
    t.send(1, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(400, gaps=0, conflicts=0), "toclient": stream_exp(0)},
                 "content": {"toserver": data.hex(), "toclient": ""}}
    return sc


def ipv4_frag_overlap_conflict():
    sc = Scenario("ipv4-frag-overlap-conflict", "A TCP segment in 3 IPv4 fragments; the "
                  "second overlaps the first by 8 bytes with different bytes: "
                  "frag.overlap_conflict once, the first fragment's bytes win.")
    t = Tcp(sc, cport=40011)
    t.handshake()
    data = payload(b"ovl", 64)
    seg = t.l3(0, TH_PSH | TH_ACK, data)
    l4 = seg[20:]                       # 20 TCP + 64 data = 84
    assert len(l4) == 84
    a = l4[0:40]
    b = b"\xee" * 8 + l4[40:56]         # offset 32..56, bytes 32..40 differ from a
    c = l4[56:84]
    mk = lambda chunk, off, mf: bytes(IP(src=C4, dst=S4, id=0x6666, ttl=64, proto=6,
                                         flags="MF" if mf else 0, frag=off // 8) / Raw(chunk))
    sc.add(mk(a, 0, True), 0, t.f, TH_PSH | TH_ACK)
    n = sc.add(mk(b, 32, True), 0, t.f)
    sc.add(mk(c, 56, False), 0, t.f)
    t.nxt[0] += len(data)
    t.send(1, TH_ACK)
    t.close()
    sc.anomaly("defrag", "frag.overlap_conflict", n)
    t.f.extra = {"stream": {"toserver": stream_exp(64, conflicts=0)},
                 "content": {"toserver": data.hex(), "toclient": ""}}
    return sc


def ipv6_frag():
    sc = Scenario("ipv6-frag", "A 2000-byte UDP payload over IPv6 in 3 fragments sent 2,3,1; "
                  "then an unfragmented reply.")
    f = sc.flow("UDP", C6, 5001, S6, 6001)
    data = payload(b"v6frag", 2000)
    l4 = l4_bytes(IPv6(src=C6, dst=S6) / UDP(sport=5001, dport=6001) / Raw(data))
    assert len(l4) == 2008
    sizes = [800, 800, 408]
    frs = []
    off = 0
    for i, n in enumerate(sizes):
        m = 1 if i < len(sizes) - 1 else 0
        frs.append(bytes(IPv6(src=C6, dst=S6, hlim=64, nh=44) /
                         IPv6ExtHdrFragment(nh=17, offset=off // 8, m=m, id=0xABCDEF01) /
                         Raw(l4[off:off + n])))
        off += n
    for i in (1, 2, 0):
        sc.add(frs[i], 0, f)
    sc.add(udp_l3(S6, C6, 6001, 5001, b"v6thanks"), 1, f)
    return sc


def frag_incomplete():
    sc = Scenario("frag-incomplete", "Fragments 1 and 3 of a UDP datagram; fragment 2 never "
                  "comes. 31 s later an unrelated UDP packet: frag.timeout once.")
    sc.flows_exhaustive = False        # whether the lone fragments make a flow is not specified
    data = payload(b"lonely", 3000)
    l4 = l4_bytes(IP(src=C4, dst=S4) / UDP(sport=5002, dport=6002) / Raw(data))
    frs = v4_frags(C4, S4, 17, l4, [1480, 1480, 48], 0x1313, [0, 1, 2])
    sc.add(frs[0], 0)
    sc.add(frs[2], 0)
    g = sc.flow("UDP", "10.0.0.3", 5003, "10.0.0.4", 6003)
    sc.add(udp_l3("10.0.0.3", "10.0.0.4", 5003, 6003, b"later", ipid=0x2020), 0, g, dt=31000000)
    sc.anomaly("defrag", "frag.timeout")
    return sc


# ----------------------------------------------------------------- VLAN

def vlan_case(name, vlans, qinq):
    desc = ("802.1ad outer + 802.1Q inner" if qinq else "802.1Q") + \
        " tagged TCP conversation, VLAN ids %s." % list(vlans)
    sc = Scenario(name, desc)
    t = Tcp(sc, cport=40020 + len(vlans), vlan=list(vlans), l2kw={"vlans": vlans, "qinq": qinq})
    t.handshake()
    req, resp = payload(b"vreq", 50), payload(b"vresp", 90)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(50), "toclient": stream_exp(90)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    return sc


# ----------------------------------------------------------------- link types

def link_exchange(sc):
    """The same small exchange for every link type: a TCP/IPv4 connection and a
    UDP/IPv6 query and answer."""
    t = Tcp(sc, cport=40030)
    t.handshake()
    req, resp = payload(b"lreq", 30), payload(b"lresp", 70)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(30), "toclient": stream_exp(70)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    u = sc.flow("UDP", C6, 6353, S6, 7777)
    sc.add(udp_l3(C6, S6, 6353, 7777, b"question?"), 0, u)
    sc.add(udp_l3(S6, C6, 7777, 6353, b"answer!!"), 1, u)
    return sc


def link_cases():
    out = []
    for name, lt, l2, be, desc in [
        ("link-sll", LINKTYPE_LINUX_SLL, sll, False, "Linux cooked v1 (LINKTYPE 113)"),
        ("link-sll2", LINKTYPE_LINUX_SLL2, sll2, False, "Linux cooked v2 (LINKTYPE 276)"),
        ("link-raw", LINKTYPE_RAW, raw, False, "raw IP (LINKTYPE_RAW 101)"),
        ("link-null", LINKTYPE_NULL, null_le, False,
         "BSD loopback (LINKTYPE 0), little-endian file, AF 2 / AF 24 in host (file) order"),
        ("link-null-be", LINKTYPE_NULL, null_be, True,
         "BSD loopback in a big-endian pcap: AF values in big-endian (writer's host) order"),
        ("pcap-bigendian", LINKTYPE_ETHERNET, eth, True, "Ethernet, big-endian pcap file"),
        ("pcap-nsec", LINKTYPE_ETHERNET, eth, False, "Ethernet, nanosecond pcap (magic a1b23c4d)"),
    ]:
        sc = Scenario(name, desc + ": TCP/IPv4 connection + UDP/IPv6 exchange.", lt, l2)
        sc.big_endian = be
        sc.nsec = name == "pcap-nsec"
        out.append(link_exchange(sc))
    sc = Scenario("link-unsupported", "LINKTYPE_USER0 (147): bulkhead must refuse it with a "
                  "clear error and exit status 2.", LINKTYPE_USER0, eth)
    link_exchange(sc)
    sc.flows = []
    sc.exit = 2
    sc.stderr_regex = "(?i)link"
    out.append(sc)
    sc = Scenario("pcap-empty", "A valid pcap header and no packets: no events, exit 0.")
    out.append(sc)
    return out


# ----------------------------------------------------------------- L3 options

def ipv6_ext():
    sc = Scenario("ipv6-ext", "IPv6 TCP whose client packets carry hop-by-hop and destination "
                  "options headers before TCP.")
    v6hdr = lambda d: (IPv6(src=C6, dst=S6, hlim=64) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]) /
                       IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])) if d == 0 else \
        IPv6(src=S6, dst=C6, hlim=64)
    t = Tcp(sc, cip=C6, sip=S6, cport=40040, l3opts={"v6hdr": v6hdr})
    t.handshake()
    req, resp = payload(b"x6req", 77), payload(b"x6resp", 99)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(77), "toclient": stream_exp(99)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    return sc


def ipv4_options():
    sc = Scenario("ipv4-options", "IPv4 TCP whose packets carry options (NOP + record route "
                  "with 2 slots, IHL 8).")
    opts = lambda d: [IPOption_NOP(), IPOption_RR(pointer=4, routers=["0.0.0.0", "0.0.0.0"])]
    t = Tcp(sc, cport=40041, l3opts={"v4opts": opts})
    t.handshake()
    req, resp = payload(b"oreq", 33), payload(b"oresp", 44)
    t.send(0, TH_PSH | TH_ACK, req)
    t.send(1, TH_PSH | TH_ACK, resp)
    t.send(0, TH_ACK)
    t.close()
    t.f.extra = {"state": "closed",
                 "stream": {"toserver": stream_exp(33), "toclient": stream_exp(44)},
                 "content": {"toserver": req.hex(), "toclient": resp.hex()}}
    return sc


def icmp_echo():
    sc = Scenario("icmp-echo", "Two ICMP echo request/reply pairs over IPv4 and two ICMPv6 "
                  "echo pairs: one flow each, typed by the first packet.")
    f4 = sc.flow("ICMP", C4, None, S4, None, icmp=(8, 0))
    f6 = sc.flow("IPv6-ICMP", C6, None, S6, None, icmp=(128, 0))
    for seq in (1, 2):
        sc.add(bytes(IP(src=C4, dst=S4, id=10 + seq, ttl=64) / ICMP(type=8, id=0x99, seq=seq) / Raw(b"ping" * 8)), 0, f4)
        sc.add(bytes(IP(src=S4, dst=C4, id=20 + seq, ttl=64) / ICMP(type=0, id=0x99, seq=seq) / Raw(b"ping" * 8)), 1, f4)
    for seq in (1, 2):
        sc.add(bytes(IPv6(src=C6, dst=S6, hlim=64) / ICMPv6EchoRequest(id=0x66, seq=seq, data=b"ping6" * 8)), 0, f6)
        sc.add(bytes(IPv6(src=S6, dst=C6, hlim=64) / ICMPv6EchoReply(id=0x66, seq=seq, data=b"ping6" * 8)), 1, f6)
    return sc


# ----------------------------------------------------------------- malformed

def ip4_fix_csum(b):
    b = bytearray(b)
    ihl = (b[0] & 0x0F) * 4
    b[10:12] = b"\0\0"
    s = 0
    for i in range(0, max(ihl, 20), 2):
        s += (b[i] << 8) | b[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    b[10:12] = struct.pack(">H", ~s & 0xFFFF)
    return bytes(b)


def malformed():
    sc = Scenario("malformed", "One broken packet per decode check, each raising exactly one "
                  "decode anomaly at its packet number.")
    sc.flows_exhaustive = False        # none of these should make a flow, but it is not the point
    ehdr = bytes(Ether(src=MAC_C, dst=MAC_S, type=0))[:12]
    E4 = ehdr + b"\x08\x00"
    E6 = ehdr + b"\x86\xdd"
    good_tcp = bytes(IP(src=C4, dst=S4, id=1, ttl=64) / TCP(sport=1111, dport=2222, flags="S", seq=1, window=1024))
    good_udp = bytes(IP(src=C4, dst=S4, id=2, ttl=64) / UDP(sport=1111, dport=2222) / Raw(b"x" * 12))
    good_v6 = bytes(IPv6(src=C6, dst=S6, hlim=64) / UDP(sport=1111, dport=2222) / Raw(b"y" * 12))

    def case(frame, typ, event):
        n = sc.add(None, 0, frame=frame)
        sc.anomaly(typ, event, n)

    # 1. Ethernet header cut short
    case(E4[:10], "decode", "ethernet.pkt_too_small")
    # 2. 12 bytes of IPv4 header
    case(E4 + good_tcp[:12], "decode", "ipv4.pkt_too_small")
    # 3. IHL 4 (16 bytes) < 5
    b = bytearray(good_tcp); b[0] = 0x44
    case(E4 + ip4_fix_csum(b), "decode", "ipv4.hlen_too_small")
    # 4. total length 16 < header length 20
    b = bytearray(good_tcp); b[2:4] = struct.pack(">H", 16)
    case(E4 + ip4_fix_csum(b), "decode", "ipv4.iplen_smaller_than_hlen")
    # 5. total length 100 > the 40 bytes present
    b = bytearray(good_tcp); b[2:4] = struct.pack(">H", 100)
    case(E4 + ip4_fix_csum(b), "decode", "ipv4.trunc_pkt")
    # 6. TCP header of 10 bytes
    b = bytes(IP(src=C4, dst=S4, id=3, ttl=64, proto=6) / Raw(good_tcp[20:30]))
    case(E4 + b, "decode", "tcp.pkt_too_small")
    # 7. TCP data offset 4 (16 bytes) < 5
    b = bytes(IP(src=C4, dst=S4, id=4, ttl=64) / TCP(sport=1111, dport=2222, flags="S", seq=1,
                                                       window=1024, dataofs=4))
    case(E4 + b, "decode", "tcp.hlen_too_small")
    # 8. UDP length 50 but 20 bytes of UDP in the datagram
    b = bytearray(good_udp); b[24:26] = struct.pack(">H", 50)
    case(E4 + bytes(b), "decode", "udp.len_invalid")
    # 9. 20 bytes of IPv6 header
    case(E6 + good_v6[:20], "decode", "ipv6.pkt_too_small")
    # 10. hop-by-hop header claims 16 bytes, 8 are there (payload length 8)
    hbh = bytes([17, 1, 1, 4, 0, 0, 0, 0])
    v6 = bytearray(good_v6[:40]); v6[4:6] = struct.pack(">H", 8); v6[6] = 0
    case(E6 + bytes(v6) + hbh, "decode", "ipv6.exthdr_truncated")
    # 11. ICMP message of 4 bytes
    b = bytes(IP(src=C4, dst=S4, id=5, ttl=64, proto=1) / Raw(b"\x08\x00\xf7\xff"))
    case(E4 + b, "decode", "icmpv4.pkt_too_small")
    # 12. ethertype IPv4, version nibble 6
    b = bytearray(good_tcp); b[0] = 0x65
    case(E4 + bytes(b), "decode", "ipv4.wrong_ip_version")
    # 13. IPv6 payload length 100, 20 bytes present
    v6 = bytearray(good_v6); v6[4:6] = struct.pack(">H", 100)
    case(E6 + bytes(v6), "decode", "ipv6.trunc_pkt")
    return sc


# ----------------------------------------------------------------- main

def scenarios():
    out = [tcp_reorder(), tcp_retrans_same(), tcp_overlap_conflict(), tcp_overlap_conflict_acked(),
           tcp_ooo_overlap_conflict(),
           tcp_gap(), tcp_midstream(), tcp_synack_first(), tcp_seq_wrap(), tcp_rst(),
           ipv4_frag(), ipv4_frag_tcp(), ipv4_frag_overlap_conflict(), ipv6_frag(), frag_incomplete(),
           vlan_case("vlan", (10,), False), vlan_case("qinq", (100, 20), True),
           ipv6_ext(), ipv4_options(), icmp_echo(), malformed()]
    out += link_cases()
    return out


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    names = []
    for sc in scenarios():
        sc.write(outdir)
        names.append(sc.name)
    return names


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "crafted")
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
