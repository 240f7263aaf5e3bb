// File leases (Linux's fs/locks.c: generic_add_lease, __break_lease,
// time_out_leases, fcntl_getlease). A lease belongs to an open file; an open
// (or truncate) that conflicts with it breaks it: the holder gets the lease
// signal (SIGIO, or its F_SETSIG signal with POLL_MSG) and has
// /proc/sys/fs/lease-break-time seconds to downgrade or drop it, while the
// breaker waits (EWOULDBLOCK with O_NONBLOCK). A lease past its break time is
// downgraded or removed by whoever looks at it next.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL, EACCES, EWOULDBLOCK } from "../abi/errno.js";
import { F_RDLCK, F_WRLCK, F_UNLCK, O_ACCMODE, O_RDONLY, O_NONBLOCK, FASYNC } from "../abi/fcntl.js";
import { POLL_MSG } from "../abi/signal.js";
import { CAP_LEASE } from "../abi/prctl.js";
import { KernelLocal } from "../kernel/local.js";
import { sleepOn } from "../kernel/blocking.js";
import { WaitQueue } from "../lib/wait.js";
import { fownerOf, sendSigio } from "./fown.js";
import { isReg, type Inode } from "./inode.js";
import type { File } from "./file.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";

type Kernel = Task["k"];

export interface Lease {
  file: File;
  type: number; // F_RDLCK or F_WRLCK
  // Being broken: what it becomes at the break time (F_UNLCK or F_RDLCK), else null.
  target: number | null;
  breakTime: number; // monotonic ns
  pid: number; // the setter's process
  fd: number; // the descriptor the lease signal names (si_fd)
}

// wq: where breakers wait for the holders to give way. writers: the
// breakers among them that open for write or truncate; Linux's breaker holds
// the inode's write count while it waits (do_dentry_open, do_truncate take
// it before break_lease), so a lease can be neither taken nor downgraded to
// F_RDLCK then. Nothing wakes it: a waiter leaves it when it wakes.
interface InodeLeases { leases: Lease[]; wq: WaitQueue; writers: WaitQueue }

// Every inode with a lease, per kernel (/proc/locks lists them).
const LEASES = new KernelLocal("file leases", () => new Map<Inode, InodeLeases>());

// /proc/sys/fs/lease-break-time, in seconds (Linux's default 45).
const BREAK_TIME = new KernelLocal("lease-break-time", () => ({ secs: 45 }));
export function leaseBreakTime(k: Kernel): number { return k.local(BREAK_TIME).secs; }
export function setLeaseBreakTime(k: Kernel, v: string): void {
  if (!/^-?\d+$/.test(v)) kerr(EINVAL);
  k.local(BREAK_TIME).secs = Math.max(-0x80000000, Math.min(0x7fffffff, Number(v)));
}

function target(l: Lease): number { return l.target ?? l.type; }

// Linux's time_out_leases: a lease whose break time passed becomes its target.
function timeOut(k: Kernel, inode: Inode): InodeLeases | undefined {
  const il = k.local(LEASES).get(inode);
  if (!il) return undefined;
  const now = k.clock.monotonic();
  for (const l of [...il.leases]) if (l.target !== null && now >= l.breakTime) modify(k, inode, l, l.target);
  return k.local(LEASES).get(inode);
}

// Linux's lease_modify: a new type; F_UNLCK removes the lease, its signal
// registration and the file's owner (f_delown), and resets F_SETSIG.
function modify(k: Kernel, inode: Inode, l: Lease, type: number): void {
  const il = k.local(LEASES).get(inode)!;
  if (type === F_UNLCK) {
    il.leases = il.leases.filter((x) => x !== l);
    const o = fownerOf(l.file);
    o.pid = 0;
    o.type = 1; // F_OWNER_PID, as __f_setown(NULL, PIDTYPE_TGID)
    o.signum = 0;
    l.file.flags &= ~FASYNC;
    if (il.leases.length === 0) k.local(LEASES).delete(inode);
  } else {
    // Downgrading clears a pending downgrade; an unlock stays pending.
    if (l.target === F_RDLCK || type === F_WRLCK) l.target = null;
    l.type = type;
  }
  il.wq.wakeAll();
}

// Linux's check_conflicting_open: a read lease needs no writer; a write
// lease needs the lease's own file to be the inode's only opener. A breaker
// waiting to write counts as a writer.
function conflictingOpen(f: File, type: number, il: InodeLeases | undefined): boolean {
  const inode = f.inode;
  const writers = inode.writers + (il?.writers.size ?? 0);
  if (type === F_RDLCK) return writers > 0;
  const selfW = f.writable ? 1 : 0;
  const selfR = !f.writable && f.readable ? 1 : 0;
  return writers !== selfW || inode.readOnlyOpens !== selfR;
}

// fcntl(F_SETLEASE).
export function setLease(t: Task, f: File, fd: number, type: number): number {
  const inode = f.inode;
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) kerr(EINVAL);
  // vfs_setlease: the file's owner by fsuid, or CAP_LEASE; then regular files only.
  if (inode.uid !== t.cred.fsuid && !hasCap(t.cred, CAP_LEASE)) kerr(EACCES);
  if (!isReg(inode.mode)) kerr(EINVAL);
  const k = t.k;
  const il = timeOut(k, inode);
  const mine = il?.leases.find((l) => l.file === f);
  if (type === F_UNLCK) {
    if (mine) modify(k, inode, mine, F_UNLCK);
    return 0;
  }
  if (conflictingOpen(f, type, il)) kerr(EAGAIN);
  for (const l of il?.leases ?? []) {
    if (l === mine) continue;
    // No write lease beside another lease; no new lease while one is being unlocked.
    if (type === F_WRLCK || l.type === F_WRLCK || l.target === F_UNLCK) kerr(EAGAIN);
  }
  if (mine) {
    modify(k, inode, mine, type);
    mine.fd = fd;
    return 0;
  }
  let entry = il;
  if (!entry) { entry = { leases: [], wq: new WaitQueue(), writers: new WaitQueue() }; k.local(LEASES).set(inode, entry); }
  entry.leases.push({ file: f, type, target: null, breakTime: 0, pid: t.tg.pid, fd });
  // lease_setup: the file gets a signal registration (O_ASYNC shows) and,
  // unless it has one, the setter's process as owner.
  const o = fownerOf(f);
  if (!o.pid) { o.pid = t.tg.pid; o.type = 1; o.k = k; o.uid = t.cred.uid; o.euid = t.cred.euid; }
  f.flags |= FASYNC;
  return 0;
}

// fcntl(F_GETLEASE): the lease's type, or what it is being broken to.
export function getLease(t: Task, f: File): number {
  const l = timeOut(t.k, f.inode)?.leases.find((x) => x.file === f);
  return l ? target(l) : F_UNLCK;
}

// Linux's __break_lease, before an open (flags: the open's) or a truncate
// (O_WRONLY) of the inode: signals the holders of conflicting leases and
// waits until they give way or their break time passes.
export function breakLease(t: Task, inode: Inode, flags: number): void {
  const k = t.k;
  const il = timeOut(k, inode);
  if (!il) return;
  const wantWrite = (flags & O_ACCMODE) !== O_RDONLY;
  const conflicting = il.leases.filter((l) => wantWrite || l.type === F_WRLCK);
  if (conflicting.length === 0) return;
  const breakAt = k.clock.monotonic() + Math.max(leaseBreakTime(k), 0) * 1e9;
  for (const l of conflicting) {
    if (wantWrite) {
      if (l.target === F_UNLCK) continue;
      l.target = F_UNLCK;
      l.breakTime = breakAt;
    } else {
      if (l.target !== null) continue;
      l.target = F_RDLCK;
      l.breakTime = breakAt;
    }
    // lease_break_callback: the lease signal with POLL_MSG.
    sendSigio(l.file, l.fd, POLL_MSG);
  }
  if (flags & O_NONBLOCK) kerr(EWOULDBLOCK);
  // A break time of 0 seconds still waits one tick, as Linux's break_time++.
  const deadline = Math.min(...conflicting.map((l) => l.breakTime)) || k.clock.monotonic() + 1e6;
  sleepOn(t, wantWrite ? [il.wq, il.writers] : [il.wq], Math.max(deadline, k.clock.monotonic() + 1));
}

// The last close of a file drops its lease (locks_remove_file).
export function leaseRelease(f: File): void {
  const o = f.owner;
  const k = o?.k;
  if (!k) return;
  const il = k.local(LEASES).get(f.inode);
  const l = il?.leases.find((x) => x.file === f);
  if (l) modify(k, f.inode, l, F_UNLCK);
}

// /proc/locks' LEASE lines: [state, type, pid, inode].
export function leaseLines(k: Kernel): { state: string; type: number; pid: number; inode: Inode }[] {
  const out: { state: string; type: number; pid: number; inode: Inode }[] = [];
  for (const [inode, il] of k.local(LEASES)) {
    for (const l of il.leases) out.push({ state: l.target !== null ? "BREAKING" : "ACTIVE", type: target(l), pid: l.pid, inode });
  }
  return out;
}
