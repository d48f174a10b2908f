//! The full handshake of a check: the core's checking client (rustls) over
//! STARTTLS or direct TLS, the stream features before and after TLS, and a
//! server that closes, resets or goes quiet named as such.

use std::io::Write;

use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::Service;
use xmpptls::policy::{Finding, FindingCode, Policy, Severity};
use xmpptls::starttls;
use xmpptls::{CertificateDer, ConnectionReport};

use super::net::{self, Deadline, Features, StartTls};
use crate::certs::Usage;

/// What the full handshake gave.
pub(super) struct Handshake {
    pub report: ConnectionReport,
    pub established: bool,
    pub features: Option<Features>,
    pub features_tls: Option<Features>,
    pub tls_started: bool,
}

/// The full handshake with the core's checking client.
#[allow(clippy::too_many_arguments)]
pub(super) fn handshake(
    host: &str,
    port: u16,
    domain: &str,
    service: Service,
    direct: bool,
    roots: &[CertificateDer<'static>],
    policy: &Policy,
    deadline: &Deadline,
) -> Result<Handshake, Usage> {
    let mut sock = net::connect_to(host, port, deadline).map_err(Usage)?;
    let settings = ClientSettings {
        domain: domain.to_owned(),
        service,
        roots: roots.to_vec(),
        policy: policy.clone(),
        direct_tls: direct,
        mode: Mode::Inspect,
    };
    let mut session = ClientSession::new(settings).map_err(|e| Usage(e.to_string()))?;
    let mut extra: Vec<Finding> = Vec::new();
    let mut features = None;
    let mut tls = true;
    let mut silent_before_tls: Option<String> = None;
    if !direct {
        match net::starttls(&mut sock, domain, service, deadline) {
            Ok(StartTls::Proceed(f)) => {
                if !f.starttls {
                    extra.push(starttls::not_offered_finding());
                }
                features = Some(f);
            }
            Ok(StartTls::NotOffered(f)) => {
                tls = false;
                extra.push(Finding::new(
                    FindingCode::StarttlsNotOffered,
                    Severity::Error,
                    "RFC 7590 §3.1; RFC 6120 §5.3.1",
                    "the stream features do not offer STARTTLS and the server did not proceed when asked: no TLS".into(),
                ));
                features = Some(f);
            }
            Ok(StartTls::Refused(why)) => {
                tls = false;
                extra.push(starttls::failed_finding(&why));
            }
            // The server closed, reset or went quiet before TLS.
            Err(why) => {
                tls = false;
                extra.push(starttls::failed_finding(&why));
                silent_before_tls = Some(why);
            }
        }
    }
    let mut silent: Option<String> = silent_before_tls;
    if tls {
        let mut buf = [0u8; 16 * 1024];
        let mut got_any = false;
        loop {
            let mut out = Vec::new();
            session.write_tls(&mut out);
            if !out.is_empty() && sock.write_all(&out).is_err() {
                silent = Some("the server closed the connection before the handshake ended".into());
                break;
            }
            if !session.is_handshaking() {
                break;
            }
            match net::read_some(&mut sock, &mut buf, deadline) {
                Ok(0) => {
                    if !session.failed() {
                        silent = Some(if got_any {
                            "the server closed the connection during the TLS handshake".into()
                        } else {
                            "the server closed the connection without answering the ClientHello"
                                .into()
                        });
                    }
                    break;
                }
                Ok(n) => {
                    got_any = true;
                    if session.read_tls(&buf[..n]).is_err() {
                        let mut out = Vec::new();
                        session.write_tls(&mut out);
                        let _ = sock.write_all(&out);
                        break;
                    }
                }
                Err(e) => {
                    silent = Some(match e.kind() {
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                            if deadline.passed() {
                                "the check's deadline passed during the TLS handshake".into()
                            } else {
                                format!(
                                    "the server sent nothing for {} s during the TLS handshake",
                                    net::STEP_TIMEOUT.as_secs()
                                )
                            }
                        }
                        _ => format!("the connection failed during the TLS handshake: {e}"),
                    });
                    break;
                }
            }
        }
    }
    let established = tls && !session.is_handshaking() && !session.failed();
    let features_tls = if established {
        features_over_tls(&mut session, &mut sock, domain, service, deadline)
    } else {
        None
    };
    if let Some(f) = &features {
        if f.starttls && !f.required {
            extra.push(Finding::new(
                FindingCode::StarttlsNotRequired,
                Severity::Warning,
                "RFC 7590 §3.1; RFC 6120 §5.3.1",
                "STARTTLS is offered but not required: a client may go on in the clear".into(),
            ));
        }
        let plain: Vec<&str> = f
            .mechanisms
            .iter()
            .map(String::as_str)
            .filter(|m| matches!(*m, "PLAIN" | "LOGIN"))
            .collect();
        if !plain.is_empty() {
            extra.push(Finding::new(
                FindingCode::SaslPlainBeforeTls,
                Severity::Error,
                "RFC 6120 §13.8; RFC 4616 §4",
                format!(
                    "SASL {} is offered before TLS: a password can be sent in the clear",
                    plain.join(" and ")
                ),
            ));
        }
    }
    let mut report = session.report();
    for f in extra {
        report.add_finding(f);
    }
    if let Some(why) = silent {
        report.add_finding(Finding::new(
            FindingCode::ServerSilent,
            Severity::Error,
            "RFC 8446 §4.1; RFC 7590 §3.1",
            why,
        ));
    }
    Ok(Handshake {
        report,
        established,
        features,
        features_tls,
        tls_started: tls,
    })
}

/// The stream restarted over TLS (RFC 6120 §5.4.3.3; direct TLS starts
/// there) up to its features: what SASL offers once the stream is
/// protected. None when the server does not answer within the deadline.
fn features_over_tls(
    session: &mut ClientSession,
    sock: &mut std::net::TcpStream,
    domain: &str,
    service: Service,
    deadline: &Deadline,
) -> Option<Features> {
    session
        .write_plaintext(starttls::stream_header(domain, service).as_bytes())
        .ok()?;
    let mut text = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let mut out = Vec::new();
        session.write_tls(&mut out);
        if !out.is_empty() {
            sock.write_all(&out).ok()?;
        }
        let t = String::from_utf8_lossy(&text);
        if t.contains("</stream:features>") || t.contains("<stream:features/>") {
            return net::element(&t, "<stream:features", "</stream:features>").map(Features::parse);
        }
        if text.len() > 64 * 1024 {
            return None;
        }
        let n = net::read_some(sock, &mut buf, deadline).ok()?;
        if n == 0 {
            return None;
        }
        session.read_tls(&buf[..n]).ok()?;
        session.read_plaintext(&mut text).ok()?;
    }
}
