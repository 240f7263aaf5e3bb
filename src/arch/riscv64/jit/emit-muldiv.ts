// The M extension's high multiplies and divisions as inline WebAssembly, with
// RISC-V's results where wasm would trap (the interpreter's wasm/alu.ts):
// x / 0 = all ones, x % 0 = x, and the signed overflow MIN / -1 = MIN,
// MIN % -1 = 0. No call: a call in a component clobbers every host register,
// and V8 then keeps the guest registers it holds in stack slots (the cost
// jit/emit-insn.ts's loads and stores avoid by leaving instead).
//
// The division is done on a divisor that cannot trap (1 where the result is
// fixed), and a select then picks the fixed result for a zero divisor: with
// divisor 1, MIN / 1 = MIN and MIN % 1 = 0 are already RISC-V's overflow
// results. The word forms divide the sign- or zero-extended 32-bit operands
// as i64 (MIN32 / -1 = 2^31 does not overflow there) and sign-extend the low
// 32 bits of the result, as divw/divuw/remw/remuw define it.

import { Op } from "./wasm-encoder.js";
import { FnGen, VA, T64, P64, Q64 } from "./codegen.js";

const LO32 = 0xffffffff;

// Leaves x[rs1] op x[rs2] (funct3 `f3` of OP with funct7 1, or of OP-32 when
// `word`) on the stack as i64. Uses VA, T64 (operands), P64 and Q64.
export function emitMulDiv(g: FnGen, f3: number, rs1: number, rs2: number, word: boolean): void {
  const c = g.c;
  g.xget(rs1);
  if (word) { if (f3 & 1) { c.i64(LO32); c.op(Op.i64_and); } else c.op(Op.i64_extend32_s); }
  c.set(VA);
  g.xget(rs2);
  if (word) { if (f3 & 1) { c.i64(LO32); c.op(Op.i64_and); } else c.op(Op.i64_extend32_s); }
  c.set(T64);
  if (f3 < 4) { // mulh (1), mulhsu (2), mulhu (3): never word forms
    mulhu(g);
    if (f3 !== 3) { c.get(T64); c.i64(0); c.get(VA); c.i64(0); c.op(Op.i64_lt_s); c.op(Op.select); c.op(Op.i64_sub); }
    if (f3 === 1) { c.get(VA); c.i64(0); c.get(T64); c.i64(0); c.op(Op.i64_lt_s); c.op(Op.select); c.op(Op.i64_sub); }
    return;
  }
  const signed = (f3 & 1) === 0, isRem = f3 >= 6;
  // The fixed result for a zero divisor: all ones, or the dividend.
  if (isRem) c.get(VA); else c.i64(-1);
  c.get(VA);
  // The safe divisor: 1 for zero (and for the 64-bit signed overflow), else x[rs2].
  c.i64(1); c.get(T64);
  c.get(T64); c.op(Op.i64_eqz);
  if (signed && !word) {
    c.get(VA); c.i64(-(2 ** 63)); c.op(Op.i64_eq);
    c.get(T64); c.i64(-1); c.op(Op.i64_eq);
    c.op(Op.i32_and); c.op(Op.i32_or);
  }
  c.op(Op.select);
  c.op(isRem ? (signed ? Op.i64_rem_s : Op.i64_rem_u) : (signed ? Op.i64_div_s : Op.i64_div_u));
  c.get(T64); c.op(Op.i64_eqz);
  c.op(Op.select);
  if (word) c.op(Op.i64_extend32_s);
}

// The high 64 bits of the unsigned product VA * T64, from 32-bit halves.
function mulhu(g: FnGen): void {
  const c = g.c;
  const lo = (l: number): void => { c.get(l); c.i64(LO32); c.op(Op.i64_and); };
  const hi = (l: number): void => { c.get(l); c.i64(32); c.op(Op.i64_shr_u); };
  lo(VA); hi(T64); c.op(Op.i64_mul); c.set(P64); // a0 * b1
  hi(VA); lo(T64); c.op(Op.i64_mul); c.set(Q64); // a1 * b0
  hi(VA); hi(T64); c.op(Op.i64_mul);
  hi(P64); c.op(Op.i64_add);
  hi(Q64); c.op(Op.i64_add);
  lo(VA); lo(T64); c.op(Op.i64_mul); c.i64(32); c.op(Op.i64_shr_u); // the middle column's carry
  lo(P64); c.op(Op.i64_add);
  lo(Q64); c.op(Op.i64_add);
  c.i64(32); c.op(Op.i64_shr_u);
  c.op(Op.i64_add);
}
