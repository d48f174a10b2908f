//! What an endpoint reports to its user, pulled with
//! [`Endpoint::poll_event`](super::Endpoint::poll_event).

use super::trust::PeerAuth;
use crate::error::Error;
use crate::jid::Jid;
use crate::report::ConnectionReport;

/// Which side of the tunnel we are (XTLS §3: initiator = TLS client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
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
#[non_exhaustive]
pub enum CloseReason {
    /// We closed it and the peer acknowledged.
    Local,
    /// The peer closed it.
    Peer,
    /// The application reported the peer unavailable.
    PeerUnavailable,
    /// The peer sent a new `<start/>` while this tunnel existed (outside a
    /// simultaneous start): it lost its state (a restart), so this tunnel
    /// was replaced by the new one.
    PeerRestarted,
    /// An answer did not come in time ([`Limits`](super::Limits)' deadlines,
    /// driven by [`Endpoint::handle_timeout`](super::Endpoint::handle_timeout)).
    Timeout(Wait),
    /// An error made the tunnel invalid (XTLS §4.5); includes the peer
    /// refusing our start.
    Error(Error),
}

/// What a tunnel was waiting for when its deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum Wait {
    /// `<proceed/>`, the answer to our `<start/>` (XTLS §4.1).
    Proceed,
    /// The end of the TLS handshake (XTLS §4.2).
    Handshake,
    /// The acknowledgement of a `<data/>` IQ (XTLS §4.3).
    Ack,
    /// `<closed/>`, the answer to our `<close/>` (XTLS §4.5).
    Closed,
}

impl Wait {
    /// A stable lowercase name: `proceed`, `handshake`, `ack`, `closed`
    /// ([`Named`](crate::names::Named)'s table).
    pub fn as_str(self) -> &'static str {
        crate::names::Named::name(self)
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Local => f.write_str("closed by us"),
            CloseReason::Peer => f.write_str("closed by the peer"),
            CloseReason::PeerUnavailable => f.write_str("peer unavailable"),
            CloseReason::PeerRestarted => f.write_str("the peer restarted the tunnel"),
            CloseReason::Timeout(w) => write!(f, "no {} in time", w.as_str()),
            CloseReason::Error(e) => write!(f, "{e}"),
        }
    }
}

/// A stanza the application sent through a tunnel that ended before the
/// peer acknowledged it: handed back in [`Event::Closed`], never dropped
/// silently. The application decides whether to send it again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReturnedStanza {
    /// The stanza, `from`/`to` restored as they were or would be delivered.
    pub stanza: String,
    /// It left in a `<data/>` IQ whose acknowledgement never came: the peer
    /// may have received it. `false`: it never left this endpoint.
    pub maybe_delivered: bool,
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
        /// Every stanza sent through the tunnel that the peer did not
        /// acknowledge, in the order it was sent.
        returned: Vec<ReturnedStanza>,
    },
}

crate::names::named!(Role, "role" {
    Initiator = 1, "initiator";
    Responder = 2, "responder";
});

crate::names::named!(Wait, "wait" {
    Proceed = 1, "proceed";
    Handshake = 2, "handshake";
    Ack = 3, "ack";
    Closed = 4, "closed";
});
