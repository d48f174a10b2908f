//! `evaluate`: grade what a TLS connection negotiated against a [`Policy`]
//! (RFC 7590 §3, RFC 7525 §3–4, RFC 8996, RFC 7627). The input is what any
//! TLS stack can report, so connections made by OpenSSL, a browser or
//! Android's TLS are graded the same way as ours.

use std::fmt;

use rustls_pki_types::CertificateDer;

use super::findings::FindingCode;
use super::suites::{self, Class};
use super::{AuthMethod, Policy, ResumptionMode, TlsVersion};
use crate::identity::CertificateInfo;
use crate::provider::is_post_quantum_group;

/// What a TLS connection negotiated, as any TLS stack can report it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Negotiated {
    /// False for a plaintext stream (no TLS at all).
    pub encrypted: bool,
    /// The protocol version.
    pub version: Option<TlsVersion>,
    /// The cipher suite code point (see [`suites::by_name`] for names).
    pub suite: Option<u16>,
    /// Key exchange group, e.g. `X25519`, `secp256r1`, `ffdhe2048`.
    pub kx_group: Option<String>,
    /// Size of the key exchange in bits (finite-field DH modulus or curve).
    pub kx_bits: Option<u32>,
    /// The peer's public key algorithm: `RSA`, `ECDSA`, `Ed25519`, …
    pub peer_key_type: Option<String>,
    /// The peer's public key size in bits.
    pub peer_key_bits: Option<u32>,
    /// TLS-level compression was negotiated.
    pub compression: bool,
    /// The session was resumed.
    pub resumed: bool,
    /// Resumption used a session ticket (RFC 5077) rather than a session ID.
    pub ticket: bool,
    /// Extended master secret (RFC 7627) was negotiated (TLS 1.2).
    pub extended_master_secret: Option<bool>,
    /// How the caller authenticated the peer (`None`: not at all).
    pub authentication: Option<AuthMethod>,
    /// The peer's certificate chain (DER, end entity first), if any. When
    /// `peer_key_type`/`peer_key_bits` are not given they are read from it.
    pub peer_chain: Vec<CertificateDer<'static>>,
}

impl Negotiated {
    /// Sets the suite by name: IANA (`TLS_AES_128_GCM_SHA256`), rustls
    /// (`TLS13_AES_128_GCM_SHA256`) or OpenSSL (`ECDHE-RSA-AES128-GCM-SHA256`,
    /// as `SSL_CIPHER_get_name` prints it). Unknown names are
    /// [`Error::UnknownName`](crate::Error::UnknownName).
    pub fn set_suite_name(&mut self, name: &str) -> Result<(), crate::Error> {
        self.suite = Some(suites::code_by_any_name(name)?);
        Ok(())
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing, nothing wrong.
    Info,
    /// Weaker than recommended; the connection may proceed.
    Warning,
    /// Against the policy: the connection should not proceed.
    Error,
}

impl Severity {
    /// `info`, `warning`, `error` ([`Named`](crate::names::Named)'s table).
    pub fn as_str(self) -> &'static str {
        crate::names::Named::name(self)
    }
}

/// One observation about a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable identifier, e.g. `suite-forbidden` (never renamed).
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// Where the rule is written.
    pub rfc: &'static str,
    /// One sentence a person understands.
    pub message: String,
}

impl std::fmt::Display for Finding {
    /// The line reports print: `[severity] code: message (rfc)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {} ({})",
            self.severity.as_str(),
            self.code,
            self.message,
            self.rfc
        )
    }
}

/// The overall grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum Verdict {
    /// Everything the policy asks for holds.
    Pass,
    /// Acceptable, with warnings.
    Warn,
    /// Against the policy.
    Fail,
}

impl Verdict {
    /// `pass`, `warn`, `fail` ([`Named`](crate::names::Named)'s table).
    pub fn as_str(self) -> &'static str {
        crate::names::Named::name(self)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict and every finding behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Fail if any finding is an error, warn if any is a warning.
    pub verdict: Verdict,
    /// In the order they were found.
    pub findings: Vec<Finding>,
}

struct Out(Vec<Finding>);

impl Out {
    fn add(&mut self, code: FindingCode, severity: Severity, rfc: &'static str, message: String) {
        self.0.push(Finding::new(code, severity, rfc, message));
    }
}

/// Grades `n` against `policy`.
pub fn evaluate(policy: &Policy, n: &Negotiated) -> Evaluation {
    evaluate_with_certificate(policy, n, None)
}

/// [`evaluate`] with the peer certificate's details already read (the
/// report reads them anyway), so the chain is not decoded twice.
pub(crate) fn evaluate_with_certificate(
    policy: &Policy,
    n: &Negotiated,
    certificate: Option<&CertificateInfo>,
) -> Evaluation {
    use Severity::*;
    let mut out = Out(Vec::new());
    if !n.encrypted {
        let sev = if policy.require_encryption {
            Error
        } else {
            Warning
        };
        out.add(
            FindingCode::Unencrypted,
            sev,
            "RFC 7590 §3.1",
            "the stream is not encrypted: anyone on the path can read and change it".into(),
        );
        return finish(out);
    }
    version_findings(policy, n, &mut out);
    suite_findings(policy, n, &mut out);
    key_findings(policy, n, certificate, &mut out);
    if n.compression {
        out.add(FindingCode::Compression, Warning, "RFC 7525 §3.3", "TLS-level compression is on: it enables CRIME-style attacks (XMPP can compress at the application layer, XEP-0138)".into());
    }
    if n.version == Some(TlsVersion::Tls12) && n.extended_master_secret == Some(false) {
        out.add(FindingCode::NoExtendedMasterSecret, Warning, "RFC 7627 §4; RFC 7525 §3.5 (triple handshake)", "TLS 1.2 without extended master secret: the session is open to triple-handshake attacks and tls-unique/tls-exporter channel binding is unsafe".into());
    }
    if n.resumed
        && n.ticket
        && policy.resumption == ResumptionMode::SessionIdsOnly
        && n.version != Some(TlsVersion::Tls13)
    {
        out.add(FindingCode::SessionTicket, Warning, "RFC 7525 §3.4; IETF 88 TLS in XMPP slides", "resumed with a TLS 1.2 session ticket: tickets encrypted under a long-lived key weaken forward secrecy; session IDs are preferred".into());
    }
    if n.resumed && policy.resumption == ResumptionMode::Disabled {
        out.add(
            FindingCode::ResumptionDisabled,
            Error,
            "policy",
            "the session was resumed but the policy disables resumption".into(),
        );
    }
    auth_findings(policy, n, &mut out);
    finish(out)
}

fn finish(out: Out) -> Evaluation {
    let worst = out.0.iter().map(|f| f.severity).max();
    Evaluation {
        verdict: match worst {
            Some(Severity::Error) => Verdict::Fail,
            Some(Severity::Warning) => Verdict::Warn,
            _ => Verdict::Pass,
        },
        findings: out.0,
    }
}

fn version_findings(policy: &Policy, n: &Negotiated, out: &mut Out) {
    use Severity::*;
    let Some(v) = n.version else {
        out.add(
            FindingCode::VersionUnknown,
            Warning,
            "RFC 7590 §3.6",
            "the TLS version was not reported".into(),
        );
        return;
    };
    match v {
        TlsVersion::Ssl2 | TlsVersion::Ssl3 => out.add(FindingCode::VersionForbidden, Error, "RFC 7525 §3.1.1; RFC 6176; RFC 7568", format!("{v} is broken and must not be used")),
        TlsVersion::Tls10 | TlsVersion::Tls11 => out.add(FindingCode::VersionDeprecated, if v < policy.min_version { Error } else { Warning }, "RFC 8996 §2–3; RFC 7525 §3.1.1", format!("{v} is deprecated: it lacks modern AEAD suites and uses SHA-1/MD5 in its handshake")),
        TlsVersion::Tls12 | TlsVersion::Tls13 => {
            if v < policy.min_version {
                out.add(FindingCode::VersionBelowPolicy, Error, "policy", format!("{v} is below the policy's minimum {}", policy.min_version));
            }
        }
    }
}

fn suite_findings(policy: &Policy, n: &Negotiated, out: &mut Out) {
    use Severity::*;
    let Some(code) = n.suite else {
        out.add(
            FindingCode::SuiteUnknown,
            Warning,
            "RFC 7590 §3.6",
            "the cipher suite was not reported".into(),
        );
        return;
    };
    let Some(s) = suites::by_code(code) else {
        out.add(
            FindingCode::SuiteUnknown,
            Warning,
            "RFC 7590 §3.6",
            format!("cipher suite 0x{code:04x} is not in the registry"),
        );
        return;
    };
    if policy.denied_suites.contains(&code) {
        out.add(
            FindingCode::SuiteDenied,
            Error,
            "policy",
            format!("{} is on the policy's deny list", s.name),
        );
        return;
    }
    let c = suites::classify(&s);
    let allowed = policy.allowed_suites.contains(&code);
    match c.class {
        Class::Forbidden | Class::Signalling => out.add(
            FindingCode::SuiteForbidden,
            Error,
            c.source,
            format!("{}: {}", s.name, c.reason),
        ),
        Class::NotRecommended if !allowed => {
            let sev = if c.class < policy.min_suite_class {
                Error
            } else {
                Warning
            };
            out.add(
                FindingCode::SuiteNotRecommended,
                sev,
                c.source,
                format!("{}: {}", s.name, c.reason),
            );
        }
        Class::Recommended if !allowed && c.class < policy.min_suite_class => {
            out.add(
                FindingCode::SuiteBelowPolicy,
                Error,
                "policy",
                format!(
                    "{} is recommended but the policy asks for {} suites",
                    s.name, policy.min_suite_class
                ),
            );
        }
        Class::Recommended => out.add(
            FindingCode::SuiteNotPreferred,
            Info,
            "IETF 88 TLS in XMPP slides",
            format!("{}: good; 256-bit suites are preferred", s.name),
        ),
        _ => {}
    }
    // Each suite exists only in some versions: TLS 1.3 suites in 1.3, AEAD
    // and SHA-256/384 MAC suites from 1.2 (RFC 5246, RFC 5288), none of the
    // older ones in 1.3 (RFC 8446 §B.4).
    let (lo, hi) = if s.tls13 {
        (TlsVersion::Tls13, TlsVersion::Tls13)
    } else if s.aead || s.mac == "SHA256" || s.mac == "SHA384" {
        (TlsVersion::Tls12, TlsVersion::Tls12)
    } else {
        (TlsVersion::Ssl3, TlsVersion::Tls12)
    };
    if let Some(v) = n.version.filter(|v| *v < lo || *v > hi) {
        out.add(
            FindingCode::SuiteVersionMismatch,
            Error,
            "RFC 8446 §B.4; RFC 5246 §A.5",
            format!("{} cannot be used with {v}", s.name),
        );
    }
}

fn key_findings(
    policy: &Policy,
    n: &Negotiated,
    certificate: Option<&CertificateInfo>,
    out: &mut Out,
) {
    use Severity::*;
    let group = n
        .kx_group
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let finite_field = group.starts_with("ffdhe")
        || group == "dh"
        || n.suite
            .and_then(suites::by_code)
            .is_some_and(|s| s.kx == "DHE" || s.kx == "DH");
    if let Some(bits) = n.kx_bits {
        if finite_field && bits < policy.min_dh_bits {
            out.add(
                FindingCode::WeakDh,
                Error,
                "RFC 7525 §4.5; RFC 7919",
                format!(
                    "Diffie-Hellman group of {bits} bits (at least {} required)",
                    policy.min_dh_bits
                ),
            );
        } else if !finite_field && bits < policy.min_ec_bits {
            out.add(
                FindingCode::WeakEcdh,
                Error,
                "RFC 7525 §4.5",
                format!(
                    "elliptic-curve key exchange of {bits} bits (at least {} required)",
                    policy.min_ec_bits
                ),
            );
        }
    }
    // A known group without a post-quantum part (the hybrid does not exist
    // in TLS 1.2, so every TLS 1.2 key exchange is classical).
    if let Some(name) = n
        .kx_group
        .as_deref()
        .filter(|g| n.encrypted && !g.is_empty())
    {
        if !is_post_quantum_group(name) {
            let severity = if policy.require_post_quantum {
                Error
            } else {
                Info
            };
            out.add(
                FindingCode::ClassicalKeyExchange,
                severity,
                "draft-ietf-tls-ecdhe-mlkem; NIST IR 8547",
                format!(
                    "{name} is classical only: traffic recorded today could be decrypted by a \
                     future quantum computer (X25519MLKEM768 is not)"
                ),
            );
        }
    }
    // The chain is decoded only when the caller gave neither the key's
    // facts nor the certificate's details.
    let parsed;
    let from_chain = match certificate {
        Some(c) => Some(c),
        None if n.peer_key_type.is_none() || n.peer_key_bits.is_none() => {
            parsed = n
                .peer_chain
                .first()
                .and_then(|c| CertificateInfo::from_der(c).ok());
            parsed.as_ref()
        }
        None => None,
    };
    let kind = n
        .peer_key_type
        .clone()
        .or_else(|| from_chain.map(|c| c.key_type.clone()));
    let bits = n
        .peer_key_bits
        .or_else(|| from_chain.map(|c| c.key_bits).filter(|b| *b > 0));
    if let (Some(kind), Some(bits)) = (kind.as_deref(), bits) {
        if let Some(f) = policy.peer_key_finding(kind, bits) {
            out.0.push(f);
        }
    }
}

impl Policy {
    /// The `weak-peer-key` finding for a peer key of `kind` (`RSA`, `DSA`,
    /// `ECDSA`, …) and `bits` below this policy's minimum (RFC 7525 §4.5),
    /// or None. `evaluate` uses it; so does `xmpptls cert`, which grades a
    /// certificate with no connection.
    pub fn peer_key_finding(&self, kind: &str, bits: u32) -> Option<Finding> {
        let kind_l = kind.to_ascii_lowercase();
        let min = if kind_l == "rsa" || kind_l == "dsa" {
            self.min_rsa_bits
        } else if kind_l == "ecdsa" {
            self.min_ec_bits
        } else {
            return None;
        };
        (bits < min).then(|| {
            Finding::new(
                FindingCode::WeakPeerKey,
                Severity::Error,
                "RFC 7525 §4.5",
                format!("{kind} key of {bits} bits (at least {min} required)"),
            )
        })
    }
}

fn auth_findings(policy: &Policy, n: &Negotiated, out: &mut Out) {
    use Severity::*;
    match n.authentication {
        None => {
            let sev = if policy.require_authentication {
                Error
            } else {
                Warning
            };
            out.add(FindingCode::NotAuthenticated, sev, "RFC 7590 §3.4; RFC 6120 §13.7.2", "the peer was not authenticated: the connection is encrypted but could be to anyone".into());
        }
        Some(m) if !policy.allowed_auth.contains(&m) => {
            out.add(
                FindingCode::AuthMethodNotAllowed,
                Error,
                "policy",
                format!("the peer was authenticated by {m}, which the policy does not accept"),
            );
        }
        Some(AuthMethod::Dialback) => {
            out.add(FindingCode::DialbackOnly, Warning, "RFC 7590 §3.4; XEP-0220", "the peer's domain was verified by Server Dialback (DNS-based), not by its certificate: opportunistic security".into());
        }
        Some(_) => {}
    }
}

crate::names::named!(Verdict, "verdict" {
    Pass = 0, "pass";
    Warn = 1, "warn";
    Fail = 2, "fail";
});

crate::names::named!(Severity, "severity" {
    Info = 0, "info";
    Warning = 1, "warning";
    Error = 2, "error";
});
