#!/usr/bin/env bash
# Runs the XTLS-vs-raw-rustls benchmark and prints the ratios.
#   scripts/bench.sh            ratios only (about a minute), stable memcpy
#   scripts/bench.sh --full     criterion statistics too
#   scripts/bench.sh --default  with the machine's glibc defaults
#
# Why the tunable: on the AMD EPYC machines here, glibc copies large buffers
# with 'rep movsb', whose speed depends on the relative alignment of source
# and destination. Raw rustls then swings between ~940 and ~2300 MB/s from
# run to run, and 16 KiB copies take a fifth of the tunnel's time. Raising
# x86_rep_movsb_threshold makes glibc use vector copies for both sides of the
# comparison, so the ratios measure the code rather than allocation luck.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=ratios
for a in "$@"; do
  case "$a" in
    --full) mode=full ;;
    --default) export XMPPTLS_BENCH_GLIBC_DEFAULT=1 ;;
    *) echo "usage: $0 [--full] [--default]" >&2; exit 2 ;;
  esac
done
if [ -z "${XMPPTLS_BENCH_GLIBC_DEFAULT:-}" ]; then
  export GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=100000000
fi
if [ "$mode" = ratios ]; then
  XMPPTLS_BENCH_RATIOS_ONLY=1 cargo bench -q -p xmpptls --bench tunnel
else
  cargo bench -q -p xmpptls --bench tunnel
fi
# What the C layer adds (libxmpptls used through its extern "C" functions).
# Each process gives the median of 41 paired runs; the figure is the median
# of three processes. callgrind's count, when valgrind is here, is the same
# comparison without the machine's noise.
runs=3
out=$(for _ in $(seq "$runs"); do cargo bench -q -p xmpptls-c --bench overhead; done)
echo "$out" | grep -m1 '^=='
echo "$out" | grep 'KiB stanzas'
for size in 1 16; do
  echo "$out" | sed -n "s/^ *$size KiB stanzas:.*ratio \([0-9.]*\)$/\1/p" | sort -n \
    | awk -v size="$size" -v runs="$runs" '{ r[NR] = $1 } END { printf "%2d KiB stanzas, C layer: median of %d processes %s (%s to %s)\n", size, runs, r[int((NR + 1) / 2)], r[1], r[NR] }'
done
if command -v valgrind >/dev/null; then
  scripts/count-c-layer.sh
else
  echo "(valgrind is not installed: no instruction count for the C layer)"
fi
