#!/usr/bin/env bash
# The full test suite: formatting, lints, docs, generated files current,
# every test of the workspace, the core and C library on aarch64, xmpptls
# check against real servers (scripts/test-observatory.sh), the C library's,
# the uniffi bindings' and the npm package's tests (their READMEs' code blocks
# included), the host integrations through Prosody and ejabberd
# (scripts/test-hosts.sh), and a compile check of the fuzz targets. README's test command;
# .ci/run calls exactly this.
set -euo pipefail  # pipefail: a failing cargo test fails the run despite tee
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "generated cipher suite table is current"
python3 scripts/gen-suites.py --check

step "C header is current"
scripts/gen-header.sh --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -q -- -D warnings

step "cargo clippy, core without default features (the npm package's build)"
cargo clippy -p xmpptls --no-default-features --all-targets --locked -q -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked -q

step "fuzz targets compile"
cargo check --manifest-path fuzz/Cargo.toml --locked -q

step "cargo test (workspace)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
step "core without default features (no idna tables, no TLS 1.2: the npm package's build)"
# (C2SP's 10,000 ML-KEM vectors test the ml-kem dependency, which no
# feature changes: run once, above, not twice.)
cargo test -p xmpptls --no-default-features --lib --locked -- --skip mlkem768_accumulated_vectors 2>&1 | tee -a "$log"

step "the core on the phone's CPU: aarch64 under qemu-user"
scripts/test-arm64.sh 2>&1 | tee -a "$log"

step "xmpptls check against real servers: weak servers, Prosody, deadlines, testssl.sh"
scripts/test-observatory.sh 2>&1 | tee -a "$log"

step "C library tests (system C compiler, installed header and library)"
scripts/test-c.sh 2>&1 | tee -a "$log"
step "Kotlin, Python and Swift bindings (uniffi)"
scripts/test-mobile.sh 2>&1 | tee -a "$log"
step "host integrations (libstrophe add-on, slixmpp plugin) through Prosody and ejabberd"
scripts/test-hosts.sh 2>&1 | tee -a "$log"
step "npm package (wasm): Node, Prosody over WebSocket, Chromium"
scripts/test-wasm.sh 2>&1 | tee -a "$log"
step "one API in every runtime: the README's parity tables against the built bindings"
python3 scripts/check-parity.py 2>&1 | tee -a "$log"
step "one data model: every record's fields in every runtime, and a planted field caught"
python3 scripts/check-fields.py 2>&1 | tee -a "$log"
python3 scripts/check-fields.py --plant 2>&1 | tail -1 | tee -a "$log"
# One closing line with the totals of every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
     END { printf "\n%d passed, %d failed\n", p, f }' "$log"
