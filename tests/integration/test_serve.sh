#!/usr/bin/env bash
# `flashcrowd serve` on the test bench, answering the Linux kernel's clients (curl, wrk,
# and a raw pipelined burst through socat) from the fc-srv namespace, and a connection
# still open when serve stops gets an RST.
# The appliance serves scenarios/serve/routes.json on af_packet at 198.18.0.1.
# usage: test_serve.sh SRCDIR FLASHCROWD
set -u
src=$1 fc=$2
skip() { echo "SKIP: $*"; exit 77; }
work=$(mktemp -d)
pid=
fail() { echo "FAIL: $*"; sed 's/^/  | /' "$work/serve.log" | tail -20; exit 1; }
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in curl wrk socat; do command -v $t >/dev/null || skip "$t is not installed"; done
tb_out=$("$src/scripts/testbed" up 2>&1 >/dev/null) || { rc=$?; [ $rc = 77 ] && skip "$tb_out"; fail "testbed up ($rc): $tb_out"; }
eval "$("$src/scripts/testbed" env)"
ip -n "$FC_TB_SRV_NS" neigh flush dev "$FC_TB_SRV_IF"

ip netns exec "$FC_TB_APP_NS" "$fc" serve --profile "$src/drivers_cfg/af_packet.json" \
	--iface "$FC_TB_APP_IF" --local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN" --peer "$FC_TB_SRV_IP" \
	--routes "$src/scenarios/serve/routes.json" -d 60s >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^serve: http' "$work/serve.log" && break; sleep 0.1; done
grep -q '^serve: http' "$work/serve.log" || fail "serve did not start"
in_srv() { ip netns exec "$FC_TB_SRV_NS" "$@"; }
base=http://$FC_TB_APP_IP

# Body bytes: the generated 100-byte body and the 1 MiB one, exact lengths, keep-alive reuse.
n=$(in_srv curl -s --max-time 10 "$base/" | wc -c)
[ "$n" = 100 ] || fail "GET / gave $n bytes, want 100"
n=$(in_srv curl -s --max-time 20 "$base/big" | wc -c)
[ "$n" = 1048576 ] || fail "GET /big gave $n bytes, want 1048576"
out=$(in_srv curl -sv --max-time 10 "$base/" "$base/api/x" 2>&1)
grep -q 'Re-using existing connection' <<<"$out" || fail "curl did not reuse the keep-alive connection"
grep -q '{"ok":true}' <<<"$out" || fail "/api/* route body missing"

# Chunked: curl decodes it; the raw response carries the chunk framing.
n=$(in_srv curl -s --max-time 10 "$base/chunked" | wc -c)
[ "$n" = 65536 ] || fail "GET /chunked decoded to $n bytes, want 65536"
in_srv curl -s --raw -D "$work/h" --max-time 10 "$base/chunked" -o "$work/raw"
grep -qi '^transfer-encoding: chunked' "$work/h" || fail "no Transfer-Encoding: chunked header"
[ "$(head -n 1 "$work/raw")" = $'4000\r' ] || fail "first chunk is not 16 KiB (4000 hex)"

# Status codes and a 404 for an unknown path.
[ "$(in_srv curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base/error")" = 503 ] || fail "/error is not 503"
[ "$(in_srv curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base/nope")" = 404 ] || fail "unknown path is not 404"

# Pipelining: three requests in one write, three responses back in order.
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /api/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /empty HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' |
	in_srv timeout 10 socat -t 5 - "TCP:$FC_TB_APP_IP:80" >"$work/pipe"
codes=$(grep -ao 'HTTP/1.1 [0-9]*' "$work/pipe" | awk '{print $2}' | tr '\n' ' ')
[ "$codes" = "200 200 204 " ] || fail "pipelined responses: got '$codes', want '200 200 204 '"

# Load from the kernel: wrk against the userspace server, no errors.
in_srv wrk -t1 -c16 -d3s "$base/" >"$work/wrk" 2>&1 || fail "wrk failed"
grep -q 'Socket errors' "$work/wrk" && fail "wrk saw socket errors: $(grep 'Socket errors' "$work/wrk")"
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk")
awk -v r="$rps" 'BEGIN {exit !(r > 1000)}' || fail "wrk got only $rps req/s"

# A keep-alive client still connected when serve stops is told so (an RST), not left to
# its own keep-alive timeout.
in_srv python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 80), timeout=5)
c.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
got = b""
while len(got) < 100 or b"\r\n\r\n" not in got:
    got += c.recv(4096)
print("answered", flush=True)
c.settimeout(15)
try:
    print("eof" if c.recv(4096) == b"" else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("still open")
' "$FC_TB_APP_IP" >"$work/idle" 2>&1 &
idle=$!
for _ in $(seq 50); do grep -q answered "$work/idle" && break; sleep 0.1; done
grep -q answered "$work/idle" || fail "the idle client got no response: $(cat "$work/idle")"

kill -INT $pid
wait $pid || fail "serve exited $?"
pid=
wait $idle
[ "$(tail -n 1 "$work/idle")" = reset ] || fail "the idle keep-alive client, after serve stopped: $(tail -n 1 "$work/idle"), want reset"
grep -q '^serve: done:' "$work/serve.log" || fail "no final summary"
echo "wrk -t1 -c16 against flashcrowd serve: $rps req/s; $(grep '^serve: done' "$work/serve.log")"
echo "PASS: serve"
