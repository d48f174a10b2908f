#!/usr/bin/env bash
# Round trips through a real Prosody over WebSocket (RFC 7395) and TCP:
# two @xmpp/client instances with the npm package's adapter, plain IQs
# against the same inside an XTLS tunnel, with the adapter's keepalives
# (whitespace over TCP; over WebSocket, where whitespace is not allowed
# between frames, an unsolicited XEP-0198 <a/>) on and off, Prosody with
# its network defaults. Needs
# the built package and the test project's install (scripts/test-wasm.sh
# does both). Prints the table; a benchmark, not a test.
#
#   SECONDS=1.5 ROUNDS=3 scripts/bench-prosody-ws.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-prosody
mkdir -p "$out"
cp bindings-wasm/bench/prosody-ws.mjs bindings-wasm/tests/.prosody-ws.mjs
trap 'rm -f bindings-wasm/tests/.prosody-ws.mjs' EXIT
(cd bindings-wasm/tests && node --experimental-websocket .prosody-ws.mjs) | tee "$out/websocket.jsonl" >&2
python3 - "$out/websocket.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def label(r):
    kind = "<a/>" if r["transport"] == "websocket" else "whitespace"
    return f"{r['transport']}, " + (f"keepalives ({kind})" if r["keepalive"] else "no keepalives")
print("\n| @xmpp/client, Prosody defaults | payload | in flight | plain IQ / s | in the tunnel / s | ratio |")
print("|---|---|---|---|---|---|")
for r in rows:
    if r["measure"] == "round_trips":
        print(f"| {label(r)} | {r['payload']} B | {r['inflight']} | {r['plain_per_s']:,.0f} | {r['tunnel_per_s']:,.0f} | {r['ratio']:.2f} |")
print("\n| @xmpp/client, Prosody defaults | open a tunnel: median | p90 |")
print("|---|---|---|")
for r in rows:
    if r["measure"] == "open_ms":
        s = sorted(r["samples"])
        print(f"| {label(r)} | {r['median']:.1f} ms | {s[int(len(s) * 0.9) - 1]:.1f} ms |")
PY
