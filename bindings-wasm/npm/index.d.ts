// Types of the package: everything wasm-bindgen generated (classes,
// functions, and the interfaces of options, events and reports), plus the
// error class.
export * from "./xmpptls_wasm.js";

/**
 * Thrown by every function of the package. `code` is stable across
 * releases and bindings (README "Error codes"): 1xx input (XML, JID,
 * base64, size), 2xx XTLS protocol, 3xx TLS and trust (301: the peer's
 * certificate was not accepted, e.g. a changed pin), 4xx limits, 5xx
 * configuration and bad arguments.
 */
export class XmppTlsError extends Error {
  readonly name: "XmppTlsError";
  readonly code: number;
  constructor(code: number, message: string);
}
