//! Grading TLS connections from JavaScript: policy presets (RFC 7590,
//! RFC 7525), `evaluate`, and the server check (XMPP identity, pins, grade)
//! for facts the app got elsewhere.

use wasm_bindgen::prelude::*;
use xmpptls::identity::Service;
use xmpptls::policy::{AuthMethod, Negotiated, Policy as CorePolicy, TlsVersion};
use xmpptls::CertificateDer;

use crate::error::{config_error, core_error};
use crate::js::{bool_field, bytes_list_field, string_field};
use crate::pins::PinStore;
use crate::report::{to_js_report, JsReport};

#[wasm_bindgen(typescript_custom_section)]
const TS_POLICY: &str = r#"
/** What a TLS connection negotiated, as the TLS stack reports it. */
export interface Negotiation {
  /** TLS in use (default true). */
  encrypted?: boolean;
  /** "TLSv1.3", "TLSv1.2", "TLS 1.2", … */
  tlsVersion?: string;
  /** IANA, OpenSSL or rustls suite name. */
  cipherSuite?: string;
  /** Key exchange group, e.g. "X25519". */
  kxGroup?: string;
  resumed?: boolean;
  /** How the peer was authenticated; absent: not at all. */
  authentication?: "pkix" | "dane" | "posh" | "pinned" | "dialback";
  /** The peer's chain, DER, end entity first. */
  peerChain?: Uint8Array[];
}

/** Policy presets. */
export type PolicyPreset = "strict" | "tls13-only" | "opportunistic-s2s" | "xtls";
/** XMPP services (RFC 6120 §13.7.1.2). */
export type Service = "xmpp-client" | "xmpp-server";
"#;

#[wasm_bindgen]
extern "C" {
    /// `Negotiation` in TypeScript.
    #[wasm_bindgen(typescript_type = "Negotiation")]
    pub type JsNegotiation;
    /// `PolicyPreset` in TypeScript.
    #[wasm_bindgen(typescript_type = "PolicyPreset")]
    pub type JsPolicyPreset;
}

/// `"xmpp-client"` or `"xmpp-server"`.
pub(crate) fn service(name: &str) -> Result<Service, JsValue> {
    Service::parse(name).ok_or_else(|| config_error(format!("unknown service {name}")))
}

fn negotiated(n: &JsValue) -> Result<Negotiated, JsValue> {
    let mut out = Negotiated {
        encrypted: bool_field(n, "encrypted")?.unwrap_or(true),
        kx_group: string_field(n, "kxGroup")?,
        resumed: bool_field(n, "resumed")?.unwrap_or(false),
        peer_chain: bytes_list_field(n, "peerChain")?
            .into_iter()
            .map(CertificateDer::from)
            .collect(),
        ..Negotiated::default()
    };
    if let Some(v) = string_field(n, "tlsVersion")? {
        out.version = Some(
            TlsVersion::parse(&v)
                .ok_or_else(|| config_error(format!("unknown TLS version {v}")))?,
        );
    }
    if let Some(s) = string_field(n, "cipherSuite")? {
        out.set_suite_name(&s).map_err(config_error)?;
    }
    out.authentication = match string_field(n, "authentication")?.as_deref() {
        None => None,
        Some("pkix") => Some(AuthMethod::Pkix),
        Some("dane") => Some(AuthMethod::Dane),
        Some("posh") => Some(AuthMethod::Posh),
        Some("pinned") => Some(AuthMethod::Pinned),
        Some("dialback") => Some(AuthMethod::Dialback),
        Some(a) => return Err(config_error(format!("unknown authentication {a}"))),
    };
    Ok(out)
}

/// What a connection must look like: a preset, with knobs.
#[wasm_bindgen]
pub struct Policy {
    inner: CorePolicy,
}

#[wasm_bindgen]
impl Policy {
    /// A policy from a preset (default "strict").
    #[wasm_bindgen(constructor)]
    pub fn new(preset: Option<JsPolicyPreset>) -> Result<Policy, JsValue> {
        let name = preset.and_then(|p| JsValue::from(p).as_string());
        let inner = match name.as_deref().unwrap_or("strict") {
            "strict" => CorePolicy::strict(),
            "tls13-only" => CorePolicy::tls13_only(),
            "opportunistic-s2s" => CorePolicy::opportunistic_s2s(),
            "xtls" => CorePolicy::xtls(),
            other => return Err(config_error(format!("unknown policy preset {other}"))),
        };
        Ok(Policy { inner })
    }

    /// The name reports carry.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The oldest acceptable version ("TLSv1.2", "TLSv1.3").
    #[wasm_bindgen(js_name = setMinVersion)]
    pub fn set_min_version(&mut self, version: &str) -> Result<(), JsValue> {
        self.inner.min_version = TlsVersion::parse(version)
            .ok_or_else(|| config_error(format!("unknown TLS version {version}")))?;
        Ok(())
    }

    /// Whether unauthenticated peers fail.
    #[wasm_bindgen(js_name = setRequireAuthentication)]
    pub fn set_require_authentication(&mut self, required: bool) {
        self.inner.require_authentication = required;
    }

    /// Grades what a connection to `peer` negotiated.
    pub fn evaluate(&self, peer: &str, negotiation: JsNegotiation) -> Result<JsReport, JsValue> {
        let n = negotiated(&negotiation.into())?;
        let r = xmpptls::ConnectionReport::new(peer, &self.inner, n, None, None);
        Ok(to_js_report(&r))
    }

    /// The server check: the certificate in `negotiation.peerChain` must
    /// name `domain` for `service` (DNS-ID, SRV-ID or XmppAddr; RFC 6125,
    /// RFC 6120 §13.7.1.2); the key is compared with `pins` and pinned on
    /// first use (pass a fresh `PinStore` to keep none); everything is
    /// graded by this policy.
    #[wasm_bindgen(js_name = checkServer)]
    pub fn check_server(
        &self,
        domain: &str,
        #[wasm_bindgen(js_name = "service", unchecked_param_type = "Service")] service_name: &str,
        negotiation: JsNegotiation,
        pins: &PinStore,
    ) -> Result<JsReport, JsValue> {
        let n = negotiated(&negotiation.into())?;
        let service = service(service_name)?;
        let mut store = pins.inner.borrow_mut();
        let report =
            xmpptls::server_check::check_server(domain, service, &self.inner, n, Some(&mut *store))
                .map_err(core_error)?;
        Ok(to_js_report(&report))
    }
}
