#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fastpath.sh BULKHEADD - an allowed flow whose verdict is final (an L4-only
# rule, no signature sets) is offloaded: after the first packets, the kernel
# passes its packets on the `bulkhead offload` rule and they no longer reach
# the daemon. frontend downloads 8 MiB from nginx on api:8081; the packets
# of the transfer are counted in frontend's namespace, those that reached
# user space by the daemon's per-queue counters (stats events on SIGUSR1),
# those offloaded by the offload rule's counter. The same transfer with
# --no-fast-path is the control: there the daemon sees the packets.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bh_init fastpath.sh "$1"
bh_topology
mkdir -p "$TMP/www"
head -c 8M /dev/zero >"$TMP/www/bulk.bin"
shop_servers api -- "	server { listen ${IP4[api]}:8081; root $TMP/www; }"
shop_clients
SIZE=$((8 << 20))

POL=$TMP/fastpath.yaml
{
	bh_workload frontend
	bh_workload api
	cat <<YAML
apiVersion: bulkhead/v1
kind: WorkloadPolicy
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  mode: protect
  ingress:
  - name: bulk-from-frontend
    from: [{selector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8081, protocol: TCP}]
YAML
} >"$POL"

# The transfer's packets, both directions, as frontend sends and receives them.
ip netns exec "$P-frontend" iptables -w -A INPUT -p tcp --sport 8081
ip netns exec "$P-frontend" iptables -w -A OUTPUT -p tcp --dport 8081
client_pkts() {
	ip netns exec "$P-frontend" iptables -w -L -v -x -n | awk '/tcp (spt|dpt):8081/ { n += $1 } END { print n + 0 }'
}
offload_pkts() { # the offload rule's packets (0 without one)
	ip netns exec "$SW" iptables -w -t filter -L BULKHEAD -v -x -n 2>/dev/null |
		awk '/bulkhead offload/ { n += $1 } END { print n + 0 }'
}
queue_pkts() { # stats event -> packets that reached user space, all queues
	jq '[.stats.queues[].packets] | add' <<<"$1"
}

# transfer TAG ARG...: a daemon with ARGs, one download; sets PKTS (the
# transfer's), USER (reached the daemon meanwhile), OFFLOAD (passed on the
# offload rule meanwhile).
transfer() {
	local tag=$1 s0 s1 o0 c0 c i; shift
	bh_start "$tag" --sets none --policy "$POL" "$@"
	bh_stats_now
	s0=$BH_STATS
	o0=$(offload_pkts)
	c0=$(client_pkts)
	bh_run frontend curl -sS --max-time 20 -o /dev/null -w '%{size_download}' "http://${IP4[api]}:8081/bulk.bin"
	bh_cmp "$tag: bytes downloaded (${RUN_MS} ms)" "$RUN_OUT" = "$SIZE"
	bh_show
	# the closing FIN/ACKs may still cross the bridge when curl returns
	c=$(client_pkts)
	for ((i = 0; i < 20; i++)); do
		sleep 0.1
		[ "$(client_pkts)" = "$c" ] && break
		c=$(client_pkts)
	done
	bh_stats_now
	s1=$BH_STATS
	PKTS=$((c - c0))
	USER=$(($(queue_pkts "$s1") - $(queue_pkts "$s0")))
	OFFLOAD=$(($(offload_pkts) - o0))
	echo "     $tag: transfer $PKTS packets, reached the daemon $USER, offloaded $OFFLOAD"
	bh_cmp "$tag: packets of the transfer (8 MiB in 1500-byte frames)" "$PKTS" gt 5000
	LAST_STATS=$s1
}

echo "== fast path"
transfer fast
bh_cmp "fast: packets that reached the daemon" "$USER" le 10
bh_cmp "fast: packets passed on the offload rule (transfer - daemon's = $((PKTS - USER)))" \
	"$OFFLOAD" ge $((PKTS - USER))
bh_cmp "fast: stats flows.offloaded" "$(jq .stats.flows.offloaded <<<"$LAST_STATS")" ge 1
bh_cmp "fast: stats queues[].offloaded" "$(jq '[.stats.queues[].offloaded] | add' <<<"$LAST_STATS")" ge 1
bh_stop
bh_eve "fast: the transfer's flow, allowed by bulk-from-frontend" eq 1 \
	'.event_type == "flow" and .dest_port == 8081 and .verdict.action == "allow" and .verdict.reason == "bulk-from-frontend"'
bh_rules_restored "after SIGTERM"

echo "== control: --no-fast-path"
transfer slow --no-fast-path
bh_cmp "slow: packets that reached the daemon (half the transfer's: $((PKTS / 2)))" "$USER" gt $((PKTS / 2))
bh_cmp "slow: packets passed on the offload rule" "$OFFLOAD" eq 0
bh_stop
bh_rules_restored "after SIGTERM"
bh_done
