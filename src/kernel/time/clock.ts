// The kernel's clocks. In `host` mode monotonic time follows the host's; in
// `virtual` mode it advances with retired instructions at a nominal rate and
// jumps over idle periods, so runs are reproducible.

import { Ntp } from "./ntp.js";

export type ClockMode = "host" | "virtual";

export const NSEC_PER_SEC = 1_000_000_000;
// The tick period at HZ=1000: the resolution of the coarse clocks and jiffies.
export const TICK_NSEC = 1_000_000;
// Wall-clock start of a virtual-clock run: fixed, so runs are reproducible.
export const VIRTUAL_BOOT_REALTIME = 1_700_000_000 * NSEC_PER_SEC;

export class Clock {
  // Offset added to monotonic time to get CLOCK_REALTIME.
  realtimeOffset: number;
  // CLOCK_TAI - CLOCK_REALTIME.
  taiOffset = 37 * NSEC_PER_SEC;
  // adjtimex's NTP state for CLOCK_REALTIME (kept and read back; it does not steer the clock).
  readonly ntp = new Ntp();
  // The kernel's timezone (settimeofday/gettimeofday).
  tzMinutesWest = 0;
  tzDstTime = 0;
  // Called after CLOCK_REALTIME was set (absolute realtime timers move with it).
  // Called with how far CLOCK_REALTIME moved against CLOCK_MONOTONIC (ns).
  onClockWasSet: ((delta: number) => void) | null = null;
  private readonly hostStart = performance.now();
  private idleSkipped = 0;
  private instret = 0;
  // Nominal speed of the virtual clock: instructions per second.
  readonly virtualHz: number;

  constructor(readonly mode: ClockMode, virtualHz = 100_000_000, bootRealtimeNs?: number) {
    this.virtualHz = virtualHz;
    const realNow = bootRealtimeNs ?? (mode === "virtual" ? VIRTUAL_BOOT_REALTIME : Date.now() * 1e6);
    this.realtimeOffset = realNow;
  }

  // Retired instructions so far (virtual mode's time source).
  setInstret(n: number): void { this.instret = n; }

  // The last CLOCK_MONOTONIC this clock computed (monotonic(), monotonicAt()):
  // at most a run slice old while the kernel runs. For checks that tolerate
  // that (relatime's day), without a read of the host clock.
  lastMonotonic = 0;

  // CLOCK_MONOTONIC in ns since boot.
  monotonic(): number {
    const ns = this.mode === "host"
      ? Math.round((performance.now() - this.hostStart) * 1e6)
      : Math.floor(this.instret * (NSEC_PER_SEC / this.virtualHz)) + this.idleSkipped;
    return this.lastMonotonic = ns;
  }

  // CLOCK_MONOTONIC at host time `hostMs` (a performance.now() the caller
  // already read: the run loop reads the host clock once per trap and derives
  // everything from it). Virtual mode does not look at the host's time.
  monotonicAt(hostMs: number): number {
    if (this.mode === "host") return this.lastMonotonic = Math.round((hostMs - this.hostStart) * 1e6);
    return this.monotonic();
  }

  realtime(): number { return this.monotonic() + this.realtimeOffset; }
  // CLOCK_REALTIME as of lastMonotonic (no clock read).
  realtimeLast(): number { return this.lastMonotonic + this.realtimeOffset; }

  // The COARSE clocks: the time at the last tick.
  monotonicCoarse(): number { return Math.floor(this.monotonic() / TICK_NSEC) * TICK_NSEC; }
  realtimeCoarse(): number { return this.monotonicCoarse() + this.realtimeOffset; }

  // Jiffies since boot (HZ=1000).
  jiffies(): number { return Math.floor(this.monotonic() / TICK_NSEC); }

  // clock_settime(CLOCK_REALTIME) / settimeofday: monotonic time is untouched.
  setRealtime(ns: number): void {
    const old = this.realtimeOffset;
    this.realtimeOffset = ns - this.monotonic();
    this.onClockWasSet?.(this.realtimeOffset - old);
  }

  // Virtual mode: idle time passes at once.
  skipTo(mono: number): void {
    const now = this.monotonic();
    if (this.mode === "virtual" && mono > now) this.idleSkipped += mono - now;
  }

  // ns of guest time one instruction represents (for the time CSR and CPU accounting).
  get nsPerInsn(): number { return NSEC_PER_SEC / this.virtualHz; }
}
