#!/usr/bin/env bash
# The C test suite: builds libxmpptls (with the test-only panic hook),
# installs it in a temporary prefix, compiles the tests with the system C
# compiler against the installed header and pkg-config file, and runs them
# linked dynamically, statically, under valgrind and under AddressSanitizer
# with LeakSanitizer: zero errors, zero leaks.
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
# Certificates for the policy tests: EC P-256 with DNS-ID and SRV-ID, and a
# weak RSA-1024 one.
certs="$prefix/certs"
mkdir -p "$certs"
printf 'subjectAltName = DNS:example.net, otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.net\n' > "$certs/ext.cnf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=example.net \
  -keyout "$certs/ec.key" -outform DER -out "$certs/ec.der" -addext "subjectAltName = DNS:example.net, otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.net" 2>/dev/null
# A certificate naming its server by CN only (RFC 6125 §6.4.4 CN fallback).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=cn-only.example \
  -keyout "$certs/cn-only.key" -outform DER -out "$certs/cn-only.der" 2>/dev/null
# A test CA and XmppAddr certificates for romeo and juliet (PKIX tunnels).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=C-Test-CA \
  -keyout "$certs/ca.key" -out "$certs/ca.pem" 2>/dev/null
for who in romeo@montague.lit juliet@capulet.lit; do
  name=${who%%@*}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
    -keyout "$certs/$name.key" -out "$certs/$name.csr" 2>/dev/null
  printf 'subjectAltName = otherName:1.3.6.1.5.5.7.8.5;UTF8:%s\nextendedKeyUsage = serverAuth, clientAuth\nbasicConstraints = CA:FALSE\n' "$who" > "$certs/$name.ext"
  openssl x509 -req -in "$certs/$name.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial \
    -days 2 -extfile "$certs/$name.ext" -out "$certs/$name.pem" 2>/dev/null
done
# Channel binding: a P-384 certificate signed with SHA-384 and an Ed25519
# one, with openssl's own digests of the DER to compare against.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -sha384 -nodes -days 2 -subj /CN=example.net \
  -keyout "$certs/p384.key" -outform DER -out "$certs/p384.der" 2>/dev/null
openssl req -x509 -newkey ed25519 -nodes -days 2 -subj /CN=example.net \
  -keyout "$certs/ed25519.key" -outform DER -out "$certs/ed25519.der" 2>/dev/null
openssl dgst -sha256 -binary "$certs/ec.der" > "$certs/ec.sha256"
openssl base64 -A < "$certs/ec.sha256" > "$certs/ec.sha256.b64"
# DANE-EE 3 1 1: SHA-256 of the EC certificate's SubjectPublicKeyInfo.
openssl x509 -inform DER -in "$certs/ec.der" -pubkey -noout | openssl pkey -pubin -outform DER \
  | openssl dgst -sha256 -binary > "$certs/ec.spki.sha256"
openssl dgst -sha384 -binary "$certs/p384.der" > "$certs/p384.sha384"
openssl req -x509 -newkey rsa:1024 -nodes -days 2 -subj /CN=example.net \
  -keyout "$certs/rsa.key" -outform DER -out "$certs/rsa1024.der" -addext "subjectAltName = DNS:example.net" 2>/dev/null
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
