// EEVDF against hand-computed cases: weights and the fixed-point delta, V,
// lag and its clamp, eligibility, placement, deadlines, picks, delayed
// dequeue, run-to-parity, PREEMPT_SHORT, wakeup preemption, reweighting.
//
//   npx tsc -p tsconfig.json && node --test dist/test/kernel/sched/

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DeadlineTree } from "../../../src/kernel/sched/tree.js";
import { calcDeltaFair, PRIO_TO_WEIGHT, PRIO_TO_WMULT, divS64 } from "../../../src/kernel/sched/weights.js";
import { ENQUEUE_INITIAL, DEQUEUE_SLEEP } from "../../../src/kernel/sched/fair.js";
import { World, se, bareRq, entity } from "./helpers.js";

describe("weights", () => {
  test("the nice table and its inverses", () => {
    assert.equal(PRIO_TO_WEIGHT[20], 1024);
    assert.equal(PRIO_TO_WEIGHT[0], 88761);
    assert.equal(PRIO_TO_WEIGHT[39], 15);
    assert.equal(PRIO_TO_WEIGHT[25], 335);
    assert.equal(PRIO_TO_WMULT[20], 4194304);
    assert.equal(PRIO_TO_WMULT[25], 12820798);
    assert.equal(PRIO_TO_WMULT[39], 286331153);
  });

  test("delta_exec * 1024 / w through the inverse weight, truncated as Linux does", () => {
    const w = (n: number) => ({ weight: PRIO_TO_WEIGHT[n + 20], invWeight: PRIO_TO_WMULT[n + 20] });
    assert.equal(calcDeltaFair(1_000_000, w(0)), 1_000_000);
    // fact = 1024 * 12820798 = 13128497152 > 2^32: halved twice, shift 30.
    assert.equal(calcDeltaFair(1_000_000, w(5)), 3_056_716);
    assert.equal(calcDeltaFair(1_400_000, w(5)), 4_279_403);
    assert.equal(calcDeltaFair(700_000, w(1)), 874_146);
    // A large delta goes through exact 64-bit arithmetic.
    assert.equal(calcDeltaFair(1_000_000_000, { weight: 172, invWeight: PRIO_TO_WMULT[28] }), 5_953_488_349);
  });

  test("div_s64 truncates toward zero", () => {
    assert.equal(divS64(-7, 2), -3);
    assert.equal(divS64(7, 2), 3);
  });
});

describe("the deadline tree", () => {
  test("stays balanced, ordered and augmented through random inserts and erases", () => {
    const tree = new DeadlineTree<ReturnType<typeof entity>>();
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    const live: ReturnType<typeof entity>[] = [];
    for (let i = 0; i < 3000; i++) {
      if (live.length && rnd() % 3 === 0) {
        const e = live.splice(rnd() % live.length, 1)[0];
        tree.erase(e);
      } else {
        const e = entity(rnd() % 10000, rnd() % 1000, 1024, 100_000 + (rnd() % 5) * 100_000);
        tree.insert(e);
        live.push(e);
      }
      if (i % 50 === 0) tree.check();
    }
    tree.check();
    const inOrder = [...tree].map((e) => e.deadline);
    assert.deepEqual(inOrder, [...inOrder].sort((a, b) => a - b));
    assert.equal(tree.root!.minVruntime, Math.min(...live.map((e) => e.vruntime)));
    assert.equal(tree.root!.minSlice, Math.min(...live.map((e) => e.slice)));
    // The height of an AVL tree of n nodes is below 1.45 log2(n + 2).
    assert.ok(tree.root!.height <= 1.45 * Math.log2(live.length + 2));
  });

  test("equal deadlines keep insertion order", () => {
    const tree = new DeadlineTree<ReturnType<typeof entity>>();
    const es = [0, 1, 2, 3, 4].map((i) => entity(i, 500));
    for (const e of es) tree.insert(e);
    assert.deepEqual([...tree].map((e) => e.vruntime), [0, 1, 2, 3, 4]);
    assert.equal(tree.leftmost(), es[0]);
  });
});

describe("V, lag and eligibility", () => {
  test("V is the load-weighted average vruntime, rounded down", () => {
    const { rq } = bareRq();
    rq.enqueueTree(entity(100, 0, 1024));
    rq.enqueueTree(entity(400, 0, 335));
    // (100*1024 + 400*335) / 1359 = 236400 / 1359 = 173.95
    assert.equal(rq.avgVruntimeValue(), 173);
    assert.equal(rq.vruntimeEligible(173), true);
    assert.equal(rq.vruntimeEligible(174), false); // 174 * 1359 = 236466 > 236400
  });

  test("negative averages round toward -infinity, so V itself is eligible", () => {
    const { rq } = bareRq();
    rq.enqueueTree(entity(-3, 0, 1024));
    rq.enqueueTree(entity(0, 0, 1024));
    assert.equal(rq.avgVruntimeValue(), -2); // -1.5 → -2
    assert.equal(rq.vruntimeEligible(-2), true);
  });

  test("lag is V - v, clamped to max(2 slices, a tick) of virtual time", () => {
    const { rq } = bareRq();
    rq.enqueueTree(entity(10_000_000, 0, 1024));
    const far = entity(0, 0, 1024);
    rq.updateEntityLag(far);
    assert.equal(far.vlag, 1_400_000); // 2 * 0.7 ms
    const ahead = entity(20_000_000, 0, 1024);
    rq.updateEntityLag(ahead);
    assert.equal(ahead.vlag, -1_400_000);
    const light = entity(0, 0, 335);
    rq.updateEntityLag(light);
    assert.equal(light.vlag, 4_279_403); // 1.4 ms at nice 5
    const near = entity(9_999_000, 0, 1024);
    rq.updateEntityLag(near);
    assert.equal(near.vlag, 1000);
  });

  test("the minimum vruntime only moves forward, rebasing the sums", () => {
    const { rq } = bareRq();
    const a = entity(5000, 1, 1024), b = entity(7000, 2, 1024);
    rq.enqueueTree(a);
    rq.enqueueTree(b);
    const before = rq.avgVruntimeValue();
    rq.updateMinVruntime();
    assert.equal(rq.minVruntime, 5000);
    assert.equal(rq.avgVruntime, 2000 * 1024);
    assert.equal(rq.avgVruntimeValue(), before);
  });
});

describe("placement", () => {
  test("a new task starts at V with half a slice (PLACE_DEADLINE_INITIAL)", () => {
    const { rq } = bareRq();
    const a = entity(0, 0);
    rq.enqueueEntity(a, ENQUEUE_INITIAL);
    assert.equal(a.vruntime, 0);
    assert.equal(a.deadline, 350_000);
  });

  test("PLACE_LAG keeps the lag a task left with, inflated for its own weight", () => {
    const { rq } = bareRq();
    const a = entity(0, 0);
    rq.enqueueEntity(a, ENQUEUE_INITIAL);
    const b = entity(0, 0);
    b.vlag = 1000;
    rq.enqueueEntity(b, 0);
    // lag = 1000 * (1024 + 1024) / 1024 = 2000
    assert.equal(b.vruntime, -2000);
    assert.equal(b.deadline, -2000 + 700_000);
    // Once in, its lag against the new V is the 1000 it had.
    assert.equal(rq.avgVruntimeValue(), -1000);
    assert.equal(rq.avgVruntimeValue() - b.vruntime, 1000);
    rq.check();
  });
});

describe("picks", () => {
  test("the eligible entity with the earliest deadline, found through the tree", () => {
    const { rq } = bareRq();
    const a = entity(1000, 5000), b = entity(0, 8000), c = entity(-100, 9000), d = entity(2000, 6000);
    for (const e of [a, b, c, d]) rq.enqueueTree(e);
    rq.nrQueued = 4;
    // V = (1000 + 0 - 100 + 2000) / 4 = 725: a and d are not eligible.
    assert.equal(rq.entityEligible(a), false);
    assert.equal(rq.entityEligible(d), false);
    assert.equal(rq.pickEevdf(), b);
  });

  test("the leftmost entity when it is eligible", () => {
    const { rq } = bareRq();
    const a = entity(0, 100), b = entity(50, 200);
    rq.enqueueTree(a); rq.enqueueTree(b);
    rq.nrQueued = 2;
    assert.equal(rq.pickEevdf(), a);
  });

  test("an eligible curr with an earlier deadline wins; a protected one keeps the CPU (RUN_TO_PARITY)", () => {
    const { rq } = bareRq();
    const b = entity(0, 8000);
    rq.enqueueTree(b);
    const cur = entity(0, 7000);
    rq.curr = cur; cur.onRq = true;
    rq.nrQueued = 2;
    cur.vlag = 0; // not protected
    assert.equal(rq.pickEevdf(), cur);
    cur.deadline = 9000;
    assert.equal(rq.pickEevdf(), b);
    cur.vlag = cur.deadline; // protected: picked at this deadline
    assert.equal(rq.pickEevdf(), cur);
    rq.features.RUN_TO_PARITY = false;
    assert.equal(rq.pickEevdf(), b);
  });

  test("an ineligible curr is passed over even when protected", () => {
    const { rq } = bareRq();
    const b = entity(0, 8000);
    rq.enqueueTree(b);
    const cur = entity(5000, 1000);
    rq.curr = cur; cur.onRq = true; cur.vlag = cur.deadline;
    rq.nrQueued = 2;
    assert.equal(rq.pickEevdf(), b);
  });
});

describe("the run queue", () => {
  test("two new tasks: vruntimes, deadlines, and the wakeup preemption of the second", () => {
    const w = new World("eevdf");
    const t1 = w.spawn();
    assert.equal(se(t1).deadline, 350_000);
    assert.equal(w.rq.pickNext(), t1);
    w.run(1_000_000);
    // Past its deadline at the tick: a new slice and deadline, no one to yield to.
    assert.equal(se(t1).vruntime, 1_000_000);
    assert.equal(se(t1).deadline, 1_700_000);
    assert.equal(w.rq.needResched, false);
    const t2 = w.spawn();
    assert.equal(se(t2).vruntime, 1_000_000); // at V
    assert.equal(se(t2).deadline, 1_350_000);
    assert.equal(w.rq.needResched, true); // eligible, earlier deadline
    assert.equal(w.rq.pickNext(), t2);
    w.run(500_000);
    w.rq.fair.updateCurr(); // (no tick in between: charge it now)
    assert.equal(se(t2).vruntime, 1_500_000);
    assert.equal(se(t2).deadline, 2_200_000);
    // V = 1e6 + (0.5e6 * 1024) / 2048 = 1.25e6: t2 is ahead, t1 is owed.
    assert.equal(w.rq.fair.avgVruntimeValue(), 1_250_000);
    assert.equal(w.rq.pickNext(), t1);
    w.rq.fair.check();
  });

  test("a protected current task is not preempted by an equal-slice wakee", () => {
    const w = new World("eevdf");
    const t1 = w.spawn();
    const t2 = w.task();
    w.rq.se(t2);
    assert.equal(w.rq.pickNext(), t1);
    w.rq.needResched = false;
    w.run(100_000);
    w.wake(t2);
    // t2 (placed at V with no lag, full slice) has a later deadline than t1's protected one.
    assert.equal(w.rq.needResched, false);
  });

  for (const short of [true, false]) {
    test(`PREEMPT_SHORT ${short ? "on" : "off"}: a shorter-slice eligible wakee ${short ? "cancels the protection and preempts" : "waits"}`, () => {
      const w = new World("eevdf");
      w.rq.fair.features.PREEMPT_SHORT = short;
      const t1 = w.spawn();
      assert.equal(w.rq.pickNext(), t1);
      w.run(100_000);
      assert.equal(se(t1).vlag, se(t1).deadline); // t1 is protected (deadline 350000)
      const t2 = w.task();
      // sched_setattr(sched_runtime = 0.1 ms)
      assert.equal(w.rq.setAttr(t2, { policy: 0, flags: 0, nice: 0, priority: 0, runtime: 100_000, deadline: 0, period: 0, utilMin: 0, utilMax: 0 }, null), 0);
      assert.equal(se(t2).slice, 100_000);
      w.wake(t2);
      assert.equal(se(t2).vruntime, 100_000);
      assert.equal(se(t2).deadline, 200_000);
      assert.equal(w.rq.needResched, short);
      assert.equal(se(t1).vlag !== se(t1).deadline, short); // protection cancelled
      if (short) assert.equal(w.rq.pickNext(), t2);
    });
  }

  test("SCHED_BATCH and SCHED_IDLE wakees never preempt; any normal task preempts an idle one", () => {
    const w = new World("eevdf");
    const t1 = w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(5_000_000);
    w.rq.needResched = false;
    const batch = w.task({ policy: 3 });
    w.rq.se(batch);
    se(batch).vlag = 1_000_000;
    w.wake(batch);
    assert.equal(w.rq.needResched, false);
    const w2 = new World("eevdf");
    const idle = w2.spawn({ policy: 5 });
    assert.equal(se(idle).load.weight, 3);
    assert.equal(w2.rq.pickNext(), idle);
    w2.run(2_000_000);
    w2.rq.needResched = false;
    w2.spawn();
    assert.equal(w2.rq.needResched, true);
  });

  test("DELAY_DEQUEUE: an ineligible sleeper stays queued until picked; woken, it competes where it stood", () => {
    const w = new World("eevdf");
    const t1 = w.spawn(), t2 = w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(650_000);
    w.rq.fair.updateCurr();
    assert.equal(w.rq.fair.entityEligible(se(t1)), false); // V = 325000 < 650000
    w.sleep(t1);
    assert.equal(w.rq.pickNext(), t2);
    assert.equal(se(t1).onRq, true);
    assert.equal(se(t1).delayed, true);
    assert.equal(w.rq.nrRunning, 1);
    assert.equal(w.rq.fair.nrQueued, 2);
    const v = se(t1).vruntime;
    w.wake(t1);
    // Negative lag is kept: not placed again.
    assert.equal(se(t1).delayed, false);
    assert.equal(se(t1).vruntime, v);
    assert.equal(w.rq.nrRunning, 2);
    w.rq.fair.check();
  });

  test("DELAY_DEQUEUE: a delayed sleeper that reaches the front leaves; DELAY_ZERO clips positive lag", () => {
    const w = new World("eevdf");
    const t1 = w.spawn(), t2 = w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(650_000);
    w.sleep(t1);
    assert.equal(w.rq.pickNext(), t2);
    // t2 runs until t1 becomes eligible again and t2 is past its deadline.
    w.run(1_000_000);
    assert.equal(w.rq.needResched, true);
    const next = w.rq.pickNext();
    assert.equal(next, t2); // t1 was dequeued on the way
    assert.equal(se(t1).onRq, false);
    assert.equal(se(t1).delayed, false);
    assert.ok(se(t1).vlag <= 0);
    assert.equal(w.rq.fair.nrQueued, 1);
  });

  test("a sleeper with positive lag is dequeued at once and keeps its lag (PLACE_LAG on wake)", () => {
    const w = new World("eevdf");
    const t1 = w.spawn(), t2 = w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(100_000);
    // t2 sleeps without having run: eligible, dequeued now with lag.
    w.sleep(t2);
    const ok = w.rq.fair.dequeueTask(t2, DEQUEUE_SLEEP);
    assert.equal(ok, true);
    assert.equal(se(t2).onRq, false);
    assert.equal(se(t2).vlag, 50_000); // V = (100000 + 0) / 2 = 50000; v = 0
  });

  test("sched_yield: an eligible task forfeits its slice, the deadline moves one slice out", () => {
    const w = new World("eevdf");
    const t1 = w.spawn();
    w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    const d = se(t1).deadline;
    w.rq.yield(t1);
    assert.equal(se(t1).vruntime, d);
    assert.equal(se(t1).deadline, d + 700_000);
    assert.equal(w.rq.needResched, true);
  });

  test("sched_yield of an ineligible task leaves its deadline (a yield loop cannot push it away)", () => {
    const w = new World("eevdf");
    const t1 = w.spawn();
    w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(100_000);
    const d = se(t1).deadline;
    w.rq.yield(t1);
    const v = se(t1).vruntime;
    for (let i = 0; i < 100; i++) w.rq.yield(t1);
    assert.equal(se(t1).deadline, d);
    assert.equal(se(t1).vruntime, v);
    assert.equal(w.rq.needResched, true);
  });

  test("renicing a queued task rescales its lag and relative deadline", () => {
    const w = new World("eevdf");
    const t1 = w.spawn(), t2 = w.spawn();
    assert.equal(w.rq.pickNext(), t1);
    w.run(300_000);
    w.rq.setUserNice(t2, 5);
    assert.equal(se(t2).load.weight, 335);
    // t2 (v = 0, d = 350000 relative 350000) had lag V - 0 = 150000 at weight 1024:
    // scaled to 150000 * 1024 / 335 = 458507, placed with the lag inflation for its weight.
    const V = w.rq.fair.avgVruntimeValue();
    assert.ok(Math.abs((V - se(t2).vruntime) - 458_507) <= 2, `lag ${V - se(t2).vruntime}`);
    assert.equal(se(t2).deadline - se(t2).vruntime, Math.trunc(350_000 * 1024 / 335));
    w.rq.fair.check();
  });

  test("weights share the CPU: nice 0 vs nice 5 is 1024:335", () => {
    const w = new World("eevdf");
    const a = w.spawn(), b = w.spawn({ nice: 5 });
    const got = w.simulate(2_000_000_000);
    const ratio = got.get(a)! / got.get(b)!;
    assert.ok(Math.abs(ratio / (1024 / 335) - 1) < 0.01, `ratio ${ratio}`);
  });

  test("three equal tasks share equally", () => {
    const w = new World("eevdf");
    const ts = [w.spawn(), w.spawn(), w.spawn()];
    const got = w.simulate(1_500_000_000);
    for (const t of ts) assert.ok(Math.abs(got.get(t)! / 500_000_000 - 1) < 0.01, `${got.get(t)}`);
  });
});
