// Waiting on many files: ppoll, pselect6, epoll; and the event files:
// eventfd2, timerfd, signalfd4.

import { kerr } from "../lib/errors.js";
import { EINVAL, EBADF, EFAULT, EINTR, ERESTARTNOHAND } from "../abi/errno.js";
import { pollfd, POLLNVAL, POLLIN, POLLOUT, POLLERR, POLLHUP, POLLPRI, POLLRDNORM, POLLWRNORM, POLLRDBAND, POLLWRBAND, POLLRDHUP, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, epoll_event, EPOLLEXCLUSIVE, EPOLLONESHOT, EPOLLET, EPOLLWAKEUP } from "../abi/poll.js";
import {
  EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, itimerspec,
} from "../abi/time.js";
import { SFD_CLOEXEC, SFD_NONBLOCK, STICKY_TIMEOUTS } from "../abi/misc.js";
import { SIGKILL, SIGSTOP, sigmask } from "../abi/signal.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf, type RestartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { readTimespec, writeTimespec } from "./sys_time.js";
import { pollFile, fileWaitQueue } from "../fs/poll.js";
import { epollFile, EpollInode } from "../fs/epoll.js";
import { eventfdFile } from "../fs/eventfd.js";
import { timerfdFile, TimerfdInode } from "../fs/timerfd.js";
import { signalfdFile, SignalfdInode } from "../fs/signalfd.js";
import { UNBLOCKABLE } from "../kernel/signal.js";
import type { WaitQueue } from "../lib/wait.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { fdArg, i32Arg } from "./args.js";


type WaitState = RestartOf<"deadline">;

// The deadline of a wait, kept across restarts; null means forever.
function deadlineOf(t: Task, tmoVa: number): WaitState {
  let st = restartOf(t, "deadline");
  if (!st) {
    st = { kind: "deadline", deadline: tmoVa ? t.k.clock.monotonic() + readTimespec(t, tmoVa) : null };
    t.restart = st;
  }
  return st;
}

// Installs a temporary signal mask for the duration of the wait (ppoll, pselect, epoll_pwait).
export function withSigmask(t: Task, maskVa: number, size: number): void {
  if (!maskVa || t.savedSigmask !== null) return;
  if (size !== 8) kerr(EINVAL);
  const mask = um(t).big64(maskVa) & ~UNBLOCKABLE;
  t.savedSigmask = t.sigmask;
  t.sigmask = mask;
  t.onRestartDrop = () => { if (t.savedSigmask !== null) { t.sigmask = t.savedSigmask; t.savedSigmask = null; } };
}

function park(t: Task, queues: WaitQueue[], st: WaitState): number {
  return sleepOn(t, queues, st.deadline ?? undefined);
}

function timedOut(t: Task, st: WaitState): boolean { return st.deadline !== null && t.k.clock.monotonic() >= st.deadline; }

// As Linux's poll_select_finish: the time left goes back to the caller,
// unless its personality has STICKY_TIMEOUTS.
function writeRemaining(t: Task, tmoVa: number, st: WaitState): void {
  if (tmoVa && st.deadline !== null && !(t.personality & STICKY_TIMEOUTS)) {
    try { writeTimespec(t, tmoVa, Math.max(0, st.deadline - t.k.clock.monotonic())); } catch { /* as Linux: ignored */ }
  }
}

function ppoll(t: Task, fdsVa: number, nfds: number, tmoVa: number, maskVa: number, size: number): number {
  if (nfds < 0 || nfds > nofile(t)) kerr(EINVAL);
  const st = deadlineOf(t, tmoVa);
  withSigmask(t, maskVa, size);
  const raw = nfds ? um(t).read(fdsVa, nfds * pollfd.size) : new Uint8Array(0);
  const dv = new DataView(raw.buffer);
  let ready = 0;
  const queues: WaitQueue[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = pollfd.get(dv, i * 8, "fd");
    const events = pollfd.get(dv, i * 8, "events");
    let rev = 0;
    if (fd >= 0) {
      const f = t.files.entry(fd)?.file;
      if (!f) rev = POLLNVAL;
      else {
        rev = pollFile(f) & (events | POLLERR | POLLHUP);
        const q = fileWaitQueue(f);
        if (q) queues.push(q);
      }
    }
    pollfd.set(dv, i * 8, "revents", rev);
    if (rev) ready++;
  }
  if (ready || timedOut(t, st) || (st.deadline !== null && st.deadline <= t.k.clock.monotonic())) {
    if (nfds) um(t).write(fdsVa, raw);
    writeRemaining(t, tmoVa, st);
    return ready;
  }
  // As Linux's do_sys_poll: -ERESTARTNOHAND, so a handled signal ends the wait with EINTR.
  t.restartCode = ERESTARTNOHAND;
  return park(t, queues, st);
}

const SEL_IN = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const SEL_OUT = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const SEL_EX = POLLPRI;

function pselect(t: Task, nfds: number, rVa: number, wVa: number, eVa: number, tmoVa: number, sigVa: number): number {
  if (nfds < 0) kerr(EINVAL);
  if (nfds > nofile(t)) nfds = nofile(t);
  const st = deadlineOf(t, tmoVa);
  if (sigVa) {
    const dv = new DataView(um(t).read(sigVa, 16).buffer);
    withSigmask(t, Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)));
  }
  const bytes = Math.ceil(nfds / 64) * 8;
  const m = um(t);
  const sets = [rVa, wVa, eVa].map((va) => (va ? m.read(va, bytes) : null));
  const out = sets.map((s) => (s ? new Uint8Array(s.length) : null));
  const queues: WaitQueue[] = [];
  let ready = 0;
  for (let fd = 0; fd < nfds; fd++) {
    const bit = 1 << (fd & 7), byte = fd >> 3;
    const want = [0, 1, 2].filter((k) => sets[k] && (sets[k]![byte] & bit));
    if (!want.length) continue;
    const f = t.files.entry(fd)?.file;
    if (!f) kerr(EBADF);
    const mask = pollFile(f);
    const q = fileWaitQueue(f);
    if (q) queues.push(q);
    const hits = [mask & SEL_IN, mask & SEL_OUT, mask & SEL_EX];
    for (const k of want) if (hits[k]) { out[k]![byte] |= bit; ready++; }
  }
  if (ready || timedOut(t, st)) {
    [rVa, wVa, eVa].forEach((va, k) => { if (va) m.write(va, out[k]!); });
    writeRemaining(t, tmoVa, st);
    return ready;
  }
  t.restartCode = ERESTARTNOHAND; // as Linux's core_sys_select
  return park(t, queues, st);
}

function epollOf(t: Task, fd: number): EpollInode {
  const f = t.files.get(fd);
  if (!(f.inode instanceof EpollInode)) kerr(EINVAL);
  return f.inode;
}

function epollWait(t: Task, epfd: number, evVa: number, max: number, deadlineNs: number | null | undefined, maskVa: number, size: number): number {
  if (max <= 0 || max > 0x7fffffff / 16) kerr(EINVAL);
  const ep = epollOf(t, epfd);
  let st = restartOf(t, "deadline");
  if (!st) { st = { kind: "deadline", deadline: deadlineNs === undefined ? null : deadlineNs }; t.restart = st; }
  withSigmask(t, maskVa, size);
  const got = ep.harvest(max);
  if (got.length || timedOut(t, st)) {
    if (got.length) {
      const b = new Uint8Array(got.length * epoll_event.size);
      const dv = new DataView(b.buffer);
      got.forEach((e, i) => { epoll_event.set(dv, i * 16, "events", e.events); epoll_event.set(dv, i * 16, "data", e.data); });
      um(t).write(evVa, b);
    }
    return got.length;
  }
  t.restartCode = EINTR; // as Linux's ep_poll: a signal ends the wait, never restarted
  return park(t, [ep.wq], st);
}

function timerfdClock(clock: number): "mono" | "real" {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_ALARM: return "real";
    case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM: return "mono";
    default: return kerr(EINVAL);
  }
}

function timerfdOf(t: Task, fd: number): TimerfdInode {
  const f = t.files.get(fd);
  if (!(f.inode instanceof TimerfdInode)) kerr(EINVAL);
  return f.inode;
}

function writeItimerspec(t: Task, va: number, remaining: number, interval: number): void {
  const b = new Uint8Array(itimerspec.size);
  itimerspec.write(new DataView(b.buffer), 0, {
    it_interval_sec: Math.floor(interval / 1e9), it_interval_nsec: interval % 1e9,
    it_value_sec: Math.floor(remaining / 1e9), it_value_nsec: remaining % 1e9,
  });
  um(t).write(va, b);
}

defineSyscalls({
  ppoll: (t, fds, nfds, tmo, mask, size) => ppoll(t, fds, nfds, tmo, mask, size),
  pselect6: (t, nfds, r, w, e, tmo, sig) => pselect(t, i32Arg(nfds), r, w, e, tmo, sig),
  epoll_create1: (t, flags) => {
    if (flags & ~EPOLL_CLOEXEC) kerr(EINVAL);
    return t.files.alloc(epollFile(0), (flags & EPOLL_CLOEXEC) !== 0, nofile(t));
  },
  epoll_ctl: (t, epfd, op, fd, evVa) => {
    const ep = epollOf(t, fdArg(epfd));
    const f: File = t.files.get(fdArg(fd));
    if (op === EPOLL_CTL_DEL) { ep.remove(fdArg(fd), f); return 0; }
    if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_MOD) kerr(EINVAL);
    const dv = new DataView(um(t).read(evVa, epoll_event.size).buffer);
    const events = epoll_event.get(dv, 0, "events");
    const data = epoll_event.getBig(dv, 0, "data");
    if ((events & EPOLLEXCLUSIVE) && (events & (EPOLLONESHOT | 0x20000000 /* EPOLLWAKEUP */))) kerr(EINVAL);
    void EPOLLET; void EPOLLWAKEUP;
    if (op === EPOLL_CTL_ADD) ep.add(fdArg(fd), f, events, data);
    else ep.modify(fdArg(fd), f, events, data);
    return 0;
  },
  epoll_pwait: (t, epfd, ev, max, timeout, mask, size) => {
    const st = restartOf(t, "deadline");
    const ms = i32Arg(timeout);
    const deadline = st ? st.deadline : ms < 0 ? undefined : t.k.clock.monotonic() + ms * 1e6;
    return epollWait(t, fdArg(epfd), ev, i32Arg(max), deadline, mask, size);
  },
  epoll_pwait2: (t, epfd, ev, max, tmoVa, mask, size) => {
    const st = restartOf(t, "deadline");
    const deadline = st ? st.deadline : tmoVa ? t.k.clock.monotonic() + readTimespec(t, tmoVa) : undefined;
    return epollWait(t, fdArg(epfd), ev, i32Arg(max), deadline, mask, size);
  },
  eventfd2: (t, initval, flags) => {
    if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) kerr(EINVAL);
    return t.files.alloc(eventfdFile(initval, flags), (flags & EFD_CLOEXEC) !== 0, nofile(t));
  },
  timerfd_create: (t, clock, flags) => {
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) kerr(EINVAL);
    const f = timerfdFile(t.k, i32Arg(clock), timerfdClock(i32Arg(clock)), flags);
    return t.files.alloc(f, (flags & TFD_CLOEXEC) !== 0, nofile(t));
  },
  timerfd_settime: (t, fd, flags, newVa, oldVa) => {
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) kerr(EINVAL);
    const tf = timerfdOf(t, fdArg(fd));
    const dv = new DataView(um(t).read(newVa, itimerspec.size).buffer);
    const g = (f: Parameters<typeof itimerspec.get>[2]) => itimerspec.get(dv, 0, f);
    const ins = g("it_interval_nsec"), vns = g("it_value_nsec");
    if (ins < 0 || ins >= 1e9 || vns < 0 || vns >= 1e9 || g("it_value_sec") < 0 || g("it_interval_sec") < 0) kerr(EINVAL);
    const value = g("it_value_sec") * 1e9 + vns, interval = g("it_interval_sec") * 1e9 + ins;
    if (oldVa) writeItimerspec(t, oldVa, tf.timer.remaining(), tf.timer.interval);
    tf.ticks = 0n;
    tf.canceled = false;
    tf.cancelOnSet = (flags & TFD_TIMER_CANCEL_ON_SET) !== 0 && (flags & TFD_TIMER_ABSTIME) !== 0 && tf.timer.clock === "real";
    if (tf.cancelOnSet) t.k.clockSetWatchers.add(tf.onClockSet);
    else t.k.clockSetWatchers.delete(tf.onClockSet);
    const c = t.k.clock;
    let deadline = 0;
    if (value > 0) {
      if (flags & TFD_TIMER_ABSTIME) deadline = tf.timer.clock === "real" ? value - (c.realtime() - c.monotonic()) : value;
      else deadline = c.monotonic() + value;
      deadline = Math.max(deadline, 1);
    }
    tf.timer.arm(deadline, interval, (flags & TFD_TIMER_ABSTIME) !== 0);
    return 0;
  },
  timerfd_gettime: (t, fd, va) => {
    const tf = timerfdOf(t, fdArg(fd));
    writeItimerspec(t, va, tf.timer.remaining(), tf.timer.interval);
    return 0;
  },
  signalfd4: (t, fd, maskVa, size, flags) => {
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) kerr(EINVAL);
    if (size !== 8) kerr(EINVAL);
    const mask = um(t).big64(maskVa) & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
    if ((fdArg(fd)) !== -1) {
      const f = t.files.get(fdArg(fd));
      if (!(f.inode instanceof SignalfdInode)) kerr(EINVAL);
      f.inode.mask = mask;
      return fd;
    }
    const k = t.k;
    const file = signalfdFile(mask, flags, () => k.current ?? t);
    return t.files.alloc(file, (flags & SFD_CLOEXEC) !== 0, nofile(t));
  },
});

export { EFAULT, POLLRDHUP };
