#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# capture.sh - record the real-traffic pcaps of tests/data/ (run as root).
#
# Builds a "switch" namespace holding a Linux bridge and four "container"
# namespaces on its veth ports (web: nginx, dns: dnsmasq, cli1/cli2: curl, dig,
# ping), then records real clients talking to real servers:
#
#   real-http.pcap     bridge, Ethernet: HTTP/1.1 over IPv4 (+1 IPv6 request)
#   real-http.pcapng   the same, converted with editcap -F pcapng
#   real-dns.pcap      bridge, Ethernet: DNS over UDP and TCP, v4 and v6
#   real-mixed-v6.pcap bridge, Ethernet: ping, ping -6, HTTP and DNS over IPv6
#   real-any-sll2.pcap tcpdump -i any inside cli2 (LINUX_SLL2)
#   real-sll.pcap      tcpdump -i any -y LINUX_SLL inside cli1 (LINUX_SLL)
#
# Usage: tests/data/capture.sh [OUTDIR]    (default: the directory of this file)
#
# Every name carries $$ so concurrent runs never collide; `trap cleanup EXIT`
# removes every namespace and link this run created and ends only the
# processes it started (by pid). Traffic stays inside the namespaces.
# Neighbours are static (no ARP/ND), IPv6 addresses skip DAD, offloads are off
# so the capture holds wire-sized frames with real checksums.

set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for t in ip tcpdump editcap nginx dnsmasq dig curl ping ethtool ss; do
	command -v "$t" >/dev/null || { echo "capture.sh: $t not installed (see tests/data/packages.txt)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "capture.sh: must run as root" >&2; exit 1; }

ID=$$
P=bhc$ID                      # namespace prefix
SW=$P-sw
BR=bhb$ID
NAMES=(web dns cli1 cli2)
declare -A IP4=([web]=10.99.1.10 [dns]=10.99.1.53 [cli1]=10.99.1.101 [cli2]=10.99.1.102)
declare -A IP6=([web]=fd00:99::10 [dns]=fd00:99::53 [cli1]=fd00:99::101 [cli2]=fd00:99::102)
declare -A MAC=([web]=02:99:00:00:01:0a [dns]=02:99:00:00:01:35 [cli1]=02:99:00:00:01:65 [cli2]=02:99:00:00:01:66)
declare -A VSHORT=([web]=w [dns]=d [cli1]=a [cli2]=b)

TMP=$(mktemp -d /tmp/bhcap.XXXXXX)
PIDS=()
CREATED_NS=()
CREATED_LINKS=()

cleanup() {
	local rc=$?
	set +e
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for l in "${CREATED_LINKS[@]}"; do
		ip link show "$l" >/dev/null 2>&1 && ip link del "$l"
	done
	for ns in "${CREATED_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
# A fatal signal (even SIGPIPE from `capture.sh | head`) must still clean up.
trap 'exit 130' INT TERM HUP PIPE

nsx() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

# ---------------------------------------------------------------- topology
ip netns add "$SW"; CREATED_NS+=("$SW")
ip -n "$SW" link add "$BR" type bridge
ip -n "$SW" link set "$BR" up
ip netns exec "$SW" ethtool -K "$BR" tx off tso off gso off >/dev/null 2>&1 || true

for n in "${NAMES[@]}"; do
	ns=$P-$n
	c=bh$ID${VSHORT[$n]}      # container end, renamed eth0 inside
	p=bh$ID${VSHORT[$n]}p     # bridge port
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
	for dev in eth0; do
		ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
	done
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

# ---------------------------------------------------------------- servers
WWW=$TMP/www
mkdir -p "$WWW/static" "$TMP/nginx"
printf '<!doctype html>\n<title>bulkhead test</title>\n<p>Hello from the web container.</p>\n' >"$WWW/index.html"
printf 'User-agent: *\nDisallow: /private/\n' >"$WWW/robots.txt"
printf 'body { color: #333; background: #fafafa; }\n%.0s' $(seq 1 40) >"$WWW/static/style.css"
printf '{"service":"web","version":1,"items":[1,2,3,4,5]}\n' >"$WWW/static/data.json"
# ~200 KB of incompressible bytes, deterministic so reruns serve the same file.
/usr/bin/python3 - "$WWW/static/big.bin" <<'EOF'
import hashlib, sys
out = bytearray()
i = 0
while len(out) < 204800:
    out += hashlib.sha256(b"bulkhead-big-%d" % i).digest()
    i += 1
open(sys.argv[1], "wb").write(out[:204800])
EOF
head -c 3000 /dev/zero | tr '\0' 'u' >"$TMP/upload.txt"
chmod -R a+rX "$TMP"

ECHO_MOD=/usr/lib/nginx/modules/ngx_http_echo_module.so
if [ -f "$ECHO_MOD" ]; then
	LOAD="load_module $ECHO_MOD;"
	UPLOAD='echo_read_request_body; echo "received"; echo_request_body;'
else
	LOAD=""
	UPLOAD='return 200 "received\n";'
fi
cat >"$TMP/nginx/nginx.conf" <<EOF
$LOAD
daemon off;
master_process off;
worker_processes 1;
user root;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	default_type application/octet-stream;
	keepalive_timeout 5s;
	sendfile off;
	server {
		listen ${IP4[web]}:80;
		listen [${IP6[web]}]:80;
		server_name web.bh.test;
		root $WWW;
		location /upload { client_body_buffer_size 64k; $UPLOAD }
	}
}
EOF
ip netns exec "$P-web" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx/stdout" 2>&1 &
PIDS+=($!)

ip netns exec "$P-dns" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --bind-interfaces --user=root --group=root \
	--listen-address="${IP4[dns]}" --listen-address="${IP6[dns]}" \
	--except-interface=lo --pid-file="$TMP/dnsmasq.pid" \
	--local=/bh.test/ \
	--address=/web.bh.test/"${IP4[web]}" \
	--address=/web.bh.test/"${IP6[web]}" \
	--host-record=dns.bh.test,"${IP4[dns]}","${IP6[dns]}" \
	--host-record=cli1.bh.test,"${IP4[cli1]}" \
	--txt-record=info.bh.test,"bulkhead test zone" \
	--mx-host=bh.test,web.bh.test,10 >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)

wait_listen() { # ns proto port
	local i
	for i in $(seq 1 50); do
		if nsx "$1" ss -Hln"$2" "sport = :$3" | grep -q .; then return 0; fi
		sleep 0.1
	done
	echo "capture.sh: server in $1 not listening on $2/$3" >&2
	cat "$TMP/nginx/error.log" "$TMP/nginx/stdout" "$TMP/dnsmasq.log" >&2 2>/dev/null || true
	exit 1
}
wait_listen web t 80
wait_listen dns u 53
wait_listen dns t 53

# ---------------------------------------------------------------- capture
FILTER='(ip and net 10.99.0.0/16 and not ip multicast) or (ip6 and net fd00:99::/64 and not ip6 multicast)'
CAP_PID=()

start_cap() { # name ns iface [extra tcpdump args...]
	local name=$1 ns=$2 ifc=$3; shift 3
	ip netns exec "$ns" tcpdump -U --immediate-mode -B 32768 -s 0 -n -Z root -i "$ifc" "$@" -w "$TMP/$name" "$FILTER" \
		>"$TMP/$name.caplog" 2>&1 &
	local pid=$!
	PIDS+=("$pid"); CAP_PID+=("$pid")
	local i
	for i in $(seq 1 50); do
		grep -q "listening on" "$TMP/$name.caplog" && return 0
		sleep 0.1
	done
	echo "capture.sh: tcpdump for $name did not start" >&2; cat "$TMP/$name.caplog" >&2; exit 1
}

stop_caps() {
	sleep 1.5     # last FIN/ACKs cross the bridge; libpcap blocks retire
	local pid
	for pid in "${CAP_PID[@]}"; do
		kill -INT "$pid"
		wait "$pid" || true
	done
	CAP_PID=()
	local log
	for log in "$TMP"/*.caplog; do
		if ! grep -q '^0 packets dropped by kernel' "$log"; then
			echo "capture.sh: $log: tcpdump lost packets, rerun" >&2; cat "$log" >&2; exit 1
		fi
	done
}

W4=http://${IP4[web]}
W6="http://[${IP6[web]}]"
CURL=(curl -sS --max-time 10)
DIG=(dig +tries=1 +time=3)

# --- HTTP over IPv4 (one IPv6 request) -----------------------------------
start_cap real-http.pcap "$SW" "$BR"
nsx cli1 "${CURL[@]}" "$W4/" >/dev/null
nsx cli2 "${CURL[@]}" -A 'bulkhead-capture/1.0' "$W4/robots.txt" >/dev/null
nsx cli1 "${CURL[@]}" "$W4/index.html" "$W4/static/style.css" "$W4/static/data.json" >/dev/null   # keep-alive
nsx cli2 "${CURL[@]}" -d 'name=bulkhead&kind=post-test&n=42' "$W4/upload/form" >/dev/null
nsx cli1 "${CURL[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/upload.txt" "$W4/upload/chunked" >/dev/null
nsx cli2 "${CURL[@]}" "$W4/no/such/page" >/dev/null   # 404
nsx cli1 "${CURL[@]}" "$W6/index.html" >/dev/null
nsx cli2 "${CURL[@]}" --limit-rate 2M "$W4/static/big.bin" >/dev/null
stop_caps

# --- DNS ------------------------------------------------------------------
start_cap real-dns.pcap "$SW" "$BR"
nsx cli1 "${DIG[@]}" @"${IP4[dns]}" web.bh.test A >/dev/null
nsx cli2 "${DIG[@]}" @"${IP4[dns]}" web.bh.test AAAA >/dev/null
nsx cli1 "${DIG[@]}" @"${IP4[dns]}" dns.bh.test A +tcp >/dev/null
nsx cli2 "${DIG[@]}" @"${IP4[dns]}" info.bh.test TXT +tcp >/dev/null
nsx cli1 "${DIG[@]}" @"${IP4[dns]}" missing.bh.test A >/dev/null                        # NXDOMAIN
nsx cli2 "${DIG[@]}" @"${IP4[dns]}" bh.test MX >/dev/null
nsx cli1 "${DIG[@]}" @"${IP6[dns]}" dns.bh.test AAAA >/dev/null
nsx cli2 "${DIG[@]}" @"${IP6[dns]}" web.bh.test A +tcp >/dev/null
stop_caps

# --- ICMP, ICMPv6 and IPv6 HTTP/DNS --------------------------------------
start_cap real-mixed-v6.pcap "$SW" "$BR"
nsx cli1 ping -c 3 -i 0.2 -W 2 "${IP4[web]}" >/dev/null
nsx cli2 ping -6 -c 3 -i 0.2 -W 2 "${IP6[web]}" >/dev/null
nsx cli1 "${CURL[@]}" "$W6/" "$W6/robots.txt" >/dev/null
nsx cli2 "${CURL[@]}" -d 'v6=yes' "$W6/upload/v6" >/dev/null
nsx cli1 "${DIG[@]}" @"${IP6[dns]}" web.bh.test AAAA >/dev/null
nsx cli2 "${DIG[@]}" @"${IP6[dns]}" nothing.bh.test AAAA >/dev/null                     # NXDOMAIN
stop_caps

# --- cooked captures inside the client namespaces -------------------------
start_cap real-any-sll2.pcap "$P-cli2" any
start_cap real-sll.pcap "$P-cli1" any -y LINUX_SLL
nsx cli2 "${CURL[@]}" "$W4/index.html" "$W4/static/data.json" >/dev/null
nsx cli2 "${DIG[@]}" @"${IP4[dns]}" web.bh.test A >/dev/null
nsx cli2 "${DIG[@]}" @"${IP6[dns]}" dns.bh.test A +tcp >/dev/null
nsx cli2 ping -c 2 -i 0.2 -W 2 "${IP4[dns]}" >/dev/null
nsx cli1 "${CURL[@]}" "$W4/robots.txt" >/dev/null
nsx cli1 "${CURL[@]}" -d 'sll=1' "$W6/upload/sll" >/dev/null
nsx cli1 "${DIG[@]}" @"${IP4[dns]}" cli1.bh.test A >/dev/null
nsx cli1 ping -6 -c 2 -i 0.2 -W 2 "${IP6[web]}" >/dev/null
stop_caps

# A capture that lost a segment would make a poor reference: check before
# replacing the committed files.
CAPS=(real-http.pcap real-dns.pcap real-mixed-v6.pcap real-any-sll2.pcap real-sll.pcap)
for f in "${CAPS[@]}"; do
	lost=$(tshark -r "$TMP/$f" -Y 'tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment' 2>/dev/null | wc -l)
	if [ "$lost" != 0 ]; then echo "capture.sh: $f: $lost lost TCP segments, rerun" >&2; exit 1; fi
done
for f in "${CAPS[@]}"; do
	cp "$TMP/$f" "$OUT/$f"
done
editcap -F pcapng "$OUT/real-http.pcap" "$OUT/real-http.pcapng"

for f in real-http.pcap real-http.pcapng real-dns.pcap real-mixed-v6.pcap real-any-sll2.pcap real-sll.pcap; do
	printf '%-22s %8d bytes  %s\n' "$f" "$(stat -c %s "$OUT/$f")" \
		"$(capinfos -T -r -c -E "$OUT/$f" 2>/dev/null | cut -f2- | tr '\t' ' ')"
done
