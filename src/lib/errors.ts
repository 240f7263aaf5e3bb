// Errors inside the kernel. A guest's mistake is a KernelError carrying the
// errno the syscall returns; anything else thrown is a kernel bug (an oops).

export class KernelError extends Error {
  constructor(readonly errno: number, message?: string) {
    super(message ?? `errno ${errno}`);
  }
}

export function kerr(errno: number, message?: string): never {
  throw new KernelError(errno, message);
}
