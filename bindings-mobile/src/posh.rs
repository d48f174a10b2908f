//! POSH (RFC 7711): the app fetches
//! `https://<domain>/.well-known/posh/xmpp-client.json` itself (and the one
//! redirect it may name) and hands the documents over; this checks the
//! server's certificate against them.

use xmpptls::api::{Named, PoshOutcome};
use xmpptls::dna::posh::{self, PoshDocument};
use xmpptls::{CertificateDer, UnixTime};

/// What a POSH check found; only `PoshOutcome.MATCH` authenticates the
/// server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PoshResult {
    /// A match, or why not.
    pub outcome: PoshOutcome,
    /// The fingerprint algorithm that matched (`sha-256`, …).
    pub algorithm: Option<String>,
    /// A sentence for logs.
    pub detail: String,
}

/// The URL a POSH document redirects to (fetch it and pass it to
/// `poshVerify` as `followed`); `null` when it lists fingerprints or is not
/// POSH.
#[uniffi::export]
pub fn posh_redirect_url(document: String) -> Option<String> {
    match PoshDocument::parse(document.as_bytes()) {
        Ok(PoshDocument::Redirect { url, .. }) => Some(url),
        _ => None,
    }
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
    match posh::verify_documents(
        document.as_bytes(),
        followed.as_deref().map(str::as_bytes),
        &CertificateDer::from(certificate),
        secs(fetched_at),
        secs(now),
    ) {
        Ok(algorithm) => PoshResult {
            outcome: PoshOutcome::Match,
            detail: format!("fingerprint ({algorithm}) matches"),
            algorithm: Some(algorithm),
        },
        Err(e) => PoshResult {
            outcome: PoshOutcome::from(&e),
            algorithm: None,
            detail: format!("{}: {e}", PoshOutcome::from(&e).name()),
        },
    }
}
