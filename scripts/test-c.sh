#!/usr/bin/env bash
# The C test suite: builds libxmpptls (with the test-only panic hook),
# installs it in a temporary prefix, compiles the tests with the system C
# compiler against the installed header and pkg-config file, and runs them
# linked dynamically, statically, under valgrind and under AddressSanitizer
# with LeakSanitizer: zero errors, zero leaks. Then under plain valgrind
# with the installed suppressions file (no report from the library left),
# every code block of bindings-c/README.md built with pkg-config and run,
# the shared vectors and the examples.
#
# valgrind runs with --undef-value-errors=no: ring's assembly (AES-GCM key
# setup, ECDSA signing) computes values valgrind cannot track, so every
# byte of TLS output is reported as "uninitialised" (--track-origins shows
# the origins are stack buffers inside ring). Invalid reads and writes, bad
# frees and leaks are still errors. "Possibly lost" blocks are the
# process-lifetime lazy statics of dependencies, not leaks; ASan/LSan, which
# sees them as reachable, checks leaks independently.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
scripts/install-c.sh "$prefix" --debug --features test-panic >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
certs="$prefix/certs"
bindings-c/tests/make-certs.sh "$certs"
cc=${CC:-cc}
src=bindings-c/tests/c/test_xmpptls.c
$cc -std=c11 -Wall -Wextra -Werror "$src" $(pkg-config --cflags --libs xmpptls) -o "$prefix/test_dynamic"
$cc -std=c11 -Wall -Wextra -Werror "$src" $(pkg-config --cflags xmpptls) "$prefix/lib/libxmpptls.a" \
  $(pkg-config --static --libs-only-l xmpptls | sed 's/-lxmpptls//') -o "$prefix/test_static"
echo "== C tests (shared library, found through the rpath pkg-config adds: no LD_LIBRARY_PATH)"
"$prefix/test_dynamic" "$certs"
echo "== C tests (static library)"
"$prefix/test_static" "$certs"
echo "== C tests under valgrind"
LD_LIBRARY_PATH="$prefix/lib" valgrind -q --error-exitcode=1 --undef-value-errors=no --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
  "$prefix/test_dynamic" "$certs"
echo "== C tests under plain valgrind with the installed suppressions file"
# Undefined-value tracking on: the suppressions file must hide every report
# raised in the library (ring's assembly, see bindings-c/valgrind), and
# leave those in the test program's own reads of library output, which the
# file says it does not hide. Without the file the library's reports are
# there (so this check can fail).
supp=$(pkg-config --variable=suppressions xmpptls)
[ -f "$supp" ] || { echo "no suppressions file installed at '$supp'" >&2; exit 1; }
library_reports() { # valgrind's log: error blocks with a frame in the library or in Rust code
  awk '/^==[0-9]+== [A-Z]/ { inblock = 1; lib = 0; next }
       /^==[0-9]+== *$/ { if (inblock && lib) n++; inblock = 0; next }
       inblock && /(libxmpptls|\.rs:[0-9]+|ring::|rustls::|xmpptls::)/ { lib = 1 }
       END { print n + 0 }' "$1"
}
valgrind --error-limit=no --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --suppressions="$supp" --log-file="$prefix/vg-supp.log" "$prefix/test_dynamic" "$certs" >/dev/null
valgrind --error-limit=no --leak-check=no --log-file="$prefix/vg-plain.log" "$prefix/test_dynamic" "$certs" >/dev/null
with=$(library_reports "$prefix/vg-supp.log")
without=$(library_reports "$prefix/vg-plain.log")
leaks=$(grep -c "definitely lost in\|indirectly lost in" "$prefix/vg-supp.log" || true)
echo "library reports: $without without the file, $with with it; leak reports: $leaks"
[ "$with" -eq 0 ] && [ "$without" -gt 0 ] && [ "$leaks" -eq 0 ] \
  || { grep -v "^==[0-9]*==    \(at\|by\)" "$prefix/vg-supp.log" | head -40 >&2; exit 1; }
echo "== the README's code blocks (bindings-c/README.md), built with pkg-config from the prefix and run"
python3 scripts/readme-blocks.py bindings-c/README.md "$prefix/readme" c | while read -r block line; do
  $cc -std=c11 -Wall -Wextra -Werror "$block" $(pkg-config --cflags --libs xmpptls) -o "${block%.c}" \
    || { echo "README block at line $line does not build" >&2; exit 1; }
  "${block%.c}" >/dev/null || { echo "README block at line $line failed" >&2; exit 1; }
  echo "README block at line $line ok"
done
echo "== the shared conformance vectors (tests/vectors) through the C API"
python3 scripts/vectors-to-c.py > "$prefix/vectors.h"
$cc -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers -I"$prefix" bindings-c/tests/c/test_vectors.c \
  $(pkg-config --cflags --libs xmpptls) -o "$prefix/test_vectors"
"$prefix/test_vectors" tests/fixtures/certs
echo "== examples (bindings-c/examples), built as the README shows"
for ex in tunnel check_cert; do
  $cc -std=c11 -Wall -Wextra -Werror "bindings-c/examples/$ex.c" $(pkg-config --cflags --libs xmpptls) -o "$prefix/$ex"
done
"$prefix/tunnel" | grep -q "juliet: from romeo@montague.lit/orchard: <message" \
  || { echo "examples/tunnel did not deliver the message" >&2; exit 1; }
openssl x509 -inform DER -in "$certs/ec.der" -out "$certs/ec.pem"
"$prefix/check_cert" "$certs/ec.pem" example.net | grep -q "by a DNS-ID" \
  || { echo "examples/check_cert did not match" >&2; exit 1; }
if "$prefix/check_cert" "$certs/ec.pem" shire.example >/dev/null; then
  echo "examples/check_cert accepted a wrong domain" >&2; exit 1
fi
echo "examples ok"
echo "== C tests under AddressSanitizer + LeakSanitizer"
$cc -std=c11 -g -fsanitize=address,undefined -fno-omit-frame-pointer "$src" \
  $(pkg-config --cflags --libs xmpptls) -o "$prefix/test_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LD_LIBRARY_PATH="$prefix/lib" "$prefix/test_asan" "$certs"
