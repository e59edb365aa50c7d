#!/usr/bin/env bash
# The limits envelope through the real CLI: every bound, on both sides, exits 2 with a
# message that names the field, the value and the bound, and sends nothing (it returns
# before EAL starts, so it needs no root and no port). The values just inside each bound
# are accepted by validation (checked with `validate` on generated scenario files).
# usage: test_envelope.sh FLASHCROWD
set -u
fc=$1
failures=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect_reject "MESSAGE" ARGS...: run must exit 2 and print MESSAGE.
expect_reject() {
	local want=$1 url=http://198.18.0.2/
	shift
	case "${*: -1}" in http://*) url= ;; esac
	out=$("$fc" run "$@" $url 2>&1)
	rc=$?
	if [ $rc != 2 ] || ! grep -qF -- "$want" <<<"$out"; then
		echo "FAIL: run $* -> exit $rc, want 2 and '$want'; got:"
		sed 's/^/  | /' <<<"$out"
		failures=$((failures + 1))
	fi
}

expect_reject "load.connections: 0 is below the limit 1"             -c 0 -d 10s
expect_reject "load.connections: 50001 is above the limit 50000"     -c 50001 -d 10s
expect_reject "load.duration: 9s is below the limit 10s"             -c 1 -d 9s
expect_reject "load.duration: 25h is above the limit 24h"            -c 1 -d 25h
expect_reject "load.ramp_up: 3601s is above the limit 1h"            -c 1 -d 2h --ramp-up 3601s
expect_reject "load.rate: 0.09 is below the limit 0.1"               -c 1 -d 10s -R 0.09
expect_reject "load.rate: 100001 is above the limit 100000"          -c 1 -d 10s -R 100001
expect_reject "timeouts.request: 99ms is below the limit 100ms"      -c 1 -d 10s --timeout 99ms
expect_reject "timeouts.request: 301s is above the limit 5m"         -c 1 -d 10s --timeout 301s
expect_reject "cores: 0 is below the limit 1"                        -c 1 -d 10s -t 0
expect_reject "cores: 65 is above the limit 64"                      -c 1 -d 10s -t 65
expect_reject "outside the allow-list"                               -c 1 -d 10s --allow 198.18.0.0/15 http://10.1.2.3/

# Several errors are reported together, in one run.
out=$("$fc" run -c 0 -d 1s -R 1M http://198.18.0.2/ 2>&1)
n=$(grep -c '^error:' <<<"$out")
if [ "$n" -lt 3 ]; then
	echo "FAIL: expected 3 errors in one pass, got $n:"; sed 's/^/  | /' <<<"$out"
	failures=$((failures + 1))
fi

# Just inside every bound: validate accepts it.
cat >"$work/edge-low.json" <<'JSON'
{"target": "http://198.18.0.2/",
 "load": {"connections": 1, "duration": "10s", "rate": 0.1, "ramp_up": "0s"},
 "timeouts": {"connect": "100ms", "request": "100ms"}, "cores": 1, "memory": "128Mi"}
JSON
cat >"$work/edge-high.json" <<'JSON'
{"target": "http://198.18.0.2/",
 "load": {"connections": 50000, "duration": "24h", "rate": 100000, "ramp_up": "3600s"},
 "timeouts": {"connect": "5m", "request": "5m"}, "cores": 64, "memory": "512Gi"}
JSON
for f in "$work"/edge-*.json; do
	if ! out=$("$fc" validate "$f" 2>&1); then
		echo "FAIL: validate $(basename "$f") rejected a value on the bound:"; sed 's/^/  | /' <<<"$out"
		failures=$((failures + 1))
	fi
done

# A limits file widens the envelope, and the run says so.
echo '{"connections": {"max": 100000}}' >"$work/limits.json"
if ! out=$("$fc" validate --limits "$work/limits.json" "$work/edge-high.json" 2>&1) ||
	! grep -q "widened" <<<"$out"; then
	echo "FAIL: validate with a limits file:"; sed 's/^/  | /' <<<"$out"
	failures=$((failures + 1))
fi

[ $failures = 0 ] && echo "PASS: envelope (every bound, both sides)" || exit 1
