#!/usr/bin/env bash
# The uniffi bindings' tests, against bindings generated from the freshly
# built library (scripts/gen-mobile.sh):
#   Kotlin  the jar of scripts/package-jvm.sh (bindings + library inside),
#           and the suite compiled with kotlinc (npm kotlin-compiler,
#           installed by setup.sh in .tools/) against it and JNA (Debian
#           libjna-java), run on the JVM with no library path;
#   Python  pytest on the generated package;
#   Swift   the SwiftPM package built and its XCTest suite run with Swift
#           6.0.3 (Debian trixie's, in a chroot: scripts/swift.sh), and the
#           same package with a stale checksum refused.
# Then, as users of each package: the Kotlin blocks of the JVM and Android
# READMEs compiled against the jar (kotlinc -Werror) and run; the Android AAR's layout
# (scripts/package-android.sh, from a stand-in library: no NDK here); the
# Python wheel and the sdist (built by cargo through its own backend)
# installed with pip into fresh venvs, and the Python README's blocks run
# there and checked with mypy --strict; the Swift README's blocks as XCTest cases; Package.swift read by
# SwiftPM with and without an XCFramework beside it; the XCFramework
# script's headers layout.
# Prints "ok - …"/"not ok - …" per test and a closing "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
out=target/mobile
log=$(mktemp)
trap 'rm -f "$log"' EXIT
kotlin_home="${KOTLIN_HOME:-$PWD/.tools/kotlin/node_modules/kotlin-compiler}"
jna="${JNA_JAR:-/usr/share/java/jna.jar}"

scripts/gen-mobile.sh "$out" >/dev/null || { echo "not ok - generate bindings"; echo "0 passed, 1 failed"; exit 1; }
echo "ok - generate bindings" | tee -a "$log"

# Kotlin: the suite against the packaged jar (scripts/package-jvm.sh), run
# as an application would: the jar and JNA on the class path, nothing else
# (JNA finds the library inside the jar).
jar="$out/kotlin-tests.jar"
if scripts/package-jvm.sh "$out" >/dev/null && scripts/check-size.sh jar "$out/xmpptls-jvm.jar" | tee -a "$log" \
   && "$kotlin_home/bin/kotlinc" -nowarn bindings-mobile/tests/kotlin/*.kt \
     -cp "$out/xmpptls-jvm.jar:$jna:$kotlin_home/lib/kotlin-test.jar" -d "$jar" 2>&1 | tail -30; then
  java -cp "$jar:$out/xmpptls-jvm.jar:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar" \
    XmppTlsTestKt 2>&1 | tee -a "$log" | grep -v '^\s*at ' || true
else
  echo "not ok - kotlin compilation" | tee -a "$log"
fi

# The jar's classes carry Kotlin metadata 2.0 (scripts/pom.sh): apps on
# Kotlin 1.9 and later compile against them.
mv=$(javap -v -cp "$out/xmpptls-jvm.jar" im.xmpptls.Endpoint 2>/dev/null | grep -o 'mv=\[[0-9,]*\]' | head -1)
if [ "$mv" = "mv=[2,0,0]" ]; then
  echo "ok - kotlin: the jar's classes carry Kotlin metadata 2.0.0 (for apps on Kotlin 1.9+)" | tee -a "$log"
else
  echo "not ok - kotlin: the jar's classes carry Kotlin metadata ${mv:-none}, not 2.0.0" | tee -a "$log"
fi

# Kotlin, stale bindings: one recorded checksum changed, the load must fail.
stale="$out/kotlin-stale"
rm -rf "$stale" && mkdir -p "$stale"
sed -E 's/(checksum_func_version\(\) and 0xFFFF\) != )([0-9]+)/\1(\2 + 1)/' \
  "$out/kotlin/im/xmpptls/xmpptls_mobile.kt" > "$stale/xmpptls_mobile.kt"
if cmp -s "$stale/xmpptls_mobile.kt" "$out/kotlin/im/xmpptls/xmpptls_mobile.kt"; then
  echo "not ok - kotlin stale bindings: the checksum line was not found" | tee -a "$log"
elif "$kotlin_home/bin/kotlinc" -nowarn "$stale/xmpptls_mobile.kt" "$out"/kotlin/im/xmpptls/core/*.kt bindings-mobile/tests/kotlin/stale/StaleBindings.kt \
     -cp "$jna" -d "$stale/stale.jar" 2>&1 | tail -30; then
  java -Djna.library.path="$out/lib" -cp "$stale/stale.jar:$jna:$kotlin_home/lib/kotlin-stdlib.jar" \
    StaleBindingsKt 2>&1 | tee -a "$log"
else
  echo "not ok - kotlin stale bindings: compilation" | tee -a "$log"
fi

# The Kotlin blocks of the JVM and Android READMEs, compiled together
# against the jar and each run on the JVM with only the jar, JNA and the
# Kotlin standard library on the class path.
readme="$out/readme-kotlin"
rm -rf "$readme" && mkdir -p "$readme/src"
blocks=$( (python3 scripts/readme-blocks.py bindings-mobile/kotlin/README.md "$readme/jvm" kotlin &&
           python3 scripts/readme-blocks.py bindings-mobile/android/README.md "$readme/android" kotlin) 2>&1) \
  || echo "not ok - kotlin README blocks: $blocks" | tee -a "$log"
while read -r block line; do
  [ -f "$block" ] || continue
  kind=$(basename "$(dirname "$block")"); n=$(basename "$block" | cut -d- -f1)
  cp "$block" "$readme/src/Readme_${kind}_$n.kt"
done <<< "$blocks"
if "$kotlin_home/bin/kotlinc" -Werror "$readme"/src/*.kt -cp "$out/xmpptls-jvm.jar:$jna" -d "$readme/readme.jar" 2>&1 | tail -30 \
   && [ -f "$readme/readme.jar" ]; then
  for f in "$readme"/src/*.kt; do
    cls=$(basename "$f" .kt)Kt
    line=$(grep -F "$(basename "$f" .kt | sed 's/Readme_\([a-z]*\)_\([0-9]*\)/\1\/\2-/')" <<< "$blocks" | awk '{print $2}')
    if java -cp "$readme/readme.jar:$out/xmpptls-jvm.jar:$jna:$kotlin_home/lib/kotlin-stdlib.jar" "$cls" > "$readme/$cls.out" 2>&1; then
      echo "ok - kotlin README block ($cls, README line $line)" | tee -a "$log"
    else
      tail -20 "$readme/$cls.out" >&2
      echo "not ok - kotlin README block ($cls, README line $line)" | tee -a "$log"
    fi
  done
else
  echo "not ok - kotlin README blocks compile" | tee -a "$log"
fi

# Android: the AAR of scripts/package-android.sh. Without the NDK the
# script must refuse to build the libraries; with --jni-libs (the host's
# x86-64 library standing in for an x86_64 build: Android's cannot be made
# here) its layout, manifest, classes and POM are checked.
if scripts/package-android.sh "$out" >/dev/null 2>"$out/android.err"; then
  echo "not ok - android: package-android.sh built without an NDK" | tee -a "$log"
elif grep -q "needs the Android NDK" "$out/android.err"; then
  echo "ok - android: package-android.sh says it needs the NDK to build the libraries" | tee -a "$log"
else
  cat "$out/android.err" >&2; echo "not ok - android: package-android.sh failed for another reason" | tee -a "$log"
fi
jni="$out/jni-standin"
rm -rf "$jni" && mkdir -p "$jni/x86_64" && strip --strip-debug -o "$jni/x86_64/libxmpptls_mobile.so" "$out/lib/libxmpptls_mobile.so"
if scripts/package-android.sh --jni-libs "$jni" "$out" >/dev/null && python3 - "$out/android" <<'PY'
import glob, io, sys, zipfile, xml.etree.ElementTree as ET
d = sys.argv[1]
aar = zipfile.ZipFile(glob.glob(f"{d}/xmpptls-android-*.aar")[0])
names = set(aar.namelist())
for need in ["AndroidManifest.xml", "classes.jar", "proguard.txt", "R.txt", "jni/x86_64/libxmpptls_mobile.so"]:
    assert need in names, f"{need} missing from the AAR: {sorted(names)}"
assert not any(n.startswith("jni/") and not n.endswith("/") and n.count("/") != 2 for n in names), names
m = ET.fromstring(aar.read("AndroidManifest.xml"))
A = "{http://schemas.android.com/apk/res/android}"
assert m.get("package") == "im.xmpptls", m.attrib
assert int(m.find("uses-sdk").get(A + "minSdkVersion")) >= 21
classes = set(zipfile.ZipFile(io.BytesIO(aar.read("classes.jar"))).namelist())
for c in ["im/xmpptls/Endpoint.class", "im/xmpptls/core/Report.class", "im/xmpptls/XmppTlsException.class"]:
    assert c in classes, f"{c} missing from classes.jar"
assert not any(c.startswith("com/sun/jna/") for c in classes), "JNA bundled: it is a dependency"
assert "im.xmpptls" in aar.read("proguard.txt").decode()
pom = ET.parse(glob.glob(f"{d}/xmpptls-android-*.pom")[0]).getroot()
N = "{http://maven.apache.org/POM/4.0.0}"
deps = [(x.findtext(N + "artifactId"), x.findtext(N + "type")) for x in pom.iter(N + "dependency")]
assert ("jna", "aar") in deps, deps
assert pom.findtext(N + "packaging") == "aar"
PY
then
  echo "ok - android: the AAR has jni/<abi>/, a manifest (im.xmpptls, minSdk 21), the bindings' classes, R8 rules and a POM with JNA's AAR" | tee -a "$log"
else
  echo "not ok - android: AAR layout" | tee -a "$log"
fi

# Python: pytest's one line per test, as ok / not ok.
PYTHONPATH="$out/python" python3 -m pytest -q -rA -p no:cacheprovider bindings-mobile/tests/python 2>&1 \
  | tee /dev/stderr \
  | sed -n 's/^PASSED \(.*\)/ok - python \1/p; s/^\(FAILED\|ERROR\) \(.*\)/not ok - python \2/p' >> "$log"

# Python, installed as a user installs it: the wheel of
# scripts/package-python.sh into a fresh venv (pip, no index, no network),
# imported with no environment variables, closed with `with`.
venv=$(mktemp -d)
if scripts/package-python.sh "$out" >/dev/null \
   && scripts/check-size.sh wheel "$(ls "$out"/wheel/xmpptls-*.whl)" | tee -a "$log" \
   && python3 -m venv "$venv" \
   && "$venv/bin/pip" install -q --no-index "$out"/wheel/xmpptls-*.whl \
   && (cd "$venv" && "$venv/bin/python" -c '
import xmpptls
settings = xmpptls.EndpointSettings(jid="romeo@montague.lit/orchard", trust=xmpptls.TrustMode.OFFER)
with xmpptls.Endpoint(settings) as romeo:
    romeo.open_tunnel("juliet@capulet.lit/balcony")
    assert "<start " in romeo.poll_transmit()
try:
    romeo.poll_transmit()
    raise SystemExit("usable after close")
except ValueError:
    pass
'); then
  echo "ok - python wheel installs into a fresh venv and runs" | tee -a "$log"
else
  echo "not ok - python wheel installs into a fresh venv and runs" | tee -a "$log"
fi
# The Python README's blocks, each run by the venv's Python from an empty
# folder (the installed package, nothing from the checkout).
if [ -x "$venv/bin/python" ] && blocks=$(python3 scripts/readme-blocks.py bindings-mobile/python/README.md "$venv/readme" python); then
  while read -r block line; do
    if (cd "$venv/readme" && "$venv/bin/python" "$block" >/dev/null); then
      echo "ok - python README block at line $line" | tee -a "$log"
    else
      echo "not ok - python README block at line $line" | tee -a "$log"
    fi
  done <<< "$blocks"
  # The same blocks through mypy --strict, as a user's type checker sees
  # the installed package (its py.typed, __init__.py's declarations).
  for block in "$venv"/readme/*.python; do cp "$block" "${block%.python}.py"; done
  if out_mypy=$(cd "$venv/readme" && python3 -m mypy --strict --no-incremental \
       --python-executable "$venv/bin/python" ./*.py 2>&1); then
    echo "ok - python README blocks pass mypy --strict" | tee -a "$log"
  else
    printf '%s\n' "$out_mypy" >&2
    echo "not ok - python README blocks pass mypy --strict" | tee -a "$log"
  fi
else
  echo "not ok - python README blocks" | tee -a "$log"
fi
rm -rf "$venv"

# Python from source: the sdist, installed with pip (no index) into a fresh
# venv; its backend builds the library with cargo (here into this
# checkout's target folder, debug, to reuse the build).
venv=$(mktemp -d)
if sdist=$(scripts/package-python.sh --sdist "$out" | tail -1) && python3 -m venv "$venv" \
   && CARGO_TARGET_DIR="$PWD/target" XMPPTLS_CARGO_PROFILE=dev "$venv/bin/pip" install -q --no-index "$sdist" \
   && (cd "$venv" && "$venv/bin/python" -c '
import importlib.resources, xmpptls
with xmpptls.Endpoint(xmpptls.EndpointSettings(jid="romeo@montague.lit/orchard", trust=xmpptls.TrustMode.OFFER)) as romeo:
    romeo.open_tunnel("juliet@capulet.lit/balcony")
    assert "<start " in romeo.poll_transmit()
assert importlib.resources.files("xmpptls").joinpath("py.typed").is_file()
'); then
  echo "ok - python sdist builds from source with cargo and installs with pip" | tee -a "$log"
else
  echo "not ok - python sdist builds from source with cargo and installs with pip" | tee -a "$log"
fi
rm -rf "$venv"

# Swift: the package compiled by a real Swift (Debian trixie's swiftlang in
# the chroot setup.sh keeps; scripts/swift.sh) and its XCTest suite run
# against the fresh library, warnings as errors (the README's blocks are
# among the cases). One line per test case.
swift_test() { # PACKAGE (below $out)
  SWIFT_LD_LIBRARY_PATH=/pkg/lib scripts/swift.sh "$out" \
    sh -c "cd $1 && swift test -Xswiftc -warnings-as-errors -Xlinker -L/pkg/lib 2>&1"
}
# The Swift README's blocks, each as a test case of the package's suite
# (its `import XmppTls` lines dropped: the suite imports the module).
python3 - bindings-mobile/swift/README.md "$out/swift-package/Tests/XmppTlsTests/ReadmeTests.swift" <<'PY' \
  || echo "not ok - swift README blocks" | tee -a "$log"
import subprocess, sys, tempfile, pathlib
readme, dest = sys.argv[1:]
with tempfile.TemporaryDirectory() as d:
    listing = subprocess.run([sys.executable, "scripts/readme-blocks.py", readme, d, "swift"],
                             check=True, capture_output=True, text=True).stdout.split("\n")
    cases = []
    for entry in filter(None, listing):
        path, line = entry.split()
        body = "\n".join("        " + l for l in pathlib.Path(path).read_text().splitlines()
                         if l.strip() != "import XmppTls")
        cases.append(f"    func testReadmeBlockAtLine{line}() throws {{\n{body}\n    }}\n")
pathlib.Path(dest).write_text("// Generated by scripts/test-mobile.sh from bindings-mobile/swift/README.md.\n"
                              "import XCTest\n@testable import XmppTls\n\n"
                              "final class ReadmeTests: XCTestCase {\n" + "\n".join(cases) + "}\n")
PY
if swift_log=$(swift_test swift-package); then swift_ok=1; else swift_ok=0; fi
printf '%s\n' "$swift_log" | grep -E "error:|Test Case .* (passed|failed)|Executed" >&2 || true
printf '%s\n' "$swift_log" \
  | sed -n "s/^Test Case '\(.*\)' passed.*/ok - swift \1/p; s/^Test Case '\(.*\)' failed.*/not ok - swift \1/p" \
  | sort -u | tee -a "$log"
if [ "$swift_ok" = 1 ] && printf '%s\n' "$swift_log" | grep -q "Executed [1-9][0-9]* tests, with 0 failures"; then
  echo "ok - swift build and test (swiftlang 6.0.3)" | tee -a "$log"
else
  printf '%s\n' "$swift_log" | tail -40 >&2
  echo "not ok - swift build and test" | tee -a "$log"
fi

# Swift, stale bindings: one recorded checksum changed, the suite must stop
# at uniffiEnsureXmpptlsMobileInitialized() instead of calling into the
# library.
stale="$out/swift-stale"
rm -rf "$stale" && cp -r "$out/swift-package" "$stale" && rm -rf "$stale/.build"
sed -E -i 's/(checksum_method_endpoint_send\(\) != )([0-9]+)/\1(\2 + 1)/' "$stale/Sources/XmppTls/XmppTls.swift"
if cmp -s "$stale/Sources/XmppTls/XmppTls.swift" "$out/swift-package/Sources/XmppTls/XmppTls.swift"; then
  echo "not ok - swift stale bindings: the checksum line was not found" | tee -a "$log"
elif stale_log=$(swift_test swift-stale); then
  echo "not ok - swift stale bindings ran" | tee -a "$log"
elif printf '%s\n' "$stale_log" | grep -q "API checksum mismatch"; then
  echo "ok - swift stale bindings are refused: UniFFI API checksum mismatch" | tee -a "$log"
else
  printf '%s\n' "$stale_log" | tail -20 >&2
  echo "not ok - swift stale bindings: failed for another reason" | tee -a "$log"
fi

# Swift for Apple platforms: Package.swift takes XmppTlsFFI.xcframework by
# a relative path when it lies beside it (what scripts/package-xcframework.sh
# leaves there on a Mac), else the system library. SwiftPM reads the
# manifest here as on a Mac: a stand-in folder must turn the FFI target
# into that binary target.
xcf="$out/swift-xcf"
rm -rf "$xcf" && mkdir -p "$xcf" && cp -r "$out/swift-package/Package.swift" "$out/swift-package/Sources" "$out/swift-package/Tests" "$xcf/"
without=$(scripts/swift.sh "$out" sh -c "cd swift-xcf && swift package --manifest-cache none dump-package 2>&1") || true
mkdir -p "$xcf/XmppTlsFFI.xcframework"
with=$(scripts/swift.sh "$out" sh -c "cd swift-xcf && swift package --manifest-cache none dump-package 2>&1") || true
if python3 - "$without" "$with" <<'PY'
import json, sys
def ffi(text):
    return next(t for t in json.loads(text)["targets"] if t["name"] == "xmpptlsFFI")
a, b = (ffi(t) for t in sys.argv[1:])
assert a["type"] == "system", a
assert b["type"] == "binary" and b["path"] == "XmppTlsFFI.xcframework", b
PY
then
  echo "ok - swift: Package.swift uses XmppTlsFFI.xcframework by its relative path when present, the system library otherwise" | tee -a "$log"
else
  printf '%s\n%s\n' "$without" "$with" | tail -20 >&2
  echo "not ok - swift: Package.swift binary target" | tee -a "$log"
fi
# The XCFramework script: it needs a Mac and says so; its --layout form
# writes the headers folder each slice carries (both uniffi headers, a
# module map without `link`: Xcode links the slice's library).
layout="$out/xcf-layout"
rm -rf "$layout"
if scripts/package-xcframework.sh "$out" >/dev/null 2>&1; then
  echo "not ok - swift: package-xcframework.sh ran without Xcode" | tee -a "$log"
elif scripts/package-xcframework.sh --layout "$layout" >/dev/null && [ -f "$layout/Headers/xmpptlsFFI.h" ] \
     && [ -f "$layout/Headers/xmpptls_coreFFI.h" ] && grep -q 'header "xmpptlsFFI.h"' "$layout/Headers/module.modulemap" \
     && ! grep -q link "$layout/Headers/module.modulemap"; then
  echo "ok - swift: package-xcframework.sh needs Xcode and says so; its headers folder has both headers and a module map" | tee -a "$log"
else
  echo "not ok - swift: package-xcframework.sh" | tee -a "$log"
fi

passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
