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
