// Host clock: the kernel counts the hart's budget up to the next timer at the
// host speed it measured (kernel.ts, measureHostRate). A CPU-bound task must
// then run in long stretches, not re-enter the hart every few thousand
// instructions: with a timer due every millisecond, a budget counted at the
// nominal 100 ns per instruction is at most 10,000 instructions, which is
// what every run got when short runs never counted as measurements.
// The host's clock is made a function of the hart's work for the test (1 ns
// per retired instruction, plus a hundredth of real time so that it always
// moves): measured on the real clock, a loaded machine (CI's) makes the host
// rate look ten or more times slower and the runs short by right, and the
// test could not tell that from the bug (it failed at load 21 with 28,000
// instructions a run). At 1 ns per instruction a measured budget is the
// 100,000 cap; the nominal rate gives at most 10,000.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/time/host-rate.test.js

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bootProgram } from "../../../src/boot/boot.js";
import { CAUSE_BUDGET } from "../../../src/arch/riscv64/layout.js";
import { findRoot } from "../../helpers/root.js";

const root = findRoot("test/kernel/programs");
const outDir = join(root, "build", "test-kernel");
const CC = process.env.RISCV_CC ?? "riscv64-linux-gnu-gcc";
const haveCc = spawnSync(CC, ["--version"]).status === 0;
const haveRootfs = existsSync(join(root, "build", "rootfs", "bin"));
const prog = join(outDir, "spin");

function build(): void {
  const src = join(root, "test", "kernel", "programs", "spin.c");
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);
  if (mtime(prog) > mtime(src)) return;
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync(CC, ["-O2", "-static", "-Wall", "-o", prog, src], { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" });
  if (r.status !== 0) throw new Error(`${CC} spin.c failed:\n${r.stderr}`);
}

test("a CPU-bound task runs in long stretches on the host clock", {
  skip: !haveCc ? `${CC} not found` : !haveRootfs ? "no build/rootfs" : false, timeout: 300_000,
}, async () => {
  build();
  const realNow = performance.now.bind(performance);
  const realBase = realNow();
  let hart: { instretNum: number } | undefined;
  performance.now = () => realBase + (hart ? hart.instretNum * 1e-6 : 0) + (realNow() - realBase) / 100;
  try {
    const k = bootProgram({ argv: [prog, "40000000"], env: ["PATH=/bin"], cwd: outDir, clock: "host", memoryBytes: 64 << 20 });
    hart = k.hart;
    let budgetRuns = 0;
    k.trace = { trap: (_t, cause) => { if (cause === CAUSE_BUDGET) budgetRuns++; } };
    const watchdog = setTimeout(() => k.halt(124), 240_000);
    let status: number;
    try { status = await k.run(); } finally { clearTimeout(watchdog); }
    assert.equal(status, 0);
    const instret = Number(k.hart.instret);
    assert.ok(instret > 100_000_000, `ran ${instret} instructions`);
    const perRun = instret / Math.max(1, budgetRuns);
    assert.ok(perRun > 50_000, `${budgetRuns} runs ended on the budget: ${Math.round(perRun)} instructions each`);
  } finally {
    performance.now = realNow;
  }
});
