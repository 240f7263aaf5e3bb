// Rotates written as two shifts and an or (jit/rotate.ts turns the or into one
// wasm rotate): every word amount 1..31 and doubleword amount 1..63, both
// operand orders, the or writing the shifts' source, and the shapes that must
// not become a rotate (the source rewritten between the shifts, amounts that
// do not add up to the width, a word shift with a doubleword one). The
// shifts' own results are checked too (the guest sees them), and at a page
// fault between the shifts and the or a SIGSEGV handler checks them in the
// signal frame. Each result is checked against C and the whole output against
// the interpreter's (and qemu-riscv64's), with the same retired instructions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-rotate");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

// rotw_N(x, out): a0 = x rotated right by N (word), out[0..1] = the shifts' results.
// rotd_N: the same on doublewords, the or into another register.
function asmFunctions(): string {
  let s = "";
  for (let n = 1; n < 32; n++) {
    const or = n & 1 ? "or a0, t0, t1" : "or a0, t1, t0";
    s += ` rotw_${n}:\\n srliw t0, a0, ${n}\\n slliw t1, a0, ${32 - n}\\n ${or}\\n sd t0, 0(a1)\\n sd t1, 8(a1)\\n ret\\n"\n  "`;
  }
  for (let n = 1; n < 64; n++) {
    const or = n & 1 ? "or a2, t1, t0" : "or a2, t0, t1";
    s += ` rotd_${n}:\\n srli t0, a0, ${n}\\n slli t1, a0, ${64 - n}\\n ${or}\\n sd t0, 0(a1)\\n sd t1, 8(a1)\\n mv a0, a2\\n ret\\n"\n  "`;
  }
  return s;
}

function tables(): string {
  const w = Array.from({ length: 31 }, (_, k) => `rotw_${k + 1}`);
  const d = Array.from({ length: 63 }, (_, k) => `rotd_${k + 1}`);
  return `typedef unsigned long (*rot_t)(unsigned long, unsigned long *);\n` +
    `unsigned long ${[...w, ...d].map((f) => `${f}(unsigned long, unsigned long *)`).join(", ")};\n` +
    `static const rot_t rotw[32] = { 0, ${w.join(", ")} };\n` +
    `static const rot_t rotd[64] = { 0, ${d.join(", ")} };\n`;
}

const PROGRAM = (): string => String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); exit(1); } } while (0)
typedef uint64_t u64;
static inline u64 sext32(uint32_t v) { return (u64)(int64_t)(int32_t)v; }
` + tables() + String.raw`
unsigned long rot_moved(unsigned long x);      /* x rewritten between the shifts */
unsigned long rot_33(unsigned long x);         /* amounts 3 + 30 */
unsigned long rot_mixed(unsigned long x);      /* srli 8 with slliw 24 */
unsigned long rot_fault(unsigned long x, unsigned long *p);
extern char rot_fault_ld[];
__asm__(".text\n.option push\n.option norvc\n"
  ".globl rot_moved\nrot_moved:\n srliw t0, a0, 5\n addi a0, a0, 1\n slliw t1, a0, 27\n or a0, t0, t1\n ret\n"
  ".globl rot_33\nrot_33:\n srliw t0, a0, 3\n slliw t1, a0, 30\n or a0, t0, t1\n ret\n"
  ".globl rot_mixed\nrot_mixed:\n srli t0, a0, 8\n slliw t1, a0, 24\n or a0, t1, t0\n ret\n"
  ".globl rot_fault\nrot_fault:\n srliw t0, a0, 7\n slliw t1, a0, 25\n"
  ".globl rot_fault_ld\nrot_fault_ld:\n ld t2, 0(a1)\n or a0, t0, t1\n add a0, a0, t2\n ret\n"
  "` + asmFunctions().replace(/ (rot[wd]_\d+):/g, ".globl $1\\n$1:") + String.raw`"
  ".option pop\n");
static volatile u64 faults, seen_t0, seen_t1;
static void on_segv(int sig, siginfo_t *si, void *ctx) {
  unsigned long *r = ((ucontext_t *)ctx)->uc_mcontext.__gregs;
  if (r[0] != (unsigned long)rot_fault_ld) { printf("FAIL: SIGSEGV at %lx\n", r[0]); exit(1); }
  faults++;
  seen_t0 = r[5]; seen_t1 = r[6];
  r[7] = 0; /* t2: what the load "read" */
  r[0] += 4;
}
static u64 h = 1469598103934665603ull;
static void mix(u64 v) { h = (h ^ v) * 1099511628211ull; }
int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  static const u64 vals[] = { 0, 1, 0x80000000u, 0x7fffffffu, 0xffffffffu, 0x12345678u, 0x87654321u,
    0xdeadbeefcafebabeull, 0x8000000000000001ull, 0xffffffff00000000ull, 0x00000001ffffffffull, ~0ull };
  const int nv = sizeof vals / sizeof vals[0];
  u64 out[2], want_faults = 0;
  for (int rep = 0; rep < 3; rep++) /* translated from the first call; again once every block is */
    for (int i = 0; i < nv; i++) {
      u64 x = vals[i] ^ (u64)rep * 0x9e3779b97f4a7c15ull;
      uint32_t x32 = (uint32_t)x;
      for (int n = 1; n < 32; n++) {
        u64 r = rotw[n](x, out);
        u64 a = sext32(x32 >> n), b = sext32(x32 << (32 - n));
        CHECK(out[0] == a && out[1] == b, "rotw %d of %lx: shifts %lx %lx", n, x, out[0], out[1]);
        CHECK(r == sext32((x32 >> n) | (x32 << (32 - n))) && r == (a | b), "rotw %d of %lx: %lx", n, x, r);
        mix(r);
      }
      for (int n = 1; n < 64; n++) {
        u64 r = rotd[n](x, out);
        CHECK(out[0] == x >> n && out[1] == x << (64 - n), "rotd %d of %lx: shifts %lx %lx", n, x, out[0], out[1]);
        CHECK(r == ((x >> n) | (x << (64 - n))), "rotd %d of %lx: %lx", n, x, r);
        mix(r);
      }
      u64 r = rot_moved(x);
      CHECK(r == (sext32(x32 >> 5) | sext32((uint32_t)(x + 1) << 27)), "moved source of %lx: %lx", x, r);
      mix(r);
      r = rot_33(x);
      CHECK(r == (sext32(x32 >> 3) | sext32(x32 << 30)), "3 + 30 of %lx: %lx", x, r);
      mix(r);
      r = rot_mixed(x);
      CHECK(r == ((x >> 8) | sext32(x32 << 24)), "srli with slliw of %lx: %lx", x, r);
      mix(r);
      u64 good = 1000 + i, fault = (i + rep) % 3 == 0;
      r = rot_fault(x, fault ? (unsigned long *)8 : &good);
      u64 want = sext32((x32 >> 7) | (x32 << 25)) + (fault ? 0 : good);
      CHECK(r == want, "rotate around a load, %lx: %lx", x, r);
      if (fault) {
        want_faults++;
        CHECK(faults == want_faults, "%lu faults", (unsigned long)faults);
        CHECK(seen_t0 == sext32(x32 >> 7) && seen_t1 == sext32(x32 << 25), "at the fault t0 %lx t1 %lx",
          (unsigned long)seen_t0, (unsigned long)seen_t1);
      }
      mix(r);
    }
  printf("ok rotates %016llx\n", (unsigned long long)h);
  return 0;
}
`;

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(jit: [threshold: number, batch: number] | undefined): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env = {
    ...process.env, GHOST_JIT: jit ? "1" : "0", GHOST_JIT_THRESHOLD: String(jit?.[0] ?? 1),
    GHOST_JIT_BATCH: String(jit?.[1] ?? 1), GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0",
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./rotate"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("JIT: rotates from shifts and or", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, () => {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "rotate.c"), program = PROGRAM();
  if (!existsSync(join(DIR, "rotate")) || !existsSync(src) || readFileSync(src, "utf8") !== program) {
    writeFileSync(src, program);
    execFileSync(CC, ["-O2", "-static", "-o", join(DIR, "rotate"), src]);
  }
  const base = ghost(undefined);
  assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
  assert.match(base.stdout, /^ok rotates [0-9a-f]{16}\n$/, base.stderr);
  const q = spawnSync("qemu-riscv64", [join(DIR, "rotate")], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  if (q.error === undefined) assert.equal(base.stdout, q.stdout, "interpreter against qemu-riscv64");
  for (const jit of [[1, 1], [2, 1], [3, 8]] as [number, number][]) {
    const r = ghost(jit);
    const what = `threshold ${jit[0]}, batch ${jit[1]}`;
    assert.equal(r.status, 0, `${what}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, base.stdout, `${what}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /ghost: jit: /, `${what}: a translation failed`);
    assert.equal(r.instret, base.instret, `${what}: instret`);
  }
});
