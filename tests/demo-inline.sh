#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo-inline.sh BULKHEADD - the live part of tests/demo.sh (root): the shop
# of tests/data/netns-servers.sh (nginx as the API, PostgreSQL, MariaDB,
# dnsmasq; a frontend and an intruder) in network namespaces on a Linux
# bridge, bulkheadd enforcing tests/data/policy/shop.yaml on that bridge, and
# the real clients sending what the policy allows and what it doesn't
# (tests/netns/shop.sh). Prints each outcome, then the decisions bulkheadd
# wrote; the EXIT trap removes every namespace, link and process it made.
set -euo pipefail
. "$(dirname "$0")/netns/lib.sh"
# shellcheck source=SCRIPTDIR/netns/shop.sh
. "$HERE/shop.sh"

bh_init demo.sh "$1"
echo "== the shop: namespaces on bridge $BR, in node namespace $SW"
bh_topology
shop_servers api dns catalog-db orders-pg
shop_clients
for n in "${NAMES[@]}"; do
	printf '   %-11s %-12s %-16s port %s\n' "$n" "${IP4[$n]}" "${IP6[$n]}" "$(bh_port "$n")"
done
echo
BHCLI=$(dirname "$BHD")/bulkhead
POLICY=$HERE/../data/policy/shop.yaml
bhc() { "$BHCLI" --socket "$BHD_CTL" "$@"; }
echo "== bulkheadd --bridge $BR --state-dir STATE --metrics 127.0.0.1:0 --eve EVE"
echo "   (no policy yet: a node gets it from its control plane over the socket)"
ip -n "$SW" link set lo up   # the metrics listen on the node's loopback
bh_start demo --state-dir "$TMP/state" --metrics 127.0.0.1:0
echo
echo "== bulkhead policy apply --dry-run tests/data/policy/shop.yaml   (what would change)"
bhc policy apply --dry-run "$POLICY" | grep -v '^[-+@ ]' | sed 's/^/   /'
echo "== bulkhead policy apply tests/data/policy/shop.yaml"
bhc policy apply "$POLICY" | sed -n 1p | sed 's/^/   /'
echo
echo "== what the clients saw (\"fails, reset\": the daemon blocked it)"
shop_traffic deny
bh_stats_now
echo
echo "== bulkheadd's counters"
jq -r '.stats | (.queues[] | "   queue \(.queue): \(.packets) packets in user space, \(.accepted) accepted, \(.dropped) dropped (\(.rejected) reset by the kernel)"),
	"   flows \(.flows.created), \(.flows.offloaded) offloaded to the kernel, \(.flows.reset) reset after an L7 denial"' <<<"$BH_STATS"
echo
echo "== bulkhead flows --action deny   (denied flows still in the tables)"
bhc flows --action deny --limit 8 | sed 's/^/   /'
echo
echo "== bulkhead graph   (Graphviz DOT: who talked to whom, red = denied)"
bhc graph | sed 's/^/   /'
echo
echo "== curl http://127.0.0.1:PORT/metrics   (an excerpt)"
port=$(grep -o 'metrics port [0-9]*' "$BHD_LOG" | cut -d' ' -f3)
ip netns exec "$SW" curl -fsS "http://127.0.0.1:$port/metrics" |
	grep -E '^bulkhead_(policy_generation|decisions_total\{kind="(flow|transaction)",action="deny"|events_dropped_total|flows_total)' |
	sed 's/^/   /'
echo
echo "== restart: the persisted policy is in force before the rules are installed"
bh_stop
bh_start demo-restart --state-dir "$TMP/state"
try_http allow v4 GET /healthz api-from-frontend -H 'X-Probe: kubelet'
try_http deny v4 GET /admin l7-no-match
bh_stop
echo
echo "== every decision bulkheadd wrote, and why"
BHD_EVE=$TMP/bhd-demo.eve
bh_events '.verdict != null and .event_type != "alert"' | jq -r '[.event_type,
	"\(.src_workload.name // .src_ip) -> \(.dest_workload.name // .dest_ip):\(.dest_port)",
	(.http | if . then "\(.http_method) \(.url)" else empty end) //
	(.dns | if . then "\(.rrname) \(.rrtype // "")" else empty end) //
	(.sql | if . then .statement[0:60] else empty end) // .proto,
	.verdict.action, .verdict.reason] | @tsv' | column -t -s $'\t' | sed 's/^/   /'
echo
echo "== one denied request as written"
bh_events '.event_type == "http" and .verdict.action == "deny"' | sed -n 1p | jq -c .
bh_done
