// Futexes: tasks sleeping on a 32-bit word of user memory. Private futexes
// are keyed by (address space, address); shared ones by physical address.

import type { AddressSpace } from "../mm/mm.js";
import { WaitQueue } from "./wait.js";
import type { Kernel } from "./kernel.js";
import type { Task } from "./task.js";

export interface FutexWaiter { task: Task; bitset: number; key: string; woken: boolean }

const queues = new WeakMap<Kernel, Map<string, FutexWaiter[]>>();

function table(k: Kernel): Map<string, FutexWaiter[]> {
  let m = queues.get(k);
  if (!m) { m = new Map(); queues.set(k, m); }
  return m;
}

export function futexKey(mm: AddressSpace, va: number): string { return `${mm.asid}:${va}`; }

export function futexEnqueue(k: Kernel, key: string, w: FutexWaiter): void {
  const m = table(k);
  let l = m.get(key);
  if (!l) { l = []; m.set(key, l); }
  l.push(w);
}

export function futexDequeue(k: Kernel, w: FutexWaiter): void {
  const m = table(k);
  const l = m.get(w.key);
  if (!l) return;
  const i = l.indexOf(w);
  if (i >= 0) l.splice(i, 1);
  if (!l.length) m.delete(w.key);
}

// Wakes up to n waiters whose bitset matches; returns how many.
export function futexWakeKey(k: Kernel, key: string, n: number, bitset: number): number {
  const m = table(k);
  const l = m.get(key);
  if (!l) return 0;
  let woken = 0;
  for (let i = 0; i < l.length && woken < n;) {
    const w = l[i];
    if ((w.bitset & bitset) === 0) { i++; continue; }
    l.splice(i, 1);
    w.woken = true;
    w.task.wake();
    woken++;
  }
  if (!l.length) m.delete(key);
  return woken;
}

export function futexWake(k: Kernel, mm: AddressSpace, va: number, n: number, bitset: number): number {
  return futexWakeKey(k, futexKey(mm, va), n, bitset);
}

export function futexRequeue(k: Kernel, from: string, to: string, nWake: number, nRequeue: number): number {
  const woken = futexWakeKey(k, from, nWake, 0xffffffff);
  const m = table(k);
  const l = m.get(from);
  let moved = 0;
  while (l && l.length && moved < nRequeue) {
    const w = l.shift()!;
    w.key = to;
    futexEnqueue(k, to, w);
    moved++;
  }
  if (l && !l.length) m.delete(from);
  return woken + moved;
}

export { WaitQueue };
