//! The XTLS endpoint for JavaScript: stanzas in as strings, stanzas and
//! event objects out, time from `Date`.

use js_sys::JsString;
use wasm_bindgen::prelude::*;
use xmpptls::api::{
    EndpointSettings, IdentityPem, LimitSettings, Named, ToJson, TunnelEvent, TunnelSummary,
};
use xmpptls::{Incoming, UnixTime};

use crate::error::{core_error, parse_jid};
use crate::js::{
    field, field_value, keys, object, snake_case, string_field, to_js, utf8, whole_number,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_ENDPOINT: &str = r#"
/** Settings of `new Endpoint(jid, settings)` (the same fields as C's
 * `xmpptls_endpoint_config` and uniffi's `EndpointSettings`). */
export interface EndpointSettings {
  /** How peers are trusted (default "trust-on-first-use"): the hash in the
   * peer's XEP-0250 offer, trust on first use, PKIX to `rootsPem` (bare JID
   * as XmppAddr), or only pinned keys (`pinsJson` or `usePinStore`). */
  trust?: TrustMode;
  /** Our certificate chain and key (PEM); default: a fresh self-signed one.
   * Keep one from `generateIdentity` to stay recognisable to peers. */
  identity?: IdentityPem;
  /** Root certificates (PEM) for trust "pkix". */
  rootsPem?: string;
  /** Pins to start from, as `PinStore.toJSON()` writes them (trust
   * "trust-on-first-use" and "pinned"), kept in memory by this endpoint.
   * To keep first-use pins, give the endpoint a store instead
   * (`usePinStore`). */
  pinsJson?: string;
  /**
   * TLS versions: the package speaks TLS 1.3 only (XTLS peers are all
   * libxmpptls, which speaks 1.3; leaving 1.2 out keeps the package small).
   * "tls12-and-13" (the default) therefore means 1.3; "tls12-only" throws
   * XmppTlsError code 500.
   */
  versions?: TlsVersions;
  /**
   * Post-quantum key exchange (default "post-quantum"): offer the hybrid
   * X25519MLKEM768 first and accept a classical peer; "post-quantum-required"
   * refuses a peer that cannot; "classical" offers X25519 and the NIST curves
   * only. The negotiated group is `info.kxGroup`.
   */
  keyExchange?: KeyExchange;
  /** Announce our certificate hash in XEP-0250 offers (default true). */
  sendOffer?: boolean;
  /** Write our JID as `from` on the IQs we send (default true). Over WebSocket the server
   * stamps `from` (RFC 6120 §8.1.2.1): false sends fewer octets. */
  sendFrom?: boolean;
  /** Offer and accept data in IQ results (default true): with a peer that
   * offers it too, two stanzas per request/response instead of four. */
  piggyback?: boolean;
  /** Accept incoming tunnels (default true). */
  enabled?: boolean;
  /** Limits and deadlines; each one left out keeps its default. An unknown
   * name throws XmppTlsError code 500. */
  limits?: LimitSettings;
}

/** TLS versions of a tunnel (the core's `TlsVersions`). */
export type TlsVersions = "tls12-and-13" | "tls13-only" | "tls12-only";

/** Post-quantum key exchange of a tunnel (the core's `KeyExchange`):
 * X25519MLKEM768 preferred (the default), required, or classical only. */
export type KeyExchange = "post-quantum" | "post-quantum-required" | "classical";

/** Every limit of an endpoint, with the core's names (camelCase here,
 * snake_case in C and in the core) and defaults. Sizes in octets,
 * deadlines in whole seconds. */
export interface LimitSettings {
  /** TLS octets in one data IQ (default 6173: one 6 KiB record). */
  maxDataBytes?: number;
  /** Data IQs in flight per tunnel (default 16). */
  maxInFlight?: number;
  /** Octets small sends wait for while data IQs are in flight (Nagle's
   * algorithm for data IQs; default 2048, 0 sends at once). */
  coalesceBytes?: number;
  /** Plaintext a tunnel holds per direction (default 1048576). */
  maxBufferedBytes?: number;
  /** Largest stanza, in or out of a tunnel (default 131072). */
  maxStanzaBytes?: number;
  /** Tunnels other than half-open ones (default 64). */
  maxTunnels?: number;
  /** Half-open tunnels, oldest evicted when full (default 16). */
  maxHalfOpen?: number;
  /** Half-open tunnels per bare JID (default 2). */
  maxHalfOpenPerPeer?: number;
  /** TLS octets in flight before the path is known, and the window's
   * floor (default 16413). */
  initialWindowBytes?: number;
  /** Ended tunnels remembered to recognise resent stanzas (default 64). */
  rememberedTunnels?: number;
  /** TLS sessions kept for resumption (default 256). */
  resumptionSessions?: number;
  /** Seconds a start waits for proceed (default 30). */
  startTimeoutSecs?: number;
  /** Seconds a handshake may go without progress (default 30). */
  handshakeTimeoutSecs?: number;
  /** Seconds a peer's start waits for its ClientHello (default 10). */
  halfOpenTimeoutSecs?: number;
  /** Seconds data may be in flight with no acknowledgement at all
   * (default 30); each acknowledgement extends it. */
  ackTimeoutSecs?: number;
  /** Seconds a close waits for its answer (default 10). */
  closeTimeoutSecs?: number;
}

/** How peers' certificates are trusted. */
export type TrustMode = "offer" | "trust-on-first-use" | "pkix" | "pinned";

/** A certificate chain (leaf first) and private key, PEM, and the key's
 * pin (hex SHA-256 of the SubjectPublicKeyInfo; ignored when passed in). */
export interface IdentityPem { chainPem: string; keyPem: string; pin?: string; }

/** What a tunnel negotiated; `report` is the RFC 7590 §3.6 report. */
export interface TunnelInfo {
  role: "initiator" | "responder";
  tlsVersion: string;
  cipherSuite: string;
  kxGroup: string;
  resumed: boolean;
  peerAuth: string;
  authentication: AuthMethod;
  firstUse: boolean;
  peerCertificateSha256: string;
  peerSpkiSha256: string;
  offerVerified: boolean;
  report: Report;
}

/** The life of a tunnel. */
export type TunnelState = "starting" | "handshaking" | "established" | "closing";

/** What an endpoint reports (`pollEvent`). */
export type TunnelEvent =
  | { type: "established"; peer: string; info: TunnelInfo }
  | { type: "stanza"; peer: string; stanza: string }
  | { type: "stanza-rejected"; peer: string; code: number; detail: string }
  | { type: "closed"; peer: string; reason: CloseReason;
      /** What a "timeout" waited for. */
      waited?: "proceed" | "handshake" | "ack" | "closed";
      /** For "error": the XmppTlsError code and what happened. */
      code?: number; detail?: string;
      /** Stanzas sent through the tunnel that the peer did not acknowledge,
       * oldest first: handed back, never dropped. */
      returned: ReturnedStanza[] };

/** Why a tunnel ended. */
export type CloseReason =
  "local" | "peer" | "peer-unavailable" | "peer-restarted" | "timeout" | "error";

/** A stanza a closed tunnel hands back. `maybeDelivered`: it left in a data
 * IQ whose acknowledgement never came, so the peer may have it. */
export interface ReturnedStanza { stanza: string; maybeDelivered: boolean; }
"#;

#[wasm_bindgen]
extern "C" {
    /// `EndpointSettings` in TypeScript.
    #[wasm_bindgen(typescript_type = "EndpointSettings")]
    pub type JsEndpointSettings;
    /// `TunnelEvent | undefined` in TypeScript.
    #[wasm_bindgen(typescript_type = "TunnelEvent | undefined")]
    pub type MaybeTunnelEvent;
    /// `TunnelInfo | undefined` in TypeScript.
    #[wasm_bindgen(typescript_type = "TunnelInfo | undefined")]
    pub type MaybeTunnelInfo;
}

/// An XTLS endpoint (ProtoXEP `urn:xmpp:tmp:xtls`) for one full JID: feed
/// it every stanza the XMPP connection receives (`handleIncoming`), write
/// what `pollTransmit` returns to the connection, act on `pollEvent`.
#[wasm_bindgen]
pub struct Endpoint {
    inner: xmpptls::Endpoint,
}

/// The `limits` object: each key's camelCase name is the core's name in
/// snake_case (`ackTimeoutSecs` is `ack_timeout_secs`); an unknown one is
/// the core's typed error.
fn limits(obj: &JsValue) -> Result<LimitSettings, JsValue> {
    let mut l = LimitSettings::default();
    if !obj.is_object() {
        return Err(crate::error::config_error("limits must be an object"));
    }
    for key in keys(obj) {
        let value = whole_number(obj, &key)?;
        l.set(&snake_case(&key), value).map_err(core_error)?;
    }
    Ok(l)
}

/// The options' camelCase names, for the error an unknown one gets.
fn option_names() -> String {
    let camel: Vec<String> = EndpointSettings::FIELDS
        .iter()
        .filter(|f| **f != "jid")
        .map(|f| {
            let mut out = String::new();
            let mut upper = false;
            for c in f.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect();
    camel.join(", ")
}

fn now() -> UnixTime {
    UnixTime::now()
}

#[wasm_bindgen]
impl Endpoint {
    /// An endpoint for the full JID `jid`.
    #[wasm_bindgen(constructor)]
    pub fn new(jid: &str, options: Option<JsEndpointSettings>) -> Result<Endpoint, JsValue> {
        let o: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        // Every option is a field of the core's settings (the JID is the
        // first argument): a misspelt one is an error, not a default.
        let mut settings = EndpointSettings::new(jid);
        for key in keys(&o) {
            let name = snake_case(&key);
            if name == "jid" || !EndpointSettings::FIELDS.contains(&name.as_str()) {
                return Err(crate::error::config_error(format!(
                    "unknown option \"{key}\": the options are {}",
                    option_names()
                )));
            }
            // Left out (undefined, null): the core's default.
            let Some(v) = field(&o, &key) else { continue };
            match name.as_str() {
                "identity" => {
                    settings.identity = Some(IdentityPem {
                        chain_pem: string_field(&v, "chainPem")?.unwrap_or_default(),
                        key_pem: string_field(&v, "keyPem")?.unwrap_or_default(),
                        pin: String::new(),
                    })
                }
                "limits" => settings.limits = Some(limits(&v)?),
                _ => settings
                    .set(&name, field_value(v, &key)?)
                    .map_err(core_error)?,
            }
        }
        Ok(Endpoint {
            inner: settings.build().map_err(core_error)?,
        })
    }

    /// Our full JID.
    #[wasm_bindgen(getter)]
    pub fn jid(&self) -> String {
        self.inner.local_jid().to_string()
    }

    /// Our public key's pin (hex SHA-256 of the SubjectPublicKeyInfo).
    #[wasm_bindgen(getter, js_name = localPin)]
    pub fn local_pin(&self) -> String {
        self.inner.local_pin().to_owned()
    }

    /// Processes one received stanza. `true` when it was XTLS (consumed);
    /// `false` when the XMPP library should process it as usual. Throws
    /// `XmppTlsError` for bad input (the tunnel, if any, is then closed).
    #[wasm_bindgen(js_name = handleIncoming)]
    pub fn handle_incoming(&mut self, stanza: &JsString) -> Result<bool, JsValue> {
        let got = self
            .inner
            .handle_incoming(&utf8(stanza), now())
            .map_err(core_error)?;
        Ok(got == Incoming::Handled)
    }

    /// Opens a tunnel to the full JID `peer`; stanzas may be sent at once.
    #[wasm_bindgen(js_name = openTunnel)]
    pub fn open_tunnel(&mut self, peer: &str) -> Result<(), JsValue> {
        let peer = parse_jid(peer)?;
        self.inner.open(&peer, now()).map_err(core_error)
    }

    /// Sends a stanza (XML text) through the tunnel to `peer`. Taken whole
    /// or refused (throws) with nothing changed; if the tunnel ends before
    /// the peer acknowledges it, the "closed" event hands it back.
    pub fn send(&mut self, peer: &str, stanza: &JsString) -> Result<(), JsValue> {
        let peer = parse_jid(peer)?;
        self.inner
            .send(&peer, &utf8(stanza), now())
            .map_err(core_error)
    }

    /// Closes the tunnel to `peer` (XTLS §4.5).
    #[wasm_bindgen(js_name = closeTunnel)]
    pub fn close_tunnel(&mut self, peer: &str) -> Result<(), JsValue> {
        let peer = parse_jid(peer)?;
        self.inner.close(&peer, now()).map_err(core_error)
    }

    /// When `handleTimeout` must next be called, in milliseconds since the
    /// epoch (like `Date.now()`; whole seconds), or `undefined` when no
    /// tunnel waits for an answer. Ask again after every call.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.inner
            .poll_timeout()
            .map(|t| t.as_secs() as f64 * 1000.0)
    }

    /// Closes every tunnel whose deadline has passed ("closed" events with
    /// reason "timeout", handing back what the peer did not acknowledge).
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self) {
        self.inner.handle_timeout(now());
    }

    /// After handling what arrived and draining `pollTransmit`: true when
    /// XTLS stanzas were handled and nothing was sent in answer. A host on a
    /// TCP stream then writes one space (a whitespace keepalive, RFC 6120
    /// §4.6.1), so a server with Nagle's algorithm on does not hold its
    /// next write for the client's delayed ACK (~40 ms).
    #[wasm_bindgen(js_name = pollKeepalive)]
    pub fn poll_keepalive(&mut self) -> bool {
        self.inner.poll_keepalive()
    }

    /// Tears down tunnels with `jid` (unavailable presence; a bare JID
    /// covers every resource).
    #[wasm_bindgen(js_name = peerUnavailable)]
    pub fn peer_unavailable(&mut self, jid: &str) -> Result<(), JsValue> {
        let peer = parse_jid(jid)?;
        self.inner.peer_unavailable(&peer);
        Ok(())
    }

    /// Everything to write to the XMPP connection now, as one string: the
    /// stanzas `pollTransmit` has, then one space when `pollKeepalive`
    /// asks for one; `undefined` when there is nothing. The one call a host
    /// makes after each read, send and timeout (`xmpp.write(s)`).
    #[wasm_bindgen(js_name = pollWrite)]
    pub fn poll_write(&mut self) -> Option<String> {
        self.inner.poll_write_at(now())
    }

    /// Accepts starts only from JIDs listed with `allowStartsFrom` (true),
    /// or from anyone (false, the default). Others get
    /// `service-unavailable` and take no tunnel slot.
    #[wasm_bindgen(js_name = restrictStarts)]
    pub fn restrict_starts(&mut self, restricted: bool) {
        self.inner.restrict_starts(restricted);
    }

    /// Lists a JID's bare form, or a whole domain, as one that may start
    /// tunnels while starts are restricted (e.g. the roster's contacts).
    #[wasm_bindgen(js_name = allowStartsFrom)]
    pub fn allow_starts_from(&mut self, jid: &str) -> Result<(), JsValue> {
        let j = parse_jid(jid)?;
        self.inner.allow_starts_from(&j);
        Ok(())
    }

    /// Takes a JID (bare form) or domain off that list; false when it was
    /// not listed.
    #[wasm_bindgen(js_name = revokeStartsFrom)]
    pub fn revoke_starts_from(&mut self, jid: &str) -> Result<bool, JsValue> {
        let j = parse_jid(jid)?;
        Ok(self.inner.revoke_starts_from(&j))
    }

    /// Half-open tunnels: peers' starts whose handshake is not complete.
    #[wasm_bindgen(getter, js_name = halfOpenCount)]
    pub fn half_open_count(&self) -> usize {
        self.inner.half_open_count()
    }

    /// TLS octets a second the tunnel with `peer` has seen its path
    /// deliver (a lower bound from acknowledgements; 0 before the first),
    /// or `undefined` without a tunnel. The window and deadlines follow it.
    #[wasm_bindgen(js_name = pathRate)]
    pub fn path_rate(&self, peer: &str) -> Result<Option<f64>, JsValue> {
        let p = parse_jid(peer)?;
        Ok(self.inner.path_rate(&p).map(|r| r as f64))
    }

    /// The next stanza to write to the XMPP connection.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self) -> Option<String> {
        self.inner.poll_transmit_at(now())
    }

    /// The next event.
    #[wasm_bindgen(js_name = pollEvent)]
    pub fn poll_event(&mut self) -> MaybeTunnelEvent {
        match self.inner.poll_event().map(TunnelEvent::from) {
            // The common event without a JSON detour.
            Some(TunnelEvent::Stanza { peer, stanza }) => object(&[
                ("type", xmpptls::api::EventKind::Stanza.name()),
                ("peer", &peer),
                ("stanza", &stanza),
            ])
            .unchecked_into(),
            Some(e) => to_js(&e.to_json_value()).unchecked_into(),
            None => JsValue::UNDEFINED.unchecked_into(),
        }
    }

    /// The state of the tunnel with `peer`: "starting", "handshaking",
    /// "established", "closing", or `undefined`.
    #[wasm_bindgen(js_name = tunnelState, unchecked_return_type = "TunnelState | undefined")]
    pub fn tunnel_state(&self, peer: &str) -> Result<Option<String>, JsValue> {
        let peer = parse_jid(peer)?;
        Ok(self.inner.tunnel_state(&peer).map(|s| s.name().to_owned()))
    }

    /// What the tunnel with `peer` negotiated, once established.
    #[wasm_bindgen(js_name = tunnelInfo)]
    pub fn tunnel_info(&self, peer: &str) -> Result<MaybeTunnelInfo, JsValue> {
        let peer = parse_jid(peer)?;
        Ok(match self.inner.tunnel_info(&peer) {
            Some(i) => to_js(&TunnelSummary::from(&i).to_json_value()).unchecked_into(),
            None => JsValue::UNDEFINED.unchecked_into(),
        })
    }

    /// The number of tunnels in any state.
    #[wasm_bindgen(getter, js_name = tunnelCount)]
    pub fn tunnel_count(&self) -> usize {
        self.inner.tunnel_count()
    }

    /// Accepts or refuses (`service-unavailable`) incoming tunnels.
    #[wasm_bindgen(js_name = setEnabled)]
    pub fn set_enabled(&mut self, enabled: bool) {
        self.inner.set_enabled(enabled);
    }

    /// Keeps this endpoint's pins in `store`, shared with the server check
    /// and the app (`PinStore.withStorage` for the app's own storage): the
    /// pinned and trust-on-first-use modes read a peer's pins from it and
    /// pin a first key into it. An endpoint made with `pinsJson` is refused
    /// (code 500): pins come from one place.
    #[wasm_bindgen(js_name = usePinStore)]
    pub fn use_pin_store(&mut self, store: &crate::pins::PinStore) -> Result<(), JsValue> {
        self.inner
            .share_pins(store.shared.clone())
            .map_err(core_error)
    }
}
