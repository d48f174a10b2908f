//! libxmpptls: the XTLS tunnel and the TLS policy checks of the `xmpptls`
//! core behind a C ABI.
//!
//! Conventions (as rustls-ffi): opaque handles made by `xmpptls_*_new` and
//! released by `xmpptls_*_free` (NULL is fine); every fallible function
//! returns an `xmpptls_result`; out-parameters are written only on success;
//! byte and string results go into caller buffers whose needed size a
//! `*_len` function tells first; no panic crosses the boundary (it becomes
//! `XMPPTLS_PANIC`). Handles are not thread-safe: use one from one thread
//! at a time (they may move between threads).
//!
//! This crate only translates; all logic lives in the core.

#![allow(non_camel_case_types)]

mod channel_binding;
mod config;
#[cfg(test)]
mod constants;
mod dane;
mod der;
mod disco;
mod endpoint;
mod ffi;
mod gate;
mod identity;
mod messages;
mod nul_text;
mod pin_store;
mod policy;
mod policy_settings;
mod posh;
mod result;
mod server_check;
mod starttls;

pub use channel_binding::*;
pub use config::*;
pub use dane::*;
pub use der::*;
pub use disco::*;
pub use endpoint::*;
pub use gate::*;
pub use identity::*;
pub use messages::*;
pub use pin_store::*;
pub use policy::*;
pub use policy_settings::*;
pub use posh::*;
pub use result::*;
pub use server_check::*;
pub use starttls::*;

/// The library version, as a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn xmpptls_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Panics inside the library (test builds only, feature `test-panic`), to
/// prove that the panic is caught and reported as `XMPPTLS_PANIC`.
#[cfg(feature = "test-panic")]
#[no_mangle]
pub extern "C" fn xmpptls_test_panic() -> xmpptls_result {
    ffi::guard(|| {
        #[allow(clippy::panic)]
        {
            panic!("deliberate panic for the C tests")
        }
    })
}

/// The core version this library wraps (for Rust callers and tests).
pub fn core_version() -> &'static str {
    xmpptls::VERSION
}
