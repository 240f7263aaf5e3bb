// The JIT's dispatcher (src/arch/riscv64/wasm/jitrun.ts) interpreting: with
// nothing translated, jitRun() must retire exactly the instructions run()
// retires, report every one of them as interpreted (JIT_INTERP, which the
// compile budget reads), and count every block start exactly once per
// arrival: a taken jump's target or the next page after a fall through its
// end, counted by exec() itself while it goes on (exec-state.ts's
// blockGoesOn) or by jitRun() where exec() stopped. A start is reported hot
// (CAUSE_JIT_HOT) right after the block its threshold-th arrival began, and
// a start whose counter is JIT_COUNTER_ENTRY (a translated start, its page not
// installed) at its first arrival.
//
// The reference is the interpreter single-stepped (run(1)): the arrivals
// are the steps whose next pc is not the next instruction's or is on
// another page. The program: a loop calling a function on another page and
// one that falls from the end of the first page into the second, a branch
// taken one time in four, and a load fault at the end.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";
import { I, B, J, U } from "../helpers/rv-encode.js";
import { bareHart, type HartWasm } from "../helpers/bare-hart.js";
import * as L from "../../src/arch/riscv64/layout.js";

const ROOT = findRoot("src/arch");
const RAM = 1 << 20;
const CODE = 0x10000; // two pages, on frames out of order
const CODE_PA = [0x50000, 0x30000];
const UNMAPPED = 0x300000;
const LOOPS = 300;

const addi = (rd: number, rs1: number, imm: number) => I(0x13, rd, 0, rs1, imm);
const [ZERO, RA, T0, T1, S0, S1, S2, S3, S4, S5] = [0, 1, 5, 6, 8, 9, 18, 19, 20, 21];

// va -> instruction
function program(): Map<number, number> {
  const p = new Map<number, number>();
  const at = (va: number, ...insns: number[]) => insns.forEach((x, i) => p.set(va + 4 * i, x));
  const FAR = CODE + 0x1100, FALL = CODE + 0xff8, LOOP = CODE + 8, SKIP = CODE + 0x1c, END = CODE + 0x30;
  at(CODE, addi(S0, ZERO, LOOPS), addi(S1, ZERO, 0));
  at(LOOP,
    addi(S1, S1, 1),
    I(0x13, T0, 7, S1, 3), // andi t0, s1, 3
    B(0, T0, ZERO, SKIP - (LOOP + 8)), // beq t0, zero, skip
    addi(S2, S2, 1),
    addi(S2, S2, 2));
  at(SKIP,
    J(RA, FAR - SKIP), // jal ra, far (the other page)
    J(RA, FALL - (SKIP + 4)), // jal ra, fall (falls into the other page)
    addi(S0, S0, -1),
    B(1, S0, ZERO, LOOP - (SKIP + 12)), // bne s0, zero, loop
    J(ZERO, END - (SKIP + 16)));
  at(END, U(0x37, T1, UNMAPPED >>> 12), I(0x03, T1, 3, T1, 0)); // lui t1; ld t1, 0(t1): the end
  at(FALL, addi(S4, S4, 1), addi(S4, S4, 1), addi(S5, S5, 1), I(0x67, ZERO, 0, RA, 0)); // … jalr zero, ra
  at(FAR, addi(S3, S3, 1), I(0x67, ZERO, 0, RA, 0));
  return p;
}

interface Hart { w: HartWasm; dv: DataView }

function hart(module: WebAssembly.Module, threshold: number): Hart {
  const { w, dv, pte } = bareHart<HartWasm>(module, RAM, threshold);
  for (let i = 0; i < 2; i++) pte(0x4000 + ((CODE >> 12) + i) * 8, CODE_PA[i]! >> 12, 0xdb); // V R X U A D
  for (const [va, insn] of program()) {
    const k = (va - CODE) >> 12;
    dv.setUint32(L.RAM_BASE + CODE_PA[k]! + (va & 0xfff), insn, true);
  }
  new Uint8Array(dv.buffer).fill(0xff, L.JIT_MAP, L.JIT_MAP + L.JIT_MAP_ENTRIES * 16); // nothing translated
  dv.setBigUint64(L.PC, BigInt(CODE), true);
  return { w, dv };
}

const pcOf = (h: Hart) => Number(h.dv.getBigUint64(L.PC, true));
const instret = (h: Hart) => Number(h.dv.getBigUint64(L.INSTRET, true));
const counter = (pc: number) => L.JIT_COUNTERS + (((pc >>> 1) & L.JIT_COUNTER_MASK) << 2);
const regs = (h: Hart) => Array.from({ length: 32 }, (_, i) => h.dv.getBigUint64(L.X_REGS + 8 * i, true));

// Single steps: the final state, and each block start's arrivals (instret
// when reached); the first pc counts as one (jitRun counts where it starts).
function reference(module: WebAssembly.Module) {
  const h = hart(module, 1e9);
  const arrivals = new Map<number, number[]>([[CODE, [0]]]);
  const ends: number[] = [0]; // instret of every arrival, in order
  for (;;) {
    const pc = pcOf(h);
    const cause = h.w.run(1);
    if (cause !== L.CAUSE_BUDGET) return { cause, pc: pcOf(h), instret: instret(h), regs: regs(h), arrivals, ends };
    const next = pcOf(h);
    if (next !== pc + 4 || (next >>> 12) !== (pc >>> 12)) {
      const a = arrivals.get(next) ?? [];
      a.push(instret(h));
      arrivals.set(next, a);
      ends.push(instret(h));
    }
  }
}

// jitRun with `budget` until the fault; every hot report is recorded and
// parked (as jit.ts parks a start it will not translate).
function dispatch(h: Hart, budget: number) {
  const hot: [number, number][] = [];
  for (;;) {
    let left = budget;
    let cause: number;
    for (;;) {
      cause = h.w.jitRun(left);
      left = h.dv.getInt32(L.JIT_LEFT, true);
      if (cause !== L.CAUSE_JIT_HOT) break;
      const pc = Number(h.dv.getBigUint64(L.JIT_HOT_PC, true));
      hot.push([pc, instret(h)]);
      h.dv.setInt32(counter(pc), L.JIT_COUNTER_PARKED, true);
    }
    if (cause !== L.CAUSE_BUDGET) return { cause, hot };
  }
}

test("jitRun interpreting: the instructions run() retires, all counted as interpreted, at every budget", () => {
  const module = new WebAssembly.Module(readFileSync(join(ROOT, "dist", "hart.wasm")));
  const ref = reference(module);
  assert.equal(ref.cause, L.CAUSE_LOAD_PAGE_FAULT);
  assert.ok(ref.instret > LOOPS * 14, `the program ran (${ref.instret} instructions)`);
  for (const budget of [1, 2, 3, 5, 7, 13, 100, 1000, 1e6]) {
    for (const threshold of [1, 7, 1e9]) {
      const h = hart(module, threshold);
      const { cause } = dispatch(h, budget);
      const what = `budget ${budget}, threshold ${threshold}`;
      assert.equal(cause, ref.cause, what);
      assert.equal(pcOf(h), ref.pc, what);
      assert.equal(instret(h), ref.instret, `instret, ${what}`);
      assert.equal(Number(h.dv.getBigUint64(L.JIT_INTERP, true)), ref.instret, `JIT_INTERP, ${what}`);
      assert.deepEqual(regs(h), ref.regs, what);
    }
  }
});

test("jitRun interpreting: each block start counted once per arrival, reported hot after its threshold-th", () => {
  const module = new WebAssembly.Module(readFileSync(join(ROOT, "dist", "hart.wasm")));
  const ref = reference(module);
  // The instret at which the block begun at instret `at` ends: the next arrival.
  const blockEnd = (at: number) => ref.ends.find((e) => e > at) ?? ref.instret;
  for (const threshold of [1, 2, 50, 75, 1e9]) {
    const h = hart(module, threshold);
    const { hot } = dispatch(h, 1e9);
    const expected: [number, number][] = [];
    for (const [pc, a] of ref.arrivals) if (a.length >= threshold) expected.push([pc, blockEnd(a[threshold - 1]!)]);
    expected.sort((x, y) => x[1] - y[1]);
    assert.deepEqual(hot, expected, `hot reports at threshold ${threshold}`);
    for (const [pc, a] of ref.arrivals) {
      const want = a.length >= threshold ? L.JIT_COUNTER_PARKED + a.length - threshold : a.length;
      assert.equal(h.dv.getInt32(counter(pc), true), want, `counter of 0x${pc.toString(16)} at threshold ${threshold}`);
    }
  }
  // The far function's start holds JIT_COUNTER_ENTRY (translated, its page not
  // installed): the interpreter stops at the first jump to it, and it is
  // reported at the end of that first block.
  const h = hart(module, 50);
  const far = CODE + 0x1100;
  h.dv.setInt32(counter(far), L.JIT_COUNTER_ENTRY, true);
  const { hot } = dispatch(h, 1e9);
  assert.deepEqual(hot[0], [far, blockEnd(ref.arrivals.get(far)![0]!)], "an ENTRY start is reported at its first arrival");
});
