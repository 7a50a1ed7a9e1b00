#!/bin/bash
# Install what is missing, build, and run every test suite three ways:
#   1. gcc, warnings as errors                       (build-ci/)
#   2. gcc with AddressSanitizer + UBSan             (build-asan/)
#   3. clang libFuzzer targets: a fixed-seed smoke run over the committed
#      corpus (the corpus itself is replayed by meson in 1 and 2)  (build-fuzz/)
# Ends with one line "N passed, N failed, N skipped" over all meson runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

"$top/tests/deps.sh"

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export MESON_TESTTHREADS=$jobs

status=0
logs=()
setup() { # builddir, meson setup args...: quiet unless it fails
	local dir=$1 out
	shift
	[ -d "$dir" ] && set -- --reconfigure "$@"
	if ! out=$(meson setup "$dir" "$@" 2>&1); then
		echo "$out"
		return 1
	fi
}
run_suite() { # name, builddir, meson setup args...
	local name=$1 dir=$2
	shift 2
	echo "=== $name"
	setup "$dir" "$@"
	ninja -C "$dir" -j "$jobs"
	meson test -C "$dir" --print-errorlogs || status=1
	logs+=("$dir/meson-logs/testlog.json")
}

run_suite "gcc -Werror" build-ci -Dwerror=true --buildtype=debugoptimized
run_suite "gcc ASan+UBSan" build-asan -Dwerror=true --buildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false

echo "=== clang libFuzzer smoke runs"
CC=clang setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-fuzz -j "$jobs"
fuzz_pass=0 fuzz_fail=0
for corpus in tests/fuzz/corpus/*/; do
	name=$(basename "$corpus")
	work=$(mktemp -d)
	supp=
	case $name in policy | docset | state) supp=suppressions=$PWD/tests/fuzz/lsan-libfyaml.supp ;; esac
	if LSAN_OPTIONS=$supp build-fuzz/tests/fuzz/fuzz_"$name" -seed=1 -runs=20000 -max_len=8192 -timeout=10 \
		"$work" "$corpus" >"$work.log" 2>&1; then
		echo "fuzz_$name: 20000 runs clean"
		fuzz_pass=$((fuzz_pass + 1))
	else
		echo "fuzz_$name: FAILED"; tail -40 "$work.log"
		fuzz_fail=$((fuzz_fail + 1)); status=1
	fi
	rm -rf "$work" "$work.log"
done

/usr/bin/python3 - "$fuzz_pass" "$fuzz_fail" "${logs[@]}" <<'PY'
import json, sys
passed, failed = int(sys.argv[1]), int(sys.argv[2])
skipped = 0
for path in sys.argv[3:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
