// Prelude of the README's "checking a server" block (scripts/readme-blocks.py
// prepends it): what a reader already has there -- a server's chain
// (named by SRV-ID _xmpp-client.example.net), its leaf as DER, a
// fetch() that answers with the server's POSH document, and localStorage.
// node/readme.test.mjs makes the files beside the block.
import { readFileSync } from "node:fs";
const chainPem = readFileSync(new URL("./server-chain.pem", import.meta.url), "utf8");
const leafDer = new Uint8Array(readFileSync(new URL("./server-leaf.der", import.meta.url)));
const poshDocument = readFileSync(new URL("./posh.json", import.meta.url), "utf8");
globalThis.localStorage ??= {};
globalThis.fetch = async (url) => {
  if (String(url) !== "https://example.net/.well-known/posh/xmpp-client.json") throw new Error(`unexpected fetch ${url}`);
  return { text: async () => poshDocument };
};
