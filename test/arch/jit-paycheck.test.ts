// The JIT's paycheck (src/arch/riscv64/jit/paycheck.ts): the machine
// alternates between the JIT and the plain interpreter by what each window
// of instructions cost. Its policy with a clock the test controls, and a
// program whose code is rewritten (by its own stores and by the kernel's
// read()) while the modes switch every few thousand instructions
// (GHOST_JIT_PAYCHECK=N:flip): what it sees must be the interpreter's.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Paycheck } from "../../src/arch/riscv64/jit/paycheck.js";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-paycheck");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

// Runs `total` instructions in steps of `step` on a simulated machine whose
// plain interpreter costs 1 per instruction and whose JIT costs jitCost(i)
// at instret i (busy: translations in flight); returns the instructions run
// with the JIT.
// slow(i): how much slower than at the start the whole machine runs at instret i (load).
// runsTranslated(i): whether JIT instructions at instret i run translated
// code (told to the paycheck as a count when given).
function simulate(window: number, warmup: number, total: number, jitCost: (i: number) => number, busy = () => false,
  slow = (_i: number) => 1, runsTranslated?: (i: number) => boolean): { jit: number; pc: Paycheck } {
  let now = 0, jit = 0, translated = 0;
  const pc = new Paycheck({ window, clock: () => now }, warmup);
  const step = Math.max(100, Math.floor(window / 10));
  for (let i = 0; i < total; i += step) {
    if (pc.useJit(i, busy(), runsTranslated ? translated : NaN)) {
      now += step * jitCost(i) * slow(i);
      jit += step;
      if (runsTranslated?.(i)) translated += step;
    } else now += step * slow(i);
  }
  return { jit, pc };
}

test("paycheck: a JIT that costs more than the interpreter runs ever less", () => {
  const { jit, pc } = simulate(1000, 2000, 2_000_000, () => 1.5);
  assert.ok(jit > 0, "the JIT was never tried");
  assert.ok(jit < 0.05 * 2_000_000, `the JIT ran ${jit} of 2,000,000 instructions`);
  assert.ok(pc.stats.lost >= 3, `trials lost: ${pc.stats.lost}`);
});

test("paycheck: a JIT that pays keeps running, measuring the interpreter less and less", () => {
  const { jit, pc } = simulate(1000, 2000, 2_000_000, () => 0.3);
  assert.ok(jit > 0.98 * 2_000_000, `the JIT ran ${jit} of 2,000,000 instructions`);
  assert.equal(pc.stats.lost, 0);
});

test("paycheck: translation's first cost is not held against the JIT", () => {
  // The first window after the warm-up translates (3x the interpreter's
  // cost), the ones after run translated code (0.3x).
  const { jit, pc } = simulate(1000, 2000, 2_000_000, (i) => (i < 3000 ? 3 : 0.3));
  assert.equal(pc.stats.lost, 0);
  assert.ok(jit > 0.98 * 2_000_000, `the JIT ran ${jit} of 2,000,000 instructions`);
  // … nor that of a second window still translating, when it costs much less than the first.
  const landing = simulate(1000, 2000, 2_000_000, (i) => (i < 3000 ? 3 : i < 4000 ? 1.2 : 0.3));
  assert.equal(landing.pc.stats.lost, 0);
  // … and a trial waits for translations in flight.
  const slow = simulate(1000, 2000, 2_000_000, (i) => (i < 4000 ? 3 : 0.3), () => true);
  assert.equal(slow.pc.stats.lost, 0);
});

test("paycheck: a JIT window in which no translated code ran is not judged", () => {
  // Nothing runs translated for five windows after the warm-up (code
  // getting hot, translated elsewhere at a cost: 1.3x), then it does (0.3x).
  const runs = (i: number) => i >= 7000;
  const cost = (i: number) => (runs(i) ? 0.3 : 1.3);
  const { jit, pc } = simulate(1000, 2000, 2_000_000, cost, () => false, () => 1, runs);
  assert.equal(pc.stats.lost, 0);
  assert.ok(pc.stats.idle >= 4, `idle windows: ${pc.stats.idle}`);
  assert.ok(jit > 0.98 * 2_000_000, `the JIT ran ${jit} of 2,000,000 instructions`);
  // Without the count, those windows lose trials.
  assert.ok(simulate(1000, 2000, 2_000_000, cost).pc.stats.lost > 0);
  // Translated code that runs and does not pay still loses.
  const bad = simulate(1000, 2000, 2_000_000, () => 1.5, () => false, () => 1, () => true);
  assert.ok(bad.jit < 0.05 * 2_000_000, `the JIT ran ${bad.jit} of 2,000,000 instructions`);
});

test("paycheck: a program whose code turns flat goes back to the interpreter, and to the JIT when hot again", () => {
  const cost = (i: number): number => (i < 500_000 ? 0.3 : i < 1_500_000 ? 2 : 0.3);
  const { jit } = simulate(1000, 2000, 3_000_000, cost);
  const flat = simulate(1000, 2000, 1_500_000, cost).jit - simulate(1000, 2000, 500_000, cost).jit;
  assert.ok(flat < 0.1 * 1_000_000, `the JIT ran ${flat} of the flat part's 1,000,000 instructions`);
  assert.ok(jit - flat > 0.8 * 2_000_000, `the JIT ran ${jit - flat} of the hot parts' 2,000,000 instructions`);
});

test("paycheck: a JIT that pays is not judged against the interpreter's cost on a less loaded machine", () => {
  // The machine gets 2.5x slower (load rises) right after the warm-up measured
  // the interpreter, and again 2x later: the JIT (0.8x) costs more than that
  // stale measure; the plain window after the lost trial shows the loss was the load's.
  const { jit, pc } = simulate(1000, 2000, 2_000_000, () => 0.8, () => false, (i) => (i < 2000 ? 1 : i < 1_000_000 ? 2.5 : 5));
  assert.equal(pc.stats.lost, 0);
  assert.ok(pc.stats.reprieved > 0, "no trial reprieved");
  assert.ok(jit > 0.95 * 2_000_000, `the JIT ran ${jit} of 2,000,000 instructions`);
  // A JIT that does not pay still loses, load or not.
  const bad = simulate(1000, 2000, 2_000_000, () => 1.5, () => false, (i) => (i < 2000 ? 1 : 2.5));
  assert.ok(bad.jit < 0.05 * 2_000_000, `the JIT ran ${bad.jit} of 2,000,000 instructions`);
  assert.ok(bad.pc.stats.lost >= 3, `trials lost: ${bad.pc.stats.lost}`);
});

test("paycheck: window 0 turns it off (the JIT from the warm-up on)", () => {
  const { jit } = simulate(0, 0, 1_000_000, () => 5);
  assert.equal(jit, 1_000_000);
});

// f(x) = x + k as two instructions at the start of a page of its own
// (addi a0, a0, k; ret), rewritten each round by a store or by read() from
// a pipe (the kernel's write, seen by translated code only after fence.i),
// then called in a loop of a varying length, after a system call (where the
// modes switch: the rewrite and its fence.i may have run on the plain
// interpreter, which does not report them).
const PROGRAM = String.raw`
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn)(long);

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  volatile unsigned *a = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int p[2];
  if (a == MAP_FAILED || pipe(p) != 0) { printf("not ok setup\n"); return 1; }
  int bad = 0;
  for (int round = 0; round < 600; round++) {
    unsigned k = 1 + (unsigned)round % 1000;
    unsigned w[2] = { 0x00050513u | (k << 20), 0x00008067u };
    if (round % 3 == 0) {
      if (write(p[1], w, 8) != 8 || read(p[0], (void *)a, 8) != 8) { printf("not ok pipe\n"); return 1; }
    } else {
      a[0] = w[0];
      a[1] = w[1];
    }
    __asm__ volatile("fence.i" ::: "memory");
    getppid(); /* a system call: where the modes switch */
    long n = 20 + round % 53, s = 0;
    for (long i = 0; i < n; i++) s += ((fn)a)(i);
    if (s != n * (n - 1) / 2 + n * (long)k) bad++;
  }
  printf("%s %d\n", bad ? "not ok rewritten code" : "ok rewritten code", bad);
  return 0;
}
`;

function build(): void {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "rewrite.c"), out = join(DIR, "rewrite");
  if (existsSync(out) && existsSync(src) && readFileSync(src, "utf8") === PROGRAM) return;
  writeFileSync(src, PROGRAM);
  execFileSync(CC, ["-O2", "-static", "-o", out, src]);
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(env: Record<string, string>): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./rewrite"], {
    cwd: DIR, env: { ...process.env, GHOST_JIT_STATS: "1", ...env }, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL",
  });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("paycheck: modes switching every few thousand instructions, code rewritten by stores and by read()", {
  skip: !haveCc && `${CC} not installed`, timeout: 5 * 60_000,
}, () => {
  build();
  const interp = ghost({ GHOST_JIT: "0" });
  assert.equal(interp.status, 0, interp.stderr);
  assert.equal(interp.stdout, "ok rewritten code 0\n");
  for (const window of ["997", "4001", "0"]) {
    const r = ghost({
      GHOST_JIT: "1", GHOST_JIT_THRESHOLD: "1", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0", GHOST_JIT_CACHE: "0",
      GHOST_JIT_PAYCHECK: window === "0" ? "0" : `${window}:flip`,
    });
    assert.equal(r.status, 0, `window ${window}: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, interp.stdout, `window ${window}`);
    assert.equal(r.instret, interp.instret, `instret, window ${window}`);
    const stats = JSON.parse(/ghost: jit (\{.*\})/.exec(r.stderr)?.[1] ?? "{}") as { insns?: number; jitWindows?: number; plainWindows?: number };
    assert.ok((stats.insns ?? 0) > 0, `window ${window}: nothing translated\n${r.stderr}`);
    if (window !== "0") assert.ok((stats.jitWindows ?? 0) > 10 && (stats.plainWindows ?? 0) > 10, `window ${window}: ${r.stderr}`);
  }
});
