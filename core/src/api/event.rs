//! Events and tunnel information flattened for foreign runtimes: plain
//! fields, small enums with stable names and codes ([`Named`](super::Named)),
//! no nested errors. What C's event accessors, the JS event objects and the
//! uniffi records all read.

use super::names::{CloseKind, EventKind, PeerAuthKind};
use crate::policy::AuthMethod;
use crate::report::ConnectionReport;
use crate::xtls::{CloseReason, Event, PeerAuth, ReturnedStanza, Role, TunnelInfo, Wait};

/// What a tunnel negotiated and how its peer was authenticated
/// ([`TunnelInfo`], flat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSummary {
    /// Our side (XTLS §3: the initiator is the TLS client).
    pub role: Role,
    /// `TLSv1.3` or `TLSv1.2`.
    pub tls_version: String,
    /// IANA name of the suite.
    pub cipher_suite: String,
    /// Key exchange group, e.g. `X25519`.
    pub kx_group: String,
    /// The TLS session was resumed.
    pub resumed: bool,
    /// How the peer was authenticated.
    pub peer_auth: PeerAuthKind,
    /// The same, for people (names the matched identifier).
    pub peer_auth_text: String,
    /// The method as reports and policies name it (RFC 7590 §3.4).
    pub authentication: AuthMethod,
    /// This handshake pinned the peer's key (trust on first use): the
    /// application stores the pin now.
    pub first_use: bool,
    /// Lowercase hex SHA-256 of the peer's certificate.
    pub peer_certificate_sha256: String,
    /// Lowercase hex SHA-256 of the peer's public key (its pin).
    pub peer_spki_sha256: String,
    /// The peer's XEP-0250 offer named its certificate and it matched.
    pub offer_verified: bool,
    /// The tunnel's RFC 7590 §3.6 report.
    pub report: ConnectionReport,
}

impl From<&TunnelInfo> for TunnelSummary {
    fn from(i: &TunnelInfo) -> Self {
        TunnelSummary {
            role: i.role,
            tls_version: i.tls_version.clone(),
            cipher_suite: i.cipher_suite.clone(),
            kx_group: i.kx_group.clone(),
            resumed: i.resumed,
            peer_auth: PeerAuthKind::from(&i.peer_auth),
            peer_auth_text: i.peer_auth.to_string(),
            authentication: i.peer_auth.method(),
            first_use: i.peer_auth == (PeerAuth::TrustOnFirstUse { first_use: true }),
            peer_certificate_sha256: i.peer_certificate_sha256.clone(),
            peer_spki_sha256: i.peer_spki_sha256.clone(),
            offer_verified: i.offer_verified,
            report: i.report.clone(),
        }
    }
}

/// One [`Event`], flat: which kind, the peer, and the fields that kind
/// fills (the others stay empty, zero or `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatEvent {
    /// Which event.
    pub kind: EventKind,
    /// The peer's full JID.
    pub peer: String,
    /// The peer's bare JID (the key pins are kept under).
    pub peer_bare: String,
    /// `Stanza`: the stanza, routing restored. `StanzaRejected` and
    /// `Closed`: why, in a sentence. `Established`: empty.
    pub text: String,
    /// The [`Error::code`](crate::Error::code) of a rejected stanza or of a
    /// close by error; 0 otherwise.
    pub error_code: u32,
    /// `Closed`: why.
    pub close: Option<CloseKind>,
    /// `Closed` by [`CloseKind::Timeout`]: what was awaited.
    pub waited: Option<Wait>,
    /// `Closed`: stanzas the peer did not acknowledge, oldest first (handed
    /// back, never dropped).
    pub returned: Vec<ReturnedStanza>,
    /// `Established`: what was negotiated.
    pub summary: Option<Box<TunnelSummary>>,
}

impl FlatEvent {
    /// For a key just pinned on first use: the bare JID and the pin, which
    /// an application that keeps pins itself stores now.
    pub fn pinned_on_first_use(&self) -> Option<(&str, &str)> {
        self.summary
            .as_ref()
            .filter(|s| s.first_use)
            .map(|s| (self.peer_bare.as_str(), s.peer_spki_sha256.as_str()))
    }
}

impl From<Event> for FlatEvent {
    fn from(e: Event) -> Self {
        let kind = EventKind::from(&e);
        let (peer, mut flat) = match e {
            Event::Established { peer, info } => (
                peer,
                FlatEvent {
                    summary: Some(Box::new(TunnelSummary::from(&*info))),
                    ..empty(kind)
                },
            ),
            Event::Stanza { peer, stanza } => (
                peer,
                FlatEvent {
                    text: stanza,
                    ..empty(kind)
                },
            ),
            Event::StanzaRejected { peer, error } => (
                peer,
                FlatEvent {
                    text: error.to_string(),
                    error_code: error.code(),
                    ..empty(kind)
                },
            ),
            Event::Closed {
                peer,
                reason,
                returned,
            } => (
                peer,
                FlatEvent {
                    text: reason.to_string(),
                    error_code: match &reason {
                        CloseReason::Error(e) => e.code(),
                        _ => 0,
                    },
                    close: Some(CloseKind::from(&reason)),
                    waited: match reason {
                        CloseReason::Timeout(w) => Some(w),
                        _ => None,
                    },
                    returned,
                    ..empty(kind)
                },
            ),
        };
        flat.peer = peer.to_string();
        flat.peer_bare = peer.bare_str().to_owned();
        flat
    }
}

fn empty(kind: EventKind) -> FlatEvent {
    FlatEvent {
        kind,
        peer: String::new(),
        peer_bare: String::new(),
        text: String::new(),
        error_code: 0,
        close: None,
        waited: None,
        returned: Vec::new(),
        summary: None,
    }
}
