// The kernel executing on the host thread right now: Ghost's counterpart of
// the CPU register behind Linux's `current`. A kernel sets it whenever it
// takes control (construction, each turn of its run loop), so two kernels
// interleaved on one event loop each find themselves. It is read only where
// kernel-wide state is needed without a task in hand: an inode's timestamps
// (Linux's current_time) and the memory devices' random bytes. It holds no
// state of its own; everything it leads to lives on the Kernel object.

import type { Kernel } from "./kernel.js";

let running: Kernel | null = null;

export function enterKernel(k: Kernel): void { running = k; }

export function runningKernel(): Kernel | null { return running; }

// A kernel whose run has ended lets go, so that nothing here keeps it (and its
// guest memory) alive once its owner drops it.
export function leaveKernel(k: Kernel): void { if (running === k) running = null; }
