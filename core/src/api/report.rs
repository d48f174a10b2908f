//! The RFC 7590 §3.6 connection report as plain records, field for field
//! the report JSON documented in the README: what uniffi hands to Kotlin,
//! Swift and Python (as `Report`, `Finding`, `CertificateInfo`,
//! `IdentityMatch`).

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde::Serialize as DeriveSerialize;
use serde_json::Value;

use super::names::MatchKind;
use crate::ct::CtReport;
use crate::identity::{CertificateInfo, Matched};
use crate::pins::PinStatus;
use crate::policy::{suites, Severity, Verdict};
use crate::report::ConnectionReport;

/// One thing the policy check found.
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Finding"))]
pub struct FindingSummary {
    /// Stable identifier, e.g. `suite-forbidden`, `pin-changed` (README).
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// Where the rule is written, e.g. `RFC 7525 §4.2`.
    pub rfc: String,
    /// One sentence for people.
    pub message: String,
}

/// Which presented identifier matched the reference identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IdentityMatch {
    /// Its kind.
    pub kind: MatchKind,
    /// The identifier as the certificate writes it.
    pub presented: String,
}

impl From<&Matched> for IdentityMatch {
    fn from(m: &Matched) -> Self {
        IdentityMatch {
            kind: MatchKind::from(m),
            presented: m.presented().to_owned(),
        }
    }
}

/// The facts of a certificate a person checks.
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "CertificateInfo")
)]
pub struct CertificateSummary {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// Validity start, RFC 3339 (`2026-01-01T00:00:00Z`).
    pub not_before: String,
    /// Validity end, RFC 3339.
    pub not_after: String,
    /// Validity start, seconds since the Unix epoch.
    pub not_before_unix: i64,
    /// Validity end, seconds since the Unix epoch.
    pub not_after_unix: i64,
    /// Lowercase hex SHA-256 of the certificate.
    pub sha256: String,
    /// Lowercase hex SHA-256 of the SubjectPublicKeyInfo (the pin).
    pub spki_sha256: String,
    /// `RSA`, `ECDSA`, `Ed25519`, …
    pub key_type: String,
    /// Key size in bits.
    pub key_bits: u32,
    /// The subject alternative names, by kind.
    pub san: SubjectAltNames,
    /// The subject's common names (CN-IDs, RFC 6125 §1.8).
    pub cn: Vec<String>,
}

/// A certificate's subject alternative names (RFC 5280 §4.2.1.6), by the
/// kinds RFC 6125 and RFC 6120 §13.7.1.4 read.
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SubjectAltNames {
    /// dNSName SANs.
    pub dns: Vec<String>,
    /// SRV-ID SANs (`_xmpp-client.example.net`).
    pub srv: Vec<String>,
    /// XmppAddr SANs.
    pub xmpp_addr: Vec<String>,
    /// URI SANs.
    pub uri: Vec<String>,
    /// IP address SANs.
    pub ip: Vec<String>,
}

impl From<&CertificateInfo> for CertificateSummary {
    fn from(c: &CertificateInfo) -> Self {
        let ids = &c.ids;
        CertificateSummary {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            not_before: c.not_before_text.clone(),
            not_after: c.not_after_text.clone(),
            not_before_unix: c.not_before,
            not_after_unix: c.not_after,
            sha256: c.sha256.clone(),
            spki_sha256: c.spki_sha256.clone(),
            key_type: c.key_type.clone(),
            key_bits: c.key_bits,
            san: SubjectAltNames {
                dns: ids.dns.clone(),
                srv: ids.srv.clone(),
                xmpp_addr: ids.xmpp_addr.clone(),
                uri: ids.uri.clone(),
                ip: ids.ip.clone(),
            },
            cn: ids.cn.clone(),
        }
    }
}

/// One SCT of a certificate transparency check (RFC 6962 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Sct"))]
pub struct SctSummary {
    /// Where it came from: `embedded`, `tls-extension`, `ocsp`.
    pub source: String,
    /// The log's id (SHA-256 of its key), lowercase hex.
    pub log_id: String,
    /// The log's description, when the log list knows it.
    pub log: Option<String>,
    /// The log's operator, when the log list knows it.
    pub operator: Option<String>,
    /// When the log saw the certificate, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// `valid`, `log-not-trusted`, `unknown-log` or `invalid`.
    pub status: String,
    /// The untrusted log's state, or why the SCT does not hold.
    pub detail: Option<String>,
}

/// A certificate transparency check (RFC 6962, Chrome's CT policy).
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "CtResult"))]
pub struct CtSummary {
    /// The certificate's SCTs satisfy the policy.
    pub compliant: bool,
    /// Every SCT found, in the order of their sources.
    pub scts: Vec<SctSummary>,
    /// SCT lists that could not be read (each also a `ct-invalid-sct`).
    pub errors: Vec<String>,
}

impl From<&CtReport> for CtSummary {
    fn from(r: &CtReport) -> Self {
        CtSummary {
            compliant: r.compliant,
            scts: r
                .scts
                .iter()
                .map(|s| SctSummary {
                    source: s.source.name().to_owned(),
                    log_id: s.log_id_hex(),
                    log: s.log.as_ref().map(|(d, _)| d.clone()),
                    operator: s.log.as_ref().map(|(_, o)| o.clone()),
                    timestamp_ms: s.timestamp_ms,
                    status: s.status.name().to_owned(),
                    detail: s.status.detail(),
                })
                .collect(),
            errors: r.errors.clone(),
        }
    }
}

/// Everything a person needs about one TLS connection (RFC 7590 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Report"))]
pub struct ReportSummary {
    /// The domain or JID the report is about.
    pub peer: String,
    /// TLS in use.
    pub encrypted: bool,
    /// `TLSv1.3`, `TLSv1.2`, …
    pub tls_version: Option<String>,
    /// IANA name of the cipher suite.
    pub cipher_suite: Option<String>,
    /// Its IANA code point, `0x1302`.
    pub cipher_suite_code: Option<String>,
    /// Its class (README, "Cipher suites"): `recommended`, `acceptable`, …
    pub cipher_suite_class: Option<String>,
    /// Key exchange group.
    pub key_exchange: Option<String>,
    /// The session was resumed.
    pub resumed: bool,
    /// `pkix`, `dane`, `posh`, `pinned`, `dialback`, `offer` or `none`.
    pub authentication: String,
    /// The identifier that matched, if any.
    pub identity: Option<IdentityMatch>,
    /// The peer's end-entity certificate.
    pub certificate: Option<CertificateSummary>,
    /// The pins' view of the key, when pins are kept.
    pub pin: Option<PinStatus>,
    /// Certificate transparency, when the policy has a log list.
    pub ct: Option<CtSummary>,
    /// The policy's name.
    pub policy: String,
    /// The grade.
    pub verdict: Verdict,
    /// What the check found.
    pub findings: Vec<FindingSummary>,
    /// The report for people, one fact per line (in the JSON only where a
    /// binding adds it: the npm package's `Report.text`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The report as JSON (stable field names, README).
    #[serde(skip)]
    pub json: String,
}

impl From<&ConnectionReport> for ReportSummary {
    fn from(r: &ConnectionReport) -> Self {
        let mut s = ReportSummary::facts(r);
        s.json = crate::json_text::compact(&s.report_json());
        s.text = r.to_text();
        s
    }
}

impl ReportSummary {
    /// Every fact of `r`, without its two renderings (`text`, `json`).
    fn facts(r: &ConnectionReport) -> Self {
        let n = &r.negotiated;
        let suite = n.suite.and_then(crate::policy::suites::by_code);
        ReportSummary {
            peer: r.peer.clone(),
            encrypted: n.encrypted,
            tls_version: n.version.map(|v| v.as_str().to_owned()),
            cipher_suite: suite.map(|s| s.name.to_owned()),
            cipher_suite_code: n.suite.map(|c| format!("0x{c:04x}")),
            cipher_suite_class: suite.map(|s| suites::classify(&s).class.as_str().to_owned()),
            key_exchange: n.kx_group.clone(),
            resumed: n.resumed,
            authentication: n.authentication.map_or("none", |a| a.as_str()).to_owned(),
            identity: r.identity.as_ref().map(IdentityMatch::from),
            certificate: r.certificate.as_ref().map(CertificateSummary::from),
            pin: r.pin.clone(),
            ct: r.ct.as_deref().map(CtSummary::from),
            policy: r.policy.clone(),
            verdict: r.evaluation.verdict,
            findings: r
                .evaluation
                .findings
                .iter()
                .map(|f| FindingSummary {
                    code: f.code.to_owned(),
                    severity: f.severity,
                    rfc: f.rfc.to_owned(),
                    message: f.message.clone(),
                })
                .collect(),
            text: String::new(),
            json: String::new(),
        }
    }

    /// The report JSON (README, "Report JSON": stable field names, absent
    /// facts `null`), serialized from this record: the same fields, names
    /// and types in every runtime, plus `identity.type`, the RFC 6125 label
    /// people read. Called on [`facts`](Self::facts) only, whose `text` is
    /// empty and so left out (the npm package's `Report` is the whole
    /// record, with it).
    fn report_json(&self) -> Value {
        super::ToJson::to_json_value(self)
    }
}

/// The report JSON's `identity` object (and the npm package's
/// `checkIdentity`): `kind`, `type` (the RFC 6125 label people read),
/// `presented`. Written out because `type` is computed from `kind`.
impl Serialize for IdentityMatch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("IdentityMatch", 3)?;
        m.serialize_field("kind", &self.kind)?;
        m.serialize_field("type", self.kind.label())?;
        m.serialize_field("presented", &self.presented)?;
        m.end()
    }
}

impl ConnectionReport {
    /// The report as JSON (README, "Report JSON"), serialized from its
    /// [`ReportSummary`].
    pub fn to_json_value(&self) -> Value {
        ReportSummary::facts(self).report_json()
    }

    /// The report as a JSON string.
    pub fn to_json(&self) -> String {
        crate::json_text::compact(&self.to_json_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Named;
    use crate::policy::{AuthMethod, Negotiated, Policy, TlsVersion};
    use crate::{Identity, Jid};
    use serde_json::json;

    /// The report JSON is serialized from the record: every fact in both, by
    /// the same name, with the same value and type.
    #[test]
    fn the_report_json_is_the_record() {
        let id = Identity::self_signed(&Jid::parse("example.net").unwrap()).unwrap();
        let n = Negotiated {
            encrypted: true,
            version: Some(TlsVersion::Tls13),
            suite: Some(0x1302),
            kx_group: Some("X25519MLKEM768".into()),
            authentication: Some(AuthMethod::Pkix),
            peer_chain: id.chain().to_vec(),
            ..Negotiated::default()
        };
        let r = ConnectionReport::new(
            "example.net",
            &Policy::strict(),
            n,
            Some(Matched::XmppAddr("example.net".into())),
            Some(PinStatus::Match),
        );
        let s = ReportSummary::from(&r);
        let v: Value = serde_json::from_str(&s.json).unwrap();
        assert_eq!(v, r.to_json_value());
        // The report JSON has no `text`; the npm package's object is the
        // record with it.
        assert!(v.get("text").is_none() && !s.text.is_empty());
        let with_text = crate::api::ToJson::to_json_value(&s);
        assert_eq!(with_text["text"], json!(s.text));
        assert_eq!(with_text.as_object().map(|m| m.len()), Some(17));
        assert_eq!(v["cipher_suite_code"], "0x1302");
        assert_eq!(v["cipher_suite_code"], json!(s.cipher_suite_code));
        assert_eq!(v["cipher_suite_class"], json!(s.cipher_suite_class));
        assert_eq!(v["identity"]["kind"], "xmpp-addr");
        assert_eq!(v["identity"]["type"], "XmppAddr");
        let c = s.certificate.as_ref().unwrap();
        let vc = &v["certificate"];
        assert_eq!(vc["not_before"], json!(c.not_before));
        assert!(c.not_before.ends_with('Z'), "RFC 3339: {}", c.not_before);
        assert_eq!(vc["not_before_unix"], json!(c.not_before_unix));
        assert_eq!(vc["not_after_unix"], json!(c.not_after_unix));
        assert_eq!(vc["san"]["xmpp_addr"], json!(c.san.xmpp_addr));
        assert_eq!(vc["cn"], json!(c.cn));
        assert_eq!(v["verdict"], s.verdict.name());
        // Every field of the record is a key of the JSON, but the two forms
        // of the report themselves.
        let ReportSummary {
            peer: _,
            encrypted: _,
            tls_version: _,
            cipher_suite: _,
            cipher_suite_code: _,
            cipher_suite_class: _,
            key_exchange: _,
            resumed: _,
            authentication: _,
            identity: _,
            certificate: _,
            pin: _,
            ct: _,
            policy: _,
            verdict: _,
            findings: _,
            text: _,
            json: _,
        } = &s;
        let keys = [
            "peer",
            "encrypted",
            "tls_version",
            "cipher_suite",
            "cipher_suite_code",
            "cipher_suite_class",
            "key_exchange",
            "resumed",
            "authentication",
            "identity",
            "certificate",
            "pin",
            "ct",
            "policy",
            "verdict",
            "findings",
        ];
        assert_eq!(v.as_object().unwrap().len(), keys.len());
        for k in keys {
            assert!(v.get(k).is_some(), "{k}");
        }
    }
}
