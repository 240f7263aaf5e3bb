// The service worker that makes the page work offline once loaded: it keeps
// the site's files (the page, its scripts, xterm's stylesheet, the hart's
// wasm and the root filesystem image) in a cache named after the build.
// Requests go to the network first, so an online page always gets the files
// the server has now (and refreshes the cache); when the network fails, the
// cached copy answers. A new build's worker takes over at once and drops the
// caches of older builds.

/// <reference lib="webworker" />
declare const self: ServiceWorkerGlobalScope;
// Set by scripts/web.mjs: a hash of the built files.
declare const GHOST_BUILD: string;

const CACHE = `ghost-${GHOST_BUILD}`;
const FILES = ["./", "index.html", "main.js", "worker.js", "xterm.css", "hart.wasm", "rootfs.cpio"];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("ghost-") && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(req);
      if (res.ok) await cache.put(req, res.clone());
      return res;
    } catch (e) {
      const hit = await cache.match(req, { ignoreSearch: true });
      if (hit) return hit;
      throw e;
    }
  })());
});
