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

pub mod batch;
mod dns;
mod net;
mod posh;
mod scan;

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;
use xmpptls::client::{ClientSession, ClientSettings, Mode};
use xmpptls::identity::pkix::{default_algorithms, verify_chain, Purpose, Roots};
use xmpptls::identity::{match_identity, CertificateInfo, ReferenceIdentity, Service};
use xmpptls::policy::{
    AuthMethod, Finding, FindingCode, Negotiated, Policy, Severity, TlsVersion, Verdict,
};
use xmpptls::starttls;
use xmpptls::{CertificateDer, ConnectionReport, UnixTime};
use xmpptls_observatory::{grade, group_name, version_name, GradeReport, Profile, TLS13};

use crate::certs::Usage;
pub use dns::DnsSettings;
use dns::{Dns, Endpoint};
pub(crate) use net::connect;
use net::{default_port, Deadline, Features, StartTls, Target};
use xmpptls::dna::dane::{self, DaneContext, DaneOutcome};

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
    /// No progress on standard error (batches draw their own).
    pub quiet: bool,
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

/// What the full handshake gave.
struct Handshake {
    report: ConnectionReport,
    established: bool,
    features: Option<Features>,
    features_tls: Option<Features>,
    tls_started: bool,
}

/// Runs the check and prints it. Ok(true) unless a verdict is fail.
pub fn check(a: &CheckArgs<'_>) -> Result<bool, Usage> {
    let (domain, outcomes) = run(a)?;
    if let Some(path) = a.html {
        let page = outcomes.iter().map(html).collect::<Vec<_>>().join("\n");
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
        if many {
            println!(
                "{}",
                json!({"domain": domain, "targets": outcomes.iter().map(to_json).collect::<Vec<_>>()})
            );
        } else {
            println!("{}", to_json(&outcomes[0]));
        }
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
    }
    Ok(outcomes
        .iter()
        .all(|o| o.report.evaluation.verdict != Verdict::Fail))
}

/// Runs the check: for a bare domain every SRV target (RFC 6120 §3.2.1,
/// XEP-0368) or the fallback; for HOST:PORT that one place. Returns the
/// domain and one outcome per place.
pub fn run(a: &CheckArgs<'_>) -> Result<(String, Vec<Outcome>), Usage> {
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
    let policy = Policy::strict();
    let srv_mode = target.port.is_none() && !target.is_ip() && !target.direct_tls && !a.direct_tls;
    let dns = if srv_mode || a.dane || a.dns.server.is_some() {
        let step = deadline.step().map_err(Usage)?;
        Some(Dns::new(&a.dns, step).map_err(Usage)?)
    } else {
        None
    };
    let endpoints = match (&dns, srv_mode) {
        (Some(d), true) => d.endpoints(&target.host, service).map_err(Usage)?,
        _ => {
            let direct = a.direct_tls || target.direct_tls;
            vec![Endpoint {
                host: target.host.clone(),
                connect: target.host.clone(),
                port: target.port.unwrap_or(default_port(service, direct)),
                direct_tls: direct,
                source: "given".into(),
            }]
        }
    };
    let posh_fetch = (srv_mode || a.posh).then(|| {
        let connect = dns.as_ref().and_then(|d| d.address(&domain));
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
        let o = run_one(
            a,
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
    Ok((domain, out))
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
    let profile = (a.scan && first.tls_started).then(|| {
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
    let mut report = merge(
        first.report,
        first.established,
        profile.as_ref(),
        domain,
        service,
        roots,
        policy,
    );
    let dane = dns.map(|d| check_dane(d, e, domain, service, roots, srv, &mut report));
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
        seen.versions.push(xmpptls_observatory::VersionProfile {
            version: xmpptls::api::Named::code(v) as u16,
            suites: vec![s],
            server_order: None,
        });
        seen.incomplete = Some("no scan: only the negotiated version and suite".into());
    }
    grade(&seen, report)
}

/// POSH for one place: the fetched document(s) against the certificate the
/// server sent. A match authenticates the server where PKIX did not
/// (RFC 7711 §3, RFC 7590 §3.4).
fn check_posh(f: &posh::PoshFetch, report: &mut ConnectionReport) -> PoshSummary {
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
fn check_dane(
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

/// The full handshake with the core's checking client.
#[allow(clippy::too_many_arguments)]
fn handshake(
    host: &str,
    port: u16,
    domain: &str,
    service: Service,
    direct: bool,
    roots: &[CertificateDer<'static>],
    policy: &Policy,
    deadline: &Deadline,
) -> Result<Handshake, Usage> {
    let mut sock = net::connect_to(host, port, deadline).map_err(Usage)?;
    let settings = ClientSettings {
        domain: domain.to_owned(),
        service,
        roots: roots.to_vec(),
        policy: policy.clone(),
        direct_tls: direct,
        mode: Mode::Inspect,
    };
    let mut session = ClientSession::new(settings).map_err(|e| Usage(e.to_string()))?;
    let mut extra: Vec<Finding> = Vec::new();
    let mut features = None;
    let mut tls = true;
    let mut silent_before_tls: Option<String> = None;
    if !direct {
        match net::starttls(&mut sock, domain, service, deadline) {
            Ok(StartTls::Proceed(f)) => {
                if !f.starttls {
                    extra.push(starttls::not_offered_finding());
                }
                features = Some(f);
            }
            Ok(StartTls::NotOffered(f)) => {
                tls = false;
                extra.push(Finding::new(
                    FindingCode::StarttlsNotOffered,
                    Severity::Error,
                    "RFC 7590 §3.1; RFC 6120 §5.3.1",
                    "the stream features do not offer STARTTLS and the server did not proceed when asked: no TLS".into(),
                ));
                features = Some(f);
            }
            Ok(StartTls::Refused(why)) => {
                tls = false;
                extra.push(starttls::failed_finding(&why));
            }
            // The server closed, reset or went quiet before TLS.
            Err(why) => {
                tls = false;
                extra.push(starttls::failed_finding(&why));
                silent_before_tls = Some(why);
            }
        }
    }
    let mut silent: Option<String> = silent_before_tls;
    if tls {
        let mut buf = [0u8; 16 * 1024];
        let mut got_any = false;
        loop {
            let mut out = Vec::new();
            session.write_tls(&mut out);
            if !out.is_empty() && sock.write_all(&out).is_err() {
                silent = Some("the server closed the connection before the handshake ended".into());
                break;
            }
            if !session.is_handshaking() {
                break;
            }
            match net::read_some(&mut sock, &mut buf, deadline) {
                Ok(0) => {
                    if !session.failed() {
                        silent = Some(if got_any {
                            "the server closed the connection during the TLS handshake".into()
                        } else {
                            "the server closed the connection without answering the ClientHello"
                                .into()
                        });
                    }
                    break;
                }
                Ok(n) => {
                    got_any = true;
                    if session.read_tls(&buf[..n]).is_err() {
                        let mut out = Vec::new();
                        session.write_tls(&mut out);
                        let _ = sock.write_all(&out);
                        break;
                    }
                }
                Err(e) => {
                    silent = Some(match e.kind() {
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                            if deadline.passed() {
                                "the check's deadline passed during the TLS handshake".into()
                            } else {
                                format!(
                                    "the server sent nothing for {} s during the TLS handshake",
                                    net::STEP_TIMEOUT.as_secs()
                                )
                            }
                        }
                        _ => format!("the connection failed during the TLS handshake: {e}"),
                    });
                    break;
                }
            }
        }
    }
    let established = tls && !session.is_handshaking() && !session.failed();
    let features_tls = if established {
        features_over_tls(&mut session, &mut sock, domain, service, deadline)
    } else {
        None
    };
    if let Some(f) = &features {
        if f.starttls && !f.required {
            extra.push(Finding::new(
                FindingCode::StarttlsNotRequired,
                Severity::Warning,
                "RFC 7590 §3.1; RFC 6120 §5.3.1",
                "STARTTLS is offered but not required: a client may go on in the clear".into(),
            ));
        }
        let plain: Vec<&str> = f
            .mechanisms
            .iter()
            .map(String::as_str)
            .filter(|m| matches!(*m, "PLAIN" | "LOGIN"))
            .collect();
        if !plain.is_empty() {
            extra.push(Finding::new(
                FindingCode::SaslPlainBeforeTls,
                Severity::Error,
                "RFC 6120 §13.8; RFC 4616 §4",
                format!(
                    "SASL {} is offered before TLS: a password can be sent in the clear",
                    plain.join(" and ")
                ),
            ));
        }
    }
    let mut report = session.report();
    for f in extra {
        report.add_finding(f);
    }
    if let Some(why) = silent {
        report.add_finding(Finding::new(
            FindingCode::ServerSilent,
            Severity::Error,
            "RFC 8446 §4.1; RFC 7590 §3.1",
            why,
        ));
    }
    Ok(Handshake {
        report,
        established,
        features,
        features_tls,
        tls_started: tls,
    })
}

/// The stream restarted over TLS (RFC 6120 §5.4.3.3; direct TLS starts
/// there) up to its features: what SASL offers once the stream is
/// protected. None when the server does not answer within the deadline.
fn features_over_tls(
    session: &mut ClientSession,
    sock: &mut std::net::TcpStream,
    domain: &str,
    service: Service,
    deadline: &Deadline,
) -> Option<Features> {
    session
        .write_plaintext(starttls::stream_header(domain, service).as_bytes())
        .ok()?;
    let mut text = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let mut out = Vec::new();
        session.write_tls(&mut out);
        if !out.is_empty() {
            sock.write_all(&out).ok()?;
        }
        let t = String::from_utf8_lossy(&text);
        if t.contains("</stream:features>") || t.contains("<stream:features/>") {
            return net::element(&t, "<stream:features", "</stream:features>").map(Features::parse);
        }
        if text.len() > 64 * 1024 {
            return None;
        }
        let n = net::read_some(sock, &mut buf, deadline).ok()?;
        if n == 0 {
            return None;
        }
        session.read_tls(&buf[..n]).ok()?;
        session.read_plaintext(&mut text).ok()?;
    }
}

/// The report to print: the handshake's when it completed; otherwise, when
/// the scan found versions the server accepts, one built from the
/// server's best version and suite and the certificate it sent, so a
/// server limited to TLS 1.0 or to a weak certificate is named for what it
/// is rather than called unencrypted. The scan's findings are added.
fn merge(
    first: ConnectionReport,
    established: bool,
    profile: Option<&Profile>,
    domain: &str,
    service: Service,
    roots: &[CertificateDer<'static>],
    policy: &Policy,
) -> ConnectionReport {
    let mut report = match profile.and_then(|p| p.versions.first().map(|v| (p, v))) {
        Some((p, best)) if !established => {
            let chain: Vec<CertificateDer<'static>> = if first.negotiated.peer_chain.is_empty() {
                p.chain
                    .iter()
                    .map(|c| CertificateDer::from(c.clone()))
                    .collect()
            } else {
                first.negotiated.peer_chain.clone()
            };
            let reference = ReferenceIdentity::new(domain, service).ok();
            let info = chain
                .first()
                .and_then(|c| CertificateInfo::from_der(c).ok());
            let identity = match (&info, &reference) {
                (Some(i), Some(r)) => match_identity(&i.ids, r, policy.cn_fallback),
                _ => None,
            };
            let pkix = Roots::new(roots).map_err(|e| e.to_string()).and_then(|r| {
                verify_chain(
                    &chain,
                    &r,
                    UnixTime::now(),
                    Purpose::ServerAuth,
                    &default_algorithms(),
                )
                .and_then(|c| c.check(domain))
                .map_err(|e| e.to_string())
            });
            let group = if best.version == TLS13 {
                p.groups_tls13.first()
            } else {
                p.groups_tls12.first()
            };
            let negotiated = Negotiated {
                encrypted: true,
                version: TlsVersion::from_code(best.version),
                suite: best.suites.first().copied(),
                kx_group: group.map(|&g| group_name(g)),
                authentication: (pkix.is_ok() && identity.is_some()).then_some(AuthMethod::Pkix),
                peer_chain: chain.clone(),
                ..Negotiated::default()
            };
            let mut r = ConnectionReport::new(domain, policy, negotiated, identity.clone(), None);
            if let Err(why) = &pkix {
                if !chain.is_empty() {
                    r.add_finding(xmpptls::report::untrusted_chain(why));
                }
            }
            if info.is_some() && identity.is_none() {
                r.add_finding(xmpptls::report::identity_mismatch(domain, service));
            }
            // What the full handshake met (a modern client's view) stays,
            // except "not encrypted": the server does speak TLS.
            for f in first.evaluation.findings {
                let dup = r.evaluation.findings.iter().any(|x| x.code == f.code);
                if f.code != FindingCode::Unencrypted.as_str() && !dup {
                    r.add_finding(f);
                }
            }
            r
        }
        _ => first,
    };
    if let Some(p) = profile {
        for f in p.findings() {
            // "accepts TLSv1.0" after "TLSv1.0 is deprecated" (the same
            // version or suite under the same code) adds nothing.
            let subject = f
                .message
                .strip_prefix("the server accepts ")
                .and_then(|m| m.split([' ', ',']).next())
                .unwrap_or(&f.message);
            let dup = report
                .evaluation
                .findings
                .iter()
                .any(|x| x.code == f.code && x.message.contains(subject));
            if !dup {
                report.add_finding(f);
            }
        }
    }
    // A server that never answered (or stopped answering) carried no
    // stream: "anyone on the path can read it" would describe nothing.
    let silent = report
        .evaluation
        .findings
        .iter()
        .any(|f| f.code == FindingCode::ServerSilent.as_str());
    if silent && profile.is_none_or(|p| p.versions.is_empty()) {
        report
            .evaluation
            .findings
            .retain(|f| f.code != FindingCode::Unencrypted.as_str());
    }
    report
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}

/// The check for people.
pub fn to_text(o: &Outcome) -> String {
    let mut out = o.report.to_text();
    if let Some(f) = &o.features {
        out.push_str(&format!(
            "  STARTTLS        {}{}\n",
            if f.starttls { "offered" } else { "NOT offered" },
            if f.required {
                ", required"
            } else {
                ", NOT required"
            }
        ));
        if !f.mechanisms.is_empty() {
            out.push_str(&format!("  SASL before TLS {}\n", f.mechanisms.join(" ")));
        }
    }
    if let Some(f) = &o.features_tls {
        out.push_str(&format!(
            "  SASL after TLS  {}\n",
            if f.mechanisms.is_empty() {
                "-".to_owned()
            } else {
                f.mechanisms.join(" ")
            }
        ));
        if !f.channel_bindings.is_empty() {
            out.push_str(&format!(
                "  Channel binding {}\n",
                f.channel_bindings.join(" ")
            ));
        }
    }
    if o.features.iter().chain(&o.features_tls).any(|f| f.dialback) {
        out.push_str("  Dialback        offered\n");
    }
    if let Some(p) = &o.profile {
        out.push_str(&format!(
            "What {} accepts ({} probes):\n",
            o.report.peer, p.probes
        ));
        for v in &p.versions {
            out.push_str(&format!(
                "  {:<8} {} suites{}\n",
                version_name(v.version),
                v.suites.len(),
                match v.server_order {
                    Some(true) => ", server's order",
                    Some(false) => ", client's order",
                    None => "",
                }
            ));
            for &s in &v.suites {
                let (name, class) = xmpptls::policy::suites::by_code(s).map_or_else(
                    || (format!("0x{s:04x}"), "unknown".to_owned()),
                    |x| {
                        (
                            x.name.to_owned(),
                            xmpptls::policy::suites::classify(x)
                                .class
                                .as_str()
                                .to_owned(),
                        )
                    },
                );
                out.push_str(&format!("             {name} ({class})\n"));
            }
        }
        for (v, how) in &p.refused {
            out.push_str(&format!("  {:<8} refused ({how})\n", version_name(*v)));
        }
        let groups = |g: &[u16]| {
            g.iter()
                .map(|&x| group_name(x))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !p.groups_tls13.is_empty() {
            out.push_str(&format!("  Groups 1.3      {}\n", groups(&p.groups_tls13)));
        }
        if !p.groups_tls12.is_empty() {
            out.push_str(&format!("  ECDHE curves    {}\n", groups(&p.groups_tls12)));
        }
        if !p.dh_bits.is_empty() {
            let d: Vec<String> = p.dh_bits.iter().map(u32::to_string).collect();
            out.push_str(&format!("  DH bits         {}\n", d.join(" ")));
        }
        out.push_str(&format!(
            "  Secure renegotiation {}  Fallback SCSV {}  Compression {}\n",
            yes_no(p.secure_renegotiation),
            yes_no(p.fallback_scsv),
            match p.compression {
                Some(true) => "YES",
                Some(false) => "no",
                None => "-",
            }
        ));
        if let Some(why) = &p.incomplete {
            out.push_str(&format!("  Scan incomplete: {why}\n"));
        }
    }
    if let Some(p) = &o.posh {
        out.push_str(&format!("  POSH            {} ({})\n", p.outcome, p.url));
    }
    if let Some(d) = &o.dane {
        out.push_str(&format!(
            "  DANE            {} ({} TLSA record(s), {} DNSSEC-secure)\n",
            d.outcome, d.records, d.secure
        ));
    }
    let g = &o.grade;
    out.push_str(&format!(
        "Grade {}  (score {}: protocol {}, key exchange {}, cipher {})\n",
        g.grade, g.score.total, g.score.protocol, g.score.key_exchange, g.score.cipher
    ));
    for (cap, why) in &g.caps {
        out.push_str(&format!("  capped at {cap}: {why}\n"));
    }
    out.push_str(&format!("Checked in {:.1} s\n", o.elapsed.as_secs_f64()));
    out
}

/// The check as JSON: the report's stable fields, plus `grade`, `scan`,
/// `stream` and `elapsed_ms`.
pub fn to_json(o: &Outcome) -> serde_json::Value {
    let mut v = o.report.to_json_value();
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "grade".into(),
            json!({
                "grade": o.grade.grade.as_str(),
                "score": o.grade.score.total,
                "protocol": o.grade.score.protocol,
                "key_exchange": o.grade.score.key_exchange,
                "cipher": o.grade.score.cipher,
                "caps": o.grade.caps.iter().map(|(g, why)| json!({"grade": g.as_str(), "why": why})).collect::<Vec<_>>(),
            }),
        );
        obj.insert(
            "scan".into(),
            o.profile
                .as_ref()
                .map_or(serde_json::Value::Null, Profile::to_json_value),
        );
        let before = o.features.as_ref();
        let after = o.features_tls.as_ref();
        obj.insert(
            "stream".into(),
            json!({
                "starttls": before.map(|f| f.starttls),
                "starttls_required": before.map(|f| f.required),
                "sasl_before_tls": before.map(|f| &f.mechanisms),
                "sasl_after_tls": after.map(|f| &f.mechanisms),
                "channel_bindings": after.map(|f| &f.channel_bindings),
                "dialback": before.into_iter().chain(after).any(|f| f.dialback),
            }),
        );
        obj.insert(
            "endpoint".into(),
            json!({"host": o.endpoint.host, "port": o.endpoint.port, "direct_tls": o.endpoint.direct_tls, "source": o.endpoint.source}),
        );
        obj.insert(
            "dane".into(),
            o.dane.as_ref().map_or(serde_json::Value::Null, |d| {
                json!({"records": d.records, "secure": d.secure, "outcome": d.outcome, "authenticated": d.authenticated})
            }),
        );
        obj.insert(
            "posh".into(),
            o.posh.as_ref().map_or(
                serde_json::Value::Null,
                |p| json!({"url": p.url, "outcome": p.outcome, "authenticated": p.authenticated}),
            ),
        );
        obj.insert("elapsed_ms".into(), json!(o.elapsed.as_millis() as u64));
    }
    v
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML report (no scripts, no external files): the
/// grade, the score as a bar chart, the versions-by-suites matrix
/// coloured by class, and the findings.
pub fn html(o: &Outcome) -> String {
    let g = &o.grade;
    let colour = match g.grade.as_str() {
        "A" => "#2e7d32",
        "B" => "#689f38",
        "C" => "#f9a825",
        "D" | "E" => "#ef6c00",
        _ => "#c62828",
    };
    let bar = |label: &str, value: u32, y: u32| {
        format!(
            "<text x='0' y='{ty}' font-size='13'>{label}</text><rect x='110' y='{y}' width='{w}' height='16' fill='{colour}'/><rect x='110' y='{y}' width='300' height='16' fill='none' stroke='#999'/><text x='420' y='{ty}' font-size='13'>{value}</text>",
            ty = y + 13,
            w = value * 3,
        )
    };
    let chart = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='460' height='96' role='img' aria-label='score'>{}{}{}{}</svg>",
        bar("Protocol", g.score.protocol, 0),
        bar("Key exchange", g.score.key_exchange, 24),
        bar("Cipher", g.score.cipher, 48),
        bar("Total", g.score.total, 72),
    );
    let mut rows = String::new();
    if let Some(p) = &o.profile {
        for v in &p.versions {
            for &s in &v.suites {
                let (name, class) = xmpptls::policy::suites::by_code(s).map_or_else(
                    || (format!("0x{s:04x}"), "unknown"),
                    |x| {
                        (
                            x.name.to_owned(),
                            xmpptls::policy::suites::classify(x).class.as_str(),
                        )
                    },
                );
                rows.push_str(&format!(
                    "<tr class='{class}'><td>{}</td><td>{}</td><td>{class}</td></tr>",
                    version_name(v.version),
                    esc(&name)
                ));
            }
        }
        for (v, how) in &p.refused {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>refused ({})</td><td></td></tr>",
                version_name(*v),
                esc(how)
            ));
        }
    }
    let findings: String = o
        .report
        .evaluation
        .findings
        .iter()
        .map(|f| {
            format!(
                "<li class='{}'><b>{}</b> {} <small>({})</small></li>",
                f.severity.as_str(),
                esc(f.code),
                esc(&f.message),
                esc(f.rfc)
            )
        })
        .collect();
    let caps: String = g
        .caps
        .iter()
        .map(|(c, why)| format!("<li>capped at {c}: {}</li>", esc(why)))
        .collect();
    format!(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>xmpptls check: {peer}</title><style>\
body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}\
.grade{{font-size:4em;font-weight:bold;color:#fff;background:{colour};display:inline-block;padding:0 .4em;border-radius:.2em}}\
table{{border-collapse:collapse}}td{{padding:.1em .6em;border-bottom:1px solid #ddd}}\
tr.forbidden{{background:#ffcdd2}}tr.not-recommended{{background:#fff3c4}}tr.preferred,tr.recommended{{background:#e8f5e9}}\
li.error{{color:#b71c1c}}li.warning{{color:#8a6d00}}pre{{background:#f5f5f5;padding:1em;overflow:auto}}\
</style></head><body><h1>{peer}</h1><p><span class='grade'>{grade}</span> score {score}</p>{chart}<ul>{caps}</ul>\
<h2>Accepted versions and suites</h2><table><tr><th>version</th><th>suite</th><th>class</th></tr>{rows}</table>\
<h2>Findings</h2><ul>{findings}</ul><h2>Report</h2><pre>{text}</pre></body></html>\n",
        peer = esc(&o.report.peer),
        grade = g.grade,
        score = g.score.total,
        text = esc(&to_text(o)),
    )
}
