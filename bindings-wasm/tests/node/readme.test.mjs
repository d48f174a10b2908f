// The README's @xmpp/client example (bindings-wasm/npm/README.md, the block
// named "adapter"), as a TypeScript user takes it: type-checked with
// tsc --strict, compiled, and run against a real Prosody (prosody-server.mjs)
// with the server's address, Romeo's password and Juliet's JID changed to
// the local server's. Juliet is an @xmpp/client in this test with her own
// endpoint; the example must open a tunnel to her and her client must hear
// its message. (scripts/test-wasm.sh runs the README's other blocks in
// empty ESM and CommonJS projects.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { client } from "@xmpp/client";
import { Endpoint } from "xmpptls";
import { attachXtls } from "xmpptls/xmpp-client";
import { startProsody } from "./prosody-server.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = fileURLToPath(new URL("../.readme/", import.meta.url));
let server;

before(async () => {
  server = await startProsody();
});
after(() => server?.stop());

/** Extracts the README's blocks; returns the adapter block's path. */
function adapterBlock() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const listing = execFileSync("python3", [`${root}scripts/readme-blocks.py`, `${root}bindings-wasm/npm/README.md`,
    `${dir}blocks`, "js,cjs,ts"], { encoding: "utf8" });
  const line = listing.split("\n").find((l) => /-adapter\.ts /.test(l));
  assert.ok(line, `no block named adapter in:\n${listing}`);
  return line.split(" ")[0];
}

test("the README's @xmpp/client example type-checks under tsc --strict and tunnels through Prosody", async () => {
  const block = adapterBlock();
  writeFileSync(`${dir}adapter.ts`, readFileSync(block, "utf8"));
  // xmpp.js ships no declarations: the README tells TypeScript users to declare the module.
  writeFileSync(`${dir}xmpp-client.d.ts`, 'declare module "@xmpp/client";\n');
  writeFileSync(`${dir}tsconfig.json`, JSON.stringify({
    compilerOptions: {
      strict: true, target: "es2022", module: "node16", moduleResolution: "node16",
      lib: ["es2022", "dom"], types: [], outDir: "out", skipLibCheck: false,
    },
    files: ["adapter.ts", "xmpp-client.d.ts"],
  }));
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, "-p", `${dir}tsconfig.json`], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc --strict rejects the README example:\n${e.stdout}${e.stderr}`);
  }

  const { domain, port } = server;
  const julietJid = `juliet@${domain}/balcony`;
  const juliet = client({ service: `ws://127.0.0.1:${port}/xmpp-websocket`, domain, username: "juliet",
    password: "juliet-secret", resource: "balcony" });
  juliet.on("error", () => {});
  await juliet.start();
  const jx = attachXtls(juliet, new Endpoint(julietJid, { trust: "trust-on-first-use" }));
  const heard = new Promise((resolve) => juliet.on("stanza", (el) => jx.tunnelPeer(el) && resolve(el)));

  // The compiled example, pointed at this server.
  let js = readFileSync(`${dir}out/adapter.js`, "utf8");
  const swap = (from, to) => {
    assert.ok(js.includes(from), `the example no longer contains ${from}`);
    js = js.replaceAll(from, to);
  };
  swap('"wss://example.net/xmpp-websocket"', `"ws://127.0.0.1:${port}/xmpp-websocket", domain: "${domain}"`);
  swap('password: "…"', 'password: "romeo-secret"');
  swap("juliet@capulet.lit/balcony", julietJid);
  writeFileSync(`${dir}out/adapter.js`, `globalThis.localStorage = {};\n${js}`);
  const child = spawn(process.execPath, ["--experimental-websocket", `${dir}out/adapter.js`], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  try {
    const el = await Promise.race([heard, new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no tunnelled message within 20 s; the example printed:\n${output}`)), 20000))]);
    assert.equal(el.getChildText("body"), "But soft!");
    assert.equal(jx.tunnelPeer(el), `romeo@${domain}/${el.attrs.from.split("/")[1]}`);
    // The example's own "established" listener ran.
    for (let i = 0; i < 50 && !/tunnel to /.test(output); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(output, new RegExp(`tunnel to ${julietJid}: TLSv1\\.3 TLS_\\w+, `));
    assert.doesNotMatch(output, /not sent:/);
  } finally {
    child.kill();
    jx.detach();
    await juliet.stop();
  }
});
