#!/bin/bash
# Install the Debian packages bulkhead needs that are missing (idempotent).
#   tests/deps.sh            build and test dependencies (tests/packages.txt)
#   tests/deps.sh --capture  also what tests/data/capture.sh needs
#   tests/deps.sh --bench    also what bench/ needs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/packages.txt")
for arg in "$@"; do
	case "$arg" in
	--capture) lists+=("$here/data/packages.txt") ;;
	--bench) lists+=("$here/../bench/packages.txt") ;;
	*) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

want=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}" | sort -u)
missing=()
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
