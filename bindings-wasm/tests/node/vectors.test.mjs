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
  deny_suite: (p, v) => p.denySuite(v),
  allow_suite: (p, v) => p.allowSuite(v),
};

test("policy vectors", () => {
  for (const c of vectors("policy").cases) {
    const got = code(() => {
      const p = new Policy(c.preset);
      for (const [knob, value] of c.knobs) knobs[knob](p, value);
      const n = c.negotiation;
      const r = p.evaluate("example.net", {
        encrypted: n.encrypted, tlsVersion: n.tls_version, cipherSuite: n.cipher_suite,
        authentication: n.authentication,
      });
      return { findings: r.findings.map((f) => f.code).sort(), verdict: r.verdict };
    });
    assert.deepEqual(got, c.expect, c.name);
  }
});

test("POSH vectors", () => {
  const v = vectors("posh");
  const der = fixture(v.certificate);
  for (const c of v.cases) {
    const r = poshVerify(c.document, c.followed ?? undefined, der, c.fetched_at, c.now);
    assert.equal(r.ok ? "match" : r.reason, c.expect, c.name);
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
