//! # xmpptls-mobile
//!
//! libxmpptls for Kotlin (Android), Swift (iOS, macOS) and Python through
//! uniffi proc-macros. The crate only translates: every decision is the
//! core's (`xmpptls`).
//!
//! * [`Endpoint`]: XTLS tunnels (ProtoXEP `urn:xmpp:tmp:xtls`) driven by the
//!   app's XMPP library;
//! * [`Policy`]: grade a connection (RFC 7590, RFC 7525), and
//!   [`Policy::check_server`], the check from the platform's TLS callback
//!   (XMPP identity, pins, report);
//! * [`PinStore`] over the app's own [`PinStorage`];
//! * [`ReportSummary`] (`Report` in Kotlin, Swift and Python): the RFC 7590
//!   §3.6 report as records;
//! * [`XmppTlsError`]: one flat error enum carrying the core's stable codes.
//!
//! Generate the bindings with `scripts/gen-mobile.sh` (the in-tree
//! `uniffi-bindgen`, same uniffi version).

mod endpoint;
mod error;
mod identity;
mod pins;
mod policy;
mod posh;

pub use endpoint::Endpoint;
pub use error::XmppTlsError;
pub use identity::{
    certificate_info, certificates_from_pem, check_identity, generate_identity,
    tls_server_end_point,
};
pub use pins::{server_pin_key, PinStorage, PinStore};
pub use policy::Policy;
pub use posh::{posh_redirect_url, posh_verify};
/// The core facade's types this crate's functions take and return (uniffi
/// generates them from the core, namespace `xmpptls_core`).
pub use xmpptls::api::{
    CertificateSummary, CloseReason, EndpointSettings, FindingSummary, IdentityMatch, IdentityPem,
    LimitSettings, MatchKind, Negotiation, PolicyPreset, PoshOutcome, PoshResult, ReportSummary,
    TrustKind, TunnelEvent, TunnelSummary,
};

uniffi::setup_scaffolding!();

/// The library version.
#[uniffi::export]
pub fn version() -> String {
    xmpptls::VERSION.to_owned()
}

/// The core's default limits (`LimitSettings()` with no arguments is the
/// same record): a starting point to change one field of, and what the
/// tests compare the generated defaults with.
#[uniffi::export]
pub fn default_limits() -> LimitSettings {
    LimitSettings::default()
}

/// The disco#info feature of XTLS (`urn:xmpp:tmp:xtls`, XTLS §5): add it to
/// the app's disco answer.
#[uniffi::export]
pub fn xtls_feature() -> String {
    xmpptls::xtls::disco::FEATURE.to_owned()
}

/// Whether a disco#info result lists the XTLS feature (check before
/// `openTunnel`).
#[uniffi::export]
pub fn supports_xtls(disco_info_result: String) -> Result<bool, XmppTlsError> {
    Ok(xmpptls::xtls::disco::supports_xtls(
        disco_info_result.as_bytes(),
    )?)
}
