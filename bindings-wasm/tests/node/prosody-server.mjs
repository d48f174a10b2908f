// A throwaway Prosody (Debian package, installed by scripts/setup.sh) on
// 127.0.0.1 with mod_websocket, for the Node tests and the WebSocket
// benchmark: its own config, data and log in a temporary directory, users
// romeo and juliet (passwords "<user>-secret"), run as the prosody user.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DOMAIN = "example.test";

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

async function waitForPort(dir, p, ms) {
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

/**
 * Starts Prosody with its network defaults (Nagle's algorithm on) plus
 * `extra` config lines, `modules` besides the WebSocket essentials.
 * Resolves to `{ port, c2sPort, domain, log(), stop() }`: `port` serves
 * HTTP and WebSocket, `c2sPort` plain XMPP over TCP (no TLS required: the
 * loopback tests and benchmark).
 */
export async function startProsody({ modules = [], extra = "" } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "xmpptls-ws-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const c2sPort = await freePort();
  const cfg = join(dir, "prosody.cfg.lua");
  const enabled = ["saslauth", "disco", "websocket", "roster", "presence", ...modules]
    .map((m) => `"${m}"`).join(", ");
  writeFileSync(cfg, `
pidfile = "${dir}/prosody.pid"
data_path = "${dir}"
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
s2s_ports = { }
http_ports = { ${port} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
-- The test connects over ws:// on loopback; a deployment uses wss://.
consider_websocket_secure = true
c2s_require_encryption = false
authentication = "internal_hashed"
modules_enabled = { ${enabled} }
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
${extra}
VirtualHost "${DOMAIN}"
`);
  chmodSync(cfg, 0o644);
  for (const user of ["romeo", "juliet"]) {
    const [cmd, args] = asProsody("prosodyctl", ["--config", cfg, "register", user, DOMAIN, `${user}-secret`]);
    execFileSync(cmd, args, { stdio: "pipe" });
  }
  const [cmd, args] = asProsody("prosody", ["-F", "--config", cfg]);
  const prosody = spawn(cmd, args, { stdio: "ignore" });
  await waitForPort(dir, port, 15000);
  return {
    port,
    c2sPort,
    domain: DOMAIN,
    log: () => readFileSync(join(dir, "prosody.log"), "utf8"),
    stop() {
      prosody.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
