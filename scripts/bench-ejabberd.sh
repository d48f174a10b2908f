#!/usr/bin/env bash
# Through a real ejabberd (Debian 23.01) as users run it: its shipped
# configuration (/etc/ejabberd/ejabberd.yml) with only the host name, the
# certificate, loopback listeners and two accounts changed (the list is in
# scripts/lib/servers.sh), so its c2s shaper (3,000 B/s after a 20,000 B
# burst) and stream management are on. Then the same with the shaper off
# (c2s_shaper none for everyone). Two slixmpp clients host libxmpptls
# endpoints (the Python binding, release build) and measure, plain against
# the tunnel: request/response (64 B and 4 KiB, 1 and 16 in flight, hosts
# writing after every send and once per read), a burst of 48 x 4 KiB, single
# stanzas of 64 KiB and 100,000 B (time until all arrived, what closed, what
# came back), and the time to open a tunnel. Prints Markdown tables; the raw
# JSON lines go to target/bench-ejabberd/results.jsonl. A benchmark, not a
# test: nothing here asserts a time. Under the shaper a run takes several
# minutes: 4 KiB cells wait for what is in flight to drain at 3,000 B/s,
# and every measurement starts with the shaper's bucket full (8 s).
#
#   scripts/bench-ejabberd.sh [--seconds S] [--rounds N] [--shaped-only]
#   scripts/bench-ejabberd.sh --tables     the tables of the last run again
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=3 rounds=1 shaped_only=0
# Before each measurement the hosts wait for the shaper's bucket to refill
# (20,000 B at 3,000 B/s: 7 s), so that no cell pays for the one before.
settle=8
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --shaped-only) shaped_only=1; shift ;;
    --tables) break ;;
    *) echo "usage: $0 [--seconds S] [--rounds N] [--shaped-only]" >&2; exit 2 ;;
  esac
done
command -v ejabberdctl >/dev/null && python3 -c 'import slixmpp' 2>/dev/null \
  || { echo "ejabberd and slixmpp are needed: run scripts/setup.sh" >&2; exit 1; }
. scripts/lib/servers.sh
out=target/bench-ejabberd
mkdir -p "$out"
results="$out/results.jsonl"
if [ "${1:-}" != --tables ]; then
PROFILE=release scripts/gen-mobile.sh "$out/mobile" >/dev/null
: > "$results"
domain=bench.test

run_server() { # label, shaper|no-shaper
  local label=$1 shaper=$2 dir port
  dir=$(mktemp -d /tmp/xmpptls-ejabberd-XXXXXX)
  port=$(free_port)
  start_ejabberd "$dir" "$domain" "$port" "$shaper"
  echo "== ejabberd ($label) on 127.0.0.1:$port" >&2
  PYTHONPATH="$out/mobile/python" python3 bindings-mobile/bench/prosody_rtt.py \
    --port "$port" --domain "$domain" --ca "$dir/ca.pem" --label "$label" \
    --seconds "$seconds" --rounds "$rounds" --opens 20 --bulk --settle "$settle" | tee -a "$results" >&2 || true
  stop_ejabberd "$dir"
  rm -rf "$dir"
}
trap 'for d in /tmp/xmpptls-ejabberd-*; do [ -d "$d" ] && stop_ejabberd "$d"; done' EXIT

run_server "shipped (shaper on)" shaper
[ "$shaped_only" = 1 ] || run_server "shaper off" no-shaper
fi

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
styles = {"send": "after every send", "turn": "once per read"}
print("\n| ejabberd | host writes | payload | in flight | plain IQ / s | in the tunnel / s | ratio |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if r["measure"] == "round_trips":
        print(f"| {r['server']} | {styles.get(r.get('drain'), '?')} | {r['payload']} B | {r['inflight']} | {r['plain_per_s']:,.1f} | {r['tunnel_per_s']:,.1f} | {r['ratio']:.2f} |")
print("\n| ejabberd | sent at once | plain: all arrived after | tunnel: all arrived after | throughput tunnel / plain | tunnel closes, stanzas handed back |")
print("|---|---|---|---|---|---|")
def secs(x):
    if x["seconds"] is None:
        return f"not within the limit ({x['arrived']}/{x['sent']})"
    t = x["seconds"]
    shown = f"{t:.1f} s" if t >= 1 else f"{t * 1000:.0f} ms"
    return f"{shown} ({x['arrived']}/{x['sent']})"
for r in rows:
    if r["measure"] == "bulk":
        closes = r["tunnel"]["closes"]
        back = sum(c[2] for c in closes)
        ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"| {r['server']} | {r['name']} | {secs(r['plain'])} | {secs(r['tunnel'])} | {ratio} | {len(closes)}, {back} |")
print("\n| ejabberd | open a tunnel, median | p90 | opens |")
print("|---|---|---|---|")
for r in rows:
    if r["measure"] == "open_ms":
        print(f"| {r['server']} | {r['median']:.1f} ms | {r['p90']:.1f} ms | {len(r['samples'])} |")
PY
