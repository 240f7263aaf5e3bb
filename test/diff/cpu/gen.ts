// Random RV64GC instruction-sequence generator for the differential CPU test.
//
// Every sequence is a pure function of (seed, index, GEN_VERSION): the same
// pair always yields the same initial register state and the same machine
// code. Instructions are encoded here (not by the assembler) and emitted as
// raw `.word`/`.half` directives, so the assembler cannot relax, compress or
// otherwise rewrite them.
//
// Register conventions inside a sequence:
//   x2 (sp) always holds SCRATCH+2048 at block boundaries and is the base of
//   every memory access (directly, or via a temporary computed from sp in the
//   same block). It is only ever written by paired c.addi16sp instructions
//   inside one block. Every other register is fair game.
//
// Control flow is forward only: a block that transfers control ends with the
// transfer and targets a later block boundary (or the end of the sequence);
// the only other branch is the one inside an LR/SC block (see lrscRetry). No
// loops are possible and every instruction executes at most once.
//
// Nothing generated depends on timing or on implementation freedom: no
// counters, no ecall/ebreak, AMOs and LR/SC only on naturally aligned scratch
// addresses (plain loads/stores are sometimes misaligned, which Linux
// supports in user space), frm only ever holds a valid rounding mode and reserved fcsr bits
// are never set, and an SC expected to succeed is retried once (an SC may fail
// spuriously, e.g. when the kernel drops the reservation at a timer tick).
//
// Output record written by the harness per sequence (RECORD_BYTES bytes):
//   dword 0        fcsr
//   dword 1..31    x1..x31 (x2 holds the scratch base address)
//   dword 32..63   f0..f31 (raw 64-bit)
//   bytes 512..    the full scratch region (SCRATCH_BYTES)

export const GEN_VERSION = 1;
export const SCRATCH_BYTES = 4096;
export const REGDUMP_BYTES = 64 * 8;
export const RECORD_BYTES = REGDUMP_BYTES + SCRATCH_BYTES;
const SP_OFF = 2048; // sp = scratch + SP_OFF

// ---------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32 from a list of 32-bit keys.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...keys: number[]) {
    let h = 0x9e3779b9;
    const mix = (): number => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (const k of keys) h = (Math.imul(h ^ (k >>> 0), 0x27d4eb2d) + 0x165667b1) | 0;
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() | 1;
    for (let i = 0; i < 8; i++) this.u32();
  }

  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let r = (this.u32() / 4294967296) * total;
    for (const [w, v] of table) {
      if (r < w) return v;
      r -= w;
    }
    return table[table.length - 1]![1];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Splits a seed (any non-negative integer up to 2^53) into two 32-bit keys. */
export function seedKeys(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`bad seed ${seed}`);
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

// ---------------------------------------------------------------------------
// Value pools.

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & M64;

function f64bits(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
}
function f32bits(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return dv.getUint32(0);
}

export const INT_EDGES: readonly bigint[] = [
  0n, 1n, 2n, u64(-1n), u64(-2n),
  0x8000000000000000n, 0x7fffffffffffffffn, 0x8000000000000001n,
  0xffffffff80000000n, 0x000000007fffffffn, 0x0000000080000000n,
  0x00000000ffffffffn, 0x0000000100000000n, 0xffffffff7fffffffn,
  0x00000000fffffffen, 0xffffffff00000000n, 0x0000000080000001n,
  31n, 32n, 63n, 64n, 0x7ffn, u64(-2048n), 0xffffn, 0x8000n, 0xff80n, 0x80n,
];

const DOUBLE_EDGES: readonly bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, // +-0
  0x7ff0000000000000n, 0xfff0000000000000n, // +-inf
  0x7ff8000000000000n, 0xfff8000000000000n, // quiet NaNs
  0x7ff8000000000123n, 0x7fffffffffffffffn, // quiet NaN with payload
  0x7ff0000000000001n, 0x7ff4000000000000n, 0xfff0000000000001n, 0x7ff7ffffffffffffn, // signalling
  0x0000000000000001n, 0x000fffffffffffffn, 0x8000000000000001n, 0x0008000000000000n, // subnormals
  0x0010000000000000n, 0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn,
  f64bits(1), f64bits(-1), f64bits(0.5), f64bits(1.5), f64bits(2.5), f64bits(-2.5), f64bits(-0.5),
  f64bits(3), f64bits(1 / 3), f64bits(-7), f64bits(1 + 2 ** -52), f64bits(2 ** -1074 * 3),
  f64bits(2 ** 31), f64bits(2 ** 31 - 1), f64bits(-(2 ** 31)), f64bits(-(2 ** 31) - 1),
  f64bits(2 ** 31 - 0.5), f64bits(-(2 ** 31) - 0.5), f64bits(2 ** 32), f64bits(2 ** 32 - 1),
  f64bits(2 ** 32 - 0.5), f64bits(-0.75), f64bits(2 ** 63), f64bits(-(2 ** 63)), f64bits(2 ** 64),
  0x43dfffffffffffffn, 0xc3e0000000000001n, 0x43efffffffffffffn,
  // float-range edges as doubles
  0x47efffffe0000000n, 0x47effffff0000000n, 0x47f0000000000000n, // FLT_MAX, halfway, 2^128
  0x36a0000000000000n, 0x3690000000000000n, 0x3698000000000000n, // float min subnormal, half, 3/4
  0x3810000000000000n, 0x380fffffffffffffn, // float min normal, just below
  0x3ff0000010000000n, 0x3ff0000030000000n, // ties for double->float rounding
  0x3fefffffffffffffn, 0x3feffffffffffffen, 0x0010000000000001n, 0x3fe0000000000001n, // tininess / rounding
];

const SINGLE_EDGES: readonly number[] = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, // +-0, +-inf
  0x7fc00000, 0xffc00000, 0x7fc00123, 0x7fffffff, // quiet NaNs
  0x7f800001, 0x7fa00000, 0xff800001, 0x7fbfffff, // signalling NaNs
  0x00000001, 0x007fffff, 0x80000001, 0x00400000, // subnormals
  0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
  f32bits(1), f32bits(-1), f32bits(0.5), f32bits(1.5), f32bits(2.5), f32bits(-2.5), f32bits(-0.5),
  f32bits(3), f32bits(1 / 3), f32bits(-7), 0x3f800001,
  f32bits(2 ** 31), f32bits(-(2 ** 31)), 0x4effffff, 0xcf000001, f32bits(2 ** 32), 0x4f7fffff,
  f32bits(2 ** 63), f32bits(-(2 ** 63)), 0x5effffff, 0xdf000001, f32bits(2 ** 64), 0x5f7fffff,
  f32bits(2 ** 24), f32bits(2 ** 24 + 2), f32bits(-0.75),
  0x3f7fffff, 0x3f7ffffe, 0x00800001, 0x3f000001, // tininess / rounding
];

const boxS = (v: number): bigint => 0xffffffff00000000n | BigInt(v >>> 0);

const FP_TABLE: readonly (readonly [number, (r: Rng) => bigint])[] = [
  [30, (r) => boxS(r.pick(SINGLE_EDGES))],
  [30, (r) => r.pick(DOUBLE_EDGES)],
  [8, (r) => boxS(r.u32())],
  [8, (r) => {
    // random double with a moderate exponent, so arithmetic stays finite-ish
    const exp = BigInt(r.range(1023 - 70, 1023 + 70));
    return (BigInt(r.below(2)) << 63n) | (exp << 52n) | (r.u64() & 0xfffffffffffffn);
  }],
  [6, (r) => r.u64()],
  [4, (r) => {
    const single = BigInt(r.chance(0.5) ? r.pick(SINGLE_EDGES) : r.u32());
    // not NaN-boxed: upper half anything but all-ones
    return r.pick([0n, 0xfffffffen, 0x7fffffffn, 0xffff0000n, BigInt((r.u32() & 0xfffffffe) >>> 0)]) << 32n | single;
  }],
  [8, (r) => f64bits(r.range(-40, 40) / r.pick([1, 2, 4]))],
  [6, (r) => boxS(f32bits(r.range(-40, 40) / r.pick([1, 2, 4])))],
];

function fpValue(r: Rng): bigint {
  return r.weighted(FP_TABLE)(r);
}

const INT_TABLE: readonly (readonly [number, (r: Rng) => bigint])[] = [
  [35, (r) => r.pick(INT_EDGES)],
  [30, (r) => r.u64()],
  [15, (r) => u64(BigInt(r.range(-16, 16)))],
  [8, (r) => u64(BigInt(r.u32() | 0))],
  [7, (r) => fpValue(r)],
  [5, (r) => BigInt(r.u32())],
];

function intValue(r: Rng): bigint {
  return r.weighted(INT_TABLE)(r);
}

// ---------------------------------------------------------------------------
// Encoders. All return unsigned 32-bit numbers.

const enc = {
  r: (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
    ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0,
  i: (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
    (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0,
  s: (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
    ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0,
  b: (imm: number, rs2: number, rs1: number, f3: number): number =>
    ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
      (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0,
  u: (imm20: number, rd: number, op: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0,
  j: (imm: number, rd: number): number =>
    ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
      (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0,
  r4: (rs3: number, fmt: number, rs2: number, rs1: number, rm: number, rd: number, op: number): number =>
    ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | op) >>> 0,
};

const bit = (v: number, n: number): number => (v >> n) & 1;
const bits = (v: number, hi: number, lo: number): number => (v >> lo) & ((1 << (hi - lo + 1)) - 1);

/** One instruction: its encoding, size and objdump-style (no-aliases, numeric) text. */
export interface Piece {
  size: 2 | 4;
  bits: number;
  text: string;
}

const P4 = (b: number, text: string): Piece => ({ size: 4, bits: b >>> 0, text });
const P2 = (b: number, text: string): Piece => ({ size: 2, bits: b & 0xffff, text });
const X = (n: number): string => `x${n}`;
const F = (n: number): string => `f${n}`;
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

const RM_NAMES = ["rne", "rtz", "rdn", "rup", "rmm", "", "", "dyn"];
const rmSuffix = (rm: number): string => (rm === 7 ? "" : `,${RM_NAMES[rm]}`);
const CSR_NAMES: Record<number, string> = { 1: "fflags", 2: "frm", 3: "fcsr" };

// --- base ISA
const OP = 0x33, OP32 = 0x3b, OPIMM = 0x13, OPIMM32 = 0x1b, LOAD = 0x03, STORE = 0x23;
const LOADFP = 0x07, STOREFP = 0x27, AMO = 0x2f, OPFP = 0x53, SYSTEM = 0x73;

const I_ = {
  rtype: (name: string, f7: number, f3: number, op: number, rd: number, rs1: number, rs2: number): Piece =>
    P4(enc.r(f7, rs2, rs1, f3, rd, op), `${name}\t${X(rd)},${X(rs1)},${X(rs2)}`),
  itype: (name: string, f3: number, op: number, rd: number, rs1: number, imm: number): Piece =>
    P4(enc.i(imm, rs1, f3, rd, op), `${name}\t${X(rd)},${X(rs1)},${imm}`),
  shift: (name: string, f6: number, f3: number, op: number, rd: number, rs1: number, sh: number): Piece =>
    P4(enc.i((f6 << 6) | sh, rs1, f3, rd, op), `${name}\t${X(rd)},${X(rs1)},${hex(sh)}`),
  addi: (rd: number, rs1: number, imm: number): Piece => I_.itype("addi", 0, OPIMM, rd, rs1, imm),
  lui: (rd: number, imm20: number): Piece => P4(enc.u(imm20, rd, 0x37), `lui\t${X(rd)},${hex(imm20 & 0xfffff)}`),
  auipc: (rd: number, imm20: number): Piece =>
    P4(enc.u(imm20, rd, 0x17), `auipc\t${X(rd)},${hex(imm20 & 0xfffff)}`),
  load: (name: string, f3: number, rd: number, rs1: number, imm: number): Piece =>
    P4(enc.i(imm, rs1, f3, rd, LOAD), `${name}\t${X(rd)},${imm}(${X(rs1)})`),
  store: (name: string, f3: number, rs2: number, rs1: number, imm: number): Piece =>
    P4(enc.s(imm, rs2, rs1, f3, STORE), `${name}\t${X(rs2)},${imm}(${X(rs1)})`),
  fload: (name: string, f3: number, rd: number, rs1: number, imm: number): Piece =>
    P4(enc.i(imm, rs1, f3, rd, LOADFP), `${name}\t${F(rd)},${imm}(${X(rs1)})`),
  fstore: (name: string, f3: number, rs2: number, rs1: number, imm: number): Piece =>
    P4(enc.s(imm, rs2, rs1, f3, STOREFP), `${name}\t${F(rs2)},${imm}(${X(rs1)})`),
  slli: (rd: number, rs1: number, sh: number): Piece => I_.shift("slli", 0, 1, OPIMM, rd, rs1, sh),
  srli: (rd: number, rs1: number, sh: number): Piece => I_.shift("srli", 0, 5, OPIMM, rd, rs1, sh),
  addiw: (rd: number, rs1: number, imm: number): Piece => I_.itype("addiw", 0, OPIMM32, rd, rs1, imm),
};

// --- compressed
const creg = (r: number): number => {
  if (r < 8 || r > 15) throw new Error(`not a compressed register: x${r}`);
  return r - 8;
};

const C_ = {
  addi4spn: (rd: number, imm: number): Piece => {
    const f = (bits(imm, 5, 4) << 11) | (bits(imm, 9, 6) << 7) | (bit(imm, 2) << 6) | (bit(imm, 3) << 5);
    return P2((0 << 13) | f | (creg(rd) << 2) | 0, `c.addi4spn\t${X(rd)},x2,${imm}`);
  },
  // c.lw/c.sw style (word) and c.ld/c.sd/c.fld/c.fsd style (double) offsets
  clsW: (f3: number, name: string, rdText: string, rd: number, rs1: number, off: number): Piece =>
    P2((f3 << 13) | (bits(off, 5, 3) << 10) | (creg(rs1) << 7) | (bit(off, 2) << 6) | (bit(off, 6) << 5) |
      (creg(rd) << 2) | 0, `${name}\t${rdText},${off}(${X(rs1)})`),
  clsD: (f3: number, name: string, rdText: string, rd: number, rs1: number, off: number): Piece =>
    P2((f3 << 13) | (bits(off, 5, 3) << 10) | (creg(rs1) << 7) | (bits(off, 7, 6) << 5) | (creg(rd) << 2) | 0,
      `${name}\t${rdText},${off}(${X(rs1)})`),
  ci: (f3: number, name: string, rd: number, imm: number, immText: string): Piece =>
    P2((f3 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bits(imm, 4, 0) << 2) | 1, `${name}\t${X(rd)},${immText}`),
  addi16sp: (imm: number): Piece =>
    P2((3 << 13) | (bit(imm, 9) << 12) | (2 << 7) | (bit(imm, 4) << 6) | (bit(imm, 6) << 5) |
      (bits(imm, 8, 7) << 3) | (bit(imm, 5) << 2) | 1, `c.addi16sp\tx2,${imm}`),
  // c.srli / c.srai / c.andi
  cb2: (f2: number, name: string, rd: number, imm: number, immText: string): Piece =>
    P2((4 << 13) | (bit(imm, 5) << 12) | (f2 << 10) | (creg(rd) << 7) | (bits(imm, 4, 0) << 2) | 1,
      `${name}\t${X(rd)},${immText}`),
  ca: (w: number, f2: number, name: string, rd: number, rs2: number): Piece =>
    P2((4 << 13) | (w << 12) | (3 << 10) | (creg(rd) << 7) | (f2 << 5) | (creg(rs2) << 2) | 1,
      `${name}\t${X(rd)},${X(rs2)}`),
  j: (off: number, pc: number): Piece =>
    P2((5 << 13) | (bit(off, 11) << 12) | (bit(off, 4) << 11) | (bits(off, 9, 8) << 9) | (bit(off, 10) << 8) |
      (bit(off, 6) << 7) | (bit(off, 7) << 6) | (bits(off, 3, 1) << 3) | (bit(off, 5) << 2) | 1,
      `c.j\t${hex(pc + off)}`),
  bz: (ne: boolean, rs1: number, off: number, pc: number): Piece =>
    P2(((ne ? 7 : 6) << 13) | (bit(off, 8) << 12) | (bits(off, 4, 3) << 10) | (creg(rs1) << 7) |
      (bits(off, 7, 6) << 5) | (bits(off, 2, 1) << 3) | (bit(off, 5) << 2) | 1,
      `${ne ? "c.bnez" : "c.beqz"}\t${X(rs1)},${hex(pc + off)}`),
  slli: (rd: number, sh: number): Piece =>
    P2((0 << 13) | (bit(sh, 5) << 12) | (rd << 7) | (bits(sh, 4, 0) << 2) | 2,
      sh === 0 ? `c.slli64\t${X(rd)}` : `c.slli\t${X(rd)},${hex(sh)}`),
  // c.lwsp (f3=2), c.ldsp (3), c.fldsp (1)
  lwsp: (rd: number, off: number): Piece =>
    P2((2 << 13) | (bit(off, 5) << 12) | (rd << 7) | (bits(off, 4, 2) << 4) | (bits(off, 7, 6) << 2) | 2,
      `c.lwsp\t${X(rd)},${off}(x2)`),
  ldsp: (f3: number, name: string, rdText: string, rd: number, off: number): Piece =>
    P2((f3 << 13) | (bit(off, 5) << 12) | (rd << 7) | (bits(off, 4, 3) << 5) | (bits(off, 8, 6) << 2) | 2,
      `${name}\t${rdText},${off}(x2)`),
  swsp: (rs2: number, off: number): Piece =>
    P2((6 << 13) | (bits(off, 5, 2) << 9) | (bits(off, 7, 6) << 7) | (rs2 << 2) | 2, `c.swsp\t${X(rs2)},${off}(x2)`),
  sdsp: (f3: number, name: string, rsText: string, rs2: number, off: number): Piece =>
    P2((f3 << 13) | (bits(off, 5, 3) << 10) | (bits(off, 8, 6) << 7) | (rs2 << 2) | 2,
      `${name}\t${rsText},${off}(x2)`),
  cr: (f4: number, name: string, rd: number, rs2: number): Piece =>
    P2((4 << 13) | (f4 << 12) | (rd << 7) | (rs2 << 2) | 2,
      rs2 === 0 ? `${name}\t${X(rd)}` : `${name}\t${X(rd)},${X(rs2)}`),
  li: (rd: number, imm: number): Piece => C_.ci(2, "c.li", rd, imm, `${imm}`),
};

// ---------------------------------------------------------------------------
// Blocks and sequences.

/** A late-bound control transfer: instruction `patch` of the block is re-encoded once the target is known. */
interface Fix {
  anchor: number; // index in block of the instruction whose pc the displacement is relative to
  patch: number; // index in block of the instruction to (re)encode
  max: number; // maximum forward displacement in bytes
  enc(disp: number, patchPc: number): Piece;
}

interface Block {
  ins: Piece[];
  fix?: Fix;
  /** An intra-block forward branch whose text (absolute target) is only known after layout. */
  local?: { index: number; enc(pc: number): Piece };
}

export interface InitState {
  x: bigint[]; // 32 entries, x[0] and x[2] unused
  f: bigint[]; // 32 entries
  fcsr: number;
}

export interface Sequence {
  index: number;
  init: InitState;
  body: Piece[];
}

const INT_LOADS = [
  ["lb", 0, 1], ["lh", 1, 2], ["lw", 2, 4], ["ld", 3, 8], ["lbu", 4, 1], ["lhu", 5, 2], ["lwu", 6, 4],
] as const;
const INT_STORES = [["sb", 0, 1], ["sh", 1, 2], ["sw", 2, 4], ["sd", 3, 8]] as const;

const ALU_R = [
  ["add", 0x00, 0, OP], ["sub", 0x20, 0, OP], ["sll", 0, 1, OP], ["slt", 0, 2, OP], ["sltu", 0, 3, OP],
  ["xor", 0, 4, OP], ["srl", 0, 5, OP], ["sra", 0x20, 5, OP], ["or", 0, 6, OP], ["and", 0, 7, OP],
  ["addw", 0, 0, OP32], ["subw", 0x20, 0, OP32], ["sllw", 0, 1, OP32], ["srlw", 0, 5, OP32],
  ["sraw", 0x20, 5, OP32],
] as const;
const MUL_R = [
  ["mul", 0, OP], ["mulh", 1, OP], ["mulhsu", 2, OP], ["mulhu", 3, OP], ["div", 4, OP], ["divu", 5, OP],
  ["rem", 6, OP], ["remu", 7, OP], ["mulw", 0, OP32], ["divw", 4, OP32], ["divuw", 5, OP32],
  ["remw", 6, OP32], ["remuw", 7, OP32],
] as const;
const ALU_I = [
  ["addi", 0, OPIMM], ["slti", 2, OPIMM], ["sltiu", 3, OPIMM], ["xori", 4, OPIMM], ["ori", 6, OPIMM],
  ["andi", 7, OPIMM], ["addiw", 0, OPIMM32],
] as const;
const SHIFT_I = [
  ["slli", 0, 1, OPIMM, 63], ["srli", 0, 5, OPIMM, 63], ["srai", 0x10, 5, OPIMM, 63],
  ["slliw", 0, 1, OPIMM32, 31], ["srliw", 0, 5, OPIMM32, 31], ["sraiw", 0x10, 5, OPIMM32, 31],
] as const;
const BRANCHES = [["beq", 0], ["bne", 1], ["blt", 4], ["bge", 5], ["bltu", 6], ["bgeu", 7]] as const;
const AMOS = [
  ["amoswap", 0x01], ["amoadd", 0x00], ["amoxor", 0x04], ["amoand", 0x0c], ["amoor", 0x08],
  ["amomin", 0x10], ["amomax", 0x14], ["amominu", 0x18], ["amomaxu", 0x1c],
] as const;

const aqrl = (aq: number, rl: number): string => (aq && rl ? ".aqrl" : aq ? ".aq" : rl ? ".rl" : "");

class SeqGen {
  constructor(private readonly r: Rng) {}

  // ----- register choices
  /** Destination: never sp; x0 occasionally (architectural no-op / HINT). */
  rd(): number {
    if (this.r.chance(0.04)) return 0;
    return this.nonSp();
  }
  /** Any register 1..31 except sp. */
  nonSp(): number {
    const v = this.r.range(1, 30);
    return v >= 2 ? v + 1 : v;
  }
  /** Source: any register, x0 and sp included. */
  rs(): number {
    if (this.r.chance(0.06)) return 0;
    if (this.r.chance(0.03)) return 2;
    return this.nonSp();
  }
  cr(): number {
    return this.r.range(8, 15);
  }
  fr(): number {
    return this.r.below(32);
  }
  /**
   * Static guess of each f register's format (0 = single, 1 = double), so that
   * operands mostly match the operation's format: a double read by a .s
   * operation is (usually) not NaN-boxed and a boxed single read as a double
   * is a NaN, either way the result would be a NaN most of the time.
   */
  private fmt: number[] = new Array<number>(32).fill(1);
  /** Source f register for an operation of format d (0 = .s, 1 = .d). */
  src(d: number): number {
    if (this.r.chance(0.85)) {
      const cands: number[] = [];
      for (let i = 0; i < 32; i++) if (this.fmt[i] === d) cands.push(i);
      if (cands.length) return this.r.pick(cands);
    }
    return this.fr();
  }
  /** Destination f register written with format d. */
  dst(d: number): number {
    const f = this.fr();
    this.fmt[f] = d;
    return f;
  }
  rm(): number {
    return this.r.weighted([[3, 7], [2, 0], [1, 1], [1, 2], [1, 3], [1, 4]]);
  }

  imm12(): number {
    return this.r.weighted<() => number>([
      [3, () => this.r.pick([0, 1, -1, 2047, -2048, 2, -2, 0x7f, 0x80, 0x3ff, -0x400])],
      [5, () => this.r.range(-2048, 2047)],
      [3, () => this.r.range(-32, 32)],
    ])();
  }

  /** Materialises an interesting integer in register rd (rd must not be x0/sp). */
  edge(rd: number): Piece[] {
    const c = rd >= 8 && rd <= 15 && this.r.chance(0.5);
    const small = (k: number): Piece => (k >= -32 && k < 32 && this.r.chance(0.5) ? C_.li(rd, k) : I_.addi(rd, 0, k));
    const shl = (k: number): Piece => (this.r.chance(0.5) ? C_.slli(rd, k) : I_.slli(rd, rd, k));
    const shr = (k: number): Piece =>
      c ? C_.cb2(0, "c.srli", rd, k, hex(k)) : I_.srli(rd, rd, k);
    return this.r.weighted<() => Piece[]>([
      [3, () => [small(0)]],
      [3, () => [small(-1)]],
      [3, () => [small(1)]],
      [1, () => [small(this.r.range(-32, 31))]],
      [1, () => [small(this.r.pick([31, 32, 63, -32, 2, -2]))]],
      [1, () => [I_.addi(rd, 0, this.r.pick([64, 127, 2047, -2048]))]],
      [3, () => [I_.lui(rd, 0x80000)]], // INT32_MIN
      [2, () => [I_.lui(rd, 0x80000), I_.addiw(rd, rd, -1)]], // INT32_MAX
      [2, () => [small(1), shl(31)]], // 2^31
      [2, () => [small(-1), shr(32)]], // 0xffffffff
      [3, () => [small(this.r.chance(0.5) ? 1 : -1), shl(63)]], // INT64_MIN
      [2, () => [small(-1), shr(1)]], // INT64_MAX
      [1, () => [this.r.chance(0.5) ? C_.ci(3, "c.lui", rd, 0x20, "0xfffe0") : I_.lui(rd, 0xfffff)]],
    ])();
  }

  /** Picks an offset into scratch for an access of `size` bytes. */
  addr(size: number, misalign = 0): number {
    if (misalign > 0 && size > 1 && this.r.chance(misalign)) return this.r.range(0, SCRATCH_BYTES - size);
    const hot = this.r.chance(0.3); // concentrate some accesses so stores/loads overlap
    const lim = hot ? 256 : SCRATCH_BYTES;
    const base = hot ? SP_OFF - 128 : 0;
    return base + size * this.r.below(lim / size);
  }

  /**
   * Base register and 12-bit displacement reaching scratch offset `a`;
   * may prepend an instruction that computes a temporary base from sp.
   */
  base12(a: number, avoid: number[] = []): { pre: Piece[]; base: number; imm: number } {
    const want = a - SP_OFF;
    const pickTmp = (c: boolean): number => {
      for (;;) {
        const t = c ? this.cr() : this.nonSp();
        if (!avoid.includes(t)) return t;
      }
    };
    return this.r.weighted<() => { pre: Piece[]; base: number; imm: number }>([
      [45, () => ({ pre: [], base: 2, imm: want })],
      [30, () => {
        const t = pickTmp(false);
        const imm = this.r.range(Math.max(-2048, want - 2047), Math.min(2047, want + 2048));
        return { pre: [I_.addi(t, 2, want - imm)], base: t, imm };
      }],
      [a >= 4 ? 15 : 0, () => {
        const t = pickTmp(true);
        const k = 4 * this.r.range(1, Math.min(255, Math.floor(a / 4)));
        return { pre: [C_.addi4spn(t, k)], base: t, imm: want - k };
      }],
      [10, () => {
        const t = pickTmp(false);
        return { pre: [C_.cr(0, "c.mv", t, 2)], base: t, imm: want };
      }],
    ])();
  }

  /** A temporary register holding exactly scratch offset `a` (for AMOs / LR / SC). */
  exactBase(a: number, avoid: number[] = []): { pre: Piece[]; base: number } {
    if (a === SP_OFF && this.r.chance(0.5)) return { pre: [], base: 2 };
    let t: number;
    const k = a - SP_OFF;
    const c = k > 0 && k <= 1020 && k % 4 === 0 && this.r.chance(0.4);
    do t = c ? this.cr() : this.nonSp();
    while (avoid.includes(t));
    return { pre: [c ? C_.addi4spn(t, k) : I_.addi(t, 2, k)], base: t };
  }

  // ----- block generators
  aluR(): Block {
    const [name, f7, f3, op] = this.r.pick(ALU_R);
    const rd = this.rd(), rs1 = this.rs(), rs2 = this.rs();
    const pre = rs2 !== 0 && rs2 !== 2 && this.r.chance(0.2) ? this.edge(rs2) : [];
    return { ins: [...pre, I_.rtype(name, f7, f3, op, rd, rs1, rs2)] };
  }

  aluI(): Block {
    if (this.r.chance(0.4)) {
      const [name, f6, f3, op, max] = this.r.pick(SHIFT_I);
      const sh = this.r.chance(0.5) ? this.r.pick([0, 1, max, max - 1, 31, 32 & max, 16]) : this.r.range(0, max);
      return { ins: [I_.shift(name, f6, f3, op, this.rd(), this.rs(), sh)] };
    }
    const [name, f3, op] = this.r.pick(ALU_I);
    return { ins: [I_.itype(name, f3, op, this.rd(), this.rs(), this.imm12())] };
  }

  upper(): Block {
    const imm = this.r.chance(0.5) ? this.r.pick([0, 0x80000, 0xfffff, 0x7ffff, 1, 0x80001]) : this.r.u32() & 0xfffff;
    return { ins: [this.r.chance(0.6) ? I_.lui(this.rd(), imm) : I_.auipc(this.rd(), imm)] };
  }

  mul(): Block {
    const [name, f3, op] = this.r.pick(MUL_R);
    const rd = this.rd();
    let rs1 = this.rs(), rs2 = this.rs();
    const pre: Piece[] = [];
    const w = op === OP32;
    if (this.r.chance(0.08)) {
      // signed-overflow division: INT_MIN / -1
      rs1 = this.nonSp();
      do rs2 = this.nonSp();
      while (rs2 === rs1);
      pre.push(w ? I_.lui(rs1, 0x80000) : I_.addi(rs1, 0, 1), ...(w ? [] : [I_.slli(rs1, rs1, 63)]));
      pre.push(I_.addi(rs2, 0, -1));
    } else if (this.r.chance(0.06)) {
      rs2 = 0; // divide by zero
    } else {
      if (rs1 !== 0 && rs1 !== 2 && this.r.chance(0.35)) pre.push(...this.edge(rs1));
      if (rs2 !== 0 && rs2 !== 2 && rs2 !== rs1 && this.r.chance(0.35)) pre.push(...this.edge(rs2));
    }
    return { ins: [...pre, I_.rtype(name, 1, f3, op, rd, rs1, rs2)] };
  }

  load(): Block {
    const [name, f3, size] = this.r.pick(INT_LOADS);
    const a = this.addr(size, 0.05);
    const m = this.base12(a);
    return { ins: [...m.pre, I_.load(name, f3, this.rd(), m.base, m.imm)] };
  }

  store(): Block {
    const [name, f3, size] = this.r.pick(INT_STORES);
    const a = this.addr(size, 0.05);
    const m = this.base12(a);
    return { ins: [...m.pre, I_.store(name, f3, this.rs(), m.base, m.imm)] };
  }

  fpLoadStore(): Block {
    const d = this.r.chance(0.5);
    const size = d ? 8 : 4;
    const a = this.addr(size, 0.03);
    const m = this.base12(a);
    const f = this.r.chance(0.5) ? this.dst(size >> 3) : -1;
    if (f >= 0) return { ins: [...m.pre, I_.fload(d ? "fld" : "flw", d ? 3 : 2, f, m.base, m.imm)] };
    return { ins: [...m.pre, I_.fstore(d ? "fsd" : "fsw", d ? 3 : 2, this.src(size >> 3), m.base, m.imm)] };
  }

  branch(): Block {
    const [name, f3] = this.r.pick(BRANCHES);
    const rs1 = this.rs();
    const rs2 = this.r.chance(0.15) ? rs1 : this.r.chance(0.15) ? 0 : this.rs();
    const mk = (disp: number, pc: number): Piece =>
      P4(enc.b(disp, rs2, rs1, f3), `${name}\t${X(rs1)},${X(rs2)},${hex(pc + disp)}`);
    return { ins: [mk(4, 0)], fix: { anchor: 0, patch: 0, max: 4094, enc: mk } };
  }

  jump(): Block {
    const kind = this.r.below(3);
    if (kind === 0) {
      const rd = this.r.weighted([[3, 0], [3, 1], [4, this.nonSp()]]);
      const mk = (disp: number, pc: number): Piece => P4(enc.j(disp, rd), `jal\t${X(rd)},${hex(pc + disp)}`);
      return { ins: [mk(4, 0)], fix: { anchor: 0, patch: 0, max: 4094, enc: mk } };
    }
    // auipc t,0 ; jalr rd, disp(t)  -- odd displacements check that bit 0 is cleared
    const t = this.nonSp();
    const rd = this.r.weighted([[2, 0], [2, 1], [2, t], [4, this.nonSp()]]);
    const odd = this.r.chance(0.3) ? 1 : 0;
    const mk = (disp: number): Piece =>
      P4(enc.i(disp + odd, t, 0, rd, 0x67), `jalr\t${X(rd)},${disp + odd}(${X(t)})`);
    return { ins: [I_.auipc(t, 0), mk(8)], fix: { anchor: 0, patch: 1, max: 2046, enc: mk } };
  }

  amo(): Block {
    const [name, f5] = this.r.pick(AMOS);
    const d = this.r.chance(0.5);
    const size = d ? 8 : 4;
    const a = this.addr(size);
    const m = this.exactBase(a);
    const aq = this.r.below(2), rl = this.r.below(2);
    const rd = this.rd(), rs2 = this.rs();
    const b = enc.r((f5 << 2) | (aq << 1) | rl, rs2, m.base, d ? 3 : 2, rd, AMO);
    return { ins: [...m.pre, P4(b, `${name}.${d ? "d" : "w"}${aqrl(aq, rl)}\t${X(rd)},${X(rs2)},(${X(m.base)})`)] };
  }

  lrsc(): Block {
    const d = this.r.chance(0.5);
    const size = d ? 8 : 4;
    const w = d ? "d" : "w";
    const f3 = d ? 3 : 2;
    const lr = (rd: number, base: number): Piece => {
      const aq = this.r.below(2), rl = this.r.chance(0.2) ? 1 : 0;
      return P4(enc.r((0x02 << 2) | (aq << 1) | rl, 0, base, f3, rd, AMO), `lr.${w}${aqrl(aq, rl)}\t${X(rd)},(${X(base)})`);
    };
    const sc = (rd: number, rs2: number, base: number): Piece => {
      const aq = this.r.chance(0.2) ? 1 : 0, rl = this.r.below(2);
      return P4(enc.r((0x03 << 2) | (aq << 1) | rl, rs2, base, f3, rd, AMO),
        `sc.${w}${aqrl(aq, rl)}\t${X(rd)},${X(rs2)},(${X(base)})`);
    };
    const mode = this.r.weighted([[5, "ok"], [2, "other"], [2, "none"]] as const);
    const a = this.addr(size);
    if (mode === "none") {
      // SC with no reservation held: every LR in a sequence is followed by an SC in the same block
      const m = this.exactBase(a);
      return { ins: [...m.pre, sc(this.rd(), this.rs(), m.base)] };
    }
    const m = this.exactBase(a);
    if (mode === "ok") return this.lrscRetry(m, lr, sc);
    const ins = [...m.pre];
    let lrd: number;
    do lrd = this.rd();
    while (lrd === m.base);
    ins.push(lr(lrd, m.base));
    // SC to an address in a different 256-byte granule than the reservation: must fail
    let b: number;
    do b = this.addr(size);
    while (Math.floor(b / 256) === Math.floor(a / 256));
    const m2 = this.exactBase(b, [m.base]);
    ins.push(...m2.pre);
    const scBase = m2.base;
    // a few register-only instructions between LR and SC (allowed in a constrained LR/SC loop)
    const n = this.r.below(3);
    for (let i = 0; i < n; i++) {
      let rd: number;
      do rd = this.rd();
      while (rd === m.base || rd === scBase);
      const [name, f7, f3_, op] = this.r.pick(ALU_R);
      ins.push(I_.rtype(name, f7, f3_, op, rd, this.rs(), this.rs()));
    }
    ins.push(sc(this.rd(), this.rs(), scBase));
    return { ins };
  }

  /**
   * An LR/SC pair that should succeed. The architecture allows an SC to fail
   * spuriously (e.g. when the reservation is dropped at a timer tick, as
   * Linux does on every return to user mode), so the attempt is unrolled
   * twice: "lr; alu*; sc; beqz status, done; lr; alu*; sc; done:". An attempt
   * never writes a register it reads before writing (its live-ins), so a
   * retry recomputes exactly the same values and the final state is the same
   * whether the first or the second SC succeeds.
   */
  lrscRetry(m: { pre: Piece[]; base: number }, lr: (rd: number, base: number) => Piece,
    sc: (rd: number, rs2: number, base: number) => Piece): Block {
    const liveIn = new Set<number>([0, 2, m.base]);
    const written = new Set<number>();
    const use = (r: number): number => {
      if (!written.has(r)) liveIn.add(r);
      return r;
    };
    const def = (): number => {
      let rd: number;
      do rd = this.rd();
      while (rd !== 0 && liveIn.has(rd));
      written.add(rd);
      return rd;
    };
    const attempt: Piece[] = [lr(def(), m.base)];
    const n = this.r.below(3);
    for (let i = 0; i < n; i++) {
      const [name, f7, f3, op] = this.r.pick(ALU_R);
      const rs1 = use(this.rs()), rs2 = use(this.rs());
      attempt.push(I_.rtype(name, f7, f3, op, def(), rs1, rs2));
    }
    const rs2 = use(this.rs());
    let status: number;
    do status = def();
    while (status === 0);
    attempt.push(sc(status, rs2, m.base));
    let size = 0;
    for (const p of attempt) size += p.size;
    const compressed = status >= 8 && status <= 15 && this.r.chance(0.5);
    // displacement from the branch to the end of the block (after the second attempt)
    const disp = (compressed ? 2 : 4) + size;
    const mk = (pc: number): Piece =>
      compressed ? C_.bz(false, status, disp, pc) : P4(enc.b(disp, 0, status, 0), `beq\t${X(status)},x0,${hex(pc + disp)}`);
    return { ins: [...m.pre, ...attempt, mk(0), ...attempt], local: { index: m.pre.length + attempt.length, enc: mk } };
  }

  fence(): Block {
    if (this.r.chance(0.25)) return { ins: [P4(0x0000100f, "fence.i")] };
    if (this.r.chance(0.15)) return { ins: [P4(0x8330000f, "fence.tso")] };
    const set = (v: number): string => [3, 2, 1, 0].filter((b) => (v >> b) & 1).map((b) => "iorw"[3 - b]).join("");
    const pred = this.r.range(1, 15), succ = this.r.range(1, 15);
    return { ins: [P4((pred << 24) | (succ << 20) | 0x0f, `fence\t${set(pred)},${set(succ)}`)] };
  }

  // ----- floating point
  fpArith(): Block {
    const d = this.r.below(2);
    const s = d ? "d" : "s";
    const rs1 = this.src(d), rs2 = this.src(d), rd = this.dst(d), rm = this.rm();
    const k = this.r.weighted([[4, 0], [3, 1], [5, 2], [4, 3], [3, 4]]);
    if (k === 4) {
      return { ins: [P4(enc.r(0x2c | d, 0, rs1, rm, rd, OPFP), `fsqrt.${s}\t${F(rd)},${F(rs1)}${rmSuffix(rm)}`)] };
    }
    const name = ["fadd", "fsub", "fmul", "fdiv"][k]!;
    return {
      ins: [P4(enc.r((k << 2) | d, rs2, rs1, rm, rd, OPFP), `${name}.${s}\t${F(rd)},${F(rs1)},${F(rs2)}${rmSuffix(rm)}`)],
    };
  }

  fpFma(): Block {
    const d = this.r.below(2);
    const k = this.r.below(4);
    const name = ["fmadd", "fmsub", "fnmsub", "fnmadd"][k]!;
    const rs1 = this.src(d), rs2 = this.src(d), rs3 = this.src(d), rd = this.dst(d), rm = this.rm();
    return {
      ins: [P4(enc.r4(rs3, d, rs2, rs1, rm, rd, 0x43 + 4 * k),
        `${name}.${d ? "d" : "s"}\t${F(rd)},${F(rs1)},${F(rs2)},${F(rs3)}${rmSuffix(rm)}`)],
    };
  }

  fpMisc(): Block {
    const d = this.r.below(2);
    const s = d ? "d" : "s";
    const k = this.r.weighted([[3, "sgnj"], [3, "minmax"], [3, "cmp"], [2, "class"]] as const);
    if (k === "sgnj") {
      const f3 = this.r.below(3);
      const rs1 = this.src(d), rs2 = this.r.chance(0.25) ? rs1 : this.src(d), rd = this.dst(d);
      return {
        ins: [P4(enc.r(0x10 | d, rs2, rs1, f3, rd, OPFP), `${["fsgnj", "fsgnjn", "fsgnjx"][f3]}.${s}\t${F(rd)},${F(rs1)},${F(rs2)}`)],
      };
    }
    if (k === "minmax") {
      const f3 = this.r.below(2);
      const rs1 = this.src(d), rs2 = this.src(d), rd = this.dst(d);
      return { ins: [P4(enc.r(0x14 | d, rs2, rs1, f3, rd, OPFP), `${f3 ? "fmax" : "fmin"}.${s}\t${F(rd)},${F(rs1)},${F(rs2)}`)] };
    }
    if (k === "cmp") {
      const f3 = this.r.range(0, 2);
      const rd = this.rd(), rs1 = this.src(d), rs2 = this.r.chance(0.2) ? rs1 : this.src(d);
      return { ins: [P4(enc.r(0x50 | d, rs2, rs1, f3, rd, OPFP), `${["fle", "flt", "feq"][f3]}.${s}\t${X(rd)},${F(rs1)},${F(rs2)}`)] };
    }
    const rd = this.rd(), rs1 = this.src(d);
    return { ins: [P4(enc.r(0x70 | d, 0, rs1, 1, rd, OPFP), `fclass.${s}\t${X(rd)},${F(rs1)}`)] };
  }

  fpCvt(): Block {
    const d = this.r.below(2);
    const s = d ? "d" : "s";
    const ints = ["w", "wu", "l", "lu"];
    const k = this.r.weighted([[4, "f2i"], [4, "i2f"], [2, "f2f"]] as const);
    const rm = this.rm();
    if (k === "f2i") {
      const t = this.r.below(4);
      const rd = this.rd(), rs1 = this.src(d);
      return { ins: [P4(enc.r(0x60 | d, t, rs1, rm, rd, OPFP), `fcvt.${ints[t]}.${s}\t${X(rd)},${F(rs1)}${rmSuffix(rm)}`)] };
    }
    if (k === "i2f") {
      const t = this.r.below(4);
      const rd = this.dst(d), rs1 = this.rs();
      const pre = rs1 !== 0 && rs1 !== 2 && this.r.chance(0.35) ? this.edge(rs1) : [];
      // fcvt.d.w / fcvt.d.wu are exact: objdump prints no rounding mode (and rejects rm != rne)
      const exact = d === 1 && t < 2;
      const txt = exact ? (rm === 0 ? "" : "?") : rmSuffix(rm);
      return { ins: [...pre, P4(enc.r(0x68 | d, t, rs1, rm, rd, OPFP), `fcvt.${s}.${ints[t]}\t${F(rd)},${X(rs1)}${txt}`)] };
    }
    const rs1 = this.src(d ^ 1), rd = this.dst(d);
    if (d) {
      // fcvt.d.s is exact; the rm field is still decoded (any legal value)
      const rm2 = this.r.chance(0.7) ? 0 : rm;
      return { ins: [P4(enc.r(0x21, 0, rs1, rm2, rd, OPFP), `fcvt.d.s\t${F(rd)},${F(rs1)}${rm2 === 0 ? "" : "?"}`)] };
    }
    return { ins: [P4(enc.r(0x20, 1, rs1, rm, rd, OPFP), `fcvt.s.d\t${F(rd)},${F(rs1)}${rmSuffix(rm)}`)] };
  }

  fpMove(): Block {
    const d = this.r.below(2);
    if (this.r.chance(0.5)) {
      const rd = this.rd(), rs1 = this.src(d);
      return { ins: [P4(enc.r(0x70 | d, 0, rs1, 0, rd, OPFP), `fmv.x.${d ? "d" : "w"}\t${X(rd)},${F(rs1)}`)] };
    }
    const rd = this.dst(d), rs1 = this.rs();
    const pre = rs1 !== 0 && rs1 !== 2 && this.r.chance(0.2) ? this.edge(rs1) : [];
    return { ins: [...pre, P4(enc.r(0x78 | d, 0, rs1, 0, rd, OPFP), `fmv.${d ? "d" : "w"}.x\t${F(rd)},${X(rs1)}`)] };
  }

  /** CSR accesses to fflags/frm/fcsr. Written values keep frm in 0..4 and reserved bits clear. */
  csr(): Block {
    const csr = this.r.pick([1, 2, 3]);
    const name = CSR_NAMES[csr]!;
    const valid = (): number =>
      csr === 1 ? this.r.below(32) : csr === 2 ? this.r.below(5) : (this.r.below(5) << 5) | this.r.below(32);
    const rd = this.rd();
    const reg = (f3: number, rs1: number): Piece =>
      P4(enc.i(csr, rs1, f3, rd, SYSTEM), `${["", "csrrw", "csrrs", "csrrc"][f3]}\t${X(rd)},${name},${X(rs1)}`);
    const imm = (f3: number, u: number): Piece =>
      P4(enc.i(csr, u, f3, rd, SYSTEM), `${["", "", "", "", "", "csrrwi", "csrrsi", "csrrci"][f3]}\t${X(rd)},${name},${u}`);
    const kind = this.r.below(7);
    const ins: Piece[] = [];
    switch (kind) {
      case 0: ins.push(reg(2, 0)); break; // read
      case 1: { // csrrw with a valid value
        const t = this.nonSp();
        ins.push(I_.addi(t, 0, valid()), reg(1, t));
        break;
      }
      case 2: ins.push(imm(5, csr === 2 ? this.r.below(5) : this.r.below(32))); break;
      case 3: { // csrrs: only flag bits (or nothing for frm)
        const t = this.nonSp();
        ins.push(I_.addi(t, 0, csr === 2 ? 0 : this.r.below(32)), reg(2, t));
        break;
      }
      case 4: ins.push(imm(6, csr === 2 ? 0 : this.r.below(32))); break;
      case 5: ins.push(reg(3, this.rs())); break; // clearing bits can never make a state invalid
      default: ins.push(imm(7, this.r.below(32))); break;
    }
    // often follow a rounding-mode change by a dynamic-rounding operation
    if (csr !== 1 && this.r.chance(0.6)) {
      const b = this.r.chance(0.5) ? this.fpArith() : this.fpCvt();
      ins.push(...b.ins);
    }
    return { ins };
  }

  // ----- compressed
  cAlu(): Block {
    const r = this.r;
    const rd = this.nonSp();
    const c = this.cr();
    const k = r.below(16);
    const imm6 = (): number => (r.chance(0.3) ? r.pick([-32, 31, -1, 1]) : r.range(-32, 31));
    const nz6 = (): number => {
      let v: number;
      do v = imm6();
      while (v === 0);
      return v;
    };
    const sh = (): number => (r.chance(0.5) ? r.pick([1, 31, 32, 63]) : r.range(1, 63));
    switch (k) {
      case 0: { const v = nz6(); return { ins: [C_.ci(0, "c.addi", rd, v, `${v}`)] }; }
      case 1: { const v = imm6(); return { ins: [C_.ci(1, "c.addiw", rd, v, `${v}`)] }; }
      case 2: return { ins: [C_.li(rd, imm6())] };
      case 3: {
        const v = nz6();
        return { ins: [C_.ci(3, "c.lui", rd, v, hex(v & 0xfffff))] };
      }
      case 4: { const s = sh(); return { ins: [C_.cb2(0, "c.srli", c, s, hex(s))] }; }
      case 5: { const s = sh(); return { ins: [C_.cb2(1, "c.srai", c, s, hex(s))] }; }
      case 6: { const v = imm6(); return { ins: [C_.cb2(2, "c.andi", c, v, `${v}`)] }; }
      case 7: {
        const [w, f2, name] = r.pick([[0, 0, "c.sub"], [0, 1, "c.xor"], [0, 2, "c.or"], [0, 3, "c.and"],
          [1, 0, "c.subw"], [1, 1, "c.addw"]] as const);
        return { ins: [C_.ca(w, f2, name, c, this.cr())] };
      }
      case 8: case 9: {
        const [w, f2, name] = r.pick([[1, 0, "c.subw"], [1, 1, "c.addw"], [0, 0, "c.sub"]] as const);
        const rs2 = this.cr();
        const pre = r.chance(0.5) ? this.edge(rs2) : [];
        return { ins: [...pre, C_.ca(w, f2, name, c, rs2)] };
      }
      case 10: return { ins: [C_.slli(rd, sh())] };
      case 11: { let s: number; do s = this.rs(); while (s === 0); return { ins: [C_.cr(0, "c.mv", rd, s)] }; }
      case 12: { let s: number; do s = this.rs(); while (s === 0); return { ins: [C_.cr(1, "c.add", rd, s)] }; }
      case 13: return { ins: [P2(0x0001, "c.addi\tx0,0")] }; // c.nop
      case 14: return this.cHint();
      default: { const v = this.r.range(-32, 31); return { ins: [C_.ci(1, "c.addiw", rd, v, `${v}`)] }; }
    }
  }

  /** Compressed HINT encodings (must execute as no-ops). */
  cHint(): Block {
    const r = this.r;
    const k = r.below(6);
    const rd = this.nonSp();
    switch (k) {
      case 0: { const v = r.range(1, 31); return { ins: [C_.ci(0, "c.addi", 0, v, `${v}`)] }; } // c.nop with imm
      case 1: return { ins: [C_.ci(0, "c.addi", rd, 0, "0")] }; // c.addi rd, 0
      case 2: return { ins: [C_.li(0, r.range(-32, 31))] };
      case 3: return { ins: [C_.cr(0, "c.mv", 0, this.nonSp())] };
      case 4: return { ins: [C_.cr(1, "c.add", 0, this.nonSp())] };
      default: return { ins: [C_.slli(r.chance(0.5) ? 0 : rd, r.chance(0.5) ? 0 : r.range(1, 63))] };
    }
  }

  cMem(): Block {
    const r = this.r;
    const k = r.below(6);
    const [f3, name, w, isF, isStore] = ([
      [2, "c.lw", 4, false, false], [3, "c.ld", 8, false, false], [1, "c.fld", 8, true, false],
      [6, "c.sw", 4, false, true], [7, "c.sd", 8, false, true], [5, "c.fsd", 8, true, true],
    ] as const)[k]!;
    const a = this.addr(w);
    const maxOff = 31 * w;
    const off = w * r.below(Math.min(maxOff, a) / w + 1);
    const kk = a - SP_OFF - off;
    const base = this.cr();
    const pre = kk > 0 && kk <= 1020 && kk % 4 === 0 && r.chance(0.6) ? C_.addi4spn(base, kk) : I_.addi(base, 2, kk);
    const reg = this.cr();
    if (isF && !isStore) this.fmt[reg] = 1;
    const txt = isF ? F(reg) : X(reg);
    const p = w === 4 ? C_.clsW(f3, name, txt, reg, base, off) : C_.clsD(f3, name, txt, reg, base, off);
    return { ins: [pre, p] };
  }

  /** sp-relative compressed loads/stores, optionally inside a c.addi16sp pair. */
  cSp(): Block {
    const r = this.r;
    let adj = 0;
    const ins: Piece[] = [];
    if (r.chance(0.4)) {
      do adj = 16 * r.range(-31, 31);
      while (adj === 0);
      ins.push(C_.addi16sp(adj));
    }
    const n = adj ? r.range(1, 3) : 1;
    for (let i = 0; i < n; i++) {
      const k = r.below(adj ? 9 : 6);
      switch (k) {
        case 0: ins.push(C_.lwsp(this.nonSp(), 4 * r.below(64))); break;
        case 1: { const rd = this.nonSp(); ins.push(C_.ldsp(3, "c.ldsp", X(rd), rd, 8 * r.below(64))); break; }
        case 2: { const f = this.dst(1); ins.push(C_.ldsp(1, "c.fldsp", F(f), f, 8 * r.below(64))); break; }
        case 3: ins.push(C_.swsp(this.rs(), 4 * r.below(64))); break;
        case 4: { const s = this.rs(); ins.push(C_.sdsp(7, "c.sdsp", X(s), s, 8 * r.below(64))); break; }
        case 5: { const f = this.src(1); ins.push(C_.sdsp(5, "c.fsdsp", F(f), f, 8 * r.below(64))); break; }
        case 6: { // plain load relative to the adjusted sp
          const [name, f3, size] = r.pick(INT_LOADS);
          const lo = Math.max(0, adj), hi = Math.min(SCRATCH_BYTES - size, SP_OFF + adj + 2047);
          const a = size * r.range(Math.ceil(lo / size), Math.floor(hi / size));
          ins.push(I_.load(name, f3, this.rd(), 2, a - SP_OFF - adj));
          break;
        }
        case 7: { // read the adjusted sp
          const rd = this.nonSp();
          ins.push(r.chance(0.5) ? C_.cr(0, "c.mv", rd, 2) : C_.addi4spn(this.cr(), 4 * r.range(1, 255)));
          break;
        }
        default: { // c.addi4spn from the adjusted sp, then a compressed access through it
          const b = this.cr();
          const k4 = 8 * r.range(1, 127);
          ins.push(C_.addi4spn(b, k4));
          const lim = Math.min(31, Math.floor((SCRATCH_BYTES - 8 - (SP_OFF + adj + k4)) / 8));
          const off = 8 * r.below(lim + 1);
          const rg = this.cr();
          ins.push(r.chance(0.5) ? C_.clsD(3, "c.ld", X(rg), rg, b, off) : C_.clsD(7, "c.sd", X(rg), rg, b, off));
        }
      }
    }
    if (adj) ins.push(C_.addi16sp(-adj));
    return { ins };
  }

  cCtrl(): Block {
    const r = this.r;
    const k = r.below(4);
    if (k === 0) {
      const mk = (disp: number, pc: number): Piece => C_.j(disp, pc);
      return { ins: [mk(2, 0)], fix: { anchor: 0, patch: 0, max: 2046, enc: mk } };
    }
    if (k === 1) {
      const ne = r.chance(0.5);
      const rs1 = this.cr();
      const pre = r.chance(0.3) ? [C_.li(rs1, r.chance(0.5) ? 0 : 1)] : [];
      const mk = (disp: number, pc: number): Piece => C_.bz(ne, rs1, disp, pc);
      return { ins: [...pre, mk(2, 0)], fix: { anchor: pre.length, patch: pre.length, max: 254, enc: mk } };
    }
    // auipc t,0 ; addi t,t,disp ; c.jr t / c.jalr t   (t may be ra for c.jalr)
    const jalr = k === 3;
    const t = jalr && r.chance(0.3) ? 1 : this.nonSp();
    const odd = r.chance(0.3) ? 1 : 0;
    const mk = (disp: number): Piece => I_.addi(t, t, disp + odd);
    return {
      ins: [I_.auipc(t, 0), mk(10), C_.cr(jalr ? 1 : 0, jalr ? "c.jalr" : "c.jr", t, 0)],
      fix: { anchor: 0, patch: 1, max: 2046, enc: mk },
    };
  }

  block(): Block {
    return this.r.weighted(BLOCK_TABLE)(this);
  }

  init(): InitState {
    const x: bigint[] = [];
    const f: bigint[] = [];
    for (let i = 0; i < 32; i++) x.push(i === 0 || i === 2 ? 0n : intValue(this.r));
    // a few duplicated values so that equality comparisons are sometimes true
    for (let i = 0; i < 3; i++) {
      const a = this.nonSp(), b = this.nonSp();
      x[a] = x[b]!;
    }
    for (let i = 0; i < 32; i++) f.push(fpValue(this.r));
    for (let i = 0; i < 2; i++) f[this.fr()] = f[this.fr()]!;
    for (let i = 0; i < 32; i++) this.fmt[i] = f[i]! >> 32n === 0xffffffffn ? 0 : 1;
    const fcsr = (this.r.below(5) << 5) | (this.r.chance(0.6) ? 0 : this.r.below(32));
    return { x, f, fcsr };
  }

  sequence(minLen: number, maxLen: number): Piece[] {
    const target = this.r.range(minLen, maxLen);
    const blocks: Block[] = [];
    let n = 0;
    while (n < target) {
      const b = this.block();
      blocks.push(b);
      n += b.ins.length;
    }
    // layout
    const start: number[] = [];
    let pc = 0;
    for (const b of blocks) {
      start.push(pc);
      for (const p of b.ins) pc += p.size;
    }
    start.push(pc);
    const pcOf = (bi: number, ii: number): number => {
      let p = start[bi]!;
      for (let k = 0; k < ii; k++) p += blocks[bi]!.ins[k]!.size;
      return p;
    };
    // resolve forward control transfers
    blocks.forEach((b, bi) => {
      if (b.local) b.ins[b.local.index] = b.local.enc(pcOf(bi, b.local.index));
      const fix = b.fix;
      if (!fix) return;
      const from = pcOf(bi, fix.anchor);
      const cands: number[] = [];
      for (let j = bi + 1; j <= blocks.length; j++) {
        const disp = start[j]! - from;
        if (disp > fix.max) break;
        cands.push(j);
      }
      if (cands.length === 0) throw new Error("no branch target in range");
      const last = cands[cands.length - 1]!;
      const j = this.r.weighted<() => number>([
        [6, () => cands[Math.min(this.r.below(3), cands.length - 1)]!],
        [3, () => this.r.pick(cands)],
        [1, () => last],
      ])();
      b.ins[fix.patch] = fix.enc(start[j]! - from, pcOf(bi, fix.patch));
    });
    return blocks.flatMap((b) => b.ins);
  }
}

const BLOCK_TABLE: readonly (readonly [number, (g: SeqGen) => Block])[] = [
  [10, (g) => g.aluR()],
  [10, (g) => g.aluI()],
  [3, (g) => g.upper()],
  [10, (g) => g.mul()],
  [6, (g) => g.load()],
  [5, (g) => g.store()],
  [5, (g) => g.branch()],
  [3, (g) => g.jump()],
  [5, (g) => g.amo()],
  [3, (g) => g.lrsc()],
  [6, (g) => g.fpArith()],
  [4, (g) => g.fpFma()],
  [6, (g) => g.fpMisc()],
  [6, (g) => g.fpCvt()],
  [2, (g) => g.fpMove()],
  [4, (g) => g.fpLoadStore()],
  [3, (g) => g.csr()],
  [8, (g) => g.cAlu()],
  [4, (g) => g.cMem()],
  [4, (g) => g.cSp()],
  [3, (g) => g.cCtrl()],
  [0.5, (g) => g.fence()],
];

export interface GenOptions {
  minLen?: number;
  maxLen?: number;
  // Runs each sequence this many times from the same initial state (only the
  // last run is dumped, so the output is the same): code that runs more than
  // once is what a JIT with a hotness threshold above 1 translates.
  repeat?: number;
}

export function generateSequence(seed: number, index: number, opts: GenOptions = {}): Sequence {
  const [lo, hi] = seedKeys(seed);
  const r = new Rng(GEN_VERSION, lo, hi, index >>> 0, Math.floor(index / 4294967296));
  const g = new SeqGen(r);
  const init = g.init();
  const body = g.sequence(opts.minLen ?? 20, opts.maxLen ?? 60);
  return { index, init, body };
}

/** Initial contents of the scratch region, shared by all sequences of a seed. */
export function scratchInit(seed: number): Uint8Array {
  const [lo, hi] = seedKeys(seed);
  const r = new Rng(GEN_VERSION, lo, hi, 0x5c7a7c, 0xffffffff);
  const out = new Uint8Array(SCRATCH_BYTES);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < SCRATCH_BYTES; i += 8) {
    const v = r.weighted<() => bigint>([
      [4, () => r.u64()],
      [2, () => r.pick(INT_EDGES)],
      [3, () => fpValue(r)],
      [1, () => (BigInt(r.pick(SINGLE_EDGES)) << 32n) | BigInt(r.pick(SINGLE_EDGES))],
    ])();
    dv.setBigUint64(i, v, true);
  }
  return out;
}

export function bodyBytes(body: readonly Piece[]): Uint8Array {
  let n = 0;
  for (const p of body) n += p.size;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of body) {
    out[o++] = p.bits & 0xff;
    out[o++] = (p.bits >>> 8) & 0xff;
    if (p.size === 4) {
      out[o++] = (p.bits >>> 16) & 0xff;
      out[o++] = (p.bits >>> 24) & 0xff;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Harness program.

const hx64 = (v: bigint): string => {
  if (v < 0n || v > M64) throw new Error(`value out of range: ${v}`);
  return `0x${v.toString(16).padStart(16, "0")}`;
};
const ABI = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];
export const xName = (i: number): string => `x${i}(${ABI[i]})`;

export interface Batch {
  seed: number;
  start: number;
  seqs: Sequence[];
  asm: string;
}

/**
 * Builds the assembly source of one test program holding sequences
 * [start, start+count) of `seed`. Symbols s<i>_body / s<i>_end delimit each
 * sequence's generated code (i = global index).
 */
export function generateBatch(seed: number, start: number, count: number, opts: GenOptions = {}): Batch {
  const seqs: Sequence[] = [];
  for (let i = 0; i < count; i++) seqs.push(generateSequence(seed, start + i, opts));
  const L: string[] = [];
  const e = (s: string): void => {
    L.push(s);
  };
  e(`# Ghost differential CPU test: generator v${GEN_VERSION}, seed ${seed}, sequences ${start}..${start + count - 1}`);
  e(`# Generated by test/diff/cpu/gen.ts; do not edit.`);
  e(`\t.option norelax`);
  e(`\t.text`);
  e(`\t.globl _start`);
  e(`h_text_start:`);
  e(`_start:`);
  for (const s of seqs) {
    const i = s.index;
    e(`# ---- sequence ${i}`);
    e(`s${i}:`);
    const rep = opts.repeat ?? 1;
    if (rep > 1) {
      e(`\tli\tt0, ${rep}`);
      e(`\tlla\tt1, h_rep`);
      e(`\tsd\tt0, 0(t1)`);
      e(`s${i}_again:`);
    }
    e(`\tcall\th_reset`);
    e(`\tlla\tt0, init_${i}`);
    e(`\tld\tt1, 0(t0)`);
    e(`\tfscsr\tt1`);
    for (let f = 0; f < 32; f++) e(`\tfld\tf${f}, ${8 * (32 + f)}(t0)`);
    e(`\tlla\tsp, scratch+${SP_OFF}`);
    for (let x = 1; x < 32; x++) if (x !== 2 && x !== 5) e(`\tld\tx${x}, ${8 * x}(t0)`);
    e(`\tld\tx5, 40(t0)`);
    e(`s${i}_body:`);
    for (const p of s.body) {
      e(p.size === 4 ? `\t.word\t0x${p.bits.toString(16).padStart(8, "0")}\t# ${p.text.replace("\t", " ")}`
        : `\t.half\t0x${p.bits.toString(16).padStart(4, "0")}\t# ${p.text.replace("\t", " ")}`);
    }
    e(`s${i}_end:`);
    e(`\taddi\tsp, sp, -${SP_OFF}`); // sp = scratch; register dump lives right below it
    for (let x = 1; x < 32; x++) e(`\tsd\tx${x}, ${8 * x - REGDUMP_BYTES}(sp)`);
    for (let f = 0; f < 32; f++) e(`\tfsd\tf${f}, ${8 * (32 + f) - REGDUMP_BYTES}(sp)`);
    e(`\tfrcsr\tt0`);
    e(`\tsd\tt0, ${-REGDUMP_BYTES}(sp)`);
    if (rep > 1) {
      e(`\tlla\tt0, h_rep`);
      e(`\tld\tt1, 0(t0)`);
      e(`\taddi\tt1, t1, -1`);
      e(`\tsd\tt1, 0(t0)`);
      e(`\tbnez\tt1, s${i}_again`);
    }
    e(`\tcall\th_dump`);
  }
  e(`\tli\ta0, 0`);
  e(`\tli\ta7, 94`); // exit_group
  e(`\tecall`);
  e(``);
  e(`# Restore the scratch region and drop any LR reservation.`);
  e(`h_reset:`);
  e(`\tlla\ta0, scratch_init`);
  e(`\tlla\ta1, scratch`);
  e(`\tli\ta2, ${SCRATCH_BYTES / 32}`);
  e(`1:\tld\ta3, 0(a0)`);
  e(`\tld\ta4, 8(a0)`);
  e(`\tld\ta5, 16(a0)`);
  e(`\tld\ta6, 24(a0)`);
  e(`\tsd\ta3, 0(a1)`);
  e(`\tsd\ta4, 8(a1)`);
  e(`\tsd\ta5, 16(a1)`);
  e(`\tsd\ta6, 24(a1)`);
  e(`\taddi\ta0, a0, 32`);
  e(`\taddi\ta1, a1, 32`);
  e(`\taddi\ta2, a2, -1`);
  e(`\tbnez\ta2, 1b`);
  e(`\tlla\ta0, h_dummy`);
  e(`\tsc.d\tzero, zero, (a0)`);
  e(`\tret`);
  e(``);
  e(`# write(1, regdump, ${RECORD_BYTES}) with short-write handling; exit(99) on error.`);
  e(`h_dump:`);
  e(`\tlla\ta1, regdump`);
  e(`\tli\ta2, ${RECORD_BYTES}`);
  e(`1:\tli\ta0, 1`);
  e(`\tli\ta7, 64`);
  e(`\tecall`);
  e(`\tblez\ta0, 2f`);
  e(`\tadd\ta1, a1, a0`);
  e(`\tsub\ta2, a2, a0`);
  e(`\tbnez\ta2, 1b`);
  e(`\tret`);
  e(`2:\tli\ta0, 99`);
  e(`\tli\ta7, 94`);
  e(`\tecall`);
  e(``);
  e(`\t.section .rodata`);
  e(`\t.balign 64`);
  e(`scratch_init:`);
  const si = scratchInit(seed);
  const dv = new DataView(si.buffer);
  for (let o = 0; o < SCRATCH_BYTES; o += 32) {
    const vs: string[] = [];
    for (let k = 0; k < 32; k += 8) vs.push(hx64(dv.getBigUint64(o + k, true)));
    e(`\t.dword\t${vs.join(", ")}`);
  }
  for (const s of seqs) {
    e(`\t.balign 8`);
    e(`init_${s.index}:`);
    e(`\t.dword\t${s.init.fcsr}`);
    for (let x = 1; x < 32; x += 4) {
      const vs: string[] = [];
      for (let k = x; k < x + 4 && k < 32; k++) vs.push(hx64(s.init.x[k]!));
      e(`\t.dword\t${vs.join(", ")}`);
    }
    for (let f = 0; f < 32; f += 4) e(`\t.dword\t${s.init.f.slice(f, f + 4).map(hx64).join(", ")}`);
  }
  e(``);
  e(`\t.bss`);
  e(`\t.balign 4096`);
  e(`regdump:`);
  e(`\t.skip ${REGDUMP_BYTES}`);
  e(`scratch:`);
  e(`\t.skip ${SCRATCH_BYTES}`);
  e(`\t.balign 64`);
  e(`h_dummy:`);
  e(`\t.skip 64`);
  e(`h_rep:`);
  e(`\t.skip 8`);
  e(``);
  return { seed, start, seqs, asm: L.join("\n") };
}
