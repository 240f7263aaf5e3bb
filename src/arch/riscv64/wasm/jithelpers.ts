// What translated code calls back into the hart for: the instructions it
// leaves to the interpreter's own code (AMOs, CSRs, F/D arithmetic), run on
// the in-memory registers. (Loads and stores that miss the TLB leave
// translated code instead, CAUSE_JIT_SLOW: a call in a component makes V8
// keep the guest registers in stack slots. jit/emit-insn.ts.)
//
// Convention: each returns 0, a trap cause (also stored in JIT_EXIT, with
// TRAP_TVAL), after which translated code leaves with PC at the instruction,
// or JIT_CODE_WRITTEN when a store reached a frame holding translated code
// (the translation must stop right after the instruction, as the interpreter
// would see the new code).

import { X_REGS, TRAP_TVAL, JIT_EXIT, JIT_DIRTY, CAUSE_ILLEGAL, JIT_CODE_WRITTEN } from "./layout";
import { execAmo } from "./amo";
import { execCsr } from "./csr";
import { execFp } from "./fp";

@inline function finish(cause: u32, dirty: u32): u32 {
  store<u64>(X_REGS, 0);
  if (cause != 0) { store<u32>(JIT_EXIT, cause); return cause; }
  return load<u32>(JIT_DIRTY) != dirty ? JIT_CODE_WRITTEN : 0;
}

export function jitAmo(insn: u32): u32 {
  const dirty = load<u32>(JIT_DIRTY);
  return finish(execAmo(insn), dirty);
}

// instret: the exact count including this instruction.
export function jitCsr(insn: u32, instret: u64): u32 {
  return finish(execCsr(insn, instret), load<u32>(JIT_DIRTY));
}

export function jitFp(insn: u32): u32 {
  if (execFp(insn) != 0) { store<u64>(TRAP_TVAL, insn); return finish(CAUSE_ILLEGAL, 0); }
  return finish(0, load<u32>(JIT_DIRTY));
}
