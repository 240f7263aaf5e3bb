// Builds Ghost: the hart (AssemblyScript → WebAssembly) and the kernel
// (TypeScript → JavaScript). Each step runs only when one of its inputs
// (sources, folders — a deleted file changes its folder — and configuration)
// is newer than what it built last time, so that `npm start` with nothing
// changed starts at once. `--force` rebuilds everything.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const force = process.argv.includes("--force");
const requireHere = createRequire(import.meta.url);
mkdirSync(join(root, "dist"), { recursive: true });

// The newest modification time under the given files and folders.
function newest(paths) {
  let t = 0;
  const visit = (p) => {
    let st;
    try { st = statSync(p); } catch { return; }
    t = Math.max(t, st.mtimeMs);
    if (!st.isDirectory()) return;
    for (const e of readdirSync(p)) if (e !== "node_modules" && e !== "dist") visit(join(p, e));
  };
  for (const p of paths) visit(join(root, p));
  return t;
}

// Runs build() unless `stamp` is newer than every input.
async function step(stamp, inputs, build) {
  const stampPath = join(root, "dist", stamp);
  const built = existsSync(stampPath) ? statSync(stampPath).mtimeMs : -1;
  if (!force && built >= newest(inputs)) return;
  await build();
  writeFileSync(stampPath, new Date().toISOString() + "\n");
}

const self = "scripts/build.mjs";

await step(".hart.stamp", ["src/arch/riscv64/wasm", "package-lock.json", self], () => {
  execFileSync(bin("asc"), [
    "src/arch/riscv64/wasm/hart.ts",
    "--outFile", "dist/hart.wasm",
    "--textFile", "dist/hart.wat",
    "-O3", "--noAssert", "--runtime", "stub",
    "--importMemory", "--initialMemory", "16", "--maximumMemory", "65536",
    // The function table is the JIT's: translated code is called through it (jit/jit.ts).
    "--importTable",
    // Static data above the hart's fixed tables (wasm/layout.ts ends them at 0xc0000).
    "--memoryBase", "786432",
  ], { cwd: root, stdio: "inherit" });
});

await step(".tsc.stamp", ["src", "test", "bench", "tsconfig.json", "package-lock.json", self], () => {
  execFileSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  removeOrphans();
});

// Node's modules that a small program never needs (sockets, DNS, child
// processes, hashing, streams, terminals) are loaded by the bundle at their
// first use, not at its start: loading them all was ~15 ms of CPU of every
// `ghost run` (child_process, crypto, dgram, dns, net, stream, tty). Each
// becomes a proxy that requires the module when one of its exports is first
// read. Its names are listed at build time, with this Node, for esbuild's
// `import * as` (which copies the names, not the values, at start).
const LAZY_BUILTINS = ["child_process", "crypto", "dgram", "dns", "http", "net", "os", "stream", "tty"];
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => {
      if (a.namespace === "lazy-builtin") return { path: a.path, external: true }; // the proxy's own require
      return LAZY_BUILTINS.includes(a.path.slice(5)) ? { path: a.path, namespace: "lazy-builtin" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (a) => {
      const mod = requireHere(a.path);
      const names = Object.getOwnPropertyNames(mod).filter((k) => !["length", "name", "prototype"].includes(k) || typeof mod !== "function");
      const hidden = names.filter((k) => !Object.getOwnPropertyDescriptor(mod, k).enumerable);
      return {
        loader: "js",
        contents: `let m;
const load = () => m ??= require(${JSON.stringify(a.path)});
const names = ${JSON.stringify(names)}, hidden = new Set(${JSON.stringify(hidden)});
module.exports = new Proxy({}, {
  get: (_, k) => load()[k],
  has: (_, k) => k in load(),
  set: (_, k, v) => { load()[k] = v; return true; },
  getPrototypeOf: () => Object.prototype,
  ownKeys: () => m ? Reflect.ownKeys(m) : names,
  getOwnPropertyDescriptor: (_, k) => m ? Reflect.getOwnPropertyDescriptor(m, k) && { ...Reflect.getOwnPropertyDescriptor(m, k), configurable: true }
    : names.includes(k) ? { value: undefined, writable: true, enumerable: !hidden.has(k), configurable: true } : undefined,
});
`,
      };
    });
  },
};

// The `ghost` command as one script (src/cli/main.ts runs it, with V8's code
// cache, while it is newer than the compiled modules): made from tsc's
// output, so it is the same code, after every compile. CommonJS-shaped for
// node:vm's code cache; import.meta.url is a parameter main.ts passes.
await step(".bundle.stamp", ["dist/.tsc.stamp", self], async () => {
  rmSync(join(root, "dist/src/cli/bundle"), { recursive: true, force: true }); // an old bundle's code cache too
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(root, "dist/src/cli/ghost.js")], bundle: true, platform: "node", format: "cjs", keepNames: true,
    define: { "import.meta.url": "__ghost_import_meta_url" },
    // Without comments and indentation (1.5 → 1.0 MB) and pure ASCII, so
    // main.ts reads it as latin1 into a one-byte string: decoding 1.5 MB of
    // UTF-8 with a few non-ASCII bytes made a two-byte string and cost ~10 ms
    // of CPU per run before V8 even looked at the code cache.
    minifyWhitespace: true, charset: "ascii",
    sourcemap: true, logLevel: "warning", outfile: join(root, "dist/src/cli/bundle/ghost.cjs"),
    plugins: [lazyBuiltins],
  });
  const out = readFileSync(join(root, "dist/src/cli/bundle/ghost.cjs"));
  if (out.some((b) => b > 0x7f)) throw new Error("dist/src/cli/bundle/ghost.cjs is not pure ASCII (main.ts reads it as latin1)");
});

// Output whose TypeScript source is gone (moved or deleted) goes too: a test
// file left behind in dist/ would still be run by scripts/test.sh.
function removeOrphans() {
  const visit = (rel) => {
    const dir = join(root, "dist", rel);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = join(rel, e.name);
      if (e.isDirectory()) { visit(r); continue; }
      const m = /^(.*)\.js(\.map)?$/.exec(r);
      if (m && !existsSync(join(root, m[1] + ".ts"))) rmSync(join(dir, e.name));
    }
  };
  for (const top of ["src", "test", "bench"]) if (existsSync(join(root, "dist", top))) visit(top);
}
