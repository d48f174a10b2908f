//! `xmpptls check`: the operator's view of a live XMPP server's TLS.
//!
//! Two parts, both bounded by one deadline (`--timeout`):
//!
//! 1. **A full handshake** with the core's checking client (rustls): the
//!    certificate, PKIX to the system's roots (and `--ca`), the XMPP
//!    identity, and what a modern client negotiates.
//! 2. **A scan** (`xmpptls-observatory`): crafted ClientHellos on fresh
//!    connections find every version, suite, group and option the server
//!    accepts, which one handshake cannot see.
//!
//! The report names what the server accepts; the grade (A–F) follows the
//! published rules of `observatory/src/grade.rs`. The only networking of
//! the project lives in this module and `xmpptls tunnel`.

mod auth;
pub mod batch;
mod ct;
mod dns;
mod handshake;
mod net;
mod output;
mod posh;
mod scan;
mod websocket;

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;
use xmpptls::identity::{ReferenceIdentity, Service};
use xmpptls::policy::{Finding, FindingCode, Negotiated, Policy, PolicyPreset, Severity, Verdict};
use xmpptls::{CertificateDer, ConnectionReport};
use xmpptls_observatory::{grade, GradeReport, Profile};

use crate::certs::Usage;
use auth::{check_dane, check_posh};
pub use auth::{DaneSummary, PoshSummary};
pub use dns::DnsSettings;
use dns::{Dns, Endpoint};
use handshake::handshake;
pub(crate) use net::connect;
use net::{default_port, Deadline, Features, Target};
use output::esc;
pub use output::{html_page, html_section, to_json, to_text};

/// Arguments of `xmpptls check`.
#[derive(Clone)]
pub struct CheckArgs<'a> {
    /// `HOST[:PORT]`, `[V6]:PORT`, `xmpp://…`, `xmpps://…`.
    pub target: &'a str,
    /// The XMPP domain (default: the target's host name).
    pub domain: Option<&'a str>,
    /// `xmpp-client` or `xmpp-server`.
    pub service: &'a str,
    /// TLS from the first octet instead of STARTTLS.
    pub direct_tls: bool,
    /// PEM files of extra roots.
    pub ca: &'a [String],
    /// Trust the system's roots too.
    pub system_roots: bool,
    /// Print JSON.
    pub json: bool,
    /// Also write a self-contained HTML report here.
    pub html: Option<&'a str>,
    /// The whole check ends by then.
    pub timeout: Duration,
    /// Run the scan (off: the handshake only).
    pub scan: bool,
    /// Where DNS questions go (SRV, TLSA).
    pub dns: DnsSettings,
    /// Look up TLSA records (DANE) for a HOST:PORT target too; a bare
    /// domain always gets them.
    pub dane: bool,
    /// Fetch the POSH document for a HOST:PORT target too; a bare domain
    /// always gets it.
    pub posh: bool,
    /// The HTTPS port of the POSH fetch (443).
    pub posh_port: u16,
    /// Also discover and check the domain's XMPP-over-WebSocket endpoint
    /// (XEP-0156, RFC 7395).
    pub websocket: bool,
    /// The ports of the WebSocket discovery: HTTPS (443) and plain HTTP
    /// (80), for tests.
    pub host_meta_ports: (u16, u16),
    /// Check certificate transparency even for a chain not verified
    /// against the system's roots (`--ct`).
    pub ct: bool,
    /// The CT log list (`--ct-log-list`; None: the bundled snapshot).
    pub ct_log_list: Option<&'a str>,
    /// No progress on standard error (batches draw their own).
    pub quiet: bool,
    /// The policy the verdict and the exit code follow (`--policy`,
    /// default strict: RFC 7525 as written).
    pub policy: PolicyPreset,
}

/// Everything a check found.
pub struct Outcome {
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

/// Runs the check and prints it. Ok(true) unless a verdict is fail.
pub fn check(a: &CheckArgs<'_>) -> Result<bool, Usage> {
    let (domain, outcomes, ws) = run_all(a)?;
    if let Some(path) = a.html {
        let mut sections: String = outcomes.iter().map(output::html_section).collect();
        if let Some(w) = &ws {
            sections.push_str(&w.to_html());
        }
        let page = output::html_page(&domain, &sections);
        std::fs::write(path, page).map_err(|e| Usage(format!("{path}: {e}")))?;
    }
    if outcomes.is_empty() {
        let msg =
            format!("{domain}: its SRV records say the service is not available (target \".\")");
        if a.json {
            println!("{}", json!({"domain": domain, "targets": [], "error": msg}));
        } else {
            println!("{msg}");
        }
        return Ok(false);
    }
    // A bare domain (SRV or the fallback) gives the list form.
    let many = outcomes.len() > 1 || outcomes[0].endpoint.source != "given";
    if a.json {
        let mut v = if many {
            json!({"domain": domain, "targets": outcomes.iter().map(to_json).collect::<Vec<_>>()})
        } else {
            to_json(&outcomes[0])
        };
        if let (Some(w), Some(obj)) = (&ws, v.as_object_mut()) {
            obj.insert("websocket".into(), w.to_json());
        }
        println!("{v}");
    } else {
        for o in &outcomes {
            if many {
                println!(
                    "== {}:{} ({})",
                    o.endpoint.host, o.endpoint.port, o.endpoint.source
                );
            }
            print!("{}", to_text(o));
        }
        if let Some(w) = &ws {
            print!("{}", w.to_text());
        }
    }
    // The WebSocket endpoint has no grade of its own; an error there fails
    // the check's exit code as a failed target does.
    Ok(outcomes
        .iter()
        .all(|o| o.report.evaluation.verdict != Verdict::Fail)
        && !ws.as_ref().is_some_and(websocket::WsReport::failed))
}

/// Runs the check: for a bare domain every SRV target (RFC 6120 §3.2.1,
/// XEP-0368) or the fallback; for HOST:PORT that one place. Returns the
/// domain and one outcome per place.
pub fn run(a: &CheckArgs<'_>) -> Result<(String, Vec<Outcome>), Usage> {
    run_all(a).map(|(d, o, _)| (d, o))
}

/// [`run`], and the WebSocket endpoint's check when `--websocket` asks.
pub fn run_all(
    a: &CheckArgs<'_>,
) -> Result<(String, Vec<Outcome>, Option<websocket::WsReport>), Usage> {
    let deadline = Deadline::after(a.timeout);
    let service = Service::parse(a.service).ok_or_else(|| {
        Usage(format!(
            "--service must be xmpp-client or xmpp-server, not {}",
            a.service
        ))
    })?;
    let target = Target::parse(a.target).map_err(Usage)?;
    let domain = match a.domain {
        Some(d) => d.to_owned(),
        None if target.is_ip() => {
            return Err(Usage(format!(
                "{}: an IP address needs --domain (the XMPP domain to check the certificate for)",
                a.target
            )))
        }
        None => target.host.clone(),
    };
    ReferenceIdentity::new(&domain, service)
        .map_err(|e| Usage(format!("--domain {domain}: {e}")))?;
    let roots = crate::roots::load(a.system_roots, a.ca)?;
    // Read once, before any connection: a bad --ct-log-list is a usage
    // error, not an unreachable target.
    let logs = ct::log_list(a)?;
    let policy = Policy::preset(a.policy);
    let srv_mode = target.port.is_none() && !target.is_ip() && !target.direct_tls && !a.direct_tls;
    let dns = if srv_mode || a.dane || a.dns.server.is_some() {
        let step = deadline.step().map_err(Usage)?;
        Some(Dns::new(&a.dns, step).map_err(Usage)?)
    } else {
        None
    };
    let endpoints = match (&dns, srv_mode) {
        (Some(d), true) => d.endpoints(&target.host, service).map_err(Usage)?,
        (dns, _) => {
            let direct = a.direct_tls || target.direct_tls;
            // A host name goes through `--dns` when one is named.
            let (connect, unresolved) = match dns {
                Some(d) if a.dns.server.is_some() && !target.is_ip() => {
                    d.connect_to(&target.host).map_err(Usage)?
                }
                _ => (target.host.clone(), None),
            };
            vec![Endpoint {
                host: target.host.clone(),
                connect,
                port: target.port.unwrap_or(default_port(service, direct)),
                direct_tls: direct,
                source: "given".into(),
                unresolved,
            }]
        }
    };
    let posh_fetch = (srv_mode || a.posh).then(|| {
        let connect = dns.as_ref().and_then(|d| d.address(&domain).ok().flatten());
        posh::fetch(
            &posh::PoshTarget {
                domain: &domain,
                service,
                connect: connect.as_deref(),
                port: a.posh_port,
            },
            &roots,
            &deadline,
        )
    });
    let mut out = Vec::new();
    for e in endpoints {
        if let Some(why) = &e.unresolved {
            out.push(unreachable(&e, &domain, &policy, why.clone()));
            continue;
        }
        let o = run_one(
            a,
            &logs,
            &e,
            &domain,
            service,
            &roots,
            &policy,
            dns.as_ref(),
            srv_mode,
            &deadline,
        )
        .map(|mut o| {
            if let Some(f) = &posh_fetch {
                o.posh = Some(check_posh(f, &mut o.report));
                o.grade = grade_of(o.profile.as_ref(), &o.report);
            }
            o
        });
        match o {
            Ok(o) => out.push(o),
            // One unreachable SRV target is a finding; a given one an error.
            Err(Usage(why)) if srv_mode => out.push(unreachable(&e, &domain, &policy, why)),
            Err(u) => return Err(u),
        }
    }
    let ws = a.websocket.then(|| {
        let t = websocket::WsTarget {
            domain: &domain,
            dns: dns.as_ref(),
            https_port: a.host_meta_ports.0,
            http_port: a.host_meta_ports.1,
        };
        websocket::check(&t, &roots, &deadline)
    });
    Ok((domain, out, ws))
}

/// The outcome for an SRV target that could not be reached.
fn unreachable(e: &Endpoint, domain: &str, policy: &Policy, why: String) -> Outcome {
    let mut report = ConnectionReport::new(domain, policy, Negotiated::default(), None, None);
    report.evaluation.findings.clear();
    report.add_finding(Finding::new(
        FindingCode::ServerSilent,
        Severity::Error,
        "RFC 6120 §3.2.1",
        format!("could not connect to {}:{}: {why}", e.host, e.port),
    ));
    let grade = grade(&Profile::default(), &report);
    Outcome {
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

/// Checks one place.
#[allow(clippy::too_many_arguments)]
fn run_one(
    a: &CheckArgs<'_>,
    logs: &xmpptls::ct::LogList,
    e: &Endpoint,
    domain: &str,
    service: Service,
    roots: &[CertificateDer<'static>],
    policy: &Policy,
    dns: Option<&Dns>,
    srv: bool,
    deadline: &Deadline,
) -> Result<Outcome, Usage> {
    let started = Instant::now();
    let first = handshake(
        &e.connect,
        e.port,
        domain,
        service,
        e.direct_tls,
        roots,
        policy,
        deadline,
    )?;
    // A server that answered nothing until the step's timeout would leave
    // every probe waiting the same way, to the check's deadline (item 10).
    let profile = (a.scan && first.tls_started && !first.silent_timeout).then(|| {
        let t = scan::ScanTarget {
            host: &e.connect,
            port: e.port,
            domain,
            service,
            direct_tls: e.direct_tls,
        };
        let show = !a.json && !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let p = scan::run(&t, deadline, |n| {
            if show {
                eprint!("\rscanning {}:{}: {n} probes", e.host, e.port);
                let _ = std::io::stderr().flush();
            }
        });
        if show {
            eprint!("\r\x1b[K");
        }
        p
    });
    let handshake_failed = first.tls_started && !first.established;
    let mut report = xmpptls_observatory::assemble(
        first.report,
        first.established,
        profile.as_ref(),
        domain,
        service,
        roots,
        policy,
    );
    if profile.is_none() && handshake_failed {
        // Without a scan all that is known is that TLS started and our
        // handshake failed (the finding says how): the stream is not
        // unencrypted, its encryption is unknown (issue 22 #3).
        report.drop_findings(&[FindingCode::Unencrypted]);
    }
    let dane = dns.map(|d| check_dane(d, e, domain, service, roots, srv, &mut report));
    ct::check(a, logs, &mut report);
    let grade = grade_of(profile.as_ref(), &report);
    Ok(Outcome {
        report,
        profile,
        grade,
        features: first.features,
        features_tls: first.features_tls,
        endpoint: e.clone(),
        dane,
        posh: None,
        elapsed: started.elapsed(),
    })
}

/// The grade from the scan, or without one (`--no-scan`) from what the
/// handshake negotiated: that version and suite are all that is known.
fn grade_of(profile: Option<&Profile>, report: &ConnectionReport) -> GradeReport {
    if let Some(p) = profile {
        return grade(p, report);
    }
    let n = &report.negotiated;
    let mut seen = Profile::default();
    if let (true, Some(v), Some(s)) = (n.encrypted, n.version, n.suite) {
        let version = xmpptls::api::Named::code(v) as u16;
        seen.versions.push(xmpptls_observatory::VersionProfile {
            version,
            suites: vec![s],
            server_order: None,
        });
        // The negotiated group is the key exchange that is known (issue 22
        // #3: without it a perfect server scored 0 for key exchange, B).
        let group = n.kx_group.as_deref().and_then(|name| {
            xmpptls_observatory::GROUPS
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
