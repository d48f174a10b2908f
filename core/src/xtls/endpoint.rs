//! The sans-IO entry point: one local JID, many tunnels keyed by peer full
//! JID. Stanzas and application calls go in; stanzas to send and events come
//! out, pulled by the caller (the quinn-proto / rustls shape).

use std::collections::HashMap;
use std::sync::Arc;

use rustls::{ClientConnection, Connection, ServerConnection};
use rustls_pki_types::{ServerName, UnixTime};

use super::certificates::CertificateCache;
use super::config::{EndpointConfig, Limits};
use super::event::{CloseReason, Event, Role, TunnelInfo};
use super::io::{Io, PendingKind};
use super::tls::TlsSetup;
use super::trust::{offer_hashes, CheckKind, PeerCheck, PeerSlot, TrustMode};
use super::tunnel::{Tunnel, TunnelState};
use super::wire::{self, Condition, Offer, Payload, StanzaError};
use crate::error::{Error, TrustError};
use crate::identity::hex;
use crate::identity::pkix::Roots;
use crate::jid::Jid;
use crate::pins::{PinStorage, PinStore};
use crate::policy::Policy;
use crate::xml::{self, XmlLimits};

/// What [`Endpoint::handle_incoming`] did with a stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// It was an XTLS stanza (or the answer to one) and has been processed.
    Handled,
    /// It is not XTLS: the host library should process it as usual.
    NotXtls,
}

/// An XTLS endpoint for one local full JID.
///
/// ```
/// use xmpptls::{Endpoint, EndpointConfig, Event, Identity, Jid, TrustMode, UnixTime};
///
/// let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000));
/// let mk = |jid: &str| {
///     let jid = Jid::parse(jid).unwrap();
///     let id = Identity::self_signed(&jid).unwrap();
///     Endpoint::new(EndpointConfig::new(jid, id, TrustMode::Offer)).unwrap()
/// };
/// let (mut romeo, mut juliet) = (mk("romeo@montague.lit/orchard"), mk("juliet@capulet.lit/balcony"));
/// let juliet_jid = Jid::parse("juliet@capulet.lit/balcony").unwrap();
/// romeo.open(&juliet_jid, now).unwrap();
/// romeo.send(&juliet_jid, b"<message type='chat'><body>Hi</body></message>").unwrap();
/// // Move stanzas both ways until quiet (a server would route them).
/// loop {
///     let mut moved = false;
///     while let Some(s) = romeo.poll_transmit() { juliet.handle_incoming(s.as_bytes(), now).unwrap(); moved = true; }
///     while let Some(s) = juliet.poll_transmit() { romeo.handle_incoming(s.as_bytes(), now).unwrap(); moved = true; }
///     if !moved { break; }
/// }
/// let mut got = None;
/// while let Some(ev) = juliet.poll_event() {
///     if let Event::Stanza { stanza, .. } = ev { got = Some(stanza); }
/// }
/// assert!(got.unwrap().contains("<body>Hi</body>"));
/// ```
#[derive(Debug)]
pub struct Endpoint {
    local: Jid,
    limits: Limits,
    xml_limits: XmlLimits,
    strip_routing: bool,
    enabled: bool,
    policy: Arc<Policy>,
    trust: Trust,
    pins: PinStore,
    storage: Option<ExternalPins>,
    offer: Option<Offer>,
    tls: TlsSetup,
    tunnels: HashMap<Jid, Tunnel>,
    io: Io,
    /// The decoded TLS octets of the data IQ being handled.
    rx: Vec<u8>,
    /// Details of peer certificates seen recently, for tunnel reports.
    certs: CertificateCache,
}

/// Most capacity the endpoint keeps in its buffer for decoded `<data/>`
/// octets between stanzas: enough for the default
/// [`Limits::max_data_bytes`]; a larger buffer is freed after use.
pub const RX_KEEP_BYTES: usize = 32 * 1024;

/// An XTLS IQ-set, from either reader.
enum Request<'a> {
    Start(Option<Offer>),
    /// The TLS octets, or why the base64 could not be decoded (reported
    /// after the checks that come first).
    Data {
        method: Option<String>,
        octets: Result<&'a [u8], Error>,
    },
    Close,
}

/// The application's pin storage, set with [`Endpoint::set_pin_storage`].
struct ExternalPins(Box<dyn PinStorage + Send>);

impl std::fmt::Debug for ExternalPins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalPins")
    }
}

#[derive(Debug)]
enum Trust {
    Pkix(Arc<Roots>),
    Pinned,
    Offer,
    Tofu,
}

impl Endpoint {
    /// Creates an endpoint. Fails when the identity's key cannot be used or a
    /// root certificate is invalid.
    pub fn new(config: EndpointConfig) -> Result<Self, Error> {
        let tls = TlsSetup::new(&config)?;
        let (trust, pins) = match config.trust {
            TrustMode::Pkix(roots) => (
                Trust::Pkix(Arc::new(
                    Roots::new(&roots).map_err(|e| Error::Config(e.to_string()))?,
                )),
                PinStore::new(),
            ),
            TrustMode::Pinned(p) => (Trust::Pinned, p),
            TrustMode::Offer => (Trust::Offer, PinStore::new()),
            TrustMode::TrustOnFirstUse(p) => (Trust::Tofu, p),
        };
        let mut rnd = [0u8; 6];
        tls.provider
            .secure_random
            .fill(&mut rnd)
            .map_err(|_| Error::Config("no randomness".into()))?;
        let offer = config.send_offer.then(|| Offer {
            x509_hashes: vec![config.identity.certificate_fingerprint()],
            srp: false,
        });
        Ok(Endpoint {
            local: config.jid,
            xml_limits: XmlLimits {
                max_bytes: config.limits.max_stanza_bytes,
                ..XmlLimits::default()
            },
            limits: config.limits,
            strip_routing: config.strip_routing,
            enabled: config.enabled,
            policy: Arc::new(config.policy),
            trust,
            pins,
            storage: None,
            offer,
            tls,
            tunnels: HashMap::new(),
            io: Io::new(format!("xtls-{}-", hex(&rnd))),
            rx: Vec::new(),
            certs: CertificateCache::default(),
        })
    }

    /// Our JID.
    pub fn local_jid(&self) -> &Jid {
        &self.local
    }

    /// Turns acceptance of incoming starts on or off (off answers
    /// `service-unavailable`, XTLS §4.1).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// The pin store (pinned and trust-on-first-use modes): persist it after
    /// [`Event::Established`] with a first use.
    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// The pin store, to add pins or forget a changed key after the user
    /// accepted it.
    pub fn pins_mut(&mut self) -> &mut PinStore {
        &mut self.pins
    }

    /// Keeps pins in the application's own storage (a database, the platform
    /// keychain) instead of the in-memory [`PinStore`] given in the trust
    /// mode: pinned and trust-on-first-use modes read a peer's pins from it
    /// when a tunnel starts and write a key pinned on first use to it (also
    /// mirrored into [`Endpoint::pins`]). RFC 7590 §3.6 asks that a changed
    /// key be noticed across restarts, which needs storage that outlives the
    /// endpoint.
    pub fn set_pin_storage(&mut self, storage: Box<dyn PinStorage + Send>) {
        self.storage = Some(ExternalPins(storage));
    }

    /// The pins of a bare JID, from the application's storage if set.
    fn pins_of(&self, bare: &str) -> Vec<String> {
        match &self.storage {
            Some(s) => s.0.pins(bare),
            None => self.pins.get(bare).to_vec(),
        }
    }

    /// The state of the tunnel with `peer`, if one exists.
    pub fn tunnel_state(&self, peer: &Jid) -> Option<TunnelState> {
        self.tunnels.get(peer).map(|t| t.state)
    }

    /// What was negotiated with `peer`, once established.
    pub fn tunnel_info(&self, peer: &Jid) -> Option<&TunnelInfo> {
        self.tunnels.get(peer).and_then(|t| t.info.as_ref())
    }

    /// Number of tunnels (in any state).
    pub fn tunnel_count(&self) -> usize {
        self.tunnels.len()
    }

    /// The next stanza to send, as XML text for the host library's stream.
    pub fn poll_transmit(&mut self) -> Option<String> {
        self.io.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.io.events.pop_front()
    }

    /// Opens a tunnel to `peer` (XTLS §4.1): sends `<start/>` with our offer.
    /// Stanzas may be sent at once; they wait for the handshake.
    pub fn open(&mut self, peer: &Jid, now: UnixTime) -> Result<(), Error> {
        self.tls.clock.set(now);
        if self.tunnels.contains_key(peer) {
            return Err(Error::DuplicateStart);
        }
        if self.tunnels.len() >= self.limits.max_tunnels {
            return Err(Error::TooManyTunnels {
                limit: self.limits.max_tunnels,
            });
        }
        if matches!(self.trust, Trust::Pinned) && self.pins_of(peer.bare_str()).is_empty() {
            return Err(Error::Trust(TrustError::UnknownPeer));
        }
        let mut t = Tunnel::new(
            peer.clone(),
            self.local.clone(),
            Role::Initiator,
            self.limits,
            self.policy.clone(),
            self.strip_routing,
        );
        let id = self.io.next_id();
        self.io.transmits.push_back(wire::iq_xml(
            &id,
            Some(self.local.as_str()),
            Some(peer.as_str()),
            &Payload::Start(self.offer.clone()),
        ));
        self.io.expect(id.clone(), peer.clone(), PendingKind::Start);
        t.start_id = Some(id);
        self.tunnels.insert(peer.clone(), t);
        Ok(())
    }

    /// Sends a stanza through the tunnel with `peer`. Its `from`/`to`, when
    /// present, must name us and the peer; they are stripped before
    /// encryption unless configured otherwise.
    pub fn send(&mut self, peer: &Jid, stanza: &[u8]) -> Result<(), Error> {
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        let plain = t.prepare_outgoing(stanza)?;
        t.send(&plain, &mut self.io)
    }

    /// Closes the tunnel with `peer` gracefully (XTLS §4.5): pending data is
    /// sent, then `<close/>`; [`Event::Closed`] follows the peer's `<closed/>`.
    pub fn close(&mut self, peer: &Jid) -> Result<(), Error> {
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        t.close(&mut self.io);
        Ok(())
    }

    /// The application learned that `jid` went offline (unavailable presence):
    /// its tunnels are torn down without stanzas. A bare JID tears down the
    /// tunnels with all its resources.
    pub fn peer_unavailable(&mut self, jid: &Jid) {
        let gone: Vec<Jid> = self
            .tunnels
            .keys()
            .filter(|p| *p == jid || (jid.resource().is_none() && p.bare_str() == jid.as_str()))
            .cloned()
            .collect();
        for peer in gone {
            self.remove(&peer, CloseReason::PeerUnavailable);
        }
    }

    fn remove(&mut self, peer: &Jid, reason: CloseReason) {
        if let Some(t) = self.tunnels.remove(peer) {
            if t.role == Role::Initiator {
                if let Ok(name) = session_name(peer) {
                    self.tls.registry.unregister(&name.to_str());
                }
            }
            self.io.retire(peer);
            self.io.events.push_back(Event::Closed {
                peer: peer.clone(),
                reason,
            });
        }
    }

    fn reply(&mut self, to: &Jid, id: &str, payload: Payload) {
        self.io.transmits.push_back(wire::iq_xml(
            id,
            Some(self.local.as_str()),
            Some(to.as_str()),
            &payload,
        ));
    }

    /// Processes one incoming stanza (the bytes of one top-level element, as
    /// the host XMPP library received it). `now` is the current time: the core
    /// reads no clock.
    ///
    /// Returns [`Incoming::NotXtls`] for stanzas that are not ours, untouched.
    /// Bad XTLS input returns a typed error; where XMPP requires an answer
    /// (every IQ-set), the matching stanza error has been queued, and an error
    /// in a tunnel has closed it ([`Event::Closed`]).
    pub fn handle_incoming(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
        self.tls.clock.set(now);
        if is_message_or_presence(stanza) {
            return Ok(Incoming::NotXtls);
        }
        // The other half of the data path: the acknowledgement of a data IQ.
        if let Some(ack) = wire::read_ack(stanza, &self.xml_limits) {
            let id = ack.attr("id").unwrap_or_default();
            return self.on_answer(id, ack.attr("from"), Payload::Ack, now);
        }
        // The decoded TLS octets of a data IQ land in a buffer the endpoint
        // keeps, so the data path allocates nothing for them.
        let mut rx = std::mem::take(&mut self.rx);
        rx.clear();
        let result = match wire::read_data_iq(stanza, &self.xml_limits, &mut rx) {
            Some(iq) => {
                let request = Request::Data {
                    method: iq.method,
                    octets: Ok(&rx),
                };
                self.on_request(iq.from, iq.to, &iq.id, request, now)
            }
            None => self.incoming_general(stanza, now),
        };
        if rx.capacity() <= RX_KEEP_BYTES {
            self.rx = rx;
        }
        result
    }

    /// Every XTLS stanza that is not a data IQ with strict base64: read into
    /// a tree first.
    fn incoming_general(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
        let el = xml::parse(stanza, &self.xml_limits)?;
        let Some(iq) = wire::read_iq(el)? else {
            return Ok(Incoming::NotXtls);
        };
        let decoded;
        let request = match iq.payload {
            payload
            @ (Payload::Ack | Payload::Error(_) | Payload::Proceed(_) | Payload::Closed) => {
                return self.on_answer(&iq.id, iq.from.as_deref(), payload, now)
            }
            Payload::Start(offer) => Request::Start(offer),
            Payload::Close => Request::Close,
            Payload::Data { method, base64 } => {
                // XTLS §4.3 does not forbid whitespace in the base64.
                decoded = base64_simd::forgiving_decode_to_vec(base64.as_bytes())
                    .map_err(|_| Error::Base64);
                Request::Data {
                    method,
                    octets: decoded.as_deref().map_err(Clone::clone),
                }
            }
        };
        self.on_request(iq.from, iq.to, &iq.id, request, now)
    }

    /// An XTLS IQ-set: checks its addressing, hands it to its tunnel and
    /// answers a failure with the matching stanza error.
    fn on_request(
        &mut self,
        from: Option<String>,
        to: Option<String>,
        id: &str,
        request: Request<'_>,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let from = from.ok_or_else(|| Error::BadRequest("XTLS request without 'from'".into()))?;
        let peer = Jid::parse(&from)?;
        if let Some(to) = to {
            if to != self.local.as_str() {
                return Err(Error::WrongRecipient(to));
            }
        }
        let (result, cond_for_method) = match request {
            Request::Start(offer) => (self.on_start(&peer, id, offer), Condition::NotAcceptable),
            Request::Data { method, octets } => (
                self.on_data(&peer, id, method.as_deref(), octets, now),
                Condition::FeatureNotImplemented,
            ),
            Request::Close => (self.on_close(&peer, id), Condition::BadRequest),
        };
        match result {
            Ok(()) => Ok(Incoming::Handled),
            Err(e) => {
                let condition = match &e {
                    Error::Disabled => Condition::ServiceUnavailable,
                    Error::Trust(_) => Condition::NotAcceptable,
                    Error::UnsupportedMethod(_) => cond_for_method,
                    Error::DuplicateStart => Condition::Conflict,
                    Error::TooManyTunnels { .. } => Condition::ResourceConstraint,
                    Error::NoTunnel(_) | Error::TunnelClosed => Condition::ItemNotFound,
                    Error::DataBeforeProceed => Condition::UnexpectedRequest,
                    _ => Condition::BadRequest,
                };
                self.reply(
                    &peer,
                    id,
                    Payload::Error(StanzaError::new(condition, Some(e.to_string()))),
                );
                Err(e)
            }
        }
    }

    /// An IQ result or error: ours if it answers an IQ we sent.
    fn on_answer(
        &mut self,
        id: &str,
        from: Option<&str>,
        payload: Payload,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let Some(pending) = self.io.answer(id, from) else {
            if self.io.take_stale(id) {
                return Ok(Incoming::Handled);
            }
            let ours =
                self.io.is_ours(id) || matches!(payload, Payload::Proceed(_) | Payload::Closed);
            return if ours {
                Err(Error::UnexpectedIq)
            } else {
                Ok(Incoming::NotXtls)
            };
        };
        let peer = pending.peer;
        if let Payload::Error(err) = payload {
            let reason = match pending.kind {
                // A close the peer does not know about still ends ours.
                PendingKind::Close => CloseReason::Local,
                _ => CloseReason::Error(Error::PeerRefused(err)),
            };
            self.remove(&peer, reason);
            return Ok(Incoming::Handled);
        }
        match (pending.kind, payload) {
            (PendingKind::Start, payload @ (Payload::Proceed(_) | Payload::Ack)) => {
                let offer = match payload {
                    Payload::Proceed(o) => o,
                    _ => None,
                };
                if let Err(e) = self.on_proceed(&peer, offer, now) {
                    self.fail(&peer, e.clone());
                    return Err(e);
                }
            }
            (PendingKind::Data, Payload::Ack) => {
                if let Some(t) = self.tunnels.get_mut(&peer) {
                    t.on_ack(&mut self.io);
                }
            }
            (PendingKind::Close, Payload::Closed | Payload::Ack) => {
                self.remove(&peer, CloseReason::Local);
            }
            _ => return Err(Error::UnexpectedIq),
        }
        self.after_progress(&peer);
        Ok(Incoming::Handled)
    }

    /// Drops a tunnel after an error (XTLS §4.5: closed and invalid). The peer
    /// learns of it from the stanza error that answers its IQ or from the
    /// `<close/>` sent where nothing else would tell it.
    fn fail(&mut self, peer: &Jid, error: Error) {
        self.remove(peer, CloseReason::Error(error));
    }

    fn check_for(
        &self,
        peer: &Jid,
        peer_is_server: bool,
        offer: Option<&Offer>,
    ) -> Result<PeerCheck, Error> {
        let offer_hashes = match offer {
            Some(o) => offer_hashes(&o.x509_hashes).ok_or_else(|| {
                Error::BadRequest("offer names a hash that is not hex SHA-256".into())
            })?,
            None => Vec::new(),
        };
        let kind = match &self.trust {
            Trust::Pkix(a) => CheckKind::Pkix(a.clone()),
            Trust::Pinned => {
                let pins = self.pins_of(peer.bare_str());
                if pins.is_empty() {
                    return Err(Error::Trust(TrustError::UnknownPeer));
                }
                CheckKind::Pinned(pins)
            }
            Trust::Offer => {
                if offer_hashes.is_empty() {
                    return Err(Error::Trust(TrustError::UnknownPeer));
                }
                CheckKind::Offer
            }
            Trust::Tofu => CheckKind::Tofu(self.pins_of(peer.bare_str())),
        };
        Ok(PeerCheck {
            peer: peer.clone(),
            peer_is_server,
            kind,
            offer_hashes,
            algs: self.tls.provider.signature_verification_algorithms,
        })
    }

    fn on_start(&mut self, peer: &Jid, id: &str, offer: Option<Offer>) -> Result<(), Error> {
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let mut abandoned = None;
        if let Some(existing) = self.tunnels.get(peer) {
            if existing.state != TunnelState::Starting {
                return Err(Error::DuplicateStart);
            }
            // Both sides started at once (XTLS §4.1): the start of the party
            // whose JID sorts first (i;octet) wins.
            if self.local < *peer {
                self.reply(
                    peer,
                    id,
                    Payload::Error(StanzaError::new(
                        Condition::Conflict,
                        Some("simultaneous start: ours has priority".into()),
                    )),
                );
                return Ok(());
            }
            abandoned = self.tunnels.remove(peer);
            if let Some(sid) = abandoned.as_ref().and_then(|t| t.start_id.clone()) {
                self.io.retire_id(sid);
            }
        }
        if self.tunnels.len() >= self.limits.max_tunnels {
            return Err(Error::TooManyTunnels {
                limit: self.limits.max_tunnels,
            });
        }
        if let Some(o) = &offer {
            if o.x509_hashes.is_empty() && o.srp {
                return Err(Error::UnsupportedMethod("srp".into()));
            }
        }
        let check = self.check_for(peer, false, offer.as_ref())?;
        let slot = PeerSlot::new(check);
        let conn = ServerConnection::new(self.tls.server(slot.clone())?)?;
        let mut t = Tunnel::new(
            peer.clone(),
            self.local.clone(),
            Role::Responder,
            self.limits,
            self.policy.clone(),
            self.strip_routing,
        );
        if let Some(mut old) = abandoned {
            t.adopt_queue(&mut old);
        }
        self.reply(peer, id, Payload::Proceed(self.offer.clone()));
        t.attach_tls(Connection::Server(conn), slot, &mut self.io);
        self.tunnels.insert(peer.clone(), t);
        Ok(())
    }

    fn on_proceed(&mut self, peer: &Jid, offer: Option<Offer>, now: UnixTime) -> Result<(), Error> {
        self.tls.clock.set(now);
        if let Some(o) = &offer {
            if o.x509_hashes.is_empty() && o.srp {
                // §4.2: a handshake that will fail must be closed at once.
                self.send_close(peer);
                return Err(Error::UnsupportedMethod("srp".into()));
            }
        }
        let check = match self.check_for(peer, true, offer.as_ref()) {
            Ok(c) => c,
            Err(e) => {
                self.send_close(peer);
                return Err(e);
            }
        };
        let slot = PeerSlot::new(check);
        let name = session_name(peer)?;
        self.tls.registry.register(&name.to_str(), slot.clone());
        let conn = ClientConnection::new(self.tls.client(), name)?;
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        t.start_id = None;
        t.attach_tls(Connection::Client(conn), slot, &mut self.io);
        Ok(())
    }

    /// Sends `<close/>` for a tunnel that is about to be dropped, so the peer
    /// drops its side too; the answer is absorbed as stale.
    fn send_close(&mut self, peer: &Jid) {
        let id = self.io.next_id();
        self.reply(peer, &id, Payload::Close);
        self.io.retire_id(id);
    }

    fn on_data(
        &mut self,
        peer: &Jid,
        id: &str,
        method: Option<&str>,
        octets: Result<&[u8], Error>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let Some(t) = self.tunnels.get_mut(peer) else {
            return Err(Error::NoTunnel(peer.to_string()));
        };
        let mark = self.io.transmits.len();
        match t.on_data(method, octets, now, &mut self.certs, &mut self.io) {
            Ok(()) => {
                // Acknowledge before the data this input produced.
                let ack = wire::iq_xml(
                    id,
                    Some(self.local.as_str()),
                    Some(peer.as_str()),
                    &Payload::Ack,
                );
                self.io.transmits.insert(mark, ack);
                self.after_progress(peer);
                Ok(())
            }
            Err(e) => {
                self.fail(peer, e.clone());
                Err(e)
            }
        }
    }

    fn on_close(&mut self, peer: &Jid, id: &str) -> Result<(), Error> {
        if !self.tunnels.contains_key(peer) {
            return Err(Error::NoTunnel(peer.to_string()));
        }
        self.reply(peer, id, Payload::Closed);
        self.remove(peer, CloseReason::Peer);
        Ok(())
    }

    /// Bookkeeping after a tunnel made progress: store a key pinned on first
    /// use.
    fn after_progress(&mut self, peer: &Jid) {
        if let Some((bare, spki)) = self.tunnels.get_mut(peer).and_then(|t| t.new_pin.take()) {
            if let Some(s) = &mut self.storage {
                let mut pins = s.0.pins(&bare);
                pins.push(spki.clone());
                s.0.set_pins(&bare, pins);
            }
            self.pins.add(&bare, &spki);
        }
    }

    /// The certificate hash we announce in offers.
    pub fn offer_fingerprint(&self) -> Option<&str> {
        self.offer
            .as_ref()
            .and_then(|o| o.x509_hashes.first())
            .map(String::as_str)
    }
}

/// The rustls "server name" of a peer: a per-peer key for the session cache
/// (resumption only with the same full JID). SNI is off, so it never leaves
/// the endpoint.
fn session_name(peer: &Jid) -> Result<ServerName<'static>, Error> {
    let digest = ring::digest::digest(&ring::digest::SHA256, peer.as_str().as_bytes());
    let name = format!("p{}.xtls.invalid", hex(&digest.as_ref()[..16]));
    ServerName::try_from(name).map_err(|e| Error::Config(e.to_string()))
}

/// Cheap pre-filter: messages and presences (the bulk of traffic) cannot be
/// XTLS and are handed back without parsing. Everything else, including input
/// that starts with a DOCTYPE or garbage, goes through the strict parser.
fn is_message_or_presence(stanza: &[u8]) -> bool {
    let s = stanza.trim_ascii_start();
    [&b"<message"[..], b"<presence"].iter().any(|tag| {
        s.starts_with(tag)
            && matches!(
                s.get(tag.len()),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
            )
    })
}
