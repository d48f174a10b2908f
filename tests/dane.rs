//! DANE (RFC 6698/7671/7673) against real certificate chains from a test CA.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rustls_pki_types::CertificateDer;
use xmpptls::dna::dane::{verify, DaneContext, DaneOutcome, TlsaRecord};
use xmpptls::identity::pkix::Roots;
use xmpptls::identity::{Matched, Service};
use xmpptls_integration::{now, TestCa};

struct Setup {
    ca: TestCa,
    chain: Vec<CertificateDer<'static>>,
}

/// A server certificate naming `name` (XmppAddr), issued by a test CA; the
/// chain sent is the end entity and the CA certificate.
fn setup(name: &str) -> Setup {
    let ca = TestCa::new("DANE test CA");
    let leaf = ca.issue(name, 2025, 2030).leaf().clone();
    let chain = vec![leaf, ca.cert.clone()];
    Setup { ca, chain }
}

fn ctx<'a>(domain: &'a str, target: Option<&'a str>, roots: Option<&'a Roots>) -> DaneContext<'a> {
    DaneContext {
        service_domain: domain,
        srv_target: target,
        service: Service::XmppClient,
        roots,
        now: now(),
    }
}

fn rec(cert: &CertificateDer<'_>, usage: u8, selector: u8, matching: u8) -> TlsaRecord {
    TlsaRecord::for_certificate(cert, usage, selector, matching).unwrap()
}

#[test]
fn dane_ee_matches_the_key_whatever_the_name_or_issuer() {
    let s = setup("somewhere-else.example");
    for (sel, m) in [(1, 1), (0, 1), (1, 2), (0, 0)] {
        let r = rec(&s.chain[0], 3, sel, m);
        assert_eq!(
            verify(&[r], &s.chain[..1], &ctx("example.net", None, None)),
            DaneOutcome::Authenticated {
                record: 0,
                usage: 3,
                identity: None
            },
            "3 {sel} {m}"
        );
    }
}

#[test]
fn dane_ta_needs_the_anchor_in_the_chain_and_the_name() {
    let s = setup("example.net");
    let ta = rec(&s.chain[1], 2, 0, 1);
    assert_eq!(
        verify(
            std::slice::from_ref(&ta),
            &s.chain,
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Authenticated {
            record: 0,
            usage: 2,
            identity: Some(Matched::XmppAddr("example.net".into()))
        }
    );
    // The anchor not sent: fails (and does not fall back).
    assert!(matches!(
        verify(
            std::slice::from_ref(&ta),
            &s.chain[..1],
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Failed(_)
    ));
    // Right anchor, wrong name.
    match verify(
        std::slice::from_ref(&ta),
        &s.chain,
        &ctx("other.example", None, None),
    ) {
        DaneOutcome::Failed(r) => assert!(r[0].contains("names neither other.example"), "{r:?}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn srv_target_name_delegates_a_hosted_domain() {
    // RFC 7673: example.net's SRV points at xmpp.hosting.example, whose
    // certificate names only itself. DANE accepts the target's name.
    let s = setup("xmpp.hosting.example");
    let ta = rec(&s.chain[1], 2, 1, 1);
    let out = verify(
        &[ta],
        &s.chain,
        &ctx("example.net", Some("xmpp.hosting.example"), None),
    );
    assert_eq!(
        out,
        DaneOutcome::Authenticated {
            record: 0,
            usage: 2,
            identity: Some(Matched::XmppAddr("xmpp.hosting.example".into()))
        }
    );
}

#[test]
fn pkix_usages_need_roots_and_a_valid_path() {
    let s = setup("example.net");
    let roots = Roots::new(std::slice::from_ref(&s.ca.cert)).unwrap();
    let ee = rec(&s.chain[0], 1, 1, 1);
    let ta = rec(&s.chain[1], 0, 0, 1);
    for r in [&ee, &ta] {
        assert!(matches!(
            verify(
                std::slice::from_ref(r),
                &s.chain,
                &ctx("example.net", None, Some(&roots))
            ),
            DaneOutcome::Authenticated {
                identity: Some(_),
                ..
            }
        ));
        match verify(
            std::slice::from_ref(r),
            &s.chain,
            &ctx("example.net", None, None),
        ) {
            DaneOutcome::Failed(why) => assert!(why[0].contains("no roots"), "{why:?}"),
            o => panic!("{o:?}"),
        }
    }
    let other = TestCa::new("Other CA");
    let wrong_roots = Roots::new(std::slice::from_ref(&other.cert)).unwrap();
    assert!(matches!(
        verify(
            &[ee],
            &s.chain,
            &ctx("example.net", None, Some(&wrong_roots))
        ),
        DaneOutcome::Failed(_)
    ));
}

#[test]
fn insecure_or_unknown_records_are_ignored() {
    let s = setup("example.net");
    let mut insecure = rec(&s.chain[0], 3, 1, 1);
    insecure.dnssec_secure = false;
    let mut unknown = rec(&s.chain[0], 3, 1, 1);
    unknown.usage = 7;
    assert_eq!(
        verify(
            &[insecure, unknown],
            &s.chain,
            &ctx("example.net", None, None)
        ),
        DaneOutcome::NoUsableRecords
    );
}

#[test]
fn rollover_any_record_may_match_and_mismatch_fails_hard() {
    let s = setup("example.net");
    let old = setup("example.net");
    let stale = rec(&old.chain[0], 3, 1, 1);
    let current = rec(&s.chain[0], 3, 1, 1);
    assert_eq!(
        verify(
            &[stale.clone(), current],
            &s.chain,
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Authenticated {
            record: 1,
            usage: 3,
            identity: None
        }
    );
    match verify(&[stale], &s.chain, &ctx("example.net", None, None)) {
        DaneOutcome::Failed(why) => assert_eq!(why.len(), 1),
        o => panic!("{o:?}"),
    }
    assert!(matches!(
        verify(
            &[rec(&s.chain[0], 3, 1, 1)],
            &[],
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Failed(_)
    ));
}

#[test]
fn expired_chain_fails_dane_ta_but_not_dane_ee() {
    let ca = TestCa::new("Old CA");
    let leaf = ca.issue("example.net", 2020, 2021).leaf().clone();
    let chain = vec![leaf, ca.cert.clone()];
    assert!(matches!(
        verify(
            &[rec(&chain[1], 2, 0, 1)],
            &chain,
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Failed(_)
    ));
    assert!(matches!(
        verify(
            &[rec(&chain[0], 3, 1, 1)],
            &chain,
            &ctx("example.net", None, None)
        ),
        DaneOutcome::Authenticated { usage: 3, .. }
    ));
}
