// What UDP and TCP sockets share (Linux's struct inet_sock and the parts of
// struct sock they use): local and remote address, the bind rules, the
// socket-level options, the pending error, and the open file for a socket.

import { kerr } from "../../lib/errors.js";
import { EINVAL, EAGAIN, EADDRNOTAVAIL, EADDRINUSE, EACCES, ENOTTY, EAFNOSUPPORT, EINTR } from "../../abi/errno.js";
import { restartOf } from "../../kernel/restart.js";
import type { Task } from "../../kernel/task.js";
import { AF_INET, AF_INET6, SOCK_STREAM, IP_PMTUDISC_WANT } from "../../abi/socket.js";
import { FIONREAD, TIOCOUTQ } from "../../abi/ioctl.js";
import { SIOCATMARK } from "../../abi/socket.js";
import { O_RDWR, O_NONBLOCK } from "../../abi/fcntl.js";
import { IPDEFTTL } from "../../abi/inet.js";
import { WaitQueue } from "../../lib/wait.js";
import { Inode, S_IFSOCK } from "../../fs/inode.js";
import { pseudoFs } from "../../fs/pseudo.js";
import { File, type FileOps } from "../../fs/file.js";
import { type IpAddr, type SockAddr, isV4, isAny, isMulticast, V4_ANY, V6_ANY, encodeSockaddr } from "./addr.js";
import { type SockMcast, mcastRoute } from "./mcast.js";
import type { NetStack } from "./stack.js";
import type { BoundSock, PortTable } from "./ports.js";
import { NETDEV_IOCTLS, netdevIoctl } from "./netdev.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN } from "../shutdown.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLERR, POLLHUP, POLLRDHUP } from "../../abi/poll.js";
import { SOCK_COST, TCP_SOCK_COST, type MemBudget } from "../../mm/budget.js";

// Privileged ports: below this, bind needs CAP_NET_BIND_SERVICE (net.ipv4.ip_unprivileged_port_start).

// One ICMP error kept for MSG_ERRQUEUE: what it says, who sent it, and the
// datagram it quotes (its payload and where it was going).
export interface ErrQueueEntry {
  errno: number; v6: boolean; type: number; code: number; offender: IpAddr;
  dst: IpAddr; dport: number; payload: Uint8Array;
  // An error of this host's own (ip_local_error: SO_EE_ORIGIN_LOCAL, no
  // offender, `info` in ee_info — the MTU for EMSGSIZE).
  local?: { info: number };
}

export const PROT_SOCK = 1024;

export interface InetRecv {
  n: number;
  msgLen: number;
  truncated: boolean;
  from: Uint8Array | null; // the sender's sockaddr
  oob?: boolean;
  // The hop limit it arrived with, for IPV6_RECVHOPLIMIT (ICMP sockets).
  hoplimit?: number;
}


export class InetSockInode extends Inode {
  readonly sb = pseudoFs().sockfs;
  readonly ino = pseudoFs().nextIno();
  constructor(readonly sock: InetSocket) { super(); this.mode = S_IFSOCK | 0o777; }
}

export abstract class InetSocket implements BoundSock {
  laddr: IpAddr;
  lport = 0;
  raddr: IpAddr;
  rport = 0;
  v6only = false;
  reuseaddr = false;
  reuseport = false;
  // The program bound the port itself: it stays bound when a connection ends (SOCK_BINDPORT_LOCK).
  userBound = false;
  err = 0;
  // IP_RECVERR/IPV6_RECVERR: ICMP errors are queued for MSG_ERRQUEUE (ip_icmp_error).
  recverr = false;
  readonly errQueue: ErrQueueEntry[] = [];
  shut = 0;
  rcvtimeo: number | null = null;
  sndtimeo: number | null = null;
  abstract sndbuf: number;
  abstract rcvbuf: number;
  ttl = -1; // -1: the default (IPDEFTTL)
  tos = 0;
  // IP_MTU_DISCOVER: WANT by default (net.ipv4.ip_no_pmtu_disc = 0).
  pmtudisc = IP_PMTUDISC_WANT;
  // IPV6_MTU_DISCOVER (WANT by default, inet6_create) and IPV6_DONTFRAG, for IPv6 destinations.
  pmtudisc6 = IP_PMTUDISC_WANT;
  dontfrag = false;
  // The multicast options and memberships (mcast.ts), made at first use.
  mc: SockMcast | null = null;
  keepalive = false;
  broadcast = false;
  priority = 0;
  linger: { onoff: number; secs: number } = { onoff: 0, secs: 0 };
  readonly wq = new WaitQueue();
  readonly inode: InetSockInode;
  // The struct sock itself is guest memory (sk_alloc to sk_free), apart
  // from its queues and its file: SOCK_COST, or TCP_SOCK_COST for a stream
  // socket (mm/budget.ts), charged from creation to sockFree(), which a TCP
  // socket reaches only once it is both closed and held by nobody (a
  // TIME_WAIT connection with no fd still costs it). Null once given back,
  // or when the charge did not fit.
  private sockMem: MemBudget | null = null;
  private readonly sockCost: number;
  // False when the budget could not hold the socket: socket() is then
  // ENOBUFS (inet_create's sk_alloc failure).
  readonly sockAllocated: boolean;

  constructor(readonly stack: NetStack, readonly family: number, readonly type: number, readonly protocol: number, readonly uid: number) {
    this.laddr = family === AF_INET ? V4_ANY : V6_ANY;
    this.raddr = this.laddr;
    this.inode = new InetSockInode(this);
    const mem = stack.k.phys.mem;
    this.sockCost = type === SOCK_STREAM ? TCP_SOCK_COST : SOCK_COST;
    this.sockAllocated = mem.tryCharge("slab", this.sockCost);
    if (this.sockAllocated) this.sockMem = mem;
  }

  // A socket made by the stack for a peer (a SYN's connection) is charged
  // even past the budget, as an open file is: it exists, and the next
  // allocation (its accept's file, a new socket) meets the cost. Dropping
  // the SYN instead would leave the peer's connect() retrying for minutes.
  chargeAnyway(): void {
    if (this.sockAllocated || this.sockMem) return;
    this.sockMem = this.stack.k.phys.mem;
    this.sockMem.forceCharge("slab", this.sockCost);
  }

  // sk_free: the socket's memory goes back, once, whichever teardown path
  // comes last.
  sockFree(): void {
    this.sockMem?.uncharge("slab", this.sockCost);
    this.sockMem = null;
  }

  abstract get ports(): PortTable;
  abstract isListening(): boolean;
  abstract poll(): number;
  abstract release(): void;
  abstract bytesQueued(): number; // FIONREAD
  abstract bytesUnsent(): number; // TIOCOUTQ
  atMark(): boolean { return false; }

  get ipTtl(): number { return this.ttl < 0 ? IPDEFTTL : this.ttl; }

  // The address a sockaddr names, checked against this socket's family.
  target(sa: SockAddr): IpAddr {
    if (this.family === AF_INET6 && isV4(sa.addr) && this.v6only) kerr(EAFNOSUPPORT);
    return sa.addr;
  }

  // bind(2): inet_bind / inet6_bind and the port lookup.
  bind(sa: SockAddr, privileged: boolean, tcpRules: boolean): void {
    if (sa.unspec && this.family === AF_INET6) kerr(EAFNOSUPPORT);
    if (this.lport) kerr(EINVAL);
    const addr = sa.addr;
    if (this.family === AF_INET6 && isV4(addr) && this.v6only) kerr(EINVAL);
    // A group address may be bound to (inet_bind's RTN_MULTICAST): it hears that group only.
    if (!this.stack.isLocal(addr) && !isMulticast(addr)) kerr(EADDRNOTAVAIL);
    if (sa.port && sa.port < PROT_SOCK && !privileged) kerr(EACCES);
    const prev = this.laddr;
    this.laddr = addr;
    let port = sa.port;
    if (port === 0) port = this.ports.ephemeral(this.stack.portRange, this.random());
    if (port === 0 || this.ports.conflicts(this, port, tcpRules)) { this.laddr = prev; kerr(EADDRINUSE); }
    this.ports.add(this, port);
    this.userBound = sa.port !== 0; // SOCK_BINDPORT_LOCK
  }

  // Takes an ephemeral port for a socket that sends or connects unbound.
  // With none left the error is the caller's: EAGAIN for a datagram
  // socket (inet_autobind), EADDRNOTAVAIL for TCP's connect
  // (__inet_hash_connect), EADDRINUSE for listen (inet_csk_get_port).
  autobind(errno = EAGAIN): void {
    if (this.lport) return;
    const port = this.ports.ephemeral(this.stack.portRange, this.random());
    if (!port) kerr(errno);
    this.ports.add(this, port);
  }

  unhashPort(): void {
    if (!this.lport) return;
    this.ports.remove(this);
    this.lport = 0;
  }

  random(): number {
    const b = new Uint8Array(4);
    this.stack.k.random(b);
    return new DataView(b.buffer).getUint32(0, true);
  }

  // The source address for a packet to dst.
  sourceFor(dst: IpAddr): IpAddr {
    if (isMulticast(dst)) return mcastRoute(this, dst).src;
    if (!isAny(this.laddr)) return this.laddr;
    return this.stack.route(dst).src;
  }

  // connect's common part (Linux's ip4_datagram_connect and tcp_v4_connect
  // alike): the peer's address, a local port if none is bound, and the
  // source address the route gives when bound to any.
  setPeer(sa: SockAddr, noPortErrno = EAGAIN): void {
    const dst = this.target(sa);
    const src = this.sourceFor(dst);
    this.autobind(noPortErrno);
    if (isAny(this.laddr)) this.laddr = src;
    this.raddr = dst;
    this.rport = sa.port;
  }

  localName(): Uint8Array { return encodeSockaddr(this.family, this.laddr, this.lport); }
  peerName(): Uint8Array { return encodeSockaddr(this.family, this.raddr, this.rport); }

  // sock_error: the pending error, cleared as it is reported.
  takeError(): number { const e = this.err; this.err = 0; return e; }

  setError(errno: number): void { this.err = errno; this.wq.wakeAll(); }
}

export abstract class InetDataSocket extends InetSocket {
  abstract recv(dst: Uint8Array, flags: number): InetRecv;
  abstract send(data: Uint8Array, flags: number, dest: SockAddr | null): number;

  // Linux's datagram_poll, shared by UDP, ping and raw sockets: readable with
  // a datagram queued or the receive side shut, always writable.
  protected datagramPoll(queued: boolean): number {
    let m = 0;
    if (this.err || this.errQueue.length) m |= POLLERR;
    if (this.shut & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.shut === (RCV_SHUTDOWN | SEND_SHUTDOWN)) m |= POLLHUP;
    if (queued) m |= POLLIN | POLLRDNORM;
    return m | POLLOUT | POLLWRNORM | POLLWRBAND;
  }
}

// A blocking read's deadline under SO_RCVTIMEO (null: none), fixed at its
// first wait; false once it passed (sock_rcvtimeo). With a timeout a signal
// ends the call with EINTR, never a restart (signal(7)).
function rcvDeadline(t: Task, timeo: number | null): number | null | false {
  if (timeo === 0) return false;
  const prev = restartOf(t, "deadline");
  if (prev && prev.deadline !== null) {
    if (t.k.clock.monotonic() >= prev.deadline) return false;
    t.restartCode = EINTR;
    return prev.deadline;
  }
  if (timeo === null) return null;
  t.restartCode = EINTR;
  return t.k.clock.monotonic() + timeo;
}

// The open file of an inet socket: read and write are recv and send without flags.
export function inetSocketFile(sock: InetDataSocket, nonblock: boolean): File {
  const ops: FileOps = {
    stream: true,
    read: (_f, dst) => sock.stack.bh(() => sock.recv(dst, 0).n),
    write: (_f, src) => sock.stack.bh(() => sock.send(src, 0, null)),
    poll: () => sock.poll(),
    waitQueue: () => sock.wq,
    fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
    ioctl: (_f, cmd, arg, ctx) => {
      let v: number;
      if (cmd === FIONREAD) v = sock.bytesQueued();
      else if (cmd === TIOCOUTQ) v = sock.bytesUnsent();
      else if (cmd === SIOCATMARK && sock.type === SOCK_STREAM) v = sock.atMark() ? 1 : 0;
      else if (NETDEV_IOCTLS.has(cmd)) return netdevIoctl(sock.stack.k, cmd, arg, ctx);
      else return kerr(ENOTTY);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      ctx.copyOut(arg, b);
      return 0;
    },
    release: () => sock.stack.bh(() => sock.release()),
    readWait: (_f, t) => ({
      until: () => rcvDeadline(t, sock.rcvtimeo),
      park: (deadline) => { t.restart = { kind: "deadline", deadline }; },
    }),
  };
  return new File(null, sock.inode, O_RDWR | (nonblock ? O_NONBLOCK : 0), ops);
}
