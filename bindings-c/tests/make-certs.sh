#!/usr/bin/env bash
# The certificates the C tests (bindings-c/tests/c/test_xmpptls.c) read,
# made fresh by openssl into DIR; used by scripts/test-c.sh and, for the
# aarch64 run, scripts/test-arm64.sh.
#   bindings-c/tests/make-certs.sh DIR
set -euo pipefail
certs=${1:?usage: make-certs.sh DIR}
mkdir -p "$certs"
# Certificates for the policy tests: EC P-256 with DNS-ID and SRV-ID, and a
# weak RSA-1024 one.
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
