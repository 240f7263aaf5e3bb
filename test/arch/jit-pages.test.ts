// Hot straight-line code that runs from one page into the next through an
// instruction split by the page end (libcrypto's unrolled SHA-256 is like
// this): the next page's code must become a block start the JIT counts and
// translates — before, the interpreter's block ran on over the page end, so
// that page stayed interpreted for good — and what the program sees (output,
// retired instructions) stays the interpreter's.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-pages");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const NM = "riscv64-linux-gnu-nm";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0 &&
  spawnSync(NM, ["--version"], { stdio: "ignore" }).status === 0;

// The loop starts 10 bytes before a page end; its third instruction (4 bytes)
// is split by it; the next page holds 900 instructions of straight-line code,
// compressed and not, then the loop's branch back.
const BODY = 300;
const STRADDLE = String.raw`
#include <stdio.h>
long straddle(long n);
__asm__(".text\n.balign 4096\n.option push\n.option norvc\n"
  ".globl straddle\nstraddle:\n li a1, 0\n j 1f\n"
  ".skip 4096 - 8 - 10\n"
  "1: add a1, a1, a0\n"            /* page offset 4086 */
  " xori a1, a1, 0x55\n"           /* 4090 */
  " addi a2, a1, 3\n"              /* 4094..4098: split by the page end */
  ".option rvc\n"
  ".rept ${BODY}\n add a1, a1, a2\n addi a2, a2, 100\n xor a2, a2, a1\n.endr\n"
  " addi a0, a0, -1\n bnez a0, 1b\n mv a0, a1\n ret\n"
  ".option pop\n");
int main(void) {
  unsigned long n = 20000, a0 = n, a1 = 0, a2;
  do {
    a1 += a0; a1 ^= 0x55; a2 = a1 + 3;
    for (int i = 0; i < ${BODY}; i++) { a1 += a2; a2 += 100; a2 ^= a1; }
  } while (--a0);
  long got = straddle((long)n);
  if ((unsigned long)got != a1) { printf("not ok straddle %lx, want %lx\n", (unsigned long)got, a1); return 1; }
  printf("ok straddle\n");
  return 0;
}
`;

function build(): string {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "straddle.c"), out = join(DIR, "straddle");
  if (!existsSync(out) || !existsSync(src) || readFileSync(src, "utf8") !== STRADDLE) {
    writeFileSync(src, STRADDLE);
    execFileSync(CC, ["-O2", "-static", "-o", out, src]);
  }
  return out;
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number; insns: number }

function ghost(env: Record<string, string>): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./straddle"],
  { cwd: DIR, env: { ...process.env, ...env }, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  const m = /ghost: jit (\{.*\})/.exec(r.stderr);
  const insns = m ? (JSON.parse(m[1]) as { insns: number }).insns : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret, insns };
}

test("straight-line code running over a page end through a split instruction is translated",
  { skip: !haveCc && `${CC} or ${NM} not installed`, timeout: 5 * 60_000 }, () => {
    const prog = build();
    const sym = /^([0-9a-f]+) T straddle$/m.exec(execFileSync(NM, [prog], { encoding: "utf8" }));
    assert.ok(sym, "straddle not in the symbol table");
    const lo = parseInt(sym[1], 16);
    const base = ghost({ GHOST_JIT: "0" });
    assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
    assert.equal(base.stdout, "ok straddle\n");
    // Only the two pages of straddle() are translated (GHOST_JIT_PCS), so the
    // figure counts their code alone: the second page's 900 instructions.
    const r = ghost({
      GHOST_JIT: "1", GHOST_JIT_THRESHOLD: "2", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0",
      GHOST_JIT_STATS: "1", GHOST_JIT_PCS: `${lo.toString(16)}:${(lo + 8192).toString(16)}`,
    });
    assert.equal(r.status, 0, `JIT: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, "ok straddle\n");
    assert.equal(r.instret, base.instret, "retired instructions");
    assert.ok(r.insns >= 3 * BODY, `${r.insns} instructions translated (the second page has ${3 * BODY})`);
  });
