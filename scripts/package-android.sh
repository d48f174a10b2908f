#!/usr/bin/env bash
# An Android library (AAR) of the Kotlin bindings: the generated bindings
# compiled into classes.jar, libxmpptls_mobile.so for each Android ABI
# under jni/<abi>/ (where the Android Gradle plugin and JNA find it), a
# manifest, consumer ProGuard rules that keep the classes JNA reaches by
# reflection, and a POM declaring the one dependency, JNA's AAR
# (net.java.dev.jna:jna:5.x@aar).
#
#   scripts/package-android.sh [OUT]                   build the .so files with cargo-ndk
#   scripts/package-android.sh --jni-libs DIR [OUT]    package .so files built elsewhere
#
# The first form needs the Android NDK (ANDROID_NDK_HOME) and cargo-ndk
# (`cargo install cargo-ndk`): ring compiles C for each ABI with the NDK's
# clang. DIR in the second form has cargo-ndk's layout, DIR/<abi>/libxmpptls_mobile.so,
# for any of arm64-v8a, armeabi-v7a, x86_64, x86.
#
# OUT (default target/mobile): OUT/android/xmpptls-android-VERSION.aar and .pom.
set -euo pipefail
cd "$(dirname "$0")/.."
jnilibs=""
if [ "${1:-}" = --jni-libs ]; then
  jnilibs=$(cd "${2:?usage: $0 --jni-libs DIR [OUT]}" && pwd)
  shift 2
fi
out="${1:-target/mobile}"
abis=(arm64-v8a armeabi-v7a x86_64 x86)
min_sdk=21
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
kotlin_home="${KOTLIN_HOME:-$PWD/.tools/kotlin/node_modules/kotlin-compiler}"
jna="${JNA_JAR:-/usr/share/java/jna.jar}"
work="$out/android-work"
rm -rf "$work" && mkdir -p "$work/aar/jni" "$work/classes" "$out/android"

if [ -z "$jnilibs" ]; then
  if [ -z "${ANDROID_NDK_HOME:-}" ] || ! cargo ndk --version >/dev/null 2>&1; then
    echo "package-android.sh needs the Android NDK (ANDROID_NDK_HOME) and cargo-ndk to build" >&2
    echo "the libraries; or pass --jni-libs DIR with libraries built elsewhere." >&2
    exit 2
  fi
  rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android
  jnilibs="$work/jniLibs"
  cargo ndk --platform "$min_sdk" $(printf -- '-t %s ' "${abis[@]}") -o "$jnilibs" \
    build --locked --release -p xmpptls-mobile
fi
found=0
for abi in "${abis[@]}"; do
  if [ -f "$jnilibs/$abi/libxmpptls_mobile.so" ]; then
    mkdir -p "$work/aar/jni/$abi"
    cp "$jnilibs/$abi/libxmpptls_mobile.so" "$work/aar/jni/$abi/"
    found=$((found + 1))
  fi
done
[ "$found" -gt 0 ] || { echo "no <abi>/libxmpptls_mobile.so under $jnilibs" >&2; exit 1; }

# classes.jar: the same generated bindings as the JVM jar, without the
# desktop library (JNA loads the .so from the APK's lib/<abi>/).
# shellcheck source=scripts/pom.sh
. scripts/pom.sh
[ -f "$out/kotlin/im/xmpptls/xmpptls_mobile.kt" ] || scripts/gen-mobile.sh "$out" >/dev/null
"$kotlin_home/bin/kotlinc" -nowarn "${kotlin_flags[@]}" "$out"/kotlin/im/xmpptls/*.kt "$out"/kotlin/im/xmpptls/core/*.kt \
  -cp "$jna" -d "$work/classes" 2>&1 | tail -30
jar --create --file "$work/aar/classes.jar" -C "$work/classes" .

cat > "$work/aar/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="im.xmpptls">
    <uses-sdk android:minSdkVersion="$min_sdk" />
</manifest>
XML
# JNA calls the bindings' callback and structure classes by reflection:
# an app's R8 must not rename or drop them.
cat > "$work/aar/proguard.txt" <<'PRO'
-keep class com.sun.jna.** { *; }
-keep class * implements com.sun.jna.** { *; }
-keep class im.xmpptls.** { *; }
-dontwarn java.awt.**
PRO
: > "$work/aar/R.txt"
aar="$out/android/xmpptls-android-$version.aar"
rm -f "$aar"
(cd "$work/aar" && jar --create --no-manifest --file "$OLDPWD/$aar" AndroidManifest.xml classes.jar proguard.txt R.txt jni)
write_pom "$out/android/xmpptls-android-$version.pom" xmpptls-android aar "$version" \
  net.java.dev.jna:jna:5.13.0:aar "$kotlin_stdlib"
echo "AAR in $aar (ABIs: $(ls "$work/aar/jni" | tr '\n' ' '))"
