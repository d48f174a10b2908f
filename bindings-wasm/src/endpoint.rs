//! The XTLS endpoint for JavaScript: stanzas in as strings, stanzas and
//! event objects out, time from `Date`.

use js_sys::JsString;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use xmpptls::identity::certificates_from_pem;
use xmpptls::{
    CloseReason, EndpointConfig, Event, Identity, Incoming, PinStore, Role, TlsVersions, TrustMode,
    TunnelInfo, TunnelState, UnixTime,
};

use crate::error::{config_error, core_error, parse_jid};
use crate::js::{bool_field, field, object, string_field, to_js, utf8};

#[wasm_bindgen(typescript_custom_section)]
const TS_ENDPOINT: &str = r#"
/** Options of `new Endpoint(jid, options)`. */
export interface EndpointOptions {
  /** How peers are trusted (default "tofu"): the hash in the peer's XEP-0250
   * offer, trust on first use, PKIX to `rootsPem` (bare JID as XmppAddr), or
   * only keys in `pinsJson`. */
  trust?: "offer" | "tofu" | "pkix" | "pinned";
  /** Our certificate chain and key (PEM); default: a fresh self-signed one.
   * Keep one from `generateIdentity` to stay recognisable to peers. */
  identity?: IdentityPem;
  /** Root certificates (PEM) for trust "pkix". */
  rootsPem?: string;
  /** Pins saved earlier with `pinsJson()` (trust "tofu" and "pinned"). */
  pinsJson?: string;
  /**
   * TLS versions: the package speaks TLS 1.3 only (XTLS peers are all
   * libxmpptls, which speaks 1.3; leaving 1.2 out keeps the package small).
   * "1.2+1.3" (the default) therefore means 1.3; "1.2" throws XmppTlsError
   * code 500.
   */
  versions?: "1.2+1.3" | "1.3" | "1.2";
  /** Announce our certificate hash in XEP-0250 offers (default true). */
  sendOffer?: boolean;
  /** Accept incoming tunnels (default true). */
  enabled?: boolean;
}

/** A certificate chain (leaf first) and private key, PEM. */
export interface IdentityPem { chainPem: string; keyPem: string; }

/** What a tunnel negotiated; `report` is the RFC 7590 §3.6 report. */
export interface TunnelInfo {
  role: "initiator" | "responder";
  tlsVersion: string;
  cipherSuite: string;
  kxGroup: string;
  resumed: boolean;
  peerAuth: string;
  authentication: string;
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
  | { type: "stanza-rejected"; peer: string; code: number; message: string }
  | { type: "closed"; peer: string; reason: CloseReason;
      /** What a "timeout" waited for. */
      waited?: "proceed" | "handshake" | "ack" | "closed";
      /** For "error": the XmppTlsError code and message. */
      code?: number; message?: string;
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
    /// `EndpointOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "EndpointOptions")]
    pub type EndpointOptions;
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
    local_pin: String,
}

fn now() -> UnixTime {
    UnixTime::now()
}

fn trust_of(options: &JsValue) -> Result<TrustMode, JsValue> {
    let pins = match string_field(options, "pinsJson")? {
        Some(j) => PinStore::from_json(&j).map_err(config_error)?,
        None => PinStore::new(),
    };
    Ok(
        match string_field(options, "trust")?.as_deref().unwrap_or("tofu") {
            "offer" => TrustMode::Offer,
            "tofu" => TrustMode::TrustOnFirstUse(pins),
            "pinned" => TrustMode::Pinned(pins),
            "pkix" => {
                let pem = string_field(options, "rootsPem")?.unwrap_or_default();
                TrustMode::Pkix(certificates_from_pem(pem.as_bytes()).map_err(core_error)?)
            }
            other => return Err(config_error(format!("unknown trust mode {other}"))),
        },
    )
}

fn info_json(i: &TunnelInfo) -> Value {
    json!({
        "role": match i.role { Role::Initiator => "initiator", Role::Responder => "responder" },
        "tlsVersion": i.tls_version,
        "cipherSuite": i.cipher_suite,
        "kxGroup": i.kx_group,
        "resumed": i.resumed,
        "peerAuth": i.peer_auth.to_string(),
        "authentication": i.peer_auth.method().as_str(),
        "firstUse": matches!(i.peer_auth, xmpptls::PeerAuth::TrustOnFirstUse { first_use: true }),
        "peerCertificateSha256": i.peer_certificate_sha256,
        "peerSpkiSha256": i.peer_spki_sha256,
        "offerVerified": i.offer_verified,
        "report": crate::report::report_json(&i.report),
    })
}

fn event_json(e: Event) -> Option<Value> {
    Some(match e {
        Event::Established { peer, info } => {
            json!({"type": "established", "peer": peer.to_string(), "info": info_json(&info)})
        }
        Event::Stanza { peer, stanza } => {
            json!({"type": "stanza", "peer": peer.to_string(), "stanza": stanza})
        }
        Event::StanzaRejected { peer, error } => json!({
            "type": "stanza-rejected", "peer": peer.to_string(),
            "code": error.code(), "message": error.to_string(),
        }),
        Event::Closed {
            peer,
            reason,
            returned,
        } => {
            let returned: Vec<Value> = returned
                .iter()
                .map(|r| json!({"stanza": r.stanza, "maybeDelivered": r.maybe_delivered}))
                .collect();
            let mut v = json!({"type": "closed", "peer": peer.to_string(), "returned": returned});
            v["reason"] = json!(match &reason {
                CloseReason::Local => "local",
                CloseReason::Peer => "peer",
                CloseReason::PeerUnavailable => "peer-unavailable",
                CloseReason::PeerRestarted => "peer-restarted",
                CloseReason::Timeout(_) => "timeout",
                _ => "error",
            });
            match reason {
                CloseReason::Timeout(w) => v["waited"] = json!(w.as_str()),
                CloseReason::Error(e) => {
                    v["code"] = json!(e.code());
                    v["message"] = json!(e.to_string());
                }
                _ => {}
            }
            v
        }
        _ => return None,
    })
}

#[wasm_bindgen]
impl Endpoint {
    /// An endpoint for the full JID `jid`.
    #[wasm_bindgen(constructor)]
    pub fn new(jid: &str, options: Option<EndpointOptions>) -> Result<Endpoint, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let me = parse_jid(jid)?;
        let identity = match field(&options, "identity") {
            Some(id) => {
                let chain = string_field(&id, "chainPem")?.unwrap_or_default();
                let key = string_field(&id, "keyPem")?.unwrap_or_default();
                Identity::from_pem(chain.as_bytes(), key.as_bytes()).map_err(core_error)?
            }
            None => Identity::self_signed(&me).map_err(core_error)?,
        };
        let local_pin = identity.spki_fingerprint().map_err(core_error)?;
        let mut config = EndpointConfig::new(me, identity, trust_of(&options)?);
        config.versions = match string_field(&options, "versions")?.as_deref() {
            None | Some("1.2+1.3") => TlsVersions::Tls12And13,
            Some("1.3") => TlsVersions::Tls13Only,
            Some("1.2") => TlsVersions::Tls12Only,
            Some(v) => return Err(config_error(format!("unknown versions {v}"))),
        };
        config.send_offer = bool_field(&options, "sendOffer")?.unwrap_or(true);
        config.enabled = bool_field(&options, "enabled")?.unwrap_or(true);
        Ok(Endpoint {
            inner: xmpptls::Endpoint::new(config).map_err(core_error)?,
            local_pin,
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
        self.local_pin.clone()
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
    pub fn open(&mut self, peer: &str) -> Result<(), JsValue> {
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
    pub fn close(&mut self, peer: &str) -> Result<(), JsValue> {
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

    /// The next stanza to write to the XMPP connection.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self) -> Option<String> {
        self.inner.poll_transmit()
    }

    /// The next event.
    #[wasm_bindgen(js_name = pollEvent)]
    pub fn poll_event(&mut self) -> MaybeTunnelEvent {
        while let Some(e) = self.inner.poll_event() {
            if let Event::Stanza { peer, stanza } = &e {
                let peer = peer.to_string();
                return object(&[("type", "stanza"), ("peer", &peer), ("stanza", stanza)])
                    .unchecked_into();
            }
            if let Some(v) = event_json(e) {
                return to_js(&v).unchecked_into();
            }
        }
        JsValue::UNDEFINED.unchecked_into()
    }

    /// The state of the tunnel with `peer`: "starting", "handshaking",
    /// "established", "closing", or `undefined`.
    #[wasm_bindgen(js_name = tunnelState, unchecked_return_type = "TunnelState | undefined")]
    pub fn tunnel_state(&self, peer: &str) -> Result<Option<String>, JsValue> {
        let peer = parse_jid(peer)?;
        Ok(self.inner.tunnel_state(&peer).map(|s| {
            match s {
                TunnelState::Starting => "starting",
                TunnelState::Handshaking => "handshaking",
                TunnelState::Established => "established",
                TunnelState::Closing => "closing",
            }
            .to_owned()
        }))
    }

    /// What the tunnel with `peer` negotiated, once established.
    #[wasm_bindgen(js_name = tunnelInfo)]
    pub fn tunnel_info(&self, peer: &str) -> Result<MaybeTunnelInfo, JsValue> {
        let peer = parse_jid(peer)?;
        Ok(match self.inner.tunnel_info(&peer) {
            Some(i) => to_js(&info_json(i)).unchecked_into(),
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

    /// The pins as JSON, to save after a first use (an `established`
    /// event with `info.firstUse`) and pass back as `pinsJson`.
    #[wasm_bindgen(js_name = pinsJson)]
    pub fn pins_json(&self) -> String {
        self.inner.pins().to_json()
    }

    /// Forgets the pin of a bare JID (after the user accepted a new key).
    #[wasm_bindgen(js_name = forgetPin)]
    pub fn forget_pin(&mut self, #[wasm_bindgen(js_name = "bareJid")] bare_jid: &str) -> bool {
        self.inner.pins_mut().remove(bare_jid)
    }
}
