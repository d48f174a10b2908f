//! Grading TLS connections from JavaScript: policy presets (RFC 7590,
//! RFC 7525), `evaluate`, and the server check (XMPP identity, pins, grade)
//! for facts the app got elsewhere.

use wasm_bindgen::prelude::*;
use xmpptls::api::{Named, Negotiation, PolicyPreset};
use xmpptls::policy::{suites, AuthMethod, Policy as CorePolicy, TlsVersion};

use crate::error::core_error;
use crate::js::{field_value, keys, service, snake_case};
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
  /** Key exchange size in bits (DH modulus or curve): weak DH below 2048, weak ECDH below 224. */
  kxBits?: number;
  /** The peer's key algorithm ("RSA", "ECDSA", …); absent: read from `peerChain`. */
  peerKeyType?: string;
  /** The peer's key size in bits, graded with `peerKeyType`; absent: read from `peerChain`. */
  peerKeyBits?: number;
  /** TLS compression was negotiated. */
  compression?: boolean;
  resumed?: boolean;
  /** Resumption used a session ticket (RFC 5077). */
  ticket?: boolean;
  /** Extended master secret (RFC 7627); absent: not reported. */
  extendedMasterSecret?: boolean;
  /** How the peer was authenticated; absent: not at all. */
  authentication?: AuthMethod;
  /** The peer's chain, DER, end entity first. */
  peerChain?: Uint8Array[];
  /** The TLS extension's SCT list as sent (RFC 6962 §3.3); needs `Policy.setCtLogList`. */
  sctList?: Uint8Array;
  /** The stapled OCSP response, DER (Node: the `OCSPResponse` event); its SCTs are checked. */
  ocspResponse?: Uint8Array;
  /** When the connection was made, seconds since the Unix epoch: needed once the policy checks CT. */
  time?: number;
}

/** How a peer was authenticated (RFC 7590 §3.4). */
export type AuthMethod = "pkix" | "dane" | "posh" | "pinned" | "dialback" | "offer";
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

fn names(n: &JsValue) -> Result<Negotiation, JsValue> {
    let mut names = Negotiation::default();
    for key in keys(n) {
        // A misspelt key is an error (the core's), not a fact left out of
        // the grade; null and undefined leave the core's default.
        if let Some(v) = crate::js::field(n, &key) {
            names
                .set(&snake_case(&key), field_value(v, &key)?)
                .map_err(core_error)?;
        }
    }
    Ok(names)
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
        let preset =
            PolicyPreset::parse_or_err(name.as_deref().unwrap_or("strict")).map_err(core_error)?;
        Ok(Policy {
            inner: CorePolicy::preset(preset),
        })
    }

    /// The name reports carry.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The oldest acceptable version ("TLSv1.2", "TLSv1.3"; RFC 7525 §3.1.1).
    #[wasm_bindgen(js_name = setMinVersion)]
    pub fn set_min_version(&mut self, version: &str) -> Result<(), JsValue> {
        self.inner.min_version = TlsVersion::parse_or_err(version).map_err(core_error)?;
        Ok(())
    }

    /// Whether unauthenticated peers fail.
    #[wasm_bindgen(js_name = setRequireAuthentication)]
    pub fn set_require_authentication(&mut self, required: bool) {
        self.inner.require_authentication = required;
    }

    /// Whether plaintext streams fail (RFC 7590 §3.1).
    #[wasm_bindgen(js_name = setRequireEncryption)]
    pub fn set_require_encryption(&mut self, required: bool) {
        self.inner.require_encryption = required;
    }

    /// The authentication methods accepted ("pkix", "dane", "posh",
    /// "pinned", "dialback", "offer").
    #[wasm_bindgen(js_name = setAllowedAuth)]
    pub fn set_allowed_auth(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "AuthMethod[]")] methods: Vec<String>,
    ) -> Result<(), JsValue> {
        let methods = methods
            .iter()
            .map(|m| AuthMethod::parse_or_err(m))
            .collect::<Result<Vec<_>, _>>()
            .map_err(core_error)?;
        self.inner.set_allowed_auth(&methods);
        Ok(())
    }

    /// Smallest acceptable keys in bits: RSA/DSA, finite-field DH, elliptic
    /// curve (RFC 7525 §4.5).
    #[wasm_bindgen(js_name = setMinKeyBits)]
    pub fn set_min_key_bits(&mut self, rsa: u32, dh: u32, ec: u32) {
        (
            self.inner.min_rsa_bits,
            self.inner.min_dh_bits,
            self.inner.min_ec_bits,
        ) = (rsa, dh, ec);
    }

    /// Whether a classical-only key exchange fails (finding
    /// `classical-key-exchange` as an error; information by default).
    #[wasm_bindgen(js_name = setRequirePostQuantum)]
    pub fn set_require_post_quantum(&mut self, required: bool) {
        self.inner.require_post_quantum = required;
    }

    /// Accepts a certificate's CN when it has no usable SAN (RFC 6125
    /// §6.4.4; RFC 9525 removed this): used by `checkServer`.
    #[wasm_bindgen(js_name = setCnFallback)]
    pub fn set_cn_fallback(&mut self, allow: bool) {
        self.inner.cn_fallback = allow;
    }

    /// Refuses a suite (IANA, OpenSSL or rustls name) whatever its class.
    #[wasm_bindgen(js_name = denySuite)]
    pub fn deny_suite(&mut self, name: &str) -> Result<(), JsValue> {
        self.inner
            .deny_suite(suites::code_by_any_name(name).map_err(core_error)?);
        Ok(())
    }

    /// Accepts a suite below the minimum class (never a forbidden one).
    #[wasm_bindgen(js_name = allowSuite)]
    pub fn allow_suite(&mut self, name: &str) -> Result<(), JsValue> {
        self.inner
            .allow_suite(suites::code_by_any_name(name).map_err(core_error)?);
        Ok(())
    }

    /// Grades what a connection to `peer` negotiated.
    pub fn evaluate(&self, peer: &str, negotiation: JsNegotiation) -> Result<JsReport, JsValue> {
        let (n, evidence) = names(&negotiation.into())?.parts().map_err(core_error)?;
        let r =
            xmpptls::server_check::evaluate(peer, &self.inner, n, &evidence).map_err(core_error)?;
        Ok(to_js_report(&r))
    }

    /// Checks certificate transparency (RFC 6962) from now on, against this
    /// log list (Google's v3 JSON text): `evaluate` and `checkServer` then
    /// need the negotiation's `time`, and take `sctList` and
    /// `ocspResponse`.
    #[wasm_bindgen(js_name = setCtLogList)]
    pub fn set_ct_log_list(&mut self, json: &str) -> Result<(), JsValue> {
        self.inner.set_ct_log_list_json(json).map_err(core_error)
    }

    /// The server check: the certificate in `negotiation.peerChain` must
    /// name `domain` for `service` (DNS-ID, SRV-ID or XmppAddr; RFC 6125,
    /// RFC 6120 §13.7.1.2); with `pins`, the key is compared with them and
    /// pinned on first use (without, no pin is checked: the report's `pin`
    /// is null); everything is graded by this policy.
    ///
    /// `pins` is optional, as in every runtime, but wasm-bindgen takes no
    /// optional reference to a class (`Option<&PinStore>` does not build,
    /// and a class taken by value is destroyed). So the export takes a
    /// store and `use_pins`, and the package's entry points give
    /// `checkServer(domain, service, negotiation, pins?)` on top
    /// (`optionalPins` in `js/error.js`; typed in `TS_CHECK_SERVER`).
    #[wasm_bindgen(js_name = checkServer, skip_typescript)]
    pub fn check_server(
        &self,
        domain: &str,
        service_name: &str,
        negotiation: JsNegotiation,
        pins: &PinStore,
        use_pins: bool,
    ) -> Result<JsReport, JsValue> {
        let (n, evidence) = names(&negotiation.into())?.parts().map_err(core_error)?;
        let service = service(service_name)?;
        let mut store = pins.shared.clone();
        let report = xmpptls::server_check::check_server(
            domain,
            service,
            &self.inner,
            n,
            &evidence,
            use_pins.then_some(&mut store as &mut dyn xmpptls::PinStorage),
        )
        .map_err(core_error)?;
        Ok(to_js_report(&report))
    }
}

/// `Policy.checkServer` as the package's entry points give it (see
/// [`Policy::check_server`]), merged into the generated class.
#[wasm_bindgen(typescript_custom_section)]
const TS_CHECK_SERVER: &str = r#"
export interface Policy {
  /**
   * The server check: the certificate in `negotiation.peerChain` must name
   * `domain` for `service` (DNS-ID, SRV-ID or XmppAddr; RFC 6125, RFC 6120
   * §13.7.1.2); with `pins`, the key is compared with them and pinned on
   * first use (without, no pin is checked: the report's `pin` is null);
   * everything is graded by this policy.
   */
  checkServer(domain: string, service: Service, negotiation: Negotiation, pins?: PinStore): Report;
}
"#;
