// The timer wheel's layout and rounding, the hrtimer clock bases, the tick,
// and the load average's fixed-point decay.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { calcWheelIndex, TimerWheel, WHEEL_TIMEOUT_MAX, lvlStart } from "../../../src/kernel/time/wheel.js";
import { TimerQueue } from "../../../src/kernel/time/timers.js";
import { Clock } from "../../../src/kernel/time/clock.js";
import { calcLoad, calcLoadN, LoadAvg, FIXED_1, EXP_1, EXP_5, EXP_15 } from "../../../src/kernel/sched/loadavg.js";

describe("timer wheel", () => {
  test("levels of 64 buckets, each 8 times coarser; rounded up to the level's granularity", () => {
    assert.equal(lvlStart(1), 63);
    assert.equal(lvlStart(2), 504);
    assert.equal(lvlStart(3), 4032);
    assert.deepEqual(calcWheelIndex(10, 0), { idx: 11, bucketExpiry: 11 });
    assert.deepEqual(calcWheelIndex(62, 0), { idx: 63, bucketExpiry: 63 });
    assert.deepEqual(calcWheelIndex(100, 0), { idx: 64 + 13, bucketExpiry: 104 }); // 8 ms granularity
    assert.deepEqual(calcWheelIndex(1000, 0), { idx: 128 + 16, bucketExpiry: 1024 }); // 64 ms granularity
    assert.deepEqual(calcWheelIndex(5000, 0), { idx: 192 + 10, bucketExpiry: 5120 }); // 512 ms
    // In the past: the current bucket.
    assert.deepEqual(calcWheelIndex(5, 10), { idx: 10, bucketExpiry: 10 });
    // Beyond the wheel: capped.
    assert.equal(calcWheelIndex(1e12, 0).bucketExpiry >= WHEEL_TIMEOUT_MAX, true);
  });

  test("timers fire at their bucket's jiffy, never early", () => {
    const w = new TimerWheel();
    const fired: [number, number][] = [];
    let jiffies = 0;
    for (const e of [3, 70, 100, 600, 2000]) w.add(e, () => fired.push([e, jiffies]), 0);
    const cancelled = w.add(50, () => fired.push([50, jiffies]), 0);
    cancelled.cancel();
    for (jiffies = 0; jiffies <= 3000; jiffies++) w.run(jiffies);
    assert.deepEqual(fired, [[3, 4], [70, 72], [100, 104], [600, 640], [2000, 2048]]);
    for (const [e, at] of fired) assert.ok(at > e);
    assert.equal(w.count, 0);
  });

  test("an idle wheel catches up at once", () => {
    const w = new TimerWheel();
    let n = 0;
    w.add(10, () => n++, 0);
    assert.equal(w.nextExpiry(), 11);
    w.run(100_000);
    assert.equal(n, 1);
    // A new timer is placed relative to the caught-up clock.
    w.add(100_010, () => n++, 100_000);
    assert.equal(w.nextExpiry(), 100_011);
  });
});

describe("hrtimers", () => {
  test("fire in expiry order across clock bases; an absolute realtime timer follows clock_settime", () => {
    const clock = new Clock("virtual");
    const q = new TimerQueue(clock);
    const order: string[] = [];
    q.add(3_000_000, () => order.push("mono 3ms"));
    const rt = clock.realtime();
    q.addHr("realtime", rt + 2_000_000, () => order.push("real +2ms"));
    q.add(1_000_000, () => order.push("mono 1ms"));
    assert.equal(q.next(), 1_000_000);
    q.expire(1_500_000);
    assert.deepEqual(order, ["mono 1ms"]);
    // The wall clock jumps 10 ms back: the realtime timer is now 10 ms further away.
    clock.setRealtime(clock.realtime() - 10_000_000);
    q.expire(3_000_000);
    assert.deepEqual(order, ["mono 1ms", "mono 3ms"]);
    // (Wall-clock nanoseconds near 1.7e18 are doubles: exact to 256 ns.)
    assert.ok(Math.abs(q.next() - 12_000_000) <= 256);
    q.expire(12_000_256);
    assert.deepEqual(order, ["mono 1ms", "mono 3ms", "real +2ms"]);
  });

  test("cancel removes a timer from its base", () => {
    const q = new TimerQueue(new Clock("virtual"));
    const a = q.add(5, () => assert.fail("cancelled timer fired"));
    q.add(7, () => {});
    a.cancel();
    assert.equal(q.next(), 7);
  });

  test("the tick: every jiffy while running, left out of the idle wake-up time", () => {
    const clock = new Clock("virtual");
    const q = new TimerQueue(clock);
    let ticks = 0;
    q.startTick(() => ticks++);
    assert.equal(q.next(), Infinity);
    assert.equal(q.nextEvent(), 1_000_000);
    assert.equal(q.budget(1_000_000, clock.nsPerInsn), 100_000); // 1 ms at 100 MHz
    clock.setInstret(100_000);
    q.expire(clock.monotonic());
    assert.equal(ticks, 1);
    assert.equal(q.nextEvent(), 2_000_000);
    // After a long idle stretch the tick fires once and is re-armed on the next boundary.
    clock.skipTo(50_500_000);
    q.expire(clock.monotonic());
    assert.equal(ticks, 2);
    assert.equal(q.nextEvent(), 51_000_000);
  });

  test("coarse timeouts go on the wheel: a whole jiffy, rounded up", () => {
    const clock = new Clock("virtual");
    const q = new TimerQueue(clock);
    let fired = 0;
    const h = q.addCoarse(2_500_000, () => fired++);
    assert.equal(h.deadline, 4_000_000); // jiffy 3, level 0: bucket 4
    assert.equal(q.next(), 4_000_000);
    q.expire(3_999_999);
    assert.equal(fired, 0);
    q.expire(4_000_000);
    assert.equal(fired, 1);
    const h2 = q.addCoarse(200_000_000, () => fired++);
    // 195 jiffies from the wheel's clock (5): level 1, 8 ms buckets: (200 >> 3) + 1 = 26 → jiffy 208.
    assert.equal(h2.deadline, 208_000_000);
    h2.cancel();
  });
});

describe("load average", () => {
  test("one step of the exponential decay, in 11-bit fixed point", () => {
    assert.equal(FIXED_1, 2048);
    assert.equal(calcLoad(0, EXP_1, FIXED_1), 164); // (2048 * 164 + 2047) / 2048
    assert.equal(calcLoad(0, EXP_5, FIXED_1), 34);
    assert.equal(calcLoad(0, EXP_15, FIXED_1), 11);
    assert.equal(calcLoad(2048, EXP_1, 0), 1884);
  });

  test("n missed windows equal n single steps (within rounding)", () => {
    let a = 3000;
    for (let i = 0; i < 12; i++) a = calcLoad(a, EXP_1, 0);
    assert.ok(Math.abs(calcLoadN(3000, EXP_1, 0, 12) - a) <= 2);
  });

  test("samples every 5 s and a tick; /proc/loadavg's rounding", () => {
    const l = new LoadAvg();
    l.update(5000, 1);
    assert.deepEqual(l.avenrun, [0, 0, 0]);
    l.update(5001, 1);
    assert.deepEqual(l.avenrun, [164, 34, 11]);
    assert.deepEqual(l.formatted(), ["0.08", "0.02", "0.01"]);
    for (let j = 10002; j <= 600_000; j += 5001) l.update(j, 1);
    assert.deepEqual(l.formatted().slice(0, 1), ["1.00"]);
  });
});
