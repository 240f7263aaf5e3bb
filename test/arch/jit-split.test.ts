// Components split into several wasm functions (region.ts's split): a
// function whose loop body is far over SPLIT_MAX blocks + instructions, with
// many values live across every cut, is translated as several functions that
// hand control to each other directly (a tail call, codegen.ts's tailTo), also
// at a split cap small enough for many pieces (GHOST_JIT_SPLIT). Whatever crosses a
// cut (the guest registers, PC, the retired-instruction count and the run
// budget) must come out as the interpreter's: the program checks its own
// results, and its output and instret must equal the interpreter's at every
// threshold and under a compile budget; a timer signal (virtual clock: it
// follows retired instructions) lands inside the split loop and its handler
// checks the interrupted frame. The JIT's figures must show splits.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-split");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

// 48 steps of 2-3 blocks each in one loop body (~600 instructions), seven
// values and the loop counter live throughout; the same computation in
// plain C, compiled without optimization on another page, is the reference.
const STEPS = 48;
const step = (k: number): string =>
  `if ((a ^ i) & ${1 << (k % 7)}) { a += b * ${k + 3}; c ^= a >> ${1 + (k % 5)}; } ` +
  `else { b -= c + ${k}; d += a ^ e; } ` +
  `if ((d & ${3 << (k % 6)}) == 0) f = f * 31 + c; e = (e << 1) ^ (f >> 7) ^ ${k};`;
const BODY = Array.from({ length: STEPS }, (_, k) => "    " + step(k)).join("\n");
const SPLIT = String.raw`
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#define PAGE __attribute__((noinline, aligned(4096)))
#define STATE long a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5];
#define OUT s[0] = a; s[1] = b; s[2] = c; s[3] = d; s[4] = e; s[5] = f;
PAGE void big(long *s, long n) {
  STATE
  for (long i = 0; i < n; i++) {
${BODY}
  }
  OUT
}
__attribute__((noinline, optimize("O0"))) void ref(long *s, long n) {
  STATE
  for (long i = 0; i < n; i++) {
${BODY}
  }
  OUT
}
static volatile long ticks;
static void on_tick(int sig) { (void)sig; ticks++; }
int main(void) {
  long x[6] = { 1, 2, 3, 4, 5, 6 }, y[6] = { 1, 2, 3, 4, 5, 6 };
  big(x, 20000);
  ref(y, 20000);
  for (int k = 0; k < 6; k++) if (x[k] != y[k]) { printf("FAIL s[%d] %lx != %lx\n", k, x[k], y[k]); return 1; }
  printf("ok split loop %lx %lx\n", x[0] ^ x[2], x[4] ^ x[5]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_tick;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = { { 0, 200 }, { 0, 200 } };
  setitimer(ITIMER_REAL, &it, 0);
  for (int r = 0; r < 20; r++) { big(x, 2000); ref(y, 2000); }
  it.it_value.tv_usec = it.it_interval.tv_usec = 0;
  setitimer(ITIMER_REAL, &it, 0);
  for (int k = 0; k < 6; k++) if (x[k] != y[k]) { printf("FAIL with signals s[%d] %lx != %lx\n", k, x[k], y[k]); return 1; }
  printf("ok split loop under signals %s\n", ticks > 0 ? "ticked" : "no tick");
  return 0;
}
`;

function build(): string {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "split.c"), out = join(DIR, "split");
  if (!(existsSync(out) && existsSync(src) && readFileSync(src, "utf8") === SPLIT)) {
    writeFileSync(src, SPLIT);
    execFileSync(CC, ["-O2", "-static", "-o", out, src]);
  }
  return out;
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(jit: [threshold: number, budget: number, split?: number] | undefined): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env = {
    ...process.env,
    GHOST_JIT: jit ? "1" : "0",
    GHOST_JIT_THRESHOLD: String(jit?.[0] ?? 1),
    GHOST_JIT_BATCH: "1",
    GHOST_JIT_WARMUP: "0",
    GHOST_JIT_BUDGET: String(jit?.[1] ?? 0),
    GHOST_JIT_CACHE: "0",
    GHOST_JIT_STATS: "1",
    GHOST_JIT_SPLIT: String(jit?.[2] ?? ""),
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./split"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("a component split into several functions runs as the interpreter", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, () => {
  build();
  const base = ghost(undefined);
  assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
  const lines = base.stdout.trim().split("\n");
  assert.equal(lines.length, 2, base.stdout);
  assert.match(lines[0], /^ok split loop /);
  assert.equal(lines[1], "ok split loop under signals ticked");
  for (const jit of [[1, 0], [3, 0], [50, 0], [2, 1_000_000], [1, 0, 64], [2, 1_000_000, 64]] as [number, number, number?][]) {
    const r = ghost(jit);
    const what = `threshold ${jit[0]}, budget ${jit[1]}, split cap ${jit[2] ?? "default"}`;
    assert.equal(r.status, 0, `${what}: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, base.stdout, `${what}\n${r.stderr}`);
    // The timer follows retired instructions, which a run slice may overshoot
    // by one translated block: the signals may land elsewhere, but the count
    // of instructions retired by the whole program cannot change.
    assert.equal(r.instret, base.instret, `${what}: instret`);
    const m = /ghost: jit (\{.*\})/.exec(r.stderr);
    assert.ok(m, `${what}: no JIT figures in ${r.stderr}`);
    const st = JSON.parse(m[1]) as { splits: number };
    assert.ok(st.splits > 0, `${what}: no component was split: ${m[1]}`);
  }
});
