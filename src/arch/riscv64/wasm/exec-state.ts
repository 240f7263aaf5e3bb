// State that the interpreter's two halves share: exec() (interp.ts, the
// common instructions inline) and step() (step.ts, one instruction of any
// kind), and the JIT's dispatcher (jitrun.ts) sets.

import { X_REGS, PC, TRAP_CAUSE, INSTRET, JIT_COUNTERS, JIT_COUNTER_MASK } from "./layout";

@inline export function xr(i: u32): u64 { return load<u64>(X_REGS + (i << 3)); }
@inline export function xw(i: u32, v: u64): void { store<u64>(X_REGS + (i << 3), v); }

// The budget of the running exec().
let runBudget: i32 = 0;
// Instructions of the budget that the last exec() left unexecuted.
let execLeft: i32 = 0;
// Set while the JIT's dispatcher drives the interpreter: exec() then counts
// every taken jump's target as a block start and stops there when the count
// gets hot or the target is a translated block start (blockGoesOn), and
// reports fence.i (so the JIT can drop stale translations).
let blockMode: bool = false;
let hotThreshold: i32 = 50;
// In block mode: the count at which exec() stops at a block start instead of
// going on itself; hotThreshold, or i32.MIN_VALUE when jitRun() counted the
// block being run and it got hot (that block must end and be reported).
let chainThreshold: i32 = 50;

@inline export function setRunBudget(n: i32): void { runBudget = n; }
@inline export function getRunBudget(): i32 { return runBudget; }
@inline export function inBlockMode(): bool { return blockMode; }

// For the JIT's dispatcher (jitrun.ts).
@inline export function setBlockMode(on: bool): void { blockMode = on; }
@inline export function setBlockChain(on: bool): void { chainThreshold = on ? hotThreshold : i32.MIN_VALUE; }
@inline export function lastExecLeft(): i32 { return execLeft; }
@inline export function getHotThreshold(): i32 { return hotThreshold; }
export function setHotThreshold(n: i32): void { hotThreshold = n; }

// In block mode a taken jump (or a fall into the next page) ends a block.
// The dispatcher's work at the next block start is done here while counting
// is all there is to do, and the interpreter goes on without a round trip
// through jitRun(): one counter, read and written. False where jitRun() must
// act: a block start about to get hot (jitRun() counts it, interprets the
// block and reports it), or a translated block start, whose counter the JIT
// set to JIT_COUNTER_ENTRY, above any threshold (jit.ts). Counters are shared
// by block starts 64 KiB apart: a start whose counter another start's made
// ENTRY or PARKED is, at worst, interpreted where it could run translated.
// Nothing else is looked up here (the dispatch map, JIT_DIRTY): jitRun()
// does that before it runs any translation.
@inline export function blockGoesOn(target: u64): bool {
  const c = JIT_COUNTERS + (((<u32>target >>> 1) & JIT_COUNTER_MASK) << 2);
  const n = load<i32>(c) + 1;
  if (n >= chainThreshold) return false;
  store<i32>(c, n);
  return true;
}

// Leaves exec(): `left` instructions of the budget were not executed.
@inline export function leave(pc: u64, cause: u32, left: i32): u32 {
  store<u64>(PC, pc);
  store<u32>(TRAP_CAUSE, cause);
  store<u64>(INSTRET, load<u64>(INSTRET) + <u64>(runBudget - left));
  execLeft = left;
  return cause;
}
