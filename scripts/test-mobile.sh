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
if scripts/package-jvm.sh "$out" >/dev/null && "$kotlin_home/bin/kotlinc" -nowarn bindings-mobile/tests/kotlin/*.kt \
     -cp "$out/xmpptls-jvm.jar:$jna:$kotlin_home/lib/kotlin-test.jar" -d "$jar" 2>&1 | tail -30; then
  java -cp "$jar:$out/xmpptls-jvm.jar:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar" \
    XmppTlsTestKt 2>&1 | tee -a "$log" | grep -v '^\s*at ' || true
else
  echo "not ok - kotlin compilation" | tee -a "$log"
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

# Python: pytest's one line per test, as ok / not ok.
PYTHONPATH="$out/python" python3 -m pytest -q -rA -p no:cacheprovider bindings-mobile/tests/python 2>&1 \
  | tee /dev/stderr \
  | sed -n 's/^PASSED \(.*\)/ok - python \1/p; s/^\(FAILED\|ERROR\) \(.*\)/not ok - python \2/p' >> "$log"

# Python, installed as a user installs it: the wheel of
# scripts/package-python.sh into a fresh venv (pip, no index, no network),
# imported with no environment variables, closed with `with`.
venv=$(mktemp -d)
if scripts/package-python.sh "$out" >/dev/null && python3 -m venv "$venv" \
   && "$venv/bin/pip" install -q --no-index "$out"/wheel/xmpptls-*.whl \
   && (cd "$venv" && "$venv/bin/python" -c '
import xmpptls
settings = xmpptls.EndpointSettings(jid="romeo@montague.lit/orchard", trust=xmpptls.TrustMode.OFFER)
with xmpptls.Endpoint(settings, None) as romeo:
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
rm -rf "$venv"

# Swift: the package compiled by a real Swift (Debian trixie's swiftlang in
# the chroot setup.sh keeps; scripts/swift.sh) and its XCTest suite run
# against the fresh library. One line per test case.
swift_test() { # PACKAGE (below $out)
  SWIFT_LD_LIBRARY_PATH=/pkg/lib scripts/swift.sh "$out" \
    sh -c "cd $1 && swift test -Xlinker -L/pkg/lib 2>&1"
}
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

passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
