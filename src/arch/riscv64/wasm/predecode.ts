// The interpreter's decoded-instruction cache. Each instruction the
// interpreter runs is decoded once into a compact form — a dense op number,
// its length, the wasm addresses of rd, rs1 and rs2, and its immediate — that
// exec() (hart.ts) dispatches on with one switch.
//
// The cache is direct-mapped by the instruction's host address (a physical
// location: every process mapping the frame shares its entries) and tagged by
// the instruction's 32 bits themselves, read at every fetch. A decoded form is
// a pure function of those bits (pc-relative immediates are offsets, added to
// pc when the instruction runs), so an entry whose tag equals the bits now in
// memory is right whoever wrote them, when, and through which mapping: a
// guest store, another process's store to a shared mapping, the kernel's
// read() into a code page. Code rewritten in place therefore runs as written
// at once, as it always did under this interpreter, with or without fence.i;
// no invalidation can be forgotten. (For a compressed instruction the tag
// also holds the next 16 bits: a change there only costs a decode.)
//
// An entry is DEC_ENTRY_SIZE bytes: tag u32, op u8, length u8, rd address
// u16 (X_SINK for x0, so that no op tests rd), rs1 address u16, rs2 address
// u16, immediate i32. Op 0 (OP_SLOW) sends the instruction to execSlow()
// (exec-slow.ts): everything rare, and every illegal form. A zeroed entry
// (tag 0, OP_SLOW) is therefore valid as it stands: the all-zero word is an
// illegal instruction.

import { X_REGS, F_REGS, X_SINK, RVC_CACHE, RVC_ILLEGAL } from "./layout";
import { expandCompressed } from "./rvc";

export const DEC_ENTRY_SIZE: u32 = 16;
export const DEC_ENTRIES: u32 = 65536; // 1 MiB: 128 KiB of contiguous code without conflicts
export const DEC_MASK: u32 = DEC_ENTRIES - 1;

// Where the cache lives: set by the kernel (Hart) past guest RAM.
export let decBase: u32 = 0;
export function setDecodeCache(base: u32): void { decBase = base; }

export const OP_SLOW: u8 = 0;
export const OP_ADDI: u8 = 1; // also lui (rs1 = x0) and li/mv
export const OP_SLLI: u8 = 2;
export const OP_SLTI: u8 = 3;
export const OP_SLTIU: u8 = 4;
export const OP_XORI: u8 = 5;
export const OP_SRLI: u8 = 6;
export const OP_SRAI: u8 = 7;
export const OP_ORI: u8 = 8;
export const OP_ANDI: u8 = 9;
export const OP_AUIPC: u8 = 10;
export const OP_ADD: u8 = 11;
export const OP_SUB: u8 = 12;
export const OP_SLL: u8 = 13;
export const OP_SLT: u8 = 14;
export const OP_SLTU: u8 = 15;
export const OP_XOR: u8 = 16;
export const OP_SRL: u8 = 17;
export const OP_SRA: u8 = 18;
export const OP_OR: u8 = 19;
export const OP_AND: u8 = 20;
export const OP_MUL: u8 = 21;
export const OP_MULH: u8 = 22;
export const OP_MULHSU: u8 = 23;
export const OP_MULHU: u8 = 24;
export const OP_DIV: u8 = 25;
export const OP_DIVU: u8 = 26;
export const OP_REM: u8 = 27;
export const OP_REMU: u8 = 28;
// Loads in funct3 order (OP_LB + funct3).
export const OP_LB: u8 = 29;
export const OP_LH: u8 = 30;
export const OP_LW: u8 = 31;
export const OP_LD: u8 = 32;
export const OP_LBU: u8 = 33;
export const OP_LHU: u8 = 34;
export const OP_LWU: u8 = 35;
export const OP_SB: u8 = 36;
export const OP_SH: u8 = 37;
export const OP_SW: u8 = 38;
export const OP_SD: u8 = 39;
export const OP_BEQ: u8 = 40;
export const OP_BNE: u8 = 41;
export const OP_BLT: u8 = 42;
export const OP_BGE: u8 = 43;
export const OP_BLTU: u8 = 44;
export const OP_BGEU: u8 = 45;
export const OP_JAL: u8 = 46;
export const OP_JALR: u8 = 47;
export const OP_ADDIW: u8 = 48;
export const OP_SLLIW: u8 = 49;
export const OP_SRLIW: u8 = 50;
export const OP_SRAIW: u8 = 51;
export const OP_ADDW: u8 = 52;
export const OP_SUBW: u8 = 53;
export const OP_SLLW: u8 = 54;
export const OP_SRLW: u8 = 55;
export const OP_SRAW: u8 = 56;
export const OP_MULW: u8 = 57;
export const OP_DIVW: u8 = 58;
export const OP_DIVUW: u8 = 59;
export const OP_REMW: u8 = 60;
export const OP_REMUW: u8 = 61;
export const OP_FLW: u8 = 62;
export const OP_FLD: u8 = 63;
export const OP_FSW: u8 = 64;
export const OP_FSD: u8 = 65;

@inline function xa(r: u32): u32 { return X_REGS + (r << 3); }
@inline function xd(r: u32): u32 { return r == 0 ? X_SINK : X_REGS + (r << 3); }
@inline function fa(r: u32): u32 { return F_REGS + (r << 3); }

// The 32-bit instruction a compressed parcel stands for (RVC_ILLEGAL: none),
// through the cache of expansions (a pure function of the parcel).
function expand(raw: u32): u32 {
  const slot = RVC_CACHE + ((((raw & 3) << 14) | (raw >>> 2)) << 2);
  let insn = load<u32>(slot);
  if (insn == 0) {
    insn = expandCompressed(raw);
    if (insn == 0) insn = RVC_ILLEGAL;
    store<u32>(slot, insn);
  }
  return insn;
}

@inline function put(e: u32, op: u8, rd: u32, rs1: u32, rs2: u32, imm: i32): void {
  store<u8>(e, op, 4);
  store<u16>(e, <u16>rd, 6);
  store<u16>(e, <u16>rs1, 8);
  store<u16>(e, <u16>rs2, 10);
  store<i32>(e, imm, 12);
}

// Decodes `word` into entry e and tags it.
export function predecode(e: u32, word: u32): void {
  store<u32>(e, word);
  let insn = word;
  let len: u8 = 4;
  if ((word & 3) != 3) {
    insn = expand(word & 0xffff);
    len = 2;
  }
  store<u8>(e, len, 5);
  store<u8>(e, OP_SLOW, 4);
  if (insn == RVC_ILLEGAL) return;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  const immI = <i32>insn >> 20;
  switch (insn & 0x7f) {
    case 0x13: { // OP-IMM
      let op: u8 = OP_SLOW;
      let imm = immI;
      switch (f3) {
        case 0: op = OP_ADDI; break;
        case 1: if ((insn >>> 26) == 0) { op = OP_SLLI; imm &= 63; } break;
        case 2: op = OP_SLTI; break;
        case 3: op = OP_SLTIU; break;
        case 4: op = OP_XORI; break;
        case 5:
          if ((insn >>> 26) == 0) { op = OP_SRLI; imm &= 63; } else if ((insn >>> 26) == 0x10) { op = OP_SRAI; imm &= 63; }
          break;
        case 6: op = OP_ORI; break;
        default: op = OP_ANDI; break;
      }
      if (op != OP_SLOW) put(e, op, xd(rd), xa(rs1), 0, imm);
      return;
    }
    case 0x37: put(e, OP_ADDI, xd(rd), xa(0), 0, <i32>(insn & 0xfffff000)); return; // LUI
    case 0x17: put(e, OP_AUIPC, xd(rd), 0, 0, <i32>(insn & 0xfffff000)); return;
    case 0x33: { // OP
      let op: u8 = OP_SLOW;
      if (f7 == 0) op = f3 == 0 ? OP_ADD : f3 == 1 ? OP_SLL : f3 == 2 ? OP_SLT : f3 == 3 ? OP_SLTU :
        f3 == 4 ? OP_XOR : f3 == 5 ? OP_SRL : f3 == 6 ? OP_OR : OP_AND;
      else if (f7 == 1) op = OP_MUL + <u8>f3;
      else if (f7 == 0x20 && f3 == 0) op = OP_SUB;
      else if (f7 == 0x20 && f3 == 5) op = OP_SRA;
      if (op != OP_SLOW) put(e, op, xd(rd), xa(rs1), xa(rs2), 0);
      return;
    }
    case 0x03: // LOAD
      if (f3 != 7) put(e, OP_LB + <u8>f3, xd(rd), xa(rs1), 0, immI);
      return;
    case 0x23: // STORE
      if (f3 <= 3) put(e, OP_SB + <u8>f3, 0, xa(rs1), xa(rs2), ((<i32>insn >> 25) << 5) | <i32>rd);
      return;
    case 0x63: { // BRANCH
      const imm = (((<i32>insn >> 31) << 12) | <i32>(((insn >>> 7) & 1) << 11) |
        <i32>(((insn >>> 25) & 0x3f) << 5) | <i32>(((insn >>> 8) & 0xf) << 1));
      let op: u8 = OP_SLOW;
      switch (f3) {
        case 0: op = OP_BEQ; break;
        case 1: op = OP_BNE; break;
        case 4: op = OP_BLT; break;
        case 5: op = OP_BGE; break;
        case 6: op = OP_BLTU; break;
        case 7: op = OP_BGEU; break;
        default: break;
      }
      if (op != OP_SLOW) put(e, op, 0, xa(rs1), xa(rs2), imm);
      return;
    }
    case 0x6f: { // JAL
      const imm = ((<i32>insn >> 31) << 20) | <i32>(insn & 0xff000) | <i32>(((insn >>> 20) & 1) << 11) |
        <i32>(((insn >>> 21) & 0x3ff) << 1);
      put(e, OP_JAL, xd(rd), 0, 0, imm);
      return;
    }
    case 0x67: // JALR
      if (f3 == 0) put(e, OP_JALR, xd(rd), xa(rs1), 0, immI);
      return;
    case 0x1b: { // OP-IMM-32
      let op: u8 = OP_SLOW;
      if (f3 == 0) op = OP_ADDIW;
      else if (f3 == 1 && f7 == 0) op = OP_SLLIW;
      else if (f3 == 5 && f7 == 0) op = OP_SRLIW;
      else if (f3 == 5 && f7 == 0x20) op = OP_SRAIW;
      if (op != OP_SLOW) put(e, op, xd(rd), xa(rs1), 0, op == OP_ADDIW ? immI : immI & 31);
      return;
    }
    case 0x3b: { // OP-32
      let op: u8 = OP_SLOW;
      if (f7 == 0 && f3 == 0) op = OP_ADDW;
      else if (f7 == 0x20 && f3 == 0) op = OP_SUBW;
      else if (f7 == 0 && f3 == 1) op = OP_SLLW;
      else if (f7 == 0 && f3 == 5) op = OP_SRLW;
      else if (f7 == 0x20 && f3 == 5) op = OP_SRAW;
      else if (f7 == 1) op = f3 == 0 ? OP_MULW : f3 == 4 ? OP_DIVW : f3 == 5 ? OP_DIVUW : f3 == 6 ? OP_REMW : f3 == 7 ? OP_REMUW : OP_SLOW;
      if (op != OP_SLOW) put(e, op, xd(rd), xa(rs1), xa(rs2), 0);
      return;
    }
    case 0x07: // LOAD-FP
      if (f3 == 2 || f3 == 3) put(e, f3 == 2 ? OP_FLW : OP_FLD, fa(rd), xa(rs1), 0, immI);
      return;
    case 0x27: // STORE-FP
      if (f3 == 2 || f3 == 3) put(e, f3 == 2 ? OP_FSW : OP_FSD, 0, xa(rs1), fa(rs2), ((<i32>insn >> 25) << 5) | <i32>rd);
      return;
    default:
      return;
  }
}
