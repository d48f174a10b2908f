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
mod posh;
mod scan;
mod websocket;

use std::io::Write;
use std::time::{Duration, Instant};

use xmpptls::identity::{ReferenceIdentity, Service};
use xmpptls::policy::{FindingCode, Policy, PolicyPreset};
use xmpptls::CertificateDer;
use xmpptls_observatory::report::{grade_of, CheckReport, Endpoint, TargetReport};

use crate::certs::Usage;
use auth::{check_dane, check_posh};
use dns::Dns;
pub use dns::DnsSettings;
use handshake::handshake;
pub(crate) use net::connect;
use net::{default_port, Deadline, Target};

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
    /// Discover and check the domain's XMPP-over-WebSocket endpoint
    /// (XEP-0156, RFC 7395): `Some(true)` asks (`--websocket`), `Some(false)`
    /// refuses (`--no-websocket`, batches), `None` checks it for a bare
    /// domain, as POSH: one HTTPS fetch, and a handshake per endpoint.
    pub websocket: Option<bool>,
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

/// Runs the check and prints it. Ok(true) unless a verdict is fail (or
/// the WebSocket check has an error, or there is no service).
pub fn check(a: &CheckArgs<'_>) -> Result<bool, Usage> {
    let report = run_all(a)?;
    if let Some(path) = a.html {
        std::fs::write(path, report.to_html()).map_err(|e| Usage(format!("{path}: {e}")))?;
    }
    if a.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(report.passed())
}

/// Runs the check: for a bare domain every SRV target (RFC 6120 §3.2.1,
/// XEP-0368) or the fallback; for HOST:PORT that one place. Returns the
/// domain and one outcome per place.
pub fn run(a: &CheckArgs<'_>) -> Result<(String, Vec<TargetReport>), Usage> {
    run_all(a).map(|r| (r.domain, r.targets))
}

/// [`run`], and the WebSocket endpoint's check (for a bare domain, or when
/// `--websocket` asks):
/// the whole check as the observatory's typed report.
pub fn run_all(a: &CheckArgs<'_>) -> Result<CheckReport, Usage> {
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
            out.push(TargetReport::unreachable(&e, &domain, &policy, why.clone()));
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
            Err(Usage(why)) if srv_mode => {
                out.push(TargetReport::unreachable(&e, &domain, &policy, why))
            }
            Err(u) => return Err(u),
        }
    }
    let ws = a.websocket.unwrap_or(srv_mode).then(|| {
        let t = websocket::WsTarget {
            args: a,
            logs: &logs,
            domain: &domain,
            dns: dns.as_ref(),
            https_port: a.host_meta_ports.0,
            http_port: a.host_meta_ports.1,
        };
        websocket::check(&t, &roots, &deadline)
    });
    Ok(CheckReport {
        domain,
        targets: out,
        websocket: ws,
    })
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
) -> Result<TargetReport, Usage> {
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
    Ok(TargetReport {
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
