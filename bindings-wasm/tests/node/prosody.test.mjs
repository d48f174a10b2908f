// End to end with real parts: a Prosody server (Debian package) started on
// 127.0.0.1 with a throwaway config and mod_websocket, two registered users,
// and two @xmpp/client instances over WebSocket (RFC 7395) that open an XTLS
// tunnel through the server with the package's @xmpp/client adapter and
// exchange messages. Prosody is stopped afterwards.
// Node 20 needs --experimental-websocket (scripts/test-wasm.sh passes it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { client, xml } from "@xmpp/client";
import { Endpoint } from "xmpptls";
import { attachXtls } from "xmpptls/xmpp-client";
import { startProsody } from "./prosody-server.mjs";

let server;
let DOMAIN;
let port;

before(async () => {
  // Stream management on: the adapter's keepalive over WebSocket is an
  // unsolicited XEP-0198 <a/>.
  server = await startProsody({ modules: ["smacks"] });
  DOMAIN = server.domain;
  port = server.port;
});

after(() => server?.stop());

function connect(username, resource) {
  const xmpp = client({
    service: `ws://127.0.0.1:${port}/xmpp-websocket`,
    domain: DOMAIN,
    username,
    password: `${username}-secret`,
    resource,
  });
  xmpp.on("error", () => {});
  return xmpp;
}

function next(target, type, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} within ${ms} ms`)), ms);
    target.addEventListener(type, (e) => { clearTimeout(t); resolve(e.detail); }, { once: true });
  });
}

test("two @xmpp/client instances tunnel through Prosody over WebSocket", async () => {
  const romeo = connect("romeo", "orchard");
  const juliet = connect("juliet", "balcony");
  const [rj, jj] = await Promise.all([romeo.start(), juliet.start()]);
  const romeoJid = rj.toString();
  const julietJid = jj.toString();
  assert.equal(julietJid, `juliet@${DOMAIN}/balcony`);
  // Keepalives over WebSocket are opt-in (an XEP-0198 <a/>): on here, so
  // the test sees Prosody take them.
  const rx = attachXtls(romeo, new Endpoint(romeoJid, { trust: "trust-on-first-use" }), { keepalive: true });
  const received = [];
  const jx = attachXtls(juliet, new Endpoint(julietJid, { trust: "trust-on-first-use" }), {
    onEvent: (e) => e.type === "stanza" && received.push(e),
    keepalive: true,
  });
  // Ordinary traffic still reaches the client.
  // Decrypted stanzas reach the client's own listeners too, marked.
  const plain = new Promise((resolve) => juliet.on("stanza", (s) => s.is("message") && !jx.tunnelPeer(s) && resolve(s)));
  const tunnelled = new Promise((resolve) => juliet.on("stanza", (s) => jx.tunnelPeer(s) && resolve(s)));

  const established = Promise.all([next(rx, "established"), next(jx, "established")]);
  const gotMessage = next(jx, "stanza");
  await rx.open(julietJid);
  await rx.send(julietJid, "<message type='chat'><body>But soft! What light through yonder window breaks?</body></message>");
  const [ri, ji] = await established;
  assert.equal(ri.info.tlsVersion, "TLSv1.3");
  assert.equal(ri.info.role, "initiator");
  assert.equal(ji.info.role, "responder");
  assert.equal(ri.info.peerSpkiSha256, jx.endpoint.localPin);
  assert.equal(ri.info.report.verdict, "pass", ri.info.report.text);
  const m = await gotMessage;
  assert.equal(m.peer, romeoJid);
  assert.match(m.stanza, /yonder window/);
  assert.match(m.stanza, new RegExp(`from=["']${romeoJid}["']`));
  const el = await tunnelled;
  assert.equal(el.getChildText("body"), "But soft! What light through yonder window breaks?");
  assert.equal(jx.tunnelPeer(el), romeoJid);

  const reply = next(rx, "stanza");
  await jx.send(romeoJid, "<message type='chat'><body>Ay me!</body></message>");
  assert.match((await reply).stanza, /Ay me!/);

  await romeo.send(xml("message", { to: julietJid }, xml("body", {}, "in clear")));
  assert.equal((await plain).getChildText("body"), "in clear");

  const closed = Promise.all([next(rx, "closed"), next(jx, "closed")]);
  await rx.close(julietJid);
  const [rc, jc] = await closed;
  assert.equal(rc.reason, "local");
  assert.equal(jc.reason, "peer");
  assert.deepEqual([rc.returned, jc.returned], [[], []], "everything was acknowledged");
  assert.equal(received.length, 1);
  // Over WebSocket with stream management, stanzas that got no answer were
  // followed by an unsolicited <a/> (whitespace is not allowed there), and
  // Prosody kept the streams (an <a/> whose count went backwards would end
  // them).
  assert.equal(romeo.streamManagement.enabled, true);
  assert.ok(rx.keepalives + jx.keepalives > 0, "keepalives written");
  assert.equal(rx.timer, undefined, "no deadline left armed");
  assert.doesNotMatch(server.log(), /acknowledged less stanzas/);
  await Promise.all([romeo.stop(), juliet.stop()]);
});
