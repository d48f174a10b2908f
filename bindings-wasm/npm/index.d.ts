// Types of the package: the classes and functions wasm-bindgen generated,
// the interfaces of settings, events and reports, and the error class; not
// wasm-bindgen's loader (init, initSync, InitOutput), which the entry
// points call themselves.
// The classes declare `[Symbol.dispose]` (for `using`); Symbol.dispose is in
// TypeScript's lib only with esnext.disposable (or @types/node), so the
// package declares it too: a Node-only config with lib es2022 type-checks.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export {
  Endpoint, PinStore, Policy, certificateInfo, certificatesFromPem, checkIdentity, generateIdentity, poshRedirectUrl, poshVerify, serverPinKey, supportsXtls, version, xtlsFeature,
} from "./xmpptls_wasm.js";
export type {
  AuthMethod, CertificateInfo, CloseReason, EndpointSettings, Finding, IdentityMatch, IdentityPem, KeyExchange, LimitSettings, Negotiation, PinStatus, PinStorage, PolicyPreset, PoshResult, Report, ReturnedStanza, Service, TlsVersions, TrustMode, TunnelEvent, TunnelInfo, TunnelState,
} from "./xmpptls_wasm.js";

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
