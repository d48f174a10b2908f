//! The facade's own small enums (trust kind, event kind, close kind, match
//! kind, POSH outcome, peer authentication) with their name and code
//! tables, and the test of every table of the crate. The [`Named`] trait
//! lives at the bottom of the crate ([`crate::names`]); the types of the
//! lower layers (policy, identity, pins, xtls, provider) own their tables.

use crate::dna::posh::PoshError;
pub use crate::identity::MatchKind;
use crate::names::named;
pub use crate::names::Named;
pub use crate::pins::PinKind;
use crate::pins::PinStore;
pub use crate::policy::PolicyPreset;
use crate::xtls::{CloseReason, Event, PeerAuth, TrustMode};
use rustls_pki_types::CertificateDer;

/// How peers' certificates are trusted, without the material each mode
/// carries ([`TrustMode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi(name = "TrustMode"))]
#[non_exhaustive]
pub enum TrustKind {
    /// [`TrustMode::Offer`].
    Offer,
    /// [`TrustMode::TrustOnFirstUse`].
    TrustOnFirstUse,
    /// [`TrustMode::Pkix`].
    Pkix,
    /// [`TrustMode::Pinned`].
    Pinned,
}

impl TrustKind {
    /// The trust mode of this kind, with the material it reads: `roots` for
    /// PKIX, `pins` for pinned and trust on first use (ignored otherwise).
    pub fn mode(self, roots: Vec<CertificateDer<'static>>, pins: PinStore) -> TrustMode {
        match self {
            TrustKind::Offer => TrustMode::Offer,
            TrustKind::TrustOnFirstUse => TrustMode::TrustOnFirstUse(pins),
            TrustKind::Pkix => TrustMode::Pkix(roots),
            TrustKind::Pinned => TrustMode::Pinned(pins),
        }
    }
}

impl From<&TrustMode> for TrustKind {
    fn from(t: &TrustMode) -> Self {
        match t {
            TrustMode::Offer => TrustKind::Offer,
            TrustMode::TrustOnFirstUse(_) => TrustKind::TrustOnFirstUse,
            TrustMode::Pkix(_) => TrustKind::Pkix,
            TrustMode::Pinned(_) => TrustKind::Pinned,
        }
    }
}

/// Which event an [`Event`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// [`Event::Established`].
    Established,
    /// [`Event::Stanza`].
    Stanza,
    /// [`Event::StanzaRejected`].
    StanzaRejected,
    /// [`Event::Closed`].
    Closed,
}

impl From<&Event> for EventKind {
    fn from(e: &Event) -> Self {
        match e {
            Event::Established { .. } => EventKind::Established,
            Event::Stanza { .. } => EventKind::Stanza,
            Event::StanzaRejected { .. } => EventKind::StanzaRejected,
            Event::Closed { .. } => EventKind::Closed,
        }
    }
}

/// Why a tunnel ended, without the data ([`CloseReason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseKind {
    /// [`CloseReason::Local`].
    Local,
    /// [`CloseReason::Peer`].
    Peer,
    /// [`CloseReason::PeerUnavailable`].
    PeerUnavailable,
    /// [`CloseReason::PeerRestarted`].
    PeerRestarted,
    /// [`CloseReason::Timeout`].
    Timeout,
    /// [`CloseReason::Error`].
    Error,
}

impl From<&CloseReason> for CloseKind {
    fn from(r: &CloseReason) -> Self {
        match r {
            CloseReason::Local => CloseKind::Local,
            CloseReason::Peer => CloseKind::Peer,
            CloseReason::PeerUnavailable => CloseKind::PeerUnavailable,
            CloseReason::PeerRestarted => CloseKind::PeerRestarted,
            CloseReason::Timeout(_) => CloseKind::Timeout,
            CloseReason::Error(_) => CloseKind::Error,
        }
    }
}

/// The outcome of a POSH check (RFC 7711 §3): a match, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum PoshOutcome {
    /// A fingerprint matches: the server is authenticated.
    Match,
    /// [`PoshError::NoMatch`].
    NoMatch,
    /// [`PoshError::Expired`].
    Expired,
    /// [`PoshError::NoUsableFingerprint`].
    NoUsableFingerprint,
    /// [`PoshError::Malformed`].
    Malformed,
    /// [`PoshError::InsecureRedirect`].
    InsecureRedirect,
    /// [`PoshError::RedirectNotFollowed`].
    RedirectNotFollowed,
    /// [`PoshError::TooManyRedirects`].
    TooManyRedirects,
}

impl From<&PoshError> for PoshOutcome {
    fn from(e: &PoshError) -> Self {
        match e {
            PoshError::NoMatch => PoshOutcome::NoMatch,
            PoshError::Expired => PoshOutcome::Expired,
            PoshError::NoUsableFingerprint => PoshOutcome::NoUsableFingerprint,
            PoshError::Malformed(_) => PoshOutcome::Malformed,
            PoshError::InsecureRedirect(_) => PoshOutcome::InsecureRedirect,
            PoshError::RedirectNotFollowed(_) => PoshOutcome::RedirectNotFollowed,
            PoshError::TooManyRedirects => PoshOutcome::TooManyRedirects,
        }
    }
}

/// How a tunnel's peer was authenticated, without the matched identifier
/// ([`PeerAuth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeerAuthKind {
    /// [`PeerAuth::Pkix`].
    Pkix,
    /// [`PeerAuth::Pinned`].
    Pinned,
    /// [`PeerAuth::Offer`].
    Offer,
    /// [`PeerAuth::TrustOnFirstUse`].
    TrustOnFirstUse,
}

impl From<&PeerAuth> for PeerAuthKind {
    fn from(p: &PeerAuth) -> Self {
        match p {
            PeerAuth::Pkix { .. } => PeerAuthKind::Pkix,
            PeerAuth::Pinned => PeerAuthKind::Pinned,
            PeerAuth::Offer => PeerAuthKind::Offer,
            PeerAuth::TrustOnFirstUse { .. } => PeerAuthKind::TrustOnFirstUse,
        }
    }
}

named!(TrustKind, "trust mode" {
    Offer = 0, "offer";
    TrustOnFirstUse = 1, "trust-on-first-use";
    Pkix = 2, "pkix";
    Pinned = 3, "pinned";
});
named!(EventKind, "event kind" {
    Established = 1, "established";
    Stanza = 2, "stanza";
    StanzaRejected = 3, "stanza-rejected";
    Closed = 4, "closed";
});
named!(CloseKind, "close reason" {
    Local = 1, "local";
    Peer = 2, "peer";
    PeerUnavailable = 3, "peer-unavailable";
    PeerRestarted = 4, "peer-restarted";
    Timeout = 5, "timeout";
    Error = 6, "error";
});
named!(PoshOutcome, "POSH outcome" {
    Match = 1, "match";
    NoMatch = 2, "no-match";
    Expired = 3, "expired";
    NoUsableFingerprint = 4, "no-usable-fingerprint";
    Malformed = 5, "malformed";
    InsecureRedirect = 6, "insecure-redirect";
    RedirectNotFollowed = 7, "redirect-not-followed";
    TooManyRedirects = 8, "too-many-redirects";
});
named!(PeerAuthKind, "peer authentication" {
    Pkix = 1, "pkix";
    Pinned = 2, "pinned";
    Offer = 3, "offer";
    TrustOnFirstUse = 4, "trust-on-first-use";
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Service;
    use crate::policy::{AuthMethod, Severity, TlsVersion, Verdict};
    use crate::xtls::{KeyExchange, Role, TlsVersions, TunnelState, Wait};

    fn table_is_sound<T: Named + std::fmt::Debug>() {
        for (i, a) in T::ALL.iter().enumerate() {
            assert_eq!(T::parse(a.name()), Some(*a), "{a:?}");
            assert_eq!(T::from_code(a.code()), Some(*a), "{a:?}");
            for b in &T::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert!(a.code() < b.code(), "{a:?} {b:?}: codes in order, unique");
            }
        }
        assert_eq!(T::parse("no-such-name"), None);
        assert!(matches!(
            T::parse_or_err("no-such-name"),
            Err(crate::Error::UnknownName { .. })
        ));
    }

    #[test]
    fn every_table_round_trips_with_unique_names_and_codes() {
        table_is_sound::<TrustKind>();
        table_is_sound::<TlsVersions>();
        table_is_sound::<KeyExchange>();
        table_is_sound::<Role>();
        table_is_sound::<TunnelState>();
        table_is_sound::<EventKind>();
        table_is_sound::<CloseKind>();
        table_is_sound::<Wait>();
        table_is_sound::<AuthMethod>();
        table_is_sound::<Service>();
        table_is_sound::<Verdict>();
        table_is_sound::<Severity>();
        table_is_sound::<MatchKind>();
        table_is_sound::<PinKind>();
        table_is_sound::<PoshOutcome>();
        table_is_sound::<PeerAuthKind>();
        table_is_sound::<PolicyPreset>();
        table_is_sound::<TlsVersion>();
    }

    #[test]
    fn older_parsers_agree_with_the_tables() {
        for s in Service::ALL {
            // as_str comes from the SRV label (RFC 6120 §3.2.1).
            assert_eq!(Named::name(*s), s.as_str());
        }
        for v in TlsVersion::ALL {
            // The wire code point and the lenient parser of stacks' names.
            assert_eq!(TlsVersion::from_code(v.code() as u16), Some(*v));
            assert_eq!(TlsVersion::parse(v.name()), Some(*v));
        }
        assert_eq!(TlsVersion::code(TlsVersion::Tls12), 0x0303);
    }

    fn row<T: Named>(binding_type: &str) -> String {
        let values: Vec<String> = T::ALL
            .iter()
            .map(|v| format!("`{}` {}", v.name(), v.code()))
            .collect();
        format!("| {} | `{binding_type}` | {} |", T::WHAT, values.join(", "))
    }

    /// The README's table of names and codes is these tables: what C's
    /// constants, the JS string unions and the uniffi enums are checked
    /// against (`scripts/check-parity.py`).
    #[test]
    fn the_readme_lists_every_name_and_code() {
        let expected = [
            row::<TrustKind>("TrustMode"),
            row::<TlsVersions>("TlsVersions"),
            row::<KeyExchange>("KeyExchange"),
            row::<Role>("Role"),
            row::<TunnelState>("TunnelState"),
            row::<EventKind>("TunnelEvent"),
            row::<CloseKind>("CloseReason"),
            row::<Wait>("Wait"),
            row::<AuthMethod>("AuthMethod"),
            row::<Service>("Service"),
            row::<Verdict>("Verdict"),
            row::<Severity>("Severity"),
            row::<MatchKind>("MatchKind"),
            row::<PinKind>("PinStatus"),
            row::<PoshOutcome>("PoshOutcome"),
            row::<PolicyPreset>("PolicyPreset"),
        ]
        .join("\n");
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("<!-- names:begin -->\n")
            .expect("the README has the names table")
            + "<!-- names:begin -->\n".len();
        let end = readme.find("<!-- names:end -->").expect("the table ends");
        let table: Vec<&str> = readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| what"))
            .collect();
        assert_eq!(table.join("\n"), expected, "\n{expected}\n");
    }
}
