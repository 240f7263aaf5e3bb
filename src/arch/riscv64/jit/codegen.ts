// Code generation. A translated page is a small page function (genPage) that
// dispatches on PC to the functions of the page's components (region.ts),
// each a wasm function (left) -> left that runs its code from PC until it
// leaves the component, traps, or spends the budget. The page function calls
// components through the shared table, so a component, once compiled, serves
// every later version of its page's translation: new hot code in the page
// compiles only the new components and a new page function.
//
// A component function:
//
//   prologue: load the guest registers it keeps in locals (chooseLocals: the
//             8 it uses most; the others are read and written in X_REGS)
//   block $exit
//     loop $L                      ; backward branches that are not a loop's come back here
//       budget spent: PC = the block at the index; leave
//       block $miss
//         block $u[U-1] ... block $u[0]
//           br_table on (PC & 0xfff) >> 1 -> $u[x] where unit x has that block, else $miss
//         end  code of unit 0
//         ...
//         end  code of unit U-1
//       end  PC not a block start: leave (the page function dispatches again)
//     end
//   end
//   epilogue: store the locals' registers the region writes; return left
//
// A unit is one block, or the blocks of a loop (a backward branch from its
// last block to its first: loopUnits, genLoop), which become a wasm loop of
// their own: its back edge is a plain branch to the loop's head, and V8 sees
// (and allocates registers for) the guest's loop as a loop, instead of every
// iteration going through $L's entry switch, an indirect jump. Code follows
// the end of its unit's label, so a forward branch is a plain `br`; a
// backward one outside a loop unit sets the index and goes through $L.
// Every block subtracts its length from the budget on entry; the budget is
// checked where control comes back (a loop's back edge, $L), the only way a
// component runs on without bound: a forward path runs each of its blocks
// once, so the budget may be overshot by at most one component's
// instructions (MAX_INSNS, region.ts), and a spent budget stops at a block
// start with PC and the count exact (a back edge with no budget left goes
// through $L, which leaves). (A check on every block cost a compare and a
// branch per block on the left count, which V8 keeps in a stack slot in big
// components.) An instruction that traps gives back its own count and that
// of the instructions after it.

import { Code, F64, I32, I64, ModuleBuilder, Op, FuncDef } from "./wasm-encoder.js";
import { Insn, Kind, writesX, xRegsUsed } from "./decode.js";
import { Region } from "./region.js";
import { emitInsn } from "./emit-insn.js";
import { findRotates, Rotate } from "./rotate.js";
import * as L from "../layout.js";

// Local indices: 0 is the `left` parameter, 1..31 the x registers.
export const LEFT = 0;
export const VA = 32; // i64: effective address
export const T64 = 33; // i64: scratch (vpn, jump target)
export const ASIDTAG = 34; // i64: the current ASID in TLB-tag position
export const E = 35; // i32: TLB entry offset
export const IDX = 36; // i32: entry offset / 2 for the br_table
export const R = 37; // i32: helper result, scratch
export const FA = 38; // f64: scratch
export const DISP = 39; // i32: 1 when a loop's head must dispatch on IDX (see genRegion)
export const P64 = 40; // i64: scratch (mulh's partial products)
export const Q64 = 41; // i64: scratch
export const W64 = 42; // i64: a value on its way to a guest register kept in memory (xset)
const LOCALS: [number, number][] = [[31 + 3, I64], [3, I32], [1, F64], [1, I32], [3, I64]];

// Helpers imported from the hart module (wasm/jithelpers.ts); order = index.
// Loads, stores and the M extension need none (emit-insn.ts, emit-muldiv.ts).
export const HELPERS: [string, number[], number[]][] = [
  ["jitAmo", [I32], [I32]],
  ["jitCsr", [I32, I64], [I32]],
  ["jitFp", [I32], [I32]],
];
export const enum H { amo, csr, fp }

// A module of translated code; `table`: whether it imports the hart's
// function table (page functions do, for call_indirect; components need not).
// V8 (Node 20) gives every instance importing a table its own copy of the
// table's dispatch targets: instantiating costs in proportion to the table,
// and every table.set updates every such instance (dispatch.ts). Component
// modules, one per page's new code, are most of the modules made.
export function newModule(table = true): ModuleBuilder {
  const m = new ModuleBuilder();
  m.importTable = table;
  for (const [name, params, results] of HELPERS) m.importFunc({ module: "hart", name, params, results });
  return m;
}

// The components' functions, by id: what page functions call. They are not
// in the hart's function table (only page functions are, for the dispatcher
// and the chaining between pages): a page module imports the components it
// calls as functions, so the table stays one slot per translated page. V8
// (Node 20) gives every instance that imports a table its own copy of the
// table's targets: instantiating one costs in proportion to the table, and
// every table.set updates every such instance (dispatch.ts). With components
// in the table too (python3 -c pass, everything translated: ~2,000 of them),
// WebAssembly.Instance of the page modules took 5-6 s of CPU.
export class ComponentFns {
  private readonly fns = new Map<number, WebAssembly.ExportValue>();
  private readonly free: number[] = [];
  private next = 0;

  alloc(): number { return this.free.pop() ?? this.next++; }
  set(id: number, fn: WebAssembly.ExportValue): void { this.fns.set(id, fn); }
  release(id: number): void { this.fns.delete(id); this.free.push(id); }
  // The import object's `c` module for a page module calling these ids.
  imports(ids: Iterable<number>): Record<string, WebAssembly.ExportValue> {
    const out: Record<string, WebAssembly.ExportValue> = {};
    for (const id of ids) out[`f${id}`] = this.fns.get(id)!;
    return out;
  }
}

// The page functions of pages (one module): see genPage. Their components
// are imported first (module "c", name f<id>), each once.
export function genPages(mod: ModuleBuilder, pages: { vbase: number; starts: Map<number, number>; name: string }[]): Set<number> {
  const ids = new Set<number>();
  for (const p of pages) for (const id of p.starts.values()) ids.add(id);
  const type = [I32], fnOf = new Map<number, number>();
  for (const id of ids) fnOf.set(id, mod.importFunc({ module: "c", name: `f${id}`, params: type, results: type }));
  for (const p of pages) genPage(mod, p.vbase, p.starts, p.name, fnOf);
  return ids;
}

// The page function of the page at `vbase`: while PC is in the page, calls
// the component function (`starts`: block start -> component id; `fnOf`: id
// -> imported function index) that has a block starting at PC, and
// returns when one leaves with an exit cause, spends the budget, or writes
// translated code (the dispatcher checks JIT_DIRTY); JIT_EXIT = MISS when no
// component starts at PC (the dispatcher interprets). When PC leaves the
// page, it chains to the translation of PC's page by a tail call if the
// dispatch map has one for (page, ASID): as in the dispatcher, that entry
// exists only while the page maps, executable, the frame the translation was
// made from in this address space (jit.ts, wasm/jitmap.ts). Otherwise it
// returns to the dispatcher.
function genPage(mod: ModuleBuilder, vbase: number, starts: Map<number, number>, name: string, fnOf: Map<number, number>): void {
  const c = new Code();
  const PLEFT = 0, PIDX = 1, PPC = 2;
  const slots = [...new Set(starts.values())];
  const caseOf = new Map(slots.map((s, k) => [s, k]));
  const offs = [...starts.keys()].sort((a, b) => a - b);
  const lo = offs[0] >> 1, hi = offs[offs.length - 1] >> 1;
  const K = slots.length;
  const type = mod.typeOf([I32], [I32]);
  const ret = c.block();
  const loop = c.loop();
  // PC still in this page? Else chain to its page's translation, or return.
  c.i32(0); c.mem(Op.i64_load, L.PC, 3); c.i64(12); c.op(Op.i64_shr_u); c.set(PPC);
  c.get(PPC); c.i64(Math.floor(vbase / 4096)); c.op(Op.i64_ne);
  c.if_();
  c.get(PPC); c.op(Op.i32_wrap_i64);
  c.i32(0); c.mem(Op.i32_load, L.ASID, 2); c.i32(5); c.op(Op.i32_shl); c.op(Op.i32_xor);
  c.i32(L.JIT_MAP_ENTRIES - 1); c.op(Op.i32_and); c.i32(4); c.op(Op.i32_shl); c.set(PIDX);
  c.get(PIDX); c.mem(Op.i64_load, L.JIT_MAP, 3); c.get(PPC); c.op(Op.i64_eq);
  c.get(PIDX); c.mem(Op.i32_load, L.JIT_MAP + 8, 2); c.i32(0); c.mem(Op.i32_load, L.ASID, 2); c.op(Op.i32_eq);
  c.op(Op.i32_and);
  c.if_();
  c.get(PLEFT); c.get(PIDX); c.mem(Op.i32_load, L.JIT_MAP + 12, 2); c.returnCallIndirect(type);
  c.end();
  c.br(ret);
  c.end();
  c.i32(0); c.mem(Op.i64_load, L.PC, 3); c.set(PPC);
  c.get(PPC); c.op(Op.i32_wrap_i64); c.i32(0xfff); c.op(Op.i32_and); c.i32(1); c.op(Op.i32_shr_u); c.set(PIDX);
  const check = c.block();
  c.block(); // $miss
  for (let k = K - 1; k >= 0; k--) c.block();
  c.get(PIDX);
  if (lo) { c.i32(lo); c.op(Op.i32_sub); }
  c.op(Op.br_table);
  c.u32(hi - lo + 1);
  for (let h = lo; h <= hi; h++) {
    const s = starts.get(h * 2);
    c.u32(s === undefined ? K : caseOf.get(s)!);
  }
  c.u32(K);
  for (let k = 0; k < K; k++) {
    c.end();
    c.get(PLEFT); c.call(fnOf.get(slots[k])!); c.set(PLEFT);
    c.br(check);
  }
  c.end(); // $miss
  c.i32(0); c.i32(L.CAUSE_JIT_MISS); c.mem(Op.i32_store, L.JIT_EXIT, 2);
  c.br(ret);
  c.end(); // $check: go on in the page unless something must be handled outside
  c.i32(0); c.mem(Op.i32_load, L.JIT_EXIT, 2); c.brIf(ret);
  c.i32(0); c.mem(Op.i32_load, L.JIT_DIRTY, 2); c.brIf(ret);
  c.get(PLEFT); c.i32(0); c.op(Op.i32_gt_s); c.brIf(loop);
  c.end(); // $L
  c.end(); // $ret
  if (c.depth !== 0) throw new Error("jit: unbalanced page function");
  c.get(PLEFT);
  mod.addFunc({
    params: [I32], results: [I32], locals: [[1, I32], [1, I64]], body: c, exportName: name,
    debugName: `page_${vbase.toString(16)}`,
  });
}

// State while generating one function; emit-insn.ts writes instruction bodies through it.
export class FnGen {
  readonly c = new Code();
  readonly exitLabel: number;
  readonly loopLabel: number;
  blockIndex = 0; // block being generated
  blockLen = 0; // its instruction count
  insnIndex = 0; // index of the instruction being generated in its block
  rotates = new Map<Insn, Rotate>(); // the block's `or`s that complete a rotate (rotate.ts)

  // The layout (genRegion): each block's unit, the units' labels at the top
  // level, and, while a loop unit's code is generated, its blocks' labels.
  unitOf: number[] = []; // the unit holding block k's code (for a loop's block, the loop's)
  entryUnit: number[] = []; // the unit that runs block k when entered from outside its loop (its peeled copy)
  units: Unit[] = [];
  unit = -1; // the unit being generated
  topLabel: number[] = [];
  innerLabel = new Map<number, number>(); // block -> label inside the loop being generated
  loopHead = -1; // the loop's label while inside it

  // Block starts (byte offsets) of the other pieces of a split component
  // (region.ts's split) -> their function index in this module: a branch
  // there is a direct tail call (jumpTo) instead of an exit to the page function.
  siblings: ReadonlyMap<number, number> = new Map();
  written: number[] = []; // the locals' registers the function writes (stored at every exit)

  constructor(readonly region: Region, readonly vbase: number) {
    const c = this.c;
    this.exitLabel = c.block();
    this.loopLabel = c.loop();
  }

  // The guest address of byte `off` of the page.
  pcAt(off: number): number { return this.vbase + off; }

  // Which guest registers the function keeps in locals (chooseLocals); the
  // others live in X_REGS, where each write goes at once. Inside one block a
  // register in memory is also kept in its own local after its first read
  // or write (`cached`), so the block reads it from memory once: cached only
  // by code at the block's top level (blockDepth), which every later
  // instruction of the block follows; forgotten at the next block start and
  // after a helper call (which may write it in memory).
  inLocal: boolean[] = new Array<boolean>(32).fill(true);
  cached: boolean[] = new Array<boolean>(32).fill(false);
  blockDepth = -1;

  xget(r: number): void {
    const c = this.c;
    if (r === 0) c.i64(0);
    else if (this.inLocal[r] || this.cached[r]) c.get(r);
    else {
      c.i32(0); c.mem(Op.i64_load, L.X_REGS + 8 * r, 3);
      if (c.depth === this.blockDepth) { c.tee(r); this.cached[r] = true; }
    }
  }
  xset(r: number): void {
    const c = this.c;
    if (r === 0) c.op(Op.drop);
    else if (this.inLocal[r]) c.set(r);
    else if (c.depth === this.blockDepth) {
      c.set(r); c.i32(0); c.get(r); c.mem(Op.i64_store, L.X_REGS + 8 * r, 3);
      this.cached[r] = true;
    } else {
      c.set(W64); c.i32(0); c.get(W64); c.mem(Op.i64_store, L.X_REGS + 8 * r, 3);
      this.cached[r] = false;
    }
  }
  // A helper may have written registers in X_REGS.
  uncache(): void { this.cached.fill(false); }

  storePc(pc: number): void { this.c.i32(0); this.c.i64(pc); this.c.mem(Op.i64_store, L.PC, 3); }
  setExit(cause: number): void { this.c.i32(0); this.c.i32(cause); this.c.mem(Op.i32_store, L.JIT_EXIT, 2); }

  // left += n: instructions of the current block not retired.
  giveBack(n: number): void {
    if (n === 0) return;
    const c = this.c;
    c.get(LEFT); c.i32(n); c.op(Op.i32_add); c.set(LEFT);
  }

  // Leaves with PC at the current instruction, which did not retire (JIT_EXIT set by the caller or helper).
  trapExit(ins: Insn): void {
    this.storePc(this.pcAt(ins.off));
    this.giveBack(this.blockLen - this.insnIndex);
    this.c.br(this.exitLabel);
  }

  // Leaves after the current instruction retired, going on at `pc`.
  exitAfter(pc: number): void {
    this.storePc(pc);
    this.giveBack(this.blockLen - this.insnIndex - 1);
    this.c.br(this.exitLabel);
  }

  // Transfers control to guest address `target` (after the current instruction retired).
  jumpTo(target: number, fallthroughOk: boolean): void {
    const c = this.c;
    const off = target - this.vbase;
    const j = off >= 0 && off < 4096 ? this.region.byStart.get(off) : undefined;
    if (j === undefined) {
      const f = off >= 0 && off < 4096 ? this.siblings.get(off) : undefined;
      if (f !== undefined) { this.tailTo(target, f); return; }
      this.exitAfter(target);
      return;
    }
    const i = this.blockIndex;
    const x = this.unit;
    const uj = this.units[this.unitOf[j]];
    const intoHead = uj.loop && uj.first === j;
    if (this.unitOf[j] === x && uj.loop) { // inside the loop being generated
      if (j === i + 1 && fallthroughOk) return;
      if (j > i) { c.br(this.innerLabel.get(j)!); return; }
      // Back to the loop: straight to its head while budget is left, else
      // through the component's loop head, which leaves with PC at block j
      // (IDX is set only on that way out: set before the test, it would be
      // live around the loop). Only a dispatching loop (genLoop) has other
      // blocks reached by a backward branch (loopUnits: none do); a peeled
      // loop's are entered through the entry switch, at their copies.
      if (!intoHead && uj.dispatch) { c.i32(off >> 1); c.set(IDX); c.i32(1); c.set(DISP); }
      if (intoHead || uj.dispatch) { c.get(LEFT); c.i32(0); c.op(Op.i32_gt_s); c.brIf(this.loopHead); }
      if (intoHead || !uj.dispatch) { c.i32(off >> 1); c.set(IDX); }
      c.br(this.loopLabel);
      return;
    }
    const e = this.entryUnit[j];
    if (e > x) { // a later unit: its label encloses this code
      if (uj.dispatch) {
        if (intoHead) { c.i32(0); c.set(DISP); } else { c.i32(off >> 1); c.set(IDX); c.i32(1); c.set(DISP); }
      }
      if (e === x + 1 && i === this.units[x].last && fallthroughOk) return; // the end of this unit's code
      c.br(this.topLabel[e]);
      return;
    }
    c.i32(off >> 1); c.set(IDX); c.br(this.loopLabel);
  }

  // Goes on at `pc`, a block of function f of this module (another piece of
  // the same component), after the current instruction retired: with budget
  // left, the locals' written registers stored and a tail call to f, which
  // loads its own and dispatches on PC; without, an exit (exitAfter) that the
  // page function sees as spent. Nothing else the page function checks
  // between two components can be pending here: an exit cause or a write to
  // translated code leaves at once (exitAfter/trapExit), and f is code of the
  // same page and translation.
  tailTo(pc: number, f: number): void {
    const c = this.c;
    this.storePc(pc);
    this.giveBack(this.blockLen - this.insnIndex - 1);
    c.get(LEFT); c.i32(0); c.op(Op.i32_gt_s);
    c.if_();
    for (const r of this.written) { c.i32(0); c.get(r); c.mem(Op.i64_store, L.X_REGS + 8 * r, 3); }
    c.get(LEFT); c.returnCall(f);
    c.end();
    c.br(this.exitLabel);
  }

  // The exact instret value at the current instruction (counting it), for CSR reads.
  instretNow(): void {
    const c = this.c;
    c.i32(0); c.mem(Op.i64_load, L.JIT_IBASE, 3);
    c.get(LEFT); c.i32(this.blockLen - this.insnIndex - 1); c.op(Op.i32_add);
    c.op(Op.i64_extend_i32_s); c.op(Op.i64_sub);
  }
}

// Emits a region as a function of module `mod`, exported as `name`.
// `siblings`: see FnGen.siblings.
export function genRegion(mod: ModuleBuilder, region: Region, vbase: number, name: string, siblings?: ReadonlyMap<number, number>): void {
  const g = new FnGen(region, vbase);
  if (siblings) g.siblings = siblings;
  const c = g.c;
  const units = peelLoops(region, loopUnits(region));
  g.units = units;
  units.forEach((u, x) => {
    if (u.peel) { g.entryUnit[u.first] = x; return; }
    for (let k = u.first; k <= u.last; k++) { g.unitOf[k] = x; g.entryUnit[k] ??= x; }
    if (u.loop) g.entryUnit[u.first] = x;
  });
  g.inLocal = chooseLocals(region, units, g.unitOf);
  const used = new Set<number>();
  const written = new Set<number>();
  for (const b of region.blocks) {
    for (const ins of b.insns) {
      xRegsUsed(ins, used);
      if ((writesX(ins) || ins.kind === Kind.Jal || ins.kind === Kind.Jalr) && ins.rd !== 0) written.add(ins.rd);
    }
  }
  for (const r of used) if (!g.inLocal[r]) { used.delete(r); written.delete(r); }
  g.written = [...written].sort((a, b) => a - b);
  // Prologue (emitted into a separate Code: it goes before the outer block).
  const pro = new Code();
  // The ASID in tag position, through memory: computed in a local, V8 would
  // recompute the shift at every access (its scheduler splits a pure value
  // into the branches using it, here every load's and store's); a loaded value
  // stays one, in a register or a spill slot the compare reads.
  pro.i32(0);
  pro.i32(0); pro.mem(Op.i32_load, L.ASID, 2); pro.op(Op.i64_extend_i32_u); pro.i64(52); pro.op(Op.i64_shl);
  pro.mem(Op.i64_store, L.JIT_ASIDTAG, 3);
  pro.i32(0); pro.mem(Op.i64_load, L.JIT_ASIDTAG, 3); pro.set(ASIDTAG);
  for (const r of [...used].sort((a, b) => a - b)) { pro.i32(0); pro.mem(Op.i64_load, L.X_REGS + 8 * r, 3); pro.set(r); }
  pro.i32(0); pro.mem(Op.i32_load, L.PC, 2); pro.i32(0xfff); pro.op(Op.i32_and); pro.i32(1); pro.op(Op.i32_shr_u);
  pro.set(IDX);
  // The entry switch covers the halfwords from the first block start to the last.
  const lo = region.blocks[0].start >> 1, hi = region.blocks[region.blocks.length - 1].start >> 1;

  const U = units.length;
  // The budget, at the loop head (see the header). A component is only
  // entered with budget left, so the first pass never stops here.
  c.get(LEFT); c.i32(0); c.op(Op.i32_le_s);
  c.if_();
  storeIdxPc(c, vbase);
  c.br(g.exitLabel);
  c.end();
  const missLabel = c.block();
  for (let x = U - 1; x >= 0; x--) g.topLabel[x] = c.block();
  // The entry switch (an index below lo wraps around to a large one: $miss too).
  if (units.some((u) => u.dispatch)) { c.i32(1); c.set(DISP); }
  c.get(IDX);
  if (lo) { c.i32(lo); c.op(Op.i32_sub); }
  c.op(Op.br_table);
  c.u32(hi - lo + 1);
  for (let h = lo; h <= hi; h++) {
    const j = region.byStart.get(h * 2);
    c.u32(j === undefined ? U : g.entryUnit[j]);
  }
  c.u32(U);
  for (let x = 0; x < U; x++) {
    c.end(); // $u[x]
    const u = units[x];
    g.unit = x;
    if (!u.loop) { g.blockIndex = u.first; genBlock(g, u.first); continue; }
    genLoop(g, u, missLabel);
  }
  c.end(); // $miss
  if (c.depth !== missLabel - 1) throw new Error("jit: unbalanced blocks");
  storeIdxPc(c, vbase);
  c.end(); // $L
  c.end(); // $exit
  for (const r of g.written) { c.i32(0); c.get(r); c.mem(Op.i64_store, L.X_REGS + 8 * r, 3); }
  c.get(LEFT);

  const body = new Code();
  body.bytes(pro.view());
  body.bytes(c.view());
  const def: FuncDef = {
    params: [I32], results: [I32], locals: LOCALS, body, exportName: name,
    debugName: `comp_${(vbase + region.blocks[0].start).toString(16)}`,
  };
  mod.addFunc(def);
}

// The guest registers a function keeps in wasm locals: all of them when it
// uses at most MAX_LOCAL_REGS, else the MAX_LOCAL_REGS it uses most (a use in
// a loop unit counting LOOP_WEIGHT); the others live in X_REGS, read and
// written there by each instruction. V8 gives a function's locals host
// registers only while few are live: with every register a local, a big
// component kept most of them in stack slots anyway, paid a load and a
// spill for each at entry, and at each join (the component's loop head, its
// exit) moved every one from slot to slot.
// GHOST_JIT_LOCALS=N sets it (0 to 31: tests, tuning); the code cache does
// not key on it, and need not: a component made at any setting loads and
// stores its own locals, so components of different settings mix.
const MAX_LOCAL_REGS = ((v) => (v && /^\d+$/.test(v) ? Math.min(Number(v), 31) : 8))(globalThis.process?.env?.["GHOST_JIT_LOCALS"]);
const LOOP_WEIGHT = 16;
function chooseLocals(r: Region, units: Unit[], unitOf: number[]): boolean[] {
  const weight = new Array<number>(32).fill(0);
  const regs = new Set<number>();
  r.blocks.forEach((b, k) => {
    const w = units[unitOf[k]].loop ? LOOP_WEIGHT : 1;
    for (const ins of b.insns) {
      regs.clear();
      xRegsUsed(ins, regs);
      for (const x of regs) weight[x] += w;
    }
  });
  const byWeight = weight.map((w, x) => [w, x]).filter(([w, x]) => w > 0 && x !== 0).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const inLocal = new Array<boolean>(32).fill(byWeight.length <= MAX_LOCAL_REGS);
  for (const [, x] of byWeight.slice(0, MAX_LOCAL_REGS)) inLocal[x] = true;
  return inLocal;
}

// A unit of the component's layout: one block, or the blocks first..last of a
// loop (a backward branch from last to first), which becomes a wasm loop.
// A loop's unit dispatches at its head (genLoop) when it was not peeled
// (peelLoops); `peel`: a copy of block `first` of the loop unit that follows,
// run when the block is entered from outside the loop.
export interface Unit { first: number; last: number; loop: boolean; dispatch?: boolean; peel?: boolean }

// The loops: for each backward branch or jump (block s to block t <= s), the
// blocks t..s; the shortest first, then others that do not overlap them (an
// inner loop before its outer one). Every other block is a unit by itself.
export function loopUnits(r: Region): Unit[] {
  const cands: [number, number][] = [];
  r.blocks.forEach((b, s) => {
    const last = b.insns[b.insns.length - 1];
    if (!last || (last.kind !== Kind.Branch && last.kind !== Kind.Jal)) return;
    const t = r.byStart.get(last.off + last.imm);
    if (t !== undefined && t <= s) cands.push([t, s]);
  });
  cands.sort((a, b) => (a[1] - a[0]) - (b[1] - b[0]) || a[0] - b[0]);
  const inLoop = new Array<number>(r.blocks.length).fill(-1);
  const loops: [number, number][] = [];
  for (const [t, s] of cands) {
    let free = true;
    for (let k = t; k <= s && free; k++) if (inLoop[k] >= 0) free = false;
    if (!free) continue;
    for (let k = t; k <= s; k++) inLoop[k] = loops.length;
    loops.push([t, s]);
  }
  const units: Unit[] = [];
  for (let k = 0; k < r.blocks.length;) {
    const l = inLoop[k];
    if (l < 0) { units.push({ first: k, last: k, loop: false }); k++; continue; }
    units.push({ first: loops[l][0], last: loops[l][1], loop: true, dispatch: true });
    k = loops[l][1] + 1;
  }
  return units;
}

// A loop is entered at its head from the blocks before it and at any block
// from the entry switch (a return from a call, an exit on a load's slow path
// and the dispatcher's way back in) or a branch into its middle. A wasm loop
// has one entry, its top: a loop entered elsewhere tests at its head, on
// every iteration, whether it must dispatch (genLoop's DISP), which cost V8
// a flag in a stack slot, a compare and a branch per iteration, and kept IDX
// live around the loop. Instead, each block but the head of a loop of at
// most PEEL_MAX instructions gets a copy (a `peel` unit) just before the
// loop, in order: entered at block k, the code runs the copies of k..last,
// which fall or branch forward into the loop at its head, and the loop
// itself is only ever entered at its top. (loopUnits: inside a loop unit
// every backward branch goes to its head, so the loop never needs to reach
// its own blocks but by forward branches.) Bigger loops dispatch.
const PEEL_MAX = 256;
export function peelLoops(r: Region, units: Unit[]): Unit[] {
  const out: Unit[] = [];
  for (const u of units) {
    if (u.loop) {
      let n = 0;
      for (let k = u.first + 1; k <= u.last; k++) n += r.blocks[k].insns.length;
      if (n <= PEEL_MAX) {
        for (let k = u.first + 1; k <= u.last; k++) out.push({ first: k, last: k, loop: false, peel: true });
        out.push({ first: u.first, last: u.last, loop: true, dispatch: false });
        continue;
      }
    }
    out.push(u);
  }
  return out;
}

// A loop unit:
//   loop $head
//     block $b[last] ... block $b[first]
//       if DISP: DISP = 0; br_table on IDX -> $b[k] (entered at block k)
//     end  code of block first
//     ...
//     end  code of block last      (falls out of the loop to the next unit)
//   end
// A backward branch to the head while budget is left is `br $head` (DISP 0:
// straight into the first block); to another block of the loop it sets IDX
// and DISP first. Forward branches inside the loop are plain `br $b[k]`.
function genLoop(g: FnGen, u: Unit, missLabel: number): void {
  const c = g.c;
  const blocks = g.region.blocks;
  g.loopHead = c.loop();
  g.innerLabel.clear();
  if (!u.dispatch) { // peeled: entered at the top only
    for (let k = u.last; k > u.first; k--) g.innerLabel.set(k, c.block());
    for (let k = u.first; k <= u.last; k++) {
      if (k > u.first) c.end(); // $b[k]
      g.blockIndex = k;
      genBlock(g, k);
    }
    c.end(); // $head
    g.innerLabel.clear();
    g.loopHead = -1;
    return;
  }
  for (let k = u.last; k >= u.first; k--) g.innerLabel.set(k, c.block());
  const lo = blocks[u.first].start >> 1, hi = blocks[u.last].start >> 1;
  c.get(DISP);
  c.if_();
  c.i32(0); c.set(DISP);
  c.get(IDX); if (lo) { c.i32(lo); c.op(Op.i32_sub); }
  c.op(Op.br_table);
  c.u32(hi - lo + 1);
  const rel = (label: number): number => c.depth - label;
  for (let h = lo; h <= hi; h++) {
    const k = g.region.byStart.get(h * 2);
    c.u32(k === undefined ? rel(missLabel) : rel(g.innerLabel.get(k)!));
  }
  c.u32(rel(missLabel)); // not a block of this loop: cannot happen (IDX was set for one)
  c.end();
  for (let k = u.first; k <= u.last; k++) {
    c.end(); // $b[k]
    g.blockIndex = k;
    genBlock(g, k);
  }
  c.end(); // $head
  g.innerLabel.clear();
  g.loopHead = -1;
}

// PC = the page's halfword at IDX.
function storeIdxPc(c: Code, vbase: number): void {
  c.i32(0); c.get(IDX); c.i32(1); c.op(Op.i32_shl); c.op(Op.i64_extend_i32_u); c.i64(vbase); c.op(Op.i64_or);
  c.mem(Op.i64_store, L.PC, 3);
}

function genBlock(g: FnGen, i: number): void {
  const c = g.c;
  const b = g.region.blocks[i];
  const n = b.insns.length;
  g.blockLen = n;
  g.insnIndex = 0;
  g.uncache();
  g.blockDepth = c.depth;
  if (n === 0) { // the first instruction is the interpreter's
    g.storePc(g.pcAt(b.start)); g.setExit(L.CAUSE_JIT_MISS); c.br(g.exitLabel);
    return;
  }
  // Charge the whole block (the budget is checked at the loop head).
  c.get(LEFT); c.i32(n); c.op(Op.i32_sub); c.set(LEFT);
  g.rotates = findRotates(b.insns);
  for (let k = 0; k < n; k++) {
    const ins = b.insns[k];
    g.insnIndex = k;
    const pc = g.pcAt(ins.off);
    const next = pc + ins.len;
    switch (ins.kind) {
      case Kind.Plain: emitInsn(g, ins); break;
      case Kind.Branch: {
        g.xget(ins.rs1); g.xget(ins.rs2);
        c.op([Op.i64_eq, Op.i64_ne, 0, 0, Op.i64_lt_s, Op.i64_ge_s, Op.i64_lt_u, Op.i64_ge_u][ins.f3]);
        c.if_(); g.jumpTo(pc + ins.imm, false); c.end();
        g.jumpTo(next, true);
        return;
      }
      case Kind.Jal:
        if (ins.rd !== 0) { c.i64(next); g.xset(ins.rd); }
        g.jumpTo(pc + ins.imm, true);
        return;
      case Kind.Jalr: {
        g.xget(ins.rs1); c.i64(ins.imm); c.op(Op.i64_add); c.i64(-2); c.op(Op.i64_and); c.set(T64);
        if (ins.rd !== 0) { c.i64(next); g.xset(ins.rd); }
        // Inside the page: through the entry switch; else back to the dispatcher.
        c.get(T64); c.i64(12); c.op(Op.i64_shr_u); c.i64(Math.floor(g.vbase / 4096)); c.op(Op.i64_eq);
        c.if_();
        c.get(T64); c.op(Op.i32_wrap_i64); c.i32(0xfff); c.op(Op.i32_and); c.i32(1); c.op(Op.i32_shr_u); c.set(IDX);
        c.br(g.loopLabel);
        c.end();
        c.i32(0); c.get(T64); c.mem(Op.i64_store, L.PC, 3);
        g.giveBack(n - k - 1);
        c.br(g.exitLabel);
        return;
      }
      case Kind.Ecall: // retires; the kernel steps over it
        g.setExit(L.CAUSE_ECALL_U);
        g.storePc(pc); g.giveBack(n - k - 1); c.br(g.exitLabel);
        return;
      case Kind.Ebreak:
        c.i32(0); c.i64(pc); c.mem(Op.i64_store, L.TRAP_TVAL, 3);
        g.setExit(L.CAUSE_BREAKPOINT);
        g.trapExit(ins);
        return;
      case Kind.FenceI:
        g.setExit(L.CAUSE_FENCE_I);
        g.exitAfter(next);
        return;
      default: throw new Error("jit: unsupported instruction in a block");
    }
  }
  // The block ran into a leader, the page end, or an instruction left to the interpreter.
  const last = b.insns[n - 1];
  g.insnIndex = n - 1;
  const after = g.pcAt(last.off + last.len);
  if (b.stop) { g.setExit(L.CAUSE_JIT_MISS); g.exitAfter(after); return; }
  g.jumpTo(after, true);
}
