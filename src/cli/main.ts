#!/usr/bin/env node
// The `ghost` command's entry. It loads the command (ghost.ts) as one
// bundled module when scripts/build.mjs made one after the last TypeScript
// compile: resolving, reading and linking the kernel's ~230 modules one by
// one is about half of a `ghost run` of a small program. After a bare `tsc`
// (which rewrites every module, so the bundle is older) or with
// GHOST_NO_BUNDLE=1, it loads the modules themselves.
import { statSync } from "node:fs";

const bundle = new URL("./bundle/ghost.mjs", import.meta.url);
const modules = new URL("./ghost.js", import.meta.url);

function bundleIsFresh(): boolean {
  if (process.env.GHOST_NO_BUNDLE) return false;
  try {
    return statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
  } catch {
    return false; // no bundle built
  }
}

await import(bundleIsFresh() ? bundle.href : modules.href);
