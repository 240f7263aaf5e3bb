// setitimer/getitimer and the POSIX timer family.

import { kerr } from "../lib/errors.js";
import { EINVAL, EFAULT, EAGAIN } from "../abi/errno.js";
import {
  ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF, itimerval, itimerspec, sigevent, SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID, SIGEV_THREAD,
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_TAI,
  CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, TIMER_ABSTIME,
} from "../abi/time.js";
import { SIGALRM } from "../abi/signal.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { ITimers, PosixTimer, processCpuTime, type SignalTimer, type TimerClock } from "../kernel/time/posix-timers.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import { i32Arg } from "./args.js";

const NS = 1e9;
// KTIME_MAX (2^63 - 1 ns, as the nearest number) and the seconds it holds.
const KTIME_MAX = 2 ** 63;
const KTIME_SEC_MAX = Math.floor(KTIME_MAX / NS);

function itimers(tg: ThreadGroup, t: Task): ITimers { return (tg.itimers ??= new ITimers(t.k, tg)); }

function readItimerval(t: Task, va: number): { interval: number; value: number } {
  const dv = new DataView(um(t).read(va, itimerval.size).buffer);
  const g = (f: Parameters<typeof itimerval.get>[2]) => itimerval.get(dv, 0, f);
  const iu = g("it_interval_usec"), vu = g("it_value_usec");
  if (iu < 0 || iu >= 1e6 || vu < 0 || vu >= 1e6 || g("it_interval_sec") < 0 || g("it_value_sec") < 0) kerr(EINVAL);
  // As Linux's timespec64_to_ktime: seconds past KTIME_SEC_MAX mean KTIME_MAX (never).
  const ns = (sec: number, usec: number) => (sec >= KTIME_SEC_MAX ? KTIME_MAX : sec * NS + usec * 1000);
  return { interval: ns(g("it_interval_sec"), iu), value: ns(g("it_value_sec"), vu) };
}

function writeItimerval(t: Task, va: number, timer: SignalTimer): void {
  const b = new Uint8Array(itimerval.size);
  const dv = new DataView(b.buffer);
  // Round the remaining time up to a microsecond, so an armed timer never reads as zero.
  const rem = Math.ceil(timer.remaining() / 1000);
  const iv = Math.ceil(timer.interval / 1000);
  itimerval.write(dv, 0, {
    it_interval_sec: Math.floor(iv / 1e6), it_interval_usec: iv % 1e6,
    it_value_sec: Math.floor(rem / 1e6), it_value_usec: rem % 1e6,
  });
  um(t).write(va, b);
}

function whichTimer(t: Task, which: number): SignalTimer {
  const it = itimers(t.tg, t);
  switch (which) {
    case ITIMER_REAL: return it.real;
    case ITIMER_VIRTUAL: return it.virt;
    case ITIMER_PROF: return it.prof;
    default: return kerr(EINVAL);
  }
}

function readItimerspec(t: Task, va: number): { interval: number; value: number } {
  const dv = new DataView(um(t).read(va, itimerspec.size).buffer);
  const g = (f: Parameters<typeof itimerspec.get>[2]) => itimerspec.get(dv, 0, f);
  const ins = g("it_interval_nsec"), vns = g("it_value_nsec");
  if (ins < 0 || ins >= NS || vns < 0 || vns >= NS || g("it_interval_sec") < 0 || g("it_value_sec") < 0) kerr(EINVAL);
  return { interval: g("it_interval_sec") * NS + ins, value: g("it_value_sec") * NS + vns };
}

function writeItimerspec(t: Task, va: number, remaining: number, interval: number): void {
  const b = new Uint8Array(itimerspec.size);
  itimerspec.write(new DataView(b.buffer), 0, {
    it_interval_sec: Math.floor(interval / NS), it_interval_nsec: interval % NS,
    it_value_sec: Math.floor(remaining / NS), it_value_nsec: remaining % NS,
  });
  um(t).write(va, b);
}

function timerClock(t: Task, clock: number): { kind: TimerClock; cpuOf?: () => number; realtime: boolean } {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_TAI: case CLOCK_REALTIME_ALARM: return { kind: "real", realtime: true };
    case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM: return { kind: "mono", realtime: false };
    case CLOCK_PROCESS_CPUTIME_ID: { const tg = t.tg; return { kind: "process-cpu", cpuOf: () => processCpuTime(tg), realtime: false }; }
    case CLOCK_THREAD_CPUTIME_ID: return { kind: "thread-cpu", cpuOf: () => t.utime + t.stime, realtime: false };
    default: return kerr(EINVAL);
  }
}

function getTimer(t: Task, id: number): PosixTimer {
  const tm = t.tg.posixTimers.get(id);
  if (!tm) kerr(EINVAL);
  return tm;
}

defineSyscalls({
  setitimer: (t, which, newVa, oldVa) => {
    const timer = whichTimer(t, i32Arg(which));
    if (oldVa) writeItimerval(t, oldVa, timer);
    if (newVa) {
      const { interval, value } = readItimerval(t, newVa);
      timer.arm(value > 0 ? timer.now() + value : 0, interval);
    } else if (!oldVa) {
      kerr(EFAULT);
    }
    return 0;
  },
  getitimer: (t, which, va) => { writeItimerval(t, va, whichTimer(t, i32Arg(which))); return 0; },
  timer_create: (t, clock, evVa, idVa) => {
    const c = timerClock(t, i32Arg(clock));
    let signo = SIGALRM, value = 0n, notify: "signal" | "none" = "signal";
    let thread: Task | null = null;
    if (evVa) {
      const dv = new DataView(um(t).read(evVa, sigevent.size).buffer);
      const how = sigevent.get(dv, 0, "sigev_notify");
      signo = sigevent.get(dv, 0, "sigev_signo");
      value = sigevent.getBig(dv, 0, "sigev_value");
      if (how === SIGEV_NONE) notify = "none";
      // As good_sigevent: a raw SIGEV_THREAD is taken as SIGEV_SIGNAL (the C library runs the thread).
      else if (how === SIGEV_SIGNAL || how === SIGEV_THREAD || how === SIGEV_THREAD_ID) {
        if (signo < 1 || signo > 64) kerr(EINVAL);
        if (how === SIGEV_THREAD_ID) {
          const tid = sigevent.get(dv, 0, "sigev_notify_thread_id");
          const o = t.k.tasks.get(tid);
          if (!o || o.tg !== t.tg) kerr(EINVAL);
          thread = o;
        }
      } else kerr(EINVAL);
    }
    const tg = t.tg;
    if (tg.posixTimers.size >= 4096) kerr(EAGAIN);
    let id = 0;
    while (tg.posixTimers.has(id)) id++;
    if (!evVa) value = BigInt(id);
    const tm = new PosixTimer(t.k, id, c.kind, { tg, thread }, signo, value, notify, c.cpuOf);
    tg.posixTimers.set(id, tm);
    um(t).setI32(idVa, id);
    return 0;
  },
  timer_settime: (t, id, flags, newVa, oldVa) => {
    const tm = getTimer(t, i32Arg(id));
    if (flags & ~TIMER_ABSTIME) kerr(EINVAL);
    // As Linux's timer_settime: a NULL new_value is EINVAL, not EFAULT.
    if (!newVa) kerr(EINVAL);
    const { interval, value } = readItimerspec(t, newVa);
    if (oldVa) writeItimerspec(t, oldVa, tm.timer.remaining(), tm.timer.interval);
    let deadline = 0;
    let missed = 0;
    if (value > 0) {
      if (flags & TIMER_ABSTIME) {
        const c = t.k.clock;
        const now = tm.timer.now();
        deadline = tm.timer.clock === "real" ? value - (c.realtime() - c.monotonic()) : value;
        if (deadline <= now) {
          // A periodic timer whose absolute start has passed keeps its phase,
          // and the periods already gone are overruns (Linux forwards the
          // hrtimer from the given expiry: CVE-2018-12896's test relies on it).
          if (interval > 0) {
            missed = Math.floor((now - deadline) / interval);
            deadline += missed * interval;
          }
          deadline = Math.max(deadline, 1);
        }
      } else deadline = tm.timer.now() + value;
    }
    tm.timer.arm(deadline, interval, (flags & TIMER_ABSTIME) !== 0);
    tm.timer.overrun = missed;
    tm.resetOverrun();
    // CPU-clock timers already due fire at once; wall-clock ones fire from the timer queue.
    if (deadline && deadline <= tm.timer.now() && tm.timer.clock !== "mono" && tm.timer.clock !== "real") tm.timer.expire();
    return 0;
  },
  timer_gettime: (t, id, va) => {
    const tm = getTimer(t, i32Arg(id));
    writeItimerspec(t, va, tm.timer.remaining(), tm.timer.interval);
    return 0;
  },
  timer_getoverrun: (t, id) => Math.min(getTimer(t, i32Arg(id)).lastOverrun, 0x7fffffff),
  timer_delete: (t, id) => {
    const tm = getTimer(t, i32Arg(id));
    tm.timer.disarm();
    t.tg.posixTimers.delete(i32Arg(id));
    return 0;
  },
});
