//! Errors thrown to JavaScript: instances of the package's `XmppTlsError`
//! class (an `Error` with a stable numeric `code`, the core's
//! `xmpptls::Error::code`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/error.js")]
extern "C" {
    /// The JS class `XmppTlsError`.
    #[wasm_bindgen(js_name = XmppTlsError)]
    type JsXmppTlsError;

    #[wasm_bindgen(constructor, js_class = "XmppTlsError")]
    fn new(code: u32, message: &str) -> JsXmppTlsError;
}

/// An `XmppTlsError` with `code` and `message`.
pub(crate) fn js_error(code: u32, message: &str) -> JsValue {
    JsXmppTlsError::new(code, message).into()
}

/// Code 500 (configuration, bad argument) for errors the core never sees.
pub(crate) fn config_error(message: impl AsRef<str>) -> JsValue {
    js_error(
        xmpptls::Error::Config(String::new()).code(),
        message.as_ref(),
    )
}

/// The core's error as an `XmppTlsError`.
pub(crate) fn core_error(e: xmpptls::Error) -> JsValue {
    js_error(e.code(), &e.to_string())
}

/// The JID `s`, or an `XmppTlsError` (code 101).
pub(crate) fn parse_jid(s: &str) -> Result<xmpptls::Jid, JsValue> {
    xmpptls::Jid::parse(s).map_err(core_error)
}
