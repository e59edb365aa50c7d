#!/usr/bin/env bash
# Proof that the data path is real: the appliance comes up on a DPDK port (af_packet or
# af_xdp) on the test bench's veth; the kernel on the other side pings it (which needs our
# ARP answers) and the appliance ARP-resolves the kernel side.
# usage: test_ping.sh SRCDIR FLASHCROWD PROFILE
set -u
src=$1 fc=$2 profile=$3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "${log:-}" ] && sed 's/^/  | /' "$log"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "iproute2 is not installed"
tb_out=$("$src/scripts/testbed" up 2>&1 >/dev/null) || { rc=$?; [ $rc = 77 ] && skip "$tb_out"; fail "testbed up failed ($rc): $tb_out"; }
eval "$("$src/scripts/testbed" env)"

log=$(mktemp)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT

ip netns exec "$FC_TB_APP_NS" "$fc" up --profile "$src/drivers_cfg/$profile.json" \
	--iface "$FC_TB_APP_IF" --local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN" \
	--resolve "$FC_TB_SRV_IP" -d 20s >"$log" 2>&1 &
pid=$!

# Wait (bounded) for the port to come up.
for _ in $(seq 100); do
	grep -q '^up: answering' "$log" && break
	kill -0 $pid 2>/dev/null || fail "flashcrowd up exited early"
	sleep 0.1
done
grep -q '^up: answering' "$log" || fail "port did not come up within 10 s"

for _ in $(seq 50); do grep -q '^resolved' "$log" && break; sleep 0.1; done
grep -q "^resolved $FC_TB_SRV_IP is at" "$log" || fail "appliance did not ARP-resolve $FC_TB_SRV_IP"
grep "^resolved" "$log"

# Our ARP request taught the kernel our MAC; forget it, so the kernel's ping must first
# send an ARP request that the appliance answers.
ip -n "$FC_TB_SRV_NS" neigh flush dev "$FC_TB_SRV_IF"
out=$(ip netns exec "$FC_TB_SRV_NS" ping -c 5 -i 0.2 -W 2 "$FC_TB_APP_IP" 2>&1)
echo "$out" | tail -2
echo "$out" | grep -q ' 5 received' || fail "kernel ping: not all 5 replies came back"

kill -INT $pid
wait $pid
rc=$?
[ $rc = 0 ] || fail "flashcrowd up exited $rc after SIGINT"
grep -q 'echo requests answered' "$log" || fail "no final report"
n=$(sed -n 's/^up: done: \([0-9]*\) ARP requests answered, \([0-9]*\) echo.*/\2/p' "$log")
[ "${n:-0}" -ge 5 ] || fail "appliance counted ${n:-0} echo replies, expected >= 5"
a=$(sed -n 's/^up: done: \([0-9]*\) ARP requests answered.*/\1/p' "$log")
[ "${a:-0}" -ge 1 ] || fail "appliance answered ${a:-0} ARP requests, expected >= 1"
echo "PASS: $profile: ping 5/5, ARP answered $a, resolved $FC_TB_SRV_IP"
