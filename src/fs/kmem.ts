// The memory budget (mm/budget.ts) of the kernel running now, for objects
// made without a task in hand (an inode, a pipe, a socket): each keeps the
// budget it was made under and gives its charges back to that one. Null
// outside any kernel (a filesystem built by a unit test): nothing charged.

import { runningKernel } from "../kernel/running.js";
import type { MemBudget } from "../mm/budget.js";
import type { PhysAllocator } from "../mm/phys.js";

export function kernelMem(): MemBudget | null { return runningKernel()?.phys.mem ?? null; }

// The physical allocator of the kernel running now: where tmpfs and memfd
// pages come from (mm/frames.ts); null outside any kernel.
export function kernelFrames(): PhysAllocator | null { return runningKernel()?.phys ?? null; }
