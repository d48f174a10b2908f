//! The RFC 7590 §3.6 connection report as uniffi records, field for field
//! the report JSON documented in the README.

use xmpptls::identity::{CertificateInfo as CoreCertificateInfo, Matched};
use xmpptls::policy::{Severity as CoreSeverity, Verdict as CoreVerdict};
use xmpptls::ConnectionReport;

/// The overall grade of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Verdict {
    /// Meets the policy.
    Pass,
    /// Acceptable, with warnings to show.
    Warn,
    /// Against the policy: do not proceed.
    Fail,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    /// Worth knowing, nothing wrong.
    Info,
    /// Weaker than recommended.
    Warning,
    /// Against the policy.
    Error,
}

/// One thing the policy check found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Finding {
    /// Stable identifier, e.g. `suite-forbidden`, `pin-changed` (README).
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// Where the rule is written, e.g. `RFC 7525 §4.2`.
    pub rfc: String,
    /// One sentence for people.
    pub message: String,
}

/// What the pins say about the presented key (RFC 7590 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PinStatus {
    /// No pin before; it has now been pinned.
    New,
    /// The key is one of the pins.
    Match,
    /// Pins exist and this key is not among them: tell the user.
    Changed {
        /// The pin on record (hex SHA-256 of the SubjectPublicKeyInfo).
        old: String,
        /// The presented key.
        new: String,
    },
}

impl From<xmpptls::PinStatus> for PinStatus {
    fn from(p: xmpptls::PinStatus) -> Self {
        match p {
            xmpptls::PinStatus::New => PinStatus::New,
            xmpptls::PinStatus::Match => PinStatus::Match,
            xmpptls::PinStatus::Changed { old, new } => PinStatus::Changed { old, new },
        }
    }
}

/// The kind of identifier that matched (RFC 6125 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MatchKind {
    /// A DNS-ID equal to the domain.
    DnsId,
    /// A wildcard DNS-ID covering the domain.
    WildcardDnsId,
    /// An SRV-ID for the service and domain (RFC 6120 §13.7.1.2.1).
    SrvId,
    /// An XmppAddr (RFC 6120 §13.7.1.4).
    XmppAddr,
    /// The subject CN (only with CN fallback).
    CnId,
}

/// Which presented identifier matched the reference identity.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentityMatch {
    /// Its kind.
    pub kind: MatchKind,
    /// The identifier as the certificate writes it.
    pub presented: String,
}

impl From<Matched> for IdentityMatch {
    fn from(m: Matched) -> Self {
        let kind = match &m {
            Matched::DnsId(_) => MatchKind::DnsId,
            Matched::WildcardDnsId(_) => MatchKind::WildcardDnsId,
            Matched::SrvId(_) => MatchKind::SrvId,
            Matched::XmppAddr(_) => MatchKind::XmppAddr,
            Matched::CnId(_) => MatchKind::CnId,
        };
        IdentityMatch {
            kind,
            presented: m.presented().to_owned(),
        }
    }
}

/// The facts of a certificate a person checks.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CertificateInfo {
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

impl From<&CoreCertificateInfo> for CertificateInfo {
    fn from(c: &CoreCertificateInfo) -> Self {
        CertificateInfo {
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

/// Everything a person needs about one TLS connection (RFC 7590 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Report {
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
    pub certificate: Option<CertificateInfo>,
    /// The pins' view of the key, when pins are kept.
    pub pin: Option<PinStatus>,
    /// The policy's name.
    pub policy: String,
    /// The grade.
    pub verdict: Verdict,
    /// What the check found.
    pub findings: Vec<Finding>,
    /// The report for people, one fact per line.
    pub text: String,
    /// The report as JSON (stable field names, README).
    pub json: String,
}

impl From<&ConnectionReport> for Report {
    fn from(r: &ConnectionReport) -> Self {
        let n = &r.negotiated;
        let suite = n.suite.and_then(xmpptls::policy::suites::by_code);
        Report {
            peer: r.peer.clone(),
            encrypted: n.encrypted,
            tls_version: n.version.map(|v| v.as_str().to_owned()),
            cipher_suite: suite.map(|s| s.name.to_owned()),
            key_exchange: n.kx_group.clone(),
            resumed: n.resumed,
            authentication: n.authentication.map_or("none", |a| a.as_str()).to_owned(),
            identity: r.identity.clone().map(IdentityMatch::from),
            certificate: r.certificate.as_ref().map(CertificateInfo::from),
            pin: r.pin.clone().map(PinStatus::from),
            policy: r.policy.clone(),
            verdict: match r.evaluation.verdict {
                CoreVerdict::Pass => Verdict::Pass,
                CoreVerdict::Warn => Verdict::Warn,
                CoreVerdict::Fail => Verdict::Fail,
            },
            findings: r
                .evaluation
                .findings
                .iter()
                .map(|f| Finding {
                    code: f.code.to_owned(),
                    severity: match f.severity {
                        CoreSeverity::Info => Severity::Info,
                        CoreSeverity::Warning => Severity::Warning,
                        CoreSeverity::Error => Severity::Error,
                    },
                    rfc: f.rfc.to_owned(),
                    message: f.message.clone(),
                })
                .collect(),
            text: r.to_text(),
            json: r.to_json(),
        }
    }
}
