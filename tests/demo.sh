#!/bin/bash
# The demo: install what is missing, build, and replay the shipped captures
# (real curl/nginx, dig/dnsmasq, ping, MariaDB, PostgreSQL and TLS traffic
# recorded across a bridge between namespaces)
# through the engine, printing what it saw.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/tests/deps.sh"
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

caps=(tests/data/real-http.pcap tests/data/real-dns.pcap tests/data/real-mixed-v6.pcap
	tests/data/l7-mysql.pcap tests/data/l7-pgsql.pcap tests/data/l7-tls.pcap)
eve=$(mktemp)
trap 'rm -f "$eve"' EXIT

echo "== bulkhead replay --workers 2 --eve $eve ${caps[*]}"
build/control/bulkhead replay --workers 2 --eve "$eve" "${caps[@]}"
echo
echo "== flows (from the EVE output)"
jq -r 'select(.event_type == "flow") |
	[.proto, "\(.src_ip) \(.src_port // .icmp_type)", "->", "\(.dest_ip) \(.dest_port // .icmp_code)",
	 "pkts \(.flow.pkts_toserver)/\(.flow.pkts_toclient)",
	 "bytes \(.flow.bytes_toserver)/\(.flow.bytes_toclient)",
	 (.tcp.state // .flow.state)] | @tsv' "$eve" | column -t -s $'\t'
echo
echo "== transactions (the first 6 of each kind)"
jq -r 'select(.event_type == "http" or .event_type == "dns" or .event_type == "sql" or .event_type == "tls") |
	[.event_type, "\(.src_ip) -> \(.dest_ip):\(.dest_port)",
	 (if .http then "\(.http.http_method) \(.http.hostname // "")\(.http.url) -> \(.http.status // "-")"
	  elif .dns then "\(.dns.type) \(.dns.rrname) \(.dns.rrtype) \(.dns.rcode // "")"
	  elif .sql then "\(.sql.dialect) \(.sql.user)@\(.sql.database): \([.sql.commands[] | "\(.verb) \(.tables | join(","))"] | join("; "))"
	  else "sni=\(.tls.sni // "-") \(.tls.version)" end)] | @tsv' "$eve" | awk -F'\t' 'n[$1]++ < 6' | column -t -s $'\t'
echo
echo "== one event as written"
head -n 1 "$eve"
