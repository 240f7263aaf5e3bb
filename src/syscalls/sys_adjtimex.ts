// adjtimex and clock_adjtime: decode struct timex, step CLOCK_REALTIME for
// ADJ_SETOFFSET, and let the NTP state (kernel/time/ntp.ts) do the rest.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, EOPNOTSUPP } from "../abi/errno.js";
import { CLOCK_REALTIME, CLOCK_TAI, CLOCKFD, CLOCKFD_MASK, CLOCK_SGI_CYCLE } from "../abi/time.js";
import { timex, ADJ_SETOFFSET, ADJ_NANO } from "../abi/timex.js";
import { CAP_SYS_TIME } from "../abi/prctl.js";
import { hasCap } from "../kernel/cred.js";
import { Ntp, type Timex } from "../kernel/time/ntp.js";
import { NSEC_PER_SEC } from "../kernel/time/clock.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { i32Arg } from "./args.js";
import type { Task } from "../kernel/task.js";

// KTIME_SEC_MAX less 30 years of uptime: the latest wall time that may be set (timespec64_valid_settod).
const SETTOD_SEC_MAX = 9_223_372_036 - 30 * 365 * 24 * 3600;

function decode(dv: DataView): Timex {
  const big = (f: Parameters<typeof timex.getBig>[2]) => timex.getBig(dv, 0, f);
  return {
    modes: timex.get(dv, 0, "modes"), offset: big("offset"), freq: big("freq"), maxerror: big("maxerror"),
    esterror: big("esterror"), status: timex.get(dv, 0, "status"), constant: big("constant"),
    precision: timex.get(dv, 0, "precision"), tolerance: timex.get(dv, 0, "tolerance"), timeSec: big("time_sec"),
    timeUsec: big("time_usec"), tick: big("tick"), tai: timex.get(dv, 0, "tai"),
  };
}

function encode(dv: DataView, x: Timex): void {
  // PPS is not implemented: its fields read 0, as Linux without CONFIG_NTP_PPS.
  timex.write(dv, 0, {
    offset: x.offset, freq: x.freq, maxerror: x.maxerror, esterror: x.esterror, status: x.status, constant: x.constant,
    precision: x.precision, tolerance: x.tolerance, time_sec: x.timeSec, time_usec: x.timeUsec, tick: x.tick,
    ppsfreq: 0, jitter: 0, shift: 0, stabil: 0, jitcnt: 0, calcnt: 0, errcnt: 0, stbcnt: 0, tai: x.tai,
  });
}

// As Linux's do_adjtimex for CLOCK_REALTIME.
function doAdjtimex(t: Task, x: Timex): number {
  const clock = t.k.clock;
  Ntp.validate(x, hasCap(t.cred, CAP_SYS_TIME));
  if (x.modes & ADJ_SETOFFSET) {
    // timekeeping_inject_offset: the wall clock may not go before boot nor past the settable range.
    const delta = Number(x.timeSec) * NSEC_PER_SEC + Number(x.modes & ADJ_NANO ? x.timeUsec : x.timeUsec * 1000n);
    const to = clock.realtime() + delta;
    if (clock.realtimeOffset + delta < 0 || to / NSEC_PER_SEC >= SETTOD_SEC_MAX) kerr(EINVAL);
    clock.setRealtime(to);
  }
  x.tai = Math.round(clock.taiOffset / NSEC_PER_SEC);
  const tai = x.tai;
  const state = clock.ntp.adjtimex(x, clock.realtime(), tai);
  if (x.tai !== tai) clock.taiOffset = x.tai * NSEC_PER_SEC;
  return state;
}

defineSyscalls({
  adjtimex: [(t, va) => {
    const b = um(t).read(va, timex.size);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const x = decode(dv);
    // As Linux's sys_adjtimex, the struct goes back also when the call fails (unchanged then).
    let r: number;
    try {
      r = doAdjtimex(t, x);
      encode(dv, x);
    } catch (e) {
      if (e instanceof KernelError) um(t).write(va, b);
      throw e;
    }
    um(t).write(va, b);
    return r;
  }, "partial", "the NTP state is kept and read back as Linux's (frequency, PLL offset, errors, tick, adjtime), but CLOCK_REALTIME is not slewed by it; ADJ_SETOFFSET steps it; leap seconds are armed, never inserted; no PPS"],
  clock_adjtime: [(t, clock, va) => {
    const c = i32Arg(clock);
    const b = um(t).read(va, timex.size);
    // As do_clock_adjtime: a clock that does not exist is EINVAL, one without clock_adj EOPNOTSUPP.
    // Ghost has no dynamic (posix-clock device) clocks; CPU clocks have no clock_adj.
    if (c < 0) kerr((c & CLOCKFD_MASK) === CLOCKFD ? EINVAL : EOPNOTSUPP);
    if (c > CLOCK_TAI || c === CLOCK_SGI_CYCLE) kerr(EINVAL);
    if (c !== CLOCK_REALTIME) kerr(EOPNOTSUPP);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const x = decode(dv);
    const r = doAdjtimex(t, x);
    encode(dv, x);
    um(t).write(va, b);
    return r;
  }, "partial", "CLOCK_REALTIME only, as adjtimex; other clocks EOPNOTSUPP (EINVAL for clocks that do not exist)"],
});
