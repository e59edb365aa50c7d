#!/usr/bin/env bash
# The reference pages stay true to the binary:
#  - every ```console block of docs/*.md is run from the repository's top folder with
#    `flashcrowd` being the built binary: each "$ COMMAND" line's output (stdout and stderr)
#    and its "[exit N]" line must be exactly as the page shows them;
#  - every long option that `flashcrowd COMMAND --help` lists is in docs/cli.md;
#  - every key the JSON report can hold (lib/stats/report.c, the error names of
#    lib/stats/stats.c, the counters the commands set) is in docs/result-json.md, and the
#    example there is valid JSON whose keys are all on the page.
# No root and no port: the examples that run stop before EAL starts.
# usage: test_docs.sh FLASHCROWD SRCDIR
set -u
fc=${1:?usage: test_docs.sh FLASHCROWD SRCDIR}
src=${2:?usage: test_docs.sh FLASHCROWD SRCDIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$fc" "$work/bin/flashcrowd"
failures=0 ran=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cd "$src" || exit 1

# 1. The console examples. extract.py writes one directory per command: cmd, want.
python3 - "$work/ex" docs/*.md <<'PY' || { echo "FAIL: cannot extract the examples"; exit 1; }
import os, re, sys
out, pages = sys.argv[1], sys.argv[2:]
n = 0
for page in pages:
    lines = open(page, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        i += 1
        block_start = i
        cur = None
        while i < len(lines) and lines[i].strip() != "```":
            l = lines[i]
            if l.startswith("$ "):
                if cur is not None:
                    sys.exit("%s:%d: a command without its [exit N] line" % (page, cur[0]))
                cur = (i + 1, l[2:], [])
            elif cur is None:
                sys.exit("%s:%d: output before any '$ ' line" % (page, i + 1))
            elif re.fullmatch(r"\[exit \d+\]", l):
                d = os.path.join(out, "%03d" % n)
                os.makedirs(d)
                open(os.path.join(d, "where"), "w").write("%s:%d" % (page, cur[0]))
                open(os.path.join(d, "cmd"), "w").write(cur[1])
                open(os.path.join(d, "want"), "w").write("\n".join(cur[2] + [l]) + "\n")
                n += 1
                cur = None
            else:
                cur[2].append(l)
            i += 1
        if cur is not None:
            sys.exit("%s:%d: a command without its [exit N] line" % (page, cur[0]))
        i += 1
print("examples: %d" % n)
PY
for d in "$work"/ex/*/; do
	[ -d "$d" ] || continue
	ran=$((ran + 1))
	PATH="$work/bin:$PATH" timeout 20 bash -c "$(cat "$d/cmd")" >"$d/got" 2>&1
	echo "[exit $?]" >>"$d/got"
	if ! cmp -s "$d/want" "$d/got"; then
		fail "$(cat "$d/where"): \$ $(cat "$d/cmd")"
		diff -u "$d/want" "$d/got" | sed 's/^/  | /'
	fi
done
[ $ran -ge 10 ] || fail "only $ran console examples found in docs/*.md"

# 2. Every long option of every command's --help is in docs/cli.md.
for cmd in run validate serve xfer replay up; do
	"$fc" "$cmd" --help >"$work/help" 2>&1 || fail "flashcrowd $cmd --help exited $?"
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$work/help" | sort -u); do
		grep -qE -- "\`(-[a-zA-Z], \`)?$opt([ =\`]|\$)" docs/cli.md ||
			fail "docs/cli.md does not document '$cmd $opt'"
	done
done

# 3. docs/result-json.md lists every key the report can hold, and its example is true JSON.
python3 - docs/result-json.md lib/stats/report.c lib/stats/stats.c app/flashcrowd/*.c <<'PY' ||
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
report = open(sys.argv[2], encoding="utf-8").read()
stats = open(sys.argv[3], encoding="utf-8").read()
apps = "".join(open(p, encoding="utf-8").read() for p in sys.argv[4:])
documented = set(re.findall(r"`([A-Za-z0-9_.]+)`", page))
documented |= {k.split(".")[-1] for k in documented}
keys = set(re.findall(r'add_num\(\w+, "([a-z0-9_]+)"', report))
keys |= set(re.findall(r'cJSON_Add\w*ToObject\(\w+, "([a-z0-9_]+)"', report))
m = re.search(r"lat_key\[\] = \{([^}]*)\}", report)
keys |= set(re.findall(r'"([a-z0-9_]+)"', m.group(1))) if m else {"<lat_key not found>"}
keys |= set(re.findall(r'"([a-z0-9_]+)", t->status', report))
m = re.search(r"must\[\] = \{([^}]*)\}", report)
keys |= set(re.findall(r'"([a-z0-9_]+)"', m.group(1))) if m else {"<must not found>"}
errs = set(re.findall(r'\[FC_STATS_ERR_\w+\] = "([a-z_]+)"', stats))
keys |= set(re.findall(r'fc_report_set_counter\(\w+, "([a-z0-9_]+)"', apps))
missing = sorted(k for k in keys if k not in documented)
missing += sorted("errors." + e for e in errs if "errors." + e not in documented)
bad = 0
if missing:
    print("FAIL: docs/result-json.md does not list: " + ", ".join(missing))
    bad = 1
blocks = re.findall(r"```json\n(.*?)```", page, re.S)
if len(blocks) != 1:
    print("FAIL: docs/result-json.md should have one json example, has %d" % len(blocks))
    sys.exit(1)
try:
    ex = json.loads(blocks[0])
except ValueError as e:
    print("FAIL: the example in docs/result-json.md is not JSON: %s" % e)
    sys.exit(1)
def walk(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            if path != "scenario" and not path.startswith("scenario."):
                yield k
            yield from walk(v, (path + "." if path else "") + k)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v, path)
undoc = sorted({k for k in walk(ex, "") if k not in documented})
if undoc:
    print("FAIL: the example has keys the page does not describe: " + ", ".join(undoc))
    bad = 1
print("result-json: %d keys from the code, %d error names, example with %d top-level keys"
      % (len(keys), len(errs), len(ex)))
sys.exit(bad)
PY
	failures=$((failures + 1))

[ $failures = 0 ] || exit 1
echo "PASS: docs: $ran console examples, every --help option, every report key"
