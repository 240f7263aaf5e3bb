// Socket syscalls on AF_INET and AF_INET6 sockets: sys_socket.ts hands a
// call here when the socket (or the family asked for) is an inet one. The
// arguments are decoded here; the protocols are in net/inet/.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EACCES, EPERM, EPIPE, EOPNOTSUPP, ENOTCONN, ENOBUFS } from "../abi/errno.js";
import {
  AF_INET, AF_INET6, AF_NETLINK, AF_UNSPEC, sockaddr_nl, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_TYPE_MASK, SOCK_MAX,
  SOCK_NONBLOCK, SOCK_CLOEXEC, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, SOL_IPV6, MSG_DONTWAIT,
  MSG_NOSIGNAL, MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_OOB, MSG_CMSG_CLOEXEC, msghdr, sockaddr_storage, IPV6_HOPLIMIT,
  IPV6_2292HOPLIMIT, MSG_CTRUNC, cmsghdr, CMSG_LEN, CMSG_SPACE, CMSG_DATA_OFFSET, MSG_ERRQUEUE,
} from "../abi/socket.js";
import { TCP_CLOSE, TCP_SYN_SENT, TCP_TIME_WAIT } from "../abi/inet.js";
import { SIGPIPE } from "../abi/signal.js";
import { CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW } from "../abi/prctl.js";
import { restartOf } from "../kernel/restart.js";
import { sendSignal } from "../kernel/signal.js";
import { waitForIo } from "../fs/iowait.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { um } from "./util.js";
import { decodeSockaddr, isAny, isV4, V4_LOOPBACK, V6_LOOPBACK, type SockAddr } from "../net/inet/addr.js";
import { netStack } from "../net/inet/stack.js";
import { InetSockInode, inetSocketFile, type InetDataSocket, type InetRecv } from "../net/inet/socket.js";
import { UdpSocket, udpInit } from "../net/inet/udp.js";
import { TcpSocket } from "../net/inet/tcp.js";
import { tcpInit } from "../net/inet/tcp_table.js";
import { PingSocket, RawIcmpSocket, pingAllowed } from "../net/inet/icmp_sock.js";
import { NetlinkSocket } from "../net/netlink.js";
import "../net/inet/netdev.js";
import { NETLINK_ROUTE } from "../abi/netlink.js";
import { install } from "./sys_socket.js";
import { moveAddrToUser, putAddr, recvLoop, scatter, waitUntil, type Iov } from "./sys_socket_io.js";
import { takeErrQueue, type ErrQueueRead } from "../net/inet/errqueue.js";
import type { UserBuffer } from "../mm/uio.js";

const RECV_MAX = 16 << 20;
const MAX_DGRAM = 65536;

export function isInetFamily(domain: number): boolean { return domain === AF_INET || domain === AF_INET6 || domain === AF_NETLINK; }

export function inetSockOf(f: File): InetDataSocket | null {
  return f.inode instanceof InetSockInode ? (f.inode.sock as InetDataSocket) : null;
}

function capable(t: Task, cap: number): boolean { return hasCap(t.cred, cap); }

// socket(2) for AF_INET and AF_INET6 (inet_create's protocol checks).
export function inetSocket(t: Task, domain: number, type: number, protocol: number): number {
  const flags = type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) kerr(EINVAL);
  const base = type & SOCK_TYPE_MASK;
  if (base >= SOCK_MAX) kerr(EINVAL);
  udpInit(t.k);
  tcpInit(t.k);
  const stack = netStack(t.k);
  let s: InetDataSocket;
  if (domain === AF_NETLINK) {
    if (base !== SOCK_RAW && base !== SOCK_DGRAM) kerr(ESOCKTNOSUPPORT);
    if (protocol !== NETLINK_ROUTE) kerr(EPROTONOSUPPORT);
    s = new NetlinkSocket(stack, base, protocol, t.cred.euid, t.tg.pid, capable(t, CAP_NET_ADMIN));
  } else if (base === SOCK_STREAM) {
    if (protocol !== 0 && protocol !== IPPROTO_TCP) kerr(EPROTONOSUPPORT);
    s = new TcpSocket(stack, domain, SOCK_STREAM, IPPROTO_TCP, t.cred.euid);
  } else if (base === SOCK_DGRAM) {
    // ICMP echo sockets need the caller's group in net.ipv4.ping_group_range, empty by default ("1 0").
    if (protocol === (domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
      if (!pingAllowed(stack, [t.cred.egid, ...t.cred.groups])) kerr(EACCES);
      s = new PingSocket(stack, domain, SOCK_DGRAM, protocol, t.cred.euid);
      return installSock(t, s, flags);
    }
    if (protocol !== 0 && protocol !== IPPROTO_UDP) kerr(EPROTONOSUPPORT);
    s = new UdpSocket(stack, domain, SOCK_DGRAM, IPPROTO_UDP, t.cred.euid);
  } else if (base === SOCK_RAW) {
    // As inet_create: the raw switch entry is a wildcard that protocol 0
    // does not match (EPROTONOSUPPORT), and only then CAP_NET_RAW (EPERM).
    if (protocol === 0) kerr(EPROTONOSUPPORT);
    if (!capable(t, CAP_NET_RAW)) kerr(EPERM);
    // Raw sockets exist for ICMP only (ICMPv6 on AF_INET6).
    if (protocol !== (domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)) kerr(ESOCKTNOSUPPORT);
    s = new RawIcmpSocket(stack, domain, SOCK_RAW, protocol, t.cred.euid);
  } else return kerr(ESOCKTNOSUPPORT);
  return installSock(t, s, flags);
}

// socketpair(2) for these families: what socket(2) would refuse is refused
// the same way (inet_create's checks, as above); a socket it would make has
// no socketpair operation (sock_no_socketpair): EOPNOTSUPP.
export function inetSocketpair(t: Task, domain: number, type: number, protocol: number): never {
  const flags = type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) kerr(EINVAL);
  const base = type & SOCK_TYPE_MASK;
  if (base >= SOCK_MAX) kerr(EINVAL);
  const icmp = domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  if (domain === AF_NETLINK) {
    if (base !== SOCK_RAW && base !== SOCK_DGRAM) kerr(ESOCKTNOSUPPORT);
    if (protocol !== NETLINK_ROUTE) kerr(EPROTONOSUPPORT);
  } else if (base === SOCK_STREAM) {
    if (protocol !== 0 && protocol !== IPPROTO_TCP) kerr(EPROTONOSUPPORT);
  } else if (base === SOCK_DGRAM) {
    if (protocol === icmp) {
      if (!pingAllowed(netStack(t.k), [t.cred.egid, ...t.cred.groups])) kerr(EACCES);
    } else if (protocol !== 0 && protocol !== IPPROTO_UDP) kerr(EPROTONOSUPPORT);
  } else if (base === SOCK_RAW) {
    if (protocol === 0) kerr(EPROTONOSUPPORT);
    if (!capable(t, CAP_NET_RAW)) kerr(EPERM);
  } else kerr(ESOCKTNOSUPPORT);
  return kerr(EOPNOTSUPP);
}

// inet_create: a socket whose struct sock the memory budget could not hold
// is ENOBUFS (sk_alloc failed); nothing of it is kept.
function installSock(t: Task, s: InetDataSocket, flags: number): number {
  if (!s.sockAllocated) kerr(ENOBUFS);
  return install(t, inetSocketFile(s, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
}

// A sockaddr from user space (move_addr_to_kernel: at most sockaddr_storage).
function readSockaddr(t: Task, s: InetDataSocket, va: number, len: number): SockAddr {
  if (len < 0 || len > sockaddr_storage.size) kerr(EINVAL);
  if (s.family === AF_NETLINK) {
    // sockaddr_nl: the port id and groups travel as port and scope.
    if (len < sockaddr_nl.size) kerr(EINVAL);
    const dv = new DataView(um(t).read(va, sockaddr_nl.size).buffer);
    const fam = sockaddr_nl.get(dv, 0, "nl_family");
    if (fam !== AF_NETLINK && fam !== AF_UNSPEC) kerr(EINVAL);
    return { addr: s.laddr, port: sockaddr_nl.get(dv, 0, "nl_pid"), unspec: fam === AF_UNSPEC, scope: sockaddr_nl.get(dv, 0, "nl_groups") };
  }
  return decodeSockaddr(s.family, len ? um(t).read(va, len) : new Uint8Array(0));
}

// A destination of the unspecified address is this host: Linux's route
// lookup turns a zero IPv4 daddr into 127.0.0.1 (ip_route_output_key_hash),
// and tcp_v6_connect, ip6_datagram_connect and udpv6_sendmsg take :: for ::1.
// The peer a connect records is then the loopback address.
function destination(sa: SockAddr): SockAddr {
  if (sa.unspec || !isAny(sa.addr)) return sa;
  return { ...sa, addr: isV4(sa.addr) ? V4_LOOPBACK : V6_LOOPBACK };
}

export function inetBind(t: Task, s: InetDataSocket, va: number, len: number): number {
  return s.stack.bh(() => {
    const sa = readSockaddr(t, s, va, len);
    if (s instanceof TcpSocket && s.state !== TCP_CLOSE) kerr(EINVAL);
    if (s instanceof PingSocket) { s.bindPing(sa); return 0; }
    if (s instanceof RawIcmpSocket) { s.bindRaw(sa); return 0; }
    s.bind(sa, capable(t, CAP_NET_BIND_SERVICE), s instanceof TcpSocket);
    return 0;
  });
}

export function inetListen(s: InetDataSocket, backlog: number): number {
  return s.stack.bh(() => {
    if (!(s instanceof TcpSocket)) kerr(EOPNOTSUPP);
    s.listen(backlog);
    return 0;
  });
}

export function inetAccept(t: Task, f: File, s: InetDataSocket, addrVa: number, lenVa: number, flags: number): number {
  return s.stack.bh(() => {
    if (!(s instanceof TcpSocket)) kerr(EOPNOTSUPP);
    const child = waitForIo(t, f, () => s.accept(), {
      queues: () => [s.wq],
      until: () => waitUntil(t, s.rcvtimeo, restartOf(t, "deadline")),
      park: (deadline) => { t.restart = { kind: "deadline", deadline }; },
    });
    child.orphan = false;
    const nf = inetSocketFile(child, (flags & SOCK_NONBLOCK) !== 0);
    const fd = install(t, nf, (flags & SOCK_CLOEXEC) !== 0);
    putAddr(t, addrVa, lenVa, child.peerName());
    return fd;
  });
}

export function inetConnect(t: Task, f: File, s: InetDataSocket, va: number, len: number): number {
  return s.stack.bh(() => {
    const raw = readSockaddr(t, s, va, len);
    const sa = s instanceof NetlinkSocket ? raw : destination(raw);
    if (s instanceof UdpSocket || s instanceof PingSocket || s instanceof RawIcmpSocket) { s.connect(sa); return 0; }
    const tcp = s as TcpSocket;
    // A blocking connect waits for the handshake as long as SO_SNDTIMEO allows.
    waitForIo(t, f, () => tcp.connect(sa, f.nonblock), {
      queues: () => [tcp.wq],
      until: () => waitUntil(t, tcp.sndtimeo, restartOf(t, "deadline")),
      park: (deadline) => { t.restart = { kind: "deadline", deadline }; },
    });
    return 0;
  });
}

export function inetGetname(t: Task, s: InetDataSocket, va: number, lenVa: number, peer: boolean): number {
  if (peer && !(s instanceof NetlinkSocket)) {
    // inet_getname: no peer port, or a closed or still connecting stream, is ENOTCONN.
    const st = s instanceof TcpSocket ? s.state : null;
    // A ping or raw socket's peer "port" is what connect gave, 0 as a rule: ENOTCONN then, as Linux.
    const connected = s instanceof PingSocket || s instanceof RawIcmpSocket ? s.connected && s.rport !== 0 : s instanceof UdpSocket ? s.connected : s.rport !== 0 && st !== TCP_CLOSE && st !== TCP_SYN_SENT && st !== TCP_TIME_WAIT;
    if (!connected) kerr(ENOTCONN);
  }
  moveAddrToUser(t, va, lenVa, peer ? s.peerName() : s.localName());
  return 0;
}

export function inetShutdown(s: InetDataSocket, how: number): number {
  return s.stack.bh(() => {
    if (how < 0 || how > 2) kerr(EINVAL);
    (s as UdpSocket | TcpSocket | NetlinkSocket | PingSocket).shutdown(how);
    return 0;
  });
}

// send, sendto, sendmsg and write's path with flags: a stream sends all of
// data unless non-blocking (or interrupted after some went).
// The user's bytes are copied as the socket takes them: a stream at most a
// send buffer per step, a datagram whole but never past the largest one (a
// longer one is EMSGSIZE anyway), so a 1 GiB send allocates no 1 GiB; a
// fault part-way gives the bytes sent before it.
export function inetSend(t: Task, f: File, s: InetDataSocket, src: UserBuffer, flags: number, toVa: number, toLen: number): number {
  return s.stack.bh(() => {
    let dest: SockAddr | null = null;
    if (toVa !== 0 && toLen !== 0) {
      dest = readSockaddr(t, s, toVa, toLen);
      if (!(s instanceof NetlinkSocket)) dest = destination(dest);
      // As Linux: a stream ignores the address (an unconnected one is EPIPE: no Fast Open).
      if (s instanceof TcpSocket) dest = null;
    }
    // inet_send_prepare: an unbound UDP socket takes its port before it
    // sends, and with none left the EAGAIN is the answer, not a wait.
    if (s instanceof UdpSocket) s.autobind();
    const nonblock = f.nonblock || (flags & MSG_DONTWAIT) !== 0;
    const progress = restartOf(t, "send");
    let done = progress?.sent ?? 0;
    const total = src.length;
    for (;;) {
      let n: number;
      let data: Uint8Array;
      try {
        data = s.type === SOCK_STREAM
          ? src.copyIn(done, Math.min(total - done, Math.max(s.sndbuf, 4096)))
          : src.copyIn(0, Math.min(total, MAX_DGRAM + 1));
      } catch (e) {
        if (done > 0 && e instanceof KernelError) return done;
        throw e;
      }
      try {
        n = waitForIo(t, f, () => s.send(data, flags, dest), {
          nonblock,
          queues: () => [s.wq],
          until: () => waitUntil(t, s.sndtimeo, progress),
          park: (deadline) => { t.restart = { kind: "send", sent: done, deadline }; t.partialResult = done || null; },
        });
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (e.errno === EPIPE && !(flags & MSG_NOSIGNAL)) sendSignal(t, { signo: SIGPIPE, code: 0, pid: t.pid, uid: t.cred.uid }, true);
        if (done > 0) return done;
        throw e;
      }
      done += n;
      if (done >= total || s.type !== SOCK_STREAM || (nonblock && n < data.length)) return done;
    }
  });
}

export interface InetRecvOut { ret: number; res: InetRecv; msgFlags: number }

// recv, recvfrom, recvmsg: MSG_WAITALL goes on across wake-ups from the bytes it has.
export function inetRecv(t: Task, f: File, s: InetDataSocket, iov: Iov[], flags: number): InetRecvOut {
  // tcp_recv_urg never waits.
  const nonblock = f.nonblock || (flags & (MSG_DONTWAIT | MSG_OOB)) !== 0;
  const waitall = (flags & MSG_WAITALL) !== 0 && (flags & MSG_PEEK) === 0 && s.type === SOCK_STREAM && !nonblock;
  const { got, first } = recvLoop<InetRecv>(t, f, s, iov, nonblock, waitall, (room) => {
    // No more than is queued (or a largest datagram) is ever copied: a larger buffer would only be allocated.
    const buf = new Uint8Array(Math.min(room, Math.max(s.bytesQueued(), MAX_DGRAM), RECV_MAX));
    return { res: s.recv(buf, flags), buf };
  });
  const res = first ?? { n: 0, msgLen: 0, truncated: false, from: null };
  const dgram = s.type !== SOCK_STREAM;
  let msgFlags = dgram && res.truncated ? MSG_TRUNC : 0;
  if (res.oob) msgFlags |= MSG_OOB | (res.truncated ? MSG_TRUNC : 0);
  return { ret: dgram && (flags & MSG_TRUNC) ? res.msgLen : got, res, msgFlags };
}

// MSG_ERRQUEUE: the oldest queued ICMP error's datagram payload, cut to the
// buffer (MSG_TRUNC), as ip_recv_error returns it.
function recvErrQueue(t: Task, s: InetDataSocket, iov: Iov[]): { r: ErrQueueRead; n: number; msgFlags: number } {
  const r = takeErrQueue(s);
  const room = iov.reduce((n, v) => n + v.len, 0);
  const n = Math.min(room, r.entry.payload.length);
  scatter(t, iov, 0, r.entry.payload.subarray(0, n));
  return { r, n, msgFlags: MSG_ERRQUEUE | (n < r.entry.payload.length ? MSG_TRUNC : 0) };
}

export function inetRecvmsg(t: Task, f: File, s: InetDataSocket, va: number, flags: number,
  msg: { name: number; namelen: number; iov: Iov[]; control?: number; controllen?: number }): number {
  return s.stack.bh(() => {
    if (flags & MSG_ERRQUEUE) {
      const e = recvErrQueue(t, s, msg.iov);
      if (msg.name) {
        um(t).write(msg.name, e.r.name.subarray(0, Math.min(e.r.name.length, Math.max(msg.namelen, 0))));
        um(t).setU32(va + msghdr.offsetOf("msg_namelen"), e.r.name.length);
      }
      let used = 0;
      if (msg.control && (msg.controllen ?? 0) >= e.r.cmsg.length) {
        um(t).write(msg.control, e.r.cmsg);
        used = Math.min(CMSG_SPACE(e.r.cmsg.length - CMSG_DATA_OFFSET), msg.controllen ?? 0);
      } else e.msgFlags |= MSG_CTRUNC;
      um(t).setU64(va + msghdr.offsetOf("msg_controllen"), used);
      um(t).setU32(va + msghdr.offsetOf("msg_flags"), e.msgFlags | (flags & MSG_CMSG_CLOEXEC));
      return e.n;
    }
    const out = inetRecv(t, f, s, msg.iov, flags);
    if (msg.name) {
      const a = out.res.from ?? new Uint8Array(0);
      if (a.length) um(t).write(msg.name, a.subarray(0, Math.min(a.length, Math.max(msg.namelen, 0))));
      um(t).setU32(va + msghdr.offsetOf("msg_namelen"), a.length);
    }
    let used = 0;
    const icmp = s instanceof PingSocket || s instanceof RawIcmpSocket ? s : null;
    const hl = out.res.hoplimit;
    // ip6_datagram_recv_ctl: the hop limit as an int (IPV6_HOPLIMIT first, then RFC 2292's),
    // MSG_CTRUNC when it does not fit.
    const types = icmp && hl !== undefined ? [icmp.recvHoplimit && IPV6_HOPLIMIT, icmp.recvHoplimit2292 && IPV6_2292HOPLIMIT] : [];
    for (const type of types) {
      if (!type) continue;
      const room = msg.control ? (msg.controllen ?? 0) - used : 0;
      if (room < CMSG_LEN(4)) { out.msgFlags |= MSG_CTRUNC; continue; }
      const b = new Uint8Array(CMSG_LEN(4));
      const dv = new DataView(b.buffer);
      cmsghdr.write(dv, 0, { cmsg_len: b.length, cmsg_level: SOL_IPV6, cmsg_type: type });
      dv.setInt32(CMSG_DATA_OFFSET, hl!, true);
      um(t).write(msg.control! + used, b);
      used += Math.min(CMSG_SPACE(4), room);
    }
    um(t).setU64(va + msghdr.offsetOf("msg_controllen"), used);
    um(t).setU32(va + msghdr.offsetOf("msg_flags"), out.msgFlags | (flags & MSG_CMSG_CLOEXEC));
    return out.ret;
  });
}

export function inetRecvfrom(t: Task, f: File, s: InetDataSocket, buf: number, len: number, flags: number, from: number, fromLenVa: number): number {
  return s.stack.bh(() => {
    if (flags & MSG_ERRQUEUE) {
      const e = recvErrQueue(t, s, [{ base: buf, len }]);
      if (from && fromLenVa) putAddr(t, from, fromLenVa, e.r.name);
      return e.n;
    }
    const out = inetRecv(t, f, s, [{ base: buf, len }], flags);
    // As move_addr_to_user, also with no address to give (TCP): a negative
    // *addrlen is EINVAL, after the data was taken.
    if (from && fromLenVa) putAddr(t, from, fromLenVa, out.res.from ?? new Uint8Array(0));
    return out.ret;
  });
}
