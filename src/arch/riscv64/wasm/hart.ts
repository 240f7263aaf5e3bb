// The hart: the wasm module's entry (its exports are what src/arch/riscv64/hart.ts
// calls). run() is the interpreter (interp.ts): it executes guest
// instructions until a trap or until the instruction budget is spent, and
// returns the cause; the kernel handles it and calls run() again. With the JIT
// (src/arch/riscv64/jit/), jitRun() (jitrun.ts) is the entry instead: it runs
// translated code where there is some and the interpreter elsewhere.

import { faultCause } from "./mmu";

export { run } from "./interp";
export { jitRun, jitSetThreshold } from "./jitrun";
export { setAsid, tlbFlushAll, tlbFlushAsid, tlbFlushPage, translateForKernel } from "./mmu";
export { jitDropWritable } from "./jitmap";
export { expandCompressed } from "./rvc";
export { jitAmo, jitCsr, jitFp } from "./jithelpers";

// The fault cause of the last failed kernel translation (for diagnostics).
export function lastFaultCause(): u32 { return faultCause; }
