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
//!
//! and returns the [`ConnectionReport`] to show the user.

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
    pins: Option<&mut dyn PinStorage>,
) -> Result<ConnectionReport, Error> {
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
    Ok(report)
}
