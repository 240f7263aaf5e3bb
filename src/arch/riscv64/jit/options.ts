// What the JIT is told (JitOptions, from the environment by hart.ts) and
// what it reports (JitStats, GHOST_JIT_STATS=1): jit.ts's interface.

import type { PageStore } from "./cache.js";
import type { PaycheckOptions } from "./paycheck.js";

export interface JitOptions {
  threshold: number; // interpretations of a block start before it is translated
  batch: number; // pages translated together (the rest wait for the end of run())
  // Instructions the machine runs on the plain interpreter before the JIT starts:
  // short programs finish before translating (and warming the translator up) would pay off.
  warmup: number;
  // Compile budget, counted in guest instructions so that it does not depend
  // on timing: the JIT translates at most one instruction per `budget`
  // instructions it has run, plus `budgetInsns` (a module counts as
  // MODULE_COST instructions). Hot code found while over budget waits to get
  // hotter. 0 turns the budget off.
  // The up-front `budgetInsns` ramped in instead (min(budgetInsns,
  // executed / R)), so that a program ending soon after the warm-up asks
  // less of the translator thread, did not pay: perl's loop (166M
  // instructions, ~16M of them with the JIT on) posts a few units whose
  // replies come after its exit with either; user+sys CPU, GHOST_JIT_CACHE=0,
  // pairs at load 7-11 (2026-12-08): R=20000 perl 1.06 vs 1.12 s (6 pairs),
  // python3's loop 3.52 vs 3.60 s (3); R=200000 perl 1.12 vs 1.15 s (5),
  // python3's loop 3.71 vs 4.01 s (3): noise or worse.
  budget: number;
  budgetInsns: number;
  // … and one more per `interpRatio` instructions the interpreter ran under
  // the dispatcher (0: none): time spent interpreting is what translating
  // saves, so a program that keeps interpreting earns translation faster
  // than one that runs translated code. About what one translated
  // instruction costs to make, in interpreted instructions.
  interpRatio: number;
  // For bisecting a miscompilation: only block starts in [lo, hi) are
  // translated (the rest stay with the interpreter).
  pcs?: [number, number];
  // Where translations outlive the process (cache-node.ts under Node), if anywhere.
  store?: PageStore;
  // Translate on another thread (worker.ts) where there is one: the guest's
  // thread keeps interpreting and installs each translation at a later
  // dispatch, after the same checks as its own. Which code runs translated
  // then depends on timing (outputs and instret do not); false keeps it
  // repeatable, as the tests need.
  async?: boolean;
  // Tests only: a translation made on the other thread is taken only once
  // the guest has made this many system calls since it was asked for, and
  // then waited for, so that a test can change the page in between.
  holdSyscalls?: number;
  // Whether the JIT pays, measured (paycheck.ts); none: it runs from the end of the warm-up on.
  paycheck?: PaycheckOptions;
}

export interface JitStats {
  modules: number;
  regions: number;
  insns: number;
  wasmBytes: number;
  genMs: number; // discovery and code generation
  compileMs: number; // new WebAssembly.Module + Instance
  invalidations: number;
  deferred: number; // hot block starts put off by the compile budget
  cacheHits: number; // pages' new code found translated in this process (another frame, exec or kernel)
  storeHits: number; // … found in the persistent store (another run)
  interpreted: number; // instructions the dispatcher left to the interpreter
  threadMs: number; // discovery, code generation and compile on the translator thread (async)
  dropped: number; // translations from that thread not used: their page changed, or its frame was reused
  rebuilds: number; // pages translated whole again (rebuildWanted)
  splits: number; // wasm functions made by splitting big components (region.ts's split)
}
