// Two kernels in one Node process share nothing (the library and the browser
// run several): one on the virtual clock with its seeded random source, one
// on the host clock, running at the same time. Each sees its own time
// (clock_gettime and a new file's mtime), its own files, its own random
// bytes (the virtual one's are those of the same program run alone), its
// own AF_UNIX abstract names, and its own futex waiters, though both map the
// same host file. The program is test/kernel/programs/isolation.c.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/two-kernels.test.js

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bootProgram } from "../../src/boot/boot.js";
import type { Kernel } from "../../src/kernel/kernel.js";
import type { ClockMode } from "../../src/kernel/time/clock.js";
import { findRoot } from "../helpers/root.js";

const root = findRoot("test/kernel/programs");
const outDir = join(root, "build", "test-kernel");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"]).status === 0;
const haveRootfs = existsSync(join(root, "build", "rootfs", "bin"));
const prog = join(outDir, "isolation");

function build(): void {
  const src = join(root, "test", "kernel", "programs", "isolation.c");
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);
  if (mtime(prog) > mtime(src)) return;
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-o", prog, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${CC} isolation.c failed:\n${r.stderr}`);
}

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function shared(): string {
  const d = mkdtempSync(join(tmpdir(), "ghost-two-kernels-"));
  dirs.push(d);
  writeFileSync(join(d, "word"), Buffer.alloc(4096)); // the futex word both map
  return d;
}

function boot(role: "a" | "b", clock: ClockMode, dir: string): Kernel {
  return bootProgram({
    argv: [prog, role, dir], env: ["PATH=/bin"], cwd: dir, clock, memoryBytes: 64 << 20,
    mounts: [{ host: outDir, guest: outDir, readOnly: true }],
  });
}

// Runs kernels side by side on this event loop; a watchdog halts any still
// running after `ms` (a hang fails the checks below instead of the runner).
async function runAll(ks: Kernel[], ms = 240_000): Promise<number[]> {
  const watchdog = setTimeout(() => { for (const k of ks) if (!k.halted) k.halt(124); }, ms);
  try { return await Promise.all(ks.map((k) => k.run())); } finally { clearTimeout(watchdog); }
}

function report(dir: string, role: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(dir, `${role}.out`), "utf8").split("\n")) {
    const i = line.indexOf(" ");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
    else if (line) m.set(line, "");
  }
  return m;
}

const ENOENT = "2", ECONNREFUSED = "111", ETIMEDOUT = "110";
const VIRTUAL_EPOCH = 1_700_000_000; // kernel/time/clock.ts: a virtual run's wall clock starts here

test("two kernels in one process share nothing", { skip: !haveCc ? `${CC} not found` : !haveRootfs ? "no build/rootfs" : false, timeout: 600_000 }, async () => {
  build();
  // The virtual kernel alone first: its random bytes are the reference.
  const alone = shared();
  writeFileSync(join(alone, "b-done"), "");
  assert.deepEqual(await runAll([boot("a", "virtual", alone)]), [0]);
  const ref = report(alone, "a");

  const dir = shared();
  const a = boot("a", "virtual", dir);
  const b = boot("b", "host", dir);
  const hostNow = Date.now() / 1000;
  assert.deepEqual(await runAll([a, b]), [0, 0]);
  const ra = report(dir, "a"), rb = report(dir, "b");
  assert.ok(ra.has("done") && rb.has("done"), `a: ${[...ra]} b: ${[...rb]}`);

  // Time: each kernel's own clock, for clock_gettime and for inode stamps.
  const ta = Number(ra.get("time")), tb = Number(rb.get("time"));
  assert.ok(ta >= VIRTUAL_EPOCH && ta < VIRTUAL_EPOCH + 60, `virtual kernel's time ${ta}`);
  assert.ok(Math.abs(tb - hostNow) < 600, `host kernel's time ${tb}, host ${hostNow}`);
  assert.ok(Math.abs(Number(ra.get("mtime")) - ta) <= 1, `virtual kernel's new file mtime ${ra.get("mtime")} vs its time ${ta}`);
  assert.ok(Math.abs(Number(rb.get("mtime")) - tb) <= 1, `host kernel's new file mtime ${rb.get("mtime")} vs its time ${tb}`);

  // Files: neither sees the other's /tmp.
  assert.equal(ra.get("other_file"), ENOENT);
  assert.equal(rb.get("other_file"), ENOENT);

  // Random: the seeded kernel's bytes do not depend on the other kernel.
  assert.equal(ra.get("urandom"), ref.get("urandom"));
  assert.equal(ra.get("getrandom"), ref.get("getrandom"));
  assert.notEqual(rb.get("urandom"), ra.get("urandom"));

  // Numbering: each kernel counts its own inodes, devices and mounts, so both
  // number theirs as the kernel that ran alone did (kernels made before them
  // in this process took no numbers from them).
  for (const key of ["pipe_ino", "sock_ino", "tmp_dev", "root_mnt_id"]) {
    assert.ok(ref.has(key), `the lone kernel reported no ${key}`);
    assert.equal(ra.get(key), ref.get(key), `${key} of the seeded kernel`);
    assert.equal(rb.get(key), ref.get(key), `${key} of the host-clock kernel`);
  }

  // Sockets: a's abstract name is not b's; b may bind the same name.
  assert.equal(ra.get("bind"), "0");
  assert.equal(rb.get("connect"), ECONNREFUSED);
  assert.equal(rb.get("bind"), "0");

  // Devices: a's CPU latency request is a's alone (b sees the 2000 s default).
  assert.equal(ra.get("dma_latency"), "5");
  assert.equal(rb.get("dma_latency"), "2000000000");

  // Futexes: a's wakes on the shared file never reach b's waiter.
  assert.equal(rb.get("futex_wait"), ETIMEDOUT);
  assert.equal(ra.get("woken"), "0");
});
