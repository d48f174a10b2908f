#!/usr/bin/env bash
# The core's tests on the phone's CPU: the core library and the workspace
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
cargo test --locked --target aarch64-unknown-linux-gnu -p xmpptls --lib
cargo test --locked --target aarch64-unknown-linux-gnu -p xmpptls-integration
