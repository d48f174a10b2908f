//! The sans-IO XMPP TLS client against an in-memory rustls server with a
//! certificate from a test CA: trusted and named, wrong name, wrong root,
//! TLS 1.2, enforce versus inspect, and application data afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection};
use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::Service;
use xmpptls::policy::{Policy, Verdict};
use xmpptls::Identity;
use xmpptls_integration::TestCa;

fn server(id: &Identity, tls12_only: bool) -> ServerConnection {
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(id.chain().to_vec(), id.key().clone_key())
            .unwrap();
    ServerConnection::new(Arc::new(config)).unwrap()
}

fn settings(
    domain: &str,
    roots: Vec<xmpptls::CertificateDer<'static>>,
    mode: Mode,
) -> ClientSettings {
    ClientSettings {
        domain: domain.into(),
        service: Service::XmppClient,
        roots,
        policy: Policy::strict(),
        direct_tls: false,
        mode,
    }
}

/// Runs the handshake in memory; returns the client and server.
fn handshake(mut c: ClientSession, mut s: ServerConnection) -> (ClientSession, ServerConnection) {
    for _ in 0..10 {
        let mut buf = Vec::new();
        c.write_tls(&mut buf);
        s.read_tls(&mut &buf[..]).unwrap();
        if s.process_new_packets().is_err() {
            // Let the client see the alert.
        }
        let mut back = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut back).unwrap();
        }
        let _ = c.read_tls(&back);
        if !c.is_handshaking() {
            break;
        }
    }
    (c, s)
}

#[test]
fn trusted_named_server_passes() {
    let ca = TestCa::new("XMPP CA");
    let id = ca.issue("example.net", 2025, 2030);
    let (mut c, mut s) = handshake(
        ClientSession::new(settings(
            "example.net",
            vec![ca.cert.clone()],
            Mode::Enforce,
        ))
        .unwrap(),
        server(&id, false),
    );
    assert!(!c.is_handshaking() && !c.failed());
    let r = c.report();
    assert_eq!(r.evaluation.verdict, Verdict::Pass, "{}", r.to_text());
    let v = r.to_json_value();
    assert_eq!(v["authentication"], "pkix");
    assert_eq!(v["identity"]["type"], "XmppAddr");
    assert_eq!(v["tls_version"], "TLSv1.3");
    // Application data flows both ways.
    c.write_plaintext(b"<stream:stream>").unwrap();
    let mut buf = Vec::new();
    c.write_tls(&mut buf);
    s.read_tls(&mut &buf[..]).unwrap();
    s.process_new_packets().unwrap();
    let mut got = Vec::new();
    let _ = s.reader().read_to_end(&mut got);
    assert_eq!(got, b"<stream:stream>");
    s.writer().write_all(b"<stream:features/>").unwrap();
    let mut back = Vec::new();
    s.write_tls(&mut back).unwrap();
    c.read_tls(&back).unwrap();
    let mut out = Vec::new();
    c.read_plaintext(&mut out).unwrap();
    assert_eq!(out, b"<stream:features/>");
}

#[test]
fn tls12_server_passes_with_tls12() {
    let ca = TestCa::new("XMPP CA");
    let id = ca.issue("example.net", 2025, 2030);
    let (c, _) = handshake(
        ClientSession::new(settings(
            "example.net",
            vec![ca.cert.clone()],
            Mode::Enforce,
        ))
        .unwrap(),
        server(&id, true),
    );
    let v = c.report().to_json_value();
    assert_eq!(v["tls_version"], "TLSv1.2");
    assert_eq!(v["verdict"], "pass");
}

#[test]
fn wrong_name_is_reported_in_inspect_and_refused_in_enforce() {
    let ca = TestCa::new("XMPP CA");
    let id = ca.issue("hosting.example.net", 2025, 2030);
    let (c, _) = handshake(
        ClientSession::new(settings(
            "shire.example",
            vec![ca.cert.clone()],
            Mode::Inspect,
        ))
        .unwrap(),
        server(&id, false),
    );
    assert!(!c.failed(), "inspect completes the handshake");
    let r = c.report();
    let codes: Vec<_> = r.evaluation.findings.iter().map(|f| f.code).collect();
    assert_eq!(r.evaluation.verdict, Verdict::Fail);
    assert!(
        codes.contains(&"identity-mismatch") && codes.contains(&"not-authenticated"),
        "{codes:?}"
    );
    assert_eq!(r.to_json_value()["encrypted"], true);

    let (c, _) = handshake(
        ClientSession::new(settings(
            "shire.example",
            vec![ca.cert.clone()],
            Mode::Enforce,
        ))
        .unwrap(),
        server(&id, false),
    );
    assert!(c.failed());
    let r = c.report();
    assert!(
        r.evaluation
            .findings
            .iter()
            .any(|f| f.code == "certificate-rejected"),
        "{}",
        r.to_text()
    );
    assert_eq!(r.to_json_value()["encrypted"], false);
}

#[test]
fn untrusted_root_is_reported() {
    let ca = TestCa::new("XMPP CA");
    let other = TestCa::new("Other CA");
    let id = ca.issue("example.net", 2025, 2030);
    let (c, _) = handshake(
        ClientSession::new(settings(
            "example.net",
            vec![other.cert.clone()],
            Mode::Inspect,
        ))
        .unwrap(),
        server(&id, false),
    );
    let r = c.report();
    assert_eq!(r.evaluation.verdict, Verdict::Fail);
    assert!(
        r.evaluation
            .findings
            .iter()
            .any(|f| f.code == "certificate-untrusted"),
        "{}",
        r.to_text()
    );
    // The name still matched, and the report says which identifier did.
    assert_eq!(r.to_json_value()["identity"]["presented"], "example.net");
}

#[test]
fn xmpp_verifier_works_in_a_plain_rustls_client() {
    use rustls::ClientConnection;
    use xmpptls::client::XmppVerifier;
    let ca = TestCa::new("XMPP CA");
    let id = ca.issue("example.net", 2025, 2030);
    let connect = |domain: &str| {
        let verifier = Arc::new(
            XmppVerifier::new(
                domain,
                Service::XmppClient,
                std::slice::from_ref(&ca.cert),
                false,
                Mode::Enforce,
            )
            .unwrap(),
        );
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(domain.to_owned()).unwrap();
        let mut c = ClientConnection::new(Arc::new(config), name).unwrap();
        let mut s = server(&id, false);
        let mut ok = true;
        for _ in 0..4 {
            let mut buf = Vec::new();
            while c.wants_write() {
                c.write_tls(&mut buf).unwrap();
            }
            s.read_tls(&mut &buf[..]).unwrap();
            let _ = s.process_new_packets();
            let mut back = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut back).unwrap();
            }
            c.read_tls(&mut &back[..]).unwrap();
            if c.process_new_packets().is_err() {
                ok = false;
                break;
            }
        }
        (ok && !c.is_handshaking(), verifier.matched())
    };
    let (ok, matched) = connect("example.net");
    assert!(ok);
    assert_eq!(matched.unwrap().kind(), "XmppAddr");
    let (ok, _) = connect("other.example");
    assert!(!ok, "enforce mode refuses a certificate for another domain");
}

#[test]
fn name_constraints_apply_to_other_name_identifiers() {
    // A CA constrained to good.example must not vouch for evil.example,
    // whether the name is a DNS-ID (webpki refuses it) or an XmppAddr or
    // SRV-ID (otherNames webpki does not constrain: we do).
    use rcgen::{OtherNameValue, SanType};
    let ca = TestCa::with_constraints("Constrained CA", &["good.example"]);
    let xmpp_addr = |d: &str| {
        SanType::OtherName((
            vec![1, 3, 6, 1, 5, 5, 7, 8, 5],
            OtherNameValue::Utf8String(d.into()),
        ))
    };
    let srv = |d: &str| {
        SanType::OtherName((
            vec![1, 3, 6, 1, 5, 5, 7, 8, 7],
            OtherNameValue::Utf8String(format!("_xmpp-client.{d}")),
        ))
    };
    let run = |id: &Identity, domain: &str, mode: Mode| {
        let (c, _) = handshake(
            ClientSession::new(settings(domain, vec![ca.cert.clone()], mode)).unwrap(),
            server(id, false),
        );
        c
    };
    for sans in [vec![xmpp_addr("evil.example")], vec![srv("evil.example")]] {
        let evil = ca.issue_with(sans, "evil.example", 2025, 2030);
        let c = run(&evil, "evil.example", Mode::Inspect);
        let r = c.report();
        assert_eq!(r.evaluation.verdict, Verdict::Fail, "{}", r.to_text());
        let untrusted = r
            .evaluation
            .findings
            .iter()
            .find(|f| f.code == "certificate-untrusted")
            .unwrap();
        assert!(
            untrusted.message.contains("do not permit evil.example"),
            "{}",
            untrusted.message
        );
        assert!(run(&evil, "evil.example", Mode::Enforce).failed());
    }
    // Inside the subtree: fine, by XmppAddr and by SRV-ID.
    for sans in [
        vec![xmpp_addr("xmpp.good.example")],
        vec![srv("xmpp.good.example")],
    ] {
        let good = ca.issue_with(sans, "xmpp.good.example", 2025, 2030);
        let r = run(&good, "xmpp.good.example", Mode::Enforce).report();
        assert_eq!(r.evaluation.verdict, Verdict::Pass, "{}", r.to_text());
    }
}
