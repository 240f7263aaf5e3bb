// What translated code calls back into the hart for: the slow paths of loads
// and stores (TLB miss, page crossing, faults), the instructions it leaves to
// the interpreter's own code (AMOs, CSRs, F/D arithmetic), and the M
// extension's awkward cases (re-exported from alu.ts).
//
// Convention: a helper that can trap stores the cause in JIT_EXIT (and
// TRAP_TVAL) and reports failure; translated code then leaves with PC at the
// instruction. Helpers that run an instruction on the in-memory registers
// (jitAmo, jitCsr, jitFp) return 0, a trap cause, or JIT_CODE_WRITTEN when a
// store reached a frame holding translated code (the translation must stop
// right after the instruction, as the interpreter would see the new code).

import {
  X_REGS, TRAP_TVAL, JIT_EXIT, JIT_DIRTY, CAUSE_ILLEGAL, CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_PAGE_FAULT, JIT_CODE_WRITTEN,
} from "./layout";
import { ACC_R, ACC_W, translateSlow, loadBytes, storeBytes, crossFault } from "./mmu";
import { execAmo } from "./amo";
import { execCsr } from "./csr";
import { execFp } from "./fp";

export { mulh, mulhsu, mulhu, div, divu, rem, remu, divw, divuw, remw, remuw } from "./alu";

// A load that missed the inline TLB check; f3 as in the LOAD opcode.
export function jitLoad(va: u64, f3: u32): u64 {
  const size: u32 = 1 << (f3 & 3);
  let v: u64;
  if ((<u32>va & 0xfff) > 4096 - size) {
    v = loadBytes(va, size);
    if (crossFault) { store<u32>(JIT_EXIT, CAUSE_LOAD_PAGE_FAULT); return 0; }
  } else {
    const h = translateSlow(va, ACC_R);
    if (h == 0) { store<u32>(JIT_EXIT, CAUSE_LOAD_PAGE_FAULT); return 0; }
    v = size == 1 ? <u64>load<u8>(h) : size == 2 ? <u64>load<u16>(h) : size == 4 ? <u64>load<u32>(h) : load<u64>(h);
  }
  switch (f3) {
    case 0: return <u64><i64><i8>v;
    case 1: return <u64><i64><i16>v;
    case 2: return <u64><i64><i32>v;
    default: return v;
  }
}

// A store that missed the inline TLB check (always so for frames holding code).
// Returns 0, 1 after a fault (JIT_EXIT set), or JIT_CODE_WRITTEN.
export function jitStore(va: u64, v: u64, f3: u32): u32 {
  const size: u32 = 1 << f3;
  const dirty = load<u32>(JIT_DIRTY);
  if ((<u32>va & 0xfff) > 4096 - size) {
    if (!storeBytes(va, size, v)) { store<u32>(JIT_EXIT, CAUSE_STORE_PAGE_FAULT); return 1; }
  } else {
    const h = translateSlow(va, ACC_W);
    if (h == 0) { store<u32>(JIT_EXIT, CAUSE_STORE_PAGE_FAULT); return 1; }
    switch (f3) {
      case 0: store<u8>(h, <u8>v); break;
      case 1: store<u16>(h, <u16>v); break;
      case 2: store<u32>(h, <u32>v); break;
      default: store<u64>(h, v); break;
    }
  }
  return load<u32>(JIT_DIRTY) != dirty ? JIT_CODE_WRITTEN : 0;
}

@inline function finish(cause: u32, dirty: u32): u32 {
  store<u64>(X_REGS, 0);
  if (cause != 0) { store<u32>(JIT_EXIT, cause); return cause; }
  return load<u32>(JIT_DIRTY) != dirty ? JIT_CODE_WRITTEN : 0;
}

export function jitAmo(insn: u32): u32 {
  const dirty = load<u32>(JIT_DIRTY);
  return finish(execAmo(insn), dirty);
}

// instret: the exact count including this instruction.
export function jitCsr(insn: u32, instret: u64): u32 {
  return finish(execCsr(insn, instret), load<u32>(JIT_DIRTY));
}

export function jitFp(insn: u32): u32 {
  if (execFp(insn) != 0) { store<u64>(TRAP_TVAL, insn); return finish(CAUSE_ILLEGAL, 0); }
  return finish(0, load<u32>(JIT_DIRTY));
}
