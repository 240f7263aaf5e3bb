// The hart's interpreter: an RV64IMAFDC interpreter for user mode. exec()
// runs guest instructions until a trap or until the instruction budget is
// spent, and returns the cause; the kernel handles it and calls run() again.
//
// Registers live in linear memory (layout.ts). A trap leaves PC at the
// instruction that trapped (for ecall too: the kernel steps over it), and
// nothing of a faulting instruction is committed.
//
// With the JIT, jitRun() (jitrun.ts) drives exec() in block mode instead of run().

import {
  X_REGS, F_REGS, PC, TRAP_CAUSE, TRAP_TVAL, RES_VALID, INSTRET,
  CAUSE_ILLEGAL, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_BUDGET, CAUSE_INSN_PAGE_FAULT,
  CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_FENCE_I, CAUSE_JIT_BLOCK,
  ASID, JIT_DIRTY, JIT_COUNTERS, JIT_COUNTER_MASK, RVC_CACHE, RVC_ILLEGAL,
} from "./layout";
import { ACC_X, translate, loadBytes, storeBytes, crossFault, loadHost, storeHost, tlbLoad, tlbStore } from "./mmu";
import { expandCompressed, cImm6 } from "./rvc";
import { sext32, mulh, mulhu, mulhsu, div, divu, rem, remu, divw, divuw, remw, remuw } from "./alu";
import { execFp } from "./fp";
import { execAmo } from "./amo";
import { execCsr } from "./csr";
import { mapSlot } from "./jitmap";

@inline function xr(i: u32): u64 { return load<u64>(X_REGS + (i << 3)); }
@inline function xw(i: u32, v: u64): void { store<u64>(X_REGS + (i << 3), v); }

let runBudget: i32 = 0;
// Instructions of the budget that the last exec() left unexecuted.
let execLeft: i32 = 0;
// Set while the JIT's dispatcher drives the interpreter: exec() then treats
// every taken jump or branch as a block end (stopping there when the target
// has a translation or gets hot: blockGoesOn) and reports fence.i (so the JIT
// can drop stale translations).
let blockMode: bool = false;
// In block mode: whether exec() may go on past the end of a block itself
// (jitRun() clears it when the block it counted got hot: that block must end
// and be reported).
let blockChain: bool = false;
let hotThreshold: i32 = 50;

// For the JIT's dispatcher (jitrun.ts).
@inline export function setBlockMode(on: bool): void { blockMode = on; }
@inline export function setBlockChain(on: bool): void { blockChain = on; }
@inline export function lastExecLeft(): i32 { return execLeft; }
@inline export function getHotThreshold(): i32 { return hotThreshold; }
export function setHotThreshold(n: i32): void { hotThreshold = n; }

// In block mode a taken jump ends a block. The dispatcher's work at the next
// block start (look for a translation, count the start) is done here while
// counting is all there is to do, and the interpreter goes on without a round
// trip through jitRun(). False where jitRun() must act: a translation at the
// target, a block start about to get hot (jitRun() counts it, interprets the
// block and reports it, as it always did), or a code frame written.
@inline function blockGoesOn(target: u64): bool {
  if (!blockChain || load<u32>(JIT_DIRTY) != 0) return false;
  const vpage = target >>> 12;
  const asid = load<u32>(ASID);
  const e = mapSlot(vpage, asid);
  if (load<u64>(e) == vpage && load<u32>(e, 8) == asid) return false;
  const c = JIT_COUNTERS + (((<u32>target >>> 1) & JIT_COUNTER_MASK) << 2);
  const n = load<i32>(c) + 1;
  if (n >= hotThreshold) return false;
  store<i32>(c, n);
  return true;
}

// Leaves exec(): `left` instructions of the budget were not executed.
@inline function leave(pc: u64, cause: u32, left: i32): u32 {
  store<u64>(PC, pc);
  store<u32>(TRAP_CAUSE, cause);
  store<u64>(INSTRET, load<u64>(INSTRET) + <u64>(runBudget - left));
  execLeft = left;
  return cause;
}

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

// The interpreter without the JIT: runs until a trap or the budget is spent.
export function run(budget: i32): u32 {
  store<u32>(RES_VALID, 0);
  blockMode = false;
  return exec(budget);
}

// Runs until a trap or until `budget` instructions retired; in block mode
// (jitrun.ts) also until a block ends.
//
// Where its time goes (session 11, bench/interp.js, CPU-time pairs at load
// 15-40): a run of c.addi costs 2.3-2.8 ns an instruction, a C mix 3.4-3.5:
// the skeleton (loop header with V8's stack check, budget, fetch check, key,
// jump table, spills of pc, budget and fetch page every iteration) is two
// thirds of it. Even, so not kept: a dense switch on opcode bits 6:2, TLB
// hits as va + (host page - va), the fetch page in globals. Worse (+7% on the
// mix): 32-bit instructions dispatched by the compressed switch. A second
// loop for run() with no call inside (the rest through exec(1)) cut the
// c.addi run by 10% but not the mix or perl.
export function exec(budget: i32): u32 {
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
    let insn: u32 = <u32>load<u16>(host);
    let npc: u64;
    if ((insn & 3) != 3) {
      npc = pc + 2;
      // Two thirds of the instructions of real programs are compressed: the
      // common forms run here straight from their 16 bits (field extraction
      // as in rvc.ts); the rest, and loads and stores that miss the TLB or
      // cross a page, go the way of their 32-bit expansion below.
      const h = insn;
      const rdp = 8 + ((h >>> 2) & 7); // rd' / rs2'
      const rs1p = 8 + ((h >>> 7) & 7); // rs1' / rd'
      const crd = (h >>> 7) & 31;
      const crs2 = (h >>> 2) & 31;
      switch (((h & 3) << 3) | (h >>> 13)) {
        case 0: { // c.addi4spn
          const imm = ((h >>> 7) & 0x30) | ((h >>> 1) & 0x3c0) | ((h >>> 4) & 4) | ((h >>> 2) & 8);
          if (imm == 0) break;
          xw(rdp, xr(2) + <u64>imm);
          pc = npc; continue;
        }
        case 2: { // c.lw
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
          const a = tlbLoad(va, 4);
          if (a == 0) break;
          xw(rdp, <u64><i64>load<i32>(a));
          pc = npc; continue;
        }
        case 3: { // c.ld
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h << 1) & 0xc0));
          const a = tlbLoad(va, 8);
          if (a == 0) break;
          xw(rdp, load<u64>(a));
          pc = npc; continue;
        }
        case 6: { // c.sw
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
          const a = tlbStore(va, 4);
          if (a == 0) break;
          store<u32>(a, <u32>xr(rdp));
          pc = npc; continue;
        }
        case 7: { // c.sd
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h << 1) & 0xc0));
          const a = tlbStore(va, 8);
          if (a == 0) break;
          store<u64>(a, xr(rdp));
          pc = npc; continue;
        }
        case 8: // c.addi (c.nop, hints)
          xw(crd, xr(crd) + <u64><i64>cImm6(h));
          store<u64>(X_REGS, 0);
          pc = npc; continue;
        case 9: // c.addiw
          if (crd == 0) break;
          xw(crd, sext32(xr(crd) + <u64><i64>cImm6(h)));
          pc = npc; continue;
        case 10: // c.li
          xw(crd, <u64><i64>cImm6(h));
          store<u64>(X_REGS, 0);
          pc = npc; continue;
        case 11: {
          if (crd == 2) { // c.addi16sp
            const imm = (((<i32>(h << 19)) >> 31) & ~0x1ff) | <i32>(((h >>> 2) & 0x10) | ((h << 1) & 0x40) |
              ((h << 4) & 0x180) | ((h << 3) & 0x20));
            if (imm == 0) break;
            xw(2, xr(2) + <u64><i64>imm);
            pc = npc; continue;
          }
          const imm = cImm6(h); // c.lui
          if (imm == 0) break;
          xw(crd, <u64><i64>(imm << 12));
          store<u64>(X_REGS, 0);
          pc = npc; continue;
        }
        case 12: {
          const f2 = (h >>> 10) & 3;
          const a = xr(rs1p);
          let v: u64;
          if (f2 == 0) v = a >>> <u64>(((h >>> 7) & 0x20) | crs2); // c.srli
          else if (f2 == 1) v = <u64>(<i64>a >> <i64>(((h >>> 7) & 0x20) | crs2)); // c.srai
          else if (f2 == 2) v = a & <u64><i64>cImm6(h); // c.andi
          else {
            const b = xr(rdp);
            const f = ((h >>> 10) & 4) | ((h >>> 5) & 3);
            switch (f) {
              case 0: v = a - b; break; // c.sub
              case 1: v = a ^ b; break; // c.xor
              case 2: v = a | b; break; // c.or
              case 3: v = a & b; break; // c.and
              case 4: v = sext32(a - b); break; // c.subw
              case 5: v = sext32(a + b); break; // c.addw
              default: v = 0; break;
            }
            if (f >= 6) break;
          }
          xw(rs1p, v);
          pc = npc; continue;
        }
        case 13: { // c.j
          const imm = (((<i32>(h << 19)) >> 31) & ~0x7ff) | <i32>(((h >>> 7) & 0x10) | ((h >>> 1) & 0x300) |
            ((h << 2) & 0x400) | ((h >>> 1) & 0x40) | ((h << 1) & 0x80) | ((h >>> 2) & 0xe) | ((h << 3) & 0x20));
          pc += <u64><i64>imm;
          if (blockMode) {
            if (!blockGoesOn(pc)) return leave(pc, CAUSE_JIT_BLOCK, left);
            if ((pc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
          }
          continue;
        }
        case 14: case 15: { // c.beqz, c.bnez
          if ((xr(rs1p) == 0) == ((h & 0x2000) == 0)) {
            const imm = (((<i32>(h << 19)) >> 31) & ~0xff) | <i32>(((h >>> 7) & 0x18) | ((h << 1) & 0xc0) |
              ((h >>> 2) & 6) | ((h << 3) & 0x20));
            pc += <u64><i64>imm;
            if (blockMode) {
              if (!blockGoesOn(pc)) return leave(pc, CAUSE_JIT_BLOCK, left);
              if ((pc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
            }
            continue;
          }
          pc = npc; continue;
        }
        case 16: // c.slli
          xw(crd, xr(crd) << <u64>(((h >>> 7) & 0x20) | crs2));
          store<u64>(X_REGS, 0);
          pc = npc; continue;
        case 18: { // c.lwsp
          if (crd == 0) break;
          const va = xr(2) + <u64>(((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0));
          const a = tlbLoad(va, 4);
          if (a == 0) break;
          xw(crd, <u64><i64>load<i32>(a));
          pc = npc; continue;
        }
        case 19: { // c.ldsp
          if (crd == 0) break;
          const va = xr(2) + <u64>(((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0));
          const a = tlbLoad(va, 8);
          if (a == 0) break;
          xw(crd, load<u64>(a));
          pc = npc; continue;
        }
        case 20: {
          if ((h & 0x1000) == 0) {
            if (crs2 == 0) { // c.jr
              if (crd == 0) break;
              pc = xr(crd) & ~(<u64>1);
              if (blockMode) {
                if (!blockGoesOn(pc)) return leave(pc, CAUSE_JIT_BLOCK, left);
                if ((pc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
              }
              continue;
            }
            xw(crd, xr(crs2)); // c.mv
            store<u64>(X_REGS, 0);
            pc = npc; continue;
          }
          if (crs2 == 0) { // c.jalr (c.ebreak with rd 0)
            if (crd == 0) break;
            pc = xr(crd) & ~(<u64>1);
            xw(1, npc);
            if (blockMode) {
              if (!blockGoesOn(pc)) return leave(pc, CAUSE_JIT_BLOCK, left);
              if ((pc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
            }
            continue;
          }
          xw(crd, xr(crd) + xr(crs2)); // c.add
          store<u64>(X_REGS, 0);
          pc = npc; continue;
        }
        case 22: { // c.swsp
          const va = xr(2) + <u64>(((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0));
          const a = tlbStore(va, 4);
          if (a == 0) break;
          store<u32>(a, <u32>xr(crs2));
          pc = npc; continue;
        }
        case 23: { // c.sdsp
          const va = xr(2) + <u64>(((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0));
          const a = tlbStore(va, 8);
          if (a == 0) break;
          store<u64>(a, xr(crs2));
          pc = npc; continue;
        }
        default: break; // FP loads and stores, reserved forms
      }
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
        let v: u64;
        switch (f3) {
          case 0: v = a + imm; break;
          case 1:
            if ((insn >>> 26) != 0) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
            v = a << (imm & 63); break;
          case 2: v = <i64>a < <i64>imm ? 1 : 0; break;
          case 3: v = a < imm ? 1 : 0; break;
          case 4: v = a ^ imm; break;
          case 5: {
            const top = insn >>> 26;
            if (top == 0) v = a >>> (imm & 63);
            else if (top == 0x10) v = <u64>(<i64>a >> <i64>(imm & 63));
            else { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
            break;
          }
          case 6: v = a | imm; break;
          default: v = a & imm; break;
        }
        xw(rd, v);
        break;
      }
      case 0x33: { // OP
        const a = xr(rs1), b = xr(rs2);
        const f7 = insn >>> 25;
        let v: u64;
        if (f7 == 0) {
          switch (f3) {
            case 0: v = a + b; break;
            case 1: v = a << (b & 63); break;
            case 2: v = <i64>a < <i64>b ? 1 : 0; break;
            case 3: v = a < b ? 1 : 0; break;
            case 4: v = a ^ b; break;
            case 5: v = a >>> (b & 63); break;
            case 6: v = a | b; break;
            default: v = a & b; break;
          }
        } else if (f7 == 1) {
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
          if (blockMode) {
            if (!blockGoesOn(npc)) return leave(npc, CAUSE_JIT_BLOCK, left);
            if ((npc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
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
        if (blockMode) {
          if (!blockGoesOn(npc)) { store<u64>(X_REGS, 0); return leave(npc, CAUSE_JIT_BLOCK, left); }
          if ((npc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
        }
        break;
      }
      case 0x67: { // JALR
        if (f3 != 0) { store<u64>(TRAP_TVAL, insn); return leave(pc, CAUSE_ILLEGAL, left + 1); }
        const target = (xr(rs1) + <u64><i64>(<i32>insn >> 20)) & ~(<u64>1);
        xw(rd, npc);
        npc = target;
        if (blockMode) {
          if (!blockGoesOn(npc)) { store<u64>(X_REGS, 0); return leave(npc, CAUSE_JIT_BLOCK, left); }
          if ((npc >>> 12) != fetchVpn) fetchVpn = 0xffffffffffffffff;
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
          if (blockMode) return leave(npc, CAUSE_FENCE_I, left);
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
        const c = execCsr(insn, load<u64>(INSTRET) + <u64>(runBudget - left));
        if (c != 0) return leave(pc, c, left + 1);
        break;
      }
      default:
        store<u64>(TRAP_TVAL, insn);
        return leave(pc, CAUSE_ILLEGAL, left + 1);
    }
    store<u64>(X_REGS, 0);
    pc = npc;
  }
  return leave(pc, CAUSE_BUDGET, 0);
}

