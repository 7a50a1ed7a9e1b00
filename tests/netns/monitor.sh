#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# monitor.sh BULKHEADD - monitor mode (tests/data/policy/shop-monitor.yaml,
# shop.yaml in `mode: monitor`): the traffic enforce.sh sees denied passes,
# every time with an `audit` decision carrying the reason protect mode would
# have denied it for, and nothing is denied.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/shop.sh
. "$HERE/shop.sh"

bh_init monitor.sh "$1"
bh_topology
shop_servers api dns catalog-db orders-pg
shop_clients

bh_start monitor --policy "$HERE/../data/policy/shop-monitor.yaml"
shop_traffic audit
bh_stop
bh_rules_restored "after SIGTERM"
shop_decisions
bh_eve "decisions with action deny" eq 0 '.verdict.action == "deny"'
bh_cmp "final stats: packets dropped" "$(bh_last_stats | jq '[.stats.queues[].dropped] | add')" eq 0
bh_done
