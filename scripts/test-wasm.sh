#!/usr/bin/env bash
# The npm package's tests: builds it (scripts/build-wasm.sh), packs it with
# `npm pack`, installs the tarball into an empty project and imports it
# there, then installs it beside the test dependencies (bindings-wasm/tests,
# set up by setup.sh) and runs with `node --test`:
#   node/api.test.mjs       the API: tunnels, close, conflict, bad input,
#                           identity, pins, POSH, policy, dispose
#   node/adapter.test.mjs   the @xmpp/client adapter's error paths and stanza
#                           delivery (a stand-in client whose writes fail)
#   node/vectors.test.mjs   the shared conformance vectors (tests/vectors)
#   node/prosody.test.mjs   two @xmpp/client over WebSocket through a real
#                           Prosody (started and stopped by the test)
#   node/readme.test.mjs    the README's @xmpp/client example: tsc --strict,
#                           then run against Prosody
#   browser/browser.test.mjs  the package in headless Chromium
# and every other README block in empty ESM and CommonJS projects,
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
# What npm shows about the package: the workspace's licence and repository,
# the Node versions, and the licence texts inside the tarball.
repo=$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -1)
files=$(tar -tzf "$tarball")  # (not piped into grep -q: pipefail would see tar's SIGPIPE)
if grep -qx package/LICENSE-MIT <<< "$files" && grep -qx package/LICENSE-APACHE <<< "$files" \
   && tar -xzOf "$tarball" package/package.json | REPO="$repo" node -e '
     const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
     if (p.license !== "MIT OR Apache-2.0") throw new Error("license " + p.license);
     if (p.repository?.url !== process.env.REPO) throw new Error("repository " + JSON.stringify(p.repository));
     if (!p.engines?.node) throw new Error("no engines.node");'; then
  echo "ok - package.json has the licence, repository and engines; the tarball has both licence texts" >> "$log"
else
  echo "not ok - package.json licence, repository, engines; licence texts" >> "$log"
fi

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

# The README's blocks as a new user runs them: the JavaScript ones in an
# empty ES module project, the CommonJS ones in the empty CommonJS project
# above, each with only the tarball installed. (The TypeScript block, the
# @xmpp/client example, needs a server: node/readme.test.mjs.) The server
# block's prelude reads a server chain named by SRV-ID only, its leaf and
# a POSH document for it, made here.
esm=$(mktemp -d)
trap 'rm -rf "$log" "$empty" "$esm"' EXIT
readme_blocks=$(mktemp -d -p "$esm")
(cd "$esm" && npm init -y >/dev/null && npm pkg set type=module && npm install --silent --no-audit --no-fund "$tarball" >/dev/null 2>&1) \
  || echo "not ok - install the tarball into an empty ES module project" >> "$log"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=example.net -keyout /dev/null \
  -addext "subjectAltName = otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.example.net" \
  -out "$esm/server-chain.pem" 2>/dev/null
openssl x509 -in "$esm/server-chain.pem" -outform DER -out "$esm/server-leaf.der"
printf '{"fingerprints":[{"sha-256":"%s"}],"expires":86400}' \
  "$(openssl dgst -sha256 -binary "$esm/server-leaf.der" | openssl base64 -A)" > "$esm/posh.json"
if blocks=$(python3 scripts/readme-blocks.py bindings-wasm/npm/README.md "$readme_blocks" js,cjs,ts); then
  while read -r block line; do
    case "$block" in
      *.js) dest="$esm/$(basename "$block")" ;;
      *.cjs) dest="$empty/$(basename "$block")" ;;
      *) continue ;;
    esac
    cp "$block" "$dest"
    if (cd "$(dirname "$dest")" && node "$dest" >"$dest.out" 2>&1); then
      echo "ok - README block at line $line runs (${dest##*.} project)" >> "$log"
    else
      cat "$dest.out" >&2
      echo "not ok - README block at line $line runs (${dest##*.} project)" >> "$log"
    fi
  done <<< "$blocks"
else
  echo "not ok - README blocks: every block is run or marked" >> "$log"
fi

# The test project: its dependencies (setup.sh) plus the packed package.
(cd bindings-wasm/tests && npm install --silent --no-audit --no-fund --no-save "$tarball" >/dev/null 2>&1) \
  || echo "not ok - install the package into bindings-wasm/tests" >> "$log"
# TypeScript: typical use of every export type-checks in strict mode, with
# the package's own declarations checked too (no skipLibCheck), both in a
# browser configuration (lib dom) and a Node-only one (@types/node, no dom).
for config in tsconfig.json:browser tsconfig.node.json:node; do
  if tsc_out=$(cd bindings-wasm/tests && npx --no-install tsc -p "types/${config%%:*}" 2>&1); then
    echo "ok - TypeScript declarations type-check (tsc --strict, no skipLibCheck, ${config##*:} config)" >> "$log"
  else
    printf '%s\n' "$tsc_out" >&2
    echo "not ok - TypeScript declarations type-check (tsc --strict, no skipLibCheck, ${config##*:} config)" >> "$log"
  fi
done
(cd bindings-wasm/tests && node --experimental-websocket --test --test-reporter=tap \
   node/api.test.mjs node/adapter.test.mjs node/vectors.test.mjs node/prosody.test.mjs node/readme.test.mjs \
   browser/browser.test.mjs 2>&1) \
  | tee /dev/stderr | grep -E '^(not )?ok [0-9]+ - ' | sed -E 's/^(not )?ok [0-9]+ - /\1ok - node: /' >> "$log"

cat "$log"
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
