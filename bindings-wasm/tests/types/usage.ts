// Type-checked with `tsc --strict --noEmit` against the installed package:
// every export is typed, and typical use compiles without casts.
import {
  Endpoint, Policy, PinStore, XmppTlsError, generateIdentity, checkIdentity, certificateInfo,
  certificatesFromPem, poshRedirectUrl, poshVerify, supportsXtls, xtlsFeature, version,
  type TunnelEvent, type Report, type PoshResult, type EndpointSettings, type KeyExchange,
} from "xmpptls";
import { attachXtls, type XtlsEvent } from "xmpptls/xmpp-client";

const kx: KeyExchange = "post-quantum";
const options: EndpointSettings = { trust: "trust-on-first-use", versions: "tls13-only", keyExchange: kx, identity: generateIdentity("romeo@montague.lit") };
const ep = new Endpoint("romeo@montague.lit/orchard", options);
ep.openTunnel("juliet@capulet.lit/balcony");
const out: string | undefined = ep.pollTransmit();
const handled: boolean = ep.handleIncoming(out ?? "");
const ev: TunnelEvent | undefined = ep.pollEvent();
if (ev?.type === "established") {
  const suite: string = ev.info.cipherSuite;
  const verdict: "pass" | "warn" | "fail" = ev.info.report.verdict;
  console.log(suite, verdict);
} else if (ev?.type === "closed" && ev.reason === "error") {
  const code: number | undefined = ev.code;
  console.log(code);
}
const report: Report = new Policy("strict").checkServer("example.net", "xmpp-client",
  { tlsVersion: "TLSv1.3", peerChain: certificatesFromPem("") }, new PinStore());
const firstFinding: string | undefined = report.findings[0]?.code;
const unpinned: Report = new Policy("strict").checkServer("example.net", "xmpp-client",
  { tlsVersion: "TLSv1.3", peerChain: certificatesFromPem("") });
console.log(unpinned.pin?.status ?? "no pin checked");
const posh: PoshResult = poshVerify("{}", poshRedirectUrl("{}"), new Uint8Array(), Date.now() / 1000);
if (posh.outcome === "match") console.log(posh.algorithm); else console.log(posh.outcome, posh.detail);
const m = checkIdentity(new Uint8Array(), "example.net", "xmpp-server");
console.log(m?.type, certificateInfo(new Uint8Array()).subject, supportsXtls(""), xtlsFeature(), version(), handled, firstFinding);
try { ep.send("x", "y"); } catch (e) { if (e instanceof XmppTlsError) { const c: number = e.code; console.log(c); } }
declare const xmpp: Parameters<typeof attachXtls>[0];
const xtls = attachXtls(xmpp, ep, { onEvent: (e: TunnelEvent) => console.log(e.type) });
xtls.addEventListener("stanza", (e: XtlsEvent) => console.log(e.detail));
// Each event name has its own detail type: no casts under --strict.
xtls.addEventListener("established", (e) => console.log(e.detail.info.tlsVersion, e.detail.peer));
xtls.addEventListener("closed", (e) => console.log(e.detail.reason, e.detail.returned.length, e.detail.code));
xtls.addEventListener("stanza", (e) => console.log(e.detail.stanza, e.detail.element?.attrs.from));
xtls.addEventListener("error", (e) => console.log(e.detail.error.message));
const peer: string | undefined = xtls.tunnelPeer({});
console.log(peer);
void xtls.open("juliet@capulet.lit/balcony");
ep[Symbol.dispose]();
