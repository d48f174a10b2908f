//! The RFC 7590 §3.6 connection report as plain records, field for field
//! the report JSON documented in the README: what uniffi hands to Kotlin,
//! Swift and Python (as `Report`, `Finding`, `CertificateInfo`,
//! `IdentityMatch`).

use super::names::MatchKind;
use crate::ct::CtReport;
use crate::identity::{CertificateInfo, Matched};
use crate::pins::PinStatus;
use crate::policy::{Severity, Verdict};
use crate::report::ConnectionReport;

/// One thing the policy check found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Finding"))]
pub struct FindingSummary {
    /// Stable identifier, e.g. `suite-forbidden`, `pin-changed` (README).
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// Where the rule is written, e.g. `RFC 7525 §4.2`.
    pub rfc: String,
    /// One sentence for people.
    pub message: String,
}

/// Which presented identifier matched the reference identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IdentityMatch {
    /// Its kind.
    pub kind: MatchKind,
    /// The identifier as the certificate writes it.
    pub presented: String,
}

impl From<&Matched> for IdentityMatch {
    fn from(m: &Matched) -> Self {
        IdentityMatch {
            kind: MatchKind::from(m),
            presented: m.presented().to_owned(),
        }
    }
}

/// The facts of a certificate a person checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "CertificateInfo")
)]
pub struct CertificateSummary {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// Validity start, seconds since the Unix epoch.
    pub not_before: i64,
    /// Validity end, seconds since the Unix epoch.
    pub not_after: i64,
    /// Lowercase hex SHA-256 of the certificate.
    pub sha256: String,
    /// Lowercase hex SHA-256 of the SubjectPublicKeyInfo (the pin).
    pub spki_sha256: String,
    /// `RSA`, `ECDSA`, `Ed25519`, …
    pub key_type: String,
    /// Key size in bits.
    pub key_bits: u32,
    /// dNSName SANs.
    pub dns_names: Vec<String>,
    /// SRV-ID SANs (`_xmpp-client.example.net`).
    pub srv_names: Vec<String>,
    /// XmppAddr SANs.
    pub xmpp_addrs: Vec<String>,
}

impl From<&CertificateInfo> for CertificateSummary {
    fn from(c: &CertificateInfo) -> Self {
        CertificateSummary {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            not_before: c.not_before,
            not_after: c.not_after,
            sha256: c.sha256.clone(),
            spki_sha256: c.spki_sha256.clone(),
            key_type: c.key_type.clone(),
            key_bits: c.key_bits,
            dns_names: c.ids.dns.clone(),
            srv_names: c.ids.srv.clone(),
            xmpp_addrs: c.ids.xmpp_addr.clone(),
        }
    }
}

/// One SCT of a certificate transparency check (RFC 6962 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Sct"))]
pub struct SctSummary {
    /// Where it came from: `embedded`, `tls-extension`, `ocsp`.
    pub source: String,
    /// The log's id (SHA-256 of its key), lowercase hex.
    pub log_id: String,
    /// The log's description, when the log list knows it.
    pub log: Option<String>,
    /// The log's operator, when the log list knows it.
    pub operator: Option<String>,
    /// When the log saw the certificate, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `valid`, `log-not-trusted`, `unknown-log` or `invalid`.
    pub status: String,
    /// The untrusted log's state, or why the SCT does not hold.
    pub detail: Option<String>,
}

/// A certificate transparency check (RFC 6962, Chrome's CT policy).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "CtResult"))]
pub struct CtSummary {
    /// The certificate's SCTs satisfy the policy.
    pub compliant: bool,
    /// Every SCT found, in the order of their sources.
    pub scts: Vec<SctSummary>,
    /// SCT lists that could not be read (each also a `ct-invalid-sct`).
    pub errors: Vec<String>,
}

impl From<&CtReport> for CtSummary {
    fn from(r: &CtReport) -> Self {
        CtSummary {
            compliant: r.compliant,
            scts: r
                .scts
                .iter()
                .map(|s| SctSummary {
                    source: s.source.name().to_owned(),
                    log_id: s.log_id_hex(),
                    log: s.log.as_ref().map(|(d, _)| d.clone()),
                    operator: s.log.as_ref().map(|(_, o)| o.clone()),
                    timestamp_ms: s.timestamp_ms,
                    status: s.status.name().to_owned(),
                    detail: s.status.detail(),
                })
                .collect(),
            errors: r.errors.clone(),
        }
    }
}

/// Everything a person needs about one TLS connection (RFC 7590 §3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Report"))]
pub struct ReportSummary {
    /// The domain or JID the report is about.
    pub peer: String,
    /// TLS in use.
    pub encrypted: bool,
    /// `TLSv1.3`, `TLSv1.2`, …
    pub tls_version: Option<String>,
    /// IANA name of the cipher suite.
    pub cipher_suite: Option<String>,
    /// Key exchange group.
    pub key_exchange: Option<String>,
    /// The session was resumed.
    pub resumed: bool,
    /// `pkix`, `dane`, `posh`, `pinned`, `dialback`, `offer` or `none`.
    pub authentication: String,
    /// The identifier that matched, if any.
    pub identity: Option<IdentityMatch>,
    /// The peer's end-entity certificate.
    pub certificate: Option<CertificateSummary>,
    /// The pins' view of the key, when pins are kept.
    pub pin: Option<PinStatus>,
    /// Certificate transparency, when the policy has a log list.
    pub ct: Option<CtSummary>,
    /// The policy's name.
    pub policy: String,
    /// The grade.
    pub verdict: Verdict,
    /// What the check found.
    pub findings: Vec<FindingSummary>,
    /// The report for people, one fact per line.
    pub text: String,
    /// The report as JSON (stable field names, README).
    pub json: String,
}

impl From<&ConnectionReport> for ReportSummary {
    fn from(r: &ConnectionReport) -> Self {
        let n = &r.negotiated;
        let suite = n.suite.and_then(crate::policy::suites::by_code);
        ReportSummary {
            peer: r.peer.clone(),
            encrypted: n.encrypted,
            tls_version: n.version.map(|v| v.as_str().to_owned()),
            cipher_suite: suite.map(|s| s.name.to_owned()),
            key_exchange: n.kx_group.clone(),
            resumed: n.resumed,
            authentication: n.authentication.map_or("none", |a| a.as_str()).to_owned(),
            identity: r.identity.as_ref().map(IdentityMatch::from),
            certificate: r.certificate.as_ref().map(CertificateSummary::from),
            pin: r.pin.clone(),
            ct: r.ct.as_deref().map(CtSummary::from),
            policy: r.policy.clone(),
            verdict: r.evaluation.verdict,
            findings: r
                .evaluation
                .findings
                .iter()
                .map(|f| FindingSummary {
                    code: f.code.to_owned(),
                    severity: f.severity,
                    rfc: f.rfc.to_owned(),
                    message: f.message.clone(),
                })
                .collect(),
            text: r.to_text(),
            json: r.to_json(),
        }
    }
}
