//! Our own identity for C: generate a key and self-signed certificate,
//! export it as PEM to store, import it on the next start, and read its
//! pin. Without these a C application got a new key on every run and its
//! peers, which pinned the old one, refused it (RFC 7590 §3.6 pins).

use std::ffi::c_char;

use xmpptls::api::IdentityPem;
use xmpptls::Identity;

use crate::ffi::{free_box, guard, set, str_arg, text_arg, write_out};
use crate::result::*;

/// An identity as PEM and its pin (opaque; free with
/// `xmpptls_identity_free`). Immutable: any thread may read it.
pub struct xmpptls_identity {
    pem: IdentityPem,
}

impl xmpptls_identity {
    /// The core identity.
    pub(crate) fn identity(&self) -> Result<Identity, xmpptls_result> {
        self.pem.import().map_err(|e| code(&e))
    }
}

/// Which text of an identity `xmpptls_identity_text` copies: the
/// certificate chain (PEM, leaf first).
pub const XMPPTLS_IDENTITY_CHAIN_PEM: u32 = 1;
/// The private key (PEM, PKCS#8): store it as a secret.
pub const XMPPTLS_IDENTITY_KEY_PEM: u32 = 2;
/// The pin: lowercase hex SHA-256 of the SubjectPublicKeyInfo, what peers
/// store for us; show it for out-of-band comparison.
pub const XMPPTLS_IDENTITY_PIN: u32 = 3;

fn made(
    pem: Result<IdentityPem, xmpptls::Error>,
    out: *mut *mut xmpptls_identity,
) -> xmpptls_result {
    if out.is_null() {
        return XMPPTLS_NULL_PARAMETER;
    }
    match pem {
        // SAFETY: checked non-NULL; writable per the callers' contracts.
        Ok(pem) => unsafe { set(out, Box::into_raw(Box::new(xmpptls_identity { pem }))) },
        Err(e) => code(&e),
    }
}

/// Generates an ECDSA P-256 key and a self-signed certificate naming the
/// bare form of `jid` as XmppAddr (RFC 6120 §13.7.1.4).
///
/// # Safety
/// `jid` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_identity_generate(
    jid: *const c_char,
    out: *mut *mut xmpptls_identity,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { str_arg(jid) } {
            Ok(j) => made(IdentityPem::generate(j), out),
            Err(e) => e,
        }
    })
}

/// An identity from PEM: the chain (leaf first) and the private key, as
/// `xmpptls_identity_text` wrote them. Garbage is `XMPPTLS_ERR_CERTIFICATE`.
///
/// # Safety
/// The PEM pointers point to the given lengths; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_identity_from_pem(
    chain_pem: *const c_char,
    chain_len: usize,
    key_pem: *const c_char,
    key_len: usize,
    out: *mut *mut xmpptls_identity,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let (chain, key) =
            match unsafe { (text_arg(chain_pem, chain_len), text_arg(key_pem, key_len)) } {
                (Ok(c), Ok(k)) => (c, k),
                (Err(e), _) | (_, Err(e)) => return e,
            };
        let pem = Identity::from_pem(chain, key).and_then(|id| IdentityPem::export(&id));
        made(pem, out)
    })
}

/// The text `which` of an identity, or `XMPPTLS_INVALID_PARAMETER`.
///
/// # Safety
/// `id` is NULL or live.
unsafe fn text<'a>(id: *const xmpptls_identity, which: u32) -> Result<&'a str, xmpptls_result> {
    // SAFETY: per the function's contract.
    let id = unsafe { id.as_ref() }.ok_or(XMPPTLS_NULL_PARAMETER)?;
    Ok(match which {
        XMPPTLS_IDENTITY_CHAIN_PEM => &id.pem.chain_pem,
        XMPPTLS_IDENTITY_KEY_PEM => &id.pem.key_pem,
        XMPPTLS_IDENTITY_PIN => &id.pem.pin,
        _ => return Err(XMPPTLS_INVALID_PARAMETER),
    })
}

/// Length (without NUL) of the text `which` (`XMPPTLS_IDENTITY_*`).
///
/// # Safety
/// `id` is live; `len` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_identity_text_len(
    id: *const xmpptls_identity,
    which: u32,
    len: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { text(id, which) } {
            Ok(t) => unsafe { set(len, t.len()) },
            Err(e) => e,
        }
    })
}

/// Copies the text `which` (`XMPPTLS_IDENTITY_*`) into `buf`,
/// NUL-terminated (`len` at least `xmpptls_identity_text_len` plus one);
/// its length without the NUL into `*written`.
///
/// # Safety
/// `id` is live; `buf` has `len` writable octets; `written` is a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_identity_text(
    id: *const xmpptls_identity,
    which: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { text(id, which) } {
            Ok(t) => unsafe { write_out(t.as_bytes(), buf.cast(), len, written) },
            Err(e) => e,
        }
    })
}

/// Frees an identity (NULL is ignored).
///
/// # Safety
/// `id` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_identity_free(id: *mut xmpptls_identity) {
    // SAFETY: made by Box::into_raw here (per the contract).
    unsafe { free_box(id) }
}
