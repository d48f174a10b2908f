//! The connection report RFC 7590 §3.6 asks software to show: is the stream
//! encrypted, with what, how was the peer authenticated, what does its
//! certificate say, did its key change, and what does the policy think.
//!
//! [`ConnectionReport::to_json`] has stable field names (documented in the
//! README, never renamed); [`ConnectionReport::to_text`] is for people.

use crate::ct::CtReport;
use crate::identity::{CertificateInfo, Matched};
use crate::pins::PinStatus;
use crate::policy::suites::{self, Class};
use crate::policy::{
    evaluate_with_certificate, Evaluation, Finding, FindingCode, Negotiated, Policy, Severity,
    Verdict,
};

/// Everything a person (or a log) needs about one TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    /// Who the report is about (domain or JID).
    pub peer: String,
    /// What was negotiated, as given.
    pub negotiated: Negotiated,
    /// The identifier that matched the reference identity, if checked.
    pub identity: Option<Matched>,
    /// The peer's end-entity certificate, if there was one.
    pub certificate: Option<CertificateInfo>,
    /// How the peer's key compares with the pins, if pins are kept.
    pub pin: Option<PinStatus>,
    /// The policy's name.
    pub policy: String,
    /// Verdict and findings (pin findings included).
    pub evaluation: Evaluation,
    /// Certificate transparency (RFC 6962), when it was checked (boxed:
    /// most reports, every XTLS tunnel's among them, have none).
    pub ct: Option<Box<CtReport>>,
}

/// The finding of a certificate that does not name `domain` for `service`
/// (RFC 6125 §6, RFC 6120 §13.7.1.2), shared by every check that matches a
/// server's identity.
pub fn identity_mismatch(domain: &str, service: crate::identity::Service) -> Finding {
    Finding {
        code: FindingCode::IdentityMismatch.as_str(),
        severity: Severity::Error,
        rfc: "RFC 6125 §6; RFC 6120 §13.7.1.2",
        message: format!(
            "the certificate does not name {domain} for {}",
            service.as_str()
        ),
    }
}

/// The finding of a chain PKIX did not validate (RFC 6120 §13.7.2,
/// RFC 5280), with the validator's reason: the checking client's and
/// `xmpptls check`'s for a chain it got outside a completed handshake. An
/// error where `policy` requires authentication, a warning where it accepts
/// an unauthenticated peer (opportunistic s2s, RFC 7590 §3.4), as
/// `not-authenticated` is.
pub fn untrusted_chain(why: &str, policy: &Policy) -> Finding {
    Finding {
        code: FindingCode::CertificateUntrusted.as_str(),
        severity: if policy.require_authentication {
            Severity::Error
        } else {
            Severity::Warning
        },
        rfc: "RFC 6120 §13.7.2; RFC 5280",
        message: format!("the certificate chain is not trusted: {why}"),
    }
}

impl ConnectionReport {
    /// Builds the report: evaluates `negotiated` (its `peer_chain` gives the
    /// certificate details) against `policy` and adds
    /// what the pin store says (a changed key is a warning, RFC 7590 §3.6).
    pub fn new(
        peer: &str,
        policy: &Policy,
        negotiated: Negotiated,
        identity: Option<Matched>,
        pin: Option<PinStatus>,
    ) -> Self {
        let certificate = negotiated
            .peer_chain
            .first()
            .and_then(|c| CertificateInfo::from_der(c).ok());
        Self::with_certificate(peer, policy, negotiated, certificate, identity, pin)
    }

    /// [`new`](Self::new) with the peer certificate's details already read
    /// (XTLS tunnels keep them for peers seen before).
    pub(crate) fn with_certificate(
        peer: &str,
        policy: &Policy,
        negotiated: Negotiated,
        certificate: Option<CertificateInfo>,
        identity: Option<Matched>,
        pin: Option<PinStatus>,
    ) -> Self {
        let evaluation = evaluate_with_certificate(policy, &negotiated, certificate.as_ref());
        let changed = match &pin {
            Some(PinStatus::Changed { old, new }) => Some((old.clone(), new.clone())),
            _ => None,
        };
        let mut report = ConnectionReport {
            peer: peer.to_owned(),
            certificate,
            negotiated,
            identity,
            pin,
            policy: policy.name.clone(),
            evaluation,
            ct: None,
        };
        if let Some((old, new)) = changed {
            report.add_finding(Finding {
                code: FindingCode::PinChanged.as_str(),
                severity: Severity::Warning,
                rfc: "RFC 7590 §3.6",
                message: format!(
                    "the peer's key changed: pinned {old}, presented {new}; make sure the change is expected"
                ),
            });
        }
        report
    }

    /// Adds a finding made outside [`evaluate`](crate::policy::evaluate) (certificate checks, pins,
    /// a failed handshake) and raises the verdict to match its severity.
    pub fn add_finding(&mut self, finding: Finding) {
        let floor = match finding.severity {
            Severity::Error => Verdict::Fail,
            Severity::Warning => Verdict::Warn,
            Severity::Info => Verdict::Pass,
        };
        self.evaluation.verdict = self.evaluation.verdict.max(floor);
        self.evaluation.findings.push(finding);
    }

    /// Adds a certificate transparency check: its findings join the
    /// report's (and the verdict), the check itself becomes [`Self::ct`].
    pub fn add_ct(&mut self, ct: CtReport) {
        for f in &ct.findings {
            self.add_finding(f.clone());
        }
        self.ct = Some(Box::new(ct));
    }

    /// Removes the findings with these codes, and sets the verdict to what
    /// the remaining ones say: for a check that learns more after the
    /// handshake (DANE authenticating a chain PKIX did not, RFC 7673 §3).
    pub fn drop_findings(&mut self, codes: &[crate::policy::FindingCode]) {
        self.evaluation
            .findings
            .retain(|f| !codes.iter().any(|c| c.as_str() == f.code));
        self.evaluation.verdict = self
            .evaluation
            .findings
            .iter()
            .map(|f| match f.severity {
                Severity::Error => Verdict::Fail,
                Severity::Warning => Verdict::Warn,
                Severity::Info => Verdict::Pass,
            })
            .max()
            .unwrap_or(Verdict::Pass);
    }

    /// The peer proved itself another way after the handshake (DANE,
    /// RFC 7673 §3; POSH, RFC 7711 §3): when nothing authenticated it yet,
    /// `method` does, and the findings that called it untrusted or
    /// unauthenticated go (the verdict follows the rest).
    pub fn authenticated_by(&mut self, method: crate::policy::AuthMethod) {
        use crate::policy::FindingCode;
        if self.negotiated.authentication.is_none() {
            self.negotiated.authentication = Some(method);
            self.drop_findings(&[
                FindingCode::CertificateUntrusted,
                FindingCode::NotAuthenticated,
            ]);
        }
    }

    fn suite(&self) -> Option<suites::Suite> {
        self.negotiated.suite.and_then(suites::by_code)
    }

    /// The report for people, one fact per line.
    pub fn to_text(&self) -> String {
        let n = &self.negotiated;
        let mut out = format!("Connection to {}\n", self.peer);
        if !n.encrypted {
            out.push_str("  Encryption      NONE\n");
        } else {
            let suite = self.suite();
            out.push_str(&format!(
                "  Encryption      {} {}{}\n",
                n.version.map_or("TLS (version unknown)", |v| v.as_str()),
                suite.map_or("(suite unknown)", |s| s.name),
                suite.map_or(String::new(), |s| {
                    let c = suites::classify(&s).class;
                    if c == Class::Preferred || c == Class::Recommended {
                        format!(" ({c})")
                    } else {
                        format!(" ({c}!)")
                    }
                })
            ));
            if let Some(g) = &n.kx_group {
                out.push_str(&format!("  Key exchange    {g}\n"));
            }
        }
        out.push_str(&format!(
            "  Authenticated   {}\n",
            match n.authentication {
                Some(a) => match &self.identity {
                    Some(m) => format!("{a} ({m})"),
                    None => a.to_string(),
                },
                None => "NO".into(),
            }
        ));
        if let Some(c) = &self.certificate {
            out.push_str(&format!(
                "  Certificate     {} (issued by {})\n",
                c.subject, c.issuer
            ));
            out.push_str(&format!(
                "  Valid           {} to {}\n",
                c.not_before_text, c.not_after_text
            ));
            out.push_str(&format!(
                "  Key             {} {} bits, SPKI sha256:{}\n",
                c.key_type, c.key_bits, c.spki_sha256
            ));
            // The names the certificate presents: what an identity
            // mismatch is about (issue 22 #12).
            let names = c.ids.labelled();
            if !names.is_empty() {
                out.push_str(&format!("  Names           {}\n", names.join(", ")));
            }
        }
        match &self.pin {
            Some(PinStatus::New) => out.push_str("  Pin             new key, now pinned\n"),
            Some(PinStatus::Match) => out.push_str("  Pin             matches the pinned key\n"),
            Some(PinStatus::Changed { .. }) => {
                out.push_str("  Pin             KEY CHANGED since last time\n")
            }
            None => {}
        }
        if let Some(ct) = &self.ct {
            out.push_str(&format!("  {}", ct.to_text()));
        }
        out.push_str(&format!(
            "  Verdict         {} (policy {})\n",
            self.evaluation.verdict, self.policy
        ));
        for f in &self.evaluation.findings {
            out.push_str(&format!("  - {f}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{AuthMethod, TlsVersion};
    use crate::{Identity, Jid};
    use serde_json::Value;

    fn negotiated() -> Negotiated {
        Negotiated {
            encrypted: true,
            version: Some(TlsVersion::Tls13),
            suite: Some(0x1302),
            kx_group: Some("X25519MLKEM768".into()),
            authentication: Some(AuthMethod::Pkix),
            ..Negotiated::default()
        }
    }

    #[test]
    fn json_has_the_stable_fields() {
        let id = Identity::self_signed(&Jid::parse("example.net").unwrap()).unwrap();
        let r = ConnectionReport::new(
            "example.net",
            &Policy::strict(),
            Negotiated {
                peer_chain: id.chain().to_vec(),
                ..negotiated()
            },
            Some(Matched::XmppAddr("example.net".into())),
            Some(PinStatus::Match),
        );
        let v: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["encrypted"], true);
        assert_eq!(v["tls_version"], "TLSv1.3");
        assert_eq!(v["cipher_suite"], "TLS_AES_256_GCM_SHA384");
        assert_eq!(v["cipher_suite_code"], "0x1302");
        assert_eq!(v["cipher_suite_class"], "preferred");
        assert_eq!(v["authentication"], "pkix");
        assert_eq!(v["identity"]["type"], "XmppAddr");
        assert_eq!(v["certificate"]["san"]["xmpp_addr"][0], "example.net");
        assert_eq!(
            v["certificate"]["spki_sha256"],
            id.spki_fingerprint().unwrap()
        );
        assert_eq!(v["pin"]["status"], "match");
        assert_eq!(v["verdict"], "pass");
        assert_eq!(v["findings"].as_array().unwrap().len(), 0);
        let text = r.to_text();
        assert!(text.contains("Encryption      TLSv1.3 TLS_AES_256_GCM_SHA384 (preferred)"));
        assert!(
            text.contains("Key             ECDSA 256 bits, SPKI sha256:"),
            "{text}"
        );
        assert!(
            text.contains("Names           XmppAddr example.net"),
            "{text}"
        );
    }

    #[test]
    fn a_changed_pin_warns() {
        let r = ConnectionReport::new(
            "example.net",
            &Policy::strict(),
            negotiated(),
            None,
            Some(PinStatus::Changed {
                old: "aa".into(),
                new: "bb".into(),
            }),
        );
        assert_eq!(r.evaluation.verdict, Verdict::Warn);
        assert_eq!(r.evaluation.findings[0].code, "pin-changed");
        let v = r.to_json_value();
        assert_eq!(v["pin"]["old"], "aa");
        assert!(v["certificate"].is_null());
        assert!(r.to_text().contains("KEY CHANGED"));
    }

    #[test]
    fn plaintext_is_reported_as_such() {
        let r = ConnectionReport::new(
            "example.net",
            &Policy::strict(),
            Negotiated::default(),
            None,
            None,
        );
        assert_eq!(r.evaluation.verdict, Verdict::Fail);
        let v = r.to_json_value();
        assert_eq!(v["encrypted"], false);
        assert_eq!(v["authentication"], "none");
        assert!(r.to_text().contains("Encryption      NONE"));
    }
}
