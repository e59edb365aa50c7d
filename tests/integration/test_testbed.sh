#!/usr/bin/env bash
# Integration test of the test bench itself (scripts/testbed), no DPDK involved.
# usage: test_testbed.sh SRCDIR [bench|netem|bridge]
#   bench (default): up twice (the second changes nothing), status, the addresses and
#         offloads, nginx's three answers (small body, 1 MiB file by size, sha256 and a byte
#         range, 500), keep-alive, the echo and discard servers, that the kernel does not
#         answer for the appliance's address, then down twice and that nothing is left.
#   netem: netem delay 20ms shows in the qdisc, netem off removes it (twice, no error).
#   bridge: up --bridge (started under a flock, which no server may inherit): fc-app0 and
#         fc-srv0 are ports of fc-br0 in fc-br, offloads and gso_max_segs 1 on fc-srv0,
#         frames cross the bridge, nginx and lighttpd answer; `fault` rules appear (both
#         ports, loss before dup), bad specs exit 2, `fault off` removes them; `up`
#         without --bridge goes back to the direct pair with the same servers; down.
# Exit 77 with the reason when it cannot run here (not root, no netns, no netem qdisc).
set -u
src=${1:?usage: test_testbed.sh SRCDIR [bench|netem|bridge]}
mode=${2:-bench}
tb=$src/scripts/testbed
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
# The 1 MiB body, computed here independently of scripts/testbed: 16384 lines of 64 bytes,
# "<offset as 8 hex digits> line NNNNN of 16384, flashcrowd test bench<spaces>\n".
BIG_SHA256=4b83d9bc1c1448e0dda1eabc2127a5980d9db9be44919666f715576f066899eb

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
trap '"$tb" down >/dev/null 2>&1' EXIT

out=$("$tb" up 2>&1)
rc=$?
[ $rc = 77 ] && skip "scripts/testbed up: $out"
[ $rc = 0 ] || fail "testbed up exited $rc: $out"
eval "$("$tb" env)" || fail "testbed env is not sourceable"
[ "$FC_TB_SRV_IP" = 198.18.0.2 ] && [ "$FC_TB_APP_IP" = 198.18.0.1 ] &&
	[ "$FC_TB_PREFIX_LEN" = 15 ] || fail "testbed env: unexpected addresses"
srv() { ip netns exec "$FC_TB_SRV_NS" "$@"; }
app() { ip netns exec "$FC_TB_APP_NS" "$@"; }

if [ "$mode" = netem ]; then
	out=$("$tb" netem 'delay 20ms' 2>&1)
	rc=$?
	[ $rc = 77 ] && skip "$out"
	[ $rc = 0 ] || fail "netem delay 20ms exited $rc: $out"
	q=$(srv tc qdisc show dev "$FC_TB_SRV_IF" root)
	echo "$q" | grep -q 'netem .*delay 20ms' || fail "qdisc after 'netem delay 20ms': $q"
	ok "netem: $q"
	"$tb" netem 'delay 5ms loss 1%' >/dev/null || fail "netem replace failed"
	q=$(srv tc qdisc show dev "$FC_TB_SRV_IF" root)
	echo "$q" | grep -q 'delay 5ms' && echo "$q" | grep -q 'loss 1%' ||
		fail "qdisc after replace: $q"
	"$tb" netem off >/dev/null || fail "netem off failed"
	q=$(srv tc qdisc show dev "$FC_TB_SRV_IF" root)
	echo "$q" | grep -q netem && fail "netem still there after 'netem off': $q"
	"$tb" netem off >/dev/null || fail "a second 'netem off' failed"
	ok "netem off: $q"
	"$tb" down >/dev/null || fail "testbed down failed"
	echo "PASS: testbed netem"
	exit 0
fi

if [ "$mode" = bridge ]; then
	command -v nft >/dev/null || skip "nftables (nft) is not installed; run scripts/setup"
	br() { ip netns exec "$FC_TB_BRIDGE_NS" "$@"; }
	# Servers started under a caller's lock must not keep it (they would block every
	# other user of the bench for as long as they run).
	"$tb" down >/dev/null || fail "testbed down failed"
	lock=$(mktemp)
	out=$(flock "$lock" "$tb" up --bridge 2>&1)
	rc=$?
	[ $rc = 77 ] && { rm -f "$lock"; skip "scripts/testbed up --bridge: $out"; }
	[ $rc = 0 ] || fail "testbed up --bridge exited $rc: $out"
	flock -n "$lock" true || fail "a server started by 'up' holds the caller's lock: $(lslocks 2>/dev/null | grep -F "$lock")"
	rm -f "$lock"
	ok "up --bridge under a flock: no server kept the lock"
	eval "$("$tb" env)"
	[ "$FC_TB_BRIDGED" = 1 ] || fail "env: FC_TB_BRIDGED=$FC_TB_BRIDGED after up --bridge"
	[ "$(ip netns list | grep -c '^fc-')" = 3 ] || fail "expected 3 fc-* namespaces: $(ip netns list)"
	for p in fc-brapp fc-brsrv; do
		l=$(ip -n "$FC_TB_BRIDGE_NS" -d link show dev "$p") || fail "bridge port $p is missing"
		echo "$l" | grep -q "master $FC_TB_BRIDGE_IF" || fail "$p is not a port of $FC_TB_BRIDGE_IF: $l"
		echo "$l" | grep -q 'state UP' || fail "$p is not up"
	done
	# Each end's peer is a bridge port: veth reports its peer's ifindex.
	[ "$(app ethtool -S "$FC_TB_APP_IF" | awk '/peer_ifindex/ { print $2 }')" = 		"$(br cat /sys/class/net/fc-brapp/ifindex)" ] || fail "$FC_TB_APP_IF's peer is not fc-brapp"
	[ "$(srv ethtool -S "$FC_TB_SRV_IF" | awk '/peer_ifindex/ { print $2 }')" = 		"$(br cat /sys/class/net/fc-brsrv/ifindex)" ] || fail "$FC_TB_SRV_IF's peer is not fc-brsrv"
	srv ethtool -k "$FC_TB_SRV_IF" | grep -q '^tx-checksumming: off' || fail "TX checksum offload is on on $FC_TB_SRV_IF"
	srv ethtool -k "$FC_TB_SRV_IF" | grep -q '^generic-segmentation-offload: off' || fail "GSO is on on $FC_TB_SRV_IF"
	g=$(ip -n "$FC_TB_SRV_NS" -d link show dev "$FC_TB_SRV_IF" | grep -o 'gso_max_segs [0-9]*')
	[ "$g" = "gso_max_segs 1" ] || fail "$FC_TB_SRV_IF: '$g', expected gso_max_segs 1"
	ok "bridge: $FC_TB_APP_IF <-> fc-brapp [$FC_TB_BRIDGE_NS/$FC_TB_BRIDGE_IF] fc-brsrv <-> $FC_TB_SRV_IF, $g"
	# Frames cross it: the server's ARP for the appliance's address reaches fc-app0.
	rx0=$(app cat "/sys/class/net/$FC_TB_APP_IF/statistics/rx_packets")
	srv ping -c 2 -i 0.2 -W 1 "$FC_TB_APP_IP" >/dev/null 2>&1
	rx1=$(app cat "/sys/class/net/$FC_TB_APP_IF/statistics/rx_packets")
	[ "$rx1" -gt "$rx0" ] || fail "nothing from $FC_TB_SRV_IF reached $FC_TB_APP_IF across the bridge"
	ok "frames cross the bridge ($((rx1 - rx0)) received on $FC_TB_APP_IF)"
	body=$(srv curl -s -m 5 "http://$FC_TB_SRV_IP/")
	[ "$body" = "hello from nginx" ] || fail "nginx answered '$body'"
	sum=$(srv curl -s -m 10 "http://$FC_TB_SRV_IP:$FC_TB_LIGHTTPD_PORT/1m" | sha256sum | cut -d' ' -f1)
	[ "$sum" = "$BIG_SHA256" ] || fail "lighttpd /1m: sha256 $sum"
	ok "nginx answers, lighttpd serves /1m (sha256 matches)"

	"$tb" fault 'loss 2.5% dup 5%' >/dev/null || fail "fault 'loss 2.5% dup 5%' failed"
	r=$(br nft list table netdev fc_fault)
	for p in fc-brapp fc-brsrv; do
		echo "$r" | grep -q "hook ingress device \"$p\"" || fail "no ingress chain on $p: $r"
	done
	[ "$(echo "$r" | grep -c 'numgen random mod 1000 < 25 .*drop comment "fc-loss 2.5%"')" = 2 ] ||
		fail "expected a 2.5% drop rule on each port: $r"
	[ "$(echo "$r" | grep -c 'numgen random mod 1000 < 50 .*dup to "fc-br\(app\|srv\)" comment "fc-dup 5%"')" = 2 ] ||
		fail "expected a 5% dup rule on each port: $r"
	echo "$r" | grep -A2 'device "fc-brapp"' | grep -q 'drop' || fail "loss is not the first rule: $r"
	echo "$r" | grep -q 'dup to "fc-brsrv"' && echo "$r" | grep -q 'dup to "fc-brapp"' ||
		fail "each port must duplicate to the other: $r"
	"$tb" status | grep -q 'faults: loss 2.5% dup 5%' || fail "status does not show the faults"
	c=$("$tb" fault counters) || fail "fault counters failed"
	[ "$(echo "$c" | grep -cE '^FAULT_(DROPPED|DUPLICATED)_TO_(SRV|APP)=[0-9]+$')" = 4 ] ||
		fail "fault counters: $c"
	ok "fault 'loss 2.5% dup 5%': drop then dup on both ports; counters: $(echo "$c" | paste -sd' ')"
	for bad in 'loss' 'loss 3x' 'loss 101%' 'loss 0.05%' 'jitter 5%'; do
		"$tb" fault "$bad" >/dev/null 2>&1
		rc=$?
		[ $rc = 2 ] || fail "fault '$bad' exited $rc, expected 2"
	done
	br nft list table netdev fc_fault >/dev/null 2>&1 || fail "a rejected spec removed the faults"
	"$tb" fault off >/dev/null || fail "fault off failed"
	br nft list table netdev fc_fault >/dev/null 2>&1 && fail "the fault table is still there after 'fault off'"
	"$tb" fault off >/dev/null || fail "a second 'fault off' failed"
	ok "bad specs exit 2 and change nothing; fault off (twice) removes the rules"

	nginx_pid=$(cat "$FC_TB_RUN_DIR/nginx.pid")
	"$tb" up >/dev/null || fail "up (back to direct) failed"
	eval "$("$tb" env)"
	[ "$FC_TB_BRIDGED" = 0 ] || fail "still bridged after 'up'"
	ip netns list | grep -q "^$FC_TB_BRIDGE_NS" && fail "$FC_TB_BRIDGE_NS is left after 'up'"
	[ "$(app ethtool -S "$FC_TB_APP_IF" | awk '/peer_ifindex/ { print $2 }')" = 		"$(srv cat "/sys/class/net/$FC_TB_SRV_IF/ifindex")" ] || fail "$FC_TB_APP_IF's peer is not $FC_TB_SRV_IF"
	[ "$(cat "$FC_TB_RUN_DIR/nginx.pid")" = "$nginx_pid" ] || fail "going back to direct restarted nginx"
	body=$(srv curl -s -m 5 "http://$FC_TB_SRV_IP/")
	[ "$body" = "hello from nginx" ] || fail "nginx answered '$body' after going back to direct"
	"$tb" fault 'loss 1%' >/dev/null 2>&1 && fail "fault accepted without a bridge"
	ok "up without --bridge: direct pair again, same nginx (pid $nginx_pid) answering"
	"$tb" down >/dev/null || fail "testbed down failed"
	ip netns list | grep -qE '^fc-(app|srv|br)( |$)' && fail "a namespace is left: $(ip netns list)"
	echo "PASS: testbed bridge"
	exit 0
fi

nginx_pid=$(cat "$FC_TB_RUN_DIR/nginx.pid")
echo_pid=$(cat "$FC_TB_RUN_DIR/echo.pid" 2>/dev/null)
discard_pid=$(cat "$FC_TB_RUN_DIR/discard.pid" 2>/dev/null)
[ -n "$echo_pid" ] && [ -n "$discard_pid" ] || fail "echo/discard servers have no pid file"

# up again: idempotent, the same servers keep running.
"$tb" up >/dev/null 2>&1 || fail "second testbed up failed"
[ "$(cat "$FC_TB_RUN_DIR/nginx.pid")" = "$nginx_pid" ] || fail "second up restarted nginx"
[ "$(cat "$FC_TB_RUN_DIR/echo.pid")" = "$echo_pid" ] || fail "second up restarted the echo server"
[ "$(ip netns list | grep -c '^fc-')" = 2 ] || fail "expected exactly 2 fc-* namespaces: $(ip netns list)"
ok "up twice: same nginx pid $nginx_pid"

st=$("$tb" status)
rc=$?
echo "$st" | sed 's/^/  | /'
[ $rc = 0 ] || fail "status exited $rc while up"
echo "$st" | grep -q "nginx: pid $nginx_pid" || fail "status does not show nginx pid $nginx_pid"
echo "$st" | grep -q "sha256 $BIG_SHA256" || fail "status does not show the 1 MiB sha256"

# Links: the appliance side is up, promiscuous, MTU 1500, with no kernel address at all.
l=$(ip -n "$FC_TB_APP_NS" -d link show dev "$FC_TB_APP_IF")
echo "$l" | grep -q 'state UP' || fail "$FC_TB_APP_IF is not up: $l"
echo "$l" | grep -q 'PROMISC' || fail "$FC_TB_APP_IF is not promiscuous"
echo "$l" | grep -q 'mtu 1500' || fail "$FC_TB_APP_IF MTU is not 1500"
a=$(ip -n "$FC_TB_APP_NS" addr show dev "$FC_TB_APP_IF" | grep -E '^ *inet6? ' || true)
[ -z "$a" ] || fail "$FC_TB_APP_IF has a kernel address: $a"
[ "$(app cat "/proc/sys/net/ipv6/conf/$FC_TB_APP_IF/disable_ipv6")" = 1 ] ||
	fail "IPv6 is not disabled on $FC_TB_APP_IF"
a=$(ip -n "$FC_TB_SRV_NS" -4 -br addr show dev "$FC_TB_SRV_IF" | awk '{ print $3 }')
[ "$a" = 198.18.0.2/15 ] || fail "$FC_TB_SRV_IF address is '$a', expected 198.18.0.2/15"
for pair in "$FC_TB_APP_NS:$FC_TB_APP_IF" "$FC_TB_SRV_NS:$FC_TB_SRV_IF"; do
	ip netns exec "${pair%%:*}" ethtool -k "${pair#*:}" | grep -q '^tx-checksumming: off' ||
		fail "TX checksum offload is on on ${pair#*:}"
done
srv ethtool -k "$FC_TB_SRV_IF" | grep -q '^generic-segmentation-offload: off' ||
	fail "GSO is on on $FC_TB_SRV_IF: the DPDK port would see 64 KiB frames"
ok "links: $FC_TB_APP_IF up/promisc/no address, $FC_TB_SRV_IF $a, tx csum off on both"

# nginx: small body, byte for byte.
body=$(srv curl -s -m 5 -o - -w '|%{http_code}|%{size_download}' "http://$FC_TB_SRV_IP/")
[ "$body" = "hello from nginx
|200|17" ] || fail "GET / gave '$body'"
ok "GET / -> 200, 17 bytes 'hello from nginx\\n'"

# Keep-alive: curl reuses the connection for a second URL on the same host.
v=$(srv curl -s -v -m 5 -o /dev/null -o /dev/null "http://$FC_TB_SRV_IP/" "http://$FC_TB_SRV_IP/" 2>&1)
echo "$v" | grep -qi 're-using existing connection' || fail "nginx closed the keep-alive connection"
ok "keep-alive: second request reused the connection"

# The 1 MiB file: size, sha256 (known constant), and a byte range checked by content.
tmp=$(mktemp)
code=$(srv curl -s -m 10 -o "$tmp" -w '%{http_code}' "http://$FC_TB_SRV_IP/1m")
size=$(stat -c %s "$tmp")
sum=$(sha256sum "$tmp" | cut -d' ' -f1)
rm -f "$tmp"
[ "$code" = 200 ] || fail "GET /1m -> $code"
[ "$size" = 1048576 ] || fail "GET /1m: $size bytes, expected 1048576"
[ "$sum" = "$BIG_SHA256" ] || fail "GET /1m: sha256 $sum, expected $BIG_SHA256"
[ "$FC_TB_BIG_SHA256" = "$BIG_SHA256" ] || fail "testbed env FC_TB_BIG_SHA256 is $FC_TB_BIG_SHA256"
# Bytes 640000..640063 are line 10000, which starts with 640000 in hex (0009c400).
r=$(srv curl -s -m 5 -r 640000-640063 "http://$FC_TB_SRV_IP/1m")
[ "${r:0:23}" = "0009c400 line 10000 of " ] || fail "range 640000-640063 gave '$r'"
ok "GET /1m -> 200, 1048576 bytes, sha256 $sum; range request ok"

code=$(srv curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$FC_TB_SRV_IP/status/500")
[ "$code" = 500 ] || fail "GET /status/500 -> $code"
code=$(srv curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$FC_TB_SRV_IP/no/such/thing")
[ "$code" = 404 ] || fail "GET /no/such/thing -> $code"
e=$(srv curl -s -m 5 -A fc-test "http://$FC_TB_SRV_IP/echo?x=1")
[ "$e" = "method=GET uri=/echo?x=1 host=198.18.0.2 user_agent=fc-test content_length=" ] ||
	fail "GET /echo gave '$e'"
ok "GET /status/500 -> 500, unknown path -> 404, /echo -> '$e'"

# Echo (port 7) returns what it got; discard (port 9) accepts and returns nothing.
e=$(srv timeout 5 bash -c 'exec 3<>/dev/tcp/198.18.0.2/7; printf "ping-42\n" >&3; read -r -t 3 l <&3; echo "$l"')
[ "$e" = ping-42 ] || fail "echo server on :7 answered '$e'"
d=$(srv timeout 5 bash -c 'exec 3<>/dev/tcp/198.18.0.2/9; printf "into the void\n" >&3; exec 3>&-; echo sent')
[ "$d" = sent ] || fail "discard server on :9 did not accept a connection"
ok "echo :7 returned 'ping-42', discard :9 accepted"

# Nothing in the kernel answers for the appliance's address while no appliance runs.
p=$(srv ping -c 2 -i 0.2 -W 1 "$FC_TB_APP_IP" 2>&1)
echo "$p" | grep -q ' 0 received' || fail "something answered ping for $FC_TB_APP_IP: $p"
ok "no kernel answers for $FC_TB_APP_IP"

# down, twice; then nothing is left.
"$tb" down >/dev/null || fail "testbed down failed"
"$tb" down >/dev/null || fail "a second testbed down failed"
ip netns list | grep -E '^fc-(app|srv)( |$)' && fail "a namespace is left"
ip link show "$FC_TB_APP_IF" >/dev/null 2>&1 && fail "$FC_TB_APP_IF is left in the root namespace"
ip link show "$FC_TB_SRV_IF" >/dev/null 2>&1 && fail "$FC_TB_SRV_IF is left in the root namespace"
[ -e "$FC_TB_RUN_DIR" ] && fail "$FC_TB_RUN_DIR is left"
for pid in $nginx_pid $echo_pid $discard_pid; do
	# A zombie waiting for init to reap it is gone for our purposes.
	st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ] || fail "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) is left"
done
"$tb" status >/dev/null
rc=$?
[ $rc = 3 ] || fail "status exited $rc after down, expected 3"
ok "down twice: no namespace, veth, run dir or process left; status -> 3"
echo "PASS: testbed"
