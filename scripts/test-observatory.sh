#!/usr/bin/env bash
# The tests of `xmpptls check` against real servers on 127.0.0.1: makes a
# test CA and the certificates of tests/observatory/weak_servers.py
# (RSA-2048 leaf, RSA-1024, expired, wrong name, CN only, self-signed, a
# 1024-bit DH group), builds the command and runs tests/observatory/run.py:
# weak servers, Prosody c2s and s2s, deadlines, and testssl.sh on the same
# servers. Prints "ok - …"/"not ok - …" and "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --locked -p xmpptls-cli
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 -subj /CN=Observatory-Test-CA \
  -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
leaf() { # NAME KEYSPEC SUBJECT SAN DAYS
  openssl req -newkey "$2" -nodes -subj "$3" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
  { [ -n "$4" ] && printf 'subjectAltName = %s\n' "$4"; printf 'basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n'; } > "$d/$1.ext"
  openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days "$5" \
    -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
}
san="DNS:example.net, otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.net, otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.example.net"
leaf good rsa:2048 /CN=example.net "$san" 3
leaf rsa1024 rsa:1024 /CN=example.net "$san" 3
# Expired: valid in January 2024 only (openssl ca takes explicit dates;
# x509 -req only a number of days from now).
openssl req -newkey rsa:2048 -nodes -subj /CN=example.net -keyout "$d/expired.key" -out "$d/expired.csr" 2>/dev/null
printf 'subjectAltName = %s\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' "$san" > "$d/expired.ext"
: > "$d/index.txt"; echo 1000 > "$d/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n' \
  "$d" "$d" "$d" > "$d/ca.cnf"
openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" -in "$d/expired.csr" \
  -out "$d/expired.pem" -startdate 20240101000000Z -enddate 20240201000000Z -extfile "$d/expired.ext" 2>/dev/null
leaf wrongname rsa:2048 /CN=other.example "DNS:other.example" 3
leaf cnonly rsa:2048 /CN=example.net "" 3
openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=example.net -addext "subjectAltName = $san" \
  -addext "basicConstraints = CA:FALSE" -keyout "$d/selfsigned.key" -out "$d/selfsigned.pem" 2>/dev/null
openssl dhparam -dsaparam -out "$d/dh1024.pem" 1024 2>/dev/null
python3 tests/observatory/run.py "$PWD/target/debug/xmpptls" "$d"
