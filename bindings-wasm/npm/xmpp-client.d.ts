// Types of the @xmpp/client adapter (`xmpptls/xmpp-client`).
import type { Endpoint, TunnelEvent } from "./index.js";
import type { XmppTlsError } from "./index.js";

/** A tunnel event as a DOM event: `type` is the event's, `detail` the event. */
export class XtlsEvent extends Event {
  readonly detail: TunnelEvent | { type: "error"; error: XmppTlsError };
}

/** The minimal part of an @xmpp/client instance the adapter uses. */
export interface XmppClientLike {
  middleware: { use(fn: (ctx: any, next: () => Promise<any>) => any): unknown };
  send(element: unknown): Promise<void>;
  /** Raw writes, for keepalives (whitespace over TCP, `<a/>` over WebSocket). */
  write?(text: string): Promise<void>;
  options?: { service?: string };
  streamManagement?: { enabled: boolean; inbound: number };
}

/** An endpoint attached to a client; dispatches `XtlsEvent`s. */
export class XtlsAttachment extends EventTarget {
  readonly endpoint: Endpoint;
  /** Keepalives written so far (after stanzas that got no answer). */
  readonly keepalives: number;
  /** Opens a tunnel to a full JID; resolves when the start is written. */
  open(peer: string): Promise<void>;
  /** Sends a stanza (XML text or an @xmpp/xml Element) through the tunnel. */
  send(peer: string, stanza: string | { toString(): string }): Promise<void>;
  /** Closes the tunnel to `peer`. */
  close(peer: string): Promise<void>;
  /** Stops routing stanzas to the endpoint. */
  detach(): void;
  addEventListener(
    type: "established" | "stanza" | "stanza-rejected" | "closed" | "error",
    listener: (event: XtlsEvent) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

/** Routes a client's XTLS IQs to `endpoint` and its stanzas through the client. */
export function attachXtls(
  xmpp: XmppClientLike,
  endpoint: Endpoint,
  options?: {
    onEvent?: (event: TunnelEvent) => void;
    /**
     * Keepalives after stanzas that got no answer (default false): whitespace
     * over TCP, an XEP-0198 `<a/>` over WebSocket. Through Prosody with
     * xmpp.js they measured no gain; hosts that see ~40 ms stalls turn them on.
     */
    keepalive?: boolean;
  },
): XtlsAttachment;
