# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2034 # the globals set here are the callers'
#
# netns-servers.sh - the shop on the netns-lib.sh test bed (sourced by bash
# after netns-lib.sh): its workloads and addresses, its real servers with
# their fixtures, and the client commands that talk to them. capture-shop.sh
# records tests/data/shop.pcap with them; the netns suite (tests/netns/) runs
# the same shop through bulkheadd. tests/data/policy/shop.yaml describes
# exactly these workloads.
#
#   frontend   .10 / ::10   curl, dig, psql (clients only)
#   api        .20 / ::20   nginx + echo module on 8080 (small JSON bodies for
#                           /v1/orders, /v1/orders/<id>, /v1/catalog/<uuid>,
#                           /healthz, /admin, anything)
#   orders-pg  .30 / ::30   PostgreSQL 5432 (ssl off, trust), database shop:
#                           users, orders, order_items
#   catalog-db .31 / ::31   MariaDB 3306 (no TLS), database catalog: products,
#                           prices, secrets
#   dns        .53 / ::53   dnsmasq: *.shop.svc.cluster.local (local zone, host
#                           records) and api.example.com; no upstream, so other
#                           names are REFUSED
#   intruder   .99 / ::99   curl, dig: an address no Workload document binds
#
# The caller sets P SW BR VETH (netns-lib.sh), then:
#   shop_need            exit 1 naming the package of a missing server or client
#   shop_hosts           NAMES IP4 IP6 MAC VSHORT (globals) for nl_topology
#   shop_servers SERVER... [-- NGINX-LINE...]
#                        start the SERVERs named (api dns catalog-db orders-pg),
#                        wait until each listens, load the databases'
#                        fixtures. NGINX-LINEs go into nginx's http block
#                        after the API's server block (more server blocks).
#   shop_clients         H W CURL CURL4 CURL6 DIG PSQL PG4 PG6 MYC (globals)

shop_need() {
	nl_need nginx dnsmasq dig curl psql mariadbd mariadb mariadb-install-db setpriv runuser
	PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
	if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/postgres" ]; then
		die "postgresql server not installed (apt-get install postgresql)"
	fi
	id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install postgresql)"
	ECHO_MOD=/usr/lib/nginx/modules/ngx_http_echo_module.so
	[ -f "$ECHO_MOD" ] || die "$ECHO_MOD missing (apt-get install libnginx-mod-http-echo)"
}

shop_hosts() {
	NAMES=(frontend api orders-pg catalog-db dns intruder)
	declare -gA IP4=([frontend]=10.99.7.10 [api]=10.99.7.20 [orders-pg]=10.99.7.30
		[catalog-db]=10.99.7.31 [dns]=10.99.7.53 [intruder]=10.99.7.99)
	declare -gA IP6=([frontend]=fd00:99:7::10 [api]=fd00:99:7::20 [orders-pg]=fd00:99:7::30
		[catalog-db]=fd00:99:7::31 [dns]=fd00:99:7::53 [intruder]=fd00:99:7::99)
	declare -gA MAC=([frontend]=02:99:00:00:07:0a [api]=02:99:00:00:07:14 [orders-pg]=02:99:00:00:07:1e
		[catalog-db]=02:99:00:00:07:1f [dns]=02:99:00:00:07:35 [intruder]=02:99:00:00:07:63)
	declare -gA VSHORT=([frontend]=f [api]=a [orders-pg]=p [catalog-db]=m [dns]=d [intruder]=x)
	Z=shop.svc.cluster.local
	MY_PW=shop-catalog-pw
}

# api: nginx. Every location answers any method with a small JSON body (echo
# module: chunked, no Content-Length); /v1/orders reads a request body first.
shop_nginx() { # [http-block line...]
	mkdir -p "$TMP/nginx"
	{
		nl_nginx_head "$TMP/nginx" "load_module $ECHO_MOD;"
		cat <<EOF
	server {
		default_type application/json;
		listen ${IP4[api]}:8080;
		listen [${IP6[api]}]:8080;
		server_name api.shop.svc.cluster.local;
		location = /v1/orders { client_body_buffer_size 16k; echo_read_request_body;
			echo '{"method":"\$request_method","orders":[17,18,12345]}'; }
		location ~ ^/v1/orders/([0-9]+)\$ { echo '{"id":\$1,"status":"paid","total":42.50}'; }
		location ~ ^/v1/catalog/([0-9a-f-]+)\$ { echo '{"sku":"\$1","price":9.99}'; }
		location = /healthz { echo '{"status":"ok"}'; }
		location /admin { echo '{"admin":true,"users":3}'; }
		location / { echo '{"path":"\$uri"}'; }
	}
EOF
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo "}"
	} >"$TMP/nginx/nginx.conf"
	ip netns exec "$P-api" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx/stdout" 2>&1 &
	PIDS+=("$!")
}

# dns: dnsmasq, the cluster's names and one external one.
shop_dnsmasq() {
	nl_dnsmasq dns "$TMP/dnsmasq.log" \
		--local=/$Z/ --local-ttl=30 \
		--host-record=frontend.$Z,"${IP4[frontend]}","${IP6[frontend]}" \
		--host-record=api.$Z,"${IP4[api]}","${IP6[api]}" \
		--host-record=orders-pg.$Z,"${IP4[orders-pg]}","${IP6[orders-pg]}" \
		--host-record=catalog-db.$Z,"${IP4[catalog-db]}","${IP6[catalog-db]}" \
		--host-record=dns.$Z,"${IP4[dns]}","${IP6[dns]}" \
		--host-record=api.example.com,192.0.2.80
}

# catalog-db: MariaDB. Its data directory is made in the background (the
# slowest step of all); shop_mariadb_start waits for it.
shop_mariadb_init() {
	MY=$TMP/mysql
	mkdir -p "$MY/data" "$MY/tmp"
	# A temporary directory of its own: a MariaDB server starting up removes
	# every "#sql*" file in its tmpdir, including those of an installation
	# running beside it (concurrent tests).
	mariadb-install-db --no-defaults --user=root --datadir="$MY/data" --tmpdir="$MY/tmp" \
		--auth-root-authentication-method=normal --skip-test-db >"$MY/install.log" 2>&1 &
	MY_INIT=$!
	PIDS+=("$MY_INIT")
}

shop_mariadb_start() {
	local p keep=()
	wait "$MY_INIT" || { cat "$MY/install.log" >&2; die "mariadb-install-db failed"; }
	for p in "${PIDS[@]}"; do [ "$p" = "$MY_INIT" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
	# MariaDB >= 10.11 takes a list of addresses.
	ip netns exec "$P-catalog-db" mariadbd --no-defaults --user=root --datadir="$MY/data" \
		--tmpdir="$MY/tmp" --socket="$MY/sock" --pid-file="$MY/pid" --log-error="$MY/err.log" \
		--bind-address="${IP4[catalog-db]},${IP6[catalog-db]}" \
		--port=3306 --skip-name-resolve --skip-log-bin --skip-ssl --innodb-buffer-pool-size=16M \
		--innodb-log-file-size=8M --performance-schema=off >"$MY/stdout" 2>&1 &
	PIDS+=("$!")
}

shop_mariadb_fixtures() {
	mariadb --no-defaults -S "$MY/sock" -u root <<EOF
CREATE DATABASE catalog;
CREATE USER 'app'@'%' IDENTIFIED BY '$MY_PW';
GRANT ALL PRIVILEGES ON catalog.* TO 'app'@'%';
CREATE TABLE catalog.products (id INT PRIMARY KEY, sku VARCHAR(20), name VARCHAR(60));
CREATE TABLE catalog.prices (product_id INT PRIMARY KEY, price DECIMAL(8,2), currency CHAR(3));
CREATE TABLE catalog.secrets (id INT PRIMARY KEY, name VARCHAR(40), value VARCHAR(80));
INSERT INTO catalog.products VALUES (1,'SKU-1','Mug'),(2,'SKU-2','T-shirt'),(3,'SKU-3','Sticker pack');
INSERT INTO catalog.prices VALUES (1,9.99,'EUR'),(2,19.50,'EUR'),(3,2.00,'EUR');
INSERT INTO catalog.secrets VALUES (1,'payment-api-key','sk_test_4eC39HqLyjWDarjtT1zdp7dc'),(2,'smtp-password','hunter2');
EOF
}

# orders-pg: PostgreSQL.
shop_postgres() {
	nl_postgres orders-pg "${IP4[orders-pg]},${IP6[orders-pg]}" 10.99.7.0/24 fd00:99:7::/64
}

shop_postgres_fixtures() {
	PGSU=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$PG/sock" -U postgres)
	"${PGSU[@]}" -d postgres -c "CREATE ROLE app LOGIN" -c "CREATE DATABASE shop OWNER app" >/dev/null
	"${PGSU[@]}" -d shop -U app >/dev/null <<'EOF'
CREATE TABLE users (id int PRIMARY KEY, email text, name text);
CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric(8,2), status text);
CREATE TABLE order_items (id serial PRIMARY KEY, order_id int REFERENCES orders ON DELETE CASCADE,
	sku text, qty int);
INSERT INTO users VALUES (1,'ada@example.com','Ada'),(2,'linus@example.com','Linus'),(3,'grace@example.com','Grace');
INSERT INTO orders VALUES (17,1,29.49,'paid'),(18,2,9.99,'new'),(12345,3,2.00,'shipped');
INSERT INTO order_items (order_id, sku, qty) VALUES (17,'SKU-1',1),(17,'SKU-2',1),(18,'SKU-1',1),(12345,'SKU-3',1);
EOF
}

shop_servers() { # server... [-- nginx http-block line...]
	local s servers=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do servers+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	for s in "${servers[@]}"; do
		case $s in
		api) shop_nginx "$@" ;;
		dns) shop_dnsmasq ;;
		catalog-db) shop_mariadb_init ;;
		orders-pg) shop_postgres ;;
		*) die "shop_servers: no server $s" ;;
		esac
	done
	for s in "${servers[@]}"; do
		if [ "$s" = catalog-db ]; then shop_mariadb_start; fi
	done
	for s in "${servers[@]}"; do
		case $s in
		api) wait_listen api t 8080 "$TMP/nginx/error.log" "$TMP/nginx/stdout" ;;
		dns) wait_listen dns u 53 "$TMP/dnsmasq.log"
			wait_listen dns t 53 "$TMP/dnsmasq.log" ;;
		catalog-db) wait_listen catalog-db t 3306 "$MY/err.log" "$MY/stdout" ;;
		orders-pg) wait_listen orders-pg t 5432 "$PG/server.log" ;;
		esac
	done
	for s in "${servers[@]}"; do
		case $s in
		catalog-db) shop_mariadb_fixtures ;;
		orders-pg) shop_postgres_fixtures ;;
		esac
	done
}

# The clients, talking to the API by name (curl --resolve: no lookup).
shop_clients() {
	H=api.shop.svc.cluster.local
	W=http://$H:8080
	CURL=(curl -sS --max-time 10 -o /dev/null)
	CURL4=("${CURL[@]}" --resolve "$H:8080:${IP4[api]}")
	CURL6=("${CURL[@]}" --resolve "$H:8080:[${IP6[api]}]")
	DIG=(dig +tries=1 +time=3)
	PSQL=(psql -X -q -v ON_ERROR_STOP=1)
	PG4=$(shop_pgc "${IP4[orders-pg]}")
	PG6=$(shop_pgc "${IP6[orders-pg]}")
	MYC=(mariadb --no-defaults --skip-ssl --connect-timeout=5 -P 3306 -u app "-p$MY_PW" catalog)
}

shop_pgc() { echo "host=$1 port=5432 dbname=shop user=app sslmode=disable application_name=api"; }
