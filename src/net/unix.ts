// AF_UNIX sockets (Linux's net/unix/af_unix.c, reimplemented): stream,
// datagram and seqpacket sockets within one kernel. A connection-oriented
// pair is two sockets pointing at each other; each holds a receive queue of
// messages ("skbs") its peer wrote. A stream read runs across messages, a
// datagram or seqpacket read takes one message and drops what did not fit.
// Names are filesystem socket inodes (keyed by device and inode number) or
// abstract names (a leading NUL byte), both in one kernel table.

import { kerr } from "../lib/errors.js";
import {
  EAGAIN, EINVAL, ENOTCONN, EPIPE, EISCONN, ECONNREFUSED, EPROTOTYPE, EADDRINUSE, EMSGSIZE, EPERM,
  EOPNOTSUPP, ECONNRESET, ENOTTY, ENOMEM, ENOBUFS,
} from "../abi/errno.js";
import {
  AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, MSG_PEEK, SOMAXCONN, SHUT_RD, SHUT_WR, SHUT_RDWR,
} from "../abi/socket.js";
import { POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP } from "../abi/poll.js";
import { FIONREAD } from "../abi/ioctl.js";
import { O_RDWR, O_NONBLOCK } from "../abi/fcntl.js";
import { WaitQueue } from "../lib/wait.js";
import { KernelLocal } from "../kernel/local.js";
import type { Kernel } from "../kernel/kernel.js";
import { Inode, S_IFSOCK } from "../fs/inode.js";
import { pseudoFs } from "../fs/pseudo.js";
import { File, type FileOps } from "../fs/file.js";
import { runningKernel } from "../kernel/running.js";
import { NETDEV_IOCTLS, netdevIoctl } from "./inet/netdev.js";
import { kernelMem, kernelFrames } from "../fs/kmem.js";
import { queueBytes, type MsgBytes } from "../mm/framebuf.js";
import { SOCK_COST, SKB_COST } from "../mm/budget.js";

// net.core.wmem_default: what one socket may have queued at its peer.
export const UNIX_SNDBUF = 212992;

// sk_shutdown bits: no more receiving, no more sending.
export { RCV_SHUTDOWN, SEND_SHUTDOWN } from "./shutdown.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from "./shutdown.js";


export interface Ucred { pid: number; uid: number; gid: number }

// One queued message: its bytes (off: how much of a stream message was read),
// the files it carries (SCM_RIGHTS), the sender's credentials and address.
interface Skb { data: MsgBytes; off: number; fds: File[] | null; cred: Ucred; from: Uint8Array | null }

export interface RecvResult {
  n: number; // bytes copied
  msgLen: number; // length of the (first) message, for MSG_TRUNC
  truncated: boolean;
  from: Uint8Array | null;
  fds: File[] | null;
  cred: Ucred | null;
}


export class SockInode extends Inode {
  readonly sb = pseudoFs().sockfs;
  readonly ino = pseudoFs().nextIno();
  constructor(readonly sock: UnixSocket) { super(); this.mode = S_IFSOCK | 0o777; }
}

// A kernel's bound names: "p:DEV:INO" for a socket inode, "a:NAME" for an
// abstract name (as Linux's per-network-namespace unix table: one kernel
// never sees another's names).
export class UnixNames {
  readonly bound = new Map<string, UnixSocket>();
  // Every socket not yet released, in creation order (/proc/net/unix lists them).
  readonly live = new Set<UnixSocket>();
  autobindSeq = 0;
  lookup(key: string): UnixSocket | null { return this.bound.get(key) ?? null; }
}
const UNIX_NAMES = new KernelLocal("af_unix names", () => new UnixNames());
export function unixNames(k: Kernel): UnixNames { return k.local(UNIX_NAMES); }

export type SockState = "unconnected" | "listening" | "connected";

export class UnixSocket {
  state: SockState = "unconnected";
  peer: UnixSocket | null = null;
  addr: Uint8Array | null = null; // the sockaddr_un bytes, as long as its addrlen
  key: string | null = null;
  readonly backlog: UnixSocket[] = [];
  maxBacklog = 0;
  readonly queue: Skb[] = [];
  queued = 0; // bytes in queue not yet read
  shut = 0;
  dead = false;
  dgramEstablished = false; // a datagram socket another connected to
  passcred = false;
  sndbuf = UNIX_SNDBUF;
  rcvbuf = UNIX_SNDBUF;
  // SO_RCVTIMEO/SO_SNDTIMEO in ns: null waits for good; 0 does not wait.
  rcvtimeo: number | null = null;
  sndtimeo: number | null = null;
  err = 0;
  peerCred: Ucred | null = null;
  readonly opts = new Map<number, number>(); // options kept only to be read back
  readonly wq = new WaitQueue();
  readonly inode: SockInode;
  // Where the last send that would block was going (its queue wakes the sender).
  blockedOn: UnixSocket | null = null;
  // The memory budget (mm/budget.ts) the socket and the messages queued at
  // it are charged to: a send the budget cannot hold is ENOBUFS, as when
  // sock_alloc_send_pskb cannot allocate; a socket past it is ENOMEM.
  private readonly mem = kernelMem();
  private readonly frames = kernelFrames();
  private charged = false;

  constructor(readonly type: number, public cred: Ucred, readonly names: UnixNames) {
    this.mem?.charge("slab", SOCK_COST, ENOMEM);
    this.charged = true;
    this.inode = new SockInode(this);
    names.live.add(this);
  }

  // Queues a copy of bytes here, charged to this socket's budget (ENOBUFS
  // if it cannot be); its bytes go into page frames of guest RAM
  // (mm/framebuf.ts), as an skb's pages.
  private enqueue(bytes: Uint8Array, fds: File[] | null, cred: Ucred, from: Uint8Array | null): void {
    this.mem?.charge("sock", SKB_COST, ENOBUFS);
    const data = queueBytes(bytes, this.mem, this.frames);
    if (!data) { this.mem?.uncharge("sock", SKB_COST); kerr(ENOBUFS); }
    this.queue.push({ data, off: 0, fds, cred, from });
    this.queued += data.length;
  }
  // The head message is consumed: its charge goes back.
  private dequeue(): void {
    const skb = this.queue.shift();
    if (skb) { skb.data.free(); this.mem?.uncharge("sock", SKB_COST); }
  }

  get connectionOriented(): boolean { return this.type !== SOCK_DGRAM; }

  // What one recv could return at most: the queued bytes of a stream, the
  // next message of a datagram or seqpacket socket (a recv buffer's size).
  get pendingBytes(): number {
    return this.type === SOCK_STREAM ? this.queued : this.queue[0]?.data.length ?? 0;
  }

  private wakePeers(): void { this.wq.wakeAll(); this.peer?.wq.wakeAll(); }

  // bind(2): a filesystem key or an abstract name. A filesystem key names an
  // inode the caller just made, so a socket still holding it was bound to a
  // path since unlinked whose inode number was reused: the new socket wins.
  bind(addr: Uint8Array, key: string, fresh = false): void {
    if (this.addr) kerr(EINVAL);
    if (this.names.bound.has(key) && !fresh) kerr(EADDRINUSE);
    this.addr = addr;
    this.key = key;
    this.names.bound.set(key, this);
  }

  // Binds to a fresh abstract name: NUL and five hex digits (as Linux's autobind).
  autobind(): void {
    if (this.addr) return;
    for (;;) {
      const name = (this.names.autobindSeq++ & 0xfffff).toString(16).padStart(5, "0");
      const key = "a:\0" + name;
      if (this.names.bound.has(key)) continue;
      const a = new Uint8Array(8);
      a[0] = AF_UNIX;
      a.set(Buffer.from(name, "latin1"), 3);
      this.bind(a, key);
      return;
    }
  }

  listen(backlog: number): void {
    if (this.type === SOCK_DGRAM) kerr(EOPNOTSUPP);
    if (this.state === "connected" || !this.addr) kerr(EINVAL);
    this.maxBacklog = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    this.state = "listening";
    this.wq.wakeAll();
  }

  // connect(2) of a stream or seqpacket socket: queues a new server-side socket
  // at the listener at once (no handshake wait); EAGAIN while the backlog is full.
  connectTo(target: UnixSocket, cred: Ucred): void {
    if (this.state === "connected") kerr(EISCONN);
    if (this.state === "listening") kerr(EINVAL);
    if (target.type !== this.type) kerr(EPROTOTYPE);
    if (target.state !== "listening" || target.dead) kerr(ECONNREFUSED);
    if (target.backlog.length > target.maxBacklog) { this.blockedOn = target; kerr(EAGAIN); }
    if (this.passcred) this.autobind();
    const server = new UnixSocket(this.type, target.cred, this.names);
    server.addr = target.addr;
    server.state = "connected";
    server.peer = this;
    server.peerCred = cred;
    server.passcred = target.passcred;
    this.peer = server;
    this.peerCred = target.cred;
    this.state = "connected";
    target.backlog.push(server);
    target.wq.wakeAll();
    this.wq.wakeAll();
  }

  // connect(2) of a datagram socket: sets the default destination.
  connectDgram(target: UnixSocket | null): void {
    if (!target) { this.peer = null; this.peerCred = null; this.state = "unconnected"; return; }
    if (target.type !== this.type) kerr(EPROTOTYPE);
    if (this.passcred) this.autobind();
    this.peer = target;
    this.peerCred = target.cred;
    this.state = "connected";
    // As unix_dgram_connect since Linux 5.16: the target is established too
    // (and stays so), which /proc/net/unix and ss show.
    target.dgramEstablished = true;
  }

  accept(): UnixSocket {
    if (this.type === SOCK_DGRAM) kerr(EOPNOTSUPP);
    if (this.state !== "listening") kerr(EINVAL);
    const s = this.backlog.shift();
    if (!s) kerr(EAGAIN);
    this.wq.wakeAll(); // room for a waiting connect
    return s;
  }

  // Queues data for the peer (or, for a datagram, the given target). Returns
  // bytes taken; EAGAIN when there is no room yet (blockedOn says where).
  send(data: Uint8Array, fds: File[] | null, target: UnixSocket | null, cred: Ucred): number {
    this.blockedOn = null;
    if (this.type === SOCK_STREAM) {
      if (target) kerr(this.state === "connected" ? EISCONN : EOPNOTSUPP);
      return this.sendStream(data, fds, cred);
    }
    let dst: UnixSocket;
    if (this.type === SOCK_SEQPACKET) {
      // As Linux: a seqpacket socket ignores a destination address.
      if (this.state !== "connected") kerr(ENOTCONN);
      if (this.shut & SEND_SHUTDOWN) kerr(EPIPE);
      dst = this.peer!;
      if (dst.dead || (dst.shut & RCV_SHUTDOWN)) kerr(EPIPE);
    } else {
      const to = target ?? this.peer;
      if (!to) kerr(ENOTCONN);
      if (this.shut & SEND_SHUTDOWN) kerr(EPIPE);
      if (to.dead) kerr(ECONNREFUSED);
      if (to.peer && to.peer !== this) kerr(EPERM);
      if (to.shut & RCV_SHUTDOWN) kerr(EPIPE);
      if (this.passcred || to.passcred) this.autobind();
      dst = to;
    }
    if (data.length > this.sndbuf) kerr(EMSGSIZE);
    if (dst.queue.length > 0 && dst.queued + data.length > this.sndbuf) { this.blockedOn = dst; kerr(EAGAIN); }
    dst.enqueue(data, fds, cred, this.addr);
    dst.wq.wakeAll();
    return data.length;
  }

  private sendStream(data: Uint8Array, fds: File[] | null, cred: Ucred): number {
    if (this.state !== "connected") kerr(ENOTCONN);
    const dst = this.peer!;
    if ((this.shut & SEND_SHUTDOWN) || dst.dead || (dst.shut & RCV_SHUTDOWN)) kerr(EPIPE);
    if (data.length === 0) return 0;
    const room = this.sndbuf - dst.queued;
    if (room <= 0) { this.blockedOn = dst; kerr(EAGAIN); }
    const n = Math.min(room, data.length);
    dst.enqueue(data.subarray(0, n), fds, cred, this.addr);
    dst.wq.wakeAll();
    return n;
  }

  // Receives into dst. An empty queue is EOF (0) once receiving is shut down
  // or the peer is gone, else EAGAIN. withCred: stop a stream read where the
  // sender's credentials change (SO_PASSCRED).
  recv(dst: Uint8Array, flags: number): RecvResult {
    const peek = (flags & MSG_PEEK) !== 0;
    const res: RecvResult = { n: 0, msgLen: 0, truncated: false, from: null, fds: null, cred: null };
    if (this.state === "listening") kerr(EINVAL);
    if (this.queue.length === 0) {
      if (this.err) { const e = this.err; this.err = 0; kerr(e); }
      if (this.shut & RCV_SHUTDOWN) return res;
      if (this.type === SOCK_SEQPACKET && this.state !== "connected") kerr(ENOTCONN);
      if (this.type === SOCK_STREAM && this.state !== "connected") kerr(EINVAL);
      kerr(EAGAIN);
    }
    if (this.type !== SOCK_STREAM) {
      const skb = this.queue[0];
      const n = Math.min(dst.length, skb.data.length);
      skb.data.read(0, dst, 0, n);
      Object.assign(res, { n, msgLen: skb.data.length, truncated: n < skb.data.length, from: skb.from, cred: skb.cred });
      res.fds = skb.fds ? (peek ? skb.fds.map((f) => f.get()) : skb.fds) : null;
      if (!peek) { this.dequeue(); this.queued -= skb.data.length; this.wakePeers(); }
      return res;
    }
    let i = 0;
    while (i < this.queue.length && res.n < dst.length) {
      const skb = this.queue[i];
      if (res.n > 0 && (skb.fds || (this.passcred && !sameCred(skb.cred, res.cred!)))) break;
      if (res.n === 0) { res.from = skb.from; res.cred = skb.cred; }
      const k = Math.min(skb.data.length - skb.off, dst.length - res.n);
      skb.data.read(skb.off, dst, res.n, k);
      res.n += k;
      const hadFds = skb.fds;
      if (hadFds) { res.fds = peek ? hadFds.map((f) => f.get()) : hadFds; if (!peek) skb.fds = null; }
      if (peek) i++;
      else {
        skb.off += k;
        this.queued -= k;
        if (skb.off === skb.data.length) this.dequeue();
      }
      if (hadFds) break;
    }
    res.msgLen = res.n;
    if (!peek) this.wakePeers();
    return res;
  }

  shutdown(how: number): void {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) kerr(EINVAL);
    const mask = how + 1; // SHUT_RD → RCV_SHUTDOWN, SHUT_WR → SEND_SHUTDOWN, both
    this.shut |= mask;
    const p = this.peer;
    // As Linux: for connection-oriented sockets our send side is the peer's receive side.
    if (p && this.connectionOriented) {
      p.shut |= ((mask & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) | ((mask & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
      p.wq.wakeAll();
    }
    this.wq.wakeAll();
  }

  // Readiness, as Linux's unix_poll and unix_dgram_poll.
  poll(): number {
    let m = 0;
    if (this.err) m |= POLLERR;
    if (this.shut & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.shut === SHUTDOWN_MASK) m |= POLLHUP;
    if (this.state === "listening") return m | (this.backlog.length ? POLLIN | POLLRDNORM : 0);
    if (this.queue.length) m |= POLLIN | POLLRDNORM;
    if (this.connectionOriented && this.state !== "connected") m |= POLLHUP;
    const writable = POLLOUT | POLLWRNORM | POLLWRBAND;
    const p = this.peer;
    if (this.connectionOriented) {
      if (this.state === "connected" && (!p || p.dead || p.shut & RCV_SHUTDOWN || p.queued < this.sndbuf)) m |= writable;
    } else if (!p || p.dead || p.queue.length === 0 || p.queued < this.sndbuf) m |= writable;
    return m;
  }

  // The last close: unbind, tell the peer, and drop what was queued.
  release(embryo = false): void {
    this.dead = true;
    this.names.live.delete(this);
    if (this.key && this.names.bound.get(this.key) === this) this.names.bound.delete(this.key);
    for (const s of this.backlog.splice(0)) s.release(true);
    const p = this.peer;
    if (p && this.connectionOriented) {
      p.shut = SHUTDOWN_MASK;
      // As Linux: closing with unread data, or never accepted, resets the peer.
      if (this.queue.length || embryo) p.err = ECONNRESET;
      p.wq.wakeAll();
    }
    for (const skb of this.queue.splice(0)) {
      skb.fds?.forEach((f) => f.put());
      skb.data.free();
      this.mem?.uncharge("sock", SKB_COST);
    }
    this.queued = 0;
    if (this.charged) this.mem?.uncharge("slab", SOCK_COST);
    this.charged = false;
    this.wq.wakeAll();
  }
}

function sameCred(a: Ucred, b: Ucred): boolean { return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid; }

export function lookupBound(k: Kernel, key: string): UnixSocket | null { return unixNames(k).lookup(key); }

// The file for a socket: read/write are recv/send without flags (a write's
// credentials, seen only with SO_PASSCRED, are the socket owner's).
export function socketFile(sock: UnixSocket, nonblock: boolean): File {
  const ops: FileOps = {
    stream: true,
    read: (_f, dst) => sock.recv(dst, 0).n,
    write: (_f, src) => sock.send(src, null, null, sock.cred),
    poll: () => sock.poll(),
    waitQueue: () => sock.wq,
    fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
    ioctl: (_f, cmd, arg, ctx) => {
      // As Linux's sock_ioctl: the network device ioctls work on a socket of any family (glibc's if_nametoindex uses AF_UNIX).
      const k = runningKernel();
      if (k && NETDEV_IOCTLS.has(cmd)) return netdevIoctl(k, cmd, arg, ctx);
      if (cmd !== FIONREAD) kerr(ENOTTY);
      const b = new Uint8Array(4);
      const n = sock.type === SOCK_STREAM ? sock.queued : sock.queue[0]?.data.length ?? 0;
      new DataView(b.buffer).setInt32(0, n, true);
      ctx.copyOut(arg, b);
      return 0;
    },
    release: () => sock.release(),
  };
  return new File(null, sock.inode, O_RDWR | (nonblock ? O_NONBLOCK : 0), ops);
}

export function isUnixType(type: number): boolean { return type === SOCK_STREAM || type === SOCK_DGRAM || type === SOCK_SEQPACKET; }
