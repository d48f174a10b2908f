//! Service discovery for XTLS (XTLS §6, XEP-0030). The host library's
//! disco#info handler advertises `xmpptls_disco_feature()` next to its own
//! features; before opening a tunnel, a client asks the peer's full JID
//! and checks the answer with `xmpptls_disco_supports_xtls`.

use std::ffi::c_char;

use xmpptls::xtls::disco;

use crate::ffi::{guard, set, text_arg};
use crate::result::*;

/// The XTLS disco feature (`urn:xmpp:tmp:xtls`), a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn xmpptls_disco_feature() -> *const c_char {
    concat!("urn:xmpp:tmp:xtls", "\0").as_ptr().cast()
}

/// Whether a disco#info result (`len` octets) lists the XTLS feature:
/// `*supported` is 1 or 0 (0 also for an IQ that is not a result).
///
/// # Safety
/// `response` points to `len` octets; `supported` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_disco_supports_xtls(
    response: *const c_char,
    len: usize,
    supported: *mut i32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { text_arg(response, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        match disco::supports_xtls(bytes) {
            // SAFETY: per the function's contract.
            Ok(yes) => unsafe { set(supported, i32::from(yes)) },
            Err(e) => code(&e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feature_string_is_the_cores() {
        // SAFETY: a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(xmpptls_disco_feature()) };
        assert_eq!(s.to_str().ok(), Some(disco::FEATURE));
    }
}
