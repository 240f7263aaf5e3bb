// POSIX message queue syscalls: mq_open, mq_unlink, mq_timedsend,
// mq_timedreceive, mq_notify, mq_getsetattr (the queues: ipc/mqueue.ts).
// Arguments are checked in Linux's order (ipc/mqueue.c); a full or empty
// queue parks the caller until there is room or a message, the absolute
// CLOCK_REALTIME timeout (ETIMEDOUT) or a signal (restarted under
// SA_RESTART, as Linux's -ERESTARTSYS).

import { kerr } from "../lib/errors.js";
import { EBADF, EINVAL, EMSGSIZE, EAGAIN, ETIMEDOUT, EFAULT, ENOTSOCK, ERESTARTSYS } from "../abi/errno.js";
import { mq_attr, MQ_PRIO_MAX, NOTIFY_COOKIE_LEN } from "../abi/ipc.js";
import { O_NONBLOCK } from "../abi/fcntl.js";
import { sigevent, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_MAX_SIZE } from "../abi/time.js";
import { validSignal } from "../abi/signal.js";
import { S_IFMT, S_IFSOCK } from "../fs/inode.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um, pathArg } from "./util.js";
import { readTimespec } from "./sys_time.js";
import { sizeArg, fdArg, i32Arg, u32Arg } from "./args.js";
import { mqOpen, mqUnlink, mqInode, mqSend, mqReceive, mqNotify, type MqInode, type MqAttr, type ThreadNotify } from "../ipc/mqueue.js";
import { inetSockOf } from "./sys_socket_inet.js";
import { NetlinkSocket } from "../net/netlink.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";

function queueOf(t: Task, fd: number): { f: File; q: MqInode } {
  const f = t.files.get(fd);
  const q = mqInode(f);
  if (!q) kerr(EBADF);
  return { f, q };
}

// The absolute CLOCK_REALTIME timeout as a monotonic deadline, read once
// (Linux checks it before anything else: EFAULT, then EINVAL).
function deadline(t: Task, va: number): number | null {
  let st = restartOf(t, "deadline");
  if (!st) {
    let d: number | null = null;
    if (va) {
      const abs = readTimespec(t, va);
      d = abs - (t.k.clock.realtime() - t.k.clock.monotonic());
    }
    st = { kind: "deadline", deadline: d };
    t.restart = st;
  }
  return st.deadline;
}

function wait(t: Task, q: MqInode, until: number | null, receiver: boolean): number {
  if (until !== null && t.k.clock.monotonic() >= until) kerr(ETIMEDOUT);
  t.restartCode = ERESTARTSYS;
  return sleepOn(t, receiver ? [q.wq, q.receivers] : [q.wq], until ?? undefined);
}

function timedsend(t: Task, fd: number, msgVa: number, len: number, prio: number, tmoVa: number): number {
  const until = deadline(t, tmoVa);
  if (prio >= MQ_PRIO_MAX) kerr(EINVAL);
  const { f, q } = queueOf(t, fd);
  if (!f.writable) kerr(EBADF);
  if (len > q.attr.msgsize) kerr(EMSGSIZE);
  const data = um(t).read(msgVa, len);
  if (q.full) {
    if (f.flags & O_NONBLOCK) kerr(EAGAIN);
    return wait(t, q, until, false);
  }
  mqSend(t, q, data, prio);
  return 0;
}

function timedreceive(t: Task, fd: number, msgVa: number, len: number, prioVa: number, tmoVa: number): number {
  const until = deadline(t, tmoVa);
  const { f, q } = queueOf(t, fd);
  if (!f.readable) kerr(EBADF);
  if (len < q.attr.msgsize) kerr(EMSGSIZE);
  if (q.messages.length === 0) {
    if (f.flags & O_NONBLOCK) kerr(EAGAIN);
    return wait(t, q, until, true);
  }
  // Taken first: a fault writing it out loses the message, as in Linux.
  const m = mqReceive(q);
  const mem = um(t);
  try {
    if (prioVa) mem.setU32(prioVa, m.prio);
    mem.write(msgVa, m.data);
  } catch {
    kerr(EFAULT);
  }
  return m.data.length;
}

// struct mq_attr from user memory: the sizes through the checked decoder (a
// value past 2^53 is past every limit), mq_flags exactly (a 64-bit mask).
function readAttr(t: Task, va: number): { flags: bigint; maxmsg: number; msgsize: number } {
  const dv = new DataView(um(t).read(va, mq_attr.size).buffer);
  return { flags: mq_attr.getBig(dv, 0, "mq_flags"), maxmsg: mq_attr.get(dv, 0, "mq_maxmsg"), msgsize: mq_attr.get(dv, 0, "mq_msgsize") };
}

function open(t: Task, nameVa: number, oflag: number, mode: number, attrVa: number): number {
  const a = attrVa ? readAttr(t, attrVa) : null;
  const attr: MqAttr | null = a ? { maxmsg: a.maxmsg, msgsize: a.msgsize } : null;
  const name = pathArg(t, nameVa);
  t.files.checkFree(nofile(t)); // EMFILE before the queue is looked up or made
  // Always close-on-exec, as Linux's do_mq_open.
  return t.files.alloc(mqOpen(t, name, oflag, mode, attr), true, nofile(t));
}

function getsetattr(t: Task, fd: number, newVa: number, oldVa: number): number {
  const next = newVa ? readAttr(t, newVa) : null;
  if (next && (next.flags & ~BigInt(O_NONBLOCK)) !== 0n) kerr(EINVAL);
  const { f, q } = queueOf(t, fd);
  if (oldVa) {
    const b = new Uint8Array(mq_attr.size);
    const dv = new DataView(b.buffer);
    mq_attr.set(dv, 0, "mq_flags", BigInt(f.flags & O_NONBLOCK));
    mq_attr.set(dv, 0, "mq_maxmsg", BigInt(q.attr.maxmsg));
    mq_attr.set(dv, 0, "mq_msgsize", BigInt(q.attr.msgsize));
    mq_attr.set(dv, 0, "mq_curmsgs", BigInt(q.messages.length));
    um(t).write(oldVa, b);
  }
  if (next) f.flags = (f.flags & ~O_NONBLOCK) | Number(next.flags & BigInt(O_NONBLOCK));
  return 0;
}

// SIGEV_THREAD asks for the cookie at sigev_value to be sent to the netlink
// socket sigev_signo (glibc's helper thread reads it there): a socket that
// is not netlink is EINVAL, anything else ENOTSOCK, as Linux's
// netlink_getsockbyfilp.
function notify(t: Task, fd: number, sevVa: number): number {
  let n: { notify: number; signo: number; value: bigint; thread?: ThreadNotify } | null = null;
  if (sevVa) {
    const dv = new DataView(um(t).read(sevVa, SIGEV_MAX_SIZE).buffer);
    const how = sigevent.get(dv, 0, "sigev_notify"), signo = sigevent.get(dv, 0, "sigev_signo");
    if (how !== SIGEV_NONE && how !== SIGEV_SIGNAL && how !== SIGEV_THREAD) kerr(EINVAL);
    if (how === SIGEV_SIGNAL && signo !== 0 && !validSignal(signo)) kerr(EINVAL);
    let thread: ThreadNotify | undefined;
    if (how === SIGEV_THREAD) {
      const cookie = um(t).read(Number(sigevent.getBig(dv, 0, "sigev_value")), NOTIFY_COOKIE_LEN);
      const f = t.files.get(signo);
      const s = inetSockOf(f);
      if (!(s instanceof NetlinkSocket)) return kerr((f.inode.mode & S_IFMT) === S_IFSOCK ? EINVAL : ENOTSOCK);
      thread = { cookie, deliver: (b) => s.deliver(b) };
    }
    n = { notify: how, signo, value: sigevent.getBig(dv, 0, "sigev_value"), thread };
  }
  mqNotify(t, queueOf(t, fd).q, n);
  return 0;
}

defineSyscalls({
  mq_open: [(t, name, oflag, mode, attr) => open(t, name, i32Arg(oflag), u32Arg(mode), attr), "partial",
    "queues live in a per-kernel namespace; the mqueue filesystem cannot be mounted (no /dev/mqueue listing)"],
  mq_unlink: (t, name) => { mqUnlink(t, pathArg(t, name)); return 0; },
  mq_timedsend: (t, fd, msg, len, prio, tmo) => timedsend(t, fdArg(fd), msg, sizeArg(len), u32Arg(prio), tmo),
  mq_timedreceive: (t, fd, msg, len, prio, tmo) => timedreceive(t, fdArg(fd), msg, sizeArg(len), prio, tmo),
  mq_notify: [(t, fd, sev) => notify(t, fdArg(fd), sev), "partial",
    "SIGEV_NONE, SIGEV_SIGNAL and SIGEV_THREAD (the cookie to a netlink socket); closing the queue does not remove the registration"],
  mq_getsetattr: (t, fd, nw, old) => getsetattr(t, fdArg(fd), nw, old),
});
