//! The grade, A to F, of a server's TLS: a published score and caps, after
//! the SSL Labs Server Rating Guide (2009, revised 2020) and the caps the
//! IM Observatory (XMPPoke) applied to XMPP servers.
//!
//! **Score** (0–100) = 30 % protocol + 30 % key exchange + 40 % cipher:
//!
//! * Protocol: the mean of the best and the worst version accepted; TLS 1.3
//!   and 1.2 count 100, TLS 1.1 95, TLS 1.0 90, SSL 3.0 20.
//! * Key exchange: the weakest accepted, by security strength (NIST SP
//!   800-57): static RSA counts the certificate key, DHE its modulus, ECDHE
//!   and TLS 1.3 their groups. Under 80 bits (e.g. 512-bit DH) 20, under
//!   112 (1024-bit) 40, under 128 (2048-bit) 80, under 152 90, else 100.
//! * Cipher: the mean of the strongest and the weakest accepted suite by
//!   security strength: none (NULL) 0, under 128 bits (3DES, DES, RC2) 20,
//!   under 256 (AES-128) 80, 256 (AES-256, ChaCha20) 100.
//!
//! **Letters**: 80 and above A, 65 B, 50 C, 35 D, 20 E, below F.
//!
//! **Caps** — the grade is at most the lowest that applies:
//!
//! | condition | at most | why |
//! |---|---|---|
//! | no TLS (STARTTLS failed, stripped or refused; no version accepted) | F | RFC 7590 §3.1 |
//! | the certificate is not trusted, does not name the domain, or is expired | F | RFC 6120 §13.7.2, RFC 6125 |
//! | SSL 3.0 accepted | F | RFC 7568 |
//! | NULL, anonymous or EXPORT suites accepted | F | RFC 7525 §4.1 |
//! | a certificate key under 1024 bits, or DH under 1024 bits | F | RFC 7525 §4.5.1 |
//! | RC4 or a suite under 128-bit security (3DES) accepted | C | RFC 7465, RFC 7525 §4.1 |
//! | TLS compression | C | RFC 7525 §3.3 (CRIME) |
//! | no secure renegotiation (RFC 5746) | C | RFC 7525 §3.5 |
//! | neither TLS 1.2 nor 1.3 accepted | C | RFC 7525 §3.1.1 |
//! | STARTTLS not advertised (a client that follows the features stays in the clear) | C | RFC 7590 §3.1 |
//! | SASL PLAIN offered before TLS (a password can travel in the clear) | C | RFC 6120 §13.8 |
//! | an RSA certificate key under 2048 bits | C | RFC 7525 §4.5.1 |
//! | TLS 1.0 or 1.1 accepted | B | RFC 8996 |
//! | STARTTLS offered but not required | B | RFC 7590 §3.1 |
//! | DH under 2048 bits | B | RFC 7525 §4.5.1 |
//! | no suite with forward secrecy, or none with AEAD | B | RFC 7525 §4.2 |
//!
//! **Post-quantum key exchange** (X25519MLKEM768 and the other ML-KEM
//! groups, [`Profile::post_quantum_groups`]) is reported beside the grade
//! and does not move it as of December 2026: classical ECDHE is unbroken,
//! NIST IR 8547 deprecates it only after 2030, and most deployed XMPP
//! servers cannot negotiate a hybrid yet. Its absence is the information
//! finding `classical-key-exchange`; a cap belongs here as 2030 nears.

use std::fmt;

use xmpptls::policy::suites;
use xmpptls::policy::FindingCode;
use xmpptls::ConnectionReport;

use crate::hello::{GROUPS, SSL3, TLS10, TLS11, TLS12, TLS13};
use crate::profile::Profile;

/// A letter grade; `A` is best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// Score 80 and above, no cap.
    A,
    /// Score 65 and above, or capped at B.
    B,
    /// Score 50 and above, or capped at C.
    C,
    /// Score 35 and above.
    D,
    /// Score 20 and above.
    E,
    /// Below 20, or capped at F.
    F,
}

impl Grade {
    fn from_score(score: u32) -> Grade {
        match score {
            80.. => Grade::A,
            65..=79 => Grade::B,
            50..=64 => Grade::C,
            35..=49 => Grade::D,
            20..=34 => Grade::E,
            _ => Grade::F,
        }
    }

    /// `A` … `F`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
            Grade::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The score's parts, each 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    /// Protocol versions.
    pub protocol: u32,
    /// Key exchange strength.
    pub key_exchange: u32,
    /// Cipher strength.
    pub cipher: u32,
    /// 30 % protocol + 30 % key exchange + 40 % cipher.
    pub total: u32,
}

/// A grade with its score and the caps that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeReport {
    /// The grade: the score's letter or the lowest cap.
    pub grade: Grade,
    /// The score.
    pub score: Score,
    /// Every cap that applied: the grade it allows and why.
    pub caps: Vec<(Grade, String)>,
}

fn protocol_points(v: u16) -> u32 {
    match v {
        TLS13 | TLS12 => 100,
        TLS11 => 95,
        TLS10 => 90,
        _ => 20,
    }
}

fn kx_points(bits: u32) -> u32 {
    match bits {
        0..=79 => 20,
        80..=111 => 40,
        112..=127 => 80,
        128..=151 => 90,
        _ => 100,
    }
}

fn cipher_points(bits: u16) -> u32 {
    match bits {
        0 => 0,
        1..=127 => 20,
        128..=255 => 80,
        _ => 100,
    }
}

/// RSA and DSA keys (not ECDSA, whose name also ends in "DSA"): their
/// strength follows the modulus size.
fn is_finite_field(kind: &str) -> bool {
    kind.eq_ignore_ascii_case("RSA") || kind.eq_ignore_ascii_case("DSA")
}

/// Security strength of a finite-field or RSA key of `bits` (NIST SP 800-57 Part 1 Table 2).
fn ff_strength(bits: u32) -> u32 {
    match bits {
        0..=1023 => 40,
        1024..=2047 => 80,
        2048..=3071 => 112,
        3072..=7679 => 128,
        7680..=15359 => 192,
        _ => 256,
    }
}

/// Grades a server from its scan `profile` and the `report` of a full
/// handshake (certificate, identity, trust; STARTTLS findings). See the
/// module documentation for the rules.
pub fn grade(profile: &Profile, report: &ConnectionReport) -> GradeReport {
    let mut caps: Vec<(Grade, String)> = Vec::new();
    let has = |code: FindingCode| {
        report
            .evaluation
            .findings
            .iter()
            .any(|f| f.code == code.as_str())
    };
    let cert_bits = report
        .certificate
        .as_ref()
        .map(|c| (c.key_type.clone(), c.key_bits));

    if profile.versions.is_empty() {
        caps.push((Grade::F, "no TLS version accepted".into()));
    }
    if has(FindingCode::StarttlsFailed) {
        caps.push((Grade::F, "no TLS could be started on the stream".into()));
    }
    if has(FindingCode::SaslPlainBeforeTls) {
        caps.push((Grade::C, "SASL PLAIN is offered before TLS".into()));
    }
    if has(FindingCode::StarttlsNotRequired) {
        caps.push((Grade::B, "STARTTLS is not required".into()));
    }
    if has(FindingCode::StarttlsNotOffered) {
        caps.push((
            Grade::C,
            "STARTTLS is not advertised: a client that follows the features stays in the clear"
                .into(),
        ));
    }
    for (code, why) in [
        (
            FindingCode::CertificateUntrusted,
            "the certificate is not trusted",
        ),
        (
            FindingCode::CertificateRejected,
            "the certificate was rejected",
        ),
        (
            FindingCode::IdentityMismatch,
            "the certificate does not name the domain",
        ),
    ] {
        if has(code) {
            caps.push((Grade::F, why.into()));
        }
    }
    if profile.accepts(SSL3) {
        caps.push((Grade::F, "SSL 3.0 is accepted".into()));
    }
    if profile.accepts(TLS10) || profile.accepts(TLS11) {
        caps.push((Grade::B, "TLS 1.0 or 1.1 is accepted".into()));
    }
    if !profile.versions.is_empty() && !profile.accepts(TLS12) && !profile.accepts(TLS13) {
        caps.push((Grade::C, "neither TLS 1.2 nor TLS 1.3 is accepted".into()));
    }
    let accepted: Vec<suites::Suite> = profile
        .suites()
        .iter()
        .filter_map(|(c, _)| suites::by_code(*c))
        .collect();
    if accepted
        .iter()
        .any(|s| s.cipher == "NULL" || s.auth == "anon" || s.export)
    {
        caps.push((
            Grade::F,
            "NULL, anonymous or EXPORT suites are accepted".into(),
        ));
    }
    if accepted
        .iter()
        .any(|s| s.cipher.starts_with("RC4") || (s.security_bits > 0 && s.security_bits < 128))
    {
        caps.push((
            Grade::C,
            "RC4 or a suite under 128-bit security (3DES) is accepted".into(),
        ));
    }
    if !accepted.is_empty() && !accepted.iter().any(|s| s.forward_secrecy || s.tls13) {
        caps.push((Grade::B, "no suite with forward secrecy".into()));
    }
    if !accepted.is_empty() && !accepted.iter().any(|s| s.aead) {
        caps.push((Grade::B, "no AEAD suite".into()));
    }
    if let Some(&dh) = profile.dh_bits.first() {
        if dh < 1024 {
            caps.push((Grade::F, format!("DH of {dh} bits")));
        } else if dh < 2048 {
            caps.push((Grade::B, format!("DH of {dh} bits")));
        }
    }
    if let Some((kind, bits)) = &cert_bits {
        let rsa_like = is_finite_field(kind);
        if rsa_like && *bits < 1024 {
            caps.push((Grade::F, format!("a {bits}-bit {kind} certificate key")));
        } else if rsa_like && *bits < 2048 {
            caps.push((Grade::C, format!("a {bits}-bit {kind} certificate key")));
        }
    }
    if profile.compression == Some(true) {
        caps.push((Grade::C, "TLS compression is accepted".into()));
    }
    if profile.secure_renegotiation == Some(false) {
        caps.push((Grade::C, "no secure renegotiation".into()));
    }

    // The score.
    let versions: Vec<u16> = profile.versions.iter().map(|v| v.version).collect();
    let protocol = match (versions.iter().max(), versions.iter().min()) {
        (Some(&best), Some(&worst)) => (protocol_points(best) + protocol_points(worst)) / 2,
        _ => 0,
    };
    let cert_strength = cert_bits.as_ref().map(|(kind, bits)| {
        if is_finite_field(kind) {
            ff_strength(*bits)
        } else {
            // EC keys: half their size.
            bits / 2
        }
    });
    let mut kx: Vec<u32> = Vec::new();
    for s in &accepted {
        match s.kx {
            "RSA" => kx.extend(cert_strength),
            "DHE" => kx.extend(profile.dh_bits.iter().map(|&b| ff_strength(b))),
            _ => {}
        }
    }
    for g in profile.groups_tls12.iter().chain(&profile.groups_tls13) {
        if let Some((_, _, bits)) = GROUPS.iter().find(|x| x.0 == *g) {
            kx.push(u32::from(*bits));
        }
    }
    let key_exchange = kx.iter().min().map_or(0, |&b| kx_points(b));
    let strengths: Vec<u16> = accepted.iter().map(|s| s.security_bits).collect();
    let cipher = match (strengths.iter().max(), strengths.iter().min()) {
        (Some(&hi), Some(&lo)) => (cipher_points(hi) + cipher_points(lo)) / 2,
        _ => 0,
    };
    let total = (30 * protocol + 30 * key_exchange + 40 * cipher) / 100;
    let score = Score {
        protocol,
        key_exchange,
        cipher,
        total,
    };
    let grade = caps
        .iter()
        .map(|c| c.0)
        .chain([Grade::from_score(total)])
        .max()
        .unwrap_or(Grade::F);
    caps.sort_by_key(|c| std::cmp::Reverse(c.0));
    GradeReport { grade, score, caps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::VersionProfile;
    use xmpptls::policy::{Negotiated, Policy};

    fn report() -> ConnectionReport {
        ConnectionReport::new(
            "example.net",
            &Policy::strict(),
            Negotiated::default(),
            None,
            None,
        )
    }

    fn profile(versions: Vec<(u16, Vec<u16>)>) -> Profile {
        Profile {
            versions: versions
                .into_iter()
                .map(|(version, suites)| VersionProfile {
                    version,
                    suites,
                    server_order: Some(true),
                })
                .collect(),
            groups_tls13: vec![0x001d, 0x0017],
            groups_tls12: vec![0x001d, 0x0017],
            compression: Some(false),
            secure_renegotiation: Some(true),
            ..Profile::default()
        }
    }

    #[test]
    fn a_modern_server_gets_an_a() {
        let p = profile(vec![
            (TLS13, vec![0x1302, 0x1301]),
            (TLS12, vec![0xc030, 0xc02f]),
        ]);
        let g = grade(&p, &report());
        assert_eq!(g.grade, Grade::A, "{g:?}");
        assert_eq!(g.score.protocol, 100);
        assert_eq!(g.score.key_exchange, 90);
        assert_eq!(g.score.cipher, 90);
        assert!(g.caps.is_empty());
    }

    #[test]
    fn legacy_versions_and_suites_cap_the_grade() {
        let p = profile(vec![(TLS12, vec![0xc02f]), (TLS10, vec![0xc013])]);
        assert_eq!(grade(&p, &report()).grade, Grade::B);
        let p = profile(vec![(TLS12, vec![0xc02f, 0x000a])]);
        let g = grade(&p, &report());
        assert_eq!(g.grade, Grade::C, "3DES: {g:?}");
        let p = profile(vec![(TLS10, vec![0x002f])]);
        let g = grade(&p, &report());
        assert_eq!(g.grade, Grade::C, "TLS 1.0 only: {g:?}");
        assert!(g.caps.iter().any(|c| c.1.contains("neither TLS 1.2")));
        let p = profile(vec![(SSL3, vec![0x002f])]);
        assert_eq!(grade(&p, &report()).grade, Grade::F);
        let mut p = profile(vec![(TLS12, vec![0x009e])]);
        p.dh_bits = vec![1024];
        assert_eq!(grade(&p, &report()).grade, Grade::B);
        p.dh_bits = vec![512];
        assert_eq!(grade(&p, &report()).grade, Grade::F);
    }

    /// An ECDSA P-256 key is 128-bit strong, not a 256-bit "DSA" key.
    #[test]
    fn ecdsa_keys_are_not_graded_as_dsa() {
        let mut r = report();
        let jid = xmpptls::Jid::parse("example.net").unwrap();
        let id = xmpptls::Identity::self_signed(&jid).unwrap();
        let info = xmpptls::identity::CertificateInfo::from_der(&id.chain()[0]).unwrap();
        assert_eq!((info.key_type.as_str(), info.key_bits), ("ECDSA", 256));
        r.certificate = Some(info);
        let p = profile(vec![(TLS13, vec![0x1301]), (TLS12, vec![0xc02b])]);
        let g = grade(&p, &r);
        assert!(g.caps.is_empty(), "{g:?}");
        assert_eq!(g.grade, Grade::A);
        if let Some(c) = r.certificate.as_mut() {
            c.key_type = "RSA".into();
            c.key_bits = 1024;
        }
        assert_eq!(grade(&p, &r).grade, Grade::C);
    }

    #[test]
    fn no_tls_is_an_f() {
        let g = grade(&Profile::default(), &report());
        assert_eq!(g.grade, Grade::F);
        assert_eq!(g.score.total, 0);
    }
}
