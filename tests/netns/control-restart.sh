#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# control-restart.sh BULKHEADD BULKHEAD - a restart opens no hole: the policy
# applied over the control socket is persisted in --state-dir, and a daemon
# started again with that directory and no --policy enforces it from its
# first packet (source "state", the same documents). A state file that is
# cut short, or whose documents changed behind its checksum, is not
# half-trusted: the daemon names it and the problem, starts, and denies
# everything (reason no-policy, `closed` in policy show and the metrics)
# until `bulkhead policy apply` lifts it.
# (shop.yaml without its signature sets, and --sets none: none is exercised
# here, and a daemon under ASan compiles them for seconds at every start.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/control-lib.sh
. "$HERE/control-lib.sh"

ctl_init control-restart.sh "${1:-}" "${2:-}"
POL=$TMP/shop-nosigs.yaml
sed '/^  signatures: /d' "$SHOP" >"$POL"
SF=$STATE/policy.state
ARGS=(--metrics 127.0.0.1:0 --sets none)

# docs: the documents of `bulkhead --json policy show` (RUN_OUT): their
# number and the SHA-256 of their kinds, names and texts.
docs() {
	printf '%s %s\n' "$(jq '.documents | length' <<<"$RUN_OUT")" \
		"$(jq -c '[.documents[] | {kind, name, text}]' <<<"$RUN_OUT" | sha256sum | cut -c1-16)"
}
mval() { # metric name: its value in the last metrics()
	awk -v n="$1" '$1 == n { print $2 }' "$TMP/metrics.txt"
}

echo "== a policy applied over the socket, persisted"
ctl_start first "${ARGS[@]}"
bh_cmp "ready line: no policy" "$READY" '~' 'no policy'
ctl --json policy apply "$POL"
bh_cmp "policy apply: exit status" "$RUN_RC" = 0
bh_cmp "... generation" "$(jq -r .generation <<<"$RUN_OUT")" = 1
ctl_show
ctl --json policy show
DOCS=$(docs)
bh_cmp "policy show: documents" "${DOCS%% *}" eq 10
http "generation 1" reset frontend /admin
http "generation 1" pass frontend /v1/orders
bh_stop
bh_cmp "$SF: mode" "$(stat -c %a "$SF" 2>&1)" = 600
bh_cmp "... generation" "$(jq -r .generation "$SF" 2>&1)" = 1
bh_cmp "... documents" "$(jq -r '.documents | length' "$SF" 2>&1)" eq 10

echo "== restart with the same --state-dir, no --policy"
ctl_start again "${ARGS[@]}"
# The first request after the ready line: nothing passes in between.
http "restarted, the first request" reset frontend /admin
http "restarted" reset intruder /v1/orders
http "restarted" pass frontend /v1/orders
bh_cmp "ready line: the policy generation" "$READY" '~' '[ (]policy generation 1[;,)]'
bh_cmp "stderr: where the policy came from" \
	"$(grep -cF "policy generation 1 from $SF" "$BHD_LOG")" eq 1
ctl --json policy show
bh_cmp "policy show --json: generation, source, closed" \
	"$(jq -r '[.generation, .source, .closed] | join(" ")' <<<"$RUN_OUT")" = "1 state false"
bh_cmp "... the same documents as before the restart (number, hash of kinds, names, texts)" "$(docs)" = "$DOCS"
ctl_show
bh_cmp "generation (ping)" "$(ctl_gen)" = 1
metrics
bh_cmp "metrics: bulkhead_policy_generation" "$(mval bulkhead_policy_generation)" = 1
bh_cmp "metrics: bulkhead_policy_closed" "$(mval bulkhead_policy_closed)" = 0
bh_stop

# closed TAG PROBLEM-REGEX: a start on the corrupt state file: failing
# closed, named on stderr; then lifted by an apply.
closed() {
	local tag=$1 problem=$2
	ctl_start "$tag" "${ARGS[@]}"
	bh_cmp "ready line: closed" "$READY" '~' 'CLOSED'
	RUN_OUT=$(grep -F "$SF" "$BHD_LOG" || true)
	bh_cmp "stderr: the state file named, with the problem" "$RUN_OUT" '~' "$problem"
	bh_cmp "stderr: failing closed" "$(grep -c 'failing closed' "$BHD_LOG")" eq 1
	http "closed" reset frontend /v1/orders
	http "closed" reset frontend /admin
	http "closed" reset intruder /v1/orders
	ctl --json policy show
	bh_cmp "policy show --json: closed" "$(jq -r .closed <<<"$RUN_OUT")" = true
	ctl_show
	ctl policy show
	bh_cmp "policy show: says so on stderr" "$RUN_ERR" '~' 'denies everything'
	ctl --json flows --action deny --src "${IP4[frontend]}"
	bh_cmp "frontend's flows denied no-policy (flows --json)" \
		"$(jq '[.flows[] | select(.verdict.reason == "no-policy")] | length' <<<"$RUN_OUT")" ge 2
	ctl_show
	metrics
	bh_cmp "metrics: bulkhead_policy_closed" "$(mval bulkhead_policy_closed)" = 1
	ctl --json policy apply "$POL"
	bh_cmp "policy apply on the closed node: exit status" "$RUN_RC" = 0
	ctl_show
	http "lifted" pass frontend /v1/orders
	http "lifted" reset frontend /admin
	http "lifted" reset intruder /v1/orders
	ctl --json policy show
	bh_cmp "policy show --json after the apply: closed, source" \
		"$(jq -r '[.closed, .source] | join(" ")' <<<"$RUN_OUT")" = "false control"
	bh_cmp "... the documents (number, hash)" "$(docs)" = "$DOCS"
	metrics
	bh_cmp "metrics: bulkhead_policy_closed" "$(mval bulkhead_policy_closed)" = 0
	bh_stop
	bh_cmp "$SF after the apply: documents" "$(jq -r '.documents | length' "$SF" 2>&1)" eq 10
}

echo "== the state file cut short"
size=$(stat -c %s "$SF")
truncate -s $((size * 2 / 3)) "$SF"
closed truncated 'truncated|invalid JSON'

echo "== one byte changed inside a document's text"
cp "$SF" "$TMP/state.good"
# api's address 10.99.7.20 -> 10.99.7.21: still valid JSON and YAML, and a
# different policy; only the checksum tells.
sed -i '0,/10\.99\.7\.20/s//10.99.7.21/' "$SF"
bh_cmp "bytes changed" "$(cmp -l "$TMP/state.good" "$SF" | wc -l)" eq 1
bh_cmp "... the file still JSON (jq)" "$(jq -r .format "$SF" 2>&1)" = bulkhead-state
closed flipped 'checksum'

ctl_done
