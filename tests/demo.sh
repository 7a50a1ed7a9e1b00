#!/bin/bash
# The demo: install what is missing, build, and replay the shipped captures
# (real curl/nginx, dig/dnsmasq and ping traffic recorded across a bridge)
# through the engine, printing what it saw.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/tests/deps.sh"
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

caps=(tests/data/real-http.pcap tests/data/real-dns.pcap tests/data/real-mixed-v6.pcap)
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
echo "== one event as written"
head -n 1 "$eve"
