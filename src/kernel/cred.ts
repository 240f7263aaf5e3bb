// Credentials (Linux's struct cred): who a task acts as, for permission checks.

import { CAP_SYS_PTRACE } from "../abi/prctl.js";

export interface Cred { uid: number; gid: number; fsuid: number; fsgid: number; groups: number[] }

// A task's credentials: the four uid and gid pairs and the capability sets (bit n = capability n).
export interface TaskCred extends Cred {
  euid: number; egid: number; suid: number; sgid: number;
  capEff: bigint; capPrm: bigint; capInh: bigint;
  // The bounding set (PR_CAPBSET_DROP); absent: every capability.
  capBnd?: bigint;
  // PR_SET_SECUREBITS' bits other than SECBIT_KEEP_CAPS (the task's keepCaps); absent: 0.
  // Kept and reported; Ghost does not act on NOROOT and the like.
  securebits?: number;
}

// The bounding set of `c`.
export function capBnd(c: TaskCred): bigint { return c.capBnd ?? CAP_FULL; }

// Whether capability `cap` (CAP_* of abi/prctl.ts) is in effect for c: Linux's
// capable()/ns_capable() for Ghost's one user namespace.
export function hasCap(c: { capEff: bigint }, cap: number): boolean { return (c.capEff & (1n << BigInt(cap))) !== 0n; }

// Whether going from `was` to `now` is a change commit_creds answers by
// making the process undumpable and clearing its parent-death signal: the
// effective or filesystem ids changed, or permitted capabilities were gained.
export function credsChangeDumpability(
  was: Pick<TaskCred, "euid" | "egid" | "fsuid" | "fsgid" | "capPrm">,
  now: Pick<TaskCred, "euid" | "egid" | "fsuid" | "fsgid" | "capPrm">,
): boolean {
  return now.euid !== was.euid || now.egid !== was.egid || now.fsuid !== was.fsuid || now.fsgid !== was.fsgid ||
    (now.capPrm & ~was.capPrm) !== 0n;
}

// Every capability Linux 6.15 knows (0..40).
export const CAP_FULL = (1n << 41n) - 1n;

// Linux's ptrace_may_access for one process inspecting or acting on another
// (kcmp, process_vm_readv/writev, pidfd_getfd, /proc/PID/mem): the same
// process always may; otherwise the caller's real ids (REALCREDS) or
// filesystem ids (FSCREDS) must match all three of the target's uids and
// gids and the target must be dumpable, unless the caller has CAP_SYS_PTRACE.
export function ptraceMayAccess(
  caller: TaskCred, target: TaskCred, targetDumpable: boolean, sameProcess: boolean, mode: "realcreds" | "fscreds",
): boolean {
  if (sameProcess) return true;
  const hasPtrace = hasCap(caller, CAP_SYS_PTRACE);
  const uid = mode === "realcreds" ? caller.uid : caller.fsuid;
  const gid = mode === "realcreds" ? caller.gid : caller.fsgid;
  const idsMatch = uid === target.uid && uid === target.euid && uid === target.suid &&
    gid === target.gid && gid === target.egid && gid === target.sgid;
  if (!idsMatch && !hasPtrace) return false;
  return targetDumpable || hasPtrace;
}
