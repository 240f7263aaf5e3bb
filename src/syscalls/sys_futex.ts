// futex(2): wait/wake with bitsets and timeouts, requeue, wake-op; robust
// list registration is in sys_info; the PI operations in sys_futex_pi.

import { kerr } from "../lib/errors.js";
import { EINVAL, EAGAIN, ETIMEDOUT, ENOSYS, EFAULT, ERESTARTSYS } from "../abi/errno.js";
import {
  FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET,
  FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME, FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_REQUEUE_PI,
  FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2, FUTEX_BITSET_MATCH_ANY, FUTEX_OP_SET, FUTEX_OP_ADD, FUTEX_OP_OR, FUTEX_OP_ANDN,
  FUTEX_OP_XOR, FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_EQ, FUTEX_OP_CMP_NE, FUTEX_OP_CMP_LT, FUTEX_OP_CMP_LE,
  FUTEX_OP_CMP_GT, FUTEX_OP_CMP_GE,
} from "../abi/futex.js";
import { defineSyscalls } from "./table.js";
import { park, NO_QUEUES } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { readTimespec } from "./sys_time.js";
import { futexEnqueue, futexDequeue, futexWakeKey, futexRequeue, futexKeyFor, futexWaitOf } from "../kernel/futex.js";
import { futexLockPi, futexUnlockPi } from "./sys_futex_pi.js";
import type { Task } from "../kernel/task.js";
import { i32Arg, u32Arg } from "./args.js";

export function futexWait(t: Task, uaddr: number, val: number, timeoutVa: number, bitset: number, priv: boolean, absolute: boolean, realtime: boolean): number {
  const st = restartOf(t, "futex");
  if (st) {
    if (st.waiter.woken) return 0;
    if (st.deadline !== null && t.k.clock.monotonic() >= st.deadline) { futexDequeue(t.k, st.waiter); return -ETIMEDOUT; }
    return park(t, NO_QUEUES, st.deadline ?? undefined);
  }
  if (uaddr % 4) kerr(EINVAL);
  if (bitset === 0) kerr(EINVAL);
  let deadline: number | null = null;
  if (timeoutVa) {
    const ns = readTimespec(t, timeoutVa);
    const c = t.k.clock;
    deadline = absolute ? ns - (realtime ? c.realtime() - c.monotonic() : 0) : c.monotonic() + ns;
  }
  const cur = um(t).u32(uaddr);
  if (cur !== (u32Arg(val))) return -EAGAIN;
  if (deadline !== null && t.k.clock.monotonic() >= deadline) return -ETIMEDOUT;
  const key = futexKeyFor(t.mm, uaddr, priv);
  const waiter = futexWaitOf(t); // also the restart state
  waiter.bitset = u32Arg(bitset);
  waiter.key = key;
  waiter.woken = false;
  waiter.deadline = deadline;
  futexEnqueue(t.k, key, waiter);
  t.restart = waiter;
  t.onRestartDrop = waiter.drop;
  t.restartCode = ERESTARTSYS;
  return park(t, NO_QUEUES, deadline ?? undefined);
}

function wakeOp(t: Task, uaddr: number, uaddr2: number, n: number, n2: number, op: number, priv: boolean): number {
  const m = um(t);
  const kind = (op >>> 28) & 7;
  const cmp = (op >>> 24) & 15;
  let oparg = (op << 8) >> 20; // sign-extended 12 bits
  let cmparg = (op << 20) >> 20;
  if ((op >>> 28) & FUTEX_OP_OPARG_SHIFT) { if (oparg < 0 || oparg > 31) oparg &= 31; oparg = 1 << oparg; }
  const old = m.u32(uaddr2);
  let next: number;
  switch (kind) {
    case FUTEX_OP_SET: next = oparg; break;
    case FUTEX_OP_ADD: next = old + oparg; break;
    case FUTEX_OP_OR: next = old | oparg; break;
    case FUTEX_OP_ANDN: next = old & ~oparg; break;
    case FUTEX_OP_XOR: next = old ^ oparg; break;
    default: return kerr(ENOSYS);
  }
  m.setU32(uaddr2, u32Arg(next));
  const o = i32Arg(old);
  cmparg |= 0;
  let cond: boolean;
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: cond = o === cmparg; break;
    case FUTEX_OP_CMP_NE: cond = o !== cmparg; break;
    case FUTEX_OP_CMP_LT: cond = o < cmparg; break;
    case FUTEX_OP_CMP_LE: cond = o <= cmparg; break;
    case FUTEX_OP_CMP_GT: cond = o > cmparg; break;
    case FUTEX_OP_CMP_GE: cond = o >= cmparg; break;
    default: return kerr(ENOSYS);
  }
  let woken = futexWakeKey(t.k, futexKeyFor(t.mm, uaddr, priv), n, FUTEX_BITSET_MATCH_ANY);
  if (cond) woken += futexWakeKey(t.k, futexKeyFor(t.mm, uaddr2, priv), n2, FUTEX_BITSET_MATCH_ANY);
  return woken;
}

function futex(t: Task, uaddr: number, opFull: number, val: number, timeout: number, uaddr2: number, val3: number): number {
  const priv = (opFull & FUTEX_PRIVATE_FLAG) !== 0;
  const realtime = (opFull & FUTEX_CLOCK_REALTIME) !== 0;
  const op = opFull & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (realtime && op !== FUTEX_WAIT_BITSET && op !== FUTEX_WAIT_REQUEUE_PI && op !== FUTEX_LOCK_PI2) kerr(ENOSYS);
  switch (op) {
    case FUTEX_WAIT: return futexWait(t, uaddr, val, timeout, FUTEX_BITSET_MATCH_ANY, priv, false, false);
    case FUTEX_WAIT_BITSET: return futexWait(t, uaddr, val, timeout, val3, priv, true, realtime);
    case FUTEX_WAKE: case FUTEX_WAKE_BITSET: {
      const bits = op === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : u32Arg(val3);
      if (bits === 0) kerr(EINVAL);
      if (uaddr % 4) kerr(EINVAL);
      return futexWakeKey(t.k, futexKeyFor(t.mm, uaddr, priv), val >>> 0 > 0x7fffffff ? 0x7fffffff : val, bits);
    }
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: {
      if (uaddr % 4 || uaddr2 % 4) kerr(EINVAL);
      if ((i32Arg(val)) < 0 || (i32Arg(timeout)) < 0) kerr(EINVAL);
      if (op === FUTEX_CMP_REQUEUE && um(t).u32(uaddr) !== (u32Arg(val3))) kerr(EAGAIN);
      return futexRequeue(t.k, futexKeyFor(t.mm, uaddr, priv), futexKeyFor(t.mm, uaddr2, priv), val, i32Arg(timeout));
    }
    case FUTEX_WAKE_OP: return wakeOp(t, uaddr, uaddr2, val, i32Arg(timeout), u32Arg(val3), priv);
    case FUTEX_LOCK_PI: return futexLockPi(t, uaddr, timeout, priv, true, false);
    case FUTEX_LOCK_PI2: return futexLockPi(t, uaddr, timeout, priv, realtime, false);
    case FUTEX_TRYLOCK_PI: return futexLockPi(t, uaddr, 0, priv, false, true);
    case FUTEX_UNLOCK_PI: return futexUnlockPi(t, uaddr, priv);
    case FUTEX_WAIT_REQUEUE_PI: case FUTEX_CMP_REQUEUE_PI:
      return kerr(ENOSYS);
    default: return kerr(ENOSYS);
  }
}

defineSyscalls({
  futex: [(t, uaddr, op, val, timeout, uaddr2, val3) => futex(t, uaddr, i32Arg(op), val, timeout, uaddr2, val3),
    "partial", "LOCK_PI/LOCK_PI2/TRYLOCK_PI/UNLOCK_PI without priority boosting (waiters in arrival order); WAIT_REQUEUE_PI and CMP_REQUEUE_PI return ENOSYS"],
});

export { EFAULT };
