// A bare hart for the interpreter's unit tests (test/arch/interp-*.test.ts):
// hart.wasm instantiated over `ram` bytes of guest RAM, TLB flushed, ASID 0,
// the given hotness threshold, and Sv48 tables whose upper levels are made:
// root 0x1000 -> 0x2000 -> 0x3000 -> leaf tables at 0x4000 (VA 0..2M) and
// 0x5000 (2M..4M). The test writes the leaves with pte(tablePa, ppn, flags).

import * as L from "../../src/arch/riscv64/layout.js";

// The hart's exports these tests drive (a test adds what else it calls).
export interface HartWasm {
  run(budget: number): number;
  jitRun(budget: number): number;
  jitSetThreshold(n: number): void;
  tlbFlushAll(): void;
  setAsid(asid: number): void;
}

export interface BareHart<W> {
  w: W;
  dv: DataView;
  u8: Uint8Array;
  pte(pa: number, ppn: number, flags: number): void;
}

export function bareHart<W extends { tlbFlushAll(): void; setAsid(asid: number): void; jitSetThreshold(n: number): void }>(
  module: WebAssembly.Module, ram: number, threshold: number,
): BareHart<W> {
  const pages = Math.ceil((L.RAM_BASE + ram) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const table = new WebAssembly.Table({ initial: 16, element: "anyfunc" });
  const w = new WebAssembly.Instance(module, { env: { memory, table } }).exports as unknown as W;
  const dv = new DataView(memory.buffer);
  dv.setUint32(L.RAM_SIZE, ram, true);
  w.tlbFlushAll();
  w.setAsid(0);
  w.jitSetThreshold(threshold);
  const pte = (pa: number, ppn: number, flags: number) => dv.setBigUint64(L.RAM_BASE + pa, (BigInt(ppn) << 10n) | BigInt(flags), true);
  dv.setBigUint64(L.SATP_ROOT, 0x1000n, true);
  pte(0x1000, 2, 1);
  pte(0x2000, 3, 1);
  pte(0x3000, 4, 1);
  pte(0x3008, 5, 1);
  return { w, dv, u8: new Uint8Array(memory.buffer), pte };
}
