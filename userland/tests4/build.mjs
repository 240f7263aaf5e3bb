#!/usr/bin/env node
// Cross-compiles every userland/tests4/*.c into build/userland4/<name> as a
// static riscv64 Linux executable.
//
//   node userland/tests4/build.mjs [--force] [-j N] [NAME...]
//
// Outputs newer than their source (and than the shared headers in
// userland/tests4/ and userland/tests/) are skipped unless --force is given.
// Compiles run in parallel (2 at a time by default). Exits non-zero if any compile fails.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const srcDir = join(root, "userland", "tests4");
const outDir = join(root, "build", "userland4");

export const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
export const CFLAGS = ["-O2", "-static", "-Wall", "-Wno-format-truncation", "-pthread"];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Names (without .c) of every test program. */
export function listPrograms() {
  return readdirSync(srcDir)
    .filter((f) => f.endsWith(".c"))
    .map((f) => basename(f, ".c"))
    .sort();
}

function compile(name) {
  return new Promise((resolve) => {
    const src = join(srcDir, `${name}.c`);
    const out = join(outDir, name);
    const args = [...CFLAGS, "-o", out, src];
    const child = spawn(CC, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (err) => resolve({ name, ok: false, output: `${CC}: ${err.message}\n` }));
    child.on("close", (code) => resolve({ name, ok: code === 0, output }));
  });
}

/**
 * Builds the given programs (default: all). Resolves to the list of failures
 * ({name, output}); logs progress to stderr unless quiet.
 */
export async function buildUserland({ names, force = false, jobs = 2, quiet = false } = {}) {
  mkdirSync(outDir, { recursive: true });
  const all = listPrograms();
  const wanted = names && names.length > 0 ? names : all;
  for (const n of wanted) {
    if (!all.includes(n)) throw new Error(`no such test program: userland/tests4/${n}.c`);
  }
  // Any header in userland/tests4/ or userland/tests/ is a dependency of every program.
  const headerTime = Math.max(
    -1,
    ...[srcDir, join(root, "userland", "tests")].flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".h"))
        .map((f) => mtime(join(dir, f))),
    ),
  );
  const todo = wanted.filter((n) => {
    if (force) return true;
    const out = mtime(join(outDir, n));
    return out < 0 || out < mtime(join(srcDir, `${n}.c`)) || out < headerTime;
  });
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < todo.length) {
      const name = todo[next++];
      const r = await compile(name);
      if (!quiet || !r.ok) {
        process.stderr.write(`${r.ok ? "built" : "FAILED"} build/userland4/${name}\n${r.output}`);
      }
      if (!r.ok) failures.push(r);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (!quiet) {
    process.stderr.write(`userland4: ${todo.length} compiled, ${wanted.length - todo.length} up to date, ${failures.length} failed\n`);
  }
  return failures;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const argv = process.argv.slice(2);
  let force = false;
  let jobs = 2;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--force" || a === "-f") force = true;
    else if (a === "-j") jobs = Number(argv[++i]);
    else if (a.startsWith("-j")) jobs = Number(a.slice(2));
    else names.push(a.replace(/\.c$/, "").replace(/^.*\//, ""));
  }
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error("build.mjs: -j needs a positive integer");
    process.exit(2);
  }
  if (!existsSync(srcDir)) {
    console.error(`build.mjs: ${srcDir} not found`);
    process.exit(2);
  }
  buildUserland({ names, force, jobs })
    .then((failures) => process.exit(failures.length ? 1 : 0))
    .catch((err) => {
      console.error(`build.mjs: ${err.message}`);
      process.exit(2);
    });
}
