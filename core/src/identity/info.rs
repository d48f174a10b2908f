//! What a person wants to see of a certificate (RFC 7590 §3.6: show "details
//! about the server certificate"): subject, issuer, validity, identifiers by
//! type, fingerprints.

use rustls_pki_types::CertificateDer;

use super::der::{self, tag};

use super::{cert_sha256, hex, spki_sha256, PresentedIds};
use crate::error::TrustError;

/// Readable details of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// Start of validity, RFC 3339 (UTC).
    pub not_before_text: String,
    /// End of validity, RFC 3339 (UTC).
    pub not_after_text: String,
    /// Signature algorithm OID.
    pub signature_algorithm: String,
    /// Presented identifiers by type.
    pub ids: PresentedIds,
    /// Whether the certificate is a CA (basicConstraints cA).
    pub is_ca: bool,
    /// Public key algorithm: `RSA`, `ECDSA`, `Ed25519`, `Ed448`, `DSA`, or the OID.
    pub key_type: String,
    /// Public key size in bits (RSA modulus, EC field; 0 when unknown).
    pub key_bits: u32,
    /// Lowercase hex SHA-256 of the certificate.
    pub sha256: String,
    /// Lowercase hex SHA-256 of the SubjectPublicKeyInfo (the pin).
    pub spki_sha256: String,
}

impl CertificateInfo {
    /// Reads the details of a DER certificate.
    pub fn from_der(cert: &CertificateDer<'_>) -> Result<Self, TrustError> {
        let c = super::x509::parse(cert.as_ref()).map_err(TrustError::BadCertificate)?;
        let algorithm = &c.key_algorithm;
        let key_type = match KEY_TYPES.iter().find(|(oid, _)| *oid == algorithm.oid) {
            Some((_, name)) => (*name).to_owned(),
            None => algorithm.oid.clone(),
        };
        let key = c.public_key;
        let key_bits = match key_type.as_str() {
            "Ed25519" => 256,
            "Ed448" => 456,
            "RSA" => super::x509::rsa_modulus_bits(key).unwrap_or(0),
            // The named curve (RFC 5480 §2.1.1.1), else the point's size.
            "ECDSA" => algorithm
                .parameters
                .filter(|p| p.tag == tag::OID)
                .map(|p| der::oid_text(p.value))
                .and_then(|curve| CURVE_BITS.iter().find(|(oid, _)| *oid == curve))
                .map_or_else(|| point_bits(key), |(_, bits)| *bits),
            _ => 0,
        };
        Ok(CertificateInfo {
            subject: super::dn::to_rfc4514(&c.subject),
            issuer: super::dn::to_rfc4514(&c.issuer),
            serial: hex(c.serial),
            not_before: super::x509::unix_seconds(&c.not_before),
            not_after: super::x509::unix_seconds(&c.not_after),
            not_before_text: super::x509::rfc3339(&c.not_before),
            not_after_text: super::x509::rfc3339(&c.not_after),
            signature_algorithm: c.signature_algorithm.oid.clone(),
            ids: PresentedIds::from_certificate(&c)?,
            is_ca: super::x509::is_ca(&c),
            key_type,
            key_bits,
            sha256: hex(&cert_sha256(cert)),
            spki_sha256: hex(&spki_sha256(cert)?),
        })
    }

    /// Whether `now` (seconds since the epoch) is inside the validity period.
    pub fn valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// Public key algorithms by OID: rsaEncryption and RSASSA-PSS (RFC 4055),
/// id-ecPublicKey (RFC 5480), Ed25519 and Ed448 (RFC 8410), DSA (RFC 3279).
const KEY_TYPES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.113549.1.1.10", "RSA"),
    ("1.2.840.10045.2.1", "ECDSA"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.2.840.10040.4.1", "DSA"),
];

/// Named curves and their field sizes (RFC 5480 §2.1.1.1): P-256, P-384,
/// P-521.
const CURVE_BITS: &[(&str, u32)] = &[
    ("1.2.840.10045.3.1.7", 256),
    ("1.3.132.0.34", 384),
    ("1.3.132.0.35", 521),
];

/// The field size of an uncompressed EC point (SEC 1 §2.3.3): 0x04, x, y.
fn point_bits(point: &[u8]) -> u32 {
    u32::try_from(point.len().saturating_sub(1) / 2 * 8).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_of_a_self_signed_identity() {
        let jid = crate::jid::Jid::parse("romeo@montague.lit").unwrap();
        let id = crate::identity::Identity::self_signed(&jid).unwrap();
        let info = CertificateInfo::from_der(id.leaf()).unwrap();
        assert_eq!(info.subject, "CN=romeo@montague.lit");
        assert_eq!(info.subject, info.issuer);
        assert_eq!(info.ids.xmpp_addr, ["romeo@montague.lit"]);
        assert_eq!(info.sha256, id.certificate_fingerprint());
        assert_eq!(info.spki_sha256, id.spki_fingerprint().unwrap());
        assert_eq!(info.signature_algorithm, "1.2.840.10045.4.3.2");
        assert!(!info.is_ca);
        assert_eq!((info.key_type.as_str(), info.key_bits), ("ECDSA", 256));
        assert!(info.valid_at(1_795_305_600));
        assert!(info.not_before_text.ends_with('Z'));
        // rcgen's default validity: 1975-01-01 to 4096-01-01.
        assert_eq!(
            (info.not_before_text.as_str(), info.not_after_text.as_str()),
            ("1975-01-01T00:00:00Z", "4096-01-01T00:00:00Z")
        );
        assert!(CertificateInfo::from_der(&CertificateDer::from(vec![1, 2, 3])).is_err());
    }
}
