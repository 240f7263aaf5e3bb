// Clocks and sleeps: clock_gettime/getres/settime, gettimeofday,
// settimeofday, nanosleep, clock_nanosleep. CPU-time clocks read the
// task's accounted runtime. Sleeps are exact hrtimers; an absolute
// CLOCK_REALTIME sleep sits on the REALTIME base and follows clock changes.

import { kerr } from "../lib/errors.js";
import { EINVAL, EFAULT, EOPNOTSUPP, EPERM, ERESTART_RESTARTBLOCK, ERESTARTNOHAND } from "../abi/errno.js";
import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
  TIMER_ABSTIME, timespec, timeval, timezone, CPUCLOCK_PERTHREAD_MASK, CPUCLOCK_CLOCK_MASK, CPUCLOCK_SCHED,
} from "../abi/time.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf, type RestartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { TICK_NSEC } from "../kernel/time/clock.js";
import type { ClockBaseId } from "../kernel/time/timers.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import { i32Arg } from "./args.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_TIME } from "../abi/prctl.js";

const NS = 1_000_000_000;
// KTIME_SEC_MAX less 30 years of uptime: the latest wall time that may be set.
const SETTOD_SEC_MAX = 9_223_372_036 - 30 * 365 * 24 * 3600;

function groupCpu(g: ThreadGroup): number {
  let n = g.deadUtime + g.deadStime;
  for (const th of g.threads) n += th.utime + th.stime;
  return n;
}

// The task or process a CPU-time clock id names (~pid << 3 | flags), as
// Linux's lookup_task: a thread clock must be of the caller's own process.
function cpuClockTarget(t: Task, clock: number): { thread: Task | null; group: ThreadGroup } {
  if ((clock & CPUCLOCK_CLOCK_MASK) === 3) kerr(EINVAL);
  const id = ~(clock >> 3);
  if (clock & CPUCLOCK_PERTHREAD_MASK) {
    const o = id === 0 ? t : t.k.tasks.get(id);
    if (!o || o.tg !== t.tg) kerr(EINVAL);
    return { thread: o, group: o.tg };
  }
  if (id === 0) return { thread: null, group: t.tg };
  const g = t.k.tasks.get(id)?.tg ?? t.k.groups.get(id);
  if (!g) kerr(EINVAL);
  return { thread: null, group: g };
}

// A clock's current value in ns; EINVAL for clocks that do not exist.
export function clockNow(t: Task, clock: number): number {
  const c = t.k.clock;
  if (clock < 0) {
    const { thread, group } = cpuClockTarget(t, clock);
    return thread ? thread.utime + thread.stime : groupCpu(group);
  }
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_ALARM: return c.realtime();
    case CLOCK_REALTIME_COARSE: return c.realtimeCoarse();
    case CLOCK_TAI: return c.realtime() + c.taiOffset;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM: return c.monotonic();
    case CLOCK_MONOTONIC_COARSE: return c.monotonicCoarse();
    case CLOCK_PROCESS_CPUTIME_ID: return groupCpu(t.tg);
    case CLOCK_THREAD_CPUTIME_ID: return t.utime + t.stime;
    default: return kerr(EINVAL);
  }
}

// clock_getres: 1 ns for the high-resolution clocks and the scheduler's CPU
// clocks, a tick for the coarse ones and the PROF/VIRT CPU clocks.
function clockRes(t: Task, clock: number): number {
  if (clock < 0) {
    cpuClockTarget(t, clock);
    return (clock & CPUCLOCK_CLOCK_MASK) === CPUCLOCK_SCHED ? 1 : TICK_NSEC;
  }
  clockNow(t, clock);
  return clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE ? TICK_NSEC : 1;
}

export function writeTimespec(t: Task, va: number, ns: number): void {
  const b = new Uint8Array(timespec.size);
  const dv = new DataView(b.buffer);
  timespec.write(dv, 0, { tv_sec: Math.floor(ns / NS), tv_nsec: ns % NS });
  um(t).write(va, b);
}

// A struct timespec from user memory, validated (EINVAL for bad tv_nsec or negative seconds).
export function readTimespec(t: Task, va: number, allowNegative = false): number {
  const dv = new DataView(um(t).read(va, timespec.size).buffer);
  const sec = timespec.getBig(dv, 0, "tv_sec");
  const nsec = timespec.getBig(dv, 0, "tv_nsec");
  if (nsec < 0n || nsec >= 1_000_000_000n || (!allowNegative && sec < 0n)) kerr(EINVAL);
  const s = sec > 1n << 40n ? 1 << 30 * 1 : Number(sec);
  return s * NS + Number(nsec);
}

// A parked sleep: which clock base its hrtimer is on, and when it expires
// in that clock's time.
type SleepState = RestartOf<"nanosleep">;

function baseNow(t: Task, base: ClockBaseId): number {
  const c = t.k.clock;
  return base === "realtime" ? c.realtime() : base === "tai" ? c.realtime() + c.taiOffset : c.monotonic();
}

// Sleeps until the state's expiry; kept across restarts.
function sleepUntil(t: Task, st: SleepState, remVa: number): number {
  if (baseNow(t, st.base) >= st.expires) return 0;
  t.restart = st;
  t.restartCode = remVa ? ERESTART_RESTARTBLOCK : ERESTARTNOHAND;
  if (remVa) t.pendingRemaining = { va: remVa, deadline: st.expires };
  t.wakeTimer = t.k.timers.addHr(st.base, st.expires, () => { t.timedOut = true; t.wake(); });
  return sleepOn(t, []);
}

function nanosleep(t: Task, clock: number, flags: number, reqVa: number, remVa: number): number {
  let st = restartOf(t, "nanosleep");
  if (st === null) {
    const req = readTimespec(t, reqVa);
    if (flags & TIMER_ABSTIME) {
      // Absolute: on the clock's own base (a relative sleep always counts monotonic time).
      const base: ClockBaseId = clock === CLOCK_REALTIME ? "realtime" : clock === CLOCK_TAI ? "tai" : clock === CLOCK_BOOTTIME ? "boottime" : "monotonic";
      st = { kind: "nanosleep", base, expires: req };
      remVa = 0;
    } else {
      st = { kind: "nanosleep", base: "monotonic", expires: t.k.clock.monotonic() + req };
    }
  }
  return sleepUntil(t, st, remVa);
}

// Setting the clock takes CAP_SYS_TIME (security_settime64's capable()), not uid 0.
function mayClockSet(t: Task): boolean { return hasCap(t.cred, CAP_SYS_TIME); }

defineSyscalls({
  clock_gettime: (t, clock, va) => { writeTimespec(t, va, clockNow(t, i32Arg(clock))); return 0; },
  clock_getres: (t, clock, va) => {
    const res = clockRes(t, i32Arg(clock));
    if (va) writeTimespec(t, va, res);
    return 0;
  },
  clock_settime: (t, clock, va) => {
    const c = i32Arg(clock);
    // Only CLOCK_REALTIME can be set. A CPU clock made by clock_getcpuclockid (negative id) never: EPERM once
    // the id is checked, as posix_cpu_clock_set; the fixed ids (CPUTIME ones included) have no clock_set in Linux: EINVAL.
    if (c < 0) { um(t).read(va, timespec.size); cpuClockTarget(t, c); kerr(EPERM); }
    if (c !== CLOCK_REALTIME) kerr(EINVAL);
    const dv = new DataView(um(t).read(va, timespec.size).buffer);
    const sec = timespec.getBig(dv, 0, "tv_sec"), nsec = timespec.getBig(dv, 0, "tv_nsec");
    if (sec < 0n || nsec < 0n || nsec >= BigInt(NS) || sec >= BigInt(SETTOD_SEC_MAX)) kerr(EINVAL);
    if (!mayClockSet(t)) kerr(EPERM);
    t.k.clock.setRealtime(Number(sec) * NS + Number(nsec));
    return 0;
  },
  gettimeofday: (t, tv, tz) => {
    if (tv) {
      const ns = t.k.clock.realtime();
      const b = new Uint8Array(timeval.size);
      timeval.write(new DataView(b.buffer), 0, { tv_sec: Math.floor(ns / NS), tv_usec: Math.floor((ns % NS) / 1000) });
      um(t).write(tv, b);
    }
    if (tz) {
      const b = new Uint8Array(timezone.size);
      timezone.write(new DataView(b.buffer), 0, { tz_minuteswest: t.k.clock.tzMinutesWest, tz_dsttime: t.k.clock.tzDstTime });
      um(t).write(tz, b);
    }
    return 0;
  },
  settimeofday: (t, tv, tz) => {
    let ns: number | null = null;
    if (tv) {
      const dv = new DataView(um(t).read(tv, timeval.size).buffer);
      const sec = timeval.getBig(dv, 0, "tv_sec"), usec = timeval.getBig(dv, 0, "tv_usec");
      if (usec > 1_000_000n || usec < 0n) kerr(EINVAL);
      if (sec < 0n || usec === 1_000_000n || sec >= BigInt(SETTOD_SEC_MAX)) kerr(EINVAL);
      ns = Number(sec) * NS + Number(usec) * 1000;
    }
    let zone: { west: number; dst: number } | null = null;
    if (tz) {
      const dv = new DataView(um(t).read(tz, timezone.size).buffer);
      zone = { west: timezone.get(dv, 0, "tz_minuteswest"), dst: timezone.get(dv, 0, "tz_dsttime") };
    }
    if (!mayClockSet(t)) kerr(EPERM);
    if (zone) {
      if (zone.west > 15 * 60 || zone.west < -15 * 60) kerr(EINVAL);
      t.k.clock.tzMinutesWest = zone.west;
      t.k.clock.tzDstTime = zone.dst;
    }
    if (ns !== null) t.k.clock.setRealtime(ns);
    return 0;
  },
  nanosleep: (t, req, rem) => nanosleep(t, CLOCK_MONOTONIC, 0, req, rem),
  clock_nanosleep: (t, clock, flags, req, rem) => {
    const c = i32Arg(clock);
    // As Linux: a clock that exists but has no sleep (its k_clock lacks nsleep) is EOPNOTSUPP.
    if (c === CLOCK_THREAD_CPUTIME_ID || c === CLOCK_MONOTONIC_RAW || c === CLOCK_REALTIME_COARSE || c === CLOCK_MONOTONIC_COARSE) kerr(EOPNOTSUPP);
    if (c !== CLOCK_REALTIME && c !== CLOCK_MONOTONIC && c !== CLOCK_BOOTTIME && c !== CLOCK_TAI && c !== CLOCK_PROCESS_CPUTIME_ID) kerr(EINVAL);
    return nanosleep(t, c, flags, req, rem);
  },
});

export { EFAULT };
