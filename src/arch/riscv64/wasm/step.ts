// One guest instruction of any kind, for exec() (interp.ts): it runs the
// common instructions inline and everything else here -- fetch TLB misses,
// loads and stores that miss the TLB or cross a page, FP arithmetic, AMOs,
// CSRs, system instructions, illegal forms. Compressed instructions run
// as their 32-bit expansion (rvc.ts), cached.
//
// A trap leaves PC at the instruction that trapped (for ecall too: the kernel
// steps over it), and nothing of a faulting instruction is committed.

import {
  X_REGS, F_REGS, PC, TRAP_TVAL, INSTRET,
  CAUSE_ILLEGAL, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_INSN_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_FENCE_I, CAUSE_JIT_BLOCK,
  RVC_CACHE, RVC_ILLEGAL,
} from "./layout";
import { ACC_X, translate, loadBytes, storeBytes, crossFault, loadHost, storeHost } from "./mmu";
import { expandCompressed } from "./rvc";
import { sext32, aluBase, mulh, mulhu, mulhsu, div, divu, rem, remu, divw, divuw, remw, remuw } from "./alu";
import { execFp } from "./fp";
import { execAmo } from "./amo";
import { execCsr } from "./csr";
import { xr, xw, leave, blockGoesOn, getRunBudget, inBlockMode } from "./exec-state";

@inline function extendLoad(v: u64, f3: u32): u64 {
  switch (f3) {
    case 0: return <u64><i64><i8>v;
    case 1: return <u64><i64><i16>v;
    case 2: return <u64><i64><i32>v;
    case 4: return v & 0xff;
    case 5: return v & 0xffff;
    case 6: return v & 0xffffffff;
    default: return v;
  }
}

// Runs the instruction at pc; `left` is exec()'s budget left after it.
// Returns 0 with PC set to the next instruction, or leaves exec() (leave())
// and returns the cause.
export function step(pc: u64, left: i32): u32 {
  const host = translate(pc, ACC_X);
  if (host == 0) return leave(pc, CAUSE_INSN_PAGE_FAULT, left + 1);
  let insn: u32 = <u32>load<u16>(host);
  let npc: u64;
  if ((insn & 3) != 3) {
    npc = pc + 2;
    const raw = insn;
    // Expanding is a pure function of the parcel: cached (a tenth of the interpreter's time on python3's start).
    const slot = RVC_CACHE + ((((raw & 3) << 14) | (raw >>> 2)) << 2);
    insn = load<u32>(slot);
    if (insn == 0) {
      insn = expandCompressed(raw);
      if (insn == 0) insn = RVC_ILLEGAL;
      store<u32>(slot, insn);
    }
    if (insn == RVC_ILLEGAL) { store<u64>(TRAP_TVAL, <u64>raw); return leave(pc, CAUSE_ILLEGAL, left + 1); }
  } else {
    if ((<u32>pc & 0xfff) <= 0xffc) {
      insn = load<u32>(host);
    } else {
      const h2 = translate(pc + 2, ACC_X);
      if (h2 == 0) return leave(pc, CAUSE_INSN_PAGE_FAULT, left + 1);
      insn |= (<u32>load<u16>(h2)) << 16;
    }
    npc = pc + 4;
  }
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  switch (insn & 0x7f) {
    case 0x13: { // OP-IMM
      const a = xr(rs1);
      const imm = <u64><i64>(<i32>insn >> 20);
      // Shifts: imm[11:6] is 0 (srai: 0x10).
      if ((f3 == 1 && (insn >>> 26) != 0) || (f3 == 5 && ((insn >>> 26) & 0x2f) != 0)) {
        store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
      }
      xw(rd, aluBase(f3, a, imm, (insn & 0x40000000) != 0));
      break;
    }
    case 0x33: { // OP
      const a = xr(rs1), b = xr(rs2);
      const f7 = insn >>> 25;
      let v: u64;
      if (f7 == 0) v = aluBase(f3, a, b, false);
      else if (f7 == 1) {
        switch (f3) {
          case 0: v = a * b; break;
          case 1: v = mulh(a, b); break;
          case 2: v = mulhsu(a, b); break;
          case 3: v = mulhu(a, b); break;
          case 4: v = div(a, b); break;
          case 5: v = divu(a, b); break;
          case 6: v = rem(a, b); break;
          default: v = remu(a, b); break;
        }
      } else if (f7 == 0x20 && f3 == 0) {
        v = a - b;
      } else if (f7 == 0x20 && f3 == 5) {
        v = <u64>(<i64>a >> <i64>(b & 63));
      } else {
        store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
      }
      xw(rd, v);
      break;
    }
    case 0x03: { // LOAD
      if (f3 == 7) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const va = xr(rs1) + <u64><i64>(<i32>insn >> 20);
      const size: u32 = 1 << (f3 & 3);
      const h = loadHost(va, size);
      let v: u64;
      if (h > 1) {
        switch (f3) {
          case 0: v = <u64><i64>load<i8>(h); break;
          case 1: v = <u64><i64>load<i16>(h); break;
          case 2: v = <u64><i64>load<i32>(h); break;
          case 3: v = load<u64>(h); break;
          case 4: v = <u64>load<u8>(h); break;
          case 5: v = <u64>load<u16>(h); break;
          default: v = <u64>load<u32>(h); break;
        }
      } else {
        if (h == 0) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        v = loadBytes(va, size);
        if (crossFault) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        v = extendLoad(v, f3);
      }
      xw(rd, v);
      break;
    }
    case 0x23: { // STORE
      if (f3 > 3) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const imm = <u64><i64>(((<i32>insn >> 25) << 5) | <i32>rd);
      const va = xr(rs1) + imm;
      const v = xr(rs2);
      const size: u32 = 1 << f3;
      const h = storeHost(va, size);
      if (h > 1) {
        switch (f3) {
          case 0: store<u8>(h, <u8>v); break;
          case 1: store<u16>(h, <u16>v); break;
          case 2: store<u32>(h, <u32>v); break;
          default: store<u64>(h, v); break;
        }
      } else {
        if (h == 0 || !storeBytes(va, size, v)) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
      }
      break;
    }
    case 0x63: { // BRANCH
      const a = xr(rs1), b = xr(rs2);
      let taken: bool;
      switch (f3) {
        case 0: taken = a == b; break;
        case 1: taken = a != b; break;
        case 4: taken = <i64>a < <i64>b; break;
        case 5: taken = <i64>a >= <i64>b; break;
        case 6: taken = a < b; break;
        case 7: taken = a >= b; break;
        default: store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
      }
      if (taken) {
        const imm = (((<i32>insn >> 31) << 12) | <i32>(((insn >>> 7) & 1) << 11) |
          <i32>(((insn >>> 25) & 0x3f) << 5) | <i32>(((insn >>> 8) & 0xf) << 1));
        npc = pc + <u64><i64>imm;
        if (inBlockMode()) {
          if (!blockGoesOn(npc)) return leave(npc, CAUSE_JIT_BLOCK, left);
        }
      }
      break;
    }
    case 0x37: xw(rd, <u64><i64><i32>(insn & 0xfffff000)); break; // LUI
    case 0x17: xw(rd, pc + <u64><i64><i32>(insn & 0xfffff000)); break; // AUIPC
    case 0x6f: { // JAL
      const imm = ((<i32>insn >> 31) << 20) | <i32>(insn & 0xff000) | <i32>(((insn >>> 20) & 1) << 11) |
        <i32>(((insn >>> 21) & 0x3ff) << 1);
      xw(rd, npc);
      npc = pc + <u64><i64>imm;
      if (inBlockMode()) {
        if (!blockGoesOn(npc)) { store<u64>(X_REGS, 0); return leave(npc, CAUSE_JIT_BLOCK, left); }
      }
      break;
    }
    case 0x67: { // JALR
      if (f3 != 0) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const target = (xr(rs1) + <u64><i64>(<i32>insn >> 20)) & ~(<u64>1);
      xw(rd, npc);
      npc = target;
      if (inBlockMode()) {
        if (!blockGoesOn(npc)) { store<u64>(X_REGS, 0); return leave(npc, CAUSE_JIT_BLOCK, left); }
      }
      break;
    }
    case 0x1b: { // OP-IMM-32
      const a = xr(rs1);
      const imm = <i32>insn >> 20;
      let v: u64;
      if (f3 == 0) v = sext32(a + <u64><i64>imm);
      else if (f3 == 1 && (insn >>> 25) == 0) v = sext32(<u64>(<u32>a << (imm & 31)));
      else if (f3 == 5 && (insn >>> 25) == 0) v = sext32(<u64>(<u32>a >>> (imm & 31)));
      else if (f3 == 5 && (insn >>> 25) == 0x20) v = <u64><i64>(<i32>a >> (imm & 31));
      else { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      xw(rd, v);
      break;
    }
    case 0x3b: { // OP-32
      const a = xr(rs1), b = xr(rs2);
      const f7 = insn >>> 25;
      let v: u64;
      if (f7 == 0 && f3 == 0) v = sext32(a + b);
      else if (f7 == 0x20 && f3 == 0) v = sext32(a - b);
      else if (f7 == 0 && f3 == 1) v = sext32(<u64>(<u32>a << (<u32>b & 31)));
      else if (f7 == 0 && f3 == 5) v = sext32(<u64>(<u32>a >>> (<u32>b & 31)));
      else if (f7 == 0x20 && f3 == 5) v = <u64><i64>(<i32>a >> (<i32>b & 31));
      else if (f7 == 1) {
        switch (f3) {
          case 0: v = sext32(a * b); break;
          case 4: v = divw(a, b); break;
          case 5: v = divuw(a, b); break;
          case 6: v = remw(a, b); break;
          case 7: v = remuw(a, b); break;
          default: store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
        }
      } else { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      xw(rd, v);
      break;
    }
    case 0x2f: { // AMO
      const c = execAmo(insn);
      if (c != 0) return leave(pc, c, left + 1);
      break;
    }
    case 0x07: { // LOAD-FP
      if (f3 != 2 && f3 != 3) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const va = xr(rs1) + <u64><i64>(<i32>insn >> 20);
      const size: u32 = f3 == 2 ? 4 : 8;
      const h = loadHost(va, size);
      let v: u64;
      if (h > 1) {
        v = f3 == 2 ? <u64>load<u32>(h) : load<u64>(h);
      } else {
        if (h == 0) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        v = loadBytes(va, size);
        if (crossFault) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
      }
      if (f3 == 2) v |= 0xffffffff00000000;
      store<u64>(F_REGS + (rd << 3), v);
      break;
    }
    case 0x27: { // STORE-FP
      if (f3 != 2 && f3 != 3) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const imm = <u64><i64>(((<i32>insn >> 25) << 5) | <i32>rd);
      const va = xr(rs1) + imm;
      const v = load<u64>(F_REGS + (rs2 << 3));
      const size: u32 = f3 == 2 ? 4 : 8;
      const h = storeHost(va, size);
      if (h > 1) {
        if (f3 == 2) store<u32>(h, <u32>v); else store<u64>(h, v);
      } else {
        if (h == 0 || !storeBytes(va, size, v)) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
      }
      break;
    }
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: { // F and D arithmetic
      if (execFp(insn) != 0) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      break;
    }
    case 0x0f: { // MISC-MEM
      if (f3 == 0) break; // fence: one hart, in order
      if (f3 == 1) { // fence.i: the interpreter caches nothing, but translations may be stale
        if (inBlockMode()) return leave(npc, CAUSE_FENCE_I, left);
        break;
      }
      store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
    }
    case 0x73: { // SYSTEM
      if (f3 == 0) {
        if (insn == 0x00000073) return leave(pc, CAUSE_ECALL_U, left);
        if (insn == 0x00100073) { store<u64>(TRAP_TVAL, pc); return leave(pc, CAUSE_BREAKPOINT, left + 1); }
        store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1);
      }
      if (f3 == 4) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
      const c = execCsr(insn, load<u64>(INSTRET) + <u64>(getRunBudget() - left));
      if (c != 0) return leave(pc, c, left + 1);
      break;
    }
    default:
      store<u64>(TRAP_TVAL, insn);
      return leave(pc, CAUSE_ILLEGAL, left + 1);
  }
  store<u64>(X_REGS, 0);
  store<u64>(PC, npc);
  return 0;
}
