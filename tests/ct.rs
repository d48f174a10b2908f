//! Certificate transparency (RFC 6962): real certificates with real SCTs
//! checked against a real log list snapshot, and generated certificates
//! with a test log's SCTs for what a real one cannot show (a bad signature,
//! an unknown or retired log, too few logs, a timestamp in the future).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use xmpptls::ct::certificate::{embedded_sct_list, precert_tbs};
use xmpptls::ct::sct::{encode_list, parse_list};
use xmpptls::ct::verify::Entry;
use xmpptls::ct::{check, CtReport, LogList, SctSource, SctStatus};
use xmpptls::identity::certificates_from_pem;
use xmpptls_integration::ct_log::{log_list_json, TestLog};

const LOG_LIST: &str = include_str!("../observatory/data/ct-log-list-2020-02-12.json");

fn pem(text: &str) -> CertificateDer<'static> {
    certificates_from_pem(text.as_bytes()).unwrap().remove(0)
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// 2019-01-01: after the 2018 certificate's SCTs, before the list's date
/// plus 70 days, so the list is not stale.
const IN_2019: u64 = 1_546_300_800;

fn codes(r: &CtReport) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code).collect()
}

fn real() -> Vec<CertificateDer<'static>> {
    vec![
        pem(include_str!("fixtures/ct/cryptography-scts.pem")),
        pem(include_str!("fixtures/ct/letsencryptx3.pem")),
    ]
}

#[test]
fn the_precertificate_is_rebuilt_as_the_log_saw_it() {
    let leaf = &real()[0];
    assert_eq!(
        precert_tbs(leaf).unwrap(),
        include_bytes!("fixtures/ct/cryptography-scts-tbs-precert.der")
    );
    let scts = parse_list(&embedded_sct_list(leaf).unwrap().unwrap()).unwrap();
    assert_eq!(scts.len(), 2);
    assert_eq!(scts[0].timestamp_ms, 1_537_995_393_769);
}

#[test]
fn real_scts_verify_against_the_real_log_list() {
    let logs = LogList::parse(LOG_LIST).unwrap();
    assert!(logs.logs.len() > 80);
    let r = check(&real(), None, None, &logs, at(IN_2019));
    assert_eq!(r.scts.len(), 2, "{r:?}");
    for s in &r.scts {
        assert_eq!(s.status, SctStatus::Valid, "{s:?}");
        assert_eq!(s.source, SctSource::Embedded);
    }
    let operators: Vec<&str> = r
        .scts
        .iter()
        .map(|s| s.log.as_ref().unwrap().1.as_str())
        .collect();
    assert_eq!(operators, ["Google", "Sectigo"]);
    assert!(r.compliant);
    assert!(codes(&r).is_empty(), "{:?}", r.findings);
    // Checked in 2026, the snapshot is years old: said, not hidden.
    let later = check(&real(), None, None, &logs, at(1_796_600_000));
    assert_eq!(codes(&later), ["ct-log-list-stale"]);
    assert!(later.compliant);
}

#[test]
fn a_flipped_signature_octet_is_an_invalid_sct() {
    let mut chain = real();
    let mut der = chain[0].as_ref().to_vec();
    // The first SCT's signature begins 30 46 02 21 00 a5 ce a8 7c.
    let at_sig = der
        .windows(4)
        .position(|w| w == [0xa5, 0xce, 0xa8, 0x7c])
        .unwrap();
    der[at_sig + 2] ^= 1;
    chain[0] = CertificateDer::from(der);
    let logs = LogList::parse(LOG_LIST).unwrap();
    let r = check(&chain, None, None, &logs, at(IN_2019));
    assert!(matches!(r.scts[0].status, SctStatus::Invalid(_)), "{r:?}");
    assert_eq!(r.scts[1].status, SctStatus::Valid);
    assert_eq!(codes(&r), ["ct-invalid-sct", "ct-too-few-logs"]);
    assert!(!r.compliant);
}

#[test]
fn a_log_the_list_does_not_know_and_an_issuer_missing() {
    let mut v: serde_json::Value = serde_json::from_str(LOG_LIST).unwrap();
    let ops = v["operators"].as_array_mut().unwrap();
    ops.retain(|o| o["name"] != "Sectigo");
    let logs = LogList::parse(&v.to_string()).unwrap();
    let r = check(&real(), None, None, &logs, at(IN_2019));
    assert_eq!(r.scts[1].status, SctStatus::UnknownLog);
    assert_eq!(codes(&r), ["ct-unknown-log", "ct-too-few-logs"]);
    // Without the issuer, an embedded SCT cannot be checked.
    let all = LogList::parse(LOG_LIST).unwrap();
    let r = check(&real()[..1], None, None, &all, at(IN_2019));
    assert!(r
        .scts
        .iter()
        .all(|s| matches!(&s.status, SctStatus::Invalid(why) if why.contains("issuer"))));
}

#[test]
fn an_ocsp_response_carries_scts_too() {
    let logs = LogList::parse(LOG_LIST).unwrap();
    let ocsp = include_bytes!("fixtures/ct/resp-sct-extension.der");
    let r = check(&real()[..1], None, Some(ocsp), &logs, at(IN_2019));
    assert!(r.scts.iter().any(|s| s.source == SctSource::Ocsp), "{r:?}");
    // Logged in November 2019 for another certificate: checked after that,
    // each is known to the list and fails on its signature over this one
    // (the conformance vectors rely on it).
    let r = check(&real(), None, Some(ocsp), &logs, at(1_575_158_400));
    let ocsp_scts: Vec<_> = r
        .scts
        .iter()
        .filter(|s| s.source == SctSource::Ocsp)
        .collect();
    assert_eq!(ocsp_scts.len(), 4);
    for s in ocsp_scts {
        assert!(s.log.is_some(), "{s:?}");
        assert!(
            matches!(&s.status, SctStatus::Invalid(why) if why.contains("signature")),
            "{s:?}"
        );
    }
}

fn generated() -> CertificateDer<'static> {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["example.net".into()]).unwrap();
    params.self_signed(&key).unwrap().der().clone()
}

fn list(entries: Vec<serde_json::Value>) -> LogList {
    LogList::parse(&log_list_json(entries)).unwrap()
}

const NOW: u64 = 1_796_600_000; // 2026-12-06
const NOW_MS: u64 = NOW * 1000;

#[test]
fn scts_delivered_by_tls_from_two_operators_comply() {
    let cert = generated();
    let (a, b) = (TestLog::new(), TestLog::new());
    let logs = list(vec![
        a.entry("Operator A", "usable", "2025-01-01T00:00:00Z"),
        b.entry("Operator B", "qualified", "2025-01-01T00:00:00Z"),
    ]);
    let tls = encode_list(&[
        a.sign(Entry::X509(&cert), NOW_MS - 60_000),
        b.sign(Entry::X509(&cert), NOW_MS - 60_000),
    ]);
    let r = check(
        std::slice::from_ref(&cert),
        Some(&tls),
        None,
        &logs,
        at(NOW),
    );
    assert!(r.compliant, "{r:?}");
    assert!(codes(&r).is_empty(), "{:?}", r.findings);
    // One operator is not enough, whatever the number of SCTs.
    let one = encode_list(&[
        a.sign(Entry::X509(&cert), NOW_MS - 1),
        a.sign(Entry::X509(&cert), NOW_MS - 2),
    ]);
    let r = check(
        std::slice::from_ref(&cert),
        Some(&one),
        None,
        &logs,
        at(NOW),
    );
    assert!(!r.compliant);
    assert_eq!(codes(&r), ["ct-too-few-logs"]);
}

#[test]
fn a_future_timestamp_a_retired_log_and_no_sct() {
    let cert = generated();
    let (a, b) = (TestLog::new(), TestLog::new());
    let logs = list(vec![
        a.entry("Operator A", "usable", "2025-01-01T00:00:00Z"),
        b.entry("Operator B", "retired", "2026-01-01T00:00:00Z"),
    ]);
    let future = encode_list(&[a.sign(Entry::X509(&cert), NOW_MS + 3_600_000)]);
    let r = check(
        std::slice::from_ref(&cert),
        Some(&future),
        None,
        &logs,
        at(NOW),
    );
    assert!(matches!(&r.scts[0].status, SctStatus::Invalid(why) if why.contains("future")));
    assert_eq!(codes(&r), ["ct-invalid-sct", "ct-too-few-logs"]);
    // A retired log does not count for SCTs delivered by TLS.
    let retired = encode_list(&[
        a.sign(Entry::X509(&cert), NOW_MS),
        b.sign(Entry::X509(&cert), NOW_MS),
    ]);
    let r = check(
        std::slice::from_ref(&cert),
        Some(&retired),
        None,
        &logs,
        at(NOW),
    );
    assert_eq!(codes(&r), ["ct-log-not-trusted", "ct-too-few-logs"]);
    // Another certificate's SCT does not verify for this one.
    let other = encode_list(&[a.sign(Entry::X509(&generated()), NOW_MS)]);
    let r = check(
        std::slice::from_ref(&cert),
        Some(&other),
        None,
        &logs,
        at(NOW),
    );
    assert!(matches!(&r.scts[0].status, SctStatus::Invalid(why) if why.contains("signature")));
    // Nothing anywhere.
    let r = check(&[cert], None, None, &logs, at(NOW));
    assert_eq!(codes(&r), ["ct-no-sct"]);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(LogList::parse("{}").is_err());
    assert!(LogList::parse("not json").is_err());
    let cert = generated();
    let logs = list(vec![]);
    for junk in [&[][..], &[0, 5, 0], &[0xff; 40]] {
        let r = check(
            std::slice::from_ref(&cert),
            Some(junk),
            None,
            &logs,
            at(NOW),
        );
        assert_eq!(r.errors.len(), 1, "{junk:?}");
        // Said as a finding too, next to "no SCT".
        assert_eq!(codes(&r), ["ct-invalid-sct", "ct-no-sct"], "{junk:?}");
    }
}
