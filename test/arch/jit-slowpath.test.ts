// Loads and stores in translated code whose TLB check fails: the component
// leaves with CAUSE_JIT_SLOW and the interpreter runs the access (jit/
// emit-insn.ts slowExit, wasm/jitrun.ts), and the M extension's divisions
// and high multiplies inlined without a call (jit/emit-muldiv.ts). One
// program, every block translated before it first runs, against the
// interpreter (same output, same retired instructions) and qemu-riscv64:
// - misaligned loads and stores of every size and signedness, inside a page
//   and across a page boundary;
// - accesses that always miss (pages 16 MiB apart share a TLB entry), mixed
//   with hits, in a loop;
// - a store and a load that fault on the slow path after their pages were
//   made read-only, inaccessible, or unmapped under the running translation:
//   SIGSEGV with the access's pc and si_addr, and the code after it runs;
// - mulh/mulhsu/mulhu/div/divu/rem/remu and the word forms on edge values
//   (zero divisors, the signed overflow), checked against C's results.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-slowpath");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); exit(1); } } while (0)
typedef uint64_t u64;
typedef int64_t i64;

u64 slow_ld(u64 *p);
void slow_sd(u64 *p, u64 v);
extern char slow_ld_at[], slow_sd_at[];
__asm__(".text\n.option push\n.option norvc\n"
  ".globl slow_ld\nslow_ld:\n addi t0, a0, 0\n.globl slow_ld_at\nslow_ld_at:\n ld a0, 8(t0)\n addi a0, a0, 1\n ret\n"
  ".globl slow_sd\nslow_sd:\n addi t0, a0, 0\n.globl slow_sd_at\nslow_sd_at:\n sd a1, 8(t0)\n addi a1, a1, 1\n ret\n"
  ".option pop\n");

static volatile u64 faults, seen_pc, seen_addr;
static void on_segv(int sig, siginfo_t *si, void *ctx) {
  unsigned long *r = ((ucontext_t *)ctx)->uc_mcontext.__gregs;
  seen_pc = r[0];
  seen_addr = (u64)si->si_addr;
  faults++;
  if (r[0] == (unsigned long)slow_ld_at) r[10] = 7; /* what the load "read" */
  r[0] += 4;
}

static u64 h = 1469598103934665603ull;
static void mix(u64 v) { h = (h ^ v) * 1099511628211ull; }

/* Misaligned accesses in a page and across the boundary between two. */
static void misaligned(void) {
  unsigned char *buf = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(buf != MAP_FAILED, "mmap");
  for (int rep = 0; rep < 20; rep++)
    for (int o = 4096 - 12; o <= 4096 + 4; o++) {
      for (int in = 0; in < 2; in++) {
        unsigned char *p = buf + (in ? o - 2048 : o);
        u64 v = 0x8899aabbccddeeffull ^ ((u64)o << 32) ^ (u64)rep * 0x9e3779b97f4a7c15ull;
        *(volatile u64 *)p = v;
        mix(*(volatile u64 *)p); mix(*(volatile int32_t *)(p + 1)); mix(*(volatile uint32_t *)(p + 1));
        *(volatile uint32_t *)(p + 3) = (uint32_t)(v >> 7);
        mix(*(volatile int16_t *)(p + 3)); mix(*(volatile uint16_t *)(p + 5)); mix(*(volatile u64 *)p);
        *(volatile uint16_t *)(p + 1) = (uint16_t)(v >> 13);
        mix(*(volatile int8_t *)(p + 2)); mix(*(volatile uint8_t *)(p + 1)); mix(*(volatile i64 *)(p + 1));
        CHECK(*(volatile uint16_t *)(p + 1) == (uint16_t)(v >> 13), "halfword at %d", o);
      }
    }
  munmap(buf, 8192);
  printf("ok misaligned %016lx\n", (unsigned long)h);
}

/* Four pages 16 MiB apart: one TLB entry, so every access misses (and
   refills it for the next), in a loop with hits to another page. */
static void conflicts(void) {
  const u64 stride = 16ull << 20;
  unsigned char *base = mmap(0, 4 * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(base != MAP_FAILED, "mmap");
  volatile u64 *p[4];
  for (int k = 0; k < 4; k++) { p[k] = (volatile u64 *)(base + k * stride + 8 * k); *p[k] = k; }
  static volatile u64 hot[4];
  u64 sum = 0, want = 0, v[4] = { 0, 1, 2, 3 };
  for (u64 i = 0; i < 20000; i++) {
    int k = i & 3;
    *p[k] += i;
    v[k] += i;
    hot[k] = i;
    sum += *p[(k + 1) & 3] + hot[(k + 3) & 3];
    want += v[(k + 1) & 3] + (i >= 1 ? i - 1 : 0);
  }
  CHECK(sum == want, "sum %lx want %lx", (unsigned long)sum, (unsigned long)want);
  munmap(base, 4 * stride);
  printf("ok conflicts %016lx\n", (unsigned long)sum);
}

/* Faults on the slow path of a translated load and store. */
static void faulting(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  for (int round = 0; round < 3; round++) {
    u64 *q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(q != MAP_FAILED, "mmap");
    for (u64 i = 0; i < 100; i++) { slow_sd(q, i); CHECK(slow_ld(q) == i + 1, "load %lu", (unsigned long)i); }
    CHECK(faults == 0, "faults before mprotect: %lu", (unsigned long)faults);
    mprotect(q, 4096, PROT_READ);
    for (u64 i = 0; i < 10; i++) {
      slow_sd(q, 1000 + i);
      CHECK(faults == i + 1, "store %lu: faults %lu", (unsigned long)i, (unsigned long)faults);
      CHECK(seen_pc == (u64)slow_sd_at && seen_addr == (u64)(q + 1), "store fault at pc %lx addr %lx",
            (unsigned long)seen_pc, (unsigned long)seen_addr);
      CHECK(slow_ld(q) == 100, "load from the read-only page");
    }
    faults = 0;
    if (round == 2) munmap(q, 4096); else mprotect(q, 4096, PROT_NONE);
    for (u64 i = 0; i < 10; i++) {
      CHECK(slow_ld(q) == 8, "load %lu from a page that is gone", (unsigned long)i);
      CHECK(faults == i + 1 && seen_pc == (u64)slow_ld_at && seen_addr == (u64)(q + 1),
            "load fault %lu at pc %lx addr %lx", (unsigned long)faults, (unsigned long)seen_pc, (unsigned long)seen_addr);
    }
    faults = 0;
    if (round != 2) munmap(q, 4096);
  }
  signal(SIGSEGV, SIG_DFL);
  printf("ok faults\n");
}

/* The high multiplies, divisions and remainders (and the word forms) on edge values, against C. */
static u64 vals[] = { 0, 1, 2, 3, 7, 0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull, 0x123456789abcdefull,
  0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull, 0xfffffffffffffffeull, ~0ull,
  0xfedcba9876543210ull, 0xffffffff80000000ull, 0x00000000ffff0000ull };
static u64 mulhu_ref(u64 a, u64 b) { return (u64)(((unsigned __int128)a * b) >> 64); }
static u64 mulh_ref(u64 a, u64 b) { return (u64)(((__int128)(i64)a * (i64)b) >> 64); }
static u64 mulhsu_ref(u64 a, u64 b) { return (u64)(((__int128)(i64)a * (unsigned __int128)b) >> 64); }
static u64 sx(uint32_t v) { return (u64)(i64)(int32_t)v; }
#define OP2(name, insn) static u64 name(u64 a, u64 b) { u64 r; __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
OP2(mulh_, "mulh") OP2(mulhsu_, "mulhsu") OP2(mulhu_, "mulhu") OP2(div_, "div") OP2(divu_, "divu") OP2(rem_, "rem")
OP2(remu_, "remu") OP2(divw_, "divw") OP2(divuw_, "divuw") OP2(remw_, "remw") OP2(remuw_, "remuw")
static void muldiv(void) {
  const int n = sizeof vals / sizeof vals[0];
  for (int rep = 0; rep < 3; rep++)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        u64 a = vals[i], b = vals[j];
        i64 sa = (i64)a, sb = (i64)b;
        int32_t wa = (int32_t)a, wb = (int32_t)b;
        uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
        CHECK(mulhu_(a, b) == mulhu_ref(a, b), "mulhu %lx %lx", a, b);
        CHECK(mulh_(a, b) == mulh_ref(a, b), "mulh %lx %lx", a, b);
        CHECK(mulhsu_(a, b) == mulhsu_ref(a, b), "mulhsu %lx %lx", a, b);
        CHECK(div_(a, b) == (b == 0 ? ~0ull : (sa == INT64_MIN && sb == -1) ? a : (u64)(sa / sb)), "div %lx %lx", a, b);
        CHECK(rem_(a, b) == (b == 0 ? a : (sa == INT64_MIN && sb == -1) ? 0 : (u64)(sa % sb)), "rem %lx %lx", a, b);
        CHECK(divu_(a, b) == (b == 0 ? ~0ull : a / b), "divu %lx %lx", a, b);
        CHECK(remu_(a, b) == (b == 0 ? a : a % b), "remu %lx %lx", a, b);
        CHECK(divw_(a, b) == (wb == 0 ? ~0ull : (wa == INT32_MIN && wb == -1) ? sx((uint32_t)wa) : sx((uint32_t)(wa / wb))),
              "divw %lx %lx", a, b);
        CHECK(remw_(a, b) == (wb == 0 ? sx((uint32_t)wa) : (wa == INT32_MIN && wb == -1) ? 0 : sx((uint32_t)(wa % wb))),
              "remw %lx %lx", a, b);
        CHECK(divuw_(a, b) == (ub == 0 ? ~0ull : sx(ua / ub)), "divuw %lx %lx", a, b);
        CHECK(remuw_(a, b) == (ub == 0 ? sx(ua) : sx(ua % ub)), "remuw %lx %lx", a, b);
        mix(mulh_(a, b) ^ div_(a, b) ^ remuw_(a, b));
      }
  printf("ok muldiv %016lx\n", (unsigned long)h);
}

int main(void) {
  misaligned();
  conflicts();
  faulting();
  muldiv();
  return 0;
}
`;

function build(): string {
  mkdirSync(DIR, { recursive: true });
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "slowpath.c"), out = join(DIR, "slowpath");
  if (!(existsSync(out) && existsSync(src) && readFileSync(src, "utf8") === PROGRAM)) {
    writeFileSync(src, PROGRAM);
    execFileSync(CC, ["-O2", "-static", "-o", out, src]);
  }
  return out;
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

// Every block translated before it first runs (`jit`), or the interpreter alone.
function ghost(jit: boolean): Run {
  const stats = join(DIR, `stats-${process.pid}-${jit ? 1 : 0}.json`);
  const env = {
    ...process.env, GHOST_JIT: jit ? "1" : "0", GHOST_JIT_THRESHOLD: "1", GHOST_JIT_BATCH: "1",
    GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0", GHOST_JIT_CACHE: "0",
  };
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./slowpath"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("JIT slow paths: misaligned, crossing, missing and faulting accesses; inline M", {
  skip: !haveCc && `${CC} not installed`, timeout: 15 * 60_000,
}, () => {
  const bin = build();
  const jit = ghost(true), interp = ghost(false);
  assert.equal(interp.status, 0, interp.stdout + interp.stderr);
  assert.equal(jit.status, 0, jit.stdout + jit.stderr);
  const lines = jit.stdout.trim().split("\n");
  assert.deepEqual(lines.map((l) => l.split(" ").slice(0, 2).join(" ")),
    ["ok misaligned", "ok conflicts", "ok faults", "ok muldiv"], jit.stdout);
  assert.equal(jit.stdout, interp.stdout);
  assert.ok(interp.instret > 0, "no stats");
  assert.equal(jit.instret, interp.instret, "retired instructions, JIT against the interpreter");
  const q = spawnSync("qemu-riscv64", [bin], { encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  if (q.error === undefined) assert.equal(jit.stdout, q.stdout);
});
