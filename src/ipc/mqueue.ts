// POSIX message queues (Linux's ipc/mqueue.c): named queues of prioritised
// messages in a per-kernel namespace. A queue is an inode; mq_open gives a
// file on it (always close-on-exec, as Linux's). Messages leave highest
// priority first and in arrival order within a priority. One process may
// register for a notification when a message reaches an empty queue that no
// receiver is waiting on (one-shot). Each queue is charged to its creator's
// real uid against RLIMIT_MSGQUEUE, from creation until the queue is gone
// (unlinked and closed).

import { kerr } from "../lib/errors.js";
import { WaitQueue } from "../lib/wait.js";
import { EACCES, EBUSY, EEXIST, EINVAL, EMFILE, ENAMETOOLONG, ENOENT, ENOMEM, ENOSPC } from "../abi/errno.js";
import { INODE_COST } from "../mm/budget.js";
import { kernelMem } from "../fs/kmem.js";
import {
  MQ_PRIO_MAX, DFLT_QUEUESMAX, DFLT_MSG, DFLT_MSGMAX, DFLT_MSGSIZE, DFLT_MSGSIZEMAX, HARD_MSGMAX, HARD_MSGSIZEMAX,
  MQ_MSG_OVERHEAD, MQ_TREE_NODE_SIZE, MQUEUE_MAGIC,
} from "../abi/ipc.js";
import { O_ACCMODE, O_CREAT, O_EXCL, O_NONBLOCK, O_WRONLY, O_RDWR } from "../abi/fcntl.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import { SIGEV_SIGNAL, SIGEV_NONE } from "../abi/time.js";
import { SI_MESGQ } from "../abi/signal.js";
import { CAP_SYS_RESOURCE } from "../abi/prctl.js";
import { RLIMIT_MSGQUEUE } from "../abi/resource.js";
import { Inode, SuperBlock, S_IFREG } from "../fs/inode.js";
import { File } from "../fs/file.js";
import { permission, MAY_READ, MAY_WRITE, NAME_MAX } from "../fs/namei.js";
import { KernelLocal } from "../kernel/local.js";
import { sendSignal } from "../kernel/signal.js";
import { rlimit, type Task, type ThreadGroup } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import type { Kernel } from "../kernel/kernel.js";
import { procFsSysctlDirs } from "../fs/procfs/registry.js";
import { intSysctl } from "./util.js";
import { NOTIFY_COOKIE_LEN, NOTIFY_WOKENUP, NOTIFY_REMOVED } from "../abi/ipc.js";


export interface MqAttr { maxmsg: number; msgsize: number }
interface Message { prio: number; data: Uint8Array }
interface Notify { owner: ThreadGroup; notify: number; signo: number; value: bigint; thread?: ThreadNotify }
// SIGEV_THREAD: the cookie goes to a netlink socket, its last byte saying why (glibc's helper thread reads it).
export interface ThreadNotify { cookie: Uint8Array; deliver: (b: Uint8Array) => void }
function sendCookie(n: ThreadNotify, why: number): void {
  const c = n.cookie.slice();
  c[NOTIFY_COOKIE_LEN - 1] = why;
  n.deliver(c);
}

// The namespace: /dev/mqueue's contents, the queue count and each user's bytes.
class MqNamespace {
  readonly sb = new SuperBlock("mqueue", MQUEUE_MAGIC);
  readonly names = new Map<string, MqInode>();
  queues = 0;
  // fs.mqueue.queues_max: queues the namespace holds before mq_open is ENOSPC (without CAP_SYS_RESOURCE).
  queuesMax = DFLT_QUEUESMAX;
  readonly bytes = new Map<number, number>();
  nextIno = 1;
}
// One per IPC namespace, as Linux's ipc_namespace.mq_mnt.
const NS = new KernelLocal("POSIX message queues", () => new WeakMap<object, MqNamespace>());
function mqNs(t: Task): MqNamespace { return mqNsOf(t.k, t.ns.ipc); }
function mqNsOf(k: Kernel, ipc: object): MqNamespace {
  const all = k.local(NS);
  let ns = all.get(ipc);
  if (!ns) { ns = new MqNamespace(); all.set(ipc, ns); }
  return ns;
}

// fs.mqueue.queues_max, the reading or writing task's IPC namespace's (ipc/mq_sysctl.c).
const callerNs = (k: Kernel) => mqNsOf(k, k.current?.ns.ipc ?? k.initNs.ipc);
procFsSysctlDirs.set("mqueue", new Map([["queues_max", {
  get: (k: Kernel) => String(callerNs(k).queuesMax),
  set: (k: Kernel, v: string) => { callerNs(k).queuesMax = intSysctl(v, 0, 0x7fffffff); },
}]]));

export class MqInode extends Inode {
  readonly ino: number;
  readonly messages: Message[] = [];
  qsize = 0; // bytes of message text queued
  notification: Notify | null = null;
  readonly wq = new WaitQueue(); // readiness changes (poll, epoll, blocked senders and receivers)
  readonly receivers = new WaitQueue(); // tasks blocked in mq_timedreceive
  linked = true;
  // The guest's memory budget (mm/budget.ts): the queue's inode and each
  // message queued (its text and msg_msg header, kmalloc'd on Linux: slab)
  // are charged while they exist; a send the budget cannot hold is ENOMEM,
  // as do_mq_timedsend when load_msg cannot allocate.
  private readonly mem = kernelMem();
  private freed = false;
  constructor(readonly ns: MqNamespace, readonly attr: MqAttr, readonly chargedUid: number, readonly charge: number) {
    super();
    this.mem?.charge("slab", INODE_COST, ENOMEM);
    this.ino = ns.nextIno++;
  }
  chargeMessage(bytes: number): void { this.mem?.charge("slab", bytes + MQ_MSG_OVERHEAD, ENOMEM); }
  unchargeMessage(bytes: number): void { this.mem?.uncharge("slab", bytes + MQ_MSG_OVERHEAD); }
  get sb(): SuperBlock { return this.ns.sb; }
  override get size(): number { return this.qsize; }
  override lastClose(): void { if (!this.linked) this.release(); }
  release(): void {
    if (this.freed) return;
    this.freed = true;
    for (const m of this.messages.splice(0)) this.unchargeMessage(m.data.length);
    this.qsize = 0;
    this.mem?.uncharge("slab", INODE_COST);
    const ns = this.ns;
    ns.queues--;
    ns.bytes.set(this.chargedUid, (ns.bytes.get(this.chargedUid) ?? 0) - this.charge);
  }
  get full(): boolean { return this.messages.length >= this.attr.maxmsg; }
}

// Linux's mq_attr_ok, with its per-queue charge (messages, their headers
// and priority-tree nodes).
function checkAttr(t: Task, a: MqAttr): void {
  const cap = hasCap(t.cred, CAP_SYS_RESOURCE);
  if (a.maxmsg <= 0 || a.msgsize <= 0) kerr(EINVAL);
  if (a.maxmsg > (cap ? HARD_MSGMAX : DFLT_MSGMAX) || a.msgsize > (cap ? HARD_MSGSIZEMAX : DFLT_MSGSIZEMAX)) kerr(EINVAL);
}
function chargeOf(a: MqAttr): number {
  return a.maxmsg * MQ_MSG_OVERHEAD + Math.min(a.maxmsg, MQ_PRIO_MAX) * MQ_TREE_NODE_SIZE + a.maxmsg * a.msgsize;
}

// The name as the kernel gets it (glibc strips the leading '/'): one path
// component, as Linux's lookup_one_len checks it.
function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/")) kerr(EACCES);
  if (Buffer.byteLength(name) > NAME_MAX) kerr(ENAMETOOLONG);
}

const ACCESS = [MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE];

export function mqOpen(t: Task, name: string, oflag: number, mode: number, attr: MqAttr | null): File {
  const ns = mqNs(t);
  checkName(name);
  let q = ns.names.get(name);
  if (!q) {
    if (!(oflag & O_CREAT)) kerr(ENOENT);
    if (ns.queues >= ns.queuesMax && !hasCap(t.cred, CAP_SYS_RESOURCE)) kerr(ENOSPC);
    const a = attr ?? { maxmsg: DFLT_MSG, msgsize: DFLT_MSGSIZE };
    if (attr) checkAttr(t, a);
    const charge = chargeOf(a);
    const used = ns.bytes.get(t.cred.uid) ?? 0;
    const limit = rlimit(t.tg, RLIMIT_MSGQUEUE);
    if (limit >= 0 && used + charge > limit) kerr(EMFILE);
    q = new MqInode(ns, a, t.cred.uid, charge);
    q.mode = S_IFREG | (mode & 0o777 & ~t.fs.umask);
    q.uid = t.cred.fsuid;
    q.gid = t.cred.fsgid;
    ns.bytes.set(t.cred.uid, used + charge);
    ns.queues++;
    ns.names.set(name, q);
  } else {
    if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) kerr(EEXIST);
    if ((oflag & O_ACCMODE) === (O_RDWR | O_WRONLY)) kerr(EINVAL);
    if (!permission(q, ACCESS[oflag & O_ACCMODE], t.cred)) kerr(EACCES);
  }
  if ((oflag & O_ACCMODE) === (O_RDWR | O_WRONLY)) kerr(EINVAL);
  return mqFile(q, oflag & (O_ACCMODE | O_NONBLOCK));
}

export function mqUnlink(t: Task, name: string): void {
  const ns = mqNs(t);
  checkName(name);
  const q = ns.names.get(name);
  if (!q) kerr(ENOENT);
  // The namespace's root is 01777 owned by root: the sticky bit lets only
  // the queue's owner (or CAP_FOWNER) remove it.
  if (t.cred.fsuid !== 0 && t.cred.fsuid !== q.uid) kerr(EACCES);
  ns.names.delete(name);
  q.linked = false;
  if (q.openFiles === 0) q.release();
}

function mqFile(q: MqInode, flags: number): File {
  return new File(null, q, flags, {
    // Reading the descriptor tells the queue's state, as Linux's mqueue_read_file.
    read(_file, dst, pos) {
      const n = q.notification;
      const text = `QSIZE:${String(q.qsize).padEnd(10)} NOTIFY:${String(n ? n.notify : 0).padEnd(5)} ` +
        `SIGNO:${String(n && n.notify === SIGEV_SIGNAL ? n.signo : 0).padEnd(5)} NOTIFY_PID:${String(n ? n.owner.pid : 0).padEnd(6)}\n`;
      const b = Buffer.from(text, "latin1").subarray(pos);
      const k = Math.min(b.length, dst.length);
      dst.set(b.subarray(0, k));
      return k;
    },
    poll: () => (q.messages.length ? POLLIN | POLLRDNORM : 0) | (!q.full ? POLLOUT | POLLWRNORM : 0),
    waitQueue: () => q.wq,
    flush: (_file, owner) => { if (q.notification?.owner === owner) q.notification = null; },
  });
}

export function mqInode(f: File): MqInode | null { return f.inode instanceof MqInode ? f.inode : null; }

// Adds a message (the caller checked room and size); a message that makes
// the queue non-empty with no receiver waiting fires the notification.
export function mqSend(t: Task, q: MqInode, data: Uint8Array, prio: number): void {
  q.chargeMessage(data.length);
  let i = q.messages.length;
  while (i > 0 && q.messages[i - 1].prio < prio) i--;
  q.messages.splice(i, 0, { prio, data });
  q.qsize += data.length;
  if (q.messages.length === 1 && q.receivers.size === 0) fireNotification(t, q);
  q.receivers.wakeAll();
  q.wq.wakeAll();
}

export function mqReceive(q: MqInode): Message {
  const m = q.messages.shift()!;
  q.qsize -= m.data.length;
  q.unchargeMessage(m.data.length);
  q.wq.wakeAll();
  return m;
}

function fireNotification(t: Task, q: MqInode): void {
  const n = q.notification;
  if (!n) return;
  q.notification = null;
  if (n.thread) { sendCookie(n.thread, NOTIFY_WOKENUP); return; }
  if (n.notify === SIGEV_SIGNAL && !n.owner.zombie && n.signo !== 0) {
    sendSignal(n.owner, { signo: n.signo, code: SI_MESGQ, pid: t.pid, uid: t.cred.uid, value: n.value }, false);
  }
}

// mq_notify: register (EBUSY when another process has), or with null
// remove the caller's registration.
export function mqNotify(t: Task, q: MqInode, n: { notify: number; signo: number; value: bigint; thread?: ThreadNotify } | null): void {
  if (n === null) {
    const had = q.notification;
    if (had?.owner === t.tg) {
      q.notification = null;
      if (had.thread) sendCookie(had.thread, NOTIFY_REMOVED);
    }
    return;
  }
  if (q.notification) kerr(EBUSY);
  q.notification = { owner: t.tg, notify: n.notify === SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL, signo: n.signo, value: n.value, thread: n.thread };
}

