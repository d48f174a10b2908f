//! Certificate transparency for `xmpptls check` (RFC 6962): the SCTs the
//! server's certificate embeds, checked by the core's `ct` against a log
//! list (`--ct-log-list FILE`, else the bundled snapshot) and Chrome's CT
//! policy. Browsers require CT for certificates of the public PKI only, so
//! it runs when the chain verifies to one of the system's roots (not only to
//! a `--ca` root), or when `--ct` asks (a private CA whose certificates are
//! logged anyway).
//!
//! The SCTs of the TLS extension and of a stapled OCSP response are read by
//! the core from the octets a TLS stack hands over; the check's own
//! handshake (rustls 0.23) exposes neither, so here they are the embedded
//! ones, which is where nearly every public certificate carries them.

use xmpptls::ct::{self, CtReport, LogList};
use xmpptls::identity::pkix::{default_algorithms, verify_chain, Purpose, Roots};
use xmpptls::{CertificateDer, ConnectionReport, UnixTime};

use super::CheckArgs;
use crate::certs::Usage;

/// The log list: `--ct-log-list`, or the bundled snapshot.
pub fn log_list(a: &CheckArgs<'_>) -> Result<LogList, Usage> {
    match a.ct_log_list {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Usage(format!("{path}: {e}")))?;
            LogList::parse(&text).map_err(|e| Usage(format!("{path}: {e}")))
        }
        None => LogList::parse(xmpptls_observatory::BUNDLED_CT_LOG_LIST)
            .map_err(|e| Usage(format!("the bundled CT log list: {e}"))),
    }
}

/// The CT check of the server's chain, its findings added to `report`, when
/// it applies (see the module's text).
pub fn check(a: &CheckArgs<'_>, logs: &LogList, report: &mut ConnectionReport) -> Option<CtReport> {
    let n = &report.negotiated;
    if n.peer_chain.is_empty() || !(a.ct || (a.system_roots && public(&n.peer_chain))) {
        return None;
    }
    let r = ct::check(&n.peer_chain, None, None, logs, UnixTime::now());
    for f in &r.findings {
        report.add_finding(f.clone());
    }
    Some(r)
}

/// Whether `chain` verifies to one of the system's roots: a certificate of
/// the public PKI, which browsers hold to CT.
fn public(chain: &[CertificateDer<'static>]) -> bool {
    let Ok(system) = crate::roots::system() else {
        return false;
    };
    let Ok(roots) = Roots::new(&system) else {
        return false;
    };
    verify_chain(
        chain,
        &roots,
        UnixTime::now(),
        Purpose::ServerAuth,
        &default_algorithms(),
    )
    .is_ok()
}

/// The text line(s).
pub fn text(r: &CtReport) -> String {
    let logs: Vec<String> = r
        .scts
        .iter()
        .map(|s| {
            let who = s.log.as_ref().map_or("an unknown log", |(d, _)| d.as_str());
            match &s.status {
                ct::SctStatus::Valid => who.to_owned(),
                other => format!("{who} ({})", status_name(other)),
            }
        })
        .collect();
    format!(
        "CT              {} ({} SCT{}{}{})\n",
        if r.compliant {
            "compliant"
        } else {
            "not compliant"
        },
        r.scts.len(),
        if r.scts.len() == 1 { "" } else { "s" },
        if logs.is_empty() { "" } else { ": " },
        logs.join(", ")
    )
}

fn status_name(s: &ct::SctStatus) -> String {
    match s {
        ct::SctStatus::Valid => "valid".into(),
        ct::SctStatus::LogNotTrusted(state) => format!("log {}", state.name()),
        ct::SctStatus::UnknownLog => "unknown log".into(),
        ct::SctStatus::Invalid(why) => format!("invalid: {why}"),
    }
}

/// The JSON form (`"ct"` of a target).
pub fn json(r: &CtReport) -> serde_json::Value {
    serde_json::json!({
        "compliant": r.compliant,
        "scts": r.scts.iter().map(|s| serde_json::json!({
            "source": s.source.name(),
            "log": s.log.as_ref().map(|(d, _)| d),
            "operator": s.log.as_ref().map(|(_, o)| o),
            "timestamp_ms": s.timestamp_ms,
            "status": status_name(&s.status),
        })).collect::<Vec<_>>(),
        "errors": r.errors,
    })
}
