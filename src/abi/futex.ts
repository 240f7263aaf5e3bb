// futex(2) and futex2 (futex_waitv/futex_wake/futex_wait/futex_requeue)
// constants, FUTEX_WAKE_OP encoding, and robust-list layouts (linux/futex.h).

import { struct } from "./struct.js";

export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_FD = 2;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_LOCK_PI = 6;
export const FUTEX_UNLOCK_PI = 7;
export const FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12;
export const FUTEX_LOCK_PI2 = 13;

export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

export const FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
export const FUTEX_REQUEUE_PRIVATE = FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG;
export const FUTEX_CMP_REQUEUE_PRIVATE = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_OP_PRIVATE = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG;
export const FUTEX_LOCK_PI_PRIVATE = FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_LOCK_PI2_PRIVATE = FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG;
export const FUTEX_UNLOCK_PI_PRIVATE = FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_TRYLOCK_PI_PRIVATE = FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAIT_REQUEUE_PI_PRIVATE = FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_CMP_REQUEUE_PI_PRIVATE = FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG;

/** Bitset that matches every waiter (FUTEX_WAIT/WAKE use it). */
export const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

// futex2 flags (futex_waitv since 5.16; futex_wake/wait/requeue since 6.7)
export const FUTEX2_SIZE_U8 = 0x00;
export const FUTEX2_SIZE_U16 = 0x01;
export const FUTEX2_SIZE_U32 = 0x02;
export const FUTEX2_SIZE_U64 = 0x03;
/** The futex is followed by a NUMA node id (header since 6.7; accepted from Linux 6.16). */
export const FUTEX2_NUMA = 0x04;
export const FUTEX2_PRIVATE = FUTEX_PRIVATE_FLAG;
export const FUTEX2_SIZE_MASK = 0x03;
/** futex_waitv's name for a 32-bit futex. */
export const FUTEX_32 = FUTEX2_SIZE_U32;
/** Most waiters one futex_waitv call takes. */
export const FUTEX_WAITV_MAX = 128;

/** struct futex_waitv. */
export const futex_waitv = struct("struct futex_waitv", 24, {
  val: [0, "u64"],
  uaddr: [8, "u64"],
  flags: [16, "u32"],
  __reserved: [20, "u32"],
});

// PI / robust futex word
export const FUTEX_WAITERS = 0x8000_0000;
export const FUTEX_OWNER_DIED = 0x4000_0000;
export const FUTEX_TID_MASK = 0x3fff_ffff;
/** Most entries the kernel walks in a robust list at exit. */
export const ROBUST_LIST_LIMIT = 2048;

/** struct robust_list: just the next pointer. */
export const robust_list = struct("struct robust_list", 8, {
  next: [0, "u64"],
});
/** struct robust_list_head (set_robust_list's len must be its size, 24). */
export const robust_list_head = struct("struct robust_list_head", 24, {
  list_next: [0, "u64"],
  futex_offset: [8, "i64"],
  list_op_pending: [16, "u64"],
});

// FUTEX_WAKE_OP: encoded op = op<<28 | cmp<<24 | oparg<<12 | cmparg
export const FUTEX_OP_SET = 0;
export const FUTEX_OP_ADD = 1;
export const FUTEX_OP_OR = 2;
export const FUTEX_OP_ANDN = 3;
export const FUTEX_OP_XOR = 4;
/** OR-ed into op: use (1 << oparg) as the operand. */
export const FUTEX_OP_OPARG_SHIFT = 8;
export const FUTEX_OP_CMP_EQ = 0;
export const FUTEX_OP_CMP_NE = 1;
export const FUTEX_OP_CMP_LT = 2;
export const FUTEX_OP_CMP_LE = 3;
export const FUTEX_OP_CMP_GT = 4;
export const FUTEX_OP_CMP_GE = 5;

/** Encodes FUTEX_WAKE_OP's val3 (the FUTEX_OP macro). */
export function FUTEX_OP(op: number, oparg: number, cmp: number, cmparg: number): number {
  return (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)) >>> 0;
}

export interface FutexOp {
  /** FUTEX_OP_SET..XOR */
  readonly op: number;
  /** FUTEX_OP_OPARG_SHIFT was set */
  readonly shift: boolean;
  /** FUTEX_OP_CMP_* */
  readonly cmp: number;
  /** signed 12-bit operand (before any shift) */
  readonly oparg: number;
  /** signed 12-bit comparand */
  readonly cmparg: number;
}

/** Decodes val3 of FUTEX_WAKE_OP the way the kernel does (12-bit fields sign-extended). */
export function decodeFutexOp(encoded: number): FutexOp {
  const e = encoded >>> 0;
  const op4 = (e >>> 28) & 0xf;
  return {
    op: op4 & 7,
    shift: (op4 & FUTEX_OP_OPARG_SHIFT) !== 0,
    cmp: (e >>> 24) & 0xf,
    oparg: ((e >>> 12) << 20) >> 20,
    cmparg: (e << 20) >> 20,
  };
}
