// File locks (Linux's fs/locks.c): flock(2) whole-file locks owned by an
// open file description; POSIX record locks (fcntl F_SETLK) owned by a
// process and dropped when it closes any fd of the file; OFD record locks
// owned by an open file description.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EDEADLK, EINVAL } from "../abi/errno.js";
import { F_RDLCK, F_WRLCK, F_UNLCK } from "../abi/fcntl.js";
import { WaitQueue } from "../lib/wait.js";
import { KernelLocal } from "../kernel/local.js";
import type { Kernel } from "../kernel/kernel.js";

export type LockOwner = object; // a ThreadGroup (POSIX) or a File (OFD, flock)

export interface RecordLock { owner: LockOwner; pid: number; type: number; start: number; end: number /* inclusive; Infinity */ }

interface InodeLocks {
  flocks: { owner: LockOwner; exclusive: boolean; pid: number }[];
  records: RecordLock[];
  wq: WaitQueue;
}

const table = new WeakMap<object, InodeLocks>();

function locksOf(inode: object): InodeLocks {
  let l = table.get(inode);
  if (!l) { l = { flocks: [], records: [], wq: new WaitQueue() }; table.set(inode, l); }
  return l;
}

export function lockWaitQueue(inode: object): WaitQueue { return locksOf(inode).wq; }

// flock: returns true when taken; false if it would block.
export function flockTry(inode: object, owner: LockOwner, exclusive: boolean, pid = 0): boolean {
  const l = locksOf(inode);
  const others = l.flocks.filter((x) => x.owner !== owner);
  if (others.some((x) => x.exclusive || exclusive)) return false;
  // Converting a lock: the old one is released first (as Linux).
  l.flocks = [...others, { owner, exclusive, pid }];
  l.wq.wakeAll();
  return true;
}

export function flockRelease(inode: object, owner: LockOwner): void {
  const l = table.get(inode);
  if (!l) return;
  const n = l.flocks.length;
  l.flocks = l.flocks.filter((x) => x.owner !== owner);
  if (l.flocks.length !== n) l.wq.wakeAll();
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function conflicts(a: RecordLock, want: RecordLock): boolean {
  return a.owner !== want.owner && overlaps(a, want) && (a.type === F_WRLCK || want.type === F_WRLCK);
}

// F_GETLK: the first lock that would block `want`, or null.
export function recordTest(inode: object, want: RecordLock): RecordLock | null {
  const l = table.get(inode);
  return l?.records.find((r) => conflicts(r, want)) ?? null;
}

// F_SETLK: applies want (including F_UNLCK); false if it would block.
export function recordSet(inode: object, want: RecordLock): boolean {
  const l = locksOf(inode);
  if (want.type !== F_UNLCK && l.records.some((r) => conflicts(r, want))) return false;
  // Cut the owner's existing locks around the range, then add the new one and merge neighbours of the same type.
  const out: RecordLock[] = [];
  for (const r of l.records) {
    if (r.owner !== want.owner || !overlaps(r, want)) { out.push(r); continue; }
    if (r.start < want.start) out.push({ ...r, end: want.start - 1 });
    if (r.end > want.end) out.push({ ...r, start: want.end + 1 });
  }
  if (want.type !== F_UNLCK) out.push({ ...want });
  out.sort((a, b) => a.start - b.start);
  const merged: RecordLock[] = [];
  for (const r of out) {
    const prev = merged[merged.length - 1];
    if (prev && prev.owner === r.owner && prev.type === r.type && prev.end !== Infinity && prev.end + 1 >= r.start) prev.end = Math.max(prev.end, r.end);
    else merged.push(r);
  }
  l.records = merged;
  l.wq.wakeAll();
  return true;
}

// Would waiting for `blocker` deadlock (the blocker's owner waits on something `owner` holds)?
// Each kernel's "owner waits for owner" edges (Linux's blocked_hash).
const WAITING_FOR = new KernelLocal("posix lock waits", () => new Map<LockOwner, LockOwner>());
export function noteWaiting(k: Kernel, owner: LockOwner, blocker: LockOwner | null): void {
  const waitingFor = k.local(WAITING_FOR);
  if (blocker) waitingFor.set(owner, blocker); else waitingFor.delete(owner);
}
export function wouldDeadlock(k: Kernel, owner: LockOwner, blocker: LockOwner): boolean {
  const waitingFor = k.local(WAITING_FOR);
  for (let o: LockOwner | undefined = blocker, n = 0; o && n < 64; o = waitingFor.get(o), n++) if (o === owner) return true;
  return false;
}

export function releaseOwner(inode: object, owner: LockOwner): void {
  const l = table.get(inode);
  if (!l) return;
  const n = l.records.length;
  l.records = l.records.filter((r) => r.owner !== owner);
  if (l.records.length !== n) l.wq.wakeAll();
}

// /proc/locks: the inodes a kernel's processes took locks on (noteLocked
// after a lock is taken); those without locks left are dropped as it is read.
const LOCKED = new KernelLocal("locked inodes", () => new Set<object>());
export function noteLocked(k: Kernel, inode: object): void { k.local(LOCKED).add(inode); }

export interface LockLine { kind: "POSIX" | "OFDLCK" | "FLOCK"; type: number; pid: number; inode: object; start: number; end: number }
export function lockLines(k: Kernel): LockLine[] {
  const out: LockLine[] = [];
  const set = k.local(LOCKED);
  for (const inode of set) {
    const l = table.get(inode);
    if (!l || (l.flocks.length === 0 && l.records.length === 0)) { set.delete(inode); continue; }
    for (const f of l.flocks) out.push({ kind: "FLOCK", type: f.exclusive ? F_WRLCK : F_RDLCK, pid: f.pid, inode, start: 0, end: Infinity });
    for (const r of l.records) out.push({ kind: r.pid === -1 ? "OFDLCK" : "POSIX", type: r.type, pid: r.pid, inode, start: r.start, end: r.end });
  }
  return out;
}

export function checkType(type: number): void {
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) kerr(EINVAL);
}

export { EAGAIN, EDEADLK };
