// Sleeps and timeouts end on time, seen from a riscv64 program on Ghost's
// virtual clock, where the overshoot is exact and the same every run: a 1 ms
// nanosleep, clock_nanosleep, select, poll, ppoll, epoll_wait, FUTEX_WAIT
// and sigtimedwait overshoot by less than 100 us (Linux's hrtimers wake them
// within the 50 us timer slack; timeouts on the jiffy-rounded timer wheel
// overshot by 2 ms), and a sleeper beside a CPU hog still wakes on time.
// userland/proc/sleeps.c runs under qemu-riscv64 and Ghost's host clock in
// test/userland/proc.test.ts with bounds a loaded machine cannot flake.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/time/sleeps.test.js
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ProgramSuite, tail } from "../../helpers/programs.js";
import { findRoot } from "../../helpers/root.js";

const root = findRoot("userland/proc");
const suite = new ProgramSuite({ root, timeoutMs: 120_000, ownGroup: true });
const ghost = process.env.GHOST_CLI ?? join(root, "dist", "src", "cli", "main.js");
const binary = "build/userland-proc/sleeps";

function runVirtual(sched: string, args: string[], env: string[] = []) {
  return suite.run(process.execPath, [ghost, "run", "--clock", "virtual", "--sched", sched, ...env.flatMap((e) => ["--env", e]), "--", binary, ...args]);
}

describe("sleeps on the virtual clock", () => {
  before(() => suite.build("userland/proc/build.mjs", ["sleeps"], "userland-proc"));

  test("every 1 ms sleep and timeout overshoots by less than 100 us", async () => {
    assert.ok(existsSync(ghost), `Ghost CLI not built (${ghost})`);
    const r = await runVirtual("bore", [], ["SLEEPS_BOUND_US=100"]);
    assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\n${tail(r.stdout, 40)}\n${tail(r.stderr)}`);
    assert.match(r.stdout, /# 27 checks, 0 failed/);
  });

  for (const sched of ["bore", "eevdf"]) {
    test(`${sched}: a 1 ms sleeper beside a CPU hog wakes within a tick`, async () => {
      const r = await runVirtual(sched, ["bench", "100", "1"]);
      assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}\n${tail(r.stdout)}\n${tail(r.stderr)}`);
      const m = /p50 (-?\d+) p90 (-?\d+) p99 (-?\d+) max (-?\d+)/.exec(r.stdout);
      assert.ok(m, `no figures in:\n${r.stdout}`);
      const [p50, p90] = [Number(m[1]), Number(m[2])];
      assert.ok(p50 >= 0 && p90 < 1000, `overshoot p50 ${p50} us, p90 ${p90} us: ${r.stdout}`);
    });
  }
});
