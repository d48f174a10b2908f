//! The hybrid against itself, against bad shares, and ML-KEM-768 through
//! the very calls the hybrid makes (seeded key generation, encapsulation
//! with a given message) against C2SP's accumulated vectors.

use super::*;
use crate::provider::SystemRandom;

static GROUP: X25519MlKem768 = X25519MlKem768 {
    random: &SystemRandom,
};

/// Client and server end with the same 64-octet secret: ML-KEM's 32, then
/// X25519's 32; the shares have the draft's sizes.
#[test]
fn client_and_server_agree() {
    let client = GROUP.start().expect("client share");
    assert_eq!(client.pub_key().len(), CLIENT_SHARE);
    assert_eq!(client.group(), NamedGroup::X25519MLKEM768);
    let server = GROUP
        .start_and_complete(client.pub_key())
        .expect("server share");
    assert_eq!(server.pub_key.len(), SERVER_SHARE);
    let secret = client.complete(&server.pub_key).expect("client secret");
    assert_eq!(secret.secret_bytes().len(), 64);
    assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
}

/// The X25519 half offered as a second key share is the tail of the
/// hybrid share, and completes alone against a classical server.
#[test]
fn the_classical_half_completes_alone() {
    let client = GROUP.start().expect("client share");
    let (group, x25519) = client.hybrid_component().expect("a hybrid");
    assert_eq!(group, NamedGroup::X25519);
    assert_eq!(x25519, &client.pub_key()[MLKEM768_KEY..]);
    let server = X25519.start_and_complete(x25519).expect("x25519 server");
    let secret = client
        .complete_hybrid_component(&server.pub_key)
        .expect("x25519 secret");
    assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
}

/// Two key exchanges never share a key or a secret (the randomness is
/// used, not a constant).
#[test]
fn every_exchange_is_fresh() {
    let a = GROUP.start().expect("a");
    let b = GROUP.start().expect("b");
    assert_ne!(a.pub_key(), b.pub_key());
    let s1 = GROUP.start_and_complete(a.pub_key()).expect("s1");
    let s2 = GROUP.start_and_complete(a.pub_key()).expect("s2");
    assert_ne!(s1.pub_key, s2.pub_key);
    assert_ne!(s1.secret.secret_bytes(), s2.secret.secret_bytes());
}

/// Shares of the wrong size, and an encapsulation key whose coefficients
/// are not reduced modulo q (FIPS 203 §7.2's modulus check), are refused
/// as an invalid key share rather than computed with.
#[test]
fn bad_shares_are_refused() {
    let invalid = Error::from(PeerMisbehaved::InvalidKeyShare);
    let client = GROUP.start().expect("client share");
    let share = client.pub_key().to_vec();
    for bad in [
        &share[..CLIENT_SHARE - 1],
        &[][..],
        &[0u8; CLIENT_SHARE + 1][..],
    ] {
        assert_eq!(GROUP.start_and_complete(bad).err(), Some(invalid.clone()));
    }
    // The first coefficient set to 4095 (> q = 3329): 12 bits little-endian.
    let mut unreduced = share.clone();
    unreduced[0] = 0xff;
    unreduced[1] |= 0x0f;
    assert_eq!(
        GROUP.start_and_complete(&unreduced).err(),
        Some(invalid.clone())
    );
    let server = GROUP.start_and_complete(&share).expect("server");
    assert_eq!(
        client.complete(&server.pub_key[1..]).err(),
        Some(invalid.clone())
    );
}

/// A ciphertext changed in transit gives the client a different secret
/// (implicit rejection, FIPS 203 §6.3), so the handshake cannot complete;
/// a changed X25519 half does too.
#[test]
fn a_changed_ciphertext_changes_the_secret() {
    for position in [0, MLKEM768_CIPHERTEXT - 1, SERVER_SHARE - 1] {
        let client = GROUP.start().expect("client share");
        let server = GROUP.start_and_complete(client.pub_key()).expect("server");
        let mut share = server.pub_key.clone();
        share[position] ^= 1;
        match client.complete(&share) {
            Ok(secret) => assert_ne!(secret.secret_bytes(), server.secret.secret_bytes()),
            // X25519 refuses some points outright (an all-zero result).
            Err(e) => assert_eq!(e, Error::from(PeerMisbehaved::InvalidKeyShare)),
        }
    }
}

/// ML-KEM-768 known answers: C2SP CCTV's accumulated pq-crystals vectors
/// (c2sp.org/CCTV/ML-KEM, "Accumulated pq-crystals vectors", CC0). A
/// SHAKE-128 stream with empty input gives, per test, `d`, `z`, `m` and a
/// random ciphertext; `ek`, the expanded `dk`, `ct`, `K` and the implicit
/// rejection secret of the random ciphertext go into a second SHAKE-128,
/// whose first 32 octets after 10,000 tests are the published value for
/// final FIPS 203 (the README's earlier `f7db26…` is FIPS 203 ipd, before
/// `k` was appended to the key generation seed; this test failed against
/// it). The seeded key generation and encapsulation are the ones the
/// hybrid uses with its own randomness. About a minute in a debug build:
/// ML-KEM's generic code is compiled at the test crate's optimisation.
#[test]
#[allow(deprecated)] // the expanded key form, which the vectors hash
fn mlkem768_accumulated_vectors() {
    use ml_kem::ExpandedKeyEncoding;
    use shake::{ExtendableOutput, Shake128, Update, XofReader};

    let mut rng = Shake128::default().finalize_xof();
    let mut acc = Shake128::default();
    for _ in 0..10_000 {
        let mut seed = Seed::default();
        rng.read(&mut seed[..]);
        let mut m = B32::default();
        rng.read(&mut m[..]);
        let mut random_ct = Ciphertext::<MlKem768>::default();
        rng.read(&mut random_ct[..]);

        let dk = DecapsulationKey::<MlKem768>::from_seed(seed);
        let ek = dk.encapsulation_key();
        let (ct, k) = ek.encapsulate_deterministic(&m);
        assert_eq!(dk.decapsulate(&ct), k);
        acc.update(&ek.to_bytes());
        acc.update(&dk.to_expanded_bytes());
        acc.update(&ct);
        acc.update(&k);
        acc.update(&dk.decapsulate(&random_ct));
    }
    let mut out = [0u8; 32];
    acc.finalize_xof().read(&mut out);
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1"
    );
}
