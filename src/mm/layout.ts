// The user address space's layout and page arithmetic, shared by the
// address space (mm.ts), its faults (fault.ts) and fork's copy (cow.ts).

import { PAGE_SIZE } from "./phys.js";

// Linux riscv64 keeps user mappings below 2^38 unless asked for more (Sv39 compatible).
export const STACK_TOP = 0x4000000000;
export const TASK_SIZE = 0x800000000000;
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
export const MMAP_MIN_ADDR = 0x10000;

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
// handleFault's answer for an access past the end of a mapped file: SIGBUS with BUS_ADRERR.
export const SIGBUS_ADRERR = -2;

export function pageDown(a: number): number { return a - (a % PAGE_SIZE); }
export function pageUp(a: number): number { return Math.ceil(a / PAGE_SIZE) * PAGE_SIZE; }
