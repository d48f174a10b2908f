//! POSH (RFC 7711) for JavaScript: the app fetches the documents itself
//! (`fetch("https://<domain>/.well-known/posh/xmpp-client.json")`) and passes
//! them in; this checks them against the server's certificate.

use serde_json::json;
use wasm_bindgen::prelude::*;
use xmpptls::api::{Named, PoshOutcome};
use xmpptls::dna::posh::{self, PoshDocument};
use xmpptls::{CertificateDer, UnixTime};

use crate::js::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_POSH: &str = r#"
/** The outcome of a POSH check; only `ok: true` authenticates the server. */
export type PoshResult =
  | { ok: true; algorithm: string }
  | { ok: false; reason: "no-match" | "expired" | "no-usable-fingerprint" | "insecure-redirect"
      | "redirect-not-followed" | "too-many-redirects" | "malformed"; message: string };
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
    match PoshDocument::parse(document.as_bytes()) {
        Ok(PoshDocument::Redirect { url, .. }) => Some(url),
        _ => None,
    }
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
    let now = now.map_or_else(UnixTime::now, secs);
    let result = posh::verify_documents(
        document.as_bytes(),
        followed.as_deref().map(str::as_bytes),
        &CertificateDer::from(der),
        secs(fetched_at),
        now,
    );
    let v = match result {
        Ok(algorithm) => json!({"ok": true, "algorithm": algorithm}),
        Err(e) => {
            json!({"ok": false, "reason": PoshOutcome::from(&e).name(), "message": e.to_string()})
        }
    };
    to_js(&v).unchecked_into()
}
