#!/usr/bin/env bash
# Counts the instructions a 1 KiB stanza takes through the core API and
# through the C layer (callgrind), which the machine's noise does not move:
# the C layer's cost per stanza is the difference.
#   scripts/count-c-layer.sh [stanzas]     (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
bin=$(cargo bench -q -p xmpptls-c --bench overhead --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "overhead" and m.get("executable"):
        print(m["executable"])')
count() {
  XMPPTLS_BENCH_COUNT="$1:$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
declare -A per
for side in core c; do
  base=$(count "$side" 0)
  total=$(count "$side" "$n")
  per[$side]=$(( (total - base) / n ))
  echo "$side: ${per[$side]} instructions per 1 KiB stanza"
done
python3 -c "import sys; core, c = int(sys.argv[1]), int(sys.argv[2]); print(f'C layer: +{c - core} per stanza, instruction ratio {core / c:.3f}')" "${per[core]}" "${per[c]}"
