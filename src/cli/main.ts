#!/usr/bin/env node
// The `ghost` command's entry (also built as CommonJS, main.cjs: package.json's
// bin and npm start use that, see scripts/build.mjs). It loads the command (ghost.ts) as one
// bundled script when scripts/build.mjs made one after the last TypeScript
// compile: resolving, reading and linking the kernel's ~230 modules one by
// one is about half of a `ghost run` of a small program. After a bare `tsc`
// (which rewrites every module, so the bundle is older) or with
// GHOST_NO_BUNDLE=1, it loads the modules themselves.
//
// The bundle is a CommonJS-shaped script run through node:vm with V8's code
// cache beside it (ghost.cjs.run.v8cache, .boot., .other.): parsing and
// compiling 1.5 MB of JavaScript was the largest part of the start-up left,
// and Node 20 has no compile cache for ES modules. Each subcommand's cache is
// written at its first run's exit
// (so it holds the functions that run compiled, not only the top level) and
// again whenever V8 rejects it (another Node, other V8 flags, a new bundle);
// a cache that cannot be written (a read-only install) is simply not used.
//
// Node's modules are taken with process.getBuiltinModule, not imported: an
// ES import of node:fs reads every export of it for the module's namespace,
// and its lazy ReadStream/WriteStream getters then load all of Node's
// streams (~5 ms of CPU of every start, for nothing a small program uses).
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule("node:fs");
const { dirname } = process.getBuiltinModule("node:path");
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule("node:url");
const { Script } = process.getBuiltinModule("node:vm");

const bundle = fileURLToPath(new URL("./bundle/ghost.cjs", import.meta.url));
const modules = new URL("./ghost.js", import.meta.url);
// One code cache per subcommand: a cache holds the functions the run that
// wrote it compiled, and `ghost boot` and `ghost run` go through different
// ones (a `run` with the cache a `boot` wrote compiled the rest from source:
// static hello, 278 -> 305 ms CPU median, 20 interleaved pairs, load 15).
const command = process.argv[2] === "run" || process.argv[2] === "boot" ? process.argv[2] : "other";
const codeCache = `${bundle}.${command}.v8cache`;

function bundleIsFresh(): boolean {
  if (process.env.GHOST_NO_BUNDLE) return false;
  try {
    return statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
  } catch {
    return false; // no bundle built
  }
}

function saveCodeCache(script: InstanceType<typeof Script>): void {
  const tmp = `${codeCache}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, codeCache); // whole or not at all, with other runs writing it too
  } catch {
    try { rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
  }
}

// The bundle requires nothing but Node's own modules (esbuild bundled the
// rest): no module resolution, and no node:module to load for createRequire.
function requireBuiltin(id: string): unknown {
  const m = process.getBuiltinModule(id);
  if (m === undefined) throw new Error(`ghost: the bundle asked for ${id}, which is not one of Node's modules`);
  return m;
}

// The bundle is a function expression (scripts/build.mjs wraps it) of what a
// CommonJS module gets, and the URL its `import.meta.url` stood for.
function runBundle(): void {
  let cachedData: Buffer | undefined;
  try { cachedData = readFileSync(codeCache); } catch { /* first run */ }
  // scripts/build.mjs makes the bundle pure ASCII: latin1 is then the same
  // text, decoded without UTF-8's scan into V8's compact one-byte string.
  const source = readFileSync(bundle, "latin1");
  const script = new Script(source, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) process.once("exit", () => saveCodeCache(script));
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  fn.call(module.exports, module.exports, requireBuiltin, module, bundle, dirname(bundle), pathToFileURL(bundle).href);
}

if (bundleIsFresh()) runBundle();
else void import(modules.href);
