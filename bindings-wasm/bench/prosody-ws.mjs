// Round trips through a real Prosody over WebSocket (RFC 7395) and over
// TCP: two @xmpp/client instances with stream management, each with the
// package's @xmpp/client adapter, send request/response IQs in the clear
// and inside an XTLS tunnel (64 B and 4 KiB, 1 and 16 in flight), with the
// adapter's keepalives (whitespace over TCP; over WebSocket, where
// whitespace is not allowed between frames, an unsolicited XEP-0198 <a/>)
// on and off, against Prosody's network defaults. Prints one JSON line per measurement. Run by
// scripts/bench-prosody-ws.sh from the test project, where the package and
// @xmpp/client are installed.
import { client, xml } from "@xmpp/client";
import { Endpoint } from "xmpptls";
import { attachXtls } from "xmpptls/xmpp-client";
import { startProsody } from "./node/prosody-server.mjs";

const SECONDS = Number(process.env.SECONDS ?? 1.5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const NS = "urn:x-xmpptls:bench";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function connect(server, transport, username, resource) {
  const service = transport === "websocket"
    ? `ws://127.0.0.1:${server.port}/xmpp-websocket`
    : `xmpp://127.0.0.1:${server.c2sPort}`;
  const xmpp = client({
    service,
    domain: server.domain,
    username,
    password: `${username}-secret`,
    resource,
  });
  xmpp.on("error", () => {});
  return xmpp;
}

/** Request/response for `seconds` with `inflight` outstanding. */
async function roundTrips(pair, mode, payload, inflight) {
  const { a, b, ax, bx } = pair;
  const body = "x".repeat(payload);
  let done = 0;
  let outstanding = 0;
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const answered = () => {
    outstanding--;
    done++;
    if (performance.now() < end) request();
    else if (outstanding === 0) finish();
  };
  const request = () => {
    n++;
    outstanding++;
    if (mode === "plain") {
      a.iqCaller.request(xml("iq", { type: "get", to: pair.bJid }, xml("q", { xmlns: NS }, body)))
        .then(answered, answered);
    } else {
      ax.send(pair.bJid, `<iq type='get' id='b${n}'><q xmlns='${NS}'>${body}</q></iq>`);
    }
  };
  // The tunnel's responder answers inside the tunnel; the requester counts.
  const onB = (e) => {
    const id = /id=['"]([^'"]+)/.exec(e.detail.stanza)[1];
    bx.send(pair.aJid, `<iq type='result' id='${id}'><q xmlns='${NS}'>${body}</q></iq>`);
  };
  const onA = () => answered();
  bx.addEventListener("stanza", onB);
  ax.addEventListener("stanza", onA);
  const start = performance.now();
  for (let i = 0; i < inflight; i++) request();
  await finished;
  const rate = done / ((performance.now() - start) / 1000);
  bx.removeEventListener("stanza", onB);
  ax.removeEventListener("stanza", onA);
  return rate;
}

async function opening(pair, keepalive) {
  const { a, b } = pair;
  pair.ax.detach();
  pair.bx.detach();
  pair.ax = attachXtls(a, new Endpoint(pair.aJid, { trust: "offer" }), { keepalive });
  pair.bx = attachXtls(b, new Endpoint(pair.bJid, { trust: "offer" }), { keepalive });
  const got = new Promise((r) => pair.bx.addEventListener("stanza", () => r(performance.now()), { once: true }));
  const t0 = performance.now();
  await pair.ax.open(pair.bJid);
  await pair.ax.send(pair.bJid, "<message><body>first</body></message>");
  const t1 = await got;
  const closed = Promise.all([pair.ax, pair.bx].map((x) => new Promise((r) => x.addEventListener("closed", r, { once: true }))));
  await pair.ax.close(pair.bJid);
  await closed;
  return t1 - t0;
}

const server = await startProsody({ modules: ["smacks"] });
try {
  for (const transport of (process.env.TRANSPORTS ?? "websocket,tcp").split(",")) {
    // A resource per transport: the clients of the last transport stay
    // connected (see below), and the same full JID twice would make Prosody
    // and xmpp.js's reconnect kick each other out forever.
    const a = connect(server, transport, "romeo", `a-${transport}`);
    const b = connect(server, transport, "juliet", `b-${transport}`);
    const [aj, bj] = await Promise.all([a.start(), b.start()]);
    b.iqCallee.get(NS, "q", (ctx) => xml("q", { xmlns: NS }, ctx.element.text()));
    for (const keepalive of (process.env.KEEPALIVES ?? "true,false").split(",").map((k) => k === "true")) {
      const pair = { a, b, aJid: aj.toString(), bJid: bj.toString() };
      pair.ax = attachXtls(a, new Endpoint(pair.aJid, { trust: "offer" }), { keepalive });
      pair.bx = attachXtls(b, new Endpoint(pair.bJid, { trust: "offer" }), { keepalive });
      const opens = [];
      for (let i = 0; i < 15; i++) opens.push(await opening(pair, keepalive));
      console.log(JSON.stringify({ transport, keepalive, measure: "open_ms", median: median(opens),
        samples: opens.map((o) => Math.round(o * 10) / 10) }));
      const est = new Promise((r) => pair.ax.addEventListener("established", r, { once: true }));
      await pair.ax.open(pair.bJid);
      await est;
      for (const payload of [64, 4096]) {
        for (const inflight of [1, 16]) {
          const rates = { plain: [], tunnel: [] };
          for (let r = 0; r < ROUNDS; r++) {
            for (const mode of ["plain", "tunnel"]) rates[mode].push(await roundTrips(pair, mode, payload, inflight));
          }
          const plain = median(rates.plain);
          const tunnel = median(rates.tunnel);
          console.log(JSON.stringify({ transport, keepalive, measure: "round_trips", payload, inflight,
            plain_per_s: plain, tunnel_per_s: tunnel, ratio: tunnel / plain, runs: rates,
            keepalives: pair.ax.keepalives + pair.bx.keepalives }));
        }
      }
      pair.ax.detach();
      pair.bx.detach();
    }
    // Not a.stop(): xmpp.js 0.14 throws from its socket handler when data
    // arrives after stop(); the process ends with the server.
  }
} finally {
  server.stop();
  process.exit(0);
}
