#!/usr/bin/env bash
# The statements of docs/architecture.md that can rot, checked on the tree:
#   - only lib/port calls the rx/tx bursts; only lib/platform/fc_clock.h reads the TSC;
#   - the folders table names every lib/ folder, and every folder it names exists;
#   - nothing cites a file outside the repository (DESIGN.md), and no comment in the code
#     cites a section of docs/benchmarks.md.
# usage: test_layout.sh SOURCE_ROOT
set -uo pipefail
cd "$1" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }

hits=$(grep -rn 'rte_eth_rx_burst\|rte_eth_tx_burst' lib app | grep -v '^lib/port/')
[ -z "$hits" ] || bad "bursts outside lib/port:"$'\n'"$hits"
hits=$(grep -rn 'rte_rdtsc\|rte_get_tsc_cycles' lib app | grep -v '^lib/platform/fc_clock.h:')
[ -z "$hits" ] || bad "the TSC read outside lib/platform/fc_clock.h:"$'\n'"$hits"

for d in lib/*/; do
	d=${d%/}
	grep -q "^| \`$d\` |" docs/architecture.md || bad "docs/architecture.md does not list $d"
done
for d in $(sed -n 's/^| `\(lib\/[a-z]*\|app\/[a-z]*\)` |.*/\1/p' docs/architecture.md); do
	[ -d "$d" ] || bad "docs/architecture.md lists $d, which does not exist"
done

hits=$(grep -rln 'DESIGN\.md' --include='*' lib app tests scripts docs README.md drivers_cfg \
	scenarios | grep -v '^tests/unit/test_layout.sh$')
[ -z "$hits" ] || bad "files cite DESIGN.md, which is not in the repository:"$'\n'"$hits"
hits=$(grep -rn 'benchmarks\.md [0-9]' lib app tests/unit tests/fuzz | grep -v 'test_layout.sh')
[ -z "$hits" ] || bad "code comments cite benchmark sections:"$'\n'"$hits"

[ $fail = 0 ] && echo "layout: ok"
exit $fail
