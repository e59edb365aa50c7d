#!/usr/bin/env bash
# Requests pipelined behind a server's close are sent again (RFC 9112 §9.3.2), against
# nginx on the test bench (af_packet). Its server on port 8082 closes a connection after 2
# requests, and after every 500. One case per invocation:
#   keepalive2  -c 16 --pipeline 8, 10 s, 200s: 0 errors, requests.retried > 0
#   status500    -c 16 --pipeline 4, 10 s, every response a 500 and a close: every request
#                answered (0 errors), requests.retried > 0
#   noretry      keepalive2 with --retries 0: the requests behind each close end as
#                closed_unanswered when nginx closed with FIN, or reset when its kernel
#                answered with RST (Linux resets a socket closed with unread data, here the
#                pipelined requests), each counted once
# Each checks sent == completed + errors.
# usage: test_server_close.sh SRCDIR FLASHCROWD CASE
set -u
src=$1 fc=$2 case=$3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $case: $*"; [ -n "${log:-}" ] && [ -f "$log" ] && sed 's/^/  | /' "$log" | tail -40; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
"$src/scripts/testbed" up >/dev/null || fail "testbed up failed ($?)"
eval "$("$src/scripts/testbed" env)"

work=$(mktemp -d)
log=$work/out.log
json=$work/report.json
trap 'rm -rf "$work"' EXIT

run() {
	local path=$1
	shift
	ip netns exec "$FC_TB_APP_NS" "$fc" run --profile "$src/drivers_cfg/af_packet.json" \
		--iface "$FC_TB_APP_IF" --local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN" \
		--json "$json" -d 10s "$@" "http://$FC_TB_SRV_IP:8082$path" >"$log" 2>&1 ||
		fail "exit $?"
}

# check 'python expression over r (the report)' 'message'
check() {
	python3 - "$json" "$1" <<'PY' || fail "$2"
import json, sys
r = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"r": r})
if not ok:
    print("report:", json.dumps({k: r.get(k) for k in ("requests", "status", "tcp")}))
sys.exit(0 if ok else 1)
PY
}
invariant='r["requests"]["sent"] == r["requests"]["completed"] + r["requests"]["errors"]["total"]'

case $case in
keepalive2)
	run / -c 16 --pipeline 8
	check "$invariant" "accounting invariant"
	check 'r["requests"]["errors"]["total"] == 0' "requests lost to nginx's keep-alive limit"
	check 'r["requests"]["retried"] > 0' "no request was sent again"
	check 'r["status"]["2xx"] == r["requests"]["completed"] > 1000' "too few or non-2xx responses"
	;;
status500)
	run /status/500 -c 16 --pipeline 4
	check "$invariant" "accounting invariant"
	check 'r["requests"]["errors"]["total"] == 0' "requests lost behind nginx's close after a 500"
	check 'r["requests"]["retried"] > 0' "no request was sent again"
	check 'r["status"]["5xx"] == r["requests"]["completed"] > 100' "too few or non-5xx responses"
	;;
noretry)
	run / -c 16 --pipeline 8 --retries 0
	check "$invariant" "accounting invariant"
	check 'r["requests"]["retried"] == 0' "requests sent again with --retries 0"
	check 'r["requests"]["errors"]["closed_unanswered"] > 0' "no closed_unanswered error"
	check 'r["requests"]["errors"]["total"] == r["requests"]["errors"]["closed_unanswered"] + r["requests"]["errors"]["reset"]' "errors of another kind than closed_unanswered or reset"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ok: $case"
