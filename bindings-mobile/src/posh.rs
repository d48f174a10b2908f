//! POSH (RFC 7711): the app fetches
//! `https://<domain>/.well-known/posh/xmpp-client.json` itself (and the one
//! redirect it may name) and hands the documents over; the core's
//! [`PoshResult`] says what they show.

use xmpptls::api::PoshResult;
use xmpptls::UnixTime;

/// The URL a POSH document redirects to (fetch it and pass it to
/// `poshVerify` as `followed`); `null` when it lists fingerprints or is not
/// POSH.
#[uniffi::export]
pub fn posh_redirect_url(document: String) -> Option<String> {
    xmpptls::api::posh_redirect_url(document.as_bytes())
}

/// Checks the server's end-entity certificate (DER) against the POSH
/// `document` fetched at `fetched_at` (seconds since the epoch) and, when
/// it redirects, the `followed` document, at `now`.
#[uniffi::export]
pub fn posh_verify(
    document: String,
    followed: Option<String>,
    certificate: Vec<u8>,
    fetched_at: u64,
    now: u64,
) -> PoshResult {
    let secs = |s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
    PoshResult::verify(
        document.as_bytes(),
        followed.as_deref().map(str::as_bytes),
        &certificate,
        secs(fetched_at),
        secs(now),
    )
}
