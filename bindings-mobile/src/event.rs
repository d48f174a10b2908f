//! What an endpoint reports, as uniffi types: the core's flat event
//! (`xmpptls::api::FlatEvent`) as a sealed class / enum with data, which
//! Kotlin, Swift and Python match on.

use xmpptls::api::{CloseKind, FlatEvent, ReportSummary, TunnelSummary};
use xmpptls::{ReturnedStanza, Role, Wait};

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
    pub report: ReportSummary,
}

impl From<&TunnelSummary> for TunnelInfo {
    fn from(i: &TunnelSummary) -> Self {
        TunnelInfo {
            role: i.role,
            tls_version: i.tls_version.clone(),
            cipher_suite: i.cipher_suite.clone(),
            kx_group: i.kx_group.clone(),
            resumed: i.resumed,
            peer_auth: i.peer_auth_text.clone(),
            first_use: i.first_use,
            peer_certificate_sha256: i.peer_certificate_sha256.clone(),
            peer_spki_sha256: i.peer_spki_sha256.clone(),
            offer_verified: i.offer_verified,
            report: ReportSummary::from(&i.report),
        }
    }
}

/// Why a tunnel ended. Its text (Kotlin `toString`, Swift `description`,
/// Python `str`) uses the core's close reason names: `local`,
/// `timeout (waiting for ack)`, `error 301: …`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
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
        code: i32,
        /// What happened.
        detail: String,
    },
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use xmpptls::api::Named;
        let kind = match self {
            CloseReason::Local => CloseKind::Local,
            CloseReason::Peer => CloseKind::Peer,
            CloseReason::PeerUnavailable => CloseKind::PeerUnavailable,
            CloseReason::PeerRestarted => CloseKind::PeerRestarted,
            CloseReason::Timeout { waited } => {
                return write!(
                    f,
                    "{} (waiting for {})",
                    CloseKind::Timeout.name(),
                    waited.name()
                )
            }
            CloseReason::Error { code, detail } => {
                return write!(f, "{} {code}: {detail}", CloseKind::Error.name())
            }
        };
        f.write_str(kind.name())
    }
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
        code: i32,
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
                    code: code as i32,
                    detail: e.text,
                },
            };
        };
        let reason = match (close, e.waited) {
            (CloseKind::Local, _) => CloseReason::Local,
            (CloseKind::Peer, _) => CloseReason::Peer,
            (CloseKind::PeerUnavailable, _) => CloseReason::PeerUnavailable,
            (CloseKind::PeerRestarted, _) => CloseReason::PeerRestarted,
            (CloseKind::Timeout, Some(waited)) => CloseReason::Timeout { waited },
            _ => CloseReason::Error {
                code: e.error_code as i32,
                detail: e.text,
            },
        };
        TunnelEvent::Closed {
            peer,
            reason,
            returned: e.returned,
        }
    }
}
