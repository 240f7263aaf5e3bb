// Clocks and sleeps: clock_gettime/getres, gettimeofday, nanosleep,
// clock_nanosleep. CPU-time clocks read the task's accounted runtime.

import { kerr } from "../kernel/errors.js";
import { EINVAL, EFAULT, ERESTART_RESTARTBLOCK, ERESTARTNOHAND } from "../abi/errno.js";
import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
  TIMER_ABSTIME, timespec, timeval, CPUCLOCK_PERTHREAD_MASK, CPUCLOCK_CLOCK_MASK,
} from "../abi/time.js";
import { defineSyscalls, BLOCK } from "./table.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";

const NS = 1_000_000_000;

function processCpu(t: Task): number {
  let n = t.tg.deadUtime + t.tg.deadStime;
  for (const th of t.tg.threads) n += th.utime + th.stime;
  return n;
}

// A clock's current value in ns; EINVAL for clocks that do not exist.
export function clockNow(t: Task, clock: number): number {
  const c = t.k.clock;
  if (clock < 0) {
    // CPU clocks of another process or thread: ~pid << 3 | flags.
    const id = ~(clock >> 3);
    if ((clock & CPUCLOCK_CLOCK_MASK) === 3) kerr(EINVAL);
    if (clock & CPUCLOCK_PERTHREAD_MASK) {
      const o = id === 0 ? t : t.k.tasks.get(id);
      if (!o || (id !== 0 && o.tg !== t.tg)) kerr(EINVAL);
      return o.utime + o.stime;
    }
    const g = id === 0 ? t.tg : t.k.groups.get(id);
    if (!g) kerr(EINVAL);
    const lead = [...g.threads][0];
    return lead ? processCpu(lead) : g.deadUtime + g.deadStime;
  }
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: return c.realtime();
    case CLOCK_TAI: return c.realtime() + 37 * NS;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM: return c.monotonic();
    case CLOCK_PROCESS_CPUTIME_ID: return processCpu(t);
    case CLOCK_THREAD_CPUTIME_ID: return t.utime + t.stime;
    default: return kerr(EINVAL);
  }
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

// Sleeps until an absolute monotonic deadline; kept across restarts.
function sleepUntil(t: Task, deadline: number, remVa: number): number {
  const now = t.k.clock.monotonic();
  if (now >= deadline) return 0;
  t.restart = deadline;
  t.restartCode = remVa ? ERESTART_RESTARTBLOCK : ERESTARTNOHAND;
  if (remVa) t.pendingRemaining = { va: remVa, deadline };
  t.sleepOn([], deadline);
  return BLOCK;
}

function nanosleep(t: Task, clock: number, flags: number, reqVa: number, remVa: number): number {
  let deadline = t.restart as number | null;
  if (deadline === null) {
    const req = readTimespec(t, reqVa);
    const c = t.k.clock;
    if (flags & TIMER_ABSTIME) {
      // Absolute: convert the clock's deadline into monotonic time.
      const offset = clock === CLOCK_REALTIME || clock === CLOCK_TAI ? c.realtime() - c.monotonic() + (clock === CLOCK_TAI ? 37 * NS : 0) : 0;
      deadline = req - offset;
      remVa = 0;
    } else {
      deadline = c.monotonic() + req;
    }
  }
  return sleepUntil(t, deadline, remVa);
}

defineSyscalls({
  clock_gettime: (t, clock, va) => { writeTimespec(t, va, clockNow(t, clock | 0)); return 0; },
  clock_getres: (t, clock, va) => {
    clockNow(t, clock | 0);
    if (va) writeTimespec(t, va, clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE ? 4_000_000 : 1);
    return 0;
  },
  gettimeofday: (t, tv, tz) => {
    if (tv) {
      const ns = t.k.clock.realtime();
      const b = new Uint8Array(timeval.size);
      timeval.write(new DataView(b.buffer), 0, { tv_sec: Math.floor(ns / NS), tv_usec: Math.floor((ns % NS) / 1000) });
      um(t).write(tv, b);
    }
    if (tz) um(t).write(tz, new Uint8Array(8));
    return 0;
  },
  nanosleep: (t, req, rem) => nanosleep(t, CLOCK_MONOTONIC, 0, req, rem),
  clock_nanosleep: (t, clock, flags, req, rem) => {
    const c = clock | 0;
    if (c === CLOCK_THREAD_CPUTIME_ID) kerr(EINVAL);
    if (c !== CLOCK_REALTIME && c !== CLOCK_MONOTONIC && c !== CLOCK_BOOTTIME && c !== CLOCK_TAI && c !== CLOCK_PROCESS_CPUTIME_ID) kerr(EINVAL);
    return nanosleep(t, c, flags, req, rem);
  },
});

export { EFAULT };
