# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2034 # RUN_RC, RUN_MS, ...: globals for the callers
#
# lib.sh - what the netns tests share (sourced by bash): the shop of
# tests/data/netns-servers.sh on the bridge of tests/data/netns-lib.sh, with
# bulkheadd running in the switch ("node") namespace, and checks that print
# what they expected and what they got.
#
# The bridge has 10.99.7.1/24 and fd00:99:7::1/64 (the kernel routes the TCP
# resets and ICMP errors of denied flows from there, as from docker0), static
# neighbours everywhere, bridge-nf-call-iptables and -ip6tables on in the node
# namespace. Every name carries $$; the EXIT trap of netns-lib.sh ends the
# processes started here (by pid; the daemon gets SIGTERM and removes its
# rules) and removes every namespace, link and temporary file.
#
#   bh_init WHO BULKHEADD    exit 77 without root or a kernel feature the daemon
#                            needs, 1 without a tool the tests need
#   bh_topology              namespaces, bridge address, sysctls; BH_RULES0 is
#                            the node's ruleset before any daemon ran
#   shop_servers ...         (netns-servers.sh), shop_clients
#   bh_workload NAME [ADDR...]  a Workload document for a generated policy
#   bh_start TAG ARG...      bulkheadd --bridge BR --eve TMP/TAG.eve ARG...;
#                            returns once it printed its ready line
#   bh_stop / bh_kill        SIGTERM (checks exit 0) / SIGKILL
#   bh_run NS CMD...         RUN_RC, RUN_OUT (stdout and stderr), RUN_MS
#   bh_cmp WHAT GOT OP WANT  one check; OP: eq ne lt le gt ge (numbers),
#                            = != (strings), ~ !~ (extended regex); BH_OK 1 or 0
#   bh_show                  after a failed check: RUN_OUT
#   bh_eve WHAT OP N FILTER [JQ-ARG...]  the number of events of BHD_EVE
#                            matching select(FILTER)
#   bh_stats_now             SIGUSR1, BH_STATS: the stats event it wrote
#   bh_done                  exit 1 if any check failed
# A failed check doesn't end the script (the next ones still tell something;
# checks return 0 even under set -e, BH_OK says how the last one went);
# bh_done does, with status 1. Setup failures end it at once (die).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../data/netns-lib.sh
. "$HERE/../data/netns-lib.sh"
# shellcheck source=SCRIPTDIR/../data/netns-servers.sh
. "$HERE/../data/netns-servers.sh"

BH_CHECKS=0
BH_FAILS=0
BH_READY=${BH_READY:-300}   # tenths of a second: Hyperscan compiles slowly under ASan

bh_skip() { echo "$WHO: SKIP: $*"; exit 77; }

bh_init() { # who bulkheadd
	WHO=$1
	BHD=$(readlink -f "$2")
	BHD_PID=
	[ "$(id -u)" = 0 ] || bh_skip "needs root (network namespaces, iptables)"
	[ -x "$BHD" ] || die "$BHD: not an executable (the path of the built bulkheadd)"
	nl_need ip ss ethtool iptables ip6tables iptables-save ip6tables-save jq timeout
	shop_need
	P=bhn$$
	SW=$P-sw
	BR=bhnb$$
	VETH=bhn$$
	shop_hosts
	nl_init /tmp/bhnetns.XXXXXX
	bh_probe
}

# What bulkheadd needs from the kernel, tried in a namespace of its own:
# namespaces, br_netfilter with per-namespace sysctls, and the xtables
# matches and targets of its rules. Missing: exit 77 with the reason.
bh_probe() {
	local ns=$P-probe ipt out
	ip netns add "$ns" 2>/dev/null || bh_skip "cannot create network namespaces"
	CREATED_NS+=("$ns")
	ip netns exec "$ns" test -d /proc/sys/net/bridge ||
		bh_skip "br_netfilter is not loaded (modprobe br_netfilter)"
	ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1 2>/dev/null ||
		bh_skip "net.bridge.bridge-nf-call-iptables can't be set in a network namespace (kernel too old)"
	for ipt in iptables ip6tables; do
		if ! out=$(bh_probe_rules "$ns" "$ipt" 2>&1); then
			bh_skip "$ipt: a match or target bulkheadd needs is missing (physdev, connmark, comment, REJECT, NFQUEUE): $out"
		fi
	done
	ip netns del "$ns"
}

bh_probe_rules() { # ns iptables|ip6tables
	local x=(ip netns exec "$1" "$2" -w)
	"${x[@]}" -N BHPROBE
	"${x[@]}" -A BHPROBE -m physdev --physdev-is-bridged -m connmark --mark 0x1/0x1 \
		-m comment --comment probe -j ACCEPT
	"${x[@]}" -A BHPROBE -p tcp -j REJECT --reject-with tcp-reset
	"${x[@]}" -A BHPROBE -j NFQUEUE --queue-balance 0:1 --queue-bypass
}

bh_topology() {
	local n
	nl_topology
	ip -n "$SW" addr add 10.99.7.1/24 dev "$BR"
	ip -n "$SW" addr add fd00:99:7::1/64 dev "$BR" nodad
	for n in "${NAMES[@]}"; do
		ip -n "$SW" neigh replace "${IP4[$n]}" lladdr "${MAC[$n]}" dev "$BR" nud permanent
		ip -n "$SW" -6 neigh replace "${IP6[$n]}" lladdr "${MAC[$n]}" dev "$BR" nud permanent
	done
	ip netns exec "$SW" sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
	BH_RULES0=$(bh_rules)
}

# bh_port NAME: the bridge port (host side veth) of container NAME.
bh_port() { echo "$VETH${VSHORT[$1]}p"; }

# The node's rules, every table, IPv4 and IPv6, nft and legacy: one line per
# rule or chain, prefixed with its table, without counters; built-in chains
# whose policy is ACCEPT are left out (an empty table is no rule).
bh_rules() {
	local s
	for s in iptables-save ip6tables-save iptables-legacy-save ip6tables-legacy-save; do
		command -v "$s" >/dev/null || continue
		ip netns exec "$SW" "$s" 2>/dev/null | awk -v s="$s" '
			/^\*/ { t = substr($1, 2); next }
			/^#/ || /^COMMIT/ { next }
			{ sub(/ \[[0-9]+:[0-9]+\]$/, "") }
			/^:[^ ]+ ACCEPT$/ { next }
			{ print s " " t " " $0 }'
	done
}

# bh_workload NAME [ADDRESS...]: a Workload document labelled app: NAME,
# bound to the ADDRESSes (default: container NAME's two), and "---".
bh_workload() {
	local n=$1; shift
	[ $# -gt 0 ] || set -- "${IP4[$n]}" "${IP6[$n]}"
	printf 'apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: %s}\nlabels: {app: %s}\n' "$n" "$n"
	printf 'addresses: [%s]\n---\n' "$(printf '"%s", ' "$@" | sed 's/, $//')"
}

# ---------------------------------------------------------------- checks

bh_cmp() { # what got op want
	local what=$1 got=$2 op=$3 want=$4 ok=1
	case $op in
	eq | ne | lt | le | gt | ge)
		[[ $got =~ ^-?[0-9]+$ ]] && test "$got" "-$op" "$want" || ok=0 ;;
	=) [ "$got" = "$want" ] || ok=0 ;;
	!=) [ "$got" != "$want" ] || ok=0 ;;
	'~') [[ $got =~ $want ]] || ok=0 ;;
	'!~') [[ ! $got =~ $want ]] || ok=0 ;;
	*) die "bh_cmp: unknown operator $op" ;;
	esac
	BH_CHECKS=$((BH_CHECKS + 1))
	BH_OK=$ok
	[ ${#got} -le 200 ] || got="${got:0:200}..."
	if [ $ok = 1 ]; then
		printf 'ok   %s: expected %s %s, got %s\n' "$what" "$op" "$want" "$got"
	else
		printf 'FAIL %s: expected %s %s, got %s\n' "$what" "$op" "$want" "$got"
		BH_FAILS=$((BH_FAILS + 1))
	fi
}

bh_done() {
	local f
	if [ "$BH_FAILS" -gt 0 ]; then
		for f in "$TMP"/bhd-*.log; do
			[ -f "$f" ] || continue
			echo "--- ${f##*/} (last 40 lines)"
			tail -n 40 "$f"
		done
		echo "$WHO: $BH_FAILS of $BH_CHECKS checks failed"
		exit 1
	fi
	echo "$WHO: all $BH_CHECKS checks passed"
}

bh_ms() { echo $(($(date +%s%N) / 1000000)); }

bh_run() { # ns cmd...: never fails; at most 10 s
	local t0
	t0=$(bh_ms)
	RUN_RC=0
	RUN_OUT=$(timeout 10 ip netns exec "$P-$1" "${@:2}" 2>&1) || RUN_RC=$?
	RUN_MS=$(($(bh_ms) - t0))
	bh_alive
}

# bh_alive: a daemon that should be running and isn't ends the test at once
# (fail-closed, every later call would just time out), with its log.
bh_alive() {
	local rc=0
	[ -n "$BHD_PID" ] && ! kill -0 "$BHD_PID" 2>/dev/null || return 0
	wait "$BHD_PID" 2>/dev/null || rc=$?
	bh_forget "$BHD_PID"
	BHD_PID=
	cat "$BHD_LOG" >&2
	die "bulkheadd died (exit status $rc; log above)"
}

# bh_show: RUN_OUT, indented, if the last check failed.
bh_show() {
	[ "$BH_OK" = 0 ] && [ -n "$RUN_OUT" ] || return 0
	printf '%s\n' "$RUN_OUT" | sed -n 's/^/     | /; 1,8p'
}

# ---------------------------------------------------------------- the daemon

bh_start() { # tag arg...
	local tag=bhd-$1 i rc; shift
	BHD_LOG=$TMP/$tag.log
	BHD_EVE=$TMP/$tag.eve
	: >"$BHD_LOG"   # before the background job opens it: polled at once
	# A control socket of its own, unless the test names one: tests run
	# side by side, and the default path is the node's.
	BHD_CTL=$TMP/$tag.sock
	case " $* " in
	*" --control "*) ;;
	*) set -- --control "$BHD_CTL" "$@" ;;
	esac
	ip netns exec "$SW" "$BHD" --bridge "$BR" --eve "$BHD_EVE" "$@" >"$BHD_LOG" 2>&1 &
	BHD_PID=$!
	PIDS+=("$BHD_PID")
	for ((i = 0; i < BH_READY; i++)); do
		if grep -q '^bulkheadd: enforcing on ' "$BHD_LOG"; then
			echo "     $(grep -m1 '^bulkheadd: enforcing on ' "$BHD_LOG") (pid $BHD_PID, $((i / 10)).$((i % 10)) s)"
			return 0
		fi
		if ! kill -0 "$BHD_PID" 2>/dev/null; then
			rc=0; wait "$BHD_PID" 2>/dev/null || rc=$?
			bh_forget "$BHD_PID"
			BHD_PID=
			cat "$BHD_LOG" >&2
			die "bulkheadd $* exited with status $rc before it was ready"
		fi
		sleep 0.1
	done
	cat "$BHD_LOG" >&2
	die "bulkheadd $* printed no ready line in $((BH_READY / 10)) s"
}

bh_forget() { # pid: no longer ours to end
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

bh_wait_exit() { # pid seconds: BH_RC, its exit status (255: killed, it didn't end in time)
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	BH_RC=0
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		BH_RC=255
	else
		wait "$pid" 2>/dev/null || BH_RC=$?
	fi
	bh_forget "$pid"
}

bh_stop() { # SIGTERM: exit 0 within 10 s, no sanitizer report
	bh_alive
	kill -TERM "$BHD_PID"
	bh_wait_exit "$BHD_PID" 10
	BHD_PID=
	bh_cmp "bulkheadd exit status after SIGTERM (255: still running 10 s later)" "$BH_RC" = 0
	bh_cmp "sanitizer reports in its log (lines)" "$(grep -cE 'runtime error:|Sanitizer' "$BHD_LOG")" eq 0
	[ "$BH_OK" = 1 ] || sed -n '/runtime error:\|Sanitizer/,$p' "$BHD_LOG" | sed -n 's/^/     | /; 1,80p'
}

bh_kill() {
	bh_alive
	# (stderr: no "Killed" job notice from bash)
	{ kill -KILL "$BHD_PID"; bh_wait_exit "$BHD_PID" 5; } 2>/dev/null
	BHD_PID=
}

# bh_rules_same WHAT RULES: the node's ruleset (bh_rules) is RULES.
bh_rules_same() {
	local now
	now=$(bh_rules)
	bh_cmp "$1 (lines differing)" "$(diff <(echo "$2") <(echo "$now") | grep -c '^[<>]')" eq 0
	[ "$BH_OK" = 1 ] || diff <(echo "$2") <(echo "$now") | sed 's/^/     | /'
}

# bh_rules_restored WHAT: the node's ruleset is the one before any daemon ran.
bh_rules_restored() {
	bh_rules_same "$1: node ruleset equal to the one before bulkheadd ran" "$BH_RULES0"
}

# ---------------------------------------------------------------- events

# bh_events FILTER [JQ-ARG...]: the complete events of BHD_EVE matching
# select(FILTER), one JSON object a line (a line still being written is
# skipped).
bh_events() {
	local filter=$1; shift
	jq -c -R "$@" "fromjson? | select($filter)" "$BHD_EVE"
}

bh_eve() { # what op n filter [jq-arg...]
	local what=$1 op=$2 n=$3 filter=$4; shift 4
	bh_cmp "$what (events)" "$(bh_events "$filter" "$@" | wc -l)" "$op" "$n"
	[ "$BH_OK" = 1 ] || bh_eve_dump
}

# After the first failed event check: the decisions the daemon reported.
bh_eve_dump() {
	[ -z "${BH_DUMPED:-}" ] || return 0
	BH_DUMPED=1
	echo "     the decisions in ${BHD_EVE##*/}:"
	bh_events '.verdict != null' | jq -r '[.event_type, .proto, .src_ip, .dest_ip,
		(.dest_port|tostring), (.http.http_method // ""), (.http.url // .dns.rrname //
		.sql.statement // ""), .verdict.action, .verdict.reason, (.in_iface // "-")] | join(" ")' |
		sed -n 's/^/     | /; 1,80p'
}

# bh_stats_now: SIGUSR1; waits for the new stats event, BH_STATS.
bh_stats_now() {
	local n0 i
	bh_alive
	n0=$(bh_events '.event_type == "stats"' | wc -l)
	kill -USR1 "$BHD_PID"
	for ((i = 0; i < 100; i++)); do
		bh_alive
		if [ "$(bh_events '.event_type == "stats"' | wc -l)" -gt "$n0" ]; then
			BH_STATS=$(bh_events '.event_type == "stats"' | tail -n 1)
			return 0
		fi
		sleep 0.1
	done
	die "no stats event in ${BHD_EVE##*/} 10 s after SIGUSR1"
}

# bh_last_stats: the last stats event (after bh_stop: the final one).
bh_last_stats() { bh_events '.event_type == "stats"' | tail -n 1; }
