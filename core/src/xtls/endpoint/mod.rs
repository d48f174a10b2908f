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
use super::tunnel::{
    starts_with_client_hello, NewPin, Origin, Seen, Tunnel, TunnelSettings, TunnelState,
};
use super::wire::{self, Condition, Offer, Payload, RequestHead, StanzaError};
use crate::error::{Error, TrustError};
use crate::identity::hex;
use crate::identity::pkix::Roots;
use crate::jid::Jid;
use crate::pins::{PinStorage, PinStore, SharedPins};
use crate::xml::{self, XmlLimits};

mod incoming;
mod output;
mod peer_trust;
mod requests;
mod timers;

use peer_trust::{ExternalPins, Trust};
use requests::{session_name, DataIn};

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
    /// We offer data in IQ results ([`EndpointConfig::piggyback`]).
    piggyback: bool,
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
            config.send_from,
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
            piggyback: config.piggyback,
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
        let mut t = self.new_tunnel(peer, Origin::Ours, now);
        let id = self.io.next_id();
        self.io.push_control(wire::iq_xml(
            &id,
            self.shared.sender(),
            Some(peer.as_str()),
            &Payload::Start {
                offer: self.offer.clone(),
                piggyback: self.piggyback,
            },
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
        // A stanza an earlier tunnel handed back after it went into TLS
        // goes with a marker, so the peer drops it if a copy arrived.
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
    fn new_tunnel(&mut self, peer: &Jid, origin: Origin, now: UnixTime) -> Tunnel {
        self.made += 1;
        Tunnel::new(peer.clone(), origin, self.shared.clone(), now, self.made)
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
        if let Some(mut t) = self.tunnels.remove(peer) {
            // What it read is answered even though it ends (RFC 6120
            // §8.2.3): those IQs were read whole.
            t.answer_owed(&mut self.io);
            self.io.retire(peer);
            self.report_closed(peer, t, reason);
        }
    }

    /// Tells the application a tunnel (no longer in the map) ended, and
    /// remembers what it takes to recognise resent stanzas later.
    fn report_closed(&mut self, peer: &Jid, mut t: Box<Tunnel>, reason: CloseReason) {
        if t.origin.role() == Role::Initiator {
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

    /// The certificate hash we announce in offers.
    pub fn offer_fingerprint(&self) -> Option<&str> {
        self.offer
            .as_ref()
            .and_then(|o| o.x509_hashes.first())
            .map(String::as_str)
    }
}
