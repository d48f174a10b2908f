// The package's entry point: loads the WebAssembly module once (from the
// file beside this one in Node, by fetch in browsers and bundlers) with
// top-level await, then re-exports the API. Nothing to initialise by hand.
import init, { initSync } from "./xmpptls_wasm.js";

const wasmUrl = new URL("./xmpptls_wasm_bg.wasm", import.meta.url);
if (typeof process !== "undefined" && process.versions?.node && wasmUrl.protocol === "file:") {
  const { readFile } = await import("node:fs/promises");
  initSync({ module: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

export * from "./xmpptls_wasm.js";
export { XmppTlsError } from "__ERROR_MODULE__";
