//! Authentication a check learns beyond PKIX: DANE (TLSA records with
//! DNSSEC, RFC 6698, RFC 7673) and POSH (RFC 7711), each checked against
//! the chain the server sent by the core's `dna` modules.

use xmpptls::dna::dane::{self, DaneContext, DaneOutcome};
use xmpptls::identity::pkix::Roots;
use xmpptls::identity::Service;
use xmpptls::policy::{AuthMethod, Finding, FindingCode, Severity};
use xmpptls::{CertificateDer, ConnectionReport, UnixTime};

use xmpptls_observatory::report::{DaneSummary, Endpoint, PoshSummary};

use super::dns::Dns;
use super::posh;

/// POSH for one place: the fetched document(s) against the certificate the
/// server sent. A match authenticates the server where PKIX did not
/// (RFC 7711 §3, RFC 7590 §3.4).
pub(super) fn check_posh(f: &posh::PoshFetch, report: &mut ConnectionReport) -> PoshSummary {
    let mut s = PoshSummary {
        url: f.url.clone(),
        outcome: String::new(),
        authenticated: false,
    };
    let Some(leaf) = report.negotiated.peer_chain.first().cloned() else {
        s.outcome = "no certificate to check".into();
        return s;
    };
    match posh::verify(f, &leaf) {
        Ok(alg) => {
            s.authenticated = true;
            s.outcome = format!("match ({alg})");
            report.authenticated_by(AuthMethod::Posh);
        }
        Err(why) => s.outcome = why,
    }
    s
}

/// DANE for one place: the TLSA records of `_PORT._tcp.HOST` checked
/// against the chain the server sent (core `dna::dane`). Secure records
/// that authenticate the chain make the server authenticated by DANE even
/// without a trusted PKIX chain (RFC 7673 §3); secure records that do not
/// mean a DANE client must not connect.
pub(super) fn check_dane(
    dns: &Dns,
    e: &Endpoint,
    domain: &str,
    service: Service,
    roots: &[CertificateDer<'static>],
    srv: bool,
    report: &mut ConnectionReport,
) -> DaneSummary {
    let records = match dns.tlsa(&e.host, e.port) {
        Ok(r) => r,
        Err(why) => {
            // Signed records whose chain of trust the resolver could not
            // build (no trust anchor reaches them, or they are bogus): no
            // DANE, and a DANE client would abort on bogus ones.
            if why.contains("DNSSEC") {
                report.add_finding(Finding::new(
                    FindingCode::DaneInsecure,
                    Severity::Warning,
                    "RFC 6698 §4.1; RFC 7673 §3",
                    format!(
                        "the TLSA lookup for _{}._tcp.{} did not validate: {why}",
                        e.port, e.host
                    ),
                ));
            }
            return DaneSummary {
                records: 0,
                secure: 0,
                outcome: format!("TLSA lookup failed: {why}"),
                authenticated: false,
            };
        }
    };
    let secure = records.iter().filter(|r| r.dnssec_secure).count();
    let mut summary = DaneSummary {
        records: records.len(),
        secure,
        outcome: String::new(),
        authenticated: false,
    };
    if records.is_empty() {
        summary.outcome = "no TLSA records".into();
        return summary;
    }
    if secure == 0 {
        summary.outcome = "TLSA records not proved by DNSSEC: ignored".into();
        report.add_finding(Finding::new(
            FindingCode::DaneInsecure,
            Severity::Warning,
            "RFC 6698 §4.1; RFC 7673 §3",
            format!(
                "_{}._tcp.{} has {} TLSA record(s) that DNSSEC did not prove: DANE cannot be used",
                e.port,
                e.host,
                records.len()
            ),
        ));
        return summary;
    }
    let roots = Roots::new(roots).ok();
    let ctx = DaneContext {
        service_domain: domain,
        srv_target: srv.then_some(e.host.as_str()),
        service,
        roots: roots.as_ref(),
        now: UnixTime::now(),
    };
    match dane::verify(&records, &report.negotiated.peer_chain, &ctx) {
        DaneOutcome::NoUsableRecords => summary.outcome = "no usable TLSA record".into(),
        DaneOutcome::Authenticated { record, usage, .. } => {
            summary.authenticated = true;
            summary.outcome = format!("authenticated by TLSA record {record} (usage {usage})");
            // DANE authenticates the server where PKIX did not (RFC 7673 §3).
            report.authenticated_by(AuthMethod::Dane);
        }
        DaneOutcome::Failed(reasons) => {
            summary.outcome = format!("FAILED: {}", reasons.join("; "));
            report.add_finding(Finding::new(
                FindingCode::DaneFailed,
                Severity::Error,
                "RFC 6698 §2.1.1; RFC 7673 §3",
                format!(
                    "no DNSSEC-secure TLSA record of _{}._tcp.{} matches the server's chain: {}",
                    e.port,
                    e.host,
                    reasons.join("; ")
                ),
            ));
        }
    }
    summary
}
