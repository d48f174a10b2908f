//! # xmpptls-wasm
//!
//! The npm package `xmpptls`: libxmpptls for browser XMPP-over-WebSocket
//! clients (RFC 7395) and Node. In a browser the WebSocket's TLS belongs to
//! the browser, so the package brings the end-to-end XTLS tunnel between two
//! clients ([`Endpoint`]) and the policy, identity, POSH and pin checks.
//!
//! The crate only translates: every decision is the core's (`xmpptls`).
//! Errors are thrown as the package's `XmppTlsError` with the core's stable
//! `code`. Randomness comes from `crypto.getRandomValues`, time from `Date`.
//! Built by `scripts/build-wasm.sh`.

mod endpoint;
mod error;
mod identity;
#[cfg(target_arch = "wasm32")]
mod idna;
mod js;
mod pins;
mod policy;
mod posh;
mod report;

pub use endpoint::Endpoint;
pub use identity::{certificate_info, certificates_from_pem, check_identity, generate_identity};
pub use pins::PinStore;
pub use policy::Policy;
pub use posh::{posh_redirect_url, posh_verify};

use wasm_bindgen::prelude::*;

/// The library version.
#[wasm_bindgen]
pub fn version() -> String {
    xmpptls::VERSION.to_owned()
}

/// The XTLS disco#info feature (`urn:xmpp:tmp:xtls`, XTLS §5).
#[wasm_bindgen(js_name = xtlsFeature)]
pub fn xtls_feature() -> String {
    xmpptls::xtls::disco::FEATURE.to_owned()
}

/// Whether a disco#info result (XML) lists the XTLS feature.
#[wasm_bindgen(js_name = supportsXtls)]
pub fn supports_xtls(
    #[wasm_bindgen(js_name = "discoInfoResult")] disco_info_result: &str,
) -> Result<bool, JsValue> {
    xmpptls::xtls::disco::supports_xtls(disco_info_result.as_bytes()).map_err(error::core_error)
}
