//! A policy beyond the presets for C (RFC 7525 §3–4, RFC 7590): start from
//! a preset, change the knobs, evaluate with `xmpptls_evaluate_with_policy`.

use std::ffi::c_char;

use xmpptls::policy::{Policy, TlsVersion};

use crate::ffi::{bytes_arg, free_box, guard, named, set, with_mut};
use crate::policy::{auth_method, evaluate_under, preset, xmpptls_negotiated, xmpptls_report};
use crate::result::*;

/// A TLS policy (opaque; free with `xmpptls_policy_free`). Used by one
/// thread at a time; evaluations only read it.
pub struct xmpptls_policy {
    inner: Policy,
}

impl xmpptls_policy {
    /// The core policy.
    pub(crate) fn policy(&self) -> &Policy {
        &self.inner
    }
}

/// A policy starting as the preset `XMPPTLS_POLICY_*`.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_new(
    preset_code: u32,
    out: *mut *mut xmpptls_policy,
) -> xmpptls_result {
    guard(|| match preset(preset_code) {
        Ok(inner) if !out.is_null() => {
            // SAFETY: checked non-NULL; writable per the contract.
            unsafe { set(out, Box::into_raw(Box::new(xmpptls_policy { inner }))) }
        }
        Ok(_) => XMPPTLS_NULL_PARAMETER,
        Err(e) => e,
    })
}

/// Frees a policy (NULL is ignored).
///
/// # Safety
/// `p` is NULL or was made by `xmpptls_policy_new` and not freed.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_free(p: *mut xmpptls_policy) {
    // SAFETY: made by Box::into_raw in xmpptls_policy_new (per the contract).
    unsafe { free_box(p) }
}

/// The oldest acceptable version as its code point (`0x0303` TLS 1.2,
/// `0x0304` TLS 1.3; RFC 7525 §3.1.1).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_min_version(
    p: *mut xmpptls_policy,
    version: u16,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| match named::<TlsVersion>(u32::from(version)) {
            Ok(v) => {
                p.inner.min_version = v;
                XMPPTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// Whether unauthenticated peers fail (boolean; RFC 7590 §3.4).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_require_authentication(
    p: *mut xmpptls_policy,
    required: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.require_authentication = required != 0;
            XMPPTLS_OK
        })
    }
}

/// Whether plaintext streams fail (boolean; RFC 7590 §3.1).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_require_encryption(
    p: *mut xmpptls_policy,
    required: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.require_encryption = required != 0;
            XMPPTLS_OK
        })
    }
}

/// The authentication methods accepted: a bit mask of
/// `1 << XMPPTLS_AUTH_*` (`XMPPTLS_AUTH_NONE`'s bit is ignored).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_allowed_auth(
    p: *mut xmpptls_policy,
    mask: u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            let mut methods = Vec::new();
            for bit in (0..32).filter(|b| mask & (1 << b) != 0) {
                match auth_method(bit) {
                    Ok(Some(m)) => methods.push(m),
                    Ok(None) => {}
                    Err(e) => return e,
                }
            }
            p.inner.set_allowed_auth(&methods);
            XMPPTLS_OK
        })
    }
}

/// Smallest acceptable keys in bits: RSA/DSA, finite-field DH, elliptic
/// curve (RFC 7525 §4.5: 2048, 2048, 192).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_min_key_bits(
    p: *mut xmpptls_policy,
    rsa: u32,
    dh: u32,
    ec: u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            (
                p.inner.min_rsa_bits,
                p.inner.min_dh_bits,
                p.inner.min_ec_bits,
            ) = (rsa, dh, ec);
            XMPPTLS_OK
        })
    }
}

/// Accepts a certificate's CN when it has no usable SAN (RFC 6125 §6.4.4;
/// RFC 9525 removed this); boolean.
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_cn_fallback(
    p: *mut xmpptls_policy,
    allow: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.cn_fallback = allow != 0;
            XMPPTLS_OK
        })
    }
}

/// Whether a classical-only key exchange fails (`required` non-zero: the
/// finding `classical-key-exchange` is an error; information by default).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_require_post_quantum(
    p: *mut xmpptls_policy,
    required: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.require_post_quantum = required != 0;
            XMPPTLS_OK
        })
    }
}

/// Checks certificate transparency (RFC 6962, Chrome's CT policy) from now
/// on, against the log list `json` (Google's v3 JSON, `len` octets, UTF-8):
/// `xmpptls_evaluate` and `xmpptls_check_server` then need the
/// negotiation's `time`, and read its `sct_list` and `ocsp_response`. A
/// list that does not parse is `XMPPTLS_ERR_CONFIG` and changes nothing.
///
/// # Safety
/// `p` is a live policy; `json` points to `len` readable octets.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_set_ct_log_list(
    p: *mut xmpptls_policy,
    json: *const u8,
    len: usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    let text = match unsafe { bytes_arg(json, len) }.map(std::str::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => return XMPPTLS_ERR_CONFIG,
        Err(e) => return e,
    };
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| match p.inner.set_ct_log_list_json(text) {
            Ok(()) => XMPPTLS_OK,
            Err(e) => code(&e),
        })
    }
}

/// Refuses the cipher suite with IANA code point `suite` whatever its class.
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_deny_suite(
    p: *mut xmpptls_policy,
    suite: u16,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.deny_suite(suite);
            XMPPTLS_OK
        })
    }
}

/// Accepts the cipher suite `suite` although its class is below the
/// policy's minimum (never a forbidden one, RFC 7525 §4.1).
///
/// # Safety
/// `p` is a live policy.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_policy_allow_suite(
    p: *mut xmpptls_policy,
    suite: u16,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(p, |p| {
            p.inner.allow_suite(suite);
            XMPPTLS_OK
        })
    }
}

/// `xmpptls_evaluate` under the policy `p`.
///
/// # Safety
/// `p` is a live policy; the rest as for `xmpptls_evaluate`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_evaluate_with_policy(
    p: *const xmpptls_policy,
    peer: *const c_char,
    n: *const xmpptls_negotiated,
    out: *mut *mut xmpptls_report,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { p.as_ref() } {
            // SAFETY: per the function's contract.
            Some(p) => unsafe { evaluate_under(&p.inner, peer, n, out) },
            None => XMPPTLS_NULL_PARAMETER,
        }
    })
}
