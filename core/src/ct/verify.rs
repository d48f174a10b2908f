//! An SCT's signature (RFC 6962 §3.2): the log signs a `digitally-signed`
//! structure over the SCT's fields and the certificate entry, with SHA-256
//! and ECDSA P-256 or RSA (PKCS #1 v1.5), by the key the log list gives.

use ring::signature::{self, UnparsedPublicKey};

use super::sct::Sct;
use super::{err, CtError};
use crate::identity::der::{self, tag};

/// What the log saw: the final certificate (TLS extension and OCSP SCTs)
/// or the precertificate (embedded SCTs).
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// `x509_entry`: the certificate's DER.
    X509(&'a [u8]),
    /// `precert_entry`: the issuer's key hash and the precertificate's
    /// TBSCertificate.
    Precert {
        /// SHA-256 of the issuer's SubjectPublicKeyInfo.
        issuer_key_hash: &'a [u8; 32],
        /// The TBSCertificate ([`super::certificate::precert_tbs`]).
        tbs: &'a [u8],
    },
}

fn u24(n: usize) -> Result<[u8; 3], CtError> {
    let n = u32::try_from(n)
        .ok()
        .filter(|n| *n < 1 << 24)
        .ok_or_else(|| err("an entry over 16 MiB"))?;
    let b = n.to_be_bytes();
    Ok([b[1], b[2], b[3]])
}

/// The octets the log signed for `sct` over `entry`.
pub fn signed_data(sct: &Sct, entry: Entry<'_>) -> Result<Vec<u8>, CtError> {
    let mut out = vec![sct.version, 0];
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    match entry {
        Entry::X509(cert) => {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&u24(cert.len())?);
            out.extend_from_slice(cert);
        }
        Entry::Precert {
            issuer_key_hash,
            tbs,
        } => {
            out.extend_from_slice(&[0, 1]);
            out.extend_from_slice(issuer_key_hash);
            out.extend_from_slice(&u24(tbs.len())?);
            out.extend_from_slice(tbs);
        }
    }
    let ext = u16::try_from(sct.extensions.len()).map_err(|_| err("SCT extensions too long"))?;
    out.extend_from_slice(&ext.to_be_bytes());
    out.extend_from_slice(&sct.extensions);
    Ok(out)
}

/// id-ecPublicKey (RFC 5480) and secp256r1, rsaEncryption (RFC 8017).
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Checks `sct`'s signature over `entry` with the log's `key` (a DER
/// SubjectPublicKeyInfo). SHA-256 with ECDSA P-256 or RSA is what RFC 6962
/// §2.1.4 allows; anything else is an error.
pub fn verify(sct: &Sct, entry: Entry<'_>, key: &[u8]) -> Result<(), CtError> {
    if sct.hash_algorithm != 4 {
        return Err(err(format!(
            "hash algorithm {} is not SHA-256",
            sct.hash_algorithm
        )));
    }
    let spki = der::one(key).map_err(err)?;
    let mut r = spki.children();
    let alg = r.expect(tag::SEQUENCE).map_err(err)?;
    let bits = r.expect(tag::BIT_STRING).map_err(err)?;
    let public = bits.value.get(1..).ok_or_else(|| err("an empty key"))?;
    let mut a = alg.children();
    let oid = a.expect(tag::OID).map_err(err)?;
    let params = a.optional(tag::OID).map_err(err)?;
    let algorithm: &dyn signature::VerificationAlgorithm =
        match (sct.signature_algorithm, oid.value, params.map(|p| p.value)) {
            (3, EC_PUBLIC_KEY, Some(P256)) => &signature::ECDSA_P256_SHA256_ASN1,
            (1, RSA, _) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (s, _, _) => {
                return Err(err(format!(
                    "signature algorithm {s} does not match the log's key"
                )))
            }
        };
    let data = signed_data(sct, entry)?;
    UnparsedPublicKey::new(algorithm, public)
        .verify(&data, &sct.signature)
        .map_err(|_| err("the signature does not verify"))
}
