//! The server check for C clients on any TLS stack (OpenSSL, GnuTLS, …):
//! the certificate names the XMPP domain for the service (RFC 6125/9525,
//! RFC 6120 §13.7.1.2, SRV-ID and XmppAddr included), the server's key is
//! compared with a pin store (trust on first use, RFC 7590 §3.6), and the
//! connection is graded by a policy, whose CN fallback knob applies.

use std::ffi::c_char;

use xmpptls::identity::Service;
use xmpptls::PinStore;

use crate::ffi::{free_box, guard, named, set, str_arg, text_arg, with_mut, write_out};
use crate::policy::{negotiated_arg, report_out, xmpptls_negotiated, xmpptls_report};
use crate::policy_settings::xmpptls_policy;
use crate::result::*;

/// Pins of servers (or peers) kept by the application (opaque; free with
/// `xmpptls_pin_store_free`). Used by one thread at a time.
pub struct xmpptls_pin_store {
    inner: PinStore,
}

/// An empty pin store.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_new(out: *mut *mut xmpptls_pin_store) -> xmpptls_result {
    guard(|| {
        let store = Box::new(xmpptls_pin_store {
            inner: PinStore::new(),
        });
        // SAFETY: per the function's contract.
        unsafe { set(out, Box::into_raw(store)) }
    })
}

/// A pin store read back from the JSON `xmpptls_pin_store_json` wrote
/// (`len` octets); `XMPPTLS_ERR_PIN_STORE` when it is not one.
///
/// # Safety
/// `json` points to `len` octets; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_from_json(
    json: *const c_char,
    len: usize,
    out: *mut *mut xmpptls_pin_store,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let text = match unsafe { text_arg(json, len) }.map(std::str::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => return XMPPTLS_INVALID_PARAMETER,
            Err(e) => return e,
        };
        if out.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        match PinStore::from_json(text) {
            // SAFETY: checked non-NULL.
            Ok(inner) => unsafe { set(out, Box::into_raw(Box::new(xmpptls_pin_store { inner }))) },
            Err(e) => code(&e),
        }
    })
}

/// Length (without NUL) of the store's JSON, to save it.
///
/// # Safety
/// `s` is live; `len` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_json_len(
    s: *mut xmpptls_pin_store,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(s, |s| set(len, s.inner.to_json().len())) }
}

/// Copies the store's JSON into `buf`, NUL-terminated (`len` at least
/// `xmpptls_pin_store_json_len` plus one).
///
/// # Safety
/// `s` is live; `buf` has `len` writable octets; `written` is a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_json(
    s: *mut xmpptls_pin_store,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(s, |s| {
            write_out(s.inner.to_json().as_bytes(), buf.cast(), len, written)
        })
    }
}

/// Frees a pin store (NULL is ignored).
///
/// # Safety
/// `s` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_free(s: *mut xmpptls_pin_store) {
    // SAFETY: made by Box::into_raw here (per the contract).
    unsafe { free_box(s) }
}

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
        let storage =
            unsafe { pins.as_mut() }.map(|p| &mut p.inner as &mut dyn xmpptls::PinStorage);
        let (negotiated, evidence) = negotiated;
        match xmpptls::server_check::check_server(
            domain,
            service,
            policy.policy(),
            negotiated,
            &evidence,
            storage,
        ) {
            // SAFETY: `out` is non-NULL and writable.
            Ok(r) => unsafe { report_out(r, out) },
            Err(e) => code(&e),
        }
    })
}
