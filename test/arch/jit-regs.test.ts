// Guest registers across translated code: a component that writes t3 on one
// path only, t4 and t5 on one path, reads a3 across a call to another page
// (whose return site is a new entry), and writes t6 after a load that may
// fault — t6 is dead where the component is entered but live after it. A
// SIGSEGV handler checks the frame's registers at the fault (the ones the path
// did not write must be the caller's), then steps over the load. probe() is
// called from its own page, through a pointer from its own page, and from
// another page. Output and retired instructions must equal the interpreter's,
// at every JIT setting, and no translation may fail. (Written for a register
// liveness analysis that loads only live registers on entry and stores only
// written ones on exit: it fails when such an analysis drops a register. That
// analysis was measured even with loading every used register and is not in
// the tree; the test guards whatever comes next.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-regs");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

const REGS = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); exit(1); } } while (0)
extern char probe_fault[];
void drive_near(long flag, long *addr, long *good, long *out);
void drive_far(long flag, long *addr, long *good, long *out);
void drive_ptr(long flag, long *addr, long *good, long *out);
/* drive_*: t3..t6 = 0x1003..0x1006, call probe, out[] = a0, t3, t4, t5, t6. */
#define DRIVE(name, call) \
  ".globl " #name "\n" #name ":\n addi sp, sp, -16\n sd ra, 8(sp)\n sd a3, 0(sp)\n" \
  " li t3, 0x1003\n li t4, 0x1004\n li t5, 0x1005\n li t6, 0x1006\n" call "\n" \
  " ld a5, 0(sp)\n sd a0, 0(a5)\n sd t3, 8(a5)\n sd t4, 16(a5)\n sd t5, 24(a5)\n sd t6, 32(a5)\n" \
  " ld ra, 8(sp)\n addi sp, sp, 16\n ret\n"
__asm__(".text\n.balign 4096\n.option push\n.option norvc\n"
  ".globl probe\nprobe:\n addi sp, sp, -16\n sd ra, 8(sp)\n"
  " beqz a0, 1f\n li t3, 77\n sd t3, 0(a2)\n addi t4, t4, 1\n"
  "1: ld a3, 0(a2)\n beqz a0, 2f\n addi t5, a3, 5\n"
  "2: call far_nop\n"
  ".globl probe_fault\nprobe_fault:\n ld a4, 0(a1)\n"
  " add a0, a3, a4\n li t6, 99\n ld ra, 8(sp)\n addi sp, sp, 16\n ret\n"
  DRIVE(drive_near, " call probe")
  DRIVE(drive_ptr, " la t0, probe\n jalr t0")
  ".balign 4096\nfar_nop:\n ret\n"
  DRIVE(drive_far, " call probe")
  ".option pop\n");
static volatile long faults, seen[5];
static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  unsigned long *r = uc->uc_mcontext.__gregs;
  if (r[0] != (unsigned long)probe_fault) { printf("FAIL: SIGSEGV at %lx\n", r[0]); exit(1); }
  faults++;
  seen[0] = r[13]; seen[1] = r[28]; seen[2] = r[29]; seen[3] = r[30]; seen[4] = r[31]; /* a3, t3..t6 */
  r[14] = 1000; /* a4: what the load "read" */
  r[0] += 4;
}
int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  long good[1], out[5], want_faults = 0;
  for (long i = 0; i < 3000; i++) {
    long flag = i & 1, fault = i % 5 == 0;
    good[0] = 3 * i;
    long *addr = fault ? (long *)8 : good;
    (i % 3 == 0 ? drive_near : i % 3 == 1 ? drive_far : drive_ptr)(flag, addr, good, out);
    long a3 = flag ? 77 : 3 * i, t3 = flag ? 77 : 0x1003, t4 = flag ? 0x1005 : 0x1004, t5 = flag ? 82 : 0x1005;
    if (fault) {
      want_faults++;
      CHECK(faults == want_faults, "i %ld: %ld faults", i, faults);
      CHECK(seen[0] == a3 && seen[1] == t3 && seen[2] == t4 && seen[3] == t5 && seen[4] == 0x1006,
        "i %ld: at the fault a3 %lx t3 %lx t4 %lx t5 %lx t6 %lx", i, seen[0], seen[1], seen[2], seen[3], seen[4]);
    }
    CHECK(out[0] == a3 + (fault ? 1000 : a3) && out[1] == t3 && out[2] == t4 && out[3] == t5 && out[4] == 99,
      "i %ld: after a0 %lx t3 %lx t4 %lx t5 %lx t6 %lx", i, out[0], out[1], out[2], out[3], out[4]);
  }
  printf("ok registers at faults and after calls\n");
  return 0;
}
`;

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(jit: [threshold: number, batch: number, budget: number] | undefined): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env = {
    ...process.env, GHOST_JIT: jit ? "1" : "0", GHOST_JIT_THRESHOLD: String(jit?.[0] ?? 1),
    GHOST_JIT_BATCH: String(jit?.[1] ?? 1), GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: String(jit?.[2] ?? 0),
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./regs"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("JIT: registers loaded and stored by liveness", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, () => {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "regs.c");
  if (!existsSync(join(DIR, "regs")) || !existsSync(src) || readFileSync(src, "utf8") !== REGS) {
    writeFileSync(src, REGS);
    execFileSync(CC, ["-O2", "-static", "-o", join(DIR, "regs"), src]);
  }
  const want = ["ok registers at faults and after calls"];
  const base = ghost(undefined);
  assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
  assert.deepEqual(base.stdout.trim().split("\n"), want, base.stderr);
  for (const jit of [[1, 1, 0], [2, 1, 0], [5, 8, 0], [50, 8, 0], [2, 1, 1_000_000]] as [number, number, number][]) {
    const r = ghost(jit);
    const what = `threshold ${jit[0]}, batch ${jit[1]}, budget ${jit[2]}`;
    assert.equal(r.status, 0, `${what}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual(r.stdout.trim().split("\n"), want, `${what}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /ghost: jit: /, `${what}: a translation failed`);
    assert.equal(r.instret, base.instret, `${what}: instret`);
  }
});
