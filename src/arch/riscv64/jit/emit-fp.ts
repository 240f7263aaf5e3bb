// OP-FP instructions natively in WebAssembly, where wasm's IEEE 754
// arithmetic gives exactly what the hart's FPU (wasm/fpu.ts) gives; every
// other case calls that FPU (`slow`), so the result, fcsr and traps are always
// the interpreter's.
//
// Why this is exact. wasm's f32/f64 add, sub, mul, div and sqrt round to
// nearest-even, as RISC-V's RNE does. A native result is used only when:
//   - the rounding mode is RNE: static (rm = 0) or dynamic with frm = 0 (an
//     invalid frm makes the instruction illegal: the FPU raises it);
//   - fflags already holds NX: the only flag such an operation can raise
//     without one of the cases below is NX, and it is sticky, so whether this
//     operation was exact changes nothing (code that never becomes inexact
//     keeps using the FPU, which sets NX the first time);
//   - the result's biased exponent is in [2, the largest finite one]: not NaN (so no invalid
//     operation, no NaN operand, whose canonical-NaN rule wasm does not follow),
//     not infinite (no overflow, no division by zero), never tiny (RISC-V
//     detects tininess after rounding: a result rounded up to the smallest
//     normal can still underflow, hence 2 rather than 1) and not zero (the
//     sign of an exact zero is the FPU's business);
//   - single operands are properly NaN-boxed (else they read as the canonical NaN).
// Sign injection and moves are bit operations with no flags; compares are
// native when no operand is a NaN (the only case with a flag); fcvt from a
// 32-bit integer to double is always exact; fcvt to an integer with rtz is
// native inside the target's range when NX is already set.

import { Op } from "./wasm-encoder.js";
import { Insn } from "./decode.js";
import { FnGen, T64, R, FA } from "./codegen.js";
import * as L from "../layout.js";

const BOX_HI = 0xffffffff; // the upper half of a NaN-boxed single
const FRM_MASK = 7 << L.FRM_SHIFT;
const RM_DYN = 7;
const RM_RNE = 0;
const RM_RTZ = 1;
const RM_RMM = 4;

// Emits `ins` (OP-FP) with a native fast path and `slow` (the FPU helper) as
// the fallback, or returns false (nothing emitted) when there is no fast path.
export function emitOpFp(g: FnGen, ins: Insn, slow: () => void): boolean {
  const { f3: rm, f7, rs2 } = ins;
  const isD = (f7 & 1) !== 0;
  switch (f7) {
    case 0x00: case 0x01: case 0x04: case 0x05: case 0x08: case 0x09: case 0x0c: case 0x0d:
      if (rm !== RM_RNE && rm !== RM_DYN) return false;
      return withSlow(g, slow, (slowL) => {
        guardRne(g, rm, slowL);
        arith(g, ins, isD, [Op.f32_add, Op.f32_sub, Op.f32_mul, Op.f32_div][f7 >> 2], slowL);
      });
    case 0x2c: case 0x2d: // fsqrt
      if ((rm !== RM_RNE && rm !== RM_DYN) || rs2 !== 0) return false;
      return withSlow(g, slow, (slowL) => { guardRne(g, rm, slowL); arith(g, ins, isD, Op.f32_sqrt, slowL); });
    case 0x10: case 0x11: // fsgnj, fsgnjn, fsgnjx
      if (rm > 2) return false;
      return withSlow(g, slow, (slowL) => signInject(g, ins, isD, slowL));
    case 0x50: case 0x51: // fle, flt, feq
      if (rm > 2) return false;
      return withSlow(g, slow, (slowL) => compare(g, ins, isD, slowL));
    case 0x70: case 0x71: // fmv.x.w, fmv.x.d (the raw bits; fclass stays with the FPU)
      if (rs2 !== 0 || rm !== 0) return false;
      fload(g, ins.rs1, isD ? Op.i64_load : Op.i64_load32_s);
      g.xset(ins.rd);
      return true;
    case 0x78: case 0x79: // fmv.w.x, fmv.d.x
      if (rs2 !== 0 || rm !== 0) return false;
      g.c.i32(0); g.xget(ins.rs1);
      if (!isD) { g.c.i64(BOX_HI); g.c.i64(32); g.c.op(Op.i64_shl); g.c.op(Op.i64_or); }
      g.c.mem(Op.i64_store, L.F_REGS + 8 * ins.rd, 3);
      return true;
    case 0x69: // fcvt.d.w, fcvt.d.wu: exact
      if (rs2 > 1 || rm === 5 || rm === 6) return false;
      return withSlow(g, slow, (slowL) => {
        if (rm === RM_DYN) validFrm(g, slowL);
        g.c.i32(0); g.xget(ins.rs1); g.c.op(Op.i32_wrap_i64);
        g.c.op(rs2 === 0 ? Op.f64_convert_i32_s : Op.f64_convert_i32_u);
        g.c.mem(Op.f64_store, L.F_REGS + 8 * ins.rd, 3);
      });
    case 0x61: // fcvt.w.d, fcvt.l.d with rtz
      if ((rs2 !== 0 && rs2 !== 2) || rm !== RM_RTZ) return false;
      return withSlow(g, slow, (slowL) => toIntRtz(g, ins, rs2 === 2, slowL));
    case 0x21: // fcvt.d.s: exact for a boxed non-NaN
      if (rs2 !== 0 || rm === 5 || rm === 6) return false;
      return withSlow(g, slow, (slowL) => {
        if (rm === RM_DYN) validFrm(g, slowL);
        boxed(g, ins.rs1, ins.rs1, slowL);
        const c = g.c;
        fload(g, ins.rs1, Op.f32_load); c.op(Op.f64_promote_f32); c.set(FA);
        c.get(FA); c.get(FA); c.op(Op.f64_eq); c.op(Op.i32_eqz); c.brIf(slowL);
        c.i32(0); c.get(FA); c.mem(Op.f64_store, L.F_REGS + 8 * ins.rd, 3);
      });
    case 0x20: // fcvt.s.d
      if (rs2 !== 1 || (rm !== RM_RNE && rm !== RM_DYN)) return false;
      return withSlow(g, slow, (slowL) => {
        guardRne(g, rm, slowL);
        const c = g.c;
        fload(g, ins.rs1, Op.f64_load); c.op(Op.f32_demote_f64); c.op(Op.i32_reinterpret_f32); c.set(R);
        storeS(g, ins.rd, slowL);
      });
    default:
      return false;
  }
}

// block $done (block $slow (fast ...; br $done) slow) — `fast` branches to $slow to fall back.
function withSlow(g: FnGen, slow: () => void, fast: (slowLabel: number) => void): true {
  const c = g.c;
  const done = c.block();
  const slowL = c.block();
  fast(slowL);
  c.br(done);
  c.end();
  slow();
  c.end();
  return true;
}

// Pushes F register r read with `op` (a load at its slot).
function fload(g: FnGen, r: number, op: Op): void {
  g.c.i32(0); g.c.mem(op, L.F_REGS + 8 * r, op === Op.f32_load || op === Op.i64_load32_s ? 2 : 3);
}

// To $slow unless the rounding mode is RNE (static, or dynamic with frm = 0) and NX is set.
function guardRne(g: FnGen, rm: number, slowL: number): void {
  const c = g.c;
  c.i32(0); c.mem(Op.i32_load, L.FCSR, 2);
  if (rm === RM_DYN) { c.i32(FRM_MASK | L.FFLAG_NX); c.op(Op.i32_and); c.i32(L.FFLAG_NX); c.op(Op.i32_ne); }
  else { c.i32(L.FFLAG_NX); c.op(Op.i32_and); c.op(Op.i32_eqz); }
  c.brIf(slowL);
}

// To $slow when frm holds a reserved rounding mode (the dynamic rm is then illegal).
function validFrm(g: FnGen, slowL: number): void {
  const c = g.c;
  c.i32(0); c.mem(Op.i32_load, L.FCSR, 2); c.i32(FRM_MASK); c.op(Op.i32_and);
  c.i32(RM_RMM << L.FRM_SHIFT); c.op(Op.i32_gt_u); c.brIf(slowL);
}

// To $slow unless F registers a and b both hold NaN-boxed singles.
function boxed(g: FnGen, a: number, b: number, slowL: number): void {
  const c = g.c;
  fload(g, a, Op.i64_load);
  if (b !== a) { fload(g, b, Op.i64_load); c.op(Op.i64_and); }
  c.i64(32); c.op(Op.i64_shr_u); c.i64(BOX_HI); c.op(Op.i64_ne); c.brIf(slowL);
}

// The single in R, NaN-boxed into F register rd if its exponent is in range, else to $slow.
function storeS(g: FnGen, rd: number, slowL: number): void {
  const c = g.c;
  c.get(R); c.i32(23); c.op(Op.i32_shr_u); c.i32(0xff); c.op(Op.i32_and);
  c.i32(2); c.op(Op.i32_sub); c.i32(0xfe - 1); c.op(Op.i32_ge_u); c.brIf(slowL); // exponent in [2, 0xfe]
  c.i32(0); c.get(R); c.op(Op.i64_extend_i32_u); c.i64(BOX_HI); c.i64(32); c.op(Op.i64_shl); c.op(Op.i64_or);
  c.mem(Op.i64_store, L.F_REGS + 8 * rd, 3);
}

// add/sub/mul/div/sqrt; `op32` is the f32 opcode (the f64 one is at a fixed distance).
function arith(g: FnGen, ins: Insn, isD: boolean, op32: Op, slowL: number): void {
  const c = g.c;
  const unary = op32 === Op.f32_sqrt;
  if (isD) {
    fload(g, ins.rs1, Op.f64_load);
    if (!unary) fload(g, ins.rs2, Op.f64_load);
    c.op(op32 === Op.f32_sqrt ? Op.f64_sqrt : (op32 - Op.f32_add + Op.f64_add) as Op);
    c.op(Op.i64_reinterpret_f64); c.set(T64);
    c.get(T64); c.i64(52); c.op(Op.i64_shr_u); c.op(Op.i32_wrap_i64); c.i32(0x7ff); c.op(Op.i32_and);
    c.i32(2); c.op(Op.i32_sub); c.i32(0x7fe - 1); c.op(Op.i32_ge_u); c.brIf(slowL); // exponent in [2, 0x7fe]
    c.i32(0); c.get(T64); c.mem(Op.i64_store, L.F_REGS + 8 * ins.rd, 3);
    return;
  }
  boxed(g, ins.rs1, unary ? ins.rs1 : ins.rs2, slowL);
  fload(g, ins.rs1, Op.f32_load);
  if (!unary) fload(g, ins.rs2, Op.f32_load);
  c.op(op32);
  c.op(Op.i32_reinterpret_f32); c.set(R);
  storeS(g, ins.rd, slowL);
}

// fsgnj (rm 0), fsgnjn (1), fsgnjx (2): the magnitude of rs1 with a sign from rs2.
function signInject(g: FnGen, ins: Insn, isD: boolean, slowL: number): void {
  const c = g.c;
  if (!isD) boxed(g, ins.rs1, ins.rs2, slowL); // an unboxed operand reads as the canonical NaN: the FPU's case
  const sign = (): void => { if (isD) c.i64hl(-0x80000000, 0); else c.i64(0x80000000); };
  c.i32(0);
  fload(g, ins.rs1, Op.i64_load);
  if (ins.f3 !== 2) { sign(); c.i64(-1); c.op(Op.i64_xor); c.op(Op.i64_and); }
  fload(g, ins.rs2, Op.i64_load); sign(); c.op(Op.i64_and);
  if (ins.f3 === 1) { sign(); c.op(Op.i64_xor); }
  c.op(ins.f3 === 2 ? Op.i64_xor : Op.i64_or);
  c.mem(Op.i64_store, L.F_REGS + 8 * ins.rd, 3);
}

// fle (rm 0), flt (1), feq (2) into x[rd]; to $slow if an operand is a NaN (flags) or a single is not boxed.
function compare(g: FnGen, ins: Insn, isD: boolean, slowL: number): void {
  const c = g.c;
  if (!isD) boxed(g, ins.rs1, ins.rs2, slowL);
  const ld = isD ? Op.f64_load : Op.f32_load;
  const eq = isD ? Op.f64_eq : Op.f32_eq;
  for (const r of [ins.rs1, ins.rs2]) { fload(g, r, ld); fload(g, r, ld); c.op(eq); c.op(Op.i32_eqz); c.brIf(slowL); }
  fload(g, ins.rs1, ld); fload(g, ins.rs2, ld);
  const k = ins.f3 === 2 ? 0 : ins.f3 === 1 ? 2 : 4; // eq, lt, le: f32 and f64 opcodes at the same distances
  c.op(((isD ? Op.f64_eq : Op.f32_eq) + k) as Op);
  c.op(Op.i64_extend_i32_u);
  g.xset(ins.rd);
}

// fcvt.w.d / fcvt.l.d, rtz: native when NX is set and the value truncates into the range (false for NaN).
function toIntRtz(g: FnGen, ins: Insn, wide: boolean, slowL: number): void {
  const c = g.c;
  c.i32(0); c.mem(Op.i32_load, L.FCSR, 2); c.i32(L.FFLAG_NX); c.op(Op.i32_and); c.op(Op.i32_eqz); c.brIf(slowL);
  fload(g, ins.rs1, Op.f64_load); c.set(FA);
  // in range: lo < v < hi for w (lo = -2^31 - 1, exact in a double), -2^63 <= v < 2^63 for l
  c.get(FA); c.f64(wide ? -(2 ** 63) : -(2 ** 31) - 1); c.op(wide ? Op.f64_ge : Op.f64_gt);
  c.get(FA); c.f64(wide ? 2 ** 63 : 2 ** 31); c.op(Op.f64_lt);
  c.op(Op.i32_and); c.op(Op.i32_eqz); c.brIf(slowL);
  c.get(FA);
  if (wide) c.op(Op.i64_trunc_f64_s);
  else { c.op(Op.i32_trunc_f64_s); c.op(Op.i64_extend_i32_s); }
  g.xset(ins.rd);
}
