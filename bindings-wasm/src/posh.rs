//! POSH (RFC 7711) for JavaScript: the app fetches the documents itself
//! (`fetch("https://<domain>/.well-known/posh/xmpp-client.json")`) and passes
//! them in; the core's `PoshResult` says what they show.

use wasm_bindgen::prelude::*;
use xmpptls::api::{PoshResult, ToJson};
use xmpptls::UnixTime;

use crate::js::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_POSH: &str = r#"
/** What a POSH check found (the core's `PoshResult`, as in Kotlin, Swift
 * and Python); only `outcome: "match"` authenticates the server. */
export interface PoshResult {
  outcome: "match" | "no-match" | "expired" | "no-usable-fingerprint" | "malformed"
    | "insecure-redirect" | "redirect-not-followed" | "too-many-redirects";
  /** The fingerprint algorithm that matched ("sha-256", …), else null. */
  algorithm: string | null;
  /** A sentence for logs. */
  detail: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PoshResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "PoshResult")]
    pub type JsPoshResult;
}

/// The URL a POSH document redirects to (fetch it and pass it to
/// `poshVerify` as `followed`), or `undefined` when it lists fingerprints
/// or is not POSH.
#[wasm_bindgen(js_name = poshRedirectUrl)]
pub fn posh_redirect_url(document: &str) -> Option<String> {
    xmpptls::api::posh_redirect_url(document.as_bytes())
}

/// Checks the server's end-entity certificate (DER) against the POSH
/// `document` fetched at `fetchedAt` (seconds since the epoch) and, when it
/// redirects, the `followed` document. `now` defaults to the clock.
#[wasm_bindgen(js_name = poshVerify)]
pub fn posh_verify(
    document: &str,
    followed: Option<String>,
    der: &[u8],
    #[wasm_bindgen(js_name = "fetchedAt")] fetched_at: f64,
    now: Option<f64>,
) -> JsPoshResult {
    let secs =
        |s: f64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s.max(0.0) as u64));
    let r = PoshResult::verify(
        document.as_bytes(),
        followed.as_deref().map(str::as_bytes),
        der,
        secs(fetched_at),
        now.map_or_else(UnixTime::now, secs),
    );
    to_js(&r.to_json_value()).unchecked_into()
}
