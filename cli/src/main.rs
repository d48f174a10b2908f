//! `xmpptls`: the command-line edge of libxmpptls (the only place with IO).
//! Exit codes: 0 success, 1 a check failed, 2 bad input or arguments.

mod certs;
mod check;
mod demo;
mod roots;
mod stream;
mod throughput;
mod tunnel;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// TLS in XMPP, safe and visible.
#[derive(Parser)]
#[command(name = "xmpptls", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an XTLS tunnel between romeo@montague.lit/orchard and
    /// juliet@capulet.lit/balcony through an in-memory router and show the
    /// wire, the negotiated TLS and the decrypted messages.
    Demo {
        /// One JSON object per line instead of text; the last is a summary.
        #[arg(long)]
        json: bool,
    },
    /// Tunnel throughput between two in-process endpoints (the native
    /// figure next to the npm package's in scripts/bench-wasm.sh).
    #[command(hide = true)]
    Throughput {
        /// Octets per stanza.
        #[arg(long, default_value_t = 16384)]
        size: usize,
        /// Stanzas to send.
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
    /// Inspect a server certificate chain (PEM, leaf first): details,
    /// PKIX validation to --ca roots, and RFC 6125/6120 identity for a
    /// domain and service. Exit 0 only when everything asked for holds.
    Cert {
        /// PEM file with the chain, leaf first.
        chain: String,
        /// PEM file with trusted roots; validates the chain.
        #[arg(long)]
        ca: Option<String>,
        /// Check at this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
        /// The XMPP domain the certificate should name.
        #[arg(long)]
        domain: String,
        /// xmpp-client or xmpp-server.
        #[arg(long, default_value = "xmpp-client")]
        service: String,
        /// Accept the subject CN when the certificate has no usable SAN.
        #[arg(long)]
        cn_fallback: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check an XMPP server's TLS: a full handshake (certificate, PKIX to
    /// the system's roots, XMPP identity) and a scan of every version,
    /// cipher suite, group and option it accepts, graded A-F. Exit 0 unless
    /// the verdict is fail.
    Check {
        /// DOMAIN (its SRV targets), HOST:PORT (an IPv6 address in brackets
        /// when a port follows), xmpp://HOST:PORT, or xmpps://HOST:PORT for
        /// direct TLS. Default port 5222/5223/5269/5270 by service and
        /// --direct-tls.
        #[arg(required_unless_present = "batch")]
        target: Option<String>,
        /// Check every target of FILE (one per line: a target, then
        /// optionally the XMPP domain; # comments), --jobs at a time, with a
        /// progress bar.
        #[arg(long, conflicts_with = "target")]
        batch: Option<String>,
        /// Checks run at once with --batch.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// The XMPP domain to check the certificate for (default: the
        /// target's host name).
        #[arg(long)]
        domain: Option<String>,
        /// xmpp-client or xmpp-server.
        #[arg(long, default_value = "xmpp-client")]
        service: String,
        /// The server-to-server view: --service xmpp-server (SRV
        /// _xmpp-server._tcp and _xmpps-server._tcp, port 5269).
        #[arg(long)]
        s2s: bool,
        /// TLS from the first byte (XEP-0368) instead of STARTTLS.
        #[arg(long)]
        direct_tls: bool,
        /// PEM file with more trusted roots (repeatable); added to the
        /// system's.
        #[arg(long)]
        ca: Vec<String>,
        /// Trust only the --ca roots, not the system's.
        #[arg(long)]
        no_system_roots: bool,
        /// Seconds the whole check may take.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Only the handshake: skip the scan of versions and suites.
        #[arg(long)]
        no_scan: bool,
        /// The policy the verdict and the exit code follow: strict (RFC
        /// 7525 as written), tls13-only, opportunistic-s2s or xtls. The
        /// grade does not depend on it.
        #[arg(long, default_value = "strict")]
        policy: String,
        /// Also write a self-contained HTML report to this file.
        #[arg(long)]
        html: Option<String>,
        /// Send DNS questions (SRV, TLSA) to this server, IP:PORT (default:
        /// the system's resolver).
        #[arg(long)]
        dns: Option<std::net::SocketAddr>,
        /// DNSSEC trust anchor: a file of DNSKEY records (default: the
        /// root's).
        #[arg(long)]
        trust_anchor: Option<std::path::PathBuf>,
        /// Look up TLSA records (DANE) for a HOST:PORT target too (a bare
        /// domain always gets them).
        #[arg(long)]
        dane: bool,
        /// Fetch the POSH document (RFC 7711) for a HOST:PORT target too (a
        /// bare domain always gets it).
        #[arg(long)]
        posh: bool,
        /// The HTTPS port of the POSH fetch (443; another for tests).
        #[arg(long, default_value_t = 443, hide = true)]
        posh_port: u16,
        /// Discover the domain's XMPP-over-WebSocket endpoint (XEP-0156
        /// host-meta) and check it: its TLS, the xmpp subprotocol, <open/>
        /// and the stream features (RFC 7395). A bare domain always gets
        /// it; this asks for it with a HOST:PORT target too.
        #[arg(long, conflicts_with = "no_websocket")]
        websocket: bool,
        /// Skip the WebSocket endpoint even for a bare domain.
        #[arg(long)]
        no_websocket: bool,
        /// The HTTPS port of the WebSocket discovery (443; another for tests).
        #[arg(long, default_value_t = 443, hide = true)]
        host_meta_port: u16,
        /// The plain-HTTP port of the WebSocket discovery (80; for tests).
        #[arg(long, default_value_t = 80, hide = true)]
        host_meta_http_port: u16,
        /// Check certificate transparency (RFC 6962) even for a chain not
        /// verified against the system's roots (it runs for those anyway).
        #[arg(long)]
        ct: bool,
        /// The CT log list, Google's v3 JSON format (default: the bundled
        /// snapshot of 2020-02-12).
        #[arg(long)]
        ct_log_list: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Log in to an XMPP server (STARTTLS, SASL PLAIN, the JID's resource)
    /// and host an XTLS tunnel: open one to --peer and send each line of
    /// standard input through it (closing at the end of input), or wait for
    /// tunnels. One line per tunnel event on standard output. Exit 0 when
    /// the tunnel closed with every stanza acknowledged.
    Tunnel {
        /// Our full JID.
        #[arg(long)]
        jid: String,
        /// The environment variable holding the password.
        #[arg(long, default_value = "XMPP_PASSWORD")]
        password_env: String,
        /// HOST or HOST:PORT of the server (default: the JID's domain, port
        /// 5222).
        #[arg(long)]
        server: Option<String>,
        /// PEM file with the roots the server's certificate must chain to
        /// (default: the system's).
        #[arg(long)]
        ca: Option<String>,
        /// Open a tunnel to this full JID and send standard input through it.
        #[arg(long)]
        peer: Option<String>,
        /// Answer every message that arrives through a tunnel.
        #[arg(long)]
        echo: bool,
        /// Exit when the first tunnel closes.
        #[arg(long)]
        once: bool,
        /// How peers are trusted: offer (XEP-0250 hash) or trust-on-first-use.
        #[arg(long, default_value = "offer")]
        trust: String,
    },
    /// Print the POSH document (RFC 7711) for a certificate.
    Posh {
        /// PEM file; the first certificate is used.
        cert: String,
        /// Seconds the document may be cached.
        #[arg(long, default_value_t = 86400)]
        expires: u64,
    },
    /// Print TLSA record data (RFC 6698) for a certificate.
    Tlsa {
        /// PEM file; the first certificate (usages 1, 3) or the last (0, 2).
        cert: String,
        /// Certificate usage 0-3.
        #[arg(long, default_value_t = 3)]
        usage: u8,
        /// Selector 0 (certificate) or 1 (public key).
        #[arg(long, default_value_t = 1)]
        selector: u8,
        /// Matching type 0 (exact), 1 (SHA-256), 2 (SHA-512).
        #[arg(long, default_value_t = 1)]
        matching: u8,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let usage = |r: Result<(), certs::Usage>| match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(certs::Usage(e)) => {
            eprintln!("xmpptls: {e}");
            ExitCode::from(2)
        }
    };
    match cli.command {
        Command::Demo { json } => match demo::run(json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xmpptls: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Cert {
            chain,
            ca,
            at,
            domain,
            service,
            cn_fallback,
            json,
        } => {
            let args = certs::CertArgs {
                chain: &chain,
                ca: ca.as_deref(),
                at: at.as_deref(),
                domain: &domain,
                service: &service,
                cn_fallback,
                json,
            };
            match certs::cert(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(certs::Usage(e)) => {
                    eprintln!("xmpptls: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Check {
            target,
            batch,
            jobs,
            domain,
            service,
            s2s,
            direct_tls,
            ca,
            no_system_roots,
            timeout,
            no_scan,
            html,
            dns,
            trust_anchor,
            dane,
            posh,
            posh_port,
            websocket,
            no_websocket,
            host_meta_port,
            host_meta_http_port,
            ct,
            ct_log_list,
            json,
            policy,
        } => {
            use xmpptls::names::Named;
            let policy = match xmpptls::policy::PolicyPreset::parse_or_err(&policy) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("xmpptls: --policy: {e}");
                    return ExitCode::from(2);
                }
            };
            let target = target.unwrap_or_default();
            let service = if s2s {
                "xmpp-server".to_owned()
            } else {
                service
            };
            let args = check::CheckArgs {
                target: &target,
                domain: domain.as_deref(),
                service: &service,
                direct_tls,
                ca: &ca,
                system_roots: !no_system_roots,
                json,
                html: html.as_deref(),
                timeout: std::time::Duration::from_secs(timeout.max(1)),
                scan: !no_scan,
                dns: check::DnsSettings {
                    server: dns,
                    trust_anchor,
                },
                dane,
                posh,
                posh_port,
                websocket: if websocket {
                    Some(true)
                } else if no_websocket {
                    Some(false)
                } else {
                    None
                },
                host_meta_ports: (host_meta_port, host_meta_http_port),
                ct,
                ct_log_list: ct_log_list.as_deref(),
                quiet: false,
                policy,
            };
            let result = match &batch {
                Some(file) => check::batch::batch(&args, file, jobs),
                None => check::check(&args),
            };
            match result {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(certs::Usage(e)) => {
                    eprintln!("xmpptls: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Throughput { size, count } => match throughput::run(size, count) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xmpptls: {e}");
                ExitCode::from(2)
            }
        },
        Command::Tunnel {
            jid,
            password_env,
            server,
            ca,
            peer,
            echo,
            once,
            trust,
        } => {
            let Ok(password) = std::env::var(&password_env) else {
                eprintln!("xmpptls: set the password in ${password_env}");
                return ExitCode::from(2);
            };
            let args = tunnel::TunnelArgs {
                jid: &jid,
                password,
                server: server.as_deref(),
                ca: ca.as_deref(),
                peer: peer.as_deref(),
                echo,
                once,
                trust: &trust,
            };
            match tunnel::tunnel(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(certs::Usage(e)) => {
                    eprintln!("xmpptls: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Posh { cert, expires } => usage(certs::posh(&cert, expires)),
        Command::Tlsa {
            cert,
            usage: u,
            selector,
            matching,
        } => usage(certs::tlsa(&cert, u, selector, matching)),
    }
}
