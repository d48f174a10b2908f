//! The SCT list (RFC 6962 §3.3): `SignedCertificateTimestampList`, a
//! 16-bit length and 16-bit-length-prefixed SCTs, each a TLS structure.

use super::{err, CtError};

/// One signed certificate timestamp (RFC 6962 §3.2, version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// `sct_version` (0 for v1).
    pub version: u8,
    /// The log's id: SHA-256 of its public key.
    pub log_id: [u8; 32],
    /// When the log saw the certificate, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `extensions` (empty in every v1 log).
    pub extensions: Vec<u8>,
    /// The signature's hash algorithm (RFC 5246 §7.4.1.4.1: 4 is SHA-256).
    pub hash_algorithm: u8,
    /// The signature algorithm (1 RSA, 3 ECDSA).
    pub signature_algorithm: u8,
    /// The signature.
    pub signature: Vec<u8>,
}

/// Reads TLS-encoded fields (RFC 5246 §4) off the front of a slice.
struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CtError> {
        if self.0.len() < n {
            return Err(err("an SCT is truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn uint(&mut self, octets: usize) -> Result<u64, CtError> {
        Ok(self
            .take(octets)?
            .iter()
            .fold(0u64, |v, b| (v << 8) | u64::from(*b)))
    }

    fn vector(&mut self, length_octets: usize) -> Result<&'a [u8], CtError> {
        let n = usize::try_from(self.uint(length_octets)?).map_err(|_| err("an SCT length"))?;
        self.take(n)
    }
}

/// The SCTs of a `SignedCertificateTimestampList`. An SCT of another
/// version than 1 is skipped (RFC 6962 §3.3: clients ignore what they do
/// not understand); a list that does not parse is an error.
pub fn parse_list(list: &[u8]) -> Result<Vec<Sct>, CtError> {
    let mut outer = Tls(list);
    let mut items = Tls(outer.vector(2)?);
    if !outer.0.is_empty() {
        return Err(err("octets after the SCT list"));
    }
    let mut out = Vec::new();
    while !items.0.is_empty() {
        let one = items.vector(2)?;
        if one.first() != Some(&0) {
            continue;
        }
        out.push(parse_one(one)?);
    }
    Ok(out)
}

/// One v1 SCT.
pub fn parse_one(sct: &[u8]) -> Result<Sct, CtError> {
    let mut r = Tls(sct);
    let version = r.take(1)?[0];
    let mut log_id = [0u8; 32];
    log_id.copy_from_slice(r.take(32)?);
    let timestamp_ms = r.uint(8)?;
    let extensions = r.vector(2)?.to_vec();
    let hash_algorithm = r.take(1)?[0];
    let signature_algorithm = r.take(1)?[0];
    let signature = r.vector(2)?.to_vec();
    if !r.0.is_empty() {
        return Err(err("octets after an SCT"));
    }
    Ok(Sct {
        version,
        log_id,
        timestamp_ms,
        extensions,
        hash_algorithm,
        signature_algorithm,
        signature,
    })
}

/// The SCT list encoded again (for tests and for tools that build one).
pub fn encode_list(scts: &[Sct]) -> Vec<u8> {
    let mut items = Vec::new();
    for s in scts {
        let mut one = vec![s.version];
        one.extend_from_slice(&s.log_id);
        one.extend_from_slice(&s.timestamp_ms.to_be_bytes());
        one.extend_from_slice(&u16_len(s.extensions.len()));
        one.extend_from_slice(&s.extensions);
        one.push(s.hash_algorithm);
        one.push(s.signature_algorithm);
        one.extend_from_slice(&u16_len(s.signature.len()));
        one.extend_from_slice(&s.signature);
        items.extend_from_slice(&u16_len(one.len()));
        items.extend_from_slice(&one);
    }
    let mut out = u16_len(items.len()).to_vec();
    out.extend_from_slice(&items);
    out
}

fn u16_len(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_and_bad_ones_are_errors() {
        let s = Sct {
            version: 0,
            log_id: [7; 32],
            timestamp_ms: 1_600_000_000_000,
            extensions: vec![],
            hash_algorithm: 4,
            signature_algorithm: 3,
            signature: vec![1, 2, 3],
        };
        let list = encode_list(&[s.clone(), s.clone()]);
        assert_eq!(parse_list(&list), Ok(vec![s.clone(), s]));
        for cut in 0..list.len() {
            assert!(parse_list(&list[..cut]).is_err(), "{cut}");
        }
        let mut extra = list.clone();
        extra.push(0);
        assert!(parse_list(&extra).is_err());
        // A v2 SCT is skipped, not an error.
        let mut v2 = list;
        v2[4] = 1;
        assert_eq!(parse_list(&v2).map(|l| l.len()), Ok(1));
    }
}
