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
// The shipped module is minified without local names: the class keeps its own.
Object.defineProperty(XmppTlsError, "name", { value: "XmppTlsError" });

/**
 * Makes the methods and getters of wasm-bindgen classes throw
 * `XmppTlsError` (code 500, a bad argument) once their object was freed
 * (`free()` or `using`), instead of wasm-bindgen's plain `Error("null
 * pointer passed to rust")`. The entry points call it once for the
 * package's classes, each under its name.
 */
export function guardFreed(classes) {
  // Names given with the classes: the shipped module is minified without
  // its local names, so each class gets its own back too.
  for (const [className, cls] of Object.entries(classes)) {
    Object.defineProperty(cls, "name", { value: className });
    const proto = cls.prototype;
    // free() twice (or free() then `using`'s dispose) does nothing the
    // second time, like closing a closed file.
    const free = proto.free;
    proto.free = function () {
      if (this.__wbg_ptr !== 0) free.call(this);
    };
    if (typeof Symbol.dispose === "symbol" && proto[Symbol.dispose]) proto[Symbol.dispose] = proto.free;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name === "free" || name.startsWith("__")) continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      const wrap = (f) => function (...args) {
        if (this.__wbg_ptr === 0) throw new XmppTlsError(500, `${className}.${name}: the ${className} was freed`);
        return f.apply(this, args);
      };
      if (typeof d.value === "function") d.value = wrap(d.value);
      else if (d.get) d.get = wrap(d.get);
      else continue;
      Object.defineProperty(proto, name, d);
    }
  }
}

/**
 * Makes the last argument of `Policy.checkServer` optional, as in every
 * runtime: the export takes a store and whether to use it (wasm-bindgen
 * takes no optional reference to a class), and without pins gets a store
 * it leaves untouched. The entry points call it once, after guardFreed.
 */
export function optionalPins(Policy, PinStore) {
  const check = Policy.prototype.checkServer;
  let untouched;
  Policy.prototype.checkServer = function (domain, service, negotiation, pins) {
    return check.call(this, domain, service, negotiation, pins ?? (untouched ??= new PinStore()), pins != null);
  };
}
