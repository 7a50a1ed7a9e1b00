#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2016 # $name in single quotes: jq's variables
#
# control.sh BULKHEADD BULKHEAD - the control socket of a running node, as an
# operator uses it (frontend, intruder and the API of the shop):
#   - a daemon started without a policy lets everything through; `bulkhead
#     policy apply shop.yaml` puts generation 1 in force: denied calls are
#     reset, allowed ones pass; `policy show` prints the documents; a dry run
#     prints the diff and changes nothing;
#   - documents with a YAML error, an unknown key or a bad address are
#     refused (exit 1, FILE:LINE:COL on stderr), the running policy stays;
#     removing a workload that does not exist is refused;
#   - `bulkhead events --follow` sees the allowed and denied requests and the
#     alert of an injection while they happen; `--last`, `--type alert`;
#   - the Prometheus endpoint: content type, families, values, every line in
#     the text format;
#   - flows, the Graphviz graph, workloads added and removed, the EVE file
#     reopened after logrotate moved it;
#   - a client that is not root is refused by the socket's mode, and with the
#     mode loosened by the daemon itself; the daemon serves root after.
# SIGTERM at the end: exit 0, the node's ruleset as before.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/control-lib.sh
. "$HERE/control-lib.sh"

ctl_init control.sh "${1:-}" "${2:-}"

# shop.yaml with /admin allowed too: the change of the dry run.
sed 's|^      - {method: GET, path: /healthz, headers: .*|&\n      - {method: GET, path: /admin}|' \
	"$SHOP" >"$TMP/shop-admin.yaml"
cmp -s "$SHOP" "$TMP/shop-admin.yaml" && die "shop-admin.yaml: the sed found no /healthz rule"

# graph WHAT EDGE-REGEX: `bulkhead graph` is DOT with one edge frontend -> api
# matching EDGE-REGEX and the intruder's (an address, no workload) -> api
# red.
graph() {
	local what=$1 re=$2 fails=$BH_FAILS
	ctl graph
	bh_cmp "graph ($what): exit status" "$RUN_RC" = 0
	bh_cmp "... DOT: first line" "$(head -n1 <<<"$RUN_OUT")" = 'digraph bulkhead {'
	bh_cmp "... last line" "$(tail -n1 <<<"$RUN_OUT")" = '}'
	bh_cmp "... edges frontend -> api" "$(grep -c '"frontend" -> "api"' <<<"$RUN_OUT")" eq 1
	bh_cmp "... ... matching $re" "$(grep -cE "^\s*\"$re" <<<"$RUN_OUT")" eq 1
	bh_cmp "... edge intruder (10.99.7.99) -> api, red" \
		"$(grep -cE '^\s*"10\.99\.7\.99" -> "api" \[label="TCP/8080\\n[0-9]+ deny", color=red' <<<"$RUN_OUT")" eq 1
	[ "$BH_FAILS" = "$fails" ] || printf '%s\n' "$RUN_OUT" | sed -n 's/^/     | /; 1,20p'
}

echo "== 1. no policy, then bulkhead policy apply"
# The policy denies on these sets: the daemon loads them at start.
ctl_start apply --metrics 127.0.0.1:0 --sets sqli,cmdi,traversal --alert-window 1500
bh_cmp "ready line: no policy" "$READY" '~' 'no policy'
bh_cmp "ready line: the metrics port" "$METRICS_PORT" '~' '^[1-9][0-9]*$'
http "no policy" pass frontend /admin
http "no policy" pass intruder /v1/orders
ctl --json policy show
bh_cmp "policy show --json without a policy: source" "$(jq -r .source <<<"$RUN_OUT")" = none
ctl_show

ctl --json policy apply "$SHOP"
bh_cmp "policy apply shop.yaml: exit status" "$RUN_RC" = 0
ctl_show
bh_cmp "... result: generation" "$(jq -r .generation <<<"$RUN_OUT")" = 1
bh_cmp "... result: changed, dry_run, documents" \
	"$(jq -r '[.changed, .dry_run, .documents] | join(" ")' <<<"$RUN_OUT")" = "true false 10"
bh_cmp "... result: added documents" "$(jq -r '.diff.added | length' <<<"$RUN_OUT")" eq 10
http "generation 1" pass frontend /v1/orders
http "generation 1" pass frontend /v1/orders/17
http "generation 1" reset intruder /v1/orders
# Edges count flow decisions: frontend's were all allowed so far.
graph "allowed calls only" 'frontend" -> "api" \[label="TCP/8080\\n2 allow", color=green'
http "generation 1" reset frontend /admin

ctl policy show
bh_cmp "policy show: exit status" "$RUN_RC" = 0
bh_cmp "... documents printed (kind: lines)" "$(grep -c '^kind: ' <<<"$RUN_OUT")" eq 10
bh_cmp "... the API's HTTP rules in them" "$(grep -c '{method: "GET|POST", path: "/v1/orders' <<<"$RUN_OUT")" eq 1
ctl_show
ctl --json policy show
bh_cmp "policy show --json: generation, source, closed, documents" \
	"$(jq -r '[.generation, .source, .closed, (.documents | length)] | join(" ")' <<<"$RUN_OUT")" \
	= "1 control false 10"
bh_cmp "... documents whose text is not theirs (kind and name)" \
	"$(jq '[.documents[] | select(.kind as $k | .name as $n | (.text | type) != "string" or
		((.text | contains("kind: \($k)\n")) and (.text | contains("name: \($n)}"))) == false)] | length' <<<"$RUN_OUT")" eq 0

ctl policy apply --dry-run "$TMP/shop-admin.yaml"
bh_cmp "policy apply --dry-run (one more path): exit status" "$RUN_RC" = 0
bh_cmp "... says dry run" "$(head -n1 <<<"$RUN_OUT")" '~' '^dry run: generation stays 1,'
bh_cmp "... names the changed document" "$(grep -cE '^changed +WorkloadPolicy api$' <<<"$RUN_OUT")" eq 1
bh_cmp "... the diff adds the rule (lines)" \
	"$(grep -cxF '+      - {method: GET, path: /admin}' <<<"$RUN_OUT")" eq 1
ctl_show
ctl policy diff "$TMP/shop-admin.yaml"
bh_cmp "policy diff: exit status" "$RUN_RC" = 0
bh_cmp "... the same added line" "$(grep -cxF '+      - {method: GET, path: /admin}' <<<"$RUN_OUT")" eq 1
ctl_show
bh_cmp "generation after the dry run and the diff (ping)" "$(ctl_gen)" = 1
http "after the dry run" reset frontend /admin

echo "== 7. bulkhead events --follow while traffic runs (the events checked after 3.)"
"$BHC" --socket "$SOCK" --json events --follow >"$TMP/follow.out" 2>"$TMP/follow.err" &
FOLLOW=$!
PIDS+=("$FOLLOW")
subs=0
for ((i = 0; i < 50; i++)); do
	ctl --json stats
	subs=$(jq -r '.events.subscribers // 0' <<<"$RUN_OUT")
	[ "$subs" -ge 1 ] && break
	sleep 0.1
done
bh_cmp "subscribers (stats) once the follower started" "$subs" ge 1
SQLI="/v1/orders?id=1%27+OR+%271%27%3d%271"
http "followed" pass frontend /v1/orders/7001
http "followed" reset frontend "/admin?followed=1"
http "followed" reset frontend "$SQLI"
http "followed" reset intruder /v1/orders/7002
# follow_n FILTER: events of the follower's output matching select(FILTER)
# ($sqli: the injection's URL)
follow_n() { jq -c -R --arg sqli "$SQLI" "fromjson? | select($1)" "$TMP/follow.out" | wc -l; }
F_ALLOW='.event_type == "http" and .http.url == "/v1/orders/7001" and .verdict.action == "allow" and .verdict.reason == "api-from-frontend"'
F_DENY='.event_type == "http" and .http.url == "/admin?followed=1" and .verdict.action == "deny" and .verdict.reason == "l7-no-match"'
F_SIG='.event_type == "http" and .http.url == $sqli and .verdict.action == "deny" and .verdict.reason == "signature"'
F_ALERT='.event_type == "alert" and .http.url == $sqli and .alert.action == "blocked"'
T_FOLLOWED=$(bh_ms)

echo "== 3. documents with errors are refused, the running policy stays"
# Each a copy of shop.yaml with one error, at a line we know.
n=$(grep -n '^labels: {app: api, tier: backend}$' "$SHOP" | cut -d: -f1)
[ -n "$n" ] || die "shop.yaml: no api Workload labels line"
sed "${n}s/}\$//" "$SHOP" >"$TMP/bad-yaml.yaml"
sed "${n}a colour: red" "$SHOP" >"$TMP/bad-key.yaml"
sed "$((n + 1))s|10\\.99\\.7\\.20|10.99.7.20/33|" "$SHOP" >"$TMP/bad-cidr.yaml"
declare -A BAD_LINE=([yaml]='[0-9]+' [key]=$((n + 1)) [cidr]=$((n + 1)))
declare -A BAD_MSG=([yaml]='.' [key]='colour' [cidr]='10\.99\.7\.20/33')
for k in yaml key cidr; do
	f=$TMP/bad-$k.yaml
	cmp -s "$SHOP" "$f" && die "bad-$k.yaml: the sed changed nothing"
	ctl policy apply "$f"
	bh_cmp "policy apply bad-$k.yaml: exit status (refused)" "$RUN_RC" = 1
	bh_cmp "... stderr: $f:LINE:COL: lines" \
		"$(grep -cE "^${f//./\\.}:${BAD_LINE[$k]}:[0-9]+: .*${BAD_MSG[$k]}" <<<"$RUN_ERR")" ge 1
	ctl_show
	bh_cmp "... generation unchanged (ping)" "$(ctl_gen)" = 1
done
ctl --json policy apply "$TMP/bad-cidr.yaml"
bh_cmp "policy apply --json bad-cidr.yaml: exit status" "$RUN_RC" = 1
bh_cmp "... nothing on stdout" "$RUN_OUT" = ""
ctl_show
http "after the refused documents" pass frontend /v1/orders
http "after the refused documents" reset frontend /admin
http "after the refused documents" reset intruder /v1/orders
ctl workloads rm no-such-workload
bh_cmp "workloads rm no-such-workload: exit status (not-found)" "$RUN_RC" = 1
bh_cmp "... stderr names it" "$RUN_ERR" '~' 'no-such-workload'
ctl_show
bh_cmp "... generation unchanged (ping)" "$(ctl_gen)" = 1

echo "== 7. the events the follower got"
# An allowed request's record is written with its response; a denied one's,
# which gets none inline, at once, not when its connection leaves the flow
# table (10 s after the reset): 5 s tells the two apart on a loaded machine.
while [ $(($(bh_ms) - T_FOLLOWED)) -lt 5000 ]; do
	[ "$(follow_n "($F_ALLOW) or ($F_DENY) or ($F_SIG) or ($F_ALERT)")" -ge 4 ] && break
	sleep 0.2
done
echo "     the 4 events came within $(($(bh_ms) - T_FOLLOWED)) ms of the last request"
fails0=$BH_FAILS
kill -TERM "$FOLLOW"
bh_wait_exit "$FOLLOW" 5
bh_cmp "events --follow after SIGTERM: exit status" "$BH_RC" = 0
bh_cmp "... stderr" "$(head -c 300 "$TMP/follow.err")" = ""
bh_cmp "... lines that are not one JSON object" "$(jq -R 'fromjson? | objects' "$TMP/follow.out" | jq -s length)" \
	eq "$(wc -l <"$TMP/follow.out")"
bh_cmp "... http GET /v1/orders/7001: allow api-from-frontend (events)" "$(follow_n "$F_ALLOW")" eq 1
bh_cmp "... http GET /admin?followed=1: deny l7-no-match (events)" "$(follow_n "$F_DENY")" eq 1
bh_cmp "... http GET (SQLi): deny signature (events)" "$(follow_n "$F_SIG")" eq 1
bh_cmp "... alert for the SQLi: blocked (events)" "$(follow_n "$F_ALERT")" ge 1
if [ "$BH_FAILS" -gt "$fails0" ]; then
	echo "     the follower's events:"
	jq -r -R 'fromjson? | [.event_type, .src_ip, (.http.url // ""), (.verdict.action // "-"), (.verdict.reason // "-")] | join(" ")' \
		"$TMP/follow.out" | sed -n 's/^/     | /; 1,30p'
fi

ctl events --last 5
bh_cmp "events --last 5: exit status" "$RUN_RC" = 0
bh_cmp "... lines (1 to 5)" "$(grep -c . <<<"$RUN_OUT")" '~' '^[1-5]$'
ctl_show
ctl --json events --last 100 --type alert
bh_cmp "events --json --last 100 --type alert: exit status" "$RUN_RC" = 0
bh_cmp "... alerts" "$(jq -R 'fromjson? | select(.event_type == "alert")' <<<"$RUN_OUT" | jq -s length)" ge 1
bh_cmp "... lines that are not alerts" "$(grep -c . <<<"$RUN_OUT" || true)" \
	eq "$(jq -R 'fromjson? | select(.event_type == "alert")' <<<"$RUN_OUT" | jq -s length)"
ctl_show

echo "== 6. metrics"
metrics
bh_cmp "GET /metrics: curl exit status" "$RUN_RC" = 0
bh_cmp "... Content-Type" "$(grep -i '^content-type:' <<<"$RUN_HDR" | head -n1)" '~' \
	'^[Cc]ontent-[Tt]ype: text/plain; version=0\.0\.4'
M=$RUN_OUT
msum() { # series-regex: the sum of the values of the matching series, or "none"
	awk -v re="$1" '!/^#/ && $1 ~ re { s += $2; n++ } END { if (n) printf "%.0f\n", s; else print "none" }' <<<"$M"
}
bh_cmp "bulkhead_policy_generation (ping's generation $(ctl_gen))" \
	"$(msum '^bulkhead_policy_generation$')" = "$(ctl_gen)"
bh_cmp "bulkhead_decisions_total{kind=\"flow\",action=\"deny\"} (intruder's connections)" \
	"$(msum '^bulkhead_decisions_total[{].*kind="flow".*action="deny"')" gt 0
bh_cmp "bulkhead_decisions_total{kind=\"transaction\",action=\"deny\"}" \
	"$(msum '^bulkhead_decisions_total[{].*kind="transaction".*action="deny"')" gt 0
bh_cmp "bulkhead_queue_packets_total" "$(msum '^bulkhead_queue_packets_total([{]|$)')" gt 0
bh_cmp "bulkhead_events_dropped_total series" "$(grep -c '^bulkhead_events_dropped_total[{ ]' <<<"$M")" ge 1
bh_cmp "bulkhead_policy_compile_seconds series" "$(grep -c '^bulkhead_policy_compile_seconds[{ ]' <<<"$M")" eq 1
bh_cmp "... TYPE lines of those families" \
	"$(grep -cE '^# TYPE (bulkhead_policy_generation gauge|bulkhead_decisions_total counter|bulkhead_queue_packets_total counter|bulkhead_events_dropped_total counter|bulkhead_policy_compile_seconds gauge)$' <<<"$M")" eq 5
bh_cmp "... the body ends with a newline" "$(tail -c 1 "$TMP/metrics.txt" | od -An -c | tr -d ' ')" = '\n'
# The text format 0.0.4, line by line (POSIX awk): HELP and TYPE once per
# family and before its samples, samples of a family together, label
# syntax and escapes, numeric values, no series twice.
bad=$(awk '
	function fail(msg) { nbad++; if (nbad <= 10) printf "     | line %d: %s: %s\n", NR, msg, $0 }
	BEGIN {
		NAME = "^[a-zA-Z_:][a-zA-Z0-9_:]*"; LNAME = "^[a-zA-Z_][a-zA-Z0-9_]*"
		VALUE = "^([-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]?Inf)$"
		split("counter gauge histogram summary untyped", t, " ")
		for (i in t) TYPES[t[i]] = 1
	}
	/^$/ { next }
	/^#/ {
		if ($2 == "HELP") {
			if (!match($3, NAME) || RLENGTH != length($3)) { fail("HELP: bad metric name"); next }
			if ($3 in help) fail("HELP twice")
			help[$3] = 1
			doc = $0; sub(/^# HELP [^ ]+ ?/, "", doc); gsub(/\\\\|\\n/, "", doc)
			if (doc ~ /\\/) fail("HELP: a backslash that is not \\\\ or \\n")
		} else if ($2 == "TYPE") {
			if (NF != 4 || !match($3, NAME) || RLENGTH != length($3) || !($4 in TYPES)) { fail("TYPE: bad line"); next }
			if ($3 in type) fail("TYPE twice")
			if ($3 in sampled) fail("TYPE after its samples")
			type[$3] = $4; cur = $3
		}
		next
	}
	{
		s = $0
		if (!match(s, NAME)) { fail("no metric name"); next }
		name = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1); labels = ""
		if (substr(s, 1, 1) == "{") {
			s = substr(s, 2); split("", seen); ok = 1
			while (substr(s, 1, 1) != "}") {
				if (!match(s, LNAME)) { ok = 0; break }
				ln = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
				if (ln in seen) { fail("label " ln " twice") }
				seen[ln] = 1
				if (substr(s, 1, 2) != "=\"") { ok = 0; break }
				s = substr(s, 3); v = ""
				while (s != "" && substr(s, 1, 1) != "\"") {
					c = substr(s, 1, 1)
					if (c == "\\") {
						e = substr(s, 2, 1)
						if (e != "\\" && e != "\"" && e != "n") { ok = 0; break }
						v = v c e; s = substr(s, 3)
					} else { v = v c; s = substr(s, 2) }
				}
				if (!ok || s == "") { ok = 0; break }
				s = substr(s, 2); labels = labels ln "=" v ","
				if (substr(s, 1, 1) == ",") s = substr(s, 2)
				else if (substr(s, 1, 1) != "}") { ok = 0; break }
			}
			if (!ok) { fail("bad label set"); next }
			s = substr(s, 2)
		}
		if (substr(s, 1, 1) != " ") { fail("no space before the value"); next }
		n = split(substr(s, 2), f, " ")
		if (n < 1 || n > 2 || f[1] !~ VALUE || (n == 2 && f[2] !~ /^-?[0-9]+$/)) { fail("bad value or timestamp"); next }
		fam = name
		if (!(fam in type)) { b = name; sub(/_(bucket|sum|count)$/, "", b); if ((b in type) && (type[b] == "histogram" || type[b] == "summary")) fam = b }
		if (!(fam in type)) fail("a sample without a TYPE line")
		else if (fam != cur) fail("a sample apart from its family")
		sampled[fam] = 1
		if ((name "{" labels "}") in series) fail("the same series twice")
		series[name "{" labels "}"] = 1
	}
	END { print nbad + 0 }' <<<"$M" | tee "$TMP/prom.bad" | tail -n 1)
bh_cmp "lines not in the Prometheus text format 0.0.4 ($(grep -c . <<<"$M") lines)" "$bad" eq 0
[ "$BH_OK" = 1 ] || sed '$d' "$TMP/prom.bad"

echo "== 8. flows, graph, workloads, logs reopen"
# Flows live in the table a few seconds after they close: fresh ones.
http "for the flow table" pass frontend /v1/orders/17
http "for the flow table" reset intruder /v1/orders/17
ctl flows --workload api
bh_cmp "flows --workload api: exit status" "$RUN_RC" = 0
bh_cmp "... header" "$(head -n1 <<<"$RUN_OUT")" '~' '^CLIENT -> SERVER'
bh_cmp "... rows naming frontend -> api" "$(grep -c 'frontend -> api' <<<"$RUN_OUT")" ge 1
ctl_show
ctl --json flows --workload api
bh_cmp "flows --json --workload api: total" "$(jq -r .total <<<"$RUN_OUT")" ge 1
bh_cmp "... flows of other workloads" \
	"$(jq '[.flows[] | select(.src_workload != "api" and .dest_workload != "api")] | length' <<<"$RUN_OUT")" eq 0
bh_cmp "... frontend -> api:8080 allowed" \
	"$(jq '[.flows[] | select(.src_workload == "frontend" and .dest_port == 8080 and .verdict.action == "allow")] | length' <<<"$RUN_OUT")" ge 1
bh_cmp "... intruder -> api:8080 denied no-rule" \
	"$(jq '[.flows[] | select(.src_ip == "10.99.7.99" and .src_workload == null and .verdict.action == "deny" and .verdict.reason == "no-rule")] | length' <<<"$RUN_OUT")" ge 1
ctl --json flows
bh_cmp "flows --json: total" "$(jq -r .total <<<"$RUN_OUT")" ge 1
ctl --json flows --workload dns
bh_cmp "flows --json --workload dns (no traffic to it): total" "$(jq -r .total <<<"$RUN_OUT")" eq 0

# frontend's requests denied at L7 (flows allowed at L4, then reset) count
# as denials on its edge.
graph "frontend's L7 denials too" 'frontend" -> "api" \[label="TCP/8080\\n[0-9]+ allow, [0-9]+ deny", color=red'

g0=$(ctl_gen)
{
	bh_workload batch 10.99.7.77
} | sed '$d' >"$TMP/batch.yaml"
ctl workloads add "$TMP/batch.yaml"
bh_cmp "workloads add batch.yaml: exit status" "$RUN_RC" = 0
ctl_show
bh_cmp "... generation (ping)" "$(ctl_gen)" = $((g0 + 1))
ctl workloads
bh_cmp "workloads: a row for batch with its address" "$(grep -cE '^batch +10\.99\.7\.77 ' <<<"$RUN_OUT")" eq 1
bh_cmp "... rows (header, the shop's 5, batch)" "$(grep -c . <<<"$RUN_OUT")" eq 7
ctl_show
ctl --json workloads
bh_cmp "workloads --json: names" "$(jq -r '[.workloads[].name] | join(",")' <<<"$RUN_OUT")" = \
	"api,batch,catalog-db,dns,frontend,orders-pg"
ctl workloads rm batch
bh_cmp "workloads rm batch: exit status" "$RUN_RC" = 0
ctl_show
bh_cmp "... generation (ping)" "$(ctl_gen)" = $((g0 + 2))
ctl --json workloads
bh_cmp "workloads --json after rm: names" "$(jq -r '[.workloads[].name] | join(",")' <<<"$RUN_OUT")" = \
	"api,catalog-db,dns,frontend,orders-pg"
http "after workloads add and rm" reset frontend /admin
http "after workloads add and rm" pass frontend /v1/orders

mv "$BHD_EVE" "$BHD_EVE.1"
ctl logs reopen
bh_cmp "logs reopen (the EVE file moved away): exit status" "$RUN_RC" = 0
bh_cmp "... output" "$RUN_OUT" = "reopened: eve"
ctl_show
http "after logs reopen" pass frontend /v1/orders/8008
for ((i = 0; i < 50; i++)); do
	[ "$(bh_events '.http.url == "/v1/orders/8008"' | wc -l)" -ge 1 ] && break
	sleep 0.1
done
bh_cmp "the request's http event in a new file at the old path (events)" \
	"$(bh_events '.http.url == "/v1/orders/8008"' | wc -l)" eq 1
bh_cmp "... and not in the moved file (events)" \
	"$(jq -c -R 'fromjson? | select(.http.url == "/v1/orders/8008")' "$BHD_EVE.1" | wc -l)" eq 0
bh_cmp "... the moved file has the earlier events (events)" \
	"$(jq -c -R 'fromjson? | select(.http.url == "/v1/orders/7001")' "$BHD_EVE.1" | wc -l)" eq 1

echo "== malformed, oversized and unknown requests on one connection"
# Raw frames on one connection: each gets its error reply, and the same
# connection still answers a ping afterwards; the daemon lives on.
ctl_exec 60 python3 - "$SOCK" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
def send(body):
    s.sendall(struct.pack(">I", len(body)) + body)
def recv():
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return json.loads(body)
def show(what, r):
    print(what, r.get("id"), r.get("ok"), (r.get("error") or {}).get("code"))
send(b"{not json"); show("garbage", recv())
send(b"[1,2]"); show("array", recv())
send(json.dumps({"v": 1, "id": 5, "op": "no.such"}).encode()); show("unknown-op", recv())
send(json.dumps({"v": 2, "id": 6, "op": "ping"}).encode()); show("v2", recv())
send(json.dumps({"v": 1, "id": 7, "op": "ping", "args": {"x": 1}}).encode()); show("unknown-key", recv())
big = (64 << 20) + 1   # one byte over the limit, sent whole
s.sendall(struct.pack(">I", big))
chunk = b" " * (1 << 20)
left = big
while left:
    k = min(left, len(chunk)); s.sendall(chunk[:k]); left -= k
show("too-large", recv())
s.sendall(struct.pack(">I", 0)); show("empty", recv())
send(json.dumps({"v": 1, "id": 8, "op": "ping"}).encode()); show("ping", recv())
PY
bh_cmp "raw frames: the script's exit status" "$RUN_RC" = 0
for want in "garbage None False bad-frame" "array None False bad-frame" \
	"unknown-op 5 False unknown-op" "v2 6 False unsupported-version" \
	"unknown-key 7 False bad-request" "too-large None False too-large" \
	"empty None False bad-frame" "ping 8 True None"; do
	bh_cmp "raw frames: ${want%% *}" "$(grep -m1 "^${want%% *} " <<<"$RUN_OUT")" = "$want"
done
ctl ping
bh_cmp "the daemon afterwards: ping exit status" "$RUN_RC" = 0

echo "== 5. a client that is not root"
ctl --json stats
refused0=$(jq -r .control.refused <<<"$RUN_OUT")
ctl_as 65534 ping
bh_cmp "bulkhead ping as uid 65534 (socket 0600): exit status" "$RUN_RC" = 2
bh_cmp "... stderr" "$RUN_ERR" '~' 'permission denied'
ctl_show
chmod 0666 "$SOCK"
ctl_as 65534 ping
bh_cmp "bulkhead ping as uid 65534 (socket loosened to 0666): exit status" "$RUN_RC" '~' '^[12]$'
bh_cmp "... stderr: the daemon's refusal" "$RUN_ERR" '~' 'uid 65534 may not use the control socket'
ctl_show
ctl_as 65534 policy apply "$TMP/shop-admin.yaml"
bh_cmp "bulkhead policy apply as uid 65534 (socket 0666): exit status" "$RUN_RC" '~' '^[12]$'
bh_cmp "... stderr: the daemon's refusal" "$RUN_ERR" '~' 'uid 65534 may not use the control socket'
ctl_show
bh_cmp "... generation unchanged (ping as root)" "$(ctl_gen)" = $((g0 + 2))
http "after the refused apply" reset frontend /admin
ctl --json stats
bh_cmp "control.refused (stats) grew by" "$(($(jq -r .control.refused <<<"$RUN_OUT") - refused0))" eq 2
chmod 0600 "$SOCK"
ctl ping
bh_cmp "bulkhead ping as root after: exit status" "$RUN_RC" = 0
bh_cmp "... output" "$RUN_OUT" '~' "^bulkheadd .*, protocol 1, policy generation $((g0 + 2)), pid $BHD_PID\$"
ctl_show

echo "== repeated alerts: written once, then once more with their count"
# The same traversal from frontend to api four times within --alert-window
# (1.5 s): the first alert at once, the other three as one more alert with
# "aggregated": {"count": 3} when the window closes.
TRAV="/v1/orders/17?file=../../../../etc/passwd"
for i in 1 2 3 4; do
	http "traversal $i" reset frontend "$TRAV"
done
sleep 2.5
# (a request can match several signatures: each is its own series)
nsid=$(bh_events '.event_type == "alert" and .http.url == $u' --arg u "$TRAV" |
	jq -s '[.[].alert.signature_id] | unique | length')
bh_cmp "signatures the traversal matched" "$nsid" ge 1
bh_eve "alerts for the traversal without aggregated: one per signature" eq "$nsid" \
	'.event_type == "alert" and .http.url == $u and .aggregated == null' --arg u "$TRAV"
bh_eve "... and one per signature carrying aggregated.count 3, window_ms 1500" eq "$nsid" \
	'.event_type == "alert" and .http.url == $u and .aggregated.count == 3 and .aggregated.window_ms == 1500' \
	--arg u "$TRAV"
bh_eve "... its http decisions, every one (not aggregated)" eq 4 \
	'.event_type == "http" and .http.url == $u and .verdict.action == "deny"' --arg u "$TRAV"

bh_stop
bh_rules_restored "after SIGTERM"
bh_cmp "the control socket after SIGTERM (files)" "$(find "$SOCK" 2>/dev/null | wc -l)" eq 0
ctl_done
