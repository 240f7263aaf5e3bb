// The hart as the kernel sees it: the WebAssembly interpreter, guest RAM, and
// the register file of whichever task is running. Guest physical address p is
// at byte RAM_BASE + p of the wasm memory.

import * as L from "./layout.js";
import { i64Word } from "../../abi/word.js";
import { Jit, JitHartExports, JitOptions } from "./jit/jit.js";
import type { PaycheckOptions } from "./jit/paycheck.js";
import { storeFromEnv } from "./jit/cache-node.js";
import { RegisterFile } from "./regs.js";

interface HartExports extends JitHartExports {
  run(budget: number): number;
  setAsid(asid: number): void;
  tlbFlushAll(): void;
  tlbFlushAsid(asid: number): void;
  tlbFlushPage(va: number): void;
  translateForKernel(va: number, acc: number): number;
}

// The compiled hart, shared by every kernel of the process (it holds no
// state: each Hart instantiates it over its own memory). Node reads
// dist/hart.wasm beside the code; a browser compiles it from a fetch and
// hands it over first (provideHartModule), so no host module is imported.
const compiled: { module?: WebAssembly.Module } = {};

export function provideHartModule(module: WebAssembly.Module): void { compiled.module = module; }

function hartModule(): WebAssembly.Module {
  if (!compiled.module) {
    const fs = globalThis.process?.getBuiltinModule?.("node:fs");
    if (!fs) throw new Error("the hart's wasm was not provided (provideHartModule)");
    const bytes = fs.readFileSync(new URL("../../../hart.wasm", import.meta.url));
    compiled.module = withHartTieringBudget(() => new WebAssembly.Module(bytes));
  }
  return compiled.module;
}

// V8 recompiles a wasm function with TurboFan once its "tiering budget" is
// spent; the budget is counted in bytes of code run, and the interpreter's
// loop (interp/exec) is ~6 KB, so at V8's budget (1,800,000) it is recompiled
// after ~300 guest instructions: a 23,000-instruction static hello paid for
// TurboFan compiling it (77-103 ms in --trace-wasm-compilation-times at load
// 12-15) on another thread, which Node's exit then waits for (it joins V8's
// worker threads): the exit's tail was 43 against 28 ms, 15 pairs at load
// 16, and `node -e` with a timer has 30. The budget is set in each
// module's functions as V8 compiles the module, so the hart's module alone
// is compiled with the largest budget (~350,000 guest instructions before
// TurboFan: ~0.6 ms of the interpreter running Liftoff's code, 5 against 3.2
// ns an instruction, bench/interp), and the flag is put back at once: the
// JIT's modules keep V8's budget, and V8's flag hash (which the CLI's code
// cache must match, cli/code-cache.test.ts) is what it was. What it was: the
// budget the `ghost` command set at its start (cli/main.ts records it under
// "ghost.wasmTieringBudget"), else V8's default where that is known; with
// neither (a V8 of unknown default, used as a library), the hart's module
// is compiled at the budget in effect.
const HART_TIERING_BUDGET = 2_000_000_000;
const V8_TIERING_BUDGET: Record<string, number> = { "11.3": 1_800_000 };

// V8's setFlagsFromString without node:v8, whose loading loads all of Node's
// streams (~4 ms of a start, and what cli/start-modules.test.ts keeps out):
// the binding node:v8 itself uses. Node 20 still gives it through
// process.binding, with a deprecation warning (DEP0111) once, which
// noDeprecation keeps from the user for this access.
function v8Flags(proc: NodeJS.Process): { setFlagsFromString(flags: string): void } | undefined {
  const quiet = proc.noDeprecation;
  proc.noDeprecation = true;
  try {
    const b = (proc as unknown as { binding?(name: string): { setFlagsFromString?(flags: string): void } }).binding?.("v8");
    return typeof b?.setFlagsFromString === "function" ? b as { setFlagsFromString(flags: string): void } : undefined;
  } catch {
    return undefined;
  } finally {
    proc.noDeprecation = quiet;
  }
}

function withHartTieringBudget<T>(compile: () => T): T {
  const proc = globalThis.process;
  const set = (globalThis as Record<symbol, unknown>)[Symbol.for("ghost.wasmTieringBudget")];
  const was = typeof set === "number" ? set : V8_TIERING_BUDGET[/^\d+\.\d+/.exec(proc?.versions?.v8 ?? "")?.[0] ?? ""];
  const v8 = was ? v8Flags(proc) : undefined;
  if (!v8) return compile();
  v8.setFlagsFromString(`--wasm-tiering-budget=${HART_TIERING_BUDGET}`);
  try {
    return compile();
  } finally {
    v8.setFlagsFromString(`--wasm-tiering-budget=${was}`);
  }
}

const TWO32 = 0x100000000;
const WASM_PAGE = 65536;

// GHOST_JIT=0 turns the JIT off; GHOST_JIT_THRESHOLD, GHOST_JIT_BATCH,
// GHOST_JIT_WARMUP, GHOST_JIT_BUDGET (instructions run per instruction
// translated; 0: no budget) and GHOST_JIT_INTERP_RATIO (instructions
// interpreted per instruction translated, on top; 0, the default: none) tune it
// (see JitOptions; 1, 1, 0 and 0 translate every block before it first runs:
// the tests use that); GHOST_JIT_STATS=1 prints its figures to stderr at exit;
// GHOST_JIT_DUMP=DIR (read by the CLI, through Jit.onModule) writes every
// module it compiles there (for wasm-dis); GHOST_JIT_PCS=LO:HI (hex) translates
// only the block starts in [LO, HI): bisecting it finds a miscompiled block.
// Translations persist across runs in GHOST_JIT_CACHE_DIR (default
// $XDG_CACHE_HOME/ghost/jit or ~/.cache/ghost/jit) unless GHOST_JIT_CACHE=0
// (jit/cache-node.ts). GHOST_JIT_ASYNC=0/1 turns the
// translator thread off/on; GHOST_JIT_ASYNC_HOLD=N (tests) takes each of its
// translations only after N more system calls of the guest.
// GHOST_JIT_PAYCHECK (paycheckOptions below) sets how the JIT is measured against the interpreter.
function jitOptions(): JitOptions | undefined {
  const env: Record<string, string | undefined> = globalThis.process?.env ?? {};
  if (env["GHOST_JIT"] === "0") return undefined;
  const num = (v: string | undefined, d: number, min: number): number =>
    (v !== undefined && v !== "" && Number(v) >= min ? Math.floor(Number(v)) : d);
  return {
    threshold: num(env["GHOST_JIT_THRESHOLD"], 50, 1),
    batch: num(env["GHOST_JIT_BATCH"], 8, 1),
    // Past python3's start-up (95M instructions): with 3M, the JIT made it
    // 1.21x the interpreter's CPU time (2.57 s vs 2.13 s, medians of 5 at
    // load ~30); with 150M, 1.00x (2.12 s). Long runs lose ~150M instructions
    // of translated code (CoreMark's bench run is ~24G). Swept again over
    // the nine real-program rows of bench/run.ts (2026-12-07, CPU time of
    // single runs, load 16-26): geometric mean 6.05 s at 150M against 6.38 s
    // at 10M; over the seven shorter rows 3.93 s (150M), 4.60 (40M), 4.21
    // (10M), 4.79 (0). sqlite3 (125M instructions, a flat profile) is what
    // moves: 1.7 s at 150M, 2.8-3.7 s at 40M and below.
    warmup: num(env["GHOST_JIT_WARMUP"], 150_000_000, 0),
    budget: num(env["GHOST_JIT_BUDGET"], 50000, 0),
    budgetInsns: 1000,
    // Off by default: at 4000, gcc's cc1 (a flat profile) translated 36,634
    // instructions instead of 6,252 and took 12.1 s of CPU instead of 7.3 s
    // (openssl dgst gained 7.8 -> 5.8 s).
    interpRatio: num(env["GHOST_JIT_INTERP_RATIO"], 0, 0),
    pcs: pcRange(env["GHOST_JIT_PCS"]),
    store: storeFromEnv(env), // unless GHOST_JIT_CACHE=0 (jit/cache-node.ts)
    // On another thread (jit/worker.ts) unless GHOST_JIT_ASYNC=0; a run that
    // sets the threshold, warm-up or PC range by hand (the tests, bisecting)
    // gets the repeatable synchronous translator unless GHOST_JIT_ASYNC=1.
    async: env["GHOST_JIT_ASYNC"] !== undefined && env["GHOST_JIT_ASYNC"] !== ""
      ? env["GHOST_JIT_ASYNC"] !== "0"
      : [env["GHOST_JIT_THRESHOLD"], env["GHOST_JIT_WARMUP"], env["GHOST_JIT_PCS"]].every((v) => v === undefined || v === ""),
    holdSyscalls: num(env["GHOST_JIT_ASYNC_HOLD"], 0, 0),
    paycheck: paycheckOptions(env),
  };
}

// GHOST_JIT_PAYCHECK=N: windows of N instructions (jit/paycheck.ts), 0: the
// JIT runs from the warm-up on whether it pays or not; N:flip (tests): the
// modes alternate every window. Unset: on, unless the threshold, warm-up or
// PC range is set by hand (the tests, bisecting: the JIT runs then).
function paycheckOptions(env: Record<string, string | undefined>): PaycheckOptions | undefined {
  const v = env["GHOST_JIT_PAYCHECK"];
  const byHand = [env["GHOST_JIT_THRESHOLD"], env["GHOST_JIT_WARMUP"], env["GHOST_JIT_PCS"]].some((x) => x !== undefined && x !== "");
  const m = /^(\d+)(:flip)?$/.exec(v ?? "");
  const window = m ? Number(m[1]) : v === undefined || v === "" ? (byHand ? 0 : PAYCHECK_WINDOW) : 0;
  if (window === 0) return undefined;
  return { window, clock: cpuClock(), flip: m?.[2] !== undefined };
}

// The paycheck's clock, in µs: the CPU time of this thread (the guest's),
// plus BACKGROUND_SHARE of the process's other threads' (the translator
// thread, V8's compiling threads, GC helpers): on an idle second core they
// cost no wall time; on a loaded machine all of it. Without /proc, the
// process's CPU time; in a browser, wall time.
function cpuClock(): () => number {
  const proc = globalThis.process;
  if (!proc?.cpuUsage) return () => performance.now() * 1000;
  const fs = proc.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  const own = (): number => {
    try {
      return Number(fs?.readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) / 1000;
    } catch {
      return NaN;
    }
  };
  return () => {
    const u = proc.cpuUsage(), all = u.user + u.system, mine = own();
    return mine === mine ? mine + BACKGROUND_SHARE * (all - mine) : all;
  };
}
const BACKGROUND_SHARE = 0.5;

// Instructions of a paycheck window: about a third of a second of the
// interpreter, long enough that getrusage's figures are not noise.
const PAYCHECK_WINDOW = 50_000_000;

function pcRange(v: string | undefined): [number, number] | undefined {
  if (!v) return undefined; // (compiling the pattern was ~1% of a small program's start)
  const m = /^(?:0x)?([0-9a-f]+):(?:0x)?([0-9a-f]+)$/i.exec(v ?? "");
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16)] : undefined;
}

// Guest RAM the wasm memory holds at first; it grows as frames are handed
// out (growRam), up to the machine's size. Creating all of it at once made
// V8 count it as external memory at start: a small program's run then paid a
// scavenge and a full mark-compact for it before it ended.
const INITIAL_RAM = 16 << 20;

export class Hart {
  readonly memory: WebAssembly.Memory;
  // Views of the whole wasm memory. A grow (growRam) detaches the old ones
  // and these are made anew: read them from the hart at each use, never
  // keep one (nor a subarray of one) across a frame allocation.
  u8!: Uint8Array;
  dv!: DataView;
  readonly ramSize: number; // bytes of guest physical RAM (--mem)
  ramBacked = 0; // bytes of it the wasm memory holds now (growRam)
  private x!: Int32Array; // x registers as (lo, hi) pairs
  private readonly wasm: HartExports;
  // The translator of hot guest code to WebAssembly (jit/jit.ts), unless turned off.
  readonly jit: Jit | undefined;
  // The address space whose table the MMU walks now (owned by mm/).
  currentMm: object | undefined;

  constructor(ramBytes: number, jit = jitOptions(), initialRam = INITIAL_RAM) {
    const pages = (ram: number) => Math.ceil((L.RAM_BASE + ram) / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages(Math.min(ramBytes, initialRam)), maximum: pages(ramBytes) });
    const table = new WebAssembly.Table({ initial: 256, element: "anyfunc" });
    const inst = new WebAssembly.Instance(hartModule(), { env: { memory: this.memory, table } });
    this.wasm = inst.exports as unknown as HartExports;
    this.ramSize = ramBytes;
    this.views();
    this.wasm.tlbFlushAll();
    // time CSR: 10 MHz, as Linux's riscv timebase on common boards.
    this.setTimeBase(0n, 0n, 0.01);
    if (jit) {
      this.jit = new Jit(this.memory, table, this.wasm, jit);
      if (globalThis.process?.env["GHOST_JIT_STATS"] === "1") {
        const j = this.jit;
        process.on("exit", () => process.stderr.write(`ghost: jit ${JSON.stringify({ ...j.stats, ...j.paycheckStats })}\n`));
      }
    }
  }

  // Makes the wasm memory hold at least `bytes` of guest RAM (PhysAllocator
  // hands out a frame past what it holds): doubled, up to ramSize, so a
  // program's growth costs a few grows. Throws RangeError when the host
  // cannot give the memory.
  growRam(bytes: number): void {
    if (bytes <= this.ramBacked) return;
    const want = Math.min(this.ramSize, Math.max(bytes, 2 * this.ramBacked));
    this.memory.grow(Math.ceil((L.RAM_BASE + want) / WASM_PAGE) - this.memory.buffer.byteLength / WASM_PAGE);
    this.views();
  }

  // The views of the memory, after a grow detached the old ones (the
  // hart's wasm code sees the new size by itself). RAM_SIZE bounds the
  // MMU's page-table walk to the RAM that exists.
  private views(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.x = new Int32Array(buf, L.X_REGS, 64);
    this.stateView = undefined;
    this.ramBacked = Math.min(this.ramSize, buf.byteLength - L.RAM_BASE);
    this.dv.setUint32(L.RAM_SIZE, this.ramBacked, true);
    this.jit?.memoryGrew();
  }

  // Runs the current task until a trap or until about `budget` instructions
  // retired (the JIT may overshoot by one translated block); returns the cause.
  run(budget: number): number { return this.jit ? this.jit.run(budget) : this.wasm.run(budget); }

  // fence.i for the whole machine (the riscv_flush_icache syscall): translated
  // code is re-checked against memory before it runs again.
  jitFlush(): void { this.jit?.flush(); }
  // PhysAllocator.alloc hands out frame `pa` anew: translations of it are stale.
  jitFrameAlloc(pa: number): void { this.jit?.frameAlloc(pa); }
  get trapCause(): number { return this.dv.getUint32(L.TRAP_CAUSE, true); }
  get trapValue(): number { return this.dv.getUint32(L.TRAP_TVAL + 4, true) * TWO32 + this.dv.getUint32(L.TRAP_TVAL, true); }

  // Register access. Values are numbers, exact while |v| <= 2^53 (addresses,
  // sizes, counts); past that saturated with the sign and low 32 bits kept
  // (abi/word.ts), so a syscall argument is never mis-decoded by rounding.
  reg(i: number): number { return i64Word(this.x[2 * i], this.x[2 * i + 1]); }
  regU(i: number): number { return (this.x[2 * i + 1] >>> 0) * TWO32 + (this.x[2 * i] >>> 0); }
  reg32(i: number): number { return this.x[2 * i]; }
  regBig(i: number): bigint { return this.dv.getBigInt64(L.X_REGS + 8 * i, true); }
  setReg(i: number, v: number): void {
    if (i === 0) return;
    const lo = v % TWO32;
    this.x[2 * i] = lo;
    this.x[2 * i + 1] = Math.floor(v / TWO32);
  }
  setRegBig(i: number, v: bigint): void { if (i !== 0) this.dv.setBigInt64(L.X_REGS + 8 * i, v, true); }

  // pc and instret are read and written as two 32-bit halves: every trap
  // reads both and a syscall writes pc, and a BigInt for each was a
  // per-syscall allocation. The values are the same as through BigInt: the
  // double sum rounds once, as Number(bigint) does, and both halves wrap as
  // setBigUint64 does.
  get pc(): number { return this.dv.getUint32(L.PC + 4, true) * TWO32 + this.dv.getUint32(L.PC, true); }
  set pc(v: number) {
    this.dv.setUint32(L.PC, v >>> 0, true);
    this.dv.setUint32(L.PC + 4, Math.floor(v / TWO32) >>> 0, true);
  }

  get instret(): bigint { return this.dv.getBigUint64(L.INSTRET, true); }
  // Retired instructions as a number: exact below 2^53 (centuries of guest time).
  get instretNum(): number { return this.dv.getUint32(L.INSTRET + 4, true) * TWO32 + this.dv.getUint32(L.INSTRET, true); }

  // The running task's registers, in place (regs.ts).
  liveRegs(): RegisterFile { return new RegisterFile(this.u8.subarray(L.X_REGS, L.X_REGS + L.TASK_STATE_SIZE)); }

  // Saves / restores the running task's architectural state.
  // (The registers' view is made once per memory size: views() drops it.)
  saveState(into: Uint8Array): void { into.set(this.stateView ??= this.u8.subarray(L.X_REGS, L.X_REGS + L.TASK_STATE_SIZE)); }
  private stateView: Uint8Array | undefined;
  loadState(from: Uint8Array): void { this.u8.set(from, L.X_REGS); }

  // Address space switch: root table (guest physical) and ASID.
  setAddressSpace(rootPa: number, asid: number): void {
    this.dv.setBigUint64(L.SATP_ROOT, BigInt(rootPa), true);
    this.wasm.setAsid(asid);
  }
  tlbFlushAll(): void { this.wasm.tlbFlushAll(); }
  tlbFlushAsid(asid: number): void { this.wasm.tlbFlushAsid(asid); }
  tlbFlushPage(va: number): void { this.wasm.tlbFlushPage(va); }
  // Guest physical address of va in the current address space, or -1.
  translate(va: number, acc: number): number { return this.wasm.translateForKernel(va, acc); }

  // `time` = base + (instret - baseInstret) * ticksPerInsn.
  setTimeBase(time: bigint, instret: bigint, ticksPerInsn: number): void {
    this.dv.setBigUint64(L.TIME_BASE, time, true);
    this.dv.setBigUint64(L.TIME_BASE_INSTRET, instret, true);
    this.dv.setBigUint64(L.TIME_PER_INSN_Q32, BigInt(Math.round(ticksPerInsn * TWO32)), true);
  }
}
