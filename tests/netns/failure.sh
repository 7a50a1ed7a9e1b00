#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# failure.sh BULKHEADD - what happens around the daemon's life (policy
# tests/data/policy/shop.yaml without signatures, frontend -> api:8080):
#   - without bridge-nf-call-iptables/-ip6tables it explains and exits 2,
#     touching no rule; --setup-sysctls sets them;
#   - --fail-open, SIGKILL: its rules stay, traffic passes uninspected; a
#     restart with the same arguments replaces the stale rules (the same
#     ruleset as before, nothing twice) and enforces again; SIGTERM leaves
#     the node's ruleset as it was before the daemon;
#   - SIGHUP re-reads the policy file; a broken one leaves the previous policy
#     in force;
#   - --fail-closed, SIGKILL: traffic stops; --cleanup removes the rules
#     (exit 0) and traffic passes again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bh_init failure.sh "$1"
bh_topology
shop_servers api
shop_clients
# shop.yaml without its signature sets: none of them is exercised here, and
# a daemon under ASan compiles them for seconds at every start.
sed '/^  signatures: /d' "$HERE/../data/policy/shop.yaml" >"$TMP/shop-nosigs.yaml"
POL=(--policy "$TMP/shop-nosigs.yaml")
SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

# get WHAT pass|reset|stall PATH: curl frontend -> api over IPv4; pass: 200,
# reset: refused or reset (not a timeout), stall: no answer in 2 s.
get() {
	local what=$1 want=$2 path=$3
	bh_run frontend "${CURL4[@]}" --max-time 2 -w '%{http_code}' "$W$path"
	case $want in
	pass) bh_cmp "$what: GET $path passes (${RUN_MS} ms)" "$RUN_OUT" = 200 ;;
	reset) bh_cmp "$what: GET $path is reset (curl exit status, ${RUN_MS} ms)" "$RUN_RC" '!~' '^(0|28|124)$' ;;
	stall) bh_cmp "$what: GET $path gets no answer (curl exit status 28: timeout)" "$RUN_RC" = 28 ;;
	esac
	bh_show
}

# hup REGEX: SIGHUP; the daemon's log gets a line matching REGEX within 10 s.
hup() {
	local n0 n i
	n0=$(grep -cE "$1" "$BHD_LOG" || true)
	kill -HUP "$BHD_PID"
	for ((i = 0; i < 100; i++)); do
		n=$(grep -cE "$1" "$BHD_LOG" || true)
		[ "$n" -gt "$n0" ] && break
		sleep 0.1
	done
	bh_cmp "SIGHUP: stderr lines matching '$1'" "$n" gt "$n0"
}

sysctls() { ip netns exec "$SW" sysctl -n "${SYSCTLS[@]}" | paste -sd' '; }

echo "== bridge netfilter sysctls off"
ip netns exec "$SW" sysctl -qw "${SYSCTLS[@]/%/=0}"
bh_run sw "$BHD" --bridge "$BR" "${POL[@]}" --eve /dev/null
bh_cmp "bulkheadd without the sysctls: exit status" "$RUN_RC" = 2
bh_cmp "... the message names the setting" "$RUN_OUT" '~' 'bridge-nf-call-ip(6)?tables'
bh_show
bh_rules_restored "after the refused start"
bh_start sysctl "${POL[@]}" --setup-sysctls
bh_cmp "--setup-sysctls: ${SYSCTLS[*]}" "$(sysctls)" = "1 1"
get "--setup-sysctls" reset /admin
bh_stop
bh_rules_restored "after SIGTERM"

echo "== --fail-open, SIGKILL, restart"
bh_start open "${POL[@]}" --fail-open
running=$(bh_rules)
bh_cmp "the daemon's rules (lines with BULKHEAD)" "$(grep -c BULKHEAD <<<"$running")" gt 0
get "running" pass /v1/orders
get "running" reset /admin
bh_kill
bh_rules_same "SIGKILL: the rules stay" "$running"
get "killed, fail-open" pass /v1/orders
get "killed, fail-open" pass /admin
ip -n "$SW" link set lo up # the metrics listen on the node's loopback
bh_start open-again "${POL[@]}" --fail-open --metrics 127.0.0.1:0
bh_rules_same "restart: the same rules as the first run, once" "$running"
get "restarted" pass /v1/orders
get "restarted" reset /admin

echo "== --fail-open: what a full queue lets pass is counted"
# The daemon stopped (SIGSTOP) while 12000 datagrams arrive: the queue holds
# 8192 of them, the kernel passes the rest uninspected. It counts none of
# those; the daemon tells them from the queue rule's counter.
MPORT=$(grep -o 'metrics port [0-9]*' "$BHD_LOG" | cut -d' ' -f3)
passes() {
	ip netns exec "$SW" curl -fsS "http://127.0.0.1:$MPORT/metrics" |
		awk '$1 == "bulkhead_fail_open_passes_total" { print $2 }'
}
p0=$(passes)
bh_cmp "bulkhead_fail_open_passes_total before" "${p0:-none}" '~' '^[0-9]+$'
kill -STOP "$BHD_PID"
ip netns exec "$P-frontend" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(12000):
    s.sendto(b"x", (sys.argv[1], 9999))' "${IP4[api]}"
kill -CONT "$BHD_PID"
sleep 1
p1=$(passes)
bh_cmp "fail-open passes while the queue was full (12000 sent, 8192 queued)" \
	"$((${p1:-0} - ${p0:-0}))" ge 3000
get "after the overflow" pass /v1/orders

echo "== SIGHUP: the policy file re-read"
cp "$TMP/shop-nosigs.yaml" "$TMP/shop-nosigs.orig"
sed -i 's|^      - {method: GET, path: /healthz, headers: .*|&\n      - {method: GET, path: /admin}|' "$TMP/shop-nosigs.yaml"
hup 'policy reloaded \(generation 1\)'
get "reloaded, /admin allowed" pass /admin
echo 'bogus: [' >>"$TMP/shop-nosigs.yaml"
hup 'policy not reloaded'
RUN_OUT=$(grep -E 'shop-nosigs\.yaml:[0-9]+:[0-9]+' "$BHD_LOG" || true)
bh_cmp "... lines naming the error's file:line:col" "$(grep -c . <<<"$RUN_OUT")" gt 0
echo "     | $RUN_OUT"
get "a broken policy file: the previous policy stays" pass /admin
get "a broken policy file: the previous policy stays" reset /v1/catalog/x
cp "$TMP/shop-nosigs.orig" "$TMP/shop-nosigs.yaml"
bh_stop
bh_rules_restored "after SIGTERM"
get "stopped" pass /admin

echo "== --fail-closed, SIGKILL, --cleanup"
bh_start closed "${POL[@]}" --fail-closed
get "running" pass /v1/orders
bh_kill
get "killed, fail-closed" stall /v1/orders
bh_run sw "$BHD" --bridge "$BR" --cleanup
bh_cmp "--cleanup: exit status" "$RUN_RC" = 0
bh_show
bh_rules_restored "after --cleanup"
get "cleaned up" pass /v1/orders
bh_done
