//! JSON values as text, for every JSON the crate writes (the report JSON,
//! pin stores, POSH documents, the npm package's objects).

use serde_json::Value;

/// `value` as compact JSON text. Not `Value`'s `Display`: that one also
/// carries the pretty printer (for `{:#}`), which no caller uses and which
/// cost the npm package its size (measured with twiggy: 2.2 KB of wasm
/// before optimization). A `Value` always serializes; the empty string
/// would stand for a failure that cannot happen.
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
