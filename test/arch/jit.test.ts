// The JIT (src/arch/riscv64/jit/) against the interpreter's semantics: small
// riscv64 programs, built at test time with riscv64-linux-gnu-gcc into
// build/test/jit/, run by the Ghost CLI with every block translated before it
// first runs (GHOST_JIT_THRESHOLD=1, GHOST_JIT_BATCH=1, GHOST_JIT_WARMUP=0) and, for comparison,
// with the JIT off. Each program checks itself and prints "ok ..." lines.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultGhostCommand, defaultOptions, runDiff } from "../diff/cpu/run.js";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

// ---- guest programs ---------------------------------------------------------------------------

const COMMON = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <fcntl.h>
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); exit(1); } } while (0)
static inline void fencei(void) { __asm__ volatile("fence.i" ::: "memory"); }
`;

// Self-modifying code: rewritten functions, with and without fence.i, a
// block that rewrites its own next instruction, and code the kernel writes.
const SMC = COMMON + String.raw`
typedef long (*fn_t)(long);
#define ADDI_A0(v) (0x00000513u | ((uint32_t)(v) << 20))   /* addi a0, zero, v */
#define RET 0x00008067u
int main(void) {
  uint32_t *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED, "mmap");
  long sum = 0;
  for (int v = 1; v <= 5; v++) {
    p[0] = ADDI_A0(v); p[1] = RET;
    fencei();
    for (int i = 0; i < 200; i++) sum += ((fn_t)p)(0);
  }
  CHECK(sum == 200 * 15, "fence.i: sum %ld", sum);
  printf("ok fence.i\n");
  /* No fence.i: a store to translated code is still seen at once, as the interpreter sees it. */
  for (int v = 6; v <= 9; v++) {
    p[0] = ADDI_A0(v);
    for (int i = 0; i < 50; i++) CHECK(((fn_t)p)(0) == v, "store without fence.i: %d", v);
  }
  printf("ok store\n");
  /* One block: sw over the instruction two ahead, then run it (with and without fence.i). */
  uint32_t *q = p + 64;
  q[0] = 0x00b52423u; /* sw a1, 8(a0) */
  q[1] = 0x0000100fu; /* fence.i */
  q[2] = ADDI_A0(1);
  q[3] = RET;
  uint32_t *r = p + 128;
  r[0] = 0x00b52423u; /* sw a1, 8(a0): over r[2] */
  r[1] = 0x00000013u; /* nop */
  r[2] = ADDI_A0(1);
  r[3] = RET;
  fencei();
  long (*g)(long, long) = (long (*)(long, long))q;
  for (int v = 2; v < 40; v++) CHECK(g((long)q, ADDI_A0(v)) == v, "own block with fence.i: %d", v);
  long (*h)(long, long) = (long (*)(long, long))r;
  for (int v = 2; v < 40; v++) CHECK(h((long)r, ADDI_A0(v)) == v, "own block without fence.i: %d", v);
  printf("ok own block\n");
  /* The kernel writes the code (read() into the page): only fence.i makes it visible. */
  int fd = open("/tmp/jit-smc", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0, "open");
  for (int v = 10; v < 20; v++) {
    uint32_t code[2] = { ADDI_A0(v), RET };
    CHECK(pwrite(fd, code, sizeof code, 0) == sizeof code, "pwrite");
    CHECK(pread(fd, p, sizeof code, 0) == sizeof code, "pread");
    fencei();
    for (int i = 0; i < 50; i++) CHECK(((fn_t)p)(0) == v, "read() and fence.i: %d", v);
  }
  printf("ok read\n");
  return 0;
}
`;

// A load and a store fault in the middle of a block: PC is the faulting
// instruction's, earlier instructions are committed, later ones are not.
const FAULT = COMMON + String.raw`
void probe_ld(long *bad, long *out);
void probe_sd(long *bad, long *out);
extern char probe_ld_at[], probe_sd_at[];
__asm__(".option push\n.option norvc\n"
  ".globl probe_ld\nprobe_ld:\n li t3, 0\n li t0, 11\n li t1, 22\n"
  ".globl probe_ld_at\nprobe_ld_at:\n ld t2, 0(a0)\n li t3, 33\n"
  " sd t0, 0(a1)\n sd t1, 8(a1)\n sd t3, 16(a1)\n ret\n"
  ".globl probe_sd\nprobe_sd:\n li t3, 0\n li t0, 44\n addi t1, t0, 11\n"
  ".globl probe_sd_at\nprobe_sd_at:\n sd t0, 8(a0)\n li t3, 66\n"
  " sd t0, 0(a1)\n sd t1, 8(a1)\n sd t3, 16(a1)\n ret\n"
  ".option pop\n");
static volatile long seen_pc, seen_t0, seen_t1, seen_t3, seen_addr, faults;
static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  seen_pc = uc->uc_mcontext.__gregs[0];
  seen_t0 = uc->uc_mcontext.__gregs[5];
  seen_t1 = uc->uc_mcontext.__gregs[6];
  seen_t3 = uc->uc_mcontext.__gregs[28];
  seen_addr = (long)si->si_addr;
  faults++;
  uc->uc_mcontext.__gregs[0] += 4; /* step over the faulting instruction */
}
int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  long *bad = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long out[3];
  for (int i = 0; i < 100; i++) {
    probe_ld(bad, out);
    CHECK(seen_pc == (long)probe_ld_at, "ld: pc %lx", seen_pc);
    CHECK(seen_t0 == 11 && seen_t1 == 22 && seen_t3 == 0, "ld: t0 %ld t1 %ld t3 %ld", seen_t0, seen_t1, seen_t3);
    CHECK(seen_addr == (long)bad, "ld: addr %lx", seen_addr);
    CHECK(out[0] == 11 && out[1] == 22 && out[2] == 33, "ld: after");
    probe_sd(bad, out);
    CHECK(seen_pc == (long)probe_sd_at, "sd: pc %lx", seen_pc);
    CHECK(seen_t0 == 44 && seen_t1 == 55 && seen_t3 == 0, "sd: t0 %ld t1 %ld t3 %ld", seen_t0, seen_t1, seen_t3);
    CHECK(seen_addr == (long)bad + 8, "sd: addr %lx", seen_addr);
    CHECK(out[0] == 44 && out[1] == 55 && out[2] == 66, "sd: after");
  }
  CHECK(faults == 200, "faults %ld", faults);
  printf("ok faults\n");
  return 0;
}
`;

// The same physical code mapped at two virtual addresses: auipc must give each its own.
const TWOMAP = COMMON + String.raw`
int main(void) {
  int fd = open("/tmp/jit-code", O_RDWR | O_CREAT | O_TRUNC, 0755);
  CHECK(fd >= 0, "open");
  uint32_t code[2] = { 0x00000517u /* auipc a0, 0 */, 0x00008067u /* ret */ };
  CHECK(write(fd, code, sizeof code) == sizeof code, "write");
  CHECK(ftruncate(fd, 4096) == 0, "ftruncate");
  void *a = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  void *b = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b, "mmap");
  for (int i = 0; i < 300; i++) {
    CHECK(((long (*)(void))a)() == (long)a, "a");
    CHECK(((long (*)(void))b)() == (long)b, "b");
  }
  /* Remap b elsewhere: the old address must fault-free stop serving b's code. */
  munmap(b, 4096);
  void *c = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  for (int i = 0; i < 300; i++) CHECK(((long (*)(void))c)() == (long)c, "c");
  printf("ok two mappings\n");
  return 0;
}
`;

// exec: VAL is compiled in; the first image execs the second, whose code sits
// at the same virtual addresses with another constant.
const EXEC = COMMON + String.raw`
__attribute__((noinline)) static long work(long n) { long s = 0; for (long i = 0; i < n; i++) s += VAL * i; return s; }
int main(int argc, char **argv) {
  long s = work(1000);
  CHECK(s == VAL * 499500L, "VAL %d: %ld", VAL, s);
  printf("ok exec %d\n", VAL);
  fflush(stdout);
  if (argc > 1) { execv(argv[1], argv + 1); printf("FAIL execv\n"); return 1; }
  return 0;
}
`;

// Exact instret and cycle, also inside translated code, without libc.
// F and D instructions the JIT runs natively (jit/emit-fp.ts) or through the
// FPU: every operation on every pair of a set of edge operands (zeros,
// subnormals, the smallest normal, huge values, infinities, quiet and
// signaling NaNs, improperly boxed singles), under every rounding mode (static
// rne, rtz and dynamic) and with fflags clear, NX only, or all set. Prints a
// checksum of the results and fcsr per operation: the JIT must print what the
// interpreter and qemu-riscv64 print.
const FPOPS = COMMON + String.raw`
static const uint64_t vals[] = {
  0x3ff0000000000000ull, 0x4008000000000000ull, 0x3fb999999999999aull, 0xc004000000000000ull,
  0x7fefffffffffffffull, 0x0010000000000000ull, 0x0010000000000001ull, 0x000fffffffffffffull,
  0x0000000000000001ull, 0x0000000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull,
  0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x3ff0000000000001ull,
  0x41dfffffffc00000ull, 0xc1e0000000200000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
  0x3ca0000000000000ull, 0x4330000000000001ull,
  // singles, boxed and not
  0xffffffff3f800000ull, 0xffffffff40400000ull, 0xffffffff3dcccccdull, 0xffffffff7f7fffffull,
  0xffffffff00800000ull, 0xffffffff00000001ull, 0xffffffff80000000ull, 0xffffffff7f800000ull,
  0xffffffff7fc00000ull, 0xffffffff7fa00000ull, 0xffffffff33800000ull, 0x000000003f800000ull,
  0xfffffffe40400000ull,
};
#define NV (sizeof vals / sizeof vals[0])
static uint64_t h = 1469598103934665603ull;
static void mix(uint64_t v) { h = (h ^ v) * 0x100000001b3ull; h ^= h >> 29; }
#define BIN(name, insn) __attribute__((noinline)) static void name(uint64_t a, uint64_t b, uint64_t *r, uint64_t *x) { \
  uint64_t o, xo; __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n " insn "\n fmv.x.d %0, ft2\n li %1, 0" \
  : "=r"(o), "=r"(xo) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); *r = o; *x = xo; }
#define UN(name, insn) __attribute__((noinline)) static void name(uint64_t a, uint64_t b, uint64_t *r, uint64_t *x) { \
  uint64_t o; (void)b; __asm__ volatile("fmv.d.x ft0, %1\n " insn "\n fmv.x.d %0, ft2" \
  : "=r"(o) : "r"(a) : "ft0", "ft2"); *r = o; *x = 0; }
#define CMP(name, insn) __attribute__((noinline)) static void name(uint64_t a, uint64_t b, uint64_t *r, uint64_t *x) { \
  uint64_t o; __asm__ volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn "" \
  : "=r"(o) : "r"(a), "r"(b) : "ft0", "ft1"); *r = 0; *x = o; }
#define TOX(name, insn) __attribute__((noinline)) static void name(uint64_t a, uint64_t b, uint64_t *r, uint64_t *x) { \
  uint64_t o; (void)b; __asm__ volatile("fmv.d.x ft0, %1\n " insn : "=r"(o) : "r"(a) : "ft0"); *r = 0; *x = o; }
#define FROMX(name, insn) __attribute__((noinline)) static void name(uint64_t a, uint64_t b, uint64_t *r, uint64_t *x) { \
  uint64_t o; (void)b; __asm__ volatile(insn "\n fmv.x.d %0, ft2" : "=r"(o) : "r"(a) : "ft2"); *r = o; *x = 0; }
#define B(n, i) BIN(n, i " ft2, ft0, ft1")
#define BR(n, i, r) BIN(n, i " ft2, ft0, ft1, " r)
B(faddd, "fadd.d") B(fsubd, "fsub.d") B(fmuld, "fmul.d") B(fdivd, "fdiv.d")
BR(faddd_rne, "fadd.d", "rne") BR(fmuld_rtz, "fmul.d", "rtz") BR(fsubd_rne, "fsub.d", "rne")
B(fadds, "fadd.s") B(fsubs, "fsub.s") B(fmuls, "fmul.s") B(fdivs, "fdiv.s") BR(fdivs_rne, "fdiv.s", "rne")
B(fsgnjd, "fsgnj.d") B(fsgnjnd, "fsgnjn.d") B(fsgnjxd, "fsgnjx.d")
B(fsgnjs, "fsgnj.s") B(fsgnjns, "fsgnjn.s") B(fsgnjxs, "fsgnjx.s") B(fmind, "fmin.d") B(fmaxs, "fmax.s")
UN(fsqrtd, "fsqrt.d ft2, ft0") UN(fsqrts, "fsqrt.s ft2, ft0") UN(fsqrtd_rne, "fsqrt.d ft2, ft0, rne")
UN(fcvtds, "fcvt.d.s ft2, ft0") UN(fcvtsd, "fcvt.s.d ft2, ft0")
CMP(feqd, "feq.d %0, ft0, ft1") CMP(fltd, "flt.d %0, ft0, ft1") CMP(fled, "fle.d %0, ft0, ft1")
CMP(feqs, "feq.s %0, ft0, ft1") CMP(flts, "flt.s %0, ft0, ft1") CMP(fles, "fle.s %0, ft0, ft1")
TOX(fcvtwd, "fcvt.w.d %0, ft0, rtz") TOX(fcvtld, "fcvt.l.d %0, ft0, rtz") TOX(fcvtwdrne, "fcvt.w.d %0, ft0")
TOX(fmvxd, "fmv.x.d %0, ft0") TOX(fmvxw, "fmv.x.w %0, ft0") TOX(fcvtws, "fcvt.w.s %0, ft0, rtz")
FROMX(fcvtdw, "fcvt.d.w ft2, %1") FROMX(fcvtdwu, "fcvt.d.wu ft2, %1") FROMX(fmvwx, "fmv.w.x ft2, %1")
FROMX(fmvdx, "fmv.d.x ft2, %1")
typedef void (*op_t)(uint64_t, uint64_t, uint64_t *, uint64_t *);
static const struct { const char *name; op_t f; } ops[] = {
#define O(n) { #n, n },
  O(faddd) O(fsubd) O(fmuld) O(fdivd) O(faddd_rne) O(fmuld_rtz) O(fsubd_rne) O(fsqrtd_rne) O(fadds) O(fsubs) O(fmuls) O(fdivs) O(fdivs_rne)
  O(fsgnjd) O(fsgnjnd) O(fsgnjxd) O(fsgnjs) O(fsgnjns) O(fsgnjxs) O(fmind) O(fmaxs)
  O(fsqrtd) O(fsqrts) O(fcvtds) O(fcvtsd) O(feqd) O(fltd) O(fled) O(feqs) O(flts) O(fles)
  O(fcvtwd) O(fcvtld) O(fcvtwdrne) O(fmvxd) O(fmvxw) O(fcvtws) O(fcvtdw) O(fcvtdwu) O(fmvwx) O(fmvdx)
};
int main(void) {
  static const unsigned flags[] = { 0, 1, 0x1f };
  for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    h = 1469598103934665603ull;
    for (int rep = 0; rep < 2; rep++) // the second time through, every block is translated
      for (unsigned rm = 0; rm < 5; rm++)
        for (unsigned fl = 0; fl < 3; fl++)
          for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++) {
              uint64_t r, x, fcsr = (rm << 5) | flags[fl], after;
              __asm__ volatile("fscsr %0" :: "r"(fcsr));
              ops[k].f(vals[i], vals[j], &r, &x);
              __asm__ volatile("frcsr %0" : "=r"(after));
              mix(r); mix(x); mix(after);
            }
    printf("%s %016llx\n", ops[k].name, (unsigned long long)h);
  }
  return 0;
}
`;

const INSTRET = String.raw`
.option norvc
.globl _start
_start:
  li s0, 0              # failures
  rdinstret t0
  li t1, 1000
1: addi t1, t1, -1
  bnez t1, 1b
  rdinstret t2
  sub t2, t2, t0
  li t3, 2002           # li + 1000 * 2 + the second rdinstret
  beq t2, t3, 2f
  addi s0, s0, 1
2: rdcycle t0
  addi t1, zero, 1
  addi t1, t1, 1
  rdcycle t2
  sub t2, t2, t0
  li t3, 3
  beq t2, t3, 3f
  addi s0, s0, 2
3: rdtime t0
  rdtime t1
  bgeu t1, t0, 4f
  addi s0, s0, 4
4: mv a0, s0
  li a7, 93             # exit(failures)
  ecall
`;

function build(): void {
  mkdirSync(DIR, { recursive: true });
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const cc = (name: string, src: string, ext: string, flags: string[]): void => {
    const srcPath = join(DIR, `${name}.${ext}`);
    const out = join(DIR, name);
    if (existsSync(out) && existsSync(srcPath) && readFileSync(srcPath, "utf8") === src) return;
    writeFileSync(srcPath, src);
    execFileSync(CC, ["-O2", "-static", "-o", out, srcPath, ...flags]);
  };
  cc("smc", SMC, "c", []);
  cc("fault", FAULT, "c", []);
  cc("twomap", TWOMAP, "c", []);
  cc("exec1", EXEC, "c", ["-DVAL=3"]);
  cc("exec2", EXEC, "c", ["-DVAL=5"]);
  cc("instret", INSTRET, "S", ["-nostdlib"]);
  cc("fpops", FPOPS, "c", []);
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

// Runs a program under Ghost; `jit` false turns the JIT off. The environment
// has the same size either way, so the programs see the same stack layout.
function ghost(args: string[], jit: boolean): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env = {
    ...process.env,
    GHOST_JIT: jit ? "1" : "0",
    GHOST_JIT_THRESHOLD: "1",
    GHOST_JIT_BATCH: "1",
    GHOST_JIT_WARMUP: "0",
    GHOST_JIT_BUDGET: "0",
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", ...args], { cwd: DIR, env, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

function expectOk(r: Run, lines: string[]): void {
  assert.equal(r.status, 0, `exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split("\n"), lines, r.stderr);
}

test("JIT", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, async (t) => {
  build();

  await t.test("self-modifying code: fence.i, plain stores, a block rewriting itself", () => {
    expectOk(ghost(["./smc"], true), ["ok fence.i", "ok store", "ok own block", "ok read"]);
  });

  await t.test("page faults in the middle of a block are precise", () => {
    expectOk(ghost(["./fault"], true), ["ok faults"]);
  });

  await t.test("the same code at two virtual addresses", () => {
    expectOk(ghost(["./twomap"], true), ["ok two mappings"]);
  });

  await t.test("an exec'd program replaces another at the same addresses", () => {
    expectOk(ghost(["./exec1", "./exec2"], true), ["ok exec 3", "ok exec 5"]);
  });

  await t.test("instret, cycle and time are exact inside translated code", () => {
    const r = ghost(["./instret"], true);
    assert.equal(r.status, 0, `failure bits ${r.status}: 1 instret, 2 cycle, 4 time\n${r.stderr}`);
  });

  await t.test("F and D operations: results and fcsr as the interpreter's and qemu-riscv64's", () => {
    const jit = ghost(["./fpops"], true), interp = ghost(["./fpops"], false);
    assert.equal(interp.status, 0, interp.stderr);
    assert.equal(jit.status, 0, jit.stderr);
    assert.ok(interp.stdout.split("\n").length > 30, interp.stdout);
    assert.equal(jit.stdout, interp.stdout);
    const q = spawnSync("qemu-riscv64", [join(DIR, "fpops")], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    if (q.error === undefined) assert.equal(interp.stdout, q.stdout);
  });

  await t.test("INSTRET after a run equals the interpreter's, for every program", () => {
    for (const args of [["./instret"], ["./smc"], ["./fault"], ["./twomap"], ["./exec1", "./exec2"], ["./fpops"]]) {
      const a = ghost(args, false), b = ghost(args, true);
      assert.equal(a.stdout, b.stdout, args.join(" "));
      assert.ok(a.instret > 0, `no stats for ${args.join(" ")}`);
      assert.equal(b.instret, a.instret, `instret of ${args.join(" ")}`);
    }
  });
});

// The CPU differential test (test/diff/cpu) runs every instruction once, so
// by default it never reaches translated code; here every block is translated.
test("JIT: RV64GC differential test against qemu-riscv64, everything translated", {
  skip: (!haveCc || spawnSync("qemu-riscv64", ["--version"], { stdio: "ignore" }).status !== 0) && "needs gcc and qemu",
  timeout: 15 * 60_000,
}, async (t) => {
  const opts = defaultOptions();
  opts.ghost = ["env", "GHOST_JIT=1", "GHOST_JIT_THRESHOLD=1", "GHOST_JIT_BATCH=1", "GHOST_JIT_WARMUP=0", "GHOST_JIT_BUDGET=0", ...defaultGhostCommand(ROOT)];
  opts.seed = Number(process.env["GHOST_JIT_DIFF_SEED"] ?? 1);
  opts.count = Number(process.env["GHOST_JIT_DIFF_COUNT"] ?? 1000);
  opts.log = (line) => t.diagnostic(line);
  const r = await runDiff(opts);
  assert.ok(r.ok, `\n${r.report}`);
});
