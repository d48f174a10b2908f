//! One POSH result (RFC 7711) for every binding: the outcome by name and
//! code, the algorithm that matched, and a sentence for logs. The
//! application fetches the documents with its own HTTPS stack (and the one
//! redirect RFC 7711 §3.2 allows); this checks the server's certificate
//! against them.

use rustls_pki_types::CertificateDer;

use super::names::PoshOutcome;
use crate::dna::posh::{self, PoshDocument};
use crate::UnixTime;

/// What a POSH check found; only [`PoshOutcome::Match`] authenticates the
/// server (RFC 7711 §4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PoshResult {
    /// A match, or why not.
    pub outcome: PoshOutcome,
    /// The fingerprint algorithm that matched (`sha-256`, …).
    pub algorithm: Option<String>,
    /// A sentence for logs.
    pub detail: String,
}

impl PoshResult {
    /// Checks the server's end-entity certificate (DER) against the POSH
    /// `document` fetched at `fetched_at` and, when it redirects, the
    /// `followed` document, at `now` (RFC 7711 §3.2: `expires` counts from
    /// the fetch).
    pub fn verify(
        document: &[u8],
        followed: Option<&[u8]>,
        der: &[u8],
        fetched_at: UnixTime,
        now: UnixTime,
    ) -> Self {
        let cert = CertificateDer::from(der);
        match posh::verify_documents(document, followed, &cert, fetched_at, now) {
            Ok(algorithm) => PoshResult {
                outcome: PoshOutcome::Match,
                detail: format!("fingerprint ({algorithm}) matches"),
                algorithm: Some(algorithm),
            },
            Err(e) => PoshResult {
                outcome: PoshOutcome::from(&e),
                algorithm: None,
                detail: e.to_string(),
            },
        }
    }
}

/// The URL a POSH document redirects to (fetch it and pass it to
/// [`PoshResult::verify`] as `followed`); `None` when the document lists
/// fingerprints or is not POSH.
pub fn posh_redirect_url(document: &[u8]) -> Option<String> {
    match PoshDocument::parse(document) {
        Ok(PoshDocument::Redirect { url, .. }) => Some(url),
        _ => None,
    }
}
