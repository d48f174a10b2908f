// Helpers of the Node tests: endpoints, an in-memory "server" that routes
// stanzas by their `to`, and event collection.
import { Endpoint } from "xmpptls";

export const ROMEO = "romeo@montague.lit/orchard";
export const JULIET = "juliet@capulet.lit/balcony";

export function endpoint(jid, options = {}) {
  return new Endpoint(jid, { trust: "trust-on-first-use", ...options });
}

export function to(stanza) {
  return stanza.match(/\sto=(?:'([^']*)'|"([^"]*)")/).slice(1).find((x) => x !== undefined);
}

/** Moves stanzas until quiet; returns the errors handleIncoming threw. */
export function route(...eps) {
  const byJid = new Map(eps.map((e) => [e.jid, e]));
  const errors = [];
  for (let moved = true; moved; ) {
    moved = false;
    for (const ep of eps) {
      for (let s = ep.pollTransmit(); s !== undefined; s = ep.pollTransmit()) {
        try {
          if (!byJid.get(to(s)).handleIncoming(s)) throw new Error(`not XTLS: ${s}`);
        } catch (e) {
          errors.push(e);
        }
        moved = true;
      }
    }
  }
  return errors;
}

export function events(ep) {
  const out = [];
  for (let e = ep.pollEvent(); e !== undefined; e = ep.pollEvent()) out.push(e);
  return out;
}

export const message = (body) => `<message type='chat'><body>${body}</body></message>`;
