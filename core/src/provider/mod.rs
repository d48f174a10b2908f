//! The one rustls `CryptoProvider` of the crate, built on ring from parts we
//! choose instead of ring's `default_provider()`: the suites RFC 7525 §4.2
//! recommends, the signature algorithms peers may use, and a key loader
//! that can leave RSA signing out of builds that need no RSA identity
//! (`default_provider()` names ring's own key loader, which pulls in RSA
//! key parsing and signing whether or not a key is ever RSA).

use std::sync::Arc;

use rustls::crypto::ring::{self as ring_provider, sign};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use rustls_pki_types::PrivateKeyDer;
use webpki::ring as algs;

use crate::policy::suites;

mod hybrid;
mod key_exchange;

pub use key_exchange::{
    is_post_quantum_code, is_post_quantum_group, KeyExchange, POST_QUANTUM_GROUPS,
};

/// The signature algorithms accepted in certificates and handshakes:
/// ECDSA P-256/P-384, Ed25519, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2 and
/// 2048 to 8192-bit keys (RFC 8446 §4.2.3; RFC 7525 §4.5 for the key sizes).
pub(crate) static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ED25519,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    // TLS 1.3 fixes the curve with the scheme; TLS 1.2 does not, so each
    // ECDSA scheme accepts both curves.
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[algs::ED25519]),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[algs::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[algs::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[algs::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// ring's suites restricted to what RFC 7525 §4.2 recommends (they already
/// are exactly TLS 1.3 AEAD and TLS 1.2 ECDHE with AES-GCM or
/// ChaCha20-Poly1305; the filter keeps it so if ring ever grows), our key
/// loader and the system's randomness; the groups of the default
/// [`KeyExchange`] (X25519MLKEM768 first).
pub(crate) fn provider() -> CryptoProvider {
    provider_for(KeyExchange::default())
}

/// The rustls `CryptoProvider` tunnels use (suites, signature algorithms,
/// randomness, and the groups of `key_exchange`), for hosts and tests that
/// run rustls connections of their own with the same cryptography: an
/// interop test against OpenSSL, a server that wants the same hybrid.
pub fn crypto_provider(key_exchange: KeyExchange) -> CryptoProvider {
    provider_for(key_exchange)
}

/// [`provider`] with the groups of `key_exchange`.
pub(crate) fn provider_for(key_exchange: KeyExchange) -> CryptoProvider {
    let mut p = CryptoProvider {
        cipher_suites: ring_provider::ALL_CIPHER_SUITES
            .iter()
            .copied()
            .filter(|s| {
                suites::by_code(u16::from(s.suite()))
                    .is_some_and(|known| known.tls13 || (known.kx == "ECDHE" && known.aead))
            })
            .collect(),
        kx_groups: key_exchange.groups(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandom,
        key_provider: &Keys,
    };
    prefer_chacha_without_aes_hardware(&mut p);
    p
}

/// The operating system's randomness (the browser's `getRandomValues` in
/// wasm), through ring.
#[derive(Debug)]
pub(crate) struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// Loads our identity's key: ECDSA, Ed25519, and RSA with the
/// `rsa-identities` feature. Without it an RSA key is refused (as
/// [`Error::Certificate`](crate::Error::Certificate) when the endpoint is
/// made) and ring's RSA key parsing is left out of the build.
#[derive(Debug)]
struct Keys;

impl KeyProvider for Keys {
    fn load_private_key(
        &self,
        key: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        #[cfg(feature = "rsa-identities")]
        {
            sign::any_supported_type(&key)
        }
        #[cfg(not(feature = "rsa-identities"))]
        {
            sign::any_ecdsa_type(&key).or_else(|e| match &key {
                PrivateKeyDer::Pkcs8(k) => sign::any_eddsa_type(k),
                _ => Err(e),
            })
        }
    }
}

/// On WebAssembly there is no AES instruction: ring's constant-time software
/// AES-GCM is several times slower than ChaCha20-Poly1305 there (the case
/// RFC 8439 §1 names), so a wasm endpoint offers ChaCha20-Poly1305 first.
/// The client's order decides (rustls servers follow it), so a tunnel
/// opened by a browser uses ChaCha20; natively AES-GCM stays first.
#[cfg(target_arch = "wasm32")]
fn prefer_chacha_without_aes_hardware(p: &mut CryptoProvider) {
    p.cipher_suites.sort_by_key(|s| {
        !suites::by_code(u16::from(s.suite())).is_some_and(|k| k.cipher.starts_with("CHACHA20"))
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn prefer_chacha_without_aes_hardware(_: &mut CryptoProvider) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry, not rustls's `Debug` names, decides what is offered:
    /// TLS 1.3 suites and TLS 1.2 ECDHE with an AEAD (RFC 7525 §4.2).
    #[test]
    fn offered_suites_are_tls13_or_ecdhe_aead() {
        let p = provider();
        let known: Vec<_> = p
            .cipher_suites
            .iter()
            .map(|s| suites::by_code(u16::from(s.suite())).unwrap())
            .collect();
        assert_eq!(known.len(), if cfg!(feature = "tls12") { 9 } else { 3 });
        assert!(known.iter().all(|k| k.tls13 || (k.kx == "ECDHE" && k.aead)));
        assert_eq!(known.iter().filter(|k| k.tls13).count(), 3);
    }

    #[test]
    fn every_signature_scheme_ring_verifies() {
        let p = provider();
        let ring = ring_provider::default_provider().signature_verification_algorithms;
        assert_eq!(
            SIGNATURE_ALGORITHMS.supported_schemes(),
            ring.supported_schemes()
        );
        assert_eq!(SIGNATURE_ALGORITHMS.all.len(), ring.all.len());
        assert!(p.secure_random.fill(&mut [0u8; 16]).is_ok());
    }
}
