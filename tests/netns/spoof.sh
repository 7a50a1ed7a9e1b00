#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# spoof.sh BULKHEADD - anti-spoofing: every Workload of
# tests/data/policy/shop.yaml bound to its bridge port (`interface:`, this
# run's veth names). intruder takes frontend's addresses as secondary ones
# and calls the API, which frontend may call: its packets enter by
# intruder's port, so they are dropped with reason `spoofed` and never reach
# api (counted there); frontend's own calls still pass.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bh_init spoof.sh "$1"
bh_topology
shop_servers api
shop_clients

# shop.yaml with `interface: PORT` after the addresses of every Workload, and
# without its signature sets (not exercised here; slow to compile under ASan).
POL=$TMP/shop-interfaces.yaml
ports=()
for n in "${NAMES[@]}"; do ports+=("$n=$(bh_port "$n")"); done
awk -v ports="${ports[*]}" '
	BEGIN { n = split(ports, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); port[kv[1]] = kv[2] } }
	/^---/ { w = "" }
	/^  signatures: / { next }
	/^kind: Workload$/ { workload = 1 }
	/^kind: / && !/^kind: Workload$/ { workload = 0 }
	workload && match($0, /^metadata: \{name: [^}]+\}/) { w = substr($0, 18, RLENGTH - 18) }
	{ print }
	workload && /^addresses:/ { if (!(w in port)) exit 1; print "interface: " port[w] }
' "$HERE/../data/policy/shop.yaml" >"$POL"
bh_cmp "interfaces written into the policy" "$(grep -c '^interface: ' "$POL")" eq 5

# SYNs from frontend's addresses that reach api
for ipt in iptables ip6tables; do
	ip netns exec "$P-api" "$ipt" -w -A INPUT -p tcp --dport 8080 --syn
done
syns() { # v4|v6
	local ipt=iptables
	[ "$1" = v6 ] && ipt=ip6tables
	ip netns exec "$P-api" "$ipt" -w -L INPUT -v -x -n | awk '/tcp dpt:8080/ { n += $1 } END { print n + 0 }'
}

bh_start spoof --policy "$POL"
for fam in v4 v6; do
	declare -n c=CURL${fam#v} ip=IP${fam#v}
	echo "== $fam"
	bh_run frontend "${c[@]}" --max-time 5 -w '%{http_code}' "$W/v1/orders"
	bh_cmp "frontend GET /v1/orders: status" "$RUN_OUT" = 200
	bh_show
	n0=$(syns $fam)
	if [ $fam = v4 ]; then
		ip -n "$P-intruder" addr add "${ip[frontend]}/32" dev eth0
	else
		ip -n "$P-intruder" addr add "${ip[frontend]}/128" dev eth0 nodad
	fi
	bh_run intruder "${c[@]}" --max-time 2 -w '%{http_code}' --interface "${ip[frontend]}" "$W/v1/orders"
	bh_cmp "intruder as ${ip[frontend]}: GET /v1/orders fails (curl exit status)" "$RUN_RC" ne 0
	bh_show
	bh_cmp "intruder as ${ip[frontend]}: SYNs that reached api" "$(syns $fam)" eq "$n0"
	unset -n c ip
done
bh_stop
bh_rules_restored "after SIGTERM"

for fam in v4 v6; do
	declare -n ip=IP${fam#v}
	a=(--arg s "${ip[frontend]}" --arg i "$(bh_port intruder)")
	bh_eve "$fam: flows from frontend's address denied as spoofed" eq 1 \
		'.event_type == "flow" and .src_ip == $s and .verdict.action == "deny" and .verdict.reason == "spoofed"' "${a[@]}"
	bh_eve "$fam: flows from frontend's address allowed (frontend's own)" eq 1 \
		'.event_type == "flow" and .src_ip == $s and .verdict.action == "allow"' "${a[@]}"
	bh_eve "$fam: frontend's own request allowed" eq 1 \
		'.event_type == "http" and .src_ip == $s and .verdict.action == "allow"' "${a[@]}"
	bh_eve "$fam: spoofed decisions not naming intruder's port ($(bh_port intruder)) as in_iface" eq 0 \
		'.verdict.reason == "spoofed" and .src_ip == $s and .in_iface != $i' "${a[@]}"
	unset -n ip
done
bh_done
