// Errors inside the kernel. A guest's mistake is a KernelError carrying the
// errno the syscall returns; anything else thrown is a kernel bug (an oops).

import { MAX_ERRNO } from "../abi/errno.js";

export class KernelError extends Error {
  constructor(readonly errno: number, message?: string) {
    // No stack trace: a guest's error is not a bug to locate, and capturing
    // one cost more than the rest of a blocking read's EAGAIN (V8's
    // Error.stackTraceLimit; other engines ignore it).
    const E = Error as { stackTraceLimit?: number };
    const limit = E.stackTraceLimit;
    E.stackTraceLimit = 0;
    super(message ?? `errno ${errno}`);
    E.stackTraceLimit = limit;
  }
}

// One KernelError per errno for kerr without a message: it carries nothing
// but the errno (no stack, a fixed message) and nobody changes one, and an
// expected failure is frequent — every empty pipe read or changed futex word
// throws EAGAIN before it sleeps — so it need not build an Error each time.
const shared: KernelError[] = [];

export function kerr(errno: number, message?: string): never {
  if (message === undefined && Number.isInteger(errno) && errno > 0 && errno <= MAX_ERRNO) {
    throw (shared[errno] ??= new KernelError(errno));
  }
  throw new KernelError(errno, message);
}
