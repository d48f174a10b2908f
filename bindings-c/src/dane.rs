//! DANE for C clients (RFC 6698, RFC 7671, RFC 7673 for XMPP's SRV
//! targets): the application resolves the TLSA RRset with its own
//! DNSSEC-validating resolver and hands over the RDATA and the verdict of
//! DNSSEC validation; this checks the peer's chain against the records.

use std::ffi::c_char;

use xmpptls::dna::dane::{self, DaneContext, DaneOutcome, TlsaRecord};
use xmpptls::identity::pkix::Roots;

use crate::der::{der_list, xmpptls_der};
use crate::ffi::named;
use crate::ffi::{bytes_arg, guard, seconds, set, str_arg};
use crate::result::*;

/// No DNSSEC-secure record with known parameters: DANE does not apply and
/// the connection falls back to PKIX (RFC 6698 §4.1).
pub const XMPPTLS_DANE_NOT_APPLICABLE: u32 = 1;
/// A record authenticated the chain.
pub const XMPPTLS_DANE_AUTHENTICATED: u32 = 2;
/// Usable records exist and none matched: the connection must not proceed
/// (RFC 6698 §2.1.1).
pub const XMPPTLS_DANE_FAILED: u32 = 3;

/// Checks the TLSA RRset (`count` wire-format RDATAs, `rdata[i]` of
/// `rdata_len[i]` octets: the shape libunbound returns) against `chain`
/// (end entity first). `dnssec_secure` says DNSSEC validated the RRset.
/// `service_domain` is the XMPP domain, `srv_target` the SRV target host
/// connected to (NULL without SRV), `service` an `XMPPTLS_SERVICE_*`.
/// `roots` are the PKIX anchors for usages 0 and 1 (may be empty). `now`
/// is seconds since the Unix epoch. `*outcome` gets an `XMPPTLS_DANE_*`
/// value; `*record` the index of the matching record, written only when
/// the outcome is `XMPPTLS_DANE_AUTHENTICATED`.
///
/// # Safety
/// Every array points to its stated number of entries, each entry to its
/// octets; strings are NUL-terminated; `outcome` and `record` are writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn xmpptls_dane_verify(
    rdata: *const *const u8,
    rdata_len: *const usize,
    count: usize,
    dnssec_secure: i32,
    chain: *const xmpptls_der,
    chain_len: usize,
    service_domain: *const c_char,
    srv_target: *const c_char,
    service: u32,
    roots: *const xmpptls_der,
    roots_len: usize,
    now: u64,
    outcome: *mut u32,
    record: *mut usize,
) -> xmpptls_result {
    guard(|| {
        if outcome.is_null()
            || record.is_null()
            || (count > 0 && (rdata.is_null() || rdata_len.is_null()))
        {
            return XMPPTLS_NULL_PARAMETER;
        }
        let mut records = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: both arrays have `count` entries, each RDATA its length.
            let bytes = match unsafe { bytes_arg(*rdata.add(i), *rdata_len.add(i)) } {
                Ok(b) => b,
                Err(e) => return e,
            };
            match TlsaRecord::from_rdata(bytes, dnssec_secure != 0) {
                Ok(r) => records.push(r),
                Err(_) => return XMPPTLS_INVALID_PARAMETER,
            }
        }
        // SAFETY: per the function's contract.
        let (chain, roots) =
            match unsafe { (der_list(chain, chain_len), der_list(roots, roots_len)) } {
                (Ok(c), Ok(r)) => (c, r),
                (Err(e), _) | (_, Err(e)) => return e,
            };
        // SAFETY: per the function's contract.
        let domain = match unsafe { str_arg(service_domain) } {
            Ok(d) => d,
            Err(e) => return e,
        };
        let target = if srv_target.is_null() {
            None
        } else {
            // SAFETY: non-NULL, NUL-terminated per the contract.
            match unsafe { str_arg(srv_target) } {
                Ok(t) => Some(t),
                Err(e) => return e,
            }
        };
        let service = match named::<xmpptls::identity::Service>(service) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let anchors = if roots.is_empty() {
            None
        } else {
            match Roots::new(&roots) {
                Ok(a) => Some(a),
                Err(e) => return code(&xmpptls::Error::Trust(e)),
            }
        };
        let ctx = DaneContext {
            service_domain: domain,
            srv_target: target,
            service,
            roots: anchors.as_ref(),
            now: seconds(now),
        };
        let (kind, index) = match dane::verify(&records, &chain, &ctx) {
            DaneOutcome::NoUsableRecords => (XMPPTLS_DANE_NOT_APPLICABLE, None),
            DaneOutcome::Authenticated { record, .. } => (XMPPTLS_DANE_AUTHENTICATED, Some(record)),
            DaneOutcome::Failed(_) => (XMPPTLS_DANE_FAILED, None),
        };
        if let Some(i) = index {
            // SAFETY: checked non-NULL.
            unsafe { set(record, i) };
        }
        // SAFETY: checked non-NULL.
        unsafe { set(outcome, kind) }
    })
}
