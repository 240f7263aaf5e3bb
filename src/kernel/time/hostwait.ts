// Waiting on the host for a guest timer, on time.
//
// Node's setTimeout counts whole milliseconds on libuv's loop clock, which
// moves once per loop turn: a 1 ms host timer fires 1-2 ms late, more on a
// loaded host (nanosleep(1 ms) measured 1.24 ms median, 71 ms max). Linux
// wakes a sleeper within its timer slack (50 us by default), so the idle
// loop lets a host timer cover the wait only up to HOST_TIMER_MARGIN_MS
// before the guest timer's expiry, and waits out the last stretch in short
// blocking waits (Atomics.wait: a futex wait on a Linux host, accurate to
// tens of microseconds), with a turn of the host's event loop between two of
// them so host I/O is still served within HOST_BLOCK_STEP_MS.

// How long before a guest timer's expiry the host timer must fire.
export const HOST_TIMER_MARGIN_MS = 2;
// The longest blocking wait between two turns of the host's event loop.
export const HOST_BLOCK_STEP_MS = 0.25;

// Atomics.wait needs a SharedArrayBuffer and is refused on a browser's main
// thread; without it the last stretch is a run of host turns (a busy wait).
let cell: Int32Array | null = null;
try { cell = new Int32Array(new SharedArrayBuffer(4)); } catch { cell = null; }

// Blocks the host thread for up to `ms` milliseconds (less when it cannot).
export function blockHost(ms: number): void {
  if (!cell || !(ms > 0)) return;
  try { Atomics.wait(cell, 0, 0, ms); } catch { cell = null; }
}
