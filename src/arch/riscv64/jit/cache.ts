// Translations by content: the compiled components of one page's new code,
// found again by what they were made from, so that the same code bytes at the
// same virtual address are translated once however often they appear —
// another frame holding the same bytes (a copy of a program, a file read in
// again), another kernel of this process, and, through a PageStore, another
// run of Ghost.
//
// What a translation depends on. jit.ts translates the page's new code
// reachable from `entries` and not already translated (`known` block starts)
// with discover() and genRegion() (region.ts, codegen.ts). Their output is a
// function of the page's 4096 bytes, its virtual address (auipc, jal and
// branch targets), `entries`, `known` and the translator itself; it does not
// depend on the frame, the ASID, the slots of the function table (only page
// functions, never cached, name slots) or the machine's memory size (modules
// import memory and table with no minimum). So the key is (vpage, entries,
// known, a hash of the bytes); a hit is used only after its stored copy of the
// page equals the page now, byte for byte (a hash names, never vouches). The
// translator's version covers the last input: in memory it is this very code;
// a PageStore must include it in its own keys (cache-node.ts).
//
// Each cached unit is one WebAssembly.Module exporting its components as
// c0, c1, …; its Module is shared (V8 keeps one copy of the compiled code) and
// every kernel instantiates it over its own memory and table.

export interface CachedComponent {
  blocks: [start: number, translated: boolean][]; // its block starts; false: left to the interpreter
  ranges: [number, number][];
  insnCount: number;
}

export interface CachedUnit {
  vpage: number;
  page: Uint8Array; // the 4096 bytes it was made from
  comps: CachedComponent[];
  wasm: Uint8Array; // the module's bytes (what a PageStore keeps)
  module: WebAssembly.Module;
}

// Where translations outlive the process (a host directory under Node; none
// in a browser yet). Keys are the cache's own (cacheKey); a store adds what
// identifies the translator. get() returns what put() was given, or undefined
// for anything it cannot vouch for (absent, corrupt, from another build).
export interface PageStore {
  get(key: string, page: Uint8Array): StoredUnit | undefined;
  put(key: string, unit: StoredUnit): void;
}

export interface StoredUnit {
  vpage: number;
  page: Uint8Array;
  comps: CachedComponent[];
  wasm: Uint8Array;
}

// 64-bit FNV-1a over the page's 32-bit words, as two 32-bit halves: an index
// into the cache, not a check (hits are compared byte for byte).
export function pageHash(page: Uint8Array): string {
  const w = new Uint32Array(page.buffer, page.byteOffset, page.byteLength >>> 2);
  let a = 0x811c9dc5, b = 0x01000193;
  for (let i = 0; i < w.length; i++) {
    a = Math.imul(a ^ w[i], 0x01000193);
    b = Math.imul(b ^ (w[i] >>> 7) ^ a, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

export function cacheKey(vpage: number, entries: readonly number[], known: readonly number[], page: Uint8Array): string {
  return `${vpage.toString(16)}/${entries.join(",")}/${known.join(",")}/${pageHash(page)}`;
}

export function samePage(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Process-wide, bounded by the wasm bytes it holds; least recently used goes first.
const MAX_BYTES = 64 << 20;
const units = new Map<string, CachedUnit>();
let bytesHeld = 0;

export function lookup(key: string, page: Uint8Array): CachedUnit | undefined {
  const u = units.get(key);
  if (!u) return undefined;
  if (!samePage(u.page, page)) return undefined;
  units.delete(key); // most recently used last
  units.set(key, u);
  return u;
}

export function remember(key: string, u: CachedUnit): void {
  const old = units.get(key);
  if (old) { bytesHeld -= old.wasm.length; units.delete(key); }
  units.set(key, u);
  bytesHeld += u.wasm.length;
  for (const [k, v] of units) {
    if (bytesHeld <= MAX_BYTES) break;
    units.delete(k);
    bytesHeld -= v.wasm.length;
  }
}

// For tests: forget every translation of this process.
export function clearMemoryCache(): void {
  units.clear();
  bytesHeld = 0;
}
