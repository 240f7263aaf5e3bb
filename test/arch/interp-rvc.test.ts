// The interpreter runs the common compressed instructions straight from their
// 16 bits (src/arch/riscv64/wasm/interp.ts exec()) and the rest through their
// 32-bit expansion (rvc.ts). This checks the direct path against the
// expansion: every 16-bit parcel, on random register states whose addresses
// fall into mapped, read-only and unmapped pages and across page ends, with
// a cold and a warm TLB, through run() and through the JIT's dispatcher
// (jitRun, block mode), against the expansion executed as a 32-bit
// instruction on a second hart in the same state. Registers, pc, instret,
// trap cause and value, memory and the JIT's hotness counters must agree
// (a 32-bit instruction is 2 bytes longer: its pc and link value are
// compared less 2).
//
// INTERP_RVC_STATES=n: random states per parcel (default 4).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findRoot } from "../helpers/root.js";
import { bareHart, type HartWasm as BareHartWasm } from "../helpers/bare-hart.js";
import * as L from "../../src/arch/riscv64/layout.js";

const ROOT = findRoot("src/arch");
const STATES = Number(process.env["INTERP_RVC_STATES"] ?? 4);
const RAM = 1 << 20;
const CODE = 0x10000; // one executable page (read, execute); the next page is unmapped
const DATA = 0x200000; // two writable pages, one read-only page after an unmapped one
const DATA_PA = 0x20000;

interface HartWasm extends BareHartWasm {
  expandCompressed(h: number): number;
}

function hart(module: WebAssembly.Module): { w: HartWasm; dv: DataView; u8: Uint8Array } {
  const { w, dv, u8, pte } = bareHart<HartWasm>(module, RAM, 50);
  pte(0x4000 + (CODE >> 12) * 8, CODE >> 12, 0xdb); // V R X U A D
  pte(0x5000, DATA_PA >> 12, 0xd7); // V R W U A D
  pte(0x5008, (DATA_PA >> 12) + 1, 0xd7);
  pte(0x5018, (DATA_PA >> 12) + 3, 0xd3); // read-only; 0x202000 is unmapped
  return { w, dv, u8 };
}

test("every compressed instruction runs as its 32-bit expansion does", () => {
  const module = new WebAssembly.Module(readFileSync(join(ROOT, "dist", "hart.wasm")));
  const C = hart(module); // runs the parcel
  const E = hart(module); // runs its expansion
  let seed = 0x2545f491;
  const rnd = (): number => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
  const r64 = (): bigint => (BigInt(rnd()) << 32n) | BigInt(rnd());
  const regVal = (): bigint => {
    const k = rnd() % 8;
    if (k < 5) return BigInt(DATA + (rnd() % 0x2010) - 8);
    if (k === 5) return BigInt(DATA + 0x3000 + (rnd() % 0x1010) - 8);
    if (k === 6) return BigInt.asUintN(64, BigInt((rnd() % 64) - 32));
    return r64();
  };
  const x = new Array<bigint>(32).fill(0n), f = new Array<bigint>(32).fill(0n);
  const data = new Uint8Array(0x2000);
  for (let i = 0; i < data.length; i++) data[i] = rnd() & 255;
  // The code page around the instruction: c.addi x5, 1 (what a jump lands on).
  const page = new Uint8Array(4096);
  for (let o = 0; o < 4096; o += 2) { page[o] = 0x85; page[o + 1] = 0x02; }
  let checked = 0;
  const failures: string[] = [];
  for (let h = 0; h < 0x10000 && failures.length < 10; h++) {
    if ((h & 3) === 3) continue;
    const e = C.w.expandCompressed(h) >>> 0;
    for (let s = 0; s < STATES; s++) {
      for (let i = 1; i < 32; i++) x[i] = regVal();
      for (let i = 0; i < 32; i++) f[i] = r64();
      data[rnd() % data.length] = rnd() & 255;
      const mode = s % 3; // run(1), jitRun(1), jitRun(40): block mode, a jump ends or chains the block
      // Near the page end only for one instruction (the 2-byte form would run one more c.addi there).
      const at = CODE + 2 * (rnd() % 8) + (mode !== 2 && rnd() % 4 === 0 ? 0xff0 : 0);
      if (rnd() % 5 === 0) { C.w.tlbFlushAll(); E.w.tlbFlushAll(); }
      for (const [M, long] of [[C, false], [E, true]] as const) {
        for (let i = 0; i < 32; i++) {
          M.dv.setBigUint64(L.X_REGS + i * 8, x[i], true);
          M.dv.setBigUint64(L.F_REGS + i * 8, f[i], true);
        }
        M.u8.set(page, L.RAM_BASE + CODE);
        if (long) {
          if (at - CODE > 0xff8) continue; // a 32-bit instruction at the page end would cross it
          M.dv.setUint32(L.RAM_BASE + at, e === 0 ? 0 : e, true);
        } else {
          M.dv.setUint16(L.RAM_BASE + at, h, true);
        }
        M.dv.setBigUint64(L.PC, BigInt(at), true);
        M.dv.setBigUint64(L.INSTRET, 0n, true);
        M.dv.setBigUint64(L.TRAP_TVAL, 0n, true);
        M.dv.setUint32(L.FCSR, 0, true);
        M.u8.set(data, L.RAM_BASE + DATA_PA);
      }
      if (e === 0 || at - CODE > 0xff8) {
        // No expansion (reserved): an illegal instruction, the parcel as its value.
        const cause = C.w.run(1); // E ran nothing: the JIT's counters stay equal
        const pc = C.dv.getBigUint64(L.PC, true);
        if (e === 0 && (cause !== L.CAUSE_ILLEGAL || pc !== BigInt(at) || C.dv.getBigUint64(L.TRAP_TVAL, true) !== BigInt(h))) {
          failures.push(`${h.toString(16)}: reserved, got cause ${cause} pc ${pc.toString(16)}`);
        }
        continue;
      }
      const causes = [C, E].map((M) => (mode === 0 ? M.w.run(1) : M.w.jitRun(mode === 1 ? 1 : 40)));
      checked++;
      const diffs: string[] = [];
      if (causes[0] !== causes[1]) diffs.push(`cause ${causes[0]} vs ${causes[1]}`);
      // The expansion's link value is 2 more where it writes one (jal, jalr).
      const op = e & 0x7f, rd = (e >>> 7) & 31;
      const linkOff = (op === 0x6f || op === 0x67) && rd !== 0 ? 2n : 0n;
      for (let i = 0; i < 32; i++) {
        const a = C.dv.getBigUint64(L.X_REGS + i * 8, true), b = E.dv.getBigUint64(L.X_REGS + i * 8, true);
        if (a !== (i === rd ? b - linkOff : b)) diffs.push(`x${i} ${a.toString(16)} vs ${b.toString(16)}`);
        if (C.dv.getBigUint64(L.F_REGS + i * 8, true) !== E.dv.getBigUint64(L.F_REGS + i * 8, true)) diffs.push(`f${i}`);
      }
      const pcC = C.dv.getBigUint64(L.PC, true), pcE = E.dv.getBigUint64(L.PC, true);
      // Fell through (pc past the instruction, then maybe on through c.addi): 2 bytes apart.
      if (pcC !== pcE && !(pcE > BigInt(at) && pcE - pcC === 2n && (pcE - BigInt(at)) % 2n === 0n)) diffs.push(`pc ${pcC.toString(16)} vs ${pcE.toString(16)}`);
      for (const [name, off] of [["instret", L.INSTRET], ["tval", L.TRAP_TVAL], ["hot pc", L.JIT_HOT_PC]] as const) {
        const a = C.dv.getBigUint64(off, true), b = E.dv.getBigUint64(off, true);
        if (a !== b) diffs.push(`${name} ${a.toString(16)} vs ${b.toString(16)}`);
      }
      if (Buffer.compare(C.u8.subarray(L.JIT_COUNTERS, L.JIT_CODE_BITS), E.u8.subarray(L.JIT_COUNTERS, L.JIT_CODE_BITS)) !== 0) diffs.push("counters");
      if (Buffer.compare(C.u8.subarray(L.RAM_BASE + DATA_PA, L.RAM_BASE + DATA_PA + 0x2000), E.u8.subarray(L.RAM_BASE + DATA_PA, L.RAM_BASE + DATA_PA + 0x2000)) !== 0) diffs.push("memory");
      if (diffs.length) failures.push(`${h.toString(16)} (${e.toString(16)}) at ${at.toString(16)} mode ${mode}: ${diffs.join(", ")}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 100000, `only ${checked} cases ran`);
});
