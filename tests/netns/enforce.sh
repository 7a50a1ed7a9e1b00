#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# enforce.sh BULKHEADD - protect mode (tests/data/policy/shop.yaml) with real
# servers and clients: what the policy allows passes, denied HTTP paths, DNS
# names, SQL statements and tables fail, SQL injection, path traversal and
# command injection sent with curl are blocked, a connection no rule allows
# is reset within a second, and the EVE file has a decision for each with
# its reason; --write-dropped writes the packets it dropped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/shop.sh
. "$HERE/shop.sh"

bh_init enforce.sh "$1"
bh_topology
shop_servers api dns catalog-db orders-pg
shop_clients

nl_need capinfos

bh_start enforce --policy "$HERE/../data/policy/shop.yaml" --write-dropped "$TMP/dropped.pcap"
shop_traffic deny
bh_stop
bh_rules_restored "after SIGTERM"
shop_decisions
echo "== --write-dropped"
n=$(capinfos -c -M "$TMP/dropped.pcap" 2>&1 | awk '/^Number of packets/ { print $NF }')
bh_cmp "packets in dropped.pcap (the queues' dropped counters)" "$n" \
	eq "$(bh_last_stats | jq '[.stats.queues[].dropped] | add')"
# denied calls: 7 HTTP, 2 DNS, 5 SQL, 7 L4 (3 TCP clients, each followed by
# a bare connect, and 1 dig)
bh_cmp "... at least one per denied call" "$n" ge 21
bh_done
