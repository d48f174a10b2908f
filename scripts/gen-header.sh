#!/usr/bin/env bash
# Generates include/xmpptls.h from bindings-c with the pinned cbindgen.
#   scripts/gen-header.sh          write the header
#   scripts/gen-header.sh --check  fail if the committed header is stale
set -euo pipefail
cd "$(dirname "$0")/.."
want=0.29.4
have=$(cbindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "cbindgen $want is needed (found '${have:-none}'): run scripts/setup.sh" >&2
  exit 1
fi
if [ "${1:-}" = "--check" ]; then
  cbindgen --quiet --config bindings-c/cbindgen.toml --crate xmpptls-c --output include/xmpptls.h --verify bindings-c \
    || { echo "include/xmpptls.h is stale: run scripts/gen-header.sh" >&2; exit 1; }
  echo "include/xmpptls.h is up to date"
else
  cbindgen --quiet --config bindings-c/cbindgen.toml --crate xmpptls-c --output include/xmpptls.h bindings-c
  echo "wrote include/xmpptls.h"
fi
