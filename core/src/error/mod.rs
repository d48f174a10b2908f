//! The one error type of the core, with stable numeric codes.
//!
//! Every binding (C result codes, the JS `code` property, uniffi error variants)
//! takes its numbers from [`Error::code`], so a number once given is never
//! reused or renumbered. Codes are grouped by hundreds: 1xx input (XML, JID,
//! base64, sizes), 2xx XTLS protocol, 3xx TLS and trust, 4xx limits, 5xx usage.

use std::fmt;

mod binding;
mod group;
mod posh;
mod tlsa;

use crate::stanza_error::{Condition, StanzaError};
use crate::xml::XmlError;
pub use binding::BindingError;
pub use group::ErrorGroup;
pub use posh::PoshError;
pub use tlsa::TlsaError;

/// Why a peer certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// The peer presented no certificate.
    NoCertificate,
    /// PKIX path validation to the configured roots failed.
    Pkix(String),
    /// The certificate does not name the peer (no matching XmppAddr / DNS-ID).
    IdentityMismatch {
        /// The JID we expected the certificate to carry.
        expected: String,
    },
    /// The certificate hash does not match the fingerprint announced in the
    /// peer's XEP-0250 offer or pinned beforehand.
    FingerprintMismatch,
    /// Trust-on-first-use: the peer's key differs from the one seen before.
    /// Both values are lowercase hex SHA-256 of the SubjectPublicKeyInfo.
    PinChanged {
        /// The pin stored earlier.
        old: String,
        /// The key the peer presented now.
        new: String,
    },
    /// The trust mode has nothing to authenticate this peer with (for example
    /// pinned-only mode and no pin for the peer).
    UnknownPeer,
    /// The certificate could not be parsed.
    BadCertificate(String),
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustError::NoCertificate => f.write_str("peer presented no certificate"),
            TrustError::Pkix(e) => write!(f, "certificate chain not valid: {e}"),
            TrustError::IdentityMismatch { expected } => {
                write!(f, "certificate does not name {expected}")
            }
            TrustError::FingerprintMismatch => {
                f.write_str("certificate does not match the announced or pinned fingerprint")
            }
            TrustError::PinChanged { old, new } => write!(
                f,
                "peer key changed since first use (pinned {old}, presented {new})"
            ),
            TrustError::UnknownPeer => f.write_str("no trust anchor or pin for this peer"),
            TrustError::BadCertificate(e) => write!(f, "certificate unreadable: {e}"),
        }
    }
}

/// Why TLS failed: what rustls reported, sorted into the kinds a caller
/// acts on, each with rustls's own words. (Our own trust decisions are
/// [`Error::Trust`], not this.)
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The peer sent a fatal alert (RFC 8446 §6), by its name, e.g.
    /// `BadCertificate`.
    AlertReceived(String),
    /// A record did not decrypt: in a tunnel, a `<data/>` was reordered,
    /// lost, duplicated past what is remembered, or forged on the way.
    Decrypt,
    /// The peer cannot meet what we require (no common version, suite,
    /// group or signature scheme).
    PeerIncompatible(String),
    /// The peer broke the protocol.
    PeerMisbehaved(String),
    /// A message did not decode, or a record was too large.
    InvalidMessage(String),
    /// Anything else.
    Other(String),
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::AlertReceived(a) => write!(f, "the peer sent the alert {a}"),
            TlsFailure::Decrypt => f.write_str("a record did not decrypt"),
            TlsFailure::PeerIncompatible(m)
            | TlsFailure::PeerMisbehaved(m)
            | TlsFailure::InvalidMessage(m)
            | TlsFailure::Other(m) => f.write_str(m),
        }
    }
}

impl From<rustls::Error> for TlsFailure {
    fn from(e: rustls::Error) -> Self {
        match &e {
            rustls::Error::AlertReceived(a) => TlsFailure::AlertReceived(
                a.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("0x{:02x}", u8::from(*a))),
            ),
            rustls::Error::DecryptError => TlsFailure::Decrypt,
            rustls::Error::PeerIncompatible(_) => TlsFailure::PeerIncompatible(e.to_string()),
            rustls::Error::PeerMisbehaved(_) => TlsFailure::PeerMisbehaved(e.to_string()),
            rustls::Error::InvalidMessage(_) | rustls::Error::PeerSentOversizedRecord => {
                TlsFailure::InvalidMessage(e.to_string())
            }
            _ => TlsFailure::Other(e.to_string()),
        }
    }
}

impl From<std::io::Error> for TlsFailure {
    /// rustls's readers and writers wrap its error in an `io::Error`.
    fn from(e: std::io::Error) -> Self {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            Some(inner) => inner.clone().into(),
            None => TlsFailure::Other(e.to_string()),
        }
    }
}

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Malformed or refused XML (DOCTYPE, entities, comments, depth, size).
    Xml(XmlError),
    /// A JID that does not parse.
    InvalidJid(String),
    /// The text of a `<data/>` element is not base64.
    Base64,
    /// A payload exceeds a configured limit.
    PayloadTooLarge {
        /// Size seen, in octets.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// An XTLS element that is not valid where it appeared (wrong IQ type,
    /// missing `id`, unknown child).
    BadRequest(String),
    /// Data or close for a peer with which no tunnel exists.
    NoTunnel(String),
    /// `<data/>` arrived before the tunnel was agreed with start/proceed.
    DataBeforeProceed,
    /// A second start for a peer that already has a tunnel being set up or
    /// established.
    DuplicateStart,
    /// An IQ result or error in the XTLS id space that answers nothing we sent.
    UnexpectedIq,
    /// The peer answered our start (or data) with a stanza error.
    PeerRefused(StanzaError),
    /// A TLS method other than `x509` (the spec's `openpgp` and `srp` have no
    /// rustls implementation).
    UnsupportedMethod(String),
    /// TLS failed (handshake or record layer), and why.
    Tls(TlsFailure),
    /// The peer's certificate was not accepted.
    Trust(TrustError),
    /// An inner stanza's `from`/`to` contradicts the IQ that carried it.
    RoutingMismatch {
        /// `from`/`to` value found in the inner stanza.
        found: String,
        /// What the carrying IQ says.
        expected: String,
    },
    /// The payload is not a `<message/>`, `<presence/>` or `<iq/>` stanza.
    NotAStanza(String),
    /// The endpoint has XTLS disabled.
    Disabled,
    /// An XTLS IQ addressed to another JID than this endpoint's.
    WrongRecipient(String),
    /// The endpoint already manages its configured maximum of tunnels.
    TooManyTunnels {
        /// The configured maximum.
        limit: usize,
    },
    /// Buffered data would exceed the configured bound.
    BufferFull {
        /// The configured bound in octets.
        limit: usize,
    },
    /// The tunnel was closed (by either side or after an error) or is closing.
    TunnelClosed,
    /// Invalid configuration or identity material.
    Config(String),
    /// A pin store document that does not parse (RFC 7590 §3.6 pins kept
    /// by the application).
    PinStore(String),
    /// Certificate or key material (PEM or DER) that does not parse.
    Certificate(String),
    /// A name or number for one of the small enums of
    /// [`names`](crate::names) that none of its values has.
    UnknownName {
        /// What was being named (`trust mode`, `cipher suite`).
        what: &'static str,
        /// The name or number given.
        name: String,
    },
    /// POSH did not authenticate the server (RFC 7711).
    Posh(PoshError),
    /// A TLSA record that cannot be used (RFC 6698).
    Tlsa(TlsaError),
    /// A channel binding value that cannot be computed (RFC 5929, RFC 9266).
    ChannelBinding(BindingError),
}

impl Error {
    /// The stable numeric code of this error, shared by every binding.
    pub fn code(&self) -> u32 {
        match self {
            Error::Xml(_) => 100,
            Error::InvalidJid(_) => 101,
            Error::Base64 => 102,
            Error::PayloadTooLarge { .. } => 103,
            Error::NotAStanza(_) => 104,
            Error::PinStore(_) => 105,
            Error::Certificate(_) => 106,
            Error::BadRequest(_) => 200,
            Error::NoTunnel(_) => 201,
            Error::DataBeforeProceed => 202,
            Error::DuplicateStart => 203,
            Error::UnexpectedIq => 204,
            Error::PeerRefused(_) => 205,
            Error::UnsupportedMethod(_) => 206,
            Error::RoutingMismatch { .. } => 207,
            Error::Disabled => 208,
            Error::WrongRecipient(_) => 209,
            Error::TunnelClosed => 210,
            Error::Tls(_) => 300,
            Error::Trust(_) => 301,
            Error::Posh(_) => 302,
            Error::Tlsa(_) => 303,
            Error::ChannelBinding(_) => 304,
            Error::TooManyTunnels { .. } => 400,
            Error::BufferFull { .. } => 401,
            Error::Config(_) => 500,
            Error::UnknownName { .. } => 501,
        }
    }
}

impl From<&Error> for Condition {
    /// The stanza error condition (RFC 6120 §8.3.3) that answers an XTLS
    /// request which failed with this error: one table, as rustls maps its
    /// errors to alerts. A start refused for its method is answered with
    /// `not-acceptable` instead (XTLS §4.2), which the caller knows.
    fn from(e: &Error) -> Self {
        match e {
            Error::Disabled | Error::WrongRecipient(_) => Condition::ServiceUnavailable,
            Error::Trust(_) => Condition::NotAcceptable,
            Error::UnsupportedMethod(_) => Condition::FeatureNotImplemented,
            Error::DuplicateStart => Condition::Conflict,
            Error::TooManyTunnels { .. } | Error::BufferFull { .. } => {
                Condition::ResourceConstraint
            }
            Error::NoTunnel(_) | Error::TunnelClosed => Condition::ItemNotFound,
            Error::DataBeforeProceed => Condition::UnexpectedRequest,
            Error::PayloadTooLarge { .. } | Error::Xml(XmlError::TooLarge) => {
                Condition::PolicyViolation
            }
            _ => Condition::BadRequest,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Xml(e) => write!(f, "XML: {e}"),
            Error::InvalidJid(j) => write!(f, "invalid JID {j}"),
            Error::Base64 => f.write_str("<data/> is not valid base64"),
            Error::PayloadTooLarge { size, limit } => {
                write!(f, "payload of {size} octets exceeds the limit of {limit}")
            }
            Error::BadRequest(why) => write!(f, "bad XTLS request: {why}"),
            Error::NoTunnel(peer) => write!(f, "no XTLS tunnel with {peer}"),
            Error::DataBeforeProceed => f.write_str("<data/> before the tunnel was agreed"),
            Error::DuplicateStart => f.write_str("start for a peer that already has a tunnel"),
            Error::UnexpectedIq => f.write_str("IQ result or error that answers nothing sent"),
            Error::PeerRefused(e) => write!(f, "peer refused: {e}"),
            Error::UnsupportedMethod(m) => write!(
                f,
                "TLS method \"{}\" is not supported (only x509; rustls has no OpenPGP or SRP)",
                m.escape_debug()
            ),
            Error::Tls(e) => write!(f, "TLS: {e}"),
            Error::Trust(e) => write!(f, "peer not trusted: {e}"),
            Error::RoutingMismatch { found, expected } => write!(
                f,
                "inner stanza addressed {found} but the carrying IQ says {expected}"
            ),
            Error::NotAStanza(name) => write!(f, "<{name}/> is not an XMPP stanza"),
            Error::Disabled => f.write_str("XTLS is disabled on this endpoint"),
            Error::WrongRecipient(to) => write!(f, "XTLS IQ addressed to {to}, not to us"),
            Error::TooManyTunnels { limit } => write!(f, "tunnel limit of {limit} reached"),
            Error::BufferFull { limit } => write!(f, "buffer limit of {limit} octets reached"),
            Error::TunnelClosed => f.write_str("the tunnel is closed"),
            Error::Config(e) => write!(f, "configuration: {e}"),
            Error::PinStore(e) => write!(f, "pin store: {e}"),
            Error::Certificate(e) => write!(f, "certificate or key: {e}"),
            Error::UnknownName { what, name } => write!(f, "unknown {what} {name}"),
            Error::Posh(e) => write!(f, "POSH: {e}"),
            Error::Tlsa(e) => write!(f, "DANE: {e}"),
            Error::ChannelBinding(e) => write!(f, "channel binding: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<XmlError> for Error {
    fn from(e: XmlError) -> Self {
        Error::Xml(e)
    }
}

impl From<TrustError> for Error {
    fn from(e: TrustError) -> Self {
        Error::Trust(e)
    }
}

impl From<PoshError> for Error {
    fn from(e: PoshError) -> Self {
        Error::Posh(e)
    }
}

impl From<TlsaError> for Error {
    fn from(e: TlsaError) -> Self {
        Error::Tlsa(e)
    }
}

impl From<BindingError> for Error {
    /// A certificate that does not parse is [`Error::Certificate`] here as
    /// everywhere; the rest is [`Error::ChannelBinding`].
    fn from(e: BindingError) -> Self {
        match e {
            BindingError::BadCertificate(why) => Error::Certificate(why),
            e => Error::ChannelBinding(e),
        }
    }
}

impl From<rustls::Error> for Error {
    fn from(e: rustls::Error) -> Self {
        Error::Tls(e.into())
    }
}
