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

// What Ghost may have learnt of the host since: a process-wide count that
// moves whenever a kernel gives the host event loop a turn (host I/O,
// timers and other processes' messages arrive only then) and whenever
// hostfs makes a host call that can show a change made on the host side.
// A cache of host state checked in the current epoch (hostfs's names) may
// be trusted without asking the host again: whatever changed on the host
// since, the guest had no way to know it yet, so the change is simply seen
// as having come a little later (never out of order with what the guest
// saw of the host meanwhile).
let hostEpoch = 0;
export function hostObserved(): void { hostEpoch++; }
export function currentHostEpoch(): number { return hostEpoch; }
