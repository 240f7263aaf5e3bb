// Small helpers shared by the syscall families.

import { UserMemory } from "../mm/uaccess.js";
import { KernelError } from "../lib/errors.js";
import { EFAULT } from "../abi/errno.js";
import type { Task } from "../kernel/task.js";
import type { IoctlContext } from "../fs/file.js";
import { hasCap } from "../kernel/cred.js";

export function um(t: Task): UserMemory { return UserMemory.of(t.mm); }

// A path argument: NUL-terminated, at most PATH_MAX.
export function pathArg(t: Task, va: number): string {
  if (va === 0) throw new KernelError(EFAULT);
  return um(t).readCString(va, 4096);
}

export function ioctlContext(t: Task): IoctlContext {
  const m = um(t);
  return {
    copyIn: (va, len) => m.read(va, len), copyOut: (va, data) => m.write(va, data),
    capable: (cap) => hasCap(t.cred, cap), fsuid: t.cred.fsuid,
    fget: (fd) => t.files.get(fd),
  };
}
