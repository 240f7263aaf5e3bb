// What a page's new code compiles to, as a pure function of what cache.ts's
// key names (the page's bytes, its virtual page, the entries asked for and
// the block starts already translated): discovery (region.ts) and code
// generation (codegen.ts) into one module exporting the components as c0,
// c1, …. It touches no hart, memory or table, so the guest's thread
// (jit.ts, synchronous mode) and the translator thread (worker-thread.ts)
// run the very same code. Compressed instructions are expanded through
// `expand`: the hart's own expander on the guest's thread, a table made from
// it (expandTable) on the translator thread.

import { components, discover, split, subRegion } from "./region.js";
import { genRegion, newModule } from "./codegen.js";
import type { CachedComponent } from "./cache.js";
import type { Expander } from "./decode.js";

export interface UnitCode {
  comps: CachedComponent[];
  wasm: Uint8Array;
  insnCount: number;
  splits: number; // wasm functions more than components, from splitting big ones (region.ts's split)
}

// undefined: nothing translatable is reachable from the entries.
export function translateUnit(code: Uint8Array, vpage: number, entries: readonly number[], known: readonly number[], expand: Expander): UnitCode | undefined {
  const region = discover(code, [...entries], expand, new Set(known));
  if (region.insnCount === 0) return undefined;
  const mod = newModule(false); // components call no table
  const comps: CachedComponent[] = [];
  const groups = components(region);
  let pieces = 0;
  for (const g of groups) {
    const parts = split(region, g);
    // The pieces of one component call each other directly (codegen.ts's
    // FnGen.siblings): piece k is the module's function mod.nextFunc + k.
    const fnOf = new Map<number, number>();
    if (parts.length > 1) parts.forEach((blocks, k) => { for (const i of blocks) fnOf.set(region.blocks[i].start, mod.nextFunc + k); });
    for (const blocks of parts) {
      const sub = subRegion(region, blocks);
      genRegion(mod, sub, vpage * 4096, `c${comps.length}`, fnOf);
      comps.push({ blocks: sub.blocks.map((b) => [b.start, b.insns.length > 0]), ranges: sub.ranges, insnCount: sub.insnCount });
    }
    pieces += parts.length;
  }
  return { comps, wasm: mod.encode(), insnCount: region.insnCount, splits: pieces - groups.length };
}

// Every 16-bit parcel's expansion (0 where the parcel is not compressed):
// the translator thread has no hart to ask.
export function expandTable(expand: Expander): Uint32Array {
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) if ((h & 3) !== 3) t[h] = expand(h) >>> 0;
  return t;
}
