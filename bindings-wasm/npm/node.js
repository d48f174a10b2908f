// Entry point for Node: reads the WebAssembly module beside this file and
// instantiates it synchronously before re-exporting the API, so importing
// the package is all the set-up there is. No top-level await: Node
// (>= 20.19, 22.12) can then also `require()` this ES module, so CommonJS
// projects (and TypeScript compiled to CommonJS) use the package as is.
import { readFileSync } from "node:fs";
import { initSync } from "./xmpptls_wasm.js";

initSync({ module: readFileSync(new URL("./xmpptls_wasm_bg.wasm", import.meta.url)) });

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
