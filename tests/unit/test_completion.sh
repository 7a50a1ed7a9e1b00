#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The bash completion of bulkhead (control/completion/bulkhead): it parses,
# and sourced, _bulkhead completes command words, sub-commands, options,
# option values, files, and workload names asked of a stand-in `bulkhead`
# (skipped without jq). Usage: test_completion.sh PATH-OF-THE-COMPLETION
set -u
export LC_ALL=C
file=${1:?usage: test_completion.sh COMPLETION-FILE}
pass=0 fail=0

check() { # description, expected (space-separated, sorted), got
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1: expected '$2', got '$3'" >&2
	fi
}

if ! bash -n "$file"; then
	echo "FAIL: $file does not parse" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck source=/dev/null
source "$file"

# complete LINE: what _bulkhead offers for the last word of LINE (a
# trailing space starts a new, empty word), sorted, space-separated.
complete_line() {
	local line=$1
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_bulkhead 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

has() { # word, list: whether the word is in the list
	[[ " $2 " == *" $1 "* ]] && echo yes || echo no
}

check "commands" "events flows graph learn logs ping policy replay stats workloads" \
	"$(complete_line 'bulkhead ')"
check "command prefix" "ping policy" "$(complete_line 'bulkhead p')"
check "after a global option" "events" "$(complete_line 'bulkhead --json ev')"
check "after --socket PATH" "flows" "$(complete_line 'bulkhead --socket /tmp/x.sock fl')"
check "global options" "--help --json --socket --version" "$(complete_line 'bulkhead --')"
check "policy" "apply diff show" "$(complete_line 'bulkhead policy ')"
check "workloads" "add list rm" "$(complete_line 'bulkhead --json workloads ')"
check "learn" "export" "$(complete_line 'bulkhead learn ')"
check "logs" "reopen" "$(complete_line 'bulkhead logs ')"
check "policy apply options" "--dry-run --help --json --socket" \
	"$(complete_line 'bulkhead policy apply --')"
check "policy show options" "--help --json --socket" "$(complete_line 'bulkhead policy show --')"
flows=$(complete_line 'bulkhead flows --')
for o in --workload --src --dst --port --proto --app --action --offloaded --not-offloaded \
	--limit --json --socket; do
	check "flows offers $o" yes "$(has "$o" "$flows")"
done
check "flows has no --dry-run" no "$(has --dry-run "$flows")"
check "flows --proto" "icmp ipv6-icmp tcp udp" "$(complete_line 'bulkhead flows --proto ')"
check "flows --action" "allow audit deny learn" "$(complete_line 'bulkhead flows --limit 5 --action ')"
check "flows --app" "http" "$(complete_line 'bulkhead flows --app ht')"
check "events options" "--follow" "$(complete_line 'bulkhead events --f')"
check "events --type" "http" "$(complete_line 'bulkhead events --type h')"
check "learn export options" "--output" "$(complete_line 'bulkhead learn export --o')"
check "stats takes no argument" "" "$(complete_line 'bulkhead stats ')"

# Files for the commands that take them.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/shop.yaml" "$tmp/shop.json" "$tmp/other.txt"
(
	cd "$tmp" || exit 1
	check "policy apply files" "shop.json shop.yaml" "$(complete_line 'bulkhead policy apply sh')"
	check "workloads add files" "shop.json shop.yaml" \
		"$(complete_line 'bulkhead workloads add --dry-run sh')"
	check "learn export -o" "other.txt" "$(complete_line 'bulkhead learn export -o ot')"
	echo "$pass $fail" >"$tmp/counts"
)
read -r pass fail <"$tmp/counts"

# Workload names from the daemon, through a stand-in bulkhead.
if command -v jq >/dev/null 2>&1; then
	cat >"$tmp/bulkhead" <<'EOF'
#!/bin/bash
# Answers only `[--socket PATH] workloads --json`, as the real one would.
[ "$1" = --socket ] && { [ "$2" = /good.sock ] || exit 2; shift 2; }
[ "$*" = "workloads --json" ] || exit 2
echo '{"generation":1,"workloads":[{"name":"api"},{"name":"web"},{"name":"worker"}]}'
EOF
	chmod +x "$tmp/bulkhead"
	check "workloads rm names" "web worker" "$(complete_line "$tmp/bulkhead workloads rm w")"
	check "flows --workload names" "api web worker" \
		"$(complete_line "$tmp/bulkhead flows --workload ")"
	check "names through --socket" "api" \
		"$(complete_line "$tmp/bulkhead --socket /good.sock workloads rm a")"
	# A daemon that does not answer: no names, no noise.
	check "no names when it fails" "" \
		"$(complete_line "$tmp/bulkhead --socket /bad.sock workloads rm ")"
else
	echo "jq missing: workload names not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
