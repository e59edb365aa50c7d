#!/usr/bin/env bash
# scripts/lib/testlog.py, which scripts/test counts every meson run with: on made-up meson
# logs, the counts and the names printed, with and without --ci; that an expected skip is
# forgiven only for the reason its entry gives; that a malformed expected-skips file is an
# error; and that the checked-in tests/expected-skips parses.
# usage: test_testlog.sh SRCDIR
set -u
src=${1:?usage: test_testlog.sh SRCDIR}
tl=$src/scripts/lib/testlog.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# log FILE NAME:RESULT:STDOUT...: a meson testlog with one line per test.
log() {
	local f=$1
	shift
	python3 - "$@" >"$f" <<'PY'
import json, sys
for arg in sys.argv[1:]:
    name, result, out = arg.split(":", 2)
    print(json.dumps({"name": "flashcrowd:s / " + name, "result": result,
                      "stdout": out.replace("|", "\n")}))
PY
}

# expect DESCRIPTION 'WANTED OUTPUT LINES (|-separated)' ARGS...
expect() {
	local what=$1 want got
	want=$(tr '|' '\n' <<<"$2")
	shift 2
	got=$(python3 "$tl" "$@" 2>&1)
	[ "$got" = "$want" ] || fail "$what: got
$got
want
$want"
}

cat >"$work/skips" <<'SK'
# comment

netem  ^no netem qdisc
SK
netem_ok='netem:SKIP:starting|SKIP: no netem qdisc here|'
netem_other='netem:SKIP:SKIP: needs root|'
log "$work/a.json" 'u1:OK:' 'u2:EXPECTEDFAIL:' 'u3:FAIL:' 'u4:TIMEOUT:' 'u5:UNEXPECTEDPASS:' \
	'u6:ERROR:' "$netem_ok" 'ping:SKIP:SKIP: ip is not installed|' 'bare:SKIP:'
log "$work/b.json" 'u1:OK:' "$netem_other"

expect "without --ci every skip is a skip" \
'test: failed: u3 (FAIL)|test: failed: u4 (TIMEOUT)|test: failed: u5 (UNEXPECTEDPASS)|test: failed: u6 (ERROR)|test: skipped: netem: no netem qdisc here|test: skipped: ping: ip is not installed|test: skipped: bare: no '"'SKIP: reason'"' line|counts 2 4 3' \
	"$work/a.json"
expect "--ci: only the listed skip with its reason is forgiven" \
'test: failed: L: u3 (FAIL)|test: failed: L: u4 (TIMEOUT)|test: failed: L: u5 (UNEXPECTEDPASS)|test: failed: L: u6 (ERROR)|test: skipped: L: netem (expected): no netem qdisc here|test: failed: L: ping skipped unexpectedly (not in '"$work"'/skips): ip is not installed|test: failed: L: bare skipped unexpectedly (not in '"$work"'/skips): no '"'SKIP: reason'"' line|counts 2 6 1' \
	--ci --expected-skips "$work/skips" --label L "$work/a.json"
expect "--ci: a listed test skipping for another reason fails" \
'test: failed: netem skipped unexpectedly (its reason does not match '"$work"'/skips): needs root|counts 1 1 0' \
	--ci --expected-skips "$work/skips" "$work/b.json"

printf 'netem\n' >"$work/bad1"
printf 'netem  (unclosed\n' >"$work/bad2"
for b in bad1 bad2; do
	python3 "$tl" --ci --expected-skips "$work/$b" "$work/b.json" >"$work/out" 2>&1
	rc=$?
	[ $rc = 2 ] && grep -q "^test: expected skips: $work/$b:1: " "$work/out" ||
		fail "malformed $b: exit $rc, $(cat "$work/out")"
done
python3 "$tl" "$work/missing.json" >/dev/null 2>&1
[ $? = 2 ] || fail "a missing log is not an error"

# The checked-in file parses, and forgives the netem skip scripts/testbed prints.
log "$work/c.json" 'testbed_netem:SKIP:SKIP: testbed: cannot run here: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is off and there is no module): Error|'
out=$(python3 "$tl" --ci --expected-skips "$src/tests/expected-skips" "$work/c.json")
[ "$(tail -1 <<<"$out")" = "counts 0 0 1" ] || fail "tests/expected-skips: $out"
grep -q 'this kernel has no netem qdisc' "$src/scripts/testbed" ||
	fail "scripts/testbed no longer prints the netem reason tests/expected-skips expects"

[ $failures = 0 ] || exit 1
echo "PASS: testlog (3 logs, 2 malformed skip files, tests/expected-skips)"
