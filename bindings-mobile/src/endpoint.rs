//! The XTLS tunnel endpoint as a uniffi object: stanzas in, stanzas and
//! events out, time from the device clock.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use xmpptls::api::{
    CloseKind, EndpointSettings as CoreSettings, FlatEvent, IdentityPem as CoreIdentityPem,
    TrustKind, TunnelSummary,
};
use xmpptls::xtls::TunnelState as CoreState;
use xmpptls::{
    Incoming, Role as CoreRole, TlsVersions as CoreVersions, UnixTime, Wait as CoreWait,
};

use crate::error::{parse_jid, XmppTlsError};
use crate::identity::IdentityPem;
use crate::pins::{PinStore, SharedPins};
use crate::report::Report;

/// How peers' certificates are trusted (XTLS §4.2 and beyond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TrustMode {
    /// The certificate hash in the peer's XEP-0250 offer (the spec's model;
    /// as trustworthy as the servers that carry the offer).
    Offer,
    /// Trust on first use: the first key per bare JID is pinned; a changed
    /// key fails the handshake with a `Trust` error.
    TrustOnFirstUse,
    /// PKIX to `roots_pem`, the peer's bare JID as XmppAddr.
    Pkix,
    /// Only peers pinned in the `PinStore` beforehand.
    Pinned,
}

/// TLS versions of tunnels; all are ECDHE + AEAD only (RFC 7525 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TlsVersions {
    /// TLS 1.3 and 1.2.
    Tls12And13,
    /// TLS 1.3 only.
    Tls13Only,
    /// TLS 1.2 only.
    Tls12Only,
}

/// Settings of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EndpointSettings {
    /// Our full JID.
    pub jid: String,
    /// How peers are trusted.
    pub trust: TrustMode,
    /// Our certificate and key; `null` generates a self-signed one (store
    /// it with `generateIdentity` instead to keep the key across restarts).
    #[uniffi(default = None)]
    pub identity: Option<IdentityPem>,
    /// Root certificates (PEM) for `TrustMode.PKIX`.
    #[uniffi(default = None)]
    pub roots_pem: Option<String>,
    /// Versions; `null` for 1.3 and 1.2.
    #[uniffi(default = None)]
    pub versions: Option<TlsVersions>,
    /// Announce our certificate hash in XEP-0250 offers.
    #[uniffi(default = true)]
    pub send_offer: bool,
    /// Accept incoming tunnels (false: `service-unavailable`).
    #[uniffi(default = true)]
    pub enabled: bool,
}

/// Our side of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// We opened it (TLS client).
    Initiator,
    /// The peer opened it (TLS server).
    Responder,
}

/// The life of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TunnelState {
    /// `<start/>` sent or received, no `<proceed/>` yet.
    Starting,
    /// The TLS handshake is running.
    Handshaking,
    /// Stanzas flow.
    Established,
    /// `<close/>` sent, waiting for `<closed/>`.
    Closing,
}

/// What a tunnel negotiated and how the peer was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TunnelInfo {
    /// Our role.
    pub role: Role,
    /// `TLSv1.3` or `TLSv1.2`.
    pub tls_version: String,
    /// IANA suite name.
    pub cipher_suite: String,
    /// Key exchange group.
    pub kx_group: String,
    /// The TLS session was resumed.
    pub resumed: bool,
    /// How the peer was authenticated, for people.
    pub peer_auth: String,
    /// This handshake pinned the peer's key (trust on first use).
    pub first_use: bool,
    /// Hex SHA-256 of the peer's certificate.
    pub peer_certificate_sha256: String,
    /// Hex SHA-256 of the peer's public key (its pin).
    pub peer_spki_sha256: String,
    /// The peer's XEP-0250 offer named its certificate and it matched.
    pub offer_verified: bool,
    /// The tunnel's RFC 7590 §3.6 report.
    pub report: Report,
}

impl From<&TunnelSummary> for TunnelInfo {
    fn from(i: &TunnelSummary) -> Self {
        TunnelInfo {
            role: match i.role {
                CoreRole::Initiator => Role::Initiator,
                CoreRole::Responder => Role::Responder,
            },
            tls_version: i.tls_version.clone(),
            cipher_suite: i.cipher_suite.clone(),
            kx_group: i.kx_group.clone(),
            resumed: i.resumed,
            peer_auth: i.peer_auth_text.clone(),
            first_use: i.first_use,
            peer_certificate_sha256: i.peer_certificate_sha256.clone(),
            peer_spki_sha256: i.peer_spki_sha256.clone(),
            offer_verified: i.offer_verified,
            report: Report::from(&i.report),
        }
    }
}

/// What a tunnel waited for when its deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Wait {
    /// `<proceed/>`, the answer to our start.
    Proceed,
    /// The end of the TLS handshake.
    Handshake,
    /// The acknowledgement of a data IQ.
    Ack,
    /// `<closed/>`, the answer to our close.
    Closed,
}

/// A stanza a closed tunnel hands back: sent, not acknowledged by the peer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReturnedStanza {
    /// The stanza's XML, `from`/`to` set.
    pub stanza: String,
    /// It left in a data IQ whose acknowledgement never came: the peer may
    /// have it. False: it never left this device.
    pub maybe_delivered: bool,
}

/// Why a tunnel ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CloseReason {
    /// We closed it.
    Local,
    /// The peer closed it.
    Peer,
    /// The app reported the peer gone (`peerUnavailable`).
    PeerUnavailable,
    /// The peer started a new tunnel (it restarted); this one was replaced.
    PeerRestarted,
    /// An answer did not come in time (`handleTimeout`).
    Timeout {
        /// What was awaited.
        waited: Wait,
    },
    /// An error ended it (XTLS §4.5); the code is `XmppTlsError`'s.
    Error {
        /// The stable code.
        code: u32,
        /// What happened.
        detail: String,
    },
}

/// What an endpoint reports.
// Events are serialised across the FFI, and uniffi has no type for a boxed
// record field, so the large `Established` stays inline.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TunnelEvent {
    /// The handshake completed and the peer is authenticated.
    Established {
        /// The peer's full JID.
        peer: String,
        /// What was negotiated.
        info: TunnelInfo,
    },
    /// A stanza arrived through the tunnel, `from`/`to` restored.
    Stanza {
        /// The peer's full JID.
        peer: String,
        /// The stanza's XML.
        stanza: String,
    },
    /// A stanza inside the tunnel was refused (bad XML, forged routing).
    StanzaRejected {
        /// The peer's full JID.
        peer: String,
        /// The stable error code.
        code: u32,
        /// Why.
        detail: String,
    },
    /// The tunnel ended.
    Closed {
        /// The peer's full JID.
        peer: String,
        /// Why.
        reason: CloseReason,
        /// Stanzas sent through the tunnel that the peer did not
        /// acknowledge, oldest first: handed back, never dropped.
        returned: Vec<ReturnedStanza>,
    },
}

impl From<FlatEvent> for TunnelEvent {
    fn from(e: FlatEvent) -> Self {
        let peer = e.peer;
        if let Some(info) = e.summary {
            return TunnelEvent::Established {
                peer,
                info: TunnelInfo::from(&*info),
            };
        }
        let Some(close) = e.close else {
            return match e.error_code {
                0 => TunnelEvent::Stanza {
                    peer,
                    stanza: e.text,
                },
                code => TunnelEvent::StanzaRejected {
                    peer,
                    code,
                    detail: e.text,
                },
            };
        };
        let reason = match (close, e.waited) {
            (CloseKind::Local, _) => CloseReason::Local,
            (CloseKind::Peer, _) => CloseReason::Peer,
            (CloseKind::PeerUnavailable, _) => CloseReason::PeerUnavailable,
            (CloseKind::PeerRestarted, _) => CloseReason::PeerRestarted,
            (CloseKind::Timeout, Some(w)) => CloseReason::Timeout {
                waited: match w {
                    CoreWait::Proceed => Wait::Proceed,
                    CoreWait::Handshake => Wait::Handshake,
                    CoreWait::Ack => Wait::Ack,
                    CoreWait::Closed => Wait::Closed,
                },
            },
            _ => CloseReason::Error {
                code: e.error_code,
                detail: e.text,
            },
        };
        TunnelEvent::Closed {
            peer,
            reason,
            returned: e
                .returned
                .into_iter()
                .map(|r| ReturnedStanza {
                    stanza: r.stanza,
                    maybe_delivered: r.maybe_delivered,
                })
                .collect(),
        }
    }
}

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
    /// memory only.
    #[uniffi::constructor]
    pub fn new(
        settings: EndpointSettings,
        pins: Option<Arc<PinStore>>,
    ) -> Result<Arc<Self>, XmppTlsError> {
        let core = CoreSettings {
            jid: settings.jid,
            trust: match settings.trust {
                TrustMode::Offer => TrustKind::Offer,
                TrustMode::TrustOnFirstUse => TrustKind::TrustOnFirstUse,
                TrustMode::Pkix => TrustKind::Pkix,
                TrustMode::Pinned => TrustKind::Pinned,
            },
            identity: settings.identity.map(|p| CoreIdentityPem {
                chain_pem: p.chain_pem,
                key_pem: p.key_pem,
                pin: String::new(),
            }),
            roots_pem: settings.roots_pem,
            pins_json: None,
            versions: match settings.versions {
                None | Some(TlsVersions::Tls12And13) => CoreVersions::Tls12And13,
                Some(TlsVersions::Tls13Only) => CoreVersions::Tls13Only,
                Some(TlsVersions::Tls12Only) => CoreVersions::Tls12Only,
            },
            send_offer: settings.send_offer,
            enabled: settings.enabled,
        };
        let mut inner = core.build()?;
        if let Some(p) = pins {
            inner.set_pin_storage(Box::new(SharedPins(p)));
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
    pub fn handle_timeout(&self) {
        self.lock().handle_timeout(UnixTime::now());
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

    /// The next stanza to send through the XMPP connection.
    pub fn poll_transmit(&self) -> Option<String> {
        self.lock().poll_transmit()
    }

    /// Every stanza waiting to be sent, in order, in one call (each call
    /// across the FFI costs more than the core's work on a small stanza):
    /// send them in one write where the host can.
    pub fn poll_transmits(&self) -> Vec<String> {
        let mut ep = self.lock();
        std::iter::from_fn(|| ep.poll_transmit()).collect()
    }

    /// Every event waiting, in order, in one call.
    pub fn poll_events(&self) -> Vec<TunnelEvent> {
        let mut ep = self.lock();
        std::iter::from_fn(|| ep.poll_event())
            .map(|e| FlatEvent::from(e).into())
            .collect()
    }

    /// The next event.
    pub fn poll_event(&self) -> Option<TunnelEvent> {
        self.lock().poll_event().map(|e| FlatEvent::from(e).into())
    }

    /// The state of the tunnel with `peer`, `null` when there is none.
    pub fn tunnel_state(&self, peer: String) -> Result<Option<TunnelState>, XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self.lock().tunnel_state(&peer).map(|s| match s {
            CoreState::Starting => TunnelState::Starting,
            CoreState::Handshaking => TunnelState::Handshaking,
            CoreState::Established => TunnelState::Established,
            CoreState::Closing => TunnelState::Closing,
        }))
    }

    /// What the tunnel with `peer` negotiated, once established.
    pub fn tunnel_info(&self, peer: String) -> Result<Option<TunnelInfo>, XmppTlsError> {
        let peer = parse_jid(&peer)?;
        Ok(self
            .lock()
            .tunnel_info(&peer)
            .map(|i| TunnelInfo::from(&TunnelSummary::from(i))))
    }

    /// The number of tunnels in any state.
    pub fn tunnel_count(&self) -> u32 {
        u32::try_from(self.lock().tunnel_count()).unwrap_or(u32::MAX)
    }
}
