// Types of the @xmpp/client adapter (`xmpptls/xmpp-client`).
import type { Endpoint, TunnelEvent, XmppTlsError } from "./index.js";

/** An @xmpp/xml element (the adapter parses with @xmpp/xml). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  toString(): string;
}

/** One tunnel event of a given type. */
export type TunnelEventOf<T extends TunnelEvent["type"]> = Extract<TunnelEvent, { type: T }>;

/** The detail of each event an attachment dispatches. */
export interface XtlsEventDetails {
  established: TunnelEventOf<"established">;
  /** A decrypted stanza: its text and, parsed, `element`. */
  stanza: TunnelEventOf<"stanza"> & { element?: XmlElement };
  "stanza-rejected": TunnelEventOf<"stanza-rejected">;
  closed: TunnelEventOf<"closed">;
  /** An XTLS stanza that failed (`XmppTlsError`) or a write nobody awaited that failed. */
  error: { type: "error"; error: XmppTlsError | Error };
}

/**
 * Listener options, as the DOM's `AddEventListenerOptions`: declared here so
 * that a Node-only TypeScript configuration (`@types/node`, no "dom" lib)
 * type-checks the package.
 */
export interface XtlsListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** A listener for any event type, as the DOM's `EventListenerOrEventListenerObject`. */
export type XtlsListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/** A tunnel event as a DOM event: `type` is the event's, `detail` the event. */
export class XtlsEvent<D = XtlsEventDetails[keyof XtlsEventDetails]> extends Event {
  readonly detail: D;
}

/** The minimal part of an @xmpp/client instance the adapter uses. */
export interface XmppClientLike {
  middleware: { use(fn: (ctx: any, next: () => Promise<any>) => any): unknown };
  send(element: unknown): Promise<void>;
  /** To hand decrypted stanzas to the client's own "stanza" listeners. */
  emit?(event: "stanza", element: XmlElement): unknown;
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
  /** Sends a stanza (XML text or an @xmpp/xml element) through the tunnel. */
  send(peer: string, stanza: string | { toString(): string }): Promise<void>;
  /** Closes the tunnel to `peer`. */
  close(peer: string): Promise<void>;
  /** The peer whose tunnel carried `element` (a decrypted stanza), or undefined. */
  tunnelPeer(element: object): string | undefined;
  /** Stops routing stanzas to the endpoint. */
  detach(): void;
  addEventListener<K extends keyof XtlsEventDetails>(
    type: K,
    listener: (event: XtlsEvent<XtlsEventDetails[K]>) => void,
    options?: boolean | XtlsListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: XtlsListener | null,
    options?: boolean | XtlsListenerOptions,
  ): void;
  removeEventListener<K extends keyof XtlsEventDetails>(
    type: K,
    listener: (event: XtlsEvent<XtlsEventDetails[K]>) => void,
    options?: boolean | { capture?: boolean },
  ): void;
  removeEventListener(
    type: string,
    listener: XtlsListener | null,
    options?: boolean | { capture?: boolean },
  ): void;
}

/** Routes a client's XTLS IQs to `endpoint` and its stanzas through the client. */
export function attachXtls(
  xmpp: XmppClientLike,
  endpoint: Endpoint,
  options?: {
    onEvent?: (event: TunnelEvent) => void;
    /**
     * Hand decrypted stanzas, parsed, to the client's own "stanza"
     * listeners (default true).
     */
    emitStanzas?: boolean;
    /**
     * Keepalives after stanzas that got no answer (default false): whitespace
     * over TCP, an XEP-0198 `<a/>` over WebSocket. Through Prosody with
     * xmpp.js they measured no gain; hosts that see ~40 ms stalls turn them on.
     */
    keepalive?: boolean;
  },
): XtlsAttachment;
