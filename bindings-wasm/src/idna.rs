//! Internationalized domain names without Unicode tables in the wasm: the
//! core's `identity::idn` hands non-ASCII domains to the platform's UTS 46
//! (the WHATWG URL parser, `js/idna.js`), installed when the module starts.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/idna.js")]
extern "C" {
    #[wasm_bindgen(js_name = domainToAscii)]
    fn host_domain_to_ascii(domain: &str) -> Option<String>;
}

/// Runs once when the wasm module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    xmpptls::identity::idn::install_domain_to_ascii(|d| host_domain_to_ascii(d));
}
