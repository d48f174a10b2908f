#!/usr/bin/env bash
# Builds the npm package `xmpptls` (bindings-wasm) into OUT (default
# target/npm/xmpptls): the wasm32 library in the size-first profile,
# wasm-bindgen (ESM, --target web) at exactly the crate's version, wasm-opt
# -Oz (binaryen), and the package files from bindings-wasm/npm/.
#
# std is built here too (-Zbuild-std), from rustup's rust-src or, when
# setup.sh could not download that, from Debian's rustc-web and its sources
# in .tools/rust-web. Both are release compilers: RUSTC_BOOTSTRAP=1 lets them
# take the unstable size flags below, which the package's size target
# (350 KiB gzip) needs. ring's C needs clang with the wasm32 target (clang-22).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/npm/xmpptls}"
target=wasm32-unknown-unknown
export CC_wasm32_unknown_unknown="${CC_wasm32_unknown_unknown:-clang-22}"
export AR_wasm32_unknown_unknown="${AR_wasm32_unknown_unknown:-llvm-ar-22}"
# getrandom 0.3 takes randomness from crypto.getRandomValues only with this
# cfg; simd128 lets base64-simd use wasm SIMD on the data path. The rest
# trades text nobody sees in a browser for size (measured, gzip):
#   -Cpanic=immediate-abort   a panic traps at once, without formatting a
#                             message (the core has no panics by lint) -15 KiB
#   -Zlocation-detail=none    no file/line strings for panics
#   -Zfmt-debug=none          Debug prints nothing (the core takes nothing
#                             from Debug output; messages use Display) -15 KiB
#   optimize_for_size         std's own size-first algorithms
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='--cfg getrandom_backend="wasm_js" -C target-feature=+simd128 -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none'
export RUSTC_BOOTSTRAP=1
build_std=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
# XMPPTLS_WASM_CRYPTO=speed trades size for tunnel speed: ring's Rust code
# (its portable ChaCha20 is most of a tunnel's time in wasm) at opt-level 2
# instead of "z", its C kept at -Oz. Measured here in interleaved runs:
# 1.2-1.6x the tunnel throughput in Node (16 KiB stanzas) for 9 KiB more
# gzip (342 -> 351 KiB, over the 350 KiB budget), so the default stays
# size-first.
if [ "${XMPPTLS_WASM_CRYPTO:-size}" = speed ]; then
  build_std+=(--config 'profile.wasm-release.package.ring.opt-level=2')
  export CFLAGS_wasm32_unknown_unknown=-Oz
fi

toolchain="${XMPPTLS_WASM_TOOLCHAIN:-}"   # "debian" forces the fallback
if [ -z "$toolchain" ]; then
  if rustup component list --installed 2>/dev/null | grep -q "^rust-src"; then
    toolchain=rustup
  else
    toolchain=debian
  fi
fi
if [ "$toolchain" = rustup ]; then
  cargo build -q --locked --target "$target" --profile wasm-release -p xmpptls-wasm "${build_std[@]}"
elif [ -x .tools/rust-web/usr/bin/rustc ]; then
  # Debian's rustc-web, extracted by setup.sh. Debian ships no rust-lld:
  # link with LLVM's wasm-ld (lld-22).
  RUSTC="$PWD/.tools/rust-web/usr/bin/rustc" \
  LD_LIBRARY_PATH="$PWD/.tools/rust-web/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 \
    cargo build -q --locked --target "$target" --profile wasm-release -p xmpptls-wasm "${build_std[@]}"
else
  echo "no wasm32 toolchain: run scripts/setup.sh" >&2
  exit 1
fi
wasm="target/$target/wasm-release/xmpptls_wasm.wasm"

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen CLI $have differs from the crate's $want: run scripts/setup.sh" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" --out-name xmpptls_wasm "$wasm"
# binaryen from npm (setup.sh, .tools/binaryen): Debian's wasm-opt 108 breaks
# wasm-bindgen's externref table (the module then fails to instantiate).
# --low-memory-unused lets binaryen fold constant addresses into load/store
# offsets: true of Rust's wasm32 output, whose data and stack start at
# 1 MiB (measured: -1.7 KiB gzip).
wasm_opt="${WASM_OPT:-$PWD/.tools/binaryen/node_modules/.bin/wasm-opt}"
"$wasm_opt" -Oz --converge --low-memory-unused --strip-producers --strip-target-features --enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-reference-types "$out/xmpptls_wasm_bg.wasm" -o "$out/xmpptls_wasm_bg.wasm.opt"
mv "$out/xmpptls_wasm_bg.wasm.opt" "$out/xmpptls_wasm_bg.wasm"

# wasm-bindgen's declarations end with its loader's (InitInput, InitOutput,
# initSync, init), which name DOM types (Response, BufferSource) and
# WebAssembly: a Node-only TypeScript configuration without skipLibCheck
# fails on them. The entry points run the loader themselves and index.d.ts
# does not export it, so the package's declarations stop before it.
dts="$out/xmpptls_wasm.d.ts"
grep -q '^export type InitInput = ' "$dts" || { echo "wasm-bindgen's loader declarations not found in $dts" >&2; exit 1; }
sed -i '/^export type InitInput = /,$d' "$dts"
rm -f "$out/xmpptls_wasm_bg.wasm.d.ts"
cp bindings-wasm/npm/{package.json,index.d.ts,xmpp-client.js,xmpp-client.d.ts,README.md} "$out/"
cp LICENSE-MIT LICENSE-APACHE "$out/"
# The error class lives in a wasm-bindgen snippet whose folder name carries a
# hash: point the entry point's re-export at it.
error_module="./$(cd "$out" && ls snippets/*/js/error.js)"
for entry in index.js node.js; do
  sed "s|__ERROR_MODULE__|$error_module|" "bindings-wasm/npm/$entry" > "$out/$entry"
done
# What a browser loads is minified (esbuild, pinned, from setup.sh): the
# glue's JSDoc and the adapter's comments were a third of the package's JS
# (measured: 11.9 -> 6.4 KiB gzip). The documentation lives in the .d.ts
# files, which are shipped whole. Exported names are kept; local class and
# function names are not (--keep-names cost 0.5 KiB of gzip): the messages
# that name a class (a freed object's) take the name from the entry point
# (`guardFreed({ Endpoint, … })`), and the error class sets its `name`.
esbuild="${ESBUILD:-$PWD/.tools/esbuild/node_modules/.bin/esbuild}"
for js in "$out"/index.js "$out"/xmpptls_wasm.js "$out"/xmpp-client.js "$out"/snippets/*/js/*.js; do
  "$esbuild" "$js" --minify --legal-comments=none --format=esm --log-level=warning --outfile="$js.min"
  mv "$js.min" "$js"
done

raw=$(stat -c %s "$out/xmpptls_wasm_bg.wasm")
gz=$(gzip -9c "$out/xmpptls_wasm_bg.wasm" | wc -c)
echo "package in $out: wasm $raw bytes, $gz gzipped"
