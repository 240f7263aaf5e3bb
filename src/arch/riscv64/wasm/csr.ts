// Zicsr for user mode: fflags, frm, fcsr, and the cycle / time / instret
// counters. Shared by the interpreter and translated code, which pass the
// exact instret value at the instruction (counting the instruction itself).

import {
  X_REGS, FCSR, TRAP_TVAL, TIME_BASE, TIME_BASE_INSTRET, TIME_PER_INSN_Q32, CAUSE_ILLEGAL,
} from "./layout";

function csrRead(csr: u32, instret: u64): i64 {
  switch (csr) {
    case 0x001: return <i64>(load<u32>(FCSR) & 0x1f);
    case 0x002: return <i64>((load<u32>(FCSR) >>> 5) & 7);
    case 0x003: return <i64>(load<u32>(FCSR) & 0xff);
    case 0xc00: // cycle: one cycle an instruction
    case 0xc02: // instret
      return <i64>instret;
    case 0xc01: { // time
      const n = instret - load<u64>(TIME_BASE_INSTRET);
      const q = load<u64>(TIME_PER_INSN_Q32);
      const t = (n >>> 32) * q + (((n & 0xffffffff) * q) >>> 32);
      return <i64>(load<u64>(TIME_BASE) + t);
    }
    default: return -1;
  }
}

// Returns false when the CSR does not exist or is read-only.
function csrWrite(csr: u32, v: u64): bool {
  const fcsr = load<u32>(FCSR);
  switch (csr) {
    case 0x001: store<u32>(FCSR, (fcsr & ~0x1f) | (<u32>v & 0x1f)); return true;
    case 0x002: store<u32>(FCSR, (fcsr & 0x1f) | ((<u32>v & 7) << 5)); return true;
    case 0x003: store<u32>(FCSR, <u32>v & 0xff); return true;
    default: return false;
  }
}

// Executes a csrr* instruction (SYSTEM with funct3 1-3, 5-7). Returns 0, or
// CAUSE_ILLEGAL (TRAP_TVAL set) with nothing committed.
export function execCsr(insn: u32, instret: u64): u32 {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const f3 = (insn >>> 12) & 7;
  const csr = insn >>> 20;
  const src: u64 = f3 >= 5 ? <u64>rs1 : load<u64>(X_REGS + (rs1 << 3));
  const kind = f3 & 3; // 1 write, 2 set, 3 clear
  const writes = kind == 1 || rs1 != 0;
  const old = csrRead(csr, instret);
  if (old < 0) { store<u64>(TRAP_TVAL, insn); return CAUSE_ILLEGAL; }
  if (writes) {
    const v: u64 = kind == 1 ? src : kind == 2 ? (<u64>old | src) : (<u64>old & ~src);
    if (!csrWrite(csr, v)) { store<u64>(TRAP_TVAL, insn); return CAUSE_ILLEGAL; }
  }
  if (rd != 0) store<u64>(X_REGS + (rd << 3), <u64>old);
  return 0;
}
