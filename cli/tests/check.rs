//! `xmpptls check` against real servers on 127.0.0.1: an in-process XMPP
//! server speaking STARTTLS (and one speaking direct TLS with ALPN), and
//! weak `openssl s_server`s that must get a fail verdict with the right
//! finding and no crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use xmpptls_integration::ct_log::{log_list_json, TestLog};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xmpptls-check-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A CA named `name`, its certificate written to `dir`/ca.pem.
fn test_ca(dir: &Path, name: &str) -> (CertificateParams, KeyPair, rcgen::Certificate) {
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    (ca, ca_key, ca_cert)
}

/// A CA (written to ca.pem) and a server identity for example.net.
fn pki(dir: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let (ca, ca_key, _) = test_ca(dir, "Check CA");
    let mut leaf = CertificateParams::default();
    leaf.subject_alt_names = vec![
        SanType::DnsName("example.net".try_into().unwrap()),
        SanType::OtherName((
            vec![1, 3, 6, 1, 5, 5, 7, 8, 5],
            rcgen::OtherNameValue::Utf8String("example.net".into()),
        )),
    ];
    let key = KeyPair::generate().unwrap();
    let cert = leaf
        .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    (
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// Serves one connection: stream header, features (with or without
/// STARTTLS), <proceed/>, then TLS and the restarted stream's features.
fn xmpp_server(direct: bool, offer_starttls: bool) -> (u16, PathBuf, std::thread::JoinHandle<()>) {
    let dir = tmp(if direct {
        "direct"
    } else if offer_starttls {
        "starttls"
    } else {
        "stripped"
    });
    let (chain, key) = pki(&dir);
    let (port, handle) = serve(direct, offer_starttls, chain, key);
    (port, dir, handle)
}

/// [`xmpp_server`] with the identity given.
fn serve(
    direct: bool,
    offer_starttls: bool,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> (u16, std::thread::JoinHandle<()>) {
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
    if direct {
        config.alpn_protocols = vec![b"xmpp-client".to_vec()];
    }
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        if !direct {
            let mut buf = [0u8; 4096];
            let n = sock.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).contains("<stream:stream"));
            let features = if offer_starttls {
                "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
            } else {
                "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>"
            };
            write!(sock, "<?xml version='1.0'?><stream:stream from='example.net' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>{features}").unwrap();
            let n = sock.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n])
                .contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
            sock.write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                .unwrap();
        }
        let conn = ServerConnection::new(config).unwrap();
        let mut tls = StreamOwned::new(conn, sock);
        // The stream restarted over TLS (RFC 6120 §5.4.3.3) gets its
        // features, as from a real server (without them a check reports
        // not-xmpp); then read until the client goes away.
        let mut buf = [0u8; 1024];
        if tls.read(&mut buf).is_ok_and(|n| n > 0) {
            let _ = write!(tls, "<?xml version='1.0'?><stream:stream from='example.net' id='s2' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>");
            let _ = tls.flush();
            let _ = tls.read(&mut buf);
        }
        if direct {
            assert_eq!(tls.conn.alpn_protocol(), Some(&b"xmpp-client"[..]));
        }
    });
    (port, handle)
}

/// `xmpptls check` with the handshake only (`--no-scan`): these servers
/// take one connection; the scan's own tests are scripts/test-observatory.sh.
fn check(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xmpptls"))
        .arg("check")
        .arg("--no-scan")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// A typo in the target is a usage error (exit 2) before anything leaves
/// the machine (issue 22 #7): `127.0.0.1:5222:1` is no IPv6 address.
#[test]
fn a_target_with_two_colons_is_refused_as_a_bad_target() {
    let out = Command::new(env!("CARGO_BIN_EXE_xmpptls"))
        .args([
            "check",
            "--no-scan",
            "--timeout",
            "3",
            "--dns",
            "127.0.0.1:9",
            "--domain",
            "example.net",
            "127.0.0.1:5222:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("127.0.0.1:5222:1: not a host"), "{err}");
}

#[test]
fn starttls_server_with_trusted_named_certificate_passes() {
    let (port, dir, handle) = xmpp_server(false, true);
    let ca = dir.join("ca.pem");
    let (code, out) = check(&[
        &format!("127.0.0.1:{port}"),
        "--domain",
        "example.net",
        "--ca",
        ca.to_str().unwrap(),
        "--json",
    ]);
    handle.join().unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["tls_version"], "TLSv1.3");
    assert_eq!(v["authentication"], "pkix");
    assert_eq!(v["identity"]["type"], "DNS-ID");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn direct_tls_uses_alpn_and_reports_untrusted_without_roots() {
    let (port, dir, handle) = xmpp_server(true, true);
    let (code, out) = check(&[
        &format!("127.0.0.1:{port}"),
        "--domain",
        "example.net",
        "--direct-tls",
    ]);
    handle.join().unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("certificate-untrusted"), "{out}");
    assert!(out.contains("Encryption      TLSv1.3"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn stripped_starttls_is_tried_and_reported() {
    let (port, dir, handle) = xmpp_server(false, false);
    let ca = dir.join("ca.pem");
    let (code, out) = check(&[
        &format!("127.0.0.1:{port}"),
        "--domain",
        "example.net",
        "--ca",
        ca.to_str().unwrap(),
        "--json",
    ]);
    handle.join().unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "warn is not fail: {out}");
    assert_eq!(v["verdict"], "warn");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "starttls-not-offered"));
    let _ = std::fs::remove_dir_all(dir);
}

struct Openssl(Child);

impl Drop for Openssl {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An `openssl s_server` on a free port with an RSA certificate and extra
/// arguments; waits until it accepts connections.
fn openssl_server(dir: &Path, extra: &[&str]) -> (Openssl, u16) {
    let key = dir.join("rsa.key");
    let cert = dir.join("rsa.pem");
    if !cert.exists() {
        let st = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=example.net",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl is installed by scripts/setup.sh");
        assert!(st.success());
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Two connections: the readiness probe below, then the check.
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-naccept", "2", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Openssl(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

#[test]
fn weak_servers_fail_with_the_right_finding() {
    let dir = tmp("weak");
    for (extra, finding) in [
        (
            &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"][..],
            "version-unsupported",
        ),
        (
            &["-tls1_2", "-cipher", "AES128-GCM-SHA256"][..],
            "suite-unsupported",
        ),
    ] {
        let (_server, port) = openssl_server(&dir, extra);
        let (code, out) = check(&[
            &format!("127.0.0.1:{port}"),
            "--domain",
            "example.net",
            "--direct-tls",
            "--json",
        ]);
        assert_eq!(code, 1, "{extra:?}: {out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["verdict"], "fail");
        assert_eq!(v["encrypted"], false);
        let codes: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect();
        assert!(codes.iter().any(|c| c == finding), "{extra:?}: {codes:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A CA (ca.pem) and an example.net certificate valid for 90 days whose
/// precertificate each of `logs` logged: the SCT list embedded as a CA
/// does (RFC 6962 §3.1), over the TBSCertificate without it.
fn ct_pki(dir: &Path, logs: &[&TestLog]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    use xmpptls::ct::certificate::precert_tbs;
    use xmpptls::ct::sct::encode_list;
    use xmpptls::ct::verify::Entry;
    let (ca, ca_key, ca_cert) = test_ca(dir, "CT Test CA");
    let now = time::OffsetDateTime::now_utc();
    let mut leaf = CertificateParams::default();
    leaf.subject_alt_names = vec![SanType::DnsName("example.net".try_into().unwrap())];
    leaf.serial_number = Some(rcgen::SerialNumber::from(vec![0x01, 0x02, 0x03]));
    leaf.not_before = now - time::Duration::days(30);
    leaf.not_after = now + time::Duration::days(60);
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let pre = leaf.signed_by(&key, &issuer).unwrap();
    // The precertificate's TBSCertificate: the first element inside its
    // DER SEQUENCE (X.690 lengths: short, or 0x8N and N octets).
    let header = |d: &[u8]| match d[1] {
        n if n < 0x80 => (2, usize::from(n)),
        n => {
            let k = usize::from(n & 0x7f);
            (
                2 + k,
                d[2..2 + k]
                    .iter()
                    .fold(0, |v, b| (v << 8) | usize::from(*b)),
            )
        }
    };
    let der = pre.der().as_ref();
    let body = &der[header(der).0..];
    let (h, len) = header(body);
    let tbs = body[..h + len].to_vec();
    let ikh = xmpptls::ct::certificate::issuer_key_hash(ca_cert.der()).unwrap();
    let seen = (now.unix_timestamp() as u64 - 3600) * 1000;
    let scts: Vec<_> = logs
        .iter()
        .map(|l| {
            l.sign(
                Entry::Precert {
                    issuer_key_hash: &ikh,
                    tbs: &tbs,
                },
                seen,
            )
        })
        .collect();
    let list = encode_list(&scts);
    // An OCTET STRING with a minimal DER length (webpki refuses others).
    let mut octets = vec![0x04];
    match list.len() {
        n if n < 0x80 => octets.push(n as u8),
        n if n < 0x100 => octets.extend_from_slice(&[0x81, n as u8]),
        n => {
            octets.push(0x82);
            octets.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    octets.extend_from_slice(&list);
    leaf.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
        octets,
    )];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    // The certificate without its SCT list is what the logs signed.
    assert_eq!(precert_tbs(cert.der()).unwrap(), tbs);
    (
        vec![
            CertificateDer::from(cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// Certificate transparency through the command: a certificate whose
/// precertificate two logs of two operators logged complies (Chrome's
/// policy: 2 SCTs for 90 days); with one of the logs unknown to the list it
/// does not, and both are named.
#[test]
fn certificate_transparency_of_the_served_certificate() {
    let dir = tmp("ct");
    let (a, b) = (TestLog::new(), TestLog::new());
    let (chain, key) = ct_pki(&dir, &[&a, &b]);
    let both = dir.join("logs.json");
    std::fs::write(
        &both,
        log_list_json(vec![
            a.entry("Operator A", "usable", "2025-01-01T00:00:00Z"),
            b.entry("Operator B", "usable", "2025-01-01T00:00:00Z"),
        ]),
    )
    .unwrap();
    let one = dir.join("one.json");
    std::fs::write(
        &one,
        log_list_json(vec![a.entry(
            "Operator A",
            "usable",
            "2025-01-01T00:00:00Z",
        )]),
    )
    .unwrap();
    for (list, compliant, expected) in [
        (&both, true, vec![]),
        (&one, false, vec!["ct-unknown-log", "ct-too-few-logs"]),
    ] {
        let (port, server) = serve(false, true, chain.clone(), key.clone_key());
        let ca = dir.join("ca.pem");
        let (_, out) = check(&[
            &format!("127.0.0.1:{port}"),
            "--domain",
            "example.net",
            "--ca",
            ca.to_str().unwrap(),
            "--no-system-roots",
            "--json",
            "--ct",
            "--ct-log-list",
            list.to_str().unwrap(),
        ]);
        server.join().unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}"));
        assert_eq!(v["ct"]["compliant"], compliant, "{out}");
        assert_eq!(v["ct"]["scts"].as_array().map(Vec::len), Some(2), "{out}");
        let ct_codes: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .filter(|c| c.starts_with("ct-"))
            .collect();
        assert_eq!(ct_codes, expected, "{out}");
    }
    // Without --ct, a chain to a private CA is not held to CT.
    let (port, server) = serve(false, true, chain, key);
    let (_, out) = check(&[
        &format!("127.0.0.1:{port}"),
        "--domain",
        "example.net",
        "--ca",
        dir.join("ca.pem").to_str().unwrap(),
        "--no-system-roots",
        "--json",
    ]);
    server.join().unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["ct"].is_null(), "{out}");
    // A log list that cannot be read is a usage error, before any
    // connection (not an unreachable target).
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"operators\": 5}").unwrap();
    let (code, _) = check(&["example.invalid", "--ct-log-list", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
}
