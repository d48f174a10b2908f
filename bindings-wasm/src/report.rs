//! The RFC 7590 §3.6 report as a JavaScript object: the core's report JSON
//! (stable field names, README) plus `text` for people.

use xmpptls::api::ToJson;
use xmpptls::ConnectionReport;

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TS_REPORT: &str = r#"
/** One finding of a policy check; `code` is stable (README). */
export interface Finding {
  code: string;
  severity: "info" | "warning" | "error";
  rfc: string;
  message: string;
}

/** One SCT, checked against the log list (RFC 6962 §3.2). */
export interface Sct {
  source: "embedded" | "tls-extension" | "ocsp";
  /** SHA-256 of the log's key, lowercase hex. */
  log_id: string;
  log: string | null;
  operator: string | null;
  /** When the log saw the certificate, ms since the Unix epoch. */
  timestamp_ms: number;
  status: "valid" | "log-not-trusted" | "unknown-log" | "invalid";
  /** The untrusted log's state, or why the SCT does not hold. */
  detail: string | null;
}

/** A certificate transparency check under Chrome's CT policy. */
export interface CtResult {
  compliant: boolean;
  scts: Sct[];
  /** SCT lists that could not be read (each also a `ct-invalid-sct` finding). */
  errors: string[];
}

/** The RFC 7590 §3.6 connection report (the README's report JSON) plus `text`. */
export interface Report {
  peer: string;
  encrypted: boolean;
  tls_version: string | null;
  cipher_suite: string | null;
  cipher_suite_code: string | null;
  cipher_suite_class: string | null;
  key_exchange: string | null;
  resumed: boolean;
  authentication: string;
  /** The identifier that matched: its name, its RFC 6125 label, and it. */
  identity: IdentityMatch | null;
  certificate: {
    subject: string; issuer: string; serial: string;
    /** Validity, RFC 3339 text and seconds since the Unix epoch. */
    not_before: string; not_after: string; not_before_unix: number; not_after_unix: number;
    sha256: string; spki_sha256: string; key_type: string; key_bits: number;
    san: { dns: string[]; srv: string[]; xmpp_addr: string[]; uri: string[]; ip: string[] };
    cn: string[];
  } | null;
  pin: { status: "new" | "match" | "changed"; old?: string; new?: string } | null;
  /** Certificate transparency (RFC 6962), when the policy has a log list. */
  ct: CtResult | null;
  policy: string;
  verdict: "pass" | "warn" | "fail";
  findings: Finding[];
  /** The report for people, one fact per line. */
  text: string;
}
"#;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Report` in TypeScript.
    #[wasm_bindgen(typescript_type = "Report")]
    pub type JsReport;
}

/// The report as a JavaScript `Report`: the core's report JSON with `text`
/// (`ReportSummary::to_json_value`, as in `TunnelInfo.report`).
pub(crate) fn to_js_report(r: &ConnectionReport) -> JsReport {
    use wasm_bindgen::JsCast;
    crate::js::to_js(&xmpptls::api::ReportSummary::from(r).to_json_value()).unchecked_into()
}
