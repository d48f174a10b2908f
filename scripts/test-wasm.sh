#!/usr/bin/env bash
# The npm package's tests: builds it (scripts/build-wasm.sh), packs it with
# `npm pack`, installs the tarball into an empty project and imports it
# there, then installs it beside the test dependencies (bindings-wasm/tests,
# set up by setup.sh) and runs with `node --test`:
#   node/api.test.mjs       the API: tunnels, close, conflict, bad input,
#                           identity, pins, POSH, policy, dispose
#   node/vectors.test.mjs   the shared conformance vectors (tests/vectors)
#   node/prosody.test.mjs   two @xmpp/client over WebSocket through a real
#                           Prosody (started and stopped by the test)
#   browser/browser.test.mjs  the package in headless Chromium
# and type-checks bindings-wasm/tests/types/usage.ts with tsc --strict, and
# checks the size budget (scripts/package-size.sh: 350 KiB gzip in all).
# Prints "ok - …"/"not ok - …" per test and "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
empty=$(mktemp -d)
trap 'rm -rf "$log" "$empty"' EXIT
pkg=target/npm/xmpptls

if ! scripts/build-wasm.sh "$pkg"; then
  echo "not ok - build the npm package"; echo "0 passed, 1 failed"; exit 1
fi
echo "ok - build the npm package" >> "$log"
# Issue 5's size budget: wasm + JS glue, gzip -9, at most 350 KiB.
read -r raw gz js total < <(scripts/package-size.sh "$pkg")
if [ "$total" -le $((350 * 1024)) ]; then
  echo "ok - package size $((total / 1024)) KiB gzip (wasm $((gz / 1024)) + JS $((js / 1024))) within 350 KiB" >> "$log"
else
  echo "not ok - package size $((total / 1024)) KiB gzip (wasm $((gz / 1024)) + JS $((js / 1024))) over 350 KiB" >> "$log"
fi
tarball=$(cd "$pkg" && npm pack --silent 2>/dev/null | tail -1)
[ -f "$pkg/$tarball" ] && echo "ok - npm pack: $tarball" >> "$log" || echo "not ok - npm pack" >> "$log"
tarball="$PWD/$pkg/$tarball"

# An empty project: install the tarball and use it.
(cd "$empty" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$tarball" >/dev/null 2>&1 &&
  node --input-type=module -e '
    import { Endpoint, Policy, XmppTlsError } from "xmpptls";
    const e = new Endpoint("romeo@montague.lit/orchard");
    e.openTunnel("juliet@capulet.lit/balcony");
    if (!/<start /.test(e.pollTransmit())) throw new Error("no start");
    try { e.openTunnel("x@@"); } catch (err) { if (!(err instanceof XmppTlsError)) throw err; }
    if (new Policy("strict").name !== "strict") throw new Error("policy");
  ') && echo "ok - tarball installs into an empty project and runs there" >> "$log" \
     || echo "not ok - tarball installs into an empty project and runs there" >> "$log"
# The same empty project is CommonJS (npm init's default): require() works
# too, as in TypeScript compiled to CommonJS (Node >= 20.19).
(cd "$empty" && node -e '
    const { Endpoint, XmppTlsError } = require("xmpptls");
    const e = new Endpoint("romeo@montague.lit/orchard");
    e.openTunnel("juliet@capulet.lit/balcony");
    if (!/<start /.test(e.pollTransmit())) throw new Error("no start");
    try { e.openTunnel("x@@"); throw new Error("no error"); } catch (err) { if (!(err instanceof XmppTlsError)) throw err; }
  ') && echo "ok - require() from a CommonJS project" >> "$log" \
     || echo "not ok - require() from a CommonJS project" >> "$log"

# The test project: its dependencies (setup.sh) plus the packed package.
(cd bindings-wasm/tests && npm install --silent --no-audit --no-fund --no-save "$tarball" >/dev/null 2>&1) \
  || echo "not ok - install the package into bindings-wasm/tests" >> "$log"
# TypeScript: typical use of every export type-checks in strict mode.
if tsc_out=$(cd bindings-wasm/tests && npx --no-install tsc -p types/tsconfig.json 2>&1); then
  echo "ok - TypeScript declarations type-check (tsc --strict)" >> "$log"
else
  printf '%s\n' "$tsc_out" >&2
  echo "not ok - TypeScript declarations type-check (tsc --strict)" >> "$log"
fi
(cd bindings-wasm/tests && node --experimental-websocket --test --test-reporter=tap \
   node/api.test.mjs node/vectors.test.mjs node/prosody.test.mjs browser/browser.test.mjs 2>&1) \
  | tee /dev/stderr | grep -E '^(not )?ok [0-9]+ - ' | sed -E 's/^(not )?ok [0-9]+ - /\1ok - node: /' >> "$log"

cat "$log"
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
