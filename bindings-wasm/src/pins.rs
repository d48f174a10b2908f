//! Pins for server checks, kept in memory and saved by the app as JSON
//! (`localStorage`, IndexedDB): RFC 7590 §3.6, notice a changed key.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use xmpptls::api::ToJson;

use crate::error::core_error;
use crate::js::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_PINS: &str = r#"
/** What the pins say about a key. */
export type PinStatus =
  | { status: "new" }
  | { status: "match" }
  | { status: "changed"; old: string; new: string };
"#;

#[wasm_bindgen]
extern "C" {
    /// `PinStatus` in TypeScript.
    #[wasm_bindgen(typescript_type = "PinStatus")]
    pub type JsPinStatus;
}

/// Public-key pins (hex SHA-256 of a SubjectPublicKeyInfo) per key: a bare
/// JID, or `xmpp-client:<domain>` / `xmpp-server:<domain>` for servers.
#[wasm_bindgen]
pub struct PinStore {
    pub(crate) inner: RefCell<xmpptls::PinStore>,
}

pub(crate) fn status_js(s: &xmpptls::PinStatus) -> JsPinStatus {
    to_js(&s.to_json_value()).unchecked_into()
}

impl Default for PinStore {
    fn default() -> Self {
        PinStore::new()
    }
}

#[wasm_bindgen]
impl PinStore {
    /// An empty store.
    #[wasm_bindgen(constructor)]
    pub fn new() -> PinStore {
        PinStore {
            inner: RefCell::new(xmpptls::PinStore::new()),
        }
    }

    /// A store from the JSON `toJSON()` wrote.
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(json: &str) -> Result<PinStore, JsValue> {
        Ok(PinStore {
            inner: RefCell::new(xmpptls::PinStore::from_json(json).map_err(core_error)?),
        })
    }

    /// The store as JSON text (versioned, README).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.inner.borrow().to_json()
    }

    /// The pins of `key`.
    pub fn pins(&self, key: &str) -> Vec<String> {
        self.inner.borrow().get(key).to_vec()
    }

    /// Adds a pin (a key the user confirmed).
    pub fn add(&self, key: &str, #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str) {
        self.inner.borrow_mut().add(key, spki_sha256);
    }

    /// Forgets the pins of `key` (after the user accepted a changed key).
    pub fn remove(&self, key: &str) -> bool {
        self.inner.borrow_mut().remove(key)
    }

    /// What the pins of `key` say about `spkiSha256`, changing nothing.
    pub fn check(
        &self,
        key: &str,
        #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str,
    ) -> JsPinStatus {
        status_js(&self.inner.borrow().check(key, spki_sha256))
    }

    /// Trust on first use: like `check`, and pins a first key.
    #[wasm_bindgen(js_name = checkAndPin)]
    pub fn check_and_pin(
        &self,
        key: &str,
        #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str,
    ) -> JsPinStatus {
        let mut store = self.inner.borrow_mut();
        status_js(&xmpptls::pins::check_and_pin(&mut *store, key, spki_sha256))
    }
}

/// The pin key of a server: `xmpp-client:<domain>` or `xmpp-server:<domain>`.
#[wasm_bindgen(js_name = serverPinKey)]
pub fn server_pin_key(
    domain: &str,
    #[wasm_bindgen(unchecked_param_type = "Service")] service: &str,
) -> Result<String, JsValue> {
    Ok(xmpptls::PinStore::service_key(
        domain,
        crate::js::service(service)?,
    ))
}
