# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# netns-lib.sh - the test bed the capture scripts share (sourced by bash).
#
# A "switch" namespace holding a Linux bridge, and one "container" namespace
# per name on a veth port of that bridge; servers and clients run inside the
# containers, tcpdump on the bridge. Neighbours are static (no ARP/ND in the
# captures), IPv6 skips DAD, offloads are off (wire-sized frames with real
# checksums). Every name carries the caller's pid, so concurrent runs never
# collide, and the EXIT trap removes every namespace, link and temporary file
# the run created and ends only the processes it started (by pid), on success
# and on failure.
#
# The caller sets, then calls the functions in this order:
#   WHO        its name, for messages ("capture-attacks.sh")
#   P SW BR    namespace prefix, switch namespace, bridge; all carry $$
#   VETH       veth name prefix carrying $$ (VETH + short name + "p" must fit
#              the 15 bytes of an interface name)
#   NAMES      container names; IP4 IP6 MAC VSHORT: associative arrays by name
#   nl_need TOOL...      exit 1 naming the Debian package of a missing tool
#   nl_init TEMPLATE     TMP=$(mktemp -d TEMPLATE), traps, PIDS
#   nl_topology          namespaces, veths, addresses, static neighbours
#   nl_nginx_head DIR [LINE...]  the shared start of an nginx.conf
#   nl_dnsmasq NAME LOG [OPTION...]  dnsmasq in container NAME
#   nl_postgres NAME LISTEN CIDR...   PostgreSQL in container NAME
#   (start servers with `ip netns exec ... &` and append $! to PIDS: ip exec's,
#   so $! is the server itself; nsx would fork a subshell. The EXIT trap ends
#   them with SIGTERM, or with STOPSIG[pid] where that is set)
#   wait_listen NS t|u PORT [LOG...]
#   FILTER=...; start_cap FILE NS IFACE [tcpdump args]; traffic; stop_caps
#   nl_check_caps FILE...    no lost segment, under 300 KB
#   nl_install OUTDIR FILE...

# Tool -> Debian package (tests/data/packages.txt lists those of the captures,
# tests/packages.txt those of the netns suite).
declare -A NL_PKG=([ip]=iproute2 [ss]=iproute2 [tcpdump]=tcpdump [tshark]=tshark
	[capinfos]=wireshark-common [editcap]=wireshark-common [nginx]=nginx-light
	[dnsmasq]=dnsmasq [dig]=dnsutils [curl]=curl [ethtool]=ethtool [ping]=iputils-ping
	[openssl]=openssl [mariadbd]=mariadb-server [mariadb]=mariadb-client
	[mariadb-install-db]=mariadb-server [perl]=perl [psql]=postgresql-client
	[pgbench]=postgresql-client [setpriv]=util-linux [runuser]=util-linux
	[/usr/bin/python3]=python3 [iptables]=iptables [ip6tables]=iptables
	[iptables-save]=iptables [ip6tables-save]=iptables [jq]=jq [timeout]=coreutils)

die() { echo "$WHO: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

nl_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			die "$t not installed: apt-get install ${NL_PKG[$t]:-<package of $t>} (see tests/packages.txt, tests/data/packages.txt)"
	done
}

nl_cleanup() {
	local rc=$? pid l ns
	set +e
	for pid in "${PIDS[@]}"; do
		kill -"${STOPSIG[$pid]:-TERM}" "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for l in "${CREATED_LINKS[@]}"; do
		ip link show "$l" >/dev/null 2>&1 && ip link del "$l"
	done
	for ns in "${CREATED_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	exit $rc
}

nl_init() { # mktemp template
	[ "$(id -u)" = 0 ] || die "must run as root"
	PIDS=()
	declare -gA STOPSIG=()   # pid -> the signal that ends it, if not SIGTERM
	CAP_PID=()
	CREATED_NS=()
	CREATED_LINKS=()
	TMP=$(mktemp -d "$1")
	chmod 755 "$TMP"
	trap nl_cleanup EXIT
	# A fatal signal (even SIGPIPE from `script | head`) must still clean up.
	trap 'exit 130' INT TERM HUP PIPE
}

nl_topology() {
	local n m ns c p
	ip netns add "$SW"; CREATED_NS+=("$SW")
	ip -n "$SW" link add "$BR" type bridge
	ip -n "$SW" link set "$BR" up
	ip netns exec "$SW" ethtool -K "$BR" tx off tso off gso off >/dev/null 2>&1 || true
	for n in "${NAMES[@]}"; do
		ns=$P-$n
		c=$VETH${VSHORT[$n]}     # container end, renamed eth0 inside
		p=$VETH${VSHORT[$n]}p    # bridge port
		ip netns add "$ns"; CREATED_NS+=("$ns")
		ip link add "$c" type veth peer name "$p"
		CREATED_LINKS+=("$c" "$p")
		ip link set "$c" netns "$ns"
		ip link set "$p" netns "$SW"
		ip -n "$ns" link set "$c" name eth0 address "${MAC[$n]}"
		ip -n "$SW" link set "$p" master "$BR" up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.addr_gen_mode=1 \
			net.ipv6.conf.eth0.accept_ra=0 net.ipv6.conf.eth0.accept_dad=0
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
		ip -n "$ns" addr add "${IP4[$n]}/24" dev eth0
		ip -n "$ns" addr add "${IP6[$n]}/64" dev eth0 nodad
		ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
		ip netns exec "$SW" ethtool -K "$p" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
	# Static neighbours: no ARP or ND in the captures.
	for n in "${NAMES[@]}"; do
		for m in "${NAMES[@]}"; do
			[ "$n" = "$m" ] && continue
			ip -n "$P-$n" neigh replace "${IP4[$m]}" lladdr "${MAC[$m]}" dev eth0 nud permanent
			ip -n "$P-$n" -6 neigh replace "${IP6[$m]}" lladdr "${MAC[$m]}" dev eth0 nud permanent
		done
	done
}

# nl_nginx_head DIR [LINE...]: print the start of an nginx.conf the scripts
# share: the LINEs (main context: load_module), then one foreground process
# as root, pid, error log and temporary files in DIR, no access log, sendfile
# and gzip off, keep-alive 5 s. The caller appends its types and server
# blocks and closes the http block.
nl_nginx_head() {
	local dir=$1; shift
	[ $# -gt 0 ] && printf '%s\n' "$@"
	cat <<EOF
daemon off;
master_process off;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	default_type application/octet-stream;
	keepalive_timeout 5s;
	sendfile off;
	gzip off;
EOF
}

# nl_dnsmasq NAME LOG [OPTION...]: start dnsmasq in container NAME, on its
# addresses only, answering from the OPTIONs alone (no resolv.conf, hosts file
# or upstream); in the foreground, so PIDS holds the server itself.
nl_dnsmasq() {
	local n=$1 log=$2; shift 2
	ip netns exec "$P-$n" dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--no-resolv --no-hosts --bind-interfaces --user=root --group=root \
		--listen-address="${IP4[$n]}" --listen-address="${IP6[$n]}" \
		--except-interface=lo --pid-file="$TMP/dnsmasq-$n.pid" "$@" >"$log" 2>&1 &
	PIDS+=("$!")
}

# nl_postgres NAME LISTEN CIDR...: PostgreSQL ($PGBIN) in container NAME,
# listening on LISTEN (comma-separated addresses) port 5432, trusting the
# CIDRs; its cluster in PG=$TMP/pg, socket in $PG/sock. At cleanup it gets
# SIGINT (fast shutdown): SIGTERM waits for every session to end, and one
# whose client was reset by a firewall never does.
nl_postgres() {
	local n=$1 listen=$2 cidr; shift 2
	PG=$TMP/pg
	mkdir -p "$PG/sock"
	chown postgres:postgres "$PG" "$PG/sock"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust --no-sync >"$PG/initdb.log" 2>&1 ||
		{ cat "$PG/initdb.log" >&2; die "initdb failed"; }
	{
		echo "local all all trust"
		for cidr in "$@"; do echo "host all all $cidr trust"; done
	} >"$PG/data/pg_hba.conf"
	ip netns exec "$P-$n" setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" \
		-D "$PG/data" -c listen_addresses="$listen" -c port=5432 -c ssl=off \
		-c unix_socket_directories="$PG/sock" -c fsync=off -c shared_buffers=16MB -c max_connections=20 \
		-c logging_collector=off >"$PG/server.log" 2>&1 &
	PIDS+=("$!")
	STOPSIG[$!]=INT
}

wait_listen() { # ns proto port [log...]
	local ns=$1 proto=$2 port=$3; shift 3
	for _ in $(seq 1 150); do
		if nsx "$ns" ss -Hln"$proto" "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.1
	done
	echo "$WHO: server in $ns not listening on $proto/$port" >&2
	[ $# -gt 0 ] && cat "$@" >&2 2>/dev/null
	exit 1
}

start_cap() { # file ns iface [extra tcpdump args...]
	local name=$1 ns=$2 ifc=$3 pid; shift 3
	ip netns exec "$ns" tcpdump -U --immediate-mode -B 32768 -s 0 -n -Z root -i "$ifc" "$@" -w "$TMP/$name" "$FILTER" \
		>"$TMP/$name.caplog" 2>&1 &
	pid=$!
	PIDS+=("$pid"); CAP_PID+=("$pid")
	for _ in $(seq 1 50); do
		grep -q "listening on" "$TMP/$name.caplog" && return 0
		sleep 0.1
	done
	echo "$WHO: tcpdump for $name did not start" >&2; cat "$TMP/$name.caplog" >&2; exit 1
}

stop_caps() {
	local pid log
	sleep 1.5     # last FIN/ACKs cross the bridge; libpcap blocks retire
	for pid in "${CAP_PID[@]}"; do
		kill -INT "$pid"
		wait "$pid" || true
	done
	CAP_PID=()
	for log in "$TMP"/*.caplog; do
		if ! grep -q '^0 packets dropped by kernel' "$log"; then
			echo "$WHO: $log: tcpdump lost packets, rerun" >&2; cat "$log" >&2; exit 1
		fi
	done
}

nl_check_caps() { # file... (in $TMP)
	local f lost size
	for f in "$@"; do
		lost=$(tshark -r "$TMP/$f" -Y 'tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment' 2>/dev/null | wc -l)
		[ "$lost" = 0 ] || die "$f: $lost lost TCP segments, rerun"
		size=$(stat -c %s "$TMP/$f")
		[ "$size" -lt 300000 ] || die "$f: $size bytes, over the 300 KB budget"
	done
}

nl_install() { # outdir file... (from $TMP)
	local out=$1 f; shift
	for f in "$@"; do
		cp "$TMP/$f" "$out/$f"
		printf '%-20s %8d bytes  %s\n' "$f" "$(stat -c %s "$out/$f")" \
			"$(capinfos -T -r -c -E "$out/$f" 2>/dev/null | cut -f2- | tr '\t' ' ')"
	done
}
