#!/usr/bin/env node
// The build of Ghost's riscv64 test programs. The programs are grouped by
// subject, one folder each (userland/proc, fs, ipc, sys, mm, net, hostfs,
// fuzz), and every folder's build.mjs describes its set through userlandSet();
// this script builds one or more sets by name:
//
//   node userland/build.mjs [--force] [-j N] SET[/NAME]...   e.g. proc fs/pipes
//   node userland/<set>/build.mjs [--force] [-j N] [NAME...]
//
// Every program includes the one shared header, userland/include/ktest.h.
//
// Outputs newer than their source (and than the shared headers of their set)
// are skipped unless --force is given. Compiles run in parallel (2 at a time
// by default). Exits non-zero if any compile fails.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const BASE_CFLAGS = ["-O2", "-static", "-Wall", "-I", join(root, "userland", "include")];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** True when the module at `url` (an import.meta.url) is the script node was started with. */
export function isMain(url) {
  return Boolean(process.argv[1]) && fileURLToPath(url) === process.argv[1];
}

/**
 * One set of test programs: userland/<src>/*.c, built into build/<out>/ with
 * the base flags plus `cflags`. Every header in userland/include and in
 * `headerDirs` (folders under userland/; default just <src>) is a dependency
 * of every program.
 * Returns { CC, CFLAGS, listPrograms, buildUserland, main }.
 */
export function userlandSet({ src, out, cflags = [], headerDirs = [src] }) {
  const srcDir = join(root, "userland", src);
  const outDir = join(root, "build", out);
  const CFLAGS = [...BASE_CFLAGS, ...cflags];

  /** Names (without .c) of every test program. */
  function listPrograms() {
    return readdirSync(srcDir)
      .filter((f) => f.endsWith(".c"))
      .map((f) => basename(f, ".c"))
      .sort();
  }

  function compile(name) {
    return new Promise((resolve) => {
      const args = [...CFLAGS, "-o", join(outDir, name), join(srcDir, `${name}.c`)];
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
  async function buildUserland({ names, force = false, jobs = 2, quiet = false } = {}) {
    mkdirSync(outDir, { recursive: true });
    const all = listPrograms();
    const wanted = names && names.length > 0 ? names : all;
    for (const n of wanted) {
      if (!all.includes(n)) throw new Error(`no such test program: userland/${src}/${n}.c`);
    }
    const headerTime = Math.max(
      -1,
      ...["include", ...headerDirs].flatMap((d) => {
        const dir = join(root, "userland", d);
        return readdirSync(dir)
          .filter((f) => f.endsWith(".h"))
          .map((f) => mtime(join(dir, f)));
      }),
    );
    const todo = wanted.filter((n) => {
      if (force) return true;
      const built = mtime(join(outDir, n));
      return built < 0 || built < mtime(join(srcDir, `${n}.c`)) || built < headerTime;
    });
    const failures = [];
    let next = 0;
    async function worker() {
      while (next < todo.length) {
        const name = todo[next++];
        const r = await compile(name);
        if (!quiet || !r.ok) {
          process.stderr.write(`${r.ok ? "built" : "FAILED"} build/${out}/${name}\n${r.output}`);
        }
        if (!r.ok) failures.push(r);
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
    if (!quiet) {
      process.stderr.write(`${out}: ${todo.length} compiled, ${wanted.length - todo.length} up to date, ${failures.length} failed\n`);
    }
    return failures;
  }

  /** The command line: [--force|-f] [-j N] [NAME...]; exits the process when done. */
  function main(argv) {
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

  return { CC, CFLAGS, listPrograms, buildUserland, main };
}

/** The sets by name: userland/<set>/build.mjs describes each. */
export const SETS = ["proc", "fs", "ipc", "sys", "mm", "net", "hostfs", "fuzz", "ext4"];

// Builds the sets named on the command line (each by its own build.mjs, in a
// child: a set's script imports this module, so it cannot be imported back).
if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const flags = [];
  const bySet = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-j") flags.push(a, argv[++i]);
    else if (a.startsWith("-")) flags.push(a);
    else {
      const [set, name] = a.split("/");
      if (!SETS.includes(set)) {
        console.error(`build.mjs: no such set: ${set} (sets: ${SETS.join(", ")})`);
        process.exit(2);
      }
      if (!bySet.has(set)) bySet.set(set, []);
      if (name) bySet.get(set).push(name);
    }
  }
  if (bySet.size === 0) for (const set of SETS) bySet.set(set, []);
  let failed = false;
  for (const [set, names] of bySet) {
    const r = spawnSync(process.execPath, [join(root, "userland", set, "build.mjs"), ...flags, ...names], { stdio: "inherit" });
    if (r.status !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}
