// What a parked syscall keeps across its restarts (Task.restart): one case
// per kind of wait, told apart by `kind`, so a retried syscall reads back
// exactly what it stored (blocking.ts). Cleared when the syscall completes
// or a signal ends it (Kernel.dropRestart).

import type { ClockBaseId } from "./time/hrtimer.js";
import type { FutexWaiter } from "./futex.js";
import type { Task } from "./task.js";

export type Restart =
  // nanosleep, clock_nanosleep: the clock and the absolute expiry.
  | { kind: "nanosleep"; base: ClockBaseId; expires: number }
  // A wait with a timeout fixed at its first sleep (poll, select, epoll_wait,
  // sigtimedwait, accept, connect): null waits for good.
  | { kind: "deadline"; deadline: number | null }
  // rt_sigsuspend: the mask is in place; wait for a signal.
  | { kind: "sigsuspend" }
  // write on a stream: the bytes already taken (a blocking write completes whole).
  | { kind: "write"; written: number }
  // send/recv on a socket: the bytes moved so far, and the SO_*TIMEO deadline.
  | { kind: "send"; sent: number; deadline: number | null }
  | { kind: "recv"; got: number; deadline: number | null }
  // sendmmsg/recvmmsg: the messages done, the timeout, and the current message's own state.
  | { kind: "mmsg"; done: number; deadline: number | null; inner: Restart | null }
  // futex waits: the queued waiter (PI: handed the lock by the unlocker).
  | { kind: "futex"; waiter: FutexWaiter; deadline: number | null }
  // futex_waitv: one waiter per futex, all queued; the first woken wins.
  | { kind: "futex_waitv"; waiters: FutexWaiter[]; deadline: number | null }
  | { kind: "futex_pi"; pi: FutexWaiter & { handed?: boolean }; deadline: number | null }
  // msgrcv/msgsnd: the queue waited on (removed: EIDRM).
  | { kind: "msgq"; queue: { readonly removed: boolean } }
  // semop: the set waited on.
  | { kind: "semop"; semid: number; deadline: number | null }
  // vfork: the child the parent waits for.
  | { kind: "vfork"; child: Task }
  // open of a FIFO: counted as a reader or writer, waiting for the partner's open counter to move.
  | { kind: "fifo_open"; fifo: object; role: "r" | "w"; seen: number }
  // read on a tty: when the read began (VTIME).
  | { kind: "tty_read"; start: number };

export type RestartKind = Restart["kind"];
export type RestartOf<K extends RestartKind> = Extract<Restart, { kind: K }>;

// The state a retried syscall stored, if it is of this kind.
export function restartOf<K extends RestartKind>(t: Task, kind: K): RestartOf<K> | null {
  const r = t.restart;
  return r !== null && r.kind === kind ? (r as RestartOf<K>) : null;
}
