// Waiting on the host for a guest timer, on time.
//
// Node's setTimeout counts whole milliseconds on libuv's loop clock, which
// moves once per loop turn: a 1 ms host timer fires 1-2 ms late, more on a
// loaded host (nanosleep(1 ms) measured 1.24 ms median, 71 ms max). Linux
// wakes a sleeper within its timer slack (50 us by default), so the idle
// loop lets a host timer cover the wait only up to HOST_TIMER_MARGIN_MS
// before the guest timer's expiry, waits most of the last stretch in one
// blocking wait (Atomics.wait: a futex wait on a Linux host) and spins the
// last HOST_SPIN_MS. Each host wake-up costs a trip through the host's
// scheduler: on a loaded host (LTP's nanosleep01 at load 20-25 on 2 cores)
// eight 0.25 ms waits per expiry put the median 1 ms sleep at 2.0-2.2 ms,
// one wait and a 0.2 ms spin at 1.1-1.2 ms. Host I/O waits for a turn of
// the host's event loop at most HOST_BLOCK_STEP_MS meanwhile.

// How long before a guest timer's expiry the host timer must fire.
export const HOST_TIMER_MARGIN_MS = 2;
// The longest blocking wait between two turns of the host's event loop.
export const HOST_BLOCK_STEP_MS = 2;
// The last stretch before a guest timer's expiry, spun rather than slept.
export const HOST_SPIN_MS = 0.2;

// Atomics.wait needs a SharedArrayBuffer and is refused on a browser's main
// thread; without it the last stretch is a run of host turns (a busy wait).
let cell: Int32Array | null = null;
try { cell = new Int32Array(new SharedArrayBuffer(4)); } catch { cell = null; }

// Blocks the host thread for up to `ms` milliseconds (less when it cannot).
export function blockHost(ms: number): void {
  if (!cell || !(ms > 0)) return;
  try { Atomics.wait(cell, 0, 0, ms); } catch { cell = null; }
}

// Spins until host time `due` (performance.now()): the end of a precise wait.
export function spinHostUntil(due: number): void {
  while (performance.now() < due) { /* the host keeps this thread on its CPU */ }
}
