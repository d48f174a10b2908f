//! Who may start tunnels with an endpoint (the core's start gate, decided
//! before any TLS state exists), and what a tunnel has learned of its path.

use std::ffi::c_char;

use crate::endpoint::xmpptls_endpoint;
use crate::ffi::jid;
use crate::ffi::{set, str_arg, with_mut};
use crate::result::*;

/// Accepts starts only from JIDs listed with
/// `xmpptls_endpoint_allow_starts_from` (1), or from anyone (0, the
/// default). A start from anyone else is answered `service-unavailable`
/// and takes no tunnel slot. Typical use: list the roster's contacts.
///
/// # Safety
/// `ep` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_restrict_starts(
    ep: *mut xmpptls_endpoint,
    restricted: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            e.inner.restrict_starts(restricted != 0);
            XMPPTLS_OK
        })
    }
}

/// Lists a JID's bare form, or a whole domain, as one that may start
/// tunnels while starts are restricted.
///
/// # Safety
/// `ep` is live; `jid_str` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_allow_starts_from(
    ep: *mut xmpptls_endpoint,
    jid_str: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(jid_str).and_then(jid) {
            Ok(j) => {
                e.inner.allow_starts_from(&j);
                XMPPTLS_OK
            }
            Err(c) => c,
        })
    }
}

/// Takes a JID's bare form (or a domain) off that list; `XMPPTLS_EMPTY`
/// when it was not listed. Its tunnels stay until they end.
///
/// # Safety
/// `ep` is live; `jid_str` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_revoke_starts_from(
    ep: *mut xmpptls_endpoint,
    jid_str: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(jid_str).and_then(jid) {
            Ok(j) if e.inner.revoke_starts_from(&j) => XMPPTLS_OK,
            Ok(_) => XMPPTLS_EMPTY,
            Err(c) => c,
        })
    }
}

/// The number of half-open tunnels: peers' starts whose handshake is not
/// complete (bounded by the `max_half_open` limit; 0 for NULL).
///
/// # Safety
/// `ep` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_half_open_count(ep: *mut xmpptls_endpoint) -> usize {
    let mut n = 0;
    // SAFETY: per the function's contract.
    let _ = unsafe {
        with_mut(ep, |e| {
            n = e.inner.half_open_count();
            XMPPTLS_OK
        })
    };
    n
}

/// The TLS octets a second the tunnel with `peer` has seen its path
/// deliver (a lower bound from acknowledgements; 0 before the first), in
/// `*out`. The window and deadlines follow it. `XMPPTLS_EMPTY` when there
/// is no tunnel with `peer`.
///
/// # Safety
/// `ep` is live; `peer` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_path_rate(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
    out: *mut u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(peer).and_then(jid) {
            Ok(p) => match e.inner.path_rate(&p) {
                // SAFETY: per the function's contract.
                Some(rate) => set(out, rate),
                None => XMPPTLS_EMPTY,
            },
            Err(c) => c,
        })
    }
}
