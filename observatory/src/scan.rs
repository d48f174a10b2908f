//! The scan as a state machine: which ClientHello to send next, given what
//! the server answered so far. Its steps, each a probe on a fresh
//! connection:
//!
//! 1. **Versions**: TLS 1.3, 1.2, 1.1, 1.0, SSL 3.0, each offered alone
//!    with every suite of the IANA registry that belongs to it. A
//!    ServerHello of that version accepts it; an alert, a close or another
//!    version refuses it.
//! 2. **Suites**, per accepted version: offer the candidates, note the one
//!    the server picks, offer the rest again, until the server refuses.
//!    The order found is the server's preference if it uses its own; one
//!    more probe with the first and last reversed tells which order it
//!    follows.
//! 3. **Groups**: TLS 1.3 groups one at a time without key shares (the
//!    server names an accepted group in a HelloRetryRequest); ECDHE curves
//!    of the highest older version one at a time with its accepted ECDHE
//!    suites (its ServerKeyExchange names the curve).
//! 4. **Options**: the fallback SCSV below the highest version (RFC 7507:
//!    inappropriate_fallback expected), and DEFLATE offered (RFC 7525 §3.3).
//!    Secure renegotiation and extended master secret come from the
//!    TLS 1.2-or-older answers on the way.

use xmpptls::policy::suites;

use crate::answer::Answer;
use crate::hello::{Probe, GROUPS, SSL3, TLS10, TLS11, TLS12, TLS13};
use crate::profile::{Profile, VersionProfile};

/// The versions probed, newest first.
const VERSIONS: [u16; 5] = [TLS13, TLS12, TLS11, TLS10, SSL3];

/// Limits of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    /// Most probes (connections) one scan makes. A server accepting every
    /// suite of every version needs about 5 + 2 × 80 + 16 + 12 + 2.
    pub max_probes: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits { max_probes: 400 }
    }
}

/// What the probe given out was for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Version(usize),
    Suites { version: u16, remaining: Vec<u16> },
    Order { version: u16, first: u16 },
    Group13(usize),
    Group12 { index: usize, suites: Vec<u16> },
    Fallback,
    Compression,
    Done,
}

/// A scan of one server; see the module documentation.
#[derive(Debug, Clone)]
pub struct Scan {
    server_name: Option<String>,
    limits: ScanLimits,
    profile: Profile,
    step: Step,
    pending: Option<Probe>,
    tls12_answers: usize,
    renegotiation_seen: usize,
    ems_seen: usize,
}

/// Candidate suites of a version: every registry suite that belongs to it
/// (TLS 1.3's five for 1.3; all others, no signalling values, for older).
fn candidates(version: u16) -> Vec<u16> {
    suites::all()
        .iter()
        .filter(|s| !s.signalling && s.tls13 == (version == TLS13))
        .map(|s| s.code)
        .collect()
}

impl Scan {
    /// A scan of the server named `server_name` (sent as SNI when it is a
    /// DNS name).
    pub fn new(server_name: Option<&str>, limits: ScanLimits) -> Self {
        Scan {
            server_name: server_name.map(str::to_owned),
            limits,
            profile: Profile::default(),
            step: Step::Version(0),
            pending: None,
            tls12_answers: 0,
            renegotiation_seen: 0,
            ems_seen: 0,
        }
    }

    fn probe(&self, version: u16, suites: Vec<u16>) -> Probe {
        Probe::new(version, suites, self.server_name.as_deref())
    }

    /// The next probe to send, or None when the scan is over. Call
    /// [`Scan::record`] with its answer before asking again.
    pub fn next_probe(&mut self) -> Option<Probe> {
        if let Some(p) = &self.pending {
            return Some(p.clone());
        }
        if self.profile.probes >= self.limits.max_probes {
            if self.step != Step::Done {
                self.stop(format!(
                    "the probe budget ({}) ran out",
                    self.limits.max_probes
                ));
            }
            return None;
        }
        let probe = match &self.step {
            Step::Version(i) => self.probe(VERSIONS[*i], candidates(VERSIONS[*i])),
            Step::Suites { version, remaining } => self.probe(*version, remaining.clone()),
            Step::Order { version, first } => {
                let v = self.version(*version)?;
                let last = *v.suites.last()?;
                self.probe(*version, vec![last, *first])
            }
            Step::Group13(i) => {
                let mut p = self.probe(TLS13, candidates(TLS13));
                p.groups = vec![GROUPS[*i].0];
                p.key_shares = false;
                p
            }
            Step::Group12 { index, suites } => {
                let mut p = self.probe(self.highest_legacy()?, suites.clone());
                p.groups = vec![ec_groups()[*index]];
                p
            }
            Step::Fallback => {
                let below = self.fallback_version()?;
                let mut p = self.probe(below, candidates(below));
                p.fallback_scsv = true;
                p
            }
            Step::Compression => {
                let v = self.highest_legacy()?;
                let mut p = self.probe(v, candidates(v));
                p.deflate = true;
                p
            }
            Step::Done => return None,
        };
        self.profile.probes += 1;
        self.pending = Some(probe.clone());
        Some(probe)
    }

    /// The answer to the probe [`Scan::next_probe`] gave out.
    pub fn record(&mut self, answer: &Answer) {
        let Some(probe) = self.pending.take() else {
            return;
        };
        if let Some(h) = answer.hello() {
            if h.version <= TLS12 && h.version == probe.version && !h.hello_retry {
                self.tls12_answers += 1;
                self.renegotiation_seen += usize::from(h.secure_renegotiation);
                self.ems_seen += usize::from(h.extended_master_secret);
                if self.profile.chain.is_empty() {
                    self.profile.chain = h.chain.clone();
                }
                if let Some(bits) = h.dh_bits {
                    if !self.profile.dh_bits.contains(&bits) {
                        self.profile.dh_bits.push(bits);
                        self.profile.dh_bits.sort_unstable();
                    }
                }
            }
        }
        let accepted = answer
            .hello()
            .filter(|h| h.version == probe.version)
            .map(|h| h.suite);
        let step = std::mem::replace(&mut self.step, Step::Done);
        self.step = match step {
            Step::Version(i) => {
                let version = VERSIONS[i];
                match accepted {
                    Some(suite) => {
                        self.profile.versions.push(VersionProfile {
                            version,
                            suites: vec![suite],
                            server_order: None,
                        });
                        let remaining = candidates(version)
                            .into_iter()
                            .filter(|&s| s != suite)
                            .collect();
                        Step::Suites { version, remaining }
                    }
                    None => {
                        self.profile.refused.push((version, refusal(answer)));
                        self.after_version(i)
                    }
                }
            }
            Step::Suites {
                version,
                mut remaining,
            } => match accepted {
                Some(suite) if remaining.contains(&suite) => {
                    remaining.retain(|&s| s != suite);
                    if let Some(v) = self.version_mut(version) {
                        v.suites.push(suite);
                    }
                    if remaining.is_empty() {
                        self.after_suites(version)
                    } else {
                        Step::Suites { version, remaining }
                    }
                }
                _ => self.after_suites(version),
            },
            Step::Order { version, first } => {
                let server = accepted.map(|s| s == first);
                if let Some(v) = self.version_mut(version) {
                    v.server_order = server;
                }
                self.next_version_after(version)
            }
            Step::Group13(i) => {
                if let Some(g) = answer.hello().and_then(|h| h.group) {
                    if g == GROUPS[i].0 && !self.profile.groups_tls13.contains(&g) {
                        self.profile.groups_tls13.push(g);
                    }
                }
                if i + 1 < GROUPS.len() {
                    Step::Group13(i + 1)
                } else {
                    self.groups12_or_options()
                }
            }
            Step::Group12 { index, suites } => {
                if let Some(g) = answer
                    .hello()
                    .filter(|h| h.version == probe.version)
                    .and_then(|h| h.group)
                {
                    if g == ec_groups()[index] && !self.profile.groups_tls12.contains(&g) {
                        self.profile.groups_tls12.push(g);
                    }
                }
                if index + 1 < ec_groups().len() {
                    Step::Group12 {
                        index: index + 1,
                        suites,
                    }
                } else {
                    self.options()
                }
            }
            Step::Fallback => {
                // The probe is for a version the server accepted without the
                // SCSV (`fallback_version`): a hello means the downgrade
                // went through; inappropriate_fallback (86), another alert or
                // a close is a refusal (OpenSSL's s_server closes without an
                // alert, issue 22 #1); silence or garbage says nothing.
                self.profile.fallback_scsv = match answer {
                    Answer::Hello(_) => Some(false),
                    Answer::Alert { .. } | Answer::Closed => Some(true),
                    Answer::Silent | Answer::NotTls(_) => None,
                };
                self.compression_or_done()
            }
            Step::Compression => {
                self.profile.compression = Some(answer.hello().is_some_and(|h| h.compression != 0));
                self.finish()
            }
            Step::Done => Step::Done,
        };
    }

    /// Stops the scan (the caller's deadline): the profile keeps what was
    /// found and says why it is incomplete.
    pub fn stop(&mut self, why: String) {
        if self.step != Step::Done {
            self.profile.incomplete = Some(why);
            self.pending = None;
            self.step = Step::Done;
            self.settle();
        }
    }

    /// Whether the scan is over.
    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// What was found so far.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The finished profile.
    pub fn into_profile(mut self) -> Profile {
        self.settle();
        self.profile
    }

    fn version(&self, v: u16) -> Option<&VersionProfile> {
        self.profile.versions.iter().find(|x| x.version == v)
    }

    fn version_mut(&mut self, v: u16) -> Option<&mut VersionProfile> {
        self.profile.versions.iter_mut().find(|x| x.version == v)
    }

    fn after_version(&self, i: usize) -> Step {
        if i + 1 < VERSIONS.len() {
            Step::Version(i + 1)
        } else {
            self.groups13_or_later()
        }
    }

    fn next_version_after(&self, version: u16) -> Step {
        let i = VERSIONS
            .iter()
            .position(|&v| v == version)
            .unwrap_or(VERSIONS.len());
        self.after_version(i)
    }

    fn after_suites(&self, version: u16) -> Step {
        match self.version(version) {
            Some(v) if v.suites.len() >= 2 => Step::Order {
                version,
                first: v.suites[0],
            },
            _ => self.next_version_after(version),
        }
    }

    fn groups13_or_later(&self) -> Step {
        if self.profile.accepts(TLS13) {
            Step::Group13(0)
        } else {
            self.groups12_or_options()
        }
    }

    fn groups12_or_options(&self) -> Step {
        let ecdhe: Vec<u16> = self
            .highest_legacy()
            .and_then(|v| self.version(v))
            .map(|v| {
                v.suites
                    .iter()
                    .copied()
                    .filter(|&s| suites::by_code(s).is_some_and(|x| x.kx == "ECDHE"))
                    .collect()
            })
            .unwrap_or_default();
        if ecdhe.is_empty() {
            self.options()
        } else {
            Step::Group12 {
                index: 0,
                suites: ecdhe,
            }
        }
    }

    fn options(&self) -> Step {
        if self.fallback_version().is_some() {
            Step::Fallback
        } else {
            self.compression_or_done()
        }
    }

    fn compression_or_done(&self) -> Step {
        if self.highest_legacy().is_some() {
            Step::Compression
        } else {
            self.finish()
        }
    }

    fn finish(&self) -> Step {
        Step::Done
    }

    /// The version just below the highest accepted one, when the server
    /// accepts two or more (the one a downgrade would land on).
    fn fallback_version(&self) -> Option<u16> {
        let mut vs: Vec<u16> = self.profile.versions.iter().map(|v| v.version).collect();
        vs.sort_unstable_by(|a, b| b.cmp(a));
        vs.get(1).copied().filter(|&v| v > SSL3)
    }

    /// The highest accepted version that has compression (TLS 1.2 or older).
    fn highest_legacy(&self) -> Option<u16> {
        [TLS12, TLS11, TLS10, SSL3]
            .into_iter()
            .find(|&v| self.profile.accepts(v))
    }

    /// Fills the options read from the answers on the way.
    fn settle(&mut self) {
        if self.tls12_answers > 0 {
            self.profile.secure_renegotiation = Some(self.renegotiation_seen == self.tls12_answers);
            self.profile.extended_master_secret = Some(self.ems_seen > 0);
        }
        self.profile
            .versions
            .sort_by_key(|v| std::cmp::Reverse(v.version));
    }
}

/// The EC groups probed for TLS 1.2 ECDHE (the elliptic curves of [`GROUPS`]).
fn ec_groups() -> Vec<u16> {
    GROUPS.iter().map(|g| g.0).filter(|&g| g < 0x0100).collect()
}

/// How a version was refused, for the report.
fn refusal(a: &Answer) -> String {
    match a {
        Answer::Hello(h) => format!("answered with {}", crate::hello::version_name(h.version)),
        Answer::Alert { description } => format!("alert {description}"),
        Answer::Closed => "connection closed".into(),
        Answer::Silent => "no answer".into(),
        Answer::NotTls(why) => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::ServerHelloFacts;

    /// How a simulated server answers TLS_FALLBACK_SCSV below its best
    /// version.
    #[derive(Clone, Copy)]
    enum Scsv {
        /// inappropriate_fallback (86), as RFC 7507 says.
        Alert,
        /// It closes without an alert (OpenSSL's s_server).
        Close,
        /// It ignores the SCSV and completes the downgrade.
        Ignore,
    }

    /// A simulated server: the versions and suites (in its order of
    /// preference) it accepts, the groups it knows, its options.
    struct Server {
        versions: Vec<(u16, Vec<u16>)>,
        client_order: bool,
        groups: Vec<u16>,
        scsv: Scsv,
        deflate: bool,
        renegotiation: bool,
    }

    impl Server {
        fn answer(&self, p: &Probe) -> Answer {
            let Some((_, prefs)) = self.versions.iter().find(|(v, _)| *v == p.version) else {
                return Answer::Alert { description: 70 };
            };
            let highest = self.versions.iter().map(|v| v.0).max().unwrap_or(0);
            if p.fallback_scsv && highest > p.version {
                match self.scsv {
                    Scsv::Alert => return Answer::Alert { description: 86 },
                    Scsv::Close => return Answer::Closed,
                    Scsv::Ignore => {}
                }
            }
            let chosen = if self.client_order {
                p.suites.iter().copied().find(|s| prefs.contains(s))
            } else {
                prefs.iter().copied().find(|s| p.suites.contains(s))
            };
            let Some(suite) = chosen else {
                return Answer::Alert { description: 40 };
            };
            let group = p.groups.iter().copied().find(|g| self.groups.contains(g));
            let ecdhe = suites::by_code(suite).is_some_and(|s| s.kx == "ECDHE" || s.tls13);
            if ecdhe && group.is_none() {
                return Answer::Alert { description: 40 };
            }
            Answer::Hello(ServerHelloFacts {
                version: p.version,
                suite,
                compression: u8::from(p.deflate && self.deflate),
                secure_renegotiation: self.renegotiation,
                hello_retry: p.version == TLS13 && !p.key_shares,
                group: if ecdhe { group } else { None },
                dh_bits: suites::by_code(suite)
                    .filter(|s| s.kx == "DHE")
                    .map(|_| 1024),
                ..ServerHelloFacts::default()
            })
        }
    }

    fn run(server: &Server) -> Profile {
        let mut scan = Scan::new(Some("example.net"), ScanLimits::default());
        while let Some(p) = scan.next_probe() {
            let a = server.answer(&p);
            scan.record(&a);
        }
        assert!(scan.is_done());
        scan.into_profile()
    }

    #[test]
    fn a_modern_server_is_mapped_completely() {
        let s = Server {
            versions: vec![
                (TLS13, vec![0x1302, 0x1301, 0x1303]),
                (TLS12, vec![0xc030, 0xc02f]),
            ],
            client_order: false,
            groups: vec![0x001d, 0x0017],
            scsv: Scsv::Alert,
            deflate: false,
            renegotiation: true,
        };
        let p = run(&s);
        assert_eq!(
            p.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![TLS13, TLS12]
        );
        assert_eq!(
            p.versions[0].suites,
            vec![0x1302, 0x1301, 0x1303],
            "server preference order"
        );
        assert_eq!(p.versions[0].server_order, Some(true));
        assert_eq!(p.versions[1].suites, vec![0xc030, 0xc02f]);
        assert_eq!(p.groups_tls13, vec![0x001d, 0x0017]);
        assert_eq!(p.groups_tls12, vec![0x001d, 0x0017]);
        assert_eq!(p.fallback_scsv, Some(true));
        assert_eq!(p.compression, Some(false));
        assert_eq!(p.secure_renegotiation, Some(true));
        assert_eq!(p.refused.len(), 3);
        assert!(p.incomplete.is_none());
        assert!(
            p.findings()
                .iter()
                .all(|f| f.severity == xmpptls::policy::Severity::Info),
            "{:?}",
            p.findings()
        );
    }

    /// Post-quantum groups are found one at a time through a
    /// HelloRetryRequest, in TLS 1.3 only: a server with the hybrid and
    /// pure ML-KEM-1024 is reported as post-quantum, with no
    /// classical-key-exchange finding; a classical one gets the finding.
    #[test]
    fn post_quantum_groups_are_found() {
        let pq = Server {
            versions: vec![(TLS13, vec![0x1301]), (TLS12, vec![0xc02f])],
            client_order: false,
            groups: vec![0x11ec, 0x0202, 0x001d],
            scsv: Scsv::Alert,
            deflate: false,
            renegotiation: true,
        };
        let p = run(&pq);
        assert_eq!(p.groups_tls13, vec![0x001d, 0x11ec, 0x0202]);
        assert_eq!(p.groups_tls12, vec![0x001d], "no hybrid in TLS 1.2");
        assert_eq!(p.post_quantum_groups(), vec![0x11ec, 0x0202]);
        let codes: Vec<&str> = p.findings().iter().map(|f| f.code).collect();
        assert!(!codes.contains(&"classical-key-exchange"), "{codes:?}");
        let json = p.to_json_value();
        assert_eq!(json["post_quantum"]["accepted"], true);
        assert_eq!(
            json["post_quantum"]["groups"],
            serde_json::json!(["X25519MLKEM768", "MLKEM1024"])
        );

        let classical = Server {
            groups: vec![0x001d],
            ..pq
        };
        let p = run(&classical);
        assert!(p.post_quantum_groups().is_empty());
        let f = p
            .findings()
            .into_iter()
            .find(|f| f.code == "classical-key-exchange")
            .expect("the finding");
        assert_eq!(f.severity, xmpptls::policy::Severity::Info);
        assert_eq!(p.to_json_value()["post_quantum"]["accepted"], false);
    }

    #[test]
    fn a_close_on_the_fallback_probe_is_a_refusal() {
        // Issue 22 #1: OpenSSL's s_server refuses the downgrade by closing
        // without an alert; only a server that completes it ignores the SCSV.
        let server = |scsv| Server {
            versions: vec![(TLS13, vec![0x1302, 0x1301]), (TLS12, vec![0xc02f])],
            client_order: false,
            groups: vec![0x001d, 0x0017],
            scsv,
            deflate: false,
            renegotiation: true,
        };
        assert_eq!(run(&server(Scsv::Alert)).fallback_scsv, Some(true));
        assert_eq!(run(&server(Scsv::Close)).fallback_scsv, Some(true));
        let ignored = run(&server(Scsv::Ignore));
        assert_eq!(ignored.fallback_scsv, Some(false));
        assert!(ignored
            .findings()
            .iter()
            .any(|f| f.code == xmpptls::policy::FindingCode::NoFallbackScsv.as_str()));
        assert!(!run(&server(Scsv::Close))
            .findings()
            .iter()
            .any(|f| f.code == xmpptls::policy::FindingCode::NoFallbackScsv.as_str()));
    }

    #[test]
    fn a_legacy_server_is_named_in_full() {
        let s = Server {
            versions: vec![(TLS10, vec![0x0035, 0x002f, 0x000a, 0x0039])],
            client_order: true,
            groups: vec![],
            scsv: Scsv::Ignore,
            deflate: true,
            renegotiation: false,
        };
        let p = run(&s);
        assert_eq!(p.versions.len(), 1);
        let mut got = p.versions[0].suites.clone();
        got.sort_unstable();
        assert_eq!(got, vec![0x000a, 0x002f, 0x0035, 0x0039]);
        assert_eq!(p.versions[0].server_order, Some(false));
        assert_eq!(p.dh_bits, vec![1024]);
        assert_eq!(p.compression, Some(true));
        assert_eq!(p.secure_renegotiation, Some(false));
        assert_eq!(
            p.fallback_scsv, None,
            "one version: nothing to fall back to"
        );
    }

    #[test]
    fn the_probe_budget_and_a_stop_end_the_scan_with_a_reason() {
        let s = Server {
            versions: vec![(TLS12, vec![0xc02f, 0x009c, 0x002f])],
            client_order: false,
            groups: vec![0x0017],
            scsv: Scsv::Ignore,
            deflate: false,
            renegotiation: true,
        };
        let mut scan = Scan::new(None, ScanLimits { max_probes: 3 });
        while let Some(p) = scan.next_probe() {
            scan.record(&s.answer(&p));
        }
        let p = scan.into_profile();
        assert_eq!(p.probes, 3);
        assert!(p
            .incomplete
            .as_deref()
            .is_some_and(|w| w.contains("budget")));

        let mut scan = Scan::new(None, ScanLimits::default());
        let _ = scan.next_probe();
        scan.stop("the deadline passed".into());
        assert!(scan.next_probe().is_none());
        assert_eq!(
            scan.profile().incomplete.as_deref(),
            Some("the deadline passed")
        );
    }

    #[test]
    fn a_server_that_answers_another_version_refuses_the_one_offered() {
        // Probing TLS 1.2 gets a TLS 1.0 ServerHello: 1.2 is refused.
        let mut scan = Scan::new(None, ScanLimits::default());
        let p13 = scan.next_probe().expect("probe");
        assert_eq!(p13.version, TLS13);
        scan.record(&Answer::Closed);
        let p12 = scan.next_probe().expect("probe");
        assert_eq!(p12.version, TLS12);
        scan.record(&Answer::Hello(ServerHelloFacts {
            version: TLS10,
            suite: 0x002f,
            ..Default::default()
        }));
        assert_eq!(
            scan.profile().refused[1],
            (TLS12, "answered with TLSv1.0".to_owned())
        );
        assert_eq!(
            scan.profile().refused[0],
            (TLS13, "connection closed".to_owned())
        );
        let p11 = scan.next_probe().expect("probe");
        assert_eq!(p11.version, TLS11);
    }
}
