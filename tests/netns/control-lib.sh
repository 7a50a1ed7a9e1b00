# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2034 # RUN_ERR, ...: globals for the callers
#
# control-lib.sh - what the control plane's netns tests share (sourced by
# control.sh, control-load.sh and control-restart.sh after lib.sh): the
# `bulkhead` client on this run's control socket, HTTP calls with their
# expected outcome, the daemon's Prometheus endpoint.
#
#   ctl_init WHO BULKHEADD BULKHEAD  bh_init, bh_topology, the API server
#                            (nginx on api:8080) and the clients; lo up in
#                            the node namespace (--metrics 127.0.0.1:0);
#                            SOCK (the control socket), STATE (--state-dir)
#   ctl_start TAG ARG...     bh_start TAG --control SOCK --state-dir STATE ARG...;
#                            READY: its ready line, METRICS_PORT
#   ctl ARG...               bulkhead --socket SOCK ARG... as root: RUN_RC,
#                            RUN_OUT (stdout), RUN_ERR (stderr), RUN_MS
#   ctl_as UID ARG...        the same as another user (setpriv)
#   ctl_show                 after a failed check: RUN_OUT and RUN_ERR
#   ctl_stats                `bulkhead --json stats` once settled: STATS
#   ctl_gen                  the generation in force (bulkhead --json ping)
#   http WHAT pass|reset NS PATH   GET PATH from container NS to the API over
#                            IPv4; pass: 200, reset: a failure that is not
#                            a timeout
#   metrics                  GET /metrics in the node namespace: RUN_RC,
#                            RUN_OUT (body, and curl's errors), RUN_HDR
#                            (headers); the body in TMP/metrics.txt
#   ctl_done                 bh_done, after checking that no client run
#                            reported a sanitizer error
# The client runs in the test's namespace (a Unix socket is a path, not an
# address of the node's namespace); the daemon's own side is bh_start's.

ctl_init() { # who bulkheadd bulkhead
	bh_init "$1" "$2"
	[ -n "$3" ] || die "usage: $1 BULKHEADD BULKHEAD (the paths of the built daemon and client)"
	BHC=$(readlink -f "$3")
	[ -x "$BHC" ] || die "$3: not an executable (the path of the built bulkhead client)"
	nl_need curl setpriv awk
	bh_topology
	# --metrics 127.0.0.1:0 binds in the node's namespace, whose loopback
	# starts down.
	ip -n "$SW" link set lo up
	shop_servers api
	shop_clients
	SOCK=$TMP/control.sock
	STATE=$TMP/state
	CTL_SAN=0
	SHOP=$HERE/../data/policy/shop.yaml
}

ctl_start() { # tag arg...
	local tag=$1; shift
	bh_start "$tag" --control "$SOCK" --state-dir "$STATE" "$@"
	READY=$(grep -m1 '^bulkheadd: enforcing on ' "$BHD_LOG")
	METRICS_PORT=$(sed -n 's/.*; metrics port \([0-9]*\);.*/\1/p' <<<"$READY")
}

# ctl_exec TIMEOUT CMD...: CMD with RUN_RC, RUN_OUT, RUN_ERR, RUN_MS; a
# sanitizer report on its stderr is counted (ctl_done fails then).
ctl_exec() {
	local t0 secs=$1; shift
	t0=$(bh_ms)
	RUN_RC=0
	timeout "$secs" "$@" >"$TMP/ctl.out" 2>"$TMP/ctl.err" || RUN_RC=$?
	RUN_MS=$(($(bh_ms) - t0))
	RUN_OUT=$(cat "$TMP/ctl.out")
	RUN_ERR=$(cat "$TMP/ctl.err")
	if grep -qE 'runtime error:|Sanitizer' "$TMP/ctl.err"; then
		CTL_SAN=$((CTL_SAN + 1))
		echo "     the client's sanitizer report ($*):"
		sed -n 's/^/     | /; 1,40p' "$TMP/ctl.err"
	fi
	bh_alive
}

ctl() { ctl_exec 60 "$BHC" --socket "$SOCK" "$@"; }

ctl_as() { # uid arg...
	local uid=$1; shift
	ctl_exec 60 setpriv --reuid="$uid" --regid="$uid" --clear-groups "$BHC" --socket "$SOCK" "$@"
}

# ctl_stats: `bulkhead --json stats` in STATS once the counters settled (the
# workers publish theirs a moment after the packets): two readings 200 ms
# apart agree on decisions, queues and packets, within 5 s.
ctl_stats() {
	local prev='' cur i
	for ((i = 0; i < 25; i++)); do
		ctl --json stats
		[ "$RUN_RC" = 0 ] || { ctl_show; die "bulkhead stats failed (exit status $RUN_RC): $RUN_ERR"; }
		cur=$(jq -c -S '{decisions, reasons, queues, packets}' <<<"$RUN_OUT")
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 0.2
	done
	STATS=$RUN_OUT
}

ctl_show() {
	[ "$BH_OK" = 0 ] || return 0
	[ -z "$RUN_OUT" ] || printf '%s\n' "$RUN_OUT" | sed -n 's/^/     out | /; 1,12p'
	[ -z "$RUN_ERR" ] || printf '%s\n' "$RUN_ERR" | sed -n 's/^/     err | /; 1,12p'
}

ctl_gen() {
	ctl --json ping
	[ "$RUN_RC" = 0 ] || { ctl_show; die "bulkhead ping failed (exit status $RUN_RC): $RUN_ERR"; }
	jq -r .generation <<<"$RUN_OUT"
}

http() { # what pass|reset ns path
	local what=$1 want=$2 ns=$3 path=$4
	bh_run "$ns" "${CURL4[@]}" --max-time 3 -w '%{http_code}' "$W$path"
	case $want in
	pass) bh_cmp "$what: GET $path from $ns passes (${RUN_MS} ms)" "$RUN_OUT" = 200 ;;
	reset) bh_cmp "$what: GET $path from $ns is refused or reset (curl exit status, ${RUN_MS} ms)" \
		"$RUN_RC" '!~' '^(0|28|124)$' ;;
	*) die "http: $want: pass or reset" ;;
	esac
	bh_show
}

metrics() {
	local t0
	t0=$(bh_ms)
	RUN_RC=0
	timeout 10 ip netns exec "$SW" curl -fsS --max-time 5 -D "$TMP/metrics.hdr" \
		-o "$TMP/metrics.txt" "http://127.0.0.1:$METRICS_PORT/metrics" 2>"$TMP/metrics.err" || RUN_RC=$?
	RUN_OUT=$(cat "$TMP/metrics.txt" "$TMP/metrics.err" 2>/dev/null || true)
	RUN_MS=$(($(bh_ms) - t0))
	RUN_HDR=$(tr -d '\r' <"$TMP/metrics.hdr" 2>/dev/null || true)
	bh_alive
}

ctl_done() {
	bh_cmp "sanitizer reports of the bulkhead client (runs)" "$CTL_SAN" eq 0
	bh_done
}
