// Translations made on the translator thread (jit/worker.ts) arrive while the
// guest runs on: one that arrives after its page was rewritten, made
// non-executable or unmapped must never run. GHOST_JIT_ASYNC_HOLD=1 makes
// the hand-over repeatable: a translation is taken only after the guest's
// next system call, so the program below changes each page between asking
// (its function got hot) and receiving — the rewrite's stores come before
// the riscv_flush_icache call, mprotect and munmap are that call (nothing
// is printed before it). What the
// program sees (its output, its retired instructions) must be the
// interpreter's.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-async");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

// f(x) = x + k as two instructions at the start of a page of its own:
// addi a0, a0, k; ret.
const PROGRAM = String.raw`
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long (*fn)(long);
static sigjmp_buf jb;
static void onsegv(int sig) { (void)sig; siglongjmp(jb, 1); }

static void put(volatile unsigned *p, int k) { p[0] = 0x00050513u | ((unsigned)k << 20); p[1] = 0x00008067u; }
/* No system call in here: the translation asked for stays in flight. */
static long hot(fn f) { long s = 0; for (long i = 0; i < 300; i++) s += f(i); return s; }
static long want(int k) { return 300L * 299 / 2 + 300L * k; }
static void flush(void *p) { syscall(SYS_riscv_flush_icache, p, (char *)p + 4096, 0); }
static int faults(fn f) {
  if (sigsetjmp(jb, 1)) return 1;
  f(0);
  return 0;
}
static void check(int ok, const char *what) { printf("%s - %s\n", ok ? "ok" : "not ok", what); }

int main(void) {
  signal(SIGSEGV, onsegv);
  long page = sysconf(_SC_PAGESIZE);

  /* Rewritten in place (a writable and executable page). */
  unsigned *a = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  put(a, 1); flush(a);
  long r = hot((fn)a);
  put(a, 2); flush(a); /* the first system call since f got hot */
  check(r == want(1), "f before the rewrite");
  check(hot((fn)a) == want(2), "f after a rewrite while its translation was in flight");
  check(hot((fn)a) == want(2), "f after a rewrite, again");

  /* Made non-executable. */
  unsigned *b = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  put(b, 3); flush(b);
  mprotect(b, page, PROT_READ | PROT_EXEC);
  r = hot((fn)b);
  mprotect(b, page, PROT_READ);
  check(r == want(3), "g before mprotect");
  check(faults((fn)b), "g faults after mprotect(PROT_READ) while its translation was in flight");
  check(faults((fn)b), "g faults again");
  mprotect(b, page, PROT_READ | PROT_EXEC);
  check(hot((fn)b) == want(3), "g executable again");

  /* Unmapped, and something else mapped there. */
  unsigned *c = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  put(c, 4); flush(c);
  r = hot((fn)c);
  munmap(c, page);
  check(r == want(4), "h before munmap");
  check(faults((fn)c), "h faults after munmap while its translation was in flight");
  unsigned *d = mmap(c, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  put(d, 5); flush(d);
  check(d == c && hot((fn)d) == want(5), "new code mapped at h's address");
  return 0;
}
`;

function build(): string {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "inflight.c"), out = join(DIR, "inflight");
  if (!existsSync(out) || !existsSync(src) || readFileSync(src, "utf8") !== PROGRAM) {
    writeFileSync(src, PROGRAM);
    execFileSync(CC, ["-O2", "-static", "-o", out, src], { timeout: 120_000, killSignal: "SIGKILL" });
  }
  return out;
}

interface Run { status: number | null; stdout: string; stderr: string; instret: number; jit: { insns: number; threadMs: number } | undefined }

function ghost(env: Record<string, string>): Run {
  const stats = join(DIR, `stats-${process.pid}.json`);
  const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
    `--stats=${stats}`, "--", "./inflight"],
  // GHOST_JIT_CACHE=0: a stored translation would be installed at once, never through the thread.
  { cwd: DIR, env: { ...process.env, GHOST_JIT_STATS: "1", GHOST_JIT_CACHE: "0", ...env }, encoding: "utf8", timeout: 180_000, killSignal: "SIGKILL" });
  const instret = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instret: number }).instret : -1;
  const m = /ghost: jit (\{.*\})/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, instret, jit: m ? JSON.parse(m[1]) : undefined };
}

const oks = (s: string): number => s.split("\n").filter((l) => l.startsWith("ok - ")).length;

test("a translation arriving after its page was rewritten, made non-executable or unmapped is not run",
  { skip: !haveCc && `${CC} not installed`, timeout: 6 * 60_000 }, () => {
    build();
    const base = ghost({ GHOST_JIT: "0" });
    assert.equal(base.status, 0, `interpreter: ${base.stdout}\n${base.stderr}`);
    assert.equal(oks(base.stdout), 10, base.stdout);
    const held = ghost({
      GHOST_JIT: "1", GHOST_JIT_ASYNC: "1", GHOST_JIT_ASYNC_HOLD: "1", GHOST_JIT_THRESHOLD: "2", GHOST_JIT_BATCH: "1",
      GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0",
    });
    assert.equal(held.status, 0, `held: ${held.stdout}\n${held.stderr}`);
    assert.equal(held.stdout, base.stdout);
    assert.equal(held.instret, base.instret, "retired instructions");
    // The translator thread did translate (else nothing was in flight).
    assert.ok(held.jit && held.jit.insns > 0 && held.jit.threadMs > 0, `JIT figures: ${JSON.stringify(held.jit)}`);
    // And as it comes, without the hold: the same output and count.
    const free = ghost({
      GHOST_JIT: "1", GHOST_JIT_ASYNC: "1", GHOST_JIT_THRESHOLD: "2", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0",
    });
    assert.equal(free.status, 0, `async: ${free.stdout}\n${free.stderr}`);
    assert.equal(free.stdout, base.stdout);
    assert.equal(free.instret, base.instret, "retired instructions");
  });
