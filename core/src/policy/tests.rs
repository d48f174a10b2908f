use super::*;

fn good() -> Negotiated {
    Negotiated {
        encrypted: true,
        version: Some(TlsVersion::Tls13),
        suite: Some(0x1302), // TLS_AES_256_GCM_SHA384
        kx_group: Some("X25519MLKEM768".into()),
        kx_bits: Some(255),
        peer_key_type: Some("ECDSA".into()),
        peer_key_bits: Some(256),
        authentication: Some(AuthMethod::Pkix),
        ..Negotiated::default()
    }
}

fn codes(e: &Evaluation) -> Vec<&'static str> {
    e.findings.iter().map(|f| f.code).collect()
}

fn with(f: impl FnOnce(&mut Negotiated)) -> Negotiated {
    let mut n = good();
    f(&mut n);
    n
}

#[test]
fn a_modern_connection_passes_clean() {
    let e = evaluate(&Policy::strict(), &good());
    assert_eq!(e.verdict, Verdict::Pass);
    assert!(e.findings.is_empty(), "{:?}", e.findings);
    // AES-128: recommended, with an informational note only.
    let e = evaluate(&Policy::strict(), &with(|n| n.suite = Some(0x1301)));
    assert_eq!(
        (e.verdict, codes(&e)),
        (Verdict::Pass, vec!["suite-not-preferred"])
    );
}

#[test]
fn versions() {
    let v = |ver| {
        evaluate(
            &Policy::strict(),
            &with(|n| {
                n.version = Some(ver);
                n.suite = Some(0xc02c); // ECDHE-ECDSA-AES256-GCM, valid before 1.3
            }),
        )
    };
    assert_eq!(
        codes(&v(TlsVersion::Ssl3)),
        ["version-forbidden", "suite-version-mismatch"]
    );
    let tls10 = v(TlsVersion::Tls10);
    assert_eq!(tls10.verdict, Verdict::Fail);
    assert_eq!(tls10.findings[0].code, "version-deprecated");
    assert_eq!(tls10.findings[0].rfc, "RFC 8996 §2–3; RFC 7525 §3.1.1");
    assert_eq!(v(TlsVersion::Tls12).verdict, Verdict::Pass);
    let mut lenient = Policy::strict();
    lenient.min_version = TlsVersion::Tls10;
    lenient.min_suite_class = suites::Class::NotRecommended;
    let e = evaluate(
        &lenient,
        &with(|n| {
            n.version = Some(TlsVersion::Tls11);
            n.suite = Some(0xc013); // ECDHE-RSA-AES128-SHA (CBC), exists in TLS 1.1
        }),
    );
    assert_eq!(codes(&e), ["version-deprecated", "suite-not-recommended"]);
    assert_eq!(e.verdict, Verdict::Warn);
    // A GCM suite under TLS 1.1 is impossible.
    let e = evaluate(
        &lenient,
        &with(|n| {
            n.version = Some(TlsVersion::Tls11);
            n.suite = Some(0xc02c);
        }),
    );
    assert!(codes(&e).contains(&"suite-version-mismatch"));
    let e = evaluate(
        &Policy::tls13_only(),
        &with(|n| {
            n.version = Some(TlsVersion::Tls12);
            n.suite = Some(0xc02c);
            n.extended_master_secret = Some(true);
        }),
    );
    assert_eq!(codes(&e), ["version-below-policy"]);
    assert_eq!(TlsVersion::parse("TLSv1.2"), Some(TlsVersion::Tls12));
    assert_eq!(TlsVersion::parse("tls1_3"), Some(TlsVersion::Tls13));
    assert_eq!(TlsVersion::parse("SSLv3"), Some(TlsVersion::Ssl3));
    assert_eq!(TlsVersion::from_code(0x0301), Some(TlsVersion::Tls10));
    assert_eq!(TlsVersion::from_code(0x7f1c), None);
}

#[test]
fn suites() {
    let s = |code: u16, p: &Policy| {
        evaluate(
            p,
            &with(|n| {
                n.version = Some(TlsVersion::Tls12);
                n.suite = Some(code);
                n.extended_master_secret = Some(true);
            }),
        )
    };
    let strict = Policy::strict();
    let e = s(0x000a, &strict); // the XTLS spec's MTI suite
    assert_eq!(
        (e.verdict, codes(&e)),
        (Verdict::Fail, vec!["suite-forbidden"])
    );
    assert!(e.findings[0]
        .message
        .starts_with("TLS_RSA_WITH_3DES_EDE_CBC_SHA: "));
    let e = s(0x009c, &strict); // TLS_RSA_WITH_AES_128_GCM_SHA256: no FS
    assert_eq!(
        (e.verdict, codes(&e)),
        (Verdict::Fail, vec!["suite-not-recommended"])
    );
    let mut tolerant = strict.clone();
    tolerant.min_suite_class = suites::Class::NotRecommended;
    assert_eq!(s(0x009c, &tolerant).verdict, Verdict::Warn);
    let mut allow = strict.clone();
    allow.allowed_suites.push(0x009c);
    assert_eq!(s(0x009c, &allow).verdict, Verdict::Pass);
    allow.allowed_suites.push(0x000a);
    assert_eq!(
        s(0x000a, &allow).verdict,
        Verdict::Fail,
        "forbidden suites cannot be allowed"
    );
    let mut deny = strict.clone();
    deny.denied_suites.push(0xc02c);
    assert_eq!(codes(&s(0xc02c, &deny)), ["suite-denied"]);
    let mut preferred_only = strict.clone();
    preferred_only.min_suite_class = suites::Class::Preferred;
    assert_eq!(codes(&s(0xc02b, &preferred_only)), ["suite-below-policy"]);
    assert_eq!(codes(&s(0x1234, &strict)), ["suite-unknown"]);
    assert_eq!(
        codes(&evaluate(&strict, &with(|n| n.suite = None))),
        ["suite-unknown"]
    );
    // A TLS 1.3 suite reported with TLS 1.2 is inconsistent.
    let e = evaluate(
        &strict,
        &with(|n| {
            n.version = Some(TlsVersion::Tls12);
            n.extended_master_secret = Some(true);
        }),
    );
    assert_eq!(codes(&e), ["suite-version-mismatch"]);
}

#[test]
fn key_sizes_compression_ems_and_resumption() {
    let p = Policy::strict();
    let e = evaluate(
        &p,
        &with(|n| {
            n.version = Some(TlsVersion::Tls12);
            n.suite = Some(0x009f); // DHE-RSA-AES256-GCM
            n.kx_group = Some("ffdhe".into());
            n.kx_bits = Some(1024);
            n.peer_key_type = Some("RSA".into());
            n.peer_key_bits = Some(1024);
            n.extended_master_secret = Some(false);
            n.compression = true;
            n.resumed = true;
            n.ticket = true;
        }),
    );
    assert_eq!(
        codes(&e),
        [
            "weak-dh",
            "classical-key-exchange",
            "weak-peer-key",
            "compression",
            "no-extended-master-secret",
            "session-ticket"
        ]
    );
    assert_eq!(e.verdict, Verdict::Fail);
    let e = evaluate(&p, &with(|n| n.kx_bits = Some(160)));
    assert_eq!(codes(&e), ["weak-ecdh"]);
    // TLS 1.3 tickets are its normal resumption: not reported.
    let e = evaluate(
        &p,
        &with(|n| {
            n.resumed = true;
            n.ticket = true;
        }),
    );
    assert!(e.findings.is_empty());
    let mut none = p.clone();
    none.resumption = ResumptionMode::Disabled;
    assert_eq!(
        codes(&evaluate(&none, &with(|n| n.resumed = true))),
        ["resumption-disabled"]
    );
}

#[test]
fn encryption_and_authentication() {
    let unencrypted = Negotiated::default();
    let e = evaluate(&Policy::strict(), &unencrypted);
    assert_eq!((e.verdict, codes(&e)), (Verdict::Fail, vec!["unencrypted"]));
    assert_eq!(
        evaluate(&Policy::opportunistic_s2s(), &unencrypted).verdict,
        Verdict::Fail,
        "s2s still requires encryption"
    );

    let anon = with(|n| n.authentication = None);
    assert_eq!(evaluate(&Policy::strict(), &anon).verdict, Verdict::Fail);
    assert_eq!(
        evaluate(&Policy::opportunistic_s2s(), &anon).verdict,
        Verdict::Warn
    );

    let dialback = with(|n| n.authentication = Some(AuthMethod::Dialback));
    assert_eq!(
        codes(&evaluate(&Policy::strict(), &dialback)),
        ["auth-method-not-allowed"]
    );
    let e = evaluate(&Policy::opportunistic_s2s(), &dialback);
    assert_eq!(
        (e.verdict, codes(&e)),
        (Verdict::Warn, vec!["dialback-only"])
    );
    assert_eq!(e.findings[0].rfc, "RFC 7590 §3.4; XEP-0220");

    for m in [AuthMethod::Dane, AuthMethod::Posh, AuthMethod::Pinned] {
        assert_eq!(
            evaluate(&Policy::strict(), &with(|n| n.authentication = Some(m))).verdict,
            Verdict::Pass
        );
    }
}

#[test]
fn suite_by_name_and_peer_key_from_the_chain() {
    let mut n = Negotiated::default();
    n.set_suite_name("ECDHE-RSA-AES128-GCM-SHA256").unwrap();
    assert_eq!(n.suite, Some(0xc02f));
    n.set_suite_name("TLS13_AES_256_GCM_SHA384").unwrap();
    assert_eq!(n.suite, Some(0x1302));
    n.set_suite_name("tls_chacha20_poly1305_sha256").unwrap();
    assert_eq!(n.suite, Some(0x1303));
    assert!(n.set_suite_name("bogus").is_err());

    // The stack reported no key: it is read from the chain (ECDSA P-256).
    let id = crate::Identity::self_signed(&crate::Jid::parse("example.net").unwrap()).unwrap();
    let from_chain = with(|n| {
        n.peer_key_type = None;
        n.peer_key_bits = None;
        n.kx_bits = None; // only the key is under test here
        n.peer_chain = id.chain().to_vec();
    });
    assert_eq!(
        evaluate(&Policy::strict(), &from_chain).verdict,
        Verdict::Pass
    );
    let mut p384 = Policy::strict();
    p384.min_ec_bits = 384;
    let e = evaluate(&p384, &from_chain);
    assert_eq!(codes(&e), ["weak-peer-key"]);
    assert!(
        e.findings[0].message.contains("ECDSA key of 256 bits"),
        "{}",
        e.findings[0].message
    );
}

#[test]
fn suite_knobs_move_a_suite_between_lists_and_never_duplicate() {
    let mut p = Policy::strict();
    p.allow_suite(0x002f);
    p.allow_suite(0x002f);
    assert_eq!(p.allowed_suites, vec![0x002f]);
    p.deny_suite(0x002f);
    p.deny_suite(0x002f);
    assert_eq!(
        (p.allowed_suites.len(), p.denied_suites.clone()),
        (0, vec![0x002f])
    );
    p.allow_suite(0x002f);
    assert_eq!(
        (p.allowed_suites.clone(), p.denied_suites.len()),
        (vec![0x002f], 0)
    );
    p.set_allowed_auth(&[AuthMethod::Posh, AuthMethod::Pkix, AuthMethod::Posh]);
    assert_eq!(p.allowed_auth, vec![AuthMethod::Posh, AuthMethod::Pkix]);
}

#[test]
fn presets_by_name_are_the_constructors() {
    use crate::names::Named;
    use crate::policy::PolicyPreset;
    for preset in PolicyPreset::ALL {
        // The report names the preset it was graded against.
        assert_eq!(Policy::preset(*preset).name, preset.name());
    }
}

/// A classical-only key exchange is information by default and an error
/// when the policy requires post-quantum; the hybrid and the pure ML-KEM
/// groups give no finding; TLS 1.2's groups are classical too; an unknown
/// group (not reported) says nothing.
#[test]
fn classical_key_exchange() {
    let classical = with(|n| n.kx_group = Some("X25519".into()));
    let e = evaluate(&Policy::strict(), &classical);
    assert_eq!(
        (e.verdict, codes(&e)),
        (Verdict::Pass, vec!["classical-key-exchange"])
    );
    assert_eq!(e.findings[0].severity, Severity::Info);
    assert!(e.findings[0].message.contains("X25519 is classical only"));
    let mut required = Policy::strict();
    required.require_post_quantum = true;
    let e = evaluate(&required, &classical);
    assert_eq!(e.verdict, Verdict::Fail);
    assert_eq!(e.findings[0].severity, Severity::Error);
    for pq in ["X25519MLKEM768", "SecP256r1MLKEM768", "MLKEM1024"] {
        let e = evaluate(&required, &with(|n| n.kx_group = Some(pq.into())));
        assert!(e.findings.is_empty(), "{pq}: {:?}", e.findings);
    }
    let tls12 = with(|n| {
        n.version = Some(TlsVersion::Tls12);
        n.suite = Some(0xc030);
        n.kx_group = Some("secp256r1".into());
    });
    assert!(codes(&evaluate(&Policy::strict(), &tls12)).contains(&"classical-key-exchange"));
    let unknown = with(|n| n.kx_group = None);
    assert!(evaluate(&required, &unknown).findings.is_empty());
}
