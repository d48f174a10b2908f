// Entry point for browsers and bundlers: fetches the WebAssembly module
// beside this file (bundlers see `new URL(…, import.meta.url)` and ship it
// as an asset) with top-level await, then re-exports the API. Node uses
// node.js instead (package.json "exports").
import init from "./xmpptls_wasm.js";

await init({ module_or_path: new URL("./xmpptls_wasm_bg.wasm", import.meta.url) });

// The public API only: not wasm-bindgen's loader (init, initSync) or start.
export {
  Endpoint, PinStore, Policy, certificateInfo, certificatesFromPem, checkIdentity, generateIdentity, poshRedirectUrl, poshVerify, serverPinKey, supportsXtls, version, xtlsFeature,
} from "./xmpptls_wasm.js";
export { XmppTlsError } from "__ERROR_MODULE__";

// A freed object's methods throw XmppTlsError (500), like every other misuse.
import { Endpoint, PinStore, Policy } from "./xmpptls_wasm.js";
import { guardFreed, optionalPins } from "__ERROR_MODULE__";
guardFreed({ Endpoint, PinStore, Policy });
// checkServer's pins are optional, as in the other runtimes.
optionalPins(Policy, PinStore);
