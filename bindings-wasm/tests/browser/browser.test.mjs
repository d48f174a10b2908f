// The installed package in headless Chromium (Debian's, driven by
// playwright-core): a page imports it over HTTP and completes a tunnel
// between two endpoints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = dirname(createRequire(import.meta.url).resolve("xmpptls/package.json"));
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

function serve() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path === "/" ? join(here, "page.html")
      : path.startsWith("/xmpptls/") ? join(pkg, path.slice("/xmpptls/".length)) : null;
    try {
      if (!file || !file.startsWith(pkg) && file !== join(here, "page.html")) throw new Error("not here");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("the package completes a tunnel in headless Chromium", async () => {
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on("console", (m) => logs.push(m.text()));
    page.on("pageerror", (e) => logs.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30000 });
    const r = await page.evaluate(() => window.result);
    assert.equal(r.error, undefined, `${r.error}\n${r.stack}\n${logs.join("\n")}`);
    assert.match(r.userAgent, /HeadlessChrome|Chrome/);
    assert.ok(r.stanzas >= 6, `${r.stanzas} stanzas`);
    assert.equal(r.established.tlsVersion, "TLSv1.3");
    assert.equal(r.established.role, "responder");
    assert.equal(r.established.kxGroup, "X25519MLKEM768", "post-quantum in the browser");
    assert.equal(r.established.firstUse, true);
    assert.match(r.message, /From the browser/);
    assert.equal(r.errorCode, 101);
    assert.deepEqual(r.identity, { kind: "xmpp-addr", type: "XmppAddr", presented: "capulet.lit" });
  } finally {
    await browser.close();
    server.close();
  }
});
