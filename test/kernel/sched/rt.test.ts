// The real-time classes above the fair class, and the permission rules of
// sched_setattr (RLIMIT_RTPRIO, RLIMIT_NICE, root).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EINVAL, EPERM, EBUSY } from "../../../src/abi/errno.js";
import type { SchedAttr } from "../../../src/kernel/sched/core.js";
import { World, se } from "./helpers.js";

const FIFO = 1, RR = 2, BATCH = 3, IDLE = 5;

function attr(policy: number, priority = 0, nice = 0, flags = 0): SchedAttr {
  return { policy, flags, nice, priority, runtime: 0, deadline: 0, period: 0, utilMin: 0, utilMax: 0 };
}

describe("real-time classes", () => {
  test("a woken SCHED_FIFO task preempts a fair task and runs until it blocks", () => {
    const w = new World("bore");
    const f = w.spawn();
    assert.equal(w.rq.pickNext(), f);
    const r = w.task({ policy: FIFO, rtPriority: 10 });
    w.rq.se(r);
    w.wake(r);
    assert.equal(w.rq.needResched, true);
    assert.equal(w.rq.pickNext(), r);
    w.run(500_000_000);
    assert.equal(w.rq.needResched, false);
    assert.equal(w.rq.pickNext(), r);
    w.sleep(r);
    assert.equal(w.rq.pickNext(), f);
  });

  test("FIFO: an equal-priority wakee waits; a higher one preempts", () => {
    const w = new World("eevdf");
    const a = w.spawn({ policy: FIFO, rtPriority: 10 });
    assert.equal(w.rq.pickNext(), a);
    const b = w.task({ policy: FIFO, rtPriority: 10 });
    w.rq.se(b);
    w.wake(b);
    assert.equal(w.rq.needResched, false);
    const c = w.task({ policy: FIFO, rtPriority: 50 });
    w.rq.se(c);
    w.wake(c);
    assert.equal(w.rq.needResched, true);
    assert.equal(w.rq.pickNext(), c);
    w.sleep(c);
    assert.equal(w.rq.pickNext(), a); // a kept its place at the head
    w.rq.yield(a);
    assert.equal(w.rq.pickNext(), b); // sched_yield: to the back of its level
  });

  test("SCHED_RR: 100 ticks, then the back of the line", () => {
    const w = new World("bore");
    const a = w.spawn({ policy: RR, rtPriority: 5 });
    const b = w.spawn({ policy: RR, rtPriority: 5 });
    assert.equal(w.rq.pickNext(), a);
    w.run(99_000_000);
    assert.equal(w.rq.needResched, false);
    w.run(1_000_000);
    assert.equal(w.rq.needResched, true);
    assert.equal(w.rq.pickNext(), b);
    assert.equal(w.rq.rrInterval(a), 100);
  });

  test("sched_rr_get_interval: RR 100 ms, FIFO 0, fair tasks their slice in whole ticks", () => {
    const bore = new World("bore"), eevdf = new World("eevdf");
    assert.equal(bore.rq.rrInterval(bore.spawn({ policy: FIFO, rtPriority: 1 })), 0);
    assert.equal(bore.rq.rrInterval(bore.spawn()), 2);
    assert.equal(eevdf.rq.rrInterval(eevdf.spawn()), 0); // 0.7 ms
  });

  test("a fair task made SCHED_FIFO while queued jumps the fair queue", () => {
    const w = new World("bore");
    const a = w.spawn(), b = w.spawn();
    assert.equal(w.rq.pickNext(), a);
    assert.equal(w.rq.setAttr(b, attr(FIFO, 1), null), 0);
    assert.equal(w.rq.needResched, true);
    assert.equal(w.rq.pickNext(), b);
    assert.equal(w.rq.setAttr(b, attr(0), null), 0);
    assert.equal(w.rq.needResched, true);
    assert.equal(w.rq.nrRunning, 2);
  });

  test("reset-on-fork: the child of a FIFO task starts as SCHED_OTHER, nice 0", () => {
    const w = new World("bore");
    const p = w.spawn();
    assert.equal(w.rq.setAttr(p, attr(FIFO, 20, 0, 1), null), 0);
    assert.equal(se(p).resetOnFork, true);
    const c = w.task({ policy: FIFO, rtPriority: 20 });
    w.rq.fork(p, c, 0);
    assert.equal(c.policy, 0);
    assert.equal(c.rtPriority, 0);
    assert.equal(se(c).resetOnFork, false);
  });
});

describe("sched_setattr rules", () => {
  test("invalid requests", () => {
    const w = new World("bore");
    const t = w.spawn();
    assert.equal(w.rq.setAttr(t, attr(FIFO, 0), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(0, 5), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(FIFO, 100), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(4), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(7), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(0, 0, 0, 0x80), t), -EINVAL);
    assert.equal(w.rq.setAttr(t, attr(6), t), -EINVAL); // SCHED_DEADLINE without runtime and deadline
  });

  test("SCHED_DEADLINE: admitted up to 95% of the CPU in all, then EBUSY; reported back; it runs above every RT level", () => {
    const w = new World("bore");
    const a = w.spawn(), b = w.spawn();
    const dl = (runtime: number, period: number): SchedAttr => ({ ...attr(6), runtime, deadline: period, period });
    assert.equal(w.rq.setAttr(a, dl(6_000_000, 10_000_000), a), 0);
    assert.equal(w.rq.setAttr(b, dl(4_000_000, 10_000_000), b), -EBUSY); // 60% + 40% > 95%
    assert.equal(w.rq.setAttr(b, dl(3_000_000, 10_000_000), b), 0);
    const got = w.rq.getAttr(a);
    assert.deepEqual([got.policy, got.runtime, got.deadline, got.period], [6, 6_000_000, 10_000_000, 10_000_000]);
    assert.equal(w.rq.prioOf(a), -1);
    assert.equal(w.rq.mayFork(a), false);
    // a's reservation goes back with its policy
    assert.equal(w.rq.setAttr(a, attr(0), a), 0);
    assert.equal(w.rq.setAttr(b, dl(9_000_000, 10_000_000), b), 0);
  });

  test("RLIMIT_RTPRIO: an unprivileged task may take RT priorities up to its limit", () => {
    const w = new World("bore");
    const t = w.spawn({ uid: 1000 });
    assert.equal(w.rq.setAttr(t, attr(FIFO, 1), t), -EPERM);
    t.tg.rlimits[14] = [10, 10];
    assert.equal(w.rq.setAttr(t, attr(FIFO, 11), t), -EPERM);
    assert.equal(w.rq.setAttr(t, attr(FIFO, 10), t), 0);
    assert.equal(w.rq.setAttr(t, attr(RR, 5), t), 0);
    t.tg.rlimits[14] = [0, 0];
    // Lowering an RT priority, or leaving RT, needs nothing.
    assert.equal(w.rq.setAttr(t, attr(RR, 3), t), 0);
    assert.equal(w.rq.setAttr(t, attr(0), t), 0);
    const root = w.spawn();
    assert.equal(w.rq.setAttr(root, attr(FIFO, 99), root), 0);
  });

  test("RLIMIT_NICE: raising priority is allowed down to 20 - rlimit", () => {
    const w = new World("bore");
    const t = w.spawn({ uid: 1000, nice: 5 });
    assert.equal(w.rq.setAttr(t, attr(0, 0, 10), t), 0); // lowering: always
    assert.equal(w.rq.setAttr(t, attr(0, 0, 9), t), -EPERM);
    t.tg.rlimits[13] = [25, 25]; // nice down to -5
    assert.equal(w.rq.setAttr(t, attr(0, 0, -5), t), 0);
    assert.equal(w.rq.setAttr(t, attr(0, 0, -6), t), -EPERM);
  });

  test("SCHED_IDLE: weight 3; leaving it needs the nice level's rlimit", () => {
    const w = new World("bore");
    const t = w.spawn({ uid: 1000 });
    assert.equal(w.rq.setAttr(t, attr(IDLE), t), 0);
    assert.equal(se(t).load.weight, 3);
    assert.equal(w.rq.setAttr(t, attr(BATCH), t), -EPERM);
    t.tg.rlimits[13] = [20, 20];
    assert.equal(w.rq.setAttr(t, attr(BATCH), t), 0);
    assert.equal(se(t).load.weight, 1024);
  });

  test("another user's task needs privilege", () => {
    const w = new World("bore");
    const a = w.spawn({ uid: 1000 }), b = w.spawn({ uid: 1001 });
    assert.equal(w.rq.setAttr(b, attr(0, 0, 1), a), -EPERM);
    const root = w.spawn();
    assert.equal(w.rq.setAttr(b, attr(0, 0, 1), root), 0);
  });

  test("sched_runtime sets a custom slice, clamped to 0.1 … 100 ms; 0 returns to the base slice", () => {
    const w = new World("bore");
    const t = w.spawn();
    const a = attr(0);
    a.runtime = 5_000;
    assert.equal(w.rq.setAttr(t, a, t), 0);
    assert.equal(se(t).slice, 100_000);
    a.runtime = 1e9;
    assert.equal(w.rq.setAttr(t, a, t), 0);
    assert.equal(se(t).slice, 100_000_000);
    assert.equal(w.rq.getAttr(t).runtime, 100_000_000);
    a.runtime = 0;
    assert.equal(w.rq.setAttr(t, a, t), 0);
    assert.equal(se(t).slice, 2_000_000);
    assert.equal(se(t).customSlice, false);
  });
});
