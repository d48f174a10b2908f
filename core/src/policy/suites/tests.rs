use super::*;

#[test]
fn table_is_complete_sorted_and_unique() {
    let t = all();
    assert!(t.len() >= 360, "{}", t.len());
    assert!(t.windows(2).all(|w| w[0].code < w[1].code));
    assert!(t.iter().filter(|s| s.iana).count() >= 330);
    for s in t {
        assert_eq!(by_code(s.code), Some(s));
    }
    assert_eq!(by_code(0x1234), None);
}

#[test]
fn every_suite_rustls_can_negotiate_is_in_the_table_with_its_facts() {
    for cs in rustls::crypto::ring::ALL_CIPHER_SUITES {
        let code = u16::from(cs.suite());
        let s = by_code(code).unwrap_or_else(|| panic!("{code:#06x} missing"));
        assert!(s.iana && s.aead && s.forward_secrecy, "{}", s.name);
        assert_eq!(by_name(&format!("{:?}", cs.suite())), Some(s));
        assert!(
            matches!(classify(&s).class, Class::Recommended | Class::Preferred),
            "{}",
            s.name
        );
    }
}

#[test]
fn names_and_facts_from_the_registry() {
    let s = by_name("TLS13_AES_128_GCM_SHA256").unwrap();
    assert_eq!(
        (s.code, s.name, s.tls13),
        (0x1301, "TLS_AES_128_GCM_SHA256", true)
    );
    let s = by_name("tls_dhe_rsa_with_aes_256_cbc_sha256").unwrap();
    assert_eq!(
        (s.kx, s.auth, s.cipher, s.mac),
        ("DHE", "RSA", "AES_256_CBC", "SHA256")
    );
    assert!(s.forward_secrecy && !s.aead);
    let s = by_code(0x000a).unwrap();
    assert_eq!((s.key_bits, s.security_bits, s.block_bits), (168, 112, 64));
    assert_eq!(by_code(0x001e).unwrap().name, "TLS_KRB5_WITH_DES_CBC_SHA");
    assert!(by_code(0x00ff).unwrap().signalling);
    assert!(
        by_code(0x5600).is_some_and(|s| s.signalling),
        "TLS_FALLBACK_SCSV"
    );
    assert_eq!(by_name("TLS_NOPE"), None);
    // Later IANA assignments rustls's enum lacks come from the supplement.
    let s = by_code(0xc0b4).unwrap();
    assert_eq!(
        (s.name, s.tls13, s.cipher, s.mac),
        ("TLS_SHA256_SHA256", true, "NULL", "SHA256")
    );
    assert_eq!(
        by_code(0xd001).unwrap().name,
        "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"
    );
    assert!(by_code(0xc103).unwrap().tls13);
    assert_eq!(by_code(0x00c6).unwrap().name, "TLS_SM4_GCM_SM3");
}

fn class_of(name: &str) -> (Class, &'static str) {
    let c = classify(&by_name(name).unwrap_or_else(|| panic!("{name}")));
    (c.class, c.source)
}

#[test]
fn classification_follows_rfc_7525_and_the_xmpp_slides() {
    use Class::*;
    // The XTLS spec's mandatory suites are not acceptable today.
    assert_eq!(class_of("TLS_RSA_WITH_3DES_EDE_CBC_SHA").0, Forbidden);
    assert_eq!(
        class_of("TLS_DH_RSA_WITH_AES_256_CBC_SHA").0,
        NotRecommended
    );
    for forbidden in [
        "TLS_NULL_WITH_NULL_NULL",
        "TLS_RSA_WITH_NULL_SHA256",
        "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
    ] {
        assert_eq!(class_of(forbidden).0, Forbidden, "{forbidden}");
    }
    assert_eq!(class_of("TLS_ECDHE_RSA_WITH_RC4_128_SHA").1, "RFC 7465 §2");
    for weak in [
        "TLS_RSA_WITH_AES_128_GCM_SHA256",    // no forward secrecy
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", // CBC
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", // short tag
        "TLS_RSA_WITH_IDEA_CBC_SHA",          // 64-bit block
        "TLS_PSK_WITH_AES_256_GCM_SHA384",    // no forward secrecy
    ] {
        assert_eq!(class_of(weak).0, NotRecommended, "{weak}");
    }
    // RFC 7525 §4.2's four, as the IETF 88 slides list them.
    for rec in [
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ] {
        assert!(class_of(rec).0 >= Recommended, "{rec}");
    }
    assert_eq!(
        class_of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").0,
        Recommended
    );
    assert_eq!(
        class_of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384").0,
        Preferred
    );
    assert_eq!(class_of("TLS_AES_128_GCM_SHA256").0, Recommended);
    assert_eq!(class_of("TLS_AES_256_GCM_SHA384").0, Preferred);
    assert_eq!(class_of("TLS_CHACHA20_POLY1305_SHA256").0, Preferred);
    assert_eq!(
        class_of("TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256").0,
        Recommended
    );
    assert_eq!(class_of("TLS_EMPTY_RENEGOTIATION_INFO_SCSV").0, Signalling);
    assert_eq!(class_of("TLS_FALLBACK_SCSV").0, Signalling);
    assert_eq!(class_of("TLS_SHA384_SHA384").0, Forbidden, "integrity only");
    for other in [
        "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384",
        "TLS_SM4_GCM_SM3",
        "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L",
        "TLS_ECCPWD_WITH_AES_256_GCM_SHA384",
    ] {
        assert_eq!(class_of(other).0, NotRecommended, "{other}");
    }
}

#[test]
fn every_entry_gets_a_class_with_reason_and_source() {
    let mut counts = std::collections::BTreeMap::new();
    for s in all() {
        let c = classify(&s);
        assert!(!c.reason.is_empty() && !c.source.is_empty());
        *counts.entry(c.class).or_insert(0) += 1;
        if c.class >= Class::Recommended && c.class != Class::Signalling {
            assert!(
                s.aead && s.forward_secrecy && s.security_bits >= 128,
                "{}",
                s.name
            );
        }
    }
    // Most of the registry is legacy: far more forbidden than preferred.
    assert!(counts[&Class::Forbidden] > counts[&Class::Preferred]);
    assert!(counts[&Class::Preferred] >= 10);
}

#[test]
fn openssl_names_map_to_iana_suites() {
    for (openssl, iana) in [
        (
            "ECDHE-RSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ),
        (
            "ECDHE-RSA-CHACHA20-POLY1305",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        (
            "DHE-RSA-AES256-GCM-SHA384",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        ),
        (
            "ECDHE-RSA-AES128-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        ),
        ("ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
        ("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        ("AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"),
        ("DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        ("EDH-RSA-DES-CBC3-SHA", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
        ("RC4-MD5", "TLS_RSA_WITH_RC4_128_MD5"),
        ("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    ] {
        assert_eq!(
            by_openssl_name(openssl).map(|s| s.name),
            Some(iana),
            "{openssl}"
        );
    }
    assert_eq!(by_openssl_name("NOT-A-SUITE"), None);
    assert_eq!(
        by_openssl_name("AES128"),
        None,
        "a cipher without MAC is not a suite name"
    );
}
