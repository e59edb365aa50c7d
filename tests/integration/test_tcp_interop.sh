#!/usr/bin/env bash
# lib/tcp against the Linux stack on the test bench, under faults in both directions.
# The faults are netem's, applied at the appliance's own port (--impair, lib/net fc_impair):
# this machine's kernel is built without netem (CONFIG_NET_SCH_NETEM is not set), so
# `tc qdisc ... netem` is not available; our impairment works on any kernel and any NIC.
# Kernel-side loss and duplication (nftables on a bridge between the two stacks, against
# nginx and lighttpd): test_fault_bridge.sh.
# usage: test_tcp_interop.sh SRCDIR FLASHCROWD CASE
#   CASE: none | loss1 | loss5 | reorder25 | dup5 | delay10
# Each case runs three byte-exact transfers with `flashcrowd xfer`:
#   GET /1m from nginx (length and FNV-1a digest against the file), 1 MiB to the kernel's
#   echo server (every byte checked back), 1 MiB to its discard server (all acknowledged).
# Where loss is injected, lib/tcp's own retransmission counter must be above zero.
set -u
src=$1 fc=$2 case=$3
skip() { echo "SKIP: $*"; exit 77; }
log=$(mktemp)
fail() { echo "FAIL: $case: $*"; sed 's/^/  | /' "$log" | tail -30; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v python3 >/dev/null || skip "python3 is needed to digest the reference file"
tb_out=$("$src/scripts/testbed" up 2>&1 >/dev/null) || { rc=$?; [ $rc = 77 ] && skip "$tb_out"; fail "testbed up ($rc): $tb_out"; }
eval "$("$src/scripts/testbed" env)"
trap 'rm -f "$log"' EXIT

case $case in
none) args= ;;
loss1) args='loss 1%' ;;
loss5) args='loss 5%' ;;
reorder25) args='delay 2ms reorder 25%' ;;
dup5) args='duplicate 5%' ;;
delay10) args='delay 10ms 5ms' ;;
*) fail "unknown case" ;;
esac
profile=$src/drivers_cfg/af_packet.json
impair=()
[ -n "$args" ] && impair=(--impair "$args")

xfer() {
	ip netns exec "$FC_TB_APP_NS" timeout 120 "$fc" xfer --profile "$profile" \
		--iface "$FC_TB_APP_IF" --local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN" -d 90s \
		"${impair[@]}" "$@" >"$log" 2>&1
}
retrans() { sed -n 's/^tcp: retransmits \([0-9]*\),.*/\1/p' "$log"; }
total_retrans=0

xfer --mode get --path "$FC_TB_BIG_PATH" "$FC_TB_SRV_IP:$FC_TB_HTTP_PORT" || fail "GET $FC_TB_BIG_PATH: exit $?"
want=$(python3 - "$FC_TB_RUN_DIR/www/1m" <<'PY'
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)
PY
)
got=$(sed -n 's/^get: body \([0-9]*\) bytes fnv1a64 \([0-9a-f]*\)$/\1 \2/p' "$log")
[ "$got" = "$FC_TB_BIG_LEN $want" ] || fail "GET body: got '$got', want '$FC_TB_BIG_LEN $want'"
echo "get  1 MiB: byte-exact, $(grep '^tcp:' "$log")"
# The impairment ran: its own counter of the fault asked for is above zero (1 MiB is some
# 700 segments each way, so 1% loss drops none with a chance below 1e-6).
imp=$(grep '^impair:' "$log")
case $case in
none) [ -z "$imp" ] || fail "no impairment asked, but xfer printed '$imp'" ;;
loss*) fault=dropped ;;
reorder25) fault=reordered ;;
dup5) fault=duplicated ;;
delay10) fault=delayed ;;
esac
if [ "$case" != none ]; then
	echo "$imp"
	n=$(awk -v k="$fault" '{ for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }' <<<"$imp")
	[ "$n" -gt 0 ] || fail "--impair '$args': no frame $fault ('${imp:-no impair line}')"
fi
total_retrans=$((total_retrans + $(retrans)))

xfer --mode echo --bytes 1Mi "$FC_TB_SRV_IP:$FC_TB_ECHO_PORT" || fail "echo: exit $?"
grep -q '^echo: byte-exact' "$log" || fail "echo not byte-exact"
echo "echo 1 MiB: byte-exact, $(grep '^tcp:' "$log")"
total_retrans=$((total_retrans + $(retrans)))

xfer --mode discard --bytes 1Mi "$FC_TB_SRV_IP:$FC_TB_DISCARD_PORT" || fail "discard: exit $?"
grep -q '^discard: all acknowledged' "$log" || fail "discard incomplete"
echo "discard 1 MiB: acknowledged, $(grep '^tcp:' "$log")"
total_retrans=$((total_retrans + $(retrans)))

case $case in
loss*) [ "$total_retrans" -gt 0 ] || fail "loss injected but lib/tcp counted no retransmission" ;;
esac
echo "PASS: $case (lib/tcp retransmits: $total_retrans)"
