//! SHA-256 fingerprints of certificates and of their public keys.

use ring::digest::{digest, SHA256};
use rustls_pki_types::CertificateDer;

use crate::error::TrustError;

/// SHA-256 of the whole certificate DER (XEP-0250 offers, RFC 6698 selector 0).
pub fn cert_sha256(cert: &CertificateDer<'_>) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, cert.as_ref()).as_ref());
    out
}

/// SHA-256 of the certificate's SubjectPublicKeyInfo (RFC 7469 pins, RFC 6698
/// selector 1): stable across renewals with the same key. Read with
/// rustls-webpki's light parser (this runs in every handshake).
pub fn spki_sha256(cert: &CertificateDer<'_>) -> Result<[u8; 32], TrustError> {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &spki_der(cert)?).as_ref());
    Ok(out)
}

/// The certificate's SubjectPublicKeyInfo, DER with its outer SEQUENCE
/// (RFC 6698 selector 1).
pub fn spki_der(cert: &CertificateDer<'_>) -> Result<Vec<u8>, TrustError> {
    let ee = webpki::EndEntityCert::try_from(cert)
        .map_err(|e| TrustError::BadCertificate(super::pkix::describe(&e)))?;
    Ok(ee.subject_public_key_info().as_ref().to_vec())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Reads a SHA-256 fingerprint written as hex, upper or lower case, with or
/// without `:` separators (the forms people copy from tools). `None` when it
/// is not 32 octets of hex.
pub fn parse_hex_sha256(s: &str) -> Option<[u8; 32]> {
    let mut digits = s.trim().bytes().filter(|&b| b != b':');
    let mut out = [0u8; 32];
    for byte in &mut out {
        let hi = char::from(digits.next()?).to_digit(16)?;
        let lo = char::from(digits.next()?).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    digits.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_is_the_whole_subject_public_key_info() {
        let jid = crate::jid::Jid::parse("a@b").unwrap();
        let id = crate::identity::Identity::self_signed(&jid).unwrap();
        let parsed = crate::identity::x509::parse(id.leaf().as_ref()).unwrap();
        let expected = digest(&SHA256, parsed.spki);
        assert_eq!(
            spki_sha256(id.leaf()).unwrap().as_slice(),
            expected.as_ref()
        );
        assert!(spki_sha256(&CertificateDer::from(vec![0x30, 0x00])).is_err());
    }

    #[test]
    fn hex_round_trip() {
        let v: Vec<u8> = (0..32).collect();
        let h = hex(&v);
        assert_eq!(&h[..6], "000102");
        assert_eq!(parse_hex_sha256(&h).unwrap().to_vec(), v);
        let colons: Vec<String> = v.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(parse_hex_sha256(&colons.join(":")).unwrap().to_vec(), v);
        assert_eq!(parse_hex_sha256("abcd"), None);
        assert_eq!(parse_hex_sha256(&"zz".repeat(32)), None);
        assert_eq!(parse_hex_sha256(&"ab".repeat(33)), None);
        assert_eq!(parse_hex_sha256(&"a".repeat(65)), None);
    }
}
