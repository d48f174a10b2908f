#!/usr/bin/env bash
# The core's and the C library's tests on the phone's CPU: the core library, the workspace
# integration tests (tunnels, faults, sizes, vectors) cross-built for
# aarch64-unknown-linux-gnu (Debian's gcc-aarch64-linux-gnu links, and
# compiles ring's C and ARMv8 assembly) and run under qemu-user.
# scripts/setup.sh installs the tools and the rustup target.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
# C2SP's 10,000 ML-KEM vectors take about 5 minutes under qemu; ml-kem is
# portable Rust with no code per architecture, and they run natively in
# the workspace tests. The hybrid's other tests run here.
cargo test --locked --target aarch64-unknown-linux-gnu -p xmpptls --lib -- --skip mlkem768_accumulated_vectors
cargo test --locked --target aarch64-unknown-linux-gnu -p xmpptls-integration
# The C library on the same CPU: libxmpptls cross-built, the C test suite
# compiled by the cross gcc against its header and static library, and run
# under qemu-user.
cargo build --locked --target aarch64-unknown-linux-gnu -p xmpptls-c --features test-panic
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bindings-c/tests/make-certs.sh "$work/certs"
libs=$(cargo rustc -q --locked --target aarch64-unknown-linux-gnu -p xmpptls-c --features test-panic --lib \
  --crate-type staticlib -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -1)
aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -Iinclude bindings-c/tests/c/test_xmpptls.c \
  target/aarch64-unknown-linux-gnu/debug/libxmpptls_c.a $libs -o "$work/test_xmpptls"
echo "== C tests on aarch64 (qemu-user)"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/test_xmpptls" "$work/certs"
