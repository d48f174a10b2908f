//! One tunnel's state machine around a rustls connection: handshake, TLS
//! records to and from `<data/>` (XTLS §4.3), the window of unacknowledged
//! data IQs, inner stanza framing and routing (§4.4), and close (§4.5).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufRead, ErrorKind, Write};
use std::sync::Arc;

use rustls::{Connection, HandshakeKind};
use rustls_pki_types::UnixTime;

use super::certificates::CertificateCache;
use super::config::Limits;
use super::event::{Event, Role, TunnelInfo};
use super::io::{Io, PendingKind};
use super::tls::group_name;
use super::trust::{PeerAuth, PeerSlot};
use super::wire::{self, DataIqWriter, Payload};
use crate::error::Error;
use crate::identity::{cert_sha256, hex, spki_sha256};
use crate::jid::Jid;
use crate::pins::PinStatus;
use crate::policy::{suites, Negotiated, Policy, TlsVersion};
use crate::report::ConnectionReport;
use crate::xml::{self, Element, StanzaFramer, XmlLimits};

/// Where a tunnel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelState {
    /// We sent `<start/>` and wait for `<proceed/>`.
    Starting,
    /// start/proceed done; the TLS handshake runs.
    Handshaking,
    /// The handshake completed and the peer is authenticated.
    Established,
    /// We are closing: flushing data, then `<close/>`, then waiting for
    /// `<closed/>`.
    Closing,
}

/// One XTLS tunnel.
#[derive(Debug)]
pub(crate) struct Tunnel {
    pub peer: Jid,
    local: Jid,
    pub role: Role,
    pub state: TunnelState,
    tls: Option<Connection>,
    slot: Option<Arc<PeerSlot>>,
    limits: Limits,
    policy: Arc<Policy>,
    xml_limits: XmlLimits,
    strip_routing: bool,
    /// Our start IQ, while Starting.
    pub start_id: Option<String>,
    /// Our close IQ, once sent.
    close_id: Option<String>,
    sent_data: bool,
    /// Plaintext stanzas waiting for the handshake.
    queued: VecDeque<Vec<u8>>,
    queued_bytes: usize,
    /// TLS octets produced and not yet sent (window full).
    out_tls: Vec<u8>,
    in_flight: usize,
    framer: StanzaFramer,
    pub info: Option<TunnelInfo>,
    /// Set when this handshake pinned a key on first use: (bare JID, SPKI).
    pub new_pin: Option<(String, String)>,
}

impl Tunnel {
    pub(crate) fn new(
        peer: Jid,
        local: Jid,
        role: Role,
        limits: Limits,
        policy: Arc<Policy>,
        strip_routing: bool,
    ) -> Self {
        Tunnel {
            peer,
            local,
            role,
            state: TunnelState::Starting,
            tls: None,
            slot: None,
            xml_limits: XmlLimits {
                max_bytes: limits.max_stanza_bytes,
                ..XmlLimits::default()
            },
            limits,
            policy,
            strip_routing,
            start_id: None,
            close_id: None,
            sent_data: false,
            queued: VecDeque::new(),
            queued_bytes: 0,
            out_tls: Vec::new(),
            in_flight: 0,
            framer: StanzaFramer::new(limits.max_stanza_bytes),
            info: None,
            new_pin: None,
        }
    }

    /// Gives the tunnel its TLS connection (after proceed, or when accepting a
    /// start) and sends whatever TLS wants to send first (the ClientHello).
    pub(crate) fn attach_tls(&mut self, tls: Connection, slot: Arc<PeerSlot>, io: &mut Io) {
        self.tls = Some(tls);
        self.slot = Some(slot);
        self.state = TunnelState::Handshaking;
        self.flush(io);
    }

    /// Moves plaintext queued in another tunnel object (a start we abandoned
    /// after losing a simultaneous start) into this one.
    pub(crate) fn adopt_queue(&mut self, other: &mut Tunnel) {
        self.queued = std::mem::take(&mut other.queued);
        self.queued_bytes = other.queued_bytes;
    }

    fn buffered(&self) -> usize {
        self.queued_bytes + self.out_tls.len()
    }

    /// Queues or encrypts one outgoing stanza (already checked and stripped).
    pub(crate) fn send(&mut self, plain: &[u8], io: &mut Io) -> Result<(), Error> {
        if self.state == TunnelState::Closing {
            return Err(Error::TunnelClosed);
        }
        if self.buffered() + plain.len() > self.limits.max_buffered_bytes {
            return Err(Error::BufferFull {
                limit: self.limits.max_buffered_bytes,
            });
        }
        match (&mut self.tls, self.state) {
            (Some(tls), TunnelState::Established) => {
                tls.writer()
                    .write_all(plain)
                    .map_err(|e| Error::Tls(e.to_string()))?;
                self.flush(io);
            }
            _ => {
                self.queued_bytes += plain.len();
                self.queued.push_back(plain.to_vec());
            }
        }
        Ok(())
    }

    /// Starts a graceful close: TLS close_notify, remaining data, `<close/>`.
    pub(crate) fn close(&mut self, io: &mut Io) {
        if self.state == TunnelState::Closing {
            return;
        }
        self.state = TunnelState::Closing;
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
        }
        self.flush(io);
    }

    /// Handles an acknowledgement of one of our data IQs.
    pub(crate) fn on_ack(&mut self, io: &mut Io) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.flush(io);
    }

    /// Handles the TLS octets of one incoming `<data/>` (or why its base64
    /// could not be decoded).
    pub(crate) fn on_data(
        &mut self,
        method: Option<&str>,
        octets: Result<&[u8], Error>,
        now: UnixTime,
        certs: &mut CertificateCache,
        io: &mut Io,
    ) -> Result<(), Error> {
        if self.tls.is_none() {
            return Err(Error::DataBeforeProceed);
        }
        // §4.3: the first stanza carries 'method'; x509 is the only one rustls
        // can do. A missing method is read as x509.
        if let Some(m) = method {
            if m != wire::METHOD_X509 {
                return Err(Error::UnsupportedMethod(m.to_owned()));
            }
        }
        let mut rest = octets?;
        while !rest.is_empty() {
            let Some(tls) = self.tls.as_mut() else {
                return Err(Error::TunnelClosed);
            };
            let was_handshaking = tls.is_handshaking();
            tls.read_tls(&mut rest)
                .map_err(|e| Error::Tls(e.to_string()))?;
            let processed = tls.process_new_packets();
            let done_now = was_handshaking && !tls.is_handshaking();
            if let Err(e) = processed {
                return Err(self.tls_failure(e));
            }
            if done_now && self.state == TunnelState::Handshaking {
                self.handshake_done(now, certs, io)?;
            }
            self.drain_plaintext(io)?;
        }
        self.flush(io);
        Ok(())
    }

    /// Prefers the verifier's typed trust error over rustls's message.
    fn tls_failure(&self, e: rustls::Error) -> Error {
        if let Some(Err(t)) = self.slot.as_ref().and_then(|v| v.outcome()) {
            return Error::Trust(t);
        }
        Error::Tls(e.to_string())
    }

    fn handshake_done(
        &mut self,
        now: UnixTime,
        certs: &mut CertificateCache,
        io: &mut Io,
    ) -> Result<(), Error> {
        let (Some(tls), Some(slot)) = (&self.tls, &self.slot) else {
            return Err(Error::TunnelClosed);
        };
        let chain = tls.peer_certificates().unwrap_or(&[]);
        let resumed = tls.handshake_kind() == Some(HandshakeKind::Resumed);
        // A resumed session skipped the verifier: check the stored peer
        // certificate against this peer again (a ticket from one JID must not
        // authenticate another).
        let auth = match slot.outcome() {
            Some(result) if !resumed => result,
            _ => slot.check().authenticate(chain, now),
        }?;
        let leaf = chain
            .first()
            .ok_or(Error::Trust(crate::error::TrustError::NoCertificate))?;
        let leaf_sha256 = cert_sha256(leaf);
        let details = certs.details(leaf, leaf_sha256);
        let spki = match &details {
            Some(d) => d.spki_sha256.clone(),
            None => hex(&spki_sha256(leaf)?),
        };
        if auth == (PeerAuth::TrustOnFirstUse { first_use: true }) {
            self.new_pin = Some((self.peer.bare_str().to_owned(), spki.clone()));
        }
        // The IANA name from the registry (rustls spells TLS 1.3 suites TLS13_).
        let suite = tls
            .negotiated_cipher_suite()
            .map(|s| {
                let code = u16::from(s.suite());
                suites::by_code(code)
                    .map(|known| known.name.to_owned())
                    .unwrap_or_else(|| format!("0x{code:04x}"))
            })
            .unwrap_or_default();
        let version = tls
            .protocol_version()
            .and_then(|v| TlsVersion::from_code(u16::from(v)));
        let pin = match auth {
            PeerAuth::TrustOnFirstUse { first_use: true } => Some(PinStatus::New),
            PeerAuth::TrustOnFirstUse { first_use: false } | PeerAuth::Pinned => {
                Some(PinStatus::Match)
            }
            _ => None,
        };
        let identity = match &auth {
            PeerAuth::Pkix { matched } => Some(matched.clone()),
            _ => None,
        };
        let negotiated = Negotiated {
            encrypted: true,
            version,
            suite: tls.negotiated_cipher_suite().map(|s| u16::from(s.suite())),
            kx_group: tls
                .negotiated_key_exchange_group()
                .map(|g| group_name(g.name())),
            resumed,
            authentication: Some(auth.method()),
            peer_chain: chain.iter().map(|c| c.clone().into_owned()).collect(),
            ..Negotiated::default()
        };
        let report = ConnectionReport::with_certificate(
            self.peer.as_str(),
            &self.policy,
            negotiated,
            details,
            identity,
            pin,
        );
        let info = TunnelInfo {
            role: self.role,
            tls_version: version.map(|v| v.as_str().to_owned()).unwrap_or_default(),
            cipher_suite: suite,
            kx_group: tls
                .negotiated_key_exchange_group()
                .map(|g| group_name(g.name()))
                .unwrap_or_default(),
            resumed,
            peer_auth: auth,
            peer_certificate_sha256: hex(&leaf_sha256),
            peer_spki_sha256: spki,
            offer_verified: !slot.check().offer_hashes.is_empty(),
            report,
        };
        self.state = TunnelState::Established;
        self.info = Some(info.clone());
        io.events.push_back(Event::Established {
            peer: self.peer.clone(),
            info: Box::new(info),
        });
        // Stanzas the application sent before the handshake completed.
        while let Some(p) = self.queued.pop_front() {
            self.queued_bytes -= p.len();
            if let Some(tls) = &mut self.tls {
                tls.writer()
                    .write_all(&p)
                    .map_err(|e| Error::Tls(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Moves decrypted plaintext into the framer (straight from rustls's
    /// buffer) and delivers every complete stanza.
    fn drain_plaintext(&mut self, io: &mut Io) -> Result<(), Error> {
        let Some(tls) = &mut self.tls else {
            return Ok(());
        };
        let receiver = Receiver {
            peer: &self.peer,
            local: &self.local,
            limits: &self.xml_limits,
        };
        loop {
            let mut reader = tls.reader();
            match reader.fill_buf() {
                Ok([]) => break, // close_notify: the peer's <close/> follows
                Ok(chunk) => {
                    let n = chunk.len();
                    // Whole stanzas straight from rustls's buffer; a partial
                    // one waits in the framer for the rest.
                    let mut rest = chunk;
                    while let Some(raw) = self.framer.next_in(&mut rest)? {
                        receiver.deliver(raw, io);
                    }
                    self.framer.push(rest);
                    reader.consume(n);
                    if self.framer.buffered() > self.limits.max_buffered_bytes {
                        return Err(Error::BufferFull {
                            limit: self.limits.max_buffered_bytes,
                        });
                    }
                    while let Some(raw) = self.framer.next_stanza()? {
                        receiver.deliver(&raw, io);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(Error::Tls(e.to_string())),
            }
        }
        Ok(())
    }

    /// XTLS §4.4 on receipt (see [`Receiver::restore_routing`]).
    #[cfg(test)]
    fn restore_routing(&self, raw: &[u8]) -> Result<String, Error> {
        Receiver {
            peer: &self.peer,
            local: &self.local,
            limits: &self.xml_limits,
        }
        .restore_routing(raw)
    }

    /// XTLS §4.4 on sending: check the stanza and strip its routing (in the
    /// original text; the stanza is not rebuilt, and not copied when there is
    /// nothing to strip).
    pub(crate) fn prepare_outgoing<'s>(&self, stanza: &'s [u8]) -> Result<Cow<'s, [u8]>, Error> {
        let text = utf8(stanza.trim_ascii())?;
        let el = xml::check(text, &self.xml_limits)?;
        check_stanza(&el)?;
        check_address(&el, "from", &self.local)?;
        check_address(&el, "to", &self.peer)?;
        let has_routing = el.attr("from").is_some() || el.attr("to").is_some();
        if !(self.strip_routing && has_routing) {
            return Ok(Cow::Borrowed(text.as_bytes()));
        }
        xml::splice_root_attrs(text, &["from", "to"], &[])
            .map(|s| Cow::Owned(s.into_bytes()))
            .ok_or(Error::NotAStanza(el.name))
    }

    /// A data IQ for the next TLS octets, with `method` on the initiator's
    /// first (XTLS §4.3).
    fn begin_data(&self, io: &mut Io) -> (String, DataIqWriter) {
        let method = (!self.sent_data && self.role == Role::Initiator).then_some(wire::METHOD_X509);
        let id = io.next_id();
        let iq = DataIqWriter::new(
            self.local.as_str(),
            self.peer.as_str(),
            &id,
            method,
            self.limits.max_data_bytes,
        );
        (id, iq)
    }

    /// Sends a data IQ and counts it in the window until it is acknowledged.
    fn send_data(&mut self, io: &mut Io, id: String, iq: DataIqWriter) {
        self.sent_data = true;
        io.expect(id, self.peer.clone(), PendingKind::Data);
        io.transmits.push_back(iq.finish());
        self.in_flight += 1;
    }

    /// Moves TLS output into data IQs while the window allows; sends
    /// `<close/>` once a closing tunnel has nothing left.
    pub(crate) fn flush(&mut self, io: &mut Io) {
        let max = self.limits.max_in_flight;
        // TLS octets the window held back go first, in order.
        let mut start = 0;
        while start < self.out_tls.len() && self.in_flight < max {
            let (id, mut iq) = self.begin_data(io);
            start += iq.push(&self.out_tls[start..]);
            self.send_data(io, id, iq);
        }
        self.out_tls.drain(..start);
        // Then straight from rustls's buffer into stanzas while the window
        // allows (no copy in between).
        if self.out_tls.is_empty() {
            while self.in_flight < max && self.tls.as_ref().is_some_and(|t| t.wants_write()) {
                let (id, mut iq) = self.begin_data(io);
                if let Some(tls) = &mut self.tls {
                    while iq.room() > 0 && tls.wants_write() {
                        match tls.write_tls(&mut iq) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                }
                if iq.written() == 0 {
                    break;
                }
                self.send_data(io, id, iq);
            }
        }
        // What the window holds back waits here.
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                match tls.write_tls(&mut self.out_tls) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        if self.out_tls.is_empty() {
            // An idle tunnel holds no buffer capacity.
            self.out_tls = Vec::new();
        }
        if self.state == TunnelState::Closing
            && self.close_id.is_none()
            && self.out_tls.is_empty()
            && self.in_flight == 0
        {
            let id = io.next_id();
            let iq = wire::iq_xml(
                &id,
                Some(self.local.as_str()),
                Some(self.peer.as_str()),
                &Payload::Close,
            );
            io.expect(id.clone(), self.peer.clone(), PendingKind::Close);
            io.transmits.push_back(iq);
            self.close_id = Some(id);
        }
    }
}

/// What a tunnel needs to deliver the stanzas it decrypts: who is on each
/// side, and the XML limits (borrowed apart from the TLS connection whose
/// buffer the stanzas are read from).
struct Receiver<'t> {
    peer: &'t Jid,
    local: &'t Jid,
    limits: &'t XmlLimits,
}

impl Receiver<'_> {
    /// Queues the stanza's event: delivered, or rejected with the reason.
    fn deliver(&self, raw: &[u8], io: &mut Io) {
        let event = match self.restore_routing(raw) {
            Ok(stanza) => Event::Stanza {
                peer: self.peer.clone(),
                stanza,
            },
            Err(error) => Event::StanzaRejected {
                peer: self.peer.clone(),
                error,
            },
        };
        io.events.push_back(event);
    }

    /// XTLS §4.4 on receipt: fill in missing `from`/`to` from the carrying
    /// IQ and refuse a stanza whose addresses contradict it.
    fn restore_routing(&self, raw: &[u8]) -> Result<String, Error> {
        let text = utf8(raw)?;
        let el = xml::check(text, self.limits)?;
        check_stanza(&el)?;
        check_address(&el, "from", self.peer)?;
        check_address(&el, "to", self.local)?;
        let mut add = Vec::with_capacity(2);
        if el.attr("from").is_none() {
            add.push(("from", self.peer.as_str()));
        }
        if el.attr("to").is_none() {
            add.push(("to", self.local.as_str()));
        }
        xml::splice_root_attrs(text, &[], &add).ok_or(Error::NotAStanza(el.name))
    }
}

fn utf8(raw: &[u8]) -> Result<&str, Error> {
    simdutf8::compat::from_utf8(raw)
        .map_err(|e| Error::Xml(xml::XmlError::Malformed(e.to_string())))
}

fn check_stanza(el: &Element) -> Result<(), Error> {
    let ns_ok = el.ns.is_empty() || el.ns == "jabber:client" || el.ns == "jabber:server";
    if ns_ok && matches!(el.name.as_str(), "message" | "presence" | "iq") {
        Ok(())
    } else {
        Err(Error::NotAStanza(el.name.clone()))
    }
}

fn check_address(el: &Element, attr: &str, expected: &Jid) -> Result<(), Error> {
    match el.attr(attr) {
        Some(v) if !expected.is_or_bare_of(v) => Err(Error::RoutingMismatch {
            found: format!("{attr}='{v}'"),
            expected: expected.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tunnel() -> Tunnel {
        Tunnel::new(
            Jid::parse("romeo@montague.lit/orchard").unwrap(),
            Jid::parse("juliet@capulet.lit/balcony").unwrap(),
            Role::Responder,
            Limits::default(),
            Arc::new(Policy::xtls()),
            true,
        )
    }

    #[test]
    fn received_routing_is_restored_or_rejected() {
        let t = tunnel();
        let ok = t
            .restore_routing(b"<message><body>hi</body></message>")
            .unwrap();
        assert_eq!(
            ok,
            "<message from='romeo@montague.lit/orchard' to='juliet@capulet.lit/balcony'><body>hi</body></message>"
        );
        // The peer (authenticated as romeo) forges a stanza from the nurse.
        let forged = t
            .restore_routing(b"<message from='nurse@capulet.lit/chamber'><body>x</body></message>");
        assert!(matches!(forged, Err(Error::RoutingMismatch { .. })));
        let misaddressed =
            t.restore_routing(b"<message to='nurse@capulet.lit'><body>x</body></message>");
        assert!(matches!(misaddressed, Err(Error::RoutingMismatch { .. })));
        // Bare forms of the right JIDs are consistent and kept.
        let bare = t
            .restore_routing(b"<iq type='get' id='1' from='romeo@montague.lit'/>")
            .unwrap();
        assert!(bare.contains("from='romeo@montague.lit'"));
        assert!(matches!(
            t.restore_routing(b"<stream:features xmlns:stream='s'/>"),
            Err(Error::NotAStanza(_))
        ));
        assert!(matches!(
            t.restore_routing(b"<message><!-- x --></message>"),
            Err(Error::Xml(_))
        ));
    }

    #[test]
    fn outgoing_routing_is_stripped() {
        let t = tunnel();
        let out = t
            .prepare_outgoing(b"<message from='juliet@capulet.lit/balcony' to='romeo@montague.lit/orchard'><body>b</body></message>")
            .unwrap();
        assert_eq!(&*out, b"<message><body>b</body></message>");
        let untouched = t.prepare_outgoing(b" <presence/>\n").unwrap();
        assert!(matches!(untouched, Cow::Borrowed(b"<presence/>")));
    }
}
