// Builds Ghost: the hart (AssemblyScript → WebAssembly) and the kernel
// (TypeScript → JavaScript). Each step runs only when one of its inputs
// (sources, folders — a deleted file changes its folder — and configuration)
// is newer than what it built last time, so that `npm start` with nothing
// changed starts at once. `--force` rebuilds everything.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const force = process.argv.includes("--force");
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

// Node's own modules, as the bundle sees them. Each import site of a CommonJS
// module gets esbuild's namespace copy (__toESM: a getter per export), and
// the kernel's modules import node:fs a dozen times: copying its ~100
// exports each time was ~3% of a `ghost run` of a small program. Here each
// builtin is a module whose exports object has none of its own: it inherits
// them from Node's module, so the copy has nothing to copy and every name
// reads through.
//
// The modules that a small program never needs (sockets, DNS, child
// processes, hashing, streams, terminals, http) are loaded at their first
// use, not at the bundle's start: they inherit from a proxy that requires
// the module when one of its names is first read. Loading them all was
// ~15 ms of CPU of every `ghost run`.
const LAZY_BUILTINS = ["child_process", "crypto", "dgram", "dns", "http", "net", "os", "stream", "tty"];
const nodeBuiltins = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => (a.namespace === "node-builtin"
      ? { path: a.path, external: true } // the module's own require of Node's
      : { path: a.path, namespace: "node-builtin" }));
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (a) => {
      const id = JSON.stringify(a.path);
      const contents = LAZY_BUILTINS.includes(a.path.slice(5))
        ? `let m;
const load = () => m ??= require(${id});
module.exports = Object.create(new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() }));
`
        : `module.exports = Object.create(require(${id}));\n`;
      return { loader: "js", contents };
    });
  },
};

// Kernel modules the bundle evaluates at their first use, not at its start.
// A namespace import marked `// ghost:lazy` (import * as ns from "…";
// // ghost:lazy) becomes, in the bundle only, a require() of the module behind
// a proxy: esbuild wraps a required module in an init function, which runs
// when one of ns's names is first read (no sooner: its code is not even
// compiled, so neither the code cache nor the start pays for it). The module
// must be imported nowhere else that runs at the start (else that import
// evaluates it), and ns is used only as ns.name. Run as ES modules (tsc's
// output, the tests), the import is an ordinary one.
const LAZY_MARK = /^import \* as (\w+) from ("[^"]+"); \/\/ ghost:lazy$/gm;
const lazyImports = {
  name: "lazy-imports",
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (a) => {
      const text = readFileSync(a.path, "utf8");
      if (!text.includes("// ghost:lazy")) return undefined;
      const contents = text.replace(LAZY_MARK, (_, ns, spec) => `const ${ns} = __ghost_lazy(() => require(${spec}));`);
      if (contents.includes("// ghost:lazy")) throw new Error(`build: ${a.path}: a "// ghost:lazy" import build.mjs cannot make lazy (only \`import * as ns from "…"; // ghost:lazy\`)`);
      return { contents, loader: "js", resolveDir: dirname(a.path) };
    });
  },
};
const GHOST_LAZY = "var __ghost_lazy=(load)=>{let m;return new Proxy({},{get:(_,k)=>(m??=load())[k],has:(_,k)=>k in(m??=load())})};";

// performance.now() in the bundle: the same clock (process.hrtime, in ms,
// from about the process's start, as Node's own performance.now computes
// it), without Node's `performance` global, whose first use loads ten of
// perf_hooks' modules (~2% of a `ghost run` of a small program). The kernel
// only takes differences of it.
const GHOST_NOW = "var __ghost_now=((o,base)=>()=>{const t=process.hrtime();return base+(t[0]-o[0])*1e3+(t[1]-o[1])/1e6})(process.hrtime(),process.uptime()*1e3);";

// main.cjs is the `ghost` command (package.json's bin): run as a program,
// /bin/sh reads its first lines and Node the rest. Node 20 parses the file
// named by NODE_EXTRA_CA_CERTS as it starts, before any JavaScript runs
// (set machine-wide on some hosts: ~55 ms of CPU of every start, node -e 0
// 128 -> 73 ms); Ghost never uses Node's TLS (its guests do their own), so
// the shell hands the variable to Node under another name and main.ts puts
// it back before anything reads the environment: the guest's environment
// and the host processes Ghost starts have it as the user set it. The
// second line is a string and a comment to JavaScript, so `node main.cjs`
// runs the same code (and parses the certificates).
//
// For `ghost boot` on a terminal the shell also saves the terminal's
// settings (stty -g) and leaves a guardian behind: a subshell that waits for
// Node's pid (the shell's own, after exec) to end and then restores them.
// Node stops it when it gave the terminal back itself; it is there for the
// ways out no handler sees (SIGKILL). A shell, stty and tail cost far less
// than Node starting sh from its own process (a fork of all of Node that
// holds its event loop until the child has exec'd: tens of ms under load,
// before the prompt). src/drivers/tty/hostterm.ts reads GHOST_TTY_SAVED and
// GHOST_TTY_GUARD; without them (`node main.cjs boot`) it starts its own guardian.
const LAUNCHER = [
  "#!/bin/sh",
  `':' //; if [ -n "\${NODE_EXTRA_CA_CERTS+set}" ]; then GHOST_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export GHOST_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; ` +
    `if [ "$1" = boot ] && [ -t 0 ] && GHOST_TTY_SAVED=$(stty -g 2>/dev/null); then exec 9<&0; (trap '' INT QUIT TSTP; tail --pid=$$ -s 0.1 -f /dev/null && stty "$GHOST_TTY_SAVED" <&9) >/dev/null 2>&1 & GHOST_TTY_GUARD=$!; exec 9<&-; export GHOST_TTY_SAVED GHOST_TTY_GUARD; fi; exec node "$0" "$@"`,
].join("\n") + "\n";

function launcherHeader(path) {
  const text = readFileSync(path, "utf8").replace(/^#!.*\n/, "");
  writeFileSync(path, LAUNCHER + text, { mode: 0o755 });
  chmodSync(path, 0o755);
}

// The `ghost` command as one script (src/cli/main.ts runs it, with V8's code
// cache, while it is newer than the compiled modules): made from tsc's
// output, so it is the same code, after every compile. CommonJS-shaped for
// node:vm's code cache, and wrapped already (banner and footer) as the
// function main.ts calls with what a CommonJS module gets, so the 1 MB text
// is compiled as read, not first copied into a wrapper; import.meta.url is a
// parameter main.ts passes.
await step(".bundle.stamp", ["dist/.tsc.stamp", self], async () => {
  rmSync(join(root, "dist/src/cli/bundle"), { recursive: true, force: true }); // an old bundle's code cache too
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(root, "dist/src/cli/ghost.js")], bundle: true, platform: "node", format: "cjs", keepNames: true,
    define: { "import.meta.url": "__ghost_import_meta_url", "performance.now": "__ghost_now" },
    // Without comments and indentation (1.5 → 1.0 MB) and pure ASCII, so
    // main.ts reads it as latin1 into a one-byte string: decoding 1.5 MB of
    // UTF-8 with a few non-ASCII bytes made a two-byte string and cost ~10 ms
    // of CPU per run before V8 even looked at the code cache.
    minifyWhitespace: true, charset: "ascii",
    banner: { js: "(function (exports, require, module, __filename, __dirname, __ghost_import_meta_url) {\"use strict\";\n" + GHOST_NOW + GHOST_LAZY },
    footer: { js: "})" },
    sourcemap: true, logLevel: "warning", outfile: join(root, "dist/src/cli/bundle/ghost.cjs"),
    plugins: [nodeBuiltins, lazyImports],
  });
  // The entry as CommonJS (package.json's bin, npm start): Node starts an ES
  // module entry through its ES module loader, ~15 ms of CPU more than a
  // CommonJS one (an empty script: 151 against 134 ms, 25 interleaved runs,
  // load 28). The same code as main.js (tsc's output, which stays for
  // `node dist/src/cli/main.js`).
  await build({
    entryPoints: [join(root, "dist/src/cli/main.js")], bundle: false, platform: "node", format: "cjs", target: "node20",
    define: { "import.meta.url": "__ghost_main_url" },
    banner: { js: '"use strict";const __ghost_main_url = require("node:url").pathToFileURL(__filename).href;' },
    supported: { "dynamic-import": true }, logLevel: "warning", outfile: join(root, "dist/src/cli/main.cjs"),
  });
  launcherHeader(join(root, "dist/src/cli/main.cjs"));
  const outPath = join(root, "dist/src/cli/bundle/ghost.cjs");
  const out = readFileSync(outPath);
  if (out.some((b) => b > 0x7f)) throw new Error("dist/src/cli/bundle/ghost.cjs is not pure ASCII (main.ts reads it as latin1)");
  writeFileSync(outPath, cheapKeepNames(out.toString("latin1")), "latin1");
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

// keepNames makes esbuild call its __name helper for every function and
// class of the bundle (~2,200 of them) as the bundle starts, each an
// Object.defineProperty of "name". Only the few that esbuild renamed (a
// clash of two modules' names: `run2`) need it; for the rest the name is
// already the one given. The helper is rewritten to define the property only
// when the name differs: the same names (procfs's fdinfo reads a class's
// name), ~10 ms less CPU per start (25 interleaved runs of a static hello,
// load 29: 296 -> 285 ms median). The new text is padded to the old one's
// length, so the source map's columns after it stay right.
function cheapKeepNames(text) {
  const re = /var __name=\((\w+),value\)=>__defProp\(\1,"name",\{value,configurable:true\}\);/;
  const m = re.exec(text);
  if (!m) throw new Error("build: esbuild's __name helper is not where build.mjs expects it (scripts/build.mjs cheapKeepNames)");
  const helper = 'var __name=(f,v)=>f.name===v?f:__defProp(f,"name",{value:v,configurable:true});';
  if (helper.length > m[0].length) throw new Error("build: cheapKeepNames's helper is longer than esbuild's");
  // The calls that name a declared function or class what it is named
  // already (`function f(){}__name(f,"f");`, 1,147 of the bundle's 1,514:
  // all but the renamed ones and those inside expressions) do nothing with
  // the helper above; they go, as spaces, so no column moves.
  return text.replace(m[0], helper.padEnd(m[0].length, " "))
    .replace(/(?<=[;}\n])__name\(([\w$]+),"\1"\);/g, (call) => " ".repeat(call.length));
}
