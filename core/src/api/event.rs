//! Events and tunnel information as every foreign runtime receives them:
//! one tagged enum ([`TunnelEvent`]) whose variant is the event's kind,
//! made from the core's [`Event`] by an exhaustive match. uniffi carries it
//! as an enum with data (Kotlin sealed class, Swift enum, Python classes),
//! the npm package as a discriminated union on `type`, and C as a kind plus
//! accessors ([`FlatEvent`], made from it). No binding infers a kind from
//! which fields are filled: a new event kind is a new variant, and every
//! `match` on it, in the core and in the bindings, fails to build until it
//! is handled.

use super::names::{CloseKind, EventKind, Named};
use super::report::ReportSummary;
use crate::policy::AuthMethod;
use crate::xtls::{self, Event, PeerAuth, ReturnedStanza, Role, TunnelInfo, Wait};

/// What a tunnel negotiated and how its peer was authenticated: the one
/// shape of tunnel information in every runtime (`TunnelInfo` there).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "TunnelInfo")
)]
pub struct TunnelSummary {
    /// Our side (XTLS §3: the initiator is the TLS client).
    pub role: Role,
    /// `TLSv1.3` or `TLSv1.2`.
    pub tls_version: String,
    /// IANA name of the suite.
    pub cipher_suite: String,
    /// Key exchange group, e.g. `X25519MLKEM768`.
    pub kx_group: String,
    /// The TLS session was resumed.
    pub resumed: bool,
    /// How the peer was authenticated, for people (names the matched
    /// identifier).
    pub peer_auth: String,
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
    /// The tunnel's RFC 7590 §3.6 report (its `json` is what C hands out).
    pub report: ReportSummary,
}

impl From<&TunnelInfo> for TunnelSummary {
    fn from(i: &TunnelInfo) -> Self {
        TunnelSummary {
            role: i.role,
            tls_version: i.tls_version.clone(),
            cipher_suite: i.cipher_suite.clone(),
            kx_group: i.kx_group.clone(),
            resumed: i.resumed,
            peer_auth: i.peer_auth.to_string(),
            authentication: i.peer_auth.method(),
            first_use: i.peer_auth == (PeerAuth::TrustOnFirstUse { first_use: true }),
            peer_certificate_sha256: i.peer_certificate_sha256.clone(),
            peer_spki_sha256: i.peer_spki_sha256.clone(),
            offer_verified: i.offer_verified,
            report: ReportSummary::from(&i.report),
        }
    }
}

/// Why a tunnel ended ([`xtls::CloseReason`] with its error flattened to
/// the stable code and a sentence), the same in every runtime. Its text
/// uses the names of [`CloseKind`] and [`Wait`]: `local`,
/// `timeout (waiting for ack)`, `error 301: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display))]
pub enum CloseReason {
    /// We closed it.
    Local,
    /// The peer closed it.
    Peer,
    /// The application reported the peer gone.
    PeerUnavailable,
    /// The peer started a new tunnel (it restarted); this one was replaced.
    PeerRestarted,
    /// An answer did not come in time.
    Timeout {
        /// What was awaited.
        waited: Wait,
    },
    /// An error ended it (XTLS §4.5); the code is [`Error::code`](crate::Error::code).
    Error {
        /// The stable code.
        code: i32,
        /// What happened.
        detail: String,
    },
}

impl CloseReason {
    /// The kind, by its stable name and code.
    pub fn kind(&self) -> CloseKind {
        match self {
            CloseReason::Local => CloseKind::Local,
            CloseReason::Peer => CloseKind::Peer,
            CloseReason::PeerUnavailable => CloseKind::PeerUnavailable,
            CloseReason::PeerRestarted => CloseKind::PeerRestarted,
            CloseReason::Timeout { .. } => CloseKind::Timeout,
            CloseReason::Error { .. } => CloseKind::Error,
        }
    }
}

impl From<xtls::CloseReason> for CloseReason {
    fn from(r: xtls::CloseReason) -> Self {
        match r {
            xtls::CloseReason::Local => CloseReason::Local,
            xtls::CloseReason::Peer => CloseReason::Peer,
            xtls::CloseReason::PeerUnavailable => CloseReason::PeerUnavailable,
            xtls::CloseReason::PeerRestarted => CloseReason::PeerRestarted,
            xtls::CloseReason::Timeout(waited) => CloseReason::Timeout { waited },
            xtls::CloseReason::Error(e) => CloseReason::Error {
                // Codes are below 1000: an Int in Kotlin, Int32 in Swift.
                code: e.code() as i32,
                detail: e.to_string(),
            },
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.kind().name();
        match self {
            CloseReason::Timeout { waited } => write!(f, "{name} (waiting for {})", waited.name()),
            CloseReason::Error { code, detail } => write!(f, "{name} {code}: {detail}"),
            _ => f.write_str(name),
        }
    }
}

/// What an endpoint reports ([`Event`] with plain fields): `TunnelEvent` in
/// every runtime.
// The large `Established` stays inline: uniffi has no boxed record field,
// and events are moved once, to the application.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TunnelEvent {
    /// The handshake completed and the peer is authenticated.
    Established {
        /// The peer's full JID.
        peer: String,
        /// What was negotiated.
        info: TunnelSummary,
    },
    /// A stanza arrived through the tunnel, `from`/`to` restored (XTLS §4.4).
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

impl TunnelEvent {
    /// The event's kind, by its stable name and code.
    pub fn kind(&self) -> EventKind {
        match self {
            TunnelEvent::Established { .. } => EventKind::Established,
            TunnelEvent::Stanza { .. } => EventKind::Stanza,
            TunnelEvent::StanzaRejected { .. } => EventKind::StanzaRejected,
            TunnelEvent::Closed { .. } => EventKind::Closed,
        }
    }

    /// The peer's full JID.
    pub fn peer(&self) -> &str {
        match self {
            TunnelEvent::Established { peer, .. }
            | TunnelEvent::Stanza { peer, .. }
            | TunnelEvent::StanzaRejected { peer, .. }
            | TunnelEvent::Closed { peer, .. } => peer,
        }
    }

    /// For a key just pinned on first use: the peer's bare JID and the pin,
    /// which an application that keeps pins itself stores now.
    pub fn pinned_on_first_use(&self) -> Option<(&str, &str)> {
        match self {
            TunnelEvent::Established { peer, info } => first_use_pin(peer, info),
            _ => None,
        }
    }
}

/// The bare JID and pin of a key pinned on first use in this handshake.
fn first_use_pin<'a>(peer: &'a str, info: &'a TunnelSummary) -> Option<(&'a str, &'a str)> {
    // A full JID's resource starts at its first '/' (RFC 7622 §3.1: no '/'
    // in the local or domain part).
    info.first_use.then(|| {
        (
            peer.split('/').next().unwrap_or(peer),
            info.peer_spki_sha256.as_str(),
        )
    })
}

impl From<Event> for TunnelEvent {
    fn from(e: Event) -> Self {
        match e {
            Event::Established { peer, info } => TunnelEvent::Established {
                peer: peer.into_string(),
                info: TunnelSummary::from(&*info),
            },
            Event::Stanza { peer, stanza } => TunnelEvent::Stanza {
                peer: peer.into_string(),
                stanza,
            },
            Event::StanzaRejected { peer, error } => TunnelEvent::StanzaRejected {
                peer: peer.into_string(),
                code: error.code() as i32,
                detail: error.to_string(),
            },
            Event::Closed {
                peer,
                reason,
                returned,
            } => TunnelEvent::Closed {
                peer: peer.into_string(),
                reason: CloseReason::from(reason),
                returned,
            },
        }
    }
}

/// One event as C reads it: the kind, the peer, and the fields that kind
/// fills (the others stay empty, zero or `None`), made from the tagged
/// [`TunnelEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatEvent {
    /// Which event.
    pub kind: EventKind,
    /// The peer's full JID.
    pub peer: String,
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
    /// An event of `kind` from `peer` with every other field empty.
    fn empty(kind: EventKind, peer: String) -> Self {
        FlatEvent {
            kind,
            peer,
            text: String::new(),
            error_code: 0,
            close: None,
            waited: None,
            returned: Vec::new(),
            summary: None,
        }
    }

    /// For a key just pinned on first use: the peer's bare JID and the pin
    /// (as [`TunnelEvent::pinned_on_first_use`]).
    pub fn pinned_on_first_use(&self) -> Option<(&str, &str)> {
        self.summary
            .as_deref()
            .and_then(|info| first_use_pin(&self.peer, info))
    }
}

impl From<TunnelEvent> for FlatEvent {
    fn from(e: TunnelEvent) -> Self {
        let mut flat = FlatEvent::empty(e.kind(), String::new());
        match e {
            TunnelEvent::Established { peer, info } => {
                flat.peer = peer;
                flat.summary = Some(Box::new(info));
            }
            TunnelEvent::Stanza { peer, stanza } => {
                flat.peer = peer;
                flat.text = stanza;
            }
            TunnelEvent::StanzaRejected { peer, code, detail } => {
                flat.peer = peer;
                flat.error_code = code.unsigned_abs();
                flat.text = detail;
            }
            TunnelEvent::Closed {
                peer,
                reason,
                returned,
            } => {
                flat.peer = peer;
                flat.text = reason.to_string();
                flat.close = Some(reason.kind());
                match reason {
                    CloseReason::Timeout { waited } => flat.waited = Some(waited),
                    CloseReason::Error { code, .. } => flat.error_code = code.unsigned_abs(),
                    _ => {}
                }
                flat.returned = returned;
            }
        }
        flat
    }
}

impl From<Event> for FlatEvent {
    /// Inline: the C library makes one per event, and returned from a call
    /// the record went through memory only to be taken apart at once.
    #[inline]
    fn from(e: Event) -> Self {
        match e {
            // The common event, made in place: through `TunnelEvent` each
            // stanza moved the size of its largest variant (the summary,
            // near 1 KB) twice, a tenth of what C adds to a 1 KiB stanza
            // (callgrind on `cargo bench -p xmpptls-c --bench overhead`).
            Event::Stanza { peer, stanza } => FlatEvent {
                text: stanza,
                ..FlatEvent::empty(EventKind::Stanza, peer.into_string())
            },
            other => FlatEvent::from(TunnelEvent::from(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Jid};

    /// The flat event made straight from a stanza event is the one made
    /// through the tagged event, for every kind that has a direct path.
    #[test]
    fn flat_events_are_the_same_either_way() {
        let peer = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        let events = [
            Event::Stanza {
                peer: peer.clone(),
                stanza: "<message from='juliet@capulet.lit/balcony'/>".into(),
            },
            Event::StanzaRejected {
                peer: peer.clone(),
                error: Error::NotAStanza("x".into()),
            },
            Event::Closed {
                peer,
                reason: xtls::CloseReason::Peer,
                returned: vec![ReturnedStanza {
                    stanza: "<message/>".into(),
                    maybe_delivered: true,
                }],
            },
        ];
        for e in events {
            let direct = FlatEvent::from(e.clone());
            assert_eq!(direct, FlatEvent::from(TunnelEvent::from(e)));
            assert_eq!(direct.pinned_on_first_use(), None);
        }
    }
}
