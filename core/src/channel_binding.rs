//! Channel binding values for SCRAM-*-PLUS (RFC 5802 §6, RFC 7677) over the
//! TLS connection an XMPP stream runs on.
//!
//! * `tls-exporter` (RFC 9266): 32 octets exported with the label
//!   `EXPORTER-Channel-Binding` and no context. The binding to use with TLS
//!   1.3, and with TLS 1.2 only when extended master secret was negotiated
//!   (RFC 9266 §4.2; rustls always uses it for TLS 1.2).
//! * `tls-server-end-point` (RFC 5929 §4.1): a hash of the server's
//!   certificate, with the hash function of the certificate's signature
//!   algorithm (MD5 and SHA-1 are replaced by SHA-256). Works with any TLS
//!   stack that can hand over the server certificate.
//! * `tls-unique` (RFC 5929 §3) is **not available**: it is undefined for
//!   TLS 1.3 (RFC 8446 §C.5), unsafe for TLS 1.2 without extended master
//!   secret, and rustls does not expose the Finished message it needs.

use ring::digest::{digest, SHA256, SHA384, SHA512};
use rustls_pki_types::CertificateDer;

pub use crate::error::BindingError;

/// Length of a `tls-exporter` value (RFC 9266 §2).
pub const TLS_EXPORTER_LEN: usize = 32;
/// Exporter label of `tls-exporter` (RFC 9266 §2).
pub const TLS_EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// The hash RFC 5929 §4.1 prescribes, by hash algorithm OID.
fn hash_for(oid: &str) -> Option<&'static ring::digest::Algorithm> {
    Some(match oid {
        // MD5 and SHA-1 are upgraded to SHA-256.
        "1.2.840.113549.2.5" | "1.3.14.3.2.26" | "2.16.840.1.101.3.4.2.1" => &SHA256,
        "2.16.840.1.101.3.4.2.2" => &SHA384,
        "2.16.840.1.101.3.4.2.3" => &SHA512,
        _ => return None,
    })
}

/// `id-RSASSA-PSS` (RFC 4055 §3.1): the hash is in the parameters.
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

/// The hash algorithm OID inside a signature algorithm OID.
fn hash_oid_of_signature(oid: &str) -> Option<&'static str> {
    Some(match oid {
        // RSA PKCS#1 v1.5
        "1.2.840.113549.1.1.4" => "1.2.840.113549.2.5",
        "1.2.840.113549.1.1.5" => "1.3.14.3.2.26",
        "1.2.840.113549.1.1.11" => "2.16.840.1.101.3.4.2.1",
        "1.2.840.113549.1.1.12" => "2.16.840.1.101.3.4.2.2",
        "1.2.840.113549.1.1.13" => "2.16.840.1.101.3.4.2.3",
        // ECDSA
        "1.2.840.10045.4.1" => "1.3.14.3.2.26",
        "1.2.840.10045.4.3.2" => "2.16.840.1.101.3.4.2.1",
        "1.2.840.10045.4.3.3" => "2.16.840.1.101.3.4.2.2",
        "1.2.840.10045.4.3.4" => "2.16.840.1.101.3.4.2.3",
        // DSA
        "1.2.840.10040.4.3" => "1.3.14.3.2.26",
        "2.16.840.1.101.3.4.3.2" => "2.16.840.1.101.3.4.2.1",
        _ => return None,
    })
}

/// `tls-server-end-point` for the server's end-entity certificate
/// (RFC 5929 §4.1).
pub fn tls_server_end_point(cert: &CertificateDer<'_>) -> Result<Vec<u8>, BindingError> {
    let c = crate::identity::x509::parse(cert.as_ref()).map_err(BindingError::BadCertificate)?;
    let alg = &c.signature_algorithm;
    let sig_oid = alg.oid.clone();
    let hash_oid = if sig_oid == OID_RSASSA_PSS {
        crate::identity::x509::pss_hash_oid(alg.parameters.as_ref())
            .ok_or_else(|| BindingError::UndefinedHash(sig_oid.clone()))?
    } else {
        hash_oid_of_signature(&sig_oid)
            .ok_or_else(|| BindingError::UndefinedHash(sig_oid.clone()))?
            .to_owned()
    };
    let hash = hash_for(&hash_oid).ok_or(BindingError::UndefinedHash(sig_oid))?;
    Ok(digest(hash, cert.as_ref()).as_ref().to_vec())
}

/// `tls-exporter` for a rustls connection after its handshake (RFC 9266).
pub fn tls_exporter<D>(
    conn: &rustls::ConnectionCommon<D>,
) -> Result<[u8; TLS_EXPORTER_LEN], BindingError> {
    let mut out = [0u8; TLS_EXPORTER_LEN];
    conn.export_keying_material(&mut out, TLS_EXPORTER_LABEL, None)
        .map_err(|e| BindingError::NotExportable(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
    };

    fn cert(alg: &'static rcgen::SignatureAlgorithm) -> CertificateDer<'static> {
        let key = KeyPair::generate_for(alg).unwrap();
        let c = CertificateParams::new(vec!["example.net".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        CertificateDer::from(c.der().to_vec())
    }

    #[test]
    fn hash_follows_the_signature_algorithm() {
        let p256 = cert(&PKCS_ECDSA_P256_SHA256);
        assert_eq!(
            tls_server_end_point(&p256).unwrap(),
            digest(&SHA256, p256.as_ref()).as_ref()
        );
        let p384 = cert(&PKCS_ECDSA_P384_SHA384);
        let v = tls_server_end_point(&p384).unwrap();
        assert_eq!(v.len(), 48);
        assert_eq!(v, digest(&SHA384, p384.as_ref()).as_ref());
    }

    #[test]
    fn undefined_for_ed25519_and_garbage() {
        assert!(matches!(
            tls_server_end_point(&cert(&PKCS_ED25519)),
            Err(BindingError::UndefinedHash(_))
        ));
        assert!(matches!(
            tls_server_end_point(&CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00])),
            Err(BindingError::BadCertificate(_))
        ));
    }

    #[test]
    fn sha1_and_md5_are_upgraded_to_sha256() {
        assert_eq!(
            hash_oid_of_signature("1.2.840.113549.1.1.5").and_then(hash_for),
            Some(&SHA256)
        );
        assert_eq!(
            hash_oid_of_signature("1.2.840.113549.1.1.4").and_then(hash_for),
            Some(&SHA256)
        );
        assert_eq!(
            hash_oid_of_signature("1.2.840.113549.1.1.13").and_then(hash_for),
            Some(&SHA512)
        );
    }
}
