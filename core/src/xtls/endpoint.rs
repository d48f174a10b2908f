//! The sans-IO entry point: one local JID, many tunnels keyed by peer full
//! JID. Stanzas and application calls go in; stanzas to send and events come
//! out, pulled by the caller (the quinn-proto / rustls shape).

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::{ClientConnection, Connection, ServerConnection};
use rustls_pki_types::{ServerName, UnixTime};

use super::certificates::CertificateCache;
use super::config::{EndpointConfig, Limits};
use super::event::{CloseReason, Event, Role, TunnelInfo, Wait};
use super::gate::StartGate;
use super::io::{Io, PendingKind};
use super::resend::{HandedBack, Remembered};
use super::tls::TlsSetup;
use super::trust::{offer_hashes, CheckKind, PeerCheck, PeerSlot, TrustMode};
use super::tunnel::{starts_with_client_hello, Seen, Tunnel, TunnelSettings, TunnelState};
use super::wire::{self, Condition, Offer, Payload, RequestHead, StanzaError};
use crate::error::{Error, TrustError};
use crate::identity::hex;
use crate::identity::pkix::Roots;
use crate::jid::Jid;
use crate::pins::{PinStorage, PinStore};
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
/// romeo.send(&juliet_jid, b"<message type='chat'><body>Hi</body></message>", now).unwrap();
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
    local_pin: String,
    limits: Limits,
    xml_limits: XmlLimits,
    enabled: bool,
    trust: Trust,
    pins: PinStore,
    storage: Option<ExternalPins>,
    offer: Option<Offer>,
    tls: TlsSetup,
    /// By peer, in the peers' order: what the endpoint writes and reports
    /// across tunnels comes out in the same order in every run (a hash
    /// map's order changes from one instance to the next;
    /// `tests/determinism.rs`).
    /// Boxed: a B-tree node holds eleven entries inline, and a tunnel is
    /// large, so an endpoint with one tunnel would hold an 11 KB node.
    tunnels: BTreeMap<Jid, Box<Tunnel>>,
    /// What every tunnel shares (JID, limits, policy), one allocation.
    shared: Arc<TunnelSettings>,
    io: Io,
    /// The decoded TLS octets of the data IQ being handled.
    rx: Vec<u8>,
    /// Details of peer certificates seen recently, for tunnel reports.
    certs: CertificateCache,
    /// The latest time the host gave: when output built lazily was sent.
    now: UnixTime,
    /// Who may start tunnels with us.
    gate: StartGate,
    /// Stanzas handed back as maybe delivered ([`resend`](super::resend)).
    handed_back: HandedBack,
    /// Stanza counts of tunnels that ended ([`resend`](super::resend)).
    remembered: Remembered,
    /// Tunnels made so far: each tunnel's age.
    made: u64,
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
        method: Option<&'a str>,
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
    /// Creates an endpoint. Fails when the identity's key cannot be used, a
    /// root certificate is invalid, or the limits cannot work
    /// ([`Limits::validate`]).
    pub fn new(config: EndpointConfig) -> Result<Self, Error> {
        config.limits.validate()?;
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
        let local_pin = config.identity.spki_fingerprint()?;
        let offer = config.send_offer.then(|| Offer {
            x509_hashes: vec![config.identity.certificate_fingerprint()],
            srp: false,
        });
        let policy = Arc::new(config.policy);
        let shared = Arc::new(TunnelSettings::new(
            config.jid.clone(),
            config.limits,
            policy,
            config.strip_routing,
        ));
        Ok(Endpoint {
            local: config.jid,
            local_pin,
            xml_limits: XmlLimits {
                max_bytes: config.limits.max_stanza_bytes,
                ..XmlLimits::default()
            },
            limits: config.limits,
            enabled: config.enabled,
            trust,
            pins,
            storage: None,
            offer,
            tls,
            tunnels: BTreeMap::new(),
            shared,
            io: Io::new(format!("xtls-{}-", hex(&rnd))),
            rx: Vec::new(),
            certs: CertificateCache::default(),
            now: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
            gate: StartGate::default(),
            handed_back: HandedBack::default(),
            remembered: Remembered::default(),
            made: 0,
        })
    }

    /// Our public key's pin: lowercase hex SHA-256 of our certificate's
    /// SubjectPublicKeyInfo, what peers pin for us (trust on first use,
    /// pinned mode), for the user to compare out of band.
    pub fn local_pin(&self) -> &str {
        &self.local_pin
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

    /// Accepts starts only from JIDs listed with
    /// [`Endpoint::allow_starts_from`] (true), or from anyone (false, the
    /// default). Decided before any TLS state is made: a start from anyone
    /// else is answered `service-unavailable` and takes no tunnel slot.
    /// Typical use: list the roster's contacts.
    pub fn restrict_starts(&mut self, restricted: bool) {
        self.gate.restrict(restricted);
    }

    /// Lists `jid`'s bare form, or a whole domain, as one that may start
    /// tunnels when [`Endpoint::restrict_starts`] is on.
    pub fn allow_starts_from(&mut self, jid: &Jid) {
        self.gate.allow(jid);
    }

    /// Takes `jid`'s bare form (or domain) off that list; true when it was
    /// listed. Its tunnels stay until they end.
    pub fn revoke_starts_from(&mut self, jid: &Jid) -> bool {
        self.gate.revoke(jid)
    }

    /// TLS octets per second the tunnel with `peer` has seen its path
    /// deliver, a lower bound from acknowledgements (0: none yet). The
    /// window and so the deadlines follow it ([`Limits::ack_timeout`]).
    pub fn path_rate(&self, peer: &Jid) -> Option<u64> {
        self.tunnels.get(peer).map(|t| t.path_rate())
    }

    /// Half-open tunnels: peers' starts whose handshake is not complete.
    pub fn half_open_count(&self) -> usize {
        self.tunnels.values().filter(|t| t.is_half_open()).count()
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
        self.tunnels.get(peer).map(|t| t.state())
    }

    /// What was negotiated with `peer`, once established: rebuilt from the
    /// tunnel's TLS connection and graded by the policy on each call (a
    /// tunnel does not hold its report; the `Established` event carried it).
    pub fn tunnel_info(&self, peer: &Jid) -> Option<TunnelInfo> {
        self.tunnels.get(peer).and_then(|t| t.info())
    }

    /// Number of tunnels (in any state).
    pub fn tunnel_count(&self) -> usize {
        self.tunnels.len()
    }

    /// The next stanza to send, as XML text for the host library's stream.
    ///
    /// Data IQs are built here, when the host asks, so that the stanzas sent
    /// since the last call share TLS records and `<data/>` IQs. Send what
    /// this returns in one write where the host can: acknowledgements come
    /// last, behind the data the same input produced.
    pub fn poll_transmit(&mut self) -> Option<String> {
        if self.io.transmits.is_empty() {
            self.flush();
        }
        let next = self
            .io
            .transmits
            .pop_front()
            .or_else(|| self.io.acks.pop_front());
        if next.is_some() {
            self.io.transmitted = true;
        }
        next
    }

    /// Builds the output of every tunnel with something to send; a tunnel
    /// that cannot is closed.
    fn flush(&mut self) {
        let now = self.now;
        let mut broken = Vec::new();
        for (peer, t) in self.tunnels.iter_mut().filter(|(_, t)| t.dirty) {
            if let Err(e) = t.flush(&mut self.io, now) {
                broken.push((peer.clone(), e));
            }
        }
        for (peer, e) in broken {
            self.send_close(&peer);
            self.fail(&peer, e);
        }
    }

    /// True when the last XTLS stanza the endpoint handled was followed by
    /// nothing to send (once: the call resets it). Then the host should
    /// write a whitespace keepalive to its stream (RFC 6120 §4.6.1), or set
    /// `TCP_QUICKACK` where it owns the socket. Call it after each read, once
    /// [`Endpoint::poll_transmit`] is drained.
    ///
    /// Why: a stanza that gets no answer (an acknowledgement, `<closed/>`)
    /// leaves the client's kernel to delay its TCP ACK (~40 ms on Linux),
    /// and a server with Nagle's algorithm on (Prosody's default) holds its
    /// next small write to that client until the ACK comes: every exchange
    /// in a tunnel would wait for it. A keepalive carries the ACK at once.
    pub fn poll_keepalive(&mut self) -> bool {
        let wanted = self.io.handled && !self.io.transmitted;
        self.io.handled = false;
        self.io.transmitted = false;
        wanted
    }

    /// Everything to write to the XMPP stream now, as one string: every
    /// stanza [`Endpoint::poll_transmit`] has, in order, then one space (a
    /// whitespace keepalive, RFC 6120 §4.6.1) when
    /// [`Endpoint::poll_keepalive`] asks for one. `None` when there is
    /// nothing to write.
    ///
    /// The one call a host needs after each read (all the stanzas it passed
    /// to [`Endpoint::handle_incoming`]), after each `send`/`open`/`close`
    /// and after [`Endpoint::handle_timeout`]: written in one write, the
    /// acknowledgements travel with the data and the keepalive rule cannot
    /// be got wrong. Hosts whose library only sends stanzas use
    /// `poll_transmit` and `poll_keepalive` instead.
    pub fn poll_write(&mut self) -> Option<String> {
        let mut out = String::new();
        while let Some(s) = self.poll_transmit() {
            out.push_str(&s);
        }
        if self.poll_keepalive() {
            out.push(' ');
        }
        (!out.is_empty()).then_some(out)
    }

    /// When [`Endpoint::handle_timeout`] must next be called: the earliest
    /// deadline of an answer some tunnel waits for ([`Limits`]' timeouts).
    /// `None` when no tunnel waits for anything. Whole seconds, like the
    /// `now` the endpoint is given.
    pub fn poll_timeout(&self) -> Option<UnixTime> {
        self.tunnels
            .values()
            .filter_map(|t| t.deadline())
            .map(|(t, _)| t)
            .min()
    }

    /// Closes every tunnel whose deadline has passed at `now`
    /// ([`CloseReason::Timeout`]), handing back the stanzas the peer did not
    /// acknowledge; the peer is sent `<close/>` so it drops its side too.
    pub fn handle_timeout(&mut self, now: UnixTime) {
        self.tick(now);
        let expired: Vec<(Jid, Wait, bool)> = self
            .tunnels
            .iter()
            .filter_map(|(peer, t)| {
                let (at, wait) = t.deadline()?;
                (at <= now).then(|| (peer.clone(), wait, t.close_sent()))
            })
            .collect();
        for (peer, wait, close_sent) in expired {
            if !close_sent {
                self.send_close(&peer);
            }
            self.remove(&peer, CloseReason::Timeout(wait));
        }
    }

    /// The host's clock: every call that takes `now` passes it here.
    fn tick(&mut self, now: UnixTime) {
        self.now = now;
        self.tls.clock.set(now);
    }

    /// IQs this endpoint sent and waits for an answer to (for tests and
    /// diagnostics: each belongs to a tunnel with a deadline).
    pub fn pending_answers(&self) -> usize {
        self.io.pending()
    }

    /// Plaintext octets the tunnel with `peer` holds for the application's
    /// stanzas (waiting, or sent and not acknowledged); bounded by
    /// [`Limits::max_buffered_bytes`].
    pub fn buffered_bytes(&self, peer: &Jid) -> Option<usize> {
        self.tunnels.get(peer).map(|t| t.buffered())
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.io.events.pop_front()
    }

    /// Opens a tunnel to `peer` (XTLS §4.1): sends `<start/>` with our offer.
    /// Stanzas may be sent at once; they wait for the handshake.
    pub fn open(&mut self, peer: &Jid, now: UnixTime) -> Result<(), Error> {
        self.tick(now);
        if self.tunnels.contains_key(peer) {
            return Err(Error::DuplicateStart);
        }
        self.check_tunnel_limit()?;
        if matches!(self.trust, Trust::Pinned) && self.pins_of(peer.bare_str()).is_empty() {
            return Err(Error::Trust(TrustError::UnknownPeer));
        }
        let mut t = self.new_tunnel(peer, Role::Initiator, now);
        let id = self.io.next_id();
        self.io.push_control(wire::iq_xml(
            &id,
            Some(self.local.as_str()),
            Some(peer.as_str()),
            &Payload::Start(self.offer.clone()),
        ));
        self.io.expect(id.clone(), peer.clone(), PendingKind::Start);
        t.set_start_id(id);
        self.tunnels.insert(peer.clone(), Box::new(t));
        Ok(())
    }

    /// Sends a stanza through the tunnel with `peer`. Its `from`/`to`, when
    /// present, must name us and the peer; they are stripped before
    /// encryption unless configured otherwise.
    ///
    /// Any stanza up to [`Limits::max_stanza_bytes`] is carried, over as many
    /// TLS records and data IQs as it needs; before the handshake completes
    /// it waits, and goes out in order once it does. The stanza is taken
    /// whole or refused with nothing changed (`PayloadTooLarge`,
    /// `BufferFull`, …), and the tunnel goes on. It stays with the tunnel
    /// until the peer acknowledges it; if the tunnel ends first, it is
    /// handed back in [`Event::Closed`].
    pub fn send(&mut self, peer: &Jid, stanza: &[u8], now: UnixTime) -> Result<(), Error> {
        self.tick(now);
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        let plain = t.prepare_outgoing(stanza)?.into_owned();
        // A stanza an earlier tunnel handed back as maybe delivered goes
        // with a marker, so the peer drops it if the first copy arrived.
        let copies = self.handed_back.take(peer, &plain);
        t.send(plain, copies)
    }

    /// Refuses a new tunnel when the tunnels that are not half-open reach
    /// [`Limits::max_tunnels`].
    fn check_tunnel_limit(&self) -> Result<(), Error> {
        let full = self.tunnels.values().filter(|t| !t.is_half_open()).count();
        if full >= self.limits.max_tunnels {
            return Err(Error::TooManyTunnels {
                limit: self.limits.max_tunnels,
            });
        }
        Ok(())
    }

    /// A new tunnel with `peer`, with this endpoint's settings, the
    /// youngest.
    fn new_tunnel(&mut self, peer: &Jid, role: Role, now: UnixTime) -> Tunnel {
        self.made += 1;
        Tunnel::new(peer.clone(), role, self.shared.clone(), now, self.made)
    }

    /// Closes the tunnel with `peer` gracefully (XTLS §4.5): the stanzas
    /// already sent go out, then `<close/>`; [`Event::Closed`] follows the
    /// peer's `<closed/>`. Before the handshake completes, `<close/>` goes
    /// out at once and stanzas waiting for the handshake are handed back.
    pub fn close(&mut self, peer: &Jid, now: UnixTime) -> Result<(), Error> {
        self.tick(now);
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        t.close(&mut self.io, now);
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

    /// Drops a tunnel and tells the application, handing back every
    /// stanza the peer did not acknowledge.
    fn remove(&mut self, peer: &Jid, reason: CloseReason) {
        if let Some(t) = self.tunnels.remove(peer) {
            self.io.retire(peer);
            self.report_closed(peer, t, reason);
        }
    }

    /// Tells the application a tunnel (no longer in the map) ended, and
    /// remembers what it takes to recognise resent stanzas later.
    fn report_closed(&mut self, peer: &Jid, mut t: Box<Tunnel>, reason: CloseReason) {
        if t.role == Role::Initiator {
            if let Ok(name) = session_name(peer) {
                self.tls.registry.unregister(&name.to_str());
            }
        }
        let (returned, maybe) = t.take_returned();
        let limit = self.limits.remembered_tunnels;
        if let Some(id) = t.tunnel_id {
            self.remembered.remember(peer, id, t.rx_stanzas, limit);
        }
        self.handed_back.remember(peer, t.created, maybe, limit);
        self.io.events.push_back(Event::Closed {
            peer: peer.clone(),
            reason,
            returned,
        });
    }

    /// Answers the request being handled.
    fn reply(&mut self, to: &Jid, id: &str, payload: Payload) {
        self.reply_to(Some(to.as_str()), id, payload);
    }

    /// Answers the request being handled; `to` as the request's `from` said
    /// (none: the request came from our own server, RFC 6120 §8.1.2.1).
    fn reply_to(&mut self, to: Option<&str>, id: &str, payload: Payload) {
        self.io.answered = true;
        self.io
            .push_control(wire::iq_xml(id, Some(self.local.as_str()), to, &payload));
    }

    /// Processes one incoming stanza (the bytes of one top-level element, as
    /// the host XMPP library received it). `now` is the current time: the core
    /// reads no clock.
    ///
    /// Returns [`Incoming::NotXtls`] for stanzas that are not ours, untouched.
    /// Bad XTLS input returns a typed error. Every XTLS IQ-set gets exactly
    /// one answer (RFC 6120 §8.2.3), whatever is wrong with it (too large,
    /// malformed, unknown tunnel, wrong state, limits): the matching stanza
    /// error has been queued, and an error that affects a tunnel has closed
    /// it ([`Event::Closed`]).
    pub fn handle_incoming(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
        self.tick(now);
        if is_message_or_presence(stanza) {
            return Ok(Incoming::NotXtls);
        }
        self.io.answered = false;
        let result = self.incoming(stanza, now);
        if let Err(e) = &result {
            if !self.io.answered {
                if let Some(head) = wire::read_request_head(stanza, &self.xml_limits) {
                    self.refuse_unreadable(head, e.clone());
                }
            }
        }
        if result != Ok(Incoming::NotXtls) {
            // What went out before this stanza does not answer it.
            self.io.handled = true;
            self.io.transmitted = false;
        }
        result
    }

    /// Answers an XTLS IQ-set that could not be read or addressed, and closes
    /// the sender's tunnel: its TLS stream lost what that IQ carried.
    fn refuse_unreadable(&mut self, head: RequestHead, e: Error) {
        let error = StanzaError::new(Condition::from(&e), Some(e.to_string()));
        self.reply_to(head.from.as_deref(), &head.id, Payload::Error(error));
        let wrong_recipient = matches!(e, Error::WrongRecipient(_));
        if let Some(peer) = head.from.and_then(|f| Jid::parse(&f).ok()) {
            if !wrong_recipient && self.tunnels.contains_key(&peer) {
                self.fail(&peer, e);
            }
        }
    }

    /// [`Endpoint::handle_incoming`] for anything that might be XTLS.
    fn incoming(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
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
                    method: iq.method(),
                    octets: Ok(&rx),
                };
                self.on_request(iq.from(), iq.to(), iq.id(), request, now)
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
        let method;
        let request = match iq.payload {
            payload
            @ (Payload::Ack | Payload::Error(_) | Payload::Proceed(_) | Payload::Closed) => {
                return self.on_answer(&iq.id, iq.from.as_deref(), payload, now)
            }
            Payload::Start(offer) => Request::Start(offer),
            Payload::Close => Request::Close,
            Payload::Data { method: m, base64 } => {
                // XTLS §4.3 does not forbid whitespace in the base64.
                decoded = base64_simd::forgiving_decode_to_vec(base64.as_bytes())
                    .map_err(|_| Error::Base64);
                method = m;
                Request::Data {
                    method: method.as_deref(),
                    octets: decoded.as_deref().map_err(Clone::clone),
                }
            }
        };
        self.on_request(iq.from.as_deref(), iq.to.as_deref(), &iq.id, request, now)
    }

    /// An XTLS IQ-set: checks its addressing, hands it to its tunnel and
    /// answers a failure with the matching stanza error.
    fn on_request(
        &mut self,
        from: Option<&str>,
        to: Option<&str>,
        id: &str,
        request: Request<'_>,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let from = from.ok_or_else(|| Error::BadRequest("XTLS request without 'from'".into()))?;
        let peer = Jid::parse(from)?;
        if let Some(to) = to {
            if to != self.local.as_str() {
                return Err(Error::WrongRecipient(to.to_owned()));
            }
        }
        let is_start = matches!(request, Request::Start(_));
        let result = match request {
            Request::Start(offer) => self.on_start(&peer, id, offer, now),
            Request::Data { method, octets } => self.on_data(&peer, id, method, octets, now),
            Request::Close => self.on_close(&peer, id),
        };
        match result {
            Ok(()) => Ok(Incoming::Handled),
            Err(e) => {
                let condition = match &e {
                    // XTLS §4.2: a start whose offer we cannot use.
                    Error::UnsupportedMethod(_) if is_start => Condition::NotAcceptable,
                    e => Condition::from(e),
                };
                self.reply(
                    &peer,
                    id,
                    Payload::Error(StanzaError::new(condition, Some(e.to_string()))),
                );
                // Data or close that failed leave the tunnel's TLS stream
                // without what they carried: it is closed and invalid
                // (XTLS §4.5).
                if !is_start && self.tunnels.contains_key(&peer) {
                    self.fail(&peer, e.clone());
                }
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
        let is_error = matches!(payload, Payload::Error(_));
        let Some(pending) = self.io.answer(id, from, is_error) else {
            // A late answer (its tunnel is gone) or a copy of one.
            if self.io.is_old(id) {
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
            // What a refused data IQ carried, and all after it, did not
            // arrive: handed back as not delivered.
            if pending.kind == PendingKind::Data {
                if let Some(t) = self.tunnels.get_mut(&peer) {
                    t.on_refused(id);
                }
            }
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
                    t.on_ack(id, now);
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
        let offer_hashes = offer
            .map(|o| offer_hashes(&o.x509_hashes))
            .unwrap_or_default();
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

    fn on_start(
        &mut self,
        peer: &Jid,
        id: &str,
        offer: Option<Offer>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let existing = self.tunnels.get(peer).map(|t| {
            let same = t
                .peer_start
                .as_ref()
                .is_some_and(|(sid, o)| sid == id && *o == offer);
            (t.state(), same)
        });
        match existing {
            // The start that made this tunnel, delivered again (XEP-0198
            // resends, a server's retry): answered again, nothing changes.
            // A restarted peer that reuses the id and offer looks the same
            // here; its fresh ClientHello tells it apart (`on_data`).
            Some((_, true)) => {
                self.reply(peer, id, Payload::Proceed(self.offer.clone()));
                return Ok(());
            }
            // A new start from a peer that has a tunnel with us: it lost its
            // state (a restart), so the tunnel it knew is gone.
            Some((state, false)) if state != TunnelState::Starting => {
                self.remove(peer, CloseReason::PeerRestarted);
            }
            _ => {}
        }
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let mut abandoned = None;
        if self.tunnels.contains_key(peer) {
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
            if let Some(sid) = abandoned.as_mut().and_then(|t| t.take_start_id()) {
                self.io.retire_id(sid);
            }
        }
        let offer_kept = offer.clone();
        match self.accept(peer, offer, now) {
            Ok(mut t) => {
                if let Some(mut old) = abandoned {
                    t.adopt_queue(&mut old);
                }
                t.peer_start = Some((id.to_owned(), offer_kept));
                self.reply(peer, id, Payload::Proceed(self.offer.clone()));
                self.tunnels.insert(peer.clone(), Box::new(t));
                Ok(())
            }
            Err(e) => {
                // Our own start gave way to this one, which failed: what the
                // application queued in ours comes back.
                if let Some(old) = abandoned {
                    self.report_closed(peer, old, CloseReason::Error(e.clone()));
                }
                Err(e)
            }
        }
    }

    /// The responder's tunnel for a peer's start, its TLS server ready.
    /// The host's gate decides first, before any TLS state exists; then the
    /// tunnel limit; then room among the half-open tunnels is made by
    /// evicting the oldest ([`Limits::max_half_open`]).
    fn accept(&mut self, peer: &Jid, offer: Option<Offer>, now: UnixTime) -> Result<Tunnel, Error> {
        if !self.gate.admits(peer) {
            return Err(Error::Disabled);
        }
        self.check_tunnel_limit()?;
        self.make_half_open_room(peer);
        if let Some(o) = &offer {
            if o.x509_hashes.is_empty() && o.srp {
                return Err(Error::UnsupportedMethod("srp".into()));
            }
        }
        let check = self.check_for(peer, false, offer.as_ref())?;
        let slot = PeerSlot::new(check);
        let conn = ServerConnection::new(self.tls.server(slot.clone())?)?;
        let mut t = self.new_tunnel(peer, Role::Responder, now);
        t.attach_tls(Connection::Server(conn), slot, now);
        Ok(t)
    }

    /// Evicts the oldest half-open tunnels until a start from `peer` fits
    /// both [`Limits::max_half_open_per_peer`] and
    /// [`Limits::max_half_open`] (a SYN backlog: a flood of starts pushes
    /// out its own, and an honest peer completes within a round trip). The
    /// evicted peer is sent `<close/>`.
    fn make_half_open_room(&mut self, peer: &Jid) {
        let l = self.limits;
        loop {
            let oldest = |same_account: bool| {
                self.tunnels
                    .values()
                    .filter(|t| t.is_half_open())
                    .filter(|t| !same_account || t.peer.bare_str() == peer.bare_str())
                    .fold((0, None::<&Tunnel>), |(n, old), t| {
                        let older = old.filter(|o| o.created < t.created).unwrap_or(t);
                        (n + 1, Some(older))
                    })
            };
            let (mine, my_oldest) = oldest(true);
            let (all, all_oldest) = oldest(false);
            let victim = if mine >= l.max_half_open_per_peer {
                my_oldest
            } else if all >= l.max_half_open {
                all_oldest
            } else {
                None
            };
            let Some(victim) = victim.map(|t| t.peer.clone()) else {
                return;
            };
            self.send_close(&victim);
            let limit = if mine >= l.max_half_open_per_peer {
                l.max_half_open_per_peer
            } else {
                l.max_half_open
            };
            self.remove(&victim, CloseReason::Error(Error::TooManyTunnels { limit }));
        }
    }

    fn on_proceed(&mut self, peer: &Jid, offer: Option<Offer>, now: UnixTime) -> Result<(), Error> {
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
        t.attach_tls(Connection::Client(conn), slot, now);
        Ok(())
    }

    /// Sends `<close/>` for a tunnel that is about to be dropped, so the peer
    /// drops its side too; its answer will be absorbed as late.
    fn send_close(&mut self, peer: &Jid) {
        let id = self.io.next_id();
        self.io.push_control(wire::iq_xml(
            &id,
            Some(self.local.as_str()),
            Some(peer.as_str()),
            &Payload::Close,
        ));
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
        // The same data IQ again (same id, same content) is acknowledged
        // again, not read twice.
        let seen = match &octets {
            Ok(o) => t.seen_data(id, o),
            Err(_) => Seen::New,
        };
        if seen == Seen::New {
            // A fresh ClientHello on a tunnel whose handshake completed:
            // the peer restarted, reusing its start's id, so that start
            // looked like a copy. The old tunnel is replaced by one made
            // from that start.
            let restart = octets.as_ref().is_ok_and(|o| starts_with_client_hello(o))
                && t.restarts_on_client_hello();
            if restart {
                let start = t.peer_start.clone();
                self.remove(peer, CloseReason::PeerRestarted);
                let (sid, offer) = start.unwrap_or_default();
                let mut fresh = self.accept(peer, offer.clone(), now)?;
                fresh.peer_start = Some((sid, offer));
                if let Ok(o) = &octets {
                    fresh.seen_data(id, o);
                }
                self.tunnels.insert(peer.clone(), Box::new(fresh));
            }
            let Some(t) = self.tunnels.get_mut(peer) else {
                return Err(Error::NoTunnel(peer.to_string()));
            };
            let was_handshaking = t.state() == TunnelState::Handshaking;
            t.on_data(
                method,
                octets,
                now,
                &mut self.certs,
                &self.remembered,
                &mut self.io,
            )?;
            // The verifier's check is done once the handshake is: the
            // registry need not keep it for the tunnel's life.
            if was_handshaking && t.role == Role::Initiator && t.state() != TunnelState::Handshaking
            {
                if let Ok(name) = session_name(peer) {
                    self.tls.registry.unregister(&name.to_str());
                }
            }
        }
        // The acknowledgement goes out behind the data this input produces.
        self.io.answered = true;
        self.io.acks.push_back(wire::iq_xml(
            id,
            Some(self.local.as_str()),
            Some(peer.as_str()),
            &Payload::Ack,
        ));
        self.after_progress(peer);
        Ok(())
    }

    fn on_close(&mut self, peer: &Jid, id: &str) -> Result<(), Error> {
        let Some(t) = self.tunnels.get(peer) else {
            return Err(Error::NoTunnel(peer.to_string()));
        };
        let ours_unanswered = t.role == Role::Initiator && t.state() == TunnelState::Starting;
        self.reply(peer, id, Payload::Closed);
        // Our start is not answered yet: the peer cannot be closing the
        // tunnel it starts (it would refuse the start instead), so this
        // closes an earlier one, which it gave up while this start was on
        // its way. It is answered, and the new tunnel goes on.
        if ours_unanswered {
            return Ok(());
        }
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
