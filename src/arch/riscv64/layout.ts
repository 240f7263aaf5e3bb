// The hart's linear-memory layout, mirrored from wasm/layout.ts (the
// AssemblyScript side). Keep the two files equal.

export const HART = 0x1000;
export const X_REGS = HART + 0;
export const F_REGS = HART + 256;
export const PC = HART + 512;
export const FCSR = HART + 520;
export const TASK_STATE_SIZE = 528;
export const TRAP_CAUSE = HART + 528;
export const TRAP_TVAL = HART + 536;
export const RES_ADDR = HART + 544;
export const RES_VALID = HART + 552;
export const INSTRET = HART + 560;
export const SATP_ROOT = HART + 568;
export const ASID = HART + 576;
export const TIME_BASE = HART + 584;
export const TIME_BASE_INSTRET = HART + 592;
export const TIME_PER_INSN_Q32 = HART + 600;
export const RAM_SIZE = HART + 608;
export const JIT_EXIT = HART + 768;
export const JIT_DIRTY = HART + 772;
export const JIT_LEFT = HART + 776;
export const JIT_IBASE = HART + 784;
export const JIT_HOT_PC = HART + 792;
export const JIT_INTERP = HART + 800;
export const JIT_ASIDTAG = HART + 808;
export const JIT_DIRTY_LIST = HART + 832;
export const JIT_DIRTY_MAX = 32;
export const JIT_MAP = 0x40000;
export const JIT_MAP_ENTRIES = 4096;
export const JIT_COUNTERS = 0x50000;
export const JIT_COUNTER_MASK = 0x7fff;
// A counter set to this is not reported again (for about 2^30 interpretations).
export const JIT_COUNTER_PARKED = -0x40000000;
// A translated block start's counter (above any threshold): the interpreter
// stops at a jump to it, for the dispatcher to run the translation.
export const JIT_COUNTER_ENTRY = 0x20000000;
export const JIT_CODE_BITS = 0x70000;
export const TLB_R = 0x10000;
export const TLB_W = TLB_R + 4096 * 16;

export const RAM_BASE = 0x100000;

export const CAUSE_INSN_MISALIGNED = 0;
export const CAUSE_INSN_ACCESS = 1;
export const CAUSE_ILLEGAL = 2;
export const CAUSE_BREAKPOINT = 3;
export const CAUSE_LOAD_MISALIGNED = 4;
export const CAUSE_LOAD_ACCESS = 5;
export const CAUSE_STORE_MISALIGNED = 6;
export const CAUSE_STORE_ACCESS = 7;
export const CAUSE_ECALL_U = 8;
export const CAUSE_INSN_PAGE_FAULT = 12;
export const CAUSE_LOAD_PAGE_FAULT = 13;
export const CAUSE_STORE_PAGE_FAULT = 15;
export const CAUSE_BUDGET = 0x100;
export const CAUSE_FENCE_I = 0x101;
export const CAUSE_JIT_HOT = 0x180;
export const CAUSE_JIT_DIRTY = 0x181;
export const CAUSE_JIT_MISS = 0x182;
export const CAUSE_JIT_SLOW = 0x184;
export const JIT_CODE_WRITTEN = 0xffff;
// fcsr: fflags in bits 0..4 (NX is bit 0), frm in bits 5..7
export const FFLAG_NX = 1;
export const FRM_SHIFT = 5;

export const ACC_R = 0;
export const ACC_W = 1;
export const ACC_X = 2;

// Register numbers of the riscv64 calling convention used by the kernel.
export const REG_RA = 1;
export const REG_SP = 2;
export const REG_GP = 3;
export const REG_TP = 4;
export const REG_A0 = 10;
export const REG_A7 = 17;
