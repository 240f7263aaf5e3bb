// Typed syscall arguments: the checked decoder every handler uses where a
// guest value becomes a length, an index, an allocation size or a pointer.
//
// Registers and 64-bit struct fields arrive as numbers through abi/word.ts:
// exact up to ±2^53, saturated past it with sign and low 32 bits kept. These
// helpers give each argument its C type as Linux reads it, so a value no
// program could mean becomes the errno Linux gives in that place (or Linux's
// clamp), never a RangeError from `new Uint8Array(-1)`.

import { kerr } from "../lib/errors.js";
import { EFAULT } from "../abi/errno.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { TASK_SIZE } from "../mm/mm.js";

/** INT_MAX, a bound Linux puts on many lengths (sendto, recvfrom, getrandom). */
export const INT_MAX = 0x7fff_ffff;
/** Linux's MAX_RW_COUNT (INT_MAX & PAGE_MASK): one read or write moves at most this much. */
export const MAX_RW_COUNT = INT_MAX - (PAGE_SIZE - 1);
/** What a size_t at or past 2^53 (or a "negative" one, >= 2^63) decodes to: larger than every limit. */
export const SIZE_HUGE = 2 ** 53;

/** An `int` argument (fd, flags, signal): the low 32 bits, signed, as Linux truncates it. */
export function i32Arg(v: number): number { return v | 0; }

/** An `unsigned int` argument: the low 32 bits. */
export function u32Arg(v: number): number { return v >>> 0; }

/** A file descriptor argument (`unsigned int fd` or `int fd`: negative ones stay negative). */
export function fdArg(v: number): number { return v | 0; }

/**
 * A size_t argument or field: its value when it is below 2^53, else SIZE_HUGE.
 * A "negative" length (a u64 at or past 2^63, which reg() gives as a negative
 * number) is a huge size_t, as in C; compare the result with the limit of
 * the place.
 */
export function sizeArg(v: number): number {
  return v >= 0 && v < SIZE_HUGE ? v : SIZE_HUGE;
}

/** A ssize_t/size_t length that must not be negative as ssize_t (iov_len): -1 when it is. */
export function ssizeArg(v: number | bigint): number {
  if (typeof v === "bigint") return BigInt.asIntN(64, v) < 0n ? -1 : sizeArg(Number(v));
  return v < 0 ? -1 : sizeArg(v);
}

/** A read/write count: size_t clamped to MAX_RW_COUNT, as Linux's rw_verify_area callers do. */
export function rwCount(v: number): number {
  return Math.min(sizeArg(v), MAX_RW_COUNT);
}

/** A length Linux clamps to INT_MAX (sendto, recvfrom, getrandom). */
export function intLen(v: number): number {
  return Math.min(sizeArg(v), INT_MAX);
}

/**
 * A user pointer that will be used for `len` bytes: Linux's access_ok. EFAULT
 * when [ptr, ptr+len) is not inside the user half (TASK_SIZE); a length of 0
 * needs no valid address.
 */
export function userRange(ptr: number, len: number): number {
  if (len === 0) return ptr;
  if (!(ptr >= 0 && ptr < TASK_SIZE && sizeArg(len) <= TASK_SIZE - ptr)) kerr(EFAULT);
  return ptr;
}

/** A user pointer argument: EFAULT unless it is an address of the user half. */
export function userPtr(v: number): number {
  if (!(v >= 0 && v < TASK_SIZE)) kerr(EFAULT);
  return v;
}

/** A loff_t argument or field: signed, exact within ±2^53, saturated past it (callers check the range). */
export function offArg(v: number): number { return v; }
