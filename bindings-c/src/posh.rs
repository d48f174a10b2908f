//! POSH for C clients (RFC 7711): the application fetches
//! `https://DOMAIN/.well-known/posh/xmpp-client.json` (or `xmpp-server`)
//! with its own HTTPS stack, follows at most one redirect, and hands the
//! documents over; this checks the server's certificate against them.

use std::ffi::c_char;
use xmpptls::api::{Named, PoshResult};
use xmpptls::dna::posh::PoshDocument;

use crate::ffi::{bytes_arg, guard, seconds, set, text_arg, write_out};
use crate::result::*;

/// A fingerprint matches the certificate.
pub const XMPPTLS_POSH_MATCH: u32 = 1;
/// No fingerprint matches the certificate.
pub const XMPPTLS_POSH_NO_MATCH: u32 = 2;
/// The document is older than its `expires` allows.
pub const XMPPTLS_POSH_EXPIRED: u32 = 3;
/// No fingerprint uses SHA-256, SHA-384 or SHA-512.
pub const XMPPTLS_POSH_NO_USABLE_FINGERPRINT: u32 = 4;
/// A document is not POSH (bad JSON or shape, bad base64, over 64 KiB).
pub const XMPPTLS_POSH_MALFORMED: u32 = 5;
/// A redirect to a URL that is not `https://`.
pub const XMPPTLS_POSH_INSECURE_REDIRECT: u32 = 6;
/// The document redirects and the followed document was not given.
pub const XMPPTLS_POSH_REDIRECT_NOT_FOLLOWED: u32 = 7;
/// The followed document redirects again (RFC 7711 §3.2 allows one).
pub const XMPPTLS_POSH_TOO_MANY_REDIRECTS: u32 = 8;

/// The URL a POSH document redirects to, NUL-terminated, into `buf`
/// (`len + 1` octets always fit). `XMPPTLS_EMPTY` when the document lists
/// fingerprints; `XMPPTLS_INVALID_PARAMETER` when it is not POSH (then
/// `xmpptls_posh_verify` tells why).
///
/// # Safety
/// `doc` points to `len` octets; `buf` to `buf_len` writable octets;
/// `written` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_posh_redirect_url(
    doc: *const c_char,
    len: usize,
    buf: *mut c_char,
    buf_len: usize,
    written: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { text_arg(doc, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        match PoshDocument::parse(bytes) {
            // SAFETY: per the function's contract.
            Ok(PoshDocument::Redirect { url, .. }) => unsafe {
                write_out(url.as_bytes(), buf.cast(), buf_len, written)
            },
            Ok(PoshDocument::Fingerprints { .. }) => XMPPTLS_EMPTY,
            Err(_) => XMPPTLS_INVALID_PARAMETER,
        }
    })
}

/// Checks the server's end-entity certificate (DER) against the POSH
/// document `doc` fetched at `fetched_at` and, when it redirects, the
/// document `followed` fetched from its URL (NULL otherwise). Times are
/// seconds since the Unix epoch. `*outcome` gets an `XMPPTLS_POSH_*`
/// value: only `XMPPTLS_POSH_MATCH` authenticates the server.
///
/// # Safety
/// `doc`, `followed` (if not NULL) and `der` point to their lengths;
/// `outcome` is writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn xmpptls_posh_verify(
    doc: *const c_char,
    doc_len: usize,
    followed: *const c_char,
    followed_len: usize,
    der: *const u8,
    der_len: usize,
    fetched_at: u64,
    now: u64,
    outcome: *mut u32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let (doc, cert) = match unsafe { (text_arg(doc, doc_len), bytes_arg(der, der_len)) } {
            (Ok(d), Ok(c)) => (d, c),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let followed = if followed.is_null() {
            None
        } else {
            // SAFETY: non-NULL, `followed_len` octets per the contract.
            match unsafe { text_arg(followed, followed_len) } {
                Ok(f) => Some(f),
                Err(e) => return e,
            }
        };
        let r = PoshResult::verify(doc, followed, cert, seconds(fetched_at), seconds(now));
        // SAFETY: per the function's contract.
        unsafe { set(outcome, r.outcome.code()) }
    })
}
