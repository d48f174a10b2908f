// Attaches an XTLS Endpoint to an @xmpp/client (xmpp.js) connection:
// incoming XTLS IQs go to the endpoint, what the endpoint has to send goes
// out through the connection, decrypted stanzas reach the client's own
// `xmpp.on("stanza")` listeners as parsed elements, and tunnel events
// surface as DOM-style events (and an optional callback).
//
//   import { client } from "@xmpp/client";
//   import { Endpoint } from "xmpptls";
//   import { attachXtls } from "xmpptls/xmpp-client";
//   const xmpp = client({ service: "wss://example.net/xmpp-websocket", ... });
//   xmpp.on("online", async (jid) => {
//     const xtls = attachXtls(xmpp, new Endpoint(jid.toString()));
//     xmpp.on("stanza", (el) => xtls.tunnelPeer(el) && console.log("encrypted:", el.toString()));
//     await xtls.open("juliet@capulet.lit/balcony");
//     await xtls.send("juliet@capulet.lit/balcony", "<message><body>hi</body></message>");
//   });
import { Parser, Element } from "@xmpp/xml";

const NS = "urn:xmpp:tmp:xtls";

/** One tunnel event as a DOM event: `type` is the event's, `detail` the event. */
export class XtlsEvent extends Event {
  constructor(detail) {
    super(detail.type);
    this.detail = detail;
  }
}

/** Reads one stanza of XML text into an @xmpp/xml Element. */
function parseElement(text) {
  const parser = new Parser();
  let element;
  parser.on("element", (el) => {
    element = el;
  });
  parser.write(`<wrap>${text}</wrap>`);
  return element;
}

function attr(text, name) {
  const m = text.match(new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`));
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The connection of one endpoint; see `attachXtls`. */
export class XtlsAttachment extends EventTarget {
  constructor(xmpp, endpoint, onEvent, keepalive = false) {
    super();
    this.xmpp = xmpp;
    this.endpoint = endpoint;
    this.onEvent = onEvent;
    this.keepalive = keepalive;
    this.writing = Promise.resolve();
    this.emitStanzas = true;
    /** Elements that came through a tunnel, with their peer. */
    this.tunnelled = new WeakMap();
    this.detached = false;
    this.timer = undefined;
    /** Keepalives written (see `#keepalive`), for the curious. */
    this.keepalives = 0;
    xmpp.middleware.use((ctx, next) => this.#incoming(ctx, next));
    // Over TCP in Node, xmpp.js leaves Nagle's algorithm on for its socket:
    // every small write of the client would wait for the server's delayed
    // ACK. (Over WebSocket the runtime owns the socket.)
    this.noDelay = () => this.xmpp.socket?.setNoDelay?.(true);
    this.noDelay();
    xmpp.on?.("connect", this.noDelay);
  }

  /**
   * Opens a tunnel to the full JID `peer`. Resolves when the start is
   * written; rejects with the endpoint's `XmppTlsError` or the
   * connection's write error.
   */
  async open(peer) {
    this.endpoint.openTunnel(peer);
    return this.flush();
  }

  /** Sends a stanza (XML text or an element) through the tunnel to `peer`. */
  async send(peer, stanza) {
    this.endpoint.send(peer, typeof stanza === "string" ? stanza : stanza.toString());
    return this.flush();
  }

  /** Closes the tunnel to `peer`. */
  async close(peer) {
    this.endpoint.closeTunnel(peer);
    return this.flush();
  }

  /** The peer whose tunnel carried `element` (a decrypted stanza), or undefined. */
  tunnelPeer(element) {
    return this.tunnelled.get(element);
  }

  /** Stops routing stanzas to the endpoint (the endpoint is not freed). */
  detach() {
    this.detached = true;
    this.xmpp.removeListener?.("connect", this.noDelay);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Wakes the endpoint at its next deadline (an unanswered start, data IQ
   * or close): a tunnel whose answer never comes closes with reason
   * "timeout" and hands back what the peer did not acknowledge.
   */
  #arm() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.detached) return;
    const at = this.endpoint.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.endpoint.handleTimeout();
      this.#background(this.flush());
    }, Math.max(0, at - Date.now()));
    this.timer.unref?.();
  }

  /**
   * After a handled stanza left the endpoint with nothing to send: lets the
   * server's held write go. A server with Nagle's algorithm on (Prosody's
   * default) holds its next small write to this client until the client's
   * kernel ACKs the last one, which it delays ~40 ms when the client sends
   * nothing. Over TCP a whitespace keepalive (RFC 6120 §4.6.1) carries the
   * ACK. Over WebSocket whitespace is not allowed between frames (RFC 7395
   * §3.3.3) and a browser cannot send a ping frame; with stream management
   * on, an unsolicited `<a/>` (XEP-0198 §4, which the server does not
   * answer) can stand in. Measured through Prosody with xmpp.js
   * (scripts/bench-prosody-ws.sh), neither changed the round-trip rates and
   * both made opening a tunnel slower: off unless `keepalive: true`.
   */
  #keepalive() {
    if (!this.endpoint.pollKeepalive() || this.keepalive !== true) return;
    const websocket = /^wss?:/.test(String(this.xmpp.options?.service ?? ""));
    const sm = this.xmpp.streamManagement;
    let text;
    if (!websocket) text = " ";
    else if (sm?.enabled) text = `<a xmlns='urn:xmpp:sm:3' h='${sm.inbound}'/>`;
    if (text === undefined || typeof this.xmpp.write !== "function") return;
    this.keepalives++;
    // Written now, not behind this attachment's queued writes: `h` must
    // never go backwards against the acks the client's stream management
    // writes itself (Prosody ends the stream if it does).
    this.xmpp.write(text).catch(() => {});
  }

  /**
   * A write nobody awaits (after an incoming stanza, a timer): its failure
   * becomes an "error" event instead of an unhandled rejection.
   */
  #background(writing) {
    writing.catch((error) => this.dispatchEvent(new XtlsEvent({ type: "error", error })));
  }

  /**
   * Writes what the endpoint has queued, in order, except `keep` (the reply
   * the IQ handler returns itself); dispatches the endpoint's events.
   * Returns a promise of these writes: it rejects if one of them fails, and
   * a failed write does not stop later flushes (the stanzas it could not
   * write are the endpoint's to time out and hand back).
   */
  flush(keep) {
    const out = [];
    let kept;
    let later = false;
    for (let s = this.endpoint.pollTransmit(); s !== undefined; s = this.endpoint.pollTransmit()) {
      if (!kept && keep && keep(s)) {
        kept = s;
        // An answer carrying TLS octets (<piggyback/>) must reach the peer
        // before the data IQs that follow it, and xmpp.js sends the answer
        // only once the middleware returns: the rest stays in the endpoint
        // until then (#incoming).
        if (s.includes("<data")) {
          later = true;
          break;
        }
      } else out.push(s);
    }
    // As Elements through `send`: the connection adds what its framing
    // needs (RFC 7395 frames carry the jabber:client namespace). In order
    // behind earlier writes, whether those succeeded or not.
    const writing = this.writing.catch(() => {}).then(async () => {
      for (const s of out) await this.xmpp.send(parseElement(s));
    });
    this.writing = writing;
    for (let e = this.endpoint.pollEvent(); e !== undefined; e = this.endpoint.pollEvent()) {
      this.onEvent?.(e);
      if (e.type === "stanza") this.#deliver(e);
      this.dispatchEvent(new XtlsEvent(e));
    }
    this.#arm();
    return kept === undefined ? writing : { kept, writing, later };
  }

  /**
   * A decrypted stanza, parsed, to the client's own "stanza" listeners
   * (where the application already handles stanzas) and in the event's
   * `element`; `tunnelPeer(element)` tells the two paths apart.
   */
  #deliver(e) {
    let element;
    try {
      element = parseElement(e.stanza);
    } catch {
      return; // the endpoint checked it; the text stays in e.stanza
    }
    if (!element) return;
    e.element = element;
    this.tunnelled.set(element, e.peer);
    if (this.emitStanzas) this.xmpp.emit?.("stanza", element);
  }

  async #incoming(ctx, next) {
    const { stanza } = ctx;
    if (this.detached) return next();
    if (stanza.is("presence") && stanza.attrs.type === "unavailable" && stanza.attrs.from) {
      this.endpoint.peerUnavailable(stanza.attrs.from);
      this.#background(this.flush());
      return next();
    }
    if (!stanza.is("iq")) return next();
    const query = stanza.attrs.type === "set" || stanza.attrs.type === "get";
    if (query && !stanza.getChildElements().some((c) => c.attrs.xmlns === NS)) return next();

    let handled = false;
    let error;
    try {
      handled = this.endpoint.handleIncoming(stanza.toString());
    } catch (e) {
      handled = true; // an XTLS stanza that failed; the endpoint answered it
      error = e;
    }
    if (!handled) return next();
    // A query's reply goes back through @xmpp/client's IQ handler, which
    // sends exactly one answer per query; everything else is written here.
    const id = stanza.attrs.id;
    const isReply = (s) =>
      s.startsWith("<iq") && attr(s, "id") === id &&
      ["result", "error"].includes(attr(s, "type"));
    const flushed = this.flush(query ? isReply : undefined);
    this.#background(flushed.writing ?? flushed);
    this.#keepalive();
    if (error) this.dispatchEvent(new XtlsEvent({ type: "error", error }));
    if (!query) return undefined;
    if (!flushed.kept) return undefined;
    // The answer (xmpp.js's IQ handler sends it when this returns) goes
    // behind the data this stanza produced, as the endpoint ordered them.
    await flushed.writing.catch(() => {});
    // xmpp.js writes the answer in this turn, once this returns; what the
    // endpoint holds behind it goes out in the next.
    if (flushed.later) setTimeout(() => this.#background(this.flush()), 0);
    const reply = parseElement(flushed.kept);
    if (reply.attrs.type === "error") return reply.getChild("error");
    return reply.getChildElements()[0] ?? true;
  }
}

/**
 * Routes a client's XTLS IQs to `endpoint` and sends the endpoint's stanzas
 * through the client. Decrypted stanzas go, parsed, to the client's own
 * `xmpp.on("stanza")` listeners (unless `options.emitStanzas: false`);
 * `tunnelPeer(element)` says which peer's tunnel carried one. Returns an
 * `XtlsAttachment` (an EventTarget) that dispatches "established",
 * "stanza" (`detail.element` parsed), "stanza-rejected", "closed" (each
 * with the event in `detail`; "closed" hands back in `detail.returned` the
 * stanzas the peer did not acknowledge) and "error" (a stanza that failed
 * or a write nobody awaited, with the error in `detail.error`). `options.onEvent` hears every
 * tunnel event as well. Use the attachment's `open`, `send`, `close`: they
 * also write what the endpoint queued. The attachment runs the endpoint's
 * deadline timer and turns Nagle's algorithm off for xmpp.js's TCP socket
 * (which xmpp.js leaves on: plain IQs then wait ~40 ms each). With
 * `options.keepalive: true` it writes the keepalives the endpoint asks for
 * (whitespace over TCP, an XEP-0198 `<a/>` over WebSocket).
 */
export function attachXtls(xmpp, endpoint, options = {}) {
  const a = new XtlsAttachment(xmpp, endpoint, options.onEvent, options.keepalive === true);
  a.emitStanzas = options.emitStanzas !== false;
  return a;
}

export { Element };
