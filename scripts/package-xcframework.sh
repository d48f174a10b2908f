#!/usr/bin/env bash
# XmppTlsFFI.xcframework for Apple apps: libxmpptls_mobile built as a static
# library for iOS devices, the iOS simulator (arm64 + x86_64) and macOS
# (arm64 + x86_64), each slice with the uniffi C headers and a module map,
# joined by xcodebuild. Needs macOS with Xcode and the rustup targets
# (the script adds them). The Swift package (target/mobile/swift-package,
# from scripts/gen-mobile.sh) then finds the XCFramework beside its
# Package.swift by a relative path, so Xcode needs no settings.
#
#   scripts/package-xcframework.sh [OUT]       (default target/mobile)
#   scripts/package-xcframework.sh --layout DIR
#
# OUT/XmppTlsFFI.xcframework, copied into OUT/swift-package/ as well.
# --layout writes only the headers folder each slice carries (what can be
# built and checked without a Mac; the tests check it).
set -euo pipefail
cd "$(dirname "$0")/.."

# The headers folder of one slice: both uniffi headers and a module map
# without `link` (Xcode links the XCFramework's library itself).
headers() { # SWIFT_BINDINGS_DIR DEST
  mkdir -p "$2"
  cp "$1/xmpptlsFFI.h" "$1/xmpptls_coreFFI.h" "$2/"
  cat > "$2/module.modulemap" <<'MAP'
module xmpptlsFFI {
    header "xmpptls_coreFFI.h"
    header "xmpptlsFFI.h"
    export *
}
MAP
}

if [ "${1:-}" = --layout ]; then
  dest=${2:?usage: $0 --layout DIR}
  out=target/mobile
  [ -f "$out/swift/xmpptlsFFI.h" ] || scripts/gen-mobile.sh "$out" >/dev/null
  headers "$out/swift" "$dest/Headers"
  echo "headers in $dest/Headers"
  exit 0
fi

if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null; then
  echo "package-xcframework.sh needs macOS with Xcode (xcodebuild); here: $(uname -s)." >&2
  echo "Use --layout DIR to see the headers folder each slice carries." >&2
  exit 2
fi

out="${1:-target/mobile}"
ios=aarch64-apple-ios
sims=(aarch64-apple-ios-sim x86_64-apple-ios)
macs=(aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "$ios" "${sims[@]}" "${macs[@]}"
for t in "$ios" "${sims[@]}" "${macs[@]}"; do
  cargo build --locked --release -p xmpptls-mobile --target "$t"
done
# The bindings (generated from the host library: they do not depend on it).
[ -f "$out/swift/xmpptlsFFI.h" ] || scripts/gen-mobile.sh "$out" >/dev/null
work="$out/xcframework-work"
rm -rf "$work" "$out/XmppTlsFFI.xcframework"
mkdir -p "$work/ios" "$work/sim" "$work/mac"
headers "$out/swift" "$work/Headers"
lib=libxmpptls_mobile.a
cp "target/$ios/release/$lib" "$work/ios/$lib"
lipo -create $(for t in "${sims[@]}"; do echo "target/$t/release/$lib"; done) -output "$work/sim/$lib"
lipo -create $(for t in "${macs[@]}"; do echo "target/$t/release/$lib"; done) -output "$work/mac/$lib"
xcodebuild -create-xcframework \
  -library "$work/ios/$lib" -headers "$work/Headers" \
  -library "$work/sim/$lib" -headers "$work/Headers" \
  -library "$work/mac/$lib" -headers "$work/Headers" \
  -output "$out/XmppTlsFFI.xcframework"
if [ -d "$out/swift-package" ]; then
  rm -rf "$out/swift-package/XmppTlsFFI.xcframework"
  cp -R "$out/XmppTlsFFI.xcframework" "$out/swift-package/"
fi
echo "XCFramework in $out/XmppTlsFFI.xcframework"
