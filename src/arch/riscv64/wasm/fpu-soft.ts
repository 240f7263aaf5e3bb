// Software IEEE 754-2019 arithmetic for the RISC-V F and D extensions: binary32 ("S") and
// binary64 ("D") in every RISC-V rounding mode, with exact exception flags. This is the
// reference (slow) path; fpu.ts tries native fast paths first and falls back to these.
//
// Operands and results are raw encodings in a u64 (a single's 32 bits in the low half, not
// NaN-boxed). `isD` selects the format. Exception flags accumulate into `sfFlags`.
//
// Internal form of a finite nonzero value: a sign, an unbiased exponent `exp` and a 63-bit
// significand `sig` whose top bit is bit 62: value = (-1)^sign * sig / 2^62 * 2^exp. Bits below
// the format's precision (10 for D, 39 for S) are round bits; the lowest one also carries the
// sticky OR of everything shifted out. Bit 63 is headroom for carries.

import { FFLAG_NX, FFLAG_UF, FFLAG_OF, FFLAG_DZ, FFLAG_NV } from "./layout";

export const RM_RNE: u32 = 0;
export const RM_RTZ: u32 = 1;
export const RM_RDN: u32 = 2;
export const RM_RUP: u32 = 3;
export const RM_RMM: u32 = 4;

export const C_ZERO: i32 = 0;
export const C_FIN: i32 = 1;
export const C_INF: i32 = 2;
export const C_QNAN: i32 = 3;
export const C_SNAN: i32 = 4;

export const SIGN_D: u64 = 0x8000000000000000;
export const EXP_D: u64 = 0x7ff0000000000000;
export const FRAC_D: u64 = 0x000fffffffffffff;
export const IMPL_D: u64 = 0x0010000000000000;
export const CNAN_D: u64 = 0x7ff8000000000000;
export const SIGN_S: u64 = 0x80000000;
export const EXP_S: u64 = 0x7f800000;
export const FRAC_S: u64 = 0x007fffff;
export const CNAN_S: u64 = 0x7fc00000;

const TOP: u64 = 0x8000000000000000;
const BIT62: u64 = 0x4000000000000000;

// Flags raised by the soft routines since the caller last cleared it.
export let sfFlags: u32 = 0;
@inline export function sfClear(): void {
  sfFlags = 0;
}

// ---- small helpers --------------------------------------------------------------------------

// High 64 bits of the last mul128.
let mulHi: u64 = 0;

// Full 64x64 -> 128 product from 32-bit halves; returns the low 64 bits, high half in mulHi.
@inline function mul128(a: u64, b: u64): u64 {
  const aL = a & 0xffffffff, aH = a >> 32;
  const bL = b & 0xffffffff, bH = b >> 32;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  mulHi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  return (mid << 32) | (ll & 0xffffffff);
}

// x >> n, OR-ing every bit shifted out into bit 0.
@inline function shiftRightJam(x: u64, n: i32): u64 {
  if (n <= 0) return x;
  if (n >= 64) return <u64>(x != 0);
  return (x >> <u64>n) | <u64>((x << <u64>(64 - n)) != 0);
}

export function classOf(x: u64, isD: bool): i32 {
  let e: u64, f: u64, emax: u64, q: u64;
  if (isD) {
    e = (x >> 52) & 0x7ff;
    f = x & FRAC_D;
    emax = 0x7ff;
    q = 0x0008000000000000;
  } else {
    e = (x >> 23) & 0xff;
    f = x & FRAC_S;
    emax = 0xff;
    q = 0x00400000;
  }
  if (e == emax) return f == 0 ? C_INF : (f & q) != 0 ? C_QNAN : C_SNAN;
  return (e | f) == 0 ? C_ZERO : C_FIN;
}

@inline export function signOf(x: u64, isD: bool): u64 {
  return isD ? x >> 63 : (x >> 31) & 1;
}
@inline export function canonNaN(isD: bool): u64 {
  return isD ? CNAN_D : CNAN_S;
}
@inline function infOf(sign: u64, isD: bool): u64 {
  return isD ? (sign << 63) | EXP_D : (sign << 31) | EXP_S;
}
@inline function zeroOf(sign: u64, isD: bool): u64 {
  return sign << (isD ? 63 : 31);
}
@inline function negOf(x: u64, isD: bool): u64 {
  return x ^ (isD ? SIGN_D : SIGN_S);
}

// Result of an invalid operation: NV and the canonical NaN.
@inline function invalid(isD: bool): u64 {
  sfFlags |= FFLAG_NV;
  return canonNaN(isD);
}

// NaN operand(s): NV if any is signaling; the result is the canonical NaN.
@inline function nanResult(ca: i32, cb: i32, isD: bool): u64 {
  if (ca == C_SNAN || cb == C_SNAN) sfFlags |= FFLAG_NV;
  return canonNaN(isD);
}

// Unpacks a finite nonzero encoding into uExp/uSig.
let uExp: i32 = 0;
let uSig: u64 = 0;
function unpack(x: u64, isD: bool): void {
  if (isD) {
    const e = <i32>((x >> 52) & 0x7ff);
    const f = x & FRAC_D;
    if (e != 0) {
      uSig = (f | IMPL_D) << 10;
      uExp = e - 1023;
    } else {
      const k = <i32>clz(f) - 1;
      uSig = f << <u64>k;
      uExp = -1074 + 62 - k;
    }
  } else {
    const e = <i32>((x >> 23) & 0xff);
    const f = x & FRAC_S;
    if (e != 0) {
      uSig = (f | 0x800000) << 39;
      uExp = e - 127;
    } else {
      const k = <i32>clz(f) - 1;
      uSig = f << <u64>k;
      uExp = -149 + 62 - k;
    }
  }
}

// Rounds sign * sig/2^62 * 2^exp (sig with bit 62 set) to the format in mode rm, packing the
// encoding and raising NX/UF/OF. Tininess is detected after rounding, as RISC-V requires.
export function roundPack(sign: u64, exp: i32, sig: u64, isD: bool, rm: u32): u64 {
  const rbits: u64 = isD ? 10 : 39;
  const fracBits: u64 = isD ? 52 : 23;
  const bias: i32 = isD ? 1023 : 127;
  const emax: i32 = isD ? 0x7ff : 0xff;
  const mask: u64 = ((<u64>1) << rbits) - 1;
  const half: u64 = (<u64>1) << (rbits - 1);
  const signBit: u64 = sign << (isD ? 63 : 31);
  let inc: u64;
  if (rm == RM_RNE || rm == RM_RMM) inc = half;
  else if (rm == RM_RTZ) inc = 0;
  else if (rm == RM_RDN) inc = sign != 0 ? mask : 0;
  else inc = sign != 0 ? 0 : mask;
  let e = exp + bias;
  if (e <= 0) {
    // Below the normal range. Tiny unless rounding at full precision with an unbounded
    // exponent would carry up to the smallest normal.
    const tiny = e < 0 || sig + inc < TOP;
    sig = shiftRightJam(sig, 1 - e);
    e = 1; // packs as exponent field 0 unless rounding carries into the implicit bit
    if (tiny && (sig & mask) != 0) sfFlags |= FFLAG_UF;
  } else if (e >= emax - 1) {
    if (e >= emax || sig + inc >= TOP) {
      sfFlags |= FFLAG_OF | FFLAG_NX;
      const toInf = rm == RM_RNE || rm == RM_RMM || (rm == RM_RDN && sign != 0) || (rm == RM_RUP && sign == 0);
      if (isD) return signBit | (toInf ? EXP_D : 0x7fefffffffffffff);
      return signBit | (toInf ? EXP_S : 0x7f7fffff);
    }
  }
  const r = sig & mask;
  if (r != 0) sfFlags |= FFLAG_NX;
  let s = (sig + inc) >> rbits;
  if (rm == RM_RNE && r == half) s &= ~(<u64>1);
  return signBit | ((<u64>(e - 1) << fracBits) + s);
}

// Exact zero from cancelling operands: -0 in RDN, +0 otherwise.
@inline function cancelZero(rm: u32, isD: bool): u64 {
  return zeroOf(<u64>(rm == RM_RDN), isD);
}

// ---- arithmetic -----------------------------------------------------------------------------

export function sfAdd(a: u64, b: u64, isD: bool, rm: u32): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD);
  const sa = signOf(a, isD), sb = signOf(b, isD);
  if (ca >= C_QNAN || cb >= C_QNAN) return nanResult(ca, cb, isD);
  if (ca == C_INF) {
    if (cb == C_INF && sa != sb) return invalid(isD);
    return a;
  }
  if (cb == C_INF) return b;
  if (ca == C_ZERO) {
    if (cb == C_ZERO) return sa == sb ? a : cancelZero(rm, isD);
    return b;
  }
  if (cb == C_ZERO) return a;
  unpack(a, isD);
  let ea = uExp, ma = uSig;
  unpack(b, isD);
  let eb = uExp, mb = uSig;
  let sign = sa;
  if (eb > ea || (eb == ea && mb > ma)) {
    const te = ea; ea = eb; eb = te;
    const tm = ma; ma = mb; mb = tm;
    sign = sb;
  }
  mb = shiftRightJam(mb, ea - eb);
  let sig: u64;
  let exp = ea;
  if (sa == sb) {
    sig = ma + mb;
    if (sig >= TOP) {
      sig = (sig >> 1) | (sig & 1);
      exp++;
    }
  } else {
    sig = ma - mb;
    if (sig == 0) return cancelZero(rm, isD);
    const k = <i32>clz(sig) - 1;
    sig <<= <u64>k;
    exp -= k;
  }
  return roundPack(sign, exp, sig, isD, rm);
}

export function sfMul(a: u64, b: u64, isD: bool, rm: u32): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD);
  const sign = signOf(a, isD) ^ signOf(b, isD);
  if (ca >= C_QNAN || cb >= C_QNAN) return nanResult(ca, cb, isD);
  if (ca == C_INF || cb == C_INF) {
    if (ca == C_ZERO || cb == C_ZERO) return invalid(isD);
    return infOf(sign, isD);
  }
  if (ca == C_ZERO || cb == C_ZERO) return zeroOf(sign, isD);
  unpack(a, isD);
  const ea = uExp, ma = uSig;
  unpack(b, isD);
  const eb = uExp, mb = uSig;
  // ma*mb lies in [2^124, 2^126).
  const lo = mul128(ma, mb);
  const hi = mulHi;
  let exp = ea + eb;
  let sig: u64;
  if (hi >= (<u64>1 << 61)) {
    sig = (hi << 1) | (lo >> 63) | <u64>((lo << 1) != 0);
    exp += 1;
  } else {
    sig = (hi << 2) | (lo >> 62) | <u64>((lo << 2) != 0);
  }
  return roundPack(sign, exp, sig, isD, rm);
}

export function sfDiv(a: u64, b: u64, isD: bool, rm: u32): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD);
  const sign = signOf(a, isD) ^ signOf(b, isD);
  if (ca >= C_QNAN || cb >= C_QNAN) return nanResult(ca, cb, isD);
  if (ca == C_INF) {
    if (cb == C_INF) return invalid(isD);
    return infOf(sign, isD);
  }
  if (cb == C_INF) return zeroOf(sign, isD);
  if (cb == C_ZERO) {
    if (ca == C_ZERO) return invalid(isD);
    sfFlags |= FFLAG_DZ;
    return infOf(sign, isD);
  }
  if (ca == C_ZERO) return zeroOf(sign, isD);
  unpack(a, isD);
  const ea = uExp, A = uSig >> 10;
  unpack(b, isD);
  const eb = uExp, B = uSig >> 10;
  // A, B in [2^52, 2^53): long division, 11 quotient bits per step, 56 bits in all.
  let q = A / B;
  let r = A - q * B;
  for (let i = 0; i < 5; i++) {
    r <<= 11;
    const d = r / B;
    q = (q << 11) | d;
    r -= d * B;
  }
  // A/B = q/2^55 (+ remainder), q in [2^54, 2^56).
  const sh = <i32>clz(q) - 1;
  const sig = (q << <u64>sh) | <u64>(r != 0);
  return roundPack(sign, ea - eb + 7 - sh, sig, isD, rm);
}

// Square root: the host's square root is correctly rounded to nearest; an exact comparison of
// its square with the operand tells on which side the true root lies, which settles every mode.
export function sfSqrt(a: u64, isD: bool, rm: u32): u64 {
  const ca = classOf(a, isD);
  if (ca >= C_QNAN) return nanResult(ca, C_ZERO, isD);
  if (ca == C_ZERO) return a;
  if (signOf(a, isD) != 0) return invalid(isD);
  if (ca == C_INF) return a;
  let r: u64;
  if (isD) r = reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)));
  else r = <u64>reinterpret<u32>(sqrt<f32>(reinterpret<f32>(<u32>a)));
  const P: i32 = isD ? 52 : 23;
  unpack(a, isD);
  const X = uSig >> <u64>(62 - P), ex = uExp;
  unpack(r, isD);
  const R = uSig >> <u64>(62 - P), er = uExp;
  // r^2 = R^2 * 2^(2er-2P), a = X * 2^(ex-P): compare R^2 with X << k.
  const k = ex + P - 2 * er; // P-1 .. P+1
  const xl = X << <u64>k, xh = X >> <u64>(64 - k);
  const rl = mul128(R, R), rh = mulHi;
  if (xh == rh && xl == rl) return r;
  sfFlags |= FFLAG_NX;
  const above = xh > rh || (xh == rh && xl > rl); // true root > r
  if (above) {
    if (rm == RM_RUP) return r + 1;
  } else {
    if (rm == RM_RTZ || rm == RM_RDN) return r - 1;
  }
  return r;
}

// a*b + c with a single rounding (negations for FMSUB etc. are applied by the caller).
export function sfFma(a: u64, b: u64, c: u64, isD: bool, rm: u32): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD), cc = classOf(c, isD);
  const sp = signOf(a, isD) ^ signOf(b, isD);
  const sc = signOf(c, isD);
  const infTimesZero = (ca == C_INF && cb == C_ZERO) || (ca == C_ZERO && cb == C_INF);
  if (ca >= C_QNAN || cb >= C_QNAN || cc >= C_QNAN) {
    if (ca == C_SNAN || cb == C_SNAN || cc == C_SNAN || infTimesZero) sfFlags |= FFLAG_NV;
    return canonNaN(isD);
  }
  if (infTimesZero) return invalid(isD);
  if (ca == C_INF || cb == C_INF) {
    if (cc == C_INF && sc != sp) return invalid(isD);
    return infOf(sp, isD);
  }
  if (cc == C_INF) return c;
  if (ca == C_ZERO || cb == C_ZERO) {
    if (cc == C_ZERO) return sp == sc ? zeroOf(sp, isD) : cancelZero(rm, isD);
    return c;
  }
  unpack(a, isD);
  const ea = uExp, ma = uSig;
  unpack(b, isD);
  const eb = uExp, mb = uSig;
  // Product P in [2^124, 2^126); normalise its top bit to bit 126: value = P/2^126 * 2^pe.
  let pl = mul128(ma, mb);
  let ph = mulHi;
  let pe = ea + eb;
  if (ph >= (<u64>1 << 61)) {
    ph = (ph << 1) | (pl >> 63);
    pl <<= 1;
    pe += 1;
  } else {
    ph = (ph << 2) | (pl >> 62);
    pl <<= 2;
  }
  if (cc == C_ZERO) return roundPack(sp, pe, ph | <u64>(pl != 0), isD, rm);
  unpack(c, isD);
  const ec = uExp;
  let ch = uSig, cl: u64 = 0; // top bit at 126 as well
  // Align the smaller-exponent operand, jamming what falls off into bit 0.
  let e: i32;
  let d: i32;
  if (pe >= ec) {
    e = pe;
    d = pe - ec;
    if (d != 0) {
      if (d < 64) {
        cl = (ch << <u64>(64 - d)) | (cl >> <u64>d);
        ch = ch >> <u64>d;
      } else if (d < 127) {
        cl = (ch >> <u64>(d - 64)) | <u64>(d > 64 && (ch << <u64>(128 - d)) != 0);
        ch = 0;
      } else {
        cl = 1;
        ch = 0;
      }
    }
  } else {
    e = ec;
    d = ec - pe;
    if (d < 64) {
      const st = <u64>((pl << <u64>(64 - d)) != 0);
      pl = (ph << <u64>(64 - d)) | (pl >> <u64>d) | st;
      ph = ph >> <u64>d;
    } else if (d < 127) {
      const st = <u64>(pl != 0 || (d > 64 && (ph << <u64>(128 - d)) != 0));
      pl = (ph >> <u64>(d - 64)) | st;
      ph = 0;
    } else {
      pl = 1;
      ph = 0;
    }
  }
  let sign = sp;
  let rh: u64, rl: u64;
  if (sp == sc) {
    rl = pl + cl;
    rh = ph + ch + <u64>(rl < pl);
    if (rh >= TOP) {
      rl = (rh << 63) | (rl >> 1) | (rl & 1);
      rh >>= 1;
      e++;
    }
  } else {
    rl = pl - cl;
    rh = ph - ch - <u64>(pl < cl);
    if (<i64>rh < 0) {
      rl = 0 - rl;
      rh = ~rh + <u64>(rl == 0);
      sign = sc;
    }
    if ((rh | rl) == 0) return cancelZero(rm, isD);
    const lz = rh != 0 ? <i32>clz(rh) : 64 + <i32>clz(rl);
    const n = lz - 1;
    if (n > 0) {
      if (n < 64) {
        rh = (rh << <u64>n) | (rl >> <u64>(64 - n));
        rl <<= <u64>n;
      } else {
        rh = rl << <u64>(n - 64);
        rl = 0;
      }
      e -= n;
    }
  }
  return roundPack(sign, e, rh | <u64>(rl != 0), isD, rm);
}

// ---- conversions ----------------------------------------------------------------------------

// fcvt.s.d (fromD) or fcvt.d.s.
export function sfCvtFF(a: u64, fromD: bool, rm: u32): u64 {
  const ca = classOf(a, fromD);
  const sign = signOf(a, fromD);
  if (ca >= C_QNAN) return nanResult(ca, C_ZERO, !fromD);
  if (ca == C_INF) return infOf(sign, !fromD);
  if (ca == C_ZERO) return zeroOf(sign, !fromD);
  unpack(a, fromD);
  return roundPack(sign, uExp, uSig, !fromD, rm);
}

// Integer kinds, as encoded in rs2 of fcvt: W, WU, L, LU.
export const K_W: u32 = 0;
export const K_WU: u32 = 1;
export const K_L: u32 = 2;
export const K_LU: u32 = 3;

// fcvt.{s,d}.{w,wu,l,lu}: v is the integer register's 64 bits.
export function sfFromInt(v: u64, kind: u32, isD: bool, rm: u32): u64 {
  if (kind == K_W) v = <u64><i64><i32>v;
  else if (kind == K_WU) v &= 0xffffffff;
  const neg = (kind == K_W || kind == K_L) && <i64>v < 0;
  const m = neg ? 0 - v : v;
  if (m == 0) return 0;
  const lz = <i32>clz(m);
  let sig = m << <u64>lz;
  sig = (sig >> 1) | (sig & 1);
  return roundPack(<u64>neg, 63 - lz, sig, isD, rm);
}

// fcvt.{w,wu,l,lu}.{s,d}: returns the value written to the integer register (32-bit results
// sign-extended). Out-of-range and NaN inputs saturate and raise NV only.
export function sfToInt(a: u64, isD: bool, rm: u32, kind: u32): u64 {
  const ca = classOf(a, isD);
  const sign = signOf(a, isD);
  const is32 = kind <= K_WU;
  const signed = kind == K_W || kind == K_L;
  let maxV: u64, minV: u64;
  if (kind == K_W) {
    maxV = 0x7fffffff;
    minV = 0xffffffff80000000;
  } else if (kind == K_WU) {
    maxV = 0xffffffffffffffff;
    minV = 0;
  } else if (kind == K_L) {
    maxV = 0x7fffffffffffffff;
    minV = 0x8000000000000000;
  } else {
    maxV = 0xffffffffffffffff;
    minV = 0;
  }
  if (ca >= C_QNAN) {
    sfFlags |= FFLAG_NV;
    return maxV;
  }
  if (ca == C_INF) {
    sfFlags |= FFLAG_NV;
    return sign != 0 ? minV : maxV;
  }
  if (ca == C_ZERO) return 0;
  unpack(a, isD);
  const exp = uExp, sig = uSig;
  if (exp > 63) {
    sfFlags |= FFLAG_NV;
    return sign != 0 ? minV : maxV;
  }
  let ip: u64, frac: u64; // integer part, and the fraction as a 0.64 fixed-point number
  if (exp >= 62) {
    ip = sig << <u64>(exp - 62);
    frac = 0;
  } else {
    const sh = 62 - exp;
    if (sh < 64) {
      ip = sig >> <u64>sh;
      frac = sig << <u64>(64 - sh);
    } else {
      ip = 0;
      frac = sh == 64 ? sig : 1;
    }
  }
  let up = false;
  if (rm == RM_RNE) up = frac > TOP || (frac == TOP && (ip & 1) != 0);
  else if (rm == RM_RDN) up = sign != 0 && frac != 0;
  else if (rm == RM_RUP) up = sign == 0 && frac != 0;
  else if (rm == RM_RMM) up = frac >= TOP;
  ip += <u64>up;
  let res: u64;
  if (signed) {
    const lim: u64 = is32 ? 0x80000000 : TOP;
    if (sign != 0) {
      if (ip > lim) {
        sfFlags |= FFLAG_NV;
        return minV;
      }
      res = 0 - ip;
    } else {
      if (ip >= lim) {
        sfFlags |= FFLAG_NV;
        return maxV;
      }
      res = ip;
    }
  } else {
    if (sign != 0) {
      if (ip != 0) {
        sfFlags |= FFLAG_NV;
        return minV;
      }
      res = 0;
    } else {
      if (is32 && ip > 0xffffffff) {
        sfFlags |= FFLAG_NV;
        return maxV;
      }
      res = ip;
    }
  }
  if (frac != 0) sfFlags |= FFLAG_NX;
  return is32 ? <u64><i64><i32>res : res;
}

// ---- sign injection, min/max, compare, classify -----------------------------------------------

// fmin/fmax: IEEE 754-2019 minimumNumber/maximumNumber, with -0 < +0.
export function sfMinMax(a: u64, b: u64, isD: bool, isMax: bool): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD);
  if (ca == C_SNAN || cb == C_SNAN) sfFlags |= FFLAG_NV;
  const an = ca >= C_QNAN, bn = cb >= C_QNAN;
  if (an && bn) return canonNaN(isD);
  if (an) return b;
  if (bn) return a;
  let lt: bool; // a < b
  if (isD) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    lt = x == y ? signOf(a, true) > signOf(b, true) : x < y;
  } else {
    const x = reinterpret<f32>(<u32>a), y = reinterpret<f32>(<u32>b);
    lt = x == y ? signOf(a, false) > signOf(b, false) : x < y;
  }
  return isMax ? (lt ? b : a) : lt ? a : b;
}

// feq (op 2), flt (op 1), fle (op 0); returns 0/1.
export function sfCompare(a: u64, b: u64, isD: bool, op: u32): u64 {
  const ca = classOf(a, isD), cb = classOf(b, isD);
  if (ca >= C_QNAN || cb >= C_QNAN) {
    if (op != 2 || ca == C_SNAN || cb == C_SNAN) sfFlags |= FFLAG_NV;
    return 0;
  }
  let r: bool;
  if (isD) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    r = op == 2 ? x == y : op == 1 ? x < y : x <= y;
  } else {
    const x = reinterpret<f32>(<u32>a), y = reinterpret<f32>(<u32>b);
    r = op == 2 ? x == y : op == 1 ? x < y : x <= y;
  }
  return <u64>r;
}

export function sfClass(a: u64, isD: bool): u64 {
  const ca = classOf(a, isD);
  const neg = signOf(a, isD) != 0;
  let bit: i32;
  if (ca == C_SNAN) bit = 8;
  else if (ca == C_QNAN) bit = 9;
  else if (ca == C_INF) bit = neg ? 0 : 7;
  else if (ca == C_ZERO) bit = neg ? 3 : 4;
  else {
    const sub = (a & (isD ? EXP_D : EXP_S)) == 0;
    bit = sub ? (neg ? 2 : 5) : neg ? 1 : 6;
  }
  return (<u64>1) << <u64>bit;
}
