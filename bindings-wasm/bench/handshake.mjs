// The npm package's tunnel handshake in Node: a full XTLS open (start,
// proceed, TLS 1.3 with mutual authentication) between two fresh endpoints,
// with the default X25519MLKEM768 and with X25519 alone, interleaved so
// both see the same machine. Prints one JSON line with medians in ms and
// their ratio. Usage: node handshake.mjs [rounds]
import { Endpoint } from "xmpptls";

const rounds = Number(process.argv[2] ?? 40);
const ROMEO = "romeo@montague.lit/orchard";
const JULIET = "juliet@capulet.lit/balcony";

function open(keyExchange) {
  const romeo = new Endpoint(ROMEO, { trust: "offer", keyExchange });
  const juliet = new Endpoint(JULIET, { trust: "offer", keyExchange });
  const start = process.hrtime.bigint();
  romeo.openTunnel(JULIET);
  let group;
  for (let moved = true; moved;) {
    moved = false;
    for (let s = romeo.pollTransmit(); s !== undefined; s = romeo.pollTransmit()) {
      juliet.handleIncoming(s);
      moved = true;
    }
    for (let s = juliet.pollTransmit(); s !== undefined; s = juliet.pollTransmit()) {
      romeo.handleIncoming(s);
      moved = true;
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  for (let e = romeo.pollEvent(); e !== undefined; e = romeo.pollEvent()) {
    if (e.type === "established") group = e.info.kxGroup;
  }
  romeo.free();
  juliet.free();
  return { ms, group };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { "post-quantum": [], classical: [] };
const groups = {};
open("post-quantum"); // warm up
for (let i = 0; i < rounds; i++) {
  for (const kx of Object.keys(times)) {
    const { ms, group } = open(kx);
    times[kx].push(ms);
    groups[kx] = group;
  }
}
const pq = median(times["post-quantum"]);
const classical = median(times.classical);
console.log(JSON.stringify({
  runtime: "wasm (node " + process.version + ")",
  hybrid_group: groups["post-quantum"],
  classical_group: groups.classical,
  hybrid_ms: pq,
  classical_ms: classical,
  ratio: pq / classical,
  rounds,
}));
