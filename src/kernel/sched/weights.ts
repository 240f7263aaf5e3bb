// Load weights and the fixed-point arithmetic of the fair class.
//
// A nice level maps to a weight; neighbouring levels differ by about 1.25, so
// one nice step moves roughly 10% of CPU between two competing tasks. Weights
// here are kept in the unscaled (NICE_0 = 1024) unit: Linux scales them by
// 2^10 on 64-bit machines and scales them back down wherever they meet a
// vruntime, so every result is the same.

export const NICE_0_LOAD = 1024;
export const MAX_NICE = 19;
export const MIN_NICE = -20;
export const NICE_WIDTH = 40;
export const MAX_RT_PRIO = 100;
export const DEFAULT_PRIO = MAX_RT_PRIO + 20; // static priority of nice 0

// Weight of each nice level, -20 … 19 (index = nice + 20).
export const PRIO_TO_WEIGHT: readonly number[] = [
  88761, 71755, 56483, 46273, 36291,
  29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906,
  3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423,
  335, 272, 215, 172, 137,
  110, 87, 70, 56, 45,
  36, 29, 23, 18, 15,
];

// About 2^32 / weight: the inverse weights that turn a division by the weight
// into a multiply and a shift. Linux derives them from the exact (unrounded)
// 1.25 progression, so a few differ by one from 2^32 divided by the rounded
// weight; these are Linux's values.
export const PRIO_TO_WMULT: readonly number[] = [
  48388, 59856, 76040, 92818, 118348,
  147320, 184698, 229616, 287308, 360437,
  449829, 563644, 704093, 875809, 1099582,
  1376151, 1717300, 2157191, 2708050, 3363326,
  4194304, 5237765, 6557202, 8165337, 10153587,
  12820798, 15790321, 19976592, 24970740, 31350126,
  39045157, 49367440, 61356676, 76695844, 95443717,
  119304647, 148102320, 186737708, 238609294, 286331153,
];

// SCHED_IDLE tasks: a weight below nice 19's.
export const WEIGHT_IDLEPRIO = 3;
export const WMULT_IDLEPRIO = Math.floor(2 ** 32 / WEIGHT_IDLEPRIO);

const WMULT_CONST = 2 ** 32 - 1;
const TWO32 = 2 ** 32;

export interface LoadWeight { weight: number; invWeight: number }

// floor(a * b / 2^shift) for non-negative integers, exact over the whole
// 64-bit range (the product may exceed 2^53: then BigInt does it).
export function mulShr(a: number, b: number, shift: number): number {
  const p = a * b;
  if (p < 2 ** 53) return Math.floor(p / 2 ** shift);
  return Number((BigInt(a) * BigInt(b)) >> BigInt(shift));
}

// Linux's __calc_delta: delta * weight / lw.weight through the inverse
// weight, with the same truncations.
export function calcDelta(delta: number, weight: number, lw: LoadWeight): number {
  if (!lw.invWeight) {
    const w = lw.weight;
    lw.invWeight = w >= WMULT_CONST ? 1 : w === 0 ? WMULT_CONST : Math.floor(WMULT_CONST / w);
  }
  let fact = weight;
  let shift = 32;
  while (fact >= TWO32) { fact = Math.floor(fact / 2); shift--; }
  fact = fact * lw.invWeight; // < 2^64: exact while < 2^53, which holds for every weight here
  while (fact >= TWO32) { fact = Math.floor(fact / 2); shift--; }
  return mulShr(delta, fact, shift);
}

// Wall time to virtual time for an entity: delta * NICE_0_LOAD / weight.
export function calcDeltaFair(delta: number, lw: LoadWeight): number {
  if (lw.weight !== NICE_0_LOAD) return calcDelta(delta, NICE_0_LOAD, lw);
  return delta;
}

// Signed 64-bit division truncating toward zero (div_s64).
export function divS64(a: number, b: number): number {
  const q = a / b;
  if (Math.abs(a) < 2 ** 53 && Math.abs(q) < 2 ** 52) {
    const t = Math.trunc(q);
    // Guard against rounding in the float division: check with exact integers.
    const r = a - t * b;
    if (Math.abs(r) < Math.abs(b) && (r === 0 || Math.sign(r) === Math.sign(a))) return t;
  }
  return Number(BigInt(Math.trunc(a)) / BigInt(Math.trunc(b)));
}

// a * b / c with the product exact (the result truncated toward zero).
export function mulDivS64(a: number, b: number, c: number): number {
  const p = a * b;
  if (Math.abs(p) < 2 ** 53) return divS64(p, c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

// Position of the most significant set bit, 1-based (fls64); 0 for 0.
export function fls64(v: number): number {
  if (v <= 0) return 0;
  if (v < TWO32) return 32 - Math.clz32(v);
  return 32 + (32 - Math.clz32(Math.floor(v / TWO32)));
}

export function ilog2(v: number): number { return fls64(v) - 1; }

export function niceToWeight(nice: number): number { return PRIO_TO_WEIGHT[nice + 20]; }
