// Errors inside the kernel. A guest's mistake is a KernelError carrying the
// errno the syscall returns; anything else thrown is a kernel bug (an oops).

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

export function kerr(errno: number, message?: string): never {
  throw new KernelError(errno, message);
}
