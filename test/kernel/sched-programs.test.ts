// The scheduler and clocks seen from riscv64 programs running on Ghost with
// the virtual clock: CPU shares by weight, SCHED_FIFO before fair tasks, the
// scheduling and clock syscalls, the load average, and reproducible runs
// and traces.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/sched-programs.test.js
//
// The programs (test/kernel/programs/*.c) are compiled with
// riscv64-linux-gnu-gcc -static into build/test-kernel/ when out of date.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/kernel/programs");
const srcDir = join(root, "test", "kernel", "programs");
const outDir = join(root, "build", "test-kernel");
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"]).status === 0;
const PROGRAMS = ["sched_share", "fifo_first", "sched_api", "pingpong", "loadavg"];

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);

function build(name: string): void {
  const src = join(srcDir, `${name}.c`), out = join(outDir, name);
  const header = join(root, "userland", "tests", "ktest.h");
  if (mtime(out) > Math.max(mtime(src), mtime(header))) return;
  const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-pthread", "-o", out, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${CC} ${name}.c failed:\n${r.stderr}`);
}

interface Result { status: number | null; stdout: string; stderr: string }

function ghostRun(args: string[], timeoutMs = 300_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ghost, "run", "--clock=virtual", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

const prog = (name: string) => join(outDir, name);

// "hog <i> nice <n> cpu_ns <ns>" lines.
function shares(out: string): number[] {
  return out.trim().split("\n").filter((l) => l.startsWith("hog ")).map((l) => Number(l.split(" ")[5]));
}

function failures(r: Result): string {
  return r.stdout.split("\n").filter((l) => l.startsWith("not ok")).join("\n") + (r.stderr ? `\nstderr: ${r.stderr.slice(-2000)}` : "");
}

describe("the scheduler seen from riscv64 programs", { skip: haveCc ? false : `${CC} not found` }, () => {
  before(() => {
    mkdirSync(outDir, { recursive: true });
    for (const p of PROGRAMS) build(p);
  });

  test("EEVDF: two CPU hogs at nice 0 and nice 5 share the hart 1024:335 (within 5%)", async () => {
    const r = await ghostRun(["--sched=eevdf", prog("sched_share"), "1000", "0", "5"]);
    assert.equal(r.status, 0, r.stderr);
    const [a, b] = shares(r.stdout);
    const ratio = a / b;
    assert.ok(Math.abs(ratio / (1024 / 335) - 1) < 0.05, `ratio ${ratio.toFixed(4)} (want ${(1024 / 335).toFixed(4)}): ${r.stdout}`);
    assert.ok(Math.abs(a + b - 1e9) < 5e6, `the window was used: ${a + b}`);
  });

  for (const sched of ["eevdf", "bore"]) {
    test(`${sched}: three CPU hogs at one nice level share equally (within 5%)`, async () => {
      const r = await ghostRun([`--sched=${sched}`, prog("sched_share"), "900", "0", "0", "0"]);
      assert.equal(r.status, 0, r.stderr);
      const got = shares(r.stdout);
      assert.equal(got.length, 3);
      for (const g of got) assert.ok(Math.abs(g / 300e6 - 1) < 0.05, `shares ${got.join(", ")}`);
    });
  }

  test("BORE: the hog that ran longer loses weight (nice 0 vs 5 is below 1024:335)", async () => {
    const r = await ghostRun(["--sched=bore", prog("sched_share"), "1000", "0", "5"]);
    assert.equal(r.status, 0, r.stderr);
    const [a, b] = shares(r.stdout);
    assert.ok(a > b && a / b < 1024 / 335 * 0.95, `ratio ${(a / b).toFixed(4)}`);
  });

  for (const sched of ["bore", "eevdf"]) {
    test(`${sched}: a SCHED_FIFO task runs before any fair task`, async () => {
      const r = await ghostRun([`--sched=${sched}`, prog("fifo_first")]);
      assert.equal(r.status, 0, failures(r));
    });

    test(`${sched}: the scheduling and clock syscalls`, async () => {
      const r = await ghostRun([`--sched=${sched}`, prog("sched_api"), sched]);
      assert.equal(r.status, 0, failures(r));
    });
  }

  test("the load average: one hog, sampled after 5 s and again after 10 s", async () => {
    const r1 = await ghostRun([prog("loadavg"), "5100"]);
    assert.equal(r1.status, 0, r1.stderr);
    // Runnable/all: the hog and the reader run; init (pid 1) sleeps.
    assert.match(r1.stdout, /^0\.08 0\.02 0\.01 2\/3 \d+\n$/);
    const r2 = await ghostRun([prog("loadavg"), "10100"]);
    assert.match(r2.stdout, /^0\.15 0\.03 0\.01 2\/3 \d+\n$/);
  });

  test("virtual clock: the same program gives the same output (random bytes included) and a byte-identical trace", async () => {
    const t1 = join(outDir, "trace-1.json"), t2 = join(outDir, "trace-2.json");
    const r1 = await ghostRun([`--trace=${t1}`, prog("pingpong"), "150"]);
    const r2 = await ghostRun([`--trace=${t2}`, prog("pingpong"), "150"]);
    assert.equal(r1.status, 0, r1.stderr);
    assert.equal(r1.stdout, r2.stdout);
    assert.match(r1.stdout, /^sum \d+ status 0 random [0-9a-f]{16} urandom [0-9a-f]{8} realtime 1700000000\n$/);
    const a = readFileSync(t1), b = readFileSync(t2);
    assert.ok(a.equals(b), "the traces differ");
    const doc = JSON.parse(a.toString()) as { traceEvents: { ph: string; cat?: string; name: string; tid: number; pid: number; dur?: number }[] };
    const ev = doc.traceEvents;
    const count = (f: (e: (typeof ev)[0]) => boolean) => ev.filter(f).length;
    assert.ok(count((e) => e.ph === "X" && e.cat === "sched" && e.name === "running") > 100, "running intervals");
    assert.ok(count((e) => e.ph === "i" && e.name === "wakeup") >= 150, "wake-ups");
    assert.ok(count((e) => e.ph === "X" && e.cat === "syscall" && e.name === "read") >= 300, "syscalls");
    assert.ok(count((e) => e.ph === "i" && e.name === "page_fault") > 10, "page faults");
    // One track per task: three tasks (the parent, its thread, the child), each named.
    const tids = new Set(ev.filter((e) => e.ph !== "M").map((e) => e.tid));
    assert.equal(tids.size, 3);
    for (const tid of tids) assert.ok(ev.some((e) => e.ph === "M" && e.name === "thread_name" && e.tid === tid));
    // A blocked read lasts from its call to its return.
    assert.ok(ev.some((e) => e.cat === "syscall" && e.name === "read" && (e.dur ?? 0) > 0));
  });
});
