#!/usr/bin/env python3
"""Counts one `meson test` run from its machine-readable log, for scripts/test.

usage: testlog.py [--ci] [--expected-skips FILE] [--label LABEL] TESTLOG.json

TESTLOG.json is meson's build/meson-logs/<logbase>.json: one JSON object per line, one line
per test, with "name" ("project:suite / test") and "result" (OK, FAIL, SKIP, TIMEOUT,
EXPECTEDFAIL, UNEXPECTEDPASS, ERROR, ...) and "stdout" (the test's output).

  passed  = OK + EXPECTEDFAIL
  skipped = SKIP
  failed  = everything else, and with --ci every skip that FILE does not expect

A skipping test prints its reason on a line "SKIP: <reason>". FILE lists the skips CI
accepts, one per line: the test's name, blanks, then a Python regular expression that one of
its SKIP lines must match (re.search). A skip with no SKIP line, a skip of a test not in FILE,
or a skip whose reason does not match is unexpected. Blank lines and lines starting with #
are ignored; a malformed line or pattern is an error (exit status 2).

Prints one line per failed, unexpected or expected skip, naming the test, then a last line
"counts PASSED FAILED SKIPPED". Exit status 0, or 2 when the log or FILE cannot be read.
"""
import argparse
import json
import re
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def load_expected(path):
    expected = {}
    with open(path, encoding="utf-8") as f:
        for num, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or not parts[1].strip():
                raise ValueError("%s:%d: expected 'test-name  reason-pattern', got %r"
                                 % (path, num, line))
            try:
                pattern = re.compile(parts[1].strip())
            except re.error as e:
                raise ValueError("%s:%d: bad pattern %r: %s" % (path, num, parts[1], e))
            expected.setdefault(parts[0], []).append(pattern)
    return expected


def short_name(name):
    # "flashcrowd:integration / testbed_netem" -> "testbed_netem"
    return name.split(" / ", 1)[-1]


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--ci", action="store_true", help="a skip FILE does not expect fails")
    ap.add_argument("--expected-skips", metavar="FILE")
    ap.add_argument("--label", default="", help="prefix for the names printed")
    ap.add_argument("log")
    a = ap.parse_args()

    try:
        expected = load_expected(a.expected_skips) if a.expected_skips else {}
    except (OSError, ValueError) as e:
        print("test: expected skips: %s" % e)
        return 2
    label = a.label + ": " if a.label else ""
    passed = failed = skipped = 0
    try:
        lines = open(a.log, encoding="utf-8").read().splitlines()
    except OSError as e:
        print("test: %s" % e)
        return 2
    for raw in lines:
        if not raw.strip():
            continue
        t = json.loads(raw)
        name, result = short_name(t.get("name", "?")), t.get("result", "?")
        if result in PASSED:
            passed += 1
            continue
        if result not in SKIPPED:
            failed += 1
            print("test: failed: %s%s (%s)" % (label, name, result))
            continue
        reasons = [m.group(1).strip() for m in
                   re.finditer(r"^SKIP: (.*)$", t.get("stdout") or "", re.M)]
        shown = "; ".join(reasons) if reasons else "no 'SKIP: reason' line"
        forgiven = any(p.search(r) for p in expected.get(name, []) for r in reasons)
        if a.ci and not forgiven:
            failed += 1
            src = a.expected_skips or "the expected skips"
            why = ("its reason does not match %s" % src if name in expected
                   else "not in %s" % src)
            print("test: failed: %s%s skipped unexpectedly (%s): %s" % (label, name, why, shown))
        else:
            skipped += 1
            print("test: skipped: %s%s%s: %s" % (label, name, " (expected)" if forgiven else "",
                                                 shown))
    print("counts %d %d %d" % (passed, failed, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
