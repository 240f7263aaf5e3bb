// Futexes: tasks sleeping on a 32-bit word of user memory. Private futexes
// are keyed by (address space, address); shared ones by physical address.

import type { AddressSpace } from "../mm/mm.js";
import { WaitQueue } from "../lib/wait.js";
import type { Kernel } from "./kernel.js";
import type { Task } from "./task.js";
import { kerr } from "../lib/errors.js";
import { EFAULT } from "../abi/errno.js";

export interface FutexWaiter { task: Task; bitset: number; key: string; woken: boolean }

// A FUTEX_WAIT's waiter, which is also its restart state (restart.ts) and
// carries the hook that dequeues it when that state is dropped. A task
// reuses its last one once it was woken (a woken waiter is off every
// queue, and its syscall is over when the next wait starts): a thread
// handed a futex to and fro made three objects and a closure per wait.
export class FutexWait implements FutexWaiter {
  readonly kind = "futex" as const;
  bitset = 0;
  key = "";
  woken = false;
  deadline: number | null = null;
  readonly drop = (): void => futexDequeue(this.task.k, this);
  constructor(readonly task: Task) {}
  get waiter(): FutexWaiter { return this; }
}

export function futexWaitOf(t: Task): FutexWait {
  const w = t.futexWait;
  if (w !== null && w.woken) return w;
  return (t.futexWait = new FutexWait(t));
}

// Each kernel's waiters, by key, are on the kernel (Kernel.futexQueues).
function table(k: Kernel): Map<string, FutexWaiter[]> { return k.futexQueues; }

// A small direct-mapped memo of recent private keys: building the string
// (and hashing the new string in the table) at every FUTEX_WAIT and
// FUTEX_WAKE cost more than the rest of the lookup. By mm id, not the
// address space itself, so no dead one is kept alive.
const KEY_MEMO = 64;
const memoMm = new Float64Array(KEY_MEMO).fill(-1);
const memoVa = new Float64Array(KEY_MEMO);
const memoKey: string[] = new Array<string>(KEY_MEMO).fill("");

export function futexKey(mm: AddressSpace, va: number): string {
  const i = (va >>> 2) & (KEY_MEMO - 1);
  if (memoMm[i] === mm.id && memoVa[i] === va) return memoKey[i];
  const key = `${mm.id}:${va}`;
  memoMm[i] = mm.id; memoVa[i] = va; memoKey[i] = key;
  return key;
}

// A key's list stays in the table when it empties: a futex handed to and
// fro empties and refills its list at every switch, and deleting the key
// each time made V8 shrink and regrow the Map's hash table (a tenth of a
// futex switch). Empty lists are swept when the table has grown past
// `futexSweepAt` keys, which then doubles the live count (amortised O(1)).
const FUTEX_SWEEP_MIN = 1024;

export function futexEnqueue(k: Kernel, key: string, w: FutexWaiter): void {
  const m = table(k);
  let l = m.get(key);
  if (!l) {
    if (m.size >= k.futexSweepAt) {
      for (const [key2, l2] of m) if (l2.length === 0) m.delete(key2);
      k.futexSweepAt = Math.max(FUTEX_SWEEP_MIN, 2 * m.size);
    }
    l = [];
    m.set(key, l);
  }
  l.push(w);
}

export function futexDequeue(k: Kernel, w: FutexWaiter): void {
  const l = table(k).get(w.key);
  if (!l) return;
  const i = l.indexOf(w);
  if (i >= 0) removeAt(l, i);
}

// l.splice(i, 1) without the array of removed elements splice returns.
function removeAt(l: FutexWaiter[], i: number): void {
  if (i === 0) { l.shift(); return; }
  for (let j = i + 1; j < l.length; j++) l[j - 1] = l[j];
  l.length--;
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
    removeAt(l, i);
    w.woken = true;
    w.task.wake();
    woken++;
  }
  return woken;
}

// The first waiter of a key, taken off the queue (PI unlock hands it the lock); and whether more wait.
export function futexTakeFirst(k: Kernel, key: string): { waiter: FutexWaiter | undefined; more: boolean } {
  const m = table(k);
  const l = m.get(key);
  const waiter = l?.shift();
  return { waiter, more: (l?.length ?? 0) > 0 };
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
  return woken + moved;
}

export { WaitQueue };

// Robust futexes at thread exit: every lock the dead thread held gets
// FUTEX_OWNER_DIED and one waiter is woken (Linux's exit_robust_list).
export function exitRobustList(k: Kernel, t: Task): void {
  const head = t.robustList;
  if (!head) return;
  t.robustList = 0;
  const um = new UserMemory(t.mm);
  try {
    let entry = um.u64(head);
    const offset = um.i64(head + 8);
    const pending = um.u64(head + 16);
    for (let n = 0; entry !== head && n < ROBUST_LIST_LIMIT; n++) {
      const next = um.u64(entry);
      const e = entry - (entry % 2); // bit 0 marks a PI futex; addresses exceed 32 bits, so no bitwise ops
      if (e !== pending) robustEntryDied(k, t, um, e + offset, false);
      entry = next;
    }
    if (pending) robustEntryDied(k, t, um, pending - (pending % 2) + offset, true);
  } catch { /* the list head is gone */ }
}

// One robust futex word of a dying task: marked FUTEX_OWNER_DIED if the
// task owned it, and a waiter woken. (A function of its own, not a closure
// made at every exit: every exiting glibc thread has a list head.)
function robustEntryDied(k: Kernel, t: Task, um: UserMemory, uaddr: number, pending: boolean): void {
  try {
    const word = um.u32(uaddr);
    if ((word & FUTEX_TID_MASK) !== t.tid) return;
    const next = ((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
    um.setU32(uaddr, next);
    if (!pending || (word & FUTEX_WAITERS)) futexWakeKey(k, futexKeyFor(t.mm, uaddr, false), 1, 0xffffffff);
  } catch { /* unreadable entry: skip, as Linux does */ }
}

// The key of a futex word: (address space, address) for private futexes and
// private mappings; the physical address for shared mappings, so processes
// mapping the same page meet on it.
export function futexKeyFor(mm: AddressSpace, va: number, priv: boolean): string {
  if (!priv) {
    // As get_futex_key for a shared futex: the page is faulted in (read
    // access is enough), so both sides of a shared mapping find the same
    // physical key; an unmapped, PROT_NONE or past-EOF address is EFAULT.
    if (new UserMemory(mm).accessible(va, 4, false) < 4) kerr(EFAULT);
    const vma = mm.findVma(va);
    if (vma && vma.shared) {
      const pte = mm.pt.get(va - (va % 4096));
      if (pte & 1) return `p:${ptePa(pte) + (va % 4096)}`;
    }
    // A shared futex on private memory is keyed apart from a private futex at the same address (as Linux's FUT_OFF_MMSHARED).
    return `s${futexKey(mm, va)}`;
  }
  return futexKey(mm, va);
}

import { UserMemory } from "../mm/uaccess.js";
import { ptePa } from "../mm/pagetable.js";
import { FUTEX_TID_MASK, FUTEX_WAITERS, FUTEX_OWNER_DIED, ROBUST_LIST_LIMIT } from "../abi/futex.js";
