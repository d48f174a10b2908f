//! Stable names and numeric codes for every small enum a binding shows:
//! one table per enum, so C's `XMPPTLS_*` constants, the JS string unions
//! and the Kotlin/Swift/Python enums cannot drift apart. A code once given
//! is never reused; names are the lowercase, hyphenated forms JS and JSON
//! use (each binding recases them for its language).

use crate::dna::posh::PoshError;
use crate::identity::{Matched, Service};
use crate::pins::{PinStatus, PinStore};
use crate::policy::{AuthMethod, Severity, TlsVersion, Verdict};
use crate::xtls::{
    CloseReason, Event, KeyExchange, PeerAuth, Role, TlsVersions, TrustMode, TunnelState, Wait,
};
use rustls_pki_types::CertificateDer;

/// A small enum with a stable name and code, shared by every binding.
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every value, in code order.
    const ALL: &'static [Self];
    /// What the enum is called in error messages (`trust mode`).
    const WHAT: &'static str;

    /// The stable name (`trust-on-first-use`).
    fn name(self) -> &'static str;

    /// The stable number (C's constant).
    fn code(self) -> u32;

    /// The value named `name` (exactly as [`Named::name`] spells it).
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The value numbered `code`.
    fn from_code(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }

    /// [`Named::parse`], or the typed error every binding reports for a name
    /// it does not know ([`Error::UnknownName`](crate::Error::UnknownName)).
    fn parse_or_err(name: &str) -> Result<Self, crate::Error> {
        Self::parse(name).ok_or_else(|| crate::Error::UnknownName {
            what: Self::WHAT,
            name: name.to_owned(),
        })
    }

    /// [`Named::from_code`], or the same typed error.
    fn from_code_or_err(code: u32) -> Result<Self, crate::Error> {
        Self::from_code(code).ok_or_else(|| crate::Error::UnknownName {
            what: Self::WHAT,
            name: code.to_string(),
        })
    }
}

/// Implements [`Named`] from one table of `Variant = code, "name"`.
macro_rules! named {
    ($ty:ident, $what:literal $(, parse = $parse:path)? { $($variant:ident = $code:literal, $name:literal;)+ }) => {
        impl Named for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            const WHAT: &'static str = $what;
            $(fn parse(name: &str) -> Option<Self> {
                $parse(name)
            })?
            fn name(self) -> &'static str {
                match self { $($ty::$variant => $name,)+ }
            }
            fn code(self) -> u32 {
                match self { $($ty::$variant => $code,)+ }
            }
        }
    };
}

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

/// Which presented identifier matched (RFC 6125 §6, RFC 6120 §13.7.1.4),
/// without the identifier ([`Matched`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum MatchKind {
    /// [`Matched::DnsId`].
    DnsId,
    /// [`Matched::WildcardDnsId`].
    WildcardDnsId,
    /// [`Matched::SrvId`].
    SrvId,
    /// [`Matched::XmppAddr`].
    XmppAddr,
    /// [`Matched::CnId`].
    CnId,
}

impl From<&Matched> for MatchKind {
    fn from(m: &Matched) -> Self {
        match m {
            Matched::DnsId(_) => MatchKind::DnsId,
            Matched::WildcardDnsId(_) => MatchKind::WildcardDnsId,
            Matched::SrvId(_) => MatchKind::SrvId,
            Matched::XmppAddr(_) => MatchKind::XmppAddr,
            Matched::CnId(_) => MatchKind::CnId,
        }
    }
}

/// What the pin store said about a presented key ([`PinStatus`], without
/// the keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinKind {
    /// [`PinStatus::New`]: pinned now (trust on first use).
    New,
    /// [`PinStatus::Match`].
    Match,
    /// [`PinStatus::Changed`] (RFC 7590 §3.6: make it visible).
    Changed,
}

impl From<&PinStatus> for PinKind {
    fn from(p: &PinStatus) -> Self {
        match p {
            PinStatus::New => PinKind::New,
            PinStatus::Match => PinKind::Match,
            PinStatus::Changed { .. } => PinKind::Changed,
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

/// The policy presets ([`Policy`](crate::policy::Policy)'s constructors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum PolicyPreset {
    /// [`Policy::strict`](crate::policy::Policy::strict).
    Strict,
    /// [`Policy::tls13_only`](crate::policy::Policy::tls13_only).
    Tls13Only,
    /// [`Policy::opportunistic_s2s`](crate::policy::Policy::opportunistic_s2s).
    OpportunisticS2s,
    /// [`Policy::xtls`](crate::policy::Policy::xtls).
    Xtls,
}

named!(TrustKind, "trust mode" {
    Offer = 0, "offer";
    TrustOnFirstUse = 1, "trust-on-first-use";
    Pkix = 2, "pkix";
    Pinned = 3, "pinned";
});
named!(TlsVersions, "TLS versions" {
    Tls12And13 = 0, "tls12-and-13";
    Tls13Only = 1, "tls13-only";
    Tls12Only = 2, "tls12-only";
});
named!(KeyExchange, "key exchange" {
    PostQuantum = 0, "post-quantum";
    PostQuantumRequired = 1, "post-quantum-required";
    Classical = 2, "classical";
});
named!(Role, "role" {
    Initiator = 1, "initiator";
    Responder = 2, "responder";
});
named!(TunnelState, "tunnel state" {
    Starting = 1, "starting";
    Handshaking = 2, "handshaking";
    Established = 3, "established";
    Closing = 4, "closing";
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
named!(Wait, "wait" {
    Proceed = 1, "proceed";
    Handshake = 2, "handshake";
    Ack = 3, "ack";
    Closed = 4, "closed";
});
named!(AuthMethod, "authentication method" {
    Pkix = 1, "pkix";
    Dane = 2, "dane";
    Posh = 3, "posh";
    Pinned = 4, "pinned";
    Dialback = 5, "dialback";
    Offer = 6, "offer";
});
named!(Service, "service" {
    XmppClient = 0, "xmpp-client";
    XmppServer = 1, "xmpp-server";
});
named!(Verdict, "verdict" {
    Pass = 0, "pass";
    Warn = 1, "warn";
    Fail = 2, "fail";
});
named!(Severity, "severity" {
    Info = 0, "info";
    Warning = 1, "warning";
    Error = 2, "error";
});
named!(MatchKind, "match kind" {
    DnsId = 1, "dns-id";
    WildcardDnsId = 2, "wildcard-dns-id";
    SrvId = 3, "srv-id";
    XmppAddr = 4, "xmpp-addr";
    CnId = 5, "cn-id";
});
named!(PinKind, "pin status" {
    New = 1, "new";
    Match = 2, "match";
    Changed = 3, "changed";
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
named!(PolicyPreset, "policy preset" {
    Strict = 0, "strict";
    Tls13Only = 1, "tls13-only";
    OpportunisticS2s = 2, "opportunistic-s2s";
    Xtls = 3, "xtls";
});
// Versions parse leniently, as stacks print them (`TLS 1.2`, `tls1_2`).
named!(TlsVersion, "TLS version", parse = TlsVersion::parse {
    Ssl2 = 0x0200, "SSLv2";
    Ssl3 = 0x0300, "SSLv3";
    Tls10 = 0x0301, "TLSv1.0";
    Tls11 = 0x0302, "TLSv1.1";
    Tls12 = 0x0303, "TLSv1.2";
    Tls13 = 0x0304, "TLSv1.3";
});

#[cfg(test)]
mod tests {
    use super::*;

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
