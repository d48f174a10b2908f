#!/usr/bin/env bash
# Round trips through a real Prosody (issue "XTLS on real servers"): two
# slixmpp clients, each hosting a libxmpptls endpoint (release build) through
# the C library (ctypes, bindings-mobile/bench/c_endpoint.py) or the Python
# binding (uniffi), send request/response IQs in the clear and
# inside an XTLS tunnel (64 B and 4 KiB, 1 and 16 in flight) and open
# tunnels, with hosts of both styles (writing after every send, and once
# per read: bindings-mobile/bench/prosody_rtt.py). Prosody runs twice: with
# its network defaults (nagle = true) and with
# network_settings = { nagle = false }; with --ablation, a third run on the
# defaults without the hosts' whitespace keepalives. Prints the ratios
# (tunnel / plain, same clients, same run) as a Markdown table; the raw
# JSON lines go to target/bench-prosody/results.jsonl. A benchmark, not a
# test: nothing here asserts a time.
#
# --no-piggyback adds a run on the defaults with plain XTLS answers (no data
# in IQ results), the comparison for piggyback.
# --binding c,python (the default) runs the default Prosody once with each;
# every other run uses the first. The C library is the host the issue
# measured; the Python binding adds uniffi's cost per call (about 7 us; a
# send 18 us) to the host's side of every exchange.
# --payloads 64,4096 (the default) sets the stanza body sizes;
# --server-config LINE replaces the default Prosody with one configured by
# LINE (e.g. 'network_settings = { read_size = 65536 }');
# --limits name=value,... sets endpoint limits by the core's names (to
# compare batching settings); --default-only skips the nagle = false run.
# --key-exchange only times opening tunnels on the default Prosody,
# X25519MLKEM768 (the default) and X25519 alone, interleaved.
#
#   scripts/bench-prosody.sh [--seconds S] [--rounds N] [--ablation] [--no-piggyback]
#                            [--binding c,python] [--limits L] [--payloads P] [--server-config LINE] [--default-only]
#                            [--key-exchange]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=1.5 rounds=3 ablation=0 limits="" payloads=64,4096 server_config="" default_only=0 key_exchange=0 no_piggyback=0 bindings=c,python
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --ablation) ablation=1; shift ;;
    --no-piggyback) no_piggyback=1; shift ;;
    --limits) limits=$2; shift 2 ;;
    --payloads) payloads=$2; shift 2 ;;
    --server-config) server_config=$2; shift 2 ;;
    --binding) bindings=$2; shift 2 ;;
    --default-only) default_only=1; shift ;;
    --key-exchange) key_exchange=1; shift ;;
    *) echo "usage: $0 [--seconds S] [--rounds N] [--ablation] [--no-piggyback] [--binding c,python] [--limits L] [--payloads P] [--server-config LINE] [--default-only] [--key-exchange]" >&2; exit 2 ;;
  esac
done
command -v prosody >/dev/null && python3 -c 'import slixmpp' 2>/dev/null \
  || { echo "Prosody and slixmpp are needed: run scripts/setup.sh" >&2; exit 1; }
out=target/bench-prosody
mkdir -p "$out"
PROFILE=release scripts/gen-mobile.sh "$out/mobile" >/dev/null
cargo build --release -q -p xmpptls-c
results="$out/results.jsonl"
: > "$results"
domain=bench.test

. scripts/lib/servers.sh

first=${bindings%%,*}
run_server() { # label, extra config line, python flags[, binding]
  local label=$1 extra=$2 flags=$3 binding=${4:-$first}
  local dir port
  dir=$(mktemp -d /tmp/xmpptls-bench-XXXXXX)
  port=$(free_port)
  start_prosody "$dir" "$domain" "$port" "$extra"
  echo "== Prosody ($label) on 127.0.0.1:$port" >&2
  PYTHONPATH="$out/mobile/python" python3 bindings-mobile/bench/prosody_rtt.py \
    --port "$port" --domain "$domain" --ca "$dir/ca.pem" --label "$label" \
    --seconds "$seconds" --rounds "$rounds" --server-pid "$(cat "$dir/prosody.pid" 2>/dev/null || echo 0)" \
    --binding "$binding" --limits "$limits" --payloads "$payloads" $flags | tee -a "$results" >&2 || true
  stop_prosody
  rm -rf "$dir"
}

if [ "$key_exchange" = 1 ]; then
  run_server "default (nagle = true)" "" "--compare-key-exchange --opens 60" python
else
for binding in ${bindings//,/ }; do
  run_server "${server_config:-default (nagle = true)}" "$server_config" "" "$binding"
done
[ "$default_only" = 1 ] || run_server "nagle = false" "network_settings = { nagle = false }" ""
[ "$ablation" = 1 ] && run_server "default, no keepalives" "" "--no-keepalive"
[ "$no_piggyback" = 1 ] && run_server "default, no piggyback" "" "--no-piggyback"
fi

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def label(r): return r["server"] + ("" if r["keepalive"] else " ") + " | " + names.get(r.get("binding"), "?")
names = {"c": "C library", "python": "Python binding"}
servers = list(dict.fromkeys(label(r) for r in rows))
print("\n| Prosody | host | host writes | payload | in flight | plain IQ / s | in the tunnel / s | ratio |")
print("|---|---|---|---|---|---|---|---|")
styles = {"send": "after every send", "turn": "once per read"}
for s in servers:
    for r in rows:
        if label(r) == s and r["measure"] == "round_trips":
            print(f"| {s.strip()} | {styles.get(r.get('drain'), '?')} | {r['payload']} B | {r['inflight']} | {r['plain_per_s']:,.0f} | {r['tunnel_per_s']:,.0f} | {r['ratio']:.2f} |")
print("\n| Prosody | host | open a tunnel, median | p90 | opens |")
print("|---|---|---|---|---|")
for r in rows:
    if r["measure"] == "open_ms":
        print(f"| {label(r).strip()} | {r['median']:.1f} ms | {r['p90']:.1f} ms | {len(r['samples'])} |")
    if r["measure"] == "open_ms_kx":
        print(f"| {label(r).strip()}, {r['key_exchange']} | {r['median']:.1f} ms | {r['p90']:.1f} ms | {len(r['samples'])} |")
PY
