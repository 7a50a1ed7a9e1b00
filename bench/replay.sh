#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replay throughput: bulkhead with 1 and 2 workers against ndpiReader (and,
# on a slice, tshark) on the same synthetic capture, in one run.
#
#   bench/replay.sh [--bulkhead PATH] [--gen PATH] [--runs N] [--no-tshark]
#                   [--slice SIZE] [SIZE]
#
# SIZE (default 1G; K/M/G suffixes) is the capture size. The capture is made
# by gen_pcap (seeded, so the same file every time) under
# ${BENCH_DIR:-${TMPDIR:-/tmp}/bulkhead-bench} and kept for the next run.
# Each tool runs N times (default 3), the tools interleaved round by round so
# that a busy machine slows them alike; the median wall time is reported and
# every run printed. Absolute times depend on the machine and its load; the
# ratios are what to compare. tshark is slow, so it and bulkhead also run on
# a SLICE-sized capture (default 32M) made with the same seed, which is the
# first part of the big one. Needs: ndpiReader (libndpi-bin), tshark, GNU
# time (bench/packages.txt; tests/deps.sh --bench installs them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bulkhead=${BULKHEAD:-$top/build/control/bulkhead}
gen=${GEN_PCAP:-$top/build/bench/gen_pcap}
runs=3
size=1G
slice=32M
tshark=1
while [ $# -gt 0 ]; do
	case "$1" in
	--bulkhead) bulkhead=$2; shift 2 ;;
	--gen) gen=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--slice) slice=$2; shift 2 ;;
	--no-tshark) tshark=0; shift ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "replay.sh: unknown option $1" >&2; exit 2 ;;
	*) size=$1; shift ;;
	esac
done

for tool in "$bulkhead" "$gen" ndpiReader /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		echo "replay.sh: $tool not found (build first; tests/deps.sh --bench installs the tools)" >&2
		exit 1
	fi
done
if [ "$tshark" = 1 ] && ! command -v tshark >/dev/null; then
	echo "replay.sh: tshark not found, skipping it" >&2
	tshark=0
fi

dir=${BENCH_DIR:-${TMPDIR:-/tmp}/bulkhead-bench}
mkdir -p "$dir"
work=$(mktemp -d "$dir/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The generator's source names the file, so a changed generator makes a new
# capture instead of reusing a stale one; older captures are removed.
tag=$(sha1sum "$here/gen_pcap.c" | cut -c1-8)
make_pcap() { # SIZE -> path
	local f="$dir/replay-$1-seed1-$tag.pcap"
	if [ ! -s "$f" ]; then
		find "$dir" -maxdepth 1 -name "replay-$1-seed1-*.pcap" ! -name "${f##*/}" -delete
		echo "generating $f ..." >&2
		"$gen" -s "$1" -S 1 -o "$f.tmp" >&2
		mv "$f.tmp" "$f"
	fi
	echo "$f"
}

file=$(make_pcap "$size")
[ "$tshark" = 1 ] && sfile=$(make_pcap "$slice")

echo "== bench/replay.sh  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) CPUs online, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"\
     "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (machine shared: other jobs slow every tool alike)"
echo "file: $file ($(stat -c %s "$file") bytes; gen_pcap -s $size -S 1)"
echo "tools: $("$bulkhead" --version), nDPI $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null || echo '?')$(
	[ "$tshark" = 1 ] && echo ", tshark $(dpkg-query -W -f='${Version}' tshark 2>/dev/null || echo '?')")"
echo "method: warm page cache (cat FILE >/dev/null), then $runs rounds; each round runs every tool once, in turn;"
echo "        wall time of the whole process (GNU time), median of $runs; cpu = user+sys of the median run"
echo

cat "$file" >/dev/null
[ "$tshark" = 1 ] && cat "$sfile" >/dev/null

# run NAME CMD... : time one run, keep its output, append "wall cpu maxrss_kb".
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
		echo "replay.sh: $name failed:" >&2
		tail -5 "$work/$name.err" >&2
		exit 1
	}
	awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/time" >>"$work/$name.times"
}

for ((i = 1; i <= runs; i++)); do
	run bh1 "$bulkhead" replay --workers 1 "$file"
	run bh2 "$bulkhead" replay --workers 2 "$file"
	run ndpi ndpiReader -i "$file"
	if [ "$tshark" = 1 ]; then
		run bh1s "$bulkhead" replay --workers 1 "$sfile"
		run tshark tshark -r "$sfile" -q -z conv,tcp -z io,stat,0
	fi
done

# Packets and bytes each tool says it read.
bh_pkts() { awk '/^packets/ {print $2; exit}' "$work/$1.out"; }
bh_bytes() { awk '/^packets/ {gsub(/\(/, "", $3); print $3; exit}' "$work/$1.out"; }
bh_flows() { awk '/^flows/ {print $2; exit}' "$work/$1.out"; }
pkts_bh1=$(bh_pkts bh1)
pkts_bh2=$(bh_pkts bh2)
bytes=$(bh_bytes bh1)
pkts_ndpi=$(awk '/IP packets:/ {print $5; exit}' "$work/ndpi.out")
ip_ndpi=$(awk '/IP packets:/ {print $3; exit}' "$work/ndpi.out")
flows_ndpi=$(awk '/Unique flows:/ {print $3; exit}' "$work/ndpi.out")
if [ "$tshark" = 1 ]; then
	pkts_bh1s=$(bh_pkts bh1s)
	bytes_s=$(bh_bytes bh1s)
	pkts_tshark=$(awk -F'|' '/<>/ {gsub(/ /, "", $3); print $3; exit}' "$work/tshark.out")
	conv_tshark=$(grep -c '<->' "$work/tshark.out" || true)
fi

# median of column 1, and the whole line of the median run
median_line() { sort -n "$work/$1.times" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'; }
all_runs() { awk '{printf "%s%s", (NR > 1 ? " " : ""), $1}' "$work/$1.times"; }
secs() { median_line "$1" | cut -d' ' -f1; }
ndpi_s=$(secs ndpi)
[ "$tshark" = 1 ] && bh1s_s=$(secs bh1s)

printf '%-32s %10s %8s %-20s %10s %7s %11s %7s %8s %s\n' \
	tool packets median_s "runs_s" packets/s Gbit/s pkts/s/wkr cpu_s maxrss ratio
row() { # NAME LABEL PKTS BYTES WORKERS REF_S RATIO_LABEL
	local line w c r
	line=$(median_line "$1")
	read -r w c r <<<"$line"
	awk -v n="$2" -v p="$3" -v b="$4" -v wk="$5" -v s="$w" -v c="$c" -v r="$r" \
	    -v ref="$6" -v rl="$7" -v all="$(all_runs "$1")" 'BEGIN {
		printf "%-32s %10d %8.2f %-20s %10.0f %7.2f %11.0f %7.2f %6.0fMB %s\n",
		       n, p, s, all, p / s, b * 8 / s / 1e9, p / s / wk, c, r / 1024,
		       sprintf("%.2fx %s", ref / s, rl)
	}'
}
row bh1 "bulkhead replay --workers 1" "$pkts_bh1" "$bytes" 1 "$ndpi_s" "of ndpiReader"
row bh2 "bulkhead replay --workers 2" "$pkts_bh2" "$bytes" 2 "$ndpi_s" "of ndpiReader"
row ndpi "ndpiReader -i (1 thread)" "$pkts_ndpi" "$bytes" 1 "$ndpi_s" "of ndpiReader"
if [ "$tshark" = 1 ]; then
	echo "slice: $sfile ($(stat -c %s "$sfile") bytes, the first part of the same capture)"
	row bh1s "bulkhead replay --workers 1" "$pkts_bh1s" "$bytes_s" 1 "$bh1s_s" "of bulkhead"
	row tshark "tshark -q -z conv,tcp" "$pkts_tshark" "$bytes_s" 1 "$bh1s_s" "of bulkhead"
fi
echo
echo "ratio: throughput relative to the row named (its time / this row's time); >1 is faster"
echo "Gbit/s counts captured frame bytes ($bytes in the full file), not pcap headers"

echo
check() { # what ours theirs
	if [ "$2" = "$3" ]; then echo "check: $1: $2 = $3 ok"; else echo "check: $1: $2 vs $3 MISMATCH"; fi
}
check "packets, bulkhead -w1 vs ndpiReader (all packets read)" "$pkts_bh1" "$pkts_ndpi"
check "packets, bulkhead -w1 vs -w2" "$pkts_bh1" "$pkts_bh2"
check "IP packets seen by ndpiReader" "$ip_ndpi" "$pkts_ndpi"
# Flow counts may differ a little: ICMP is keyed by address pair here and
# differently by nDPI. Shown for information, not as a check.
echo "info: flows: bulkhead $(bh_flows bh1), ndpiReader $flows_ndpi unique flows (ICMP flows are keyed differently)"
if [ "$tshark" = 1 ]; then
	check "slice packets, bulkhead vs tshark" "$pkts_bh1s" "$pkts_tshark"
	echo "tshark TCP conversations in the slice: $conv_tshark"
fi
echo
echo "what each does: bulkhead decodes every packet, tracks flows and reassembles every TCP byte"
echo "(no L7 detection yet); ndpiReader tracks flows and runs nDPI protocol detection on the first"
echo "packets of each flow (-T 80 / -U 24 defaults); tshark dissects every packet fully."
echo
echo "bulkhead --workers 1 summary (last run):"
sed 's/^/  /' "$work/bh1.out"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
