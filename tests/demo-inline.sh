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
echo "== bulkheadd --bridge $BR --policy tests/data/policy/shop.yaml --eve ${BHD_EVE:-EVE}"
bh_start demo --policy "$HERE/../data/policy/shop.yaml"
echo
echo "== what the clients saw (\"fails, reset\": the daemon blocked it)"
shop_traffic deny
bh_stats_now
echo
echo "== bulkheadd's counters"
jq -r '.stats | (.queues[] | "   queue \(.queue): \(.packets) packets in user space, \(.accepted) accepted, \(.dropped) dropped (\(.rejected) reset by the kernel)"),
	"   flows \(.flows.created), \(.flows.offloaded) offloaded to the kernel, \(.flows.reset) reset after an L7 denial"' <<<"$BH_STATS"
bh_stop
echo
echo "== every decision bulkheadd wrote, and why"
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
