// State that the interpreter's two halves share: exec() (interp.ts, the
// common instructions inline) and step() (step.ts, one instruction of any
// kind), and the JIT's dispatcher (jitrun.ts) sets.

import {
  X_REGS, PC, TRAP_CAUSE, INSTRET, ASID, JIT_DIRTY, JIT_COUNTERS, JIT_COUNTER_MASK,
} from "./layout";
import { mapSlot } from "./jitmap";

@inline export function xr(i: u32): u64 { return load<u64>(X_REGS + (i << 3)); }
@inline export function xw(i: u32, v: u64): void { store<u64>(X_REGS + (i << 3), v); }

// The budget of the running exec().
let runBudget: i32 = 0;
// Instructions of the budget that the last exec() left unexecuted.
let execLeft: i32 = 0;
// Set while the JIT's dispatcher drives the interpreter: exec() then treats
// every taken jump or branch as a block end (stopping there when the target
// has a translation or gets hot: blockGoesOn) and reports fence.i (so the JIT
// can drop stale translations).
let blockMode: bool = false;
// In block mode: whether exec() may go on past the end of a block itself
// (jitRun() clears it when the block it counted got hot: that block must end
// and be reported).
let blockChain: bool = false;
let hotThreshold: i32 = 50;

@inline export function setRunBudget(n: i32): void { runBudget = n; }
@inline export function getRunBudget(): i32 { return runBudget; }
@inline export function inBlockMode(): bool { return blockMode; }

// For the JIT's dispatcher (jitrun.ts).
@inline export function setBlockMode(on: bool): void { blockMode = on; }
@inline export function setBlockChain(on: bool): void { blockChain = on; }
@inline export function lastExecLeft(): i32 { return execLeft; }
@inline export function getHotThreshold(): i32 { return hotThreshold; }
export function setHotThreshold(n: i32): void { hotThreshold = n; }

// In block mode a taken jump ends a block. The dispatcher's work at the next
// block start (look for a translation, count the start) is done here while
// counting is all there is to do, and the interpreter goes on without a round
// trip through jitRun(). False where jitRun() must act: a translation at the
// target, a block start about to get hot (jitRun() counts it, interprets the
// block and reports it, as it always did), or a code frame written.
@inline export function blockGoesOn(target: u64): bool {
  if (!blockChain || load<u32>(JIT_DIRTY) != 0) return false;
  const vpage = target >>> 12;
  const asid = load<u32>(ASID);
  const e = mapSlot(vpage, asid);
  if (load<u64>(e) == vpage && load<u32>(e, 8) == asid) return false;
  const c = JIT_COUNTERS + (((<u32>target >>> 1) & JIT_COUNTER_MASK) << 2);
  const n = load<i32>(c) + 1;
  if (n >= hotThreshold) return false;
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
