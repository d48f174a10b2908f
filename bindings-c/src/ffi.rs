//! The pieces every entry point uses: catching panics, reading C strings
//! and byte ranges, writing into caller buffers.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use std::time::Duration;

use xmpptls::{Jid, UnixTime};

use crate::result::*;

/// The value of a small core enum numbered `value` (its C constant), or
/// `XMPPTLS_ERR_UNKNOWN_NAME` with the detail text set.
pub(crate) fn named<T: xmpptls::api::Named>(value: u32) -> Result<T, xmpptls_result> {
    T::from_code_or_err(value).map_err(|e| code(&e))
}

/// Runs `f`, turning a panic into `XMPPTLS_PANIC`.
///
/// Always inlined, with [`with_mut`] and [`with_ref`]: every C call goes
/// through them, and as calls they were about 220 of the 1,779
/// instructions the C layer added to a 1 KiB stanza
/// (`scripts/count-c-layer.sh`); inlined, `catch_unwind` also compiles to
/// nothing where the body cannot unwind.
#[inline(always)]
pub(crate) fn guard(f: impl FnOnce() -> xmpptls_result) -> xmpptls_result {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(XMPPTLS_PANIC)
}

/// A NUL-terminated UTF-8 string from C.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the use.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char) -> Result<&'a str, xmpptls_result> {
    // SAFETY: per the function's contract.
    std::str::from_utf8(unsafe { cstr_arg(p) }?).map_err(|_| XMPPTLS_INVALID_PARAMETER)
}

/// The octets of a NUL-terminated string from C, not yet checked as UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the use.
pub(crate) unsafe fn cstr_arg<'a>(p: *const c_char) -> Result<&'a [u8], xmpptls_result> {
    if p.is_null() {
        return Err(XMPPTLS_NULL_PARAMETER);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// `len` octets from C (NULL is allowed only with `len == 0`).
///
/// # Safety
/// `p` points to `len` readable octets.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize) -> Result<&'a [u8], xmpptls_result> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(XMPPTLS_NULL_PARAMETER)
        };
    }
    // SAFETY: the caller gives `len` readable octets at `p`.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// `len` octets of text from C (XML, PEM, JSON): `char*` in the header,
/// read as octets here, since each caller decodes its own format (UTF-8 is
/// checked where text is parsed). NULL is allowed only with `len == 0`.
///
/// # Safety
/// `p` points to `len` readable octets.
pub(crate) unsafe fn text_arg<'a>(
    p: *const c_char,
    len: usize,
) -> Result<&'a [u8], xmpptls_result> {
    // SAFETY: the same contract as `bytes_arg`.
    unsafe { bytes_arg(p.cast(), len) }
}

/// Copies `data` into the caller's buffer, NUL-terminated: `len` must be at
/// least `data.len() + 1`. Writes `*written = data.len()` on success only.
///
/// # Safety
/// `buf` points to `len` writable octets, `written` to a `size_t`.
pub(crate) unsafe fn write_out(
    data: &[u8],
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    if buf.is_null() || written.is_null() {
        return XMPPTLS_NULL_PARAMETER;
    }
    if len < data.len() + 1 {
        return XMPPTLS_BUFFER_TOO_SMALL;
    }
    // SAFETY: `len` >= data.len() + 1 writable octets at `buf`.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        *buf.add(data.len()) = 0;
        *written = data.len();
    }
    XMPPTLS_OK
}

/// Writes a value through a non-NULL out-pointer.
///
/// # Safety
/// `out` is NULL or points to a writable `T`.
pub(crate) unsafe fn set<T>(out: *mut T, v: T) -> xmpptls_result {
    if out.is_null() {
        return XMPPTLS_NULL_PARAMETER;
    }
    // SAFETY: non-NULL and writable per the caller's contract.
    unsafe { out.write(v) };
    XMPPTLS_OK
}

/// Runs `f` on the handle behind `p` (`XMPPTLS_NULL_PARAMETER` when NULL),
/// inside [`guard`].
///
/// # Safety
/// `p` is NULL or points to a live handle not used elsewhere during the call.
#[inline(always)]
pub(crate) unsafe fn with_mut<T>(
    p: *mut T,
    f: impl FnOnce(&mut T) -> xmpptls_result,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the caller's contract.
        match unsafe { p.as_mut() } {
            Some(h) => f(h),
            None => XMPPTLS_NULL_PARAMETER,
        }
    })
}

/// Runs `f` on the object behind `p` read-only (`XMPPTLS_NULL_PARAMETER`
/// when NULL), inside [`guard`]: [`with_mut`] for objects the caller only
/// reads, such as events.
///
/// # Safety
/// `p` is NULL or points to a live `T`.
#[inline(always)]
pub(crate) unsafe fn with_ref<T>(
    p: *const T,
    f: impl FnOnce(&T) -> xmpptls_result,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the caller's contract.
        match unsafe { p.as_ref() } {
            Some(h) => f(h),
            None => XMPPTLS_NULL_PARAMETER,
        }
    })
}

/// Frees a handle made by `Box::into_raw` (NULL is ignored), inside [`guard`].
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` of a `Box<T>` and was not freed.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    let _ = guard(|| {
        if !p.is_null() {
            // SAFETY: per the caller's contract.
            drop(unsafe { Box::from_raw(p) });
        }
        XMPPTLS_OK
    });
}

/// A time from C: seconds since the Unix epoch.
pub(crate) fn seconds(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// A JID argument, parsed (its error's detail kept for
/// `xmpptls_last_error_detail`).
pub(crate) fn jid(s: &str) -> Result<Jid, xmpptls_result> {
    Jid::parse(s).map_err(|e| code(&e))
}
