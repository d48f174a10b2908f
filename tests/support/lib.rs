//! Shared helpers of the workspace integration tests: endpoints, an in-memory
//! router, a test CA, the spec fixtures, and XML comparison.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod ct_log;
pub mod path;

use std::path::PathBuf;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, OtherNameValue, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use xmpptls::xml::{self, Element, Node, XmlLimits};
use xmpptls::xtls::router::MemoryRouter;
use xmpptls::{
    CloseReason, Endpoint, EndpointConfig, Event, Identity, Jid, TrustMode, TunnelInfo, UnixTime,
};

pub const ROMEO: &str = "romeo@montague.lit/orchard";
pub const JULIET: &str = "juliet@capulet.lit/balcony";
pub const NURSE: &str = "nurse@capulet.lit/chamber";

/// 2026-11-22T00:00:00Z: a fixed clock for deterministic tests.
pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_795_305_600))
}

pub fn jid(s: &str) -> Jid {
    Jid::parse(s).unwrap()
}

/// An endpoint with a self-signed identity; `tweak` adjusts the config.
pub fn endpoint_with(
    j: &str,
    trust: TrustMode,
    tweak: impl FnOnce(&mut EndpointConfig),
) -> Endpoint {
    let j = jid(j);
    let id = Identity::self_signed(&j).unwrap();
    endpoint_with_identity(j, id, trust, tweak)
}

pub fn endpoint_with_identity(
    j: Jid,
    id: Identity,
    trust: TrustMode,
    tweak: impl FnOnce(&mut EndpointConfig),
) -> Endpoint {
    let mut cfg = EndpointConfig::new(j, id, trust);
    tweak(&mut cfg);
    Endpoint::new(cfg).unwrap()
}

pub fn endpoint(j: &str, trust: TrustMode) -> Endpoint {
    endpoint_with(j, trust, |_| {})
}

/// Moves everything both ways between two endpoints at time `t` until
/// quiet (errors are the receiver's business: it answers them).
pub fn pump(a: &mut Endpoint, b: &mut Endpoint, t: UnixTime) {
    loop {
        let mut moved = false;
        while let Some(s) = a.poll_transmit() {
            let _ = b.handle_incoming(s.as_bytes(), t);
            moved = true;
        }
        while let Some(s) = b.poll_transmit() {
            let _ = a.handle_incoming(s.as_bytes(), t);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// The property tests' configuration: a fixed seed (`PROPTEST_RNG_SEED`
/// explores others), `cases` runs (`XMPPTLS_PROPTEST_CASES` overrides),
/// failing cases kept in `<test>.proptest-regressions` beside the test.
pub fn proptest_config(seed: u64, cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|s| s.parse().ok())
    }
    Config {
        cases: env("XMPPTLS_PROPTEST_CASES").unwrap_or(cases),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(seed)),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// A router with the given endpoints, recording the wire.
pub fn router(eps: Vec<Endpoint>) -> MemoryRouter {
    let mut r = MemoryRouter::new();
    r.record = true;
    for e in eps {
        r.add(e);
    }
    r
}

/// `from` opens a tunnel to `to` at `at`; nothing is routed until `r.run`.
pub fn open(r: &mut MemoryRouter, from: &str, to: &str, at: UnixTime) {
    r.get_mut(&jid(from)).unwrap().open(&jid(to), at).unwrap();
}

/// All pending events of one endpoint.
pub fn events(r: &mut MemoryRouter, j: &str) -> Vec<Event> {
    let ep = r.get_mut(&jid(j)).unwrap();
    std::iter::from_fn(|| ep.poll_event()).collect()
}

/// The stanzas an endpoint queued, parsed.
pub fn transmits(ep: &mut Endpoint) -> Vec<Element> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|s| xml::parse(s.as_bytes(), &XmlLimits::default()).unwrap())
        .collect()
}

/// The decrypted stanzas among events.
pub fn stanzas(evs: &[Event]) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Stanza { stanza, .. } => Some(stanza.clone()),
            _ => None,
        })
        .collect()
}

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/xtls")
        .join(format!("{name}.xml"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every fixture, by name.
pub fn all_fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/xtls");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// An element normalised for comparison: whitespace-only text dropped, text
/// trimmed, attributes sorted, `jabber:client` treated as no namespace, and
/// the legacy `code` attribute of `<error/>` ignored.
pub fn normalise(mut e: Element) -> Element {
    if e.ns == "jabber:client" {
        e.ns.clear();
    }
    if e.name == "error" {
        e.remove_attr("code");
    }
    e.attrs.sort();
    e.children = e
        .children
        .into_iter()
        .filter_map(|n| match n {
            Node::Text(t) if t.trim().is_empty() => None,
            Node::Text(t) => Some(Node::Text(t.trim().to_owned())),
            Node::Element(c) => Some(Node::Element(normalise(c))),
        })
        .collect();
    e
}

pub fn parse(s: &str) -> Element {
    xml::parse(s.as_bytes(), &XmlLimits::default()).unwrap()
}

/// Asserts two stanzas are the same XML (after [`normalise`]).
pub fn assert_same_xml(actual: &str, expected: &str) {
    assert_eq!(
        normalise(parse(actual)),
        normalise(parse(expected)),
        "\nactual:   {actual}\nexpected: {expected}"
    );
}

/// A test CA issuing XMPP certificates with XmppAddr (and optional DNS) SANs.
pub struct TestCa {
    pub cert: CertificateDer<'static>,
    params: CertificateParams,
    key: KeyPair,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        Self::with_constraints(name, &[])
    }

    /// A CA whose name constraints permit only these DNS subtrees (none:
    /// unconstrained).
    pub fn with_constraints(name: &str, permitted_dns: &[&str]) -> Self {
        let mut params = CertificateParams::default();
        if !permitted_dns.is_empty() {
            params.name_constraints = Some(rcgen::NameConstraints {
                permitted_subtrees: permitted_dns
                    .iter()
                    .map(|d| rcgen::GeneralSubtree::DnsName((*d).into()))
                    .collect(),
                excluded_subtrees: Vec::new(),
            });
        }
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert: CertificateDer::from(cert.der().to_vec()),
            params,
            key,
        }
    }

    /// Issues a leaf naming `xmpp_addr` as XmppAddr, valid from `not_before`
    /// to `not_after` (years).
    pub fn issue(&self, xmpp_addr: &str, not_before: i32, not_after: i32) -> Identity {
        self.issue_with(
            vec![SanType::OtherName((
                vec![1, 3, 6, 1, 5, 5, 7, 8, 5],
                OtherNameValue::Utf8String(xmpp_addr.to_owned()),
            ))],
            xmpp_addr,
            not_before,
            not_after,
        )
    }

    /// Issues a leaf with exactly these SANs.
    pub fn issue_with(
        &self,
        sans: Vec<SanType>,
        cn: &str,
        not_before: i32,
        not_after: i32,
    ) -> Identity {
        let mut p = CertificateParams::default();
        p.not_before = rcgen::date_time_ymd(not_before, 1, 1);
        p.not_after = rcgen::date_time_ymd(not_after, 1, 1);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        p.distinguished_name = dn;
        p.subject_alt_names = sans;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = p.signed_by(&key, &issuer).unwrap();
        Identity::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap()
    }
}

/// Standard base64 (RFC 4648 §4) of `b`, written here so that the tests do
/// not check the tunnel's encoder with itself.
pub fn base64_encode(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The octets of standard base64 text (padding optional).
pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        let got = chunk.len() * 6 / 8;
        out.extend_from_slice(&n.to_be_bytes()[1..1 + got]);
    }
    out
}

/// A rustls client verifier that accepts any server certificate but still
/// checks the handshake's signatures: for tests about something other than
/// trust (channel binding, a HelloRetryRequest).
#[derive(Debug)]
pub struct AnyCert(pub rustls::crypto::CryptoProvider);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The tunnel information of the first `Established` among `evs`.
pub fn established_info(evs: &[Event]) -> Option<TunnelInfo> {
    evs.iter().find_map(|e| match e {
        Event::Established { info, .. } => Some((**info).clone()),
        _ => None,
    })
}

/// The reason of the first `Closed` among `evs`.
pub fn closed_reason(evs: &[Event]) -> Option<CloseReason> {
    evs.iter().find_map(|e| match e {
        Event::Closed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}
