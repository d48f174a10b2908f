//! `xmpptls cert`, `posh` and `tlsa` through the binary, on PEM files made
//! here: exit codes, output, and cross-checks with the core's verifiers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, SanType,
};

struct Files {
    dir: PathBuf,
}

impl Files {
    /// A CA and a server certificate for `example.net` valid 2025-2030.
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xmpptls-cli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "CLI test CA");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let mut leaf = CertificateParams::default();
        leaf.not_before = rcgen::date_time_ymd(2025, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2030, 1, 1);
        leaf.subject_alt_names = vec![SanType::DnsName("example.net".try_into().unwrap())];
        let key = KeyPair::generate().unwrap();
        let leaf_cert = leaf
            .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
            .unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), leaf_cert.pem()).unwrap();
        Files { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xmpptls"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn cert_passes_with_roots_and_the_right_domain() {
    let f = Files::new("pass");
    let (code, out) = run(&[
        "cert",
        &f.path("server.pem"),
        "--ca",
        &f.path("ca.pem"),
        "--domain",
        "example.net",
        "--at",
        "2027-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Identity      example.net xmpp-client matches DNS-ID example.net"),
        "{out}"
    );
    assert!(out.contains("Chain         valid"), "{out}");
}

#[test]
fn cert_fails_on_wrong_domain_expiry_or_roots() {
    let f = Files::new("fail");
    let server = f.path("server.pem");
    let (code, out) = run(&["cert", &server, "--domain", "shire.example", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["identity"].is_null());
    assert_eq!(v["certificate"]["san"]["dns"][0], "example.net");
    let (code, out) = run(&[
        "cert",
        &server,
        "--ca",
        &f.path("ca.pem"),
        "--domain",
        "example.net",
        "--at",
        "2031-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("Chain         NOT valid"), "{out}");
    // The server certificate is not a root for itself.
    let (code, _) = run(&[
        "cert",
        &server,
        "--ca",
        &server,
        "--domain",
        "example.net",
        "--at",
        "2027-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn usage_errors_exit_2() {
    let f = Files::new("usage");
    assert_eq!(
        run(&["cert", &f.path("missing.pem"), "--domain", "x.example"]).0,
        2
    );
    assert_eq!(
        run(&[
            "cert",
            &f.path("server.pem"),
            "--domain",
            "x.example",
            "--service",
            "smtp"
        ])
        .0,
        2
    );
    assert_eq!(
        run(&[
            "cert",
            &f.path("server.pem"),
            "--domain",
            "x.example",
            "--at",
            "yesterday"
        ])
        .0,
        2
    );
    assert_eq!(
        run(&["tlsa", &f.path("server.pem"), "--selector", "7"]).0,
        2
    );
    // RFC 6698 §2.1.1 has usages 0-3 only.
    assert_eq!(run(&["tlsa", &f.path("server.pem"), "--usage", "9"]).0, 2);
}

/// A DER certificate is read as such (not "no certificate in the PEM
/// text"), and a 1024-bit RSA key fails the check with weak-peer-key's
/// reason (RFC 7525 §4.5).
#[test]
fn der_input_and_weak_keys() {
    let f = Files::new("der");
    let pem = std::fs::read(f.path("server.pem")).unwrap();
    let der = xmpptls::identity::certificates_from_pem(&pem)
        .unwrap()
        .remove(0);
    std::fs::write(f.dir.join("server.der"), der.as_ref()).unwrap();
    let (code, out) = run(&[
        "cert",
        &f.path("server.der"),
        "--domain",
        "example.net",
        "--ca",
        &f.path("ca.pem"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("matches DNS-ID example.net"), "{out}");

    let key = f.path("weak.key");
    let cert = f.path("weak.pem");
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=example.net",
        ])
        .args([
            "-addext",
            "subjectAltName = DNS:example.net",
            "-keyout",
            &key,
            "-out",
            &cert,
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let (code, out) = run(&["cert", &cert, "--domain", "example.net"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("RSA 1024 bits: WEAK"), "{out}");
}

#[test]
fn posh_and_tlsa_output_verify_with_the_core() {
    let f = Files::new("publish");
    let pem = std::fs::read(f.path("server.pem")).unwrap();
    let cert = xmpptls::identity::certificates_from_pem(&pem)
        .unwrap()
        .remove(0);
    let (code, out) = run(&["posh", &f.path("server.pem"), "--expires", "600"]);
    assert_eq!(code, 0);
    use xmpptls::dna::posh;
    let keys = posh::resolve(
        posh::PoshDocument::parse(out.trim().as_bytes()).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(keys.expires, 600);
    let t = xmpptls::UnixTime::since_unix_epoch(std::time::Duration::from_secs(100));
    assert!(posh::verify(&keys, &cert, t, t).is_ok());

    let (code, out) = run(&[
        "tlsa",
        &f.path("server.pem"),
        "--usage",
        "3",
        "--selector",
        "1",
        "--matching",
        "1",
    ]);
    assert_eq!(code, 0);
    let expected = xmpptls::dna::dane::TlsaRecord::for_certificate(&cert, 3, 1, 1).unwrap();
    assert_eq!(out.trim(), expected.presentation());
    assert!(out.starts_with("3 1 1 ") && out.trim().len() == 6 + 64);
}
