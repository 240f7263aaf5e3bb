// Rotates. Without the Zbb extension a compiler writes a rotate right by n
// as two shifts and an or:
//
//   srli  a, x, n        srliw a, x, n         (n in 1..63, or 1..31 for the word forms)
//   slli  b, x, 64 - n   slliw b, x, 32 - n
//   or    d, a, b        or    d, a, b          (or d, b, a)
//
// SHA-256's rounds are mostly these (six word rotates a round). Translated
// one instruction at a time, the word form costs V8 two shifts, two sign
// extensions and an or; as a whole it is one i32.rotr and one extension:
// sext(x32 >>> n) | sext(x32 << (32 - n)) is sext(rotr32(x32, n)) because the
// right shift's bit 31 is 0, so bit 31 of the or (copied into the upper half
// by the sign extensions) is that of the left shift. The shifts are still
// emitted as they are, so a and b hold their values as the guest sees them
// (at a trap, an exit, or later reads); V8 drops them where they are dead.
//
// The or becomes a rotate only when both of its operands were last written
// in the same block by the two shifts, and x was not written after either
// shift (each register's writes are counted, so x's value at the or is the
// one both shifts read).

import { Insn, Kind, writesX } from "./decode.js";

export interface Rotate { src: number; amount: number; word: boolean }

interface Shift { src: number; srcVersion: number; amount: number; left: boolean; word: boolean }

// The shift an instruction is, if it is a shift left or logical shift right by
// an immediate (OP-IMM or OP-IMM-32) of a register other than x0.
function shiftOf(ins: Insn): { left: boolean; word: boolean; amount: number } | undefined {
  if (ins.kind !== Kind.Plain || ins.rs1 === 0) return undefined;
  if (ins.op === 0x13 && (ins.raw >>> 26) === 0 && (ins.f3 === 1 || ins.f3 === 5)) {
    return { left: ins.f3 === 1, word: false, amount: ins.imm & 63 };
  }
  if (ins.op === 0x1b && ins.f7 === 0 && (ins.f3 === 1 || ins.f3 === 5)) {
    return { left: ins.f3 === 1, word: true, amount: ins.imm & 31 };
  }
  return undefined;
}

// The `or`s of a block's instructions that complete a rotate.
export function findRotates(insns: Insn[]): Map<Insn, Rotate> {
  const out = new Map<Insn, Rotate>();
  const version = new Array<number>(32).fill(0);
  const lastShift = new Array<Shift | undefined>(32).fill(undefined);
  for (const ins of insns) {
    if (ins.op === 0x33 && ins.f3 === 6 && ins.f7 === 0 && ins.rd !== 0 && ins.rs1 !== ins.rs2) {
      const a = lastShift[ins.rs1], b = lastShift[ins.rs2];
      if (a && b && a.src === b.src && a.word === b.word && a.left !== b.left &&
        version[a.src] === a.srcVersion && version[b.src] === b.srcVersion) {
        const right = a.left ? b : a, left = a.left ? a : b;
        const width = right.word ? 32 : 64;
        if (right.amount > 0 && right.amount + left.amount === width) {
          out.set(ins, { src: right.src, amount: right.amount, word: right.word });
        }
      }
    }
    const writes = (writesX(ins) || ins.kind === Kind.Jal || ins.kind === Kind.Jalr) && ins.rd !== 0;
    if (!writes) continue;
    const sh = shiftOf(ins);
    // A shift that overwrites its own source cannot feed a rotate (its source is gone).
    lastShift[ins.rd] = sh && ins.rs1 !== ins.rd
      ? { src: ins.rs1, srcVersion: version[ins.rs1], amount: sh.amount, left: sh.left, word: sh.word }
      : undefined;
    version[ins.rd]++;
  }
  return out;
}
