// The timer subsystem of one CPU: the hrtimer clock bases, the timer wheel
// for coarse timeouts, and the periodic tick (HZ=1000), itself an hrtimer.
//
// - add(deadline, fn): an exact hrtimer on CLOCK_MONOTONIC (deadline in
//   monotonic ns). nanosleep, clock_nanosleep, timerfd and POSIX timers.
// - addHr(base, expires, fn): an hrtimer on another clock base, expiry in
//   that clock's time (absolute CLOCK_REALTIME sleeps follow clock_settime).
// - addCoarse(deadline, fn): a timer-wheel timeout, rounded up to a jiffy
//   and to its wheel level's granularity. poll/epoll/futex/… timeouts.
//
// The tick runs only while the CPU is busy (NO_HZ idle): next() — what the
// idle loop sleeps until — leaves it out; nextEvent() — how far the hart may
// run before the kernel must look at the timers again — includes it.

import { Hrtimer, HrtimerBase, type ClockBaseId, type TimerHandle } from "./hrtimer.js";
import { TimerWheel, runTimerFn } from "./wheel.js";
import type { Clock } from "./clock.js";

export type { TimerHandle, ClockBaseId };

export const HZ = 1000;
export const TICK_NSEC = 1_000_000_000 / HZ;

export function jiffiesOf(monoNs: number): number { return Math.floor(monoNs / TICK_NSEC); }

export class TimerQueue {
  readonly bases: Record<ClockBaseId, HrtimerBase>;
  readonly wheel = new TimerWheel();
  private seq = 0;
  private clock: Clock | null = null;
  private tick: Hrtimer | null = null;
  // The tick lives on a base of its own so the idle loop can leave it out.
  private readonly tickBase = new HrtimerBase("monotonic", () => 0);
  private readonly all: HrtimerBase[];
  private tickFn: (() => void) | null = null;
  // Count of expirations of the tick (for tests and /proc).
  ticks = 0;
  // Bumped whenever a timer is armed: while it and the time stay the same,
  // nothing new can be due and the next event cannot come sooner (the run
  // loop then skips expire() and reuses its budget after a cheap syscall).
  // A cancelled timer only makes the next event later.
  gen = 0;

  constructor(clock?: Clock) {
    const realOffset = () => (this.clock ? this.clock.realtimeOffset : 0);
    this.bases = {
      monotonic: new HrtimerBase("monotonic", () => 0),
      boottime: new HrtimerBase("boottime", () => 0),
      realtime: new HrtimerBase("realtime", realOffset),
      tai: new HrtimerBase("tai", () => realOffset() + (this.clock ? this.clock.taiOffset : 0)),
    };
    this.all = [...Object.values(this.bases), this.tickBase];
    if (clock) this.attach(clock);
  }

  attach(clock: Clock): void { this.clock = clock; }

  private now(): number { return this.clock ? this.clock.monotonic() : 0; }

  // An exact timer at a CLOCK_MONOTONIC deadline.
  add(deadline: number, fn: () => void): TimerHandle { return this.addHr("monotonic", deadline, fn); }

  addHr(base: ClockBaseId, expires: number, fn: () => void): Hrtimer {
    const b = this.bases[base];
    const t = new Hrtimer(b, expires, fn, this.seq++);
    b.add(t);
    this.gen++;
    return t;
  }

  // A coarse timeout on the timer wheel; `deadline` is monotonic ns.
  addCoarse(deadline: number, fn: () => void): TimerHandle {
    const expires = Math.ceil(deadline / TICK_NSEC);
    this.gen++;
    const w = this.wheel.add(expires, fn, jiffiesOf(this.now()));
    return { cancel: () => w.cancel(), get deadline() { return w.bucketExpiry * TICK_NSEC; } };
  }

  // Starts the periodic tick; `fn` runs at every jiffy boundary while armed.
  startTick(fn: () => void): void {
    this.tickFn = fn;
    if (!this.tick) this.armTick();
  }

  private armTick(): void {
    // hrtimer_forward: the next period boundary after now (missed ones are skipped).
    this.tick = new Hrtimer(this.tickBase, (jiffiesOf(this.now()) + 1) * TICK_NSEC, () => this.onTick(), this.seq++);
    this.tickBase.add(this.tick);
    this.gen++;
  }

  private onTick(): void {
    this.ticks++;
    this.armTick();
    this.tickFn?.();
  }

  // The earliest hrtimer, in monotonic ns, optionally leaving out the tick.
  private nextHr(skipTick: boolean): number {
    let m = Infinity;
    // Indexed loops here and in expire: both run at every trap, and for-of
    // left an iterator object per call in the profile.
    const all = this.all;
    for (let i = 0; i < all.length; i++) {
      const b = all[i];
      if (b === this.tickBase) continue;
      const f = b.first();
      if (f && f.deadline < m) m = f.deadline;
    }
    if (!skipTick && this.tick && this.tick.deadline < m) m = this.tick.deadline;
    return m;
  }

  // When the idle CPU must wake: the earliest timer other than the tick.
  next(): number {
    const w = this.wheel.nextExpiry();
    return Math.min(this.nextHr(true), w === Infinity ? Infinity : w * TICK_NSEC);
  }

  // The next event the running CPU must stop for (the tick included).
  nextEvent(): number {
    const w = this.wheel.nextExpiry();
    return Math.min(this.nextHr(false), w === Infinity ? Infinity : w * TICK_NSEC);
  }

  // Instructions the hart may retire before the next event, at `nsPerInsn`,
  // at least 1 and at most `max`; `now` is the monotonic time if the caller
  // has just read it.
  budget(max: number, nsPerInsn: number, now?: number): number {
    const next = this.nextEvent();
    if (next === Infinity) return max;
    const n = Math.ceil((next - (now ?? this.now())) / nsPerInsn);
    return Math.max(1, Math.min(max, n));
  }

  // Runs every timer due at `now` (monotonic ns): hrtimers in expiry order,
  // then the wheel up to the current jiffy.
  expire(now: number): number {
    // Nothing armed since the last full pass, the clocks not set, and still
    // before what that pass found next (at most its next jiffy, where the
    // wheel moves on): nothing can be due. The run loop calls this at
    // every switch; the full pass reads every base and the wheel.
    const c = this.clock;
    if (this.gen === this.quietGen && now < this.quietUntil && (c === null || (c.realtimeOffset === this.quietReal && c.taiOffset === this.quietTai))) return 0;
    const n = this.expireAll(now);
    this.quietGen = this.gen;
    this.quietUntil = Math.min(this.nextEvent(), (jiffiesOf(now) + 1) * TICK_NSEC);
    if (c) { this.quietReal = c.realtimeOffset; this.quietTai = c.taiOffset; }
    return n;
  }
  // What expire() saw last: the timers' generation, the time before which
  // nothing was due, and the clock offsets the realtime and tai bases had.
  private quietGen = -1;
  private quietUntil = -Infinity;
  private quietReal = 0;
  private quietTai = 0;

  private expireAll(now: number): number {
    let n = 0;
    for (;;) {
      let best: Hrtimer | null = null;
      const all = this.all;
      for (let i = 0; i < all.length; i++) {
        const f = all[i].first();
        if (f && f.deadline <= now && (!best || f.deadline < best.deadline || (f.deadline === best.deadline && f.seq < best.seq))) best = f;
      }
      if (!best) break;
      best.base.remove(best);
      runTimerFn(best.fn);
      n++;
    }
    n += this.wheel.run(jiffiesOf(now));
    return n;
  }
}

