//! DER certificates passed in from C: the `xmpptls_der` array entry and
//! its copy into the core's type.

use xmpptls::CertificateDer;

use crate::ffi::bytes_arg;
use crate::result::{xmpptls_result, XMPPTLS_NULL_PARAMETER};

/// One DER certificate.
#[repr(C)]
pub struct xmpptls_der {
    /// The octets.
    pub data: *const u8,
    /// Their number.
    pub len: usize,
}

/// `count` DER certificates from a C array (NULL is allowed only with
/// `count == 0`), copied.
///
/// # Safety
/// `p` points to `count` entries, each pointing to its `len` octets.
pub(crate) unsafe fn der_list(
    p: *const xmpptls_der,
    count: usize,
) -> Result<Vec<CertificateDer<'static>>, xmpptls_result> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(XMPPTLS_NULL_PARAMETER);
    }
    // SAFETY: `p` points to `count` entries per the caller's contract.
    let ders = unsafe { std::slice::from_raw_parts(p, count) };
    ders.iter()
        // SAFETY: each entry points to `len` readable octets.
        .map(|d| unsafe { bytes_arg(d.data, d.len) }.map(|b| CertificateDer::from(b.to_vec())))
        .collect()
}
