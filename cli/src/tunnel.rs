//! `xmpptls tunnel`: an XMPP client that hosts an XTLS endpoint on a real
//! server. It logs in, then either opens a tunnel to `--peer` and sends each
//! line of standard input through it as a chat message, or waits for
//! tunnels (and with `--echo` answers every message). One line per event on
//! standard output.
//!
//! It does what the README asks of every host:
//! - every XTLS stanza goes to the endpoint; an IQ request nobody handles
//!   gets `service-unavailable` (RFC 6120 §8.4);
//! - after each read, everything the endpoint queued goes out in one write;
//! - a read that made it write nothing is followed by a whitespace
//!   keepalive (RFC 6120 §4.6.1), so that a server with Nagle's algorithm on
//!   does not hold its next write for this client's delayed ACK;
//! - the endpoint's deadlines are kept (`poll_timeout` / `handle_timeout`).

use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use xmpptls::api::{Named, TrustKind};
use xmpptls::xml::{self, XmlLimits};
use xmpptls::{
    CloseReason, Endpoint, EndpointConfig, Event, Identity, Incoming, Jid, PinStore, TunnelState,
    UnixTime,
};

use crate::certs::Usage;
use crate::stream::{escape, XmppStream};

/// The longest the loop sleeps in a read, so standard input is served.
const TICK: Duration = Duration::from_millis(50);

/// Arguments of `xmpptls tunnel`.
pub struct TunnelArgs<'a> {
    pub jid: &'a str,
    pub password: String,
    pub server: Option<&'a str>,
    pub ca: Option<&'a str>,
    pub peer: Option<&'a str>,
    pub echo: bool,
    pub once: bool,
    pub trust: &'a str,
}

/// What a session ended with.
struct Outcome {
    clean: bool,
    keepalives: u64,
}

fn roots(ca: Option<&str>) -> Result<Vec<xmpptls::CertificateDer<'static>>, Usage> {
    // The system's roots unless --ca names others.
    match ca {
        Some(path) => crate::roots::read(path),
        None => crate::roots::system(),
    }
}

fn lines() -> Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });
    rx
}

/// The body text of a message stanza.
fn body(stanza: &str) -> String {
    xml::parse(stanza.as_bytes(), &XmlLimits::default())
        .ok()
        .and_then(|e| e.elements().find(|c| c.name == "body").map(|b| b.text()))
        .unwrap_or_default()
}

/// An IQ request the host answers itself: `(id, from)` of a get or set.
fn unhandled_request(stanza: &str) -> Option<(String, Option<String>)> {
    let (root, _) = xml::read_head(stanza.as_bytes(), &XmlLimits::default())?;
    let request = root.name == "iq" && matches!(root.attr("type"), Some("get" | "set"));
    request.then(|| {
        (
            root.attr("id").unwrap_or_default().to_owned(),
            root.attr("from").map(str::to_owned),
        )
    })
}

struct Host {
    stream: XmppStream,
    ep: Endpoint,
    peer: Option<Jid>,
    echo: bool,
    once: bool,
    keepalives: u64,
    done: Option<bool>,
    /// Stanzas the host itself answers (outside XTLS).
    own: Vec<String>,
}

impl Host {
    fn events(&mut self) -> Result<(), String> {
        while let Some(e) = self.ep.poll_event() {
            match e {
                Event::Established { peer, info } => println!(
                    "established {peer} {} {} {}",
                    info.tls_version,
                    info.cipher_suite,
                    info.peer_auth.method().as_str()
                ),
                Event::Stanza { peer, stanza } => {
                    let text = body(&stanza);
                    println!("message {peer} {text}");
                    if self.echo {
                        let reply = format!(
                            "<message type='chat'><body>echo: {}</body></message>",
                            escape(&text)
                        );
                        self.ep
                            .send(&peer, reply.as_bytes(), UnixTime::now())
                            .map_err(|e| e.to_string())?;
                    }
                }
                Event::StanzaRejected { peer, error } => println!("rejected {peer} {error}"),
                Event::Closed {
                    peer,
                    reason,
                    returned,
                } => {
                    println!("closed {peer} {reason}");
                    for r in &returned {
                        println!(
                            "returned {peer} maybe_delivered={} {}",
                            r.maybe_delivered, r.stanza
                        );
                    }
                    let clean = returned.is_empty()
                        && matches!(reason, CloseReason::Local | CloseReason::Peer);
                    if self.once || self.peer.as_ref() == Some(&peer) {
                        self.done = Some(clean);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Everything queued, in one write; whether anything was written.
    fn flush(&mut self) -> Result<bool, String> {
        let mut out: String = self.own.drain(..).collect();
        while let Some(s) = self.ep.poll_transmit() {
            out.push_str(&s);
        }
        if out.is_empty() {
            return Ok(false);
        }
        self.stream
            .write(out.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(true)
    }

    /// Hands what one read brought to the endpoint.
    fn incoming(&mut self) -> Result<(), String> {
        let now = UnixTime::now();
        while let Some(stanza) = self.stream.next().map_err(|e| e.to_string())? {
            let handled = match self.ep.handle_incoming(stanza.as_bytes(), now) {
                Ok(h) => h == Incoming::Handled,
                // Answered by the endpoint; a broken tunnel closed itself.
                Err(_) => true,
            };
            if !handled {
                if let Some((id, from)) = unhandled_request(&stanza) {
                    let to = from
                        .map(|f| format!(" to='{}'", escape(&f)))
                        .unwrap_or_default();
                    self.own.push(format!("<iq type='error' id='{}'{to}><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", escape(&id)));
                }
            }
            self.events()?;
        }
        Ok(())
    }

    fn run(&mut self, input: &Receiver<Option<String>>) -> Result<(), String> {
        let mut input_open = self.peer.is_some();
        let mut closing = false;
        if let Some(peer) = &self.peer {
            self.ep
                .open(peer, UnixTime::now())
                .map_err(|e| e.to_string())?;
        }
        while self.done.is_none() {
            while input_open {
                match input.try_recv() {
                    Ok(Some(line)) => {
                        if let Some(peer) = &self.peer {
                            let m = format!(
                                "<message type='chat'><body>{}</body></message>",
                                escape(&line)
                            );
                            if let Err(e) = self.ep.send(peer, m.as_bytes(), UnixTime::now()) {
                                println!("not sent: {e}");
                            }
                        }
                    }
                    Ok(None) | Err(TryRecvError::Disconnected) => {
                        input_open = false;
                        closing = true;
                    }
                    Err(TryRecvError::Empty) => break,
                }
            }
            // End of input: close once the tunnel is up (closing earlier
            // would hand back what waits for the handshake); the close
            // itself waits until what was sent is acknowledged.
            if closing {
                if let Some(peer) = &self.peer {
                    let state = self.ep.tunnel_state(peer);
                    if matches!(state, Some(TunnelState::Established) | None) {
                        let _ = self.ep.close(peer, UnixTime::now());
                        closing = false;
                    }
                }
            }
            self.flush()?;
            let now = UnixTime::now();
            let wait = match self.ep.poll_timeout() {
                Some(t) => Duration::from_secs(t.as_secs().saturating_sub(now.as_secs())).min(TICK),
                None => TICK,
            };
            if self.stream.read(wait).map_err(|e| e.to_string())? {
                self.incoming()?;
                let wrote = self.flush()?;
                // The endpoint's hint covers the XTLS stanzas it handled; a
                // read holding only part of a stanza wants the same.
                if self.ep.poll_keepalive() || !wrote {
                    self.stream.write(b" ").map_err(|e| e.to_string())?;
                    self.keepalives += 1;
                }
            }
            let now = UnixTime::now();
            if self.ep.poll_timeout().is_some_and(|t| t <= now) {
                self.ep.handle_timeout(now);
                self.events()?;
            }
        }
        self.flush()?;
        Ok(())
    }
}

fn session(a: &TunnelArgs<'_>) -> Result<Outcome, Usage> {
    let jid = Jid::parse(a.jid).map_err(|e| Usage(format!("--jid: {e}")))?;
    let peer = a
        .peer
        .map(|p| Jid::parse(p).map_err(|e| Usage(format!("--peer: {e}"))))
        .transpose()?;
    let server = a
        .server
        .map(str::to_owned)
        .unwrap_or_else(|| jid.domain().to_owned());
    let stream = XmppStream::login(&jid, &a.password, &server, roots(a.ca)?).map_err(Usage)?;
    eprintln!("online as {}", stream.jid);
    let trust = match TrustKind::parse(a.trust) {
        Some(k @ (TrustKind::Offer | TrustKind::TrustOnFirstUse)) => {
            k.mode(Vec::new(), PinStore::new())
        }
        _ => {
            return Err(Usage(format!(
                "--trust must be offer or trust-on-first-use, not {}",
                a.trust
            )))
        }
    };
    let identity = Identity::self_signed(&stream.jid).map_err(|e| Usage(e.to_string()))?;
    let ep = Endpoint::new(EndpointConfig::new(stream.jid.clone(), identity, trust))
        .map_err(|e| Usage(e.to_string()))?;
    let mut host = Host {
        stream,
        ep,
        peer,
        echo: a.echo,
        once: a.once,
        keepalives: 0,
        done: None,
        own: Vec::new(),
    };
    // The login's last read got no answer: a keepalive, so the server's
    // next write is not held for our delayed ACK.
    host.stream.write(b" ").map_err(|e| Usage(e.to_string()))?;
    host.keepalives += 1;
    let input = lines();
    let result = host.run(&input);
    host.stream.close();
    result.map_err(Usage)?;
    Ok(Outcome {
        clean: host.done.unwrap_or(false),
        keepalives: host.keepalives,
    })
}

/// Runs the session. Ok(true) when the tunnel ended cleanly (closed by
/// either side, every stanza acknowledged).
pub fn tunnel(a: &TunnelArgs<'_>) -> Result<bool, Usage> {
    let outcome = session(a)?;
    eprintln!("{} whitespace keepalives written", outcome.keepalives);
    Ok(outcome.clean)
}
