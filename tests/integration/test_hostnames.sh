#!/usr/bin/env bash
# Target host names through the real CLI. The names come from a hosts file of the test's
# own: each flashcrowd command runs in a private mount namespace (unshare -m) where that
# file is bind-mounted over /etc/hosts and an empty one over /etc/resolv.conf, so the real
# files are never touched and no name goes to a real DNS server.
#   fc-bench.test   -> 198.18.0.2 (the bench's server)
#   fc-outside.test -> 192.0.2.10 (TEST-NET-1: outside the allow-list)
#   fc-nowhere.test    (in no hosts file; DNS has no server: does not resolve)
# Checks:
#   run http://fc-bench.test:PORT/ against a server in fc-srv that answers 200 only when the
#   request's Host is fc-bench.test:PORT (421 otherwise): every response 2xx, 0 errors;
#   replay of a capture (two GETs with Host: captured.test) at http://fc-bench.test:PORT/:
#   both 2xx (Host became the name); with --original-host both 421 (the captured Host kept);
#   a name that does not resolve (run, replay, validate): exit 2, one message naming
#   target.host and the name, and not a frame sent on the bench;
#   a name that resolves outside the allow-list: exit 2, the message names the address;
#   validate on a scenario file whose target is a name from the hosts file: valid.
set -u
src=$1 fc=$2
skip() { echo "SKIP: $*"; exit 77; }
work=$(mktemp -d)
log=$work/out.log
fail() { echo "FAIL: hostnames: $*"; [ -f "$log" ] && sed 's/^/  | /' "$log" | tail -30; exit 1; }
ok() { echo "ok: $*"; }
[ "$(id -u)" = 0 ] || skip "needs root for network and mount namespaces"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
command -v python3 >/dev/null || skip "python3 is needed for the Host-checking server"
"$src/scripts/testbed" up >/dev/null || { rc=$?; [ $rc = 77 ] && skip "no netns support"; fail "testbed up ($rc)"; }
eval "$("$src/scripts/testbed" env)"
server="" tcpd=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	[ -n "$tcpd" ] && kill "$tcpd" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

printf '127.0.0.1 localhost\n%s fc-bench.test\n192.0.2.10 fc-outside.test\n' "$FC_TB_SRV_IP" >"$work/hosts"
: >"$work/resolv.conf"
# with_names CMD...: CMD with the test's hosts file and no DNS server. `ip netns exec`
# inside keeps these mounts (its own mount namespace starts as a copy of this one).
with_names() {
	unshare -m --propagation private sh -c \
		'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
		"$work/hosts" "$work/resolv.conf" "$@"
}
out=$(with_names getent ahostsv4 fc-bench.test 2>&1) || skip "cannot bind-mount a hosts file in a mount namespace: $out"
[ "$(echo "$out" | awk 'NR == 1 { print $1 }')" = "$FC_TB_SRV_IP" ] || fail "the hosts file is not used: $out"
getent hosts fc-bench.test >/dev/null && fail "fc-bench.test resolves outside the test's mount namespace"
ok "fc-bench.test is $FC_TB_SRV_IP only inside the test's mount namespace"

port=8091
ip netns exec "$FC_TB_SRV_NS" timeout 60 python3 -c '
import http.server, sys
want = sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        host = self.headers.get("Host", "")
        body = ("host %s\n" % host).encode()
        self.send_response(200 if host == want else 421)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
' "$FC_TB_SRV_IP" $port "fc-bench.test:$port" 2>"$work/server.log" &
server=$!
for _ in $(seq 50); do
	ip netns exec "$FC_TB_SRV_NS" ss -Hltn "src $FC_TB_SRV_IP:$port" | grep -q . && break
	sleep 0.1
done
code=$(ip netns exec "$FC_TB_SRV_NS" curl -s -o /dev/null -w '%{http_code}' -H "Host: $FC_TB_SRV_IP:$port" "http://$FC_TB_SRV_IP:$port/")
[ "$code" = 421 ] || fail "the Host-checking server answered $code to another Host (want 421)"

port_opts=(--profile "$src/drivers_cfg/af_packet.json" --iface "$FC_TB_APP_IF"
	--local-ip "$FC_TB_APP_IP/$FC_TB_PREFIX_LEN")
json=$work/report.json
with_names ip netns exec "$FC_TB_APP_NS" timeout 60 "$fc" run "${port_opts[@]}" --json "$json" \
	-c 2 -d 10s "http://fc-bench.test:$port/" >"$log" 2>&1 || fail "run http://fc-bench.test:$port/: exit $?"
grep -qx "  fc-bench.test resolved to $FC_TB_SRV_IP" "$log" || fail "run's header does not say what fc-bench.test resolved to"
r=$(python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
q, s = r["requests"], r["status"]
ok = q["completed"] > 0 and s["2xx"] == q["completed"] and q["errors"]["total"] == 0 and \
    q["sent"] == q["completed"] + q["errors"]["total"]
print(q["completed"], s["2xx"], s["4xx"], q["errors"]["total"])
sys.exit(0 if ok else 1)
PY
) || fail "run against fc-bench.test: completed, 2xx, 4xx, errors = $r"
ok "run http://fc-bench.test:$port/: $(echo "$r" | cut -d' ' -f1) responses, all 200 (the server saw Host: fc-bench.test:$port)"

# replay: a capture of two GETs sent with Host: captured.test (curl in fc-srv, over lo).
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
ip netns exec "$FC_TB_SRV_NS" timeout 30 tcpdump -i lo -U --immediate-mode -B 65536 \
	-w "$work/cap.pcap" "tcp port $port" 2>"$work/tcpdump.err" &
tcpd=$!
for _ in $(seq 50); do grep -q listening "$work/tcpdump.err" && break; sleep 0.1; done
ip netns exec "$FC_TB_SRV_NS" curl -s -o /dev/null -o /dev/null -H 'Host: captured.test' \
	"http://$FC_TB_SRV_IP:$port/a" "http://$FC_TB_SRV_IP:$port/b" || fail "curl for the capture failed"
sleep 1
kill -INT "$tcpd"
wait "$tcpd"
tcpd=
replay_status() {
	rm -f "$json"
	with_names ip netns exec "$FC_TB_APP_NS" timeout 60 "$fc" replay --pcap "$work/cap.pcap" \
		"${port_opts[@]}" --json "$json" "$@" "http://fc-bench.test:$port/" >"$log" 2>&1 ||
		fail "replay $*: exit $?"
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(r["requests"]["completed"], r["requests"]["errors"]["total"], r["status"]["2xx"], r["status"]["4xx"])' "$json"
}
r=$(replay_status)
[ "$r" = "2 0 2 0" ] || fail "replay at http://fc-bench.test:$port/: completed, errors, 2xx, 4xx = $r (want 2 0 2 0)"
grep -qx "  fc-bench.test resolved to $FC_TB_SRV_IP" "$log" || fail "replay's header does not say what fc-bench.test resolved to"
r=$(replay_status --original-host)
[ "$r" = "2 0 0 2" ] || fail "replay --original-host: completed, errors, 2xx, 4xx = $r (want 2 0 0 2)"
ok "replay at http://fc-bench.test:$port/: Host became the name (2 x 200); --original-host kept captured.test (2 x 421)"

# nothing_sent CMD...: CMD exits 2 and not a frame reaches the server's veth meanwhile.
frames() { ip netns exec "$FC_TB_SRV_NS" cat "/sys/class/net/$FC_TB_SRV_IF/statistics/rx_packets"; }
exits2() {
	local want=$1 before after rc
	shift
	before=$(frames)
	with_names ip netns exec "$FC_TB_APP_NS" timeout 60 "$@" >"$log" 2>&1
	rc=$?
	after=$(frames)
	[ $rc = 2 ] || fail "$2 ... exited $rc, expected 2"
	grep -qF "$want" "$log" || fail "$2: no message '$want'"
	[ "$after" = "$before" ] || fail "$2: $((after - before)) frames reached $FC_TB_SRV_IF"
}
msg='error: target.host: fc-nowhere.test does not resolve to an IPv4 address'
exits2 "$msg" "$fc" run "${port_opts[@]}" -c 2 -d 10s http://fc-nowhere.test/
ok "run http://fc-nowhere.test/: exit 2, '$(grep -m1 target.host "$log")', nothing sent"
exits2 "$msg" "$fc" replay --pcap "$work/none.pcap" "${port_opts[@]}" http://fc-nowhere.test/
ok "replay http://fc-nowhere.test/: exit 2, nothing sent"
exits2 'error: target.host: fc-outside.test (resolved to 192.0.2.10) is outside the allow-list' \
	"$fc" run "${port_opts[@]}" -c 2 -d 10s http://fc-outside.test/
ok "run http://fc-outside.test/: exit 2, the allow-list is checked on 192.0.2.10"

printf '{"target": "http://fc-bench.test/", "load": {"connections": 4, "duration": "10s"}}\n' >"$work/s.json"
with_names "$fc" validate "$work/s.json" >"$log" 2>&1 || fail "validate with target fc-bench.test: exit $?"
printf '{"target": "http://fc-nowhere.test/"}\n' >"$work/n.json"
with_names "$fc" validate "$work/n.json" >"$log" 2>&1
rc=$?
[ $rc = 2 ] && grep -qF "$msg" "$log" || fail "validate with target fc-nowhere.test: exit $rc"
ok "validate: a named target from the hosts file is valid, an unknown one exits 2"
echo "PASS: hostnames"
