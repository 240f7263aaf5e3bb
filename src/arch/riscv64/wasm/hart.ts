// The hart: an RV64IMAFDC interpreter for user mode. run() executes guest
// instructions until a trap or until the instruction budget is spent, and
// returns the cause; the kernel handles it and calls run() again.
//
// Registers live in linear memory (layout.ts). A trap leaves PC at the
// instruction that trapped (for ecall too: the kernel steps over it), and
// nothing of a faulting instruction is committed.
//
// With the JIT (src/arch/riscv64/jit/), jitRun() below is the entry instead:
// it runs translated code where there is some and this interpreter elsewhere.

import {
  X_REGS, PC, TRAP_CAUSE, RES_VALID, INSTRET, CAUSE_BUDGET, CAUSE_INSN_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_JIT_BLOCK, CAUSE_JIT_HOT,
  CAUSE_JIT_DIRTY, CAUSE_JIT_MISS, ASID, JIT_EXIT, JIT_DIRTY, JIT_LEFT, JIT_IBASE, JIT_COUNTERS,
  JIT_COUNTER_MASK, JIT_HOT_PC, JIT_INTERP,
} from "./layout";
import { ACC_X, faultCause, translate, loadBytes, storeBytes, crossFault } from "./mmu";
import { sext32, mulh, mulhu, mulhsu, div, divu, rem, remu, divw, divuw, remw, remuw } from "./alu";
import { loadHost, storeHost, extendLoad } from "./access";
import { execSlow, slowPc, slowLeft, slowNpc } from "./exec-slow";
import {
  decBase, DEC_MASK, predecode, OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU, OP_XORI, OP_SRLI, OP_SRAI, OP_ORI, OP_ANDI,
  OP_AUIPC, OP_ADD, OP_SUB, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_SRA, OP_OR, OP_AND, OP_MUL, OP_MULH,
  OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU, OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU,
  OP_SB, OP_SH, OP_SW, OP_SD, OP_BEQ, OP_BNE, OP_BLT, OP_BGE, OP_BLTU, OP_BGEU, OP_JAL, OP_JALR, OP_ADDIW,
  OP_SLLIW, OP_SRLIW, OP_SRAIW, OP_ADDW, OP_SUBW, OP_SLLW, OP_SRLW, OP_SRAW, OP_MULW, OP_DIVW, OP_DIVUW,
  OP_REMW, OP_REMUW, OP_FLW, OP_FLD, OP_FSW, OP_FSD,
} from "./predecode";
import { mapSlot } from "./jitmap";

export { setAsid, tlbFlushAll, tlbFlushAsid, tlbFlushPage, translateForKernel } from "./mmu";
export { jitDropWritable } from "./jitmap";
export { expandCompressed } from "./rvc";
export { setDecodeCache } from "./predecode";
export {
  jitLoad, jitStore, jitAmo, jitCsr, jitFp, mulh, mulhsu, mulhu, div, divu, rem, remu, divw, divuw, remw, remuw,
} from "./jithelpers";

@inline function xr(i: u32): u64 { return load<u64>(X_REGS + (i << 3)); }
@inline function xw(i: u32, v: u64): void { store<u64>(X_REGS + (i << 3), v); }
// The fields of a decoded instruction (predecode.ts).
@inline function r1(rr: u32): u64 { return load<u64>(rr & 0xffff); }
@inline function r2(rr: u32): u64 { return load<u64>(rr >>> 16); }
@inline function imm(e: u32): u64 { return <u64><i64>load<i32>(e, 12); }

// A load that loadHost() could not serve at once (h: 1 for an access crossing
// a page, 0 for a fault): byte by byte, extended as funct3 f3 says. Returns
// false on a fault, with nothing written.
function loadCross(rd: u32, va: u64, h: u32, f3: u32): bool {
  if (h == 0) return false;
  const v = loadBytes(va, <u32>1 << (f3 & 3));
  if (crossFault) return false;
  store<u64>(rd, extendLoad(v, f3));
  return true;
}

let runBudget: i32 = 0;
// Instructions of the budget that the last exec() left unexecuted.
let execLeft: i32 = 0;
// Set while the JIT's dispatcher drives the interpreter: exec() then stops after
// every taken jump or branch (so the dispatcher can look for a translation of
// the target) and reports fence.i (so the JIT can drop stale translations).
let blockMode: bool = false;

// Leaves exec(): `left` instructions of the budget were not executed.
@inline function leave(pc: u64, cause: u32, left: i32): u32 {
  store<u64>(PC, pc);
  store<u32>(TRAP_CAUSE, cause);
  store<u64>(INSTRET, load<u64>(INSTRET) + <u64>(runBudget - left));
  execLeft = left;
  return cause;
}

// The interpreter without the JIT: runs until a trap or the budget is spent.
export function run(budget: i32): u32 {
  store<u32>(RES_VALID, 0);
  blockMode = false;
  return exec(budget);
}

function exec(budget: i32): u32 {
  runBudget = budget;
  let pc = load<u64>(PC);
  let left = budget;
  let fetchVpn: u64 = 0xffffffffffffffff;
  let fetchPage: u32 = 0;
  while (left > 0) {
    left--;
    // Fetch.
    const vpn = pc >>> 12;
    let host: u32;
    if (vpn == fetchVpn) {
      host = fetchPage + (<u32>pc & 0xfff);
    } else {
      // For the JIT's dispatcher a block also ends where execution falls into
      // another page (after an instruction that ends the page or straddles
      // its end): otherwise the next page's code would never be a block start
      // the dispatcher counts, and straight-line code running into it (an
      // unrolled hash round) would stay with the interpreter for good.
      if (blockMode && fetchVpn != 0xffffffffffffffff) return leave(pc, CAUSE_JIT_BLOCK, left + 1);
      host = translate(pc, ACC_X);
      if (host == 0) return leave(pc, CAUSE_INSN_PAGE_FAULT, left + 1);
      fetchVpn = vpn;
      fetchPage = host & ~0xfff;
    }
    // The instruction's bits (a compressed one with the next parcel, or
    // nothing past the page: see predecode.ts), then its decoded form.
    let word: u32;
    if ((<u32>pc & 0xfff) <= 0xffc) {
      word = load<u32>(host);
    } else {
      word = <u32>load<u16>(host);
      if ((word & 3) == 3) {
        const h2 = translate(pc + 2, ACC_X);
        if (h2 == 0) return leave(pc, CAUSE_INSN_PAGE_FAULT, left + 1);
        word |= (<u32>load<u16>(h2)) << 16;
      }
    }
    const e = decBase + (((host >>> 1) & DEC_MASK) << 4);
    if (load<u32>(e) != word) predecode(e, word);
    // One load for op, length and rd; one for rs1 and rs2 (predecode.ts).
    const m = load<u32>(e, 4);
    const rd = m >>> 16;
    const rr = load<u32>(e, 8);
    let npc = pc + <u64>((m >>> 8) & 0xff);
    switch (m & 0xff) {
      case OP_ADDI: store<u64>(rd, r1(rr) + imm(e)); break;
      case OP_SLLI: store<u64>(rd, r1(rr) << imm(e)); break;
      case OP_SLTI: store<u64>(rd, <i64>r1(rr) < <i64>imm(e) ? 1 : 0); break;
      case OP_SLTIU: store<u64>(rd, r1(rr) < imm(e) ? 1 : 0); break;
      case OP_XORI: store<u64>(rd, r1(rr) ^ imm(e)); break;
      case OP_SRLI: store<u64>(rd, r1(rr) >>> imm(e)); break;
      case OP_SRAI: store<u64>(rd, <u64>(<i64>r1(rr) >> <i64>imm(e))); break;
      case OP_ORI: store<u64>(rd, r1(rr) | imm(e)); break;
      case OP_ANDI: store<u64>(rd, r1(rr) & imm(e)); break;
      case OP_AUIPC: store<u64>(rd, pc + imm(e)); break;
      case OP_ADD: store<u64>(rd, r1(rr) + r2(rr)); break;
      case OP_SUB: store<u64>(rd, r1(rr) - r2(rr)); break;
      case OP_SLL: store<u64>(rd, r1(rr) << (r2(rr) & 63)); break;
      case OP_SLT: store<u64>(rd, <i64>r1(rr) < <i64>r2(rr) ? 1 : 0); break;
      case OP_SLTU: store<u64>(rd, r1(rr) < r2(rr) ? 1 : 0); break;
      case OP_XOR: store<u64>(rd, r1(rr) ^ r2(rr)); break;
      case OP_SRL: store<u64>(rd, r1(rr) >>> (r2(rr) & 63)); break;
      case OP_SRA: store<u64>(rd, <u64>(<i64>r1(rr) >> <i64>(r2(rr) & 63))); break;
      case OP_OR: store<u64>(rd, r1(rr) | r2(rr)); break;
      case OP_AND: store<u64>(rd, r1(rr) & r2(rr)); break;
      case OP_MUL: store<u64>(rd, r1(rr) * r2(rr)); break;
      case OP_MULH: store<u64>(rd, mulh(r1(rr), r2(rr))); break;
      case OP_MULHSU: store<u64>(rd, mulhsu(r1(rr), r2(rr))); break;
      case OP_MULHU: store<u64>(rd, mulhu(r1(rr), r2(rr))); break;
      case OP_DIV: store<u64>(rd, div(r1(rr), r2(rr))); break;
      case OP_DIVU: store<u64>(rd, divu(r1(rr), r2(rr))); break;
      case OP_REM: store<u64>(rd, rem(r1(rr), r2(rr))); break;
      case OP_REMU: store<u64>(rd, remu(r1(rr), r2(rr))); break;
      case OP_LB: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 1);
        if (h == 0) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        store<u64>(rd, <u64><i64>load<i8>(h));
        break;
      }
      case OP_LBU: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 1);
        if (h == 0) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        store<u64>(rd, <u64>load<u8>(h));
        break;
      }
      case OP_LH: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 2);
        if (h > 1) { store<u64>(rd, <u64><i64>load<i16>(h)); break; }
        if (!loadCross(rd, va, h, 1)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_LHU: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 2);
        if (h > 1) { store<u64>(rd, <u64>load<u16>(h)); break; }
        if (!loadCross(rd, va, h, 5)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_LW: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 4);
        if (h > 1) { store<u64>(rd, <u64><i64>load<i32>(h)); break; }
        if (!loadCross(rd, va, h, 2)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_LWU: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 4);
        if (h > 1) { store<u64>(rd, <u64>load<u32>(h)); break; }
        if (!loadCross(rd, va, h, 6)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_LD: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 8);
        if (h > 1) { store<u64>(rd, load<u64>(h)); break; }
        if (!loadCross(rd, va, h, 3)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_FLW: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 4);
        if (h > 1) { store<u64>(rd, <u64>load<u32>(h) | 0xffffffff00000000); break; }
        if (!loadCross(rd, va, h, 6)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        store<u64>(rd, load<u64>(rd) | 0xffffffff00000000);
        break;
      }
      case OP_FLD: {
        const va = r1(rr) + imm(e);
        const h = loadHost(va, 8);
        if (h > 1) { store<u64>(rd, load<u64>(h)); break; }
        if (!loadCross(rd, va, h, 3)) return leave(pc, CAUSE_LOAD_PAGE_FAULT, left + 1);
        break;
      }
      case OP_SB: {
        const va = r1(rr) + imm(e);
        const h = storeHost(va, 1);
        if (h == 0) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
        store<u8>(h, <u8>r2(rr));
        break;
      }
      case OP_SH: {
        const va = r1(rr) + imm(e);
        const h = storeHost(va, 2);
        if (h > 1) { store<u16>(h, <u16>r2(rr)); break; }
        if (h == 0 || !storeBytes(va, 2, r2(rr))) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
        break;
      }
      case OP_SW: case OP_FSW: {
        const va = r1(rr) + imm(e);
        const h = storeHost(va, 4);
        if (h > 1) { store<u32>(h, <u32>r2(rr)); break; }
        if (h == 0 || !storeBytes(va, 4, r2(rr))) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
        break;
      }
      case OP_SD: case OP_FSD: {
        const va = r1(rr) + imm(e);
        const h = storeHost(va, 8);
        if (h > 1) { store<u64>(h, r2(rr)); break; }
        if (h == 0 || !storeBytes(va, 8, r2(rr))) return leave(pc, CAUSE_STORE_PAGE_FAULT, left + 1);
        break;
      }
      case OP_BEQ: if (r1(rr) == r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_BNE: if (r1(rr) != r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_BLT: if (<i64>r1(rr) < <i64>r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_BGE: if (<i64>r1(rr) >= <i64>r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_BLTU: if (r1(rr) < r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_BGEU: if (r1(rr) >= r2(rr)) { npc = pc + imm(e); if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left); } break;
      case OP_JAL: {
        store<u64>(rd, npc);
        npc = pc + imm(e);
        if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left);
        break;
      }
      case OP_JALR: {
        const target = (r1(rr) + imm(e)) & ~(<u64>1);
        store<u64>(rd, npc);
        npc = target;
        if (blockMode) return leave(npc, CAUSE_JIT_BLOCK, left);
        break;
      }
      case OP_ADDIW: store<u64>(rd, sext32(r1(rr) + imm(e))); break;
      case OP_SLLIW: store<u64>(rd, sext32(<u64>(<u32>r1(rr) << <u32>imm(e)))); break;
      case OP_SRLIW: store<u64>(rd, sext32(<u64>(<u32>r1(rr) >>> <u32>imm(e)))); break;
      case OP_SRAIW: store<u64>(rd, <u64><i64>(<i32>r1(rr) >> <i32>imm(e))); break;
      case OP_ADDW: store<u64>(rd, sext32(r1(rr) + r2(rr))); break;
      case OP_SUBW: store<u64>(rd, sext32(r1(rr) - r2(rr))); break;
      case OP_SLLW: store<u64>(rd, sext32(<u64>(<u32>r1(rr) << (<u32>r2(rr) & 31)))); break;
      case OP_SRLW: store<u64>(rd, sext32(<u64>(<u32>r1(rr) >>> (<u32>r2(rr) & 31)))); break;
      case OP_SRAW: store<u64>(rd, <u64><i64>(<i32>r1(rr) >> (<i32>r2(rr) & 31))); break;
      case OP_MULW: store<u64>(rd, sext32(r1(rr) * r2(rr))); break;
      case OP_DIVW: store<u64>(rd, divw(r1(rr), r2(rr))); break;
      case OP_DIVUW: store<u64>(rd, divuw(r1(rr), r2(rr))); break;
      case OP_REMW: store<u64>(rd, remw(r1(rr), r2(rr))); break;
      case OP_REMUW: store<u64>(rd, remuw(r1(rr), r2(rr))); break;
      default: { // OP_SLOW
        const c = execSlow(word, pc, left, blockMode, load<u64>(INSTRET) + <u64>(runBudget - left));
        store<u64>(X_REGS, 0);
        if (c != 0) return leave(slowPc, c, slowLeft);
        npc = slowNpc;
        break;
      }
    }
    pc = npc;
  }
  return leave(pc, CAUSE_BUDGET, 0);
}

// ---- The JIT's dispatcher -------------------------------------------------------------------
//
// jitRun() runs translated code where the dispatch map has it and interprets
// the rest one block at a time, counting how often each cold block starts.
// It returns to Hart.run() (TypeScript) for traps and the budget, as run()
// does, and for the JIT's own events (CAUSE_JIT_HOT, CAUSE_JIT_DIRTY,
// CAUSE_FENCE_I), after which Hart.run() calls it again. JIT_LEFT reports the
// budget left (negative when the last translated block overshot it).

let hotThreshold: i32 = 50;
export function jitSetThreshold(n: i32): void { hotThreshold = n; }

@inline function jitLeave(cause: u32, left: i32): u32 {
  store<u32>(TRAP_CAUSE, cause);
  store<i32>(JIT_LEFT, left);
  blockMode = false;
  return cause;
}

export function jitRun(budget: i32): u32 {
  let left = budget;
  blockMode = true;
  while (left > 0) {
    let pc = load<u64>(PC);
    const vpage = pc >>> 12;
    const e = mapSlot(vpage, load<u32>(ASID));
    if (load<u64>(e) == vpage && load<u32>(e, 8) == load<u32>(ASID)) {
      // Translated code: a function of the shared table, (left) -> left.
      store<u64>(JIT_IBASE, load<u64>(INSTRET) + <u64><i64>left);
      const after = call_indirect<i32>(load<u32>(e, 12), left);
      store<u64>(INSTRET, load<u64>(INSTRET) + <u64><i64>(left - after));
      left = after;
      const x = load<u32>(JIT_EXIT);
      if (x == 0) {
        if (load<u32>(JIT_DIRTY) != 0) return jitLeave(CAUSE_JIT_DIRTY, left);
        continue;
      }
      store<u32>(JIT_EXIT, 0);
      if (x != CAUSE_JIT_MISS) return jitLeave(x, left); // a trap, ecall or fence.i
      // The translation has no entry at PC: interpret (if any budget is left),
      // counting the block where it stopped (not the one it was entered at: that
      // one is translated, and the missing block would never get hot).
      if (left <= 0) break;
      pc = load<u64>(PC);
    }
    // Interpret first, then report a block start that got hot: each report
    // follows progress, so translating nothing (or a block the interpreter
    // must run) cannot livelock.
    const c = JIT_COUNTERS + (((<u32>pc >>> 1) & JIT_COUNTER_MASK) << 2);
    const n = load<i32>(c) + 1;
    store<i32>(c, n);
    const cause = exec(left);
    store<u64>(JIT_INTERP, load<u64>(JIT_INTERP) + <u64>(left - execLeft));
    left = execLeft;
    if (cause != CAUSE_JIT_BLOCK) {
      if (cause == CAUSE_BUDGET) break;
      return jitLeave(cause, left);
    }
    if (load<u32>(JIT_DIRTY) != 0) return jitLeave(CAUSE_JIT_DIRTY, left);
    // At or past the threshold (which the compile budget lowers again): a
    // counter past a lowered threshold must still report. Blocks that must not
    // report again are parked far below it (jit.ts).
    if (n >= hotThreshold) { store<u64>(JIT_HOT_PC, pc); return jitLeave(CAUSE_JIT_HOT, left); }
  }
  return jitLeave(CAUSE_BUDGET, left);
}

// The fault cause of the last failed kernel translation (for diagnostics).
export function lastFaultCause(): u32 { return faultCause; }
