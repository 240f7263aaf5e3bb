// Test entry for the hart's FPU (fpu.ts): batch execution of test records, a fast-path versus
// soft-path fuzzer and a micro-benchmark. Built by test/arch/fpu.test.ts into build/test/.

import { execFp, fpuSetFastPath } from "../../../src/arch/riscv64/wasm/fpu";
import { F_REGS, X_REGS, FCSR } from "../../../src/arch/riscv64/wasm/layout";

export { execFp, fpuSetFastPath };

// Registers the test encodings use: rd f4 / x7, rs1 f1 / x6, rs2 f2, rs3 f3.
const FRD: u32 = 4;
const XRD: u32 = 7;
const XRS1: u32 = 6;

// A test record, 64 bytes (the qemu oracle program uses the same layout):
//   0 u32 insn    4 u32 oracle stub index    8 u32 fcsr before    12 u32 pad
//  16 u64 a      24 u64 b      32 u64 c      (sources: f1/x6 = a, f2 = b, f3 = c)
//  40 u64 x7     48 u64 f4     (preset before, result after)
//  56 u32 fcsr after           60 u32 status (0 executed, else the returned cause)
@inline function setup(p: usize): void {
  const a = load<u64>(p, 16);
  store<u64>(X_REGS, 0);
  store<u64>(X_REGS + (XRS1 << 3), a);
  store<u64>(X_REGS + (XRD << 3), load<u64>(p, 40));
  store<u64>(F_REGS + 8, a);
  store<u64>(F_REGS + 16, load<u64>(p, 24));
  store<u64>(F_REGS + 24, load<u64>(p, 32));
  store<u64>(F_REGS + (FRD << 3), load<u64>(p, 48));
  store<u32>(FCSR, load<u32>(p, 8));
}

@inline function collect(p: usize, cause: u32): void {
  store<u64>(p, load<u64>(X_REGS + (XRD << 3)), 40);
  store<u64>(p, load<u64>(F_REGS + (FRD << 3)), 48);
  store<u32>(p, load<u32>(FCSR), 56);
  store<u32>(p, cause, 60);
}

export function runCases(ptr: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const p = ptr + (<usize>i << 6);
    setup(p);
    const cause = execFp(load<u32>(p));
    collect(p, cause);
    if (load<u64>(X_REGS) != 0) store<u32>(p, 0xdead, 60); // x0 must stay zero
  }
}

// ---- fast path versus soft path -------------------------------------------------------------

let rng: u64 = 1;
function next(): u64 {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
@inline function below(n: u64): u64 {
  return next() % n;
}

// Random binary64 value biased toward interesting regions.
function genD(): u64 {
  const r = next();
  const sign = (r & 1) << 63;
  const sel = (r >> 1) & 15;
  let e: u64;
  if (sel < 7) e = 1023 - 40 + below(81);
  else if (sel < 9) e = 1 + below(0x7fe);
  else if (sel < 10) e = below(64);
  else if (sel < 11) e = 0x7fe - below(64);
  else if (sel < 14) e = 573 + below(901);
  else if (sel < 15) {
    const k = below(8);
    if (k == 0) return sign;
    if (k == 1) return sign | 0x7ff0000000000000;
    if (k == 2) return 0x7ff8000000000000;
    if (k == 3) return 0x7ff0000000000001;
    return sign | (1023 << 52);
  } else return next();
  let f = next() & 0x000fffffffffffff;
  const tz = below(56);
  if (tz < 53) f = (f >> tz) << tz;
  return sign | (e << 52) | f;
}

function genS(): u64 {
  const r = next();
  const sign = (r & 1) << 31;
  const sel = (r >> 1) & 15;
  let e: u64;
  if (sel < 8) e = 127 - 20 + below(41);
  else if (sel < 11) e = 1 + below(0xfe);
  else if (sel < 12) e = below(30);
  else if (sel < 13) e = 0xfe - below(30);
  else if (sel < 14) {
    const k = below(6);
    if (k == 0) return sign;
    if (k == 1) return sign | 0x7f800000;
    if (k == 2) return 0x7fc00000;
    if (k == 3) return 0x7f800001;
    return sign | (127 << 23);
  } else return next() & 0xffffffff;
  let f = next() & 0x7fffff;
  const tz = below(27);
  if (tz < 24) f = (f >> tz) << tz;
  return sign | (e << 23) | f;
}

function genInt(): u64 {
  const bits = below(65);
  let v = bits == 64 ? next() : next() & ((<u64>1 << bits) - 1);
  if (below(4) == 0) v = (v >> 11) << 11;
  return (next() & 1) != 0 ? 0 - v : v;
}

// Perturbs an encoding by a few units in the last place.
@inline function nudge(x: u64): u64 {
  return x + below(9) - 4;
}

let mism: u32 = 0;
// First mismatch: insn, fcsr, a, b, c, then fast (x7, f4, fcsr), slow (x7, f4, fcsr).
export const MISMATCH_PTR: usize = 0x300000;

// kind: 0 binary64 operands, 1 binary32 operands, 2 integer source.
// Every case runs with a random frm (the encodings use DYN) and is executed twice, fast paths on
// and off; returns the number of cases whose results or flags differ.
export function fuzz(insn: u32, kind: u32, seed: u64, n: u32): u32 {
  rng = seed | 1;
  mism = 0;
  for (let i: u32 = 0; i < n; i++) {
    let a: u64, b: u64, c: u64;
    if (kind == 0) {
      a = genD(); b = genD(); c = genD();
      const rel = below(10);
      if (rel == 0) b = nudge(a ^ 0x8000000000000000);
      else if (rel == 1) b = nudge(a);
      else if (rel == 2 || rel == 3) c = nudge(reinterpret<u64>(-(reinterpret<f64>(a) * reinterpret<f64>(b))));
      else if (rel == 4) {
        // quotient with few significant bits
        const q = reinterpret<f64>(genD() & 0xfff0000000000000 | ((next() & 0xff) << 44));
        a = reinterpret<u64>(reinterpret<f64>(b) * q);
      } else if (rel == 5) {
        const r = reinterpret<f64>(genD() & 0x7ff0000000000000 | ((next() & 0x3ffffff) << 26));
        a = reinterpret<u64>(r * r);
      }
    } else if (kind == 1) {
      a = genS(); b = genS(); c = genS();
      const rel = below(10);
      if (rel == 0) b = nudge(a ^ 0x80000000) & 0xffffffff;
      else if (rel == 1) b = nudge(a) & 0xffffffff;
      else if (rel == 2 || rel == 3)
        c = nudge(<u64>reinterpret<u32>(-(reinterpret<f32>(<u32>a) * reinterpret<f32>(<u32>b)))) & 0xffffffff;
      else if (rel == 4) {
        const q = reinterpret<f32>(<u32>(genS() & 0xff800000 | ((next() & 0xff) << 15)));
        a = <u64>reinterpret<u32>(reinterpret<f32>(<u32>b) * q);
      } else if (rel == 5) {
        const r = reinterpret<f32>(<u32>(genS() & 0x7f800000 | ((next() & 0xfff) << 11)));
        a = <u64>reinterpret<u32>(r * r);
      }
      a |= 0xffffffff00000000;
      b |= 0xffffffff00000000;
      c |= 0xffffffff00000000;
    } else {
      a = genInt(); b = 0; c = 0;
    }
    const frm = <u32>below(5);
    const fcsr0 = (frm << 5) | (below(4) == 0 ? <u32>below(32) : 0);
    const p: usize = 0x2f0000;
    store<u32>(p, insn);
    store<u32>(p, fcsr0, 8);
    store<u64>(p, a, 16);
    store<u64>(p, b, 24);
    store<u64>(p, c, 32);
    const sx = next(), sf = next();
    store<u64>(p, sx, 40);
    store<u64>(p, sf, 48);
    fpuSetFastPath(true);
    setup(p);
    collect(p, execFp(insn));
    const fx = load<u64>(p, 40), ff = load<u64>(p, 48), fc = load<u32>(p, 56);
    store<u64>(p, sx, 40);
    store<u64>(p, sf, 48);
    fpuSetFastPath(false);
    setup(p);
    collect(p, execFp(insn));
    fpuSetFastPath(true);
    const slx = load<u64>(p, 40), slf = load<u64>(p, 48), slc = load<u32>(p, 56);
    if (fx != slx || ff != slf || fc != slc) {
      if (mism == 0) {
        const m = MISMATCH_PTR;
        store<u64>(m, insn);
        store<u64>(m, fcsr0, 8);
        store<u64>(m, a, 16);
        store<u64>(m, b, 24);
        store<u64>(m, c, 32);
        store<u64>(m, fx, 40);
        store<u64>(m, ff, 48);
        store<u64>(m, fc, 56);
        store<u64>(m, slx, 64);
        store<u64>(m, slf, 72);
        store<u64>(m, slc, 80);
      }
      mism++;
    }
  }
  return mism;
}

// Executes insn n times on fixed operands; returns a value depending on the results.
export function bench(insn: u32, a: u64, b: u64, c: u64, fcsr: u32, n: u32): u64 {
  store<u64>(F_REGS + 8, a);
  store<u64>(F_REGS + 16, b);
  store<u64>(F_REGS + 24, c);
  store<u64>(X_REGS + (XRS1 << 3), a);
  let acc: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    store<u32>(FCSR, fcsr);
    execFp(insn);
    acc += load<u64>(F_REGS + (FRD << 3));
  }
  return acc;
}
