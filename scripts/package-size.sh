#!/usr/bin/env bash
# The npm package's size as a browser loads it: the wasm and the JS glue
# (the browser entry, wasm-bindgen's module, the xmpp.js adapter and the
# snippets), each gzip -9. Prints "RAW GZ JS TOTAL" in bytes, where TOTAL is
# GZ + JS, the figure issue 5's target (350 KiB) is about.
#   scripts/package-size.sh [PKG]      (default target/npm/xmpptls)
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="${1:-target/npm/xmpptls}"
raw=$(stat -c %s "$pkg/xmpptls_wasm_bg.wasm")
gz=$(gzip -9c "$pkg/xmpptls_wasm_bg.wasm" | wc -c)
js=$(cat "$pkg"/index.js "$pkg"/xmpptls_wasm.js "$pkg"/xmpp-client.js "$pkg"/snippets/*/js/*.js | gzip -9c | wc -c)
echo "$raw $gz $js $((gz + js))"
