// The JIT's dispatcher (exported by hart.ts).
//
// jitRun() runs translated code where the dispatch map has it and interprets
// the rest, counting how often each block start is reached. exec() goes on
// past a block's end by itself while counting is all there is to do, and
// stops where a count gets hot or at a translated start (its counter is
// JIT_COUNTER_ENTRY: exec-state.ts's blockGoesOn), so the dispatcher's loop
// runs only between translated code and the interpreter, and for reports.
// It returns to Hart.run() (TypeScript) for traps and the budget, as run()
// does, and for the JIT's own events (CAUSE_JIT_HOT, CAUSE_JIT_DIRTY,
// CAUSE_FENCE_I), after which Hart.run() calls it again. JIT_LEFT reports the
// budget left (negative when the last translated block overshot it).

import {
  PC, TRAP_CAUSE, INSTRET, CAUSE_BUDGET, CAUSE_JIT_BLOCK, CAUSE_JIT_HOT, CAUSE_JIT_DIRTY, CAUSE_JIT_MISS,
  CAUSE_JIT_SLOW,
  ASID, JIT_EXIT, JIT_DIRTY, JIT_LEFT, JIT_IBASE, JIT_COUNTERS, JIT_COUNTER_MASK, JIT_HOT_PC, JIT_INTERP,
} from "./layout";
import { mapSlot } from "./jitmap";
import { exec, setBlockMode, setBlockChain, lastExecLeft, getHotThreshold, setHotThreshold } from "./interp";

export function jitSetThreshold(n: i32): void { setHotThreshold(n); }

@inline function jitLeave(cause: u32, left: i32): u32 {
  store<u32>(TRAP_CAUSE, cause);
  store<i32>(JIT_LEFT, left);
  setBlockMode(false);
  return cause;
}

export function jitRun(budget: i32): u32 {
  let left = budget;
  setBlockMode(true);
  // The interpreter does not stop for a store to a frame holding translated
  // code (it runs what memory holds): the frames written are reported before
  // any translation runs, here and after each exec().
  if (load<u32>(JIT_DIRTY) != 0) return jitLeave(CAUSE_JIT_DIRTY, left);
  while (left > 0) {
    let pc = load<u64>(PC);
    let slow = false; // interpreting after a translation's memory slow path
    const vpage = pc >>> 12;
    const e = mapSlot(vpage, load<u32>(ASID));
    if (load<u64>(e) == vpage && load<u32>(e, 8) == load<u32>(ASID)) {
      // Translated code: a function of the shared table, (left) -> left.
      store<u64>(JIT_IBASE, load<u64>(INSTRET) + <u64><i64>left);
      const after = call_indirect<i32>(load<u32>(e, 12), left);
      store<u64>(INSTRET, load<u64>(INSTRET) + <u64><i64>(left - after));
      left = after;
      const x = load<u32>(JIT_EXIT);
      if (x == 0) {
        if (load<u32>(JIT_DIRTY) != 0) return jitLeave(CAUSE_JIT_DIRTY, left);
        continue;
      }
      store<u32>(JIT_EXIT, 0);
      if (x == CAUSE_JIT_SLOW) {
        // A load or store whose TLB check failed (a miss, a page crossing, a
        // fault, a store to a code frame): the interpreter runs it, from the
        // middle of a translated block, and on to the next taken jump (the
        // translation has no call on that path: see jit/emit-insn.ts). Not a
        // block start, so not counted.
        slow = true;
      } else if (x != CAUSE_JIT_MISS) return jitLeave(x, left); // a trap, ecall or fence.i
      // Else the translation has no entry at PC: interpret (if any budget is
      // left), counting the block where it stopped (not the one it was entered
      // at: that one is translated, and the missing block would never get hot).
      if (left <= 0) break;
      pc = load<u64>(PC);
    }
    // Interpret first, then report a block start that got hot: each report
    // follows progress, so translating nothing (or a block the interpreter
    // must run) cannot livelock.
    let n: i32 = 0;
    if (slow) setBlockChain(true);
    else {
      const c = JIT_COUNTERS + (((<u32>pc >>> 1) & JIT_COUNTER_MASK) << 2);
      n = load<i32>(c) + 1;
      store<i32>(c, n);
      setBlockChain(n < getHotThreshold());
    }
    const cause = exec(left);
    store<u64>(JIT_INTERP, load<u64>(JIT_INTERP) + <u64>(left - lastExecLeft()));
    left = lastExecLeft();
    if (cause != CAUSE_JIT_BLOCK) {
      if (cause == CAUSE_BUDGET) break;
      return jitLeave(cause, left);
    }
    if (load<u32>(JIT_DIRTY) != 0) return jitLeave(CAUSE_JIT_DIRTY, left);
    // At or past the threshold (which the compile budget lowers again): a
    // counter past a lowered threshold must still report. Blocks that must not
    // report again are parked far below it (jit.ts).
    if (!slow && n >= getHotThreshold()) { store<u64>(JIT_HOT_PC, pc); return jitLeave(CAUSE_JIT_HOT, left); }
  }
  return jitLeave(CAUSE_BUDGET, left);
}

