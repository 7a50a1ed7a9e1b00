#!/bin/bash
# House rules that a compiler doesn't check: no unbounded string functions
# anywhere in the modules (house-style.md, "Parsers").
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
hits=$(grep -rnE '\b(strcpy|strncpy|strcat|sprintf|vsprintf|atoi|atol|atoll|strtok|gets)[[:space:]]*\(' \
	"$top"/dataplane "$top"/dpi "$top"/control "$top"/include "$top"/tests/fuzz --include='*.[ch]')
if [ -n "$hits" ]; then
	echo "banned functions in use:"
	echo "$hits"
	exit 1
fi
echo "no banned functions"
