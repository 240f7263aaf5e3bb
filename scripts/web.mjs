// `npm run web`: builds the static site in dist/web/ (the page, the worker
// running Ghost, the hart's wasm, the default root filesystem image, xterm's
// stylesheet) and serves it on $PORT (8080 by default). The site is static
// files only: any static host serves dist/web/ as well; a service worker
// (web/sw.ts) keeps them, so the page works offline once loaded.
// `--build-only` builds without serving.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");

export async function buildWeb() {
  mkdirSync(out, { recursive: true });
  for (const need of ["dist/hart.wasm", "build/rootfs.cpio"]) {
    if (!existsSync(join(root, need))) throw new Error(`${need} is missing: run scripts/prepare.sh first`);
  }
  await build({
    entryPoints: { main: join(root, "web/main.ts"), worker: join(root, "web/worker.ts") },
    bundle: true, format: "esm", platform: "browser", target: "es2022", outdir: out,
    sourcemap: true, minify: false, logLevel: "warning",
    // The kernel names bytes with Node's Buffer; in the browser it is the npm package of the same API.
    inject: [join(root, "web/buffer-shim.ts")],
    // Nothing of Node may reach the bundle: a node: import fails the build.
    external: [],
  });
  copyFileSync(join(root, "web/index.html"), join(out, "index.html"));
  copyFileSync(join(root, "node_modules/@xterm/xterm/css/xterm.css"), join(out, "xterm.css"));
  copyFileSync(join(root, "dist/hart.wasm"), join(out, "hart.wasm"));
  copyFileSync(join(root, "build/rootfs.cpio"), join(out, "rootfs.cpio"));
  // The service worker (offline use) names its cache after the files it keeps.
  const hash = createHash("sha256");
  for (const f of ["index.html", "main.js", "worker.js", "xterm.css", "hart.wasm", "rootfs.cpio"]) hash.update(readFileSync(join(out, f)));
  await build({
    entryPoints: { sw: join(root, "web/sw.ts") },
    bundle: true, format: "esm", platform: "browser", target: "es2022", outdir: out, logLevel: "warning",
    define: { GHOST_BUILD: JSON.stringify(hash.digest("hex").slice(0, 16)) },
  });
  return out;
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".map": "application/json", ".cpio": "application/octet-stream" };

// `extra`: more files served from memory beside the site (path → bytes), as
// the browser test serves its root filesystem images.
export function serve(dir, port, extra = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const own = extra[url.pathname];
    if (own) { res.writeHead(200, { "content-type": "application/octet-stream", "cache-control": "no-cache" }).end(own); return; }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dir, rel.endsWith("/") ? rel + "index.html" : rel);
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    let body;
    try { body = readFileSync(file); } catch { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = await buildWeb();
  if (!process.argv.includes("--build-only")) {
    const port = Number(process.env.PORT || 8080);
    await serve(dir, port);
    process.stdout.write(`Ghost: http://127.0.0.1:${port}/ (static files in ${dir})\n`);
  }
}
