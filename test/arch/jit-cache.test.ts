// The JIT's content cache (src/arch/riscv64/jit/cache.ts, cache-node.ts):
// translations found again by their code bytes and virtual address — across
// frames, execs and kernels of one process, and across runs through a host
// directory — never once the bytes changed, and never from a stored entry
// that is corrupt, copied under another name or made by another build.
//
// Two static programs differ only in one immediate inside their hot loop
// (VAL=1, VAL=2): same layout, same virtual addresses, different bytes on the
// hot page. Every loop is translated early (threshold 100, no
// warm-up, no compile budget), so a translation reused wrongly prints the
// other program's number. Each Ghost run has a private cache directory.
//
//   npx tsc -p tsconfig.json && node --test dist/test/arch/jit-cache.test.js

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, utimesSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";
import { DirPageStore, fingerprintOf } from "../../src/arch/riscv64/jit/cache-node.js";
import type { StoredUnit } from "../../src/arch/riscv64/jit/cache.js";
import { cacheKey, clearMemoryCache } from "../../src/arch/riscv64/jit/cache.js";
import { runProgram } from "../../src/api/index.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-cache");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" }).status === 0;
const haveQemu = spawnSync("qemu-riscv64", ["--version"], { stdio: "ignore", timeout: 60_000, killSignal: "SIGKILL" }).status === 0;
const skip = !haveCc ? `${CC} not found` : !haveQemu ? "qemu-riscv64 not found" : false;

const SRC = String.raw`
#include <stdio.h>
__attribute__((noinline)) static unsigned long work(unsigned long n) {
  unsigned long x = 0;
  for (unsigned long i = 0; i < n; i++) x = x * 31 + VAL + (i & 7);
  return x;
}
int main(void) { printf("%lu\n", work(200000)); return 0; }
`;

const FORCE = { GHOST_JIT: "1", GHOST_JIT_THRESHOLD: "100", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0" };

// The two programs and their outputs under qemu-riscv64 (the oracle).
function build(): { a: string; b: string; outA: string; outB: string } {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, "val.c"), SRC);
  const bins: string[] = [];
  const outs: string[] = [];
  for (const v of [1, 2]) {
    const bin = join(DIR, `val${v}`);
    const r = spawnSync(CC, ["-O2", "-static", `-DVAL=${v}`, "-o", bin, join(DIR, "val.c")], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    assert.equal(r.status, 0, r.stderr);
    const q = spawnSync("qemu-riscv64", [bin], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
    assert.equal(q.status, 0, q.stderr);
    bins.push(bin);
    outs.push(q.stdout);
  }
  // Same layout: the hot page is at the same address in both, only its bytes differ.
  assert.equal(statSync(bins[0]).size, statSync(bins[1]).size, "the two programs should differ only in an immediate");
  assert.notEqual(outs[0], outs[1]);
  return { a: bins[0], b: bins[1], outA: outs[0], outB: outs[1] };
}

interface Stats { modules: number; insns: number; cacheHits: number; storeHits: number }

function ghost(cwd: string, script: string, cacheDir: string): { stdout: string; stats: Stats } {
  const r = spawnSync(process.execPath, [CLI, "run", "--", "/bin/sh", "-c", script], {
    cwd, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL",
    env: { ...process.env, ...FORCE, GHOST_JIT_STATS: "1", GHOST_JIT_CACHE: "1", GHOST_JIT_CACHE_DIR: cacheDir },
  });
  assert.equal(r.status, 0, `status ${r.status} ${r.signal ?? ""}: ${r.stderr}`);
  const m = /ghost: jit (\{.*\})/.exec(r.stderr);
  assert.ok(m, `no JIT statistics in ${r.stderr}`);
  return { stdout: r.stdout, stats: JSON.parse(m[1]) as Stats };
}

function wjcFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".wjc")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

test("a translation follows the bytes: a rewritten program runs its new code, a copy reuses the old one's", { skip, timeout: 600_000 }, () => {
  const { a, b, outA, outB } = build();
  const work = mkdtempSync(join(tmpdir(), "ghost-jit-cache-"));
  try {
    cpSync(a, join(work, "a"));
    cpSync(b, join(work, "b"));
    const cache = join(work, "cache");
    // x rewritten in place (same inode, same frames, new bytes); y a copy of a
    // (new frames, a's bytes); z a copy of b.
    const script = "cp a /tmp/x && /tmp/x && cat b > /tmp/x && /tmp/x && cp a /tmp/y && /tmp/y && cp b /tmp/z && /tmp/z";
    const want = outA + outB + outA + outB;

    const first = ghost(work, script, cache);
    assert.equal(first.stdout, want);
    assert.ok(first.stats.cacheHits > 0, `the copies reuse the translations of the same bytes: ${JSON.stringify(first.stats)}`);
    assert.ok(wjcFiles(cache).length > 0, "translations were stored");

    // Another run: the same code comes from the store, and still follows the bytes.
    const second = ghost(work, script, cache);
    assert.equal(second.stdout, want);
    assert.ok(second.stats.storeHits > 0, `a second run finds the stored translations: ${JSON.stringify(second.stats)}`);

    // Corrupt every stored entry (one byte of its module, or cut short): all are ignored.
    wjcFiles(cache).forEach((f, i) => {
      const buf = readFileSync(f);
      if (i % 2) writeFileSync(f, buf.subarray(0, buf.length - 100));
      else { buf[buf.length - 40] ^= 0x20; writeFileSync(f, buf); }
    });
    const third = ghost(work, script, cache);
    assert.equal(third.stdout, want);
    assert.equal(third.stats.storeHits, 0, `corrupt entries are never used: ${JSON.stringify(third.stats)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

// Ghost with the environment's default cache setting (GHOST_JIT_CACHE
// unset), as a promise, so that runs can overlap.
function ghostAsync(cwd: string, script: string, cacheDir: string): Promise<{ status: number | null; stdout: string; stderr: string; stats?: Stats }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...FORCE, GHOST_JIT_STATS: "1", GHOST_JIT_CACHE_DIR: cacheDir };
  delete env["GHOST_JIT_CACHE"];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, "run", "--", "/bin/sh", "-c", script], { cwd, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        const m = /ghost: jit (\{.*\})/.exec(stderr);
        resolve({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr, stats: m ? JSON.parse(m[1]) as Stats : undefined });
      });
  });
}

// On by default (GHOST_JIT_CACHE=0 turns it off), and shared safely: runs at
// once write the same directory (each file written aside, then renamed), and
// a later run finds what they stored — and still runs each program's own code.
test("the persistent cache is on by default and shared by runs at once", { skip, timeout: 600_000 }, async () => {
  const { a, b, outA, outB } = build();
  const work = mkdtempSync(join(tmpdir(), "ghost-jit-shared-"));
  try {
    cpSync(a, join(work, "a"));
    cpSync(b, join(work, "b"));
    const cache = join(work, "cache");
    const runs = await Promise.all([
      ghostAsync(work, "./a && ./b", cache), ghostAsync(work, "./b && ./a", cache), ghostAsync(work, "./a", cache),
    ]);
    for (const [i, want] of [outA + outB, outB + outA, outA].entries()) {
      assert.equal(runs[i].status, 0, runs[i].stderr);
      assert.equal(runs[i].stdout, want, `run ${i} at once with the others`);
    }
    assert.ok(wjcFiles(cache).length > 0, "translations were stored without GHOST_JIT_CACHE=1");
    assert.equal(readdirSync(cache).flatMap((d) => readdirSync(join(cache, d))).filter((n) => n.endsWith(".tmp")).length, 0, "no file left half-written");
    const later = await ghostAsync(work, "./b && ./a", cache);
    assert.equal(later.status, 0, later.stderr);
    assert.equal(later.stdout, outB + outA);
    assert.ok(later.stats && later.stats.storeHits > 0, `a later run finds them: ${JSON.stringify(later.stats)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

// A new build of Ghost never runs the old one's translations. The `ghost`
// command runs the bundle (dist/src/cli/bundle/ghost.cjs), which holds the
// translator: a copy of dist/ whose bundle differs (by a comment) must find
// nothing stored by the original.
test("a changed bundle is another build: it finds nothing the old one stored", { skip, timeout: 600_000 }, () => {
  const { a, outA } = build();
  const work = mkdtempSync(join(tmpdir(), "ghost-jit-build-"));
  try {
    cpSync(join(ROOT, "dist"), join(work, "dist"), { recursive: true, preserveTimestamps: true });
    writeFileSync(join(work, "package.json"), JSON.stringify({ type: "module" }));
    cpSync(a, join(work, "a"));
    const cache = join(work, "cache");
    const run = (): Stats => {
      const r = spawnSync(process.execPath, [join(work, "dist", "src", "cli", "main.js"), "run", `--root=${join(ROOT, "build", "rootfs")}`, "--", "/bin/sh", "-c", "./a"], {
        cwd: work, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL",
        env: { ...process.env, ...FORCE, GHOST_JIT_STATS: "1", GHOST_JIT_CACHE: "1", GHOST_JIT_CACHE_DIR: cache, GHOST_NO_BUNDLE: "" },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, outA);
      const m = /ghost: jit (\{.*\})/.exec(r.stderr);
      assert.ok(m, `no JIT statistics in ${r.stderr}`);
      return JSON.parse(m[1]) as Stats;
    };
    run();
    assert.ok(run().storeHits > 0, "the same build finds what it stored");
    const bundle = join(work, "dist", "src", "cli", "bundle", "ghost.cjs");
    writeFileSync(bundle, readFileSync(bundle, "latin1") + "\n// another build\n", "latin1");
    rmSync(bundle + ".run.v8cache", { force: true }); // src/cli/main.ts: one cache per subcommand
    const other = run();
    assert.equal(other.storeHits, 0, `another build used the old translations: ${JSON.stringify(other)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("code rewritten on disk after the start has no fingerprint: translations are not filed under the new build's", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-jit-fp-"));
  const h = { fs: await import("node:fs"), crypto: await import("node:crypto"), path: await import("node:path") };
  try {
    const code = join(dir, "code"), wasmDir = join(code, "a", "b");
    mkdirSync(wasmDir, { recursive: true });
    writeFileSync(join(code, "ghost.cjs"), "one build");
    writeFileSync(join(dir, "hart.wasm"), "wasm");
    const old = (Date.now() - 60_000) / 1000;
    for (const f of [join(code, "ghost.cjs"), join(dir, "hart.wasm")]) utimesSync(f, old, old);
    const started = Date.now() + 1000; // the files' ctimes (now) are before this start
    const fp = fingerprintOf(h, [code], wasmDir, started);
    assert.match(fp ?? "", /^[0-9a-f]{64}$/);
    assert.equal(fingerprintOf(h, [code], wasmDir, started), fp, "the same files, the same fingerprint");
    // Written after a start: what runs is not what is on disk.
    assert.equal(fingerprintOf(h, [code], wasmDir, Date.now() - 30_000), null, "a bundle rewritten after the start");
    writeFileSync(join(code, "ghost.cjs"), "another build");
    utimesSync(join(code, "ghost.cjs"), old, old); // an old mtime does not hide the rewrite: its ctime is new
    assert.equal(fingerprintOf(h, [code], wasmDir, Date.now() - 30_000), null, "a rewrite with an old mtime");
    assert.notEqual(fingerprintOf(h, [code], wasmDir, Date.now() + 1000), fp, "another build, another fingerprint");
    // A store whose translator changed since the start stores and finds nothing, and does not throw.
    const store = new DirPageStore(join(dir, "cache"));
    Object.defineProperty(store, "fingerprint", { get() { throw new Error("changed"); } });
    const page = new Uint8Array(4096).fill(0x13);
    const key = cacheKey(0x10, [0], [], page);
    assert.doesNotThrow(() => store.put(key, unit(page, 1)));
    assert.equal(store.get(key, page), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function unit(page: Uint8Array, fill: number): StoredUnit {
  return { vpage: 0x10, page, comps: [{ blocks: [[0, true], [8, false]], ranges: [[0, 16]], insnCount: 3 }], wasm: new Uint8Array(64).fill(fill) };
}

test("the store gives back only entries of its own build, key and page", () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-jit-store-"));
  try {
    const pageA = new Uint8Array(4096).fill(0x13), pageB = new Uint8Array(4096).fill(0x13);
    pageB[100] = 0x93;
    const keyA = cacheKey(0x10, [0], [], pageA), keyB = cacheKey(0x10, [0], [], pageB);
    const mine = new DirPageStore(dir, "build-1");
    mine.put(keyA, unit(pageA, 7));
    const got = mine.get(keyA, pageA);
    assert.ok(got, "an entry comes back to the build that wrote it");
    assert.deepEqual([...got.wasm], [...unit(pageA, 7).wasm]);
    assert.deepEqual(got.comps, unit(pageA, 7).comps);

    // Another build (another fingerprint) finds nothing, even under its own name for the key.
    const other = new DirPageStore(dir, "build-2");
    assert.equal(other.get(keyA, pageA), undefined);
    const [fileA] = wjcFiles(dir);
    other.put(keyA, unit(pageA, 9));
    const fileOther = wjcFiles(dir).find((f) => f !== fileA)!;
    renameSync(fileOther, fileOther + ".x");
    cpSync(fileA, fileOther);
    assert.equal(other.get(keyA, pageA), undefined, "a file of another build under this build's name");

    // The same page's bytes changed: the entry is not for it.
    assert.equal(mine.get(keyA, pageB), undefined);
    // An entry copied under another key's name.
    mine.put(keyB, unit(pageB, 8));
    const fileB = wjcFiles(dir).find((f) => f !== fileA && f !== fileOther && !f.endsWith(".x"))!;
    cpSync(fileA, fileB);
    assert.equal(mine.get(keyB, pageB), undefined);
    assert.equal(mine.get(keyB, pageA), undefined);

    // Garbage, an empty file, a truncated one.
    for (const bytes of [Buffer.from("GHOSTJC1garbage"), Buffer.alloc(0), readFileSync(fileA).subarray(0, 5000)]) {
      writeFileSync(fileB, bytes);
      assert.equal(mine.get(keyB, pageB), undefined);
    }
    assert.ok(mine.get(keyA, pageA), "the good entry is still good");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the store stays within its size", () => {
  const dir = mkdtempSync(join(tmpdir(), "ghost-jit-trim-"));
  try {
    const store = new DirPageStore(dir, "build-1");
    const keys: string[] = [];
    for (let i = 0; i < 20; i++) {
      const page = new Uint8Array(4096).fill(i);
      keys.push(cacheKey(0x10, [0], [], page));
      store.put(keys[i], unit(page, i));
    }
    const size = wjcFiles(dir).reduce((s, f) => s + statSync(f).size, 0);
    store.trim(size / 2);
    const left = wjcFiles(dir).reduce((s, f) => s + statSync(f).size, 0);
    assert.ok(left <= size / 2 && left > 0, `${left} of ${size} bytes left`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Runs one program in a kernel of this process; its output and JIT statistics.
async function inProcess(prog: string): Promise<{ stdout: string; cacheHits: number; insns: number }> {
  const out: Uint8Array[] = [];
  const m = runProgram([prog], { hostCwd: DIR, memory: "64M", onStdout: (d) => out.push(d) });
  const jit = m.kernel!.hart.jit;
  assert.ok(jit, "the JIT is on");
  const watchdog = setTimeout(() => m.kill(9), 240_000);
  try {
    assert.equal((await m.exited).status, 0);
  } finally { clearTimeout(watchdog); }
  return { stdout: Buffer.concat(out).toString("utf8"), cacheHits: jit.stats.cacheHits, insns: jit.stats.insns };
}

test("kernels of one process share translations of the same bytes only", { skip, timeout: 600_000 }, async () => {
  const { a, b, outA, outB } = build();
  const saved = { ...process.env };
  Object.assign(process.env, FORCE, { GHOST_JIT_CACHE: "0" });
  try {
    clearMemoryCache();
    // Side by side, the same addresses, different bytes.
    const [ra, rb] = await Promise.all([inProcess(a), inProcess(b)]);
    assert.equal(ra.stdout, outA);
    assert.equal(rb.stdout, outB);
    // A third kernel runs a again: a's translations serve it, and its output is a's.
    const again = await inProcess(a);
    assert.equal(again.stdout, outA);
    assert.ok(again.cacheHits > 0, "the same bytes at the same address are not translated again");
    assert.ok(again.insns < ra.insns, `translated ${again.insns} instructions again of ${ra.insns}`);
  } finally {
    for (const k of Object.keys(FORCE).concat("GHOST_JIT_CACHE")) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});
