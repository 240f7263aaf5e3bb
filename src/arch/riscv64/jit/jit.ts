// The JIT: guest code translated to WebAssembly, one translation per virtual
// page, with the interpreter for everything else. Hart.run() calls Jit.run().
//
// Execution. The hart's dispatcher (jitRun in wasm/jitrun.ts) looks PC's
// (virtual page, ASID) up in the dispatch map (wasm memory, JIT_MAP). On a hit
// it calls the page's translation through the shared function table; the
// translation runs until control leaves the page, a trap, or the budget, and
// returns. On a miss (or when the translation has no block starting at PC) it
// interprets one block, counting how often each block start is interpreted.
// When a count reaches the threshold it returns CAUSE_JIT_HOT and we translate
// the code of that page reachable from the new entry (region.ts, codegen.ts,
// emit-insn.ts), batching several pages into one WebAssembly.Module
// (wasm-encoder.ts).
//
// A page's translation grows by components: each is one wasm function,
// compiled once, for the blocks joined by branches and jumps (about one guest
// function's hot part), and a small page function dispatches among them while
// PC stays in the page. New hot code in a translated page costs the
// compilation of that code only, not of the whole page again — until the
// increments since the page was last translated as one unit reach a fourth
// of it: then it is translated whole again (rebuildWanted), so that code a
// page grew piece by piece joins into few components, at a total cost
// linear in the page's code; and every wasm
// function stays small, which keeps V8's optimizing tier cheap (its register
// allocation grows much faster than linearly with the blocks of a function
// whose blocks all meet at one dispatch loop) and its code good; a call to
// code of the same page joins the callee's component while both are small
// (region.ts). A compile budget counted in guest instructions (JitOptions)
// keeps translation from costing more than it saves on flat profiles. Until the
// machine has run `warmup` instructions, Hart.run() uses the plain
// interpreter: most short programs end before translation would pay for itself.
// After it, the JIT runs only while it measurably pays (paycheck.ts): windows
// with the JIT against windows of the plain interpreter, in CPU time.
//
// Caching and coherence. A translation depends on the code bytes and on the
// virtual address (auipc, jal, branch targets), so it is keyed by (physical
// frame, virtual page) and keeps a copy of the bytes it was made from. It is
// reachable only through the dispatch map, whose entries are keyed by
// (virtual page, ASID) and are installed only after checking that the page
// maps the frame executable in the current address space and that the bytes
// still equal the copy. Entries are dropped:
//   - when the mapping may change: every TLB flush the kernel asks for (page,
//     ASID, all) drops the same dispatch entries (wasm/jitmap.ts). A new
//     address space (exec, fork) has a new ASID and starts with none.
//   - on fence.i and the riscv_flush_icache syscall (Hart.jitFlush): all of them.
//   - when a guest store hits a frame holding installed code: such frames have
//     a code bit and never a write-TLB entry, so the store takes the slow path,
//     which clears the bit and reports the frame; translated code stops right
//     after such a store. We drop the frame's entries (CAUSE_JIT_DIRTY).
// Re-installing (after the page gets hot again) re-checks the bytes, so a
// translation survives writes to data sharing its page, and a translation of
// a shared frame (page cache, fork) serves every process mapping it at the
// same address; changed bytes mean a new translation. When the kernel
// reallocates a frame (PhysAllocator.alloc -> Hart.jitFrameAlloc) its
// translations are discarded. A frame whose code keeps being written is left
// to the interpreter. Kernel writes (e.g. read() into a code page) are not
// seen until the next fence.i or mapping change, as on hardware.
//
// Content cache. Each page's new code (its components, one module) is also
// kept by content (cache.ts): the same bytes at the same address in another
// frame, another kernel of this process or, through JitOptions.store
// (cache-node.ts), another run reuse it after a byte-for-byte check of the
// page. Page functions import the components they call (codegen.ts's
// ComponentFns: components are not in the function table, which holds page
// functions only), so they are made anew (one small module per batch).
//
// Translator thread. Under Node, translation leaves the guest's thread
// through the content cache (JitOptions.async): see worker.ts. The dispatch
// map, code bits and function-table slots are kept by dispatch.ts.

import {
  CAUSE_JIT_HOT, CAUSE_JIT_DIRTY, CAUSE_FENCE_I, RES_VALID, JIT_LEFT, JIT_DIRTY, JIT_DIRTY_LIST, JIT_DIRTY_MAX,
  JIT_COUNTERS, JIT_COUNTER_MASK, JIT_COUNTER_PARKED, JIT_COUNTER_ENTRY, JIT_HOT_PC, JIT_INTERP, INSTRET, RAM_BASE, ACC_X,
  CAUSE_ECALL_U,
} from "../layout.js";
import { discover, mergeRanges } from "./region.js";
import { CachedUnit, cacheKey, lookup, remember } from "./cache.js";
import type { JitOptions, JitStats } from "./options.js";
import { Paycheck } from "./paycheck.js";
import { ComponentFns, genPages, newModule } from "./codegen.js";
import { decodeAt, Kind } from "./decode.js";
import { translateUnit } from "./worker-unit.js";
import { DispatchMap } from "./dispatch.js";

export type { JitOptions, JitStats } from "./options.js";
import { ASYNC_ESTIMATE, ASYNC_SHARE, InFlight, InFlightUnits, mayRebuild, PendingPages, rebuildSize, TranslatorThread } from "./worker.js";

export interface JitHartExports {
  run(budget: number): number;
  jitRun(budget: number): number;
  jitSetThreshold(n: number): void;
  jitDropWritable(hostPage: number): void;
  expandCompressed(half: number): number;
  translateForKernel(va: number, acc: number): number;
  [name: string]: unknown;
}

// A translated page.
interface Translation {
  frame: number;
  vpage: number;
  slot: number; // function-table index of the page function (what the dispatch map holds)
  compSlots: number[]; // its components' ids (ComponentFns)
  insns: number; // instructions translated in them
  whole: number; // … of which in the last translation of the page as one unit (rebuildWanted)
  starts: Map<number, number>; // block start (byte offset) -> its component's id
  interpStarts: Set<number>; // block starts whose first instruction is the interpreter's
  ranges: [number, number][]; // byte ranges the translation depends on
  code: Uint8Array; // the page as translated
}

// The compile budget raises the hotness threshold up to this.
const MAX_THRESHOLD = 1 << 16;
// A module's fixed cost (compiling, instantiating) in translated instructions, for the budget.
const MODULE_COST = 200;
// Instructions the JIT must have run before it asks for its first
// translation, when it is measured (JitOptions.paycheck): starting the
// translator costs ~0.15 s of CPU however little it translates (the thread,
// its code run cold the first time: ~30M instructions of the interpreter),
// which a program ending soon after the warm-up never earns back. perl's loop
// of bench/programs.ts (166M instructions, 16M after the warm-up) posted ~10
// units whose replies came after its exit: 1.16x the CPU of GHOST_JIT=0.
// User+sys CPU, GHOST_JIT_CACHE=0, alternated pairs, 0 vs 20M (2026-12-08):
// perl 1.05 -> 0.90 s (5 pairs, load 9-10; GHOST_JIT=0: 0.92 s), with the
// store on 1.16 -> 1.00 s (4 pairs, load 6-7); python3's loop 3.33 -> 3.32 s
// (4 pairs, load 8-9): noise. Load 1-3, same code cache in both: perl 1.01
// -> 0.89 s (4 pairs), xz 3.12 -> 3.07 s (3), openssl dgst -sha256 of cc1
// 4.06 -> 4.11 s (7, +1.3%: about what 20M instructions not translated cost,
// within the noise), python3's loop 3.52 -> 3.56 s (3).
const FIRST_ASK = 20_000_000;

// A frame whose installed code is written this often within PINGPONG_MS is left to the interpreter.
const PINGPONG_LIMIT = 64;
const PINGPONG_MS = 1000;
export class Jit {
  // Sees every module compiled (its number and bytes): the host's hook for
  // GHOST_JIT_DUMP (the kernel itself writes no host files: it runs in browsers too).
  onModule: ((index: number, bytes: Uint8Array) => void) | null = null;
  readonly stats: JitStats = {
    modules: 0, regions: 0, insns: 0, wasmBytes: 0, genMs: 0, compileMs: 0, invalidations: 0, deferred: 0, cacheHits: 0, storeHits: 0, interpreted: 0,
    threadMs: 0, dropped: 0, rebuilds: 0, splits: 0,
  };
  private u8: Uint8Array; // views of the memory, made anew after it grows (memoryGrew)
  private dv: DataView;
  private readonly byFrame = new Map<number, Map<number, Translation>>();
  private readonly map: DispatchMap; // the dispatch map and the function table's slots
  private readonly comps = new ComponentFns(); // the components' functions, by id
  private readonly pending = new PendingPages<Translation>(); // pages to translate, rebuilds put off
  // frame -> code writes since `since` (ms): many in a short time mean code and hot data share it
  private readonly writes = new Map<number, { n: number; since: number }>();
  private readonly noJit = new Set<number>(); // frames left to the interpreter
  private readonly expand: (h: number) => number;
  private warned = false;
  // Where a failed translation is reported once (the kernel routes it to its host).
  warn: (text: string) => void = () => {};
  // Whether the JIT pays (paycheck.ts): until the warm-up's end and while it
  // does not, run() is the plain interpreter's.
  private readonly paycheck: Paycheck;
  private plain = true; // the last run() was the plain interpreter's
  private executed = 0; // instructions run since the JIT started (for the compile budget)
  private spent = 0; // instructions translated, and MODULE_COST for each module
  private threshold: number; // the hotness threshold now (raised by the compile budget)
  private readonly inflight: InFlightUnits; // asked of the translator thread
  private syscalls = 0; // system calls the guest made (for holdSyscalls)

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly table: WebAssembly.Table,
    private readonly hart: JitHartExports,
    private readonly opts: JitOptions,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.expand = (h) => hart.expandCompressed(h);
    this.inflight = new InFlightUnits(this.expand);
    this.threshold = opts.threshold;
    this.paycheck = new Paycheck(opts.paycheck ?? { window: 0, clock: () => 0 }, opts.warmup);
    hart.jitSetThreshold(opts.threshold);
    this.map = new DispatchMap(memory, table, (page) => hart.jitDropWritable(page));
  }

  // The hart's memory grew (Hart.growRam): the old views are detached.
  memoryGrew(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.map.memoryGrew(this.memory);
  }

  // Hart.run() with the JIT: same contract.
  run(budget: number): number {
    const instret = this.dv.getUint32(INSTRET + 4, true) * 0x100000000 + this.dv.getUint32(INSTRET, true);
    if (!this.paycheck.useJit(instret, this.inflight.size > 0 || this.pending.size > 0, this.executed - this.stats.interpreted)) {
      this.plain = true;
      return this.hart.run(budget);
    }
    if (this.plain) this.resume();
    if (this.inflight.size) this.takeReplies();
    this.dv.setUint32(RES_VALID, 0, true);
    let left = budget;
    for (;;) {
      const cause = this.hart.jitRun(left);
      const now = this.dv.getInt32(JIT_LEFT, true);
      this.executed += left - now;
      left = now;
      this.stats.interpreted = this.dv.getUint32(JIT_INTERP + 4, true) * 0x100000000 + this.dv.getUint32(JIT_INTERP, true);
      if (cause === CAUSE_JIT_HOT) {
        this.hot();
        if (this.inflight.size) this.takeReplies();
      }
      else if (cause === CAUSE_JIT_DIRTY) this.dirty();
      else if (cause === CAUSE_FENCE_I) this.flush();
      else {
        if (this.pending.rebuildDue.size) {
          this.pending.queueRebuilds(this.opts.budget === 0 ? Infinity : this.allowed() - this.spent, MODULE_COST);
        }
        if (this.pending.size) this.compilePending();
        // Well within the budget again: code need not be as hot as before.
        if (this.threshold > this.opts.threshold && this.spent < this.allowed() / 2) {
          this.setThreshold(Math.max(this.opts.threshold, this.threshold >> 1));
        }
        if (cause === CAUSE_ECALL_U) this.syscalls++;
        return cause;
      }
    }
  }

  // The JIT again after the plain interpreter, which neither reports fence.i
  // nor leaves run() for a store into installed code: the frames written
  // meanwhile are dropped, and every page is re-checked before it runs
  // translated again (jit.ts's header: installing checks the bytes).
  private resume(): void {
    this.plain = false;
    if (this.dv.getUint32(JIT_DIRTY, true) !== 0) this.dirty();
    this.map.flush();
  }

  get paycheckStats(): Paycheck["stats"] { return this.paycheck.stats; }

  // fence.i, riscv_flush_icache: nothing installed survives unchecked.
  flush(): void {
    this.map.flush();
  }

  // The kernel hands out physical frame `pa` anew: forget what it held.
  frameAlloc(pa: number): void {
    const frame = Math.floor(pa / 4096);
    const m = this.byFrame.get(frame);
    if (m) for (const t of [...m.values()]) this.drop(t);
    if (this.writes.size && this.writes.delete(frame)) this.noJit.delete(frame);
    if (this.pending.size) this.pending.dropFrame(frame);
    // What the translator thread makes of the old contents must not land here.
    if (this.inflight.size) this.stats.dropped += this.inflight.dropFrame(frame);
  }

  private hotPc(): number {
    return this.dv.getUint32(JIT_HOT_PC + 4, true) * 0x100000000 + this.dv.getUint32(JIT_HOT_PC, true);
  }

  private counter(pc: number): number {
    return JIT_COUNTERS + (((pc >>> 1) & JIT_COUNTER_MASK) << 2);
  }

  // Stops a block start from being reported again (it stays with the interpreter).
  private park(pc: number): void {
    this.dv.setInt32(this.counter(pc), JIT_COUNTER_PARKED, true);
  }

  // A block start got hot (it was interpreted `threshold` times), or one
  // whose counter is JIT_COUNTER_ENTRY was interpreted (its page's
  // translation is not installed: after a plain window, a TLB flush, a store
  // to the frame).
  private hot(): void {
    const pc = this.hotPc();
    const entry = this.dv.getInt32(this.counter(pc), true) >= JIT_COUNTER_ENTRY;
    if (pc >= 2 ** 47) { this.park(pc); return; }
    const pcs = this.opts.pcs;
    if (pcs && (pc < pcs[0] || pc >= pcs[1])) { this.park(pc); return; }
    const pa = this.hart.translateForKernel(pc, ACC_X);
    if (pa < 0) { this.dv.setInt32(this.counter(pc), 0, true); return; } // unmapped since: try again later
    const frame = Math.floor(pa / 4096), vpage = Math.floor(pc / 4096), off = pc % 4096;
    if (this.noJit.has(frame)) { this.park(pc); return; }
    let t = this.byFrame.get(frame)?.get(vpage);
    if (t && !this.unchanged(t)) { this.drop(t); t = undefined; }
    if (t) {
      this.map.install(t);
      if (t.starts.has(off)) {
        // The interpreter stops there again (to run the translation), unless
        // the block is the interpreter's anyway.
        this.dv.setInt32(this.counter(pc), t.interpStarts.has(off) ? JIT_COUNTER_PARKED : JIT_COUNTER_ENTRY, true);
        return;
      }
    }
    // Reported for its ENTRY counter but no translated start (any more):
    // another start's counter, or its translation's bytes changed. Not hot:
    // it counts from 0 like any other.
    if (entry) { this.dv.setInt32(this.counter(pc), 0, true); return; }
    // A block whose first instruction is the interpreter's (one split by the
    // page end, a CSR access, …) has nothing to translate: parked at once, it
    // neither waits on the compile budget nor raises the threshold for all
    // other code (libcrypto's SHA-256, two page ends inside its rounds, pushed
    // the threshold to its cap that way).
    const base = RAM_BASE + frame * 4096;
    if (decodeAt(this.u8.subarray(base, base + 4096), off, this.expand).kind === Kind.Unsupported) { this.park(pc); return; }
    const queued = this.pending.has(frame, vpage);
    if (!queued && this.overBudget()) {
      // Translating a block costs about as much as interpreting it thousands
      // of times: while translation has taken its share, code must prove
      // hotter (the threshold doubles; it comes down again while translation
      // stays well within its budget).
      this.stats.deferred++;
      this.dv.setInt32(this.counter(pc), 0, true);
      if (this.threshold < MAX_THRESHOLD) this.setThreshold(Math.min(MAX_THRESHOLD, this.threshold * 2));
      return;
    }
    this.pending.add(frame, vpage, [off]);
    this.park(pc); // until translated (compilePending makes it ENTRY)
    if (this.pending.size >= this.opts.batch) this.compilePending();
  }

  private setThreshold(n: number): void {
    this.threshold = n;
    this.hart.jitSetThreshold(n);
  }

  private allowed(): number {
    const r = this.opts.interpRatio;
    return this.opts.budgetInsns + this.executed / this.opts.budget + (r > 0 ? this.stats.interpreted / r : 0);
  }

  private overBudget(): boolean {
    if (this.opts.budget > 0 && this.opts.paycheck && this.executed < FIRST_ASK) return true;
    return this.opts.budget > 0 && this.spent > this.allowed();
  }

  // Stores reached frames holding installed code.
  private dirty(): void {
    const n = this.dv.getUint32(JIT_DIRTY, true);
    this.dv.setUint32(JIT_DIRTY, 0, true);
    this.stats.invalidations += n;
    if (n > JIT_DIRTY_MAX) { this.flush(); return; }
    for (let i = 0; i < n; i++) {
      const frame = this.dv.getUint32(JIT_DIRTY_LIST + 4 * i, true);
      const m = this.byFrame.get(frame);
      if (!m) continue;
      const now = performance.now();
      let w = this.writes.get(frame);
      if (!w || now - w.since > PINGPONG_MS) { w = { n: 0, since: now }; this.writes.set(frame, w); }
      if (++w.n > PINGPONG_LIMIT) {
        this.noJit.add(frame);
        for (const t of [...m.values()]) this.drop(t);
      } else {
        for (const t of m.values()) this.map.uninstall(t);
      }
    }
  }

  private unchanged(t: Translation): boolean {
    const base = RAM_BASE + t.frame * 4096;
    const u8 = this.u8, code = t.code;
    for (const [s, e] of t.ranges) {
      for (let i = s; i < e; i++) if (u8[base + i] !== code[i]) return false;
    }
    return true;
  }

  private drop(t: Translation): void {
    this.map.uninstall(t);
    // Its starts are no translation's any more: they count from 0 again.
    const base = t.vpage * 4096;
    for (const off of t.starts.keys()) {
      const c = this.counter(base + off);
      if (this.dv.getInt32(c, true) >= JIT_COUNTER_ENTRY) this.dv.setInt32(c, 0, true);
    }
    this.pending.rebuildDue.delete(t);
    const m = this.byFrame.get(t.frame)!;
    m.delete(t.vpage);
    if (m.size === 0) {
      this.byFrame.delete(t.frame);
      this.map.clearCodeBit(t.frame);
    }
    this.map.freeSlot(t.slot);
    for (const s of t.compSlots) this.comps.release(s);
  }

  // Whether new hot code (entries) in old's page should be translated with
  // all of the page's code as one unit again (worker.ts's rebuildSize).
  private rebuildWanted(old: Translation, code: Uint8Array, entries: number[], known: ReadonlySet<number>): boolean {
    if (!mayRebuild(old)) return false;
    const added = rebuildSize(old, discover(code, entries, this.expand, known).insnCount);
    if (added === undefined) return false;
    // Within the compile budget only (a rebuild must not starve new hot
    // code); else once the budget has room (queueRebuilds).
    if (this.opts.budget === 0 || this.spent + old.insns + added <= this.allowed()) return true;
    this.pending.rebuildDue.add(old);
    return false;
  }

  // The new code of page p: from the content cache (cache.ts, then the
  // store), or translated now into a module of its own, which the caches
  // keep; or, with the translator thread, asked of it (POSTED: it lands in
  // the content cache later, see takeReplies).
  private unitFor(p: { frame: number; vpage: number }, code: Uint8Array, entries: number[], known: number[]): CachedUnit | undefined | typeof POSTED {
    const key = cacheKey(p.vpage, entries, known, code);
    const hit = lookup(key, code);
    if (hit) { this.stats.cacheHits++; return hit; }
    const store = this.opts.store;
    const stored = store?.get(key, code);
    if (stored) {
      try {
        const t0 = performance.now();
        const u: CachedUnit = { ...stored, module: new WebAssembly.Module(stored.wasm as Uint8Array<ArrayBuffer>) };
        this.stats.compileMs += performance.now() - t0;
        this.stats.modules++;
        remember(key, u);
        this.stats.storeHits++;
        return u;
      } catch { /* not valid wasm: translate anew (and replace it) */ }
    }
    const th = this.translator();
    if (th) { this.post(th, p, key, code, entries, known); return POSTED; }
    const made = translateUnit(code, p.vpage, entries, known, this.expand);
    if (!made) return undefined; // nothing translatable there: the counters stay parked
    const index = this.stats.modules++;
    this.onModule?.(index, made.wasm);
    const t1 = performance.now();
    const u: CachedUnit = { vpage: p.vpage, page: code, comps: made.comps, wasm: made.wasm, module: new WebAssembly.Module(made.wasm as Uint8Array<ArrayBuffer>) };
    this.stats.compileMs += performance.now() - t1;
    this.stats.insns += made.insnCount;
    this.stats.splits += made.splits;
    this.stats.wasmBytes += made.wasm.length;
    this.spent += made.insnCount;
    remember(key, u);
    store?.put(key, u);
    return u;
  }

  // The translator thread, if this JIT uses one and there is one.
  private translator(): TranslatorThread | undefined {
    if (!this.opts.async) return undefined;
    if (this.inflight.dead()) this.lostThread();
    return this.inflight.translator();
  }

  private post(th: TranslatorThread, p: { frame: number; vpage: number }, key: string, code: Uint8Array, entries: number[], known: number[]): void {
    const charged = entries.length * ASYNC_ESTIMATE * ASYNC_SHARE;
    this.spent += charged;
    this.inflight.post(th, { frame: p.frame, vpage: p.vpage, key, code, entries, later: new Set(), posted: this.syscalls, charged }, known);
  }

  // The translator thread died: what it owed is translated here instead.
  private lostThread(): void {
    for (const f of this.inflight.lost()) this.pending.add(f.frame, f.vpage, [...f.entries, ...f.later]);
  }

  // Takes the translator thread's replies that arrived (with holdSyscalls:
  // those due, waiting for them) into the content cache, and asks for their
  // pages again: compilePending then finds each unit by content if its page
  // still holds the bytes it was made from, and installs it only where the
  // page is still mapped executable — the same checks as for its own
  // translations. A reply for changed bytes is no hit (that code is asked
  // for anew); one for a frame since handed out anew was dropped by frameAlloc.
  private takeReplies(): void {
    if (this.inflight.dead()) { this.lostThread(); return; }
    const later: InFlight[] = [];
    for (const f of this.inflight.due(this.syscalls, this.opts.holdSyscalls ?? 0)) {
      this.spent -= f.charged;
      const r = f.reply!;
      this.stats.threadMs += r.genMs + r.compileMs;
      if (r.error !== undefined || (r.unit && !r.module)) {
        if (!this.warned) { this.warned = true; this.warn(`ghost: jit: ${r.error ?? "no module"}\n`); }
        this.noJit.add(f.frame);
        continue;
      }
      later.push(f);
      if (!r.unit) continue; // nothing translatable there: the counters stay parked
      const index = this.stats.modules++;
      this.onModule?.(index, r.unit.wasm);
      this.stats.insns += r.unit.insnCount;
      this.stats.splits += r.unit.splits;
      this.stats.wasmBytes += r.unit.wasm.length;
      this.spent += r.unit.insnCount * ASYNC_SHARE;
      const u: CachedUnit = { vpage: f.vpage, page: f.code, comps: r.unit.comps, wasm: r.unit.wasm, module: r.module! };
      remember(f.key, u);
      this.opts.store?.put(f.key, u);
      this.pending.add(f.frame, f.vpage, f.entries, f.rebuild);
    }
    if (later.length === 0) return;
    if (this.pending.size) this.compilePending();
    // Entries that got hot while their page was in flight: asked for now (the
    // unit just installed is part of what they are translated against).
    for (const f of later) if (f.later.size) this.pending.add(f.frame, f.vpage, f.later);
  }

  // Translates (or finds in the caches) the new code of the pending pages, a
  // module for each, and their new page functions into one more module; installs
  // what the current address space maps.
  private compilePending(): void {
    const items = this.pending.take();
    const t0 = performance.now();
    const compile0 = this.stats.compileMs;
    const pageMod = newModule();
    interface Built {
      frame: number; vpage: number; code: Uint8Array; old: Translation | undefined; pageSlot: number;
      unit: CachedUnit; slots: number[]; starts: Map<number, number>; interp: Set<number>; rebuild: boolean;
    }
    const built: Built[] = [];
    const taken: number[] = [];
    const slot = (): number => { const s = this.map.allocSlot(); taken.push(s); return s; };
    const compsTaken: number[] = [];
    const untake = (): void => { for (const s of taken) this.map.freeSlot(s); for (const s of compsTaken) this.comps.release(s); };
    const instances: WebAssembly.Instance[] = [];
    const imports = { env: { memory: this.memory, table: this.table }, hart: this.hart as unknown as WebAssembly.ModuleImports };
    const failed = (e: unknown, frames: number[]): void => {
      // A translator bug or an engine limit: the guest must not notice. Leave these pages to the interpreter.
      if (!this.warned) { this.warned = true; this.warn(`ghost: jit: ${(e as Error).message}\n`); }
      for (const f of frames) this.noJit.add(f);
    };
    for (const p of items) {
      if (this.noJit.has(p.frame)) continue;
      const base = RAM_BASE + p.frame * 4096;
      const code = this.u8.slice(base, base + 4096);
      let old = this.byFrame.get(p.frame)?.get(p.vpage);
      if (old && !this.unchanged(old)) { this.drop(old); old = undefined; }
      let known = old ? [...old.starts.keys()].sort((a, b) => a - b) : [];
      const knownSet = new Set(known);
      let entries = [...p.entries].filter((e) => !knownSet.has(e)).sort((a, b) => a - b);
      if (entries.length === 0 && !(old && p.rebuild)) continue;
      const flying = this.inflight.get(p.frame, p.vpage);
      if (flying) {
        for (const e of entries) flying.later.add(e);
        if (old && p.rebuild) this.pending.rebuildDue.add(old); // asked for again after this one
        continue;
      }
      const rebuild = old !== undefined && (p.rebuild === true || this.rebuildWanted(old, code, entries, knownSet));
      if (rebuild) {
        entries = [...new Set([...known, ...entries])].sort((a, b) => a - b);
        known = [];
      }
      let unit: CachedUnit | undefined | typeof POSTED, inst: WebAssembly.Instance;
      try {
        unit = this.unitFor(p, code, entries, known);
        if (unit === POSTED) { if (rebuild) this.inflight.get(p.frame, p.vpage)!.rebuild = true; continue; }
        if (!unit) continue;
        inst = new WebAssembly.Instance(unit.module, imports);
      } catch (e) {
        failed(e, [p.frame]);
        if (old) this.drop(old);
        continue;
      }
      instances.push(inst);
      const b: Built = {
        frame: p.frame, vpage: p.vpage, code, old, pageSlot: old ? old.slot : slot(), unit, slots: [],
        starts: new Map(old && !rebuild ? old.starts : []), interp: new Set(old && !rebuild ? old.interpStarts : []),
        rebuild,
      };
      unit.comps.forEach((c, k) => {
        const s = this.comps.alloc();
        compsTaken.push(s);
        b.slots.push(s);
        this.comps.set(s, inst.exports[`c${k}`]);
        for (const [start, translated] of c.blocks) {
          b.starts.set(start, s);
          if (!translated) b.interp.add(start);
        }
      });
      built.push(b);
    }
    if (built.length === 0) { untake(); return; }
    const ids = genPages(pageMod, built.map((b) => ({ vbase: b.vpage * 4096, starts: b.starts, name: `p${b.pageSlot}` })));
    const bytes = pageMod.encode();
    this.onModule?.(this.stats.modules, bytes);
    const t1 = performance.now();
    let inst: WebAssembly.Instance;
    try {
      inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { ...imports, c: this.comps.imports(ids) });
    } catch (e) {
      failed(e, built.map((b) => b.frame));
      untake();
      for (const b of built) if (b.old) this.drop(b.old);
      return;
    }
    const t2 = performance.now();
    this.stats.compileMs += t2 - t1;
    this.stats.genMs += t1 - t0 - (this.stats.compileMs - compile0 - (t2 - t1));
    this.spent += MODULE_COST;
    this.stats.modules++;
    this.stats.regions += built.length;
    this.stats.wasmBytes += bytes.length;
    for (const b of built) {
      this.map.setSlot(b.pageSlot, inst.exports[`p${b.pageSlot}`]);
      let t = b.old;
      const ranges = mergeRanges([...(t && !b.rebuild ? t.ranges : []), ...b.unit.comps.flatMap((c) => c.ranges)]);
      const insns = b.unit.comps.reduce((n, c) => n + c.insnCount, 0);
      if (t && b.rebuild) {
        // The new page function (installed above) calls only the new components.
        for (const s of t.compSlots) this.comps.release(s);
        t.compSlots = b.slots;
        t.insns = t.whole = insns;
        this.stats.rebuilds++;
        this.pending.rebuildDue.delete(t);
      } else if (t) {
        t.compSlots.push(...b.slots);
        t.insns += insns;
      }
      if (t) {
        t.starts = b.starts;
        t.interpStarts = b.interp;
        t.ranges = ranges;
        t.code = b.code;
      } else {
        t = {
          frame: b.frame, vpage: b.vpage, slot: b.pageSlot, compSlots: b.slots, insns, whole: insns,
          starts: b.starts, interpStarts: b.interp, ranges, code: b.code,
        };
        let m = this.byFrame.get(b.frame);
        if (!m) { m = new Map(); this.byFrame.set(b.frame, m); }
        m.set(b.vpage, t);
      }
      // The interpreter stops at a jump to a translated start (exec-state.ts's blockGoesOn).
      for (const c of b.unit.comps) {
        for (const [start, translated] of c.blocks) {
          if (translated) this.dv.setInt32(this.counter(b.vpage * 4096 + start), JIT_COUNTER_ENTRY, true);
        }
      }
      if (this.hart.translateForKernel(b.vpage * 4096, ACC_X) === b.frame * 4096) this.map.install(t);
    }
  }
}

// unitFor: asked of the translator thread.
const POSTED = Symbol("posted");

