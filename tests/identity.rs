//! Certificate identity end to end: real certificates (rcgen) with every SAN
//! type, read by `PresentedIds`, matched by RFC 6125/9525 + RFC 6120 rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, OtherNameValue, SanType};
use rustls_pki_types::CertificateDer;
use xmpptls::identity::{match_identity, Matched, PresentedIds, ReferenceIdentity, Service};

const XMPP_ADDR: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 8, 5];
const SRV_NAME: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 8, 7];

fn cert(cn: &str, sans: Vec<SanType>) -> CertificateDer<'static> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.subject_alt_names = sans;
    let key = KeyPair::generate().unwrap();
    CertificateDer::from(p.self_signed(&key).unwrap().der().to_vec())
}

fn other(oid: [u64; 9], v: &str) -> SanType {
    SanType::OtherName((oid.to_vec(), OtherNameValue::Utf8String(v.into())))
}

fn dns(v: &str) -> SanType {
    SanType::DnsName(v.try_into().unwrap())
}

fn check(c: &CertificateDer<'_>, domain: &str, service: Service, cn: bool) -> Option<Matched> {
    let ids = PresentedIds::from_der(c).unwrap();
    match_identity(&ids, &ReferenceIdentity::new(domain, service).unwrap(), cn)
}

#[test]
fn every_san_type_is_read_and_matched() {
    let c = cert(
        "ignored.example",
        vec![
            dns("chat.example.net"),
            dns("*.muc.example.net"),
            other(SRV_NAME, "_xmpp-server.example.net"),
            other(XMPP_ADDR, "example.net"),
            SanType::URI("xmpp:example.org".try_into().unwrap()),
            SanType::IpAddress("192.0.2.7".parse().unwrap()),
        ],
    );
    let ids = PresentedIds::from_der(&c).unwrap();
    assert_eq!(ids.dns, ["chat.example.net", "*.muc.example.net"]);
    assert_eq!(ids.srv, ["_xmpp-server.example.net"]);
    assert_eq!(ids.xmpp_addr, ["example.net"]);
    assert_eq!(ids.uri, ["xmpp:example.org"]);
    assert_eq!(ids.ip, ["192.0.2.7"]);
    assert_eq!(ids.cn, ["ignored.example"]);

    use Service::*;
    assert_eq!(
        check(&c, "chat.example.net", XmppClient, false),
        Some(Matched::DnsId("chat.example.net".into()))
    );
    assert_eq!(
        check(&c, "rooms.muc.example.net", XmppClient, false),
        Some(Matched::WildcardDnsId("*.muc.example.net".into()))
    );
    assert_eq!(
        check(&c, "example.net", XmppServer, false),
        Some(Matched::SrvId("_xmpp-server.example.net".into()))
    );
    // For xmpp-client the SRV-ID does not apply, but the XmppAddr does.
    assert_eq!(
        check(&c, "example.net", XmppClient, false),
        Some(Matched::XmppAddr("example.net".into()))
    );
    // URI-ID, IP and a CN next to SANs never match.
    assert_eq!(check(&c, "example.org", XmppClient, true), None);
    assert_eq!(check(&c, "ignored.example", XmppClient, true), None);
    assert_eq!(
        check(&c, "muc.example.net", XmppClient, false),
        None,
        "wildcard never matches its apex"
    );
}

#[test]
fn cn_fallback_is_off_by_default() {
    let c = cert("legacy.example", vec![]);
    assert_eq!(
        check(&c, "legacy.example", Service::XmppClient, false),
        None
    );
    assert_eq!(
        check(&c, "legacy.example", Service::XmppClient, true),
        Some(Matched::CnId("legacy.example".into()))
    );
}

#[test]
fn hosted_domain_on_a_providers_certificate_does_not_match() {
    let c = cert(
        "hosting.example.net",
        vec![
            dns("hosting.example.net"),
            other(XMPP_ADDR, "hosting.example.net"),
        ],
    );
    assert_eq!(check(&c, "shire.example", Service::XmppClient, true), None);
}

/// What a platform's TLS callback hands over for a good TLS 1.3 connection.
fn platform_connection(chain: Vec<CertificateDer<'static>>) -> xmpptls::policy::Negotiated {
    xmpptls::policy::Negotiated {
        encrypted: true,
        version: Some(xmpptls::policy::TlsVersion::Tls13),
        suite: Some(0x1301),
        kx_group: Some("X25519".into()),
        authentication: Some(xmpptls::policy::AuthMethod::Pkix),
        peer_chain: chain,
        ..Default::default()
    }
}

#[test]
fn server_check_matches_srv_id_pins_and_warns_on_a_new_key() {
    use xmpptls::policy::{Policy, Verdict};
    use xmpptls::server_check::check_server;
    use xmpptls::{PinStatus, PinStore};
    let policy = Policy::strict();
    let mut pins = PinStore::new();
    // A hosting provider's certificate naming the domain only by SRV-ID: a
    // platform's hostname check cannot match it, XMPP rules can.
    let first = cert("x", vec![other(SRV_NAME, "_xmpp-client.im.example")]);
    let r = check_server(
        "im.example",
        Service::XmppClient,
        &policy,
        platform_connection(vec![first.clone()]),
        &Default::default(),
        Some(&mut pins),
    )
    .unwrap();
    assert_eq!(r.evaluation.verdict, Verdict::Pass, "{}", r.to_text());
    assert!(matches!(r.identity, Some(Matched::SrvId(_))));
    assert_eq!(r.pin, Some(PinStatus::New));
    assert_eq!(pins.get("xmpp-client:im.example").len(), 1);
    let again = platform_connection(vec![first]);
    let r = check_server(
        "IM.example.",
        Service::XmppClient,
        &policy,
        again,
        &Default::default(),
        Some(&mut pins),
    );
    assert_eq!(r.unwrap().pin, Some(PinStatus::Match));

    // Same name, another key: the platform accepts it, the pin warns.
    let other_key = cert("x", vec![dns("im.example")]);
    let r = check_server(
        "im.example",
        Service::XmppClient,
        &policy,
        platform_connection(vec![other_key]),
        &Default::default(),
        Some(&mut pins),
    )
    .unwrap();
    assert!(matches!(r.pin, Some(PinStatus::Changed { .. })));
    assert_eq!(r.evaluation.verdict, Verdict::Warn);
    assert!(r
        .evaluation
        .findings
        .iter()
        .any(|f| f.code == "pin-changed"));
    assert_eq!(pins.get("xmpp-client:im.example").len(), 1, "not re-pinned");
}

#[test]
fn server_check_follows_the_policys_cn_fallback() {
    // RFC 6125 §6.4.4 allowed a CN-ID for a certificate without SANs; RFC
    // 9525 removed it. The policy's knob decides, in every binding.
    use xmpptls::policy::{Policy, Verdict};
    let cn_only = cert("im.example", vec![]);
    let check = |policy: &Policy| {
        xmpptls::server_check::check_server(
            "im.example",
            Service::XmppClient,
            policy,
            platform_connection(vec![cn_only.clone()]),
            &Default::default(),
            None,
        )
        .unwrap()
    };
    let strict = check(&Policy::strict());
    assert_eq!(strict.identity, None);
    assert_eq!(strict.evaluation.verdict, Verdict::Fail);
    let mut legacy = Policy::strict();
    legacy.cn_fallback = true;
    let r = check(&legacy);
    assert_eq!(r.identity, Some(Matched::CnId("im.example".into())));
    assert!(
        !r.evaluation
            .findings
            .iter()
            .any(|f| f.code == "identity-mismatch"),
        "{}",
        r.to_text()
    );
}

#[test]
fn server_check_fails_a_certificate_for_another_domain() {
    use xmpptls::policy::{Policy, Verdict};
    let c = cert("im.example", vec![dns("other.example")]);
    let r = xmpptls::server_check::check_server(
        "im.example",
        Service::XmppServer,
        &Policy::strict(),
        platform_connection(vec![c]),
        &Default::default(),
        None,
    )
    .unwrap();
    assert_eq!(r.evaluation.verdict, Verdict::Fail);
    assert!(r.identity.is_none() && r.pin.is_none());
    assert!(r
        .evaluation
        .findings
        .iter()
        .any(|f| f.code == "identity-mismatch"));
    let bad = xmpptls::server_check::check_server(
        "not a domain",
        Service::XmppServer,
        &Policy::strict(),
        platform_connection(vec![]),
        &Default::default(),
        None,
    );
    assert_eq!(
        bad.unwrap_err().code(),
        xmpptls::Error::Config(String::new()).code()
    );
}

/// Certificates made by OpenSSL (an independent producer; see
/// tests/fixtures/README.md) read through our DER reader: every SAN type, RFC 4514
/// names with a multi-valued RDN and escapes, key sizes, CA flag, and the
/// tls-server-end-point hash of an RSASSA-PSS signature (RFC 5929 §4.1).
#[test]
fn openssl_certificates_read_in_full() {
    use xmpptls::identity::CertificateInfo;
    let read = |name: &str| {
        let der = std::fs::read(format!(
            "{}/fixtures/certs/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        CertificateDer::from(der)
    };

    let leaf = read("p256-all-sans.der");
    let info = CertificateInfo::from_der(&leaf).unwrap();
    assert_eq!(
        info.subject,
        "OU=\\#ops+CN=xmpp.example,O=Capulet\\, Inc.,C=FR"
    );
    assert_eq!(info.issuer, info.subject);
    assert_eq!(info.ids.dns, ["xmpp.example", "*.example"]);
    assert_eq!(info.ids.ip, ["192.0.2.1", "2001:db8::1"]);
    assert_eq!(info.ids.uri, ["xmpp:a@example"]);
    assert_eq!(info.ids.xmpp_addr, ["juliet@capulet.lit"]);
    assert_eq!(info.ids.srv, ["_xmpp-client.example"]);
    assert_eq!(info.ids.cn, ["xmpp.example"]);
    assert_eq!((info.key_type.as_str(), info.key_bits), ("ECDSA", 256));
    assert!(!info.is_ca);
    assert_eq!(info.not_after - info.not_before, 30 * 86_400);
    let srv = ReferenceIdentity::new("example", Service::XmppClient).unwrap();
    assert_eq!(
        match_identity(&info.ids, &srv, false),
        Some(Matched::SrvId("_xmpp-client.example".into()))
    );

    let p384 = CertificateInfo::from_der(&read("p384.der")).unwrap();
    assert_eq!(p384.subject, "CN=p384,DC=example");
    assert_eq!((p384.key_type.as_str(), p384.key_bits), ("ECDSA", 384));
    assert_eq!(p384.signature_algorithm, "1.2.840.10045.4.3.3");

    let ed = CertificateInfo::from_der(&read("ed25519.der")).unwrap();
    assert_eq!((ed.key_type.as_str(), ed.key_bits), ("Ed25519", 256));

    let ca_der = read("rsa-pss-ca.der");
    let ca = CertificateInfo::from_der(&ca_der).unwrap();
    assert!(ca.is_ca);
    assert_eq!((ca.key_type.as_str(), ca.key_bits), ("RSA", 2048));
    assert_eq!(ca.signature_algorithm, "1.2.840.113549.1.1.10");
    let binding = xmpptls::channel_binding::tls_server_end_point(&ca_der).unwrap();
    assert_eq!(
        binding,
        xmpptls::identity::cert_sha256(&ca_der),
        "PSS with SHA-256"
    );
}

proptest::proptest! {
    #![proptest_config(xmpptls_integration::proptest_config(0x4445_5221, 512))]

    /// Our DER reader on damaged certificates (OpenSSL's, with every SAN
    /// type): a flipped octet, a cut, an inserted octet. Never a panic; where
    /// the details still read, their identifiers are the ones read alone and
    /// the dates are well-formed; the pin and channel binding give a value
    /// or an error.
    #[test]
    fn damaged_certificates_never_panic(
        which in 0usize..4,
        at in 0usize..2048,
        byte in proptest::num::u8::ANY,
        how in 0u8..3,
    ) {
        use xmpptls::identity::{spki_sha256, CertificateInfo};
        let names = ["p256-all-sans.der", "p384.der", "ed25519.der", "rsa-pss-ca.der"];
        let mut der = std::fs::read(format!(
            "{}/fixtures/certs/{}",
            env!("CARGO_MANIFEST_DIR"),
            names[which]
        ))
        .unwrap();
        let at = at % der.len();
        match how {
            0 => der[at] ^= byte | 1,
            1 => der.truncate(at),
            _ => der.insert(at, byte),
        }
        let cert = CertificateDer::from(der);
        let ids = PresentedIds::from_der(&cert);
        if let Ok(info) = CertificateInfo::from_der(&cert) {
            proptest::prop_assert_eq!(ids.as_ref().ok(), Some(&info.ids));
            proptest::prop_assert!(info.not_before_text.ends_with('Z'));
            proptest::prop_assert_eq!(info.not_before_text.len(), 20);
        }
        let _ = spki_sha256(&cert);
        let _ = xmpptls::channel_binding::tls_server_end_point(&cert);
    }
}
