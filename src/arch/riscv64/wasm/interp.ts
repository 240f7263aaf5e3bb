// The hart's interpreter: an RV64IMAFDC interpreter for user mode. exec()
// runs guest instructions until a trap or until the instruction budget is
// spent, and returns the cause; the kernel handles it and calls run() again.
//
// Registers live in linear memory (layout.ts). A trap leaves PC at the
// instruction that trapped (for ecall too: the kernel steps over it), and
// nothing of a faulting instruction is committed.
//
// exec() runs the common instructions inline, and each of the others through
// step() (step.ts). With the JIT, jitRun() (jitrun.ts) drives exec() in
// block mode instead of run().

import {
  X_REGS, F_REGS, PC, TRAP_CAUSE, RES_VALID, CAUSE_BUDGET, CAUSE_INSN_PAGE_FAULT, CAUSE_JIT_BLOCK,
  TLB_X, TLB_MASK, BLK_TAGS, BLK_BODY, BLK_MASK,
} from "./layout";
import { ACC_X, asidTag, translateSlow, tlbLoad, tlbStore } from "./mmu";
import { sext32 } from "./alu";
import {
  decodeBlock, blkInsnOffset, OP_NOP, OP_ADDI, OP_SLTI, OP_SLTIU, OP_XORI, OP_ORI, OP_ANDI, OP_SLLI, OP_SRLI, OP_SRAI,
  OP_ADD, OP_SUB, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_SRA, OP_OR, OP_AND, OP_MUL,
  OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_SB, OP_SH, OP_SW, OP_SD,
  OP_BEQ, OP_BNE, OP_BLT, OP_BGE, OP_BLTU, OP_BGEU, OP_LUI, OP_AUIPC, OP_J, OP_JAL, OP_JR, OP_JALR, OP_JALR_C,
  OP_ADDIW, OP_SLLIW, OP_SRLIW, OP_SRAIW, OP_ADDW, OP_SUBW, OP_SLLW, OP_SRLW, OP_SRAW, OP_MULW,
  OP_FLW, OP_FLD, OP_FSW, OP_FSD, OP_END,
} from "./blocks";
import { step } from "./step";
import { leave, blockGoesOn, setRunBudget, inBlockMode, setBlockMode } from "./exec-state";

export {
  setBlockMode, setBlockChain, lastExecLeft, getHotThreshold, setHotThreshold,
} from "./exec-state";

// The interpreter without the JIT: runs until a trap or the budget is spent.
export function run(budget: i32): u32 {
  store<u32>(RES_VALID, 0);
  setBlockMode(false);
  return exec(budget);
}

// exec()'s loop state while it calls out (nothing is live across a call).
let leftG: i32 = 0;
let hostG: u32 = 0;
let deltaG: u64 = 0;

// A fetch TLB miss at pc: walks the page tables (translateSlow). Returns the
// host address, or 0 after leaving exec() with an instruction page fault.
function fetchMiss(pc: u64): u32 {
  const h = translateSlow(pc, ACC_X);
  if (h == 0) leave(pc, CAUSE_INSN_PAGE_FAULT, leftG);
  return h;
}

// Runs until a trap or until `budget` instructions retired; in block mode
// (jitrun.ts) also until a block ends.
//
// Where its time goes (session 11, bench/interp.js, CPU-time pairs at load
// 15-40): a run of c.addi cost 2.3-2.8 ns an instruction, a C mix 3.4-3.5:
// the skeleton (loop header with V8's stack check, budget, fetch check, key,
// jump table) was two thirds of it. Even, so not kept: a dense switch on
// opcode bits 6:2, TLB hits as va + (host page - va), the fetch page in
// globals. Worse (+7% on the mix): 32-bit instructions dispatched by the
// compressed switch.
//
// Session 12 (the machine code read with node --print-wasm-code): TurboFan's
// wasm code has no callee-saved registers, so every loop-carried value live
// across a call in the loop (pc, the budget, the fetch page and its number)
// was stored to the stack on every iteration and reloaded. So the loop calls
// nothing on its common paths: the other instructions are one step() each,
// and the loop's state goes through globals around that call. And the loop
// carries the instruction's host address (sequential code adds 2 or 4 to
// it) and the page's pc - host, not pc and the fetch page. bench/interp.js
// (CPU-time pairs, load 18-25): floor 2.2-2.4 -> 1.8-1.9 ns, mix 3.2-3.5 ->
// 3.0-3.1 ns, mix-32 3.4-3.7 -> 3.4; perl's loop with GHOST_JIT=0 -10% of
// the process's CPU; python3 -c pass even (the interpreter is a fifth of it).
export function exec(budget: i32): u32 {
  setRunBudget(budget);
  const bm = inBlockMode();
  let left = budget;
  // The instruction at pc is at host in wasm memory, and pc == host + delta
  // for every pc of its page. host 0: pc is in PC (at the start, after a
  // jump to another page or to a page's first byte); host 1: pc is in PC
  // after falling through into another page (an instruction straddling the
  // page end); host at a page's first byte: fell through into the next page
  // (host + delta is pc). In those three the low 12 bits of host are < 2:
  // pc's page is looked up in the fetch TLB.
  let host: u32 = 0;
  let delta: u64 = 0;
  while (left > 0) {
    if ((host & 0xfff) < 2) {
      const pc: u64 = host < 2 ? load<u64>(PC) : <u64>host + delta;
      // For the JIT's dispatcher a block also ends where execution falls into
      // another page (after an instruction that ends the page or straddles
      // its end): otherwise the next page's code would never be a block start
      // the dispatcher counts, and straight-line code running into it (an
      // unrolled hash round) would stay with the interpreter for good.
      if (bm && host != 0) return leave(pc, CAUSE_JIT_BLOCK, left);
      const vpn = pc >>> 12;
      const e = TLB_X + ((<u32>vpn & TLB_MASK) << 4);
      if (load<u64>(e) == (vpn | asidTag)) {
        host = load<u32>(e, 8) + (<u32>pc & 0xfff);
        delta = pc - <u64>host;
      } else {
        store<u64>(PC, pc);
        leftG = left;
        host = fetchMiss(pc);
        if (host == 0) return CAUSE_INSN_PAGE_FAULT;
        left = leftG;
        delta = load<u64>(PC) - <u64>host;
      }
    }
    // The block at host (blocks.ts).
    const slot = (host >>> 1) & BLK_MASK;
    let info = load<u32>(BLK_TAGS + (slot << 3), 4);
    if (load<u32>(BLK_TAGS + (slot << 3)) != host) {
      leftG = left;
      hostG = host;
      deltaG = delta;
      info = decodeBlock(host, slot);
      left = leftG;
      host = hostG;
      delta = deltaG;
    }
    const n = <i32>(info & 31);
    if (n != 0 && n <= left) {
      left -= n;
      const page = host & ~0xfff;
      let p = BLK_BODY + (slot << 7);
      // Where the block falls through to; a taken jump sets host (and PC) anew.
      const start = host;
      host += (info >>> 5) & 0x7f;
      // The instruction that leaves the block for step(), if any. Each
      // instruction that does not end the block goes on with the next (no
      // test: a block that does not end with a jump, a branch or STEP ends
      // with OP_END); the others break out.
      let out: u32 = 0;
      while (true) {
        const rd = <u32>load<u8>(p, 1);
        const rs1 = <u32>load<u8>(p, 2);
        const rs2 = <u32>load<u8>(p, 3);
        const imm = <i64>load<i32>(p, 4);
        switch (<u32>load<u8>(p)) {
          case OP_NOP: p += 8; continue;
          case OP_ADDI: store<u64>(rd, load<u64>(rs1, X_REGS) + <u64>imm, X_REGS); p += 8; continue;
          case OP_SLTI: store<u64>(rd, <u64>(<i64>load<u64>(rs1, X_REGS) < imm), X_REGS); p += 8; continue;
          case OP_SLTIU: store<u64>(rd, <u64>(load<u64>(rs1, X_REGS) < <u64>imm), X_REGS); p += 8; continue;
          case OP_XORI: store<u64>(rd, load<u64>(rs1, X_REGS) ^ <u64>imm, X_REGS); p += 8; continue;
          case OP_ORI: store<u64>(rd, load<u64>(rs1, X_REGS) | <u64>imm, X_REGS); p += 8; continue;
          case OP_ANDI: store<u64>(rd, load<u64>(rs1, X_REGS) & <u64>imm, X_REGS); p += 8; continue;
          case OP_SLLI: store<u64>(rd, load<u64>(rs1, X_REGS) << <u64>imm, X_REGS); p += 8; continue;
          case OP_SRLI: store<u64>(rd, load<u64>(rs1, X_REGS) >>> <u64>imm, X_REGS); p += 8; continue;
          case OP_SRAI: store<u64>(rd, <u64>(<i64>load<u64>(rs1, X_REGS) >> imm), X_REGS); p += 8; continue;
          case OP_ADD: store<u64>(rd, load<u64>(rs1, X_REGS) + load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_SUB: store<u64>(rd, load<u64>(rs1, X_REGS) - load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_SLL: store<u64>(rd, load<u64>(rs1, X_REGS) << (load<u64>(rs2, X_REGS) & 63), X_REGS); p += 8; continue;
          case OP_SLT: store<u64>(rd, <u64>(<i64>load<u64>(rs1, X_REGS) < <i64>load<u64>(rs2, X_REGS)), X_REGS); p += 8; continue;
          case OP_SLTU: store<u64>(rd, <u64>(load<u64>(rs1, X_REGS) < load<u64>(rs2, X_REGS)), X_REGS); p += 8; continue;
          case OP_XOR: store<u64>(rd, load<u64>(rs1, X_REGS) ^ load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_SRL: store<u64>(rd, load<u64>(rs1, X_REGS) >>> (load<u64>(rs2, X_REGS) & 63), X_REGS); p += 8; continue;
          case OP_SRA: store<u64>(rd, <u64>(<i64>load<u64>(rs1, X_REGS) >> <i64>(load<u64>(rs2, X_REGS) & 63)), X_REGS); p += 8; continue;
          case OP_OR: store<u64>(rd, load<u64>(rs1, X_REGS) | load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_AND: store<u64>(rd, load<u64>(rs1, X_REGS) & load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_MUL: store<u64>(rd, load<u64>(rs1, X_REGS) * load<u64>(rs2, X_REGS), X_REGS); p += 8; continue;
          case OP_ADDIW: store<u64>(rd, sext32(load<u64>(rs1, X_REGS) + <u64>imm), X_REGS); p += 8; continue;
          case OP_SLLIW: store<u64>(rd, <u64><i64><i32>(<u32>load<u64>(rs1, X_REGS) << <u32>imm), X_REGS); p += 8; continue;
          case OP_SRLIW: store<u64>(rd, <u64><i64><i32>(<u32>load<u64>(rs1, X_REGS) >>> <u32>imm), X_REGS); p += 8; continue;
          case OP_SRAIW: store<u64>(rd, <u64><i64>(<i32>load<u64>(rs1, X_REGS) >> <i32>imm), X_REGS); p += 8; continue;
          case OP_ADDW: store<u64>(rd, sext32(load<u64>(rs1, X_REGS) + load<u64>(rs2, X_REGS)), X_REGS); p += 8; continue;
          case OP_SUBW: store<u64>(rd, sext32(load<u64>(rs1, X_REGS) - load<u64>(rs2, X_REGS)), X_REGS); p += 8; continue;
          case OP_SLLW: store<u64>(rd, <u64><i64><i32>(<u32>load<u64>(rs1, X_REGS) << (<u32>load<u64>(rs2, X_REGS) & 31)), X_REGS); p += 8; continue;
          case OP_SRLW: store<u64>(rd, <u64><i64><i32>(<u32>load<u64>(rs1, X_REGS) >>> (<u32>load<u64>(rs2, X_REGS) & 31)), X_REGS); p += 8; continue;
          case OP_SRAW: store<u64>(rd, <u64><i64>(<i32>load<u64>(rs1, X_REGS) >> (<i32>load<u64>(rs2, X_REGS) & 31)), X_REGS); p += 8; continue;
          case OP_MULW: store<u64>(rd, sext32(load<u64>(rs1, X_REGS) * load<u64>(rs2, X_REGS)), X_REGS); p += 8; continue;
          case OP_LUI: store<u64>(rd, <u64>imm, X_REGS); p += 8; continue;
          case OP_AUIPC:
            store<u64>(rd, <u64>(page | (<u32>imm & 0xfff)) + delta + <u64>(imm & ~0xfff), X_REGS);
            p += 8; continue;
          case OP_LB: case OP_LH: case OP_LW: case OP_LD: case OP_LBU: case OP_LHU: case OP_LWU: {
            const a = tlbLoad(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            let v: u64;
            switch (<u32>load<u8>(p)) {
              case OP_LB: v = <u64><i64>load<i8>(a); break;
              case OP_LH: v = <u64><i64>load<i16>(a); break;
              case OP_LW: v = <u64><i64>load<i32>(a); break;
              case OP_LD: v = load<u64>(a); break;
              case OP_LBU: v = <u64>load<u8>(a); break;
              case OP_LHU: v = <u64>load<u16>(a); break;
              default: v = <u64>load<u32>(a); break;
            }
            store<u64>(rd, v, X_REGS);
            p += 8; continue;
          }
          case OP_SB: case OP_SH: case OP_SW: case OP_SD: {
            const a = tlbStore(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            const v = load<u64>(rs2, X_REGS);
            switch (<u32>load<u8>(p)) {
              case OP_SB: store<u8>(a, <u8>v); break;
              case OP_SH: store<u16>(a, <u16>v); break;
              case OP_SW: store<u32>(a, <u32>v); break;
              default: store<u64>(a, v); break;
            }
            p += 8; continue;
          }
          case OP_FLW: {
            const a = tlbLoad(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            store<u64>(rd, <u64>load<u32>(a) | 0xffffffff00000000, F_REGS);
            p += 8; continue;
          }
          case OP_FLD: {
            const a = tlbLoad(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            store<u64>(rd, load<u64>(a), F_REGS);
            p += 8; continue;
          }
          case OP_FSW: {
            const a = tlbStore(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            store<u32>(a, <u32>load<u64>(rs2, F_REGS));
            p += 8; continue;
          }
          case OP_FSD: {
            const a = tlbStore(load<u64>(rs1, X_REGS) + <u64>imm);
            if (a == 0) { out = p; break; }
            store<u64>(a, load<u64>(rs2, F_REGS));
            p += 8; continue;
          }
          case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU: {
            const a = load<u64>(rs1, X_REGS), b = load<u64>(rs2, X_REGS);
            let taken: bool;
            switch (<u32>load<u8>(p)) {
              case OP_BEQ: taken = a == b; break;
              case OP_BNE: taken = a != b; break;
              case OP_BLT: taken = <i64>a < <i64>b; break;
              case OP_BGE: taken = <i64>a >= <i64>b; break;
              case OP_BLTU: taken = a < b; break;
              default: taken = a >= b; break;
            }
            if (taken) {
              const ih = page | (<u32>imm & 0xfff);
              const nh = <u64>ih + <u64>(imm >> 12);
              if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
              if (((nh ^ <u64>ih) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
              else { store<u64>(PC, nh + delta); host = 0; }
            }
            break;
          }
          case OP_J: case OP_JAL: {
            const ih = page | (<u32>imm & 0xfff);
            if (<u32>load<u8>(p) == OP_JAL) store<u64>(rd, <u64>ih + delta + 4, X_REGS);
            const nh = <u64>ih + <u64>((imm >> 12) << 1);
            if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
            if (((nh ^ <u64>ih) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
            else { store<u64>(PC, nh + delta); host = 0; }
            break;
          }
          case OP_JR: case OP_JALR: case OP_JALR_C: {
            const ih = page | (<u32>imm & 0xfff);
            const t = (load<u64>(rs1, X_REGS) + <u64>(imm >> 12)) & ~(<u64>1);
            const op = <u32>load<u8>(p);
            if (op == OP_JALR) store<u64>(rd, <u64>ih + delta + 4, X_REGS);
            else if (op == OP_JALR_C) store<u64>(rd, <u64>ih + delta + 2, X_REGS);
            if (bm && !blockGoesOn(t)) return leave(t, CAUSE_JIT_BLOCK, left);
            const nh = t - delta;
            if (((nh ^ <u64>ih) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
            else { store<u64>(PC, t); host = 0; }
            break;
          }
          case OP_END: break;
          default: // OP_STEP
            out = p; break;
        }
        break;
      }
      if (out == 0) continue;
      // The instruction at out (and the rest of the block) did not run: step() runs it.
      const i = (out - (BLK_BODY + (slot << 7))) >>> 3;
      left += n - <i32>i;
      host = page | blkInsnOffset(start, info, i);
    }
    left--;
    // Everything else: one instruction through step().
    leftG = left;
    hostG = host;
    deltaG = delta;
    if (step(<u64>host + delta, left) != 0) return load<u32>(TRAP_CAUSE);
    left = leftG;
    delta = deltaG;
    const oh = hostG;
    const npc = load<u64>(PC);
    const nh = npc - delta;
    if (((nh ^ <u64>oh) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
    else host = npc - (<u64>oh + delta) - 1 < 4 ? 1 : 0; // fell through into another page, or jumped
  }
  return leave(host < 2 ? load<u64>(PC) : <u64>host + delta, CAUSE_BUDGET, 0);
}
