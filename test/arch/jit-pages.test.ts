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

// The loop starts 902 instructions before a page end, where an instruction
// (4 bytes) is split by it; the next page holds 900 instructions of
// straight-line code, compressed and not, then the loop's branch back. The
// "aligned" variant is the same loop with a c.nop before that instruction,
// which then starts the next page: nothing is split.
const HEAD = 300;
const BODY = 300;
const program = (split: boolean): string => String.raw`
#include <stdio.h>
long straddle(long n);
__asm__(".text\n.balign 4096\n.option push\n.option norvc\n"
  ".globl straddle\nstraddle:\n li a1, 0\n j 1f\n"
  ".skip 4096 - 8 - 8 - 12 * ${HEAD} - 2\n"
  "1: add a1, a1, a0\n xori a1, a1, 0x55\n"
  ".rept ${HEAD}\n add a1, a1, a0\n xori a1, a1, 0x33\n slli a1, a1, 1\n.endr\n"
  ${split ? "" : String.raw`".option rvc\n c.nop\n.option norvc\n"`}
  " addi a2, a1, 3\n"              /* ${split ? "4094..4098: split by the page end" : "4096: the next page's first"} */
  ".option rvc\n"
  ".rept ${BODY}\n add a1, a1, a2\n addi a2, a2, 100\n xor a2, a2, a1\n.endr\n"
  " addi a0, a0, -1\n bnez a0, 1b\n mv a0, a1\n ret\n"
  ".option pop\n");
int main(void) {
  unsigned long n = 20000, a0 = n, a1 = 0, a2;
  long got = straddle((long)n); /* first: the reference loop below would earn the JIT a compile allowance */
  do {
    a1 += a0; a1 ^= 0x55;
    for (int i = 0; i < ${HEAD}; i++) { a1 += a0; a1 ^= 0x33; a1 <<= 1; }
    a2 = a1 + 3;
    for (int i = 0; i < ${BODY}; i++) { a1 += a2; a2 += 100; a2 ^= a1; }
  } while (--a0);
  if ((unsigned long)got != a1) { printf("not ok straddle %lx, want %lx\n", (unsigned long)got, a1); return 1; }
  printf("ok straddle\n");
  return 0;
}
`;

function build(name: string, src: string): void {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const srcPath = join(DIR, `${name}.c`), out = join(DIR, name);
  if (!existsSync(out) || !existsSync(srcPath) || readFileSync(srcPath, "utf8") !== src) {
    writeFileSync(srcPath, src);
    execFileSync(CC, ["-O2", "-static", "-o", out, srcPath]);
  }
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number; insns: number; deferred: number }

function ghost(prog: string, env: Record<string, string>): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", `./${prog}`],
  // GHOST_JIT_CACHE=0: the figures checked are of translations made in this run, none found stored.
  { cwd: DIR, env: { ...process.env, GHOST_JIT_CACHE: "0", ...env }, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  const m = /ghost: jit (\{.*\})/.exec(r.stderr);
  const jit = m ? JSON.parse(m[1]) as { insns: number; deferred: number } : { insns: -1, deferred: -1 };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret, insns: jit.insns, deferred: jit.deferred };
}

// Only the two pages of straddle() are translated (GHOST_JIT_PCS), so the
// JIT's figures count their code alone.
function pcs(prog: string): string {
  const sym = /^([0-9a-f]+) T straddle$/m.exec(execFileSync(NM, [join(DIR, prog)], { encoding: "utf8" }));
  assert.ok(sym, "straddle not in the symbol table");
  const lo = parseInt(sym[1], 16);
  return `${lo.toString(16)}:${(lo + 8192).toString(16)}`;
}

test("straight-line code running over a page end through a split instruction is translated",
  { skip: !haveCc && `${CC} or ${NM} not installed`, timeout: 5 * 60_000 }, () => {
    build("split", program(true));
    const base = ghost("split", { GHOST_JIT: "0" });
    assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
    assert.equal(base.stdout, "ok straddle\n");
    const r = ghost("split", {
      GHOST_JIT: "1", GHOST_JIT_THRESHOLD: "2", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0",
      GHOST_JIT_STATS: "1", GHOST_JIT_PCS: pcs("split"),
    });
    assert.equal(r.status, 0, `JIT: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, "ok straddle\n");
    assert.equal(r.instret, base.instret, "retired instructions");
    assert.ok(r.insns >= 3 * BODY, `${r.insns} instructions translated (the second page has ${3 * BODY})`);
  });

// The block at a split instruction has nothing to translate. Under a compile
// budget tight enough to defer the loop's code for a while, it must be left
// to the interpreter, not deferred as hot code over budget: each deferral
// doubled the hotness threshold for all code (openssl's SHA-256 pushed it to
// 51,200 that way). So the split loop is deferred exactly as often as the
// same loop with nothing split. (The budget here counts executed
// instructions only: GHOST_JIT_INTERP_RATIO=0.)
test("an instruction split by a page end does not count against the compile budget",
  { skip: !haveCc && `${CC} or ${NM} not installed`, timeout: 5 * 60_000 }, () => {
    build("split", program(true));
    build("aligned", program(false));
    const runs = ["split", "aligned"].map((prog) => {
      const r = ghost(prog, {
        GHOST_JIT: "1", GHOST_JIT_THRESHOLD: "2", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "1000",
        GHOST_JIT_INTERP_RATIO: "0", GHOST_JIT_STATS: "1", GHOST_JIT_PCS: pcs(prog),
      });
      assert.equal(r.status, 0, `${prog}: ${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout, "ok straddle\n", prog);
      assert.ok(r.insns >= 3 * (HEAD + BODY), `${prog}: ${r.insns} instructions translated`);
      return r;
    });
    assert.ok(runs[1].deferred > 0, "the budget deferred nothing: the test tests nothing");
    assert.equal(runs[0].deferred, runs[1].deferred, "deferrals with a split instruction and without");
  });
