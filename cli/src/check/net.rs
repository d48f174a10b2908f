//! `xmpptls check HOST[:PORT]`: connect, negotiate STARTTLS or direct TLS,
//! and print the connection report. The only networking in the project.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::{certificates_from_pem, Service};
use xmpptls::policy::{Finding, Policy, Verdict};
use xmpptls::starttls::{self, FeaturesDecision, StartTlsAnswer, StartTlsPolicy};

use crate::certs::Usage;

/// Seconds to wait for the server at any step.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Most octets read while waiting for stream features or the STARTTLS answer.
const MAX_PREAMBLE: usize = 64 * 1024;

/// Arguments of `xmpptls check`.
pub struct CheckArgs<'a> {
    pub target: &'a str,
    pub domain: &'a str,
    pub service: &'a str,
    pub direct_tls: bool,
    pub ca: Option<&'a str>,
    pub json: bool,
}

fn default_port(service: Service, direct: bool) -> u16 {
    match (service, direct) {
        (Service::XmppClient, false) => 5222,
        (Service::XmppClient, true) => 5223,
        (Service::XmppServer, false) => 5269,
        (Service::XmppServer, true) => 5270,
    }
}

/// `target` with `port` added unless it has one: `host`, `host:port`,
/// `[v6]`, `[v6]:port`, or a bare IPv6 address.
fn with_port(target: &str, port: u16) -> String {
    let has_port = match target.strip_prefix('[') {
        Some(rest) => rest.contains("]:"),
        None => target.matches(':').count() == 1,
    };
    if has_port {
        target.to_owned()
    } else if target.contains(':') && !target.starts_with('[') {
        format!("[{target}]:{port}")
    } else {
        format!("{target}:{port}")
    }
}

/// A TCP connection to `target` (`host`, `host:port`, IPv6 forms), with
/// [`TIMEOUT`] for connecting, reading and writing.
pub(crate) fn connect(target: &str, port: u16) -> Result<TcpStream, String> {
    let addr = with_port(target, port);
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .collect();
    let mut last = format!("{addr}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(s) => {
                s.set_read_timeout(Some(TIMEOUT))
                    .map_err(|e| e.to_string())?;
                s.set_write_timeout(Some(TIMEOUT))
                    .map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err(last)
}

/// Reads until `buf` contains `end` (or an element ending); returns what
/// was read, bounded by [`MAX_PREAMBLE`].
fn read_until(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    done: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    while !done(&String::from_utf8_lossy(buf)) {
        if buf.len() > MAX_PREAMBLE {
            return Err("the server sent too much before TLS".into());
        }
        let n = sock.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn element<'a>(text: &'a str, start: &str, end_tag: &str) -> Option<&'a str> {
    let a = text.find(start)?;
    let rest = &text[a..];
    let close = rest
        .find(end_tag)
        .map(|i| i + end_tag.len())
        .or_else(|| rest.find("/>").map(|i| i + 2))?;
    Some(&rest[..close])
}

/// STARTTLS negotiation. Ok(advertised) when TLS may start.
fn starttls(
    sock: &mut TcpStream,
    domain: &str,
    service: Service,
) -> Result<Result<bool, String>, String> {
    sock.write_all(starttls::stream_header(domain, service).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    read_until(sock, &mut buf, |t| {
        t.contains("</stream:features>") || t.contains("<stream:features/>")
    })?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let features =
        element(&text, "<stream:features", "</stream:features>").ok_or("no stream features")?;
    let advertised = match starttls::on_features(features.as_bytes(), StartTlsPolicy::default())
        .map_err(|e| e.to_string())?
    {
        FeaturesDecision::StartTls { advertised, .. } => advertised,
        FeaturesDecision::Plaintext | FeaturesDecision::Refuse(_) => {
            return Ok(Err("STARTTLS not offered".into()))
        }
    };
    sock.write_all(starttls::STARTTLS.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    read_until(sock, &mut buf, |t| {
        ["<proceed", "<failure"]
            .iter()
            .any(|s| t.find(s).is_some_and(|i| t[i..].contains('>')))
    })?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let answer = element(&text, "<proceed", "</proceed>")
        .or_else(|| element(&text, "<failure", "</failure>"))
        .ok_or("no answer to <starttls/>")?;
    Ok(
        match starttls::on_answer(answer.as_bytes()).map_err(|e| e.to_string())? {
            StartTlsAnswer::Proceed => Ok(advertised),
            StartTlsAnswer::Failure => Err("the server answered <failure/> to <starttls/>".into()),
        },
    )
}

/// Runs the check. Ok(true) unless the verdict is fail.
pub fn check(a: &CheckArgs<'_>) -> Result<bool, Usage> {
    let service = Service::parse(a.service).ok_or_else(|| {
        Usage(format!(
            "--service must be xmpp-client or xmpp-server, not {}",
            a.service
        ))
    })?;
    let roots = match a.ca {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| Usage(format!("{path}: {e}")))?;
            certificates_from_pem(&pem).map_err(|e| Usage(format!("{path}: {e}")))?
        }
        None => Vec::new(),
    };
    let mut sock = connect(a.target, default_port(service, a.direct_tls)).map_err(Usage)?;
    let policy = Policy::strict();
    let settings = ClientSettings {
        domain: a.domain.to_owned(),
        service,
        roots,
        policy: policy.clone(),
        direct_tls: a.direct_tls,
        mode: Mode::Inspect,
    };
    let mut session = ClientSession::new(settings).map_err(|e| Usage(e.to_string()))?;
    let mut extra: Option<Finding> = None;
    let mut tls = true;
    if !a.direct_tls {
        match starttls(&mut sock, a.domain, service) {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => extra = Some(starttls::not_offered_finding()),
            Ok(Err(why)) | Err(why) => {
                tls = false;
                extra = Some(starttls::failed_finding(&why));
            }
        }
    }
    if tls {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let mut out = Vec::new();
            session.write_tls(&mut out);
            if !out.is_empty() && sock.write_all(&out).is_err() {
                break;
            }
            if !session.is_handshaking() {
                break;
            }
            match sock.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if session.read_tls(&buf[..n]).is_err() {
                        let mut out = Vec::new();
                        session.write_tls(&mut out);
                        let _ = sock.write_all(&out);
                        break;
                    }
                }
            }
        }
    }
    let mut report = session.report();
    if let Some(f) = extra {
        report.add_finding(f);
    }
    if a.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(report.evaluation.verdict != Verdict::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_added_only_when_missing() {
        assert_eq!(with_port("example.net", 5222), "example.net:5222");
        assert_eq!(with_port("example.net:5223", 5222), "example.net:5223");
        assert_eq!(with_port("::1", 5222), "[::1]:5222");
        assert_eq!(with_port("[::1]", 5222), "[::1]:5222");
        assert_eq!(with_port("[::1]:15222", 5222), "[::1]:15222");
        assert_eq!(default_port(Service::XmppServer, true), 5270);
    }
}
