//! PKIX path validation (RFC 5280) with rustls-webpki, at a time the caller
//! gives, to roots the caller gives. Shared by the XTLS PKIX trust mode and
//! DANE (usages 0 and 2 validate a path too).

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};

use crate::error::TrustError;

/// Trust anchors, parsed once.
#[derive(Debug, Clone)]
pub struct Roots(Vec<TrustAnchor<'static>>);

impl Roots {
    /// Anchors from DER root certificates.
    pub fn new(roots: &[CertificateDer<'_>]) -> Result<Self, TrustError> {
        roots
            .iter()
            .map(|r| {
                webpki::anchor_from_trusted_cert(r)
                    .map(|a| a.to_owned())
                    .map_err(|e| TrustError::BadCertificate(format!("root certificate: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Roots)
    }

    /// No anchors at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the end-entity certificate is used for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server (id-kp-serverAuth).
    ServerAuth,
    /// A TLS client (id-kp-clientAuth).
    ClientAuth,
}

/// The signature algorithms of the ring provider, for path validation.
pub fn default_algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

/// Validates the path from `chain[0]` (the end entity) through the rest of
/// `chain` to one of `roots`, at `now`, for `purpose`. Names are not
/// checked here: see [`match_identity`](super::match_identity).
pub fn verify_chain(
    chain: &[CertificateDer<'_>],
    roots: &Roots,
    now: UnixTime,
    purpose: Purpose,
    algs: &WebPkiSupportedAlgorithms,
) -> Result<(), TrustError> {
    let (leaf, intermediates) = chain.split_first().ok_or(TrustError::NoCertificate)?;
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| TrustError::BadCertificate(e.to_string()))?;
    let usage = match purpose {
        Purpose::ServerAuth => webpki::KeyUsage::server_auth(),
        Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
    };
    ee.verify_for_usage(algs.all, &roots.0, intermediates, now, usage, None, None)
        .map(|_| ())
        .map_err(|e| TrustError::Pkix(format!("{e:?}")))
}
