#!/usr/bin/env bash
# The JVM jar of the Kotlin bindings: the generated bindings (both uniffi
# namespaces) compiled, and the native library as a resource under
# linux-x86-64/, where JNA finds it without -Djna.library.path. Its one
# dependency is JNA (net.java.dev.jna:jna, Debian libjna-java).
#
#   scripts/package-jvm.sh [OUT]     (default target/mobile)
#
# Builds the release library and the bindings first (scripts/gen-mobile.sh;
# PROFILE=debug for a debug library).
#
# OUT/xmpptls-jvm.jar, and OUT/xmpptls-jvm.pom (im.xmpptls:xmpptls-jvm, with
# JNA as its dependency) for `mvn install:install-file`.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/mobile}"
# shellcheck source=scripts/pom.sh
. scripts/pom.sh
scripts/gen-mobile.sh "$out" >/dev/null
kotlin_home="${KOTLIN_HOME:-$PWD/.tools/kotlin/node_modules/kotlin-compiler}"
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
classes="$out/jvm-classes"
rm -rf "$classes" && mkdir -p "$classes/linux-x86-64"
"$kotlin_home/bin/kotlinc" -nowarn "${kotlin_flags[@]}" "$out"/kotlin/im/xmpptls/*.kt "$out"/kotlin/im/xmpptls/core/*.kt \
  -cp "$jna" -d "$classes" 2>&1 | tail -30
cp "$out/lib/libxmpptls_mobile.so" "$classes/linux-x86-64/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
printf 'Manifest-Version: 1.0\nImplementation-Title: xmpptls\nImplementation-Version: %s\n' "$version" \
  > "$out/jvm-manifest.txt"
# Stored, not deflated: the library is most of the jar and compresses slowly.
jar --create --no-compress --file "$out/xmpptls-jvm.jar" --manifest "$out/jvm-manifest.txt" -C "$classes" .
jna_version=$(unzip -p "$jna" META-INF/MANIFEST.MF 2>/dev/null | sed -n 's/^Implementation-Version: *\([0-9.]*\).*/\1/p' | head -1)
write_pom "$out/xmpptls-jvm.pom" xmpptls-jvm jar "$version" \
  "net.java.dev.jna:jna:${jna_version:-5.13.0}" "$kotlin_stdlib"
echo "jar in $out/xmpptls-jvm.jar, POM in $out/xmpptls-jvm.pom"
