// How a 64-bit guest word (a register, a u64/i64 struct field) becomes a
// JavaScript number, the one place where that happens.
//
// A double holds every integer of magnitude up to 2^53 exactly, which covers
// every user address (TASK_SIZE is 2^47), every length the kernel accepts
// and every file offset Ghost can reach. A guest may still pass any 64-bit
// value, and rounding it would mis-decode it: 2^62 + 5 would round to 2^62,
// whose low 32 bits (the fd Linux reads from an `unsigned int` argument) are
// 0, not 5. So a word past ±2^53 saturates its high half instead: the result
// keeps the word's sign and its exact low 32 bits (`v | 0`, `v >>> 0`), and
// its magnitude, at least 2^53 - 2^32, is past every limit the kernel checks
// (an address faults, a length is too long, a time is past KTIME_MAX), so
// each place gives the errno Linux gives there without a special case.
// Code that needs the exact value (64-bit masks, rlimits) reads a bigint.

const TWO_32 = 0x1_0000_0000;
/** The high half (signed) of a saturated positive word: 2^21 - 1. */
const HI_MAX = 0x1f_ffff;
/** The high half of a saturated negative word: -2^21. */
const HI_MIN = -0x20_0000;

/** The smallest magnitude a saturated word has: every value at or past it is "too big". */
export const WORD_SATURATED = HI_MAX * TWO_32;

/** A signed 64-bit word (lo as u32, hi as i32) as a number, saturated past ±2^53. */
export function i64Word(lo: number, hi: number): number {
  if (hi > HI_MAX) hi = HI_MAX;
  else if (hi < HI_MIN) hi = HI_MIN;
  return hi * TWO_32 + (lo >>> 0);
}

/** An unsigned 64-bit word (lo and hi as u32) as a number, saturated past 2^53. */
export function u64Word(lo: number, hi: number): number {
  hi >>>= 0;
  if (hi > HI_MAX) hi = HI_MAX;
  return hi * TWO_32 + (lo >>> 0);
}

/** Whether a number read through i64Word/u64Word was saturated (the guest's value did not fit). */
export function saturated(v: number): boolean {
  return v >= WORD_SATURATED || v < -WORD_SATURATED;
}
