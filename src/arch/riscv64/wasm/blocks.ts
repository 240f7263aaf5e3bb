// The interpreter's decoded blocks: straight-line guest code decoded once
// into 8-byte words, so that exec() (interp.ts) pays for the budget, the
// fetch and the decoding once per block rather than once per instruction.
//
// A block starts at any instruction and ends with its first jump or branch,
// with an instruction exec() does not run inline (STEP: step() runs it), at
// BLK_INSNS instructions, or at its page's end (an instruction straddling the
// end is not part of any block). Blocks are cached direct-mapped by the wasm
// address of their first instruction (layout.ts, BLK_*): physical, so a
// block holds whatever virtual page maps its frame, in any address space
// (exec() finds a frame through the fetch TLB, which follows the mappings).
// What depends on the virtual address (auipc, jal, branch targets, the link)
// is computed when the instruction runs from its offset in the page.
//
// A decoded instruction, 8 bytes: op (u8), rd * 8, rs1 * 8 and rs2 * 8 (u8
// each: byte offsets of the registers, read with one load each) and an i32:
// the immediate (lui: its 32-bit value), except for the ops that need the
// instruction's offset in its page (its pc): branches, jal (immediate / 2),
// jalr and auipc (immediate / 4096) hold immediate << 12 | offset, STEP the
// offset. A load's or store's offset, for the rare exit through step(), is
// found from the block's header (which of its instructions are compressed).
// No op writes x0: such forms decode to NOP, or to STEP for loads (which may
// fault), J and JR for jumps.
//
// Coherence. The bytes of a frame change:
//   - by guest stores: a frame blocks were decoded from has its bit in
//     BLK_FRAMES and no write-TLB entry (dropped when the bit is set), so the
//     first store to it reaches translateSlow(), which drops the frame's
//     blocks (blkNoteWrite) before the store lands. exec() runs that store
//     through step() and looks the next instruction's block up again, so
//     even code that rewrites itself without fence.i sees its stores.
//   - by the kernel: a frame handed out anew (Hart.jitFrameAlloc ->
//     blkFrameAlloc); fence.i and riscv_flush_icache drop every block, and so
//     does every TLB flush of a whole address space; a page's TLB flush
//     (mprotect, munmap) drops the blocks of the frame the fetch TLB had for it.

import { RAM_BASE, BLK_TAGS, BLK_FRAMES, BLK_BODY, BLK_ENTRIES, BLK_INSNS, RVC_CACHE, RVC_ILLEGAL } from "./layout";
import { expandCompressed } from "./rvc";
import { jitDropWritable } from "./jitmap";

export const OP_STEP: u32 = 0;
export const OP_NOP: u32 = 1;
export const OP_ADDI: u32 = 2;
export const OP_SLTI: u32 = 3;
export const OP_SLTIU: u32 = 4;
export const OP_XORI: u32 = 5;
export const OP_ORI: u32 = 6;
export const OP_ANDI: u32 = 7;
export const OP_SLLI: u32 = 8;
export const OP_SRLI: u32 = 9;
export const OP_SRAI: u32 = 10;
export const OP_ADD: u32 = 11;
export const OP_SUB: u32 = 12;
export const OP_SLL: u32 = 13;
export const OP_SLT: u32 = 14;
export const OP_SLTU: u32 = 15;
export const OP_XOR: u32 = 16;
export const OP_SRL: u32 = 17;
export const OP_SRA: u32 = 18;
export const OP_OR: u32 = 19;
export const OP_AND: u32 = 20;
export const OP_MUL: u32 = 21;
export const OP_LB: u32 = 22;
export const OP_LH: u32 = 23;
export const OP_LW: u32 = 24;
export const OP_LD: u32 = 25;
export const OP_LBU: u32 = 26;
export const OP_LHU: u32 = 27;
export const OP_LWU: u32 = 28;
export const OP_SB: u32 = 29;
export const OP_SH: u32 = 30;
export const OP_SW: u32 = 31;
export const OP_SD: u32 = 32;
export const OP_BEQ: u32 = 33;
export const OP_BNE: u32 = 34;
export const OP_BLT: u32 = 35;
export const OP_BGE: u32 = 36;
export const OP_BLTU: u32 = 37;
export const OP_BGEU: u32 = 38;
export const OP_LUI: u32 = 39;
export const OP_AUIPC: u32 = 40;
export const OP_J: u32 = 41;
export const OP_JAL: u32 = 42;
export const OP_JR: u32 = 43;
export const OP_JALR: u32 = 44;
export const OP_JALR_C: u32 = 45; // c.jalr: the link is pc + 2
export const OP_ADDIW: u32 = 46;
export const OP_SLLIW: u32 = 47;
export const OP_SRLIW: u32 = 48;
export const OP_SRAIW: u32 = 49;
export const OP_ADDW: u32 = 50;
export const OP_SUBW: u32 = 51;
export const OP_SLLW: u32 = 52;
export const OP_SRLW: u32 = 53;
export const OP_SRAW: u32 = 54;
export const OP_MULW: u32 = 55;
export const OP_FLW: u32 = 56;
export const OP_FLD: u32 = 57;
export const OP_FSW: u32 = 58;
export const OP_FSD: u32 = 59;
export const OP_END: u32 = 60; // after the last instruction of a block that falls through

@inline function word(op: u32, rd: u32, rs1: u32, rs2: u32, imm: i32): u64 {
  return <u64>(op | (rd << 11) | (rs1 << 19) | (rs2 << 27)) | (<u64><u32>imm << 32);
}
// The immediate field of the ops that need their pc.
@inline function withOff(imm: i32, off: u32): i32 { return (imm << 12) | <i32>off; }

// The ALU forms of OP-IMM, OP, OP-IMM-32 and OP-32 exec() runs inline (0: none).
function aluOp(insn: u32): u32 {
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x13:
      if (f3 == 1) return (insn >>> 26) == 0 ? OP_SLLI : 0;
      if (f3 == 5) return (insn >>> 26) == 0 ? OP_SRLI : (insn >>> 26) == 0x10 ? OP_SRAI : 0;
      return f3 == 0 ? OP_ADDI : f3 == 2 ? OP_SLTI : f3 == 3 ? OP_SLTIU : f3 == 4 ? OP_XORI : f3 == 6 ? OP_ORI : OP_ANDI;
    case 0x33:
      if (f7 == 0) {
        return f3 == 0 ? OP_ADD : f3 == 1 ? OP_SLL : f3 == 2 ? OP_SLT : f3 == 3 ? OP_SLTU : f3 == 4 ? OP_XOR :
          f3 == 5 ? OP_SRL : f3 == 6 ? OP_OR : OP_AND;
      }
      if (f7 == 0x20) return f3 == 0 ? OP_SUB : f3 == 5 ? OP_SRA : 0;
      if (f7 == 1) return f3 == 0 ? OP_MUL : 0;
      return 0;
    case 0x1b:
      if (f3 == 0) return OP_ADDIW;
      if (f3 == 1) return f7 == 0 ? OP_SLLIW : 0;
      if (f3 == 5) return f7 == 0 ? OP_SRLIW : f7 == 0x20 ? OP_SRAIW : 0;
      return 0;
    case 0x3b:
      if (f7 == 0) return f3 == 0 ? OP_ADDW : f3 == 1 ? OP_SLLW : f3 == 5 ? OP_SRLW : 0;
      if (f7 == 0x20) return f3 == 0 ? OP_SUBW : f3 == 5 ? OP_SRAW : 0;
      if (f7 == 1) return f3 == 0 ? OP_MULW : 0;
      return 0;
    default: return 0;
  }
}

// Decodes one 32-bit instruction (a compressed one as its expansion, `len`
// 2) at offset `off` of its page.
function decode(insn: u32, len: u32, off: u32): u64 {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  const immI = <i32>insn >> 20;
  switch (insn & 0x7f) {
    case 0x13: case 0x33: case 0x1b: case 0x3b: {
      const op = aluOp(insn);
      if (op == 0) break;
      if (rd == 0) return word(OP_NOP, 0, 0, 0, 0);
      const shift = (insn & 0x7f) == 0x13 && (f3 == 1 || f3 == 5) || (insn & 0x7f) == 0x1b && f3 != 0;
      return word(op, rd, rs1, rs2, shift ? <i32>rs2 | (<i32>(insn >>> 20) & 0x20) : immI);
    }
    case 0x03: { // LOAD
      if (f3 == 7 || rd == 0) break;
      return word(OP_LB + f3, rd, rs1, 0, immI);
    }
    case 0x23: { // STORE
      if (f3 > 3) break;
      return word(OP_SB + f3, 0, rs1, rs2, ((<i32>insn >> 25) << 5) | <i32>rd);
    }
    case 0x07: { // LOAD-FP
      if (f3 != 2 && f3 != 3) break;
      return word(f3 == 2 ? OP_FLW : OP_FLD, rd, rs1, 0, immI);
    }
    case 0x27: { // STORE-FP
      if (f3 != 2 && f3 != 3) break;
      return word(f3 == 2 ? OP_FSW : OP_FSD, 0, rs1, rs2, ((<i32>insn >> 25) << 5) | <i32>rd);
    }
    case 0x63: { // BRANCH
      if (f3 == 2 || f3 == 3) break;
      const imm = ((<i32>insn >> 31) << 12) | <i32>(((insn >>> 7) & 1) << 11) |
        <i32>(((insn >>> 25) & 0x3f) << 5) | <i32>(((insn >>> 8) & 0xf) << 1);
      const op = f3 == 0 ? OP_BEQ : f3 == 1 ? OP_BNE : f3 == 4 ? OP_BLT : f3 == 5 ? OP_BGE : f3 == 6 ? OP_BLTU : OP_BGEU;
      return word(op, 0, rs1, rs2, withOff(imm, off));
    }
    case 0x37: // LUI
      return rd == 0 ? word(OP_NOP, 0, 0, 0, 0) : word(OP_LUI, rd, 0, 0, <i32>(insn & 0xfffff000));
    case 0x17: // AUIPC
      return rd == 0 ? word(OP_NOP, 0, 0, 0, 0) : word(OP_AUIPC, rd, 0, 0, <i32>(insn & 0xfffff000) | <i32>off);
    case 0x6f: { // JAL
      const imm = ((<i32>insn >> 31) << 20) | <i32>(insn & 0xff000) | <i32>(((insn >>> 20) & 1) << 11) |
        <i32>(((insn >>> 21) & 0x3ff) << 1);
      return word(rd == 0 ? OP_J : OP_JAL, rd, 0, 0, withOff(imm >> 1, off));
    }
    case 0x67: { // JALR
      if (f3 != 0) break;
      return word(rd == 0 ? OP_JR : len == 2 ? OP_JALR_C : OP_JALR, rd, rs1, 0, withOff(immI, off));
    }
    default: break;
  }
  return word(OP_STEP, 0, 0, 0, <i32>off);
}

// Whether a decoded op ends its block.
@inline function endsBlock(op: u32): bool {
  return op == OP_STEP || (op >= OP_BEQ && op <= OP_BGEU) || (op >= OP_J && op <= OP_JALR_C);
}

// Decodes the block starting at wasm address `host` into cache slot `slot`.
// Returns its header word: instruction count (bits 0-4; 0: the instruction
// at host straddles its page's end) | bytes << 5 | bit 16 + i set when
// instruction i is compressed.
export function decodeBlock(host: u32, slot: u32): u32 {
  const page = host & ~0xfff;
  let off = host & 0xfff;
  let p = BLK_BODY + slot * (BLK_INSNS << 3);
  let n: u32 = 0;
  let cbits: u32 = 0;
  while (n < BLK_INSNS - 1 && off < 0x1000) {
    let insn: u32 = <u32>load<u16>(page + off);
    let len: u32 = 4;
    if ((insn & 3) != 3) {
      len = 2;
      cbits |= 1 << n;
      const s = RVC_CACHE + ((((insn & 3) << 14) | (insn >>> 2)) << 2);
      let x = load<u32>(s);
      if (x == 0) {
        x = expandCompressed(insn);
        if (x == 0) x = RVC_ILLEGAL;
        store<u32>(s, x);
      }
      insn = x == RVC_ILLEGAL ? 0 : x; // 0 decodes to STEP (step() reports it)
    } else {
      if (off > 0xffc) break; // straddles the page end
      insn = load<u32>(page + off);
    }
    const w = decode(insn, len, off);
    store<u64>(p, w);
    p += 8;
    n++;
    off += len;
    if (endsBlock(<u32>w & 0xff)) break;
  }
  store<u64>(p, <u64>OP_END);
  const info = n | ((off - (host & 0xfff)) << 5) | (cbits << 16);
  const t = BLK_TAGS + (slot << 3);
  store<u32>(t, host);
  store<u32>(t, info, 4);
  // The frame's stores must take the slow path from now on.
  const f = (page - RAM_BASE) >>> 12;
  const b = BLK_FRAMES + (f >>> 3);
  const m: u32 = 1 << (f & 7);
  const v: u32 = load<u8>(b);
  if ((v & m) == 0) {
    store<u8>(b, <u8>(v | m));
    jitDropWritable(page);
  }
  return info;
}

// Drops every cached block decoded from the frame at wasm address `page`.
function dropFrame(page: u32): void {
  for (let t = BLK_TAGS; t < BLK_TAGS + BLK_ENTRIES * 8; t += 8) {
    if ((load<u32>(t) & ~0xfff) == page) store<u32>(t, 0);
  }
}

// A store is about to go to physical frame f (every write-TLB fill: mmu.ts).
@inline export function blkNoteWrite(f: u32): void {
  const b = BLK_FRAMES + (f >>> 3);
  const m: u32 = 1 << (f & 7);
  const v: u32 = load<u8>(b);
  if ((v & m) != 0) {
    store<u8>(b, <u8>(v & ~m));
    dropFrame(RAM_BASE + (f << 12));
  }
}

// The kernel hands out frame f anew (Hart.jitFrameAlloc): guest physical address pa.
export function blkFrameAlloc(pa: f64): void {
  blkNoteWrite(<u32>(<u64>pa >>> 12));
}

// fence.i, riscv_flush_icache, a whole address space's mappings changed.
export function blkFlushAll(): void {
  memory.fill(BLK_TAGS, 0, BLK_ENTRIES * 8);
}

// The mapping of the page whose fetch-TLB entry is e is about to change.
// The offset in its page of instruction i of the block at `host` (header `info`).
export function blkInsnOffset(host: u32, info: u32, i: u32): u32 {
  return (host & 0xfff) + 4 * i - 2 * popcnt<u32>((info >>> 16) & ((1 << i) - 1));
}

export function blkFlushFetchEntry(e: u32): void {
  const page = load<u32>(e, 8);
  blkNoteWrite((page - RAM_BASE) >>> 12);
}
