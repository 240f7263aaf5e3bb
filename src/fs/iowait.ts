// Waiting for I/O: the one helper every file, pipe, tty, socket and splice
// path uses (gVisor's read loop: try, and on "would block" register for the
// file's events and block). The operation tests its condition; a stream
// with nothing for the caller yet throws EAGAIN. On a blocking file the task
// then sleeps on the object's wait queue and the syscall runs again when
// woken (kernel/blocking.ts); on a non-blocking one the program gets EAGAIN.

import { KernelError } from "../lib/errors.js";
import { EAGAIN } from "../abi/errno.js";
import { sleepOn } from "../kernel/blocking.js";
import type { WaitQueue } from "../lib/wait.js";
import type { Task } from "../kernel/task.js";
import type { File } from "./file.js";

export interface IoWait {
  // Whether the call must not wait (default: the file's O_NONBLOCK).
  nonblock?: boolean;
  // The queues to sleep on (default: the file's own wait queue).
  queues?: () => WaitQueue[];
  // The deadline to sleep to (ns, monotonic; null: none), or false when the
  // call must not wait after all (a timeout that ran out): EAGAIN then.
  until?: () => number | null | false;
  // Records the call's progress in t.restart before it sleeps.
  park?: (deadline: number | null) => void;
}

export function isWouldBlock(e: unknown): boolean { return e instanceof KernelError && e.errno === EAGAIN; }

// Runs `attempt`; if it would block and the call may wait, sleeps (never returns).
export function waitForIo<T>(t: Task, f: File, attempt: () => T, w: IoWait = {}): T {
  try {
    return attempt();
  } catch (e) {
    if (!isWouldBlock(e) || (w.nonblock ?? f.nonblock)) throw e;
    const queues = w.queues ? w.queues() : fileQueue(f);
    if (queues.length === 0) throw e;
    const deadline = w.until ? w.until() : null;
    if (deadline === false) throw e;
    w.park?.(deadline);
    return sleepOn(t, queues, deadline ?? undefined);
  }
}

function fileQueue(f: File): WaitQueue[] {
  const q = f.ops.waitQueue?.(f);
  return q ? [q] : [];
}
