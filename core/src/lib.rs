//! # xmpptls
//!
//! TLS in XMPP made safe and visible: the core of libxmpptls. It does no IO:
//! bytes and stanzas go in, stanzas and events come out, the caller supplies
//! the time.
//!
//! ## XTLS tunnels
//!
//! [`Endpoint`] implements the ProtoXEP "XMPP Transport Layer Security"
//! (v0.0.5, namespace `urn:xmpp:tmp:xtls`): two XMPP entities run a real TLS
//! session (rustls) whose records travel base64-encoded in `<data/>` IQs, then
//! exchange encrypted stanzas. Start/proceed, XEP-0250 offers, simultaneous
//! start resolved by i;octet JID order, data acknowledgement with a window,
//! close/closed, disco, and TLS session resumption are all implemented.
//!
//! ### Deliberate deviations from the spec
//!
//! * **Cipher suites.** The spec's mandatory-to-implement suites
//!   `TLS_RSA_WITH_3DES_EDE_CBC_SHA` and `TLS_DH_RSA_WITH_AES_256_CBC_SHA`
//!   predate RFC 7525 and are forbidden by it and by RFC 7590 (3DES is below
//!   128-bit security; static RSA/DH key exchange has no forward secrecy; CBC
//!   is MAC-then-encrypt). They are not offered. Tunnels negotiate TLS 1.3, or
//!   TLS 1.2 with ECDHE and AEAD suites only (RFC 7525 §4.2), see
//!   [`TlsVersions`].
//! * **Methods.** Only `x509` is implemented. `openpgp` and `srp` have no
//!   rustls implementation; they are refused with a clear error.
//! * **Routing.** The spec lets the receiver restore missing `from`/`to` of an
//!   inner stanza from the carrying IQ. Beyond the spec, an inner stanza whose
//!   `from`/`to` contradicts the carrying IQ is never delivered: it is reported
//!   as [`Event::StanzaRejected`]. Otherwise a peer could forge stanzas that
//!   appear to come from a third party.
//! * **Restart.** A start from a peer that already has a tunnel (not a
//!   simultaneous start) means the peer lost its state: the old tunnel is
//!   closed ([`CloseReason::PeerRestarted`]) and the new one proceeds. The
//!   same start delivered twice (the same `id`) is answered again and
//!   changes nothing.
//! * **Deadlines.** The spec sets none; an XMPP server does not answer every
//!   IQ. Every answer a tunnel waits for has one ([`Limits`]), driven by
//!   [`Endpoint::poll_timeout`] and [`Endpoint::handle_timeout`].
//!
//! ## Error codes
//!
//! [`Error::code`] gives every error a stable number shared by all bindings.

#![forbid(unsafe_code)]

pub mod api;
pub mod channel_binding;
pub mod client;
pub mod ct;
pub mod dna;
pub mod error;
pub mod identity;
pub mod jid;
pub mod json_text;
pub mod names;
pub mod pins;
pub mod policy;
pub mod provider;
pub mod report;
pub mod server_check;
pub mod stanza_error;
pub mod starttls;
pub mod xml;
pub mod xtls;

// The facade's types cross into Kotlin, Swift and Python under their own
// namespace (bindings-mobile's is `xmpptls_mobile`).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("xmpptls_core");

pub use error::{Error, ErrorGroup, TlsFailure, TrustError};
pub use identity::Identity;
pub use jid::Jid;
pub use pins::{PinStatus, PinStorage, PinStore, SharedPins};
pub use report::ConnectionReport;
pub use rustls_pki_types::{CertificateDer, UnixTime};
pub use xtls::{
    CloseReason, Endpoint, EndpointConfig, Event, Incoming, KeyExchange, Limits, PeerAuth,
    ReturnedStanza, Role, TlsVersions, TrustMode, TunnelInfo, TunnelState, Wait,
};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
