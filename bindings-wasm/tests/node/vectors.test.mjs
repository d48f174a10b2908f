// The shared conformance vectors (tests/vectors/*.json), as the Rust, C,
// Kotlin, Swift and Python suites run them: outputs compared exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Endpoint, Policy, PinStore, XmppTlsError, checkIdentity, poshVerify } from "xmpptls";

const root = new URL("../../../tests/", import.meta.url);
const vectors = (name) => JSON.parse(readFileSync(new URL(`vectors/${name}.json`, root), "utf8"));
const fixture = (file) => new Uint8Array(readFileSync(new URL(`fixtures/certs/${file}`, root)));
const code = (f) => {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof XmppTlsError)) throw e;
    return { error: e.code };
  }
};

test("identity vectors", () => {
  for (const c of vectors("identity").cases) {
    const der = c.certificate ? fixture(c.certificate) : new Uint8Array(c.certificate_bytes);
    const got = code(() => checkIdentity(der, c.domain, c.service, c.cn_fallback)?.kind ?? null);
    assert.deepEqual(got, c.expect, c.name);
  }
});

const knobs = {
  min_version: (p, v) => p.setMinVersion(v),
  require_authentication: (p, v) => p.setRequireAuthentication(v),
  require_encryption: (p, v) => p.setRequireEncryption(v),
  allowed_auth: (p, v) => p.setAllowedAuth(v),
  cn_fallback: (p, v) => p.setCnFallback(v),
  require_post_quantum: (p, v) => p.setRequirePostQuantum(v),
  deny_suite: (p, v) => p.denySuite(v),
  allow_suite: (p, v) => p.allowSuite(v),
};

test("policy vectors", () => {
  for (const c of vectors("policy").cases) {
    const got = code(() => {
      const p = new Policy(c.preset);
      for (const [knob, value] of c.knobs) knobs[knob](p, value);
      const n = c.negotiation;
      // Every field of the vectors' negotiation, by its camelCase name: a
      // field the package does not know throws (500) instead of passing.
      const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
      const r = p.evaluate("example.net", Object.fromEntries(Object.entries(n).map(([k, v]) => [camel(k), v])));
      return { findings: r.findings.map((f) => f.code).sort(),
        severities: Object.fromEntries(r.findings.map((f) => [f.code, f.severity])), verdict: r.verdict };
    });
    assert.deepEqual(got, c.expect, c.name);
  }
});

test("certificate transparency vectors", () => {
  const v = vectors("ct");
  const bytes = (b64) => new Uint8Array(Buffer.from(b64, "base64"));
  const repo = new URL("../", root);
  for (const c of v.cases) {
    const got = code(() => {
      const p = new Policy("strict");
      if (c.log_list) p.setCtLogList(readFileSync(new URL(c.log_list, repo), "utf8"));
      const n = {
        tlsVersion: "TLSv1.3",
        cipherSuite: "TLS_AES_256_GCM_SHA384",
        kxGroup: "X25519MLKEM768",
        authentication: "pkix",
        peerChain: c.chain.map((name) => bytes(v.certificates[name])),
      };
      if (c.time != null) n.time = c.time;
      if (c.sct_list) n.sctList = bytes(c.sct_list);
      if (c.ocsp_response) n.ocspResponse = bytes(c.ocsp_response);
      let pins;
      if (c.pins) {
        pins = new PinStore();
        for (const [key, list] of Object.entries(c.pins)) for (const pin of list) pins.add(key, pin);
      }
      const r = p.checkServer(c.domain ?? "cryptography.io", "xmpp-client", n, pins);
      return {
        findings: r.findings.map((f) => f.code).sort(),
        verdict: r.verdict,
        pin: r.pin?.status ?? null,
        ct: r.ct && { compliant: r.ct.compliant, scts: r.ct.scts.map((s) => [s.source, s.status]) },
      };
    });
    assert.deepEqual(got, c.expect, c.name);
  }
});

test("POSH vectors", () => {
  const v = vectors("posh");
  const der = fixture(v.certificate);
  for (const c of v.cases) {
    const r = poshVerify(c.document, c.followed ?? undefined, der, c.fetched_at, c.now);
    assert.equal(r.outcome, c.expect, c.name);
  }
});

test("error vectors", () => {
  const calls = {
    pin_store_from_json: (s) => PinStore.fromJSON(s),
    endpoint_with_identity_pem: (s) => new Endpoint("romeo@montague.lit/orchard", { identity: { chainPem: s, keyPem: s } }),
    endpoint_with_trust: (s) => new Endpoint("romeo@montague.lit/orchard", { trust: s }),
    open_tunnel: (s) => new Endpoint("romeo@montague.lit/orchard").openTunnel(s),
  };
  for (const c of vectors("errors").cases) {
    const got = code(() => { calls[c.call](c.input); return null; });
    assert.deepEqual(got, { error: c.expect }, c.name);
  }
});

test("tunnel vectors", () => {
  const v = vectors("tunnel");
  const make = (c, who) => {
    const id = v.identities[who];
    const s = c.settings?.[who] ?? {};
    return new Endpoint(id.jid, { trust: c.trust[who], identity: { chainPem: id.chain_pem, keyPem: id.key_pem },
      versions: s.versions, keyExchange: s.key_exchange });
  };
  const other = { romeo: "juliet", juliet: "romeo" };
  for (const c of v.cases) {
    // The package's tunnels are TLS 1.3 only (README, "What the browser
    // build leaves out": tls12): a side limited to TLS 1.2 cannot be made.
    if (Object.values(c.settings ?? {}).some((s) => s.versions === "tls12-only")) continue;
    const eps = { romeo: make(c, "romeo"), juliet: make(c, "juliet") };
    const deliver = (who) => {
      let moved = false;
      for (let s = eps[who].pollTransmit(); s !== undefined; s = eps[who].pollTransmit()) {
        try { eps[other[who]].handleIncoming(s); } catch (e) { if (!(e instanceof XmppTlsError)) throw e; }
        moved = true;
      }
      return moved;
    };
    for (const step of c.steps) {
      const [op, from, to, stanza, expect] = step;
      if (op === "route") {
        while (deliver("romeo") | deliver("juliet"));
        continue;
      }
      if (op === "deliver") {
        deliver(from);
        continue;
      }
      if (op === "lose") {
        for (const who of ["romeo", "juliet"]) while (eps[who].pollTransmit() !== undefined);
        continue;
      }
      if (op === "restart") {
        eps[from] = make(c, from);
        continue;
      }
      if (op === "state") {
        assert.deepEqual(eps[from].tunnelState(v.identities[to].jid) ?? null, stanza, `${c.name}: ${step}`);
        continue;
      }
      if (op === "timeout") {
        // The endpoint's clock is Date.now(): moved to the deadline.
        const at = eps[from].pollTimeout();
        assert.notEqual(at, undefined, `${c.name}: a deadline`);
        const clock = Date.now;
        Date.now = () => at;
        try {
          eps[from].handleTimeout();
        } finally {
          Date.now = clock;
        }
        continue;
      }
      const ep = eps[from];
      const peer = v.identities[to].jid;
      const call = {
        open: () => ep.openTunnel(peer),
        send: () => ep.send(peer, stanza),
        close: () => ep.closeTunnel(peer),
        peer_unavailable: () => ep.peerUnavailable(peer),
      }[op];
      assert.deepEqual(code(() => { call(); return null; }), expect ?? null, `${c.name}: ${op}`);
    }
    const got = {};
    for (const who of ["romeo", "juliet"]) {
      got[who] = [];
      for (let e = eps[who].pollEvent(); e; e = eps[who].pollEvent()) {
        got[who].push({
          "established": () => ["established", e.peer, e.info?.authentication, e.info?.firstUse, e.info?.role, e.info?.tlsVersion],
          "stanza": () => ["stanza", e.peer, e.stanza],
          "stanza-rejected": () => ["stanza-rejected", e.peer, e.code],
          "closed": () => ["closed", e.peer, e.reason, e.returned.length, e.code ?? 0, e.waited ?? null],
        }[e.type]());
      }
    }
    assert.deepEqual(got, c.expect, c.name);
  }
});
