// Loops entered other than at their head (codegen.ts, peelLoops): a loop of
// at most PEEL_MAX instructions gets a copy of each block but its head, run
// when the block is entered from outside the loop (a forward branch into the
// loop's middle, a return into it from a call, a way back in after a load's
// slow path), so that the wasm loop is only entered at its top and tests
// nothing per iteration; a bigger loop still dispatches at its head. The
// program runs under the interpreter and with the JIT at several thresholds:
// its output and retired instructions must be the interpreter's.
// - mid_calls: odd n enter the loop at its second block; the loop's head calls
//   the code laid out right after the loop (a jump that must not fall through
//   into the loop's next block), which returns into the loop's middle.
// - big_loop: the same shapes in a loop too big to peel.
// - stride_sum: a compiled loop whose loads miss the TLB on fresh pages and
//   leave on the slow path, coming back in at the block after the load.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-peel");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

const PROG = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
long mid_calls(long n);
long big_loop(long n);
__asm__(".text\n.balign 4096\n.option push\n.option norvc\n"
  ".globl mid_calls\nmid_calls:\n addi sp, sp, -16\n sd ra, 8(sp)\n li a1, 0\n li a2, 0\n"
  " andi t0, a0, 1\n bnez t0, 2f\n"          /* odd n: into the loop's middle */
  "1: addi a1, a1, 7\n jal ra, 5f\n"           /* a call from the loop's head to the code right after the loop */
  "2: xor a1, a1, a2\n addi a2, a2, 1\n slli t2, a1, 1\n add a1, a1, t2\n"
  " li t3, 0xffffff\n and a1, a1, t3\n bge a2, a0, 4f\n"
  " j 1b\n"
  "5: addi a1, a1, 11\n andi t4, a2, 3\n bnez t4, 3f\n slli a1, a1, 2\n3: ret\n"
  "4: mv a0, a1\n ld ra, 8(sp)\n addi sp, sp, 16\n ret\n"
  ".globl big_loop\nbig_loop:\n li a1, 0\n li a2, 0\n andi t0, a0, 1\n bnez t0, 2f\n"
  "1: addi a1, a1, 3\n andi t1, a2, 1\n beqz t1, 2f\n xori a1, a1, 0x55\n"
  "2: addi a2, a2, 1\n"
  " .rept 150\n addi a1, a1, 1\n xor a1, a1, a2\n .endr\n"   /* a loop too big to peel */
  " slli t2, a1, 1\n add a1, a1, t2\n li t3, 0xffffff\n and a1, a1, t3\n blt a2, a0, 1b\n"
  " mv a0, a1\n ret\n"
  ".option pop\n");
static __attribute__((noinline, aligned(4096))) long stride_sum(const unsigned char *p, long n) {
  long s = 0;
  for (long i = 0; i < n; i += 509) {
    unsigned v = p[i];
    if (v & 1) s += v * 3; else s ^= (long)v << 5;
    s = (s << 1) ^ (s >> 7);
  }
  return s;
}
int main(void) {
  long t = 0;
  for (long n = 0; n < 400; n++) t = t * 31 + mid_calls(n);
  printf("mid_calls %lx\n", t);
  t = 0;
  for (long n = 0; n < 300; n++) t = t * 31 + big_loop(n);
  printf("big_loop %lx\n", t);
  t = 0;
  for (int k = 0; k < 40; k++) {
    long len = 64 * 4096;
    unsigned char *b = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) { printf("mmap failed\n"); return 1; }
    for (long i = 0; i < len; i += 7) b[i] = (unsigned char)(i * 13 + k);
    t = t * 31 + stride_sum(b, len);
    munmap(b, len);
  }
  printf("stride_sum %lx\n", t);
  return 0;
}
`;

function build(): string {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "peel.c"), out = join(DIR, "peel");
  if (!(existsSync(out) && existsSync(src) && readFileSync(src, "utf8") === PROG)) {
    writeFileSync(src, PROG);
    execFileSync(CC, ["-O2", "-static", "-o", out, src], { timeout: 120_000, killSignal: "SIGKILL" });
  }
  return out;
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(jit: [threshold: number, budget: number] | undefined): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env = {
    ...process.env, GHOST_JIT: jit ? "1" : "0", GHOST_JIT_THRESHOLD: String(jit?.[0] ?? 1), GHOST_JIT_BATCH: "1",
    GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: String(jit?.[1] ?? 0), GHOST_JIT_CACHE: "0",
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./peel"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("loops entered in the middle, peeled or not, run as the interpreter does", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, () => {
  build();
  const base = ghost(undefined);
  assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
  assert.deepEqual(base.stdout.trim().split("\n").map((l) => l.split(" ")[0]), ["mid_calls", "big_loop", "stride_sum"], base.stdout);
  for (const jit of [[1, 0], [2, 0], [7, 0], [50, 0], [2, 1_000_000]] as [number, number][]) {
    const r = ghost(jit);
    const what = `threshold ${jit[0]}, budget ${jit[1]}`;
    assert.equal(r.status, 0, `${what}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, base.stdout, what);
    assert.equal(r.instret, base.instret, `${what}: instret`);
  }
});
