//! Certificates: our own identity, and the RFC 6125 / RFC 6120 identity
//! check of a server's certificate.

use crate::error::XmppTlsError;
use crate::policy::Service;
use crate::report::{CertificateInfo, IdentityMatch};

/// A certificate chain (leaf first) and its private key, as PEM text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentityPem {
    /// The chain.
    pub chain_pem: String,
    /// The private key (PKCS#8, SEC1 or PKCS#1).
    pub key_pem: String,
}

/// Generates an ECDSA P-256 key and a self-signed certificate naming the
/// bare form of `jid` as XmppAddr (RFC 6120 §13.7.1.4). Keep it in the
/// app's secure storage and pass it in `EndpointSettings.identity`, so
/// peers that pinned the key keep recognising it.
#[uniffi::export]
pub fn generate_identity(jid: String) -> Result<IdentityPem, XmppTlsError> {
    let id = xmpptls::api::IdentityPem::generate(&jid)?;
    Ok(IdentityPem {
        chain_pem: id.chain_pem,
        key_pem: id.key_pem,
    })
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
        xmpptls::api::check_identity(&certificate, &domain, service.into(), cn_fallback)?
            .map(IdentityMatch::from),
    )
}

/// The facts of a DER certificate (subject, validity, SANs, pins).
#[uniffi::export]
pub fn certificate_info(certificate: Vec<u8>) -> Result<CertificateInfo, XmppTlsError> {
    Ok(CertificateInfo::from(&xmpptls::api::certificate_info(
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
