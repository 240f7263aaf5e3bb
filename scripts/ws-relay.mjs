// The network of Ghost in a browser: a WebSocket relay that carries the
// page's guest NIC's Ethernet frames to Ghost's own user-mode NAT, run here in Node
// (src/api/relay.ts). Open the page with ?relay=ws://127.0.0.1:PORT/.
//
//   node scripts/ws-relay.mjs [--port=N] [--origin=URL]... [--open]
//
// --port     where to listen on 127.0.0.1 ($PORT, else 8081)
// --origin   a page origin allowed to connect (repeatable; "*" for any);
//            default: pages from 127.0.0.1, localhost and [::1]
// --open     let the guest reach any address (default: the host's loopback
//            only, as 10.0.2.2, and DNS at 10.0.2.3)
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lib = join(root, "dist", "src", "api", "relay.js");
if (!existsSync(lib)) {
  process.stderr.write("ws-relay: dist/ is missing: run node scripts/build.mjs first\n");
  process.exit(1);
}
const { startRelay } = await import(pathToFileURL(lib).href);

const origins = [];
let port = Number(process.env.PORT || 8081);
let open = false;
for (const a of process.argv.slice(2)) {
  if (a.startsWith("--port=")) port = Number(a.slice(7));
  else if (a.startsWith("--origin=")) origins.push(a.slice(9));
  else if (a === "--open") open = true;
  else { process.stderr.write(`ws-relay: unknown argument ${a}\n`); process.exit(2); }
}
const relay = await startRelay({
  port, open, origins: origins.length ? origins : undefined,
  onLink: (ev, origin) => process.stderr.write(`ws-relay: link ${ev === "open" ? "opened" : "closed"} (${origin || "no origin"})\n`),
});
process.stdout.write(`ws-relay: ${relay.url} (guest traffic to ${open ? "any address" : "the host's loopback only"})\n`);
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => { void relay.close().then(() => process.exit(0)); });
