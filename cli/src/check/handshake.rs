//! The full handshake of a check: the core's checking client (rustls) over
//! STARTTLS or direct TLS, the stream features before and after TLS, and a
//! server that closes, resets or goes quiet named as such.

use std::io::Write;

use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::Service;
use xmpptls::policy::{Finding, FindingCode, Policy, Severity};
use xmpptls::starttls;
use xmpptls::{CertificateDer, ConnectionReport};

use xmpptls_observatory::report::Features;

use super::net::{self, Deadline, StartTls};
use crate::certs::Usage;

/// What the full handshake gave.
pub(super) struct Handshake {
    pub report: ConnectionReport,
    pub established: bool,
    pub features: Option<Features>,
    pub features_tls: Option<Features>,
    pub tls_started: bool,
    /// The server answered nothing at all until a step's timeout: the
    /// scan's probes would wait the same way, so they are not sent.
    pub silent_timeout: bool,
}

/// Longest wait for the stream features once TLS is up: an XMPP server
/// answers a stream header at once (RFC 6120 §4.3.2), so a longer silence
/// is a service that is not XMPP (or is stalled), reported as such.
const FEATURES_AFTER_TLS: std::time::Duration = std::time::Duration::from_secs(3);

/// What followed the stream header sent over TLS.
enum AfterTls {
    Features(Features),
    /// Not XMPP: why.
    NotXmpp(String),
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
    let mut silent_timeout = false;
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
                    let timed_out = matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                    silent_timeout = timed_out && !got_any;
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
        match features_over_tls(&mut session, &mut sock, domain, service, deadline) {
            AfterTls::Features(f) => Some(f),
            AfterTls::NotXmpp(why) => {
                extra.push(Finding::new(
                    FindingCode::NotXmpp,
                    Severity::Error,
                    "RFC 6120 §4.3.2",
                    why,
                ));
                None
            }
        }
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
        silent_timeout,
    })
}

/// The stream restarted over TLS (RFC 6120 §5.4.3.3; direct TLS starts
/// there) up to its features: what SASL offers once the stream is
/// protected. Anything else (no answer within [`FEATURES_AFTER_TLS`], an
/// answer that is not XML, a close) means the port does not speak XMPP.
fn features_over_tls(
    session: &mut ClientSession,
    sock: &mut std::net::TcpStream,
    domain: &str,
    service: Service,
    deadline: &Deadline,
) -> AfterTls {
    let not_xmpp = |why: &str| AfterTls::NotXmpp(format!("after TLS, {why}: not an XMPP service"));
    if session
        .write_plaintext(starttls::stream_header(domain, service).as_bytes())
        .is_err()
    {
        return not_xmpp("the stream header could not be sent");
    }
    let wait = Deadline(
        deadline
            .0
            .min(std::time::Instant::now() + FEATURES_AFTER_TLS),
    );
    let mut text: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let mut out = Vec::new();
        session.write_tls(&mut out);
        if !out.is_empty() && sock.write_all(&out).is_err() {
            return not_xmpp("the server closed the connection at the stream header");
        }
        if let Some(first) = text.iter().find(|b| !b.is_ascii_whitespace()) {
            if *first != b'<' {
                let head = String::from_utf8_lossy(&text[..text.len().min(80)]).into_owned();
                let line = head.trim().lines().next().unwrap_or_default();
                return not_xmpp(&format!(
                    "the server answered the stream header with {line:?}"
                ));
            }
        }
        let t = String::from_utf8_lossy(&text);
        if t.contains("</stream:features>") || t.contains("<stream:features/>") {
            return match net::element(&t, "<stream:features", "</stream:features>")
                .map(Features::parse)
            {
                Some(f) => AfterTls::Features(f),
                None => not_xmpp("the stream features could not be read"),
            };
        }
        if text.len() > 64 * 1024 {
            return not_xmpp("64 KiB came without stream features");
        }
        let n = match net::read_some(sock, &mut buf, &wait) {
            Ok(0) => return not_xmpp("the server closed the connection without stream features"),
            Ok(n) => n,
            Err(_) => {
                return not_xmpp(&format!(
                    "the server sent no stream features within {} s",
                    FEATURES_AFTER_TLS.as_secs()
                ))
            }
        };
        if session.read_tls(&buf[..n]).is_err() || session.read_plaintext(&mut text).is_err() {
            return not_xmpp("the TLS stream broke at the stream header");
        }
    }
}
