#!/usr/bin/env bash
# The uniffi bindings' tests, against bindings generated from the freshly
# built library (scripts/gen-mobile.sh):
#   Kotlin  compiled with kotlinc (npm kotlin-compiler, installed by setup.sh
#           in .tools/) with JNA (Debian libjna-java), run on the JVM;
#   Python  pytest on the generated package;
#   Swift   parsed with tree-sitter-swift, header compiled, every declared
#           symbol checked against the library (no Swift compiler here).
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

# Kotlin: the generated bindings and the suite, one compilation.
jar="$out/kotlin-tests.jar"
if "$kotlin_home/bin/kotlinc" -nowarn "$out"/kotlin/im/xmpptls/*.kt bindings-mobile/tests/kotlin/*.kt \
     -cp "$jna:$kotlin_home/lib/kotlin-test.jar" -d "$jar" 2>&1 | tail -30; then
  java -Djna.library.path="$out/lib" \
    -cp "$jar:$jna:$kotlin_home/lib/kotlin-stdlib.jar:$kotlin_home/lib/kotlin-test.jar" \
    XmppTlsTestKt 2>&1 | tee -a "$log" | grep -v '^\s*at ' || true
else
  echo "not ok - kotlin compilation" | tee -a "$log"
fi

# Kotlin, stale bindings: one recorded checksum changed, the load must fail.
stale="$out/kotlin-stale"
rm -rf "$stale" && mkdir -p "$stale"
sed -E 's/(checksum_func_library_version\(\) and 0xFFFF\) != )([0-9]+)/\1(\2 + 1)/' \
  "$out/kotlin/im/xmpptls/xmpptls_mobile.kt" > "$stale/xmpptls_mobile.kt"
if cmp -s "$stale/xmpptls_mobile.kt" "$out/kotlin/im/xmpptls/xmpptls_mobile.kt"; then
  echo "not ok - kotlin stale bindings: the checksum line was not found" | tee -a "$log"
elif "$kotlin_home/bin/kotlinc" -nowarn "$stale/xmpptls_mobile.kt" bindings-mobile/tests/kotlin/stale/StaleBindings.kt \
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

# Swift: as far as this machine allows.
python3 bindings-mobile/tests/swift/check_swift.py "$out/swift-package" "$out/lib" 2>&1 | tee -a "$log"

passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
