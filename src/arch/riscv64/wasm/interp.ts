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
  TLB_X, TLB_MASK,
} from "./layout";
import { ACC_X, asidTag, translateSlow, tlbLoad, tlbStore } from "./mmu";
import { cImm6 } from "./rvc";
import { sext32, aluChain } from "./alu";
import { step } from "./step";
import { xr, xw, leave, blockGoesOn, setRunBudget, inBlockMode, setBlockMode } from "./exec-state";

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
//
// Session 13 (branch interp4, commits bdbaca4 and 83ffd6e, then taken out):
// a cache of decoded blocks (straight-line code up to a jump decoded once
// into 8-byte words: op, rd, rs1, rs2 as bytes, an i32 immediate; cached by
// the wasm address of the first instruction, frames with blocks kept off the
// write TLB, dropped on frame reallocation, fence.i and page flushes; the
// budget and fetch checks per block). Hot loops gained: bench/interp floor
// 1.96-2.02 -> 1.45-1.52 ns, mix 3.23-3.37 -> 2.85-2.95, mix-32 3.70-3.78 ->
// 2.79-2.86 (3 pairs, load 29-33); perl's loop 1.01 -> 0.9 s user. Flat
// code lost: python3 -c pass 1.11-1.18 -> 1.23-1.44 s user (3 pairs, load
// 19-21), python3's loop even to worse. python3's start runs ~550 code
// pages, 5.4 instructions a block: the decoded words are 2-4 times the
// bytes of the code they stand for (plus a 64-byte slot a block), so the
// blocks fall out of the host's L2 and exec() itself got 25% slower there
// (perf: 1573 vs 1328 samples), more than the decoding (2.4%). With 8192,
// 16384 or 32768 slots alike. What may still pay: blocks only for code that
// runs often (count block starts as the JIT does, decode at a threshold,
// run cold code with the loop below), denser words (4 bytes for the common
// forms).
//
// Session 14 (flat code: python3 -c pass runs 94 M guest instructions, 5.4
// per block over ~550 code pages, at ~5.5 ns each against 3.3 on the mix):
// the second-level jump tables (a load's width, a branch's condition, the
// ALU's funct3, the compressed register forms, a store's width) became tests
// and selects, so most instructions take one indirect jump, not two.
// Cachegrind's branch model (valgrind --tool=cachegrind --branch-sim=yes, the
// whole process, GHOST_JIT=0): indirect jumps 133.7 -> 107.4 M, mispredicts
// 159.5 -> 151.8 M, instructions +0.5%. CPU pairs at load 13-22, all inside
// the noise: bench/interp even (floor 1.95 -> 1.84, mix 3.36 -> 3.29 ns
// medians), python3 -c pass 1.22 -> 1.17 s (10 pairs; with the JIT 5 pairs
// even), sqlite3 1.25 -> 1.05 (4), perl's and python3's loops even (8).
// Worse, not kept: one jump table for both lengths (key 0-23 compressed, 24 +
// opcode): floor 1.83 -> 2.2 ns, mix 3.1 -> 3.35-3.6, python3 -c pass +7%
// CPU (8 pairs, load 5): the key's select sits between the fetch and the jump.
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
      if (bm && host != 0 && !blockGoesOn(pc)) return leave(pc, CAUSE_JIT_BLOCK, left);
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
    left--;
    let insn: u32 = <u32>load<u16>(host);
    if ((insn & 3) != 3) {
      // Two thirds of the instructions of real programs are compressed: the
      // common forms run here straight from their 16 bits (field extraction
      // as in rvc.ts); the rest, and loads and stores that miss the TLB or
      // cross a page, go to step() (their 32-bit expansion).
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
          host += 2; continue;
        }
        case 2: { // c.lw
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
          const a = tlbLoad(va);
          if (a == 0) break;
          xw(rdp, <u64><i64>load<i32>(a));
          host += 2; continue;
        }
        case 3: { // c.ld
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h << 1) & 0xc0));
          const a = tlbLoad(va);
          if (a == 0) break;
          xw(rdp, load<u64>(a));
          host += 2; continue;
        }
        case 6: { // c.sw
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40));
          const a = tlbStore(va);
          if (a == 0) break;
          store<u32>(a, <u32>xr(rdp));
          host += 2; continue;
        }
        case 7: { // c.sd
          const va = xr(rs1p) + <u64>(((h >>> 7) & 0x38) | ((h << 1) & 0xc0));
          const a = tlbStore(va);
          if (a == 0) break;
          store<u64>(a, xr(rdp));
          host += 2; continue;
        }
        case 8: // c.addi (c.nop, hints)
          xw(crd, xr(crd) + <u64><i64>cImm6(h));
          store<u64>(X_REGS, 0);
          host += 2; continue;
        case 9: // c.addiw
          if (crd == 0) break;
          xw(crd, sext32(xr(crd) + <u64><i64>cImm6(h)));
          host += 2; continue;
        case 10: // c.li
          xw(crd, <u64><i64>cImm6(h));
          store<u64>(X_REGS, 0);
          host += 2; continue;
        case 11: {
          if (crd == 2) { // c.addi16sp
            const imm = (((<i32>(h << 19)) >> 31) & ~0x1ff) | <i32>(((h >>> 2) & 0x10) | ((h << 1) & 0x40) |
              ((h << 4) & 0x180) | ((h << 3) & 0x20));
            if (imm == 0) break;
            xw(2, xr(2) + <u64><i64>imm);
            host += 2; continue;
          }
          const imm = cImm6(h); // c.lui
          if (imm == 0) break;
          xw(crd, <u64><i64>(imm << 12));
          store<u64>(X_REGS, 0);
          host += 2; continue;
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
            // Tests, not a jump table (see aluChain).
            if (f == 5) v = sext32(a + b); // c.addw
            else if (f == 3) v = a & b; // c.and
            else if (f == 0) v = a - b; // c.sub
            else if (f == 2) v = a | b; // c.or
            else if (f == 4) v = sext32(a - b); // c.subw
            else if (f == 1) v = a ^ b; // c.xor
            else v = 0;
            if (f >= 6) break;
          }
          xw(rs1p, v);
          host += 2; continue;
        }
        case 13: { // c.j
          const imm = (((<i32>(h << 19)) >> 31) & ~0x7ff) | <i32>(((h >>> 7) & 0x10) | ((h >>> 1) & 0x300) |
            ((h << 2) & 0x400) | ((h >>> 1) & 0x40) | ((h << 1) & 0x80) | ((h >>> 2) & 0xe) | ((h << 3) & 0x20));
          const nh = <u64>host + <u64><i64>imm;
          if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
          if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
          else { store<u64>(PC, nh + delta); host = 0; }
          continue;
        }
        case 14: case 15: { // c.beqz, c.bnez
          if ((xr(rs1p) == 0) == ((h & 0x2000) == 0)) {
            const imm = (((<i32>(h << 19)) >> 31) & ~0xff) | <i32>(((h >>> 7) & 0x18) | ((h << 1) & 0xc0) |
              ((h >>> 2) & 6) | ((h << 3) & 0x20));
            const nh = <u64>host + <u64><i64>imm;
            if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
            if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
            else { store<u64>(PC, nh + delta); host = 0; }
            continue;
          }
          host += 2; continue;
        }
        case 16: // c.slli
          xw(crd, xr(crd) << <u64>(((h >>> 7) & 0x20) | crs2));
          store<u64>(X_REGS, 0);
          host += 2; continue;
        case 18: { // c.lwsp
          if (crd == 0) break;
          const va = xr(2) + <u64>(((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0));
          const a = tlbLoad(va);
          if (a == 0) break;
          xw(crd, <u64><i64>load<i32>(a));
          host += 2; continue;
        }
        case 19: { // c.ldsp
          if (crd == 0) break;
          const va = xr(2) + <u64>(((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0));
          const a = tlbLoad(va);
          if (a == 0) break;
          xw(crd, load<u64>(a));
          host += 2; continue;
        }
        case 20: {
          if ((h & 0x1000) == 0) {
            if (crs2 == 0) { // c.jr
              if (crd == 0) break;
              const t = xr(crd) & ~(<u64>1);
              if (bm && !blockGoesOn(t)) return leave(t, CAUSE_JIT_BLOCK, left);
              const nh = t - delta;
              if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
              else { store<u64>(PC, t); host = 0; }
              continue;
            }
            xw(crd, xr(crs2)); // c.mv
            store<u64>(X_REGS, 0);
            host += 2; continue;
          }
          if (crs2 == 0) { // c.jalr (c.ebreak with rd 0)
            if (crd == 0) break;
            const t = xr(crd) & ~(<u64>1);
            xw(1, <u64>host + delta + 2);
            if (bm && !blockGoesOn(t)) return leave(t, CAUSE_JIT_BLOCK, left);
            const nh = t - delta;
            if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
            else { store<u64>(PC, t); host = 0; }
            continue;
          }
          xw(crd, xr(crd) + xr(crs2)); // c.add
          store<u64>(X_REGS, 0);
          host += 2; continue;
        }
        case 22: { // c.swsp
          const va = xr(2) + <u64>(((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0));
          const a = tlbStore(va);
          if (a == 0) break;
          store<u32>(a, <u32>xr(crs2));
          host += 2; continue;
        }
        case 23: { // c.sdsp
          const va = xr(2) + <u64>(((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0));
          const a = tlbStore(va);
          if (a == 0) break;
          store<u64>(a, xr(crs2));
          host += 2; continue;
        }
        default: break; // FP loads and stores, reserved forms
      }
    } else if ((host & 0xfff) <= 0xffc) {
      insn = load<u32>(host);
      const rd = (insn >>> 7) & 31;
      const rs1 = (insn >>> 15) & 31;
      const rs2 = (insn >>> 20) & 31;
      const f3 = (insn >>> 12) & 7;
      // A dense switch (opcode bits 6:2; bits 1:0 are 11): a jump table, where
      // the sparse opcodes compiled to a chain of compares.
      switch ((insn >>> 2) & 31) {
        case 4: { // OP-IMM (illegal shifts: step())
          if ((f3 == 1 && (insn >>> 26) != 0) || (f3 == 5 && ((insn >>> 26) & 0x2f) != 0)) break;
          const a = xr(rs1);
          const imm = <u64><i64>(<i32>insn >> 20);
          xw(rd, aluChain(f3, a, imm, (insn & 0x40000000) != 0));
          store<u64>(X_REGS, 0);
          host += 4; continue;
        }
        case 12: { // OP
          const a = xr(rs1), b = xr(rs2);
          const f7 = insn >>> 25;
          let v: u64 = 0;
          if (f7 == 0) v = aluChain(f3, a, b, false);
          else if (f7 == 1 && f3 == 0) { // mul (the other M forms: step())
            v = a * b;
          } else if (f7 == 0x20 && f3 == 0) {
            v = a - b;
          } else if (f7 == 0x20 && f3 == 5) {
            v = <u64>(<i64>a >> <i64>(b & 63));
          } else {
            break;
          }
          xw(rd, v);
          store<u64>(X_REGS, 0);
          host += 4; continue;
        }
        case 0: { // LOAD
          if (f3 == 7) break;
          const va = xr(rs1) + <u64><i64>(<i32>insn >> 20);
          const h = tlbLoad(va);
          if (h == 0) break;
          // Tests in order of frequency, not a jump table (a second indirect
          // jump after the opcode's).
          let v: u64;
          if (f3 == 3) v = load<u64>(h);
          else if (f3 == 2) v = <u64><i64>load<i32>(h);
          else if (f3 == 4) v = <u64>load<u8>(h);
          else if (f3 == 6) v = <u64>load<u32>(h);
          else if (f3 == 0) v = <u64><i64>load<i8>(h);
          else if (f3 == 5) v = <u64>load<u16>(h);
          else v = <u64><i64>load<i16>(h);
          xw(rd, v);
          store<u64>(X_REGS, 0);
          host += 4; continue;
        }
        case 8: { // STORE
          if (f3 > 3) break;
          const va = xr(rs1) + <u64><i64>(((<i32>insn >> 25) << 5) | <i32>rd);
          const h = tlbStore(va);
          if (h == 0) break;
          const v = xr(rs2);
          if (f3 == 3) store<u64>(h, v);
          else if (f3 == 2) store<u32>(h, <u32>v);
          else if (f3 == 0) store<u8>(h, <u8>v);
          else store<u16>(h, <u16>v);
          host += 4; continue;
        }
        case 24: { // BRANCH
          if (f3 == 2 || f3 == 3) break;
          // The condition without a jump table on funct3: eq (0, 1), lt (4,
          // 5), ltu (6, 7); odd funct3 negates.
          const a = xr(rs1), b = xr(rs2);
          const lt = select<bool>(a < b, <i64>a < <i64>b, (f3 & 2) != 0);
          const taken = select<bool>(lt, a == b, (f3 & 4) != 0) != ((f3 & 1) != 0);
          if (taken) {
            const imm = (((<i32>insn >> 31) << 12) | <i32>(((insn >>> 7) & 1) << 11) |
              <i32>(((insn >>> 25) & 0x3f) << 5) | <i32>(((insn >>> 8) & 0xf) << 1));
            const nh = <u64>host + <u64><i64>imm;
            if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
            if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
            else { store<u64>(PC, nh + delta); host = 0; }
            continue;
          }
          host += 4; continue;
        }
        case 13: // LUI
          xw(rd, <u64><i64><i32>(insn & 0xfffff000));
          store<u64>(X_REGS, 0);
          host += 4; continue;
        case 5: // AUIPC
          xw(rd, <u64>host + delta + <u64><i64><i32>(insn & 0xfffff000));
          store<u64>(X_REGS, 0);
          host += 4; continue;
        case 27: { // JAL
          const imm = ((<i32>insn >> 31) << 20) | <i32>(insn & 0xff000) | <i32>(((insn >>> 20) & 1) << 11) |
            <i32>(((insn >>> 21) & 0x3ff) << 1);
          xw(rd, <u64>host + delta + 4);
          store<u64>(X_REGS, 0);
          const nh = <u64>host + <u64><i64>imm;
          if (bm && !blockGoesOn(nh + delta)) return leave(nh + delta, CAUSE_JIT_BLOCK, left);
          if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
          else { store<u64>(PC, nh + delta); host = 0; }
          continue;
        }
        case 25: { // JALR
          if (f3 != 0) break;
          const target = (xr(rs1) + <u64><i64>(<i32>insn >> 20)) & ~(<u64>1);
          xw(rd, <u64>host + delta + 4);
          store<u64>(X_REGS, 0);
          if (bm && !blockGoesOn(target)) return leave(target, CAUSE_JIT_BLOCK, left);
          const nh = target - delta;
          if (((nh ^ <u64>host) >>> 12) == 0 && (<u32>nh & 0xfff) != 0) host = <u32>nh;
          else { store<u64>(PC, target); host = 0; }
          continue;
        }
        case 6: { // OP-IMM-32
          const a = xr(rs1);
          const imm = <i32>insn >> 20;
          let v: u64 = 0;
          if (f3 == 0) v = sext32(a + <u64><i64>imm);
          else if (f3 == 1 && (insn >>> 25) == 0) v = sext32(<u64>(<u32>a << (imm & 31)));
          else if (f3 == 5 && (insn >>> 25) == 0) v = sext32(<u64>(<u32>a >>> (imm & 31)));
          else if (f3 == 5 && (insn >>> 25) == 0x20) v = <u64><i64>(<i32>a >> (imm & 31));
          else break;
          xw(rd, v);
          store<u64>(X_REGS, 0);
          host += 4; continue;
        }
        case 14: { // OP-32
          const a = xr(rs1), b = xr(rs2);
          const f7 = insn >>> 25;
          let v: u64 = 0;
          if (f7 == 0 && f3 == 0) v = sext32(a + b);
          else if (f7 == 0x20 && f3 == 0) v = sext32(a - b);
          else if (f7 == 0 && f3 == 1) v = sext32(<u64>(<u32>a << (<u32>b & 31)));
          else if (f7 == 0 && f3 == 5) v = sext32(<u64>(<u32>a >>> (<u32>b & 31)));
          else if (f7 == 0x20 && f3 == 5) v = <u64><i64>(<i32>a >> (<i32>b & 31));
          else if (f7 == 1 && f3 == 0) v = sext32(a * b);
          else break;
          xw(rd, v);
          store<u64>(X_REGS, 0);
          host += 4; continue;
        }
        case 1: { // LOAD-FP
          if (f3 == 2) {
            const h = tlbLoad(xr(rs1) + <u64><i64>(<i32>insn >> 20));
            if (h == 0) break;
            store<u64>(F_REGS + (rd << 3), <u64>load<u32>(h) | 0xffffffff00000000);
            host += 4; continue;
          }
          if (f3 == 3) {
            const h = tlbLoad(xr(rs1) + <u64><i64>(<i32>insn >> 20));
            if (h == 0) break;
            store<u64>(F_REGS + (rd << 3), load<u64>(h));
            host += 4; continue;
          }
          break;
        }
        case 9: { // STORE-FP
          if (f3 != 2 && f3 != 3) break;
          const va = xr(rs1) + <u64><i64>(((<i32>insn >> 25) << 5) | <i32>rd);
          const v = load<u64>(F_REGS + (rs2 << 3));
          if (f3 == 2) {
            const h = tlbStore(va);
            if (h == 0) break;
            store<u32>(h, <u32>v);
          } else {
            const h = tlbStore(va);
            if (h == 0) break;
            store<u64>(h, v);
          }
          host += 4; continue;
        }
        default: break; // the rest: step()
      }
    }
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
