// WebAssembly for one non-control-transfer instruction (Kind.Plain), with the
// interpreter's exact semantics (wasm/interp.ts): the guest registers are i64
// locals, x0 reads as 0 and writes to it are dropped.
//
// Loads and stores inline the software TLB's hit path (wasm/mmu.ts: the tag
// is (va >>> 12) | asid << 52 at TLB + ((vpn & 4095) << 4), the host page
// minus the va's page at +12) and leave to the interpreter on a miss or an
// access crossing the page by leaving the component (slowExit). A frame
// holding translated code never has a write-TLB entry (jitmap.ts), so stores
// to code always reach the slow path, where the interpreter reports them.

import { Op } from "./wasm-encoder.js";
import { Insn } from "./decode.js";
import { FnGen, H, VA, ASIDTAG, E, R } from "./codegen.js";
import { emitOpFp } from "./emit-fp.js";
import { emitMulDiv } from "./emit-muldiv.js";
import * as L from "../layout.js";

const LOAD_OPS = [Op.i64_load8_s, Op.i64_load16_s, Op.i64_load32_s, Op.i64_load, Op.i64_load8_u, Op.i64_load16_u, Op.i64_load32_u];
const STORE_OPS = [Op.i64_store8, Op.i64_store16, Op.i64_store32, Op.i64_store];
const NAN_BOX = -0x100000000; // 0xffffffff00000000

export function emitInsn(g: FnGen, ins: Insn): void {
  const c = g.c;
  const { rd, rs1, rs2, f3, f7, imm } = ins;
  switch (ins.op) {
    case 0x13: { // OP-IMM
      if (rd === 0) return; // a hint or nop: no effect
      g.xget(rs1);
      switch (f3) {
        case 0: c.i64(imm); c.op(Op.i64_add); break;
        case 1: c.i64(imm & 63); c.op(Op.i64_shl); break;
        case 2: c.i64(imm); c.op(Op.i64_lt_s); c.op(Op.i64_extend_i32_u); break;
        case 3: c.i64(imm); c.op(Op.i64_lt_u); c.op(Op.i64_extend_i32_u); break;
        case 4: c.i64(imm); c.op(Op.i64_xor); break;
        case 5: c.i64(imm & 63); c.op((ins.raw >>> 26) === 0 ? Op.i64_shr_u : Op.i64_shr_s); break;
        case 6: c.i64(imm); c.op(Op.i64_or); break;
        default: c.i64(imm); c.op(Op.i64_and); break;
      }
      g.xset(rd);
      return;
    }
    case 0x33: { // OP
      if (rd === 0) return;
      if (f7 === 1 && f3 !== 0) { // mulh*, div*, rem*: inline (emit-muldiv.ts)
        emitMulDiv(g, f3, rs1, rs2, false);
        g.xset(rd);
        return;
      }
      const rot = g.rotates.get(ins);
      if (rot) { // shift right, shift left, or: one rotate (rotate.ts)
        g.xget(rot.src);
        if (rot.word) { c.op(Op.i32_wrap_i64); c.i32(rot.amount); c.op(Op.i32_rotr); c.op(Op.i64_extend_i32_s); }
        else { c.i64(rot.amount); c.op(Op.i64_rotr); }
        g.xset(rd);
        return;
      }
      g.xget(rs1); g.xget(rs2);
      if (f7 === 1) c.op(Op.i64_mul);
      else if (f7 === 0x20) c.op(f3 === 0 ? Op.i64_sub : Op.i64_shr_s);
      else {
        switch (f3) {
          case 0: c.op(Op.i64_add); break;
          case 1: c.op(Op.i64_shl); break;
          case 2: c.op(Op.i64_lt_s); c.op(Op.i64_extend_i32_u); break;
          case 3: c.op(Op.i64_lt_u); c.op(Op.i64_extend_i32_u); break;
          case 4: c.op(Op.i64_xor); break;
          case 5: c.op(Op.i64_shr_u); break;
          case 6: c.op(Op.i64_or); break;
          default: c.op(Op.i64_and); break;
        }
      }
      g.xset(rd);
      return;
    }
    case 0x37: if (rd !== 0) { c.i64(imm); g.xset(rd); } return; // LUI
    case 0x17: if (rd !== 0) { c.i64(g.pcAt(ins.off) + imm); g.xset(rd); } return; // AUIPC
    case 0x1b: { // OP-IMM-32
      if (rd === 0) return;
      g.xget(rs1);
      if (f3 === 0) {
        if (imm !== 0) { c.op(Op.i32_wrap_i64); c.i32(imm); c.op(Op.i32_add); c.op(Op.i64_extend_i32_s); }
        else c.op(Op.i64_extend32_s); // sext.w
      } else {
        c.op(Op.i32_wrap_i64); c.i32(imm & 31);
        c.op(f3 === 1 ? Op.i32_shl : f7 === 0 ? Op.i32_shr_u : Op.i32_shr_s);
        c.op(Op.i64_extend_i32_s);
      }
      g.xset(rd);
      return;
    }
    case 0x3b: { // OP-32
      if (rd === 0) return;
      if (f7 === 1 && f3 !== 0) { // divw, divuw, remw, remuw
        emitMulDiv(g, f3, rs1, rs2, true);
        g.xset(rd);
        return;
      }
      g.xget(rs1); c.op(Op.i32_wrap_i64); g.xget(rs2); c.op(Op.i32_wrap_i64);
      if (f7 === 1) c.op(Op.i32_mul);
      else if (f3 === 0) c.op(f7 === 0 ? Op.i32_add : Op.i32_sub);
      else if (f3 === 1) c.op(Op.i32_shl);
      else c.op(f7 === 0 ? Op.i32_shr_u : Op.i32_shr_s);
      c.op(Op.i64_extend_i32_s);
      g.xset(rd);
      return;
    }
    case 0x03: { // LOAD
      emitLoad(g, ins, f3, () => g.xset(rd));
      return;
    }
    case 0x07: { // LOAD-FP: into F_REGS in memory, singles NaN-boxed
      c.i32(0);
      emitLoad(g, ins, f3 === 2 ? 6 : 3, () => {
        if (f3 === 2) { c.i64(NAN_BOX); c.op(Op.i64_or); }
        c.mem(Op.i64_store, L.F_REGS + 8 * rd, 3);
      });
      return;
    }
    case 0x23: emitStore(g, ins, f3, () => g.xget(rs2)); return; // STORE
    case 0x27: // STORE-FP
      emitStore(g, ins, f3, () => { c.i32(0); c.mem(Op.i64_load, L.F_REGS + 8 * rs2, 3); });
      return;
    case 0x2f: // AMO, LR, SC: run by the hart on the in-memory registers
      spill(g, rs1); spill(g, rs2); spill(g, rd);
      c.i32(ins.raw | 0); c.call(H.amo);
      helperResult(g, ins, rd);
      return;
    case 0x43: case 0x47: case 0x4b: case 0x4f: // fused multiply-add: F registers only
      c.i32(ins.raw | 0); c.call(H.fp);
      helperResult(g, ins, 0);
      return;
    case 0x53: { // OP-FP: some read x[rs1] (fcvt, fmv) or write x[rd] (compares, fcvt, fmv, fclass)
      const slow = (): void => {
        spill(g, rs1); spill(g, rd);
        c.i32(ins.raw | 0); c.call(H.fp);
        helperResult(g, ins, rd);
      };
      if (!emitOpFp(g, ins, slow)) slow();
      return;
    }
    case 0x73: // CSR access
      spill(g, rs1); spill(g, rd);
      c.i32(ins.raw | 0); g.instretNow(); c.call(H.csr);
      helperResult(g, ins, rd);
      return;
    case 0x0f: return; // fence: one hart, in order
    default: throw new Error(`jit: no emitter for opcode ${ins.op.toString(16)}`);
  }
}

// Writes a register local back to X_REGS for a helper that reads or writes it there.
function spill(g: FnGen, r: number): void {
  if (r === 0 || !g.inLocal[r]) return;
  g.c.i32(0); g.c.get(r); g.c.mem(Op.i64_store, L.X_REGS + 8 * r, 3);
}

// After a helper returned in R's place: reload rd, then leave on a trap or a code write.
function helperResult(g: FnGen, ins: Insn, rd: number): void {
  const c = g.c;
  c.set(R);
  g.uncache();
  if (rd !== 0 && g.inLocal[rd]) { c.i32(0); c.mem(Op.i64_load, L.X_REGS + 8 * rd, 3); c.set(rd); }
  c.get(R);
  c.if_();
  c.get(R); c.i32(L.JIT_CODE_WRITTEN); c.op(Op.i32_eq);
  c.if_(); g.exitAfter(g.pcAt(ins.off) + ins.len); c.end();
  g.trapExit(ins);
  c.end();
}

// va = x[rs1] + imm into VA.
function effectiveAddress(g: FnGen, ins: Insn): void {
  g.xget(ins.rs1);
  if (ins.imm !== 0) { g.c.i64(ins.imm); g.c.op(Op.i64_add); }
  g.c.set(VA);
}

// Leaves an i32 on the stack: 1 if the TLB at `tlb` holds VA's page for the
// current ASID and the access of `size` bytes stays in that page (E = the
// entry's offset). The tag compared is that of the access's last byte,
// ((VA + size - 1) >>> 12) ^ ASIDTAG, in the entry of VA's page: it equals
// the entry's tag exactly when the entry holds VA's page and the access ends
// in it, so one compare covers the hit and the page crossing (which the slow
// path splits). A misaligned access inside the page is a plain access, as in
// the interpreter (wasm/mmu.ts loadHost: only crossing takes the slow path).
// Every one of the tag's 64 bits means something (52 of page number, 12 of
// ASID), so nothing else may be folded into it. (The misalignment once was,
// into the ASID's bits: a misaligned access then hit the entry of the address
// space whose ASID differs by the misalignment, and read or wrote that
// process's frame — busybox sed's memcpy corrupted a pipe's data.) Near
// 2^64 the sum wraps to page 0, whose entry is never the one indexed.
function tlbHit(g: FnGen, tlb: number, size: number): void {
  const c = g.c;
  c.get(VA);
  if (size > 1) { c.i64(size - 1); c.op(Op.i64_add); }
  c.i64(12); c.op(Op.i64_shr_u);
  c.get(ASIDTAG); c.op(Op.i64_xor);
  // (4096 entries of 16 bytes: the index is (vpn & 4095) << 4)
  c.get(VA); c.op(Op.i32_wrap_i64); c.i32(8); c.op(Op.i32_shr_u); c.i32(0xfff0); c.op(Op.i32_and); c.tee(E);
  c.mem(Op.i64_load, tlb, 3);
  c.op(Op.i64_eq);
}

// The host address of VA after a hit: its low 32 bits plus the entry's addend.
function hostAddress(g: FnGen, tlb: number): void {
  const c = g.c;
  c.get(VA); c.op(Op.i32_wrap_i64);
  c.get(E); c.mem(Op.i32_load, tlb + 12, 2);
  c.op(Op.i32_add);
}

// A load of kind f3 (LOAD's funct3); `use` consumes the i64 value.
function emitLoad(g: FnGen, ins: Insn, f3: number, use: () => void): void {
  const c = g.c;
  effectiveAddress(g, ins);
  tlbHit(g, L.TLB_R, 1 << (f3 & 3));
  c.if_(0x7e);
  hostAddress(g, L.TLB_R);
  c.mem(LOAD_OPS[f3], 0, 0);
  c.else_();
  slowExit(g, ins);
  c.end();
  use();
}

// A store of 1 << f3 bytes; `value` pushes the i64 to store.
function emitStore(g: FnGen, ins: Insn, f3: number, value: () => void): void {
  const c = g.c;
  effectiveAddress(g, ins);
  tlbHit(g, L.TLB_W, 1 << f3);
  c.if_();
  hostAddress(g, L.TLB_W);
  value();
  c.mem(STORE_OPS[f3], 0, 0);
  c.else_();
  slowExit(g, ins);
  c.end();
}

// The slow path of a load or store: leave with PC at the access, which has not
// retired, and CAUSE_JIT_SLOW; the dispatcher (wasm/jitrun.ts) interprets it
// (the TLB refill, a page crossing, a fault with its exact pc and address, a
// store to a code frame) and the block's rest. No call: a call clobbers every
// host register, so V8 would keep the guest registers live across it in stack
// slots, and every access's fast path paid for the spills.
function slowExit(g: FnGen, ins: Insn): void {
  g.setExit(L.CAUSE_JIT_SLOW);
  g.trapExit(ins);
}
