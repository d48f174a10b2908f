//! Which key exchange groups tunnels offer and accept: the post-quantum
//! setting every binding exposes under the same name, and which IANA
//! groups count as post-quantum for the policy and the observatory.

use rustls::crypto::ring::kx_group::{SECP256R1, SECP384R1, X25519};
use rustls::crypto::SupportedKxGroup;

use super::hybrid::X25519MlKem768;
use super::SystemRandom;

/// Whether a tunnel's key exchange is post-quantum (draft-ietf-tls-ecdhe-mlkem;
/// RFC 7525 predates it). TLS 1.3 only: TLS 1.2 has no hybrid groups, so a
/// TLS 1.2 handshake is classical under [`PostQuantum`](Self::PostQuantum)
/// and impossible under [`PostQuantumRequired`](Self::PostQuantumRequired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum KeyExchange {
    /// Offer X25519MLKEM768 first and X25519 second, with a key share for
    /// each, so that a classical-only peer answers without a
    /// HelloRetryRequest; accept a classical peer (the default: what
    /// rustls, OpenSSL 3.5 and browsers do).
    #[default]
    PostQuantum,
    /// X25519MLKEM768 only: a peer that cannot do it is refused with a
    /// TLS `handshake_failure` (the tunnel closes with a TLS error).
    PostQuantumRequired,
    /// X25519, secp256r1, secp384r1 only: for a peer that breaks on large
    /// ClientHellos, or to measure what the hybrid costs.
    Classical,
}

/// X25519MLKEM768 with the provider's randomness.
static X25519_MLKEM768: X25519MlKem768 = X25519MlKem768 {
    random: &SystemRandom,
};

impl KeyExchange {
    /// The groups offered, in order of preference.
    pub(crate) fn groups(self) -> Vec<&'static dyn SupportedKxGroup> {
        match self {
            KeyExchange::PostQuantum => vec![&X25519_MLKEM768, X25519, SECP256R1, SECP384R1],
            KeyExchange::PostQuantumRequired => vec![&X25519_MLKEM768],
            KeyExchange::Classical => vec![X25519, SECP256R1, SECP384R1],
        }
    }
}

/// The IANA "TLS Supported Groups" entries whose key exchange resists a
/// quantum computer: the ML-KEM hybrids of draft-ietf-tls-ecdhe-mlkem, the
/// pure ML-KEM groups of draft-ietf-tls-mlkem, and the pre-standard Kyber
/// hybrid browsers shipped in 2023-2024. Code and IANA name.
pub const POST_QUANTUM_GROUPS: &[(u16, &str)] = &[
    (0x11ec, "X25519MLKEM768"),
    (0x11eb, "SecP256r1MLKEM768"),
    (0x11ed, "SecP384r1MLKEM1024"),
    (0x0200, "MLKEM512"),
    (0x0201, "MLKEM768"),
    (0x0202, "MLKEM1024"),
    (0x6399, "X25519Kyber768Draft00"),
];

/// Whether the group with IANA code `code` is post-quantum.
pub fn is_post_quantum_code(code: u16) -> bool {
    POST_QUANTUM_GROUPS.iter().any(|(c, _)| *c == code)
}

/// Whether the group named `name` (IANA's spelling, any case) or written
/// as its code (`0x11ec`) is post-quantum.
pub fn is_post_quantum_group(name: &str) -> bool {
    let code = name
        .strip_prefix("0x")
        .and_then(|hex| u16::from_str_radix(hex, 16).ok());
    POST_QUANTUM_GROUPS
        .iter()
        .any(|(c, n)| Some(*c) == code || n.eq_ignore_ascii_case(name))
}

crate::names::named!(KeyExchange, "key exchange" {
    PostQuantum = 0, "post-quantum";
    PostQuantumRequired = 1, "post-quantum-required";
    Classical = 2, "classical";
});

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::NamedGroup;

    /// The hybrid comes first and X25519 right after it, so rustls sends
    /// both key shares; `required` offers nothing classical.
    #[test]
    fn preference_orders() {
        let names =
            |k: KeyExchange| -> Vec<NamedGroup> { k.groups().iter().map(|g| g.name()).collect() };
        assert_eq!(
            names(KeyExchange::PostQuantum)[..2],
            [NamedGroup::X25519MLKEM768, NamedGroup::X25519]
        );
        assert_eq!(
            names(KeyExchange::PostQuantumRequired),
            [NamedGroup::X25519MLKEM768]
        );
        assert!(!names(KeyExchange::Classical).contains(&NamedGroup::X25519MLKEM768));
    }

    /// Names as rustls, OpenSSL and reports spell them; codes in hex.
    #[test]
    fn post_quantum_names() {
        for pq in ["X25519MLKEM768", "x25519mlkem768", "0x11ec", "MLKEM1024"] {
            assert!(is_post_quantum_group(pq), "{pq}");
        }
        for classical in ["X25519", "secp256r1", "ffdhe2048", "0x001d", "", "0x"] {
            assert!(!is_post_quantum_group(classical), "{classical}");
        }
        assert_eq!(
            NamedGroup::X25519MLKEM768.as_str(),
            Some(POST_QUANTUM_GROUPS[0].1)
        );
    }
}
