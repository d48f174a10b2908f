// The npm package in Node (`node --test`), installed from its tarball:
// tunnels, close, conflict, bad input, identity, pins, POSH, policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  Endpoint, Policy, PinStore, XmppTlsError, generateIdentity, checkIdentity, certificateInfo,
  certificatesFromPem, poshRedirectUrl, poshVerify, xtlsFeature, supportsXtls, version, serverPinKey,
} from "xmpptls";
import { ROMEO, JULIET, endpoint, route, events, message } from "./support.mjs";

test("tunnel: handshake and messages both ways, routing restored", () => {
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  romeo.openTunnel(JULIET);
  romeo.send(JULIET, message("But soft!"));
  assert.deepEqual(route(romeo, juliet), []);
  juliet.send(ROMEO, message("Ay me!"));
  route(romeo, juliet);
  const [est, got] = events(romeo);
  assert.equal(est.type, "established");
  assert.equal(est.peer, JULIET);
  assert.equal(est.info.role, "initiator");
  assert.equal(est.info.tlsVersion, "TLSv1.3");
  assert.equal(est.info.firstUse, true);
  assert.equal(est.info.peerSpkiSha256, juliet.localPin);
  assert.equal(est.info.report.verdict, "pass");
  assert.equal(got.type, "stanza");
  assert.match(got.stanza, /Ay me!/);
  const atJuliet = events(juliet).filter((e) => e.type === "stanza");
  assert.equal(atJuliet.length, 1);
  assert.match(atJuliet[0].stanza, new RegExp(`from=["']${ROMEO}["']`));
  assert.equal(romeo.tunnelState(JULIET), "established");
  assert.equal(romeo.tunnelInfo(JULIET).cipherSuite, est.info.cipherSuite);
  assert.equal(romeo.tunnelCount, 1);
  romeo.free();
  juliet.free();
});

test("tunnel: TLS 1.3 only in the package, and XEP-0250 offers verified", () => {
  assert.throws(() => endpoint(ROMEO, { versions: "tls12-only" }), (e) => e.code === 500 && /TLS 1\.2/.test(e.message));
  const romeo = endpoint(ROMEO, { trust: "offer", versions: "tls12-and-13" });
  const juliet = endpoint(JULIET, { trust: "offer", versions: "tls13-only" });
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  const info = events(romeo)[0].info;
  assert.equal(info.tlsVersion, "TLSv1.3");
  assert.equal(info.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256", "ChaCha20 first without AES hardware");
  assert.equal(info.kxGroup, "X25519MLKEM768", "the hybrid by default");
  assert.equal(info.report.key_exchange, "X25519MLKEM768");
  assert.equal(info.offerVerified, true);
  assert.equal(info.authentication, "offer");
});

test("settings: every option reaches the core; an unknown option throws 500", () => {
  // No options: trust on first use, the core's default in every runtime.
  {
    const romeo = new Endpoint(ROMEO);
    const juliet = new Endpoint(JULIET);
    romeo.openTunnel(JULIET);
    route(romeo, juliet);
    assert.equal(events(romeo)[0].info.firstUse, true);
    romeo.free();
    juliet.free();
  }
  // sendOffer: the XEP-0250 offer is in the start only when asked for.
  for (const sendOffer of [true, false]) {
    const ep = endpoint(ROMEO, { trust: "offer", sendOffer });
    ep.openTunnel(JULIET);
    assert.equal(ep.pollTransmit().includes("<offer"), sendOffer);
    ep.free();
  }
  // enabled: false refuses starts, and the opener learns it.
  const romeo = endpoint(ROMEO, { trust: "offer" });
  const juliet = endpoint(JULIET, { trust: "offer", enabled: false });
  romeo.openTunnel(JULIET);
  assert.notDeepEqual(route(romeo, juliet), []);
  assert.ok(events(romeo).some((e) => e.type === "closed"));
  assert.equal(juliet.tunnelCount, 0);
  // rootsPem: PKIX without roots is a configuration error; with them, not.
  assert.throws(() => endpoint(ROMEO, { trust: "pkix" }), (e) => e instanceof XmppTlsError && e.code === 500);
  endpoint(ROMEO, { trust: "pkix", rootsPem: generateIdentity(JULIET).chainPem }).free();
  // A misspelt option is an error, never a default.
  assert.throws(() => endpoint(ROMEO, { sendoffer: false }),
    (e) => e instanceof XmppTlsError && e.code === 500 && /unknown option "sendoffer".*sendOffer/.test(e.message));
  assert.throws(() => endpoint(ROMEO, { jid: ROMEO }), (e) => e.code === 500);
  // The same for a negotiation: a misspelt fact is not silently ungraded.
  assert.throws(() => new Policy("strict").evaluate("example.net", { tlsversion: "TLSv1.2" }),
    (e) => e instanceof XmppTlsError && e.code === 500 && /unknown negotiation field "tlsversion"/.test(e.message));
});

test("post-quantum: keyExchange settings, a classical peer, and the finding", () => {
  assert.throws(() => endpoint(ROMEO, { keyExchange: "quantum" }), (e) => e.code === 501);
  // A classical peer (an older libxmpptls): X25519, graded with an info finding.
  let romeo = endpoint(ROMEO, { trust: "offer" });
  let juliet = endpoint(JULIET, { trust: "offer", keyExchange: "classical" });
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  const info = events(romeo)[0].info;
  assert.equal(info.kxGroup, "X25519");
  const finding = info.report.findings.find((f) => f.code === "classical-key-exchange");
  assert.equal(finding.severity, "info");
  assert.equal(info.report.verdict, "pass");
  // Required against classical: no tunnel.
  romeo = endpoint(ROMEO, { trust: "offer", keyExchange: "post-quantum-required" });
  juliet = endpoint(JULIET, { trust: "offer", keyExchange: "classical" });
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  const evs = events(romeo);
  assert.ok(!evs.some((e) => e.type === "established"));
  assert.equal(evs.find((e) => e.type === "closed").reason, "error");
  // The policy knob turns the finding into an error.
  const policy = new Policy("strict");
  policy.setRequirePostQuantum(true);
  const n = { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", kxGroup: "X25519", authentication: "pkix" };
  assert.equal(policy.evaluate("x", n).verdict, "fail");
  assert.equal(policy.evaluate("x", { ...n, kxGroup: "X25519MLKEM768" }).verdict, "pass");
});

test("close: both sides see the tunnel end; sending afterwards throws 201", () => {
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  romeo.closeTunnel(JULIET);
  route(romeo, juliet);
  assert.equal(events(romeo).at(-1).reason, "local");
  assert.equal(events(juliet).at(-1).reason, "peer");
  assert.equal(romeo.tunnelState(JULIET), undefined);
  assert.throws(() => romeo.send(JULIET, message("late")), (e) => e instanceof XmppTlsError && e.code === 201);
});

test("deadlines, keepalive hint, and stanzas handed back when a tunnel ends", () => {
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  assert.equal(romeo.pollTimeout(), undefined);
  romeo.openTunnel(JULIET);
  // The start waits for its answer: a deadline about 30 s from now, in ms.
  const left = romeo.pollTimeout() - Date.now();
  assert.ok(left > 25_000 && left <= 31_000, `deadline in ${left} ms`);
  romeo.handleTimeout(); // not due yet
  assert.equal(romeo.tunnelState(JULIET), "starting");
  route(romeo, juliet);
  assert.equal(romeo.pollTimeout(), undefined);
  events(romeo);
  // Juliet acknowledges romeo's message; romeo has nothing to answer.
  romeo.send(JULIET, message("hello"));
  assert.equal(juliet.handleIncoming(romeo.pollTransmit()), true);
  assert.equal(romeo.handleIncoming(juliet.pollTransmit()), true);
  assert.equal(romeo.pollTransmit(), undefined);
  assert.equal(romeo.pollKeepalive(), true);
  assert.equal(romeo.pollKeepalive(), false);
  // What the peer never acknowledged comes back with the close.
  romeo.send(JULIET, message("are you there"));
  romeo.peerUnavailable(JULIET);
  const closed = events(romeo).find((e) => e.type === "closed");
  assert.equal(closed.reason, "peer-unavailable");
  assert.equal(closed.returned.length, 1);
  assert.match(closed.returned[0].stanza, /are you there/);
  assert.equal(closed.returned[0].maybeDelivered, false);
  romeo.free();
  juliet.free();
});

test("limits: every core limit by its camelCase name reaches the core; unknown names throw 500", () => {
  // The start deadline: 5 s instead of 30.
  const romeo = endpoint(ROMEO, { limits: { startTimeoutSecs: 5 } });
  romeo.openTunnel(JULIET);
  const left = romeo.pollTimeout() - Date.now();
  assert.ok(left > 3_000 && left <= 6_000, `deadline in ${left} ms`);
  // Every name the core has is accepted (values the core refuses throw).
  const all = {
    maxDataBytes: 6173, maxInFlight: 16, coalesceBytes: 2048, maxBufferedBytes: 1048576, maxStanzaBytes: 131072,
    maxTunnels: 64, maxHalfOpen: 16, maxHalfOpenPerPeer: 2, initialWindowBytes: 16413,
    rememberedTunnels: 64, resumptionSessions: 256, startTimeoutSecs: 30, handshakeTimeoutSecs: 30,
    halfOpenTimeoutSecs: 10, ackTimeoutSecs: 30, closeTimeoutSecs: 10,
  };
  endpoint(ROMEO, { limits: all }).free();
  assert.throws(() => endpoint(ROMEO, { limits: { ackTimeout: 60 } }),
    (e) => e instanceof XmppTlsError && e.code === 500 && /unknown limit 'ack_timeout'/.test(e.message));
  assert.throws(() => endpoint(ROMEO, { limits: { maxHalfOpen: 0 } }), (e) => e.code === 500);
  assert.throws(() => endpoint(ROMEO, { limits: { maxInFlight: -1 } }), (e) => e.code === 500);
  assert.throws(() => endpoint(ROMEO, { limits: { maxInFlight: "8" } }), (e) => e.code === 500);
  // A window of 8 data IQs: nine stanzas of 20 KB each need two turns.
  const slow = endpoint(ROMEO, { limits: { maxInFlight: 1, initialWindowBytes: 100000 } });
  const juliet = endpoint(JULIET);
  slow.openTunnel(JULIET);
  route(slow, juliet);
  for (let i = 0; i < 3; i++) slow.send(JULIET, message("x".repeat(20000)));
  let out = 0;
  for (let s = slow.pollTransmit(); s !== undefined; s = slow.pollTransmit()) out++;
  assert.equal(out, 1, "one data IQ in flight");
  romeo.free(); slow.free(); juliet.free();
});

test("start gate, half-open count, path rate and pollWrite", () => {
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  const nurse = endpoint("nurse@capulet.lit/chamber");
  juliet.restrictStarts(true);
  juliet.allowStartsFrom("romeo@montague.lit");
  nurse.openTunnel(JULIET);
  const errors = route(nurse, juliet);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 208, "refused: XTLS disabled for strangers");
  assert.equal(juliet.tunnelCount, 0);
  assert.equal(juliet.halfOpenCount, 0);
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  assert.equal(juliet.tunnelCount, 1);
  assert.equal(typeof romeo.pathRate(JULIET), "number");
  assert.equal(romeo.pathRate("nurse@capulet.lit/chamber"), undefined);
  assert.equal(juliet.revokeStartsFrom("romeo@montague.lit"), true);
  assert.equal(juliet.revokeStartsFrom("romeo@montague.lit"), false);
  // pollWrite: the stanzas of a turn in one string, then the keepalive.
  events(romeo);
  romeo.send(JULIET, message("one"));
  romeo.send(JULIET, message("two"));
  const w = romeo.pollWrite();
  assert.match(w, /^<iq[^]*<\/iq>$/);
  assert.equal(romeo.pollWrite(), undefined);
  juliet.handleIncoming(w);
  romeo.handleIncoming(juliet.pollWrite());
  assert.equal(romeo.pollWrite(), " ", "an acknowledgement that needs no answer: a keepalive");
  romeo.free(); juliet.free(); nurse.free();
});

test("conflict: simultaneous starts resolve by i;octet JID order, both orders", () => {
  for (const first of [ROMEO, JULIET]) {
    const eps = { [ROMEO]: endpoint(ROMEO), [JULIET]: endpoint(JULIET) };
    const second = first === ROMEO ? JULIET : ROMEO;
    eps[first].openTunnel(second);
    eps[second].openTunnel(first);
    eps[ROMEO].send(JULIET, message("from romeo"));
    route(eps[first], eps[second]);
    const re = events(eps[ROMEO]);
    const je = events(eps[JULIET]);
    // juliet@capulet.lit sorts before romeo@montague.lit: her start wins.
    assert.equal(re.find((e) => e.type === "established").info.role, "responder", `first ${first}`);
    assert.equal(je.find((e) => e.type === "established").info.role, "initiator");
    assert.match(je.find((e) => e.type === "stanza").stanza, /from romeo/);
  }
});

test("bad input: typed errors, never a crash", () => {
  const romeo = endpoint(ROMEO);
  const code = (f) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof XmppTlsError && e instanceof Error, String(e));
      assert.equal(e.name, "XmppTlsError");
      return e.code;
    }
    assert.fail("no error");
  };
  assert.equal(code(() => romeo.openTunnel("not a jid@@/")), 101);
  assert.equal(code(() => romeo.handleIncoming("<iq type='set'")), 100);
  assert.equal(code(() => romeo.handleIncoming(
    `<!DOCTYPE lol [<!ENTITY lol 'lol'>]><iq type='set' from='${JULIET}' to='${ROMEO}' id='1'/>`)), 100);
  assert.equal(code(() => romeo.handleIncoming(
    `<iq type='set' from='${JULIET}' to='${ROMEO}' id='d1'><data xmlns='urn:xmpp:tmp:xtls'>AAAA</data></iq>`)), 201);
  // The IQ-set got its stanza error, as XMPP requires.
  assert.match(romeo.pollTransmit(), /<item-not-found /);
  const juliet = endpoint(JULIET);
  romeo.openTunnel(JULIET);
  const start = romeo.pollTransmit();
  assert.match(start, /<start /);
  juliet.handleIncoming(start);
  juliet.pollTransmit(); // proceed
  // The same start again (a resumed stream resends it) is answered again.
  assert.equal(juliet.handleIncoming(start), true);
  assert.match(juliet.pollTransmit(), /type=["']result["'][^]*<proceed /);
  // A new start from romeo while the tunnel exists: his client restarted,
  // so the old tunnel is replaced.
  assert.equal(juliet.handleIncoming(start.replace(/id='([^']+)'/, "id='$1-again'")), true);
  assert.match(juliet.pollTransmit(), /<proceed /);
  assert.equal(juliet.pollEvent().reason, "peer-restarted");
  assert.equal(code(() => juliet.handleIncoming(
    `<iq type='set' from='${ROMEO}' to='${JULIET}' id='d2'><data xmlns='urn:xmpp:tmp:xtls'>!!not base64!!</data></iq>`)), 102);
  // Over the stanza limit (128 KiB): refused before parsing.
  assert.throws(() => romeo.handleIncoming(`<iq type='set'>${"x".repeat(200 * 1024)}</iq>`),
    (e) => e.code === 100 && /too large/.test(e.message));
  assert.equal(code(() => new Endpoint(ROMEO, { trust: "nonsense" })), 501);
  assert.equal(code(() => new Endpoint(ROMEO, { identity: { chainPem: "no", keyPem: "no" } })), 106);
  assert.equal(code(() => endpoint(ROMEO, { trust: "pinned" }).openTunnel(JULIET)), 301);
  // Not XTLS: handed back to the XMPP library.
  assert.equal(romeo.handleIncoming(`<message from='${JULIET}' to='${ROMEO}'><body>hi</body></message>`), false);
});

test("identity: XmppAddr, DNS-ID and no match", () => {
  const der = certificatesFromPem(generateIdentity("capulet.lit").chainPem)[0];
  assert.ok(der instanceof Uint8Array);
  assert.deepEqual(checkIdentity(der, "capulet.lit", "xmpp-server"), { kind: "xmpp-addr", type: "XmppAddr", presented: "capulet.lit" });
  assert.equal(checkIdentity(der, "montague.lit", "xmpp-client"), null);
  assert.throws(() => checkIdentity(der, "capulet.lit", "xmpp-web"), (e) => e.code === 501);
  assert.throws(() => checkIdentity(new Uint8Array([1, 2, 3]), "capulet.lit", "xmpp-client"), (e) => e.code === 106);
  const info = certificateInfo(der);
  assert.deepEqual(info.san.xmpp_addr, ["capulet.lit"]);
  assert.equal(info.spki_sha256.length, 64);
});

// The package leaves ICU's tables out: U-labels are converted by the
// platform's UTS 46 (the WHATWG URL parser), as the native build does with
// the idna crate.
test("identity: internationalized domains through the platform's UTS 46", () => {
  const der = certificatesFromPem(generateIdentity("bücher.example").chainPem)[0];
  const match = { kind: "xmpp-addr", type: "XmppAddr", presented: "bücher.example" };
  for (const d of ["bücher.example", "BÜCHER.example", "xn--bcher-kva.example", "bücher.example."]) {
    assert.deepEqual(checkIdentity(der, d, "xmpp-server"), match, d);
  }
  assert.equal(checkIdentity(der, "bucher.example", "xmpp-server"), null);
  // Text the URL parser would read as more than a host is refused, never
  // reinterpreted (userinfo, port, path, escapes, spaces).
  for (const d of ["x@bücher.example", "bücher.example:5222", "bücher.example/x", "b%C3%BCcher.example", "bü cher.example"]) {
    assert.throws(() => checkIdentity(der, d, "xmpp-server"), (e) => e.code === 500 && /not a valid domain/.test(e.message), d);
  }
});

// The app's storage as a browser app would write it over localStorage.
function appStorage() {
  const disk = new Map();
  return {
    disk,
    load: (key) => disk.get(key) ?? [],
    save: (key, pins) => (pins.length ? disk.set(key, [...pins]) : disk.delete(key)),
  };
}

test("pins: one store in the app's storage; a changed key is refused after a restart", () => {
  const storage = appStorage();
  const romeoId = generateIdentity(ROMEO);
  const first = endpoint(ROMEO, { identity: romeoId });
  const juliet = endpoint(JULIET);
  juliet.usePinStore(PinStore.withStorage(storage));
  first.openTunnel(JULIET);
  route(first, juliet);
  assert.equal(events(juliet)[0].info.firstUse, true);
  // The first use is pinned in the app's storage, under the bare JID.
  assert.deepEqual(storage.disk.get("romeo@montague.lit"), [first.localPin]);
  // Juliet restarts over the same storage; Romeo returns with another key.
  const pins = PinStore.withStorage(storage);
  assert.throws(() => pins.toJSON(), (e) => e.code === 500 && /storage/.test(e.message));
  const juliet2 = endpoint(JULIET);
  juliet2.usePinStore(pins);
  const impostor = endpoint(ROMEO);
  impostor.openTunnel(JULIET);
  const [refused] = route(impostor, juliet2);
  assert.equal(refused.code, 301);
  const closed = events(juliet2).find((e) => e.type === "closed");
  assert.equal(closed.reason, "error");
  assert.equal(closed.code, 301);
  assert.match(closed.detail, /changed/);
  juliet2.peerUnavailable(ROMEO);
  const back = endpoint(ROMEO, { identity: romeoId });
  back.openTunnel(JULIET);
  route(back, juliet2);
  assert.equal(events(juliet2).find((e) => e.type === "established").info.firstUse, false);
  // The server check keeps its pins in the same store and storage.
  const server = generateIdentity("capulet.lit");
  const n = { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256",
    authentication: "pkix", peerChain: certificatesFromPem(server.chainPem) };
  assert.deepEqual(new Policy().checkServer("capulet.lit", "xmpp-client", n, pins).pin, { status: "new" });
  assert.deepEqual(storage.disk.get("xmpp-client:capulet.lit"), [server.pin]);
  // Forgetting (after the user accepted Romeo's new key) reaches the storage.
  assert.equal(pins.remove("romeo@montague.lit"), true);
  assert.equal(storage.disk.has("romeo@montague.lit"), false);
  assert.equal(pins.remove("romeo@montague.lit"), false);
  // Pins come from one place: an endpoint given pinsJson takes no store.
  const configured = endpoint(JULIET, { pinsJson: PinStore.fromJSON(JSON.stringify(
    { version: 1, pins: { "romeo@montague.lit": [first.localPin] } })).toJSON() });
  assert.throws(() => configured.usePinStore(pins), (e) => e.code === 500 && /both/.test(e.message));
});

test("pins: storage that throws reads as none and is not saved, and nothing is thrown", () => {
  const broken = PinStore.withStorage({
    load() { throw new Error("disk gone"); },
    save() { throw new Error("disk full"); },
  });
  assert.deepEqual(broken.pins("xmpp-client:example.net"), []);
  assert.deepEqual(broken.checkAndPin("xmpp-client:example.net", "aa".repeat(32)), { status: "new" });
  broken.add("xmpp-client:example.net", "aa".repeat(32));
  assert.equal(broken.remove("xmpp-client:example.net"), false);
  // Stores and their storage objects come and go independently.
  const kept = appStorage();
  const a = PinStore.withStorage(kept);
  broken.free();
  a.add("k", "AB".repeat(32));
  assert.deepEqual(kept.disk.get("k"), ["ab".repeat(32)]);
  a.add("k", "ab".repeat(32));
  assert.deepEqual(a.pins("k"), ["ab".repeat(32)], "lowercase, no duplicates");
});

test("pins: in memory, saved and loaded as JSON", () => {
  const store = new PinStore();
  assert.deepEqual(store.checkAndPin("xmpp-client:example.net", "aa".repeat(32)), { status: "new" });
  const reloaded = PinStore.fromJSON(store.toJSON());
  assert.deepEqual(reloaded.check("xmpp-client:example.net", "aa".repeat(32)), { status: "match" });
  assert.deepEqual(reloaded.check("xmpp-client:example.net", "bb".repeat(32)),
    { status: "changed", old: "aa".repeat(32), new: "bb".repeat(32) });
  assert.throws(() => PinStore.fromJSON("{"), (e) => e.code === 105);
  // An endpoint's first-use pins land in the store it uses, saved with it.
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  juliet.usePinStore(store);
  romeo.openTunnel(JULIET);
  route(romeo, juliet);
  assert.deepEqual(PinStore.fromJSON(store.toJSON()).pins("romeo@montague.lit"), [romeo.localPin]);
});

test("POSH: fingerprints, one redirect, expiry, mismatch", () => {
  const der = certificatesFromPem(generateIdentity("example.net").chainPem)[0];
  const other = certificatesFromPem(generateIdentity("example.net").chainPem)[0];
  const sha256 = createHash("sha256").update(der).digest("base64");
  const doc = JSON.stringify({ fingerprints: [{ "sha-256": sha256 }], expires: 3600 });
  const now = Math.floor(Date.now() / 1000);
  assert.deepEqual(poshVerify(doc, undefined, der, now),
    { outcome: "match", algorithm: "sha-256", detail: "fingerprint (sha-256) matches" });
  assert.equal(poshVerify(doc, undefined, other, now).outcome, "no-match");
  assert.equal(poshVerify(doc, undefined, der, now - 7200, now).outcome, "expired");
  const redirect = JSON.stringify({ url: "https://hosting.example/.well-known/posh/xmpp-client.json", expires: 60 });
  assert.equal(poshRedirectUrl(redirect), "https://hosting.example/.well-known/posh/xmpp-client.json");
  assert.equal(poshRedirectUrl(doc), undefined);
  assert.equal(poshVerify(redirect, doc, der, now).algorithm, "sha-256");
  assert.equal(poshVerify(doc, undefined, other, now).algorithm, null);
  assert.equal(poshVerify(redirect, undefined, der, now).outcome, "redirect-not-followed");
  assert.equal(poshVerify(redirect, redirect, der, now).outcome, "too-many-redirects");
  const insecure = JSON.stringify({ url: "http://hosting.example/posh.json", expires: 60 });
  assert.equal(poshVerify(insecure, doc, der, now).outcome, "insecure-redirect");
  assert.equal(poshVerify("not json", undefined, der, now).outcome, "malformed");
});

test("policy: evaluate and checkServer produce the report", () => {
  const policy = new Policy("strict");
  assert.equal(policy.name, "strict");
  const weak = policy.evaluate("legacy.example", { tlsVersion: "TLSv1.0", cipherSuite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA" });
  assert.equal(weak.verdict, "fail");
  const codes = weak.findings.map((f) => f.code);
  assert.ok(codes.includes("version-deprecated") && codes.includes("suite-forbidden"), codes.join());
  assert.equal(weak.findings.find((f) => f.code === "suite-forbidden").severity, "error");
  assert.match(weak.text, /legacy\.example/);
  const chain = certificatesFromPem(generateIdentity("capulet.lit").chainPem);
  const pins = new PinStore();
  const good = { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256", kxGroup: "X25519",
    authentication: "pkix", peerChain: chain };
  const r = policy.checkServer("capulet.lit", "xmpp-client", good, pins);
  assert.equal(r.verdict, "pass", r.text);
  assert.deepEqual(r.identity, { kind: "xmpp-addr", type: "XmppAddr", presented: "capulet.lit" });
  assert.deepEqual(r.pin, { status: "new" });
  assert.equal(r.cipher_suite, "TLS_AES_128_GCM_SHA256");
  assert.equal(serverPinKey("capulet.lit", "xmpp-client"), "xmpp-client:capulet.lit");
  assert.deepEqual(pins.pins("xmpp-client:capulet.lit"), [r.certificate.spki_sha256]);
  assert.deepEqual(policy.checkServer("capulet.lit", "xmpp-client", good, pins).pin, { status: "match" });
  // Without pins (optional, as in C and uniffi) no pin is checked or kept.
  const unpinned = policy.checkServer("capulet.lit", "xmpp-client", good);
  assert.equal(unpinned.verdict, "pass", unpinned.text);
  assert.equal(unpinned.pin, null);
  assert.equal(policy.checkServer("capulet.lit", "xmpp-client", good, undefined).pin, null);
  const wrong = policy.checkServer("montague.lit", "xmpp-client", good, new PinStore());
  assert.equal(wrong.verdict, "fail");
  assert.ok(wrong.findings.some((f) => f.code === "identity-mismatch"));
  assert.throws(() => policy.evaluate("x", { cipherSuite: "TLS_NO_SUCH" }), (e) => e.code === 501);
  assert.throws(() => new Policy("lax"), (e) => e.code === 501);
});

test("policy knobs: each changes a verdict, the same knobs as C and uniffi", () => {
  const dhe = { tlsVersion: "TLSv1.2", cipherSuite: "DHE-RSA-AES128-GCM-SHA256", authentication: "pkix" };
  const policy = new Policy("strict");
  const grade = (n) => policy.evaluate("example.net", n);
  assert.notEqual(grade(dhe).verdict, "fail");
  policy.denySuite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
  policy.denySuite("DHE-RSA-AES128-GCM-SHA256"); // the same suite: listed once
  assert.ok(grade(dhe).findings.some((f) => f.code === "suite-denied"));
  policy.allowSuite("DHE-RSA-AES128-GCM-SHA256");
  assert.ok(!grade(dhe).findings.some((f) => f.code === "suite-denied"));
  policy.setMinVersion("TLS 1.3");
  assert.equal(grade(dhe).verdict, "fail");
  policy.setMinVersion("TLSv1.2");
  const offered = { ...dhe, authentication: "offer" };
  assert.ok(grade(offered).findings.some((f) => f.code === "auth-method-not-allowed"));
  policy.setAllowedAuth(["offer", "pkix", "offer"]);
  assert.ok(!grade(offered).findings.some((f) => f.code === "auth-method-not-allowed"));
  assert.throws(() => policy.setAllowedAuth(["magic"]), (e) => e.code === 501);
  const anon = { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256" };
  assert.equal(grade(anon).verdict, "fail");
  policy.setRequireAuthentication(false);
  assert.notEqual(grade(anon).verdict, "fail");
  assert.equal(grade({ encrypted: false }).verdict, "fail");
  policy.setRequireEncryption(false);
  assert.notEqual(grade({ encrypted: false }).verdict, "fail");
  policy.setMinKeyBits(4096, 4096, 384);
  policy.setCnFallback(true);
  assert.throws(() => policy.denySuite("TLS_NO_SUCH"), (e) => e.code === 501);
  assert.equal(new Policy("xtls").name, "xtls");
});

test("the package exports its API and nothing of wasm-bindgen's loader", async () => {
  const pkg = await import("xmpptls");
  assert.deepEqual(Object.keys(pkg).sort(), [
    "Endpoint", "PinStore", "Policy", "XmppTlsError", "certificateInfo", "certificatesFromPem",
    "checkIdentity", "generateIdentity", "poshRedirectUrl", "poshVerify", "serverPinKey",
    "supportsXtls", "version", "xtlsFeature",
  ]);
});

test("disco and version", () => {
  assert.equal(xtlsFeature(), "urn:xmpp:tmp:xtls");
  assert.equal(supportsXtls(
    "<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:tmp:xtls'/></query></iq>"), true);
  assert.match(version(), /^\d+\.\d+\.\d+$/);
});

test("class names survive minification, and a second free() does nothing", () => {
  assert.equal(Endpoint.name, "Endpoint");
  assert.equal(Policy.name, "Policy");
  const e = endpoint(ROMEO);
  e.free();
  e.free();
  e[Symbol.dispose]();
  assert.throws(() => e.openTunnel(JULIET),
    (err) => err instanceof XmppTlsError && err.code === 500 && /^Endpoint\.openTunnel: the Endpoint was freed/.test(err.message));
});

test("explicit free and Symbol.dispose", () => {
  const ep = endpoint(ROMEO);
  assert.equal(typeof ep[Symbol.dispose], "function");
  ep[Symbol.dispose]();
  assert.throws(() => ep.jid);
});

test("mutated real traffic: every call returns or throws XmppTlsError, never traps", () => {
  // Record a real tunnel's stanzas, then replay each with bytes changed into
  // fresh endpoints. A Rust panic would surface as a WebAssembly trap
  // (RuntimeError) and poison the module; a typed error is the only failure.
  const romeo = endpoint(ROMEO);
  const juliet = endpoint(JULIET);
  romeo.openTunnel(JULIET);
  romeo.send(JULIET, message("record me"));
  const recorded = [];
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [[romeo, juliet], [juliet, romeo]]) {
      for (let s = from.pollTransmit(); s !== undefined; s = from.pollTransmit()) {
        recorded.push(s);
        to.handleIncoming(s);
        moved = true;
      }
    }
  }
  assert.ok(recorded.length >= 6);
  let seed = 42;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const alphabet = "<>/'\"=&;x:AZaz09+ \u00e9\u{1F600}";
  let typed = 0;
  for (let round = 0; round < 300; round++) {
    const target = endpoint(round % 2 ? ROMEO : JULIET);
    for (const original of recorded) {
      const chars = [...original];
      for (let k = 0; k < 1 + rand(4); k++) chars[rand(chars.length)] = alphabet[rand(alphabet.length)];
      try {
        const r = target.handleIncoming(chars.join(""));
        assert.equal(typeof r, "boolean");
      } catch (e) {
        assert.ok(e instanceof XmppTlsError, `not a typed error: ${e}`);
        assert.equal(typeof e.code, "number");
        typed++;
      }
      target.pollTransmit();
      target.pollEvent();
    }
    target.free();
  }
  assert.ok(typed > 0, "some mutations must be refused");
  // The module still works afterwards.
  const a = endpoint(ROMEO);
  const b = endpoint(JULIET);
  a.openTunnel(JULIET);
  assert.deepEqual(route(a, b), []);
  assert.equal(events(b)[0].type, "established");
});

test("time comes from Date and randomness from crypto.getRandomValues", () => {
  const der = certificatesFromPem(generateIdentity("example.net").chainPem)[0];
  const doc = JSON.stringify({ fingerprints: [{ "sha-256": createHash("sha256").update(der).digest("base64") }], expires: 3600 });
  const fetchedAt = Math.floor(Date.now() / 1000);
  assert.equal(poshVerify(doc, undefined, der, fetchedAt).outcome, "match");
  const realNow = Date.now;
  Date.now = () => realNow() + 2 * 3600 * 1000; // two hours later: past `expires`
  try {
    assert.equal(poshVerify(doc, undefined, der, fetchedAt).outcome, "expired");
  } finally {
    Date.now = realNow;
  }
  const real = globalThis.crypto.getRandomValues;
  let calls = 0;
  globalThis.crypto.getRandomValues = (a) => { calls++; return real.call(globalThis.crypto, a); };
  try {
    generateIdentity("romeo@montague.lit");
    new Endpoint(ROMEO).openTunnel(JULIET);
  } finally {
    globalThis.crypto.getRandomValues = real;
  }
  assert.ok(calls > 0, "key generation and the TLS client hello draw from crypto.getRandomValues");
});
