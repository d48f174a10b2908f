//! The network side of `xmpptls check`: targets, TCP connections and the
//! XMPP STARTTLS preamble, every step bounded by the check's deadline.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use xmpptls::identity::Service;
use xmpptls::starttls::{self, FeaturesDecision, StartTlsAnswer, StartTlsPolicy};
use xmpptls_observatory::report::Features;

/// Longest wait for any one step (connect, one read), within the deadline.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Most octets read while waiting for stream features or the STARTTLS answer.
const MAX_PREAMBLE: usize = 64 * 1024;

/// The moment a check must end by.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// A deadline `d` from now.
    pub fn after(d: Duration) -> Self {
        Deadline(Instant::now() + d)
    }

    /// Time left for one step: at most [`STEP_TIMEOUT`]; an error once the
    /// deadline has passed.
    pub fn step(&self) -> Result<Duration, String> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err("the check's deadline passed".into())
        } else {
            Ok(left.min(STEP_TIMEOUT))
        }
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }
}

/// Where to connect, from `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, a bare
/// IPv6 address, or an `xmpp://HOST[:PORT]` / `xmpps://…` URI (the latter
/// meaning direct TLS, XEP-0368).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// `xmpps://` was used.
    pub direct_tls: bool,
}

impl Target {
    /// Parses a target; an error names what is wrong.
    pub fn parse(s: &str) -> Result<Target, String> {
        let (rest, direct_tls) = if let Some(r) = s.strip_prefix("xmpps://") {
            (r, true)
        } else if let Some(r) = s.strip_prefix("xmpp://") {
            (r, false)
        } else if s.contains("://") {
            return Err(format!("{s}: only xmpp:// and xmpps:// targets are known"));
        } else {
            (s, false)
        };
        let rest = rest.trim_end_matches('/');
        let port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("{s}: bad port {p:?}"))
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, after) = r
                .split_once(']')
                .ok_or_else(|| format!("{s}: unclosed ["))?;
            match after.strip_prefix(':') {
                Some(p) => (h.to_owned(), Some(port(p)?)),
                None if after.is_empty() => (h.to_owned(), None),
                None => return Err(format!("{s}: unexpected {after:?} after ]")),
            }
        } else if rest.matches(':').count() > 1 {
            // Only an IPv6 address has several colons outside brackets: a
            // typo such as "127.0.0.1:5222:1" must never reach DNS.
            if rest.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!(
                    "{s}: not a host, host:port, [IPv6]:port or IPv6 address"
                ));
            }
            (rest.to_owned(), None)
        } else if let Some((h, p)) = rest.split_once(':') {
            (h.to_owned(), Some(port(p)?))
        } else {
            (rest.to_owned(), None)
        };
        if host.is_empty() {
            return Err(format!("{s}: no host"));
        }
        Ok(Target {
            host,
            port,
            direct_tls,
        })
    }

    /// Whether the host is an IP address (then there is no domain to take from it).
    pub fn is_ip(&self) -> bool {
        self.host.parse::<std::net::IpAddr>().is_ok()
    }
}

/// The default port of a service (RFC 6120 §3.2.1, XEP-0368).
pub fn default_port(service: Service, direct: bool) -> u16 {
    match (service, direct) {
        (Service::XmppClient, false) => 5222,
        (Service::XmppClient, true) => 5223,
        (Service::XmppServer, false) => 5269,
        (Service::XmppServer, true) => 5270,
    }
}

/// A TCP connection to `host` (a name or IP address) on `port`, every
/// address tried in turn, each step bounded by `deadline`.
pub fn connect_to(host: &str, port: u16, deadline: &Deadline) -> Result<TcpStream, String> {
    let shown = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{shown}: {e}"))?
        .collect();
    let mut last = format!("{shown}: no address");
    for a in addrs {
        let step = deadline.step()?;
        match TcpStream::connect_timeout(&a, step) {
            Ok(s) => {
                s.set_read_timeout(Some(step)).map_err(|e| e.to_string())?;
                s.set_write_timeout(Some(step)).map_err(|e| e.to_string())?;
                s.set_nodelay(true).map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err(last)
}

/// A TCP connection to `target` (`host`, `host:port`, IPv6 forms) with
/// [`STEP_TIMEOUT`] per step: for `xmpptls tunnel`.
pub(crate) fn connect(target: &str, port: u16) -> Result<TcpStream, String> {
    let t = Target::parse(target)?;
    connect_to(
        &t.host,
        t.port.unwrap_or(port),
        &Deadline::after(STEP_TIMEOUT * 3),
    )
}

/// One read bounded by the deadline: Ok(0) at EOF.
pub fn read_some(
    sock: &mut TcpStream,
    buf: &mut [u8],
    deadline: &Deadline,
) -> std::io::Result<usize> {
    let step = deadline
        .step()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::TimedOut, e))?;
    sock.set_read_timeout(Some(step))?;
    sock.read(buf)
}

/// Reads until `done` holds for what was read, bounded by [`MAX_PREAMBLE`]
/// and the deadline (a server that trickles one octet at a time does not
/// stretch it).
fn read_until(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: &Deadline,
    done: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    while !done(&String::from_utf8_lossy(buf)) {
        if buf.len() > MAX_PREAMBLE {
            return Err("the server sent too much before TLS".into());
        }
        let n = read_some(sock, &mut chunk, deadline).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                "the server stopped answering".to_owned()
            }
            _ => e.to_string(),
        })?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// The first element `start`…`end_tag` (or self-closed) in `text`.
pub fn element<'a>(text: &'a str, start: &str, end_tag: &str) -> Option<&'a str> {
    let a = text.find(start)?;
    let rest = &text[a..];
    let close = rest
        .find(end_tag)
        .map(|i| i + end_tag.len())
        .or_else(|| rest.find("/>").map(|i| i + 2))?;
    Some(&rest[..close])
}

/// How STARTTLS went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartTls {
    /// `<proceed/>`: TLS may start. `features` are those before TLS (their
    /// `starttls` is false when the server proceeded without offering it).
    Proceed(Features),
    /// STARTTLS was not advertised and the server did not proceed when
    /// asked anyway: no TLS (`features` as read).
    NotOffered(Features),
    /// `<failure/>` or another refusal.
    Refused(String),
}

/// The STARTTLS negotiation (RFC 6120 §5.4) on a fresh connection: the
/// stream header, the features, `<starttls/>` and its answer.
pub fn starttls(
    sock: &mut TcpStream,
    domain: &str,
    service: Service,
    deadline: &Deadline,
) -> Result<StartTls, String> {
    sock.write_all(starttls::stream_header(domain, service).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    read_until(sock, &mut buf, deadline, |t| {
        t.contains("</stream:features>")
            || t.contains("<stream:features/>")
            || t.contains("</stream:stream>")
            || t.contains("<stream:error")
    })?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let Some(features_xml) = element(&text, "<stream:features", "</stream:features>") else {
        return Ok(StartTls::Refused(
            "the server sent no stream features (a stream error or the end of the stream)".into(),
        ));
    };
    let mut features = Features::parse(features_xml);
    match starttls::on_features(features_xml.as_bytes(), StartTlsPolicy::default())
        .map_err(|e| e.to_string())?
    {
        FeaturesDecision::StartTls {
            advertised,
            required,
        } => {
            features.starttls = advertised;
            features.required = required;
        }
        FeaturesDecision::Plaintext | FeaturesDecision::Refuse(_) => {
            return Ok(StartTls::NotOffered(features))
        }
    }
    // Not advertised: tried anyway, to tell a stripped offer (the server
    // still proceeds) from a server without TLS.
    sock.write_all(starttls::STARTTLS.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let read = read_until(sock, &mut buf, deadline, |t| {
        ["<proceed", "<failure"]
            .iter()
            .any(|s| t.find(s).is_some_and(|i| t[i..].contains('>')))
    });
    let text = String::from_utf8_lossy(&buf).into_owned();
    let answer = element(&text, "<proceed", "</proceed>")
        .or_else(|| element(&text, "<failure", "</failure>"));
    let proceed = match (&read, answer) {
        (Ok(()), Some(a)) => {
            starttls::on_answer(a.as_bytes()).map_err(|e| e.to_string())? == StartTlsAnswer::Proceed
        }
        _ => false,
    };
    Ok(if proceed {
        StartTls::Proceed(features)
    } else if !features.starttls {
        StartTls::NotOffered(features)
    } else {
        StartTls::Refused(match read {
            Err(e) => e,
            Ok(()) => "the server answered <failure/> to <starttls/>".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_in_every_form() {
        let t = |s: &str| Target::parse(s).map(|t| (t.host, t.port, t.direct_tls));
        assert_eq!(t("example.net"), Ok(("example.net".into(), None, false)));
        assert_eq!(
            t("example.net:5223"),
            Ok(("example.net".into(), Some(5223), false))
        );
        assert_eq!(t("::1"), Ok(("::1".into(), None, false)));
        assert_eq!(t("[::1]"), Ok(("::1".into(), None, false)));
        assert_eq!(t("[::1]:15222"), Ok(("::1".into(), Some(15222), false)));
        assert_eq!(
            t("xmpp://example.net:5222"),
            Ok(("example.net".into(), Some(5222), false))
        );
        assert_eq!(
            t("xmpps://[2001:db8::1]:5223/"),
            Ok(("2001:db8::1".into(), Some(5223), true))
        );
        assert!(t("https://example.net").is_err());
        assert!(t("example.net:0").is_err());
        assert!(t("example.net:http").is_err());
        assert!(t("[::1").is_err());
        // Issue 22 #7: two colons and no IPv6 address is a bad target.
        assert!(t("127.0.0.1:5222:1").is_err());
        assert!(t("example.net:5222:1").is_err());
        assert_eq!(t("2001:db8::1"), Ok(("2001:db8::1".into(), None, false)));
        assert!(t("").is_err());
        assert_eq!(default_port(Service::XmppServer, true), 5270);
    }

    #[test]
    fn a_passed_deadline_refuses_every_step() {
        let d = Deadline(Instant::now());
        assert!(d.passed());
        assert!(d.step().is_err());
        let d = Deadline::after(Duration::from_secs(60));
        assert_eq!(d.step(), Ok(STEP_TIMEOUT));
    }
}
