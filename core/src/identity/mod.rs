//! Certificates and keys: our own identity, fingerprints, the identifiers a
//! certificate presents (RFC 6120 §13.7.1.4 XmppAddr, RFC 6125 DNS-ID/SRV-ID)
//! and matching them against the service we wanted (RFC 6125/9525).

pub(crate) mod der;
mod dn;
mod fingerprint;
pub mod idn;
mod info;
pub mod matching;
pub mod pkix;
mod presented;
mod selfsigned;
pub(crate) mod x509;

pub use fingerprint::{cert_sha256, hex, parse_hex_sha256, spki_der, spki_sha256};
pub use info::CertificateInfo;
pub use matching::{match_identity, MatchKind, Matched, ReferenceIdentity, Service};
pub use presented::{PresentedIds, OID_SRV_NAME, OID_XMPP_ADDR};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// Every certificate in PEM text (`-----BEGIN CERTIFICATE-----` blocks), in
/// order. Other PEM blocks are skipped; no certificate at all is an error.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Certificate(format!("certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Certificate("no certificate in the PEM text".into()));
    }
    Ok(certs)
}

/// A certificate chain (leaf first) and its private key: what we present in
/// the TLS handshake of a tunnel.
#[derive(Debug)]
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl Identity {
    /// An identity from DER parts. The chain must not be empty.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Certificate("empty certificate chain".into()));
        }
        Ok(Identity { chain, key })
    }

    /// An identity from PEM text: the certificate chain (leaf first) and the
    /// private key (PKCS#8, SEC1 or PKCS#1).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = certificates_from_pem(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Certificate(format!("private key PEM: {e}")))?;
        Identity::new(chain, key)
    }

    /// The chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKeyDer<'static> {
        &self.key
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        // `new` guarantees a non-empty chain.
        &self.chain[0]
    }

    /// Lowercase hex SHA-256 of the leaf certificate: the value we announce in
    /// the XEP-0250 `<keyinfo><name/>` of our offers.
    pub fn certificate_fingerprint(&self) -> String {
        hex(&cert_sha256(self.leaf()))
    }

    /// The identity as PEM text: the chain (leaf first) and the private key,
    /// in the form [`Identity::from_pem`] reads back (RFC 7468). An
    /// application stores these to keep its key, and so its pin at its
    /// peers, across restarts.
    pub fn to_pem(&self) -> (String, String) {
        let mut chain = String::new();
        for c in &self.chain {
            pem_block(&mut chain, "CERTIFICATE", c.as_ref());
        }
        let (label, der) = match &self.key {
            PrivateKeyDer::Pkcs1(k) => ("RSA PRIVATE KEY", k.secret_pkcs1_der()),
            PrivateKeyDer::Sec1(k) => ("EC PRIVATE KEY", k.secret_sec1_der()),
            PrivateKeyDer::Pkcs8(k) => ("PRIVATE KEY", k.secret_pkcs8_der()),
            _ => ("PRIVATE KEY", &[][..]),
        };
        let mut key = String::new();
        pem_block(&mut key, label, der);
        (chain, key)
    }

    /// Lowercase hex SHA-256 of the leaf's SubjectPublicKeyInfo: the pin other
    /// parties store for us (pinned and trust-on-first-use modes).
    pub fn spki_fingerprint(&self) -> Result<String, Error> {
        Ok(hex(
            &spki_sha256(self.leaf()).map_err(|e| Error::Certificate(e.to_string()))?
        ))
    }
}

/// Appends one RFC 7468 block: base64 in lines of 64 characters.
fn pem_block(out: &mut String, label: &str, der: &[u8]) {
    let b64 = base64_simd::STANDARD.encode_to_string(der);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}
