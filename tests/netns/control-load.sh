#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# control-load.sh BULKHEADD BULKHEAD - policy swaps under load lose nothing:
# while frontend sends a continuous stream of allowed requests to the API
# (curl, 20 requests a connection, each connection new, each request judged
# at L7), 100 `bulkhead policy apply` in a row alternate between shop.yaml
# and shop.yaml with one more allowed path. Every apply succeeds and the
# generation grows by exactly 100; every request gets its 200; the daemon
# denied, reset and dropped nothing meanwhile, lost no packet to its queue,
# and allowed exactly as many transactions as the client completed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/control-lib.sh
. "$HERE/control-lib.sh"

ctl_init control-load.sh "${1:-}" "${2:-}"
APPLIES=100
BATCH=20   # requests a connection

sed 's|^      - {method: GET, path: /healthz, headers: .*|&\n      - {method: GET, path: /admin}|' \
	"$SHOP" >"$TMP/shop-admin.yaml"
cmp -s "$SHOP" "$TMP/shop-admin.yaml" && die "shop-admin.yaml: the sed found no /healthz rule"

# The load: connections of BATCH requests each until TMP/load.stop exists.
# load.codes gets one HTTP status a request (000: failed), written when the
# connection's curl ends; load.rc one exit status a curl; load.curl the pid
# of the curl running (ended by the EXIT trap if the loop is cut short).
LOAD=
load_start() {
	: >"$TMP/load.codes"
	: >"$TMP/load.rc"
	(
		while [ ! -e "$TMP/load.stop" ]; do
			ip netns exec "$P-frontend" "${CURL4[@]}" --max-time 5 -w '%{http_code}\n' \
				"$W/v1/orders/[1-$BATCH]" >>"$TMP/load.codes" 2>>"$TMP/load.err" &
			echo $! >"$TMP/load.curl"
			rc=0; wait $! || rc=$?
			echo "$rc" >>"$TMP/load.rc"
		done
	) &
	LOAD=$!
	PIDS+=("$LOAD")
}
load_stop() {
	touch "$TMP/load.stop"
	bh_wait_exit "$LOAD" 30
	bh_cmp "the load's loop ended by itself after the stop (255: killed)" "$BH_RC" = 0
	LOAD=
}
load_cleanup() {
	local rc=$? pid
	set +e   # (exit $rc) below must not end the trap before nl_cleanup
	if [ -n "$LOAD" ]; then
		touch "$TMP/load.stop"
		pid=$(cat "$TMP/load.curl" 2>/dev/null)
		# only while it is still the loop's child: a pid can be reused
		[ -n "$pid" ] && [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$LOAD" ] &&
			kill "$pid" 2>/dev/null
	fi
	(exit $rc)
	nl_cleanup
}
trap load_cleanup EXIT
lines() { wc -l <"$TMP/load.codes"; }
# delta JQ: the stats field JQ after the load (S1) less before it (S0).
delta() { echo $(($(jq "$1" <<<"$S1") - $(jq "$1" <<<"$S0"))); }

ctl_start load --policy "$SHOP" --sets sqli,cmdi,traversal
G0=$(ctl_gen)
# Only allowed requests until S1: a denied HTTP request is counted when its
# record is written, which for a reset connection is when the flow ends.
http "before the load" pass frontend /v1/orders/1
ctl_stats
S0=$STATS

echo "== $APPLIES applies while frontend -> api:8080 runs"
# A subscriber that stops reading (SIGSTOP) for the whole load: the daemon
# drops its events and counts them; no worker waits for it.
"$BHC" --socket "$SOCK" --json events --follow >"$TMP/stuck.out" 2>"$TMP/stuck.err" &
STUCK=$!
PIDS+=("$STUCK")
for ((i = 0; i < 50; i++)); do
	ctl --json stats
	[ "$(jq -r .events.subscribers <<<"$RUN_OUT")" -ge 1 ] && break
	sleep 0.1
done
kill -STOP "$STUCK"
load_start
for ((i = 0; i < 100; i++)); do
	[ "$(lines)" -ge $((2 * BATCH)) ] && break
	sleep 0.1
done
bh_cmp "requests completed before the applies start" "$(lines)" ge $((2 * BATCH))
N0=$(lines)
T0=$(bh_ms)
ok=0
for ((i = 1; i <= APPLIES; i++)); do
	if [ $((i % 2)) = 1 ]; then f=$TMP/shop-admin.yaml; else f=$SHOP; fi
	ctl policy apply "$f"
	if [ "$RUN_RC" = 0 ]; then
		ok=$((ok + 1))
	elif [ "$ok" = $((i - 1)) ]; then
		echo "     apply $i ($f) failed with exit status $RUN_RC:"
		printf '%s\n' "$RUN_OUT" "$RUN_ERR" | sed -n 's/^/     | /; 1,10p'
	fi
done
T1=$(bh_ms)
N1=$(lines)
G1=$(ctl_gen)
load_stop
ctl_stats
S1=$STATS
kill -CONT "$STUCK"
# It reads its backlog, then hears of what it lost.
SUBDROPS=$(jq .events.subscriber_drops <<<"$S1")
for ((i = 0; i < 300; i++)); do
	{ [ "$SUBDROPS" = 0 ] || grep -q 'events lost' "$TMP/stuck.err"; } && break
	sleep 0.1
done
kill -TERM "$STUCK"
bh_wait_exit "$STUCK" 5
bh_cmp "the stopped subscriber, continued and ended: exit status" "$BH_RC" = 0
echo "     the stopped subscriber lost $SUBDROPS events (its backlog is 4 MiB); it got $(wc -l <"$TMP/stuck.out")"
if [ "$SUBDROPS" -gt 0 ]; then
	bh_cmp "... and was told (\"events lost\" lines on its stderr)" \
		"$(grep -c 'events lost' "$TMP/stuck.err" || true)" ge 1
fi
echo "     $APPLIES applies in $((T1 - T0)) ms; $((N1 - N0)) requests completed meanwhile, $(lines) in all"

bh_cmp "applies that exited 0" "$ok" eq "$APPLIES"
bh_cmp "generation after - before" "$((G1 - G0))" eq "$APPLIES"
bh_cmp "requests completed during the applies" "$((N1 - N0))" gt 0
bh_cmp "requests: answers other than 200" "$(grep -cvx 200 "$TMP/load.codes" || true)" eq 0
bh_cmp "curl runs that failed" "$(grep -cvx 0 "$TMP/load.rc" || true)" eq 0
bh_cmp "requests: one answer for each sent ($BATCH a curl run)" "$(lines)" eq \
	$(($(wc -l <"$TMP/load.rc") * BATCH))
bh_cmp "curl's stderr (bytes)" "$(stat -c %s "$TMP/load.err" 2>/dev/null || echo 0)" eq 0
[ "$BH_OK" = 1 ] || sed -n 's/^/     | /; 1,10p' "$TMP/load.err"
echo "== the daemon's counters over the load (bulkhead --json stats)"
bh_cmp "decisions.transaction.allow grew by the requests answered" "$(delta .decisions.transaction.allow)" \
	eq "$(lines)"
bh_cmp "decisions.transaction.deny grew by" "$(delta .decisions.transaction.deny)" eq 0
bh_cmp "decisions.flow.deny grew by" "$(delta .decisions.flow.deny)" eq 0
bh_cmp "decisions.flow.allow grew by (>= one a curl run)" "$(delta .decisions.flow.allow)" ge \
	"$(wc -l <"$TMP/load.rc")"
bh_cmp "flows.reset grew by" "$(delta .flows.reset)" eq 0
ctl --json flows --action deny
bh_cmp "denied flows in the table (flows --json --action deny: those not ended yet)" \
	"$(jq -r .total <<<"$RUN_OUT")" eq 0
ctl_show
bh_cmp "packets.dropped grew by" "$(delta .packets.dropped)" eq 0
bh_cmp "queues' dropped grew by" "$(delta '[.queues[].dropped] | add')" eq 0
bh_cmp "queues' enobufs" "$(jq '[.queues[].enobufs] | add' <<<"$S1")" eq 0
bh_cmp "queues' missed" "$(jq '[.queues[].missed] | add' <<<"$S1")" eq 0
bh_cmp "queues' errors" "$(jq '[.queues[].errors] | add' <<<"$S1")" eq 0
bh_cmp "events dropped" "$(jq '.events.dropped' <<<"$S1")" eq 0
bh_cmp "policy.applies grew by" "$(delta .policy.applies)" eq "$APPLIES"
bh_cmp "policy.apply_errors grew by" "$(delta .policy.apply_errors)" eq 0

echo "== after the swaps: the last policy applied (shop.yaml) in force"
http "after the swaps" pass frontend /v1/orders
http "after the swaps" reset frontend /admin
http "after the swaps" reset intruder /v1/orders

bh_stop
bh_rules_restored "after SIGTERM"
ctl_done
