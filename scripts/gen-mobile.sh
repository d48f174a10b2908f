#!/usr/bin/env bash
# Builds libxmpptls_mobile and generates its Kotlin, Swift (with header and
# modulemap) and Python bindings from that fresh library, with the in-tree
# uniffi-bindgen (same pinned uniffi version as the library). Names come
# from bindings-mobile/uniffi.toml, which library mode reads itself.
#
#   scripts/gen-mobile.sh [OUT]     (default: target/mobile)
#
# Two namespaces come out of the one library: bindings-mobile's
# (xmpptls_mobile) and the core facade's types (xmpptls_core, core/uniffi.toml).
#
# OUT/lib/             libxmpptls_mobile.so (+ .a)
# OUT/kotlin/          im/xmpptls/xmpptls_mobile.kt, im/xmpptls/core/xmpptls_core.kt
# OUT/swift/           XmppTls.swift, XmppTlsCore.swift, xmpptlsFFI.h, xmpptls_coreFFI.h
# OUT/python/xmpptls/  __init__.py, slixmpp.py, xmpptls_mobile.py, xmpptls_core.py, the library
# OUT/swift-package/   a SwiftPM package (Package.swift) around the above
#
# The library is a release build (what the jar, the wheel and the Swift
# package ship; PROFILE=debug for a debug one). The package scripts
# (package-jvm.sh, package-python.sh, ...) run this script themselves:
# each artifact is one command. Only the folders listed above are replaced,
# so artifacts made earlier in OUT stay.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/mobile}"
profile="${PROFILE:-release}"
case "$profile" in
  release) flag=--release ;;
  debug) flag="" ;;
  *) echo "PROFILE is release or debug, not $profile" >&2; exit 2 ;;
esac

cargo build -q --locked $flag -p xmpptls-mobile
# The generator is a build tool: a debug build is fast enough and shared.
cargo build -q --locked -p uniffi-bindgen
lib="target/$profile/libxmpptls_mobile.so"
bindgen="target/debug/uniffi-bindgen"
rm -rf "$out/lib" "$out/kotlin" "$out/swift" "$out/python" "$out/swift-package"
mkdir -p "$out/lib" "$out/python/xmpptls"
cp "$lib" "target/$profile/libxmpptls_mobile.a" "$out/lib/"
for lang in kotlin swift python; do
  "$bindgen" generate --library "$lib" --language "$lang" \
    --out-dir "$out/$lang" --no-format
done
# The error type in each language's own shape (Kotlin: `code` on the base
# class and a readable message; Swift: lowerCamelCase cases).
python3 scripts/lib/polish-bindings.py "$out"
# A Python package: the module, the library beside it, and a re-export.
mv "$out/python/xmpptls_mobile.py" "$out/python/xmpptls_core.py" "$out/python/xmpptls/"
cp "$lib" "$out/python/xmpptls/"
cp bindings-mobile/python/__init__.py "$out/python/xmpptls/__init__.py"
# The slixmpp host plugin (xmpptls.slixmpp).
cp bindings-mobile/python/slixmpp.py "$out/python/xmpptls/slixmpp.py"
# The Swift package: Package.swift and the tests from bindings-mobile/swift,
# the generated sources, and a module map that links the library.
spm="$out/swift-package"
mkdir -p "$spm/Sources/XmppTls" "$spm/Sources/xmpptlsFFI"
cp -r bindings-mobile/swift/Package.swift bindings-mobile/swift/Tests "$spm/"
cp "$out/swift/XmppTls.swift" "$out/swift/XmppTlsCore.swift" "$spm/Sources/XmppTls/"
cp "$out/swift/xmpptlsFFI.h" "$out/swift/xmpptls_coreFFI.h" "$spm/Sources/xmpptlsFFI/"
cp bindings-mobile/swift/module.modulemap "$spm/Sources/xmpptlsFFI/"
# The shared conformance vectors and the certificates they name, for the
# Swift suite (it runs in a chroot that sees only this folder).
mkdir -p "$spm/vectors" "$spm/fixtures"
cp tests/vectors/*.json "$spm/vectors/"
cp tests/fixtures/certs/*.der "$spm/fixtures/"
# The CT log lists tests/vectors/ct.json names, under logs/ by their paths
# from the repository's root.
python3 -c 'import json; print("\n".join(sorted({c["log_list"] for c in json.load(open("tests/vectors/ct.json"))["cases"] if c["log_list"]})))' \
  | while read -r f; do mkdir -p "$spm/logs/$(dirname "$f")"; cp "$f" "$spm/logs/$f"; done
echo "bindings in $out"
