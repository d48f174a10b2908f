// Entry point for Node (>= 18): reads the WebAssembly module beside this
// file and instantiates it synchronously before re-exporting the API, so
// importing the package is all the set-up there is.
import { readFile } from "node:fs/promises";
import { initSync } from "./xmpptls_wasm.js";

initSync({ module: await readFile(new URL("./xmpptls_wasm_bg.wasm", import.meta.url)) });

export * from "./xmpptls_wasm.js";
export { XmppTlsError } from "__ERROR_MODULE__";
