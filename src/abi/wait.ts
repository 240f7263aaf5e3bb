// wait4/waitid options, idtypes and the wait status word (linux/wait.h).

export const WNOHANG = 0x0000_0001;
export const WUNTRACED = 0x0000_0002;
export const WSTOPPED = WUNTRACED;
export const WEXITED = 0x0000_0004;
export const WCONTINUED = 0x0000_0008;
/** Leave the child waitable. */
export const WNOWAIT = 0x0100_0000;
/** Don't wait on children of other threads in this group. */
export const __WNOTHREAD = 0x2000_0000;
/** Wait on all children, regardless of type. */
export const __WALL = 0x4000_0000;
/** Wait only on non-SIGCHLD children. */
export const __WCLONE = 0x8000_0000;

// waitid idtype
export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;

/** Core-dump flag in a "killed by signal" status. */
export const WCOREFLAG = 0x80;
/** Low byte of a "stopped" status. */
export const WSTOPFLAG = 0x7f;
/** The whole status word of a continued child. */
export const WCONTINUED_STATUS = 0xffff;

// Encoding: what the kernel stores in *wstatus.
/** Exited normally with `code` (only the low 8 bits survive). */
export function wExited(code: number): number {
  return (code & 0xff) << 8;
}
/** Killed by `sig`, with the core flag when a core was dumped. */
export function wSignaled(sig: number, core = false): number {
  return (sig & 0x7f) | (core ? WCOREFLAG : 0);
}
/** Stopped by `sig`; `ptraceEvent` goes in bits 16..23 for PTRACE_EVENT stops. */
export function wStopped(sig: number, ptraceEvent = 0): number {
  return ((ptraceEvent & 0xff) << 16) | ((sig & 0xff) << 8) | WSTOPFLAG;
}
/** Continued by SIGCONT. */
export function wContinued(): number {
  return WCONTINUED_STATUS;
}

// Decoding (the libc W* macros).
export const WEXITSTATUS = (s: number): number => (s & 0xff00) >> 8;
export const WTERMSIG = (s: number): number => s & 0x7f;
export const WSTOPSIG = (s: number): number => WEXITSTATUS(s);
export const WIFEXITED = (s: number): boolean => WTERMSIG(s) === 0;
export const WIFSTOPPED = (s: number): boolean => (s & 0xff) === WSTOPFLAG;
export const WIFSIGNALED = (s: number): boolean => (s & 0x7f) !== 0 && (s & 0x7f) !== 0x7f;
export const WIFCONTINUED = (s: number): boolean => s === WCONTINUED_STATUS;
export const WCOREDUMP = (s: number): boolean => (s & WCOREFLAG) !== 0;
