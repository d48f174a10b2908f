//! The report of one place a check connected to, as data: what the CLI
//! fills in from its connections and prints with the renderers of
//! [`super`].

use std::time::Duration;

use xmpptls::policy::{Finding, FindingCode, Negotiated, Policy, Severity};
use xmpptls::ConnectionReport;

use super::Features;
use crate::{grade, GradeReport, Profile};

/// One place to connect to for a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name (the SRV target) or the domain itself: TLSA records are
    /// looked up under it.
    pub host: String,
    /// What to connect to: the host's first address when this resolver
    /// found one (so `--dns` decides), else the host name.
    pub connect: String,
    /// Port.
    pub port: u16,
    /// TLS from the first octet (an `_xmpps-…` record).
    pub direct_tls: bool,
    /// Where it came from: `_xmpp-client._tcp` SRV …, or the fallback.
    pub source: String,
    /// Why there is nothing to connect to: the host has no address in the
    /// DNS server `--dns` names (connecting by name would ask the system's
    /// resolver instead).
    pub unresolved: Option<String>,
}

/// What POSH said.
#[derive(Debug, Clone)]
pub struct PoshSummary {
    /// The URL fetched.
    pub url: String,
    /// `match (sha-256)`, `no-match (…)`, or why there was no document.
    pub outcome: String,
    /// The document authenticates the server's certificate.
    pub authenticated: bool,
}

/// What the TLSA records said.
#[derive(Debug, Clone)]
pub struct DaneSummary {
    /// Records found.
    pub records: usize,
    /// Records DNSSEC proved.
    pub secure: usize,
    /// The outcome in words.
    pub outcome: String,
    /// The records authenticate the server (it would be authenticated by DANE).
    pub authenticated: bool,
}

/// Everything the check of one place found: the connection report (with
/// the scan's, DANE's, POSH's and CT's findings), the scan, the grade, the
/// stream's features, where it connected, and how long it took.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// The report (RFC 7590 §3.6), with the scan's findings.
    pub report: ConnectionReport,
    /// The scan, if it ran.
    pub profile: Option<Profile>,
    /// The grade.
    pub grade: GradeReport,
    /// The stream features before TLS (STARTTLS only).
    pub features: Option<Features>,
    /// The stream features after TLS: SASL mechanisms, channel-binding
    /// types (XEP-0440), dialback.
    pub features_tls: Option<Features>,
    /// Where the check connected and why there (SRV, the fallback, given).
    pub endpoint: Endpoint,
    /// DANE (RFC 6698, RFC 7673), when TLSA records were looked up.
    pub dane: Option<DaneSummary>,
    /// POSH (RFC 7711), when the document was fetched.
    pub posh: Option<PoshSummary>,
    /// How long the check took.
    pub elapsed: Duration,
}

impl TargetReport {
    /// The report of a place that could not be reached (an SRV target
    /// that refused or timed out, or a host without an address): one
    /// `server-silent` error (RFC 6120 §3.2.1) and an F.
    pub fn unreachable(e: &Endpoint, domain: &str, policy: &Policy, why: String) -> TargetReport {
        let mut report = ConnectionReport::new(domain, policy, Negotiated::default(), None, None);
        report.evaluation.findings.clear();
        report.add_finding(Finding::new(
            FindingCode::ServerSilent,
            Severity::Error,
            "RFC 6120 §3.2.1",
            format!("could not connect to {}:{}: {why}", e.host, e.port),
        ));
        let grade = grade(&Profile::default(), &report);
        TargetReport {
            report,
            profile: None,
            grade,
            features: None,
            features_tls: None,
            endpoint: e.clone(),
            dane: None,
            posh: None,
            elapsed: Duration::ZERO,
        }
    }
}

/// The grade from the scan, or without one (`--no-scan`) from what the
/// handshake negotiated: that version and suite are all that is known.
pub fn grade_of(profile: Option<&Profile>, report: &ConnectionReport) -> GradeReport {
    if let Some(p) = profile {
        return grade(p, report);
    }
    let n = &report.negotiated;
    let mut seen = Profile::default();
    if let (true, Some(v), Some(s)) = (n.encrypted, n.version, n.suite) {
        let version = xmpptls::api::Named::code(v) as u16;
        seen.versions.push(crate::VersionProfile {
            version,
            suites: vec![s],
            server_order: None,
        });
        // The negotiated group is the key exchange that is known (issue 22
        // #3: without it a perfect server scored 0 for key exchange, B).
        let group = n.kx_group.as_deref().and_then(|name| {
            crate::GROUPS
                .iter()
                .find(|g| g.1.eq_ignore_ascii_case(name))
        });
        if let Some(&(code, _, _)) = group {
            if v == xmpptls::policy::TlsVersion::Tls13 {
                seen.groups_tls13.push(code);
            } else {
                seen.groups_tls12.push(code);
            }
        }
        seen.incomplete = Some("no scan: only the negotiated version and suite".into());
    }
    grade(&seen, report)
}
