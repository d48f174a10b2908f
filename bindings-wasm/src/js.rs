//! Moving values between JavaScript and Rust: reading option objects and
//! building result objects (through JSON, which keeps the shapes identical
//! to the core's report JSON).

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use xmpptls::api::{FieldValue, Named};
use xmpptls::identity::Service;

use crate::error::{config_error, core_error};

/// `obj[key]`, `None` when `obj` is not an object or the value is
/// `undefined`/`null`.
pub(crate) fn field(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The snake_case form of a camelCase option name (`ackTimeoutSecs` is
/// `ack_timeout_secs`), the core's spelling.
pub(crate) fn snake_case(key: &str) -> String {
    let mut snake = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

/// The keys of an object (none for another value).
pub(crate) fn keys(obj: &JsValue) -> Vec<String> {
    if !obj.is_object() {
        return Vec::new();
    }
    js_sys::Object::keys(obj.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

/// A string field; a value of another type is an error.
pub(crate) fn string_field(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    field(obj, key)
        .map(|v| {
            v.as_string()
                .ok_or_else(|| config_error(format!("{key} must be a string")))
        })
        .transpose()
}

/// A field holding a whole number from 0 to 2^53 (a limit); anything else
/// is an error.
pub(crate) fn whole_number(obj: &JsValue, key: &str) -> Result<u64, JsValue> {
    whole(field(obj, key).and_then(|v| v.as_f64()), key)
}

/// A number from 0 to 2^53 with no fraction, or an error naming `key`.
fn whole(v: Option<f64>, key: &str) -> Result<u64, JsValue> {
    match v {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 => Ok(n as u64),
        _ => Err(config_error(format!(
            "{key} must be a whole number of at least 0"
        ))),
    }
}

/// A JavaScript value as the core's field value, by its JavaScript type
/// (the core decides what the field takes: [`FieldValue`]).
pub(crate) fn field_value(v: JsValue, key: &str) -> Result<FieldValue, JsValue> {
    let bytes = |v: JsValue| v.dyn_into::<Uint8Array>().map(|a| a.to_vec());
    if let Some(b) = v.as_bool() {
        Ok(FieldValue::Switch(b))
    } else if let Some(s) = v.as_string() {
        Ok(FieldValue::Text(s))
    } else if v.as_f64().is_some() {
        Ok(FieldValue::Number(whole(v.as_f64(), key)?))
    } else if Array::is_array(&v) {
        let items: Result<Vec<_>, _> = Array::from(&v).iter().map(bytes).collect();
        items
            .map(FieldValue::List)
            .map_err(|_| config_error(format!("{key} must be an array of Uint8Array")))
    } else {
        bytes(v)
            .map(FieldValue::Bytes)
            .map_err(|_| config_error(format!("{key} has a value of no field's type")))
    }
}

/// A JSON value as the equal JavaScript value.
pub(crate) fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&xmpptls::json_text::compact(value)).unwrap_or(JsValue::NULL)
}

/// DER certificates as an array of `Uint8Array`.
pub(crate) fn bytes_list(items: &[impl AsRef<[u8]>]) -> JsValue {
    items
        .iter()
        .map(|c| JsValue::from(Uint8Array::from(c.as_ref())))
        .collect::<Array>()
        .into()
}

#[wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder` (Node ≥ 11, every browser).
    #[wasm_bindgen(js_name = TextEncoder)]
    type JsTextEncoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> JsTextEncoder;
    #[wasm_bindgen(method, js_class = "TextEncoder")]
    fn encode(this: &JsTextEncoder, s: &js_sys::JsString) -> Uint8Array;
}

thread_local! {
    static ENCODER: JsTextEncoder = JsTextEncoder::new();
}

/// The UTF-8 octets of a JS string. Stanzas are large ASCII strings: the
/// native `TextEncoder` plus one copy into wasm memory is several times
/// faster than wasm-bindgen's per-character `&str` conversion (measured in
/// the package benchmark).
pub(crate) fn utf8(s: &js_sys::JsString) -> Vec<u8> {
    ENCODER.with(|e| e.encode(s).to_vec())
}

/// A plain object from string-valued pairs, without a JSON round trip (a
/// stanza in an event would otherwise be escaped and parsed again).
pub(crate) fn object(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

/// `"xmpp-client"` or `"xmpp-server"`.
pub(crate) fn service(name: &str) -> Result<Service, JsValue> {
    Service::parse_or_err(name).map_err(core_error)
}
