#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# capture-l7.sh - record the application-layer pcaps of tests/data/ (run as root).
#
# Same approach as capture.sh: a "switch" namespace holding a Linux bridge and
# "container" namespaces on its veth ports, real servers and real clients:
#
#   web  10.99.2.10  nginx (+ echo module)                 -> l7-http.pcap
#   dns  10.99.2.53  dnsmasq                                -> l7-dns.pcap
#   db   10.99.2.33  mariadbd                               -> l7-mysql.pcap
#   pg   10.99.2.54  postgres (ssl=off, trust for the subnet) -> l7-pgsql.pcap
#   tls  10.99.2.43  openssl s_server on 443, 80 and 5432    -> l7-tls.pcap
#   cli1 10.99.2.101, cli2 10.99.2.102: curl, python3 sockets, dig, mariadb,
#        perl DBD::MariaDB, psql, pgbench, openssl s_client
#
# Usage: tests/data/capture-l7.sh [OUTDIR]   (default: the directory of this file)
#
# Every name carries $$; `trap cleanup EXIT` removes every namespace, link and
# temporary file this run created and ends only the processes it started (by
# pid), on success and on failure. Traffic stays inside the namespaces.
# Neighbours are static (no ARP/ND), IPv6 skips DAD, offloads are off. The
# pcaps replace the committed ones only if tcpdump dropped nothing and tshark
# sees no lost TCP segment. Expectations: tests/golden/l7_oracle.py.

set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

WHO=capture-l7.sh
# shellcheck source=SCRIPTDIR/netns-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/netns-lib.sh"
nl_need ip tcpdump tshark capinfos nginx dnsmasq dig curl ethtool ss openssl \
	mariadbd mariadb mariadb-install-db perl psql pgbench setpriv runuser
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/postgres" ] || { echo "capture-l7.sh: postgresql server not installed" >&2; exit 1; }
perl -MDBD::MariaDB -e1 2>/dev/null || { echo "capture-l7.sh: libdbd-mariadb-perl not installed" >&2; exit 1; }
id postgres >/dev/null 2>&1 || { echo "capture-l7.sh: no postgres user (install postgresql)" >&2; exit 1; }
PY=/usr/bin/python3

ID=$$
P=bhl$ID                      # namespace prefix
SW=$P-sw
BR=bhlb$ID
VETH=bhl$ID
NAMES=(web dns db pg tls cli1 cli2)
declare -A IP4=([web]=10.99.2.10 [dns]=10.99.2.53 [db]=10.99.2.33 [pg]=10.99.2.54 [tls]=10.99.2.43
	[cli1]=10.99.2.101 [cli2]=10.99.2.102)
declare -A IP6=([web]=fd00:99:2::10 [dns]=fd00:99:2::53 [db]=fd00:99:2::33 [pg]=fd00:99:2::54
	[tls]=fd00:99:2::43 [cli1]=fd00:99:2::101 [cli2]=fd00:99:2::102)
declare -A MAC=([web]=02:99:00:00:02:0a [dns]=02:99:00:00:02:35 [db]=02:99:00:00:02:21
	[pg]=02:99:00:00:02:36 [tls]=02:99:00:00:02:2b [cli1]=02:99:00:00:02:65 [cli2]=02:99:00:00:02:66)
declare -A VSHORT=([web]=w [dns]=d [db]=m [pg]=p [tls]=t [cli1]=a [cli2]=b)

nl_init /tmp/bhl7.XXXXXX
nl_topology

# ---------------------------------------------------------------- nginx
WWW=$TMP/www
mkdir -p "$WWW/static" "$TMP/nginx"
printf '<!doctype html>\n<title>bulkhead l7 test</title>\n<p>Hello from the shop.</p>\n' >"$WWW/index.html"
printf 'User-agent: *\nDisallow: /private/\n' >"$WWW/robots.txt"
printf 'body { color: #333; background: #fafafa; }\n%.0s' $(seq 1 40) >"$WWW/static/style.css"
printf '{"service":"shop","version":1,"items":[1,2,3,4,5]}\n' >"$WWW/static/data.json"
head -c 3000 /dev/zero | tr '\0' 'u' >"$TMP/upload.txt"
head -c 40000 /dev/zero | tr '\0' 'c' >"$TMP/continue.bin"
chmod -R a+rX "$TMP"

ECHO_MOD=/usr/lib/nginx/modules/ngx_http_echo_module.so
[ -f "$ECHO_MOD" ] || die "$ECHO_MOD missing (libnginx-mod-http-echo)"
# /upload echoes the request body back; /sink reads the body and answers a
# line; /chunked streams three flushed parts: no Content-Length, so HTTP/1.1
# responses of all three use the chunked transfer coding.
{
	nl_nginx_head "$TMP/nginx" "load_module $ECHO_MOD;"
	cat <<EOF
	types { text/html html; text/css css; application/json json; text/plain txt; }
	chunked_transfer_encoding on;
	server {
		listen ${IP4[web]}:80;
		listen [${IP6[web]}]:80;
		server_name shop.internal;
		root $WWW;
		location /upload { client_body_buffer_size 64k; echo_read_request_body; echo "received"; echo_request_body; }
		location /sink { client_body_buffer_size 64k; client_max_body_size 1m; echo_read_request_body; echo "received \$content_length bytes"; }
		location /chunked { default_type text/plain; echo "part one"; echo_flush; echo_sleep 0.05;
			echo "part two, a little longer than the first"; echo_flush; echo_sleep 0.05; echo "end"; }
	}
}
EOF
} >"$TMP/nginx/nginx.conf"
ip netns exec "$P-web" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx/stdout" 2>&1 &
PIDS+=("$!")

# ---------------------------------------------------------------- dnsmasq
nl_dnsmasq dns "$TMP/dnsmasq.log" \
	--local=/bh.test/ --local-ttl=120 \
	--host-record=web.bh.test,"${IP4[web]}","${IP6[web]}" \
	--host-record=mail.bh.test,"${IP4[web]}",3600 \
	--host-record=db.bh.test,"${IP4[db]}" \
	--cname=www.bh.test,shop.bh.test,600 \
	--cname=shop.bh.test,web.bh.test,300 \
	--txt-record='info.bh.test,bulkhead l7 test zone,second string' \
	--mx-host=bh.test,mail.bh.test,10

# ---------------------------------------------------------------- mariadb
MY=$TMP/mysql
mkdir -p "$MY/data"
mariadb-install-db --no-defaults --user=root --datadir="$MY/data" \
	--auth-root-authentication-method=normal --skip-test-db >"$MY/install.log" 2>&1 ||
	{ cat "$MY/install.log" >&2; die "mariadb-install-db failed"; }
ip netns exec "$P-db" mariadbd --no-defaults --user=root --datadir="$MY/data" --socket="$MY/sock" \
	--pid-file="$MY/pid" --log-error="$MY/err.log" --bind-address="${IP4[db]}" --port=3306 \
	--skip-name-resolve --skip-log-bin --skip-ssl --innodb-buffer-pool-size=16M \
	--innodb-log-file-size=8M --performance-schema=off >"$MY/stdout" 2>&1 &
PIDS+=("$!")

# ---------------------------------------------------------------- postgresql
nl_postgres pg "${IP4[pg]}" 10.99.2.0/24 fd00:99:2::/64

# ---------------------------------------------------------------- openssl
TLSD=$TMP/tls
mkdir -p "$TLSD"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
	-keyout "$TLSD/key.pem" -out "$TLSD/cert.pem" -subj /CN=shop.internal \
	-addext subjectAltName=DNS:shop.internal >"$TLSD/req.log" 2>&1 || { cat "$TLSD/req.log" >&2; die "openssl req failed"; }
# 443 is the TLS port; 80 and 5432 are plain-text ports carrying TLS.
for port in 443 80 5432; do
	ip netns exec "$P-tls" openssl s_server -accept "${IP4[tls]}:$port" -cert "$TLSD/cert.pem" -key "$TLSD/key.pem" \
		-www -naccept 100 </dev/null >"$TLSD/s_server.$port.log" 2>&1 &
	PIDS+=("$!")
done

wait_listen web t 80 "$TMP/nginx/error.log" "$TMP/nginx/stdout"
wait_listen dns u 53 "$TMP/dnsmasq.log"
wait_listen dns t 53 "$TMP/dnsmasq.log"
wait_listen db t 3306 "$MY/err.log" "$MY/stdout"
wait_listen pg t 5432 "$PG/server.log"
for port in 443 80 5432; do wait_listen tls t "$port" "$TLSD/s_server.$port.log"; done

# ---------------------------------------------------------------- fixtures (not captured)
MYROOT=(mariadb --no-defaults -S "$MY/sock" -u root)
"${MYROOT[@]}" <<'EOF'
CREATE DATABASE shop;
CREATE DATABASE other;
CREATE USER 'app'@'%' IDENTIFIED BY 'l7-secret';
GRANT ALL PRIVILEGES ON shop.* TO 'app'@'%';
GRANT ALL PRIVILEGES ON other.* TO 'app'@'%';
CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(40), city VARCHAR(40));
CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, total DECIMAL(8,2), note VARCHAR(80));
INSERT INTO shop.customers VALUES (1,'Ada','Zurich'),(2,'Linus','Helsinki'),(3,'Grace','Arlington');
INSERT INTO shop.orders (customer_id,total,note) VALUES (1,10.50,'first'),(2,99.00,'second'),(1,5.25,'third');
CREATE TABLE other.notes (id INT PRIMARY KEY, body TEXT);
INSERT INTO other.notes VALUES (1,'hello'),(2,'world');
EOF

PGSU=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$PG/sock" -U postgres)
"${PGSU[@]}" -d postgres -c "CREATE ROLE app LOGIN" -c "CREATE DATABASE shop OWNER app" >/dev/null
"${PGSU[@]}" -d shop -U app >/dev/null <<'EOF'
CREATE TABLE customers (id int PRIMARY KEY, name text, city text);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(8,2), note text);
INSERT INTO customers VALUES (1,'Ada','Zurich'),(2,'Linus','Helsinki'),(3,'Grace','Arlington');
INSERT INTO orders (customer_id,total,note) VALUES (1,10.50,'first'),(2,99.00,'second'),(1,5.25,'third');
EOF
# pgbench's tables over the socket: -i copies 100000 rows, far too big to capture.
runuser -u postgres -- pgbench -q -i -s 1 -h "$PG/sock" -U app shop >"$PG/pgbench-init.log" 2>&1 ||
	{ cat "$PG/pgbench-init.log" >&2; die "pgbench -i failed"; }

# ---------------------------------------------------------------- capture
FILTER='(ip and net 10.99.2.0/24 and not ip multicast) or (ip6 and net fd00:99:2::/64 and not ip6 multicast)'

# --- HTTP -------------------------------------------------------------------
W=http://shop.internal
CURL=(curl -sS --max-time 10 --resolve "shop.internal:80:${IP4[web]}")
# HTTP pipelining: three requests in one write, responses read until close.
cat >"$TMP/pipeline.py" <<'EOF'
import socket, sys
reqs = (b"GET /robots.txt HTTP/1.1\r\nHost: shop.internal\r\nUser-Agent: pipeline/1\r\n\r\n"
        b"GET /static/data.json HTTP/1.1\r\nHost: shop.internal\r\n\r\n"
        b"GET /missing?x=%20y HTTP/1.1\r\nHost: shop.internal\r\nConnection: close\r\n\r\n")
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(reqs)
n = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    n += len(b)
s.close()
print(n)
EOF

start_cap l7-http.pcap "$SW" "$BR"
nsx cli1 "${CURL[@]}" "$W/" >/dev/null
nsx cli2 "${CURL[@]}" -A 'bulkhead-l7/1.0' "$W/index.html" "$W/static/style.css" "$W/static/data.json" >/dev/null  # keep-alive
nsx cli1 "${CURL[@]}" -d 'a=1&b=x+y' "$W/upload/form" >/dev/null                                       # POST form
nsx cli2 "${CURL[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/upload.txt" "$W/upload/chunked" >/dev/null
nsx cli1 "${CURL[@]}" -H 'Content-Type: application/json' -d '{"x":1}' "$W/upload/json" >/dev/null
nsx cli2 "${CURL[@]}" --path-as-is "$W/a/./b/../c%2Fd?q=1&r=%41" >/dev/null                           # 404
nsx cli1 "${CURL[@]}" --path-as-is "$W/static//data.json" "$W/a/%2e%2e/index.html" >/dev/null
nsx cli2 "${CURL[@]}" -I "$W/index.html" >/dev/null                                                   # HEAD
nsx cli1 "${CURL[@]}" -H 'User-Agent:' "$W/no/such/page" >/dev/null                                  # 404, no UA
nsx cli2 "${CURL[@]}" "$W/chunked" >/dev/null                                                         # chunked response
nsx cli1 "${CURL[@]}" -H 'Expect: 100-continue' -H 'Content-Type: application/octet-stream' \
	--data-binary @"$TMP/continue.bin" "$W/sink" >/dev/null                                           # 100-continue
nsx cli2 "$PY" "$TMP/pipeline.py" "${IP4[web]}" >/dev/null                                             # pipelining
nsx cli1 "${CURL[@]}" -0 "$W/robots.txt" >/dev/null                                                   # HTTP/1.0
nsx cli2 curl -sS --max-time 10 -H 'Host: WWW.Shop.Internal:8080' "http://${IP4[web]}/robots.txt" >/dev/null
nsx cli1 curl -sS --max-time 10 -g "http://[${IP6[web]}]/static/data.json" >/dev/null                  # IPv6
stop_caps

# --- DNS --------------------------------------------------------------------
DIG=(dig +tries=1 +time=3 @"${IP4[dns]}")
start_cap l7-dns.pcap "$SW" "$BR"
nsx cli1 "${DIG[@]}" web.bh.test A >/dev/null
nsx cli2 "${DIG[@]}" web.bh.test AAAA >/dev/null
nsx cli1 "${DIG[@]}" www.bh.test A >/dev/null                         # CNAME chain www -> shop -> web
nsx cli2 "${DIG[@]}" bh.test MX >/dev/null
nsx cli1 "${DIG[@]}" info.bh.test TXT >/dev/null
nsx cli2 "${DIG[@]}" missing.bh.test A >/dev/null                     # NXDOMAIN
nsx cli1 "${DIG[@]}" outside.example A >/dev/null                     # no upstream: REFUSED
nsx cli2 "${DIG[@]}" -x "${IP4[db]}" >/dev/null                       # PTR
nsx cli1 "${DIG[@]}" WeB.Bh.TeSt A +noedns >/dev/null                 # mixed case, no EDNS
nsx cli2 "${DIG[@]}" db.bh.test A +tcp >/dev/null
nsx cli1 "${DIG[@]}" +tcp +keepopen web.bh.test A info.bh.test TXT www.bh.test AAAA >/dev/null   # 3 queries, 1 connection
nsx cli2 dig +tries=1 +time=3 @"${IP6[dns]}" web.bh.test AAAA >/dev/null
stop_caps

# --- MySQL ------------------------------------------------------------------
MYC=(mariadb --no-defaults --skip-ssl --connect-timeout=5 -h "${IP4[db]}" -P 3306 -u app -pl7-secret)
# Batch mode from stdin (with -e the client stops at the first error even
# with --force); --comments keeps comments in what is sent; --force goes on
# after the deliberate errors. DELIMITER makes `SELECT 1; SELECT 2` one
# COM_QUERY (the client sets CLIENT_MULTI_STATEMENTS); USE is COM_INIT_DB.
MYSQL_SCRIPT=$(cat <<'EOF'
SELECT id, name FROM customers WHERE city = 'Zurich';
INSERT INTO orders (customer_id, total, note) VALUES (3, 42.00, 'it\'s; fine');
UPDATE orders SET total = total + 1 WHERE customer_id = 2;
DELETE FROM orders WHERE note = 'third';
SELECT c.name, SUM(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name;
SELECT /* a comment; with a semicolon */ COUNT(*) FROM `orders` /*!40101 WHERE total > 0 */;
DELIMITER //
SELECT 1; SELECT name FROM customers WHERE id = 2//
DELIMITER ;
SELEC oops FROM nowhere;
PREPARE s FROM 'SELECT name FROM customers WHERE id = ?';
SET @a = 3;
EXECUTE s USING @a;
DEALLOCATE PREPARE s;
USE other;
SELECT body FROM notes ORDER BY id;
EOF
)
start_cap l7-mysql.pcap "$SW" "$BR"
nsx cli1 "${MYC[@]}" --comments --force shop <<<"$MYSQL_SCRIPT" >/dev/null 2>"$TMP/mysql1.err" || true
grep -q 1064 "$TMP/mysql1.err" || { cat "$TMP/mysql1.err" >&2; die "mysql session 1: expected exactly the syntax error"; }
# no database at login, a failed and a good USE
nsx cli2 "${MYC[@]}" --force <<<$'USE nosuch;\nUSE shop;\nSELECT DATABASE();' >/dev/null 2>"$TMP/mysql2.err" || true
grep -q 1044 "$TMP/mysql2.err" || grep -q 1049 "$TMP/mysql2.err" || { cat "$TMP/mysql2.err" >&2; die "mysql session 2 failed"; }
# binary protocol: COM_STMT_PREPARE / COM_STMT_EXECUTE (DBD::MariaDB server-side prepare)
nsx cli1 perl -MDBI -e '
my $dbh = DBI->connect("DBI:MariaDB:database=shop;host=$ARGV[0];port=3306;mariadb_server_prepare=1;mariadb_ssl=0",
	"app", "l7-secret", {RaiseError => 1, PrintError => 0, AutoCommit => 1});
my $sth = $dbh->prepare("SELECT name, city FROM customers WHERE id = ?");
$sth->execute($_) for 1, 2;
$sth->finish;
$dbh->prepare("INSERT INTO orders (customer_id, total, note) VALUES (?, ?, ?)")->execute(2, 7.5, "prepared");
$dbh->disconnect;' "${IP4[db]}"
stop_caps

# --- PostgreSQL -------------------------------------------------------------
PSQL=(psql -X -q -v ON_ERROR_STOP=0)
PGC="host=${IP4[pg]} port=5432 dbname=shop user=app"
start_cap l7-pgsql.pcap "$SW" "$BR"
# sslmode=prefer: SSLRequest, answered 'N', then the StartupMessage in clear.
nsx cli1 "${PSQL[@]}" "$PGC sslmode=prefer application_name=l7-psql" \
	-c "SELECT id, name FROM customers WHERE city = 'Zurich'" \
	-c "SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name" \
	-c "WITH big AS (SELECT customer_id, total FROM orders WHERE total > 10) SELECT name FROM customers WHERE id IN (SELECT customer_id FROM big)" \
	-c "INSERT INTO orders (customer_id, total, note) VALUES (3, 42.00, E'it\\'s; fine')" \
	-c "UPDATE orders SET total = total + 1 WHERE customer_id = 2" \
	-c "DELETE FROM orders WHERE note = 'third'" \
	-c 'SELECT $q$a;b$q$ AS dollar; SELECT count(*) FROM "orders"' \
	-c "SELECT * FROM no_such_table" >/dev/null 2>"$TMP/psql1.err" || true
grep -q no_such_table "$TMP/psql1.err" || { cat "$TMP/psql1.err" >&2; die "psql: expected the missing-table error"; }
nsx cli2 "${PSQL[@]}" "$PGC sslmode=disable" -c "SELECT current_database(), current_user" >/dev/null
for mode in simple extended prepared; do
	nsx cli2 pgbench -n -c 1 -t 5 -M "$mode" "$PGC sslmode=prefer" >"$TMP/pgbench-$mode.log" 2>&1 ||
		{ cat "$TMP/pgbench-$mode.log" >&2; die "pgbench -M $mode failed"; }
done
stop_caps

# --- TLS --------------------------------------------------------------------
SCL=(timeout 10 openssl s_client -connect)
start_cap l7-tls.pcap "$SW" "$BR"
nsx cli1 "${SCL[@]}" "${IP4[tls]}:443" -servername shop.internal -tls1_3 </dev/null >/dev/null 2>&1
nsx cli2 "${SCL[@]}" "${IP4[tls]}:443" -servername shop.internal -tls1_2 </dev/null >/dev/null 2>&1
nsx cli1 "${SCL[@]}" "${IP4[tls]}:443" -noservername </dev/null >/dev/null 2>&1
# a TLS 1.1 ClientHello (the server refuses it: only the hello matters)
nsx cli2 "${SCL[@]}" "${IP4[tls]}:443" -servername old.shop.internal -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
	</dev/null >/dev/null 2>&1 || true
nsx cli2 curl -sS -k --max-time 10 --resolve "shop.internal:443:${IP4[tls]}" https://shop.internal/ >/dev/null
# TLS on plain-text ports
nsx cli1 curl -sS -k --max-time 10 --resolve "shop.internal:80:${IP4[tls]}" https://shop.internal:80/ >/dev/null
nsx cli2 "${SCL[@]}" "${IP4[tls]}:5432" -servername db.internal </dev/null >/dev/null 2>&1
stop_caps

# ---------------------------------------------------------------- check, install
CAPS=(l7-http.pcap l7-dns.pcap l7-mysql.pcap l7-pgsql.pcap l7-tls.pcap)
nl_check_caps "${CAPS[@]}"
nl_install "$OUT" "${CAPS[@]}"
