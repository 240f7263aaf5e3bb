// futex2: futex_waitv (Linux 5.16) and futex_wake, futex_wait,
// futex_requeue (6.7), on the same queues as futex(2) (kernel/futex.ts).
// Flags are futex2's: the size (only 32-bit futexes exist, as in Linux) and
// FUTEX2_PRIVATE; every value must fit the size.

import { kerr } from "../lib/errors.js";
import { EINVAL, EAGAIN, ETIMEDOUT, ERESTARTSYS } from "../abi/errno.js";
import { FUTEX2_SIZE_MASK, FUTEX2_SIZE_U32, FUTEX2_PRIVATE, FUTEX_WAITV_MAX, futex_waitv } from "../abi/futex.js";
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from "../abi/time.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { readTimespec } from "./sys_time.js";
import { futexWait } from "./sys_futex.js";
import { futexEnqueue, futexDequeue, futexWakeKey, futexRequeue, futexKeyFor, type FutexWaiter } from "../kernel/futex.js";
import type { Task } from "../kernel/task.js";
import { i32Arg, u32Arg } from "./args.js";

const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_PRIVATE;
const U32_MAX = 0xffff_ffff;

// Linux's futex2_to_flags + futex_flags_valid: known bits, 32-bit size.
function checkFlags(flags: number): boolean {
  if (flags & ~FUTEX2_VALID_MASK) kerr(EINVAL);
  if ((flags & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32) kerr(EINVAL);
  return (flags & FUTEX2_PRIVATE) !== 0;
}

// A value or mask the futex's size must hold (futex_validate_input).
function fits(v: number): number {
  if (v < 0 || v > U32_MAX) kerr(EINVAL);
  return v;
}

interface Waitv { val: number; uaddr: number; priv: boolean }

function readWaitv(t: Task, va: number, n: number): Waitv[] {
  const dv = new DataView(um(t).read(va, n * futex_waitv.size).buffer);
  const out: Waitv[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * futex_waitv.size;
    const flags = futex_waitv.get(dv, o, "flags");
    if ((flags & ~FUTEX2_VALID_MASK) || futex_waitv.get(dv, o, "__reserved") !== 0) kerr(EINVAL);
    const priv = checkFlags(flags);
    const val = futex_waitv.getBig(dv, o, "val");
    if (val > BigInt(U32_MAX)) kerr(EINVAL);
    const uaddr = Number(futex_waitv.getBig(dv, o, "uaddr"));
    if (uaddr % 4) kerr(EINVAL);
    out.push({ val: Number(val), uaddr, priv });
  }
  return out;
}

// An absolute timeout on CLOCK_MONOTONIC or CLOCK_REALTIME, as a monotonic deadline.
function absDeadline(t: Task, va: number, clockid: number): number | null {
  if (!va) return null;
  if (clockid !== CLOCK_MONOTONIC && clockid !== CLOCK_REALTIME) kerr(EINVAL);
  const ns = readTimespec(t, va);
  const c = t.k.clock;
  return clockid === CLOCK_REALTIME ? ns - (c.realtime() - c.monotonic()) : ns;
}

// As Linux's futex_wait_multiple: queue on every futex, and if any word
// already differs from its value, EAGAIN; else sleep until one is woken
// (its index is the result), the timeout, or a signal (restarted).
function waitv(t: Task, va: number, n: number, flags: number, tmoVa: number, clockid: number): number {
  const st = restartOf(t, "futex_waitv");
  if (st) {
    const i = st.waiters.findIndex((w) => w.woken);
    if (i >= 0 || (st.deadline !== null && t.k.clock.monotonic() >= st.deadline)) {
      for (const w of st.waiters) if (!w.woken) futexDequeue(t.k, w);
      if (i >= 0) return i;
      return kerr(ETIMEDOUT);
    }
    return sleepOn(t, [], st.deadline ?? undefined);
  }
  if (flags !== 0) kerr(EINVAL);
  if (!va || n === 0 || n > FUTEX_WAITV_MAX) kerr(EINVAL);
  const deadline = absDeadline(t, tmoVa, clockid);
  const list = readWaitv(t, va, n);
  const m = um(t);
  const waiters: FutexWaiter[] = list.map((w) => ({ task: t, bitset: U32_MAX, key: futexKeyFor(t.mm, w.uaddr, w.priv), woken: false }));
  for (let i = 0; i < list.length; i++) if (m.u32(list[i].uaddr) !== list[i].val) kerr(EAGAIN);
  if (deadline !== null && t.k.clock.monotonic() >= deadline) kerr(ETIMEDOUT);
  for (const w of waiters) futexEnqueue(t.k, w.key, w);
  t.restart = { kind: "futex_waitv", waiters, deadline };
  t.onRestartDrop = () => { for (const w of waiters) if (!w.woken) futexDequeue(t.k, w); };
  t.restartCode = ERESTARTSYS;
  return sleepOn(t, [], deadline ?? undefined);
}

defineSyscalls({
  futex_waitv: (t, va, n, flags, tmo, clockid) => waitv(t, va, u32Arg(n), u32Arg(flags), tmo, i32Arg(clockid)),
  futex_wake: (t, uaddr, mask, nr, flags) => {
    const priv = checkFlags(u32Arg(flags));
    const bits = fits(mask);
    if (bits === 0) kerr(EINVAL);
    if (uaddr % 4) kerr(EINVAL);
    // futex2 is strict: nr is an int, and 0 wakes nobody.
    const n = i32Arg(nr);
    if (n <= 0) return 0;
    return futexWakeKey(t.k, futexKeyFor(t.mm, uaddr, priv), n, bits);
  },
  futex_wait: (t, uaddr, val, mask, flags, tmo, clockid) => {
    const priv = checkFlags(u32Arg(flags));
    fits(val);
    fits(mask);
    if (tmo && clockid !== CLOCK_MONOTONIC && clockid !== CLOCK_REALTIME) kerr(EINVAL);
    return futexWait(t, uaddr, val, tmo, mask, priv, true, clockid === CLOCK_REALTIME);
  },
  futex_requeue: (t, va, flags, nrWake, nrRequeue) => {
    if (flags !== 0) kerr(EINVAL);
    const [from, to] = readWaitv(t, va, 2);
    if ((i32Arg(nrWake)) < 0 || (i32Arg(nrRequeue)) < 0) kerr(EINVAL);
    if (um(t).u32(from.uaddr) !== from.val) kerr(EAGAIN);
    return futexRequeue(t.k, futexKeyFor(t.mm, from.uaddr, from.priv), futexKeyFor(t.mm, to.uaddr, to.priv), i32Arg(nrWake), i32Arg(nrRequeue));
  },
});
