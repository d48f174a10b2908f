//! One pin store for the endpoint and the server check, as in every
//! runtime (the core's `SharedPins`): kept in memory and saved by the app
//! as JSON, or in the app's own storage (`localStorage`, IndexedDB) through
//! an object with `load` and `save`. RFC 7590 §3.6: notice a changed key,
//! also across restarts.

use wasm_bindgen::prelude::*;

use xmpptls::api::ToJson;
use xmpptls::{PinStorage, SharedPins};

use crate::error::{config_error, core_error};
use crate::js::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_PINS: &str = r#"
/** What the pins say about a key. */
export type PinStatus =
  | { status: "new" }
  | { status: "match" }
  | { status: "changed"; old: string; new: string };

/** Where the app keeps pins (`PinStore.withStorage`). Keys are bare JIDs
 * (XTLS peers) or `xmpp-client:<domain>` / `xmpp-server:<domain>`
 * (servers); pins are lowercase hex SHA-256 of a SubjectPublicKeyInfo.
 * Both are called synchronously and must not call the store back; one
 * that throws counts as no pins (`load`) or not saved (`save`), as a C or
 * uniffi storage has no error to give either. */
export interface PinStorage {
  /** The pins of `key`, empty when none. */
  load(key: string): string[];
  /** Replaces the pins of `key` (none: forget it). */
  save(key: string, pins: string[]): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PinStatus` in TypeScript.
    #[wasm_bindgen(typescript_type = "PinStatus")]
    pub type JsPinStatus;
}

#[wasm_bindgen(module = "/js/pin_storage.js")]
extern "C" {
    /// Keeps the app's storage object; its slot.
    #[wasm_bindgen(js_name = pinStorageAdd)]
    fn storage_add(storage: JsValue) -> u32;
    /// `load(key)`, the pins joined by commas.
    #[wasm_bindgen(js_name = pinStorageLoad)]
    fn storage_load(slot: u32, key: &str) -> String;
    /// `save(key, pins)`, the pins joined by commas.
    #[wasm_bindgen(js_name = pinStorageSave)]
    fn storage_save(slot: u32, key: &str, pins: &str);
    /// Lets the storage object go.
    #[wasm_bindgen(js_name = pinStorageFree)]
    fn storage_free(slot: u32);
}

/// The app's storage object, by its slot in `js/pin_storage.js` (a JS
/// object cannot be sent between threads; the core's store takes storage
/// that can). Freed with the store.
struct Slot(u32);

impl Drop for Slot {
    fn drop(&mut self) {
        storage_free(self.0);
    }
}

impl PinStorage for Slot {
    fn pins(&self, key: &str) -> Vec<String> {
        let joined = storage_load(self.0, key);
        let mut pins = Vec::new();
        for pin in joined.split(',') {
            if !pin.is_empty() {
                pins.push(pin.to_owned());
            }
        }
        pins
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        storage_save(self.0, key, &pins.join(","));
    }
}

/// Public-key pins (hex SHA-256 of a SubjectPublicKeyInfo) per key: a bare
/// JID, or `xmpp-client:<domain>` / `xmpp-server:<domain>` for servers. One
/// store serves endpoints (`Endpoint.usePinStore`) and the server check.
// The methods use the shared store as storage (`SharedPins` is one), which
// locks it once per read or write rather than once per method: the module
// has one thread, and each `SharedPins::with` closure was its own copy of
// code in the package.
#[wasm_bindgen]
pub struct PinStore {
    pub(crate) shared: SharedPins,
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
    /// An empty store, kept in memory (save it with `toJSON`).
    #[wasm_bindgen(constructor)]
    pub fn new() -> PinStore {
        PinStore {
            shared: SharedPins::in_memory(xmpptls::PinStore::new()),
        }
    }

    /// A store kept in memory, from the JSON `toJSON()` wrote.
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(json: &str) -> Result<PinStore, JsValue> {
        Ok(PinStore {
            shared: SharedPins::in_memory(xmpptls::PinStore::from_json(json).map_err(core_error)?),
        })
    }

    /// A store that reads and writes the app's storage (`load`, `save`).
    #[wasm_bindgen(js_name = withStorage)]
    pub fn with_storage(
        #[wasm_bindgen(unchecked_param_type = "PinStorage")] storage: JsValue,
    ) -> PinStore {
        PinStore {
            shared: SharedPins::with_storage(Box::new(Slot(storage_add(storage)))),
        }
    }

    /// The store as JSON text (versioned, README); an error for a store
    /// over the app's storage, which keeps the pins itself.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<String, JsValue> {
        self.shared
            .memory(xmpptls::PinStore::to_json)
            .ok_or_else(|| config_error("the pins are in the app's storage"))
    }

    /// The pins of `key`.
    pub fn pins(&self, key: &str) -> Vec<String> {
        self.shared.pins(key)
    }

    /// Adds a pin (a key the user confirmed).
    pub fn add(&self, key: &str, #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str) {
        xmpptls::pins::add_pin(&mut self.shared.clone(), key, spki_sha256);
    }

    /// Forgets the pins of `key` (after the user accepted a changed key);
    /// whether it had any.
    pub fn remove(&self, key: &str) -> bool {
        xmpptls::pins::forget(&mut self.shared.clone(), key)
    }

    /// What the pins of `key` say about `spkiSha256`, changing nothing.
    pub fn check(
        &self,
        key: &str,
        #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str,
    ) -> JsPinStatus {
        status_js(&xmpptls::pins::status(&self.shared.pins(key), spki_sha256))
    }

    /// Trust on first use: like `check`, and pins a first key.
    #[wasm_bindgen(js_name = checkAndPin)]
    pub fn check_and_pin(
        &self,
        key: &str,
        #[wasm_bindgen(js_name = "spkiSha256")] spki_sha256: &str,
    ) -> JsPinStatus {
        status_js(&xmpptls::pins::check_and_pin(
            &mut self.shared.clone(),
            key,
            spki_sha256,
        ))
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
