// Guest registers kept in memory by translated code: a component keeps only
// the registers it uses most in wasm locals (GHOST_JIT_LOCALS of them, 8 by
// default) and reads and writes the others in X_REGS at each instruction
// (jit/codegen.ts chooseLocals). A program with more live values than that
// in its loops: a register-heavy mixing loop, calls (jal/jalr writing ra),
// AMOs and FP conversions (helpers that read and write registers in memory),
// and loads that fault on the slow path, whose SIGSEGV handler reads the
// registers from the signal frame and writes the load's destination. Output
// and retired instructions must equal the interpreter's with 0, 1, 3, the
// default and all registers in locals.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-locals");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

const LOCALS = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
typedef uint64_t u64;
extern char fault_ld[];
static volatile long faults;
static u64 seen_s;
/* A load that faults on a PROT_NONE page: the handler checks pc, records s1
   and "loads" 1000 + the address's low bits into a4, then steps over it. */
__attribute__((noinline)) static u64 load_or_fault(u64 *p, u64 s) {
  register u64 a4 __asm__("a4");
  register u64 a1 __asm__("a1") = (u64)p;
  register u64 s1 __asm__("s1") = s;
  __asm__ volatile(".globl fault_ld\nfault_ld: ld %0, 0(%1)" : "=r"(a4) : "r"(a1), "r"(s1) : "memory");
  return a4;
}
static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  unsigned long *r = uc->uc_mcontext.__gregs;
  if (r[0] != (unsigned long)fault_ld) { printf("FAIL: SIGSEGV at %lx\n", r[0]); _exit(1); }
  faults++;
  seen_s ^= r[9] * 31 + r[11];
  r[14] = 1000 + (r[11] & 0xfff);
  r[0] += 4;
}
static u64 counter;
__attribute__((noinline)) static u64 callee(u64 x, u64 y) { return (x << 7 | x >> 57) ^ (y * 0x9e3779b97f4a7c15ull); }
static u64 (*volatile fp_callee)(u64, u64) = callee;
#define R(x, n) ((x) << (n) | (x) >> (64 - (n)))
int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  u64 *page = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 1024; i++) page[i] = i * 0x1234567ull;
  mprotect((char *)page + 4096, 4096, PROT_NONE);
  u64 a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, k = 9, l = 10, m = 11, n = 12;
  u64 o = 13, p = 14, q = 15, s = 16, t = 17, u = 18, v = 19, w = 20;
  double acc = 0.5;
  for (u64 i = 0; i < 20000; i++) {
    a += b ^ R(c, 5); d += e ^ R(f, 11); g += h ^ R(k, 17); l += m ^ R(n, 23);
    o += p ^ R(q, 29); s += t ^ R(u, 31); v += w ^ R(a, 37); b += c ^ R(d, 41);
    e += f ^ R(g, 43); h += k ^ R(l, 47); m += n ^ R(o, 53); q += s ^ R(t, 59);
    u += v ^ R(w, 3); w += a ^ R(e, 13); c += page[i & 511]; f ^= page[(i * 7) & 511];
    if ((i & 15) == 0) {
      page[(i >> 4) & 511] = a ^ w;
      k += (i & 32) ? callee(a, k) : fp_callee(w, k);
      n += __atomic_fetch_add(&counter, i ^ n, __ATOMIC_RELAXED);
      acc = acc * 0.75 + (double)(int64_t)(p & 0xffff);
      p ^= (u64)(int64_t)(acc * 3.0) + (u64)__builtin_isnan(acc);
    }
    if (i % 1000 == 999) t += load_or_fault((u64 *)((char *)page + 4096 + (i & 0xff8)), a ^ t);
    else if ((i & 255) == 7) t += load_or_fault(page + (i & 255), a ^ t);
  }
  printf("ok %016llx %016llx %016llx %016llx\n", (unsigned long long)(a ^ b ^ c ^ d ^ e ^ f ^ g),
    (unsigned long long)(h ^ k ^ l ^ m ^ n ^ o ^ p), (unsigned long long)(q ^ s ^ t ^ u ^ v ^ w ^ counter),
    (unsigned long long)(seen_s + faults));
  return 0;
}
`;

interface Run { status: number | null; stdout: string; stderr: string; instret: number }

function ghost(locals: string | undefined): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const env: Record<string, string | undefined> = {
    ...process.env, GHOST_JIT: locals === undefined ? "0" : "1", GHOST_JIT_THRESHOLD: "1",
    GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0", GHOST_JIT_CACHE: "0",
  };
  delete env["GHOST_JIT_LOCALS"];
  if (locals) env["GHOST_JIT_LOCALS"] = locals;
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./locals"], { cwd: DIR, env, encoding: "utf8", timeout: 300_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret };
}

test("JIT: guest registers kept in memory", { skip: !haveCc && `${CC} not installed`, timeout: 10 * 60_000 }, () => {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "locals.c");
  if (!existsSync(join(DIR, "locals")) || !existsSync(src) || readFileSync(src, "utf8") !== LOCALS) {
    writeFileSync(src, LOCALS);
    execFileSync(CC, ["-O2", "-static", "-o", join(DIR, "locals"), src]);
  }
  const base = ghost(undefined);
  assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
  assert.match(base.stdout, /^ok [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16}\n$/, base.stderr);
  for (const locals of ["0", "1", "3", "", "31"]) {
    const r = ghost(locals);
    const what = `GHOST_JIT_LOCALS=${locals || "(default)"}`;
    assert.equal(r.status, 0, `${what}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, base.stdout, `${what}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /ghost: jit: /, `${what}: a translation failed`);
    assert.equal(r.instret, base.instret, `${what}: instret`);
  }
});
