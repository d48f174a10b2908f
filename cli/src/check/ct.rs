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

use xmpptls::ct::{self, LogList};
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

/// The CT check of the server's chain, added to `report` (its `ct` and
/// its findings), when it applies (see the module's text).
pub fn check(a: &CheckArgs<'_>, logs: &LogList, report: &mut ConnectionReport) {
    if let Some(r) = check_chain(a, logs, &report.negotiated.peer_chain) {
        report.add_ct(r);
    }
}

/// The CT check of `chain` when it applies: a chain to one of the system's
/// roots, or any chain with `--ct`.
pub fn check_chain(
    a: &CheckArgs<'_>,
    logs: &LogList,
    chain: &[CertificateDer<'static>],
) -> Option<ct::CtReport> {
    if chain.is_empty() || !(a.ct || (a.system_roots && public(chain))) {
        return None;
    }
    Some(ct::check(chain, None, None, logs, UnixTime::now()))
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
