// Classic BPF for seccomp filters: the checks a program must pass before it is
// attached (Linux's bpf_check_classic, check_load_and_stores and
// seccomp_check_filter, all of whose failures are EINVAL) and the interpreter
// that runs it over struct seccomp_data. Only the instructions seccomp allows
// exist here: loads of seccomp_data words, ALU (no MOD), jumps, scratch memory,
// TAX/TXA, RET.

import {
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC, BPF_W, BPF_IMM, BPF_ABS, BPF_MEM, BPF_LEN,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_XOR, BPF_JA, BPF_JEQ, BPF_JGT,
  BPF_JGE, BPF_JSET, BPF_K, BPF_X, BPF_A, BPF_TAX, BPF_TXA, BPF_MEMWORDS, seccomp_data, bpfClass, bpfOp,
} from "../abi/seccomp.js";
import { EINVAL } from "../abi/errno.js";
import { kerr } from "../lib/errors.js";

/** One checked program: parallel arrays of code, jt, jf and k. */
export interface BpfProg {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
}

// The codes seccomp accepts (seccomp_check_filter's list; the LEN loads are
// rewritten to immediates of sizeof(struct seccomp_data), as Linux does).
const ALLOWED = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

const isCondJump = (c: number) => bpfClass(c) === BPF_JMP && bpfOp(c) !== BPF_JA;

/**
 * Decodes and checks `len` struct sock_filter from `raw`; throws EINVAL for a
 * program Linux refuses (unknown or disallowed code, a jump out of the program,
 * division or a shift by a constant out of range, a load from outside
 * seccomp_data or unaligned, a scratch slot read before every path stored it,
 * no RET at the end).
 */
export function checkSeccompProg(raw: Uint8Array, len: number): BpfProg {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const code = new Uint16Array(len), jt = new Uint8Array(len), jf = new Uint8Array(len), k = new Uint32Array(len);
  for (let pc = 0; pc < len; pc++) {
    code[pc] = dv.getUint16(pc * 8, true);
    jt[pc] = raw[pc * 8 + 2];
    jf[pc] = raw[pc * 8 + 3];
    k[pc] = dv.getUint32(pc * 8 + 4, true);
  }
  for (let pc = 0; pc < len; pc++) {
    const c = code[pc];
    if (!ALLOWED.has(c)) kerr(EINVAL);
    switch (c) {
      case BPF_ALU | BPF_DIV | BPF_K: if (k[pc] === 0) kerr(EINVAL); break;
      case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K: if (k[pc] >= 32) kerr(EINVAL); break;
      case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX: if (k[pc] >= BPF_MEMWORDS) kerr(EINVAL); break;
      case BPF_JMP | BPF_JA: if (k[pc] >= len - pc - 1) kerr(EINVAL); break;
      case BPF_LD | BPF_W | BPF_ABS: if (k[pc] >= seccomp_data.size || (k[pc] & 3) !== 0) kerr(EINVAL); break;
      case BPF_LD | BPF_W | BPF_LEN: code[pc] = BPF_LD | BPF_IMM; k[pc] = seccomp_data.size; break;
      case BPF_LDX | BPF_W | BPF_LEN: code[pc] = BPF_LDX | BPF_IMM; k[pc] = seccomp_data.size; break;
      default:
        if (isCondJump(c) && (pc + jt[pc] + 1 >= len || pc + jf[pc] + 1 >= len)) kerr(EINVAL);
    }
  }
  const last = code[len - 1];
  if (last !== (BPF_RET | BPF_K) && last !== (BPF_RET | BPF_A)) kerr(EINVAL);
  checkLoadsAfterStores(code, jt, jf, k);
  return { code, jt, jf, k };
}

// Linux's check_load_and_stores: a scratch slot may be read only where every
// path to the read stored it; jumps carry the set of stored slots forward.
function checkLoadsAfterStores(code: Uint16Array, jt: Uint8Array, jf: Uint8Array, k: Uint32Array): void {
  const len = code.length;
  const masks = new Uint16Array(len).fill(0xffff);
  let valid = 0; // nothing stored at the start; after a jump, what its targets were given
  for (let pc = 0; pc < len; pc++) {
    valid &= masks[pc];
    const c = code[pc];
    if (c === BPF_ST || c === BPF_STX) valid |= 1 << k[pc];
    else if (c === (BPF_LD | BPF_MEM) || c === (BPF_LDX | BPF_MEM)) { if (!(valid & (1 << k[pc]))) kerr(EINVAL); }
    else if (c === (BPF_JMP | BPF_JA)) { masks[pc + 1 + k[pc]] &= valid; valid = 0xffff; }
    else if (isCondJump(c)) { masks[pc + 1 + jt[pc]] &= valid; masks[pc + 1 + jf[pc]] &= valid; valid = 0xffff; }
  }
}

/**
 * Runs a checked program over a seccomp_data image (little-endian words, as
 * riscv64 loads them) and returns its 32-bit result. Jumps only go forward and
 * were checked, so it ends within the program's length. A division by X = 0
 * returns 0, as Linux's converted classic programs do.
 */
export function runSeccompProg(p: BpfProg, data: DataView): number {
  const { code, jt, jf, k } = p;
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0, x = 0;
  for (let pc = 0; pc < code.length; pc++) {
    const c = code[pc], kk = k[pc];
    switch (c) {
      case BPF_LD | BPF_W | BPF_ABS: a = data.getUint32(kk, true); break;
      case BPF_LD | BPF_IMM: a = kk; break;
      case BPF_LDX | BPF_IMM: x = kk; break;
      case BPF_LD | BPF_MEM: a = mem[kk]; break;
      case BPF_LDX | BPF_MEM: x = mem[kk]; break;
      case BPF_ST: mem[kk] = a; break;
      case BPF_STX: mem[kk] = x; break;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_MISC | BPF_TXA: a = x; break;
      case BPF_RET | BPF_K: return kk;
      case BPF_RET | BPF_A: return a >>> 0;
      case BPF_JMP | BPF_JA: pc += kk; break;
      case BPF_ALU | BPF_NEG: a = (-a) >>> 0; break;
      default: {
        const cls = bpfClass(c), op = bpfOp(c);
        const src = (c & BPF_X) ? x : kk;
        if (cls === BPF_ALU) {
          switch (op) {
            case BPF_ADD: a = (a + src) >>> 0; break;
            case BPF_SUB: a = (a - src) >>> 0; break;
            case BPF_MUL: a = Math.imul(a, src) >>> 0; break;
            case BPF_DIV: if (src === 0) return 0; a = Math.floor(a / src) >>> 0; break;
            case BPF_OR: a = (a | src) >>> 0; break;
            case BPF_AND: a = (a & src) >>> 0; break;
            case BPF_XOR: a = (a ^ src) >>> 0; break;
            // A shift by X of 32 or more gives 0, as a 32-bit eBPF shift of a u32 done in 64 bits.
            case BPF_LSH: a = src >= 32 ? 0 : (a << src) >>> 0; break;
            case BPF_RSH: a = src >= 32 ? 0 : a >>> src; break;
          }
        } else {
          let taken: boolean;
          switch (op) {
            case BPF_JEQ: taken = a === src; break;
            case BPF_JGT: taken = a > src; break;
            case BPF_JGE: taken = a >= src; break;
            default: taken = (a & src) !== 0; break; // BPF_JSET
          }
          pc += taken ? jt[pc] : jf[pc];
        }
      }
    }
  }
  return 0; // unreachable: the last instruction is a RET
}
