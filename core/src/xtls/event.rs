//! What an endpoint reports to its user, pulled with
//! [`Endpoint::poll_event`](super::Endpoint::poll_event).

use super::trust::PeerAuth;
use crate::error::Error;
use crate::jid::Jid;
use crate::report::ConnectionReport;

/// Which side of the tunnel we are (XTLS §3: initiator = TLS client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We sent the start; TLS client.
    Initiator,
    /// We answered a start; TLS server requesting a client certificate.
    Responder,
}

/// What was negotiated for a tunnel, and how the peer was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelInfo {
    /// Our role.
    pub role: Role,
    /// `TLSv1.3` or `TLSv1.2`.
    pub tls_version: String,
    /// IANA name of the cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Key exchange group, e.g. `X25519`.
    pub kx_group: String,
    /// Whether the TLS session was resumed.
    pub resumed: bool,
    /// How we authenticated the peer.
    pub peer_auth: PeerAuth,
    /// Lowercase hex SHA-256 of the peer's certificate.
    pub peer_certificate_sha256: String,
    /// Lowercase hex SHA-256 of the peer's public key (the pin).
    pub peer_spki_sha256: String,
    /// The peer's XEP-0250 offer named its certificate and it matched.
    pub offer_verified: bool,
    /// The RFC 7590 §3.6 report of the tunnel, graded against the
    /// endpoint's policy.
    pub report: ConnectionReport,
}

/// Why a tunnel ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// We closed it and the peer acknowledged.
    Local,
    /// The peer closed it.
    Peer,
    /// The application reported the peer unavailable.
    PeerUnavailable,
    /// An error made the tunnel invalid (XTLS §4.5); includes the peer
    /// refusing our start.
    Error(Error),
}

/// An event of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The TLS handshake completed and the peer is authenticated.
    Established {
        /// The peer.
        peer: Jid,
        /// What was negotiated, and the connection report (boxed: it is
        /// much larger than the other events).
        info: Box<TunnelInfo>,
    },
    /// A stanza arrived through the tunnel, routing restored (XTLS §4.4).
    Stanza {
        /// The peer.
        peer: Jid,
        /// The stanza, with `from` and `to` set.
        stanza: String,
    },
    /// A stanza inside the tunnel was refused (bad XML, not a stanza, or
    /// routing that contradicts the carrying IQ) and not delivered.
    StanzaRejected {
        /// The peer.
        peer: Jid,
        /// Why.
        error: Error,
    },
    /// The tunnel ended; it is gone from the endpoint.
    Closed {
        /// The peer.
        peer: Jid,
        /// Why.
        reason: CloseReason,
    },
}
