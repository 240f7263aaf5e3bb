// RV64F/RV64D arithmetic for the hart: FMADD/FMSUB/FNMSUB/FNMADD and OP-FP.
//
// Results are bit-exact with IEEE 754-2019 as RISC-V specifies it: every NaN result is the
// canonical NaN, singles are NaN-boxed (an improperly boxed operand reads as the canonical NaN),
// all five rounding modes, and exact fflags with tininess detected after rounding.
//
// The common case (round-to-nearest-even, finite operands, a result comfortably inside the
// normal range) runs on the host's own float instructions, which round the same way, with a
// cheap exact test for inexactness. Everything else goes to the software core in fpu-soft.ts.
// The fast paths only ever answer when the answer is provably what the soft path would give.

import { F_REGS, X_REGS, FCSR, CAUSE_ILLEGAL, FFLAG_NX } from "./layout";
import {
  sfFlags, sfClear, sfAdd, sfMul, sfDiv, sfSqrt, sfFma, sfCvtFF, sfFromInt, sfToInt,
  sfMinMax, sfCompare, sfClass,
  RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM, K_W, K_WU, K_L, K_LU,
  SIGN_D, EXP_D, FRAC_D, IMPL_D, SIGN_S, CNAN_S,
} from "./fpu-soft";

// Tests turn the fast paths off to compare them with the soft path.
let fastOn: bool = true;
export function fpuSetFastPath(on: bool): void {
  fastOn = on;
}

const BOX: u64 = 0xffffffff00000000;

@inline function rdF(i: u32): u64 {
  return load<u64>(F_REGS + (i << 3));
}
@inline function wrF(i: u32, v: u64): void {
  store<u64>(F_REGS + (i << 3), v);
}
// A single operand: the low 32 bits if properly NaN-boxed, else the canonical NaN.
@inline function rdS(i: u32): u64 {
  const v = rdF(i);
  return (v >> 32) == 0xffffffff ? v & 0xffffffff : CNAN_S;
}
@inline function wrS(i: u32, v: u64): void {
  wrF(i, v | BOX);
}
@inline function rdX(i: u32): u64 {
  return i == 0 ? 0 : load<u64>(X_REGS + (i << 3));
}
@inline function wrX(i: u32, v: u64): void {
  if (i != 0) store<u64>(X_REGS + (i << 3), v);
}
@inline function raise(fl: u32): void {
  if (fl != 0) store<u32>(FCSR, load<u32>(FCSR) | fl);
}
// Effective rounding mode; 5..7 mean the instruction is illegal.
@inline function rmOf(f3: u32): u32 {
  return f3 == 7 ? (load<u32>(FCSR) >> 5) & 7 : f3;
}
// Odd part of a nonzero integer.
@inline function oddPart(x: u64): u64 {
  return x >> ctz(x);
}
// Biased exponent field of a binary64 / binary32 encoding.
@inline function expD(x: u64): u64 {
  return (x >> 52) & 0x7ff;
}
@inline function expS(x: u64): u64 {
  return (x >> 23) & 0xff;
}

// ---- binary64 arithmetic ----------------------------------------------------------------------

// The fast paths accept results with a biased exponent in [2, emax-2]: never tiny, never
// overflowing, and far enough from overflow that the error-free transformations cannot overflow.

function addD(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const s = x + y;
    const sb = reinterpret<u64>(s);
    if (expD(sb) - 2 < 0x7fc) {
      // TwoSum: err is exactly (x + y) - s.
      const bv = s - x;
      const err = (x - (s - bv)) + (y - bv);
      wrF(rd, sb);
      if (err != 0) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrF(rd, sfAdd(a, b, true, rm));
  raise(sfFlags);
}

function mulD(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const p = reinterpret<f64>(a) * reinterpret<f64>(b);
    const pb = reinterpret<u64>(p);
    if (expD(pb) - 2 < 0x7fc && (a & EXP_D) != 0 && (b & EXP_D) != 0) {
      // Exact iff the product of the significands' odd parts fits in 53 bits.
      const ma = oddPart((a & FRAC_D) | IMPL_D), mb = oddPart((b & FRAC_D) | IMPL_D);
      const exact = clz(ma) + clz(mb) >= 74 && ma * mb < IMPL_D << 1;
      wrF(rd, pb);
      if (!exact) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrF(rd, sfMul(a, b, true, rm));
  raise(sfFlags);
}

function divD(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const q = reinterpret<f64>(a) / reinterpret<f64>(b);
    const qb = reinterpret<u64>(q);
    if (expD(qb) - 2 < 0x7fc && (a & EXP_D) != 0 && (b & EXP_D) != 0) {
      // Exact iff odd(q) * odd(b) == odd(a) (then it cannot exceed 54 bits, so no wrap).
      const ma = oddPart((a & FRAC_D) | IMPL_D), mb = oddPart((b & FRAC_D) | IMPL_D);
      const mq = oddPart((qb & FRAC_D) | IMPL_D);
      const exact = clz(mq) + clz(mb) >= 74 && mq * mb == ma;
      wrF(rd, qb);
      if (!exact) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrF(rd, sfDiv(a, b, true, rm));
  raise(sfFlags);
}

function sqrtD(rd: u32, a: u64, rm: u32): void {
  // Positive, finite, nonzero: the root is always a normal number.
  if (rm == RM_RNE && fastOn && a - 1 < 0x7fefffffffffffff) {
    const rb = reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)));
    const mr = oddPart((rb & FRAC_D) | IMPL_D);
    const mx = oddPart((a & EXP_D) != 0 ? (a & FRAC_D) | IMPL_D : a & FRAC_D);
    const exact = clz(mr) >= 37 && mr * mr == mx;
    wrF(rd, rb);
    if (!exact) raise(FFLAG_NX);
    return;
  }
  sfClear();
  wrF(rd, sfSqrt(a, true, rm));
  raise(sfFlags);
}

// Fused multiply-add, round to nearest even, after Boldo and Melquiond's emulation of an FMA
// with rounding to odd: the product is split exactly into uh + ul (Dekker), c + uh exactly into
// th + tl (TwoSum), tl + ul is rounded to odd, and th + that is rounded once to nearest.
// All three operands must have exponents within +-450 so that nothing underflows or overflows
// along the way (every intermediate is then a multiple of 2^-1004 below 2^902).
// Returns the result encoding, or 1 (never a valid answer here) to ask for the soft path.
let fmaFastNx: bool = false;
function fmaFastD(a: u64, b: u64, c: u64): u64 {
  if (expD(a) - 573 > 900 || expD(b) - 573 > 900 || expD(c) - 573 > 900) return 1;
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b), z = reinterpret<f64>(c);
  const uh = x * y;
  let t = x * 134217729.0;
  const xh = t - (t - x), xl = x - xh;
  t = y * 134217729.0;
  const yh = t - (t - y), yl = y - yh;
  const ul = ((xh * yh - uh) + xh * yl + xl * yh) + xl * yl;
  const th = z + uh;
  let bv = th - z;
  const tl = (z - (th - bv)) + (uh - bv);
  let v = tl + ul;
  bv = v - tl;
  const ve = (tl - (v - bv)) + (ul - bv);
  if (ve != 0) {
    // Round to odd: if the nearest value is even, step to the odd neighbour toward the truth.
    let vb = reinterpret<u64>(v);
    if (v == 0) return 1;
    if ((vb & 1) == 0) {
      if ((ve > 0) == (v > 0)) vb += 1;
      else vb -= 1;
      v = reinterpret<f64>(vb);
    }
  }
  const r = th + v;
  const rb = reinterpret<u64>(r);
  if (expD(rb) - 2 >= 0x7fc) return 1;
  bv = r - th;
  const re = (th - (r - bv)) + (v - bv);
  fmaFastNx = ve != 0 || re != 0;
  return rb;
}

function fmaD(rd: u32, a: u64, b: u64, c: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const r = fmaFastD(a, b, c);
    if (r != 1) {
      wrF(rd, r);
      if (fmaFastNx) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrF(rd, sfFma(a, b, c, true, rm));
  raise(sfFlags);
}

// ---- binary32 arithmetic ----------------------------------------------------------------------
// Operands are raw 32-bit encodings in a u64 (already un-boxed).

@inline function f32of(x: u64): f32 {
  return reinterpret<f32>(<u32>x);
}
@inline function bitsS(x: f32): u64 {
  return <u64>reinterpret<u32>(x);
}

function addS(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const x = f32of(a), y = f32of(b);
    const s = x + y;
    const sb = bitsS(s);
    if (expS(sb) - 2 < 0xfc) {
      const bv = s - x;
      const err = (x - (s - bv)) + (y - bv);
      wrS(rd, sb);
      if (err != 0) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrS(rd, sfAdd(a, b, false, rm));
  raise(sfFlags);
}

// Products, quotients and squares of singles are exact in binary64, which gives cheap exactness
// tests for the single-precision fast paths.
function mulS(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const x = f32of(a), y = f32of(b);
    const p = x * y;
    const pb = bitsS(p);
    if (expS(pb) - 2 < 0xfc) {
      wrS(rd, pb);
      if (<f64>p != <f64>x * <f64>y) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrS(rd, sfMul(a, b, false, rm));
  raise(sfFlags);
}

function divS(rd: u32, a: u64, b: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const x = f32of(a), y = f32of(b);
    const q = x / y;
    const qb = bitsS(q);
    if (expS(qb) - 2 < 0xfc) {
      wrS(rd, qb);
      if (<f64>q * <f64>y != <f64>x) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrS(rd, sfDiv(a, b, false, rm));
  raise(sfFlags);
}

function sqrtS(rd: u32, a: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn && a - 1 < 0x7f7fffff) {
    const x = f32of(a);
    const r = sqrt<f32>(x);
    wrS(rd, bitsS(r));
    if (<f64>r * <f64>r != <f64>x) raise(FFLAG_NX);
    return;
  }
  sfClear();
  wrS(rd, sfSqrt(a, false, rm));
  raise(sfFlags);
}

function fmaS(rd: u32, a: u64, b: u64, c: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    // a*b is exact in binary64; s = a*b + c rounded to odd in binary64 (53 >= 24 + 2 bits)
    // then rounded to nearest single is the correctly rounded fused result.
    const p = <f64>f32of(a) * <f64>f32of(b);
    const z = <f64>f32of(c);
    let s = p + z;
    const bv = s - p;
    const err = (p - (s - bv)) + (z - bv);
    if (err != 0 && s != 0) {
      let sb = reinterpret<u64>(s);
      if ((sb & 1) == 0) {
        if ((err > 0) == (s > 0)) sb += 1;
        else sb -= 1;
        s = reinterpret<f64>(sb);
      }
    }
    const r = <f32>s;
    const rb = bitsS(r);
    if (expS(rb) - 2 < 0xfc) {
      wrS(rd, rb);
      if (err != 0 || <f64>r != s) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrS(rd, sfFma(a, b, c, false, rm));
  raise(sfFlags);
}

// ---- conversions ------------------------------------------------------------------------------

// Float (as an exact f64) to integer in modes RNE/RTZ/RDN/RUP when the rounded value is in range.
// Returns false to ask for the soft path (RMM, NaN, out of range).
let cvtRes: u64 = 0;
let cvtNx: bool = false;
function toIntFast(x: f64, rm: u32, kind: u32): bool {
  let y: f64;
  if (rm == RM_RNE) y = nearest<f64>(x);
  else if (rm == RM_RTZ) y = trunc<f64>(x);
  else if (rm == RM_RDN) y = floor<f64>(x);
  else if (rm == RM_RUP) y = ceil<f64>(x);
  else return false;
  if (kind == K_W) {
    if (!(y >= -2147483648.0 && y <= 2147483647.0)) return false;
    cvtRes = <u64><i64><i32>y;
  } else if (kind == K_WU) {
    if (!(y >= 0.0 && y <= 4294967295.0)) return false;
    cvtRes = <u64><i64><i32><u32>y;
  } else if (kind == K_L) {
    if (!(y >= -9223372036854775808.0 && y < 9223372036854775808.0)) return false;
    cvtRes = <u64><i64>y;
  } else {
    if (!(y >= 0.0 && y < 18446744073709551616.0)) return false;
    cvtRes = <u64>y;
  }
  cvtNx = y != x;
  return true;
}

function toInt(rd: u32, a: u64, isD: bool, rm: u32, kind: u32): void {
  if (fastOn && toIntFast(isD ? reinterpret<f64>(a) : <f64>f32of(a), rm, kind)) {
    wrX(rd, cvtRes);
    if (cvtNx) raise(FFLAG_NX);
    return;
  }
  sfClear();
  wrX(rd, sfToInt(a, isD, rm, kind));
  raise(sfFlags);
}

// Number of significant bits between the highest and lowest set bits of a nonzero value.
@inline function sigBits(m: u64): u64 {
  return 64 - clz(m) - ctz(m);
}

function fromInt(rd: u32, v: u64, isD: bool, rm: u32, kind: u32): void {
  if (fastOn && (rm == RM_RNE || kind <= K_WU)) {
    // Host conversions round to nearest even; 32-bit integers are exact in binary64.
    if (isD) {
      let f: f64;
      let m: u64;
      if (kind == K_W) { f = <f64><i32>v; m = 0; }
      else if (kind == K_WU) { f = <f64><u32>v; m = 0; }
      else if (kind == K_L) { f = <f64><i64>v; m = <i64>v < 0 ? 0 - v : v; }
      else { f = <f64>v; m = v; }
      wrF(rd, reinterpret<u64>(f));
      if (m != 0 && sigBits(m) > 53) raise(FFLAG_NX);
      return;
    } else if (rm == RM_RNE) {
      let f: f32;
      let m: u64;
      if (kind == K_W) { f = <f32><i32>v; m = <u64><u32>(<i32>v < 0 ? -<i32>v : <i32>v); }
      else if (kind == K_WU) { f = <f32><u32>v; m = v & 0xffffffff; }
      else if (kind == K_L) { f = <f32><i64>v; m = <i64>v < 0 ? 0 - v : v; }
      else { f = <f32>v; m = v; }
      wrS(rd, bitsS(f));
      if (m != 0 && sigBits(m) > 24) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  const r = sfFromInt(v, kind, isD, rm);
  if (isD) wrF(rd, r);
  else wrS(rd, r);
  raise(sfFlags);
}

function cvtSD(rd: u32, a: u64, rm: u32): void {
  if (rm == RM_RNE && fastOn) {
    const x = reinterpret<f64>(a);
    const r = <f32>x;
    const rb = bitsS(r);
    if (expS(rb) - 2 < 0xfc) {
      wrS(rd, rb);
      if (<f64>r != x) raise(FFLAG_NX);
      return;
    }
  }
  sfClear();
  wrS(rd, sfCvtFF(a, true, rm));
  raise(sfFlags);
}

function cvtDS(rd: u32, a: u64, rm: u32): void {
  if (fastOn && (a & 0x7f800000) != 0x7f800000) {
    wrF(rd, reinterpret<u64>(<f64>f32of(a))); // exact, never raises
    return;
  }
  sfClear();
  wrF(rd, sfCvtFF(a, false, rm));
  raise(sfFlags);
}

// ---- decode -----------------------------------------------------------------------------------

// Executes one instruction whose major opcode is 0x43 FMADD, 0x47 FMSUB, 0x4B FNMSUB, 0x4F FNMADD
// or 0x53 OP-FP. Returns 0 when executed (registers/fcsr updated), or CAUSE_ILLEGAL when the
// encoding is illegal (unknown funct, fmt not S/D, rm reserved 5/6, or rm=DYN(7) while frm holds
// 5..7); state untouched then.
export function execFp(insn: u32): u32 {
  const rd = (insn >> 7) & 31;
  const f3 = (insn >> 12) & 7;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const opc = insn & 0x7f;

  if (opc != 0x53) {
    if (opc != 0x43 && opc != 0x47 && opc != 0x4b && opc != 0x4f) return CAUSE_ILLEGAL;
    const fmt = (insn >> 25) & 3;
    if (fmt > 1) return CAUSE_ILLEGAL;
    const rm = rmOf(f3);
    if (rm > RM_RMM) return CAUSE_ILLEGAL;
    const rs3 = insn >> 27;
    // FNMSUB/FNMADD negate the product, FMSUB/FNMADD the addend.
    const negP = opc >= 0x4b;
    const negC = opc == 0x47 || opc == 0x4f;
    if (fmt == 1) {
      let a = rdF(rs1), c = rdF(rs3);
      if (negP) a ^= SIGN_D;
      if (negC) c ^= SIGN_D;
      fmaD(rd, a, rdF(rs2), c, rm);
    } else {
      let a = rdS(rs1), c = rdS(rs3);
      if (negP) a ^= SIGN_S;
      if (negC) c ^= SIGN_S;
      fmaS(rd, a, rdS(rs2), c, rm);
    }
    return 0;
  }

  const f7 = insn >> 25;
  switch (f7) {
    // fadd, fsub, fmul, fdiv, fsqrt
    case 0x00: case 0x01: case 0x04: case 0x05: case 0x08: case 0x09: case 0x0c: case 0x0d:
    case 0x2c: case 0x2d: {
      if (f7 >= 0x2c && rs2 != 0) return CAUSE_ILLEGAL;
      const rm = rmOf(f3);
      if (rm > RM_RMM) return CAUSE_ILLEGAL;
      if (f7 & 1) {
        const a = rdF(rs1), b = rdF(rs2);
        if (f7 == 0x01) addD(rd, a, b, rm);
        else if (f7 == 0x05) addD(rd, a, b ^ SIGN_D, rm);
        else if (f7 == 0x09) mulD(rd, a, b, rm);
        else if (f7 == 0x0d) divD(rd, a, b, rm);
        else sqrtD(rd, a, rm);
      } else {
        const a = rdS(rs1), b = rdS(rs2);
        if (f7 == 0x00) addS(rd, a, b, rm);
        else if (f7 == 0x04) addS(rd, a, b ^ SIGN_S, rm);
        else if (f7 == 0x08) mulS(rd, a, b, rm);
        else if (f7 == 0x0c) divS(rd, a, b, rm);
        else sqrtS(rd, a, rm);
      }
      return 0;
    }
    // fsgnj, fsgnjn, fsgnjx
    case 0x10: {
      if (f3 > 2) return CAUSE_ILLEGAL;
      const a = rdS(rs1), b = rdS(rs2);
      const s = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
      wrS(rd, (a & 0x7fffffff) | (s & SIGN_S));
      return 0;
    }
    case 0x11: {
      if (f3 > 2) return CAUSE_ILLEGAL;
      const a = rdF(rs1), b = rdF(rs2);
      const s = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
      wrF(rd, (a & ~SIGN_D) | (s & SIGN_D));
      return 0;
    }
    // fmin, fmax
    case 0x14: case 0x15: {
      if (f3 > 1) return CAUSE_ILLEGAL;
      if (f7 == 0x15 && fastOn) {
        // Neither NaN and not equal (so not +-0 against each other): a plain comparison.
        const a = rdF(rs1), b = rdF(rs2);
        const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
        if (a << 1 <= EXP_D << 1 && b << 1 <= EXP_D << 1 && x != y) {
          wrF(rd, (x < y) != (f3 == 1) ? a : b);
          return 0;
        }
      }
      sfClear();
      if (f7 & 1) wrF(rd, sfMinMax(rdF(rs1), rdF(rs2), true, f3 == 1));
      else wrS(rd, sfMinMax(rdS(rs1), rdS(rs2), false, f3 == 1));
      raise(sfFlags);
      return 0;
    }
    // fcvt.s.d, fcvt.d.s
    case 0x20: case 0x21: {
      if (rs2 != (f7 == 0x20 ? 1 : 0)) return CAUSE_ILLEGAL;
      const rm = rmOf(f3);
      if (rm > RM_RMM) return CAUSE_ILLEGAL;
      if (f7 == 0x20) cvtSD(rd, rdF(rs1), rm);
      else cvtDS(rd, rdS(rs1), rm);
      return 0;
    }
    // fle, flt, feq
    case 0x50: case 0x51: {
      if (f3 > 2) return CAUSE_ILLEGAL;
      if (f7 == 0x51 && fastOn) {
        const a = rdF(rs1), b = rdF(rs2);
        if (a << 1 <= EXP_D << 1 && b << 1 <= EXP_D << 1) { // no NaN: no flags
          const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
          wrX(rd, <u64>(f3 == 2 ? x == y : f3 == 1 ? x < y : x <= y));
          return 0;
        }
      }
      sfClear();
      const r = (f7 & 1) ? sfCompare(rdF(rs1), rdF(rs2), true, f3) : sfCompare(rdS(rs1), rdS(rs2), false, f3);
      wrX(rd, r);
      raise(sfFlags);
      return 0;
    }
    // fcvt.{w,wu,l,lu}.{s,d}
    case 0x60: case 0x61: {
      if (rs2 > 3) return CAUSE_ILLEGAL;
      const rm = rmOf(f3);
      if (rm > RM_RMM) return CAUSE_ILLEGAL;
      if (f7 & 1) toInt(rd, rdF(rs1), true, rm, rs2);
      else toInt(rd, rdS(rs1), false, rm, rs2);
      return 0;
    }
    // fcvt.{s,d}.{w,wu,l,lu}
    case 0x68: case 0x69: {
      if (rs2 > 3) return CAUSE_ILLEGAL;
      const rm = rmOf(f3);
      if (rm > RM_RMM) return CAUSE_ILLEGAL;
      fromInt(rd, rdX(rs1), (f7 & 1) != 0, rm, rs2);
      return 0;
    }
    // fmv.x.w / fclass.s, fmv.x.d / fclass.d
    case 0x70: case 0x71: {
      if (rs2 != 0 || f3 > 1) return CAUSE_ILLEGAL;
      const isD = (f7 & 1) != 0;
      if (f3 == 0) {
        const v = rdF(rs1);
        wrX(rd, isD ? v : <u64><i64><i32>v); // the raw bits, not un-boxed
      } else {
        wrX(rd, isD ? sfClass(rdF(rs1), true) : sfClass(rdS(rs1), false));
      }
      return 0;
    }
    // fmv.w.x, fmv.d.x
    case 0x78: case 0x79: {
      if (rs2 != 0 || f3 != 0) return CAUSE_ILLEGAL;
      const v = rdX(rs1);
      if (f7 & 1) wrF(rd, v);
      else wrS(rd, v & 0xffffffff);
      return 0;
    }
  }
  return CAUSE_ILLEGAL;
}
