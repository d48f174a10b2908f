//! Channel binding for SCRAM-PLUS (RFC 5929, RFC 9266) for C clients on
//! any TLS stack. `tls-exporter` is the stack's own keying-material
//! export (label `EXPORTER-Channel-Binding`, no context, 32 octets: with
//! OpenSSL, `SSL_export_keying_material`); `tls-server-end-point` needs the
//! certificate hash rules of RFC 5929 §4.1, which this computes.

use xmpptls::channel_binding::tls_server_end_point;
use xmpptls::CertificateDer;

use crate::ffi::{bytes_arg, guard, write_out};
use crate::result::*;

/// The largest `tls-server-end-point` value (SHA-512), plus the NUL that
/// `xmpptls_tls_server_end_point` appends: a buffer this big always fits.
pub const XMPPTLS_TLS_SERVER_END_POINT_MAX: usize = 65;

/// `tls-server-end-point` (RFC 5929 §4.1) of the server's end-entity
/// certificate (DER): the certificate hashed with its signature's hash
/// (MD5 and SHA-1 raised to SHA-256). The value goes into `buf` (followed
/// by a NUL octet, as every buffer result) and its length into `*written`.
/// `XMPPTLS_ERR_CHANNEL_BINDING` when RFC 5929 defines no hash (Ed25519,
/// Ed448); `XMPPTLS_ERR_CERTIFICATE` when the certificate cannot be parsed.
///
/// # Safety
/// `der` points to `len` octets; `buf` to `buf_len` writable octets;
/// `written` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_tls_server_end_point(
    der: *const u8,
    len: usize,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { bytes_arg(der, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        match tls_server_end_point(&CertificateDer::from(bytes)) {
            // SAFETY: per the function's contract.
            Ok(v) => unsafe { write_out(&v, buf, buf_len, written) },
            Err(e) => code(&e.into()),
        }
    })
}
