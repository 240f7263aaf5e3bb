// What `ghost run` of a small program loads of Node: only what it uses. The
// socket, DNS, child-process, hashing, http, stream and terminal modules
// are loaded at their first use (scripts/build.mjs makes the bundle's
// imports of them lazy; cli/main.ts takes its own modules without an ES
// import of node:fs, whose namespace loads every stream), and the JIT's
// translator thread starts only when code gets hot. Loading them all was
// ~15% of the CPU time of such a run.
//
//   node scripts/build.mjs && node --test dist/test/cli/start-modules.test.js
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("dist/src/cli/main.js");
const cliDir = join(root, "dist", "src", "cli");
const bundle = join(cliDir, "bundle", "ghost.cjs");

// As main.ts decides: the bundle is used while it is newer than the modules.
function bundleFresh(): boolean {
  try { return statSync(bundle).mtimeMs >= statSync(join(cliDir, "ghost.js")).mtimeMs; } catch { return false; }
}
const skip = !bundleFresh() || !existsSync(join(cliDir, "main.cjs")) ? "no fresh bundle (node scripts/build.mjs)" : !existsSync(join(root, "build", "rootfs", "bin")) ? "no build/rootfs" : false;

// Node's modules that a run which opens no socket, resolves no name, starts
// no host process and prints to a pipe has no use for.
// perf_hooks: the bundle's performance.now() is process.hrtime (build.mjs),
// not Node's `performance` global, whose first use loads it.
// os: the JIT's cache directory comes from $HOME (jit/cache-node.ts).
const UNUSED = ["net", "dgram", "dns", "child_process", "crypto", "http", "tty", "stream", "worker_threads", "perf_hooks", "os"];

// Runs `ghost run ARGS` with a preload that writes the names of the modules
// Node loaded (process.moduleLoadList) to a file at exit.
function loadedModules(args: string[]): { stdout: string; status: number | null; modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "ghost-startmods-"));
  try {
    const list = join(dir, "modules.txt");
    const preload = join(dir, "preload.cjs");
    writeFileSync(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`);
    // main.cjs: the package's bin and npm start's entry (main.js is the same as an ES module).
    const r = spawnSync(process.execPath, ["--require", preload, join(cliDir, "main.cjs"), "run", ...args], {
      cwd: root, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, GHOST_NO_BUNDLE: "" },
    });
    const modules = existsSync(list) ? readFileSync(list, "utf8").split("\n").filter((l) => l.startsWith("NativeModule ")).map((l) => l.slice("NativeModule ".length)) : [];
    return { stdout: r.stdout, status: r.status, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("ghost run of a small program loads none of Node's socket, DNS, process, crypto, http, stream, tty, perf_hooks or os modules", { skip, timeout: 200_000 }, () => {
  const r = loadedModules(["busybox", "sh", "-c", "echo hi; exit 5"]);
  assert.equal(r.stdout, "hi\n");
  assert.equal(r.status, 5);
  assert.ok(r.modules.includes("fs"), `the module list was read (${r.modules.length} modules)`);
  assert.deepEqual(UNUSED.filter((m) => r.modules.includes(m)), []);
});
