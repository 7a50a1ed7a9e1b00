#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# queues.sh BULKHEADD - `--queues 2`: one worker per queue, the kernel
# balancing flows by address pair. Eight client addresses each make an HTTP
# request (L7 rules: every flow is inspected both ways) and a DNS lookup to
# api and dns, over IPv4 and IPv6: 32 flows on 32 address pairs, so both
# queues get some (all on one queue: chance 2^-31). Checked: the stats event
# counts packets on each queue; every flow is reported once, with packets in
# both directions (had the two directions landed on different workers, each
# would have reported half a flow).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bh_init queues.sh "$1"
bh_topology
shop_servers api dns
shop_clients

CLIENTS=()
for i in $(seq 100 107); do
	CLIENTS+=("10.99.7.$i" "fd00:99:7::$i")
done
for a in "${CLIENTS[@]}"; do
	if [[ $a == *:* ]]; then
		ip -n "$P-frontend" addr add "$a/64" dev eth0 nodad
	else
		ip -n "$P-frontend" addr add "$a/24" dev eth0
	fi
	for n in api dns; do
		ip -n "$P-$n" neigh replace "$a" lladdr "${MAC[frontend]}" dev eth0 nud permanent
	done
	ip -n "$SW" neigh replace "$a" lladdr "${MAC[frontend]}" dev "$BR" nud permanent
done

POL=$TMP/queues.yaml
{
	bh_workload clients "${CLIENTS[@]}"
	bh_workload api
	bh_workload dns
	cat <<YAML
apiVersion: bulkhead/v1
kind: WorkloadPolicy
metadata: {name: clients}
spec:
  selector: {matchLabels: {app: clients}}
  mode: protect
  egress:
  - name: clients-to-api
    to: [{selector: {matchLabels: {app: api}}}]
    ports: [{port: 8080, protocol: TCP}]
    rules:
      http:
      - {method: GET, path: "/v1/orders/[0-9]+"}
  - name: clients-dns
    to: [{selector: {matchLabels: {app: dns}}}]
    ports: [{port: 53, protocol: UDP}]
    rules:
      dns:
      - {matchPattern: "*.$Z"}
YAML
} >"$POL"

bh_start queues --queues 2 --policy "$POL"
echo "== 8 clients x IPv4, IPv6 x HTTP, DNS"
for a in "${CLIENTS[@]}"; do
	if [[ $a == *:* ]]; then api=[${IP6[api]}] dns=${IP6[dns]}; else api=${IP4[api]} dns=${IP4[dns]}; fi
	bh_run frontend "${CURL[@]}" --max-time 5 -w '%{http_code}' --interface "$a" \
		"http://$api:8080/v1/orders/${a##*[.:]}"
	bh_cmp "curl from $a: status" "$RUN_OUT" = 200
	bh_show
	bh_run frontend "${DIG[@]}" +short -b "$a" @"$dns" "orders-pg.$Z" A
	bh_cmp "dig from $a: answer" "$RUN_OUT" = "${IP4[orders-pg]}"
	bh_show
done

echo "== stats (SIGUSR1)"
bh_stats_now
stats=$BH_STATS
echo "     $stats"
bh_cmp "stats: queues" "$(jq -c '[.stats.queues[].queue]' <<<"$stats")" = '[0,1]'
for q in 0 1; do
	bh_cmp "stats: packets on queue $q" \
		"$(jq ".stats.queues[] | select(.queue == $q) | .packets" <<<"$stats")" gt 0
done
bh_stop
bh_rules_restored "after SIGTERM"

echo "== flows"
# Every flow event with a client address at either end (half a flow seen by
# the other worker would name the server as its source), and the test's own:
# from a client address to api:8080/tcp or dns:53/udp.
any='.event_type == "flow" and ((.src_ip | IN($c[])) or (.dest_ip | IN($c[])))'
mine='.event_type == "flow" and (.src_ip | IN($c[])) and
	((.proto == "TCP" and .dest_port == 8080) or (.proto == "UDP" and .dest_port == 53))'
c=(--argjson c "$(printf '%s\n' "${CLIENTS[@]}" | jq -R . | jq -s -c .)")
bh_eve "flows with a client address" eq 32 "$any" "${c[@]}"
bh_eve "... from a client to api:8080/tcp or dns:53/udp" eq 32 "$mine" "${c[@]}"
bh_eve "... allowed" eq 32 "$mine and .verdict.action == \"allow\"" "${c[@]}"
bh_eve "... with packets in both directions" eq 32 \
	"$mine and .flow.pkts_toserver > 0 and .flow.pkts_toclient > 0" "${c[@]}"
bh_cmp "flow events, all: reported twice (the same two ends)" "$(bh_events '.event_type == "flow"' |
	jq -r '[.proto, ([[.src_ip, .src_port], [.dest_ip, .dest_port]] | sort)] | tostring' |
	sort | uniq -d | wc -l)" eq 0
bh_eve "HTTP requests allowed by clients-to-api" eq 16 \
	'.event_type == "http" and .verdict.action == "allow" and .verdict.reason == "clients-to-api"'
bh_eve "DNS queries allowed by clients-dns" eq 16 \
	'.event_type == "dns" and .dns.type == "query" and .verdict.action == "allow" and .verdict.reason == "clients-dns"'
stats=$(bh_last_stats)
echo "     final: $stats"
for q in 0 1; do
	bh_cmp "final stats: packets on queue $q" \
		"$(jq ".stats.queues[] | select(.queue == $q) | .packets" <<<"$stats")" gt 0
done
bh_done
