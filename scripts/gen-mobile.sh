#!/usr/bin/env bash
# Builds libxmpptls_mobile and generates its Kotlin, Swift (with header and
# modulemap) and Python bindings from that fresh library, with the in-tree
# uniffi-bindgen (same pinned uniffi version as the library). Names come
# from bindings-mobile/uniffi.toml, which library mode reads itself.
#
#   scripts/gen-mobile.sh [OUT]     (default: target/mobile)
#
# OUT/lib/             libxmpptls_mobile.so (+ .a)
# OUT/kotlin/          im/xmpptls/xmpptls_mobile.kt
# OUT/swift/           XmppTls.swift, xmpptlsFFI.h, xmpptlsFFI.modulemap
# OUT/python/xmpptls/  __init__.py, xmpptls_mobile.py, the library
# OUT/swift-package/   a SwiftPM package (Package.swift) around the above
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/mobile}"
profile="${PROFILE:-debug}"
flag=""
[ "$profile" = release ] && flag="--release"

cargo build -q $flag -p xmpptls-mobile -p uniffi-bindgen
lib="target/$profile/libxmpptls_mobile.so"
bindgen="target/$profile/uniffi-bindgen"
rm -rf "$out"
mkdir -p "$out/lib" "$out/python/xmpptls"
cp "$lib" "target/$profile/libxmpptls_mobile.a" "$out/lib/"
for lang in kotlin swift python; do
  "$bindgen" generate --library "$lib" --language "$lang" \
    --out-dir "$out/$lang" --no-format
done
# A Python package: the module, the library beside it, and a re-export.
mv "$out/python/xmpptls_mobile.py" "$out/python/xmpptls/"
cp "$lib" "$out/python/xmpptls/"
printf '"""libxmpptls for Python (uniffi): XTLS tunnels and TLS policy checks."""\nfrom .xmpptls_mobile import *  # noqa: F401,F403\n' \
  > "$out/python/xmpptls/__init__.py"
# The Swift package: Package.swift and the tests from bindings-mobile/swift,
# the generated sources, and a module map that links the library.
spm="$out/swift-package"
mkdir -p "$spm/Sources/XmppTls" "$spm/Sources/xmpptlsFFI"
cp -r bindings-mobile/swift/Package.swift bindings-mobile/swift/Tests "$spm/"
cp "$out/swift/XmppTls.swift" "$spm/Sources/XmppTls/"
cp "$out/swift/xmpptlsFFI.h" "$spm/Sources/xmpptlsFFI/"
cp bindings-mobile/swift/module.modulemap "$spm/Sources/xmpptlsFFI/"
echo "bindings in $out"
