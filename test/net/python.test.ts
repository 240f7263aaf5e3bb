// Debian's riscv64 python3 (build/dynroot) over Ghost's network, end to
// end both ways (issue #10): urllib in the guest GETs and POSTs to an HTTP
// server this test starts on the host's 127.0.0.1, through the gateway
// 10.0.2.2; and `python3 -m http.server` in the guest serves a file the
// host's curl fetches through `ghost run -p` (the module's handler, for one
// request). Bytes are checked by SHA-256.
// All traffic stays on this machine's loopback.
//
//   npx tsc -p tsconfig.json && node --test dist/test/net/python.test.js
// (builds build/dynroot first when missing: scripts/dynroot.sh)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, exitStatus, tail } from "../helpers/programs.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("userland/net");
const ghostCli = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const DYNROOT = join(root, "build", "dynroot");
// python3 starts in seconds under Ghost; a loaded CI machine takes tens.
const TIMEOUT = 240_000;

// 256 KiB of deterministic bytes each way.
const body = Buffer.alloc(256 << 10);
for (let i = 0, x = 3; i < body.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; body[i] = x >>> 24; }
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function python(opts: string[], code: string[]) {
  const args = [ghostCli, "run", `--root=${DYNROOT}`, "--clear-env", "--env", "PATH=/usr/bin:/bin", "--env", "PYTHONDONTWRITEBYTECODE=1",
    "--env", "HOME=/root", ...opts, "--", "/usr/bin/python3", ...code];
  return run(process.execPath, args, {}, { cwd: root, timeoutMs: TIMEOUT, ownGroup: true });
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe("python3 over the host link", { concurrency: 2, timeout: TIMEOUT * 2 }, () => {
  let server: http.Server;
  let port = 0;
  before(async () => {
    const b = spawnSync("bash", ["scripts/dynroot.sh"], { cwd: root, stdio: "inherit", timeout: 900_000, killSignal: "SIGKILL" });
    assert.equal(b.status, 0, "scripts/dynroot.sh failed");
    server = http.createServer((req, res) => {
      if (req.method === "POST") {
        const h = createHash("sha256");
        req.on("data", (d: Buffer) => h.update(d));
        req.on("end", () => res.end(`posted ${h.digest("hex")}\n`));
      } else res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server?.close());

  test("urllib in the guest GETs and POSTs through 10.0.2.2", async () => {
    const code = [
      "import hashlib, urllib.request",
      `u = "http://10.0.2.2:${port}/data"`,
      "b = urllib.request.urlopen(u, timeout=120).read()",
      "print(len(b), hashlib.sha256(b).hexdigest())",
      "print(urllib.request.urlopen(urllib.request.Request(u, data=b[::-1], method='POST'), timeout=120).read().decode(), end='')",
    ].join("\n");
    const r = await python([], ["-c", code]);
    assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)}`);
    assert.equal(r.stdout, `${body.length} ${sha(body)}\nposted ${sha(Buffer.from(body).reverse())}\n`);
  });

  test("the host's curl fetches from python3 -m http.server in the guest through -p", async () => {
    const www = fs.mkdtempSync(join(root, "build", "net-py-"));
    fs.writeFileSync(join(www, "data.bin"), body);
    const hostPort = await freePort();
    // http.server's SimpleHTTPRequestHandler (what `python3 -m http.server`
    // runs), answering one request: the run ends once the host has its answer.
    const serve = "import functools, http.server\n" +
      "h = functools.partial(http.server.SimpleHTTPRequestHandler, directory='/srv')\n" +
      "http.server.HTTPServer(('0.0.0.0', 8000), h).handle_request()";
    const guest = python(["-p", `${hostPort}:8000`, "-v", `${www}:/srv:ro`], ["-c", serve]);
    try {
      let got = Buffer.alloc(0);
      const deadline = Date.now() + TIMEOUT - 20_000;
      while (Date.now() < deadline) {
        // Before the guest listens, the NAT's connection is reset: try again.
        const c = spawnSync("curl", ["-s", "-f", "--max-time", "60", `http://127.0.0.1:${hostPort}/data.bin`], { timeout: 90_000, killSignal: "SIGKILL" });
        if (c.status === 0) { got = c.stdout; break; }
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(got.length, body.length);
      assert.equal(sha(got), sha(body));
      const r = await guest;
      assert.equal(exitStatus(r), 0, `exit ${exitStatus(r)}: ${tail(r.stderr)}`);
      assert.match(r.stderr, /"GET \/data\.bin HTTP\/1\.1" 200/);
    } finally {
      await guest;
      fs.rmSync(www, { recursive: true, force: true });
    }
  });
});
