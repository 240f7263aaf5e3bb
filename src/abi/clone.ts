// clone(2)/clone3(2)/unshare(2) flags and struct clone_args (linux/sched.h).
//
// riscv selects CONFIG_CLONE_BACKWARDS, so the raw clone syscall (220) takes
//   a0 = flags, a1 = newsp, a2 = parent_tid, a3 = tls, a4 = child_tid
// (glibc's and musl's riscv __clone shuffle their arguments into that order).
//
// CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP are above bit 31: they are exact
// as numbers, but JS bitwise operators truncate to 32 bits, so test them with
// `cloneFlagSet` (bigint) rather than `&`.

import { struct } from "./struct.js";

/** Low byte of clone() flags: the signal sent to the parent on exit. */
export const CSIGNAL = 0x0000_00ff;
/** Only in clone3/unshare (the bit is part of CSIGNAL for clone). */
export const CLONE_NEWTIME = 0x0000_0080;
export const CLONE_VM = 0x0000_0100;
export const CLONE_FS = 0x0000_0200;
export const CLONE_FILES = 0x0000_0400;
export const CLONE_SIGHAND = 0x0000_0800;
export const CLONE_PIDFD = 0x0000_1000;
export const CLONE_PTRACE = 0x0000_2000;
export const CLONE_VFORK = 0x0000_4000;
export const CLONE_PARENT = 0x0000_8000;
export const CLONE_THREAD = 0x0001_0000;
export const CLONE_NEWNS = 0x0002_0000;
export const CLONE_SYSVSEM = 0x0004_0000;
export const CLONE_SETTLS = 0x0008_0000;
export const CLONE_PARENT_SETTID = 0x0010_0000;
export const CLONE_CHILD_CLEARTID = 0x0020_0000;
export const CLONE_DETACHED = 0x0040_0000;
export const CLONE_UNTRACED = 0x0080_0000;
export const CLONE_CHILD_SETTID = 0x0100_0000;
export const CLONE_NEWCGROUP = 0x0200_0000;
export const CLONE_NEWUTS = 0x0400_0000;
export const CLONE_NEWIPC = 0x0800_0000;
export const CLONE_NEWUSER = 0x1000_0000;
export const CLONE_NEWPID = 0x2000_0000;
export const CLONE_NEWNET = 0x4000_0000;
export const CLONE_IO = 0x8000_0000;
/** clone3 only: reset all signal handlers to default in the child. */
export const CLONE_CLEAR_SIGHAND = 0x1_0000_0000;
/** clone3 only: place the child in the cgroup given by clone_args.cgroup. */
export const CLONE_INTO_CGROUP = 0x2_0000_0000;

/** All namespace flags (unshare/setns). */
export const CLONE_NS_FLAGS =
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME) >>> 0;

/** True when `flag` (any width) is set in 64-bit `flags`. */
export function cloneFlagSet(flags: bigint, flag: number): boolean {
  return (flags & BigInt(flag)) !== 0n;
}

/** struct clone_args (clone3). Pointers and ids are all __aligned_u64. */
export const clone_args = struct("struct clone_args", 88, {
  flags: [0, "u64"],
  pidfd: [8, "u64"],
  child_tid: [16, "u64"],
  parent_tid: [24, "u64"],
  exit_signal: [32, "u64"],
  stack: [40, "u64"],
  stack_size: [48, "u64"],
  tls: [56, "u64"],
  set_tid: [64, "u64"],
  set_tid_size: [72, "u64"],
  cgroup: [80, "u64"],
});

/** First published size of clone_args (through tls). */
export const CLONE_ARGS_SIZE_VER0 = 64;
/** Adds set_tid, set_tid_size. */
export const CLONE_ARGS_SIZE_VER1 = 80;
/** Adds cgroup. */
export const CLONE_ARGS_SIZE_VER2 = 88;

/** Argument registers of the raw clone syscall on riscv64, by meaning (a0..a4). */
export const CLONE_ARG = {
  flags: 0,
  newsp: 1,
  parent_tid: 2,
  tls: 3,
  child_tid: 4,
} as const;
