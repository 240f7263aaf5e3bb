// Small helpers shared by the syscall families.

import { UserMemory } from "../mm/uaccess.js";
import { KernelError } from "../kernel/errors.js";
import { EAGAIN, EFAULT } from "../abi/errno.js";
import type { Task } from "../kernel/task.js";
import type { File, IoctlContext } from "../fs/file.js";
import { BLOCK } from "./table.js";

export function um(t: Task): UserMemory { return new UserMemory(t.mm); }

// A path argument: NUL-terminated, at most PATH_MAX.
export function pathArg(t: Task, va: number): string {
  if (va === 0) throw new KernelError(EFAULT);
  return um(t).readCString(va, 4096);
}

export function ioctlContext(t: Task): IoctlContext {
  const m = um(t);
  return {
    copyIn: (va, len) => m.read(va, len), copyOut: (va, data) => m.write(va, data),
    capable: (cap) => (t.cred.capEff & (1n << BigInt(cap))) !== 0n,
  };
}

// Runs a stream operation; if it would block and the file is blocking, parks
// the task on the file's wait queue so the syscall is retried.
export function blockingIo(t: Task, f: File, op: () => number): number {
  try {
    return op();
  } catch (e) {
    if (e instanceof KernelError && e.errno === EAGAIN && !f.nonblock) {
      const wq = f.ops.waitQueue?.(f);
      if (wq) { t.sleepOn([wq]); return BLOCK; }
    }
    throw e;
  }
}
