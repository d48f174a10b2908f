// The @xmpp/client adapter's error paths and stanza delivery, against a
// stand-in client whose writes can fail (the real client over Prosody is
// prosody.test.mjs): a failed write must not block later ones, a write
// nobody awaits must not become an unhandled rejection, and decrypted
// stanzas reach the client's own "stanza" listeners as parsed elements.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Endpoint, XmppTlsError } from "xmpptls";
import { attachXtls, Element } from "xmpptls/xmpp-client";
import { Parser } from "@xmpp/xml";

const ROMEO = "romeo@montague.lit/orchard";
const JULIET = "juliet@capulet.lit/balcony";
const NURSE = "nurse@capulet.lit/chamber";

/** What the adapter needs of an @xmpp/client: middleware, send, emit. */
class FakeClient extends EventEmitter {
  constructor() {
    super();
    this.sent = [];
    this.failures = 0; // the next N sends reject
    this.middleware = { use: (fn) => { this.incoming = fn; } };
  }
  async send(element) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("socket closed");
    }
    this.sent.push(element);
  }
}

function parse(text) {
  const p = new Parser();
  let el;
  p.on("element", (e) => { el = e; });
  p.write(`<w>${text}</w>`);
  return el;
}

/** Delivers one stanza to the attached client as xmpp.js would; for a query
 * the middleware's return value becomes the IQ answer, as xmpp.js's
 * iq-callee builds it. */
async function deliver(client, text) {
  const stanza = parse(text);
  const answer = await client.incoming({ stanza }, async () => undefined);
  if (stanza.is("iq") && ["get", "set"].includes(stanza.attrs.type)) {
    const reply = new Element("iq", { type: answer instanceof Element && answer.is("error") ? "error" : "result",
      id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from });
    if (answer instanceof Element) reply.append(answer);
    return reply.toString();
  }
  return undefined;
}

/** Routes between a bare endpoint (romeo) and an attached client until quiet. */
async function route(romeo, client) {
  for (let moved = true; moved;) {
    moved = false;
    for (let s = romeo.pollTransmit(); s !== undefined; s = romeo.pollTransmit()) {
      moved = true;
      const reply = await deliver(client, s);
      if (reply) romeo.handleIncoming(reply);
    }
    await new Promise((r) => setImmediate(r));
    while (client.sent.length) {
      moved = true;
      romeo.handleIncoming(client.sent.shift().toString());
    }
  }
}

test("a failed write rejects its own call and does not block later ones", async () => {
  const xmpp = new FakeClient();
  const xtls = attachXtls(xmpp, new Endpoint(ROMEO));
  xmpp.failures = 1;
  await assert.rejects(xtls.open(JULIET), /socket closed/);
  await xtls.open(NURSE);
  assert.equal(xmpp.sent.length, 1, "the later start was written");
  assert.equal(xmpp.sent[0].attrs.to, NURSE);
  // Endpoint errors reject too (an async API does not throw synchronously).
  await assert.rejects(xtls.open("not a jid@@"), (e) => e instanceof XmppTlsError && e.code === 101);
  xtls.detach();
});

test("a write failing after an incoming stanza is an error event, not an unhandled rejection", async () => {
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    const xmpp = new FakeClient();
    // Without piggyback, so that Juliet writes her TLS flight herself (with
    // it, the flight rides in the answer xmpp.js writes).
    const juliet = attachXtls(xmpp, new Endpoint(JULIET, { piggyback: false }));
    const errors = [];
    juliet.addEventListener("error", (e) => errors.push(e.detail.error));
    const romeo = new Endpoint(ROMEO);
    romeo.openTunnel(JULIET);
    // Every write of Juliet's side fails from now on: her TLS flight, which
    // she writes herself after answering Romeo's data IQ, cannot go out.
    xmpp.failures = 1000;
    for (let i = 0; i < 4; i++) {
      const s = romeo.pollTransmit();
      if (s === undefined) break;
      const reply = await deliver(xmpp, s);
      if (reply) romeo.handleIncoming(reply);
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(errors.length > 0, "the failed write was reported");
    assert.match(String(errors[0]), /socket closed/);
    assert.deepEqual(unhandled, []);
    juliet.detach();
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("decrypted stanzas reach the client's own stanza listeners, parsed", async () => {
  const xmpp = new FakeClient();
  const juliet = attachXtls(xmpp, new Endpoint(JULIET));
  const heard = [];
  xmpp.on("stanza", (el) => heard.push(el));
  const events = [];
  juliet.addEventListener("stanza", (e) => events.push(e.detail));
  const romeo = new Endpoint(ROMEO);
  romeo.openTunnel(JULIET);
  romeo.send(JULIET, "<message type='chat'><body>But soft!</body></message>");
  await route(romeo, xmpp);
  assert.equal(heard.length, 1);
  const [el] = heard;
  assert.ok(el.is("message"));
  assert.equal(el.getChildText("body"), "But soft!");
  assert.equal(el.attrs.from, ROMEO, "routing restored");
  assert.equal(juliet.tunnelPeer(el), ROMEO, "marked as tunnelled");
  assert.equal(juliet.tunnelPeer(parse("<message/>")), undefined);
  assert.equal(events[0].element, el, "the event carries the same element");
  juliet.detach();

  // emitStanzas: false keeps them off the client's path.
  const quiet = new FakeClient();
  const j2 = attachXtls(quiet, new Endpoint(JULIET), { emitStanzas: false });
  let count = 0;
  quiet.on("stanza", () => count++);
  const r2 = new Endpoint(ROMEO);
  r2.openTunnel(JULIET);
  r2.send(JULIET, "<message><body>hush</body></message>");
  await route(r2, quiet);
  assert.equal(count, 0);
  j2.detach();
});

test("a freed object throws XmppTlsError", () => {
  const e = new Endpoint(ROMEO);
  e.free();
  assert.throws(() => e.openTunnel(JULIET), (err) => err instanceof XmppTlsError && err.code === 500);
  assert.throws(() => e.localPin, (err) => err instanceof XmppTlsError && /freed/.test(err.message));
});
