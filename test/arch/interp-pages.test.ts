// The interpreter's loop (src/arch/riscv64/wasm/interp.ts exec()) follows
// the instruction by its host address: sequential code adds 2 or 4 to it,
// and only a page end, a jump out of the page (or to a page's first byte),
// an instruction straddling a page end, or an instruction run by step()
// makes it look pc up in the fetch TLB again. This checks that bookkeeping
// on random programs over three code pages whose physical frames are not
// in order (so a host address carried past a page end reads the wrong
// frame), with: a 32-bit instruction straddling a page end, code falling
// into the next page, jumps to another page and to a page's first byte
// (from its own page and from another), loads crossing a page end and
// instructions that exec() leaves to step() (mulh, div, FP arithmetic),
// rdinstret mid-run, and a load fault at the end.
//
// Each program runs to its fault with run(n) for budgets from 1 to a
// million, and through the JIT's dispatcher (jitRun, block mode, nothing
// ever hot). Every run must end in the same state as single steps, run(1),
// which look pc up at every instruction: cause, pc, instret, the fault's
// address, registers and memory.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";
import { I, R, S, B, J, U } from "../helpers/rv-encode.js";
import { bareHart, type HartWasm } from "../helpers/bare-hart.js";
import * as L from "../../src/arch/riscv64/layout.js";

const ROOT = findRoot("src/arch");
const PROGRAMS = Number(process.env["INTERP_PAGES_PROGRAMS"] ?? 24);
const RAM = 1 << 20;
// Three code pages at VA 0x10000..0x12fff on frames out of order; 0x13000 unmapped.
const CODE = 0x10000;
const CODE_PA = [0x50000, 0x30000, 0x40000];
// Two data pages at VA 0x200000 (sp points into the first); 0x300000 is unmapped.
const DATA = 0x200000;
const DATA_PA = 0x60000;
const SP = DATA + 0x800;
const UNMAPPED = 0x300000;

interface Hart { w: HartWasm; dv: DataView; u8: Uint8Array }

function hart(module: WebAssembly.Module): Hart {
  const { w, dv, u8, pte } = bareHart<HartWasm>(module, RAM, 1e9);
  for (let i = 0; i < 3; i++) pte(0x4000 + ((CODE >> 12) + i) * 8, CODE_PA[i]! >> 12, 0xdb); // V R X U A D
  pte(0x5000, DATA_PA >> 12, 0xd7); // V R W U A D
  pte(0x5008, (DATA_PA >> 12) + 1, 0xd7);
  return { w, dv, u8 };
}

// Compressed encoders (RISC-V unprivileged spec, C); the base formats are rv-encode's.
const cAddi = (rd: number, imm: number) => 0x0001 | (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2);
const cLi = (rd: number, imm: number) => 0x4001 | (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2);
const cSlli = (rd: number, sh: number) => 0x0002 | (rd << 7) | ((sh & 31) << 2);
const cMv = (rd: number, rs: number) => 0x8002 | (rd << 7) | (rs << 2);
const cAdd = (rd: number, rs: number) => 0x9002 | (rd << 7) | (rs << 2);
const cArith = (f: number, rdp: number, rsp: number) => 0x8c01 | ((f >> 2) << 12) | ((rdp - 8) << 7) | ((f & 3) << 5) | ((rsp - 8) << 2);
const cLdsp = (rd: number, off: number) => 0x6002 | (((off >> 5) & 1) << 12) | (rd << 7) | (((off >> 3) & 3) << 5) | (((off >> 6) & 7) << 2);
const cSdsp = (rs: number, off: number) => 0xe002 | (((off >> 3) & 7) << 10) | (((off >> 6) & 7) << 7) | (rs << 2);
const cJ = (off: number) => 0xa001 | (((off >> 11) & 1) << 12) | (((off >> 4) & 1) << 11) | (((off >> 8) & 3) << 9) |
  (((off >> 10) & 1) << 8) | (((off >> 6) & 1) << 7) | (((off >> 7) & 1) << 6) | (((off >> 1) & 7) << 3) | (((off >> 5) & 1) << 2);
const cBz = (bnez: boolean, rsp: number, off: number) => (bnez ? 0xe001 : 0xc001) | (((off >> 8) & 1) << 12) | (((off >> 3) & 3) << 10) |
  ((rsp - 8) << 7) | (((off >> 6) & 3) << 5) | (((off >> 1) & 3) << 3) | (((off >> 5) & 1) << 2);
const cJr = (rs: number, link: boolean) => (link ? 0x9002 : 0x8002) | (rs << 7);

// Register roles: x2 sp, x5 jump address, x6 outer count, x7 unmapped, x8 = 2,
// x9 inner count; random instructions write only x10..x15 (and x1, links).
interface Item { pc: number; size: 2 | 4; targetable: boolean; enc: (self: Item) => number; pick?: { range: number; far: boolean } }

function generate(rnd: () => number): { items: Item[]; faultPc: number } {
  const items: Item[] = [];
  let pc = CODE;
  const add = (size: 2 | 4, enc: (self: Item) => number, targetable = true, pick?: Item["pick"]): Item => {
    const it: Item = { pc, size, targetable, enc, pick };
    items.push(it);
    pc += size;
    return it;
  };
  const reg = () => 10 + (rnd() % 6);
  const imm6 = () => (rnd() % 64) - 32;
  const target = (it: Item) => (it as Item & { to: number }).to;
  const random = () => {
    // A jump (22..28) one time in eight: most code runs.
    let k = rnd() % 56;
    if (k >= 29 || (k >= 27 && pc >= CODE + 0x2000)) k = k % 22; // jumps to another page from pages 0 and 1
    switch (k) {
      case 0: return add(2, () => cAddi(reg(), imm6() || 1));
      case 1: return add(2, () => cLi(reg(), imm6()));
      case 2: return add(2, () => cSlli(reg(), 1 + (rnd() % 31)));
      case 3: return add(2, () => cMv(reg(), reg()));
      case 4: return add(2, () => cAdd(reg(), reg()));
      case 5: return add(2, () => cArith(rnd() % 6, reg(), reg()));
      case 6: return add(2, () => cLdsp(reg(), 8 * (rnd() % 64)));
      case 7: return add(2, () => cSdsp(reg(), 8 * (rnd() % 64)));
      case 8: return add(4, () => I(0x13, reg(), 0, reg(), (rnd() % 4096) - 2048)); // addi
      case 9: return add(4, () => R(0x33, reg(), [0, 4, 6, 7, 1, 5][rnd() % 6]!, reg(), reg(), 0)); // add xor or and sll srl
      case 10: return add(4, () => R(0x33, reg(), 0, reg(), reg(), 0x20)); // sub
      case 11: return add(4, () => R(0x33, reg(), rnd() % 8, reg(), reg(), 1)); // M: mul inline, the rest through step()
      case 12: return add(4, () => U(0x37, reg(), rnd())); // lui
      case 13: return add(4, () => U(0x17, reg(), rnd() % 16)); // auipc
      case 14: return add(4, () => I(0x1b, reg(), 0, reg(), (rnd() % 4096) - 2048)); // addiw
      case 15: return add(4, () => I(0x03, reg(), [0, 1, 2, 3, 4, 5, 6][rnd() % 7]!, 2, 8 * (rnd() % 128) - 512)); // loads
      case 16: return add(4, () => S(0x23, rnd() % 4, 2, reg(), 8 * (rnd() % 128) - 512)); // stores
      case 17: return add(4, () => I(0x03, reg(), 3, 2, 0x7fc - (rnd() % 4))); // ld across the data page end
      case 18: return add(4, () => I(0x07, 1 + (rnd() % 4), 3, 2, 8 * (rnd() % 64))); // fld
      case 19: return add(4, () => R(0x53, 1 + (rnd() % 4), 7, 1 + (rnd() % 4), 1 + (rnd() % 4), 1)); // fadd.d, dynamic rounding
      case 20: return add(4, () => I(0x73, reg(), 2, 0, 0xc02)); // rdinstret
      case 21: return add(4, () => I(0x1b, reg(), 1, reg(), rnd() % 32)); // slliw
      case 22: case 23: return add(4, (s) => B([0, 1, 4, 5, 6, 7][rnd() % 6]!, reg(), reg(), target(s) - s.pc), true, { range: 4000, far: false });
      case 24: return add(2, (s) => cBz(rnd() % 2 === 0, reg(), target(s) - s.pc), true, { range: 250, far: false });
      case 25: return add(2, (s) => cJ(target(s) - s.pc), true, { range: 2000, far: false });
      case 26: return add(4, (s) => J(rnd() % 2 ? 1 : 0, target(s) - s.pc), true, { range: 8000, far: false });
      case 27: { // in the outer loop's middle round only: jump to another page, by jal or through x5
        add(4, () => B(1, 6, 8, 8)); // bne x6, x8, +8
        return add(4, (s) => J(0, target(s) - s.pc), true, { range: 0x3000, far: true });
      }
      case 28: { // the same through x5: auipc, addi, then c.jr, c.jalr or jalr
        const long = rnd() % 3 === 0;
        add(4, () => B(1, 6, 8, long ? 16 : 14)); // bne x6, x8: over the three below
        const au = add(4, (s) => U(0x17, 5, ((target(s) - s.pc + 0x800) >> 12) & 0xfffff), false, { range: 0x3000, far: true });
        add(4, () => I(0x13, 5, 0, 5, (target(au) - au.pc) & 0xfff), false);
        return long ? add(4, () => I(0x67, rnd() % 2, 0, 5, 0), false) : add(2, () => cJr(5, rnd() % 2 === 0), false);
      }
      default: return add(2, () => cAddi(reg(), 1));
    }
  };
  // Page 0: x9's round count, random code, a 32-bit instruction over the page end.
  add(2, () => cLi(9, 2));
  while (pc < CODE + 0xf00) random();
  while (pc < CODE + 0xffe) add(2, () => cAddi(10, 1));
  add(4, () => I(0x13, 11, 0, 11, 7)); // straddles 0x10ffe..0x11001
  // Page 1: random code, then a 16-bit instruction that ends the page.
  while (pc < CODE + 0x1f00) random();
  while (pc < CODE + 0x1ffe) add(2, () => cAddi(12, 1));
  add(2, () => cAddi(13, 3));
  // Page 2 (from its first byte): random code, twice over (x9), then the outer loop (x6) back to page 0.
  while (pc < CODE + 0x2d00) random();
  add(2, () => cAddi(9, -1));
  add(4, (s) => B(1, 9, 0, CODE + 0x2000 - s.pc), false); // bne x9, x0: to this page's first byte
  add(2, () => cAddi(6, -1));
  add(4, () => B(0, 6, 0, 8), false); // beq x6, x0, +8
  add(4, (s) => J(0, CODE - s.pc), false); // to page 0's first byte
  const fault = add(4, () => I(0x03, 10, 3, 7, 0)); // ld x10, 0(x7): a load page fault
  add(4, () => I(0x13, 0, 0, 0, 0), false);
  // Forward targets only (the loops above are the only backward jumps).
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (!it.pick) continue;
    const cands: number[] = [];
    for (let j = i + 1; j < items.length && items[j]!.pc - it.pc <= it.pick.range; j++) {
      const t = items[j]!;
      if (!t.targetable) continue;
      if (it.pick.far && (t.pc >> 12) === (it.pc >> 12)) continue;
      cands.push(t.pc);
    }
    const near = it.pick.far ? cands : cands.slice(0, 6);
    (it as Item & { to: number }).to = near.length ? near[rnd() % near.length]! : fault.pc;
  }
  return { items, faultPc: fault.pc };
}

interface End { cause: number; pc: bigint; instret: bigint; tval: bigint; regs: bigint[]; mem: Buffer }

function runProgram(module: WebAssembly.Module, code: Uint8Array[], init: bigint[], data: Uint8Array, budget: number, jit: boolean): End {
  const H = hart(module);
  // The frames around the code's hold c.addi x10, 1: code run from a wrong frame changes x10.
  for (let a = 0x10000; a < 0x60000; a += 2) H.dv.setUint16(L.RAM_BASE + a, 0x0505, true);
  for (let i = 0; i < 3; i++) H.u8.set(code[i]!, L.RAM_BASE + CODE_PA[i]!);
  H.u8.set(data, L.RAM_BASE + DATA_PA);
  for (let i = 0; i < 32; i++) H.dv.setBigUint64(L.X_REGS + 8 * i, init[i]!, true);
  for (let i = 0; i < 32; i++) H.dv.setBigUint64(L.F_REGS + 8 * i, 0x3ff0000000000000n + BigInt(i), true);
  H.dv.setBigUint64(L.PC, BigInt(CODE), true);
  let cause = 0;
  for (let n = 0; n < 10_000_000; n++) {
    cause = jit ? H.w.jitRun(budget) : H.w.run(budget);
    if (cause !== L.CAUSE_BUDGET) break;
  }
  const regs: bigint[] = [];
  for (let i = 0; i < 32; i++) regs.push(H.dv.getBigUint64(L.X_REGS + 8 * i, true), H.dv.getBigUint64(L.F_REGS + 8 * i, true));
  return {
    cause, pc: H.dv.getBigUint64(L.PC, true), instret: H.dv.getBigUint64(L.INSTRET, true), tval: H.dv.getBigUint64(L.TRAP_TVAL, true),
    regs, mem: Buffer.from(H.u8.subarray(L.RAM_BASE + DATA_PA, L.RAM_BASE + DATA_PA + 0x2000)),
  };
}

test("exec() follows code over page ends, jumps and step()'s instructions as single steps do", () => {
  const module = new WebAssembly.Module(readFileSync(join(ROOT, "dist", "hart.wasm")));
  let seed = 0x1b873593;
  const rnd = (): number => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
  const failures: string[] = [];
  for (let p = 0; p < PROGRAMS && failures.length < 5; p++) {
    const { items, faultPc } = generate(rnd);
    const code = [0, 1, 2].map(() => new Uint8Array(4096));
    const put = (va: number, b: number) => { code[(va - CODE) >> 12]![(va - CODE) & 0xfff] = b & 255; };
    for (const it of items) {
      const v = it.enc(it);
      for (let k = 0; k < it.size; k++) put(it.pc + k, v >>> (8 * k));
    }
    const init = new Array<bigint>(32).fill(0n);
    for (let i = 10; i < 16; i++) init[i] = BigInt(rnd()) * BigInt(1 + (rnd() % 7));
    init[2] = BigInt(SP); init[6] = 3n; init[7] = BigInt(UNMAPPED); init[8] = 2n;
    const data = new Uint8Array(0x2000);
    for (let i = 0; i < data.length; i++) data[i] = rnd() & 255;
    const ref = runProgram(module, code, init, data, 1, false);
    if (ref.cause !== L.CAUSE_LOAD_PAGE_FAULT || ref.pc !== BigInt(faultPc) || ref.tval !== BigInt(UNMAPPED) || ref.instret < 100n) {
      failures.push(`program ${p}: single steps ended with cause ${ref.cause} at ${ref.pc.toString(16)} (tval ${ref.tval.toString(16)}, instret ${ref.instret}), want the load fault at ${faultPc.toString(16)}`);
      continue;
    }
    for (const jit of [false, true]) {
      for (const budget of [1, 2, 3, 5, 7, 13, 64, 1000, 1_000_000]) {
        if (!jit && budget === 1) continue;
        const r = runProgram(module, code, init, data, budget, jit);
        const diffs: string[] = [];
        if (r.cause !== ref.cause) diffs.push(`cause ${r.cause}`);
        if (r.pc !== ref.pc) diffs.push(`pc ${r.pc.toString(16)}`);
        if (r.instret !== ref.instret) diffs.push(`instret ${r.instret} (want ${ref.instret})`);
        if (r.tval !== ref.tval) diffs.push(`tval ${r.tval.toString(16)}`);
        r.regs.forEach((v, i) => { if (v !== ref.regs[i]) diffs.push(`${i & 1 ? "f" : "x"}${i >> 1}`); });
        if (Buffer.compare(r.mem, ref.mem) !== 0) diffs.push("memory");
        if (diffs.length) failures.push(`program ${p}, ${jit ? "jitRun" : "run"}(${budget}): ${diffs.slice(0, 8).join(", ")}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});
