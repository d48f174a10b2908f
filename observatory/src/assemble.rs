//! One report of a server from the two kinds of evidence a check has: the
//! full handshake of a modern client (the core's `ConnectionReport`) and
//! the scan's [`Profile`]. Assembled here, by what each finding is about
//! ([`About`]), not by reading messages; the command only prints it.

use xmpptls::identity::pkix::{default_algorithms, verify_chain, Purpose, Roots};
use xmpptls::identity::{match_identity, CertificateInfo, ReferenceIdentity, Service};
use xmpptls::policy::suites::{self, Class};
use xmpptls::policy::{AuthMethod, FindingCode, Negotiated, Policy, TlsVersion};
use xmpptls::{CertificateDer, ConnectionReport, UnixTime};

use crate::hello::{group_name, TLS13};
use crate::profile::{About, Profile, VersionProfile};

/// The report to print: the handshake's when it completed; otherwise, when
/// the scan found versions the server accepts, one built from the
/// server's best version and suite and the certificate it sent, so a
/// server limited to TLS 1.0 or to a weak certificate is named for what it
/// is rather than called unencrypted. The scan's findings are added.
pub fn assemble(
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
            let suite = likely_suite(best);
            // The group a modern client gets: a post-quantum one when the
            // server accepts it (clients offer it first), else the first;
            // none for a suite without an (EC)DHE group (static RSA, DHE).
            let pq = p.post_quantum_groups();
            let ecdhe = suite
                .and_then(suites::by_code)
                .is_some_and(|s| s.tls13 || s.kx.starts_with("ECDHE"));
            let group = if !ecdhe {
                None
            } else if best.version == TLS13 {
                pq.first().or(p.groups_tls13.first())
            } else {
                p.groups_tls12.first()
            };
            let negotiated = Negotiated {
                encrypted: true,
                version: TlsVersion::from_code(best.version),
                suite,
                kx_group: group.map(|&g| group_name(g)),
                authentication: (pkix.is_ok() && identity.is_some()).then_some(AuthMethod::Pkix),
                peer_chain: chain.clone(),
                ..Negotiated::default()
            };
            let mut r = ConnectionReport::new(domain, policy, negotiated, identity.clone(), None);
            if let Err(why) = &pkix {
                if !chain.is_empty() {
                    r.add_finding(xmpptls::report::untrusted_chain(why, policy));
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
    if profile.is_some_and(|p| !p.post_quantum_groups().is_empty()) {
        // The server accepts a post-quantum group: "classical only" would
        // describe our client's handshake, not the server.
        report.drop_findings(&[FindingCode::ClassicalKeyExchange]);
    }
    if let Some(p) = profile {
        for scan in p.findings_about() {
            let f = scan.finding;
            // "accepts TLSv1.0" after the handshake's "TLSv1.0 is
            // deprecated" (the same version or suite under the same code)
            // adds nothing.
            let negotiated = &report.negotiated;
            let same_subject = match scan.about {
                About::Version(v) => negotiated.version == TlsVersion::from_code(v),
                About::Suite(s) => negotiated.suite == Some(s),
                About::Server => {
                    // What the scan says of the whole server replaces what
                    // the handshake saw of one connection under the same
                    // code (one classical-key-exchange, not two).
                    if let Some(code) = FindingCode::parse(f.code) {
                        report.drop_findings(&[code]);
                    }
                    false
                }
            };
            let dup = report
                .evaluation
                .findings
                .iter()
                .any(|x| x.code == f.code && (same_subject || x.message == f.message));
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

/// The suite a client preferring forward secrecy and AEAD gets at the
/// server's best version: the server's first when it imposes its order;
/// otherwise the best it accepts by class, forward secrecy, then strength.
/// (Issue 22 #6: the first suite found was shown, a static-RSA suite next
/// to an ECDHE group, from a server that also accepts ECDHE.)
fn likely_suite(best: &VersionProfile) -> Option<u16> {
    if best.server_order == Some(true) {
        return best.suites.first().copied();
    }
    let rank = |code: &u16| {
        suites::by_code(*code).map_or((0, false, 0), |s| {
            let class = match suites::classify(&s).class {
                Class::Preferred => 4,
                Class::Recommended => 3,
                Class::NotRecommended => 2,
                Class::Forbidden => 1,
                Class::Signalling => 0,
            };
            let fs = s.tls13 || s.kx.starts_with("ECDHE") || s.kx.starts_with("DHE");
            (class, fs, s.security_bits)
        })
    };
    // The first of equals, in the order the scan found them.
    best.suites.iter().rev().max_by_key(|c| rank(c)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hello::TLS10;

    /// A finding of the scan that repeats the handshake's on the same
    /// version or suite is left out, by subject, whatever the messages say;
    /// one on another suite stays.
    #[test]
    fn the_scan_adds_what_the_handshake_did_not_say() {
        let policy = Policy::default();
        let negotiated = Negotiated {
            encrypted: true,
            version: Some(TlsVersion::Tls10),
            suite: Some(0x002f),
            ..Negotiated::default()
        };
        let first = ConnectionReport::new("example.net", &policy, negotiated, None, None);
        let count = |r: &ConnectionReport, code: FindingCode| {
            r.evaluation
                .findings
                .iter()
                .filter(|f| f.code == code.as_str())
                .count()
        };
        assert_eq!(count(&first, FindingCode::VersionDeprecated), 1);
        assert_eq!(count(&first, FindingCode::SuiteNotRecommended), 1);
        let profile = Profile {
            versions: vec![VersionProfile {
                version: TLS10,
                suites: vec![0x002f, 0xc013],
                server_order: Some(true),
            }],
            ..Profile::default()
        };
        let r = assemble(
            first,
            true,
            Some(&profile),
            "example.net",
            Service::XmppClient,
            &[],
            &policy,
        );
        assert_eq!(count(&r, FindingCode::VersionDeprecated), 1);
        // TLS_RSA_WITH_AES_128_CBC_SHA once; TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA added.
        assert_eq!(count(&r, FindingCode::SuiteNotRecommended), 2);
    }

    /// The handshake's classical-key-exchange (its one connection) gives
    /// way to the scan's (the whole server): one finding, the server's.
    #[test]
    fn a_finding_about_the_server_replaces_the_connections() {
        let policy = Policy::default();
        let negotiated = Negotiated {
            encrypted: true,
            version: Some(TlsVersion::Tls13),
            suite: Some(0x1302),
            kx_group: Some("X25519".into()),
            ..Negotiated::default()
        };
        let first = ConnectionReport::new("example.net", &policy, negotiated, None, None);
        let classical = |r: &ConnectionReport| -> Vec<String> {
            r.evaluation
                .findings
                .iter()
                .filter(|f| f.code == FindingCode::ClassicalKeyExchange.as_str())
                .map(|f| f.message.clone())
                .collect()
        };
        assert_eq!(classical(&first).len(), 1);
        let profile = Profile {
            versions: vec![VersionProfile {
                version: TLS13,
                suites: vec![0x1302],
                server_order: Some(true),
            }],
            groups_tls13: vec![0x001d],
            ..Profile::default()
        };
        let r = assemble(
            first,
            true,
            Some(&profile),
            "example.net",
            Service::XmppClient,
            &[],
            &policy,
        );
        let left = classical(&r);
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(
            left[0].starts_with("the server accepts no post-quantum"),
            "{left:?}"
        );
    }
}
