// Nice values between the threads of one process, on Ghost's virtual clock
// where CPU shares are exact and the same every run: userland/proc/nicety.c
// spins a nice-0 and a nice-5 thread at once (weights 1024:335). Plain EEVDF
// must split the CPU 3:1 (2.8 to 3.3 here), also after the threads waited
// in a sched_yield loop (a yield once pushed the deadline a slice further
// each time, and the nice-5 thread starved); BORE's burst score adds the
// same penalty to both hogs and caps the priority at nice 19 (its
// effective_prio), which narrows the split: 2 to 3.3. The program also runs
// under qemu-riscv64 and Ghost's host clock in test/userland/proc.test.ts
// with loose bounds.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/sched/nicety.test.js
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ProgramSuite, tail } from "../../helpers/programs.js";
import { findRoot } from "../../helpers/root.js";

const root = findRoot("userland/proc");
const suite = new ProgramSuite({ root, timeoutMs: 120_000, ownGroup: true });
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");

describe("nice between threads on the virtual clock", () => {
  before(() => suite.build("userland/proc/build.mjs", ["nicety"], "userland-proc"));

  for (const [sched, range] of [["eevdf", "2.8,3.3"], ["bore", "2.0,3.3"]]) {
    test(`${sched}: nice 0 against nice 5 gets ${range.replace(",", " to ")} times the CPU`, async () => {
      assert.ok(existsSync(ghost), `Ghost CLI not built (${ghost})`);
      const r = await suite.run(process.execPath, [ghost, "run", "--clock", "virtual", "--sched", sched, "--env", `NICETY_RANGE=${range}`, "--", "build/userland-proc/nicety"]);
      assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\n${tail(r.stdout, 40)}\n${tail(r.stderr)}`);
      assert.match(r.stdout, /# 6 checks, 0 failed/);
    });
  }
});
