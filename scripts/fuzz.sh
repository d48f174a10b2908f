#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 60 s each), seeded
# with the XTLS spec examples (the certificate target with OpenSSL-made
# certificates). Not part of the default test run.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(stanza_parser endpoint_sequence certificate)

# cargo-fuzz needs a nightly compiler for the sanitizer flags.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus"
  if [ "$t" = certificate ]; then
    cp tests/fixtures/certs/*.der "$corpus/"
  else
    cp tests/fixtures/xtls/*.xml "$corpus/"
  fi
  # The exact shapes the endpoint writes, which the data path's fast readers
  # take (the spec's examples wrap their base64, so they never do).
  for s in fuzz/seeds/"$t"-*; do [ -e "$s" ] && cp "$s" "$corpus/"; done
  # Inputs that once found a bug stay in the corpus.
  for r in fuzz/regressions/"$t"-*; do [ -e "$r" ] && cp "$r" "$corpus/"; done
  if [ "$t" = endpoint_sequence ]; then
    # One seed with several stanzas separated by NUL, as the target splits them.
    for f in tests/fixtures/xtls/*.xml; do cat "$f"; printf '\0'; done > "$corpus/all-examples"
  fi
  echo "== fuzzing $t for ${secs}s"
  cargo +nightly fuzz run "$t" "$corpus" -- -max_total_time="$secs" -max_len=16384
done
