# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# shop.sh - the shop's traffic through bulkheadd and what it must decide
# (sourced by enforce.sh and monitor.sh after lib.sh): the requests, lookups
# and queries of tests/data/capture-shop.sh with the real clients, live.
# What tests/data/policy/shop.yaml allows goes over IPv4, what its L7 rules
# and signatures deny over IPv6, the L4 denials over both.
#
#   shop_traffic deny|audit   every client call and its outcome: with `deny`
#                   (protect mode) what the policy denies fails (TCP with a
#                   reset, never a timeout; a denied DNS query gets no
#                   reply), with `audit` (monitor mode) it passes
#   shop_decisions  after the daemon stopped: for every call one decision
#                   event of its kind with the verdict (allow, or the
#                   deny/audit of shop_traffic) and the reason
# Everything runs in the order of capture-shop.sh, so the destructive
# statements that pass in monitor mode come after what needs their tables.

SHOP_WANT=()   # event type, src, method or proto, key, action, reason (tab-separated)

shop_want() { # type src method key action reason
	local IFS=$'\t'
	SHOP_WANT+=("$*")
}

# shop_outcome WHAT WANT [REGEX]: the last bh_run, for an item the policy
# allows or denies (WANT). Allowed, or denied in monitor mode: exit 0 and the
# output matches REGEX. Denied in protect mode: a failure that is not a
# timeout (curl 28, timeout 124): the connection was reset.
shop_outcome() {
	local what=$1 want=$2 re=${3:-} out
	out=$(printf '%s' "$RUN_OUT" | tr '\n' ' ')
	if [ "$want" = allow ] || [ "$SHOP_DENY" = audit ]; then
		bh_cmp "$what: passes (exit status, ${RUN_MS} ms)" "$RUN_RC" = 0
		[ "$BH_OK" = 0 ] || [ -z "$re" ] || bh_cmp "$what: output" "$out" '~' "$re"
	else
		bh_cmp "$what: fails, reset (exit status, ${RUN_MS} ms)" "$RUN_RC" '!~' '^(0|28|124)$'
		[ "$BH_OK" = 0 ] || [ -z "$re" ] || bh_cmp "$what: output" "$out" '!~' "$re"
	fi
	bh_show
}

# shop_action WANT: the verdict action the daemon reports for it.
shop_action() { if [ "$1" = allow ]; then echo allow; else echo "$SHOP_DENY"; fi; }

try_http() { # want v4|v6 method url reason-or-empty [curl-arg...]
	local want=$1 fam=$2 m=$3 url=$4 reason=$5; shift 5
	local -n c=CURL${fam#v}
	local -n ip=IP${fam#v}
	bh_run frontend "${c[@]}" --max-time 5 -w '%{http_code}' "$@" "$W$url"
	shop_outcome "curl $m $url ($fam)" "$want" '^200$'
	shop_want http "${ip[frontend]}" "$m" "$url" "$(shop_action "$want")" "$reason"
}

# try_attack SET URL [curl-arg...]: an injection on an allowed path, which
# the signature set SET denies; its alert says blocked (allowed in monitor
# mode).
try_attack() {
	local set=$1 url=$2; shift 2
	try_http deny v6 GET "$url" signature "$@"
	shop_want alert "${IP6[frontend]}" "$set" "$url" \
		"$([ "$SHOP_DENY" = deny ] && echo blocked || echo allowed)" ""
}

try_dig() { # want client v4|v6 name answer reason|- [dig-option...] (-: no decision checked)
	local want=$1 ns=$2 fam=$3 name=$4 answer=$5 reason=$6 proto=UDP wait=(); shift 6
	local -n ip=IP${fam#v}
	[[ " $* " == *" +tcp "* ]] && proto=TCP
	# no reply expected: waiting 1 s for none is enough
	[ "$want" = allow ] || [ "$SHOP_DENY" = audit ] || wait=(+time=1)
	bh_run "$ns" "${DIG[@]}" "${wait[@]}" "$@" @"${ip[dns]}" "$name" A
	if [ "$want" = allow ] || [ "$SHOP_DENY" = audit ]; then
		# a reply (dnsmasq REFUSES names outside its zone) and the right answer
		shop_outcome "dig $name from $ns ($fam/$proto)" allow "status: (NOERROR|REFUSED).*${answer//./\\.}"
	else
		bh_cmp "dig $name from $ns ($fam/$proto): no reply (exit status 9)" "$RUN_RC" = 9
		bh_show
	fi
	[ "$reason" = - ] || shop_want dns "${ip[$ns]}" "$proto" "$name" "$(shop_action "$want")" "$reason"
}

try_psql() { # want v4|v6 output-regex statement... (one connection, one Query each)
	local want=$1 fam=$2 re=$3 s args=(); shift 3
	local -n ip=IP${fam#v} ci=PG${fam#v}
	for s in "$@"; do args+=(-c "$s"); done
	bh_run api "${PSQL[@]}" "$ci" -At "${args[@]}"
	shop_outcome "psql $* ($fam)" "$want" "$re"
	for s in "$@"; do
		shop_want sql "${ip[api]}" pgsql "$s" "$(shop_action "$want")" \
			"$([ "$want" = allow ] && echo api-orders-db || echo l7-no-match)"
	done
}

try_mariadb() { # want v4|v6 output-regex statement
	local want=$1 fam=$2 re=$3 s=$4
	local -n ip=IP${fam#v}
	bh_run api "${MYC[@]}" -h "${ip[catalog-db]}" -N -B -e "$s"
	shop_outcome "mariadb $s ($fam)" "$want" "$re"
	shop_want sql "${ip[api]}" mysql "$s" "$(shop_action "$want")" \
		"$([ "$want" = allow ] && echo api-catalog-db || echo l7-no-match)"
}

# try_l4 WHAT CLIENT SERVER PORT TCP|UDP FAM CMD...: a flow no rule allows,
# with a real client (CMD). Protect mode: it fails, and the connection is
# refused within a second: a TCP reset (a bare connect, timed) or ICMP port
# unreachable (the dig CMD, timed: a dropped query would wait 3 s), not a
# drop and a timeout. Monitor mode: both pass.
try_l4() {
	local what=$1 ns=$2 srv=$3 port=$4 proto=$5 fam=$6; shift 6
	local -n ip=IP${fam#v}
	bh_run "$ns" "$@"
	shop_outcome "$what ($fam)" deny
	if [ "$proto" = TCP ]; then
		what="TCP connect $ns -> $srv:$port"
		bh_run "$ns" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${ip[$srv]}" "$port"
		shop_outcome "$what ($fam)" deny
	fi
	if [ "$SHOP_DENY" = deny ]; then
		bh_cmp "$what ($fam): refused within (ms)" "$RUN_MS" lt 1000
		bh_cmp "$what ($fam): the client says refused (lines)" \
			"$(printf '%s' "$RUN_OUT" | grep -ci 'refused')" gt 0
		bh_show
	fi
	shop_want flow "${ip[$ns]}" "$proto" "${ip[$srv]}:$port" "$SHOP_DENY" no-rule
}

shop_traffic() { # deny|audit
	SHOP_DENY=$1
	local uuid=3f2b6a9e-8c1d-4e5f-9a7b-1c2d3e4f5a6b

	echo "== HTTP: frontend -> api:8080"
	try_http allow v4 GET /v1/orders api-from-frontend
	try_http allow v4 GET /v1/orders/17 api-from-frontend
	try_http allow v4 POST /v1/orders api-from-frontend -H 'Content-Type: application/json' \
		-d '{"user_id":3,"items":[{"sku":"SKU-1","qty":2}]}'
	try_http allow v4 GET "/v1/catalog/$uuid" api-from-frontend
	try_http allow v4 GET /healthz api-from-frontend -H 'X-Probe: kubelet'
	try_http deny v6 GET /admin l7-no-match
	try_http deny v6 DELETE /v1/orders/17 l7-no-match -X DELETE
	try_http deny v6 GET /healthz l7-no-match
	# normalised /v1/admin; the traversal set also sees the raw "/../"
	try_http deny v6 GET /v1/orders/17/../../admin "" --path-as-is
	echo "== HTTP: injections on allowed paths (signature sets sqli, traversal, cmdi)"
	try_attack sqli "/v1/orders?id=1%27+OR+%271%27%3d%271"
	try_attack traversal "/v1/orders/17?file=../../../../etc/passwd" --path-as-is
	try_attack cmdi "/v1/orders/12345?host=%3bcat+%2fetc%2fpasswd"

	echo "== DNS: api and frontend -> dns:53"
	try_dig allow api v4 "orders-pg.$Z" "${IP4[orders-pg]}" api-dns
	try_dig allow api v4 api.example.com 192.0.2.80 api-dns
	try_dig allow api v4 "catalog-db.$Z" "${IP4[catalog-db]}" api-dns +tcp
	# allowed by frontend-dns and by dns-from-workloads, neither with L7
	# rules: which one the verdict names is not specified (shop.expect)
	try_dig allow frontend v4 "api.$Z" "${IP4[api]}" -
	try_dig deny api v6 4a6f686e446f65.data.evil.example "" l7-no-match
	try_dig deny api v6 www.google.com "" l7-no-match

	echo "== SQL: api -> orders-pg:5432 (PostgreSQL), api -> catalog-db:3306 (MariaDB)"
	try_psql allow v4 '^17\|1\|29\.49\|paid$' "SELECT * FROM orders WHERE id = 17"
	try_psql allow v4 '' "INSERT INTO orders (id, user_id, total, status) VALUES (1001, 3, 42.50, 'new')"
	try_psql allow v4 '' "UPDATE orders SET status = 'paid' WHERE id = 1001"
	try_psql allow v4 'SKU-1' \
		"SELECT o.id, i.sku, i.qty FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.id = 17"
	try_psql allow v4 '' "BEGIN" "INSERT INTO order_items (order_id, sku, qty) VALUES (1001, 'SKU-2', 3)" "COMMIT"
	try_mariadb allow v4 'Sticker pack' "SELECT * FROM products"
	try_mariadb allow v4 '^19\.50$' "SELECT price FROM prices WHERE product_id = 2"
	try_psql deny v6 'ada@example' "SELECT * FROM users"
	try_psql deny v6 '' "SELECT * FROM orders; DELETE FROM orders"
	try_psql deny v6 '' "DROP TABLE order_items"
	try_mariadb deny v6 'sk_test' "SELECT * FROM secrets"
	try_mariadb deny v6 '' "DELETE FROM products WHERE id = 3"
	if [ "$SHOP_DENY" = deny ]; then
		echo "== SQL: nothing the denied statements would have changed has changed"
		bh_run api "${PSQL[@]}" "$PG4" -At -c "SELECT count(*) FROM orders"
		bh_cmp "orders rows (3 + 1001)" "$RUN_OUT" = 4
		bh_show
		bh_run api "${PSQL[@]}" "$PG4" -At -c "SELECT count(*) FROM order_items"
		bh_cmp "order_items rows (4 + 1)" "$RUN_OUT" = 5
		bh_show
		bh_run api "${MYC[@]}" -h "${IP4[catalog-db]}" -N -B -e "SELECT count(*) FROM products"
		bh_cmp "products rows" "$RUN_OUT" = 3
		bh_show
	fi

	echo "== L4: flows no rule allows"
	try_l4 "psql frontend -> orders-pg:5432" frontend orders-pg 5432 TCP v4 \
		"${PSQL[@]}" "$PG4" -c "SELECT 1"
	try_l4 "psql frontend -> orders-pg:5432" frontend orders-pg 5432 TCP v6 \
		"${PSQL[@]}" "$PG6" -c "SELECT 1"
	try_l4 "curl intruder -> api:8080" intruder api 8080 TCP v4 \
		"${CURL4[@]}" --max-time 5 "$W/v1/orders"
	try_l4 "dig intruder -> dns:53/udp" intruder dns 53 UDP v4 \
		"${DIG[@]}" @"${IP4[dns]}" "orders-pg.$Z" A
}

shop_decisions() {
	local w type src m key act reason filter
	echo "== decisions in ${BHD_EVE##*/}"
	for w in "${SHOP_WANT[@]}"; do
		IFS=$'\t' read -r type src m key act reason <<<"$w"
		case $type in
		http) filter='.event_type == "http" and .http.http_method == $m and .http.url == $k' ;;
		dns) filter='.event_type == "dns" and .dns.type == "query" and .proto == $m and .dns.rrname == $k' ;;
		sql) filter='.event_type == "sql" and .sql.dialect == $m and .sql.statement == $k' ;;
		flow) filter='.event_type == "flow" and .proto == $m and "\(.dest_ip):\(.dest_port)" == $k' ;;
		alert) filter='.event_type == "alert" and .alert.set == $m and .http.url == $k and .alert.action == $a' ;;
		esac
		[ "$type" = alert ] ||
			filter="$filter and .verdict.action == \$a and (\$r == \"\" or .verdict.reason == \$r)"
		bh_eve "$type $src $m $key: $act ${reason:-(any reason)}" "$([ "$type" = flow ] || [ "$type" = alert ] && echo ge || echo eq)" 1 \
			"$filter and .src_ip == \$s" --arg s "$src" --arg m "$m" --arg k "$key" --arg a "$act" --arg r "$reason"
	done
	# Inline events name the bridge port of the packet at hand: for a
	# transaction, one of its two ends' ports.
	bh_eve "http/dns/sql events without in_iface" eq 0 \
		'(.event_type == "http" or .event_type == "dns" or .event_type == "sql") and .in_iface == null'
	bh_eve "http/dns/sql events whose in_iface is neither end's bridge port" eq 0 \
		'(.event_type == "http" or .event_type == "dns" or .event_type == "sql") and .in_iface != null and
		 .in_iface != $ports[.src_ip] and .in_iface != $ports[.dest_ip]' \
		--argjson ports "$(bh_port_map)"
}

# bh_port_map: {"address": "bridge port", ...} of every container, as JSON.
bh_port_map() {
	local n
	for n in "${NAMES[@]}"; do
		printf '%s\t%s\n%s\t%s\n' "${IP4[$n]}" "$(bh_port "$n")" "${IP6[$n]}" "$(bh_port "$n")"
	done | jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {(.[0]): .[1]}) | add'
}
