//! What a result means, for people: the fixed description of every code,
//! and the detail of the last core error on the calling thread.

use std::ffi::c_char;

use crate::ffi;
use crate::result::{message, with_last_error, xmpptls_result, XMPPTLS_NULL_PARAMETER, XMPPTLS_OK};

/// Writes the description of `code` into `buf` (NUL-terminated, truncated
/// to fit; at most `len` octets including the NUL) and its length without
/// the NUL into `*written`.
///
/// # Safety
/// `buf` must point to `len` writable octets; `written` to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_result_message(
    code: xmpptls_result,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    ffi::guard(|| {
        if buf.is_null() || written.is_null() || len == 0 {
            return XMPPTLS_NULL_PARAMETER;
        }
        let text = message(code).as_bytes();
        let n = text.len().min(len - 1);
        // SAFETY: the caller gives `len` writable octets at `buf` and a
        // writable `written`; we write n + 1 <= len octets.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
            *written = n;
        }
        XMPPTLS_OK
    })
}

/// Length (without NUL) of the detail text of the last core error (a code
/// of 100 or more) a call returned on this thread; 0 when there was none.
///
/// # Safety
/// `len` points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_last_error_detail_len(len: *mut usize) -> xmpptls_result {
    ffi::guard(|| {
        let n = with_last_error(str::len);
        // SAFETY: per the function's contract.
        unsafe { ffi::set(len, n) }
    })
}

/// Copies the detail text of the last core error a call returned on this
/// thread (what `xmpptls_result_message` cannot know: which XML construct
/// was refused, rustls's reason, the pin that changed) into `buf`,
/// NUL-terminated (`len` at least `xmpptls_last_error_detail_len` plus
/// one). Every thread has its own; a later error replaces it.
///
/// # Safety
/// `buf` has `len` writable octets; `written` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_last_error_detail(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    ffi::guard(|| {
        with_last_error(|text| {
            // SAFETY: per the function's contract.
            unsafe { ffi::write_out(text.as_bytes(), buf.cast(), len, written) }
        })
    })
}
