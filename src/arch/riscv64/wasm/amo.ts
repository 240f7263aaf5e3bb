// The A extension: LR/SC and the AMOs, for the interpreter and for translated
// code (which calls execAmo with the instruction's registers in memory).

import { X_REGS, TRAP_TVAL, RES_ADDR, RES_VALID, CAUSE_ILLEGAL, CAUSE_LOAD_MISALIGNED,
  CAUSE_STORE_MISALIGNED, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT } from "./layout";
import { ACC_R, ACC_W, translate } from "./mmu";

@inline function xr(i: u32): u64 { return load<u64>(X_REGS + (i << 3)); }
@inline function xw(i: u32, v: u64): void { if (i != 0) store<u64>(X_REGS + (i << 3), v); }

function amo(f5: u32, old: u64, src: u64, word: bool): u64 {
  switch (f5) {
    case 0x01: return src; // amoswap
    case 0x00: return old + src; // amoadd
    case 0x04: return old ^ src; // amoxor
    case 0x0c: return old & src; // amoand
    case 0x08: return old | src; // amoor
    case 0x10: // amomin
      if (word) return <i32>old < <i32>src ? old : src;
      return <i64>old < <i64>src ? old : src;
    case 0x14: // amomax
      if (word) return <i32>old > <i32>src ? old : src;
      return <i64>old > <i64>src ? old : src;
    case 0x18: // amominu
      if (word) return <u32>old < <u32>src ? old : src;
      return old < src ? old : src;
    default: // 0x1c amomaxu
      if (word) return <u32>old > <u32>src ? old : src;
      return old > src ? old : src;
  }
}

// Executes one AMO-major-opcode instruction. Returns 0, or the trap cause
// (TRAP_TVAL set) with nothing committed.
export function execAmo(insn: u32): u32 {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  if (f3 != 2 && f3 != 3) { store<u64>(TRAP_TVAL, insn); return CAUSE_ILLEGAL; }
  const word = f3 == 2;
  const size: u64 = word ? 4 : 8;
  const f5 = insn >>> 27;
  const va = xr(rs1);
  if (f5 == 0x02) { // lr
    if (rs2 != 0) { store<u64>(TRAP_TVAL, insn); return CAUSE_ILLEGAL; }
    if ((va & (size - 1)) != 0) { store<u64>(TRAP_TVAL, va); return CAUSE_LOAD_MISALIGNED; }
    const h = translate(va, ACC_R);
    if (h == 0) return CAUSE_LOAD_PAGE_FAULT;
    xw(rd, word ? <u64><i64>load<i32>(h) : load<u64>(h));
    store<u64>(RES_ADDR, va);
    store<u32>(RES_VALID, 1);
    return 0;
  }
  if ((va & (size - 1)) != 0) { store<u64>(TRAP_TVAL, va); return CAUSE_STORE_MISALIGNED; }
  if (f5 == 0x03) { // sc
    if (load<u32>(RES_VALID) != 0 && load<u64>(RES_ADDR) == va) {
      const h = translate(va, ACC_W);
      if (h == 0) return CAUSE_STORE_PAGE_FAULT;
      if (word) store<u32>(h, <u32>xr(rs2)); else store<u64>(h, xr(rs2));
      store<u32>(RES_VALID, 0);
      xw(rd, 0);
    } else {
      store<u32>(RES_VALID, 0);
      xw(rd, 1);
    }
    return 0;
  }
  if (f5 != 0x01 && f5 != 0x00 && f5 != 0x04 && f5 != 0x0c && f5 != 0x08 &&
      f5 != 0x10 && f5 != 0x14 && f5 != 0x18 && f5 != 0x1c) {
    store<u64>(TRAP_TVAL, insn); return CAUSE_ILLEGAL;
  }
  const h = translate(va, ACC_W);
  if (h == 0) return CAUSE_STORE_PAGE_FAULT;
  const src = xr(rs2);
  if (word) {
    const old = <u64><i64>load<i32>(h);
    store<u32>(h, <u32>amo(f5, old, src, true));
    xw(rd, old);
  } else {
    const old = load<u64>(h);
    store<u64>(h, amo(f5, old, src, false));
    xw(rd, old);
  }
  return 0;
}
