//! The server check for C clients on any TLS stack (OpenSSL, GnuTLS, …):
//! the certificate names the XMPP domain for the service (RFC 6125/9525,
//! RFC 6120 §13.7.1.2, SRV-ID and XmppAddr included), the server's key is
//! compared with a pin store (`pin_store`; trust on first use, RFC 7590
//! §3.6), and the connection is graded by a policy, whose CN fallback knob
//! applies.

use std::ffi::c_char;

use xmpptls::identity::Service;

use crate::ffi::{guard, named, str_arg};
use crate::pin_store::xmpptls_pin_store;
use crate::policy::{negotiated_arg, report_out, xmpptls_negotiated, xmpptls_report};
use crate::policy_settings::xmpptls_policy;
use crate::result::*;

/// The check from the TLS stack's verify callback: the chain in `n` must
/// name `domain` for `service` (`XMPPTLS_SERVICE_*`); with `pins` (may be
/// NULL), the server's key is compared with the pins kept for it and
/// pinned on first use (a changed key is a `pin-changed` warning, not
/// re-pinned); everything is graded by `policy`. Refuse the connection
/// when the report's verdict is `XMPPTLS_VERDICT_FAIL`.
///
/// # Safety
/// `policy` is live; `domain` is NUL-terminated; `n` as for
/// `xmpptls_evaluate`; `pins` is NULL or live; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_check_server(
    policy: *const xmpptls_policy,
    domain: *const c_char,
    service: u32,
    n: *const xmpptls_negotiated,
    pins: *mut xmpptls_pin_store,
    out: *mut *mut xmpptls_report,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let Some(policy) = (unsafe { policy.as_ref() }) else {
            return XMPPTLS_NULL_PARAMETER;
        };
        // SAFETY: per the function's contract.
        let (domain, negotiated) = match unsafe { (str_arg(domain), negotiated_arg(n)) } {
            (Ok(d), Ok(n)) => (d, n),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let service = match named::<Service>(service) {
            Ok(s) => s,
            Err(e) => return e,
        };
        if out.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        // SAFETY: per the function's contract.
        let shared = unsafe { pins.as_ref() }.map(|p| &p.pins);
        let (negotiated, evidence) = negotiated;
        let check = |storage: Option<&mut dyn xmpptls::PinStorage>| {
            xmpptls::server_check::check_server(
                domain,
                service,
                policy.policy(),
                negotiated,
                &evidence,
                storage,
            )
        };
        let checked = match shared {
            Some(p) => p.with(|s| check(Some(s))),
            None => check(None),
        };
        match checked {
            // SAFETY: `out` is non-NULL and writable.
            Ok(r) => unsafe { report_out(r, out) },
            Err(e) => code(&e),
        }
    })
}
