#!/usr/bin/env bash
# The npm package's benchmark: tunnel throughput in Node next to the native
# core's (same loop, same run), the ratio (target >= 0.3), the handshake
# with X25519MLKEM768 against X25519 alone, and the package size. Needs the built package (scripts/build-wasm.sh) and the test
# project's install (scripts/test-wasm.sh does both).
#
#   scripts/bench-wasm.sh [SIZE] [COUNT]     (default 16384 octets, 2000 stanzas)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-16384}"
count="${2:-2000}"
cargo build -q --release --locked -p xmpptls-cli
native=$(target/release/xmpptls throughput --size "$size" --count "$count")
# Run from the test project, where the packed package is installed.
cp bindings-wasm/bench/throughput.mjs bindings-wasm/tests/.throughput.mjs
wasm=$(cd bindings-wasm/tests && node .throughput.mjs "$size" "$count")
rm -f bindings-wasm/tests/.throughput.mjs
# The handshake with the hybrid against X25519 alone, interleaved.
cp bindings-wasm/bench/handshake.mjs bindings-wasm/tests/.handshake.mjs
handshake=$(cd bindings-wasm/tests && node .handshake.mjs)
rm -f bindings-wasm/tests/.handshake.mjs
echo "$native"
echo "$wasm"
echo "$handshake"
read -r raw gz js _ < <(scripts/package-size.sh)
python3 - "$native" "$wasm" "$raw" "$gz" "$js" "$handshake" <<'PY'
import json, sys
n, w = json.loads(sys.argv[1]), json.loads(sys.argv[2])
raw, gz, js = map(int, sys.argv[3:6])
h = json.loads(sys.argv[6])
print(f"handshake in Node: {h['hybrid_group']} {h['hybrid_ms']:.2f} ms, {h['classical_group']} "
      f"{h['classical_ms']:.2f} ms, ratio {h['ratio']:.2f} (medians of {h['rounds']}, interleaved)")
ratio = w["mb_per_s"] / n["mb_per_s"]
print(f"{w['stanza_bytes']} B stanzas: native {n['mb_per_s']:.1f} MB/s, wasm {w['mb_per_s']:.1f} MB/s, "
      f"ratio {ratio:.2f} (target >= 0.3)")
print(f"package: wasm {raw} B ({raw / 1024:.0f} KiB), gzip -9 {gz} B ({gz / 1024:.0f} KiB); "
      f"JS glue gzip {js} B; total gzip {(gz + js) / 1024:.0f} KiB (target <= 350 KiB)")
PY
