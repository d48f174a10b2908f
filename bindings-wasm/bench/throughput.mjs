// The npm package's tunnel throughput in Node: the same loop as the native
// `xmpptls throughput` (two endpoints handing stanzas to each other, `count`
// stanzas of `size` octets through an established tunnel). Prints one JSON
// line. Usage: node throughput.mjs [size] [count]
import { Endpoint } from "xmpptls";

const size = Number(process.argv[2] ?? 16384);
const count = Number(process.argv[3] ?? 500);
const romeo = new Endpoint("romeo@montague.lit/orchard", { trust: "trust-on-first-use" });
const juliet = new Endpoint("juliet@capulet.lit/balcony", { trust: "trust-on-first-use" });

function pump() {
  let delivered = 0;
  for (;;) {
    let moved = false;
    for (let s = romeo.pollTransmit(); s !== undefined; s = romeo.pollTransmit()) {
      juliet.handleIncoming(s);
      moved = true;
    }
    for (let s = juliet.pollTransmit(); s !== undefined; s = juliet.pollTransmit()) {
      romeo.handleIncoming(s);
      moved = true;
    }
    for (let e = juliet.pollEvent(); e !== undefined; e = juliet.pollEvent()) {
      if (e.type === "stanza") delivered++;
    }
    while (romeo.pollEvent() !== undefined);
    if (!moved) return delivered;
  }
}

romeo.openTunnel(juliet.jid);
pump();
const stanza = `<message type='chat'><body>${"x".repeat(Math.max(0, size - 60))}</body></message>`;
const start = process.hrtime.bigint();
let delivered = 0;
for (let i = 0; i < count; i++) {
  romeo.send(juliet.jid, stanza);
  delivered += pump();
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({
  runtime: "wasm (node " + process.version + ")",
  stanza_bytes: stanza.length,
  stanzas: delivered,
  seconds,
  mb_per_s: (stanza.length * delivered) / seconds / 1e6,
}));
