#!/usr/bin/env bash
# lib/tcp against two real Linux HTTP servers (nginx and lighttpd) through the fault bridge
# of the test bench (scripts/testbed up --bridge): kernel-side loss and duplication by
# nftables netdev ingress rules on the bridge ports, in both directions, TCP only.
# usage: test_fault_bridge.sh SRCDIR FLASHCROWD CASE
#   CASE: loss1 | loss3 | loss5 | dup5 | loss3dup5
# For each server, with the fault on:
#   flashcrowd xfer  GET /1m once: the body byte-exact (length and FNV-1a digest of the file);
#   flashcrowd run   -c 4 -d 10s GET /1m, JSON report: 0 errors, every response 2xx, the
#                    accounting invariant, at least 1 MiB received per completed response.
# Retransmissions are read from flashcrowd's own report (xfer's `tcp:` line, run's
# tcp.retransmits: what lib/tcp resent) and printed per server, next to the server kernel's
# own (TcpRetransSegs in fc-srv, before and after: what nginx or lighttpd resent); the
# bridge's nftables counters show what the kernel dropped and duplicated. A loss case must have dropped frames and lib/tcp must have
# retransmitted; a duplication case must have duplicated frames.
# At exit the faults are removed and the bench is put back in its direct form (no bridge),
# the form the other tests expect.
set -u
src=$1 fc=$2 case=$3
tb=$src/scripts/testbed
skip() { echo "SKIP: $*"; exit 77; }
work=$(mktemp -d)
log=$work/out.log
json=$work/report.json
fail() { echo "FAIL: $case: $*"; [ -f "$log" ] && sed 's/^/  | /' "$log" | tail -30; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v python3 >/dev/null || skip "python3 is needed to read the JSON report"
command -v lighttpd >/dev/null || skip "lighttpd is not installed (scripts/setup installs it)"

case $case in
loss1) spec='loss 1%' ;;
loss3) spec='loss 3%' ;;
loss5) spec='loss 5%' ;;
dup5) spec='dup 5%' ;;
loss3dup5) spec='loss 3% dup 5%' ;;
*) fail "unknown case" ;;
esac

cleanup() {
	"$tb" fault off >/dev/null 2>&1
	"$tb" up >/dev/null 2>&1
	rm -rf "$work"
}
out=$("$tb" up --bridge 2>&1)
rc=$?
[ $rc = 77 ] && skip "scripts/testbed up --bridge: $out"
trap cleanup EXIT
[ $rc = 0 ] || fail "testbed up --bridge exited $rc: $out"
eval "$("$tb" env)"
[ "$FC_TB_BRIDGED" = 1 ] || fail "testbed env says the bench is not bridged"
out=$("$tb" fault "$spec" 2>&1)
rc=$?
[ $rc = 77 ] && skip "$out"
[ $rc = 0 ] || fail "testbed fault '$spec' exited $rc: $out"
echo "$out"

want=$(python3 - "$FC_TB_RUN_DIR/www/1m" <<'PY'
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)
PY
)
common=(--profile "$src/drivers_cfg/af_packet.json" --iface "$FC_TB_APP_IF"
	--local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN")
total_retrans=0
kernel_retrans() { ip netns exec "$FC_TB_SRV_NS" nstat -asz TcpRetransSegs | awk '$1 == "TcpRetransSegs" { print $2 }'; }
for server in nginx:$FC_TB_HTTP_PORT lighttpd:$FC_TB_LIGHTTPD_PORT; do
	name=${server%%:*} port=${server#*:}
	k0=$(kernel_retrans)

	ip netns exec "$FC_TB_APP_NS" timeout 120 "$fc" xfer "${common[@]}" -d 90s \
		--mode get --path "$FC_TB_BIG_PATH" "$FC_TB_SRV_IP:$port" >"$log" 2>&1 ||
		fail "$name: xfer GET $FC_TB_BIG_PATH: exit $?"
	got=$(sed -n 's/^get: body \([0-9]*\) bytes fnv1a64 \([0-9a-f]*\)$/\1 \2/p' "$log")
	[ "$got" = "$FC_TB_BIG_LEN $want" ] || fail "$name: GET body: got '$got', want '$FC_TB_BIG_LEN $want'"
	xr=$(sed -n 's/^tcp: retransmits \([0-9]*\),.*/\1/p' "$log")
	[ -n "$xr" ] || fail "$name: no 'tcp: retransmits' line in xfer's report"
	echo "$name xfer 1 MiB: byte-exact; $(grep '^tcp:' "$log")"

	rm -f "$json"
	ip netns exec "$FC_TB_APP_NS" timeout 60 "$fc" run "${common[@]}" --json "$json" \
		-c 4 -d 10s --timeout 10s "http://$FC_TB_SRV_IP:$port$FC_TB_BIG_PATH" >"$log" 2>&1 ||
		fail "$name: run: exit $?"
	! grep -q '^internal error' "$log" || fail "$name: $(grep -m1 '^internal error' "$log")"
	rr=$(python3 - "$json" "$FC_TB_BIG_LEN" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
big = int(sys.argv[2])
q, s, t = r["requests"], r["status"], r["tcp"]
bad = []
if q["sent"] != q["completed"] + q["errors"]["total"]:
    bad.append("sent %d != completed %d + errors %d" % (q["sent"], q["completed"], q["errors"]["total"]))
if q["errors"]["total"] != 0:
    bad.append("errors: %s" % json.dumps(q["errors"]))
if q["completed"] < 1 or s["2xx"] != q["completed"]:
    bad.append("completed %d, 2xx %d" % (q["completed"], s["2xx"]))
if r["transfer"]["rx_bytes"] < q["completed"] * big:
    bad.append("rx_bytes %d < %d responses of %d bytes" % (r["transfer"]["rx_bytes"], q["completed"], big))
if bad:
    print("; ".join(bad))
    sys.exit(1)
print(q["completed"], t["retransmits"])
PY
	) || fail "$name: run report: $rr"
	k1=$(kernel_retrans)
	echo "$name run -c 4 -d 10s GET /1m: ${rr% *} responses of 1 MiB, 0 errors, tcp.retransmits ${rr#* }"
	echo "$name: retransmissions: lib/tcp $((xr + ${rr#* })) (xfer $xr, run ${rr#* }), $name's kernel $((k1 - k0))"
	total_retrans=$((total_retrans + xr + ${rr#* }))
done

eval "$("$tb" fault counters)"
echo "bridge: dropped to server $FAULT_DROPPED_TO_SRV, to appliance $FAULT_DROPPED_TO_APP;" \
	"duplicated to server $FAULT_DUPLICATED_TO_SRV, to appliance $FAULT_DUPLICATED_TO_APP"
case $spec in
*loss*)
	[ $((FAULT_DROPPED_TO_SRV + FAULT_DROPPED_TO_APP)) -gt 0 ] || fail "the bridge dropped nothing under '$spec'"
	[ "$total_retrans" -gt 0 ] || fail "frames were dropped but lib/tcp counted no retransmission"
	;;
esac
case $spec in
*dup*)
	[ $((FAULT_DUPLICATED_TO_SRV + FAULT_DUPLICATED_TO_APP)) -gt 0 ] || fail "the bridge duplicated nothing under '$spec'"
	;;
esac
echo "PASS: $case ($spec; lib/tcp retransmits over both servers: $total_retrans)"
