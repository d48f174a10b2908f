// The error class every function of the package throws: a stable numeric
// `code` (README: error codes; 1xx input, 2xx XTLS protocol, 3xx TLS and
// trust, 4xx limits, 5xx configuration) and a message.
export class XmppTlsError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "XmppTlsError";
    this.code = code;
  }
}
