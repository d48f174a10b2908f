//! STARTTLS decisions for C clients that run their own stream and TLS
//! stack (RFC 6120 §5.4, RFC 7590 §3.1): what to do about the stream
//! features, including when `<starttls/>` was stripped, and how to read
//! the server's answer. The client sends
//! `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>` itself.

use std::ffi::c_char;
use xmpptls::starttls::{self, FeaturesDecision, StartTlsAnswer, StartTlsPolicy};

use crate::ffi::{guard, set, text_arg};
use crate::result::*;

/// Send STARTTLS: the server offered it.
pub const XMPPTLS_FEATURES_STARTTLS: u32 = 1;
/// Send STARTTLS: the server offered it and marked it `<required/>`.
pub const XMPPTLS_FEATURES_STARTTLS_REQUIRED: u32 = 2;
/// Send STARTTLS although the server did not offer it: the offer may have
/// been stripped by an attacker (report it).
pub const XMPPTLS_FEATURES_STARTTLS_NOT_OFFERED: u32 = 3;
/// Continue without TLS (only when `require_tls` was 0).
pub const XMPPTLS_FEATURES_PLAINTEXT: u32 = 4;
/// Stop: TLS is required and was not offered.
pub const XMPPTLS_FEATURES_REFUSE: u32 = 5;

/// Reads `<stream:features/>` (`len` octets; the `stream` prefix may be
/// undeclared) and writes one `XMPPTLS_FEATURES_*` decision to `*decision`.
/// `require_tls` (RFC 7590 §3.1: never plaintext) and
/// `attempt_when_not_offered` (try STARTTLS anyway) are booleans.
///
/// # Safety
/// `features` points to `len` octets; `decision` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_starttls_on_features(
    features: *const c_char,
    len: usize,
    require_tls: i32,
    attempt_when_not_offered: i32,
    decision: *mut u32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { text_arg(features, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        let policy = StartTlsPolicy {
            require_tls: require_tls != 0,
            attempt_when_not_offered: attempt_when_not_offered != 0,
        };
        let kind = match starttls::on_features(bytes, policy) {
            Ok(FeaturesDecision::StartTls {
                advertised: true,
                required: false,
            }) => XMPPTLS_FEATURES_STARTTLS,
            Ok(FeaturesDecision::StartTls {
                advertised: true,
                required: true,
            }) => XMPPTLS_FEATURES_STARTTLS_REQUIRED,
            Ok(FeaturesDecision::StartTls {
                advertised: false, ..
            }) => XMPPTLS_FEATURES_STARTTLS_NOT_OFFERED,
            Ok(FeaturesDecision::Plaintext) => XMPPTLS_FEATURES_PLAINTEXT,
            Ok(FeaturesDecision::Refuse(_)) => XMPPTLS_FEATURES_REFUSE,
            Err(e) => return code(&e),
        };
        // SAFETY: per the function's contract.
        unsafe { set(decision, kind) }
    })
}

/// Reads the server's answer to `<starttls/>`: `*proceed` is 1 for
/// `<proceed/>` (start the TLS handshake on the same connection) and 0 for
/// `<failure/>` (the server closes the stream). Anything else is an error.
///
/// # Safety
/// `answer` points to `len` octets; `proceed` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_starttls_on_answer(
    answer: *const c_char,
    len: usize,
    proceed: *mut i32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { text_arg(answer, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        match starttls::on_answer(bytes) {
            // SAFETY: per the function's contract.
            Ok(a) => unsafe { set(proceed, i32::from(a == StartTlsAnswer::Proceed)) },
            Err(e) => code(&e),
        }
    })
}
