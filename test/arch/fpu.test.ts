// The hart's F/D arithmetic (src/arch/riscv64/wasm/fpu.ts) against qemu-riscv64.
//
// Generates random and edge-case operands for every RV64F/RV64D instruction and rounding mode,
// runs them through a small static riscv64 program under qemu-riscv64 (built at test time with
// riscv64-linux-gnu-gcc into build/test/) and through execFp in WebAssembly, and requires
// bit-identical destination registers and fcsr. Also fuzzes the native fast paths against the
// soft path inside WebAssembly.
//
// FPU_TEST_SEED=n changes the seed (default 1); FPU_TEST_SCALE=x scales the case counts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";

// ---- locations ------------------------------------------------------------------------------

const ROOT = findRoot("src/arch");
const BUILD = join(ROOT, "build", "test");
const SEED = Number(process.env.FPU_TEST_SEED ?? "1") >>> 0;
const SCALE = Number(process.env.FPU_TEST_SCALE ?? "1");

// ---- bit helpers ----------------------------------------------------------------------------

const M64 = (1n << 64n) - 1n;
const f64a = new Float64Array(1);
const u64a = new BigUint64Array(f64a.buffer);
const f32a = new Float32Array(1);
const u32a = new Uint32Array(f32a.buffer);
function d2b(x: number): bigint {
  f64a[0] = x;
  return u64a[0];
}
function b2d(b: bigint): number {
  u64a[0] = b & M64;
  return f64a[0];
}
function s2b(x: number): bigint {
  f32a[0] = x;
  return BigInt(u32a[0]);
}
function b2s(b: bigint): number {
  u32a[0] = Number(b & 0xffffffffn);
  return f32a[0];
}
const BOX = 0xffffffff00000000n;
const hex = (b: bigint | number, w = 16) => "0x" + b.toString(16).padStart(w, "0");

// ---- deterministic random numbers (sfc32) ---------------------------------------------------

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 20; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  bits(n: number): bigint {
    return n === 0 ? 0n : this.u64() & ((1n << BigInt(n)) - 1n);
  }
}

// ---- instructions ---------------------------------------------------------------------------

type Kind = "S" | "D" | "X";
type Cat = "arith" | "sqrt" | "fma" | "toint" | "fromint" | "cvtff" | "cmp" | "minmax" | "sgnj" | "class" | "mvxf" | "mvfx";
interface Op {
  name: string;
  cat: Cat;
  srcs: Kind[];
  dst: Kind;
  hasRm: boolean;
  // Encoding with rounding mode / funct3 field f3 and destination register rd.
  enc: (f3: number, rd?: number) => number;
  fixedF3?: number;
}

const RD_F = 4, RD_X = 7, RS1_F = 1, RS1_X = 6, RS2 = 2, RS3 = 3;

function rtype(f7: number, rs2: number, dst: Kind, src1: Kind) {
  return (f3: number, rd?: number) =>
    ((f7 << 25) | (rs2 << 20) | ((src1 === "X" ? RS1_X : RS1_F) << 15) | (f3 << 12) |
      ((rd ?? (dst === "X" ? RD_X : RD_F)) << 7) | 0x53) >>> 0;
}
function r4type(opcode: number, fmt: number) {
  return (f3: number, rd?: number) =>
    ((RS3 << 27) | (fmt << 25) | (RS2 << 20) | (RS1_F << 15) | (f3 << 12) | ((rd ?? RD_F) << 7) | opcode) >>> 0;
}

function buildOps(): Op[] {
  const ops: Op[] = [];
  const intKinds = ["w", "wu", "l", "lu"];
  for (const [fmt, F] of [[0, "S"], [1, "D"]] as const) {
    const sfx = "." + F.toLowerCase();
    const ar: [string, number][] = [["fadd", 0x00], ["fsub", 0x04], ["fmul", 0x08], ["fdiv", 0x0c]];
    for (const [n, f7] of ar)
      ops.push({ name: n + sfx, cat: "arith", srcs: [F, F], dst: F, hasRm: true, enc: rtype(f7 | fmt, RS2, F, F) });
    ops.push({ name: "fsqrt" + sfx, cat: "sqrt", srcs: [F], dst: F, hasRm: true, enc: rtype(0x2c | fmt, 0, F, F) });
    const fm: [string, number][] = [["fmadd", 0x43], ["fmsub", 0x47], ["fnmsub", 0x4b], ["fnmadd", 0x4f]];
    for (const [n, opc] of fm)
      ops.push({ name: n + sfx, cat: "fma", srcs: [F, F, F], dst: F, hasRm: true, enc: r4type(opc, fmt) });
    ["fsgnj", "fsgnjn", "fsgnjx"].forEach((n, i) =>
      ops.push({ name: n + sfx, cat: "sgnj", srcs: [F, F], dst: F, hasRm: false, fixedF3: i, enc: rtype(0x10 | fmt, RS2, F, F) }));
    ["fmin", "fmax"].forEach((n, i) =>
      ops.push({ name: n + sfx, cat: "minmax", srcs: [F, F], dst: F, hasRm: false, fixedF3: i, enc: rtype(0x14 | fmt, RS2, F, F) }));
    ["fle", "flt", "feq"].forEach((n, i) =>
      ops.push({ name: n + sfx, cat: "cmp", srcs: [F, F], dst: "X", hasRm: false, fixedF3: i, enc: rtype(0x50 | fmt, RS2, "X", F) }));
    ops.push({ name: "fclass" + sfx, cat: "class", srcs: [F], dst: "X", hasRm: false, fixedF3: 1, enc: rtype(0x70 | fmt, 0, "X", F) });
    ops.push({ name: (fmt ? "fmv.x.d" : "fmv.x.w"), cat: "mvxf", srcs: [F], dst: "X", hasRm: false, fixedF3: 0, enc: rtype(0x70 | fmt, 0, "X", F) });
    ops.push({ name: (fmt ? "fmv.d.x" : "fmv.w.x"), cat: "mvfx", srcs: ["X"], dst: F, hasRm: false, fixedF3: 0, enc: rtype(0x78 | fmt, 0, F, "X") });
    intKinds.forEach((k, i) => {
      ops.push({ name: `fcvt.${k}${sfx}`, cat: "toint", srcs: [F], dst: "X", hasRm: true, enc: rtype(0x60 | fmt, i, "X", F) });
      ops.push({ name: `fcvt${sfx}.${k}`, cat: "fromint", srcs: ["X"], dst: F, hasRm: true, enc: rtype(0x68 | fmt, i, F, "X") });
    });
  }
  ops.push({ name: "fcvt.s.d", cat: "cvtff", srcs: ["D"], dst: "S", hasRm: true, enc: rtype(0x20, 1, "S", "D") });
  ops.push({ name: "fcvt.d.s", cat: "cvtff", srcs: ["S"], dst: "D", hasRm: true, enc: rtype(0x21, 0, "D", "S") });
  return ops;
}

// ---- operand generation ---------------------------------------------------------------------

const P31 = 2 ** 31, P32 = 2 ** 32, P63 = 2 ** 63, P64 = 2 ** 64;
const EDGE_NUMS = [
  0, 1, 0.5, 1.5, 2.5, 3.5, 0.25, 0.75, 1 / 3, 2, 3, 10, 100.5, 1e10, 1e-10, Math.PI,
  P31, P31 - 1, P31 - 0.5, P31 + 0.5, P31 + 1, P31 - 128, P31 + 256,
  P32, P32 - 1, P32 - 0.5, P32 + 0.5, P32 + 1, P32 - 256, P32 + 512,
  P63, P63 - 1024, P63 + 2048, P63 - 2 ** 39, P64, P64 - 2048, P64 + 4096, P64 - 2 ** 40,
  2 ** 53, 2 ** 53 + 2, 2 ** 52 + 0.5, 2 ** 24, 2 ** 24 + 1, 2 ** 23 + 0.5,
];
const SPECIAL_D: bigint[] = [
  0x0000000000000000n, 0x7ff0000000000000n, 0x7ff8000000000000n, 0x7ff8000000000123n, 0x7fffffffffffffffn,
  0x7ff0000000000001n, 0x7ff4000000000000n, 0x7ff7ffffffffffffn,
  0x0000000000000001n, 0x0000000000000002n, 0x000fffffffffffffn, 0x0008000000000000n, 0x0010000000000000n,
  0x0010000000000001n, 0x001fffffffffffffn, 0x7fefffffffffffffn, 0x7fe0000000000000n, 0x7fdfffffffffffffn,
  0x3ff0000000000000n, 0x3ff0000000000001n, 0x3fefffffffffffffn, 0x3fffffffffffffffn,
  0x47efffffe0000000n, 0x47efffff00000000n, 0x36a0000000000000n, 0x3690000000000000n, 0x369fffffffffffffn,
  0x3810000000000000n, 0x380fffffffffffffn, 0x380fffffe0000000n, 0x380ffffff0000000n, 0x36a8000000000000n,
];
const SPECIAL_S: bigint[] = [
  0x00000000n, 0x7f800000n, 0x7fc00000n, 0x7fc00123n, 0x7fffffffn, 0x7f800001n, 0x7fa00000n, 0x7fbfffffn,
  0x00000001n, 0x00000002n, 0x007fffffn, 0x00400000n, 0x00800000n, 0x00800001n, 0x00ffffffn,
  0x7f7fffffn, 0x7f000000n, 0x7effffffn, 0x3f800000n, 0x3f800001n, 0x3f7fffffn, 0x3fffffffn,
];

// Operands crossed with each other exhaustively (the first nine for three-operand instructions).
const CROSS_D: bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n,
  0x7ff0000000000001n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x0000000000000001n,
  0x7fefffffffffffffn, 0x8010000000000000n, 0x4000000000000001n, 0xc1e0000000000000n, 0x43e0000000000000n,
];
const CROSS_S: bigint[] = [
  0x00000000n, 0x80000000n, 0x7f800000n, 0xff800000n, 0x7fc00000n, 0x7f800001n, 0x3f800000n, 0xbf800000n,
  0x00000001n, 0x7f7fffffn, 0x80800000n, 0x40000001n, 0xcf000000n, 0x5f000000n,
];

function edgeValue(r: Rng, F: "S" | "D"): bigint {
  let x = r.pick(EDGE_NUMS);
  if (r.chance(0.5)) x = -x;
  const b = F === "D" ? d2b(x) : s2b(x);
  const k = r.chance(0.5) ? 0n : BigInt(r.int(5) - 2);
  const v = (b + k) & (F === "D" ? M64 : 0xffffffffn);
  return v;
}

// A random finite value with exponent field e and a random number of trailing zero bits.
function withExp(r: Rng, F: "S" | "D", e: number): bigint {
  const fb = F === "D" ? 52 : 23;
  let f = r.bits(fb);
  const tz = r.int(fb + 4);
  if (tz <= fb) f = (f >> BigInt(tz)) << BigInt(tz);
  const sign = r.chance(0.5) ? 1n << BigInt(F === "D" ? 63 : 31) : 0n;
  return sign | (BigInt(e) << BigInt(fb)) | f;
}

function genFloat(r: Rng, F: "S" | "D", cat: Cat): bigint {
  const D = F === "D";
  const bias = D ? 1023 : 127, emax = D ? 0x7fe : 0xfe;
  const u = r.int(100);
  if (u < 18) {
    const s = r.pick(D ? SPECIAL_D : SPECIAL_S);
    return r.chance(0.5) ? s | (1n << BigInt(D ? 63 : 31)) : s;
  }
  if (u < 30) return D ? r.u64() : r.bits(32);
  if (u < 40 || (cat === "toint" && u < 70)) return edgeValue(r, F);
  if (u < 62) return withExp(r, F, bias - 30 + r.int(61));
  if (u < 72) return withExp(r, F, r.int(D ? 70 : 30));
  if (u < 80) return withExp(r, F, emax - r.int(D ? 70 : 30));
  if (cat === "toint") return withExp(r, F, bias + r.int(66));
  return withExp(r, F, 1 + r.int(emax));
}

function genInt(r: Rng): bigint {
  const u = r.int(10);
  if (u < 3) {
    const edges = [0n, 1n, 2n, 3n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn,
      0x8000000000000000n, 0x1fffffffffffffn, 0x20000000000001n, 0xffffffn, 0x1000001n, 0x20000000000000n];
    const e = r.pick(edges);
    return r.chance(0.5) ? (-e) & M64 : e;
  }
  let v = r.bits(r.int(65));
  if (r.chance(0.3)) v = (v >> BigInt(r.int(40))) << BigInt(r.int(40));
  if (r.chance(0.3)) v |= 0xffffffff00000000n;
  return r.chance(0.5) ? (-v) & M64 : v & M64;
}

// Operand values (binary32 ones still unboxed) for one case, with relations between them that
// provoke cancellation, exact results and ties.
function genOperands(r: Rng, op: Op): bigint[] {
  const cat = op.cat;
  const vals = op.srcs.map((k) => (k === "X" ? genInt(r) : genFloat(r, k, cat)));
  const F = op.srcs[0];
  if (F === "X" || op.srcs.length === 0) return vals;
  const D = F === "D";
  const mask = D ? M64 : 0xffffffffn;
  const num = (b: bigint) => (D ? b2d(b) : b2s(b));
  const enc = (x: number) => (D ? d2b(x) : s2b(x));
  const nudge = (b: bigint) => (b + BigInt(r.int(9) - 4)) & mask;
  const signBit = 1n << BigInt(D ? 63 : 31);
  const rel = r.int(12);
  if (vals.length >= 2) {
    if (rel === 0) vals[1] = nudge(vals[0] ^ signBit);
    else if (rel === 1) vals[1] = nudge(vals[0]);
    else if (rel === 2 && (cat === "arith" || cat === "fma")) {
      // exponents summing near the underflow or overflow threshold
      const bias = D ? 1023 : 127, fb = D ? 52 : 23;
      const ea = Number((vals[0] >> BigInt(fb)) & (D ? 0x7ffn : 0xffn));
      const target = r.chance(0.5) ? 1 - r.int(D ? 60 : 30) : (D ? 0x7fe : 0xfe) + r.int(3) - 1;
      const eb = target - ea + bias;
      if (eb > 0 && eb < (D ? 0x7ff : 0xff)) vals[1] = withExp(r, F, eb);
      const sub = r.chance(0.5);
      if (sub && eb > 0 && eb < (D ? 0x7ff : 0xff)) {
        // quotient near a threshold instead
        const ebd = ea - target + bias;
        if (ebd > 0 && ebd < (D ? 0x7ff : 0xff)) vals[1] = withExp(r, F, ebd);
      }
    } else if (rel === 3) {
      // a = b * q with a short q: exact quotients
      const q = num(withExp(r, F, (D ? 1023 : 127) - 5 + r.int(11)) & ~((1n << BigInt(D ? 40 : 15)) - 1n));
      vals[0] = enc(num(vals[1]) * q) & mask;
    }
  }
  if (cat === "sqrt" && rel < 4) {
    const s = num(withExp(r, F, (D ? 1023 : 127) - 40 + r.int(81)) & ~((1n << BigInt(D ? 26 : 12)) - 1n));
    vals[0] = nudge(enc(s * s) & mask & ~signBit);
  }
  if (cat === "fma" && rel >= 4 && rel < 9) {
    const p = num(vals[0]) * num(vals[1]);
    vals[2] = rel < 7 ? nudge(enc(-p) & mask) : nudge(enc(p) & mask);
  }
  return vals;
}

// ---- the qemu oracle ------------------------------------------------------------------------

const REC = 64;

const ORACLE_C = `// Generated by test/arch/fpu.test.ts: runs test records through real RISC-V FP instructions.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
struct rec {
  uint32_t insn, stub, fcsr_in, pad;
  uint64_t a, b, c, xrd, frd;
  uint32_t fcsr_out, status;
};
typedef void (*stub_fn)(struct rec *);
extern const stub_fn stub_table[];
static sigjmp_buf jb;
static void on_ill(int sig) { (void)sig; siglongjmp(jb, 1); }
int main(void) {
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(0, buf + len, cap - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_ill;
  sigaction(SIGILL, &sa, 0);
  struct rec *r = (struct rec *)buf;
  size_t count = len / sizeof(struct rec);
  for (volatile size_t i = 0; i < count; i++) {
    if (sigsetjmp(jb, 1)) {
      r[i].status = 1;
      continue;
    }
    stub_table[r[i].stub](&r[i]);
    r[i].status = 0;
  }
  for (size_t off = 0; off < len;) {
    ssize_t n = write(1, buf + off, len - off);
    if (n <= 0) return 1;
    off += (size_t)n;
  }
  return 0;
}
`;

function oracleStubs(insns: number[]): string {
  const lines = ["# Generated by test/arch/fpu.test.ts", "  .text"];
  insns.forEach((w, i) => {
    lines.push(
      `  .p2align 2`,
      `stub_${i}:`,
      `  ld t1, 16(a0)`, `  fld f1, 16(a0)`, `  fld f2, 24(a0)`, `  fld f3, 32(a0)`,
      `  ld t2, 40(a0)`, `  fld f4, 48(a0)`, `  lw t3, 8(a0)`, `  csrw fcsr, t3`,
      `  .4byte ${hex(w, 8)}`,
      `  csrr t3, fcsr`, `  sd t2, 40(a0)`, `  fsd f4, 48(a0)`, `  sw t3, 56(a0)`, `  ret`,
    );
  });
  lines.push("  .section .rodata", "  .p2align 3", "  .globl stub_table", "stub_table:");
  insns.forEach((_, i) => lines.push(`  .dword stub_${i}`));
  return lines.join("\n") + "\n";
}

function buildOracle(insns: number[]): string {
  const cPath = join(BUILD, "fpu-oracle.c");
  const sPath = join(BUILD, "fpu-oracle-stubs.S");
  const exe = join(BUILD, "fpu-oracle");
  const sText = oracleStubs(insns);
  const fresh = existsSync(exe) && existsSync(sPath) && existsSync(cPath) &&
    readFileSync(sPath, "utf8") === sText && readFileSync(cPath, "utf8") === ORACLE_C;
  if (!fresh) {
    writeFileSync(cPath, ORACLE_C);
    writeFileSync(sPath, sText);
    execFileSync("riscv64-linux-gnu-gcc", ["-static", "-O2", "-march=rv64gc", "-o", exe, cPath, sPath], { stdio: "pipe" });
  }
  return exe;
}

// ---- the WebAssembly side -------------------------------------------------------------------

interface FpuWasm {
  memory: WebAssembly.Memory;
  runCases(ptr: number, n: number): void;
  fuzz(insn: number, kind: number, seed: bigint, n: number): number;
  bench(insn: number, a: bigint, b: bigint, c: bigint, fcsr: number, n: number): bigint;
  fpuSetFastPath(on: number): void;
}

const RECORDS_AT = 0x400000;
const MISMATCH_AT = 0x300000;

async function loadWasm(): Promise<FpuWasm> {
  const out = join(BUILD, "fpu-test.wasm");
  execFileSync(join(ROOT, "node_modules", ".bin", "asc"), [
    "test/arch/wasm/fpu-entry.ts", "--outFile", out, "--runtime", "stub", "--importMemory",
    "-O3", "--noAssert", "--memoryBase", "262144",
  ], { cwd: ROOT, stdio: "pipe" });
  const memory = new WebAssembly.Memory({ initial: 128 });
  const { instance } = await WebAssembly.instantiate(readFileSync(out), {
    env: { memory, abort: () => { throw new Error("wasm abort"); } },
  });
  const e = instance.exports as unknown as Omit<FpuWasm, "memory">;
  return { memory, runCases: e.runCases, fuzz: e.fuzz, bench: e.bench, fpuSetFastPath: e.fpuSetFastPath };
}

// ---- cases ----------------------------------------------------------------------------------

interface Case {
  op: Op;
  insn: number;
  fcsr: number;
  a: bigint;
  b: bigint;
  c: bigint;
  xrd: bigint;
  frd: bigint;
  illegalTest: boolean;
}

function caseCount(op: Op): number {
  const base: Record<Cat, number> = {
    fma: 4000, arith: 3000, sqrt: 2500, toint: 2000, fromint: 1200, cvtff: 2500,
    cmp: 500, minmax: 700, sgnj: 400, class: 500, mvxf: 200, mvfx: 200,
  };
  return Math.max(20, Math.round(base[op.cat] * SCALE));
}

const RMS = [0, 1, 2, 3, 4, 7];

function makeCases(ops: Op[], r: Rng): Case[] {
  const cases: Case[] = [];
  const box = (k: Kind, v: bigint) => {
    if (k !== "S") return v;
    // mostly properly NaN-boxed; sometimes not (then the operand reads as the canonical NaN)
    if (r.chance(0.03)) return r.chance(0.5) ? v : (r.u64() & 0xffffffff00000000n) | v;
    return BOX | v;
  };
  for (const op of ops) {
    const n = caseCount(op);
    for (let i = 0; i < n; i++) {
      const v = genOperands(r, op);
      const srcs = op.srcs.map((k, j) => box(k, v[j]));
      let f3: number, frm: number;
      if (op.hasRm) {
        f3 = r.pick(RMS);
        frm = r.int(5);
      } else {
        f3 = op.fixedF3!;
        frm = r.int(8);
      }
      const flags = r.chance(0.25) ? r.int(32) : 0;
      const rd = op.dst === "X" && r.chance(0.03) ? 0 : undefined;
      cases.push({
        op, insn: op.enc(f3, rd), fcsr: (frm << 5) | flags,
        a: srcs[0] ?? 0n, b: srcs[1] ?? 0n, c: srcs[2] ?? 0n, xrd: r.u64(), frd: r.u64(), illegalTest: false,
      });
    }
    // Every combination of special operands.
    if (op.srcs[0] !== "X") {
      const D = op.srcs[0] === "D";
      const sp = D ? CROSS_D : CROSS_S;
      const set = op.srcs.length === 3 ? sp.slice(0, 9) : sp;
      const combos: bigint[][] = [[]];
      for (let j = 0; j < op.srcs.length; j++) {
        const next: bigint[][] = [];
        for (const c of combos) for (const x of set) next.push([...c, x]);
        combos.splice(0, combos.length, ...next);
      }
      for (const v of combos) {
        const f3 = op.hasRm ? r.pick(RMS) : op.fixedF3!;
        cases.push({
          op, insn: op.enc(f3), fcsr: (r.int(op.hasRm ? 5 : 8) << 5),
          a: box(op.srcs[0], v[0]), b: box(op.srcs[1] ?? "D", v[1] ?? 0n), c: box(op.srcs[2] ?? "D", v[2] ?? 0n),
          xrd: r.u64(), frd: r.u64(), illegalTest: false,
        });
      }
    }
    // Illegal rounding modes: static 5 and 6, and DYN while frm holds 5..7.
    if (op.hasRm) {
      for (const [f3, frm] of [[5, 0], [6, 3], [7, 5], [7, 6], [7, 7]]) {
        cases.push({
          op, insn: op.enc(f3), fcsr: (frm << 5) | r.int(32), a: r.u64(), b: r.u64(), c: r.u64(),
          xrd: r.u64(), frd: r.u64(), illegalTest: true,
        });
      }
    }
  }
  // Other encodings that must be illegal: fmt Q, fsqrt with rs2 != 0, unknown funct3 values.
  const extra = [
    r4type(0x43, 3)(0), r4type(0x4f, 3)(7), rtype(0x03, RS2, "D", "D")(0), rtype(0x2f, 0, "D", "D")(0),
    rtype(0x2d, 1, "D", "D")(0), rtype(0x2c, 2, "S", "S")(0), rtype(0x11, RS2, "D", "D")(3),
    rtype(0x50, RS2, "X", "D")(3), rtype(0x70, 0, "X", "S")(2), rtype(0x78, 0, "S", "X")(1),
    rtype(0x79, 1, "D", "X")(0), rtype(0x71, 1, "X", "D")(0), rtype(0x20, 0, "S", "D")(0),
    rtype(0x21, 1, "D", "S")(0), rtype(0x22, 0, "D", "D")(0), rtype(0x7c, 0, "D", "D")(0),
  ];
  const dummy = ops[0];
  for (const insn of extra)
    cases.push({ op: { ...dummy, name: "illegal" }, insn, fcsr: r.int(256), a: r.u64(), b: r.u64(), c: r.u64(), xrd: r.u64(), frd: r.u64(), illegalTest: true });
  return cases;
}

function writeRecords(view: DataView, base: number, cases: Case[], stubOf: Map<number, number>) {
  cases.forEach((k, i) => {
    const p = base + i * REC;
    view.setUint32(p, k.insn, true);
    view.setUint32(p + 4, stubOf.get(k.insn)!, true);
    view.setUint32(p + 8, k.fcsr, true);
    view.setUint32(p + 12, 0, true);
    view.setBigUint64(p + 16, k.a, true);
    view.setBigUint64(p + 24, k.b, true);
    view.setBigUint64(p + 32, k.c, true);
    view.setBigUint64(p + 40, k.xrd, true);
    view.setBigUint64(p + 48, k.frd, true);
    view.setUint32(p + 56, 0, true);
    view.setUint32(p + 60, 0, true);
  });
}

const RM_NAMES = ["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"];

function describe(k: Case): string {
  const f3 = (k.insn >>> 12) & 7;
  const mode = k.op.hasRm ? `${RM_NAMES[f3]}${f3 === 7 ? "(frm=" + (k.fcsr >> 5) + ")" : ""}` : "";
  return `${k.op.name} ${mode} insn=${hex(k.insn, 8)} fcsr=${hex(k.fcsr, 2)} a=${hex(k.a)} b=${hex(k.b)} c=${hex(k.c)}`;
}

// ---- tests ----------------------------------------------------------------------------------

mkdirSync(BUILD, { recursive: true });
const wasmP = loadWasm();

test("execFp matches qemu-riscv64 bit for bit", async (t) => {
  const t0 = Date.now();
  const ops = buildOps();
  const rng = new Rng(SEED);
  const cases = makeCases(ops, rng);
  const insns = [...new Set(cases.map((k) => k.insn))].sort((x, y) => x - y);
  const stubOf = new Map(insns.map((w, i) => [w, i] as [number, number]));
  const exe = buildOracle(insns);
  const t1 = Date.now();

  // qemu
  const input = new Uint8Array(cases.length * REC);
  writeRecords(new DataView(input.buffer), 0, cases, stubOf);
  const outBuf = execFileSync("qemu-riscv64", [exe], { input, maxBuffer: input.length + 1024 });
  assert.equal(outBuf.length, input.length, "oracle output size");
  const want = new DataView(outBuf.buffer, outBuf.byteOffset, outBuf.byteLength);
  const t2 = Date.now();

  // wasm, with the native fast paths and with the soft path alone
  const w = await wasmP;
  const need = RECORDS_AT + cases.length * REC;
  const have = w.memory.buffer.byteLength;
  if (need > have) w.memory.grow(Math.ceil((need - have) / 65536));
  const runWasm = (fast: boolean): DataView => {
    writeRecords(new DataView(w.memory.buffer), RECORDS_AT, cases, stubOf);
    w.fpuSetFastPath(fast ? 1 : 0);
    w.runCases(RECORDS_AT, cases.length);
    w.fpuSetFastPath(1);
    return new DataView(w.memory.buffer.slice(RECORDS_AT, need));
  };
  const results: [string, DataView][] = [["", runWasm(true)], ["soft path: ", runWasm(false)]];
  const t3 = Date.now();

  const failures: string[] = [];
  let nFail = 0;
  for (const [label, got] of results) {
    cases.forEach((k, i) => {
      const p = i * REC;
      const qIll = want.getUint32(p + 60, true) !== 0;
      const wCause = got.getUint32(p + 60, true);
      let msg = "";
      if (k.illegalTest && !qIll) msg = "test expects this encoding to be illegal, but qemu executed it";
      else if (qIll) {
        if (wCause !== 2) msg = `qemu: illegal instruction; execFp returned ${wCause}`;
        else if (got.getBigUint64(p + 40, true) !== k.xrd || got.getBigUint64(p + 48, true) !== k.frd ||
          got.getUint32(p + 56, true) !== k.fcsr) msg = "illegal instruction changed state";
      } else if (wCause !== 0) msg = `execFp returned ${wCause}, qemu executed it`;
      else {
        const off = k.op.dst === "X" ? 40 : 48;
        const e = want.getBigUint64(p + off, true), g = got.getBigUint64(p + off, true);
        const ef = want.getUint32(p + 56, true), gf = got.getUint32(p + 56, true);
        if (e !== g || ef !== gf) msg = `want rd=${hex(e)} fcsr=${hex(ef, 2)}, got rd=${hex(g)} fcsr=${hex(gf, 2)}`;
        // the other destination register must be untouched
        const other = k.op.dst === "X" ? 48 : 40;
        if (!msg && got.getBigUint64(p + other, true) !== (other === 40 ? k.xrd : k.frd)) msg = "clobbered the other register file";
      }
      if (msg) {
        nFail++;
        if (failures.length < 25) failures.push(`${label}${describe(k)}: ${msg}`);
      }
    });
  }
  const t4 = Date.now();
  t.diagnostic(`${cases.length} cases over ${ops.length} instructions (seed ${SEED}); generate+build ${t1 - t0} ms, qemu ${t2 - t1} ms, wasm (twice) ${t3 - t2} ms, compare ${t4 - t3} ms`);
  assert.equal(nFail, 0, `${nFail} mismatches:\n` + failures.join("\n"));
});

test("fast paths agree with the soft path", async (t) => {
  const w = await wasmP;
  const ops = buildOps();
  const targets = ops.filter((o) =>
    ["arith", "sqrt", "fma", "toint", "fromint", "cvtff", "cmp", "minmax"].includes(o.cat));
  const n = Math.max(1000, Math.round(100000 * SCALE));
  const failures: string[] = [];
  let total = 0;
  for (const op of targets) {
    const insn = op.enc(7);
    const kind = op.srcs[0] === "X" ? 2 : op.srcs[0] === "S" ? 1 : 0;
    const bad = w.fuzz(insn, kind, BigInt(SEED) * 1000003n + BigInt(insn), n);
    total += n;
    if (bad) {
      const m = new DataView(w.memory.buffer, MISMATCH_AT, 88);
      const g = (i: number) => hex(m.getBigUint64(i * 8, true));
      failures.push(`${op.name}: ${bad} mismatches; first fcsr=${g(1)} a=${g(2)} b=${g(3)} c=${g(4)} ` +
        `fast x=${g(5)} f=${g(6)} fcsr=${g(7)} slow x=${g(8)} f=${g(9)} fcsr=${g(10)}`);
    }
  }
  t.diagnostic(`${total} fuzz cases over ${targets.length} instructions`);
  assert.equal(failures.length, 0, failures.join("\n"));
});

test("fast path speed (informational)", async (t) => {
  const w = await wasmP;
  const ops = new Map(buildOps().map((o) => [o.name, o]));
  const N = 2_000_000;
  const x = d2b(1.2345678901234567), y = d2b(-0.987654321987654), z = d2b(3.14159);
  const parts: string[] = [];
  for (const name of ["fadd.d", "fmul.d", "fdiv.d", "fsqrt.d", "fmadd.d", "fadd.s", "fmadd.s"]) {
    const op = ops.get(name)!;
    const single = op.srcs[0] === "S";
    const a = single ? BOX | s2b(1.2345678) : x, b = single ? BOX | s2b(-0.98765) : y, c = single ? BOX | s2b(3.14159) : z;
    w.bench(op.enc(7), a, b, c, 0, 10000);
    const t0 = process.hrtime.bigint();
    w.bench(op.enc(7), a, b, c, 0, N);
    const ns = Number(process.hrtime.bigint() - t0);
    parts.push(`${name} ${(N / ns * 1000).toFixed(1)}M/s`);
    w.fpuSetFastPath(0);
    const t1 = process.hrtime.bigint();
    w.bench(op.enc(7), a, b, c, 0, N / 4);
    const ns1 = Number(process.hrtime.bigint() - t1);
    w.fpuSetFastPath(1);
    parts.push(`(soft ${(N / 4 / ns1 * 1000).toFixed(1)}M/s)`);
  }
  t.diagnostic("execFp calls per second: " + parts.join(" "));
});
