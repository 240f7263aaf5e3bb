// Where translations are reachable from (jit.ts): the hart's dispatch map
// (wasm memory, JIT_MAP: (virtual page, ASID) -> function-table slot of the
// page function), the code bits of frames holding installed code (a store to
// such a frame takes the slow path, see jit.ts's header), and the slots of
// the shared function table that page functions occupy (components are not
// in it: a page module imports the components its page function calls).
//
// Cost to keep in mind: V8 (as of Node 20) keeps, in every instance that
// imports a function table, its own copy of that table's dispatch targets.
// Instantiating a module that imports the table costs in proportion to the
// table's size, and every table.set updates every such instance: the number
// of modules and slots matters, not only their bytes (measured, a one-function
// module importing a 2048-entry table: 1000 instances took 317 ms of CPU
// against 32 ms for 100; 2000 table.set 42 ms with those 1000 instances alive
// against 2 ms with 100). Under GHOST_JIT_BUDGET=0, perl's loop spent 14% of
// its samples in WebAssembly.Instance, more than in WebAssembly.Module (10%)
// or in translating (9%).

import { ASID, JIT_CODE_BITS, JIT_MAP, JIT_MAP_ENTRIES, RAM_BASE } from "../layout.js";

// What the map needs of a translated page.
export interface Installable {
  frame: number;
  vpage: number;
  slot: number; // function-table index of the page function (what the dispatch map holds)
}

export class DispatchMap {
  private u8: Uint8Array; // views of the memory, made anew after it grows (memoryGrew)
  private dv: DataView;
  private readonly used: boolean[] = [true]; // table index 0 stays null
  private readonly freeSlots: number[] = [];

  constructor(
    memory: WebAssembly.Memory,
    readonly table: WebAssembly.Table,
    // The hart forgets its write-TLB entries for a frame that now holds code.
    private readonly dropWritable: (hostPage: number) => void,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.flush();
  }

  memoryGrew(memory: WebAssembly.Memory): void {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  // fence.i, riscv_flush_icache: nothing installed survives unchecked.
  flush(): void {
    this.u8.fill(0xff, JIT_MAP, JIT_MAP + JIT_MAP_ENTRIES * 16);
  }

  private entry(vpage: number, asid: number): number {
    return JIT_MAP + ((((vpage >>> 0) ^ (asid << 5)) & (JIT_MAP_ENTRIES - 1)) << 4);
  }

  // Makes t reachable for the current address space (which maps t's page to t's frame).
  install(t: Installable): void {
    const asid = this.dv.getUint32(ASID, true);
    const e = this.entry(t.vpage, asid);
    this.dv.setUint32(e, t.vpage >>> 0, true);
    this.dv.setUint32(e + 4, Math.floor(t.vpage / 0x100000000), true);
    this.dv.setUint32(e + 8, asid, true);
    this.dv.setUint32(e + 12, t.slot, true);
    const b = JIT_CODE_BITS + (t.frame >>> 3), bit = 1 << (t.frame & 7);
    if (!(this.u8[b] & bit)) {
      this.u8[b] |= bit;
      this.dropWritable(RAM_BASE + t.frame * 4096);
    }
  }

  // Removes every entry of t (in any address space).
  uninstall(t: Installable): void {
    const dv = this.dv;
    for (let e = JIT_MAP; e < JIT_MAP + JIT_MAP_ENTRIES * 16; e += 16) {
      if (dv.getUint32(e + 12, true) === t.slot && dv.getUint32(e, true) === (t.vpage >>> 0)) {
        dv.setUint32(e, 0xffffffff, true);
        dv.setUint32(e + 4, 0xffffffff, true);
      }
    }
  }

  // The frame holds no translation any more: stores to it take the fast path again.
  clearCodeBit(frame: number): void {
    this.u8[JIT_CODE_BITS + (frame >>> 3)] &= ~(1 << (frame & 7));
  }

  allocSlot(): number {
    const s = this.freeSlots.pop();
    if (s !== undefined) { this.used[s] = true; return s; }
    const i = this.used.length;
    if (i >= this.table.length) this.table.grow(Math.max(64, this.table.length));
    this.used.push(true);
    return i;
  }

  freeSlot(s: number): void {
    this.table.set(s, null);
    this.used[s] = false;
    this.freeSlots.push(s);
  }

  setSlot(s: number, fn: WebAssembly.ExportValue): void {
    this.table.set(s, fn as never);
  }
}
