// The NTP state behind adjtimex(2) and clock_adjtime(CLOCK_REALTIME), kept
// as Linux's kernel/time/ntp.c keeps it: status, state, frequency, PLL
// offset, time constant, error estimates, the tick and adjtime()'s pending
// adjustment, with the same scaling, clamping and read-back rounding.
//
// What differs: Ghost's CLOCK_REALTIME follows the host (or the virtual
// clock) and is not steered by these values — the frequency, tick and
// offsets are kept and read back, and decay once per second as Linux's
// second_overflow() makes them decay, but the clock does not slew. Leap
// seconds are armed (TIME_INS/TIME_DEL) but never inserted. No PPS.

import {
  ADJ_ADJTIME, ADJ_ESTERROR, ADJ_FREQUENCY, ADJ_MAXERROR, ADJ_MICRO, ADJ_NANO, ADJ_OFFSET, ADJ_OFFSET_READONLY,
  ADJ_OFFSET_SINGLESHOT, ADJ_SETOFFSET, ADJ_STATUS, ADJ_TAI, ADJ_TICK, ADJ_TIMECONST, STA_CLOCKERR, STA_DEL, STA_FLL,
  STA_FREQHOLD, STA_INS, STA_MODE, STA_NANO, STA_PLL, STA_RONLY, STA_UNSYNC, TIME_DEL, TIME_ERROR, TIME_INS, TIME_OK,
} from "../../abi/timex.js";
import { EINVAL, EPERM } from "../../abi/errno.js";
import { kerr } from "../../lib/errors.js";

// Kernel-internal NTP parameters (include/linux/timex.h, kernel/time/ntp.c).
/** The tick rate user space counts in (AT_CLKTCK). */
export const USER_HZ = 100;
/** Ghost's kernel tick rate (TICK_NSEC is 1 ms): NTP_INTERVAL_FREQ. */
const NTP_INTERVAL_FREQ = 1000n;
const NTP_SCALE_SHIFT = 32n;
const SHIFT_PLL = 2;
const SHIFT_FLL = 2n;
const SHIFT_USEC = 16n;
const MINSEC = 256;
const MAXSEC = 2048;
const MAXTC = 10;
const MAXPHASE = 500_000_000; // ns
const MAXFREQ = 500_000n; // ns/s
const MAXFREQ_SCALED = MAXFREQ << NTP_SCALE_SHIFT;
const NSEC_PER_USEC = 1000;
const PPM_SCALE = 1000n << (NTP_SCALE_SHIFT - SHIFT_USEC);
const PPM_SCALE_INV_SHIFT = 19n;
const PPM_SCALE_INV = (1n << (PPM_SCALE_INV_SHIFT + NTP_SCALE_SHIFT)) / PPM_SCALE + 1n;
/** usec: MAXPHASE in usec << 5. */
const NTP_PHASE_LIMIT = (MAXPHASE / NSEC_PER_USEC) << 5;
const MAX_TICKADJ = 500; // usec of adjtime() applied per second
const MAX_TAI_OFFSET = 100_000;
const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);

/** struct timex's fields as the syscall reads and writes them (times in the units the modes say). */
export interface Timex {
  modes: number;
  offset: bigint;
  freq: bigint;
  maxerror: bigint;
  esterror: bigint;
  status: number;
  constant: bigint;
  precision: number;
  tolerance: number;
  timeSec: bigint;
  timeUsec: bigint;
  tick: bigint;
  tai: number;
}

// Linux's shift_right(): an arithmetic shift that rounds toward zero for negative values.
function shiftRight(x: bigint, s: bigint): bigint {
  return x < 0n ? -(-x >> s) : x >> s;
}
function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}

export class Ntp {
  private timeState = TIME_OK;
  private timeStatus = STA_UNSYNC;
  /** PLL phase offset, scaled as Linux's time_offset (ns << 32 per tick). */
  private timeOffset = 0n;
  private timeConstant = 2n;
  private timeMaxerror = BigInt(NTP_PHASE_LIMIT);
  private timeEsterror = BigInt(NTP_PHASE_LIMIT);
  /** Frequency offset, scaled ns/s << 32. */
  private timeFreq = 0n;
  private timeReftime = 0;
  /** adjtime()'s adjustment still to apply (usec). */
  private timeAdjust = 0n;
  private tickUsec = BigInt(1_000_000 / USER_HZ);
  /** The realtime second up to which secondOverflow has run; null until the first call. */
  private lastSecond: number | null = null;

  // As Linux's timekeeping_validate_timex: a guest's bad request, before anything changes.
  static validate(txc: Timex, capSysTime: boolean): void {
    if (txc.modes & ADJ_ADJTIME) {
      // adjtime()'s modes go alone: ADJ_OFFSET_SINGLESHOT or ADJ_OFFSET_SS_READ.
      if (!(txc.modes & (ADJ_OFFSET_SINGLESHOT & ~ADJ_ADJTIME))) kerr(EINVAL);
      if (!(txc.modes & ADJ_OFFSET_READONLY) && !capSysTime) kerr(EPERM);
    } else {
      if (txc.modes && !capSysTime) kerr(EPERM);
      // The tick may be off by 10% at most.
      const lo = BigInt(Math.trunc(900_000 / USER_HZ)), hi = BigInt(Math.trunc(1_100_000 / USER_HZ));
      if (txc.modes & ADJ_TICK && (txc.tick < lo || txc.tick > hi)) kerr(EINVAL);
    }
    if (txc.modes & ADJ_SETOFFSET) {
      if (!capSysTime) kerr(EPERM);
      const limit = txc.modes & ADJ_NANO ? 1_000_000_000n : 1_000_000n;
      if (txc.timeUsec < 0n || txc.timeUsec >= limit) kerr(EINVAL);
    }
    // time_freq = freq * PPM_SCALE must not overflow.
    if (txc.modes & ADJ_FREQUENCY && (txc.freq < LLONG_MIN / PPM_SCALE || txc.freq > LLONG_MAX / PPM_SCALE)) kerr(EINVAL);
  }

  /**
   * The state change and read-back of __do_adjtimex, at realtime `nowNs`
   * (after any ADJ_SETOFFSET step). `tai` is the current TAI offset in
   * seconds; the new one is returned in txc.tai. Returns the clock state.
   */
  adjtimex(txc: Timex, nowNs: number, tai: number): number {
    const nowSec = Math.floor(nowNs / 1e9);
    this.secondOverflow(nowSec);
    if (txc.modes & ADJ_ADJTIME) {
      const saved = this.timeAdjust;
      if (!(txc.modes & ADJ_OFFSET_READONLY)) this.timeAdjust = txc.offset;
      txc.offset = saved;
    } else {
      if (txc.modes) tai = this.processModes(txc, nowSec, tai);
      const ns = shiftRight(this.timeOffset * NTP_INTERVAL_FREQ, NTP_SCALE_SHIFT);
      // div_s64: truncation toward zero (BigInt division already truncates).
      txc.offset = this.timeStatus & STA_NANO ? ns : ns / BigInt(NSEC_PER_USEC);
    }
    const error = (this.timeStatus & (STA_UNSYNC | STA_CLOCKERR)) !== 0;
    txc.freq = shiftRight((this.timeFreq >> PPM_SCALE_INV_SHIFT) * PPM_SCALE_INV, NTP_SCALE_SHIFT);
    txc.maxerror = this.timeMaxerror;
    txc.esterror = this.timeEsterror;
    txc.status = this.timeStatus;
    txc.constant = this.timeConstant;
    txc.precision = 1;
    txc.tolerance = Number(MAXFREQ_SCALED / PPM_SCALE);
    txc.tick = this.tickUsec;
    txc.tai = tai;
    const nsec = BigInt(nowNs - nowSec * 1e9);
    txc.timeSec = BigInt(nowSec);
    txc.timeUsec = this.timeStatus & STA_NANO ? nsec : nsec / BigInt(NSEC_PER_USEC);
    return error ? TIME_ERROR : this.timeState;
  }

  private processModes(txc: Timex, nowSec: number, tai: number): number {
    if (txc.modes & ADJ_STATUS) {
      // Turning the PLL off resets the state; turning it on starts a new reference time.
      if (this.timeStatus & STA_PLL && !(txc.status & STA_PLL)) {
        this.timeState = TIME_OK;
        this.timeStatus = STA_UNSYNC;
      }
      if (!(this.timeStatus & STA_PLL) && txc.status & STA_PLL) this.timeReftime = nowSec;
      this.timeStatus = (this.timeStatus & STA_RONLY) | (txc.status & ~STA_RONLY);
    }
    if (txc.modes & ADJ_NANO) this.timeStatus |= STA_NANO;
    if (txc.modes & ADJ_MICRO) this.timeStatus &= ~STA_NANO;
    if (txc.modes & ADJ_FREQUENCY) this.timeFreq = clamp(txc.freq * PPM_SCALE, -MAXFREQ_SCALED, MAXFREQ_SCALED);
    const limit = BigInt(NTP_PHASE_LIMIT);
    if (txc.modes & ADJ_MAXERROR) this.timeMaxerror = clamp(txc.maxerror, 0n, limit);
    if (txc.modes & ADJ_ESTERROR) this.timeEsterror = clamp(txc.esterror, 0n, limit);
    if (txc.modes & ADJ_TIMECONST) {
      // In microsecond mode the constant is given 4 lower (the old NTP API's scale).
      let c = clamp(txc.constant, 0n, BigInt(MAXTC));
      if (!(this.timeStatus & STA_NANO)) c += 4n;
      this.timeConstant = clamp(c, 0n, BigInt(MAXTC));
    }
    if (txc.modes & ADJ_TAI && txc.constant >= 0n && txc.constant <= BigInt(MAX_TAI_OFFSET)) tai = Number(txc.constant);
    if (txc.modes & ADJ_OFFSET) this.updateOffset(txc.offset, nowSec);
    if (txc.modes & ADJ_TICK) this.tickUsec = txc.tick;
    return tai;
  }

  // As ntp_update_offset: only with the PLL on; the offset steers the frequency (PLL, or FLL past MINSEC).
  private updateOffset(offsetIn: bigint, nowSec: number): void {
    if (!(this.timeStatus & STA_PLL)) return;
    let offset = offsetIn;
    if (!(this.timeStatus & STA_NANO)) offset = clamp(offset, -1_000_000n, 1_000_000n) * BigInt(NSEC_PER_USEC);
    offset = clamp(offset, BigInt(-MAXPHASE), BigInt(MAXPHASE));
    let secs = this.timeStatus & STA_FREQHOLD ? 0 : nowSec - this.timeReftime;
    this.timeReftime = nowSec;
    // ntp_update_offset_fll
    let freqAdj = 0n;
    this.timeStatus &= ~STA_MODE;
    if (secs >= MINSEC && (this.timeStatus & STA_FLL || secs > MAXSEC)) {
      this.timeStatus |= STA_MODE;
      freqAdj = (offset << (NTP_SCALE_SHIFT - SHIFT_FLL)) / BigInt(secs);
    }
    const tc = Number(this.timeConstant);
    secs = Math.min(secs, 1 << (SHIFT_PLL + 1 + tc));
    freqAdj += (offset * BigInt(secs)) << (NTP_SCALE_SHIFT - BigInt(2 * (SHIFT_PLL + 2 + tc)));
    this.timeFreq = clamp(freqAdj + this.timeFreq, -MAXFREQ_SCALED, MAXFREQ_SCALED);
    this.timeOffset = (offset << NTP_SCALE_SHIFT) / NTP_INTERVAL_FREQ;
  }

  // What Linux's second_overflow() does once a second, done here for every
  // realtime second passed since the last call: maxerror grows (past the
  // limit the clock is unsynchronised), the PLL offset and adjtime()'s
  // adjustment are used up, armed leap states follow the status bits.
  private secondOverflow(nowSec: number): void {
    const last = this.lastSecond;
    this.lastSecond = nowSec;
    if (last === null || nowSec <= last) return;
    const n = nowSec - last;
    if (this.timeState === TIME_OK) {
      if (this.timeStatus & STA_INS) this.timeState = TIME_INS;
      else if (this.timeStatus & STA_DEL) this.timeState = TIME_DEL;
    } else if ((this.timeState === TIME_INS && !(this.timeStatus & STA_INS)) || (this.timeState === TIME_DEL && !(this.timeStatus & STA_DEL))) {
      this.timeState = TIME_OK;
    }
    this.timeMaxerror += BigInt(n) * (MAXFREQ / BigInt(NSEC_PER_USEC));
    if (this.timeMaxerror > BigInt(NTP_PHASE_LIMIT)) {
      this.timeMaxerror = BigInt(NTP_PHASE_LIMIT);
      this.timeStatus |= STA_UNSYNC;
    }
    const shift = BigInt(SHIFT_PLL) + this.timeConstant;
    for (let i = 0; i < n && this.timeOffset !== 0n; i++) {
      const delta = shiftRight(this.timeOffset, shift);
      if (delta === 0n) break;
      this.timeOffset -= delta;
    }
    // adjtime() slews MAX_TICKADJ usec a second; the last piece, smaller, goes in one second.
    const used = BigInt(n) * BigInt(MAX_TICKADJ);
    if (this.timeAdjust > used) this.timeAdjust -= used;
    else if (this.timeAdjust < -used) this.timeAdjust += used;
    else this.timeAdjust = 0n;
  }
}
