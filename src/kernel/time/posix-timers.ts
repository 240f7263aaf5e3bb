// Timers that deliver signals: the three itimers of setitimer(2) and POSIX
// timers (timer_create). Wall-clock timers run on the kernel's timer queue;
// CPU-time timers count down as the scheduler accounts CPU time.

import { SIGALRM, SIGVTALRM, SIGPROF, SI_TIMER, SI_KERNEL } from "../../abi/signal.js";
import { sendSignal } from "../signal.js";
import type { TimerHandle } from "./timers.js";
import type { Task, ThreadGroup, SigInfo } from "../task.js";
import type { Kernel } from "../kernel.js";

// The largest overrun count a timer reports (INT_MAX, POSIX's DELAYTIMER_MAX).
const DELAYTIMER_MAX = 0x7fff_ffff;

export type TimerClock = "mono" | "real" | "process-cpu" | "thread-cpu";

// One armed timer: value (ns until expiry, or an absolute deadline for wall
// clocks) and interval; what it does on expiry is `fire`.
export class SignalTimer {
  interval = 0;
  deadline = 0; // wall clocks: monotonic ns; CPU clocks: CPU ns of the target
  armed = false;
  overrun = 0; // expirations since the last delivered signal
  overrunReported = 0;
  private handle: TimerHandle | null = null;

  constructor(readonly k: Kernel, readonly clock: TimerClock, readonly fire: (timer: SignalTimer) => void, readonly cpuOf?: () => number) {}

  // Current value of the clock this timer runs on.
  now(): number {
    if (this.clock === "mono" || this.clock === "real") return this.k.clock.monotonic();
    return this.cpuOf!();
  }

  remaining(): number { return this.armed ? Math.max(0, this.deadline - this.now()) : 0; }

  disarm(): void {
    this.armed = false;
    this.handle?.cancel();
    this.handle = null;
    this.k.absRealTimers.delete(this);
  }

  // Arms at an absolute deadline on the timer's own clock (0 disarms).
  // absReal: the deadline is a CLOCK_REALTIME time (TIMER_ABSTIME), kept as
  // such when the clock is set.
  arm(deadline: number, interval: number, absReal = false): void {
    this.disarm();
    this.interval = interval;
    if (deadline <= 0) return;
    this.deadline = deadline;
    this.armed = true;
    this.overrun = 0;
    if (absReal && this.clock === "real") this.k.absRealTimers.add(this);
    if (this.clock === "mono" || this.clock === "real") this.schedule();
  }

  // CLOCK_REALTIME moved by delta: an absolute realtime deadline moves the
  // other way on the monotonic clock timers run on (Linux's clock_was_set).
  clockWasSet(delta: number): void {
    if (!this.armed) return;
    this.deadline = Math.max(1, this.deadline - delta);
    this.handle?.cancel();
    this.schedule();
  }

  private schedule(): void {
    this.handle = this.k.timers.add(this.deadline, () => { this.handle = null; this.expire(); });
  }

  expire(): void {
    if (!this.armed) return;
    const now = this.now();
    if (this.interval > 0) {
      // Missed periods become overruns (as Linux's hrtimer_forward).
      const missed = Math.floor((now - this.deadline) / this.interval);
      if (missed > 0) this.overrun += missed;
      this.deadline += (missed + 1) * this.interval;
      if (this.clock === "mono" || this.clock === "real") this.schedule();
    } else {
      this.armed = false;
    }
    this.fire(this);
  }

  // CPU clocks: called after CPU time was accounted.
  checkCpu(): void {
    if (this.armed && (this.clock === "process-cpu" || this.clock === "thread-cpu") && this.now() >= this.deadline) this.expire();
  }
}

export function processCpuTime(tg: ThreadGroup): number {
  let n = tg.deadUtime + tg.deadStime;
  for (const th of tg.threads) n += th.utime + th.stime;
  return n;
}

// setitimer's three timers of a process.
export class ITimers {
  readonly real: SignalTimer;
  readonly virt: SignalTimer;
  readonly prof: SignalTimer;
  constructor(k: Kernel, tg: ThreadGroup) {
    const signal = (sig: number) => () => sendSignal(tg, { signo: sig, code: SI_KERNEL }, false);
    this.real = new SignalTimer(k, "mono", signal(SIGALRM));
    // Ghost accounts all guest time as user time: VIRTUAL and PROF both count it.
    this.virt = new SignalTimer(k, "process-cpu", signal(SIGVTALRM), () => processCpuTime(tg));
    this.prof = new SignalTimer(k, "process-cpu", signal(SIGPROF), () => processCpuTime(tg));
  }
}

export interface PosixTimerTarget { tg: ThreadGroup; thread: Task | null }

// A POSIX timer: SIGEV_SIGNAL / SIGEV_THREAD_ID deliver a queued signal with
// SI_TIMER; if the last one is still pending, the expiry counts as an overrun.
export class PosixTimer {
  readonly timer: SignalTimer;
  pending = false;
  constructor(k: Kernel, readonly id: number, clock: TimerClock, readonly target: PosixTimerTarget,
    readonly signo: number, readonly value: bigint, readonly notify: "signal" | "none", cpuOf?: () => number) {
    this.timer = new SignalTimer(k, clock, () => this.deliver(), cpuOf);
  }

  // The last signal this timer queued; while it is still pending, further
  // expirations only add to its si_overrun (Linux counts them when it is taken).
  private queued: SigInfo | null = null;
  // The overrun of the signal taken before `queued` (Linux's it_overrun_last:
  // timer_getoverrun reports the last signal delivered, not one still pending).
  private lastTaken = 0;

  private isQueued(): boolean {
    const q = this.queued;
    if (!q) return false;
    const { tg, thread } = this.target;
    return tg.shared.queue.includes(q) || (thread?.pending.queue.includes(q) ?? false);
  }

  private deliver(): void {
    if (this.notify === "none") return;
    const missed = this.timer.overrun;
    this.timer.overrun = 0;
    // The count saturates at INT_MAX (DELAYTIMER_MAX), as Linux's
    // timer_overrun_to_int since CVE-2018-12896: it never wraps negative.
    if (this.isQueued()) { this.queued!.overrun = Math.min((this.queued!.overrun ?? 0) + 1 + missed, DELAYTIMER_MAX); return; }
    if (this.queued) this.lastTaken = this.queued.overrun ?? 0;
    const { tg, thread } = this.target;
    const info: SigInfo = { signo: this.signo, code: SI_TIMER, timerid: this.id, overrun: Math.min(missed, DELAYTIMER_MAX), value: this.value };
    this.queued = info;
    if (thread) sendSignal(thread, info, true); else sendSignal(tg, info, false);
    // An ignored signal is never queued: nothing to count overruns against.
    if (!this.isQueued()) this.queued = null;
  }

  // timer_getoverrun: the overrun count of the last signal (0 after timer_settime).
  get lastOverrun(): number {
    if (this.queued && !this.isQueued()) return this.queued.overrun ?? 0;
    return this.lastTaken;
  }
  resetOverrun(): void {
    this.lastTaken = 0;
    if (!this.isQueued()) this.queued = null; else this.queued!.overrun = 0;
  }
}
