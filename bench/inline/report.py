#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/inline/report.py CSV OUTDIR - the table, the targets and the plot of
bench/inline/run.sh: prints the markdown table (absolute figures, ratios to
the raw bridge and to the bare accept loop with the same number of queues)
and the issue's targets as met or missed (never asserted), writes
OUTDIR/inline.dat and inline.gp and draws OUTDIR/inline.png with gnuplot."""

import csv
import os
import subprocess
import sys

LOOP = "bare accept loop"
RAW = "raw bridge"


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rfmt(r):
    return "-" if r is None else f"{r:.2f}x"


def kilo(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.1f}M"
    if v >= 1e3:
        return f"{v / 1e3:.0f}k"
    return f"{v:.0f}"


METRICS = ("bulk_gbps", "http_rps", "http_p50_ms", "http_p99_ms", "conn_per_s",
           "conn_p50_ms", "conn_p99_ms", "bulk_queued_pkts", "http_queued_pkts",
           "conn_queued_pkts", "client_errors", "queue_drops")


def median(vals):
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return None
    m = len(vals) // 2
    return vals[m] if len(vals) % 2 else (vals[m - 1] + vals[m]) / 2


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    with open(path, newline="") as f:
        runs = list(csv.DictReader(f))
    for r in runs:
        for k in METRICS:
            r[k] = num(r[k])
    # One row per (setup, queues), in the order of the first round: the
    # median of each figure over the rounds, the notes of the last round,
    # errors and drops summed.
    rows, by_key = [], {}
    for r in runs:
        key = (r["setup"], r["queues"])
        if key not in by_key:
            by_key[key] = {"setup": r["setup"], "queues": r["queues"], "runs": []}
            rows.append(by_key[key])
        by_key[key]["runs"].append(r)
    for row in rows:
        for k in METRICS:
            row[k] = median([r[k] for r in row["runs"]])
        for k in ("client_errors", "queue_drops"):
            vals = [r[k] for r in row["runs"] if r[k] is not None]
            row[k] = sum(vals) if vals else None
        row["notes"] = row["runs"][-1]["notes"]
        if len(row["runs"]) > 1 and row["client_errors"]:
            row["notes"] = (row["notes"].rstrip() +
                            f" client errors in all rounds: {row['client_errors']:.0f};")
    raw = next((r for r in rows if r["setup"] == RAW), None)
    loops = {r["queues"]: r for r in rows if r["setup"] == LOOP}

    def base(r, key, ref):
        if ref is None or r[key] is None:
            return None
        return ratio(r[key], ref[key])

    head = ["setup", "queues", "bulk Gbit/s", "x raw", "x loop",
            "HTTP req/s", "x raw", "x loop", "p50 ms", "p99 ms",
            "new conn/s", "x raw", "x loop", "conn p50/p99 ms",
            "queued pkts bulk/http/conn", "notes"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" --- " for _ in head) + "|")
    for r in rows:
        lp = loops.get(r["queues"])
        cells = [r["setup"], r["queues"]]
        if r["bulk_gbps"] is None and r["http_rps"] is None:
            cells += ["-"] * (len(head) - 3) + [r["notes"]]
            print("| " + " | ".join(cells) + " |")
            continue
        for key, digits in (("bulk_gbps", 2), ("http_rps", 0), ("conn_per_s", 0)):
            cells += [fmt(r[key], digits), rfmt(base(r, key, raw)), rfmt(base(r, key, lp))]
            if key == "http_rps":
                cells += [fmt(r["http_p50_ms"], 2), fmt(r["http_p99_ms"], 2)]
        cells.append(f"{fmt(r['conn_p50_ms'])} / {fmt(r['conn_p99_ms'])}")
        cells.append(" / ".join(kilo(r[k]) for k in
                                ("bulk_queued_pkts", "http_queued_pkts", "conn_queued_pkts")))
        cells.append(r["notes"].strip().rstrip(";"))
        print("| " + " | ".join(cells) + " |")

    if any(len(r["runs"]) > 1 for r in rows):
        print()
        print("Every round (bulk Gbit/s | HTTP req/s | new conn/s):")
        for r in rows:
            if r["bulk_gbps"] is None and r["http_rps"] is None:
                continue
            cols = []
            for key, digits in (("bulk_gbps", 2), ("http_rps", 0), ("conn_per_s", 0)):
                cols.append(" ".join(fmt(x[key], digits) for x in r["runs"]))
            print(f"- {r['setup']}, {r['queues']} queue(s): " + " | ".join(cols))
    print()
    print("Targets (issue 6; printed, not asserted):")
    for r in rows:
        if r["setup"] == "bulkheadd L4":
            x = base(r, "bulk_gbps", raw)
            state = "not measured" if x is None else ("met" if x >= 0.90 else "missed")
            print(f"- fast path, {r['queues']} queue(s): bulk TCP of allowed L4 flows "
                  f">= 90% of the raw bridge: {state}"
                  + ("" if x is None else f" ({x * 100:.0f}%)"))
    for r in rows:
        if r["setup"] in ("bulkheadd L7", "bulkheadd L7+sigs"):
            x = base(r, "http_rps", loops.get(r["queues"]))
            state = "not measured" if x is None else ("met" if x >= 1.5 else "missed")
            what = "L7 rules" if r["setup"] == "bulkheadd L7" else \
                "L7 rules + all signature sets (for reference)"
            print(f"- {what}, {r['queues']} queue(s): HTTP req/s >= 1.5x the bare "
                  f"accept loop's: {state}" + ("" if x is None else f" ({x:.2f}x)"))

    # The plot: throughput ratios to the raw bridge, and p99 latencies.
    short = {RAW: "raw", LOOP: "loop", "bulkheadd L4": "L4",
             "bulkheadd L7": "L7", "bulkheadd L7+sigs": "L7+sigs"}
    dat = os.path.join(outdir, "inline.dat")
    n = 0
    with open(dat, "w") as f:
        f.write("# label bulk_x_raw http_x_raw conn_x_raw http_p99_ms conn_p99_ms\n")
        for r in rows:
            if r["http_rps"] is None and r["bulk_gbps"] is None:
                continue
            label = short.get(r["setup"], r["setup"])
            if r["setup"] != RAW:
                label += f" {r['queues']}q"
            vals = [base(r, k, raw) for k in ("bulk_gbps", "http_rps", "conn_per_s")]
            vals += [r["http_p99_ms"], r["conn_p99_ms"]]
            f.write(f'"{label}" ' + " ".join("NaN" if v is None else f"{v:.4f}" for v in vals)
                    + "\n")
            n += 1
    if not n:
        return
    gp = os.path.join(outdir, "inline.gp")
    png = os.path.join(outdir, "inline.png")
    with open(gp, "w") as f:
        f.write(f"""# gnuplot {gp}: bench/inline/report.py wrote it
set terminal pngcairo size 1200,900 font ",10"
set output "{png}"
set multiplot layout 2,1 title "bulkhead inline: bridge of namespaces, both clients at once"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside top center horizontal
set tmargin 4
set xtics rotate by -20
set ylabel "x raw bridge"
set yrange [0:1.15<*]
set arrow 1 from graph 0, first 0.9 to graph 1, first 0.9 nohead dt 2 lc rgb "gray40"
plot "{dat}" using 2:xtic(1) title "bulk TCP (iperf3)", \\
     "" using 3 title "HTTP keep-alive req/s (wrk)", \\
     "" using 4 title "new connections/s (ab)"
unset arrow 1
set ylabel "p99 latency, ms"
set logscale y
set yrange [*:*]
plot "{dat}" using 5:xtic(1) title "HTTP keep-alive p99 (wrk)", \\
     "" using 6 title "new connection p99 (ab, whole ms)"
unset multiplot
""")
    try:
        subprocess.run(["gnuplot", gp], check=True, stderr=subprocess.PIPE)
        print(f"\nPlot: {png} (dashed line: 90% of the raw bridge)")
    except (OSError, subprocess.CalledProcessError) as e:
        err = getattr(e, "stderr", b"") or b""
        print(f"\nPlot: gnuplot failed: {e} {err.decode(errors='replace')[:300]}")
    print(f"CSV: {os.path.join(outdir, 'inline.csv')}")


if __name__ == "__main__":
    main()
