// File owners and signal-driven I/O (Linux's fs/fcntl.c: f_setown,
// fasync_helper, kill_fasync, send_sigio, send_sigurg).
//
// An open file may name an owner (F_SETOWN, F_SETOWN_EX, FIOSETOWN,
// SIOCSPGRP): a thread, a process or a process group, with the credentials
// of whoever set it. With O_ASYNC on (F_SETFL or FIOASYNC), a file whose
// type supports it (FileOps.fasync: pipes, FIFOs, sockets, ttys, inotify)
// sends the owner SIGIO, or the F_SETSIG signal with si_code POLL_IN/POLL_OUT,
// si_band and si_fd, when it becomes readable or writable.
//
// One hook for every file type: the async file watches its wait queue (the
// queue its readers and writers sleep on) and, on each wake, reads its
// readiness. Readable data sends POLL_IN at every wake, as Linux's file types
// call kill_fasync(POLL_IN) at every arrival. POLL_OUT goes at every wake of
// a write-only file (a pipe's write end: its queue wakes only when a reader
// made room, where pipe_read calls kill_fasync(POLL_OUT)), and for a file
// open for reading too (a socket, a tty) only when it turns writable again,
// as Linux's sk_wake_async(SOCK_WAKE_SPACE) does after a writer ran out of room.

import { kerr } from "../lib/errors.js";
import { EINVAL, ESRCH, ENOTTY } from "../abi/errno.js";
import { F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP, FASYNC } from "../abi/fcntl.js";
import { SIGIO, SIGURG, SI_KERNEL, POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP, _NSIG } from "../abi/signal.js";
import { POLLIN, POLLOUT, POLLHUP, POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLMSG, POLLERR, POLLPRI, POLLRDBAND } from "../abi/poll.js";
import { sendSignal } from "../kernel/signal.js";
import type { Waiter, WaitQueue } from "../lib/wait.js";
import type { Task, ThreadGroup, SigInfo } from "../kernel/task.js";
import type { File } from "./file.js";
import { S_IFMT, S_IFSOCK } from "../abi/fcntl.js";

type Kernel = Task["k"];

// si_band for each POLL_* reason (Linux's band_table in fs/fcntl.c).
const BAND: Record<number, number> = {
  [POLL_IN]: POLLIN | POLLRDNORM,
  [POLL_OUT]: POLLOUT | POLLWRNORM | POLLWRBAND,
  [POLL_MSG]: POLLIN | POLLRDNORM | POLLMSG,
  [POLL_ERR]: POLLERR,
  [POLL_PRI]: POLLPRI | POLLRDBAND,
  [POLL_HUP]: POLLHUP | POLLERR,
};

// Linux's struct fown_struct: who gets the signals, as whom, and which signal.
export class FOwner {
  pid = 0; // 0: nobody
  type = F_OWNER_PID; // F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP
  uid = 0; // the setter's real and effective uid (sigio_perm)
  euid = 0;
  signum = 0; // F_SETSIG; 0: plain SIGIO
  k: Kernel | null = null;
}

// The O_ASYNC registration of one open file (Linux's fasync_struct).
class Fasync implements Waiter {
  lastMask: number;
  constructor(readonly f: File, public fd: number, readonly q: WaitQueue) {
    this.lastMask = f.ops.poll?.(f) ?? 0;
  }
  wake(): void {
    const f = this.f;
    const m = f.ops.poll?.(f) ?? 0;
    const was = this.lastMask;
    this.lastMask = m;
    if (f.readable && (m & (POLLIN | POLLHUP))) sendSigio(f, this.fd, POLL_IN);
    else if (f.writable && (m & POLLOUT) && (!f.readable || !(was & POLLOUT))) sendSigio(f, this.fd, POLL_OUT);
  }
}

const fasyncOf = new WeakMap<File, Fasync>();

export function fownerOf(f: File): FOwner {
  let o = f.owner;
  if (!o) o = f.owner = new FOwner();
  return o;
}

// Linux's f_setown (F_SETOWN, FIOSETOWN, SIOCSPGRP): a negative number is a
// process group; 0 clears the owner; a number naming nobody is ESRCH.
export function setOwn(t: Task, f: File, who: number): void {
  let type = F_OWNER_PID;
  if (who < 0) {
    if (who === -0x80000000) kerr(EINVAL);
    type = F_OWNER_PGRP;
    who = -who;
  }
  if (who && !exists(t.k, type, who)) kerr(ESRCH);
  setOwner(t, f, type, who);
}

// Linux's f_setown_ex: an F_OWNER_* type and a pid, which must exist unless 0.
export function setOwnEx(t: Task, f: File, type: number, pid: number): void {
  if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) kerr(EINVAL);
  if (pid && (pid < 0 || !exists(t.k, type, pid))) kerr(ESRCH);
  setOwner(t, f, type, pid);
}

function setOwner(t: Task, f: File, type: number, pid: number): void {
  const o = fownerOf(f);
  o.type = type;
  o.pid = pid;
  o.k = t.k;
  // The owner acts with the credentials of whoever set it (f_modown).
  if (pid) { o.uid = t.cred.uid; o.euid = t.cred.euid; }
  // A socket's protocol finds its file's owner by the socket's queue (sigurgQueue).
  const q = (f.inode.mode & S_IFMT) === S_IFSOCK ? f.ops.waitQueue?.(f) : null;
  if (q) socketByQueue.set(q, f);
}

const socketByQueue = new WeakMap<WaitQueue, File>();

// TCP urgent data arrived on the socket whose queue is q (tcp_check_urg's sk_send_sigurg).
export function sigurgQueue(q: WaitQueue): void {
  const f = socketByQueue.get(q);
  if (f) sendSigurg(f);
}

// A pid names something alive of that kind: find_vpid finds a struct pid
// while any task uses the number as a tid, a tgid or a pgid.
function exists(k: Kernel, type: number, pid: number): boolean {
  if (k.tasks.has(pid)) return true;
  const g = k.groups.get(pid);
  if (g && !g.zombie) return true;
  for (const h of k.groups.values()) if (!h.zombie && (h.pgid === pid || h.sid === pid)) return true;
  void type;
  return false;
}

// Linux's f_getown: the owner, negative for a group, 0 once nothing carries the number.
export function getOwn(f: File): number {
  const o = f.owner;
  if (!o || !o.pid || !o.k || targets(o).length === 0) return 0;
  return o.type === F_OWNER_PGRP ? -o.pid : o.pid;
}

// Linux's f_getown_ex: with no owner, type F_OWNER_TID and pid 0.
export function getOwnEx(f: File): { type: number; pid: number } {
  const o = f.owner;
  if (!o || !o.k) return { type: F_OWNER_TID, pid: 0 };
  return { type: o.type, pid: o.pid && targets(o).length ? o.pid : 0 };
}

export function setSig(f: File, sig: number): void {
  // valid_signal: 0..64, the argument taken as unsigned.
  if (sig < 0 || sig > _NSIG) kerr(EINVAL);
  fownerOf(f).signum = sig;
}

export function getSig(f: File): number { return f.owner?.signum ?? 0; }

// Turns O_ASYNC on or off for a file (fasync_helper through the file's
// fasync operation), as F_SETFL and FIOASYNC do. fd is what si_fd reports.
// Returns false when the file type has no fasync operation.
export function setFasync(f: File, fd: number, on: boolean): boolean {
  if (!f.ops.fasync) return false;
  const cur = fasyncOf.get(f);
  if (on) {
    if (cur) { cur.fd = fd; }
    else {
      const q = f.ops.waitQueue?.(f);
      if (q) { const a = new Fasync(f, fd, q); fasyncOf.set(f, a); q.watch(a); }
    }
    f.flags |= FASYNC;
  } else {
    if (cur) { cur.q.unwatch(cur); fasyncOf.delete(f); }
    f.flags &= ~FASYNC;
  }
  return true;
}

// The last close of a file ends its O_ASYNC registration (__fput).
export function fasyncRelease(f: File): void {
  const cur = fasyncOf.get(f);
  if (cur) { cur.q.unwatch(cur); fasyncOf.delete(f); }
}

// FIOASYNC: as setFasync, ENOTTY where the file type has no fasync (ioctl_fioasync).
export function ioctlFioasync(f: File, fd: number, on: boolean): void {
  if (((f.flags & FASYNC) !== 0) === on) return;
  if (!setFasync(f, fd, on)) kerr(ENOTTY);
}

// The tasks or thread groups an owner names now.
function targets(o: FOwner): (Task | ThreadGroup)[] {
  const k = o.k!;
  if (o.type === F_OWNER_TID) {
    const t = k.tasks.get(o.pid);
    return t && !t.tg.zombie ? [t] : [];
  }
  if (o.type === F_OWNER_PID) {
    // F_SETOWN may name any thread; the signal goes to its whole process.
    const t = k.tasks.get(o.pid);
    const g = t ? t.tg : k.groups.get(o.pid);
    return g && !g.zombie ? [g] : [];
  }
  return [...k.groups.values()].filter((g) => !g.zombie && g.pgid === o.pid);
}

function credOf(x: Task | ThreadGroup): Task["cred"] | null {
  if ("tg" in x) return x.cred;
  const any = x.leader ?? [...x.threads][0];
  return any ? any.cred : null;
}

// Linux's sigio_perm: the owner's setter was root, or one of its uids
// matches the target's real or saved uid.
function sigioPerm(o: FOwner, x: Task | ThreadGroup): boolean {
  const c = credOf(x);
  if (!c) return false;
  return o.euid === 0 || o.euid === c.suid || o.euid === c.uid || o.uid === c.suid || o.uid === c.uid;
}

// Linux's send_sigio: the F_SETSIG signal with its siginfo, or plain SIGIO.
export function sendSigio(f: File, fd: number, reason: number): void {
  const o = f.owner;
  if (!o || !o.pid || !o.k) return;
  for (const x of targets(o)) {
    if (!sigioPerm(o, x)) continue;
    const info: SigInfo = o.signum
      ? { signo: o.signum, code: reason, band: BAND[reason] ?? -1, fd }
      : { signo: SIGIO, code: SI_KERNEL };
    sendSignal(x, info, "tg" in x);
  }
}

// Linux's send_sigurg: SIGURG to the owner on urgent data, O_ASYNC or not;
// with O_ASYNC the owner also gets SIGIO (POLL_PRI) unless F_SETSIG is 0
// (kill_fasync skips SIGURG's POLL_PRI for a plain-SIGIO owner).
export function sendSigurg(f: File): void {
  const o = f.owner;
  if (!o || !o.pid || !o.k) return;
  for (const x of targets(o)) {
    if (sigioPerm(o, x)) sendSignal(x, { signo: SIGURG, code: SI_KERNEL }, "tg" in x);
  }
  const a = fasyncOf.get(f);
  if (a && o.signum) sendSigio(f, a.fd, POLL_PRI);
}
