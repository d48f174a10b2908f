//! The check a client makes from its platform's TLS callback (Android's
//! `X509TrustManager`, Apple's `SecTrust`, a browser's connection info):
//! the platform's TLS stack made the connection; we check what XMPP adds on
//! top of it and grade it.
//!
//! * the certificate names the XMPP domain for the service, by RFC 6125/9525
//!   and RFC 6120 §13.7.1.2 rules (SRV-ID and XmppAddr included, which the
//!   platform's HTTPS-style hostname check does not know);
//! * the server's key against the application's pins (trust on first use; a
//!   changed key is a finding, RFC 7590 §3.6);
//! * the negotiated parameters against a [`Policy`] (RFC 7590, RFC 7525);
//! * with the policy's CT log list, the certificate's SCTs (RFC 6962):
//!   embedded, and from the TLS extension and the stapled OCSP response
//!   when the platform hands those octets over ([`CtEvidence`]);
//!
//! and returns the [`ConnectionReport`] to show the user.

use rustls_pki_types::UnixTime;

use crate::ct;
use crate::error::Error;
use crate::identity::{hex, match_identity, spki_sha256, PresentedIds, ReferenceIdentity, Service};
use crate::pins::{check_and_pin, PinStorage, PinStore};
use crate::policy::{Finding, FindingCode, Negotiated, Policy, Severity};
use crate::report::ConnectionReport;

/// Checks a server connection made by another TLS stack. `negotiated`
/// carries what that stack reported, its `peer_chain` the server's chain
/// (end entity first) and its `authentication` what the platform verified
/// (typically [`AuthMethod::Pkix`](crate::policy::AuthMethod::Pkix) when
/// the platform's trust store accepted the chain).
///
/// With `pins`, the server's key is checked against the pins kept under
/// [`PinStore::service_key`] and pinned when it is the first one seen; a
/// changed key stays unpinned and becomes a `pin-changed` warning.
///
/// Fails only for a domain that is not a valid DNS domain name.
pub fn check_server(
    domain: &str,
    service: Service,
    policy: &Policy,
    negotiated: Negotiated,
    evidence: &CtEvidence,
    pins: Option<&mut dyn PinStorage>,
) -> Result<ConnectionReport, Error> {
    evidence.usable_under(policy)?;
    let reference =
        ReferenceIdentity::new(domain, service).map_err(|e| Error::Config(e.to_string()))?;
    let leaf = negotiated.peer_chain.first().cloned();
    let presented = leaf.as_ref().map(PresentedIds::from_der);
    let identity = match &presented {
        Some(Ok(ids)) => match_identity(ids, &reference, policy.cn_fallback),
        _ => None,
    };
    let pin = match (&leaf, pins) {
        (Some(leaf), Some(storage)) => spki_sha256(leaf).ok().map(|spki| {
            let key = PinStore::service_key(reference.domain(), service);
            check_and_pin(storage, &key, &hex(&spki))
        }),
        _ => None,
    };
    let mut report = ConnectionReport::new(domain, policy, negotiated, identity.clone(), pin);
    match presented {
        Some(Err(e)) => report.add_finding(Finding {
            code: FindingCode::CertificateUnreadable.as_str(),
            severity: Severity::Error,
            rfc: "RFC 5280",
            message: format!("the server's certificate cannot be read: {e}"),
        }),
        Some(Ok(_)) if identity.is_none() => {
            report.add_finding(crate::report::identity_mismatch(domain, service))
        }
        _ => {}
    }
    transparency(&mut report, policy, evidence);
    Ok(report)
}

/// What a platform's TLS stack hands over besides the negotiation, for
/// certificate transparency (RFC 6962 §3.3): the SCT list of the TLS
/// `signed_certificate_timestamp` extension, the stapled OCSP response, and
/// when the handshake happened (the core reads no clock: an SCT from the
/// future, and the log list's age, need it).
///
/// Which stacks give what (README, "Certificate transparency"): OpenSSL
/// both (`SSL_CTX_add_client_custom_ext` for the extension's octets,
/// `SSL_get_tlsext_status_ocsp_resp`); Java and Android the OCSP response
/// (`ExtendedSSLSession.getStatusResponses`), not the extension; Node the
/// OCSP response (`OCSPResponse` event); Apple's and the browsers' stacks
/// neither (they enforce CT themselves). Embedded SCTs are read from the
/// chain on every platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CtEvidence {
    /// The TLS extension's SCT list, as sent (RFC 6962 §3.3).
    pub sct_list: Option<Vec<u8>>,
    /// The stapled OCSP response, DER (RFC 6960).
    pub ocsp_response: Option<Vec<u8>>,
    /// When the connection was made.
    pub time: Option<UnixTime>,
}

impl CtEvidence {
    /// SCT octets with no log list to check them against, or a log list
    /// with no time to check at, would be accepted and ignored: refused
    /// instead ([`Error::Config`]).
    fn usable_under(&self, policy: &Policy) -> Result<(), Error> {
        let brought = self.sct_list.is_some() || self.ocsp_response.is_some();
        match (&policy.ct_log_list, self.time) {
            (None, _) if brought => Err(Error::Config(
                "SCTs or an OCSP response were given, but the policy has no CT log list to check them against".into(),
            )),
            (Some(_), None) => Err(Error::Config(
                "the policy checks certificate transparency: the negotiation needs its time".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// A report of a connection whose identity the caller checked (or does not
/// need): the policy's grade, and certificate transparency when the policy
/// has a log list. What every binding's `evaluate` returns.
pub fn evaluate(
    peer: &str,
    policy: &Policy,
    negotiated: Negotiated,
    evidence: &CtEvidence,
) -> Result<ConnectionReport, Error> {
    evidence.usable_under(policy)?;
    let mut report = ConnectionReport::new(peer, policy, negotiated, None, None);
    transparency(&mut report, policy, evidence);
    Ok(report)
}

/// The CT check of the report's chain, when the policy has a log list and
/// there is a chain.
fn transparency(report: &mut ConnectionReport, policy: &Policy, evidence: &CtEvidence) {
    let (Some(logs), Some(time)) = (&policy.ct_log_list, evidence.time) else {
        return;
    };
    if report.negotiated.peer_chain.is_empty() {
        return;
    }
    let r = ct::check(
        &report.negotiated.peer_chain,
        evidence.sct_list.as_deref(),
        evidence.ocsp_response.as_deref(),
        logs,
        time,
    );
    report.add_ct(r);
}
