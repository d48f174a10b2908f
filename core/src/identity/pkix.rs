//! PKIX path validation (RFC 5280) with rustls-webpki, at a time the caller
//! gives, to roots the caller gives. Shared by the XTLS PKIX trust mode, the
//! XMPP client verifier and DANE (usages 0 and 2 validate a path too).
//!
//! Validation also returns the dNSName **name constraints** of the path
//! (RFC 5280 §4.2.1.10). rustls-webpki applies them to DNS-IDs itself, but
//! not to the domains inside SRV-ID and XmppAddr otherNames: whoever accepts
//! a certificate by one of those must call [`NameConstraints::check`] with
//! the domain it accepted, so a constrained CA cannot vouch for names
//! outside its subtree however it encodes them.

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};

use super::x509::GeneralName;

use super::matching::normalize_domain;
use crate::error::TrustError;

/// The dNSName subtrees one CA permits and excludes (lower case).
type Subtrees = (Vec<String>, Vec<String>);

/// Trust anchors, parsed once, with each root's own name constraints.
#[derive(Debug, Clone)]
pub struct Roots {
    anchors: Vec<TrustAnchor<'static>>,
    constraints: Vec<Option<Subtrees>>,
}

impl Roots {
    /// Anchors from DER root certificates.
    pub fn new(roots: &[CertificateDer<'_>]) -> Result<Self, TrustError> {
        let mut anchors = Vec::with_capacity(roots.len());
        let mut constraints = Vec::with_capacity(roots.len());
        for r in roots {
            let a = webpki::anchor_from_trusted_cert(r)
                .map_err(|e| TrustError::BadCertificate(format!("root certificate: {e}")))?;
            anchors.push(a.to_owned());
            constraints.push(dns_subtrees(r)?);
        }
        Ok(Roots {
            anchors,
            constraints,
        })
    }

    /// No anchors at all.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// The dNSName constraints of one certificate, if it has any.
fn dns_subtrees(cert: &CertificateDer<'_>) -> Result<Option<Subtrees>, TrustError> {
    let c = super::x509::parse(cert.as_ref()).map_err(TrustError::BadCertificate)?;
    let Some(nc) = super::x509::name_constraints(&c).map_err(TrustError::BadCertificate)? else {
        return Ok(None);
    };
    let dns = |list: &[GeneralName<'_>]| -> Vec<String> {
        list.iter()
            .filter_map(|base| match base {
                GeneralName::Dns(d) => Some(d.trim_start_matches('.').to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    Ok(Some((dns(&nc.permitted), dns(&nc.excluded))))
}

/// The name constraints of a validated path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameConstraints(Vec<Subtrees>);

fn within(domain: &str, base: &str) -> bool {
    domain == base
        || domain
            .strip_suffix(base)
            .is_some_and(|rest| rest.ends_with('.'))
}

impl NameConstraints {
    /// Whether every CA of the path allows `domain` (RFC 5280 §4.2.1.10:
    /// the name is the base or below it; excluded subtrees win).
    pub fn check(&self, domain: &str) -> Result<(), TrustError> {
        let d = normalize_domain(domain)
            .ok_or_else(|| TrustError::Pkix(format!("{domain} is not a domain")))?;
        for (permitted, excluded) in &self.0 {
            if let Some(base) = excluded.iter().find(|b| within(&d, b)) {
                return Err(TrustError::Pkix(format!(
                    "name constraints of the chain exclude {d} ({base})"
                )));
            }
            if !permitted.is_empty() && !permitted.iter().any(|b| within(&d, b)) {
                return Err(TrustError::Pkix(format!(
                    "name constraints of the chain do not permit {d} (only {})",
                    permitted.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// True when the path has no dNSName constraints.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the end-entity certificate is used for (its extended key usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server (id-kp-serverAuth).
    ServerAuth,
    /// A TLS client (id-kp-clientAuth).
    ClientAuth,
}

/// The signature algorithms accepted in certificate paths (the crate's
/// provider's, RFC 8446 §4.2.3).
pub fn default_algorithms() -> WebPkiSupportedAlgorithms {
    crate::provider::SIGNATURE_ALGORITHMS
}

/// Validates the path from `chain[0]` (the end entity) through the rest of
/// `chain` to one of `roots`, at `now`, for `purpose`, and returns the name
/// constraints of the path. Names are not checked here: see
/// [`match_identity`](super::match_identity) and [`NameConstraints::check`].
pub fn verify_chain(
    chain: &[CertificateDer<'_>],
    roots: &Roots,
    now: UnixTime,
    purpose: Purpose,
    algs: &WebPkiSupportedAlgorithms,
) -> Result<NameConstraints, TrustError> {
    let (leaf, intermediates) = chain.split_first().ok_or(TrustError::NoCertificate)?;
    let ee = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| TrustError::BadCertificate(describe(&e)))?;
    let usage = match purpose {
        Purpose::ServerAuth => webpki::KeyUsage::server_auth(),
        Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
    };
    let path = ee
        .verify_for_usage(
            algs.all,
            &roots.anchors,
            intermediates,
            now,
            usage,
            None,
            None,
        )
        .map_err(|e| TrustError::Pkix(describe(&e)))?;
    let mut sets = Vec::new();
    for cert in path.intermediate_certificates() {
        if let Some(s) = dns_subtrees(&cert.der())? {
            sets.push(s);
        }
    }
    let anchor = path.anchor();
    let used = roots.anchors.iter().position(|a| {
        a.subject == anchor.subject && a.subject_public_key_info == anchor.subject_public_key_info
    });
    if let Some(Some(s)) = used.and_then(|i| roots.constraints.get(i)) {
        sets.push(s.clone());
    }
    Ok(NameConstraints(sets))
}

/// Why rustls-webpki rejected a certificate, in words. rustls-webpki's own
/// `Display` prints the `Debug` form, which the browser build compiles out
/// (`-Zfmt-debug=none`, see `scripts/build-wasm.sh`): the common reasons are
/// spelled here so every build explains them.
pub(crate) fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    let why = match e {
        E::BadDer | E::BadDerTime => "malformed certificate (DER)",
        E::CaUsedAsEndEntity => "a CA certificate is used as the end entity",
        E::EndEntityUsedAsCa => "an end-entity certificate is used as a CA",
        E::CertExpired { .. } => "certificate expired",
        E::CertNotValidYet { .. } => "certificate not yet valid",
        E::CertNotValidForName(_) => "certificate not valid for the name",
        E::InvalidCertValidity => "certificate validity period is malformed",
        E::InvalidSignatureForPublicKey => "a signature in the chain does not verify",
        E::NameConstraintViolation => "a CA's name constraints exclude the certificate",
        E::PathLenConstraintViolated => "a CA's path length constraint is exceeded",
        E::RequiredEkuNotFoundContext(_) => "certificate lacks the required extended key usage",
        E::UnknownIssuer => "unknown issuer: the chain does not reach a trusted root",
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "unsupported signature algorithm"
        }
        E::MaximumPathDepthExceeded | E::MaximumPathBuildCallsExceeded => {
            "certificate path too long"
        }
        _ => "",
    };
    let detail = e.to_string();
    match (why.is_empty(), detail.is_empty()) {
        (false, _) => why.to_owned(),
        (true, false) => detail,
        (true, true) => "certificate path rejected".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_rules() {
        let nc = NameConstraints(vec![(
            vec!["good.example".into()],
            vec!["bad.good.example".into()],
        )]);
        assert!(nc.check("good.example").is_ok());
        assert!(nc.check("xmpp.good.example").is_ok());
        assert!(nc.check("GOOD.example.").is_ok());
        assert!(
            nc.check("notgood.example").is_err(),
            "a label boundary is required"
        );
        assert!(nc.check("evil.example").is_err());
        assert!(nc.check("bad.good.example").is_err());
        assert!(nc.check("x.bad.good.example").is_err());
        assert!(NameConstraints::default().check("anything.example").is_ok());
        let excl_only = NameConstraints(vec![(vec![], vec!["evil.example".into()])]);
        assert!(excl_only.check("fine.example").is_ok());
        assert!(excl_only.check("a.evil.example").is_err());
    }

    /// Reasons are spelled out, not taken from webpki's `Debug` output
    /// (which the browser build compiles out).
    #[test]
    fn rejection_reasons_are_words() {
        let jid = crate::jid::Jid::parse("romeo@montague.lit").unwrap();
        let leaf = crate::identity::Identity::self_signed(&jid).unwrap();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_795_305_600));
        let algs = default_algorithms();
        let chain = std::slice::from_ref(leaf.leaf());
        let reason = |root_jid: &str| {
            let root_jid = crate::jid::Jid::parse(root_jid).unwrap();
            let root = crate::identity::Identity::self_signed(&root_jid).unwrap();
            let roots = Roots::new(std::slice::from_ref(root.leaf())).unwrap();
            verify_chain(chain, &roots, now, Purpose::ClientAuth, &algs).unwrap_err()
        };
        assert_eq!(
            reason("juliet@capulet.lit"),
            TrustError::Pkix("unknown issuer: the chain does not reach a trusted root".into())
        );
        // Same subject name, other key: the issuer is found, its signature fails.
        assert_eq!(
            reason("romeo@montague.lit"),
            TrustError::Pkix("a signature in the chain does not verify".into())
        );
        let roots = Roots::new(chain).unwrap();
        let bad = [CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])];
        let err = verify_chain(&bad, &roots, now, Purpose::ClientAuth, &algs).unwrap_err();
        assert_eq!(
            err,
            TrustError::BadCertificate("malformed certificate (DER)".into())
        );
        assert!(!describe(&webpki::Error::CrlExpired {
            time: now,
            next_update: now
        })
        .is_empty());
    }
}
