// Differential CPU test: ~4000 random RV64GC sequences (fixed seed) must give
// bit-identical registers, fcsr and scratch memory under qemu-riscv64 and Ghost.
//
// Programs and qemu's reference output are cached in build/test/cpu/, so only
// the first run assembles and runs qemu. Environment overrides:
//   GHOST_CPU_DIFF_SEED, GHOST_CPU_DIFF_COUNT, GHOST_CPU_DIFF_GHOST (command line).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { defaultOptions, runDiff } from "./run.js";

const SEED = Number(process.env["GHOST_CPU_DIFF_SEED"] ?? 1);
const COUNT = Number(process.env["GHOST_CPU_DIFF_COUNT"] ?? 4000);

function have(cmd: string): boolean {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

test("RV64GC differential test against qemu-riscv64", { timeout: 15 * 60_000 }, async (t) => {
  const opts = defaultOptions();
  const ghostEnv = process.env["GHOST_CPU_DIFF_GHOST"];
  if (ghostEnv) opts.ghost = ghostEnv.split(/\s+/).filter(Boolean);
  else if (!existsSync(opts.ghost[1]!)) {
    t.skip(`Ghost CLI not built (${opts.ghost[1]})`);
    return;
  }
  for (const tool of ["riscv64-linux-gnu-gcc", "qemu-riscv64"]) {
    if (!have(tool)) {
      t.skip(`${tool} not installed`);
      return;
    }
  }
  opts.seed = SEED;
  opts.count = COUNT;
  opts.timeoutMs = 5 * 60_000;
  opts.log = (line) => t.diagnostic(line);
  const r = await runDiff(opts);
  assert.ok(r.ok, `\n${r.report}`);
});

// The same sequences with the JIT forced on (no warm-up) at hotness
// thresholds above 1: each sequence runs several times, so it is interpreted
// first and then runs translated, and batching moves when translations appear.
// (Threshold 1, every block translated before it first runs, is in
// test/arch/jit.test.ts.)
const JIT_COUNT = Number(process.env["GHOST_CPU_DIFF_JIT_COUNT"] ?? 500);
for (const [threshold, batch, repeat] of [[2, 1, 3], [3, 8, 4]] as const) {
  test(`RV64GC differential test, JIT threshold ${threshold}, batch ${batch}`, { timeout: 15 * 60_000 }, async (t) => {
    const opts = defaultOptions();
    if (!existsSync(opts.ghost[1]!)) { t.skip(`Ghost CLI not built (${opts.ghost[1]})`); return; }
    for (const tool of ["riscv64-linux-gnu-gcc", "qemu-riscv64"]) {
      if (!have(tool)) { t.skip(`${tool} not installed`); return; }
    }
    opts.ghost = ["env", "GHOST_JIT=1", `GHOST_JIT_THRESHOLD=${threshold}`, `GHOST_JIT_BATCH=${batch}`, "GHOST_JIT_WARMUP=0", "GHOST_JIT_BUDGET=0",
      ...opts.ghost];
    opts.seed = SEED + threshold;
    opts.count = JIT_COUNT;
    opts.repeat = repeat;
    opts.timeoutMs = 5 * 60_000;
    opts.log = (line) => t.diagnostic(line);
    const r = await runDiff(opts);
    assert.ok(r.ok, `\n${r.report}`);
  });
}
