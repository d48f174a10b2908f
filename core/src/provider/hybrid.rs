//! X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, TLS code point 0x11EC): the
//! hybrid key exchange rustls, OpenSSL 3.5, browsers and Cloudflare offer
//! first. Its secret holds as long as either ML-KEM-768 (FIPS 203) or
//! X25519 (RFC 7748) does, so a tunnel recorded today cannot be decrypted
//! by a quantum computer later ("harvest now, decrypt later").
//!
//! Wire format (draft-ietf-tls-ecdhe-mlkem §3, unlike the other hybrids the
//! post-quantum part comes first):
//! - client share: the ML-KEM-768 encapsulation key (1,184 octets), then
//!   the X25519 public key (32);
//! - server share: the ML-KEM-768 ciphertext (1,088 octets), then the
//!   X25519 public key (32);
//! - shared secret: the ML-KEM shared secret (32), then the X25519 one (32).
//!
//! # Why RustCrypto `ml-kem` next to ring's X25519
//! - **wasm and every target**: pure Rust, `no_std`, no C or assembly; it
//!   builds wherever ring does, including `wasm32-unknown-unknown` for the
//!   npm package. aws-lc-rs (the ML-KEM of rustls's own
//!   `rustls-post-quantum`) needs CMake and a C toolchain per target, does
//!   not build for `wasm32-unknown-unknown`, and would be a second copy of
//!   the primitives ring already gives us. liboqs has the same C toolchain
//!   needs and more algorithms than we use.
//! - **size**: ML-KEM-768 with SHA-3 added about 12 KB of gzip to the npm
//!   package (README, "What the post-quantum hybrid costs").
//! - **audit and constant time**: aws-lc's ML-KEM is formally verified
//!   and FIPS-validated; `ml-kem` says in its README that it has never
//!   been independently audited. It compares and selects in constant time
//!   (`ctutils`), including the ciphertext comparison of decapsulation's
//!   implicit rejection, and avoids division by secrets (KyberSlash). We
//!   test it against C2SP's accumulated FIPS 203 vectors and OpenSSL 3.5.
//!   The hybrid keeps X25519's guarantee whatever ML-KEM's implementation
//!   turns out to be, which is the reason hybrids are deployed first.
//! - **randomness**: ours. Key generation takes its 64-octet seed
//!   (FIPS 203 §6.1: `d || z`) and encapsulation its 32-octet message
//!   (§6.2: `m`) from the provider's [`SecureRandom`], the same source as
//!   every other key of the provider, through the seeded forms of the
//!   standard's algorithms.
//! - **zeroized**: seeds, messages and secrets live in [`Zeroizing`]
//!   buffers; `ml-kem` zeroizes its decapsulation key on drop (its
//!   `zeroize` feature), rustls its `SharedSecret`.

use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::{Ciphertext, DecapsulationKey, EncapsulationKey, Key, MlKem768, Seed, B32};
use rustls::crypto::ring::kx_group::X25519;
use rustls::crypto::{
    ActiveKeyExchange, CompletedKeyExchange, SecureRandom, SharedSecret, SupportedKxGroup,
};
use rustls::{Error, NamedGroup, PeerMisbehaved, ProtocolVersion};
use zeroize::Zeroizing;

/// Octets of an ML-KEM-768 encapsulation key (FIPS 203 §8, Table 3).
pub(crate) const MLKEM768_KEY: usize = 1184;
/// Octets of an ML-KEM-768 ciphertext (FIPS 203 §8, Table 3).
pub(crate) const MLKEM768_CIPHERTEXT: usize = 1088;
/// Octets of an X25519 public key (RFC 7748 §6.1).
const X25519_SHARE: usize = 32;
/// The client's key share: encapsulation key, then X25519.
pub(crate) const CLIENT_SHARE: usize = MLKEM768_KEY + X25519_SHARE;
/// The server's key share: ciphertext, then X25519.
pub(crate) const SERVER_SHARE: usize = MLKEM768_CIPHERTEXT + X25519_SHARE;

/// The X25519MLKEM768 group, with randomness from `random`.
#[derive(Debug)]
pub(crate) struct X25519MlKem768 {
    pub(crate) random: &'static dyn SecureRandom,
}

impl SupportedKxGroup for X25519MlKem768 {
    /// Client side: a fresh ML-KEM-768 key pair and X25519 key.
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut seed = Zeroizing::new(Seed::default());
        self.random.fill(&mut seed[..])?;
        let decapsulation = DecapsulationKey::<MlKem768>::from_seed(*seed);
        let x25519 = X25519.start()?;
        let mut share = Vec::with_capacity(CLIENT_SHARE);
        share.extend_from_slice(&decapsulation.encapsulation_key().to_bytes());
        share.extend_from_slice(x25519.pub_key());
        Ok(Box::new(Active {
            decapsulation,
            x25519,
            share,
        }))
    }

    /// Server side: encapsulate to the client's key and answer its X25519
    /// share. A share of the wrong length or an encapsulation key that
    /// fails FIPS 203's modulus check (§7.2) is `InvalidKeyShare`.
    fn start_and_complete(&self, client_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        if client_share.len() != CLIENT_SHARE {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let (key, x25519_share) = client_share.split_at(MLKEM768_KEY);
        let key = Key::<EncapsulationKey<MlKem768>>::try_from(key)
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let encapsulation = EncapsulationKey::<MlKem768>::new(&key)
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let mut message = Zeroizing::new(B32::default());
        self.random.fill(&mut message[..])?;
        let (ciphertext, mlkem_secret) = encapsulation.encapsulate_deterministic(&message);
        let mlkem_secret = Zeroizing::new(mlkem_secret);
        let x25519 = X25519.start_and_complete(x25519_share)?;
        let mut share = Vec::with_capacity(SERVER_SHARE);
        share.extend_from_slice(&ciphertext);
        share.extend_from_slice(&x25519.pub_key);
        Ok(CompletedKeyExchange {
            group: self.name(),
            pub_key: share,
            secret: joined(&mlkem_secret, x25519.secret.secret_bytes()),
        })
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }

    /// The hybrid is defined for TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem
    /// §3); a TLS 1.2 handshake uses the classical groups.
    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_3
    }
}

/// A client's key exchange in progress.
struct Active {
    decapsulation: DecapsulationKey<MlKem768>,
    x25519: Box<dyn ActiveKeyExchange>,
    share: Vec<u8>,
}

impl ActiveKeyExchange for Active {
    /// Decapsulate the server's ciphertext and complete X25519. ML-KEM's
    /// implicit rejection (FIPS 203 §6.3) turns a bad ciphertext into a
    /// secret the server does not have: the handshake then fails at
    /// Finished, as the draft expects.
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, Error> {
        if server_share.len() != SERVER_SHARE {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let (ciphertext, x25519_share) = server_share.split_at(MLKEM768_CIPHERTEXT);
        let ciphertext = Ciphertext::<MlKem768>::try_from(ciphertext)
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let mlkem_secret = Zeroizing::new(self.decapsulation.decapsulate(&ciphertext));
        let x25519 = self.x25519.complete(x25519_share)?;
        Ok(joined(&mlkem_secret, x25519.secret_bytes()))
    }

    /// The X25519 part, which rustls sends as a second key share so that a
    /// classical-only peer answers without a HelloRetryRequest
    /// (draft-ietf-tls-hybrid-design §3.2 allows reusing it).
    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        Some((NamedGroup::X25519, self.x25519.pub_key()))
    }

    /// The peer chose plain X25519.
    fn complete_hybrid_component(
        self: Box<Self>,
        peer_pub_key: &[u8],
    ) -> Result<SharedSecret, Error> {
        self.x25519.complete(peer_pub_key)
    }

    fn pub_key(&self) -> &[u8] {
        &self.share
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }
}

/// The ML-KEM secret, then the X25519 one (draft-ietf-tls-ecdhe-mlkem §3).
fn joined(mlkem: &[u8], x25519: &[u8]) -> SharedSecret {
    let mut secret = Zeroizing::new(Vec::with_capacity(mlkem.len() + x25519.len()));
    secret.extend_from_slice(mlkem);
    secret.extend_from_slice(x25519);
    SharedSecret::from(&secret[..])
}

#[cfg(test)]
mod tests;
