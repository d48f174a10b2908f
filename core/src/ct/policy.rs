//! Whether a certificate's SCTs satisfy a CT policy, and the findings.
//!
//! The policy is Chrome's ("Chrome Certificate Transparency Policy",
//! `googlechrome.github.io/CertificateTransparency/ct_policy.html`, as
//! revised in 2022), the one most publicly trusted certificates are issued
//! for:
//! - **embedded SCTs**: at least 2 (certificate valid for 180 days or
//!   less) or 3 (longer) from logs that are qualified, usable or read-only,
//!   or retired after the SCT was issued; from at least 2 distinct log
//!   operators;
//! - **SCTs from the TLS extension or OCSP**: at least 2 from logs
//!   qualified, usable or read-only now, from at least 2 distinct operators.
//!
//! XMPP clients do not require CT today; the findings are warnings, except
//! an SCT whose signature does not verify (something is wrong with the
//! certificate or the log), which is an error.

use rustls_pki_types::{CertificateDer, UnixTime};

use super::certificate::{embedded_sct_list, issuer_key_hash, precert_tbs, OCSP_SCT_LIST_OID};
use super::log_list::{LogList, LogState};
use super::sct::{parse_list, Sct};
use super::verify::{verify, Entry};
use crate::identity::der::{self, tag};
use crate::identity::x509;
use crate::policy::{Finding, FindingCode, Severity};

/// How old a log list may be before the findings say so: Chrome stops
/// enforcing CT when its list is older than 70 days (it cannot know the
/// logs' states any more).
pub const MAX_LOG_LIST_AGE_DAYS: i64 = 70;

/// Seconds an SCT's timestamp may be ahead of `now` (clocks differ).
const CLOCK_SKEW_SECONDS: u64 = 300;

/// Where an SCT came from (RFC 6962 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SctSource {
    /// The certificate's SCT list extension.
    Embedded,
    /// The TLS `signed_certificate_timestamp` extension.
    TlsExtension,
    /// A stapled OCSP response.
    Ocsp,
}

impl SctSource {
    /// `embedded`, `tls-extension`, `ocsp`.
    pub fn name(self) -> &'static str {
        match self {
            SctSource::Embedded => "embedded",
            SctSource::TlsExtension => "tls-extension",
            SctSource::Ocsp => "ocsp",
        }
    }
}

/// What one SCT is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctStatus {
    /// Signed by a log the policy counts.
    Valid,
    /// Signed by a log that is not trusted for it (pending, rejected, or
    /// retired before the SCT): its state.
    LogNotTrusted(LogState),
    /// Its log is not in the list.
    UnknownLog,
    /// It does not hold: why (signature, timestamp in the future, a
    /// certificate outside the log's interval, no issuer to check with).
    Invalid(String),
}

/// One SCT, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctCheck {
    /// Where it came from.
    pub source: SctSource,
    /// The log's id.
    pub log_id: [u8; 32],
    /// The log's description and operator, when the list knows it.
    pub log: Option<(String, String)>,
    /// When the log saw the certificate (milliseconds since the epoch).
    pub timestamp_ms: u64,
    /// What it is worth.
    pub status: SctStatus,
}

/// The CT part of a server check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CtReport {
    /// Every SCT found, in the order of their sources.
    pub scts: Vec<SctCheck>,
    /// The certificate satisfies the policy.
    pub compliant: bool,
    /// What is wrong or worth knowing.
    pub findings: Vec<Finding>,
    /// Why a source could not be read (a malformed list or extension).
    pub errors: Vec<String>,
}

/// Checks the SCTs of `chain`'s leaf (from the certificate, and from the
/// TLS extension's and an OCSP response's octets when the caller has them)
/// against `logs` at `now`.
pub fn check(
    chain: &[CertificateDer<'_>],
    tls_extension: Option<&[u8]>,
    ocsp_response: Option<&[u8]>,
    logs: &LogList,
    now: UnixTime,
) -> CtReport {
    let mut report = CtReport::default();
    let Some(leaf) = chain.first() else {
        return report;
    };
    let mut found: Vec<(SctSource, Sct)> = Vec::new();
    let mut add = |source: SctSource,
                   list: Result<Option<Vec<u8>>, super::CtError>,
                   errors: &mut Vec<String>| {
        match list.and_then(|l| l.map(|l| parse_list(&l)).transpose()) {
            Ok(Some(scts)) => found.extend(scts.into_iter().map(|s| (source, s))),
            Ok(None) => {}
            Err(e) => errors.push(format!("{}: {}", source.name(), e.0)),
        }
    };
    add(
        SctSource::Embedded,
        embedded_sct_list(leaf),
        &mut report.errors,
    );
    add(
        SctSource::TlsExtension,
        Ok(tls_extension.map(<[u8]>::to_vec)),
        &mut report.errors,
    );
    add(
        SctSource::Ocsp,
        Ok(ocsp_response.and_then(|r| find_extension(r, OCSP_SCT_LIST_OID))),
        &mut report.errors,
    );
    let cert = x509::parse(leaf).ok();
    let not_after = cert.as_ref().map(|c| x509::unix_seconds(&c.not_after));
    let lifetime_days = cert
        .as_ref()
        .map(|c| (x509::unix_seconds(&c.not_after) - x509::unix_seconds(&c.not_before)) / 86_400);
    let precert = precert_tbs(leaf).ok();
    let issuer_hash = chain.get(1).and_then(|i| issuer_key_hash(i).ok());
    let now_s = now.as_secs();
    for (source, sct) in found {
        let log = logs.log(&sct.log_id);
        let entry = match source {
            SctSource::Embedded => match (&issuer_hash, &precert) {
                (Some(h), Some(tbs)) => Some(Entry::Precert {
                    issuer_key_hash: h,
                    tbs,
                }),
                _ => None,
            },
            _ => Some(Entry::X509(leaf)),
        };
        let status = match (log, entry) {
            (None, _) => SctStatus::UnknownLog,
            (Some(_), None) => SctStatus::Invalid("no issuer certificate to check it with".into()),
            (Some(l), Some(entry)) => {
                let seen = sct.timestamp_ms / 1000;
                if seen > now_s + CLOCK_SKEW_SECONDS {
                    SctStatus::Invalid("its timestamp is in the future".into())
                } else if let Err(e) = verify(&sct, entry, &l.key) {
                    SctStatus::Invalid(e.0)
                } else if let (Some((start, end)), Some(na)) = (l.interval, not_after) {
                    if na < start || na >= end {
                        SctStatus::Invalid(
                            "the certificate expires outside the log's interval".into(),
                        )
                    } else {
                        trust(l.state, seen, source)
                    }
                } else {
                    trust(l.state, seen, source)
                }
            }
        };
        report.scts.push(SctCheck {
            source,
            log_id: sct.log_id,
            log: log.map(|l| (l.description.clone(), l.operator.clone())),
            timestamp_ms: sct.timestamp_ms,
            status,
        });
    }
    report.compliant = compliant(&report.scts, lifetime_days.unwrap_or(0));
    report.findings = findings(&report, logs, lifetime_days.unwrap_or(0), now_s);
    report
}

/// Whether a log in `state` counts for an SCT seen at `seen` from `source`.
fn trust(state: Option<(LogState, i64)>, seen: u64, source: SctSource) -> SctStatus {
    match state {
        Some((LogState::Qualified | LogState::Usable | LogState::ReadOnly, _)) => SctStatus::Valid,
        Some((LogState::Retired, at))
            if source == SctSource::Embedded && i64::try_from(seen).is_ok_and(|s| s < at) =>
        {
            SctStatus::Valid
        }
        Some((s, _)) => SctStatus::LogNotTrusted(s),
        None => SctStatus::LogNotTrusted(LogState::Pending),
    }
}

/// SCTs needed for a certificate valid `days`, embedded.
fn needed_embedded(days: i64) -> usize {
    if days <= 180 {
        2
    } else {
        3
    }
}

fn compliant(scts: &[SctCheck], days: i64) -> bool {
    let rule = |pick: &dyn Fn(SctSource) -> bool, needed: usize| {
        let valid: Vec<&SctCheck> = scts
            .iter()
            .filter(|s| pick(s.source) && s.status == SctStatus::Valid)
            .collect();
        let mut operators: Vec<&str> = valid
            .iter()
            .filter_map(|s| s.log.as_ref().map(|(_, o)| o.as_str()))
            .collect();
        operators.sort_unstable();
        operators.dedup();
        valid.len() >= needed && operators.len() >= 2
    };
    rule(&|s| s == SctSource::Embedded, needed_embedded(days))
        || rule(&|s| s != SctSource::Embedded, 2)
}

fn findings(r: &CtReport, logs: &LogList, days: i64, now: u64) -> Vec<Finding> {
    const RFC: &str = "RFC 6962 §3; Chrome CT policy";
    let mut out = Vec::new();
    if let Some(date) = logs.date {
        let age = (i64::try_from(now).unwrap_or(i64::MAX) - date) / 86_400;
        if age > MAX_LOG_LIST_AGE_DAYS {
            out.push(Finding::new(
                FindingCode::CtLogListStale,
                Severity::Info,
                RFC,
                format!(
                    "the CT log list is {age} days old (more than {MAX_LOG_LIST_AGE_DAYS}): logs' states may have changed since; pass a current one"
                ),
            ));
        }
    }
    // A list that cannot be read is said, not dropped: what it held
    // cannot count (RFC 6962 §3.3 lists are length-prefixed TLS vectors).
    for e in &r.errors {
        out.push(Finding::new(
            FindingCode::CtInvalidSct,
            Severity::Error,
            RFC,
            format!("an SCT list cannot be read ({e})"),
        ));
    }
    if r.scts.is_empty() {
        out.push(Finding::new(
            FindingCode::CtNoSct,
            Severity::Warning,
            RFC,
            "the certificate has no SCT (embedded, TLS extension or OCSP): browsers reject a publicly trusted certificate without Certificate Transparency".into(),
        ));
        return out;
    }
    for s in &r.scts {
        let who = s
            .log
            .as_ref()
            .map_or_else(|| hex(&s.log_id), |(d, _)| d.clone());
        let (code, severity, message) = match &s.status {
            SctStatus::Valid => continue,
            SctStatus::Invalid(why) => (
                FindingCode::CtInvalidSct,
                Severity::Error,
                format!(
                    "an SCT ({}) from {who} does not hold: {why}",
                    s.source.name()
                ),
            ),
            SctStatus::UnknownLog => (
                FindingCode::CtUnknownLog,
                Severity::Warning,
                format!(
                    "an SCT ({}) is from log {who}, which the log list does not know",
                    s.source.name()
                ),
            ),
            SctStatus::LogNotTrusted(state) => (
                FindingCode::CtLogNotTrusted,
                Severity::Warning,
                format!(
                    "an SCT ({}) is from {who}, a log that is {}",
                    s.source.name(),
                    state.name()
                ),
            ),
        };
        out.push(Finding::new(code, severity, RFC, message));
    }
    if !r.compliant {
        let valid = r
            .scts
            .iter()
            .filter(|s| s.status == SctStatus::Valid)
            .count();
        out.push(Finding::new(
            FindingCode::CtTooFewLogs,
            Severity::Warning,
            RFC,
            format!(
                "{valid} SCT(s) count: the policy asks {} embedded (a certificate valid {days} days) or 2 delivered by TLS or OCSP, from at least 2 log operators",
                needed_embedded(days)
            ),
        ));
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The contents of the extension with OID `oid` anywhere in `der` (an OCSP
/// response keeps the SCT list in a SingleResponse's extensions, RFC 6962
/// §3.3): the TLS-encoded list inside its OCTET STRING.
fn find_extension(der: &[u8], oid: &[u8]) -> Option<Vec<u8>> {
    let mut stack = vec![der];
    while let Some(octets) = stack.pop() {
        let mut r = der::Reader::new(octets);
        while !r.is_empty() {
            let Ok(t) = r.next() else { break };
            if t.tag == tag::SEQUENCE {
                let mut f = t.children();
                if let Ok(o) = f.expect(tag::OID) {
                    if o.value == oid {
                        let _ = f.optional(tag::BOOLEAN);
                        let value = f.expect(tag::OCTET_STRING).ok()?;
                        let inner = der::one(value.value).ok()?;
                        return (inner.tag == tag::OCTET_STRING).then(|| inner.value.to_vec());
                    }
                }
            }
            // Constructed values (and OCTET STRINGs, which wrap the
            // response) are searched too.
            if t.tag & 0x20 != 0 || t.tag == tag::OCTET_STRING {
                stack.push(t.value);
            }
        }
    }
    None
}
