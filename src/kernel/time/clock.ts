// The kernel's clocks. In `host` mode monotonic time follows the host's; in
// `virtual` mode it advances with retired instructions at a nominal rate and
// jumps over idle periods, so runs are reproducible.

export type ClockMode = "host" | "virtual";

export const NSEC_PER_SEC = 1_000_000_000;

export class Clock {
  // Offset added to monotonic time to get CLOCK_REALTIME.
  realtimeOffset: number;
  private readonly hostStart = performance.now();
  private idleSkipped = 0;
  private instret = 0;
  // Nominal speed of the virtual clock: instructions per second.
  readonly virtualHz: number;

  constructor(readonly mode: ClockMode, virtualHz = 100_000_000, bootRealtimeNs?: number) {
    this.virtualHz = virtualHz;
    const realNow = bootRealtimeNs ?? (mode === "virtual" ? 1_700_000_000 * NSEC_PER_SEC : Date.now() * 1e6);
    this.realtimeOffset = realNow;
  }

  // Retired instructions so far (virtual mode's time source).
  setInstret(n: number): void { this.instret = n; }

  // CLOCK_MONOTONIC in ns since boot.
  monotonic(): number {
    if (this.mode === "host") return Math.round((performance.now() - this.hostStart) * 1e6);
    return Math.floor(this.instret * (NSEC_PER_SEC / this.virtualHz)) + this.idleSkipped;
  }

  realtime(): number { return this.monotonic() + this.realtimeOffset; }

  // Virtual mode: idle time passes at once.
  skipTo(mono: number): void {
    const now = this.monotonic();
    if (this.mode === "virtual" && mono > now) this.idleSkipped += mono - now;
  }

  // ns of guest time one instruction represents (for the time CSR and CPU accounting).
  get nsPerInsn(): number { return NSEC_PER_SEC / this.virtualHz; }
}
