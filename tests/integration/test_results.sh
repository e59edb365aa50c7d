#!/usr/bin/env bash
# Result files that last (issue 22), on the embedded pair (no NIC, no namespace).
# usage: test_results.sh SRCDIR FLASHCROWD cli|hlog|compare
#   cli      bad input to merge, compare and run's new flags: exit 2, a message naming the
#            file or field (and value, bound); nothing runs, so no root and no EAL
#   hlog     --hlog read by the reference implementation (Debian's libhdrhistogram-java,
#            HistogramLogProcessor): the same total count as our report and the same
#            percentile table as our .hgrm at 3 significant digits, closed loop (untagged
#            lines) and open loop (Tag=corrected, Tag=uncorrected)
#   compare  a run against itself: "same" everywhere, exit 0; against a run whose responses
#            are delayed 20 us at the port (--impair-rx 'delay 20us'): p50 "worse", exit 99,
#            the same through run --baseline; merge of two runs adds the counts exactly
set -u
src=$1 fc=$2 mode=$3
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $mode: $*"
	for f in "$work"/*.log "$work"/*.txt; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
	exit 1
}
command -v python3 >/dev/null || skip "python3 is needed to read the JSON results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src" || fail "no source dir"

# expect_input_error "MESSAGE" CMD ARGS...: exit 2 and MESSAGE on stderr.
expect_input_error() {
	local want=$1 out rc
	shift
	out=$("$fc" "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 2 ] && grep -qF -- "$want" <<<"$out" ||
		fail "$* -> exit $rc, want 2 and '$want'; got: $out"
}

case $mode in
cli)
	printf '{"requests": {"sent": 1}}\n' >"$work/other.json"
	printf '{"format": 1, "requests": {"sent": 5, "completed": 5, "errors": {"total' >"$work/cut.json"
	printf '{"format": 7}\n' >"$work/v7.json"
	printf '' >"$work/empty.json"
	expect_input_error "$work/none.json: cannot open: No such file or directory" \
		compare "$work/none.json" "$work/other.json"
	expect_input_error "$work/other.json: not a flashcrowd result file (no \"format\" field" \
		compare "$work/other.json" "$work/other.json"
	expect_input_error "$work/cut.json: not a complete JSON document" \
		compare "$work/cut.json" "$work/cut.json"
	expect_input_error "$work/v7.json: format: 7 is not supported (this flashcrowd reads format 1)" \
		merge -o "$work/m.json" "$work/v7.json"
	expect_input_error "$work/empty.json: empty file" merge -o "$work/m.json" "$work/empty.json"
	expect_input_error "tolerance: \"150%\": 150% is above the limit 100%" \
		compare --tolerance 150% "$work/other.json" "$work/other.json"
	expect_input_error "tolerance: \"p99=-5%\": -5% is below the limit 0%" \
		compare --tolerance p99=-5% "$work/other.json" "$work/other.json"
	expect_input_error "unknown metric \"p42\"" compare --tolerance p42=5% a b
	expect_input_error "--alpha: \"0.5\" is outside 0.001..0.2" compare --alpha 0.5 a b
	expect_input_error "compare takes two result files (BASE NEW), got 1" compare a
	expect_input_error "--new: no result file" compare --base a
	expect_input_error "-o/--output: missing" merge a b
	# run: every new flag checked before EAL starts, all errors at once
	expect_input_error "tolerance: \"200%\": 200% is above the limit 100%" \
		run --embedded --baseline "$work/other.json" --tolerance 200%
	expect_input_error "baseline: $work/none.json: cannot open" run --embedded --baseline "$work/none.json"
	expect_input_error "baseline: $work/other.json: not a flashcrowd result file" \
		run --embedded --baseline "$work/other.json"
	expect_input_error "tolerance: only meaningful with --baseline FILE" run --embedded --tolerance 5%
	expect_input_error "--tag: \"novalue\" is not KEY=VALUE" run --embedded --tag novalue
	expect_input_error "--tag: key \"a b\": only letters, digits" run --embedded --tag 'a b=1'
	python3 -c 'import json; print(json.dumps({"tags": {"k%d" % i: "v" for i in range(17)}}))' \
		>"$work/tags.json"
	expect_input_error "more than the limit of 16 tags" run --embedded --scenario "$work/tags.json"
	echo '{"baseline": {"file": "x.json", "tolerance": [5]}}' >"$work/tol.json"
	expect_input_error "baseline.tolerance[0]: 5 is not a string" run --embedded --scenario "$work/tol.json"
	;;
hlog)
	java=$(command -v java) || skip "java is missing (apt-get install default-jre-headless libhdrhistogram-java)"
	jar=/usr/share/java/hdrhistogram.jar
	[ -f "$jar" ] || skip "$jar is missing (apt-get install libhdrhistogram-java)"
	check() { # NAME TAG (empty: untagged)
		local name=$1 tag=$2
		"$java" -cp "$jar" org.HdrHistogram.HistogramLogProcessor -i "$work/$name.hlog" \
			${tag:+-tag "$tag"} -outputValueUnitRatio 1000 >"$work/$name-$tag.txt" 2>&1 ||
			fail "HistogramLogProcessor failed on $name.hlog"
		python3 - "$work/$name.json" "$work/$name.hgrm" "$work/$name-$tag.txt" "$tag" <<'PY' ||
import json, math, re, sys
res, hgrm, ref, tag = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), open(sys.argv[3]).read(), sys.argv[4]

def table(text):
    rows = [tuple(float(x) for x in l.split()[:3]) for l in text.splitlines()
            if re.match(r"^\s*[0-9.]+\s+[0-9.]+\s+[0-9]+", l)]
    total = int(re.search(r"Total count\s*=\s*(\d+)", text).group(1))
    return rows, total

def sig3(v):
    return float("%.3g" % v)

hist = "uncorrected" if tag == "uncorrected" else "corrected"
want_count = res["histograms"][hist]["count"]
jrows, jtotal = table(ref)
assert jtotal == want_count, "Java: total count %d, our report %d" % (jtotal, want_count)
if hist == "corrected":
    assert want_count == res["latency_us"]["count"] > 1000, "count %d" % want_count
    rows, total = table(hgrm)
    assert total == jtotal, ".hgrm total %d, Java %d" % (total, jtotal)
    assert len(rows) == len(jrows), "%d rows in .hgrm, %d from Java" % (len(rows), len(jrows))
    mx = res["latency_us"]["max"]
    for (v, p, c), (jv, jp, jc) in zip(rows, jrows):
        # .hgrm prints percentiles with 6 decimals (HdrHistogram_c), Java with 12
        assert abs(p - jp) < 1e-6 and c == jc, "row %r vs Java %r" % ((v, p, c), (jv, jp, jc))
        if v == mx:  # ours is the exact max, Java's the top of the max's bucket
            assert abs(v - jv) <= jv / 1024 + 0.001, "max row %r vs %r" % (v, jv)
        else:
            assert sig3(v) == sig3(jv), "value at %.6f: ours %.3f, Java %.3f" % (p, v, jv)
    # The report's own percentiles, where Java's table has a row at that exact level.
    for key, level in (("p50", 0.5), ("p90", 0.9)):
        jv = [r[0] for r in jrows if abs(r[1] - level) < 1e-9]
        assert jv and sig3(jv[0]) == sig3(res["latency_us"][key]), \
            "%s: ours %r, Java %r" % (key, res["latency_us"][key], jv)
print("%s %s: Java reads %d values, %d rows agree" % (sys.argv[1].split("/")[-1], tag or "untagged",
      jtotal, len(jrows)))
PY
		fail "$name ${tag:-untagged}: the reference implementation disagrees"
	}
	"$fc" run --embedded -c 8 -d 10s --hlog "$work/closed.hlog" --hgrm "$work/closed.hgrm" \
		--json "$work/closed.json" >"$work/closed.log" 2>&1 || fail "closed-loop run exited $?"
	head -3 "$work/closed.hlog" | grep -q '^#\[Histogram log format version 1.3\]' || fail "hlog header"
	grep -q '^#\[StartTime: [0-9]*\.[0-9]* (seconds since epoch), 20' "$work/closed.hlog" || fail "StartTime"
	! grep -q '^Tag=' "$work/closed.hlog" || fail "closed loop: tagged lines"
	check closed ""
	"$fc" run --embedded -c 8 -R 20k -d 10s --hlog "$work/open.hlog" --hgrm "$work/open.hgrm" \
		--json "$work/open.json" >"$work/open.log" 2>&1 || fail "open-loop run exited $?"
	grep -q '^Tag=corrected,' "$work/open.hlog" || fail "open loop: no Tag=corrected line"
	grep -q '^Tag=uncorrected,' "$work/open.hlog" || fail "open loop: no Tag=uncorrected line"
	check open corrected
	check open uncorrected
	;;
compare)
	"$fc" run --embedded -c 8 -d 10s --tag build=a --json "$work/a.json" >"$work/a.log" 2>&1 ||
		fail "run a exited $?"
	"$fc" run --embedded -c 8 -d 10s --tag build=slow --impair-rx 'delay 20us' \
		--json "$work/slow.json" >"$work/slow.log" 2>&1 || fail "delayed run exited $?"
	"$fc" compare "$work/a.json" "$work/a.json" >"$work/self.txt" 2>&1
	rc=$?
	[ $rc = 0 ] || fail "compare against itself exited $rc"
	[ "$(grep -cE '^(rps|p50|p90|p99|p99\.9|errors) .* same$' "$work/self.txt")" = 6 ] ||
		fail "compare against itself: not 'same' on all six metrics"
	"$fc" compare "$work/a.json" "$work/slow.json" >"$work/slow.txt" 2>&1
	rc=$?
	[ $rc = 99 ] || fail "compare against the delayed run exited $rc, want 99"
	grep -qE '^p50 .* worse$' "$work/slow.txt" || fail "delayed run: p50 not worse"
	"$fc" compare --json "$work/a.json" "$work/slow.json" >"$work/slow-json.txt" 2>/dev/null
	[ $? = 99 ] || fail "compare --json: exit code"
	python3 - "$work/slow-json.txt" <<'PY' || fail "compare --json"
import json, sys
c = json.load(open(sys.argv[1]))
m = {x["metric"]: x for x in c["metrics"]}
assert m["p50"]["verdict"] == "worse" and m["p50"]["significant"], m["p50"]
assert m["p50"]["change_pct"] > 5, m["p50"]
assert c["test"] == "mann-whitney-u" and c["samples"] == "intervals"
PY
	# The same verdict from the run itself.
	"$fc" run --embedded -c 8 -d 10s --impair-rx 'delay 20us' --baseline "$work/a.json" \
		--tolerance p99=50% >"$work/baseline.log" 2>&1
	rc=$?
	[ $rc = 99 ] || fail "run --baseline with a regression exited $rc, want 99"
	grep -qE '^p50 .* worse$' "$work/baseline.log" || fail "run --baseline: no p50 worse line"
	# The threshold column: the tolerance, or a wider noise band; never below 50% here.
	python3 - "$work/baseline.log" <<'PY' || fail "run --baseline: --tolerance p99=50% not applied"
import re, sys
m = [re.search(r"\)\s+([0-9.]+)%", l) for l in open(sys.argv[1]) if l.startswith("p99 ")]
assert m and m[0] and float(m[0].group(1)) >= 50, m
PY
	# Merge: counts add exactly; the tags both runs share are kept, the others dropped.
	"$fc" merge "$work/a.json" "$work/slow.json" -o "$work/m.json" >"$work/merge.log" 2>&1 ||
		fail "merge exited $?"
	python3 - "$work/a.json" "$work/slow.json" "$work/m.json" <<'PY' || fail "merge checks"
import json, sys
a, b, m = (json.load(open(f)) for f in sys.argv[1:])
for k in ("sent", "completed"):
    assert m["requests"][k] == a["requests"][k] + b["requests"][k], k
assert m["histograms"]["corrected"]["count"] == a["histograms"]["corrected"]["count"] + \
    b["histograms"]["corrected"]["count"]
assert m["format"] == 1 and "build" not in m["meta"]["tags"], m["meta"]
assert len(m["meta"]["merged_from"]) == 2
assert a["latency_us"]["p50"] <= m["latency_us"]["p50"] <= b["latency_us"]["p50"]
print("merged %d requests, p50 %.3f us" % (m["requests"]["completed"], m["latency_us"]["p50"]))
PY
	# Merging a file of another scenario is refused, naming the field; --force merges.
	sed 's/"connections":\t8,/"connections":\t9,/' "$work/a.json" >"$work/c9.json"
	expect_input_error "different scenarios: load.connections: 8 vs 9 (use --force" \
		merge "$work/a.json" "$work/c9.json" -o "$work/m2.json"
	"$fc" merge --force "$work/a.json" "$work/c9.json" -o "$work/m2.json" >/dev/null 2>&1 ||
		fail "merge --force exited $?"
	"$fc" compare "$work/a.json" "$work/c9.json" 2>&1 | grep -q 'warning: the scenarios differ: .*load.connections: 8 vs 9' ||
		fail "compare of different scenarios: no warning"
	# A truncated file: exit 2, naming the file.
	head -c 2000 "$work/a.json" >"$work/cut.json"
	expect_input_error "$work/cut.json: not a complete JSON document" compare "$work/a.json" "$work/cut.json"
	;;
*) fail "unknown mode" ;;
esac
echo "PASS: $mode"
