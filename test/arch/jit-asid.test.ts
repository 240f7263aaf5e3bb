// Translated loads and stores and the ASID-tagged TLB: the TLB keeps the
// entries of other address spaces (their ASIDs differ), so translated code must
// hit only its own. A program forks pairs of processes whose ASIDs differ in
// the low bits; the parent fills the TLB for a page with its own frame, then
// the child loads and stores misaligned in the same virtual page and must see
// its own data (the JIT's inline check once took a misaligned access's
// low address bits for ASID bits and hit the parent's entry). And the case it
// was found by: busybox sed behind a pipe, whose memcpy copies misaligned.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

const ROOT = findRoot("src/arch");
const DIR = join(ROOT, "build", "test", "jit-asid");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CC = "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"], { stdio: "ignore" }).status === 0;

const ASID = String.raw`
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile unsigned char *buf;
static int fails;
#define OFF 1024
static uint64_t ld8(uintptr_t a) { uint64_t v; __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static uint64_t lw4(uintptr_t a) { uint64_t v; __asm__ volatile("lwu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static uint64_t lh2(uintptr_t a) { uint64_t v; __asm__ volatile("lhu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static void sd8(uintptr_t a, uint64_t v) { __asm__ volatile("sd %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }
static void sw4(uintptr_t a, uint64_t v) { __asm__ volatile("sw %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }
static void sh2(uintptr_t a, uint64_t v) { __asm__ volatile("sh %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }

/* One round: the parent breaks copy-on-write and writes and reads the page
   (its frame fills both TLBs), then the child loads and stores misaligned at
   every offset before it touches the page any other way. */
static void round_(int round) {
  int go[2], done[2];
  if (pipe(go) || pipe(done)) { perror("pipe"); exit(2); }
  memset((void *)buf, 'P', 4096);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); exit(2); }
  if (pid == 0) {
    char c;
    if (read(go[0], &c, 1) != 1) _exit(3);
    uintptr_t b = (uintptr_t)buf + OFF;
    uint64_t p8 = 0x5050505050505050ull;
    int bad = 0;
    for (int m = 1; m < 8; m++) if (ld8(b + 8 * m + m) != p8) bad |= 1;
    for (int m = 1; m < 4; m++) if (lw4(b + 128 + 8 * m + m) != (uint32_t)p8) bad |= 2;
    if (lh2(b + 256 + 1) != (uint16_t)p8) bad |= 4;
    for (int m = 1; m < 8; m++) sd8(b + 512 + 16 * m + m, 0x4343434343434343ull);
    for (int m = 1; m < 4; m++) sw4(b + 768 + 8 * m + m, 0x43434343u);
    sh2(b + 896 + 1, 0x4343);
    for (int m = 1; m < 8; m++) for (int i = 0; i < 8; i++) if (buf[OFF + 512 + 16 * m + m + i] != 'C') bad |= 8;
    for (int m = 1; m < 4; m++) for (int i = 0; i < 4; i++) if (buf[OFF + 768 + 8 * m + m + i] != 'C') bad |= 8;
    if (buf[OFF + 896 + 1] != 'C' || buf[OFF + 896 + 2] != 'C') bad |= 8;
    (void)!write(done[1], "x", 1);
    _exit(bad);
  }
  buf[0] = 'Q';
  for (int i = OFF; i < 4096; i += 8) *(volatile uint64_t *)(buf + i) = 0x5151515151515151ull;
  uint64_t sum = 0;
  for (int i = OFF; i < 4096; i += 8) sum += *(volatile uint64_t *)(buf + i);
  if (sum != 0x5151515151515151ull * ((4096 - OFF) / 8)) { printf("not ok - round %d: parent's sum\n", round); fails++; }
  (void)!write(go[1], "g", 1);
  char c;
  if (read(done[0], &c, 1) != 1) { printf("not ok - round %d: child died\n", round); fails++; }
  int st;
  waitpid(pid, &st, 0);
  int leaked = 0;
  for (int i = OFF; i < 4096; i++) if (buf[i] != 'Q') leaked = 1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || leaked) {
    printf("not ok - round %d: child status %#x (1 ld, 2 lw, 4 lh, 8 stores), parent's page written by the child: %d\n",
           round, st, leaked);
    fails++;
  }
  close(go[0]); close(go[1]); close(done[0]); close(done[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  buf = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) { perror("mmap"); return 2; }
  /* ASIDs are handed out in order: over 16 rounds, parent and child ASIDs
     differ in their low bits in several ways. */
  for (int r = 0; r < 16; r++) {
    pid_t t = fork();
    if (t < 0) { perror("fork"); return 2; }
    if (t == 0) { round_(r); _exit(fails != 0); }
    int st;
    waitpid(t, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fails++;
  }
  if (fails == 0) printf("ok - misaligned accesses use our own address space's pages\n");
  return fails != 0;
}
`;

function build(): string {
  mkdirSync(join(DIR, "emptyroot"), { recursive: true });
  const src = join(DIR, "asid.c"), out = join(DIR, "asid");
  if (!(existsSync(out) && existsSync(src) && readFileSync(src, "utf8") === ASID)) {
    writeFileSync(src, ASID);
    execFileSync(CC, ["-O2", "-static", "-o", out, src], { timeout: 120_000, killSignal: "SIGKILL" });
  }
  return out;
}

// The environment without the caller's GHOST_JIT* settings, plus `jit` (the
// persistent cache's stay: npm test keeps it private).
function env(jit: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GHOST_JIT") || k.startsWith("GHOST_JIT_CACHE")) e[k] = v;
  return { ...e, ...jit };
}

const EVERYTHING = { GHOST_JIT_THRESHOLD: "1", GHOST_JIT_BATCH: "1", GHOST_JIT_WARMUP: "0", GHOST_JIT_BUDGET: "0" };

test("JIT: misaligned loads and stores never reach another address space's frame", {
  skip: !haveCc && `${CC} not installed`, timeout: 5 * 60_000,
}, () => {
  build();
  for (const jit of [{ ...EVERYTHING, GHOST_JIT: "1" }, { GHOST_JIT: "0" }]) {
    const r = spawnSync(process.execPath, [CLI, "run", "--clear-env", "--clock=virtual", `--root=${join(DIR, "emptyroot")}`,
      "--", "./asid"], { cwd: DIR, env: env(jit), encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
    assert.equal(r.status, 0, `${JSON.stringify(jit)}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout.trim(), "ok - misaligned accesses use our own address space's pages");
  }
  const q = spawnSync("qemu-riscv64", [join(DIR, "asid")], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  if (q.error === undefined) assert.equal(q.status, 0, q.stdout);
});

// The JIT's default settings (code gets hot, pages are translated in batches
// under the compile budget), as the bug was first seen.
test("JIT: seq 1 50000 | sed s/^/x-/ through a pipe, as the host's", { timeout: 5 * 60_000 }, () => {
  let want = "";
  for (let i = 1; i <= 50000; i++) want += `x-${i}\n`;
  const md5 = createHash("md5").update(want).digest("hex");
  const r = spawnSync(process.execPath, [CLI, "run", "--clock=virtual", "--", "sh", "-c",
    "seq 1 50000 | sed s/^/x-/ > /tmp/o; md5sum /tmp/o"], { cwd: ROOT, env: env({}), encoding: "utf8", timeout: 180_000, killSignal: "SIGKILL" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${md5}  /tmp/o`);
});
