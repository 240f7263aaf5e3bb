// The load average (kernel/sched/loadavg.c): every LOAD_FREQ (5 s and one
// tick) the number of active tasks (runnable plus uninterruptible) is
// sampled and folded into three exponentially decaying averages with 1, 5
// and 15 minute time constants, in 11-bit fixed point. Missed windows (an
// idle, tickless stretch) are folded in at once with the decay raised to
// their number.

export const FSHIFT = 11;
export const FIXED_1 = 1 << FSHIFT;
export const LOAD_FREQ_TICKS = 5 * 1000 + 1; // 5 s of jiffies at HZ=1000, plus one
export const EXP_1 = 1884; // 1/exp(5s/1min) in fixed point
export const EXP_5 = 2014; // 1/exp(5s/5min)
export const EXP_15 = 2037; // 1/exp(5s/15min)

// a1 = a0 * e + a * (1 - e), rounded up when the load rises.
export function calcLoad(load: number, exp: number, active: number): number {
  let newload = load * exp + active * (FIXED_1 - exp);
  if (active >= load) newload += FIXED_1 - 1;
  return Math.floor(newload / FIXED_1);
}

// x^n in fixed point (frac bits), by squaring.
export function fixedPowerInt(x: number, frac: number, n: number): number {
  let result = 1 << frac;
  if (n) {
    for (;;) {
      if (n & 1) {
        result = result * x + (1 << (frac - 1));
        result = Math.floor(result / 2 ** frac);
      }
      n >>>= 1;
      if (!n) break;
      x = x * x + (1 << (frac - 1));
      x = Math.floor(x / 2 ** frac);
    }
  }
  return result;
}

// n windows at once: a_n = a_0 * e^n + a * (1 - e^n).
export function calcLoadN(load: number, exp: number, active: number, n: number): number {
  return calcLoad(load, fixedPowerInt(exp, FSHIFT, n), active);
}

export class LoadAvg {
  readonly avenrun = [0, 0, 0];
  // Jiffy of the next sample.
  private nextSample = LOAD_FREQ_TICKS;

  // Whether a sample is due at these jiffies: the tick counts the active
  // tasks only then (as Linux's calc_global_load_tick returns before
  // looking while jiffies is before calc_load_update), not at every tick.
  due(jiffies: number): boolean { return jiffies >= this.nextSample; }

  // Called with the current jiffies and the active count (runnable plus
  // uninterruptible tasks) at each tick, and on the way out of idle.
  update(jiffies: number, active: number): void {
    if (jiffies < this.nextSample) return;
    const n = 1 + Math.floor((jiffies - this.nextSample) / LOAD_FREQ_TICKS);
    const a = active * FIXED_1;
    if (n === 1) {
      this.avenrun[0] = calcLoad(this.avenrun[0], EXP_1, a);
      this.avenrun[1] = calcLoad(this.avenrun[1], EXP_5, a);
      this.avenrun[2] = calcLoad(this.avenrun[2], EXP_15, a);
    } else {
      this.avenrun[0] = calcLoadN(this.avenrun[0], EXP_1, a, n);
      this.avenrun[1] = calcLoadN(this.avenrun[1], EXP_5, a, n);
      this.avenrun[2] = calcLoadN(this.avenrun[2], EXP_15, a, n);
    }
    this.nextSample += n * LOAD_FREQ_TICKS;
  }

  // "0.42" for each average, rounded as /proc/loadavg does.
  formatted(): string[] {
    return this.avenrun.map((v) => {
      const x = v + Math.floor(FIXED_1 / 200);
      return `${x >> FSHIFT}.${String(((x & (FIXED_1 - 1)) * 100) >> FSHIFT).padStart(2, "0")}`;
    });
  }

  // sysinfo(2)'s loads: avenrun << (SI_LOAD_SHIFT - FSHIFT).
  sysinfoLoads(): number[] { return this.avenrun.map((v) => v * 32); }
}
