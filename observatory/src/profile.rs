//! What a scan found a server to accept, and the findings that names:
//! every accepted version and suite that RFC 7525 (applied to XMPP by
//! RFC 7590 §3.2) forbids or does not recommend, by name.

use xmpptls::policy::suites::{self, Class};
use xmpptls::policy::{Finding, FindingCode, Severity};
use xmpptls::provider::is_post_quantum_code;

use crate::hello::{group_name, version_name, GROUPS, SSL3, TLS10, TLS11, TLS12, TLS13};

/// What a scan finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// An accepted protocol version (wire code).
    Version(u16),
    /// An accepted cipher suite (IANA code).
    Suite(u16),
    /// The server as a whole (groups, options, order).
    Server,
}

/// A finding of the scan and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFinding {
    /// The finding.
    pub finding: Finding,
    /// Its subject.
    pub about: About,
}

/// One protocol version the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProfile {
    /// The version (`TLS12`, …).
    pub version: u16,
    /// The suites accepted with it, in the order the server chose them.
    pub suites: Vec<u16>,
    /// Whether the server picks by its own order (true) or the client's
    /// (false); None with fewer than two suites.
    pub server_order: Option<bool>,
}

/// Everything a scan found. Options are None when the scan could not tell
/// (the version needed was not accepted, or the deadline came first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// Accepted versions, newest first.
    pub versions: Vec<VersionProfile>,
    /// How each refused version was refused (`alert 70`, `closed`, …).
    pub refused: Vec<(u16, String)>,
    /// TLS 1.3 key exchange groups accepted, in [`GROUPS`] order.
    pub groups_tls13: Vec<u16>,
    /// ECDHE curves accepted with the highest version older than TLS 1.3.
    pub groups_tls12: Vec<u16>,
    /// Finite-field DHE modulus sizes seen (bits), smallest first.
    pub dh_bits: Vec<u32>,
    /// TLS compression accepted (RFC 7525 §3.3).
    pub compression: Option<bool>,
    /// Secure renegotiation (RFC 5746) signalled by every TLS 1.2-or-older answer.
    pub secure_renegotiation: Option<bool>,
    /// The fallback SCSV is honoured (RFC 7507).
    pub fallback_scsv: Option<bool>,
    /// Extended master secret (RFC 7627) in the TLS 1.2 answers.
    pub extended_master_secret: Option<bool>,
    /// The certificate chain seen in a TLS 1.2-or-older answer (DER, leaf first).
    pub chain: Vec<Vec<u8>>,
    /// Probes sent.
    pub probes: usize,
    /// Why the scan stopped before the end (deadline, probe budget).
    pub incomplete: Option<String>,
}

impl Profile {
    /// Whether `version` was accepted.
    pub fn accepts(&self, version: u16) -> bool {
        self.versions.iter().any(|v| v.version == version)
    }

    /// The post-quantum groups accepted (hybrid or pure ML-KEM), in
    /// [`GROUPS`] order: empty when the server's key exchange is classical
    /// only, so traffic recorded today could be decrypted by a future
    /// quantum computer.
    pub fn post_quantum_groups(&self) -> Vec<u16> {
        self.groups_tls13
            .iter()
            .copied()
            .filter(|&g| is_post_quantum_code(g))
            .collect()
    }

    /// Every accepted suite with the versions it was accepted with.
    pub fn suites(&self) -> Vec<(u16, Vec<u16>)> {
        let mut out: Vec<(u16, Vec<u16>)> = Vec::new();
        for v in &self.versions {
            for &s in &v.suites {
                match out.iter_mut().find(|(c, _)| *c == s) {
                    Some((_, vs)) => vs.push(v.version),
                    None => out.push((s, vec![v.version])),
                }
            }
        }
        out
    }

    /// The findings: versions, suites, key exchange sizes and options, each
    /// naming what the server accepts and why it matters.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings_about()
            .into_iter()
            .map(|f| f.finding)
            .collect()
    }

    /// [`Profile::findings`], each with what it is about, so that a report
    /// can tell one that repeats its own finding on the negotiated version
    /// or suite without reading messages.
    pub fn findings_about(&self) -> Vec<ScanFinding> {
        let mut out = Vec::new();
        let mut push = |about: About, finding: Finding| out.push(ScanFinding { finding, about });
        for v in &self.versions {
            match v.version {
                SSL3 => push(About::Version(v.version), Finding::new(
                    FindingCode::VersionForbidden,
                    Severity::Error,
                    "RFC 7568 §3; RFC 7590 §3.2",
                    "the server accepts SSLv3, which is broken (POODLE) and prohibited".into(),
                )),
                TLS10 | TLS11 => push(About::Version(v.version), Finding::new(
                    FindingCode::VersionDeprecated,
                    Severity::Warning,
                    "RFC 8996 §§4-5; RFC 7525 §3.1.1",
                    format!(
                        "the server accepts {}, deprecated: no AEAD suites, SHA-1/MD5 in the handshake",
                        version_name(v.version)
                    ),
                )),
                _ => {}
            }
        }
        if !self.versions.is_empty() && !self.accepts(TLS13) {
            push(
                About::Server,
                Finding::new(
                    FindingCode::NoTls13,
                    Severity::Info,
                    "RFC 8446; RFC 9325 §3.1.1",
                    "the server does not accept TLS 1.3".into(),
                ),
            );
        }
        for (code, versions) in self.suites() {
            let Some(s) = suites::by_code(code) else {
                push(
                    About::Suite(code),
                    Finding::new(
                        FindingCode::SuiteUnknown,
                        Severity::Warning,
                        "RFC 7525 §4",
                        format!(
                        "the server accepts suite 0x{code:04x}, which is not in the IANA registry"
                    ),
                    ),
                );
                continue;
            };
            let c = suites::classify(&s);
            let (finding_code, severity) = match c.class {
                Class::Forbidden => (FindingCode::SuiteForbidden, Severity::Error),
                Class::NotRecommended => (FindingCode::SuiteNotRecommended, Severity::Warning),
                _ => continue,
            };
            let names: Vec<String> = versions.iter().map(|&v| version_name(v)).collect();
            push(
                About::Suite(code),
                Finding::new(
                    finding_code,
                    severity,
                    c.source,
                    format!(
                        "the server accepts {} ({}): {}",
                        s.name,
                        names.join(", "),
                        c.reason
                    ),
                ),
            );
        }
        if let Some(&bits) = self.dh_bits.first() {
            if bits < 2048 {
                push(
                    About::Server,
                    Finding::new(
                        FindingCode::WeakDh,
                        if bits < 1024 {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        "RFC 7525 §4.5.1; RFC 7919",
                        format!(
                        "the server's DHE group is {bits} bits (at least 2048 recommended; Logjam)"
                    ),
                    ),
                );
            }
        }
        let mut weak_groups: Vec<u16> = Vec::new();
        for &g in self.groups_tls12.iter().chain(&self.groups_tls13) {
            if let Some((code, name, bits)) = GROUPS.iter().find(|x| x.0 == g) {
                // Finite-field groups (RFC 7919, codes 0x0100-0x01ff) are
                // not ECDH; the smallest, ffdhe2048, is the floor of RFC 7919
                // and RFC 9325 §4.2.1, so none of the named ones is weak.
                // (A group accepted with TLS 1.2 and 1.3 is named once.)
                let finite_field = (0x0100..0x0200).contains(code);
                if !finite_field && *bits < 128 && !weak_groups.contains(code) {
                    weak_groups.push(*code);
                    push(
                        About::Server,
                        Finding::new(
                            FindingCode::WeakEcdh,
                            Severity::Warning,
                            "RFC 7525 §4.5.1",
                            format!("the server accepts the group {name} ({bits}-bit security)"),
                        ),
                    );
                }
            }
        }
        // Only when the scan got as far as the groups (TLS 1.3 probed).
        let groups_probed = !self.groups_tls13.is_empty() || !self.accepts(TLS13);
        if !self.versions.is_empty() && groups_probed && self.post_quantum_groups().is_empty() {
            push(
                About::Server,
                Finding::new(
                    FindingCode::ClassicalKeyExchange,
                    Severity::Info,
                    "draft-ietf-tls-ecdhe-mlkem; NIST IR 8547",
                    "the server accepts no post-quantum key exchange (X25519MLKEM768, \
                 SecP256r1MLKEM768, SecP384r1MLKEM1024, ML-KEM): traffic recorded today could be \
                 decrypted by a future quantum computer"
                        .into(),
                ),
            );
        }
        if self.compression == Some(true) {
            push(
                About::Server,
                Finding::new(
                    FindingCode::Compression,
                    Severity::Error,
                    "RFC 7525 §3.3",
                    "the server accepts TLS compression (CRIME)".into(),
                ),
            );
        }
        if self.secure_renegotiation == Some(false) {
            push(
                About::Server,
                Finding::new(
                    FindingCode::NoSecureRenegotiation,
                    Severity::Warning,
                    "RFC 5746; RFC 7525 §3.5",
                    "the server does not signal secure renegotiation (RFC 5746)".into(),
                ),
            );
        }
        if self.fallback_scsv == Some(false) {
            push(About::Server, Finding::new(
                FindingCode::NoFallbackScsv,
                Severity::Info,
                "RFC 7507 §3",
                "the server ignores TLS_FALLBACK_SCSV: a downgrade to an older version it accepts is not refused".into(),
            ));
        }
        for v in &self.versions {
            if v.server_order == Some(false) && v.version <= TLS12 {
                push(
                    About::Server,
                    Finding::new(
                        FindingCode::ClientSuiteOrder,
                        Severity::Info,
                        "RFC 7525 §4.3",
                        format!(
                            "with {} the server takes the client's suite order, not its own",
                            version_name(v.version)
                        ),
                    ),
                );
            }
        }
        out
    }

    /// The profile as JSON (stable field names; README "xmpptls check").
    pub fn to_json_value(&self) -> serde_json::Value {
        use serde_json::json;
        let suite = |s: u16| {
            let known = suites::by_code(s);
            json!({
                "name": known.map_or_else(|| format!("0x{s:04x}"), |x| x.name.to_owned()),
                "code": s,
                "class": known.map_or("unknown", |x| suites::classify(&x).class.as_str()),
            })
        };
        json!({
            "versions": self.versions.iter().map(|v| json!({
                "version": version_name(v.version),
                "suites": v.suites.iter().map(|&s| suite(s)).collect::<Vec<_>>(),
                "server_order": v.server_order,
            })).collect::<Vec<_>>(),
            "refused": self.refused.iter().map(|(v, how)| json!({
                "version": version_name(*v), "how": how,
            })).collect::<Vec<_>>(),
            "groups_tls13": self.groups_tls13.iter().map(|&g| group_name(g)).collect::<Vec<_>>(),
            "groups_tls12": self.groups_tls12.iter().map(|&g| group_name(g)).collect::<Vec<_>>(),
            "post_quantum": {
                "accepted": !self.post_quantum_groups().is_empty(),
                "groups": self.post_quantum_groups().iter().map(|&g| group_name(g)).collect::<Vec<_>>(),
            },
            "dh_bits": self.dh_bits,
            "tls_compression": self.compression,
            "secure_renegotiation": self.secure_renegotiation,
            "fallback_scsv": self.fallback_scsv,
            "extended_master_secret": self.extended_master_secret,
            "probes": self.probes,
            "incomplete": self.incomplete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weak() -> Profile {
        Profile {
            versions: vec![
                VersionProfile {
                    version: TLS12,
                    suites: vec![0xc02f, 0x002f],
                    server_order: Some(false),
                },
                VersionProfile {
                    version: TLS10,
                    suites: vec![0x002f, 0x000a],
                    server_order: Some(true),
                },
            ],
            dh_bits: vec![1024],
            compression: Some(false),
            secure_renegotiation: Some(false),
            fallback_scsv: Some(false),
            ..Profile::default()
        }
    }

    #[test]
    fn findings_name_the_versions_and_suites_accepted() {
        let f = weak().findings();
        let has = |code: FindingCode, text: &str| {
            f.iter()
                .any(|x| x.code == code.as_str() && x.message.contains(text))
        };
        assert!(has(FindingCode::VersionDeprecated, "TLSv1.0"));
        assert!(has(FindingCode::NoTls13, "TLS 1.3"));
        assert!(has(
            FindingCode::SuiteNotRecommended,
            "TLS_RSA_WITH_AES_128_CBC_SHA (TLSv1.2, TLSv1.0)"
        ));
        assert!(has(
            FindingCode::SuiteForbidden,
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA (TLSv1.0)"
        ));
        assert!(has(FindingCode::WeakDh, "1024 bits"));
        assert!(has(FindingCode::NoSecureRenegotiation, "RFC 5746"));
        assert!(has(FindingCode::NoFallbackScsv, "FALLBACK"));
        assert!(has(FindingCode::ClientSuiteOrder, "TLSv1.2"));
        assert!(
            !f.iter()
                .any(|x| x.message.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")),
            "a recommended suite is no finding"
        );
    }

    /// Issue 22 #2: ffdhe2048 (112-bit security) is the RFC 7919 floor for
    /// finite-field DH, not a weak ECDH curve; secp224r1 is one.
    #[test]
    fn ffdhe2048_is_no_weak_ecdh_but_secp224r1_is() {
        let p = |groups: Vec<u16>| Profile {
            groups_tls13: groups,
            ..Profile::default()
        };
        let weak_ecdh = |p: Profile| {
            p.findings()
                .iter()
                .filter(|f| f.code == FindingCode::WeakEcdh.as_str())
                .count()
        };
        assert_eq!(weak_ecdh(p(vec![0x001d, 0x0100, 0x0101])), 0);
        assert_eq!(weak_ecdh(p(vec![0x001d, 0x0015])), 1);
    }

    #[test]
    fn json_names_versions_suites_and_classes() {
        let j = weak().to_json_value().to_string();
        assert!(j.contains(r#""version":"TLSv1.0""#), "{j}");
        assert!(
            j.contains(r#"{"class":"forbidden","code":10,"name":"TLS_RSA_WITH_3DES_EDE_CBC_SHA"}"#),
            "{j}"
        );
        assert!(j.contains(r#""dh_bits":[1024]"#), "{j}");
    }
}
