//! The details of peer certificates seen recently, so that a tunnel
//! re-opened to a known peer does not decode its certificate again for the
//! report (RFC 7590 §3.6). Decoding one is ~8 µs, a fifth of what a tunnel
//! adds to a handshake.

use std::collections::VecDeque;

use rustls_pki_types::CertificateDer;

use crate::identity::CertificateInfo;

/// Most certificates whose details an endpoint keeps (about 1 KiB each);
/// the least recently used is forgotten first.
pub const MAX_CACHED_CERTIFICATES: usize = 32;

/// Certificate details by SHA-256 of the certificate DER, most recent last.
#[derive(Debug, Default)]
pub(crate) struct CertificateCache {
    entries: VecDeque<([u8; 32], CertificateInfo)>,
}

impl CertificateCache {
    /// The details of `der`, whose SHA-256 is `sha256`: kept ones, or read
    /// now and kept. `None` when the certificate cannot be read.
    pub(crate) fn details(
        &mut self,
        der: &CertificateDer<'_>,
        sha256: [u8; 32],
    ) -> Option<CertificateInfo> {
        if let Some(i) = self.entries.iter().position(|(h, _)| *h == sha256) {
            let entry = self.entries.remove(i)?;
            let info = entry.1.clone();
            self.entries.push_back(entry);
            return Some(info);
        }
        let info = CertificateInfo::from_der(der).ok()?;
        if self.entries.len() >= MAX_CACHED_CERTIFICATES {
            self.entries.pop_front();
        }
        self.entries.push_back((sha256, info.clone()));
        Some(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{cert_sha256, Identity};
    use crate::jid::Jid;

    #[test]
    fn keeps_the_most_recent_and_reads_each_once() {
        let ids: Vec<Identity> = (0..=MAX_CACHED_CERTIFICATES)
            .map(|i| Identity::self_signed(&Jid::parse(&format!("u{i}@example.org")).unwrap()))
            .collect::<Result<_, _>>()
            .unwrap();
        let mut cache = CertificateCache::default();
        for id in &ids {
            let got = cache.details(id.leaf(), cert_sha256(id.leaf())).unwrap();
            assert_eq!(got, CertificateInfo::from_der(id.leaf()).unwrap());
        }
        assert_eq!(cache.entries.len(), MAX_CACHED_CERTIFICATES);
        // The first was forgotten; the second is still there.
        let hashes: Vec<[u8; 32]> = cache.entries.iter().map(|(h, _)| *h).collect();
        assert!(!hashes.contains(&cert_sha256(ids[0].leaf())));
        assert!(hashes.contains(&cert_sha256(ids[1].leaf())));
        // Details are looked up by the hash they were kept under.
        let garbage = CertificateDer::from(vec![0x30, 0x00]);
        let kept = cache.details(&garbage, cert_sha256(ids[1].leaf())).unwrap();
        assert_eq!(
            kept.sha256,
            CertificateInfo::from_der(ids[1].leaf()).unwrap().sha256
        );
        assert!(cache.details(&garbage, [0; 32]).is_none());
    }
}
