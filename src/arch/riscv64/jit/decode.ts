// Decoding guest instructions for the translator. Compressed instructions are
// expanded by the interpreter's own expander (wasm/rvc.ts, exported by the
// hart), so both execution paths agree on what every encoding means.
//
// "Supported" is decided here and mirrors the interpreter's checks exactly:
// an encoding the interpreter treats as illegal is never translated; the
// translated block stops in front of it and the interpreter raises the trap.

export const enum Kind {
  Plain, // falls through to the next instruction
  Branch, // conditional: taken target or fall through
  Jal, Jalr,
  Ecall, Ebreak, FenceI, // leave translated code
  Unsupported, // not translated: the interpreter runs it
}

export interface Insn {
  off: number; // byte offset in the page
  len: number; // 2 or 4
  raw: number; // the (expanded) 32-bit instruction, as uint32
  op: number; // major opcode, raw & 0x7f
  rd: number; rs1: number; rs2: number;
  f3: number; f7: number;
  imm: number; // the format's immediate, sign-extended (int32)
  kind: Kind;
}

export type Expander = (half: number) => number;

const immI = (i: number): number => i >> 20;
const immS = (i: number): number => ((i >> 25) << 5) | ((i >>> 7) & 31);
const immB = (i: number): number =>
  ((i >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 0x3f) << 5) | (((i >>> 8) & 0xf) << 1);
const immU = (i: number): number => i & 0xfffff000;
const immJ = (i: number): number =>
  ((i >> 31) << 20) | (i & 0xff000) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 0x3ff) << 1);

// Decodes the instruction at byte `off` of a 4 KiB page image.
export function decodeAt(page: Uint8Array, off: number, expand: Expander): Insn {
  const half = page[off] | (page[off + 1] << 8);
  let raw: number, len: number;
  if ((half & 3) !== 3) {
    raw = expand(half) >>> 0;
    len = 2;
  } else if (off + 4 <= 4096) {
    raw = (half | (page[off + 2] << 16) | (page[off + 3] << 24)) >>> 0;
    len = 4;
  } else {
    raw = 0; // crosses into the next page: left to the interpreter
    len = 4;
  }
  const i = raw | 0;
  const ins: Insn = {
    off, len, raw, op: raw & 0x7f,
    rd: (raw >>> 7) & 31, rs1: (raw >>> 15) & 31, rs2: (raw >>> 20) & 31,
    f3: (raw >>> 12) & 7, f7: raw >>> 25, imm: 0, kind: Kind.Unsupported,
  };
  if (raw === 0) return ins;
  const f3 = ins.f3, f7 = ins.f7;
  let ok = false;
  switch (ins.op) {
    case 0x13: // OP-IMM
      ins.imm = immI(i);
      ok = f3 === 1 ? (raw >>> 26) === 0 : f3 === 5 ? ((raw >>> 26) === 0 || (raw >>> 26) === 0x10) : true;
      break;
    case 0x33: // OP
      ok = f7 === 0 || f7 === 1 || (f7 === 0x20 && (f3 === 0 || f3 === 5));
      break;
    case 0x03: ins.imm = immI(i); ok = f3 !== 7; break; // LOAD
    case 0x23: ins.imm = immS(i); ok = f3 <= 3; break; // STORE
    case 0x63: // BRANCH
      ins.imm = immB(i);
      if (f3 !== 2 && f3 !== 3) ins.kind = Kind.Branch;
      return ins;
    case 0x37: case 0x17: ins.imm = immU(i); ok = true; break; // LUI, AUIPC
    case 0x6f: ins.imm = immJ(i); ins.kind = Kind.Jal; return ins;
    case 0x67: ins.imm = immI(i); if (f3 === 0) ins.kind = Kind.Jalr; return ins;
    case 0x1b: // OP-IMM-32
      ins.imm = immI(i);
      ok = f3 === 0 || (f3 === 1 && f7 === 0) || (f3 === 5 && (f7 === 0 || f7 === 0x20));
      break;
    case 0x3b: // OP-32
      ok = (f7 === 0 && (f3 === 0 || f3 === 1 || f3 === 5)) || (f7 === 0x20 && (f3 === 0 || f3 === 5)) ||
        (f7 === 1 && f3 !== 1 && f3 !== 2 && f3 !== 3);
      break;
    case 0x2f: ok = true; break; // AMO: the helper validates, as the interpreter does
    case 0x07: ins.imm = immI(i); ok = f3 === 2 || f3 === 3; break; // LOAD-FP
    case 0x27: ins.imm = immS(i); ok = f3 === 2 || f3 === 3; break; // STORE-FP
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: ok = true; break; // F/D via the FPU
    case 0x0f: // MISC-MEM
      if (f3 === 0) ok = true;
      else if (f3 === 1) { ins.kind = Kind.FenceI; return ins; }
      break;
    case 0x73: // SYSTEM
      if (raw === 0x00000073) { ins.kind = Kind.Ecall; return ins; }
      if (raw === 0x00100073) { ins.kind = Kind.Ebreak; return ins; }
      ok = f3 !== 0 && f3 !== 4;
      break;
  }
  if (ok) ins.kind = Kind.Plain;
  return ins;
}

// Registers an instruction reads and writes (x registers only; x0 excluded).
export function xRegsUsed(ins: Insn, out: Set<number>): void {
  const add = (r: number): void => { if (r !== 0) out.add(r); };
  switch (ins.op) {
    case 0x37: case 0x17: case 0x6f: add(ins.rd); break;
    case 0x13: case 0x1b: case 0x03: case 0x67: add(ins.rd); add(ins.rs1); break;
    case 0x07: add(ins.rs1); break;
    case 0x23: case 0x27: case 0x63: add(ins.rs1); add(ins.rs2); break;
    case 0x0f: break;
    default: add(ins.rd); add(ins.rs1); add(ins.rs2); break;
  }
}

// Whether the instruction may write x[rd] (used for write-back at exits).
export function writesX(ins: Insn): boolean {
  switch (ins.op) {
    case 0x23: case 0x27: case 0x63: case 0x07: case 0x0f: return false;
    case 0x43: case 0x47: case 0x4b: case 0x4f: return false;
    case 0x73: return ins.kind === Kind.Plain && ins.rd !== 0;
    default: return ins.rd !== 0;
  }
}
