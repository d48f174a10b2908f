//! Certificates from JavaScript: our own identity, the RFC 6125 / RFC 6120
//! identity check, certificate facts, PEM.

use wasm_bindgen::prelude::*;
use xmpptls::api::{IdentityMatch, IdentityPem, ToJson};

use crate::error::core_error;
use crate::js::{bytes_list, service, to_js};

#[wasm_bindgen(typescript_custom_section)]
const TS_IDENTITY: &str = r#"
/** The facts of a certificate: the `certificate` object of a `Report`. */
export type CertificateInfo = NonNullable<Report["certificate"]>;

/** Which presented identifier matched (RFC 6125 names). */
export interface IdentityMatch {
  /** The stable name (README "Names and codes"). */
  kind: "dns-id" | "wildcard-dns-id" | "srv-id" | "xmpp-addr" | "cn-id";
  /** The RFC 6125 label, as reports print it. */
  type: "DNS-ID" | "DNS-ID (wildcard)" | "SRV-ID" | "XmppAddr" | "CN-ID";
  presented: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `IdentityPem` in TypeScript.
    #[wasm_bindgen(typescript_type = "IdentityPem")]
    pub type JsIdentityPem;
    /// `IdentityMatch | null` in TypeScript.
    #[wasm_bindgen(typescript_type = "IdentityMatch | null")]
    pub type MaybeIdentityMatch;
    /// `Uint8Array[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "Uint8Array[]")]
    pub type DerList;
}

/// An ECDSA P-256 key and a self-signed certificate naming the bare form
/// of `jid` as XmppAddr (RFC 6120 §13.7.1.4), as PEM. Store it (IndexedDB)
/// and pass it as `identity` so peers that pinned the key recognise it.
#[wasm_bindgen(js_name = generateIdentity)]
pub fn generate_identity(jid: &str) -> Result<JsIdentityPem, JsValue> {
    let id = IdentityPem::generate(jid).map_err(core_error)?;
    Ok(to_js(&id.to_json_value()).unchecked_into())
}

/// Which identifier of the DER certificate names `domain` for `service`
/// ("xmpp-client" or "xmpp-server") by RFC 6125/9525 and RFC 6120 rules;
/// `null` when none does.
#[wasm_bindgen(js_name = checkIdentity)]
pub fn check_identity(
    der: &[u8],
    domain: &str,
    #[wasm_bindgen(js_name = "service", unchecked_param_type = "Service")] service_name: &str,
    #[wasm_bindgen(js_name = "cnFallback")] cn_fallback: Option<bool>,
) -> Result<MaybeIdentityMatch, JsValue> {
    let matched = xmpptls::api::check_identity(
        der,
        domain,
        service(service_name)?,
        cn_fallback.unwrap_or(false),
    )
    .map_err(core_error)?;
    Ok(match matched {
        Some(m) => to_js(&IdentityMatch::from(&m).to_json_value()),
        None => JsValue::NULL,
    }
    .unchecked_into())
}

/// The facts of a DER certificate: subject, issuer, validity, SANs, pins
/// (the `certificate` object of a `Report`).
#[wasm_bindgen(js_name = certificateInfo, unchecked_return_type = "CertificateInfo")]
pub fn certificate_info(der: &[u8]) -> Result<JsValue, JsValue> {
    let c = xmpptls::api::certificate_info(der).map_err(core_error)?;
    Ok(to_js(
        &xmpptls::api::CertificateSummary::from(&c).to_json_value(),
    ))
}

/// The DER certificates in PEM text, in order.
#[wasm_bindgen(js_name = certificatesFromPem)]
pub fn certificates_from_pem(pem: &str) -> Result<DerList, JsValue> {
    let certs = xmpptls::identity::certificates_from_pem(pem.as_bytes()).map_err(core_error)?;
    Ok(bytes_list(&certs).unchecked_into())
}
