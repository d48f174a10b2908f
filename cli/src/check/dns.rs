//! DNS for `xmpptls check DOMAIN`, through hickory-resolver: the SRV targets
//! of a domain (RFC 6120 §3.2.1, XEP-0368 for direct TLS) with RFC 6120
//! §3.2.2's fallback to the domain itself, and TLSA records (RFC 6698, for
//! XMPP RFC 7673) with whether DNSSEC proved them. `--dns` points at one
//! server (default: the system's resolv.conf), `--trust-anchor` gives the
//! DNSSEC trust anchor as DNSKEY records (default: the root's).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use xmpptls::dna::dane::TlsaRecord;
use xmpptls::identity::Service;
use xmpptls_observatory::report::Endpoint;

/// Where DNS questions go.
#[derive(Debug, Clone, Default)]
pub struct DnsSettings {
    /// One server (`IP:PORT`); None: the system's configuration.
    pub server: Option<SocketAddr>,
    /// A file of DNSKEY records trusted for DNSSEC; None: the root's.
    pub trust_anchor: Option<PathBuf>,
}

/// A resolver and the runtime its lookups run on.
pub struct Dns {
    rt: tokio::runtime::Runtime,
    plain: TokioResolver,
    validating: TokioResolver,
    /// The server `--dns` named; None: the system's configuration.
    server: Option<SocketAddr>,
    /// Longest wait for one lookup, however many connections and attempts
    /// the resolver makes inside it.
    timeout: Duration,
}

fn builder(
    s: &DnsSettings,
) -> Result<hickory_resolver::ResolverBuilder<TokioRuntimeProvider>, String> {
    let provider = TokioRuntimeProvider::default();
    match s.server {
        Some(addr) => {
            let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
            for c in &mut ns.connections {
                c.port = addr.port();
            }
            Ok(Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![ns]),
                provider,
            ))
        }
        None => {
            TokioResolver::builder_tokio().map_err(|e| format!("the system's DNS settings: {e}"))
        }
    }
}

impl Dns {
    /// A resolver per `s`; every lookup waits at most `timeout`.
    pub fn new(s: &DnsSettings, timeout: Duration) -> Result<Dns, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let _guard = rt.enter();
        let make = |validate: bool| -> Result<TokioResolver, String> {
            let mut b = builder(s)?;
            let o = b.options_mut();
            o.timeout = timeout;
            o.attempts = 1;
            o.validate = validate;
            if validate {
                if let Some(path) = &s.trust_anchor {
                    let anchors = TrustAnchors::from_file(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    b = b.with_trust_anchor(Arc::new(anchors));
                }
            }
            b.build().map_err(|e| e.to_string())
        };
        Ok(Dns {
            plain: make(false)?,
            validating: make(true)?,
            rt,
            server: s.server,
            timeout,
        })
    }

    /// The places to connect to for `domain` and `service`: SRV records of
    /// `_xmpp-…._tcp` (STARTTLS) and `_xmpps-…._tcp` (direct TLS), by
    /// priority then weight; the domain on the default port when neither
    /// exists (RFC 6120 §3.2.2); none when a record's target is "." (the
    /// service is decidedly not available, RFC 2782). A resolver that does
    /// not answer (timeout, refusal, server failure) is an error, not "no
    /// SRV records": the fallback would then check the wrong place.
    pub fn endpoints(&self, domain: &str, service: Service) -> Result<Vec<Endpoint>, String> {
        let (starttls, direct, port) = match service {
            Service::XmppClient => ("_xmpp-client._tcp", "_xmpps-client._tcp", 5222),
            Service::XmppServer => ("_xmpp-server._tcp", "_xmpps-server._tcp", 5269),
        };
        let mut out: Vec<(u16, u16, Endpoint)> = Vec::new();
        let mut any = false;
        for (prefix, direct_tls) in [(starttls, false), (direct, true)] {
            let name = format!("{prefix}.{domain}.");
            let lookup = match self.within(self.plain.lookup(name.as_str(), RecordType::SRV))? {
                Ok(l) => l,
                Err(e) if e.is_no_records_found() || e.is_nx_domain() => continue,
                Err(e) => return Err(format!("{}: no answer for {name}: {e}", self.server_name())),
            };
            for r in lookup.answers() {
                if let RData::SRV(srv) = &r.data {
                    any = true;
                    let target = srv.target.to_ascii();
                    let host = target.trim_end_matches('.').to_owned();
                    if host.is_empty() {
                        continue; // "." : not available here
                    }
                    let (connect, unresolved) = self.connect_to(&host)?;
                    out.push((
                        srv.priority,
                        u16::MAX - srv.weight,
                        Endpoint {
                            connect,
                            host,
                            port: srv.port,
                            direct_tls,
                            source: format!(
                                "SRV {name} priority {} weight {}",
                                srv.priority, srv.weight
                            ),
                            unresolved,
                        },
                    ));
                }
            }
        }
        if !any {
            let (connect, unresolved) = self.connect_to(domain)?;
            return Ok(vec![Endpoint {
                connect,
                host: domain.to_owned(),
                port,
                direct_tls: false,
                source: "no SRV records: the domain on the default port (RFC 6120 §3.2.2)".into(),
                unresolved,
            }]);
        }
        out.sort_by_key(|(p, w, e)| (*p, *w, e.direct_tls));
        Ok(out.into_iter().map(|(_, _, e)| e).collect())
    }

    /// The first address of `host` by this resolver: None when it has
    /// none, an error when the resolver does not answer.
    pub fn address(&self, host: &str) -> Result<Option<String>, String> {
        let name = format!("{host}.");
        match self.within(self.plain.lookup_ip(name.as_str()))? {
            Ok(ips) => Ok(ips.iter().next().map(|ip| ip.to_string())),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(None),
            Err(e) => Err(format!("{}: no answer for {name}: {e}", self.server_name())),
        }
    }

    /// What to connect to for `host`, and why there is nothing when the
    /// `--dns` server has no address for it. With the system's resolver,
    /// the name itself (the system resolves it the same way).
    pub fn connect_to(&self, host: &str) -> Result<(String, Option<String>), String> {
        Ok(match (self.address(host)?, self.server) {
            (Some(ip), _) => (ip, None),
            (None, None) => (host.to_owned(), None),
            (None, Some(server)) => (
                host.to_owned(),
                Some(format!("{host} has no address in the DNS server {server}")),
            ),
        })
    }

    /// Runs one lookup, for at most the lookup timeout.
    fn within<F: std::future::Future>(&self, lookup: F) -> Result<F::Output, String> {
        self.rt
            .block_on(async { tokio::time::timeout(self.timeout, lookup).await })
            .map_err(|_| {
                format!(
                    "{}: no answer within {:.0} s",
                    self.server_name(),
                    self.timeout.as_secs_f64()
                )
            })
    }

    /// The resolver in messages: `the DNS server IP:PORT` or the system's.
    fn server_name(&self) -> String {
        match self.server {
            Some(s) => format!("the DNS server {s}"),
            None => "the system's DNS resolver".to_owned(),
        }
    }

    /// The TLSA records of `_PORT._tcp.HOST` (RFC 6698 §3) and whether
    /// DNSSEC proved them; an empty list when there are none.
    pub fn tlsa(&self, host: &str, port: u16) -> Result<Vec<TlsaRecord>, String> {
        let name = format!("_{port}._tcp.{host}.");
        let lookup = match self.within(self.validating.lookup(name.as_str(), RecordType::TLSA))? {
            Ok(l) => l,
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => return Ok(Vec::new()),
            Err(e) => return Err(format!("{name}: {e}")),
        };
        let mut out = Vec::new();
        for r in lookup.answers() {
            if let RData::TLSA(t) = &r.data {
                let rec = TlsaRecord {
                    usage: t.cert_usage.into(),
                    selector: t.selector.into(),
                    matching_type: t.matching.into(),
                    data: t.cert_data.clone(),
                    dnssec_secure: r.proof == Proof::Secure,
                };
                out.push(rec);
            }
        }
        Ok(out)
    }
}
