// Socket syscalls: decode arguments, find the socket and its peers, and call
// into net/unix.ts; AF_INET and AF_INET6 sockets go to sys_socket_inet.ts.
// Other families are EAFNOSUPPORT.

import { kerr, KernelError } from "../lib/errors.js";
import {
  EAFNOSUPPORT, EINVAL, ENOTSOCK, ESOCKTNOSUPPORT, EPROTONOSUPPORT, EPIPE, ENOTCONN, ENOPROTOOPT, EOPNOTSUPP,
  EISCONN, EMFILE, EPERM, EMSGSIZE,
} from "../abi/errno.js";
import {
  AF_UNIX, AF_UNSPEC, SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_TYPE_MASK, SOCK_MAX, SOCK_NONBLOCK, SOCK_CLOEXEC, SOL_SOCKET,
  SO_TYPE, SO_ERROR, SO_PEERCRED, SO_SNDBUF, SO_RCVBUF, SO_PASSCRED, SO_REUSEADDR, SO_DOMAIN, SO_PROTOCOL,
  SO_ACCEPTCONN, SO_KEEPALIVE, SO_LINGER, SO_RCVTIMEO, SO_SNDTIMEO, SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_PRIORITY,
  SO_REUSEPORT, SO_BROADCAST, SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW, SCM_RIGHTS, SCM_CREDENTIALS, SCM_MAX_FD, MSG_DONTWAIT,
  MSG_NOSIGNAL, MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_CTRUNC, MSG_CMSG_CLOEXEC, msghdr, cmsghdr, ucred,
  CMSG_DATA_OFFSET, CMSG_ALIGN, CMSG_LEN, CMSG_SPACE, UIO_MAXIOV, sockaddr_un, mmsghdr, MSG_WAITFORONE,
} from "../abi/socket.js";
import { SIGPIPE } from "../abi/signal.js";
import { UserBuffer } from "../mm/uio.js";
import { defineSyscalls } from "./table.js";
import { MAX_RW, moveAddrToUser, putAddr, readTimeo, waitUntil, readIov, userIov, recvLoop, type Iov } from "./sys_socket_io.js";
import { isSleeping } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { waitForIo } from "../fs/iowait.js";
import { um } from "./util.js";
import { intLen, sizeArg, fdArg, i32Arg, u32Arg } from "./args.js";
import type { File } from "../fs/file.js";
import { sendSignal } from "../kernel/signal.js";
import { UnixSocket, SockInode, socketFile, unixNames, isUnixType, type Ucred, type RecvResult } from "../net/unix.js";
import "../net/unix_proc.js"; // /proc/net/unix
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { family, lookupAddr, bind } from "../net/unix_addr.js";
import {
  isInetFamily, inetSockOf, inetSocket, inetSocketpair, inetBind, inetListen, inetAccept, inetConnect, inetGetname, inetShutdown,
  inetSend, inetRecvmsg, inetRecvfrom,
} from "./sys_socket_inet.js";
import { inetGetsockopt, inetSetsockopt } from "./sys_socket_inetopt.js";

const SOCK_MIN_SNDBUF = 4608;
const SOCK_MIN_RCVBUF = 2304;
const WMEM_MAX = 212992; // net.core.wmem_max and rmem_max
// More than any AF_UNIX socket can hold (its buffers are at most 2 * WMEM_MAX).
const RECV_MAX = 4 * WMEM_MAX;
const OVERFLOW_ID = 65534;

function credOf(t: Task): Ucred { return { pid: t.pid, uid: t.cred.uid, gid: t.cred.gid }; }
function peerCredOf(t: Task): Ucred { return { pid: t.pid, uid: t.cred.euid, gid: t.cred.egid }; }

function sockOf(t: Task, fd: number): { f: File; s: UnixSocket } {
  const f = t.files.get(fdArg(fd));
  if (!(f.inode instanceof SockInode)) kerr(ENOTSOCK);
  return { f, s: f.inode.sock };
}

// The inet socket behind fd, if it is one (sys_socket_inet.ts serves it).
function inetOf(t: Task, fd: number) {
  const f = t.files.get(fdArg(fd));
  const s = inetSockOf(f);
  return s ? { f, s } : null;
}

export function install(t: Task, f: File, cloexec: boolean): number {
  return t.files.alloc(f, cloexec, nofile(t)); // on failure alloc puts f
}

function checkFamilyType(domain: number, type: number, protocol: number): { base: number; flags: number } {
  if (domain !== AF_UNIX) kerr(EAFNOSUPPORT);
  const flags = type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) kerr(EINVAL);
  let base = type & SOCK_TYPE_MASK;
  if (base >= SOCK_MAX) kerr(EINVAL); // as __sock_create
  if (protocol !== 0 && protocol !== AF_UNIX) kerr(EPROTONOSUPPORT);
  if (base === SOCK_RAW) base = SOCK_DGRAM; // as Linux: a unix raw socket is a datagram socket
  if (!isUnixType(base)) kerr(ESOCKTNOSUPPORT);
  return { base, flags };
}

// A sockaddr_un from user space, exactly addrlen bytes.
function readAddr(t: Task, va: number, len: number): Uint8Array {
  if (len < 2 || len > sockaddr_un.size) kerr(EINVAL);
  return um(t).read(va, len);
}

const UNNAMED = new Uint8Array([AF_UNIX, 0]);

function accept(t: Task, fd: number, addrVa: number, lenVa: number, flags: number): number {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) kerr(EINVAL);
  const inet = inetOf(t, fd);
  if (inet) return inetAccept(t, inet.f, inet.s, addrVa, lenVa, flags);
  const { f, s } = sockOf(t, fd);
  // accept waits as long as SO_RCVTIMEO allows, as Linux's.
  const server = waitForIo(t, f, () => s.accept(), {
    queues: () => [s.wq],
    until: () => waitUntil(t, s.rcvtimeo, restartOf(t, "deadline")),
    park: (deadline) => { t.restart = { kind: "deadline", deadline }; },
  });
  const nf = socketFile(server, (flags & SOCK_NONBLOCK) !== 0);
  putAddr(t, addrVa, lenVa, server.peer?.addr ?? UNNAMED);
  return install(t, nf, (flags & SOCK_CLOEXEC) !== 0);
}

function connect(t: Task, fd: number, va: number, len: number): number {
  const inet = inetOf(t, fd);
  if (inet) return inetConnect(t, inet.f, inet.s, va, len);
  const { f, s } = sockOf(t, fd);
  const a = readAddr(t, va, len);
  if (s.type === SOCK_DGRAM) {
    s.connectDgram(family(a) === AF_UNSPEC ? null : lookupAddr(t, a));
    return 0;
  }
  if (s.state === "connected") kerr(EISCONN);
  const target = lookupAddr(t, a);
  waitForIo(t, f, () => s.connectTo(target, peerCredOf(t)), { queues: () => [target.wq] });
  return 0;
}

// Files named by SCM_RIGHTS and credentials given by SCM_CREDENTIALS in a control buffer.
function readControl(t: Task, va: number, len: number): { fds: File[] | null; cred: Ucred | null } {
  const out: { fds: File[] | null; cred: Ucred | null } = { fds: null, cred: null };
  if (va === 0 || len < cmsghdr.size) return out;
  const raw = um(t).read(va, Math.min(len, 1 << 16));
  const dv = new DataView(raw.buffer);
  try {
    for (let off = 0; off + cmsghdr.size <= raw.length;) {
      const clen = Number(cmsghdr.getBig(dv, off, "cmsg_len"));
      if (clen < cmsghdr.size || off + clen > raw.length) kerr(EINVAL);
      const level = cmsghdr.get(dv, off, "cmsg_level");
      const type = cmsghdr.get(dv, off, "cmsg_type");
      const data = off + CMSG_DATA_OFFSET;
      if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        const n = (clen - CMSG_DATA_OFFSET) >> 2;
        if (n > SCM_MAX_FD || (out.fds?.length ?? 0) + n > SCM_MAX_FD) kerr(EINVAL);
        for (let i = 0; i < n; i++) (out.fds ??= []).push(t.files.get(dv.getInt32(data + 4 * i, true)).get());
      } else if (level === SOL_SOCKET && type === SCM_CREDENTIALS) {
        if (clen !== CMSG_LEN(ucred.size)) kerr(EINVAL);
        const c = { pid: ucred.get(dv, data, "pid"), uid: ucred.get(dv, data, "uid"), gid: ucred.get(dv, data, "gid") };
        // As Linux: only privileged senders may claim other ids.
        const own = t.cred;
        if (own.euid !== 0 && (c.pid !== t.pid || ![own.uid, own.euid, own.suid].includes(c.uid) || ![own.gid, own.egid, own.sgid].includes(c.gid))) kerr(EPERM);
        out.cred = c;
      } else if (level === SOL_SOCKET) kerr(EINVAL);
      off += CMSG_ALIGN(clen);
    }
  } catch (e) { out.fds?.forEach((x) => x.put()); throw e; }
  return out;
}

// The user's bytes are copied as they go (a stream: at most a send buffer
// per step, as unix_stream_sendmsg allocates its skbs; a datagram whole),
// never the whole count first: a 1 GiB send allocates no 1 GiB, and a fault
// part-way gives the bytes sent before it.
function send(t: Task, fd: number, src: UserBuffer, flags: number, toVa: number, toLen: number, ctrlVa: number, ctrlLen: number): number {
  const inet = inetOf(t, fd);
  if (inet) return inetSend(t, inet.f, inet.s, src, flags, toVa, toLen);
  const { f, s } = sockOf(t, fd);
  if (s.type !== SOCK_STREAM && src.length > s.sndbuf) kerr(EMSGSIZE);
  const chunk = (done: number) => src.copyIn(done, s.type === SOCK_STREAM ? Math.min(src.length - done, s.sndbuf) : src.length);
  let target: UnixSocket | null = null;
  if (toVa !== 0 && toLen !== 0 && s.type !== SOCK_SEQPACKET) {
    if (s.type !== SOCK_DGRAM) kerr(s.state === "connected" ? EISCONN : EOPNOTSUPP);
    target = lookupAddr(t, readAddr(t, toVa, toLen));
  }
  const ctrl = readControl(t, ctrlVa, ctrlLen);
  let fds = ctrl.fds;
  const cred = ctrl.cred ?? credOf(t);
  const nonblock = f.nonblock || (flags & MSG_DONTWAIT) !== 0;
  const progress = restartOf(t, "send");
  let done = progress?.sent ?? 0;
  if (done > 0) { fds?.forEach((x) => x.put()); fds = null; } // they went with the first part
  try {
    for (;;) {
      let n: number;
      try {
        n = waitForIo(t, f, () => s.send(chunk(done), fds, target, cred), {
          nonblock,
          queues: () => (s.blockedOn && s.blockedOn !== s ? [s.wq, s.blockedOn.wq] : [s.wq]),
          until: () => waitUntil(t, s.sndtimeo, progress),
          park: (deadline) => { t.restart = { kind: "send", sent: done, deadline }; t.partialResult = done || null; },
        });
        fds = null;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (e.errno === EPIPE && !(flags & MSG_NOSIGNAL)) sendSignal(t, { signo: SIGPIPE, code: 0, pid: t.pid, uid: t.cred.uid }, true);
        if (done > 0) return done;
        throw e;
      }
      done += n;
      if (done >= src.length || s.type !== SOCK_STREAM || nonblock) return done;
    }
  } finally { fds?.forEach((x) => x.put()); }
}

interface RecvOut { ret: number; res: RecvResult; msgFlags: number }
// Receives into iov. When it must wait the task sleeps (the syscall is
// retried, and MSG_WAITALL goes on from the bytes it already has).
function recv(t: Task, f: File, s: UnixSocket, iov: Iov[], flags: number): RecvOut {
  const nonblock = f.nonblock || (flags & MSG_DONTWAIT) !== 0;
  const waitall = (flags & MSG_WAITALL) !== 0 && (flags & MSG_PEEK) === 0 && s.type === SOCK_STREAM && !nonblock;
  // No socket queues more than RECV_MAX bytes: the buffer is only as large
  // as what the socket holds (no 850 KiB buffer for a few queued bytes),
  // made once there is something to read.
  const { got, first } = recvLoop<RecvResult>(t, f, s, iov, nonblock, waitall, (room) => {
    const buf = new Uint8Array(Math.min(room, RECV_MAX, s.pendingBytes));
    return { res: s.recv(buf, flags), buf };
  }, (first, res) => {
    // Passed fds end the read; those of later messages join the first's.
    if (first && res.fds) first.fds = [...(first.fds ?? []), ...res.fds];
    return !res.fds;
  });
  const res = first ?? { n: 0, msgLen: 0, truncated: false, from: null, fds: null, cred: null };
  const dgram = s.type !== SOCK_STREAM;
  // As Linux: MSG_TRUNC asks a datagram socket for the real length of the message.
  return { ret: dgram && (flags & MSG_TRUNC) ? res.msgLen : got, res, msgFlags: dgram && res.truncated ? MSG_TRUNC : 0 };
}

// Delivers control messages; returns bytes of control buffer used and flags to add.
function putControl(t: Task, s: UnixSocket, res: RecvResult, va: number, len: number, flags: number): { used: number; flags: number } {
  let used = 0, mflags = 0;
  const m = um(t);
  const put = (type: number, data: Uint8Array): void => {
    const room = len - used;
    const clen = CMSG_LEN(data.length);
    const b = new Uint8Array(clen);
    const dv = new DataView(b.buffer);
    cmsghdr.write(dv, 0, { cmsg_len: clen, cmsg_level: SOL_SOCKET, cmsg_type: type });
    b.set(data, CMSG_DATA_OFFSET);
    m.write(va + used, b);
    used += Math.min(CMSG_SPACE(data.length), room);
  };
  if (s.passcred && res.cred) {
    if (va === 0 || len - used < CMSG_LEN(ucred.size)) mflags |= MSG_CTRUNC;
    else {
      const b = new Uint8Array(ucred.size);
      ucred.write(new DataView(b.buffer), 0, { pid: res.cred.pid, uid: res.cred.uid, gid: res.cred.gid });
      put(SCM_CREDENTIALS, b);
    }
  }
  if (res.fds) {
    const room = va === 0 ? 0 : len - used;
    const fit = room < CMSG_LEN(4) ? 0 : Math.min(res.fds.length, (room - CMSG_DATA_OFFSET) >> 2);
    if (fit < res.fds.length) mflags |= MSG_CTRUNC;
    const b = new Uint8Array(4 * fit);
    const dv = new DataView(b.buffer);
    let i = 0;
    try {
      for (; i < fit; i++) dv.setInt32(4 * i, t.files.alloc(res.fds[i], (flags & MSG_CMSG_CLOEXEC) !== 0, nofile(t)), true);
    } catch (e) {
      if (!(e instanceof KernelError && e.errno === EMFILE)) throw e;
      mflags |= MSG_CTRUNC;
    }
    for (let j = i; j < res.fds.length; j++) res.fds[j].put();
    if (i > 0) put(SCM_RIGHTS, b.subarray(0, 4 * i));
  }
  return { used, flags: mflags };
}

function getsockopt(t: Task, fd: number, level: number, name: number, va: number, lenVa: number): number {
  const inet = inetOf(t, fd);
  if (inet) return inetGetsockopt(t, inet.s, level, name, va, lenVa);
  const { s } = sockOf(t, fd);
  if (level !== SOL_SOCKET) kerr(EOPNOTSUPP);
  const m = um(t);
  const len = m.i32(lenVa);
  if (len < 0) kerr(EINVAL);
  let out: Uint8Array;
  if (name === SO_RCVTIMEO || name === SO_SNDTIMEO || name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO_NEW) {
    const ns = (name === SO_RCVTIMEO || name === SO_RCVTIMEO_NEW ? s.rcvtimeo : s.sndtimeo) ?? 0;
    out = new Uint8Array(16);
    const dv = new DataView(out.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
    dv.setBigInt64(8, BigInt(Math.floor((ns % 1e9) / 1000)), true);
  } else if (name === SO_PEERCRED) {
    const c = s.peerCred ?? { pid: 0, uid: OVERFLOW_ID, gid: OVERFLOW_ID };
    out = new Uint8Array(ucred.size);
    ucred.write(new DataView(out.buffer), 0, { pid: c.pid, uid: c.uid, gid: c.gid });
  } else {
    let v: number;
    switch (name) {
      case SO_TYPE: v = s.type; break;
      case SO_ERROR: v = s.err; s.err = 0; break;
      case SO_SNDBUF: v = s.sndbuf; break;
      case SO_RCVBUF: v = s.rcvbuf; break;
      case SO_PASSCRED: v = s.passcred ? 1 : 0; break;
      case SO_REUSEADDR: v = s.opts.get(SO_REUSEADDR) ?? 0; break;
      case SO_DOMAIN: v = AF_UNIX; break;
      case SO_PROTOCOL: v = 0; break;
      case SO_ACCEPTCONN: v = s.state === "listening" ? 1 : 0; break;
      case SO_KEEPALIVE: case SO_PRIORITY: case SO_REUSEPORT: case SO_BROADCAST: v = s.opts.get(name) ?? 0; break;
      case SO_RCVLOWAT: case SO_SNDLOWAT: v = 1; break;
      default: return kerr(ENOPROTOOPT);
    }
    out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, v, true);
  }
  const n = Math.min(len, out.length);
  m.write(va, out.subarray(0, n));
  m.setU32(lenVa, n);
  return 0;
}

function setsockopt(t: Task, fd: number, level: number, name: number, va: number, len: number): number {
  const inet = inetOf(t, fd);
  if (inet) return inetSetsockopt(t, inet.s, level, name, va, len);
  const { s } = sockOf(t, fd);
  if (level !== SOL_SOCKET) kerr(EOPNOTSUPP);
  if (name === SO_RCVTIMEO || name === SO_SNDTIMEO || name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO_NEW) {
    const ns = readTimeo(t, va, len);
    if (name === SO_RCVTIMEO || name === SO_RCVTIMEO_NEW) s.rcvtimeo = ns; else s.sndtimeo = ns;
    return 0;
  }
  if (name === SO_LINGER) { um(t).read(va, len); return 0; }
  if (len < 4) kerr(EINVAL);
  const v = new DataView(um(t).read(va, 4).buffer).getInt32(0, true);
  switch (name) {
    case SO_SNDBUF: case SO_SNDBUFFORCE: s.sndbuf = Math.max(Math.min(u32Arg(v), WMEM_MAX) * 2, SOCK_MIN_SNDBUF); break;
    case SO_RCVBUF: case SO_RCVBUFFORCE: s.rcvbuf = Math.max(Math.min(u32Arg(v), WMEM_MAX) * 2, SOCK_MIN_RCVBUF); break;
    case SO_PASSCRED: s.passcred = v !== 0; break;
    case SO_REUSEADDR: case SO_KEEPALIVE: case SO_PRIORITY: case SO_REUSEPORT: case SO_BROADCAST: s.opts.set(name, v ? 1 : 0); break;
    case SO_RCVLOWAT: case SO_SNDLOWAT: break;
    default: kerr(ENOPROTOOPT);
  }
  return 0;
}

interface Msg { name: number; namelen: number; iov: Iov[]; control: number; controllen: number }

function readMsg(t: Task, va: number): Msg {
  const dv = new DataView(um(t).read(va, msghdr.size).buffer);
  const name = msghdr.get(dv, 0, "msg_name");
  // As copy_msghdr_from_user: without a name the length is 0; a negative one is EINVAL.
  const namelen = name ? msghdr.get(dv, 0, "msg_namelen") : 0;
  if (namelen < 0) kerr(EINVAL);
  return {
    name,
    namelen,
    iov: readIov(t, msghdr.get(dv, 0, "msg_iov"), sizeArg(msghdr.get(dv, 0, "msg_iovlen"))),
    control: msghdr.get(dv, 0, "msg_control"),
    controllen: sizeArg(msghdr.get(dv, 0, "msg_controllen")),
  };
}


function recvmsg(t: Task, fd: number, va: number, flags: number): number {
  const inet = inetOf(t, fd);
  if (inet) return inetRecvmsg(t, inet.f, inet.s, va, flags, readMsg(t, va));
  const { f, s } = sockOf(t, fd);
  const msg = readMsg(t, va);
  const out = recv(t, f, s, msg.iov, flags);
  const ctl = putControl(t, s, out.res, msg.control, msg.controllen, flags);
  if (msg.name) {
    const a = out.res.from ?? new Uint8Array(0);
    if (a.length) um(t).write(msg.name, a.subarray(0, Math.min(a.length, Math.max(msg.namelen, 0))));
    um(t).setU32(va + msghdr.offsetOf("msg_namelen"), a.length);
  }
  um(t).setU64(va + msghdr.offsetOf("msg_controllen"), ctl.used);
  um(t).setU32(va + msghdr.offsetOf("msg_flags"), out.msgFlags | ctl.flags | (flags & MSG_CMSG_CLOEXEC));
  return out.ret;
}

// sendmmsg/recvmmsg: one sendmsg/recvmsg per mmsghdr, msg_len set for each.
// A call that sleeps partway keeps how many went (and the one in progress's
// own state) across its retries; a signal then ends it with that count.
function mmsgStart(t: Task): { done: number; deadline: number | null } {
  const p = restartOf(t, "mmsg");
  t.restart = p?.inner ?? null;
  return { done: p?.done ?? 0, deadline: p?.deadline ?? null };
}
// The message in progress went to sleep: keep its state inside the call's.
function mmsgPark(t: Task, done: number, deadline: number | null): void {
  t.restart = { kind: "mmsg", done, deadline, inner: t.restart };
  t.partialResult = done || null;
}

// The descriptor is checked first (EBADF, ENOTSOCK), before any message: an
// inet socket (sys_socket_inet.ts) as well as a unix one.
function mmsgSocket(t: Task, fd: number): void { if (!inetOf(t, fd)) sockOf(t, fd); }

function sendmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number): number {
  mmsgSocket(t, fd);
  const n = Math.min(vlen, UIO_MAXIOV);
  let { done } = mmsgStart(t);
  for (; done < n; done++) {
    const va = vec + done * mmsghdr.size;
    let r: number;
    try {
      const msg = readMsg(t, va);
      r = send(t, fd, userIov(t, msg.iov), flags, msg.name, msg.namelen, msg.control, msg.controllen);
    } catch (e) {
      if (isSleeping(e)) { mmsgPark(t, done, null); throw e; }
      if (done > 0 && e instanceof KernelError) return done; // what went is reported; the error is lost, as Linux
      throw e;
    }
    um(t).setU32(va + mmsghdr.offsetOf("msg_len"), r);
    t.restart = null;
  }
  return done;
}

// recvmmsg: MSG_WAITFORONE makes every receive after the first non-blocking;
// the timeout is looked at after each datagram (Linux's documented behaviour).
function recvmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number, timeoutVa: number): number {
  mmsgSocket(t, fd);
  const n = Math.min(vlen, UIO_MAXIOV);
  let { done, deadline } = mmsgStart(t);
  if (done === 0 && deadline === null && timeoutVa) {
    const dv = new DataView(um(t).read(timeoutVa, 16).buffer);
    const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) kerr(EINVAL);
    deadline = t.k.clock.monotonic() + sec * 1e9 + nsec;
  }
  for (; done < n; done++) {
    const va = vec + done * mmsghdr.size;
    const f = done > 0 && (flags & MSG_WAITFORONE) ? flags | MSG_DONTWAIT : flags;
    let r: number;
    try { r = recvmsg(t, fd, va, f & ~MSG_WAITFORONE); } catch (e) {
      if (isSleeping(e)) { mmsgPark(t, done, deadline); throw e; }
      if (done > 0 && e instanceof KernelError) return done;
      throw e;
    }
    um(t).setU32(va + mmsghdr.offsetOf("msg_len"), r);
    t.restart = null;
    if (deadline !== null && t.k.clock.monotonic() >= deadline) return done + 1;
  }
  return done;
}

defineSyscalls({
  socket: [(t, domain, type, protocol) => {
    if (isInetFamily(i32Arg(domain))) return inetSocket(t, i32Arg(domain), i32Arg(type), i32Arg(protocol));
    const { base, flags } = checkFamilyType(i32Arg(domain), i32Arg(type), i32Arg(protocol));
    const s = new UnixSocket(base, peerCredOf(t), unixNames(t.k));
    return install(t, socketFile(s, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
  }, "partial", "AF_UNIX; AF_INET and AF_INET6: TCP, UDP, ICMP echo sockets for the groups in net.ipv4.ping_group_range (empty by default, as Linux: EACCES), SOCK_RAW for ICMP/ICMPv6 with CAP_NET_RAW (other raw protocols ESOCKTNOSUPPORT); AF_NETLINK (NETLINK_ROUTE); no other family (AF_PACKET among them)"],
  socketpair: [(t, domain, type, protocol, sv) => {
    if (isInetFamily(i32Arg(domain))) return inetSocketpair(t, i32Arg(domain), i32Arg(type), i32Arg(protocol));
    const { base, flags } = checkFamilyType(i32Arg(domain), i32Arg(type), i32Arg(protocol));
    const c = peerCredOf(t);
    const a = new UnixSocket(base, c, unixNames(t.k)), b = new UnixSocket(base, c, unixNames(t.k));
    a.peer = b; b.peer = a;
    a.state = b.state = "connected";
    a.peerCred = c; b.peerCred = c;
    const fa = install(t, socketFile(a, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
    let fb: number;
    try { fb = install(t, socketFile(b, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0); } catch (e) { t.files.close(fa); throw e; }
    const out = new Uint8Array(8);
    new DataView(out.buffer).setInt32(0, fa, true);
    new DataView(out.buffer).setInt32(4, fb, true);
    try { um(t).write(sv, out); } catch (e) { t.files.close(fa); t.files.close(fb); throw e; }
    return 0;
  }, "partial", "AF_UNIX only (as Linux: inet families have no socketpair)"],
  bind: [(t, fd, va, len) => {
    const inet = inetOf(t, fd);
    if (inet) return inetBind(t, inet.s, va, i32Arg(len));
    const { s } = sockOf(t, fd); bind(t, s, readAddr(t, va, len)); return 0; },
    "implemented", "AF_UNIX paths and abstract names; AF_INET/AF_INET6 with port 0, SO_REUSEADDR/SO_REUSEPORT rules, v4-mapped addresses; netlink port ids"],
  listen: (t, fd, backlog) => {
    const inet = inetOf(t, fd);
    if (inet) return inetListen(inet.s, i32Arg(backlog));
    sockOf(t, fd).s.listen(i32Arg(backlog)); return 0; },
  accept: (t, fd, va, lenVa) => accept(t, fd, va, lenVa, 0),
  accept4: (t, fd, va, lenVa, flags) => accept(t, fd, va, lenVa, i32Arg(flags)),
  connect: [(t, fd, va, len) => connect(t, fd, va, i32Arg(len)), "implemented", "AF_UNIX connects at once while the backlog has room; TCP with its handshake, blocking or EINPROGRESS"],
  getsockname: (t, fd, va, lenVa) => {
    const inet = inetOf(t, fd);
    if (inet) return inetGetname(t, inet.s, va, lenVa, false);
    const { s } = sockOf(t, fd); moveAddrToUser(t, va, lenVa, s.addr ?? UNNAMED); return 0; },
  getpeername: (t, fd, va, lenVa) => {
    const inet = inetOf(t, fd);
    if (inet) return inetGetname(t, inet.s, va, lenVa, true);
    const { s } = sockOf(t, fd);
    if (s.state !== "connected" || !s.peer) kerr(ENOTCONN);
    moveAddrToUser(t, va, lenVa, s.peer.addr ?? UNNAMED);
    return 0;
  },
  sendto: (t, fd, buf, len, flags, to, tolen) => {
    // As Linux's __sys_sendto: the length is clamped to INT_MAX; a datagram
    // longer than the send buffer is EMSGSIZE before anything is copied.
    const n = Math.min(intLen(len), MAX_RW);
    const inet = inetOf(t, fd);
    if (inet) return inetSend(t, inet.f, inet.s, UserBuffer.of(um(t), buf, n), i32Arg(flags), to, i32Arg(tolen));
    const { s } = sockOf(t, fd);
    if (s.type !== SOCK_STREAM && n > s.sndbuf) kerr(EMSGSIZE);
    return send(t, fd, UserBuffer.of(um(t), buf, n), i32Arg(flags), to, i32Arg(tolen), 0, 0);
  },
  recvfrom: (t, fd, buf, len, flags, from, fromLenVa) => {
    const inet = inetOf(t, fd);
    if (inet) return inetRecvfrom(t, inet.f, inet.s, buf, Math.min(intLen(len), MAX_RW), i32Arg(flags), from, fromLenVa);
    const { f, s } = sockOf(t, fd);
    const out = recv(t, f, s, [{ base: buf, len: Math.min(intLen(len), MAX_RW) }], i32Arg(flags));
    if (out.res.fds) out.res.fds.forEach((x) => x.put());
    if (from && fromLenVa) putAddr(t, from, fromLenVa, out.res.from ?? new Uint8Array(0));
    return out.ret;
  },
  sendmsg: [(t, fd, va, flags) => {
    const msg = readMsg(t, va);
    return send(t, fd, userIov(t, msg.iov), i32Arg(flags), msg.name, msg.namelen, msg.control, msg.controllen);
  }, "partial", "control messages: SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX; none on inet sockets (IP_PKTINFO and the like are not supported)"],
  recvmsg: [(t, fd, va, flags) => recvmsg(t, fd, va, i32Arg(flags)), "partial", "control messages: SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX; on inet sockets only the ICMP sockets' hop limits and MSG_ERRQUEUE's IP_RECVERR/IPV6_RECVERR (no IP_PKTINFO and the like)"],
  sendmmsg: (t, fd, vec, vlen, flags) => sendmmsg(t, fd, vec, u32Arg(vlen), i32Arg(flags)),
  recvmmsg: (t, fd, vec, vlen, flags, timeout) => recvmmsg(t, fd, vec, u32Arg(vlen), i32Arg(flags), timeout),
  shutdown: (t, fd, how) => {
    const inet = inetOf(t, fd);
    if (inet) return inetShutdown(inet.s, i32Arg(how));
    sockOf(t, fd).s.shutdown(i32Arg(how)); return 0; },
  setsockopt: [(t, fd, level, name, va, len) => setsockopt(t, fd, i32Arg(level), i32Arg(name), va, i32Arg(len)),
    "partial", "SOL_SOCKET on AF_UNIX: buffer sizes, SO_PASSCRED, SO_RCVTIMEO/SO_SNDTIMEO (recv, send, accept); SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER kept or accepted without effect (nothing in AF_UNIX uses them). Inet: SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_LINGER, SO_SNDBUF/RCVBUF, SO_RCVTIMEO/SNDTIMEO, SO_BROADCAST, SO_OOBINLINE, SO_PRIORITY, IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_RECVERR, IP_MULTICAST_IF/TTL/LOOP/ALL, IP_ADD/DROP_MEMBERSHIP, MCAST_JOIN/LEAVE_GROUP, IPV6_V6ONLY, IPV6_UNICAST_HOPS, IPV6_RECVERR, IPV6_MTU_DISCOVER, IPV6_DONTFRAG, IPV6_MULTICAST_IF/HOPS/LOOP, IPV6_ADD/DROP_MEMBERSHIP, UDP_CORK, TCP_NODELAY, TCP_CORK, TCP_MAXSEG, TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT, TCP_QUICKACK, TCP_CONGESTION (reno); others ENOPROTOOPT"],
  getsockopt: [(t, fd, level, name, va, lenVa) => getsockopt(t, fd, i32Arg(level), i32Arg(name), va, lenVa),
    "partial", "SOL_SOCKET on AF_UNIX: SO_TYPE, SO_ERROR, SO_PEERCRED, SO_SNDBUF, SO_RCVBUF, SO_PASSCRED, SO_RCVTIMEO, SO_SNDTIMEO, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_REUSEADDR. Inet: the options setsockopt takes, IP_MTU/IPV6_MTU, and TCP_INFO (its first 104 bytes)"],
});
