// Layout of the hart's WebAssembly linear memory (AssemblyScript side).
// The TypeScript kernel mirrors these numbers in ../layout.ts; keep them equal.
//
//   0x0000_1000  hart state: the running task's registers and trap report
//   0x0001_0000  software TLBs (read, write, fetch), ASID-tagged
//   0x0004_0000  JIT dispatch map, hotness counters, code-frame bits
//   0x0009_0000  expansions of compressed instructions (the interpreter's cache)
//   0x000c_0000  AssemblyScript static data
//   0x0010_0000  guest physical RAM (guest physical address 0 is here)

export const HART: u32 = 0x1000;
// Saved per task on a context switch: X_REGS .. FCSR inclusive (TASK_STATE_SIZE bytes).
export const X_REGS: u32 = HART + 0; // x0..x31, i64 each
export const F_REGS: u32 = HART + 256; // f0..f31, raw 64-bit patterns (singles NaN-boxed)
export const PC: u32 = HART + 512; // u64
export const FCSR: u32 = HART + 520; // u32: frm in bits 7:5, fflags in bits 4:0
export const TASK_STATE_SIZE: u32 = 528;

export const TRAP_CAUSE: u32 = HART + 528; // u32, the cause run() returned
export const TRAP_TVAL: u32 = HART + 536; // u64: faulting address or instruction bits
export const RES_ADDR: u32 = HART + 544; // u64: LR reservation address
export const RES_VALID: u32 = HART + 552; // u32: 1 while a reservation is held
export const INSTRET: u32 = HART + 560; // u64: retired instructions (all tasks)
export const SATP_ROOT: u32 = HART + 568; // u64: guest physical address of the Sv48 root table
export const ASID: u32 = HART + 576; // u32: current address space id (12 bits)
export const TIME_BASE: u32 = HART + 584; // u64: `time` CSR value when INSTRET == TIME_BASE_INSTRET
export const TIME_BASE_INSTRET: u32 = HART + 592; // u64
export const TIME_PER_INSN_Q32: u32 = HART + 600; // u64: time ticks per instruction, 32.32 fixed point
export const RAM_SIZE: u32 = HART + 608; // u32: bytes of guest physical RAM
export const CYCLE_BASE: u32 = HART + 616; // u64: reserved

// JIT state (see src/arch/riscv64/jit/jit.ts). Translated code and the dispatcher share these.
export const JIT_EXIT: u32 = HART + 768; // u32: why translated code returned (0: went on to PC)
export const JIT_DIRTY: u32 = HART + 772; // u32: count of code frames written since the kernel last looked
export const JIT_LEFT: u32 = HART + 776; // i32: budget left when jitRun() returned
export const JIT_IBASE: u32 = HART + 784; // u64: INSTRET + budget left when translated code was entered
export const JIT_HOT_PC: u32 = HART + 792; // u64: the block start CAUSE_JIT_HOT reports
export const JIT_INTERP: u32 = HART + 800; // u64: instructions the dispatcher left to the interpreter (for the compile budget)
export const JIT_ASIDTAG: u32 = HART + 808; // u64: translated code's scratch: the ASID in TLB-tag position (jit/codegen.ts)
export const JIT_DIRTY_LIST: u32 = HART + 832; // u32[JIT_DIRTY_MAX]: the frames written
export const JIT_DIRTY_MAX: u32 = 32;
// Dispatch map: (virtual page, ASID) -> function-table index of the page's translation.
// 16 bytes an entry: vpage u64 (all ones when empty), asid u32, table index u32.
export const JIT_MAP: u32 = 0x40000;
export const JIT_MAP_ENTRIES: u32 = 4096;
// Hotness counters (i32), indexed by a hash of the PC.
export const JIT_COUNTERS: u32 = 0x50000;
export const JIT_COUNTER_MASK: u32 = 0x7fff;
// A counter set to this is not reported again (for about 2^30 interpretations).
export const JIT_COUNTER_PARKED: i32 = -0x40000000;
// A translated block start's counter (above any threshold): the interpreter
// stops at a jump to it, for the dispatcher to run the translation.
export const JIT_COUNTER_ENTRY: i32 = 0x20000000;
// One bit per physical frame: set while the frame holds translated code; a store to it
// (which then always takes the TLB slow path) clears the bit and reports the frame.
export const JIT_CODE_BITS: u32 = 0x70000; // 128 KiB: enough for 4 GiB of RAM
export const JIT_END: u32 = 0x90000;
// The interpreter's cache of compressed-instruction expansions: one u32 per
// 16-bit parcel with low bits 00, 01 or 10 (index (h & 3) << 14 | h >> 2);
// 0: not expanded yet, RVC_ILLEGAL: no expansion. It ends where the
// AssemblyScript static data begins (scripts/build.mjs: --memoryBase).
export const RVC_CACHE: u32 = 0x90000;
export const RVC_CACHE_END: u32 = 0xc0000;
export const RVC_ILLEGAL: u32 = 0xffffffff;

export const TLB_ENTRIES: u32 = 4096; // per TLB; 16 bytes an entry: tag u64, host page u32, host page - va u32
export const TLB_MASK: u32 = TLB_ENTRIES - 1;
export const TLB_R: u32 = 0x10000;
export const TLB_W: u32 = TLB_R + TLB_ENTRIES * 16;
export const TLB_X: u32 = TLB_W + TLB_ENTRIES * 16;
export const TLB_END: u32 = TLB_X + TLB_ENTRIES * 16;

export const RAM_BASE: u32 = 0x100000;

// Trap causes run() returns (RISC-V mcause numbers, plus Ghost's own above 0x100).
export const CAUSE_INSN_MISALIGNED: u32 = 0;
export const CAUSE_INSN_ACCESS: u32 = 1;
export const CAUSE_ILLEGAL: u32 = 2;
export const CAUSE_BREAKPOINT: u32 = 3;
export const CAUSE_LOAD_MISALIGNED: u32 = 4;
export const CAUSE_LOAD_ACCESS: u32 = 5;
export const CAUSE_STORE_MISALIGNED: u32 = 6;
export const CAUSE_STORE_ACCESS: u32 = 7;
export const CAUSE_ECALL_U: u32 = 8;
export const CAUSE_INSN_PAGE_FAULT: u32 = 12;
export const CAUSE_LOAD_PAGE_FAULT: u32 = 13;
export const CAUSE_STORE_PAGE_FAULT: u32 = 15;
export const CAUSE_BUDGET: u32 = 0x100; // instruction budget spent: the tick
export const CAUSE_FENCE_I: u32 = 0x101; // fence.i retired (JIT mode only; Hart.run handles it)
export const CAUSE_JIT_HOT: u32 = 0x180; // cold code at PC got hot: Hart.run translates it
export const CAUSE_JIT_DIRTY: u32 = 0x181; // a store hit translated code: Hart.run invalidates
export const CAUSE_JIT_MISS: u32 = 0x182; // translated code does not cover PC: interpret
export const CAUSE_JIT_BLOCK: u32 = 0x183; // the interpreter finished a block (taken jump)
export const CAUSE_JIT_SLOW: u32 = 0x184; // a load or store missed the TLB in translated code: interpret it
export const JIT_CODE_WRITTEN: u32 = 0xffff; // helper result: done, but a code frame was written

// fcsr bits
export const FFLAG_NX: u32 = 1;
export const FFLAG_UF: u32 = 2;
export const FFLAG_OF: u32 = 4;
export const FFLAG_DZ: u32 = 8;
export const FFLAG_NV: u32 = 16;
