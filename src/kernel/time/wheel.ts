// The timer wheel for coarse timeouts, laid out as Linux's kernel/time/timer.c
// at HZ=1000: 9 levels of 64 buckets, each level 8 times coarser than the one
// below (1 ms, 8 ms, 64 ms, …). There is no cascading: a timer goes straight
// into the level that covers its distance and is rounded up to that level's
// granularity, so it may fire late, never early. Times are in jiffies.

import { runningKernel } from "../running.js";

export const LVL_CLK_SHIFT = 3;
export const LVL_BITS = 6;
export const LVL_SIZE = 1 << LVL_BITS;
export const LVL_MASK = LVL_SIZE - 1;
export const LVL_DEPTH = 9;

export const lvlShift = (n: number) => n * LVL_CLK_SHIFT;
export const lvlGran = (n: number) => 2 ** lvlShift(n);
// First distance (in jiffies) handled by level n (n >= 1).
export const lvlStart = (n: number) => (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT);

export const WHEEL_TIMEOUT_CUTOFF = lvlStart(LVL_DEPTH);
export const WHEEL_TIMEOUT_MAX = WHEEL_TIMEOUT_CUTOFF - lvlGran(LVL_DEPTH - 1);

export class WheelTimer {
  bucket = -1;
  bucketExpiry = 0;
  constructor(readonly wheel: TimerWheel, readonly expires: number, readonly fn: () => void) {}
  get pending(): boolean { return this.bucket >= 0; }
  cancel(): void { this.wheel.remove(this); }
}

// Where a timer expiring at `expires` goes when the wheel's clock is `clk`:
// the bucket index and the jiffy at which that bucket is processed.
export function calcWheelIndex(expires: number, clk: number): { idx: number; bucketExpiry: number } {
  let delta = expires - clk;
  if (delta < 0) return { idx: clk % LVL_SIZE, bucketExpiry: clk };
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= lvlStart(lvl + 1)) lvl++;
  if (lvl === LVL_DEPTH - 1 && delta >= WHEEL_TIMEOUT_CUTOFF) {
    // Obscenely long timeouts expire at the wheel's capacity.
    expires = clk + WHEEL_TIMEOUT_MAX;
    delta = WHEEL_TIMEOUT_MAX;
  }
  // Round up with the level's granularity: never early, even for a timer
  // armed at the very end of a tick.
  const e = Math.floor(expires / lvlGran(lvl)) + 1;
  return { idx: lvl * LVL_SIZE + (e % LVL_SIZE), bucketExpiry: e * lvlGran(lvl) };
}

export class TimerWheel {
  // The jiffy the wheel processes next.
  clk = 0;
  private readonly vectors: WheelTimer[][] = Array.from({ length: LVL_DEPTH * LVL_SIZE }, () => []);
  private readonly pendingBuckets = new Set<number>();
  private nextExpiryCache = Infinity;
  private recalc = false;
  count = 0;

  add(expires: number, fn: () => void, jiffiesNow: number): WheelTimer {
    this.forward(jiffiesNow);
    const t = new WheelTimer(this, expires, fn);
    const { idx, bucketExpiry } = calcWheelIndex(expires, this.clk);
    t.bucket = idx;
    t.bucketExpiry = bucketExpiry;
    this.vectors[idx].push(t);
    this.pendingBuckets.add(idx);
    this.count++;
    if (bucketExpiry < this.nextExpiryCache) this.nextExpiryCache = bucketExpiry;
    return t;
  }

  remove(t: WheelTimer): void {
    if (t.bucket < 0) return;
    const v = this.vectors[t.bucket];
    const i = v.indexOf(t);
    if (i >= 0) v.splice(i, 1);
    if (!v.length) this.pendingBuckets.delete(t.bucket);
    t.bucket = -1;
    this.count--;
    if (t.bucketExpiry === this.nextExpiryCache) this.recalc = true;
  }

  // The jiffy of the earliest pending bucket, or Infinity.
  nextExpiry(): number {
    if (this.recalc) {
      this.recalc = false;
      let m = Infinity;
      for (const idx of this.pendingBuckets) {
        const v = this.vectors[idx];
        if (v.length && v[0].bucketExpiry < m) m = v[0].bucketExpiry;
      }
      this.nextExpiryCache = m;
    }
    return this.nextExpiryCache;
  }

  // An idle wheel's clock catches up with jiffies before a new timer is
  // placed, so the new timer's distance is measured from now.
  private forward(jnow: number): void {
    if (jnow <= this.clk) return;
    const next = this.nextExpiry();
    this.clk = next > jnow ? jnow : Math.max(this.clk, next);
  }

  // Runs every timer whose bucket is due at jiffy `jnow`. Returns how many ran.
  run(jnow: number): number {
    let fired = 0;
    while (jnow >= this.clk && jnow >= this.nextExpiry()) {
      const clk = this.clk = Math.max(this.clk, this.nextExpiry());
      const heads: WheelTimer[][] = [];
      let c = clk;
      for (let lvl = 0; lvl < LVL_DEPTH; lvl++) {
        const idx = lvl * LVL_SIZE + (c % LVL_SIZE);
        const v = this.vectors[idx];
        if (v.length) {
          heads.push(v.slice());
          v.length = 0;
          this.pendingBuckets.delete(idx);
        }
        // Look at the next level only on its granularity boundary.
        if (c % (1 << LVL_CLK_SHIFT)) break;
        c = Math.floor(c / (1 << LVL_CLK_SHIFT));
      }
      this.clk = clk + 1;
      this.recalc = true;
      // Higher levels first; in a bucket, the most recently armed first.
      for (let h = heads.length - 1; h >= 0; h--) {
        const list = heads[h];
        for (let i = list.length - 1; i >= 0; i--) {
          const t = list[i];
          if (t.bucket < 0) continue;
          t.bucket = -1;
          this.count--;
          runTimerFn(t.fn);
          fired++;
        }
      }
    }
    if (jnow >= this.clk) this.forward(jnow);
    return fired;
  }
}

// A timer's callback: a kernel bug in it is an oops reported to the host
// (KernelConfig.diag), not the end of the kernel (the timer is gone,
// everything else goes on).
export function runTimerFn(fn: () => void): void {
  try { fn(); } catch (e) {
    runningKernel()?.diag(`ghost: oops in a timer callback: ${(e as Error)?.stack ?? e}\n`);
  }
}
