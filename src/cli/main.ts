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

// The `ghost` command's shell lines (scripts/build.mjs) hand Node the
// user's NODE_EXTRA_CA_CERTS under this name, so that Node does not parse
// those certificates as it starts; it is the user's again from here on.
const carriedCaCerts = process.env.GHOST_NODE_EXTRA_CA_CERTS;
if (carriedCaCerts !== undefined) {
  delete process.env.GHOST_NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = carriedCaCerts;
}

// Node's modules are taken with process.getBuiltinModule, not imported: an
// ES import of node:fs reads every export of it for the module's namespace,
// and its lazy ReadStream/WriteStream getters then load all of Node's
// streams (~5 ms of CPU of every start, for nothing a small program uses).
const { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } = process.getBuiltinModule("node:fs");
const { dirname } = process.getBuiltinModule("node:path");
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule("node:url");
const { Script } = process.getBuiltinModule("node:vm");

// V8 recompiles a wasm function with TurboFan once it has run a while (its
// "tiering budget"); for the JIT's translations that recompile is most of
// what a translation costs (jit/worker.ts, ASYNC_SHARE). GHOST_WASM_TIERING=N
// sets the budget (V8's own: 1800000; unset: 18000000, 0: V8's). Measured
// (python3's loop of bench/programs.ts with every hot block translated:
// GHOST_JIT_BUDGET=0 GHOST_JIT_ASYNC=0 GHOST_JIT_PAYCHECK=0 GHOST_JIT_WARMUP=0,
// load ~27): 18000000 halved the functions TurboFan compiled (2366 -> 1129)
// and took user+sys CPU from 52.8 to 44.0 s; python3 -c pass likewise, with
// components split (load 12-20): 2641 -> 1037 TurboFan compiles, 34.1 ->
// 28.5 s. Code that stays hot still gets there: the budget is about bytes
// executed, a few milliseconds of a hot loop. A value other than the last
// run's makes V8 reject the code cache once (its flags differ). Set before the
// code cache is read and never changed for good afterwards (the hart compiles
// its own module with another budget and puts back the one recorded under
// "ghost.wasmTieringBudget", arch/riscv64/hart.ts), so the cache read and the
// cache written see the same flags. Through V8's binding, as hart.ts does:
// loading node:v8 loads all of Node's streams (cli/start-modules.test.ts).
const tiering = process.env.GHOST_WASM_TIERING ? Math.floor(Number(process.env.GHOST_WASM_TIERING)) : 18_000_000;
if (tiering > 0) {
  const quiet = process.noDeprecation;
  process.noDeprecation = true; // DEP0111, once, for process.binding
  try {
    const v8 = (process as unknown as { binding(name: string): { setFlagsFromString?(flags: string): void } }).binding("v8");
    if (typeof v8.setFlagsFromString === "function") {
      v8.setFlagsFromString(`--wasm-tiering-budget=${tiering}`);
      (globalThis as Record<symbol, unknown>)[Symbol.for("ghost.wasmTieringBudget")] = tiering;
    }
  } catch {
    // no binding: V8's own budget
  } finally {
    process.noDeprecation = quiet;
  }
}

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

// A whole file read into `buf` (if it is large enough) or a new buffer.
function readWhole(path: string, buf?: Buffer): Buffer {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const into = buf && buf.length >= size ? buf : Buffer.allocUnsafe(size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, into, got, size - got, got);
    return into.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

// The bundle is a function expression (scripts/build.mjs wraps it) of what a
// CommonJS module gets, and the URL its `import.meta.url` stood for.
//
// The source and then the code cache are read into one buffer: once the
// source's bytes are copied into V8's string, the same pages (already
// faulted in) take the cache. Each fresh page of memory is a page fault,
// ~15 us of CPU on this loaded VM; a buffer per file was ~300 pages more
// (minor faults of a static hello: 5,850 -> 5,550).
function runBundle(): void {
  let cacheSize = -1;
  try { cacheSize = statSync(codeCache).size; } catch { /* first run */ }
  const buf = Buffer.allocUnsafe(Math.max(cacheSize, statSync(bundle).size));
  // scripts/build.mjs makes the bundle pure ASCII: latin1 is then the same
  // text, decoded without UTF-8's scan into V8's compact one-byte string.
  const source = readWhole(bundle, buf).toString("latin1");
  let cachedData: Buffer | undefined;
  if (cacheSize >= 0) try { cachedData = readWhole(codeCache, buf); } catch { /* gone since */ }
  const script = new Script(source, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) process.once("exit", () => saveCodeCache(script));
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  fn.call(module.exports, module.exports, requireBuiltin, module, bundle, dirname(bundle), pathToFileURL(bundle).href);
}

if (bundleIsFresh()) runBundle();
else void import(modules.href);
