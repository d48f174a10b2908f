//! A test Certificate Transparency log (RFC 6962): an ECDSA P-256 key that
//! signs SCTs, and its entry for a v3 log list. For the CT tests of the
//! core (`tests/ct.rs`) and of `xmpptls check` (`cli/tests/check.rs`).

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use xmpptls::ct::verify::{signed_data, Entry};
use xmpptls::ct::Sct;

/// A log.
pub struct TestLog {
    key: EcdsaKeyPair,
    /// Its SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// Its id: the SPKI's SHA-256.
    pub id: [u8; 32],
}

impl Default for TestLog {
    fn default() -> Self {
        Self::new()
    }
}

impl TestLog {
    /// A log with a fresh key.
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("its key pair");
        // SubjectPublicKeyInfo: id-ecPublicKey, secp256r1, the point.
        let mut spki = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        spki.extend_from_slice(key.public_key().as_ref());
        let mut id = [0u8; 32];
        id.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &spki).as_ref());
        TestLog { key, spki, id }
    }

    /// An SCT over `entry`, seen at `seen_ms`.
    pub fn sign(&self, entry: Entry<'_>, seen_ms: u64) -> Sct {
        let mut sct = Sct {
            version: 0,
            log_id: self.id,
            timestamp_ms: seen_ms,
            extensions: vec![],
            hash_algorithm: 4,
            signature_algorithm: 3,
            signature: vec![],
        };
        let data = signed_data(&sct, entry).expect("signed data");
        sct.signature = self
            .key
            .sign(&SystemRandom::new(), &data)
            .expect("a signature")
            .as_ref()
            .to_vec();
        sct
    }

    /// The operator `operator` with this one log in `state` since `since`
    /// (RFC 3339), as a v3 log list's `operators` entry.
    pub fn entry(&self, operator: &str, state: &str, since: &str) -> serde_json::Value {
        let b64 = |b: &[u8]| base64_simd::STANDARD.encode_to_string(b);
        serde_json::json!({"name": operator, "logs": [{
            "description": format!("{operator} test log"),
            "log_id": b64(&self.id), "key": b64(&self.spki),
            "state": {state: {"timestamp": since}},
        }]})
    }
}

/// A v3 log list of `operators` entries, dated 2026-12-01.
pub fn log_list_json(operators: Vec<serde_json::Value>) -> String {
    serde_json::json!({"log_list_timestamp": "2026-12-01T00:00:00Z", "operators": operators})
        .to_string()
}
