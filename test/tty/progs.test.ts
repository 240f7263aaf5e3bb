// The riscv64 terminal programs in test/tty/progs/ (line discipline, pty
// ioctls, job control on a pty) run under qemu-riscv64, whose ioctls reach
// the host's Linux kernel, and under Ghost; their outputs must be the same,
// line for line.
//
//   npx tsc -p tsconfig.json && node --test dist/test/tty/progs.test.js
//
// Skipped (with the reason) when the riscv64 cross compiler or qemu-riscv64
// is missing (scripts/setup.sh installs both).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/tty/progs");
const src = join(root, "test", "tty", "progs");
const out = join(root, "build", "tty");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";

const have = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const missing = !have(CC, ["--version"]) ? `${CC} not found` : !have("qemu-riscv64", ["--version"]) ? "qemu-riscv64 not found" : null;

function build(name: string): string {
  mkdirSync(out, { recursive: true });
  const exe = join(out, name);
  const c = join(src, `${name}.c`);
  const newest = Math.max(statSync(c).mtimeMs, statSync(join(src, "ttytest.h")).mtimeMs);
  if (!existsSync(exe) || statSync(exe).mtimeMs < newest) {
    const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-Wno-unused-function", "-o", exe, c], { encoding: "utf8" });
    assert.equal(r.status, 0, `compiling ${name}.c:\n${r.stderr}`);
  }
  return exe;
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: out, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

const programs = readdirSync(src).filter((f) => f.endsWith(".c")).map((f) => f.slice(0, -2)).sort();

for (const name of programs) {
  test(`tty program ${name}: Ghost matches Linux (qemu-riscv64)`, { skip: missing ?? false, timeout: 400_000 }, async () => {
    const exe = build(name);
    const [q, g] = await Promise.all([run("qemu-riscv64", [exe]), run("node", [ghost, "run", `./${name}`])]);
    assert.equal(q.status, 0, `under qemu: status ${q.status}\n${q.stderr}\n${q.stdout}`);
    assert.equal(g.stderr.includes("oops"), false, g.stderr);
    const ql = q.stdout.split("\n"), gl = g.stdout.split("\n");
    for (let i = 0; i < Math.max(ql.length, gl.length); i++) {
      assert.equal(gl[i], ql[i], `line ${i + 1} differs (Linux first):\n  ${ql[i]}\n  ${gl[i]}\nghost stderr: ${g.stderr}`);
    }
    assert.equal(g.status, 0, `under Ghost: status ${g.status}\n${g.stderr}`);
  });
}
