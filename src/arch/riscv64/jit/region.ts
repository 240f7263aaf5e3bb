// Region discovery: the code of one 4 KiB virtual page reachable from a set
// of entry points by direct control flow that stays inside the page, split
// into basic blocks, and those blocks split into components (components()):
// the blocks joined by branches, jumps and fall-through, a call joined to its
// return site and, while the two stay small, to its callee in the same page.
// A component is roughly one guest function's hot part (with its small
// callees) and becomes one wasm function; its blocks are the targets of the
// function's internal branches and its possible entries.
//
// Discovery is incremental: code already translated for the page (`known`
// block starts) is not walked again; a new block that runs into a known start
// ends there and hands over to that start's component.
//
// Leaders are the entries, the in-page targets of branches and jal, the
// instruction after a conditional branch, and "return sites": the instruction
// after a call (jal/jalr with rd != 0) or an ecall, where execution comes back
// through the dispatcher. A block ends at a control transfer, before the next
// leader, before an instruction left to the interpreter, or at the page end.

import { decodeAt, Expander, Insn, Kind } from "./decode.js";

export interface Block {
  start: number; // byte offset in the page
  insns: Insn[]; // may be empty: the first instruction is left to the interpreter
  // Where control goes after the last instruction when it does not transfer:
  // the next byte offset (4096: the next page), or -1 if the block ends in a
  // transfer or a trap, or stops before an unsupported instruction (`stop`).
  next: number;
  stop: boolean; // ends in front of an instruction the interpreter must run
}

export interface Region {
  blocks: Block[]; // sorted by start
  byStart: Map<number, number>; // byte offset -> block index
  ranges: [number, number][]; // byte ranges the translation depends on
  insnCount: number;
}

// Caps the work per region (a page holds at most 2048 instructions, but
// overlapping decodings of the same bytes could produce more).
const MAX_INSNS = 2400;
const MAX_BLOCKS = 1024;
// A component's size is its blocks + instructions. One grown by joining
// callees stays under CALL_JOIN_MAX; one larger than SPLIT_MAX is split
// (split()), a loop kept whole up to SPLIT_LOOP_MAX. Smaller caps lost on
// CoreMark, whose hot code is callers joined with their callees: SPLIT_MAX
// 160 or 320 (about 8 and 16 KB of wasm), also with calls joined only up to
// 160: 12-40% more CPU than without splitting in four alternated pairs
// (load 6-10); 800 even (15.05 vs 15.32 s). So only the largest functions
// (up to ~45 KB before, TurboFan's costliest by far) are cut.
// GHOST_JIT_SPLIT=N sets SPLIT_MAX (tuning; SPLIT_LOOP_MAX stays twice it).
const CALL_JOIN_MAX = 800;
export const SPLIT_MAX = ((v) => (v && /^\d+$/.test(v) && Number(v) >= 16 ? Number(v) : 800))(globalThis.process?.env?.["GHOST_JIT_SPLIT"]);
const SPLIT_LOOP_MAX = 2 * SPLIT_MAX;

export function discover(
  page: Uint8Array, entries: Iterable<number>, expand: Expander, known: ReadonlySet<number> = new Set(),
): Region {
  const decoded = new Map<number, Insn>();
  const decode = (off: number): Insn => {
    let d = decoded.get(off);
    if (!d) { d = decodeAt(page, off, expand); decoded.set(off, d); }
    return d;
  };
  const leaders = new Set<number>();
  const work: number[] = [];
  const addLeader = (off: number): void => {
    if (off < 0 || off >= 4096 || (off & 1) || leaders.has(off) || known.has(off)) return;
    if (leaders.size >= MAX_BLOCKS) return;
    leaders.add(off);
    work.push(off);
  };
  for (const e of entries) addLeader(e);
  // Walk forward from each leader, finding more leaders. Walks may overlap
  // (one falls into another's leader); blocks are cut at leaders afterwards.
  const walked = new Set<number>();
  let budget = MAX_INSNS;
  while (work.length && budget > 0) {
    let off = work.pop()!;
    while (off < 4096 && budget-- > 0) {
      if (walked.has(off) || (known.has(off) && !leaders.has(off))) break;
      walked.add(off);
      const ins = decode(off);
      const next = off + ins.len;
      if (ins.kind === Kind.Unsupported) break;
      if (ins.kind === Kind.Branch) { addLeader(off + ins.imm); addLeader(next); break; }
      if (ins.kind === Kind.Jal) { addLeader(off + ins.imm); if (ins.rd !== 0) addLeader(next); break; }
      if (ins.kind === Kind.Jalr) { if (ins.rd !== 0) addLeader(next); break; }
      if (ins.kind === Kind.Ecall || ins.kind === Kind.FenceI) { addLeader(next); break; }
      if (ins.kind === Kind.Ebreak) break;
      off = next;
    }
  }
  const starts = [...leaders].sort((a, b) => a - b);
  const blocks: Block[] = [];
  const byStart = new Map<number, number>();
  let insnCount = 0;
  for (const start of starts) {
    const b: Block = { start, insns: [], next: -1, stop: false };
    let off = start;
    for (;;) {
      if (off >= 4096) { b.next = 4096; break; }
      if (off !== start && (leaders.has(off) || known.has(off))) { b.next = off; break; }
      const ins = decode(off);
      if (ins.kind === Kind.Unsupported) { b.stop = true; b.next = off; break; }
      b.insns.push(ins);
      insnCount++;
      if (ins.kind !== Kind.Plain) break;
      off += ins.len;
    }
    byStart.set(start, blocks.length);
    blocks.push(b);
  }
  return { blocks, byStart, ranges: byteRanges(blocks), insnCount };
}

// The merged byte ranges covered by the blocks' instructions.
function byteRanges(blocks: Block[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const b of blocks) {
    if (b.insns.length === 0) { spans.push([b.start, Math.min(4096, b.start + 2)]); continue; }
    const last = b.insns[b.insns.length - 1];
    spans.push([b.start, last.off + last.len]);
  }
  return mergeRanges(spans);
}

// Byte ranges [start, end) sorted and with overlapping or touching ones joined.
export function mergeRanges(spans: [number, number][]): [number, number][] {
  spans.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const s of spans) {
    const top = out[out.length - 1];
    if (top && s[0] <= top[1]) top[1] = Math.max(top[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

// The blocks (indices) of each component, each list sorted by start.
export function components(r: Region): number[][] {
  const n = r.blocks.length;
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i] = parent[parent[i]]; return i; };
  const join = (i: number, off: number): void => {
    const j = r.byStart.get(off);
    if (j !== undefined) parent[find(i)] = find(j);
  };
  for (let i = 0; i < n; i++) {
    const b = r.blocks[i];
    if (b.next >= 0) join(i, b.next);
    const last = b.insns[b.insns.length - 1];
    if (!last) continue;
    const next = last.off + last.len;
    switch (last.kind) {
      case Kind.Branch: join(i, last.off + last.imm); join(i, next); break;
      case Kind.Jal: if (last.rd === 0) join(i, last.off + last.imm); else join(i, next); break;
      case Kind.Jalr: if (last.rd !== 0) join(i, next); break;
      case Kind.Ecall: case Kind.FenceI: join(i, next); break;
      default: break;
    }
  }
  // Calls to code of the same page join the callee's component when both stay
  // small: the call and the return then stay inside one wasm function (a
  // branch, and the entry switch for the return) instead of leaving through
  // the page function and reloading every register in the callee.
  const size = Array.from({ length: n }, (_, i) => 1 + r.blocks[i].insns.length);
  const sizeOf = new Map<number, number>();
  for (let i = 0; i < n; i++) { const g = find(i); sizeOf.set(g, (sizeOf.get(g) ?? 0) + size[i]); }
  for (let i = 0; i < n; i++) {
    const last = r.blocks[i].insns[r.blocks[i].insns.length - 1];
    if (!last || last.kind !== Kind.Jal || last.rd === 0) continue;
    const j = r.byStart.get(last.off + last.imm);
    if (j === undefined) continue;
    const a = find(i), b = find(j);
    if (a === b) continue;
    const total = sizeOf.get(a)! + sizeOf.get(b)!;
    if (total > CALL_JOIN_MAX) continue;
    parent[a] = b;
    sizeOf.set(b, total);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = find(i);
    let l = groups.get(g);
    if (!l) { l = []; groups.set(g, l); }
    l.push(i);
  }
  return [...groups.values()];
}

// A component (components()) too big for one wasm function, cut at block
// boundaries into runs of consecutive blocks of at most SPLIT_MAX.
// V8's optimizing compiler costs superlinearly in a function's size (python3
// -c pass, everything translated: 8 ms of TurboFan per KB of body up to 4 KB,
// 20 at 16 KB, 33 at 32 KB; functions over 8 KB were 85% of its time). A
// branch or fall-through from one piece to another leaves the first (its
// written registers stored, PC and the budget exact, codegen.ts's jumpTo)
// and the page function dispatches to the second, as between any two
// components: the cost of a split is that exit at each crossing, so cuts
// are made where no loop (a backward branch) spans the boundary, unless the
// loop itself is over SPLIT_LOOP_MAX.
export function split(r: Region, blocks: number[]): number[][] {
  const size = (i: number): number => 1 + r.blocks[i].insns.length;
  let total = 0;
  for (const i of blocks) total += size(i);
  if (total <= SPLIT_MAX) return [blocks];
  const m = blocks.length;
  const local = new Map(blocks.map((b, k) => [b, k]));
  const acc = new Array<number>(m + 1).fill(0); // acc[k]: size of local blocks before k
  for (let k = 0; k < m; k++) acc[k + 1] = acc[k] + size(blocks[k]);
  const inside = new Array<number>(m).fill(0); // inside[k]: loops (up to SPLIT_LOOP_MAX) spanning the boundary after k
  for (let k = 0; k < m; k++) {
    const last = r.blocks[blocks[k]].insns[r.blocks[blocks[k]].insns.length - 1];
    if (!last || (last.kind !== Kind.Branch && last.kind !== Kind.Jal)) continue;
    const t = local.get(r.byStart.get(last.off + last.imm) ?? -1);
    if (t === undefined) continue;
    // A call joined to its callee (components()) counts as a loop between
    // the two: its return comes back across the same boundaries.
    const call = last.kind === Kind.Jal && last.rd !== 0;
    if (t >= k && !call) continue;
    const lo = Math.min(t, k), hi = Math.max(t, k);
    if (acc[hi + 1] - acc[lo] > SPLIT_LOOP_MAX) continue;
    for (let j = lo; j < hi; j++) inside[j]++;
  }
  const out: number[][] = [];
  let from = 0;
  while (from < m) {
    // The rest if it fits; else the last boundary inside no loop that keeps
    // the piece within SPLIT_MAX; else the first one within SPLIT_LOOP_MAX;
    // else, within SPLIT_MAX (at least one block), the last of those inside
    // the fewest loops (overlapping loops can cover every boundary: an
    // interpreter's dispatch loop).
    const fits = (k: number, max: number): boolean => k < m - 1 && acc[k + 1] - acc[from] <= max;
    let cut = -1;
    if (acc[m] - acc[from] <= SPLIT_MAX) cut = m - 1;
    if (cut < 0) for (let k = from; fits(k, SPLIT_MAX); k++) if (!inside[k]) cut = k;
    for (let k = from; cut < 0 && fits(k, SPLIT_LOOP_MAX); k++) if (!inside[k]) cut = k;
    if (cut < 0) {
      cut = from;
      for (let k = from + 1; fits(k, SPLIT_MAX); k++) if (inside[k] <= inside[cut]) cut = k;
    }
    out.push(blocks.slice(from, cut + 1));
    from = cut + 1;
  }
  return out;
}

// The region restricted to some of its blocks (one component).
export function subRegion(r: Region, blocks: number[]): Region {
  const bs = blocks.map((i) => r.blocks[i]);
  const byStart = new Map<number, number>();
  bs.forEach((b, i) => byStart.set(b.start, i));
  let insnCount = 0;
  for (const b of bs) insnCount += b.insns.length;
  return { blocks: bs, byStart, ranges: byteRanges(bs), insnCount };
}
