#!/usr/bin/env bash
# Bad input at bring-up (issue 2): an unknown profile, field or driver, a missing interface,
# a failed EAL, no memory. Each gets one clear message naming what failed and where; exit 2
# for input errors, 1 for runtime errors; nothing is left running.
# usage: test_bad_input.sh SRCDIR FLASHCROWD
set -u
src=$1 fc=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (EAL and af_packet on lo)"; exit 77; }

# expect CODE 'MESSAGE' ARGS... (flashcrowd up ... -d 1s)
expect() {
	local code=$1 want=$2
	shift 2
	timeout 30 "$fc" up "$@" -d 1s >"$work/out" 2>&1
	rc=$?
	if [ $rc != "$code" ] || ! grep -qF -- "$want" "$work/out"; then
		echo "FAIL: up $* -> exit $rc (want $code), want message '$want':"
		grep -v '^EAL:' "$work/out" | tail -5 | sed 's/^/  | /'
		failures=$((failures + 1))
	fi
	if pgrep -f "$fc up" >/dev/null; then
		echo "FAIL: a flashcrowd process is still running after: up $*"
		failures=$((failures + 1))
	fi
}
p=$src/drivers_cfg
ip=(--local-ip 198.18.0.1/15)

expect 2 "nope.json: cannot read the profile" --profile "$p/nope.json" --iface lo "${ip[@]}"
printf '{"name":"x","driver":"net_af_packet","kind":"vdev","vdev":"net_af_packet0,iface={iface}","queus":{}}' >"$work/field.json"
expect 2 "field 'queus': unknown field" --profile "$work/field.json" --iface lo "${ip[@]}"
printf '{"name":"x","driver":"net_bogus","kind":"vdev","vdev":"net_bogus0"}' >"$work/drv.json"
expect 2 "field 'driver': value 'net_bogus' is not a supported driver" --profile "$work/drv.json" --iface lo "${ip[@]}"
expect 2 "--iface: interface 'nosuch0' does not exist" --profile "$p/af_packet.json" --iface nosuch0 "${ip[@]}"
expect 2 "--iface: missing" --profile "$p/af_packet.json" "${ip[@]}"
expect 2 "--local-ip: value '198.18.0.300/15' is not an IPv4 address" --profile "$p/af_packet.json" --iface lo --local-ip 198.18.0.300/15
expect 2 "EAL initialisation failed (Invalid argument)" --profile "$p/af_packet.json" --iface lo "${ip[@]}" --eal "--bogus-flag"
expect 1 "cannot create a pool of 16383 mbufs" --profile "$p/af_packet.json" --iface lo "${ip[@]}" --eal "--no-pci --no-huge --no-shconf -m 16"

[ $failures = 0 ] && echo "PASS: bad input (8 cases)" || exit 1
