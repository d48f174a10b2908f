// End to end with real parts: a Prosody server (Debian package) started on
// 127.0.0.1 with a throwaway config and mod_websocket, two registered users,
// and two @xmpp/client instances over WebSocket (RFC 7395) that open an XTLS
// tunnel through the server with the package's @xmpp/client adapter and
// exchange messages. Prosody is stopped afterwards.
// Node 20 needs --experimental-websocket (scripts/test-wasm.sh passes it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client, xml } from "@xmpp/client";
import { Endpoint } from "xmpptls";
import { attachXtls } from "xmpptls/xmpp-client";

const DOMAIN = "example.test";
let dir;
let prosody;
let port;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Prosody refuses to run as root: run it, and prosodyctl, as its own user.
const asProsody = (cmd, args) => ["setpriv", ["--reuid=prosody", "--regid=prosody", "--init-groups", cmd, ...args]];

async function waitForPort(p, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      fetch(`http://127.0.0.1:${p}/`).then(() => resolve(true), () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prosody did not listen on ${p}: ${readFileSync(join(dir, "prosody.log"), "utf8")}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "xmpptls-ws-"));
  chmodSync(dir, 0o777);
  port = await freePort();
  const cfg = join(dir, "prosody.cfg.lua");
  writeFileSync(cfg, `
pidfile = "${dir}/prosody.pid"
data_path = "${dir}"
interfaces = { "127.0.0.1" }
c2s_ports = { }
s2s_ports = { }
http_ports = { ${port} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
-- The test connects over ws:// on loopback; a deployment uses wss://.
consider_websocket_secure = true
c2s_require_encryption = false
authentication = "internal_hashed"
modules_enabled = { "saslauth", "disco", "websocket", "roster", "presence" }
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
VirtualHost "${DOMAIN}"
`);
  chmodSync(cfg, 0o644);
  for (const user of ["romeo", "juliet"]) {
    const [cmd, args] = asProsody("prosodyctl", ["--config", cfg, "register", user, DOMAIN, `${user}-secret`]);
    execFileSync(cmd, args, { stdio: "pipe" });
  }
  const [cmd, args] = asProsody("prosody", ["-F", "--config", cfg]);
  prosody = spawn(cmd, args, { stdio: "ignore" });
  await waitForPort(port, 15000);
});

after(() => {
  prosody?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function connect(username, resource) {
  const xmpp = client({
    service: `ws://127.0.0.1:${port}/xmpp-websocket`,
    domain: DOMAIN,
    username,
    password: `${username}-secret`,
    resource,
  });
  xmpp.on("error", () => {});
  return xmpp;
}

function next(target, type, ms = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} within ${ms} ms`)), ms);
    target.addEventListener(type, (e) => { clearTimeout(t); resolve(e.detail); }, { once: true });
  });
}

test("two @xmpp/client instances tunnel through Prosody over WebSocket", async () => {
  const romeo = connect("romeo", "orchard");
  const juliet = connect("juliet", "balcony");
  const [rj, jj] = await Promise.all([romeo.start(), juliet.start()]);
  const romeoJid = rj.toString();
  const julietJid = jj.toString();
  assert.equal(julietJid, `juliet@${DOMAIN}/balcony`);
  const rx = attachXtls(romeo, new Endpoint(romeoJid, { trust: "tofu" }));
  const received = [];
  const jx = attachXtls(juliet, new Endpoint(julietJid, { trust: "tofu" }), {
    onEvent: (e) => e.type === "stanza" && received.push(e),
  });
  // Ordinary traffic still reaches the client.
  const plain = new Promise((resolve) => juliet.on("stanza", (s) => s.is("message") && resolve(s)));

  const established = Promise.all([next(rx, "established"), next(jx, "established")]);
  const gotMessage = next(jx, "stanza");
  await rx.open(julietJid);
  await rx.send(julietJid, "<message type='chat'><body>But soft! What light through yonder window breaks?</body></message>");
  const [ri, ji] = await established;
  assert.equal(ri.info.tlsVersion, "TLSv1.3");
  assert.equal(ri.info.role, "initiator");
  assert.equal(ji.info.role, "responder");
  assert.equal(ri.info.peerSpkiSha256, jx.endpoint.localPin);
  assert.equal(ri.info.report.verdict, "pass", ri.info.report.text);
  const m = await gotMessage;
  assert.equal(m.peer, romeoJid);
  assert.match(m.stanza, /yonder window/);
  assert.match(m.stanza, new RegExp(`from=["']${romeoJid}["']`));

  const reply = next(rx, "stanza");
  await jx.send(romeoJid, "<message type='chat'><body>Ay me!</body></message>");
  assert.match((await reply).stanza, /Ay me!/);

  await romeo.send(xml("message", { to: julietJid }, xml("body", {}, "in clear")));
  assert.equal((await plain).getChildText("body"), "in clear");

  const closed = Promise.all([next(rx, "closed"), next(jx, "closed")]);
  await rx.close(julietJid);
  const [rc, jc] = await closed;
  assert.equal(rc.reason, "local");
  assert.equal(jc.reason, "peer");
  assert.equal(received.length, 1);
  await Promise.all([romeo.stop(), juliet.stop()]);
});
