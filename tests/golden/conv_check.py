#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""conv_check.py - compare bulkhead's flows and TCP streams with tshark's.

Usage: conv_check.py BULKHEAD PCAP...

For every capture:
  * `bulkhead replay --eve - --workers N --dump-streams DIR PCAP` for N = 1, 2
    and 3: the event output and the dumped streams must be byte-identical.
  * TCP and UDP: one flow event per tshark conversation (`-z conv,tcp`,
    `-z conv,udp`), oriented as tshark's A -> B (A sent the first packet, the
    SYN for the real captures), with the frames of each direction equal to
    tshark's and the bytes equal to the sum of frame.len per direction
    (`-T fields`; conv prints rounded kB, which is cross-checked too).
  * ICMP / ICMPv6: one flow per address pair, counted with `-T fields`.
  * Reassembled TCP streams (`--dump-streams`) equal tshark's
    `-z follow,tcp,raw,N` for every TCP stream, both directions.
Exit 0 on a full match, 1 on any mismatch (a per-conversation diff is
printed), 77 when tshark is missing.
"""

import filecmp
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 120


def norm_ip(s):
    return str(ipaddress.ip_address(s.strip("[]")))


def split_hostport(s):
    s = s.strip()
    m = re.match(r"^\[(.*)\]:(\d+)$", s)
    if m:
        return norm_ip(m.group(1)), int(m.group(2))
    host, port = s.rsplit(":", 1)
    return norm_ip(host), int(port)


def tshark(args):
    r = subprocess.run(["tshark", "-n", "-o", "tcp.desegment_tcp_streams:TRUE"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("tshark %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout.decode()


# ----------------------------------------------------------------- tshark side

UNIT = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def parse_conv(text):
    """{'TCP'|'UDP': [ {a, pa, b, pb, frames_ab, frames_ba, bytes_ab_str, bytes_ba_str} ]}"""
    out = {"TCP": [], "UDP": []}
    section = None
    row = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d.]+ \S+)\s+(\d+)\s+([\d.]+ \S+)\s+(\d+)\s+")
    for line in text.splitlines():
        if line.startswith("TCP Conversations"):
            section = "TCP"
        elif line.startswith("UDP Conversations"):
            section = "UDP"
        elif line.startswith("==="):
            continue
        elif section:
            m = row.match(line)
            if not m:
                continue
            a, pa = split_hostport(m.group(1))
            b, pb = split_hostport(m.group(2))
            # tshark: "<-" columns are B -> A, "->" columns are A -> B.
            out[section].append({"a": a, "pa": pa, "b": b, "pb": pb,
                                 "frames_ba": int(m.group(3)), "bytes_ba_str": m.group(4),
                                 "frames_ab": int(m.group(5)), "bytes_ab_str": m.group(6)})
    return out


def tshark_bytes_fmt(n):
    """tshark 4.0 format_size(): 'N bytes' below 10000, else rounded kB/MB."""
    if n < 10000:
        return "%d bytes" % n
    for unit, div in (("kB", 1000), ("MB", 1000 ** 2), ("GB", 1000 ** 3)):
        if n / div < 10000 or unit == "GB":
            return "%d %s" % (n // div, unit)
    return None


FIELDS = ["frame.number", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto",
          "tcp.srcport", "tcp.dstport", "tcp.stream", "udp.srcport", "udp.dstport",
          "icmp.type", "icmpv6.type", "tcp.flags.fin", "tcp.flags.reset"]


def frame_table(pcap):
    text = tshark(["-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"] +
                  sum([["-e", f] for f in FIELDS], []))
    rows = []
    for line in text.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        rows.append(dict(zip(FIELDS, v)))
    return rows


def per_direction_bytes(rows):
    """{(proto, src, sport, dst, dport): [frames, bytes]} exact, from frame.len."""
    out = {}
    for r in rows:
        src = r["ip.src"] or r["ipv6.src"]
        dst = r["ip.dst"] or r["ipv6.dst"]
        if not src:
            continue
        src, dst = norm_ip(src), norm_ip(dst)
        if r["tcp.srcport"]:
            k = ("TCP", src, int(r["tcp.srcport"]), dst, int(r["tcp.dstport"]))
        elif r["udp.srcport"]:
            k = ("UDP", src, int(r["udp.srcport"]), dst, int(r["udp.dstport"]))
        elif r["icmp.type"]:
            k = ("ICMP", src, None, dst, None)
        elif r["icmpv6.type"]:
            k = ("IPv6-ICMP", src, None, dst, None)
        else:
            continue
        e = out.setdefault(k, [0, 0, None, False])
        e[0] += 1
        e[1] += int(r["frame.len"])
        if e[2] is None:
            e[2] = int(r["frame.number"])
        if r["tcp.flags.fin"] in ("1", "True") or r["tcp.flags.reset"] in ("1", "True"):
            e[3] = True
    return out


def parse_follow(text):
    """{stream: {"node0": (ip, port), "node1": (ip, port), "data0": bytes, "data1": bytes}}"""
    out = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^Filter: tcp\.stream eq (\d+)", line)
        if m:
            cur = {"data0": bytearray(), "data1": bytearray()}
            out[int(m.group(1))] = cur
            continue
        if cur is None:
            continue
        m = re.match(r"^Node ([01]): (.*)$", line)
        if m:
            cur["node" + m.group(1)] = split_hostport(m.group(2))
            continue
        if line.startswith("===") or line.startswith("Follow:"):
            continue
        if line.startswith("\t"):
            cur["data1"] += bytes.fromhex(line.strip())
        elif line.strip():
            cur["data0"] += bytes.fromhex(line.strip())
    return out


# ----------------------------------------------------------------- bulkhead side

def run_bulkhead(exe, pcap, workers, dumpdir):
    cmd = [exe, "replay", "--eve", "-", "--workers", str(workers), "--dump-streams", dumpdir, pcap]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace"), cmd


def parse_events(raw, errs):
    events = []
    for i, line in enumerate(raw.decode(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError as e:
            errs.append("eve line %d is not JSON (%s): %.200s" % (i, e, line))
    return events


def flow_key(ev):
    proto = ev.get("proto")
    src, dst = norm_ip(ev["src_ip"]), norm_ip(ev["dest_ip"])
    if proto in ("TCP", "UDP"):
        return (proto, src, ev.get("src_port"), dst, ev.get("dest_port"))
    return (proto, src, None, dst, None)


def fmt_key(k):
    p, s, sp, d, dp = k
    h = lambda ip, port: ("[%s]" % ip if ":" in ip else ip) + (":%d" % port if port is not None else "")
    return "%s %s -> %s" % (p, h(s, sp), h(d, dp))


def dirs_identical(a, b):
    fa, fb = sorted(os.listdir(a)), sorted(os.listdir(b))
    if fa != fb:
        return False
    return all(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False) for f in fa)


# ----------------------------------------------------------------- the check

def check_pcap(exe, pcap, tmp):
    errs = []
    name = os.path.basename(pcap)

    # 1. bulkhead, three worker counts, identical output
    outs = {}
    for n in (1, 2, 3):
        d = os.path.join(tmp, "%s.w%d" % (name, n))
        os.makedirs(d)
        rc, out, err, cmd = run_bulkhead(exe, pcap, n, d)
        if rc != 0:
            errs.append("`%s` exited %d: %s" % (" ".join(cmd), rc, err.strip()[:500]))
            return errs
        outs[n] = (out, d)
    for n in (2, 3):
        if outs[n][0] != outs[1][0]:
            a, b = outs[1][0].splitlines(), outs[n][0].splitlines()
            first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            errs.append("--workers %d output differs from --workers 1 (%d vs %d lines, first "
                        "difference at line %d)" % (n, len(b), len(a), first + 1))
        if not dirs_identical(outs[1][1], outs[n][1]):
            errs.append("--workers %d --dump-streams differs from --workers 1" % n)
    out, dump = outs[1]
    events = parse_events(out, errs)
    flows = [e for e in events if e.get("event_type") == "flow"]
    for e in flows:
        if e.get("pcap_file") is None or not str(e["pcap_file"]).endswith(name):
            errs.append("flow %s: pcap_file %r, expected ...%s" % (e.get("flow_id"), e.get("pcap_file"), name))
            break

    by_key = {}
    for e in flows:
        try:
            by_key.setdefault(flow_key(e), []).append(e)
        except (KeyError, ValueError) as ex:
            errs.append("flow event without a usable tuple (%s): %.200s" % (ex, json.dumps(e)))
    used = set()

    def find(proto, a, pa, b, pb):
        fwd = (proto, a, pa, b, pb)
        rev = (proto, b, pb, a, pa)
        return fwd, rev, by_key.get(fwd, []), by_key.get(rev, [])

    # 2. TCP/UDP conversations
    conv = parse_conv(tshark(["-r", pcap, "-q", "-z", "conv,tcp", "-z", "conv,udp"]))
    rows = frame_table(pcap)
    exact = per_direction_bytes(rows)
    for proto in ("TCP", "UDP"):
        n_flows = sum(len(v) for k, v in by_key.items() if k[0] == proto)
        if n_flows != len(conv[proto]):
            errs.append("%s: tshark has %d conversations, bulkhead %d flow events" %
                        (proto, len(conv[proto]), n_flows))
        for c in conv[proto]:
            fwd, rev, ff, rf = find(proto, c["a"], c["pa"], c["b"], c["pb"])
            label = fmt_key(fwd)
            ab = exact.get(fwd, [0, 0, None, False])
            ba = exact.get(rev, [0, 0, None, False])
            # sanity of this script's two readings of tshark
            if (ab[0], ba[0]) != (c["frames_ab"], c["frames_ba"]):
                errs.append("%s: tshark conv frames %d/%d but fields count %d/%d (checker bug?)" %
                            (label, c["frames_ab"], c["frames_ba"], ab[0], ba[0]))
            for n, s in ((ab[1], c["bytes_ab_str"]), (ba[1], c["bytes_ba_str"])):
                if tshark_bytes_fmt(n) != s:
                    errs.append("%s: tshark conv says %s, frame.len sum %d (checker bug?)" % (label, s, n))
            if len(ff) + len(rf) == 0:
                errs.append("%s: conversation missing (tshark: %d frames A->B, %d B->A)" %
                            (label, c["frames_ab"], c["frames_ba"]))
                continue
            if len(ff) + len(rf) > 1:
                errs.append("%s: split into %d flow events (ids %s)" %
                            (label, len(ff) + len(rf), [e.get("flow_id") for e in ff + rf]))
            used.update(id(e) for e in ff + rf)
            if rf and not ff:
                errs.append("%s: oriented the other way (bulkhead src=%s:%s), tshark's A sent the "
                            "first packet" % (label, rev[1], rev[2]))
                e = rf[0]
                want = {"pkts_toserver": ba[0], "pkts_toclient": ab[0],
                        "bytes_toserver": ba[1], "bytes_toclient": ab[1]}
            else:
                e = ff[0]
                want = {"pkts_toserver": ab[0], "pkts_toclient": ba[0],
                        "bytes_toserver": ab[1], "bytes_toclient": ba[1]}
            fl = e.get("flow", {})
            for k, v in want.items():
                if fl.get(k) != v:
                    errs.append("%s: flow.%s = %s, tshark %d" % (label, k, fl.get(k), v))
            if proto == "TCP":
                # capture.sh guarantees complete captures: FIN (or RST) both
                # ways means closed, and no stream has a gap.
                if ab[3] and ba[3] and fl.get("state") != "closed":
                    errs.append("%s: FIN/RST seen both ways but flow.state = %r" % (label, fl.get("state")))
                for d in ("toserver", "toclient"):
                    st = (e.get("stream") or {}).get(d) or {}
                    for k in ("gaps", "conflicts", "overflows"):
                        if st.get(k):
                            errs.append("%s: stream.%s.%s = %s in a complete capture" % (label, d, k, st[k]))

    # 3. ICMP per address pair
    icmp = {}
    for k, v in exact.items():
        if k[0] in ("ICMP", "IPv6-ICMP"):
            pair = (k[0],) + tuple(sorted((k[1], k[3])))
            icmp.setdefault(pair, {})[(k[1], k[3])] = v
    for pair, dirs in sorted(icmp.items()):
        # A = the sender of the pair's first frame
        a, b = min(dirs.items(), key=lambda kv: kv[1][2])[0]
        ab, ba = dirs.get((a, b), [0, 0, None, False]), dirs.get((b, a), [0, 0, None, False])
        fwd, rev, ff, rf = find(pair[0], a, None, b, None)
        label = fmt_key(fwd)
        if len(ff) + len(rf) == 0:
            errs.append("%s: no flow event (tshark: %d frames A->B, %d B->A)" % (label, ab[0], ba[0]))
            continue
        if len(ff) + len(rf) > 1:
            errs.append("%s: split into %d flow events" % (label, len(ff) + len(rf)))
        used.update(id(e) for e in ff + rf)
        if not ff:
            errs.append("%s: oriented the other way" % label)
            continue
        fl = ff[0].get("flow", {})
        for k, v in (("pkts_toserver", ab[0]), ("pkts_toclient", ba[0]),
                     ("bytes_toserver", ab[1]), ("bytes_toclient", ba[1])):
            if fl.get(k) != v:
                errs.append("%s: flow.%s = %s, tshark %d" % (label, k, fl.get(k), v))
    for e in flows:
        if id(e) not in used:
            try:
                errs.append("%s: flow event tshark has no conversation for (%d pkts)" %
                            (fmt_key(flow_key(e)), e.get("flow", {}).get("pkts_toserver", 0)))
            except (KeyError, ValueError):
                pass

    # Real traffic from real stacks is well formed.
    for e in events:
        a = e.get("anomaly") or {}
        if e.get("event_type") == "anomaly" and a.get("type") in ("decode", "defrag", "stream", "flow"):
            errs.append("unexpected anomaly %s/%s at pcap_cnt %s" % (a.get("type"), a.get("event"), e.get("pcap_cnt")))

    # 4. TCP streams
    streams = sorted({int(r["tcp.stream"]) for r in rows if r["tcp.stream"]})
    if streams:
        args = ["-r", pcap, "-q"]
        for s in streams:
            args += ["-z", "follow,tcp,raw,%d" % s]
        follows = parse_follow(tshark(args))
        for s in streams:
            f = follows.get(s)
            if f is None or "node0" not in f:
                errs.append("tcp.stream %d: tshark follow output missing (checker bug?)" % s)
                continue
            (a, pa), (b, pb) = f["node0"], f["node1"]
            fwd, rev, ff, rf = find("TCP", a, pa, b, pb)
            label = fmt_key(fwd)
            if ff:
                ev, ts_data, tc_data = ff[0], f["data0"], f["data1"]
            elif rf:
                ev, ts_data, tc_data = rf[0], f["data1"], f["data0"]
            else:
                continue   # already reported as missing
            fid = ev.get("flow_id")
            for direction, want in (("toserver", ts_data), ("toclient", tc_data)):
                path = os.path.join(dump, "%s.%s" % (fid, direction))
                got = open(path, "rb").read() if os.path.exists(path) else b""
                if got != bytes(want):
                    i = next((j for j in range(min(len(got), len(want))) if got[j] != want[j]),
                             min(len(got), len(want)))
                    errs.append("%s: %s stream differs from tshark follow: %d bytes vs %d, first "
                                "difference at offset %d (bulkhead %r, tshark %r)" %
                                (label, direction, len(got), len(want), i,
                                 bytes(got[i:i + 16]), bytes(want[i:i + 16])))
                st = ev.get("stream", {}).get(direction, {})
                if st.get("delivered") is not None and st.get("delivered") != len(want):
                    errs.append("%s: stream.%s.delivered = %s, tshark follow has %d bytes" %
                                (label, direction, st.get("delivered"), len(want)))
    return errs


def main(argv):
    if len(argv) < 3:
        print("usage: conv_check.py BULKHEAD PCAP...", file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("SKIP: tshark not installed")
        return 77
    exe, pcaps = argv[1], argv[2:]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="bh-conv-") as tmp:
        for pcap in pcaps:
            try:
                errs = check_pcap(exe, pcap, tmp)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                errs = ["error: %s" % e]
            if errs:
                failed += 1
                print("FAIL %s" % pcap)
                for e in errs:
                    print("  " + e)
            else:
                passed += 1
                print("PASS %s" % pcap)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
