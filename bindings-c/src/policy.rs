//! The policy checks for C: grade a connection made by any TLS stack
//! (OpenSSL, GnuTLS, …) and check a certificate's identity.

use std::ffi::{c_char, CString};

use xmpptls::api::{MatchKind, Named};
use xmpptls::identity::Service;
use xmpptls::policy::{AuthMethod, Negotiated, Policy, TlsVersion};
use xmpptls::server_check::CtEvidence;
use xmpptls::{ConnectionReport, UnixTime};

use crate::der::{der_list, xmpptls_der};
use crate::ffi::{bytes_arg, free_box, guard, named, set, str_arg, text_arg, write_out};
use crate::result::*;

/// Policy presets for `xmpptls_evaluate`.
pub const XMPPTLS_POLICY_STRICT: u32 = 0;
/// TLS 1.3 only.
pub const XMPPTLS_POLICY_TLS13_ONLY: u32 = 1;
/// Server-to-server with dialback accepted (RFC 7590 §3.4).
pub const XMPPTLS_POLICY_OPPORTUNISTIC_S2S: u32 = 2;
/// Strict, also accepting the certificate hash of an XTLS peer's XEP-0250
/// offer: what tunnels are graded against.
pub const XMPPTLS_POLICY_XTLS: u32 = 3;

/// How the caller authenticated the peer (`xmpptls_negotiated.authentication`).
pub const XMPPTLS_AUTH_NONE: u32 = 0;
/// PKIX chain and RFC 6125 identity.
pub const XMPPTLS_AUTH_PKIX: u32 = 1;
/// DANE.
pub const XMPPTLS_AUTH_DANE: u32 = 2;
/// POSH.
pub const XMPPTLS_AUTH_POSH: u32 = 3;
/// A pinned key.
pub const XMPPTLS_AUTH_PINNED: u32 = 4;
/// Server Dialback.
pub const XMPPTLS_AUTH_DIALBACK: u32 = 5;
/// The certificate hash of an XTLS XEP-0250 offer.
pub const XMPPTLS_AUTH_OFFER: u32 = 6;

/// Verdicts (`xmpptls_report_verdict`).
pub const XMPPTLS_VERDICT_PASS: u32 = 0;
/// Acceptable with warnings.
pub const XMPPTLS_VERDICT_WARN: u32 = 1;
/// Against the policy.
pub const XMPPTLS_VERDICT_FAIL: u32 = 2;

/// Severity of a finding: worth knowing, nothing wrong.
pub const XMPPTLS_SEVERITY_INFO: u32 = 0;
/// Weaker than recommended; the connection may proceed.
pub const XMPPTLS_SEVERITY_WARNING: u32 = 1;
/// Against the policy: the connection should not proceed.
pub const XMPPTLS_SEVERITY_ERROR: u32 = 2;

/// Services for identity checks.
pub const XMPPTLS_SERVICE_CLIENT: u32 = 0;
/// `xmpp-server`.
pub const XMPPTLS_SERVICE_SERVER: u32 = 1;

/// Identity match kinds (`xmpptls_check_identity`).
pub const XMPPTLS_MATCH_DNS_ID: u32 = 1;
/// A wildcard DNS-ID.
pub const XMPPTLS_MATCH_WILDCARD_DNS_ID: u32 = 2;
/// An SRV-ID.
pub const XMPPTLS_MATCH_SRV_ID: u32 = 3;
/// An XmppAddr.
pub const XMPPTLS_MATCH_XMPP_ADDR: u32 = 4;
/// The subject CN (only with CN fallback).
pub const XMPPTLS_MATCH_CN_ID: u32 = 5;

/// What a TLS connection negotiated, as the caller's TLS stack reports it.
/// Zero means "not reported" for every numeric field.
#[repr(C)]
pub struct xmpptls_negotiated {
    /// 1 when TLS is in use.
    pub encrypted: i32,
    /// Wire version code, e.g. 0x0303 for TLS 1.2, 0x0304 for TLS 1.3.
    pub version: u16,
    /// Cipher suite code point (OpenSSL: `SSL_CIPHER_get_protocol_id`).
    pub suite: u16,
    /// Key exchange size in bits (DH modulus or EC curve).
    pub kx_bits: u32,
    /// Peer key size in bits (0: read it from the chain).
    pub peer_key_bits: u32,
    /// 1 when TLS compression is on.
    pub compression: i32,
    /// 1 when the session was resumed.
    pub resumed: i32,
    /// 1 when resumption used a session ticket.
    pub ticket: i32,
    /// Extended master secret: 1 yes, 0 no, -1 not reported.
    pub extended_master_secret: i32,
    /// `XMPPTLS_AUTH_*`.
    pub authentication: u32,
    /// The peer's chain, end entity first (may be NULL with length 0).
    pub peer_chain: *const xmpptls_der,
    /// Number of certificates in `peer_chain`.
    pub peer_chain_len: usize,
    /// The key exchange group by its IANA name (`X25519MLKEM768`,
    /// `X25519`, `secp256r1`; OpenSSL: `SSL_get0_group_name`), or NULL
    /// when not reported. Graded for post-quantum key exchange.
    pub kx_group: *const c_char,
    /// The peer's key algorithm (`RSA`, `DSA`, `ECDSA`, `Ed25519`), or NULL:
    /// read from `peer_chain`. `peer_key_bits` is graded with it (RFC 7525
    /// §4.5).
    pub peer_key_type: *const c_char,
    /// The SCT list of the TLS `signed_certificate_timestamp` extension as
    /// sent (RFC 6962 §3.3), or `{NULL, 0}`: checked when the policy has a
    /// CT log list (`xmpptls_policy_set_ct_log_list`), refused otherwise.
    pub sct_list: xmpptls_der,
    /// The stapled OCSP response, DER (OpenSSL:
    /// `SSL_get_tlsext_status_ocsp_resp`), or `{NULL, 0}`: its SCTs, as
    /// `sct_list`.
    pub ocsp_response: xmpptls_der,
    /// When the connection was made, seconds since the Unix epoch (0: not
    /// reported); needed when the policy checks certificate transparency.
    pub time: u64,
}

/// The graded connection (opaque; free with `xmpptls_report_free`).
/// Immutable: several threads may read it at once.
pub struct xmpptls_report {
    inner: ConnectionReport,
    json: String,
    /// Each finding's code and message, NUL-terminated for
    /// `xmpptls_report_finding`.
    findings: Vec<(CString, CString)>,
    /// Each SCT's source, status and log (empty: unknown), NUL-terminated
    /// for `xmpptls_report_sct`.
    scts: Vec<(CString, CString, CString)>,
}

impl xmpptls_report {
    fn new(inner: ConnectionReport) -> Self {
        let c = |s: &str| CString::new(s.replace('\0', " ")).unwrap_or_default();
        let findings = inner
            .evaluation
            .findings
            .iter()
            .map(|f| (c(f.code), c(&f.message)))
            .collect();
        let scts = inner
            .ct
            .iter()
            .flat_map(|ct| &ct.scts)
            .map(|s| {
                let log = s.log.as_ref().map_or("", |(d, _)| d.as_str());
                (c(s.source.name()), c(s.status.name()), c(log))
            })
            .collect();
        xmpptls_report {
            json: inner.to_json(),
            inner,
            findings,
            scts,
        }
    }
}

/// `XMPPTLS_AUTH_*` as the core's method (`None` for `XMPPTLS_AUTH_NONE`).
pub(crate) fn auth_method(value: u32) -> Result<Option<AuthMethod>, xmpptls_result> {
    match value {
        XMPPTLS_AUTH_NONE => Ok(None),
        v => named(v).map(Some),
    }
}

/// The policy preset `XMPPTLS_POLICY_*`.
pub(crate) fn preset(policy: u32) -> Result<Policy, xmpptls_result> {
    named(policy).map(Policy::preset)
}

/// Grades `n` under the policy preset `policy` and returns the report.
///
/// # Safety
/// `n` points to a valid struct whose chain pointers are valid; `peer` is a
/// NUL-terminated string; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_evaluate(
    policy: u32,
    peer: *const c_char,
    n: *const xmpptls_negotiated,
    out: *mut *mut xmpptls_report,
) -> xmpptls_result {
    guard(|| match preset(policy) {
        // SAFETY: per the function's contract.
        Ok(p) => unsafe { evaluate_under(&p, peer, n, out) },
        Err(e) => e,
    })
}

/// A string field that may be NULL ("not reported").
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn optional_text(p: *const c_char) -> Result<Option<String>, xmpptls_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, NUL-terminated per the function's contract.
    Ok(Some(unsafe { str_arg(p) }?.to_owned()))
}

/// The core's form of what the caller's stack negotiated.
///
/// # Safety
/// `n` points to a valid struct whose chain pointers are valid.
pub(crate) unsafe fn negotiated_arg(
    n: *const xmpptls_negotiated,
) -> Result<(Negotiated, CtEvidence), xmpptls_result> {
    // SAFETY: per the function's contract.
    let n = unsafe { n.as_ref() }.ok_or(XMPPTLS_NULL_PARAMETER)?;
    let authentication = auth_method(n.authentication)?;
    // SAFETY: `peer_chain` points to `peer_chain_len` entries.
    let peer_chain = unsafe { der_list(n.peer_chain, n.peer_chain_len) }?;
    let version = match n.version {
        0 => None,
        v => Some(named::<TlsVersion>(u32::from(v))?),
    };
    // SAFETY: each points to `len` octets, or is NULL (not given).
    let octets = |d: &xmpptls_der| match d.data.is_null() {
        true => Ok(None),
        false => unsafe { bytes_arg(d.data, d.len) }.map(|b| Some(b.to_vec())),
    };
    let evidence = CtEvidence {
        sct_list: octets(&n.sct_list)?,
        ocsp_response: octets(&n.ocsp_response)?,
        time: (n.time != 0)
            .then(|| UnixTime::since_unix_epoch(std::time::Duration::from_secs(n.time))),
    };
    let negotiated = Negotiated {
        encrypted: n.encrypted != 0,
        version,
        suite: (n.suite != 0).then_some(n.suite),
        // SAFETY: NULL or NUL-terminated per the struct's contract.
        kx_group: unsafe { optional_text(n.kx_group) }?,
        kx_bits: (n.kx_bits != 0).then_some(n.kx_bits),
        // SAFETY: as above.
        peer_key_type: unsafe { optional_text(n.peer_key_type) }?,
        peer_key_bits: (n.peer_key_bits != 0).then_some(n.peer_key_bits),
        compression: n.compression != 0,
        resumed: n.resumed != 0,
        ticket: n.ticket != 0,
        extended_master_secret: match n.extended_master_secret {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        },
        authentication,
        peer_chain,
    };
    Ok((negotiated, evidence))
}

/// A report handed to the caller through `out`.
///
/// # Safety
/// `out` is NULL or writable.
pub(crate) unsafe fn report_out(
    inner: ConnectionReport,
    out: *mut *mut xmpptls_report,
) -> xmpptls_result {
    // SAFETY: per the function's contract (NULL is refused by `set`).
    unsafe { set(out, Box::into_raw(Box::new(xmpptls_report::new(inner)))) }
}

/// `xmpptls_evaluate` under any policy.
///
/// # Safety
/// As `xmpptls_evaluate`.
pub(crate) unsafe fn evaluate_under(
    policy: &Policy,
    peer: *const c_char,
    n: *const xmpptls_negotiated,
    out: *mut *mut xmpptls_report,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    let (peer, negotiated) = match unsafe { (str_arg(peer), negotiated_arg(n)) } {
        (Ok(p), Ok(n)) => (p, n),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if out.is_null() {
        return XMPPTLS_NULL_PARAMETER;
    }
    let (negotiated, evidence) = negotiated;
    match xmpptls::server_check::evaluate(peer, policy, negotiated, &evidence) {
        // SAFETY: `out` is non-NULL and writable.
        Ok(inner) => unsafe { report_out(inner, out) },
        Err(e) => code(&e),
    }
}

/// The verdict of a report (`XMPPTLS_VERDICT_*`); FAIL for NULL.
///
/// # Safety
/// `r` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_verdict(r: *const xmpptls_report) -> u32 {
    let mut v = XMPPTLS_VERDICT_FAIL;
    let _ = guard(|| {
        // SAFETY: per the function's contract.
        if let Some(r) = unsafe { r.as_ref() } {
            v = r.inner.evaluation.verdict.code();
        }
        XMPPTLS_OK
    });
    v
}

/// The number of findings of a report (0 for NULL).
///
/// # Safety
/// `r` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_findings(r: *const xmpptls_report) -> usize {
    let mut n = 0;
    let _ = guard(|| {
        // SAFETY: per the function's contract.
        if let Some(r) = unsafe { r.as_ref() } {
            n = r.inner.evaluation.findings.len();
        }
        XMPPTLS_OK
    });
    n
}

/// Certificate transparency of a report (RFC 6962, Chrome's CT policy):
/// 1 compliant, 0 not compliant (the `ct-*` findings say why), -1 not
/// checked (the policy has no CT log list, or no chain) or NULL. Each SCT
/// is in the report's JSON (`ct.scts`).
///
/// # Safety
/// `r` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_ct(r: *const xmpptls_report) -> i32 {
    let mut v = -1;
    let _ = guard(|| {
        // SAFETY: per the function's contract.
        if let Some(ct) = unsafe { r.as_ref() }.and_then(|r| r.inner.ct.as_ref()) {
            v = i32::from(ct.compliant);
        }
        XMPPTLS_OK
    });
    v
}

/// The number of SCTs the report's CT check found (0 for NULL or when CT
/// was not checked).
///
/// # Safety
/// `r` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_scts(r: *const xmpptls_report) -> usize {
    let mut n = 0;
    let _ = guard(|| {
        // SAFETY: per the function's contract.
        if let Some(r) = unsafe { r.as_ref() } {
            n = r.scts.len();
        }
        XMPPTLS_OK
    });
    n
}

/// SCT `index` of the report's CT check: where it came from (`embedded`,
/// `tls-extension`, `ocsp`), its status (`valid`, `log-not-trusted`,
/// `unknown-log`, `invalid`) and its log's description (empty when the log
/// list does not know it); borrowed NUL-terminated strings valid until the
/// report is freed. `XMPPTLS_INVALID_PARAMETER` past the last SCT. The
/// JSON's `ct.scts` has the rest (log id, timestamp, detail).
///
/// # Safety
/// `r` is a live report; the out-pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_sct(
    r: *const xmpptls_report,
    index: usize,
    source: *mut *const c_char,
    status: *mut *const c_char,
    log: *mut *const c_char,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let Some(r) = (unsafe { r.as_ref() }) else {
            return XMPPTLS_NULL_PARAMETER;
        };
        if source.is_null() || status.is_null() || log.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        let Some((so, st, lg)) = r.scts.get(index) else {
            return XMPPTLS_INVALID_PARAMETER;
        };
        // SAFETY: all three checked non-NULL; the strings live in the report.
        unsafe {
            set(source, so.as_ptr());
            set(status, st.as_ptr());
            set(log, lg.as_ptr())
        }
    })
}

/// Finding `index` of a report: its severity (`XMPPTLS_SEVERITY_*`), its
/// stable code (`version-unsupported`, … as listed in the README) and its
/// message, borrowed NUL-terminated strings valid until the report is freed.
/// `XMPPTLS_INVALID_PARAMETER` for an index past the last finding.
///
/// # Safety
/// `r` is a live report; the out-pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_finding(
    r: *const xmpptls_report,
    index: usize,
    severity: *mut u32,
    code: *mut *const c_char,
    message: *mut *const c_char,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let Some(r) = (unsafe { r.as_ref() }) else {
            return XMPPTLS_NULL_PARAMETER;
        };
        if severity.is_null() || code.is_null() || message.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        let (Some(f), Some((c, m))) = (
            r.inner.evaluation.findings.get(index),
            r.findings.get(index),
        ) else {
            return XMPPTLS_INVALID_PARAMETER;
        };
        let sev = f.severity.code();
        // SAFETY: all three checked non-NULL; the strings live in the report.
        unsafe {
            set(severity, sev);
            set(code, c.as_ptr());
            set(message, m.as_ptr())
        }
    })
}

/// Length (without NUL) of the report's JSON.
///
/// # Safety
/// `r` is a live report; `len` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_json_len(
    r: *const xmpptls_report,
    len: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { r.as_ref() } {
            Some(r) => unsafe { set(len, r.json.len()) },
            None => XMPPTLS_NULL_PARAMETER,
        }
    })
}

/// Copies the report's JSON (stable field names, see the README) into `buf`.
///
/// # Safety
/// `r` is a live report; `buf` has `len` writable octets; `written` a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_json(
    r: *const xmpptls_report,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { r.as_ref() } {
            Some(r) => unsafe { write_out(r.json.as_bytes(), buf.cast(), len, written) },
            None => XMPPTLS_NULL_PARAMETER,
        }
    })
}

/// Frees a report (NULL is ignored).
///
/// # Safety
/// `r` is NULL or was returned by `xmpptls_evaluate` and not freed.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_report_free(r: *mut xmpptls_report) {
    // SAFETY: made by Box::into_raw in xmpptls_evaluate (per the contract).
    unsafe { free_box(r) }
}

/// Like `xmpptls_check_identity` for the first certificate of PEM text
/// (`len` octets, e.g. a server's chain file).
///
/// # Safety
/// `pem` points to `len` octets; `domain` is NUL-terminated; `matched` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_check_identity_pem(
    pem: *const c_char,
    len: usize,
    domain: *const c_char,
    service: u32,
    cn_fallback: i32,
    matched: *mut u32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let bytes = match unsafe { text_arg(pem, len) } {
            Ok(b) => b,
            Err(e) => return e,
        };
        let certs = match xmpptls::identity::certificates_from_pem(bytes) {
            Ok(c) => c,
            Err(e) => return code(&e),
        };
        let Some(leaf) = certs.first() else {
            return code(&xmpptls::Error::Certificate(
                "no certificate in the PEM text".into(),
            ));
        };
        // SAFETY: `leaf` is a live slice; the other arguments per contract.
        unsafe {
            xmpptls_check_identity(
                leaf.as_ptr(),
                leaf.len(),
                domain,
                service,
                cn_fallback,
                matched,
            )
        }
    })
}

/// Checks whether the DER certificate names `domain` for `service`
/// (`XMPPTLS_SERVICE_*`) by RFC 6125/9525 and RFC 6120 rules. On success
/// `*matched` is the `XMPPTLS_MATCH_*` kind, or 0 when nothing matched.
///
/// # Safety
/// `der` points to `len` octets; `domain` is NUL-terminated; `matched` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_check_identity(
    der: *const u8,
    len: usize,
    domain: *const c_char,
    service: u32,
    cn_fallback: i32,
    matched: *mut u32,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let (bytes, domain) = match (unsafe { bytes_arg(der, len) }, unsafe { str_arg(domain) }) {
            (Ok(b), Ok(d)) => (b, d),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        if matched.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        let service = match named::<Service>(service) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let kind = match xmpptls::api::check_identity(bytes, domain, service, cn_fallback != 0) {
            Ok(m) => m.map_or(0, |m| MatchKind::from(&m).code()),
            Err(e) => return code(&e),
        };
        // SAFETY: checked non-NULL.
        unsafe { set(matched, kind) }
    })
}

/// The IANA code point of a cipher suite named by IANA
/// (`TLS_AES_128_GCM_SHA256`), rustls or OpenSSL (`ECDHE-RSA-AES128-GCM-SHA256`,
/// as `SSL_CIPHER_get_name` prints it) into `*suite`, for
/// `xmpptls_negotiated.suite` and the suite knobs; `XMPPTLS_ERR_UNKNOWN_NAME`
/// for a name the registry does not have.
///
/// # Safety
/// `name` is NUL-terminated; `suite` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_suite_code(
    name: *const c_char,
    suite: *mut u16,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { str_arg(name) }.map(xmpptls::policy::suites::code_by_any_name) {
            // SAFETY: per the function's contract.
            Ok(Ok(c)) => unsafe { set(suite, c) },
            Ok(Err(e)) => code(&e),
            Err(e) => e,
        }
    })
}

/// The wire code of a TLS version named as stacks print it (`TLSv1.2`,
/// `TLS 1.2`, `tls1_2`, `SSLv3`) into `*version`, for
/// `xmpptls_negotiated.version` and `xmpptls_policy_set_min_version`;
/// `XMPPTLS_ERR_UNKNOWN_NAME` for another name.
///
/// # Safety
/// `name` is NUL-terminated; `version` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_tls_version_code(
    name: *const c_char,
    version: *mut u16,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        match unsafe { str_arg(name) }.map(TlsVersion::parse_or_err) {
            // SAFETY: per the function's contract.
            Ok(Ok(v)) => unsafe { set(version, v.code() as u16) },
            Ok(Err(e)) => code(&e),
            Err(e) => e,
        }
    })
}
