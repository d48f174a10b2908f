//! A client's XMPP stream over TCP, for `xmpptls tunnel`: STARTTLS with the
//! core's XMPP certificate checks (RFC 6120 §5, §13.7.2), SASL PLAIN over
//! TLS (RFC 6120 §6, RFC 4616), resource binding (RFC 6120 §7), then
//! top-level elements in and text out. Blocking IO with a read timeout, so
//! the caller's loop can also serve timers and standard input.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::Service;
use xmpptls::policy::Policy;
use xmpptls::starttls;
use xmpptls::xml::{self, StanzaFramer, XmlLimits};
use xmpptls::{CertificateDer, Jid};

/// How long each login step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest element accepted from the server: Prosody's own c2s limit.
const MAX_ELEMENT: usize = 256 * 1024;

/// Top-level elements of an XMPP stream: the stream header is skipped,
/// then every element is returned whole.
struct Elements {
    header_seen: bool,
    head: Vec<u8>,
    framer: StanzaFramer,
}

impl Elements {
    fn new() -> Self {
        Elements {
            header_seen: false,
            head: Vec::new(),
            framer: StanzaFramer::new(MAX_ELEMENT),
        }
    }

    fn push(&mut self, data: &[u8]) -> io::Result<()> {
        if self.header_seen {
            self.framer.push(data);
            return Ok(());
        }
        self.head.extend_from_slice(data);
        if self.head.len() > MAX_ELEMENT {
            return Err(io::Error::other("no stream header"));
        }
        let Some(at) = find(&self.head, b"<stream:stream") else {
            return Ok(());
        };
        if let Some(end) = self.head[at..].iter().position(|&b| b == b'>') {
            self.header_seen = true;
            self.framer.push(&self.head[at + end + 1..]);
            self.head.clear();
        }
        Ok(())
    }

    /// The next whole element; an error when the stream ended or broke.
    fn next(&mut self) -> io::Result<Option<String>> {
        match self.framer.next_stanza() {
            Ok(Some(raw)) => Ok(Some(String::from_utf8_lossy(&raw).into_owned())),
            Ok(None) => Ok(None),
            Err(e) => Err(io::Error::other(format!("stream ended: {e}"))),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A logged-in client stream.
pub struct XmppStream {
    sock: TcpStream,
    tls: Option<ClientSession>,
    elements: Elements,
    /// The full JID the server bound.
    pub jid: Jid,
}

impl XmppStream {
    /// Connects to `server` (`host:port`), negotiates STARTTLS and checks
    /// the server's certificate for the JID's domain against `roots`, logs
    /// in with SASL PLAIN and binds the JID's resource.
    pub fn login(
        jid: &Jid,
        password: &str,
        server: &str,
        roots: Vec<CertificateDer<'static>>,
    ) -> Result<Self, String> {
        let domain = jid.domain().to_owned();
        let sock = crate::check::connect(server, 5222)?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut s = XmppStream {
            sock,
            tls: None,
            elements: Elements::new(),
            jid: jid.clone(),
        };
        let header = starttls::stream_header(&domain, Service::XmppClient);
        s.write(header.as_bytes()).map_err(|e| e.to_string())?;
        let features = s.wait_for(|e| e.starts_with("<stream:features"))?;
        if !features.contains("<starttls") {
            return Err("the server offers no STARTTLS".into());
        }
        s.write(starttls::STARTTLS.as_bytes())
            .map_err(|e| e.to_string())?;
        let answer = s.wait_for(|e| e.starts_with("<proceed") || e.starts_with("<failure"))?;
        if !answer.starts_with("<proceed") {
            return Err("the server refused STARTTLS".into());
        }
        s.start_tls(ClientSettings {
            domain: domain.clone(),
            service: Service::XmppClient,
            roots,
            policy: Policy::strict(),
            direct_tls: false,
            mode: Mode::Enforce,
        })?;
        s.restart(&header)?;
        let features = s.wait_for(|e| e.starts_with("<stream:features"))?;
        if !features.contains(">PLAIN<") {
            return Err("the server offers no SASL PLAIN".into());
        }
        let local = jid.local().unwrap_or_default();
        let token = base64_encode(format!("\0{local}\0{password}").as_bytes());
        let auth = format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>"
        );
        s.write(auth.as_bytes()).map_err(|e| e.to_string())?;
        let result = s.wait_for(|e| e.starts_with("<success") || e.starts_with("<failure"))?;
        if !result.starts_with("<success") {
            return Err(format!("login failed: {result}"));
        }
        s.restart(&header)?;
        s.wait_for(|e| e.starts_with("<stream:features"))?;
        let resource = escape(jid.resource().unwrap_or("xmpptls"));
        let bind = format!("<iq type='set' id='xmpptls-bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>");
        s.write(bind.as_bytes()).map_err(|e| e.to_string())?;
        let bound =
            s.wait_for(|e| e.contains("id='xmpptls-bind'") || e.contains("id=\"xmpptls-bind\""))?;
        let el = xml::parse(bound.as_bytes(), &XmlLimits::default()).map_err(|e| e.to_string())?;
        let full = el
            .elements()
            .flat_map(|b| b.elements())
            .find(|c| c.name == "jid")
            .map(|j| j.text())
            .ok_or_else(|| format!("binding failed: {bound}"))?;
        s.jid = Jid::parse(&full).map_err(|e| e.to_string())?;
        Ok(s)
    }

    fn start_tls(&mut self, settings: ClientSettings) -> Result<(), String> {
        let mut session = ClientSession::new(settings).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let mut out = Vec::new();
            session.write_tls(&mut out);
            self.sock.write_all(&out).map_err(|e| e.to_string())?;
            if session.failed() {
                return Err(format!("TLS failed:\n{}", session.report().to_text()));
            }
            if !session.is_handshaking() {
                break;
            }
            self.set_timeout(deadline.saturating_duration_since(Instant::now()))?;
            let n = self.sock.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection during TLS".into());
            }
            session.read_tls(&buf[..n]).map_err(|e| e.to_string())?;
        }
        self.tls = Some(session);
        Ok(())
    }

    /// A new stream on the same connection (after TLS and after SASL).
    fn restart(&mut self, header: &str) -> Result<(), String> {
        self.elements = Elements::new();
        self.write(header.as_bytes()).map_err(|e| e.to_string())
    }

    fn set_timeout(&self, d: Duration) -> Result<(), String> {
        self.sock
            .set_read_timeout(Some(d.max(Duration::from_millis(1))))
            .map_err(|e| e.to_string())
    }

    /// Reads elements until one matches, within [`STEP_TIMEOUT`].
    fn wait_for(&mut self, want: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            while let Some(e) = self.elements.next().map_err(|e| e.to_string())? {
                if want(&e) {
                    return Ok(e);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the server did not answer in time".into());
            }
            self.read(left).map_err(|e| e.to_string())?;
        }
    }

    /// Writes text to the stream (encrypted once TLS runs), in one write.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.tls {
            Some(t) => {
                t.write_plaintext(data).map_err(io::Error::other)?;
                let mut out = Vec::new();
                t.write_tls(&mut out);
                self.sock.write_all(&out)
            }
            None => self.sock.write_all(data),
        }
    }

    /// One read from the socket, waiting at most `timeout`: false when
    /// nothing came. What came is returned by [`XmppStream::next`].
    pub fn read(&mut self, timeout: Duration) -> io::Result<bool> {
        self.set_timeout(timeout).map_err(io::Error::other)?;
        let mut buf = vec![0u8; 64 * 1024];
        let n = match self.sock.read(&mut buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(false)
            }
            Err(e) => return Err(e),
        };
        match &mut self.tls {
            Some(t) => {
                t.read_tls(&buf[..n]).map_err(io::Error::other)?;
                let mut plain = Vec::new();
                t.read_plaintext(&mut plain).map_err(io::Error::other)?;
                let mut out = Vec::new();
                t.write_tls(&mut out);
                self.sock.write_all(&out)?;
                self.elements.push(&plain)?;
            }
            None => self.elements.push(&buf[..n])?,
        }
        Ok(true)
    }

    /// The next whole element read so far.
    pub fn next(&mut self) -> io::Result<Option<String>> {
        self.elements.next()
    }

    /// Ends the stream (RFC 6120 §4.4).
    pub fn close(&mut self) {
        let _ = self.write(b"</stream:stream>");
    }
}

/// Text escaped for element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

fn base64_encode(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_plain_token() {
        // RFC 4616 §4's example message, base64.
        assert_eq!(
            base64_encode(b"\0tim\0tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }

    #[test]
    fn elements_after_the_stream_header() {
        let mut e = Elements::new();
        e.push(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' ")
            .unwrap();
        assert!(e.next().unwrap().is_none());
        e.push(b"id='x'><stream:features><a/></stream:fea").unwrap();
        assert!(e.next().unwrap().is_none());
        e.push(b"tures> <iq type='result' id='1'/>").unwrap();
        assert_eq!(
            e.next().unwrap().as_deref(),
            Some("<stream:features><a/></stream:features>")
        );
        assert_eq!(
            e.next().unwrap().as_deref(),
            Some("<iq type='result' id='1'/>")
        );
        e.push(b"</stream:stream>").unwrap();
        assert!(e.next().is_err(), "the end of the stream");
    }
}
