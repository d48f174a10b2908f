//! DANE: TLSA records (RFC 6698) checked against a server's certificate
//! chain with the operational rules of RFC 7671 and the SRV rules of RFC
//! 7673, which XMPP uses.
//!
//! The caller looks up `_port._tcp.<SRV target>` TLSA records and says for
//! each whether DNSSEC validated it. Records that are not secure, or that use
//! a usage, selector or matching type we do not know, are unusable and
//! ignored (RFC 6698 §4.1, RFC 7671 §4). With no usable record, DANE does not
//! apply and the caller falls back to PKIX. With usable records, one of them
//! must authenticate the chain; several records (a key rollover) are tried
//! in order and any match wins (RFC 7671 §8).
//!
//! | usage | chain | names checked | PKIX roots |
//! |---|---|---|---|
//! | 3 DANE-EE | the end entity matches | no (RFC 7671 §5.1) | no |
//! | 2 DANE-TA | a certificate sent in the chain matches and the end entity chains to it | yes | no |
//! | 1 PKIX-EE | the end entity matches | yes | yes |
//! | 0 PKIX-TA | a certificate sent in the chain matches | yes | yes |
//!
//! Names are checked against the service domain *or* the SRV target host
//! (RFC 7673 §4.2): this is how DANE lets a hosting provider serve many
//! domains with its own certificate. A DANE-TA trust anchor must be sent in
//! the chain; one published only by its key is not supported.

use ring::digest::{digest, SHA256, SHA512};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::identity::pkix::{default_algorithms, verify_chain, NameConstraints, Purpose, Roots};
use crate::identity::{
    hex, match_identity, spki_der, Matched, PresentedIds, ReferenceIdentity, Service,
};

pub use crate::error::TlsaError;

/// One TLSA record (RFC 6698 §2.1) and whether DNSSEC validated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaRecord {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 whole certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching_type: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
    /// The DNS answer was DNSSEC-validated ("secure", RFC 4035 §4.3).
    pub dnssec_secure: bool,
}

impl TlsaRecord {
    /// Parses wire-format RDATA: usage, selector, matching type, data.
    pub fn from_rdata(rdata: &[u8], dnssec_secure: bool) -> Result<Self, TlsaError> {
        match rdata {
            [usage, selector, matching_type, data @ ..] if !data.is_empty() => Ok(TlsaRecord {
                usage: *usage,
                selector: *selector,
                matching_type: *matching_type,
                data: data.to_vec(),
                dnssec_secure,
            }),
            _ => Err(TlsaError("RDATA shorter than 4 octets".into())),
        }
    }

    /// The wire-format RDATA.
    pub fn to_rdata(&self) -> Vec<u8> {
        let mut v = vec![self.usage, self.selector, self.matching_type];
        v.extend_from_slice(&self.data);
        v
    }

    /// The presentation format, e.g. `3 1 1 0a1b…` (RFC 6698 §2.2).
    pub fn presentation(&self) -> String {
        format!(
            "{} {} {} {}",
            self.usage,
            self.selector,
            self.matching_type,
            hex(&self.data)
        )
    }

    /// The record a server would publish for `cert` with these parameters.
    pub fn for_certificate(
        cert: &CertificateDer<'_>,
        usage: u8,
        selector: u8,
        matching_type: u8,
    ) -> Result<Self, TlsaError> {
        // RFC 6698 §2.1.1: usages 0-3 (PKIX-TA, PKIX-EE, DANE-TA, DANE-EE);
        // a record with another one would be unusable, so none is made.
        if usage > 3 {
            return Err(TlsaError(format!(
                "certificate usage {usage} is not one of 0-3 (RFC 6698 §2.1.1)"
            )));
        }
        let data = association(cert, selector, matching_type).map_err(TlsaError)?;
        Ok(TlsaRecord {
            usage,
            selector,
            matching_type,
            data,
            dnssec_secure: true,
        })
    }

    /// Secure, and every parameter is one we know.
    pub fn usable(&self) -> bool {
        self.dnssec_secure && self.usage <= 3 && self.selector <= 1 && self.matching_type <= 2
    }

    fn matches(&self, cert: &CertificateDer<'_>) -> bool {
        association(cert, self.selector, self.matching_type).is_ok_and(|d| d == self.data)
    }
}

/// The association data of `cert` for a selector and matching type.
fn association(
    cert: &CertificateDer<'_>,
    selector: u8,
    matching_type: u8,
) -> Result<Vec<u8>, String> {
    let selected = match selector {
        0 => cert.as_ref().to_vec(),
        1 => spki_der(cert).map_err(|e| e.to_string())?,
        s => return Err(format!("unknown selector {s}")),
    };
    match matching_type {
        0 => Ok(selected),
        1 => Ok(digest(&SHA256, &selected).as_ref().to_vec()),
        2 => Ok(digest(&SHA512, &selected).as_ref().to_vec()),
        m => Err(format!("unknown matching type {m}")),
    }
}

/// What DANE is checked against.
#[derive(Debug, Clone)]
pub struct DaneContext<'a> {
    /// The XMPP domain the user asked for (the SRV owner's domain).
    pub service_domain: &'a str,
    /// The SRV target host the connection went to, if SRV was used.
    pub srv_target: Option<&'a str>,
    /// `xmpp-client` or `xmpp-server`.
    pub service: Service,
    /// PKIX roots for usages 0 and 1 (`None`: those usages cannot succeed).
    pub roots: Option<&'a Roots>,
    /// The time to validate at.
    pub now: UnixTime,
}

/// The result of checking TLSA records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaneOutcome {
    /// No secure record with known parameters: DANE does not apply.
    NoUsableRecords,
    /// A record authenticated the chain.
    Authenticated {
        /// Index of the record in the input.
        record: usize,
        /// Its certificate usage.
        usage: u8,
        /// The name that matched (usages 0–2; none for DANE-EE).
        identity: Option<Matched>,
    },
    /// Usable records exist and none authenticated the chain: the
    /// connection must not proceed (RFC 6698 §2.1.1). One reason per record.
    Failed(Vec<String>),
}

/// Checks `records` against `chain` (end entity first).
pub fn verify(
    records: &[TlsaRecord],
    chain: &[CertificateDer<'_>],
    ctx: &DaneContext<'_>,
) -> DaneOutcome {
    let usable: Vec<(usize, &TlsaRecord)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.usable())
        .collect();
    if usable.is_empty() {
        return DaneOutcome::NoUsableRecords;
    }
    let Some(leaf) = chain.first() else {
        return DaneOutcome::Failed(vec!["no certificate presented".into()]);
    };
    let mut reasons = Vec::new();
    for (i, r) in usable {
        match check_record(r, leaf, chain, ctx) {
            Ok(identity) => {
                return DaneOutcome::Authenticated {
                    record: i,
                    usage: r.usage,
                    identity,
                }
            }
            Err(why) => reasons.push(format!("record {i} ({}): {why}", r.presentation())),
        }
    }
    DaneOutcome::Failed(reasons)
}

fn check_record(
    r: &TlsaRecord,
    leaf: &CertificateDer<'_>,
    chain: &[CertificateDer<'_>],
    ctx: &DaneContext<'_>,
) -> Result<Option<Matched>, String> {
    let algs = default_algorithms();
    match r.usage {
        3 => r
            .matches(leaf)
            .then_some(None)
            .ok_or_else(|| "end entity does not match".into()),
        2 => {
            // The anchor is a certificate sent after the end entity.
            let ta = chain
                .iter()
                .skip(1)
                .position(|c| r.matches(c))
                .ok_or("no certificate in the chain matches")?
                + 1;
            let anchor = Roots::new(&chain[ta..=ta]).map_err(|e| e.to_string())?;
            let constraints =
                verify_chain(&chain[..ta], &anchor, ctx.now, Purpose::ServerAuth, &algs)
                    .map_err(|e| e.to_string())?;
            names(leaf, ctx, &constraints).map(Some)
        }
        0 | 1 => {
            let matched = if r.usage == 1 {
                r.matches(leaf)
            } else {
                chain.iter().any(|c| r.matches(c))
            };
            if !matched {
                return Err("no certificate in the chain matches".into());
            }
            let roots = ctx.roots.ok_or("PKIX usage but no roots were given")?;
            let constraints = verify_chain(chain, roots, ctx.now, Purpose::ServerAuth, &algs)
                .map_err(|e| e.to_string())?;
            names(leaf, ctx, &constraints).map(Some)
        }
        _ => Err("unknown usage".into()),
    }
}

/// RFC 7673 §4.2: the service domain or the SRV target host, allowed by
/// the path's name constraints.
fn names(
    leaf: &CertificateDer<'_>,
    ctx: &DaneContext<'_>,
    constraints: &NameConstraints,
) -> Result<Matched, String> {
    let ids = PresentedIds::from_der(leaf).map_err(|e| e.to_string())?;
    for domain in std::iter::once(ctx.service_domain).chain(ctx.srv_target) {
        if let Ok(reference) = ReferenceIdentity::new(domain, ctx.service) {
            if let Some(m) = match_identity(&ids, &reference, false) {
                constraints
                    .check(reference.domain())
                    .map_err(|e| e.to_string())?;
                return Ok(m);
            }
        }
    }
    Err(format!(
        "certificate names neither {}{}",
        ctx.service_domain,
        ctx.srv_target
            .map(|t| format!(" nor {t}"))
            .unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdata_round_trip_and_presentation() {
        let r = TlsaRecord::from_rdata(&[3, 1, 1, 0xab, 0xcd], true).unwrap();
        assert_eq!((r.usage, r.selector, r.matching_type), (3, 1, 1));
        assert_eq!(r.to_rdata(), [3, 1, 1, 0xab, 0xcd]);
        assert_eq!(r.presentation(), "3 1 1 abcd");
        assert!(TlsaRecord::from_rdata(&[3, 1, 1], true).is_err());
        assert!(r.usable());
        assert!(!TlsaRecord {
            dnssec_secure: false,
            ..r.clone()
        }
        .usable());
        assert!(!TlsaRecord {
            usage: 4,
            ..r.clone()
        }
        .usable());
        assert!(!TlsaRecord {
            matching_type: 3,
            ..r
        }
        .usable());
    }

    #[test]
    fn association_parameters() {
        let jid = crate::jid::Jid::parse("example.net").unwrap();
        let id = crate::identity::Identity::self_signed(&jid).unwrap();
        let full = TlsaRecord::for_certificate(id.leaf(), 3, 0, 0).unwrap();
        assert_eq!(full.data, id.leaf().as_ref());
        let spki = TlsaRecord::for_certificate(id.leaf(), 3, 1, 1).unwrap();
        assert_eq!(hex(&spki.data), id.spki_fingerprint().unwrap());
        assert_eq!(
            TlsaRecord::for_certificate(id.leaf(), 3, 0, 2)
                .unwrap()
                .data
                .len(),
            64
        );
        assert!(TlsaRecord::for_certificate(id.leaf(), 3, 2, 1).is_err());
        assert!(TlsaRecord::for_certificate(id.leaf(), 3, 0, 9).is_err());
    }
}
