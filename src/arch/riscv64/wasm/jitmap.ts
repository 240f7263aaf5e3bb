// The JIT's two tables that the MMU must keep coherent (the JIT itself lives in
// src/arch/riscv64/jit/; its scheme is described in jit.ts there).
//
// The dispatch map is to translated code what the TLB is to data: it maps a
// (virtual page, ASID) to the translation of that page's code, and holds only
// while the page's mapping does. So every TLB flush the kernel asks for also
// drops the matching dispatch entries.
//
// The code bits mark physical frames holding translated code. Such a frame
// never has a write-TLB entry, so every guest store to it reaches
// translateSlow(), which clears the bit and reports the frame (JIT_DIRTY).

import {
  ASID, JIT_MAP, JIT_MAP_ENTRIES, JIT_CODE_BITS, JIT_DIRTY, JIT_DIRTY_LIST, JIT_DIRTY_MAX,
  TLB_W, TLB_ENTRIES,
} from "./layout";

@inline export function mapSlot(vpage: u64, asid: u32): u32 {
  return JIT_MAP + ((((<u32>vpage) ^ (asid << 5)) & (JIT_MAP_ENTRIES - 1)) << 4);
}

export function jitMapFlushAll(): void {
  memory.fill(JIT_MAP, 0xff, JIT_MAP_ENTRIES * 16);
}

export function jitMapFlushAsid(asid: u32): void {
  for (let e = JIT_MAP; e < JIT_MAP + JIT_MAP_ENTRIES * 16; e += 16) {
    if (load<u32>(e, 8) == asid) store<u64>(e, 0xffffffffffffffff);
  }
}

export function jitMapFlushPage(vpage: u64): void {
  const e = mapSlot(vpage, load<u32>(ASID));
  if (load<u64>(e) == vpage) store<u64>(e, 0xffffffffffffffff);
}

// A store is about to go to physical frame f: if it holds translated code,
// report it. Called on every write-TLB miss.
@inline export function noteWrite(f: u32): void {
  const b = JIT_CODE_BITS + (f >>> 3);
  const m: u32 = 1 << (f & 7);
  const v: u32 = load<u8>(b);
  if ((v & m) != 0) {
    store<u8>(b, <u8>(v & ~m));
    const n = load<u32>(JIT_DIRTY);
    if (n < JIT_DIRTY_MAX) store<u32>(JIT_DIRTY_LIST + (n << 2), f);
    store<u32>(JIT_DIRTY, n + 1);
  }
}

// The JIT marked a frame as code: drop the write-TLB entries that point at it
// (in every ASID), so that the next store to it takes the slow path.
export function jitDropWritable(hostPage: u32): void {
  for (let e = TLB_W; e < TLB_W + TLB_ENTRIES * 16; e += 16) {
    if (load<u32>(e, 8) == hostPage) store<u64>(e, 0xffffffffffffffff);
  }
}
