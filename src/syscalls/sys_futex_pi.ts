// Priority-inheritance futexes: FUTEX_LOCK_PI, FUTEX_LOCK_PI2,
// FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI, the protocol glibc's
// PTHREAD_PRIO_INHERIT mutexes speak. The futex word holds the owner's TID,
// FUTEX_WAITERS while the kernel has waiters, and FUTEX_OWNER_DIED. Unlock
// hands the lock to the first waiter (its TID goes in the word) and wakes it.
// What Ghost leaves out: the owner is not boosted to a waiter's priority, and
// waiters are served in arrival order, not by priority.

import { kerr } from "../lib/errors.js";
import { EINVAL, EAGAIN, ETIMEDOUT, EDEADLK, ESRCH, EPERM, ERESTARTNOINTR } from "../abi/errno.js";
import { FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK } from "../abi/futex.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { readTimespec } from "./sys_time.js";
import { futexEnqueue, futexDequeue, futexKeyFor, futexTakeFirst, type FutexWaiter } from "../kernel/futex.js";
import type { Task } from "../kernel/task.js";

// handed: the unlocker made the waiter the owner (a wake without it, as the
// robust-list cleanup of a dead owner gives, means: try to take it again).
interface PiWaiter extends FutexWaiter { handed?: boolean }

// LOCK_PI (timeout: absolute CLOCK_REALTIME) and LOCK_PI2 (absolute
// CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME); trylock never sleeps.
export function futexLockPi(t: Task, uaddr: number, timeoutVa: number, priv: boolean, realtime: boolean, trylock: boolean): number {
  const st = restartOf(t, "futex_pi");
  if (st && st.pi.woken && st.pi.handed) return 0;
  if (st && !st.pi.woken) {
    if (st.deadline !== null && t.k.clock.monotonic() >= st.deadline) { futexDequeue(t.k, st.pi); return -ETIMEDOUT; }
    return sleepOn(t, [], st.deadline ?? undefined);
  }
  if (uaddr % 4) kerr(EINVAL);
  const m = um(t);
  const cur = m.u32(uaddr);
  const owner = cur & FUTEX_TID_MASK;
  if (owner === 0) {
    m.setU32(uaddr, t.tid | (cur & FUTEX_OWNER_DIED));
    return 0;
  }
  if (owner === t.tid) kerr(EDEADLK);
  const ot = t.k.tasks.get(owner);
  if (!ot) kerr(ESRCH);
  if (ot.kthread) kerr(EPERM); // a kernel thread owns no user lock
  if (trylock) kerr(EAGAIN);
  let deadline: number | null = st?.deadline ?? null;
  if (timeoutVa && !st) {
    const c = t.k.clock;
    deadline = readTimespec(t, timeoutVa) - (realtime ? c.realtime() - c.monotonic() : 0);
    if (c.monotonic() >= deadline) return -ETIMEDOUT;
  }
  m.setU32(uaddr, cur | FUTEX_WAITERS);
  const key = futexKeyFor(t.mm, uaddr, priv);
  const pi: PiWaiter = { task: t, bitset: 0xffffffff, key, woken: false };
  futexEnqueue(t.k, key, pi);
  t.restart = { kind: "futex_pi", pi, deadline };
  t.onRestartDrop = () => futexDequeue(t.k, pi);
  t.restartCode = ERESTARTNOINTR; // a signal never ends a PI lock wait
  return sleepOn(t, [], deadline ?? undefined);
}

export function futexUnlockPi(t: Task, uaddr: number, priv: boolean): number {
  if (uaddr % 4) kerr(EINVAL);
  const m = um(t);
  const cur = m.u32(uaddr);
  if ((cur & FUTEX_TID_MASK) !== t.tid) kerr(EPERM);
  const { waiter, more } = futexTakeFirst(t.k, futexKeyFor(t.mm, uaddr, priv));
  if (!waiter) { m.setU32(uaddr, 0); return 0; }
  m.setU32(uaddr, waiter.task.tid | (more ? FUTEX_WAITERS : 0));
  (waiter as PiWaiter).handed = true;
  waiter.woken = true;
  waiter.task.wake();
  return 0;
}
