//! The XTLS endpoint as a uniffi object: stanzas in, stanzas and events
//! out, time from the device clock. Settings, states and names are the
//! core facade's own types (`xmpptls::api`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use xmpptls::api::{EndpointSettings, TunnelEvent, TunnelSummary};
use xmpptls::xtls::TunnelState;
use xmpptls::{Incoming, UnixTime};

use crate::error::{parse_jid, XmppTlsError};
use crate::pins::PinStore;

/// An XTLS endpoint for one full JID, managing tunnels to many peers.
/// Feed it every IQ the XMPP library receives (`handleIncoming`), send what
/// `pollTransmit` returns, act on `pollEvent`. Safe to share between
/// threads; calls are serialised.
#[derive(uniffi::Object)]
pub struct Endpoint {
    inner: Mutex<xmpptls::Endpoint>,
}

impl Endpoint {
    fn lock(&self) -> MutexGuard<'_, xmpptls::Endpoint> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Endpoint {
    /// An endpoint. `pins` is read by the `Pinned` and `TrustOnFirstUse`
    /// modes and receives keys pinned on first use; without it pins live in
    /// memory only, starting from `settings.pinsJson`. Pins in both are a
    /// configuration error (code 500, the core's `Endpoint::share_pins`).
    #[uniffi::constructor(default(pins = None))]
    pub fn new(
        settings: EndpointSettings,
        pins: Option<Arc<PinStore>>,
    ) -> Result<Arc<Self>, XmppTlsError> {
        let mut inner = settings.build()?;
        if let Some(p) = pins {
            inner.share_pins(p.shared.clone())?;
        }
        Ok(Arc::new(Endpoint {
            inner: Mutex::new(inner),
        }))
    }

    /// Our full JID.
    pub fn jid(&self) -> String {
        self.lock().local_jid().to_string()
    }

    /// Our public key's pin (hex SHA-256 of our SubjectPublicKeyInfo), for
    /// a peer to confirm out of band.
    pub fn local_pin(&self) -> String {
        self.lock().local_pin().to_owned()
    }

    /// Processes one received stanza. True when it was XTLS (consumed);
    /// false when the XMPP library should process it as usual.
    pub fn handle_incoming(&self, stanza: String) -> Result<bool, XmppTlsError> {
        let got = self
            .lock()
            .handle_incoming(stanza.as_bytes(), UnixTime::now())?;
        Ok(got == Incoming::Handled)
    }

    /// Opens a tunnel to `peer` (a full JID). Stanzas may be sent at once;
    /// they wait for the handshake.
    pub fn open_tunnel(&self, peer: String) -> Result<(), XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self.lock().open(&peer, UnixTime::now())?)
    }

    /// Sends a stanza through the tunnel to `peer`. Taken whole or refused
    /// with nothing changed; if the tunnel ends before the peer acknowledges
    /// it, the `Closed` event hands it back.
    pub fn send(&self, peer: String, stanza: String) -> Result<(), XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self
            .lock()
            .send(&peer, stanza.as_bytes(), UnixTime::now())?)
    }

    /// Closes the tunnel to `peer` (XTLS §4.5).
    pub fn close_tunnel(&self, peer: String) -> Result<(), XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self.lock().close(&peer, UnixTime::now())?)
    }

    /// When `handleTimeout` must next be called, in seconds since the Unix
    /// epoch; `null` when no tunnel waits for an answer. Ask again after
    /// every call (a timer per endpoint is enough).
    pub fn poll_timeout(&self) -> Option<u64> {
        self.lock().poll_timeout().map(|t| t.as_secs())
    }

    /// Closes every tunnel whose deadline has passed (`Closed` events with
    /// `CloseReason.Timeout`, handing back what the peer did not
    /// acknowledge).
    /// `now_secs`: the time to take as now, in seconds since the Unix
    /// epoch (what `pollTimeout` gives); the device clock when left out.
    /// Scripted scenarios and tests move the clock with it.
    #[uniffi::method(default(now_secs = None))]
    pub fn handle_timeout(&self, now_secs: Option<u64>) {
        let now = now_secs
            .map(|s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s)))
            .unwrap_or_else(UnixTime::now);
        self.lock().handle_timeout(now);
    }

    /// After handling a read and draining `pollTransmit`: true when XTLS
    /// stanzas were handled and nothing was sent in answer. Then write one
    /// space to the XMPP stream (a whitespace keepalive, RFC 6120 §4.6.1) or
    /// set `TCP_QUICKACK`: a server with Nagle's algorithm on (Prosody's
    /// default) otherwise holds its next write to this client until the
    /// kernel's delayed ACK, ~40 ms per exchange.
    pub fn poll_keepalive(&self) -> bool {
        self.lock().poll_keepalive()
    }

    /// Tears down tunnels with `jid` after it went offline (a bare JID
    /// covers all its resources).
    pub fn peer_unavailable(&self, jid: String) -> Result<(), XmppTlsError> {
        let peer = parse_jid(&jid)?;
        self.lock().peer_unavailable(&peer);
        Ok(())
    }

    /// Accepts or refuses (`service-unavailable`) incoming tunnels.
    pub fn set_enabled(&self, enabled: bool) {
        self.lock().set_enabled(enabled);
    }

    /// Accepts starts only from JIDs listed with `allowStartsFrom` (true),
    /// or from anyone (false, the default). Others get
    /// `service-unavailable` and take no tunnel slot.
    pub fn restrict_starts(&self, restricted: bool) {
        self.lock().restrict_starts(restricted);
    }

    /// Lists a JID's bare form, or a whole domain, as one that may start
    /// tunnels while starts are restricted (e.g. the roster's contacts).
    pub fn allow_starts_from(&self, jid: String) -> Result<(), XmppTlsError> {
        let j = parse_jid(&jid)?;
        self.lock().allow_starts_from(&j);
        Ok(())
    }

    /// Takes a JID (bare form) or domain off that list; false when it was
    /// not listed.
    pub fn revoke_starts_from(&self, jid: String) -> Result<bool, XmppTlsError> {
        let j = parse_jid(&jid)?;
        Ok(self.lock().revoke_starts_from(&j))
    }

    /// Half-open tunnels: peers' starts whose handshake is not complete.
    /// A signed count (Kotlin `Int`, Swift `Int32`): what the platforms'
    /// own collections return, so no `UInt` conversion in app code.
    pub fn half_open_count(&self) -> i32 {
        i32::try_from(self.lock().half_open_count()).unwrap_or(i32::MAX)
    }

    /// TLS octets a second the tunnel with `peer` has seen its path
    /// deliver (a lower bound from acknowledgements; 0 before the first);
    /// `null` without a tunnel. The window and deadlines follow it.
    pub fn path_rate(&self, peer: String) -> Result<Option<u64>, XmppTlsError> {
        let p = parse_jid(&peer)?;
        Ok(self.lock().path_rate(&p))
    }

    /// Everything to write to the XMPP stream now, as one string: the
    /// stanzas `pollTransmit` has, then one space when `pollKeepalive`
    /// asks for one; `null` when there is nothing. The one call a host
    /// makes after each read, send and timeout.
    pub fn poll_write(&self) -> Option<String> {
        self.lock().poll_write_at(UnixTime::now())
    }

    /// The next stanza to send through the XMPP connection.
    pub fn poll_transmit(&self) -> Option<String> {
        self.lock().poll_transmit_at(UnixTime::now())
    }

    /// Every stanza waiting to be sent, in order, in one call (each call
    /// across the FFI costs more than the core's work on a small stanza):
    /// send them in one write where the host can.
    pub fn poll_transmits(&self) -> Vec<String> {
        let mut ep = self.lock();
        let now = UnixTime::now();
        std::iter::from_fn(|| ep.poll_transmit_at(now)).collect()
    }

    /// Every event waiting, in order, in one call.
    pub fn poll_events(&self) -> Vec<TunnelEvent> {
        let mut ep = self.lock();
        std::iter::from_fn(|| ep.poll_event())
            .map(TunnelEvent::from)
            .collect()
    }

    /// The next event.
    pub fn poll_event(&self) -> Option<TunnelEvent> {
        self.lock().poll_event().map(TunnelEvent::from)
    }

    /// The state of the tunnel with `peer`, `null` when there is none.
    pub fn tunnel_state(&self, peer: String) -> Result<Option<TunnelState>, XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self.lock().tunnel_state(&peer))
    }

    /// What the tunnel with `peer` negotiated, once established.
    pub fn tunnel_info(&self, peer: String) -> Result<Option<TunnelSummary>, XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self
            .lock()
            .tunnel_info(&peer)
            .map(|i| TunnelSummary::from(&i)))
    }

    /// The number of tunnels in any state (signed, like
    /// [`half_open_count`](Self::half_open_count)).
    pub fn tunnel_count(&self) -> i32 {
        i32::try_from(self.lock().tunnel_count()).unwrap_or(i32::MAX)
    }
}
