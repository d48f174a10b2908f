//! Certificate checks every binding offers, with one error mapping: bytes
//! that are not a certificate are [`Error::Certificate`] (106), a domain
//! that is not one is [`Error::Config`] (500).

use rustls_pki_types::CertificateDer;

use crate::error::Error;
use crate::identity::{
    match_identity, CertificateInfo, Matched, PresentedIds, ReferenceIdentity, Service,
};

/// Which identifier of the DER certificate names `domain` for `service`
/// (RFC 6125/9525, RFC 6120 §13.7.1.2); `None` when none does. `cn_fallback`
/// accepts a CN-ID when the certificate has no usable SAN (RFC 6125 §6.4.4).
pub fn check_identity(
    der: &[u8],
    domain: &str,
    service: Service,
    cn_fallback: bool,
) -> Result<Option<Matched>, Error> {
    let reference =
        ReferenceIdentity::new(domain, service).map_err(|e| Error::Config(e.to_string()))?;
    let ids = PresentedIds::from_der(&CertificateDer::from(der))
        .map_err(|e| Error::Certificate(e.to_string()))?;
    Ok(match_identity(&ids, &reference, cn_fallback))
}

/// The facts of a DER certificate (subject, issuer, validity, SANs, pins).
pub fn certificate_info(der: &[u8]) -> Result<CertificateInfo, Error> {
    CertificateInfo::from_der(&CertificateDer::from(der))
        .map_err(|e| Error::Certificate(e.to_string()))
}
