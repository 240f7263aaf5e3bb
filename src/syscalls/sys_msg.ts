// System V message queues: msgget, msgsnd, msgrcv, msgctl (IPC_STAT, IPC_SET,
// IPC_RMID, IPC_INFO, MSG_INFO, MSG_STAT, MSG_STAT_ANY). The queues live per
// kernel, ids are seq * 32768 + index as Linux builds them. A full queue parks
// senders and an empty one receivers on the queue's wait queues; they retry
// from the start when woken, so a message a sender hands over is simply
// queued and the woken receiver takes it (Linux's pipelined send, without
// the direct hand-off).

import { kerr } from "../lib/errors.js";
import { WaitQueue } from "../lib/wait.js";
import { EINVAL, EACCES, EPERM, EAGAIN, ENOMSG, E2BIG, EIDRM, ERESTARTNOHAND } from "../abi/errno.js";
import {
  IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO,
  MSG_STAT, MSG_INFO, MSG_STAT_ANY, MSG_NOERROR, MSG_EXCEPT, MSG_COPY,
  MSGMAX, MSGMNB, MSGSSZ, MSGPOOL, MSGTQL, MSGMAP, MSGSEG,
  ipc64_perm, msgbuf, MSGBUF_MTEXT, msqid64_ds, msginfo,
} from "../abi/ipc.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";
import { allowed, mayChange, sysvipcListings, ipcRow } from "../ipc/util.js";
import { MsgQueue, space } from "../ipc/msg.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_RESOURCE } from "../abi/prctl.js";
import { i32Arg } from "./args.js";

const S_IRUGO = 0o444, S_IWUGO = 0o222;
const LONG_MAX = (1n << 63n) - 1n;
const INT_MAX = 0x7fff_ffff;
const INVALID_ID = 0xffff_ffff; // (uid_t)-1: no valid kuid/kgid


sysvipcListings.set("msg", {
  header: "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime",
  rows: (k) => [...space(k).byIndex.values()].sort((a, b) => a.index - b.index).map((q) => ipcRow([
    [q.key | 0, 10, 0], [q.id, 10, 1], [(q.mode & 0o777).toString(8), 4, 2], [q.cbytes, 10, 2], [q.messages.length, 10, 1],
    [q.lspid, 5, 1], [q.lrpid, 5, 1], [q.uid, 5, 1], [q.gid, 5, 1], [q.cuid, 5, 1], [q.cgid, 5, 1],
    [q.stime, 10, 1], [q.rtime, 10, 1], [q.ctime, 10, 1],
  ])),
});

// The retry of a parked msgsnd/msgrcv whose queue went meanwhile.
function checkRemovedWhileParked(t: Task): void {
  if (restartOf(t, "msgq")?.queue.removed) kerr(EIDRM);
}

// Parks on one of the queue's wait queues; signals end the wait with EINTR
// after a handler and restart it otherwise, as Linux's ERESTARTNOHAND.
function park(t: Task, q: MsgQueue, wq: WaitQueue): number {
  t.restart = { kind: "msgq", queue: q };
  t.restartCode = ERESTARTNOHAND;
  return sleepOn(t, [wq]);
}

function msgget(t: Task, key: number, flags: number): number {
  const sp = space(t.k);
  return sp.get(t, key, flags, () => {}, () => sp.create(t, key, flags));
}

function msgsnd(t: Task, id: number, va: number, size: number, flags: number): number {
  const m = um(t);
  const type = m.big64(va + msgbuf.offsetOf("mtype"));
  if (size > MSGMAX || size < 0 || id < 0) kerr(EINVAL);
  if (BigInt.asIntN(64, type) < 1n) kerr(EINVAL);
  const text = m.read(va + MSGBUF_MTEXT, size);
  checkRemovedWhileParked(t);
  const q = space(t.k).find(id);
  if (!allowed(t, q, S_IWUGO)) kerr(EACCES);
  // It fits while both the bytes and the message count stay within msg_qbytes.
  if (q.cbytes + size > q.qbytes || q.messages.length + 1 > q.qbytes) {
    if (flags & IPC_NOWAIT) kerr(EAGAIN);
    return park(t, q, q.senders);
  }
  q.messages.push({ type: BigInt.asIntN(64, type), text });
  q.cbytes += size;
  q.lspid = t.tg.pid;
  q.stime = space(t.k).now();
  q.receivers.wakeAll();
  return 0;
}

type Search = "any" | "equal" | "notEqual" | "lessEqual" | "number";

// Linux's find_msg: the first message that matches; for "lessEqual" the
// first of the lowest type not above the bound; for "number" (MSG_COPY) the
// message at that index.
function findMessage(q: MsgQueue, typ: bigint, how: Search): number {
  let found = -1, bound = typ;
  for (let i = 0; i < q.messages.length; i++) {
    const mt = q.messages[i].type;
    switch (how) {
      case "any": return i;
      case "equal": if (mt === typ) return i; break;
      case "notEqual": if (mt !== typ) return i; break;
      case "number": if (BigInt(i) === typ) return i; break;
      case "lessEqual":
        if (mt <= bound) {
          if (mt === 1n) return i;
          found = i;
          bound = mt - 1n;
        }
        break;
    }
  }
  return found;
}

function msgrcv(t: Task, id: number, va: number, size: number, typArg: number, flags: number): number {
  if (id < 0 || size < 0) kerr(EINVAL);
  const copy = (flags & MSG_COPY) !== 0;
  if (copy && ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT))) kerr(EINVAL);
  // msgtyp is a long; numbers beyond 2^53 are not exact (a corner no program uses).
  let typ = BigInt(typArg);
  let how: Search;
  if (copy) how = "number";
  else if (typ === 0n) how = "any";
  else if (typ < 0n) { typ = typ === -(1n << 63n) ? LONG_MAX : -typ; how = "lessEqual"; }
  else how = flags & MSG_EXCEPT ? "notEqual" : "equal";
  checkRemovedWhileParked(t);
  const sp = space(t.k);
  const q = sp.find(id);
  if (!allowed(t, q, S_IRUGO)) kerr(EACCES);
  const i = findMessage(q, typ, how);
  if (i < 0) {
    if (flags & IPC_NOWAIT) kerr(ENOMSG);
    return park(t, q, q.receivers);
  }
  const msg = q.messages[i];
  if (size < msg.text.length && !(flags & MSG_NOERROR)) kerr(E2BIG);
  // As Linux: MSG_COPY copies into a buffer of min(msgsz, msgmax) and a longer message does not fit.
  if (copy && msg.text.length > Math.min(size, MSGMAX)) kerr(EINVAL);
  const n = Math.min(size, msg.text.length);
  const out = new Uint8Array(MSGBUF_MTEXT + n);
  msgbuf.set(new DataView(out.buffer), 0, "mtype", msg.type);
  out.set(msg.text.subarray(0, n), MSGBUF_MTEXT);
  um(t).write(va, out);
  if (!copy) {
    q.messages.splice(i, 1);
    q.cbytes -= msg.text.length;
    q.lrpid = t.tg.pid;
    q.rtime = sp.now();
    q.senders.wakeAll();
  }
  return n;
}

function writeStat(t: Task, va: number, q: MsgQueue): void {
  const b = new Uint8Array(msqid64_ds.size);
  const dv = new DataView(b.buffer);
  ipc64_perm.write(dv, 0, { key: q.key, uid: q.uid, gid: q.gid, cuid: q.cuid, cgid: q.cgid, mode: q.mode, seq: q.seq });
  msqid64_ds.write(dv, 0, {
    msg_stime: q.stime, msg_rtime: q.rtime, msg_ctime: q.ctime,
    msg_cbytes: q.cbytes, msg_qnum: q.messages.length, msg_qbytes: q.qbytes,
    msg_lspid: q.lspid, msg_lrpid: q.lrpid,
  });
  um(t).write(va, b);
}

function msgctl(t: Task, id: number, cmd: number, va: number): number {
  if (id < 0 || cmd < 0) kerr(EINVAL);
  const sp = space(t.k);
  switch (cmd) {
    case IPC_INFO: case MSG_INFO: {
      // The limits, or (MSG_INFO) queues, messages and bytes in use in their place.
      const b = new Uint8Array(msginfo.size);
      const dv = new DataView(b.buffer);
      let msgs = 0, bytes = 0;
      for (const q of sp.byIndex.values()) { msgs += q.messages.length; bytes += q.cbytes; }
      const info = cmd === MSG_INFO;
      msginfo.write(dv, 0, {
        msgpool: info ? sp.byIndex.size : MSGPOOL, msgmap: info ? Math.min(msgs, INT_MAX) : MSGMAP,
        msgtql: info ? Math.min(bytes, INT_MAX) : MSGTQL,
        msgmax: MSGMAX, msgmnb: MSGMNB, msgmni: sp.mni, msgssz: MSGSSZ, msgseg: MSGSEG,
      });
      um(t).write(va, b);
      return Math.max(0, ...sp.byIndex.keys());
    }
    case MSG_STAT: case MSG_STAT_ANY: {
      // By index, not id; returns the id.
      const q = sp.byIndex.get(id);
      if (!q) kerr(EINVAL);
      if (cmd === MSG_STAT && !allowed(t, q, S_IRUGO)) kerr(EACCES);
      writeStat(t, va, q);
      return q.id;
    }
    case IPC_STAT: {
      const q = sp.find(id);
      if (!allowed(t, q, S_IRUGO)) kerr(EACCES);
      writeStat(t, va, q);
      return 0;
    }
    case IPC_SET: case IPC_RMID: {
      // As Linux, IPC_SET reads its argument before it looks at the queue.
      const dv = cmd === IPC_SET ? new DataView(um(t).read(va, msqid64_ds.size).buffer) : null;
      const q = sp.find(id);
      // The owner, the creator, or CAP_SYS_ADMIN.
      mayChange(t, q);
      if (!dv) { sp.destroy(q); return 0; }
      const qbytes = msqid64_ds.getBig(dv, 0, "msg_qbytes");
      if (qbytes > BigInt(MSGMNB) && !hasCap(t.cred, CAP_SYS_RESOURCE)) kerr(EPERM);
      const uid = ipc64_perm.get(dv, 0, "uid"), gid = ipc64_perm.get(dv, 0, "gid");
      if (uid === INVALID_ID || gid === INVALID_ID) kerr(EINVAL);
      q.uid = uid;
      q.gid = gid;
      q.mode = (q.mode & ~0o777) | (ipc64_perm.get(dv, 0, "mode") & 0o777);
      q.qbytes = Number(qbytes > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : qbytes);
      q.ctime = sp.now();
      // Room or permissions may have changed: parked senders and receivers look again.
      q.senders.wakeAll();
      q.receivers.wakeAll();
      return 0;
    }
    default:
      return kerr(EINVAL);
  }
}

defineSyscalls({
  msgget: (t, key, flags) => msgget(t, i32Arg(key), i32Arg(flags)),
  msgsnd: (t, id, va, size, flags) => msgsnd(t, i32Arg(id), va, size, i32Arg(flags)),
  msgrcv: (t, id, va, size, typ, flags) => msgrcv(t, i32Arg(id), va, size, typ, i32Arg(flags)),
  msgctl: (t, id, cmd, va) => msgctl(t, i32Arg(id), i32Arg(cmd), va),
});
