//! C ABI for libxmpptls (filled by the C bindings issue)
//!
//! This crate only translates; all logic lives in the `xmpptls` core.

/// The version of the core this binding wraps.
pub fn core_version() -> &'static str {
    xmpptls::VERSION
}
