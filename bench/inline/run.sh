#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/inline/run.sh - inline enforcement on a container bridge, side by side
# in one run (root; about 5 minutes; --quick about 1.5):
#
#   bench/inline/run.sh [--nfq-accept PATH] [--bulkheadd PATH] [--queues "1 2"]
#                       [--rows raw,loop,l4,l7,sigs] [--rounds N] [--quick]
#                       [--perf ROW[,ROW]] [--no-eve] [--http-conns N]
#                       [--no-install] [OUTDIR]
#
# A node namespace holds a Linux bridge (10.98.0.1/24, br_netfilter's
# bridge-nf-call-iptables/ip6tables set in that namespace) and three
# "container" namespaces on veth ports: c1 and c2, the clients, and web
# (nginx on 80 serving a 1 KiB page, iperf3 on 5201 and 5202). NIC offloads
# stay at their defaults (TSO/GSO/checksum offload on), as on a real node.
# Rows:
#   raw    the bridge, no rule
#   loop   the bare NFQUEUE accept loop (nfq_accept: one verdict per packet,
#          no GSO) behind `-m physdev --physdev-is-bridged -j NFQUEUE`
#          (--queue-num 0, or --queue-balance 0:1 for 2 queues)
#   l4     bulkheadd --policy l4.yaml --sets none (L4 rules only: fast path)
#   l7     bulkheadd --policy l7.yaml --sets none (HTTP method/path rules)
#   sigs   bulkheadd --policy l7-sigs.yaml --sets all (L7 rules and every
#          built-in signature set, enforced)
# each with 1 and 2 queues (raw once). Both clients load the server at the
# same time: iperf3 (bulk TCP), wrk (HTTP keep-alive requests/s, latency
# percentiles) and ab (new connections/s: one request per connection). The
# kernel hashes a flow to a queue by its address pair and protocol (not its
# ports), so the clients' addresses are picked, by HTTP requests through the
# 2-queue loop, to land on different queues.
#
# OUTDIR (default ${BENCH_INLINE_OUT:-/tmp/bulkhead-bench-inline}) receives
# inline.md (machine, table, targets, method), inline.csv, inline.png, and
# raw/ (every tool's output; of bulkheadd's EVE files, all but the http
# events). Targets from issue 6 are printed as met or
# missed, never asserted. --perf ROW[,ROW] (loop, l4, l7, sigs) adds a perf
# profile of that engine under the HTTP load (perf-ROW.txt). --no-eve runs
# bulkheadd without --eve (what event output costs; no stats in the notes
# then). --http-conns N: wrk connections per client (16). Missing packages
# (bench/inline/packages.txt) are installed with apt-get unless --no-install.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
WHO=bench-inline
nfq_accept=${NFQ_ACCEPT:-$top/build/bench/nfq_accept}
bulkheadd=${BULKHEADD:-$top/build/control/bulkheadd}
queues="1 2"
rows=raw,loop,l4,l7,sigs
dur_bulk=3 dur_http=3 dur_conn=2
rounds=3
eve_on=1
http_conns=16
perf=
install=1
out=${BENCH_INLINE_OUT:-/tmp/bulkhead-bench-inline}
while [ $# -gt 0 ]; do
	case "$1" in
	--nfq-accept) nfq_accept=$2; shift 2 ;;
	--bulkheadd) bulkheadd=$2; shift 2 ;;
	--queues) queues=$2; shift 2 ;;
	--rows) rows=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--quick) dur_bulk=2 dur_http=2 dur_conn=2 rounds=1; shift ;;
	--perf) perf=$2; shift 2 ;;
	--no-eve) eve_on=0; shift ;;
	--http-conns) http_conns=$2; shift 2 ;;
	--no-install) install=0; shift ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "$WHO: unknown option $1" >&2; exit 2 ;;
	*) out=$1; shift ;;
	esac
done
for q in $queues; do
	case "$q" in 1|2) ;; *) echo "$WHO: --queues: 1 and/or 2" >&2; exit 2 ;; esac
done
want_row() { case ",$rows," in *",$1,"*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || { echo "$WHO: must run as root (namespaces, iptables, NFQUEUE)" >&2; exit 1; }

# --- packages ---------------------------------------------------------------
missing=()
for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt"); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$install" = 1 ] || { echo "$WHO: missing packages: ${missing[*]}" >&2; exit 1; }
	echo "$WHO: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive  # iperf3 asks whether to start a daemon
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$nfq_accept" ] || { echo "$WHO: $nfq_accept not built (ninja -C build bench/nfq_accept)" >&2; exit 1; }

# --- test bed (tests/data/netns-lib.sh: names after $$, EXIT trap) -----------
# shellcheck source=tests/data/netns-lib.sh
. "$top/tests/data/netns-lib.sh"
P=bhi$$
SW=$P-node
BR=bhibr$$
VETH=bhi$$
NAMES=(c1 c2 web)
declare -A VSHORT=([c1]=a [c2]=b [web]=w)
NET=10.98.0
WEB=$NET.20
declare -A CAND=([c1]="$NET.11 $NET.12 $NET.13 $NET.14" [c2]="$NET.15 $NET.16 $NET.17 $NET.18")
nl_need ip iperf3 wrk ab nginx gnuplot iptables conntrack ethtool curl jq /usr/bin/python3

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/raw"
mkdir -p "$out/raw"
nl_init "${TMPDIR:-/tmp}/bench-inline.XXXXXX"
RAW=$out/raw

# Like nl_cleanup, but a process that ignores SIGTERM for 5 s gets SIGKILL:
# nothing this run started may outlive it, and a namespace that is deleted
# does not end the processes inside it.
bi_cleanup() {
	local rc=$? pid i
	set +e
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	PIDS=()
	(exit $rc)     # nl_cleanup exits with the status it finds in $?
	nl_cleanup
}
trap bi_cleanup EXIT

# start_in NS OUT CMD...: CMD in container/node NS, stdout to OUT, stderr to
# OUT.err; its pid in LASTPID and PIDS (ip netns exec execs, so $! is CMD).
start_in() {
	local ns=$1 o=$2; shift 2
	ip netns exec "$P-$ns" "$@" >"$o" 2>"$o.err" &
	LASTPID=$!
	PIDS+=("$LASTPID")
}
forget_pid() {
	local p=$1 i keep=()
	for i in "${PIDS[@]}"; do [ "$i" = "$p" ] || keep+=("$i"); done
	PIDS=("${keep[@]}")
}
# wait_pid PID: its exit status in WAITRC; never fails.
wait_pid() { WAITRC=0; wait "$1" || WAITRC=$?; forget_pid "$1"; }
# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS; STOPPED=term|kill.
stop_pid() {
	local pid=$1 i
	STOPPED=term
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 $(($2 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; STOPPED="kill"; fi
	wait_pid "$pid"
}
# wait_line FILE PATTERN PID SECONDS: 0 once FILE has a line matching, 1 if
# PID died or time ran out.
wait_line() {
	local i
	for i in $(seq 1 $(($4 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null && return 0; return 1; }
		sleep 0.1
	done
	return 1
}

topology() {
	local n ns c p a
	ip netns add "$SW"; CREATED_NS+=("$SW")
	ip netns exec "$SW" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1
	ip -n "$SW" link set lo up
	ip -n "$SW" link add "$BR" type bridge
	ip -n "$SW" addr add "$NET.1/24" dev "$BR"
	ip -n "$SW" link set "$BR" up
	for n in "${NAMES[@]}"; do
		ns=$P-$n
		c=$VETH${VSHORT[$n]}
		p=$VETH${VSHORT[$n]}p
		ip netns add "$ns"; CREATED_NS+=("$ns")
		# IPv4 only: no router solicitations or MLD reports in the figures.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip link add "$c" type veth peer name "$p"
		CREATED_LINKS+=("$c" "$p")
		ip link set "$c" netns "$ns"
		ip link set "$p" netns "$SW"
		ip -n "$ns" link set "$c" name eth0
		ip -n "$SW" link set "$p" master "$BR" up
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
	done
	ip -n "$P-web" addr add "$WEB/24" dev eth0
	for n in c1 c2; do
		for a in ${CAND[$n]}; do ip -n "$P-$n" addr add "$a/24" dev eth0; done
		# ab opens tens of thousands of connections per row.
		ip netns exec "$P-$n" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" \
			net.ipv4.tcp_tw_reuse=1
	done
	ip netns exec "$P-web" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}

servers() {
	mkdir -p "$TMP/www" "$TMP/nginx"
	head -c 1024 /dev/zero | tr '\0' 'x' | fold -w 63 >"$TMP/www/index.html"
	cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 16384;
user root;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	default_type text/html;
	keepalive_timeout 65s;
	keepalive_requests 10000000;
	server {
		listen $WEB:80 backlog=4096;
		root $TMP/www;
		location / { index index.html; }
	}
}
EOF
	start_in web "$TMP/nginx.out" nginx -c "$TMP/nginx/nginx.conf"
	start_in web "$TMP/iperf1.out" iperf3 -s -p 5201 -B "$WEB"
	start_in web "$TMP/iperf2.out" iperf3 -s -p 5202 -B "$WEB"
	wait_listen web t 80 "$TMP/nginx.out.err" "$TMP/nginx/error.log"
	wait_listen web t 5201 "$TMP/iperf1.out.err"
	wait_listen web t 5202 "$TMP/iperf2.out.err"
}

# --- iptables in the node namespace -------------------------------------------
IPT=
pick_iptables() {
	local t
	for t in iptables iptables-legacy; do
		command -v "$t" >/dev/null || continue
		if ip netns exec "$SW" "$t" -w -t filter -L FORWARD -n >/dev/null 2>&1; then
			IPT=$t
			return 0
		fi
	done
	die "no working iptables (iptables-nft or iptables-legacy) in the node namespace"
}
loop_rule() { # -I|-D queues
	local target=(--queue-num 0)
	[ "$2" = 2 ] && target=(--queue-balance 0:1)
	ip netns exec "$SW" "$IPT" -w "$1" FORWARD -i "$BR" -o "$BR" -m physdev \
		--physdev-is-bridged -j NFQUEUE "${target[@]}"
}

# Per-queue counters of the node namespace (/proc/net/netfilter/nfnetlink_queue:
# queue, portid, waiting, copy mode, range, queue_dropped, user_dropped,
# id_sequence): "queued dropped" summed over the queues, or per queue with -q.
qstat() {
	{ ip netns exec "$SW" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null || true; } |
		awk -v per="${1:-}" '{ if (per) print $1, $8; q += $8; d += $6 + $7 }
			END { if (!per) print q + 0, d + 0 }'
}

# --- clients: pick addresses that hash to different queues ---------------------
A1=${CAND[c1]%% *}
A2=${CAND[c2]%% *}
# queue_of CLIENT ADDR: the queues that three HTTP requests from ADDR went
# to (the hash covers addresses and protocol, so the probe must be TCP).
queue_of() {
	local before after i
	before=$(qstat -q)
	for i in 1 2 3; do
		ip netns exec "$P-$1" curl -s -o /dev/null --max-time 2 --interface "$2" \
			"http://$WEB/" || true
	done
	after=$(qstat -q)
	join <(echo "$before") <(echo "$after") | awk '$3 > $2 { printf "%s%s", s, $1; s = "," }'
}
pick_addresses() {
	local pid a q q1='' q2=''
	HASHNOTE=''
	start_in node "$RAW/probe.out" "$nfq_accept" --queues 2 0
	pid=$LASTPID
	wait_line "$RAW/probe.out.err" '^nfq_accept: bound' "$pid" 10 ||
		die "nfq_accept did not start: $(cat "$RAW/probe.out.err")"
	loop_rule -I 2
	for a in ${CAND[c1]}; do
		q=$(queue_of c1 "$a")
		case "$q" in *,*) HASHNOTE="(one address pair's flows reached queues $q)" ;; esac
		[[ "$q" =~ ^[0-9]+$ ]] && { A1=$a; q1=$q; break; }
	done
	for a in ${CAND[c2]}; do
		q=$(queue_of c2 "$a")
		[[ "$q" =~ ^[0-9]+$ ]] && [ "$q" != "$q1" ] && { A2=$a; q2=$q; break; }
	done
	loop_rule -D 2
	stop_pid "$pid" 5
	if [ -z "$q1" ] || [ -z "$q2" ]; then
		echo "$WHO: warning: no pair of client addresses on different queues; 2-queue rows use one queue" >&2
		QPICK="c1 $A1, c2 $A2 (same queue: the 2-queue rows are not balanced)"
	else
		QPICK="c1 $A1 -> queue $q1, c2 $A2 -> queue $q2"
	fi
	QPICK+=" $HASHNOTE"
}
client_routes() {
	ip -n "$P-c1" route replace "$NET.0/24" dev eth0 scope link src "$A1"
	ip -n "$P-c2" route replace "$NET.0/24" dev eth0 scope link src "$A2"
}

# --- the load ----------------------------------------------------------------
# Each phase runs both clients at once and prints one line of figures.
run_bulk() { # tag -> "gbit/s errors"
	local t=$1 p1 p2
	start_in c1 "$RAW/$t-iperf-c1.json" timeout -k 2 $((dur_bulk + 15)) \
		iperf3 -c "$WEB" -p 5201 -B "$A1" -t "$dur_bulk" --connect-timeout 3000 -J
	p1=$LASTPID
	start_in c2 "$RAW/$t-iperf-c2.json" timeout -k 2 $((dur_bulk + 15)) \
		iperf3 -c "$WEB" -p 5202 -B "$A2" -t "$dur_bulk" --connect-timeout 3000 -J
	p2=$LASTPID
	wait_pid "$p1"; wait_pid "$p2"
	for c in c1 c2; do
		jq -r '[(.end.sum_received.bits_per_second // 0), (if .error then 1 else 0 end)] | @tsv' \
			"$RAW/$t-iperf-$c.json" 2>/dev/null || printf '0\t1\n'
	done | awk '{ g += $1; e += $2 } END { printf "%.3f %d\n", g / 1e9, e }'
}
run_http() { # tag -> "req/s p50_ms p99_ms errors"
	local t=$1 p1 p2
	start_in c1 "$RAW/$t-wrk-c1.txt" timeout -k 2 $((dur_http + 15)) \
		wrk -t1 -c"$http_conns" -d"${dur_http}s" --timeout 2s --latency "http://$WEB/"
	p1=$LASTPID
	start_in c2 "$RAW/$t-wrk-c2.txt" timeout -k 2 $((dur_http + 15)) \
		wrk -t1 -c"$http_conns" -d"${dur_http}s" --timeout 2s --latency "http://$WEB/"
	p2=$LASTPID
	wait_pid "$p1"; wait_pid "$p2"
	awk 'function ms(s, n) { n = s + 0; if (s ~ /us$/) return n / 1000;
			if (s ~ /ms$/) return n; if (s ~ /s$/) return n * 1000; return n }
		FNR == 1 { f++ }
		/Requests\/sec:/ { rps += $2; ok[f] = 1 }
		/^ +50% / { p50 += ms($2) }
		/^ +99% / { v = ms($2); if (v > p99) p99 = v }
		/Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { err += $5 }
		END { for (i = 1; i <= f; i++) if (!ok[i]) err++
			printf "%.0f %.3f %.3f %d\n", rps, f ? p50 / f : 0, p99, err }' \
		"$RAW/$t-wrk-c1.txt" "$RAW/$t-wrk-c2.txt"
}
run_conn() { # tag -> "conn/s p50_ms p99_ms errors"
	local t=$1 p1 p2
	start_in c1 "$RAW/$t-ab-c1.txt" timeout -k 2 $((dur_conn + 15)) \
		ab -r -s 3 -t "$dur_conn" -n 5000000 -c 8 "http://$WEB/"
	p1=$LASTPID
	start_in c2 "$RAW/$t-ab-c2.txt" timeout -k 2 $((dur_conn + 15)) \
		ab -r -s 3 -t "$dur_conn" -n 5000000 -c 8 "http://$WEB/"
	p2=$LASTPID
	wait_pid "$p1"; wait_pid "$p2"
	awk 'FNR == 1 { f++ }
		/^Requests per second:/ { rps += $4; ok[f] = 1 }
		/^Failed requests:/ { err += $3 }
		/^Non-2xx responses:/ { err += $3 }
		/^ +50% +[0-9]/ { p50 += $2 }
		/^ +99% +[0-9]/ { if ($2 > p99) p99 = $2 }
		END { for (i = 1; i <= f; i++) if (!ok[i]) err++
			printf "%.0f %.1f %.1f %d\n", rps, f ? p50 / f : 0, p99, err }' \
		"$RAW/$t-ab-c1.txt" "$RAW/$t-ab-c2.txt"
}
# curl from c1: the HTTP status of PATH, 000 when the connection was reset
# or timed out.
http_code() {
	ip netns exec "$P-c1" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$WEB$1" || true
}

# oneline: stdin as one CSV-safe line of at most 300 bytes.
oneline() { tr '\n,"' '   ' | tr -s ' ' | head -c 300; }

# --- the engines ---------------------------------------------------------------
ENGPID="" NOTES=""
engine_start() { # row queues tag -> 0, or 1 with NOTES saying why the row can't run
	local row=$1 q=$2 tag=$3 pol sets log
	ENGPID=
	case "$row" in
	raw) return 0 ;;
	loop)
		start_in node "$RAW/$tag.loop.out" "$nfq_accept" --queues "$q" 0
		ENGPID=$LASTPID
		if ! wait_line "$RAW/$tag.loop.out.err" '^nfq_accept: bound' "$ENGPID" 10; then
			NOTES="nfq_accept did not start: $(oneline <"$RAW/$tag.loop.out.err")"
			stop_pid "$ENGPID" 3; ENGPID=
			return 1
		fi
		loop_rule -I "$q"
		return 0 ;;
	l4) pol=l4.yaml sets=none ;;
	l7) pol=l7.yaml sets=none ;;
	sigs) pol=l7-sigs.yaml sets=all ;;
	esac
	if [ ! -x "$bulkheadd" ]; then
		NOTES="not run: $bulkheadd not built"
		return 1
	fi
	log=$RAW/$tag.bulkheadd
	local eve=(--eve "$log.eve.json")
	[ "$eve_on" = 1 ] || eve=()
	start_in node "$log.out" "$bulkheadd" --bridge "$BR" --queues "$q" \
		--policy "$here/$pol" --sets "$sets" --control "$log.sock" "${eve[@]}"
	ENGPID=$LASTPID
	if ! wait_line "$log.out.err" '^bulkheadd: enforcing on ' "$ENGPID" 60; then
		NOTES="not run: bulkheadd not ready: $(head -3 "$log.out.err" | oneline)"
		stop_pid "$ENGPID" 5; ENGPID=
		return 1
	fi
	return 0
}
# Kernel fast-path counter of bulkheadd's offload rule (packets), or empty.
offload_pkts() {
	{ ip netns exec "$SW" "$IPT" -w -t filter -L BULKHEAD -v -x -n 2>/dev/null || true; } |
		awk '/bulkhead offload/ { s += $1; n++ } END { if (n) print s }'
}
engine_stop() { # row queues tag -> appends to NOTES
	local row=$1 q=$2 tag=$3 log off
	[ -n "$ENGPID" ] || return 0
	case "$row" in
	loop)
		loop_rule -D "$q"
		stop_pid "$ENGPID" 5
		NOTES+="$(awk '$8 == "enobufs" && $9 > 0 { printf "q%s enobufs %s; ", $3, $9 }' "$RAW/$tag.loop.out")"
		;;
	*)
		log=$RAW/$tag.bulkheadd
		off=$(offload_pkts)
		stop_pid "$ENGPID" 15
		[ "$STOPPED" = kill ] && NOTES+="bulkheadd ignored SIGTERM for 15 s (killed); "
		[ "$WAITRC" = 0 ] || [ "$STOPPED" = kill ] || NOTES+="bulkheadd exit $WAITRC; "
		[ -n "$off" ] && NOTES+="fast-path rule passed $off pkts; "
		# The final stats event (bulkheadd.md): offloads, overruns,
		# fail-open; without --eve, the summary it prints on exit.
		if [ -s "$log.eve.json" ]; then
			NOTES+="$(jq -r 'select(.event_type == "stats") | .stats |
				"flows \(.flows.created // "?") offloaded \(.flows.offloaded // "?"); " +
				"enobufs \([.queues[]?.enobufs // 0] | add // 0); " +
				"fail_open \([.queues[]?.fail_open // 0] | add // 0); " +
				"tx denied \(.decisions.transaction.deny // 0); "' \
				"$log.eve.json" 2>/dev/null | tail -1 || true)"
			# Every HTTP transaction is an event: hundreds of MB per run.
			# Keep the other events (flows, anomalies, alerts, stats).
			NOTES+="eve $(($(stat -c %s "$log.eve.json") / 1048576)) MB; "
			grep -v '"event_type":"http"' "$log.eve.json" >"$log.eve-nohttp.json" || true
			rm -f "$log.eve.json"
		else
			NOTES+="$(grep -E '^bulkheadd: (queue [0-9]+:|flows )' "$log.out.err" |
				sed 's/^bulkheadd: //' | oneline || true); "
		fi
		;;
	esac
	ENGPID=
}

# A row: the engine, its checks, the three loads, the counters -> CSV.
CSV=$out/inline.csv
run_row() { # row queues label round
	local row=$1 q=$2 label=$3 round=$4 tag=$1-${2}q-r$4 a b bulk http conn qb qh qc qa d0 d1 ok admin sqli
	NOTES=
	ip netns exec "$SW" conntrack -F >/dev/null 2>&1 || true
	printf '%s: round %s: %-30s' "$WHO" "$round" "$label, $q queue(s)" >&2
	if ! engine_start "$row" "$q" "$tag"; then
		echo " $NOTES" >&2
		echo "$label,$q,$round,,,,,,,,,,,,,\"${NOTES//\"/}\"" >>"$CSV"
		return 0
	fi
	# The L7 rows must really enforce: an allowed page, a path no rule
	# allows, and (signatures) an injection on the allowed path.
	ok=$(http_code /)
	NOTES+="GET / $ok; "
	if [ "$row" != raw ] && [ "$row" != loop ]; then
		admin=$(http_code /admin)
		NOTES+="GET /admin $admin; "
		if [ "$row" = sigs ]; then
			sqli=$(http_code "/?id=1%27%20OR%20%271%27=%271")
			NOTES+="GET /?id=1' OR '1'='1 $sqli; "
		fi
	fi
	d0=$(qstat | cut -d' ' -f2)
	a=$(qstat | cut -d' ' -f1); bulk=$(run_bulk "$tag"); b=$(qstat | cut -d' ' -f1); qb=$((b - a))
	a=$b; http=$(run_http "$tag"); b=$(qstat | cut -d' ' -f1); qh=$((b - a))
	a=$b; conn=$(run_conn "$tag"); b=$(qstat | cut -d' ' -f1); qc=$((b - a))
	d1=$(qstat | cut -d' ' -f2)
	qa=$((d1 - d0))
	[ "$qa" -gt 0 ] && NOTES+="queue drops $qa; "
	engine_stop "$row" "$q" "$tag"
	# bulk: gbit err; http: rps p50 p99 err; conn: cps p50 p99 err
	read -r b_g b_e <<<"$bulk"
	read -r h_r h_50 h_99 h_e <<<"$http"
	read -r c_r c_50 c_99 c_e <<<"$conn"
	[ "$b_e" = 0 ] || NOTES+="iperf3 errors $b_e; "
	[ "$h_e" = 0 ] || NOTES+="wrk errors $h_e; "
	[ "$c_e" = 0 ] || NOTES+="ab errors $c_e; "
	echo "$label,$q,$round,$b_g,$h_r,$h_50,$h_99,$c_r,$c_50,$c_99,$qb,$qh,$qc,$((b_e + h_e + c_e)),$qa,\"${NOTES//\"/}\"" >>"$CSV"
	printf ' bulk %s Gbit/s, http %s req/s, conn %s/s\n' "$b_g" "$h_r" "$c_r" >&2
	sleep 0.3
}

# --perf ROW: a perf profile of ROW's engine (1 queue) under the HTTP
# keep-alive load, in its own pass after the table (perf slows what it
# watches, so no figure of the table comes from it).
run_perf() {
	local row=$1 pp log
	echo "$WHO: --perf $row: profiling its engine under the HTTP keep-alive load" >&2
	command -v perf >/dev/null || { echo "$WHO: --perf: perf not installed (linux-perf)" >&2; return 0; }
	NOTES=''
	engine_start "$row" 1 "perf-$row" || { echo "$WHO: --perf: $NOTES" >&2; return 0; }
	log=$out/perf-$row
	start_in node "$RAW/perf.out" perf record -q -g -o "$log.data" -p "$ENGPID" -- sleep "$dur_http"
	pp=$LASTPID
	run_http "perf-$row" >"$RAW/perf-$row.http"
	wait_pid "$pp"
	{
		echo "# perf record -g -p <$row engine> during wrk (HTTP keep-alive, 1 queue): $(cat "$RAW/perf-$row.http")"
		echo "# req/s p50 p99 errors; overhead by symbol, callers folded"
		perf report -i "$log.data" --stdio --no-children --percent-limit 0.5 \
			-F overhead,dso,sym -g none 2>/dev/null | grep -v '^$' | grep -v '^# *$' | head -70
	} >"$log.txt" || true
	engine_stop "$row" 1 "perf-$row"
	echo "$WHO: perf profile of the $row engine under HTTP keep-alive load: $log.txt" >&2
}

# --- go -----------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
topology
pick_iptables
servers
if [[ " $queues " = *" 2 "* ]]; then
	pick_addresses
else
	QPICK="c1 $A1, c2 $A2 (one queue)"
fi
client_routes
[ "$(http_code /)" = 200 ] || die "nginx does not answer through the raw bridge"

offl=$(ip netns exec "$P-c1" ethtool -k eth0 2>/dev/null |
	awk -F': ' '/^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-checksumming|rx-checksumming):/ {
		printf "%s%s %s", sep, $1, $2; sep = ", " }')
bhver=$([ -x "$bulkheadd" ] && "$bulkheadd" --version 2>/dev/null | head -1 || echo "not built")

echo "setup,queues,round,bulk_gbps,http_rps,http_p50_ms,http_p99_ms,conn_per_s,conn_p50_ms,conn_p99_ms,bulk_queued_pkts,http_queued_pkts,conn_queued_pkts,client_errors,queue_drops,notes" >"$CSV"
echo "$WHO: clients $QPICK; ${dur_bulk}s iperf3, ${dur_http}s wrk, ${dur_conn}s ab per row, $rounds round(s)" >&2
# Round by round, so that the machine's other load hits every row alike.
t0=$SECONDS
for r in $(seq 1 "$rounds"); do
	want_row raw && run_row raw 1 "raw bridge" "$r"
	for q in $queues; do
		want_row loop && run_row loop "$q" "bare accept loop" "$r"
		want_row l4 && run_row l4 "$q" "bulkheadd L4" "$r"
		want_row l7 && run_row l7 "$q" "bulkheadd L7" "$r"
		want_row sigs && run_row sigs "$q" "bulkheadd L7+sigs" "$r"
	done
done
elapsed=$((SECONDS - t0))
for pr in ${perf//,/ }; do run_perf "$pr"; done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "# bench-inline: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
	echo "- load average (1 5 15 min): $load_start at the start, $load_end at the end (the machine is shared)"
	echo "- offloads (veths, defaults, left ON): $offl"
	echo "- $IPT: $(ip netns exec "$SW" "$IPT" -V 2>&1); $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(iperf3 --version | head -1 | cut -d' ' -f1-2); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); ab $(ab -V | head -1 | sed 's/.*Version //; s/ .*//'); bulkheadd: $bhver"
	echo "- clients: $QPICK"
	echo
	/usr/bin/python3 "$here/report.py" "$CSV" "$out"
	cat <<EOF

How each number was measured: both clients load the server at once; every
row ran $rounds time(s), round by round (${elapsed}s in all), and the table
shows the median of the rounds (every round is listed below it and in the
CSV). The machine's $(nproc) CPUs carry the clients, the server, the kernel's
bridge and the engine alike, so an engine's CPU is taken from the others.
- bulk: iperf3 -c web -t $dur_bulk from c1 (port 5201) and c2 (5202), one
  stream each; the sum of both receivers' bits/s (iperf3 -J
  end.sum_received).
- HTTP keep-alive: wrk -t1 -c$http_conns -d${dur_http}s --latency http://web/ from each
  client ($((2 * http_conns)) connections, 1 KiB page, nginx with 2 workers); req/s summed;
  p50 is the mean of the two clients' medians, p99 the larger of their p99s.
- new connections: ab -c 8 -t $dur_conn from each client, one request per
  connection (no -k); the sum of Requests per second; p50/p99 of ab's total
  connect+request time (whole ms; mean of p50s, larger p99).
- queued pkts: packets the kernel handed to user space (sum of id_sequence
  growth over the queues in /proc/net/netfilter/nfnetlink_queue) during each
  load; a GSO packet counts once.
- x raw / x loop: this row's figure over the raw bridge's / over the bare
  loop's with the same number of queues. The bare loop (nfq_accept) gives
  one verdict per packet and doesn't ask for GSO packets.
- notes (of the last round): curl's status for GET / (and for a denied path
  and an injection on the L7 rows; 000 = reset), kernel queue drops, client
  errors, and bulkheadd's own figures (its offload rule's packet counter;
  flows, offloads, ENOBUFS, fail-open passes and denied transactions from
  its final stats event). bulkheadd runs with --eve to a file, as deployed:
  every HTTP transaction is an event$([ "$eve_on" = 1 ] || echo "; THIS RUN: --no-eve, no events written").
Raw tool output: $RAW
EOF
} >"$out/inline.md"
cat "$out/inline.md"
