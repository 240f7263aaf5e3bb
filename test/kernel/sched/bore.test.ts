// BORE against hand-computed cases: burst penalties and scores, smoothing,
// reweighting, its lag clamp, placement and run-to-parity changes, yield,
// fork inheritance with the ancestor cache, and the sysctls.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { calcBurstPenalty, log2plus1Fixed8, scaleSlice, unscaleSlice } from "../../../src/kernel/sched/bore.js";
import { PRIO_TO_WEIGHT, PRIO_TO_WMULT, calcDeltaFair } from "../../../src/kernel/sched/weights.js";
import { ThreadGroup, type Task } from "../../../src/kernel/task.js";
import { World, se, entity } from "./helpers.js";

const CLONE_THREAD = 0x10000;

describe("burst penalty", () => {
  test("log2(burst) + 1 in 24.8 fixed point", () => {
    assert.equal(log2plus1Fixed8(0), 0);
    assert.equal(log2plus1Fixed8(1), 256);
    assert.equal(log2plus1Fixed8(2 ** 24), 25 * 256);
    assert.equal(log2plus1Fixed8(3 * 2 ** 23), 25 * 256 + 128);
    // 1e9: top bit 30; the next 8 bits are floor(1e9 / 2^21) mod 256 = 476 mod 256 = 220.
    assert.equal(log2plus1Fixed8(1e9), 30 * 256 + 220);
  });

  test("penalty = (greed - offset<<8) * scale >> 16, capped at 156", () => {
    assert.equal(calcBurstPenalty(0, 24, 1280), 0);
    assert.equal(calcBurstPenalty(8_000_000, 24, 1280), 0); // below 2^23 ns: none
    assert.equal(calcBurstPenalty(2 ** 24, 24, 1280), 5); // 256 * 1280 >> 16
    assert.equal(calcBurstPenalty(1e9, 24, 1280), 34); // 1756 * 1280 >> 16
    assert.equal(calcBurstPenalty(2 ** 52, 24, 1280), 145);
    assert.equal(calcBurstPenalty(2 ** 52, 0, 1280), 156); // capped
    assert.equal(calcBurstPenalty(1e9, 24, 0), 0);
  });

  test("yield rescaling between priority levels", () => {
    assert.equal(unscaleSlice(1_000_000, 20), 1_000_000);
    assert.equal(unscaleSlice(1_000_000, 28), Math.floor(1_000_000 * 172 / 1024));
    assert.equal(scaleSlice(167_968, 24), Math.floor(167_968 * PRIO_TO_WMULT[24] / 2 ** 22));
  });
});

describe("BORE in the run queue", () => {
  test("a task running 1 s straight scores 8 and drops to nice-8's weight; its sleep halves the penalty", () => {
    const w = new World("bore");
    const t = w.spawn();
    assert.equal(w.rq.pickNext(), t);
    w.run(1_000_000_000);
    assert.equal(se(t).burstTime, 1_000_000_000);
    assert.equal(se(t).burstPenalty, 34);
    assert.equal(se(t).burstScore, 8);
    assert.equal(se(t).load.weight, PRIO_TO_WEIGHT[28]); // 172
    w.sleep(t);
    assert.equal(w.rq.pickNext(), undefined);
    // The burst folds into the history: 0 + (34 - 0) >> 1 = 17; score 4.
    assert.equal(se(t).burstTime, 0);
    assert.equal(se(t).prevBurstPenalty, 17);
    assert.equal(se(t).burstScore, 4);
    assert.equal(se(t).load.weight, PRIO_TO_WEIGHT[24]); // 423
    // A short burst next: the history drops to it at once (smoothness_short 0).
    w.wake(t);
    assert.equal(w.rq.pickNext(), t);
    w.run(30_000_000); // penalty of 30 ms: greed 25*256 + 201 → (457 * 1280) >> 16 = 8
    assert.equal(se(t).currBurstPenalty, 8);
    assert.equal(se(t).burstPenalty, 17); // max(history, current)
    w.sleep(t);
    w.rq.pickNext();
    assert.equal(se(t).prevBurstPenalty, 8);
  });

  test("the lag clamp is halved", () => {
    const w = new World("bore");
    const rq = w.rq.fair;
    rq.enqueueTree(entity(100_000_000, 0, 1024, 2_000_000));
    const e = entity(0, 0, 1024, 2_000_000);
    rq.updateEntityLag(e);
    assert.equal(e.vlag, 2_000_000); // max(2 * 2 ms, 1 ms) / 2
    w.rq.bore!.t.sched_bore = 0;
    rq.updateEntityLag(e);
    assert.equal(e.vlag, 4_000_000);
  });

  test("woken tasks start with half a virtual slice (EEVDF: a whole one); new tasks half in both", () => {
    for (const policy of ["bore", "eevdf"] as const) {
      const w = new World(policy);
      const t1 = w.spawn();
      const slice = policy === "bore" ? 2_000_000 : 700_000;
      assert.equal(se(t1).deadline - se(t1).vruntime, slice / 2);
      const t2 = w.task();
      w.rq.se(t2);
      w.wake(t2);
      assert.equal(se(t2).deadline - se(t2).vruntime, policy === "bore" ? slice / 2 : slice);
    }
  });

  test("RUN_TO_PARITY is skipped when more than sched_burst_parity_threshold entities are queued", () => {
    for (const policy of ["bore", "eevdf"] as const) {
      const w = new World(policy);
      const rq = w.rq.fair;
      const b = entity(0, 8000), c = entity(0, 8500);
      rq.enqueueTree(b);
      rq.enqueueTree(c);
      const cur = entity(0, 9000);
      cur.onRq = true;
      cur.vlag = cur.deadline; // protected
      rq.curr = cur;
      rq.nrQueued = 3;
      assert.equal(rq.pickEevdf(), policy === "bore" ? b : cur);
      rq.dequeueTree(c);
      rq.nrQueued = 2;
      assert.equal(rq.pickEevdf(), cur);
    }
  });

  test("the base slice: 2 ms for BORE (whole ticks), 0.7 ms for EEVDF on one CPU", () => {
    assert.equal(new World("bore").rq.baseSlice(), 2_000_000);
    assert.equal(new World("eevdf").rq.baseSlice(), 700_000);
  });

  test("sched_yield ends the burst and rescales the remaining virtual slice to the new weight", () => {
    const w = new World("bore");
    const t = w.spawn();
    w.spawn();
    assert.equal(w.rq.pickNext(), t);
    w.run(1_000_000_000);
    w.rq.needResched = false;
    if (w.rq.curr !== t) return assert.fail("t should be running");
    assert.equal(se(t).burstScore, 8);
    w.rq.fair.updateCurr();
    w.rq.yield(t);
    assert.equal(se(t).burstScore, 4);
    assert.equal(se(t).load.weight, 423);
    assert.equal(w.rq.needResched, true);
  });

  test("kernel.sched_bore=0 restores every task's nice weight; =1 applies the scores again", () => {
    const w = new World("bore");
    const t = w.spawn();
    w.rq.pickNext();
    w.run(1_000_000_000);
    assert.equal(se(t).load.weight, 172);
    const sysctl = new Map(w.rq.sysctls().map(([n, get, set]) => [n, { get, set }]));
    assert.equal(sysctl.get("sched_bore")!.get(), "1");
    sysctl.get("sched_bore")!.set("0");
    assert.equal(se(t).load.weight, 1024);
    sysctl.get("sched_bore")!.set("1");
    assert.equal(se(t).load.weight, 172);
    assert.throws(() => sysctl.get("sched_bore")!.set("2"));
    assert.throws(() => sysctl.get("sched_burst_penalty_offset")!.set("65"));
    sysctl.get("sched_burst_penalty_scale")!.set("2560");
    assert.equal(w.rq.bore!.t.sched_burst_penalty_scale, 2560);
    for (const name of ["sched_bore", "sched_burst_penalty_offset", "sched_burst_penalty_scale", "sched_burst_smoothness_long",
      "sched_burst_smoothness_short", "sched_burst_fork_atavistic", "sched_burst_cache_lifetime", "sched_burst_parity_threshold"]) {
      assert.ok(sysctl.has(name), name);
    }
    assert.equal(sysctl.get("sched_burst_cache_lifetime")!.get(), "75000000");
  });

  test("EEVDF alone has no BORE sysctls", () => {
    assert.deepEqual(new World("eevdf").rq.sysctls().map(([n]) => n), ["sched_rr_timeslice_ms"]);
  });

  test("a hog and a sleeper: BORE gives the sleeper a higher weight than the hog", () => {
    const w = new World("bore");
    const hog = w.spawn();
    w.simulate(500_000_000);
    assert.ok(se(hog).load.weight < 1024);
    const fresh = w.spawn();
    assert.ok(se(fresh).load.weight > se(hog).load.weight);
  });
});

describe("fork inheritance", () => {
  // Processes as thread groups with their leaders; `penalty` sets the leader's burst penalty.
  function proc(w: World, parent: ThreadGroup | null, penalty: number): Task {
    const t = w.task();
    if (parent) { t.tg.parent = parent; parent.children.add(t.tg); }
    w.rq.se(t).burstPenalty = penalty;
    se(t).prevBurstPenalty = penalty;
    return t;
  }
  function forkFrom(w: World, parent: Task, flags = 0): Task {
    const child = flags & CLONE_THREAD ? w.task({ tg: parent.tg }) : proc(w, parent.tg, 0);
    w.rq.fork(parent, child, flags);
    return child;
  }

  test("a thread starts from its group's average, at least the leader's", () => {
    const w = new World("bore");
    w.now = 100_000_000;
    const lead = proc(w, null, 40);
    const th = w.task({ tg: lead.tg });
    w.rq.se(th).burstPenalty = 20;
    const t2 = forkFrom(w, th, CLONE_THREAD);
    // avg(40, 20) = 30; max(30, leader's 40) = 40
    assert.equal(se(t2).burstPenalty, 40);
    assert.equal(se(t2).prevBurstPenalty, 40);
  });

  test("a process inherits the average of its parent's children, cached for 75 ms", () => {
    const w = new World("bore");
    w.now = 100_000_000;
    const r = proc(w, null, 0);
    const p1 = proc(w, r.tg, 5);
    proc(w, r.tg, 0);
    const c1 = proc(w, p1.tg, 10);
    proc(w, p1.tg, 30);
    const n = forkFrom(w, p1);
    assert.equal(se(n).burstPenalty, 20); // (10 + 30) / 2, above p1's 5
    se(c1).burstPenalty = 100;
    w.now += 10_000_000;
    const n2 = forkFrom(w, p1);
    assert.equal(se(n2).burstPenalty, 20); // the cache
    w.now += 80_000_000;
    const n3 = forkFrom(w, p1);
    // (100 + 30 + 20 + 20) / 4 = 42
    assert.equal(se(n3).burstPenalty, 42);
  });

  test("single-child chains are collapsed: the nearest ancestor with several children decides", () => {
    const w = new World("bore");
    w.now = 100_000_000;
    const r = proc(w, null, 0);
    const a = proc(w, r.tg, 50);
    const b = proc(w, a.tg, 60);
    proc(w, r.tg, 20);
    const n = forkFrom(w, b);
    // r's subtree: a's only child b stands for a's line (60), x (20): avg 40.
    assert.equal(se(n).burstPenalty, 40);
  });

  test("sched_burst_fork_atavistic=0: only the direct parent's children count", () => {
    const w = new World("bore");
    w.rq.bore!.t.sched_burst_fork_atavistic = 0;
    w.now = 100_000_000;
    const r = proc(w, null, 0);
    const a = proc(w, r.tg, 50);
    proc(w, r.tg, 20);
    const n = forkFrom(w, a);
    // a has no other child: average 0, at least a's own 50.
    assert.equal(se(n).burstPenalty, 50);
  });

  test("the child's own history: the parent's copied burst folds in first", () => {
    const w = new World("bore");
    w.now = 100_000_000;
    const p = proc(w, null, 0);
    se(p).currBurstPenalty = 60;
    se(p).prevBurstPenalty = 10;
    const n = forkFrom(w, p);
    // revolve: 10 + (60 - 10) >> 1 = 35; inherited 0 (no siblings, p's penalty 0)
    assert.equal(se(n).prevBurstPenalty, 35);
    assert.equal(se(n).burstPenalty, 35);
    assert.equal(se(n).burstTime, 0);
  });

  test("calcDeltaFair sanity at the weights BORE uses", () => {
    assert.equal(calcDeltaFair(2_000_000, { weight: 423, invWeight: PRIO_TO_WMULT[24] }), 4_841_607);
  });
});
