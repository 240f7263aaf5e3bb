// The one blocking model. A syscall that cannot finish now (empty pipe,
// futex, child still running) parks its task on the wait queues of what it
// waits for and returns BLOCK; when a wake comes the syscall runs again from
// the start, finding what it kept in t.restart (restart.ts), as Linux's
// -ERESTARTSYS restarts a syscall a signal interrupted. A signal arriving
// first interrupts the sleep (kernel/signal.ts: EINTR or a restart).
//
// Whoever tests the condition sleeps right there, as xv6's piperead does:
// sleepOn() parks the task and unwinds to the syscall table, which returns
// BLOCK for it; a handler writes `return sleepOn(t, queues)`. File I/O tests
// its condition in the file's operations (a stream throws EAGAIN when it has
// nothing yet) and sleeps through the one helper fs/iowait.ts waitForIo.

import type { WaitQueue } from "../lib/wait.js";
import type { Task } from "./task.js";

// A handler's sentinels, outside any errno or result range: the task now
// sleeps and will retry the syscall; or the handler already set every
// register (execve, rt_sigreturn, exit).
export const BLOCK = -(2 ** 52);
export const NORETURN = -(2 ** 52) - 1;

// What sleepOn() throws: one object, made once (blocking is frequent and
// must not allocate). Not an Error: it is not a failure and carries no stack.
export class Sleeping {
  private constructor() { /* the single instance below */ }
  static readonly instance = new Sleeping();
}

export function isSleeping(e: unknown): boolean { return e === Sleeping.instance; }

// Parks t on the queues (and an optional deadline in ns on the monotonic
// clock) and unwinds the syscall; it is retried when t wakes.
export function sleepOn(t: Task, queues: readonly WaitQueue[], deadline?: number): never {
  t.sleepOn(queues, deadline);
  throw Sleeping.instance;
}

// No queue: a sleep that only a direct wake (futex) or the deadline ends.
export const NO_QUEUES: readonly WaitQueue[] = Object.freeze([]);

// sleepOn() for a handler that returns its result straight to the syscall
// table: parks t and gives BLOCK to return, with no unwinding. The futex
// path, where the throw through the handler's frames cost about as much as
// the rest of FUTEX_WAIT.
export function park(t: Task, queues: readonly WaitQueue[], deadline?: number): number {
  t.sleepOn(queues, deadline);
  return BLOCK;
}
