//! Certificates: our own identity, and the RFC 6125 / RFC 6120 identity
//! check of a server's certificate.

use xmpptls::api::{CertificateSummary, IdentityMatch, IdentityPem};
use xmpptls::identity::Service;

use crate::error::XmppTlsError;

/// Generates an ECDSA P-256 key and a self-signed certificate naming the
/// bare form of `jid` as XmppAddr (RFC 6120 §13.7.1.4). Keep it in the
/// app's secure storage and pass it in `EndpointSettings.identity`, so
/// peers that pinned the key keep recognising it.
#[uniffi::export]
pub fn generate_identity(jid: String) -> Result<IdentityPem, XmppTlsError> {
    Ok(IdentityPem::generate(&jid)?)
}

/// Which identifier of the DER certificate names `domain` for `service`
/// (RFC 6125/9525 and RFC 6120 §13.7.1.2: DNS-ID, SRV-ID, XmppAddr;
/// CN-ID only with `cn_fallback`). `null` when none does.
#[uniffi::export]
pub fn check_identity(
    certificate: Vec<u8>,
    domain: String,
    service: Service,
    cn_fallback: bool,
) -> Result<Option<IdentityMatch>, XmppTlsError> {
    Ok(
        xmpptls::api::check_identity(&certificate, &domain, service, cn_fallback)?
            .as_ref()
            .map(IdentityMatch::from),
    )
}

/// The facts of a DER certificate (subject, validity, SANs, pins).
#[uniffi::export]
pub fn certificate_info(certificate: Vec<u8>) -> Result<CertificateSummary, XmppTlsError> {
    Ok(CertificateSummary::from(&xmpptls::api::certificate_info(
        &certificate,
    )?))
}

/// The DER certificates of PEM text, in order.
#[uniffi::export]
pub fn certificates_from_pem(pem: String) -> Result<Vec<Vec<u8>>, XmppTlsError> {
    Ok(xmpptls::identity::certificates_from_pem(pem.as_bytes())?
        .into_iter()
        .map(|c| c.as_ref().to_vec())
        .collect())
}

/// `tls-server-end-point` (RFC 5929 §4.1) of the server's end-entity
/// certificate (DER), for SCRAM-*-PLUS when the platform's TLS stack cannot
/// export `tls-exporter`: the certificate hashed with its signature's hash
/// (MD5 and SHA-1 raised to SHA-256).
#[uniffi::export]
pub fn tls_server_end_point(certificate: Vec<u8>) -> Result<Vec<u8>, XmppTlsError> {
    let cert = xmpptls::CertificateDer::from(certificate);
    xmpptls::channel_binding::tls_server_end_point(&cert)
        .map_err(|e| xmpptls::Error::from(e).into())
}
