#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/control/report.py RAW APPLIES P1_ROUNDS DUR - the tables of bench/control/run.sh
in markdown, from RAW/applies.jsonl (every timed client call and wire.py
request), RAW/part1-wrk.txt, RAW/part2.txt with the daemon's stats before and
after each load (RAW/p2-*.stats[01].json), and RAW/part3.txt with the stats
after each load (RAW/p3-*.stats.json). Prints; asserts nothing."""

import json
import os
import re
import sys

CFG_LABEL = {
    "q1": "apply, 1 queue",
    "q1-state": "apply, 1 queue, --state-dir",
    "q2-state": "apply, 2 queues, --state-dir",
    "q1-nofp": "apply, 1 queue, --no-fast-path",
}


def pct(vals, p):
    """The p-th percentile (nearest rank) of vals, or None."""
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return None
    k = max(0, min(len(vals) - 1, int(-(-p * len(vals) // 100)) - 1))
    return vals[k]


def med(vals):
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return None
    n = len(vals)
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2


def f(v, d=1):
    if v is None:
        return "-"
    return f"{v:,.{d}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def diff(a, b):
    if a is None or b is None:
        return "-"
    return f"{a - b:+,.1f}"


def load_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    rows.append({"kind": "unparsable", "rc": 1})
    return rows


def stats(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return 0
        d = d.get(k, 0)
    return d or 0


def qsum(st, key):
    return sum(q.get(key, 0) for q in st.get("queues", []) or [])


def counters(st):
    """The stats counters the tables show, as a dict."""
    return {
        "tx_deny": get(st, "decisions", "transaction", "deny"),
        "flow_deny": get(st, "decisions", "flow", "deny"),
        "reset": get(st, "flows", "reset"),
        "qdrop": qsum(st, "dropped"),
        "enobufs": qsum(st, "enobufs"),
        "missed": qsum(st, "missed"),
        "pkt_drop": get(st, "packets", "dropped"),
        "ev_queued": get(st, "events", "queued"),
        "ev_dropped": get(st, "events", "dropped"),
        "ev_written": get(st, "events", "written"),
        "ev_sub_drops": get(st, "events", "subscriber_drops"),
        "applies": get(st, "policy", "applies"),
        "apply_errors": get(st, "policy", "apply_errors"),
    }


def part1(rows, raw, napplies, p1_rounds):
    p1 = [r for r in rows if r.get("part") == 1]
    if not p1:
        return
    sizes = sorted({r["size"] for r in p1})

    def sel(cfg, size, load, kind):
        return [r for r in p1 if r.get("cfg") == cfg and (size is None or r.get("size") == size)
                and r.get("load") == load and r.get("kind") == kind]

    def e2e(cfg, size, load, kind):
        return [r["e2e_us"] / 1000 for r in sel(cfg, size, load, kind) if r.get("rc") == 0]

    def comp(cfg, size, load, kind):
        return [(r.get("out") or {}).get("compile_ms") for r in sel(cfg, size, load, kind)
                if r.get("rc") == 0]

    def cpu(cfg, size, kind):
        """The daemon's CPU ms per operation in the idle blocks: "own + children"."""
        rs = sel(cfg, size, "idle", kind)
        n = sum(r["n"] for r in rs)
        if not n:
            return "-"
        own = sum(r["cpu_ms"] for r in rs) / n
        child = sum(r.get("child_ms", 0) for r in rs) / n
        return f"{own:.0f} + {child:.0f}"

    fails = [r for r in p1 if r.get("rc") not in (0, None)]
    unchanged = [r for r in p1 if r.get("kind") in ("apply", "wire") and r.get("rc") == 0
                 and not (r.get("out") or {}).get("changed", False)]
    print("## 1. Policy apply latency")
    print()
    print(f"{napplies} of each per size, idle and under load (wrk from both clients), in "
          f"{p1_rounds} rounds; in each round the four daemons ran in turn (a different one "
          "first), each for its share of the applies of every size idle, then under load; "
          "ms; `compile_ms` from the result; "
          "daemon CPU = its CPU time over an idle block / operations, its own (every thread) "
          "+ its children's (iptables-restore re-arming the fast path), at the clock tick's "
          "10 ms resolution. "
          f"Failed calls: {len(fails)}; applies that changed nothing: {len(unchanged)}.")
    print()
    print("| workloads | what | idle median | idle p95 | load median | load p95 | load / idle "
          "| compile_ms idle | compile_ms load | daemon CPU ms/op idle (own + children) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, label in (("version", "`bulkhead --version` (client start, no request)"),
                        ("ping", "`bulkhead ping`")):
        i, l_ = e2e("q1", None, "idle", kind), e2e("q1", None, "load", kind)
        if i or l_:
            print(f"| any | {label} | {f(med(i))} | {f(pct(i, 95))} | {f(med(l_))} "
                  f"| {f(pct(l_, 95))} | {ratio(med(l_), med(i))} | | | |")
    for size in sizes:
        lines = [("q1", "dry", "apply --dry-run, 1 queue (compile, diff)", "cpu-dry"),
                 ("q1", "wire", "apply over one open connection (wire.py, no client process), 1 queue", None)]
        lines += [(c, "apply", CFG_LABEL[c], "cpu") for c in CFG_LABEL]
        for cfg, kind, label, ck in lines:
            i, l_ = e2e(cfg, size, "idle", kind), e2e(cfg, size, "load", kind)
            if not i and not l_:
                continue
            ci, cl = comp(cfg, size, "idle", kind), comp(cfg, size, "load", kind)
            print(f"| {size:,} | {label} | {f(med(i))} | {f(pct(i, 95))} | {f(med(l_))} "
                  f"| {f(pct(l_, 95))} | {ratio(med(l_), med(i))} | {f(med(ci))} | {f(med(cl))} "
                  f"| {cpu(cfg, size, ck) if ck else ''} |")
    print()
    print("Where the time goes (differences of the medians above, ms; idle / under load). "
          "Each comes from its own block of applies, so a small one is within noise:")
    print()
    print("| workloads | client start (`--version`) | client, less wire (start, file read, "
          "encoding) | compile_ms | daemon, less compile (wire - compile_ms: frames, diff, "
          "swap, reply) | swap and re-arm (apply - dry run) | fast path re-arm (apply - "
          "--no-fast-path) | persist (--state-dir - none) | 2nd queue (2 queues - 1, "
          "--state-dir) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        cells = []
        for load in ("idle", "load"):
            m = {}
            m["ver"] = med(e2e("q1", None, load, "version"))
            m["q1"] = med(e2e("q1", size, load, "apply"))
            m["wire"] = med(e2e("q1", size, load, "wire"))
            m["comp"] = med(comp("q1", size, load, "wire") + comp("q1", size, load, "apply"))
            m["dry"] = med(e2e("q1", size, load, "dry"))
            m["nofp"] = med(e2e("q1-nofp", size, load, "apply"))
            m["q1s"] = med(e2e("q1-state", size, load, "apply"))
            m["q2s"] = med(e2e("q2-state", size, load, "apply"))
            cells.append(m)

        def both(fn):
            return " / ".join(fn(m) for m in cells)
        print(f"| {size:,} | {both(lambda m: f(m['ver']))} | {both(lambda m: diff(m['q1'], m['wire']))} "
              f"| {both(lambda m: f(m['comp']))} | {both(lambda m: diff(m['wire'], m['comp']))} "
              f"| {both(lambda m: diff(m['q1'], m['dry']))} | {both(lambda m: diff(m['q1'], m['nofp']))} "
              f"| {both(lambda m: diff(m['q1s'], m['q1']))} | {both(lambda m: diff(m['q2s'], m['q1s']))} |")
    print()
    # The loads the applies ran under.
    wl = []
    try:
        with open(os.path.join(raw, "part1-wrk.txt"), encoding="utf-8") as fh:
            for line in fh:
                p = line.split()
                if len(p) == 7:
                    wl.append(p)
    except OSError:
        pass
    if wl:
        errs = sum(int(p[6]) for p in wl)
        by = {}
        for p in wl:
            by.setdefault(p[0], []).append(float(p[2]))
        print(f"The load during the applies (wrk, both clients; applies back to back): "
              f"req/s median {f(med([float(p[2]) for p in wl]), 0)} ("
              + ", ".join(f"{c} {f(med(v), 0)}" for c, v in by.items()) +
              f"), p99 median {f(med([float(p[4]) for p in wl]), 2)} ms, max latency up to "
              f"{f(max(float(p[5]) for p in wl), 1)} ms, errors {errs}.")
        print()
    ev = []
    for cfg in CFG_LABEL:
        cs = [counters(stats(os.path.join(raw, fn))) for fn in sorted(os.listdir(raw))
              if fn.startswith("p1-r") and fn.endswith(f"-{cfg}.stats.json")]
        if cs:
            c = {k: sum(x[k] for x in cs) for k in cs[0]}
            ev.append(f"{cfg} {c['ev_dropped']:,} of {c['ev_queued']:,} "
                      f"(tx denied {c['tx_deny']}, resets {c['reset']}, queue drops {c['qdrop']})")
    if ev:
        print("Events dropped by these daemons, summed over their rounds (no --eve, no "
              "subscriber; `bulkhead --json stats` .events at each one's end): "
              + "; ".join(ev) + ".")
        print()


LINE = re.compile(r"^(\d+):(\d+):(\d+\.\d+) (\w+)\((.*)\) += (.*?)(?: <([\d.]+)>)?$")
EVENTFD_WAKE = '"\\1\\0\\0\\0\\0\\0\\0\\0", 8'


def trace_phases(path):
    """The applies in one strace -tt -T file of the daemon's main thread, each
    as a dict of phase -> ms (None where the phase was not seen)."""
    out = []
    cur = None
    try:
        fh = open(path, encoding="utf-8", errors="replace")
    except OSError:
        return out
    with fh:
        for line in fh:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            t = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            name, args, ret, dur = m[4], m[5], m[6], float(m[7] or 0)
            end = t + dur
            if name == "recvfrom" and "policy.apply" in args:
                cur = {"fd": args.split(",", 1)[0], "t0": t, "req_end": end}
                continue
            if cur is None:
                continue
            fd = args.split(",", 1)[0]
            if name == "recvfrom" and fd == cur["fd"] and ret.split()[0].isdigit() \
                    and int(ret.split()[0]) > 0 and "persist0" not in cur and "swap0" not in cur:
                cur["req_end"] = end
            elif name in ("mkdir", "openat") and "persist0" not in cur and "/sys/" not in args \
                    and (name == "mkdir" or "O_DIRECTORY" in args):
                cur["persist0"] = t
            elif name == "rename" and "persist0" in cur:
                cur["renamed"] = True
            elif name == "fsync" and cur.get("renamed") and "persist1" not in cur:
                cur["persist1"] = end
            elif name == "socket" and "NETLINK_NETFILTER" in args and "ct0" not in cur:
                cur["ct0"], cur["ctfd"] = t, ret.split()[0]
            elif name == "close" and cur.get("ctfd") == fd and "ct1" not in cur:
                cur["ct1"] = end
            elif name == "write" and EVENTFD_WAKE in args and "rearm0" not in cur:
                cur.setdefault("swap0", t)
                cur["waking"] = True
            elif cur.get("waking"):
                # The first call after the wake-ups: synchronize_rcu() returned.
                cur["waking"] = False
                cur["swap1"] = t
            if name == "pipe2" and "swap1" in cur and "rearm0" not in cur:
                cur["rearm0"] = t
            if name == "wait4" and "rearm0" in cur:
                cur["rearm1"] = end
            if name == "sendto" and fd == cur["fd"] and '\\"ok\\":' in args:
                cur["reply"] = t
                out.append(cur)
                cur = None
    res = []
    for c in out:
        def span(a, b):
            return (c[b] - c[a]) * 1000 if a in c and b in c else None
        first = min((c[k] for k in ("persist0", "ct0", "swap0") if k in c), default=None)
        last = max((c[k] for k in ("persist1", "ct1", "swap1", "rearm1") if k in c), default=None)
        res.append({
            "receive": span("t0", "req_end"),
            "parse": (first - c["req_end"]) * 1000 if first is not None else None,
            "persist": span("persist0", "persist1"),
            "ct": span("ct0", "ct1"),
            "swap": span("swap0", "swap1"),
            "rearm": span("rearm0", "rearm1"),
            "reply": (c["reply"] - last) * 1000 if last is not None else None,
            "total": span("t0", "reply"),
        })
    return res


def part1_traced(rows, raw):
    tr = [r for r in rows if r.get("part") == "1t"]
    if not tr:
        return
    sizes = sorted({r["size"] for r in tr})
    print("Traced: the same applies in a daemon with 2 queues and --state-dir, strace on its "
          "main thread, each apply cut into phases by the system calls that bound them; "
          "medians in ms (idle / under load). *parse, compile, diff, state text*: from the "
          "request read to the state directory's mkdir (the result's compile_ms is part of "
          "it; so is making the state file's text); *persist*: "
          "mkdir, write, fsync, rename, fsync of the directory (the state's text is made "
          "before, in the phase before); *conntrack*: the ctnetlink walk that "
          "clears old offload marks; *swap*: the workers' wake-ups and synchronize_rcu(); "
          "*re-arm*: iptables-restore and ip6tables-restore (fork, exec, wait) rewriting the "
          "fast path's mark rule; *reply*: what follows until the reply is sent. strace "
          "stops the thread at every call it traces, so these applies run a little slower.")
    print()
    print("| workloads | client end to end | daemon total | receive request | parse, compile, "
          "diff, state text | of which compile_ms | persist | conntrack | swap | re-arm | reply |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        cells = {}
        for load in ("idle", "load"):
            ph = trace_phases(os.path.join(raw, f"trace-{load}-{size}.txt"))
            rs = [r for r in tr if r["size"] == size and r["load"] == load and r.get("rc") == 0]
            cells[load] = {k: med([p[k] for p in ph]) for k in
                           ("receive", "parse", "persist", "ct", "swap", "rearm", "reply", "total")}
            cells[load]["e2e"] = med([r["e2e_us"] / 1000 for r in rs])
            cells[load]["comp"] = med([(r.get("out") or {}).get("compile_ms") for r in rs])
            cells[load]["n"] = len(ph)

        def both(k, d=1):
            return " / ".join(f(cells[ld][k], d) for ld in ("idle", "load"))
        print(f"| {size:,} | {both('e2e')} | {both('total')} | {both('receive')} | {both('parse')} "
              f"| {both('comp')} | {both('persist', 2)} | {both('ct', 2)} | {both('swap', 2)} "
              f"| {both('rearm')} | {both('reply', 2)} |")
    print()


def perf_section(raw):
    try:
        with open(os.path.join(raw, "perf.txt"), encoding="utf-8") as fh:
            text = fh.read().strip()
    except OSError:
        return
    if text:
        print("Profile of the daemon (perf, no call graphs) while it applied the largest policy, "
              "idle:")
        print()
        print("```")
        print(text)
        print("```")
        print()


def timeline(path):
    """[(t_us, queued)] from a sampler file, or []."""
    pts = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                p = line.split()
                if len(p) == 2 and p[0].isdigit() and p[1].isdigit():
                    pts.append((int(p[0]), int(p[1])))
    except OSError:
        pass
    return pts


def cum(pts, t):
    """The queued counter at time t, interpolated between samples."""
    lo, hi = 0, len(pts) - 1
    if t <= pts[0][0]:
        return pts[0][1]
    if t >= pts[hi][0]:
        return pts[hi][1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pts[mid][0] <= t:
            lo = mid
        else:
            hi = mid
    (t0, c0), (t1, c1) = pts[lo], pts[hi]
    return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c0


def flow_rates(pts, windows, a, b, bucket_us=20000):
    """Packets/s from time a to b of the timeline, inside the windows
    [(start, len)], outside them, and the lowest bucket_us bucket (all None
    when unknown)."""
    pts = [x for x in pts if a - 50000 <= x[0] <= b + 50000]
    if len(pts) < 3 or b - a < 10 * bucket_us:
        return None, None, None, None
    total = (cum(pts, b) - cum(pts, a)) / ((b - a) / 1e6)
    ins_p = ins_t = 0.0
    for s0, ln in windows:
        s1 = min(s0 + ln, b)
        s0 = max(s0, a)
        if s1 > s0:
            ins_p += cum(pts, s1) - cum(pts, s0)
            ins_t += s1 - s0
    inside = ins_p / (ins_t / 1e6) if ins_t > 0 else None
    out_t = (b - a) - ins_t
    outside = ((cum(pts, b) - cum(pts, a)) - ins_p) / (out_t / 1e6) if out_t > 0.05 * (b - a) else None
    low = None
    t = a
    while t + bucket_us <= b:
        r = (cum(pts, t + bucket_us) - cum(pts, t)) / (bucket_us / 1e6)
        low = r if low is None else min(low, r)
        t += bucket_us
    return total, inside, outside, low


def part2(rows, raw, dur):
    lines = []
    try:
        with open(os.path.join(raw, "part2.txt"), encoding="utf-8") as fh:
            lines = [ln.split() for ln in fh if ln.strip()]
    except OSError:
        return
    if not lines:
        return
    p2 = [r for r in rows if r.get("part") == 2]
    modes = []
    for p in lines:
        if p[1] not in modes:
            modes.append(p[1])
    modes.sort(key=lambda m: (m != "never", int(m.split("@")[1]) if "@" in m else 0,
                              -int(m.split("@")[0]) if "@" in m else 0))
    by = {}
    for p in lines:
        r, mode = int(p[0]), p[1]
        st0 = stats(os.path.join(raw, f"p2-r{r}-{mode.replace('@', 'at')}.stats0.json"))
        st1 = stats(os.path.join(raw, f"p2-r{r}-{mode.replace('@', 'at')}.stats1.json"))
        c0, c1 = counters(st0), counters(st1)
        d = {k: c1[k] - c0[k] for k in c0}
        tl = timeline(os.path.join(raw, f"p2-r{r}-{mode.replace('@', 'at')}.qs"))
        win = [(x["t0_us"], x["e2e_us"]) for x in p2 if x.get("mode") == mode
               and x.get("round") == r and "t0_us" in x]
        # The load's own window, less wrk's first connections and its end.
        if len(p) >= 14:
            tot_r, in_r, out_r, low_r = flow_rates(tl, win, int(p[12]) + 250000, int(p[13]) - 150000)
        else:
            tot_r = in_r = out_r = low_r = None
        by.setdefault(mode, []).append({"round": r, "ms": int(p[4]), "rps": float(p[5]),
                                        "q": tot_r, "qin": in_r, "qout": out_r, "qlow": low_r,
                                        "p50": float(p[6]), "p99": float(p[7]),
                                        "max": float(p[8]), "err": int(p[9]), "d": d,
                                        "cpu": int(p[10]) if len(p) > 11 else 0,
                                        "child": int(p[11]) if len(p) > 11 else 0})
    base = {x["round"]: x["rps"] for x in by.get("never", [])}
    base99 = {x["round"]: x["p99"] for x in by.get("never", [])}
    baseq = {x["round"]: x["q"] for x in by.get("never", [])}

    def qx(xs, key):
        v = [x[key] / baseq[x["round"]] for x in xs if x.get(key) is not None and baseq.get(x["round"])]
        return f"{med(v):.2f}x" if v else "-"
    print("## 2. Traffic while policies are applied")
    print()
    print(f"wrk -t1 -c16 -d{dur}s from both clients (32 keep-alive connections, every request "
          "inspected at L7), while an applier applies the policy's variants in turn at a fixed "
          "rate (back to back when an apply takes longer than the interval); one daemon, 2 "
          "queues, --state-dir; rounds in turn, each round starting at another mode. Medians "
          "over the rounds; x never = the median of each round's ratio to that round's "
          "baseline; max = the largest over the rounds; counters summed over the rounds "
          "(`bulkhead --json stats` after - before). Daemon CPU: its CPU time over the load's "
          "wall time, its own threads + its children (iptables-restore). Queued packets/s: "
          "the kernel's count of packets queued to the daemon, sampled every 10 ms, while an "
          "apply was in flight (from the client's start to its exit) and between applies, and "
          "the lowest 20 ms bucket, from 0.25 s after wrk started to 0.15 s before it ended, each over the whole never run of the same round "
          "(median over the rounds). A swap that stalled the queues would show as a lowest "
          "bucket near 0.")
    print()
    print("| applying | workloads | req/s | x never | p50 ms | p99 ms | p99 x never | max ms "
          "| errors | applies done (/s) | apply ms median / p95 | tx denied | resets "
          "| queue drops / enobufs | events dropped | daemon CPU | queued pkts/s during applies "
          "/ between, x never | lowest 20 ms, x never |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
          "| --- | --- | --- |")
    for mode in modes:
        xs = by[mode]
        if mode == "never":
            what, size = "never", "-"
        else:
            iv, sz = mode.split("@")
            what = f"every {int(iv) / 1000:g} s" if int(iv) >= 1000 else f"every {iv} ms"
            size = f"{int(sz):,}"
        rr = [x["rps"] / base[x["round"]] for x in xs if base.get(x["round"])]
        r99 = [x["p99"] / base99[x["round"]] for x in xs if base99.get(x["round"])]
        ap = [r for r in p2 if r.get("mode") == mode]
        apok = [r["e2e_us"] / 1000 for r in ap if r.get("rc") == 0]
        apfail = sum(1 for r in ap if r.get("rc") != 0)
        secs = sum(x["ms"] for x in xs) / 1000
        tot = {k: sum(x["d"][k] for x in xs) for k in xs[0]["d"]}
        done = f"{len(ap)} ({len(ap) / secs:.1f})" if secs and mode != "never" else "0"
        if apfail:
            done += f", {apfail} failed"
        print(f"| {what} | {size} | {f(med([x['rps'] for x in xs]), 0)} "
              f"| {f(med(rr), 2) + 'x' if rr else '-'} | {f(med([x['p50'] for x in xs]), 2)} "
              f"| {f(med([x['p99'] for x in xs]), 2)} | {f(med(r99), 2) + 'x' if r99 else '-'} "
              f"| {f(max(x['max'] for x in xs), 1)} | {sum(x['err'] for x in xs)} | {done} "
              f"| {f(med(apok))} / {f(pct(apok, 95))} | {tot['tx_deny']} | {tot['reset']} "
              f"| {tot['qdrop']} / {tot['enobufs']} | {tot['ev_dropped']:,} of {tot['ev_queued']:,} "
              f"| {100 * sum(x['cpu'] for x in xs) / 1000 / secs:.0f}% + "
              f"{100 * sum(x['child'] for x in xs) / 1000 / secs:.0f}% "
              f"| {qx(xs, 'qin')} / {qx(xs, 'qout')} | {qx(xs, 'qlow')} |")
    print()
    print("Every round: " + "; ".join(
        f"{m}: " + ", ".join(f"{x['rps']:.0f} req/s p99 {x['p99']:.2f} max {x['max']:.1f}"
                             for x in sorted(by[m], key=lambda x: x["round"]))
        for m in modes) + ".")
    print()


def cpct(xs, key):
    """CPU time over wall time, summed over the rounds, as a percentage."""
    wall = sum(x["ms"] for x in xs)
    return f"{100 * sum(x[key] for x in xs) / wall:.0f}%" if wall else "-"


def part3(raw, dur):
    lines = []
    try:
        with open(os.path.join(raw, "part3.txt"), encoding="utf-8") as fh:
            lines = [ln.split() for ln in fh if ln.strip()]
    except OSError:
        return
    if not lines:
        return
    order = ["no-eve", "eve", "sub", "eve+sub"]
    label = {"no-eve": "no --eve, no subscriber", "eve": "--eve FILE",
             "sub": "no --eve, 1 subscriber (`bulkhead --json events --follow >/dev/null`)",
             "eve+sub": "--eve FILE and 1 subscriber"}
    by = {}
    for p in lines:
        r, mode = int(p[0]), p[1]
        c0 = counters(stats(os.path.join(raw, f"p3-r{r}-{mode}.stats0.json")))
        c1 = counters(stats(os.path.join(raw, f"p3-r{r}-{mode}.stats1.json")))
        by.setdefault(mode, []).append({"round": r, "eve": int(p[2]), "rps": float(p[3]),
                                        "p50": float(p[4]), "p99": float(p[5]),
                                        "max": float(p[6]), "err": int(p[7]),
                                        "c": {k: c1[k] - c0[k] for k in c0},
                                        "ms": int(p[8]) if len(p) > 10 else 0,
                                        "dcpu": int(p[9]) if len(p) > 10 else 0,
                                        "scpu": int(p[10]) if len(p) > 10 else 0})
    base = {x["round"]: x["rps"] for x in by.get("no-eve", [])}
    print("## 3. The event path")
    print()
    print(f"wrk -t1 -c16 -d{dur}s from both clients (every request an allowed HTTP transaction, "
          "so one `http` event each); each round a daemon (2 queues) without --eve and one "
          "with, each taking one load without and one with the subscriber, in an order that "
          "alternates; medians over the rounds; x no-eve = the median of each round's ratio. "
          "Events: `bulkhead --json stats` .events after the load less before it, summed over "
          "the rounds (queued: formatted into the workers' rings; dropped: a ring "
          "was full; subscriber drops: frames a slow subscriber lost). CPU: the daemon's "
          "(every thread) and the subscriber's CPU time over the load's wall time.")
    print()
    print("| events | req/s | x no-eve | p50 ms | p99 ms | max ms | errors | events queued "
          "| dropped (rings) | written (file) | subscriber drops | EVE MB per load | daemon CPU "
          "| subscriber CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for mode in [m for m in order if m in by]:
        xs = by[mode]
        rr = [x["rps"] / base[x["round"]] for x in xs if base.get(x["round"])]
        tot = {k: sum(x["c"][k] for x in xs) for k in xs[0]["c"]}
        eve = med([x["eve"] / 1e6 for x in xs]) if mode.startswith("eve") else None
        print(f"| {label[mode]} | {f(med([x['rps'] for x in xs]), 0)} "
              f"| {f(med(rr), 2) + 'x' if rr else '-'} | {f(med([x['p50'] for x in xs]), 2)} "
              f"| {f(med([x['p99'] for x in xs]), 2)} | {f(max(x['max'] for x in xs), 1)} "
              f"| {sum(x['err'] for x in xs)} | {tot['ev_queued']:,} | {tot['ev_dropped']:,} "
              f"| {tot['ev_written']:,} | {tot['ev_sub_drops']:,} | {f(eve)} "
              f"| {cpct(xs, 'dcpu')} | {cpct(xs, 'scpu') if 'sub' in mode else '-'} |")
    print()
    print("Every round: " + "; ".join(
        f"{m}: " + ", ".join(f"{x['rps']:.0f}" for x in sorted(by[m], key=lambda x: x["round"]))
        for m in order if m in by) + " req/s.")
    print()


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: report.py RAW APPLIES P1_ROUNDS DUR")
    raw, napplies, p1_rounds, dur = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rows = load_jsonl(os.path.join(raw, "applies.jsonl"))
    part1(rows, raw, napplies, p1_rounds)
    part1_traced(rows, raw)
    perf_section(raw)
    part2(rows, raw, dur)
    part3(raw, dur)


if __name__ == "__main__":
    main()
