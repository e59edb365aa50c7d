#!/usr/bin/env bash
# The appliance pair with no kernel in the path.
# usage: test_pair.sh SRCDIR FLASHCROWD embedded|memif|memif_close|many|thresholds
#   embedded  one process: client and server workers joined by net_ring; 10 s closed loop
#   memif     two processes: `serve` on memif_server, `run` on memif_client; 10 s closed loop
#   memif_close  two processes over memif, one connection per request (`run --close`, so
#             the server closes first and holds every connection's TIME_WAIT) at 1000
#             connections for 10 s: 0 errors, at least $FC_CPS_MIN (50000) connections/s
#             (below the 57k-508k this VM gave, loaded as it was; TIME_WAIT holding the
#             server's TCBs gave 7,100), no SYN dropped for want of a connection slot
#             (serve --json), and the server's TIME_WAITs handed their TCBs on
#   many      embedded, 20,000 connections, 4 requests in flight on each: more than the
#             request ring holds, so the run must show the server reading nothing while its
#             replies wait, the client holding requests back and frames held for a full
#             port, none lost, every connection opened once, 0 errors
#   thresholds  embedded: a failing threshold with --abort-on-fail stops early and exits 99,
#             a passing one exits 0; --hgrm writes an HdrHistogram percentile file
# Checks: 0 errors, every response 2xx, sent == completed + errors.total, no "internal
# error" line; embedded: no retransmission and no reset.
set -u
src=$1 fc=$2 mode=$3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $mode: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -40 "$f"; done; exit 1; }
command -v python3 >/dev/null || skip "python3 is needed to check the JSON report"
work=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

case $mode in
embedded)
	# Pipelined requests make the server send its replies as mbuf chains, which the ring
	# pair hands over as they are: a path real NICs and veths never exercise.
	"$fc" run --embedded -c 8 -d 10s --pipeline 4 --json "$work/p.json" >"$work/pipe.log" 2>&1 ||
		fail "pipelined run exited $?"
	python3 -c "import json,sys; q=json.load(open(sys.argv[1]))['requests']; sys.exit(0 if q['errors']['total'] == 0 and q['completed'] > 1000 else 1)" \
		"$work/p.json" || fail "pipelined run: errors or too few requests"
	"$fc" run --embedded -c 32 -d 10s --json "$work/r.json" >"$work/run.log" 2>&1 || fail "run exited $?"
	# The ring loses nothing: a retransmission or a reset is a bug (one was: the health
	# check left a connection open on the server, and the run's first connection on that
	# port was reset and waited 200 ms for its SYN to go again).
	python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['tcp']; sys.exit(0 if t['retransmits'] == 0 and t['resets_tx'] == 0 and t['resets_rx'] == 0 else 1)" \
		"$work/r.json" || fail "retransmissions or resets on the lossless ring"
	# The ring profile's rx_cksum marks frames good on the in-process ring, and the
	# summary says they were not summed; with it off, both sides sum every frame.
	grep -q 'checksums not summed: in-process ring' "$work/run.log" ||
		fail "the stock ring profile did not mark checksums good"
	sed 's/"rx_cksum": true/"rx_cksum": false/' "$src/drivers_cfg/ring.json" >"$work/ring-sw.json"
	grep -q '"rx_cksum": false' "$work/ring-sw.json" || fail "could not turn rx_cksum off"
	"$fc" run --profile "$work/ring-sw.json" -c 8 -d 10s --json "$work/sw.json" http://198.18.0.2/ \
		>"$work/sw.log" 2>&1 || fail "run with software checksums exited $?"
	grep -q ' 0 checksum errors' "$work/sw.log" || fail "software checksums: no count of errors"
	python3 -c "import json,sys; q=json.load(open(sys.argv[1]))['requests']; sys.exit(0 if q['errors']['total'] == 0 and q['completed'] > 1000 and q['sent'] == q['completed'] else 1)" \
		"$work/sw.json" || fail "software checksums: errors or too few requests"
	;;
memif)
	[ "$(id -u)" = 0 ] || skip "memif needs root for its socket and shared memory"
	name=fct$$
	"$fc" serve --profile "$src/drivers_cfg/memif_server.json" --iface "$name" \
		--local-ip 198.18.0.2/15 --peer 198.18.0.1 -d 40s >"$work/serve.log" 2>&1 &
	srv=$!
	# The server listens on the memif socket, then waits for the client to answer ARP.
	for _ in $(seq 100); do grep -q '^serve: waiting' "$work/serve.log" && break; kill -0 $srv 2>/dev/null || break; sleep 0.1; done
	"$fc" run --profile "$src/drivers_cfg/memif_client.json" --iface "$name" \
		--local-ip 198.18.0.1/15 -c 32 -d 10s --json "$work/r.json" http://198.18.0.2/ \
		>"$work/run.log" 2>&1 || fail "run exited $?"
	kill -INT $srv
	wait $srv || fail "serve exited $?"
	srv=
	grep -q '^serve: done:' "$work/serve.log" || fail "serve printed no summary"
	;;
memif_close)
	[ "$(id -u)" = 0 ] || skip "memif needs root for its socket and shared memory"
	name=fcc$$
	"$fc" serve --profile "$src/drivers_cfg/memif_server.json" --iface "$name" \
		--local-ip 198.18.0.2/15 --peer 198.18.0.1 -d 40s --json "$work/s.json" \
		>"$work/serve.log" 2>&1 &
	srv=$!
	for _ in $(seq 100); do grep -q '^serve: waiting' "$work/serve.log" && break; kill -0 $srv 2>/dev/null || break; sleep 0.1; done
	"$fc" run --profile "$src/drivers_cfg/memif_client.json" --iface "$name" \
		--local-ip 198.18.0.1/15 --close -c 1000 -d 10s --json "$work/r.json" \
		http://198.18.0.2/ >"$work/run.log" 2>&1 || fail "run exited $?"
	kill -INT $srv
	wait $srv || fail "serve exited $?"
	srv=
	grep -q '^serve: done:' "$work/serve.log" || fail "serve printed no summary"
	grep -q '^serve: tcp: .* SYNs dropped ([0-9]* for want of a connection slot)' "$work/serve.log" ||
		fail "serve's summary does not count SYNs dropped for want of a slot"
	python3 - "$work/r.json" "$work/s.json" "${FC_CPS_MIN:-50000}" <<'PY' || fail "connection rate checks"
import json, sys
r, s, floor = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
t = s["tcp"]
assert t["syn_no_slot"] == 0, "%d SYNs dropped for want of a connection slot" % t["syn_no_slot"]
# 10,000 TCBs (serve's default) and 1 s of TIME_WAIT: above 10,000 connections/s the oldest
# TIME_WAITs must have given their TCBs.
assert t["time_wait_reclaimed"] > 0, "no TIME_WAIT gave its TCB"
cps = r["tcp"]["connects"] / r["duration_s"]
# One request per connection; at most one per connection slot cut off by the end.
assert r["requests"]["completed"] <= r["tcp"]["connects"] <= r["requests"]["completed"] + 1000, \
    "%d connections for %d requests" % (r["tcp"]["connects"], r["requests"]["completed"])
assert cps >= floor, "%.0f connections/s, below the floor of %.0f" % (cps, floor)
print("%.0f connections/s, %d retransmissions; server: %d accepts, %d TIME_WAITs ended early "
      "for a slot, %d reopened by a newer SYN" % (cps, r["tcp"]["retransmits"], t["accepts"],
      t["time_wait_reclaimed"], t["time_wait_reuse"]))
PY
	;;
many)
	"$fc" run --embedded -c 20000 -d 12s --ramp-up 2s --pipeline 4 --json "$work/r.json" \
		>"$work/run.log" 2>&1 || fail "run exited $?"
	held=$(sed -n 's/.*frames waited for a full port, \([0-9]*\) passes read nothing.*/\1/p' \
		"$work/run.log")
	[ "${held:-0}" -gt 0 ] || fail "the server never held requests unread (got '${held}')"
	python3 - "$work/r.json" <<'PY' || fail "backpressure checks"
import json, sys
t = json.load(open(sys.argv[1]))["tcp"]
assert t["tx_deferred"] > 0, "the port never filled: the test does not exercise backpressure"
assert t["held_for_port"] > 0, "the client never held a request back for a full port"
assert t["tx_refused"] == 0, "%d frames lost before the wire" % t["tx_refused"]
assert t["mbuf_alloc_fails"] == 0, "%d mbuf allocation failures" % t["mbuf_alloc_fails"]
assert t["connects"] == 20000, "%d connects for 20000 connections (reconnects)" % t["connects"]
print("tx_deferred %d, retransmits %d" % (t["tx_deferred"], t["retransmits"]))
PY
	;;
thresholds)
	"$fc" run --embedded -c 8 -d 20s --threshold 'p99 < 1us' --abort-on-fail \
		--json "$work/fail.json" >"$work/fail.log" 2>&1
	rc=$?
	[ $rc = 99 ] || fail "a failed threshold exited $rc, want 99"
	grep -q 'stopped early: threshold failed' "$work/fail.log" || fail "abort_on_fail did not stop the run"
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r['duration_s'] < 5 else 1)" \
		"$work/fail.json" || fail "the run was not stopped early"
	"$fc" run --embedded -c 8 -d 10s --threshold 'errors < 1%' --threshold 'p50 < 1s' \
		--hgrm "$work/r.hgrm" --json "$work/r.json" >"$work/run.log" 2>&1 || fail "passing thresholds exited $?"
	grep -q 'threshold errors < 1%.*ok' "$work/run.log" || fail "threshold line missing"
	head -1 "$work/r.hgrm" | grep -q 'Value.*Percentile.*TotalCount' || fail ".hgrm header missing"
	grep -q '^#\[Max' "$work/r.hgrm" || fail ".hgrm footer missing"
	;;
*) fail "unknown mode" ;;
esac

python3 - "$work/r.json" <<'PY' || fail "report checks"
import json, sys
r = json.load(open(sys.argv[1]))
q = r["requests"]
assert q["sent"] == q["completed"] + q["errors"]["total"], "accounting invariant"
assert q["errors"]["total"] == 0, "errors: %r" % q["errors"]
assert q["completed"] > 1000, "only %d requests" % q["completed"]
assert r["status"]["2xx"] == q["completed"], "non-2xx responses"
cpr = [c["cycles_per_request"] for c in r["per_core"]]
assert all(0 < x < 1e7 for x in cpr), "cycles per request: %r" % cpr
print("completed %d, rps %.0f, p50 %.0fus, p99 %.0fus, %.0f cycles per request" % (q["completed"],
      r["throughput"]["rps"], r["latency_us"]["p50"], r["latency_us"]["p99"], cpr[0]))
PY
echo "PASS: $mode"
