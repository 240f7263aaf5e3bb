// Pipes and FIFOs (Linux's fs/pipe.c): a ring of bytes with Linux's default
// capacity of 16 pages, atomic writes up to PIPE_BUF, EPIPE when no reader
// is left (the caller raises SIGPIPE), EOF when no writer is left. Packet
// mode (O_DIRECT on the writing file, pipe(7)): each write is one packet per
// PIPE_BUF bytes, and a read returns at most one packet, dropping what of it
// did not fit.
//
// Over the ring lie Linux's pipe_buffers (a page each), as lengths only:
// they decide what a read into a buffer that faults part-way returns, and
// where packets end (PipeBufs).

import { kerr } from "../lib/errors.js";
import { EAGAIN, EPIPE, EBUSY, EPERM, EINTR, ENXIO, EINVAL, ENOTTY, ENOMEM, EFAULT } from "../abi/errno.js";
import { POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import { FIONREAD } from "../abi/ioctl.js";
import { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_DIRECT } from "../abi/fcntl.js";
import { WaitQueue } from "../lib/wait.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { Inode, S_IFIFO } from "./inode.js";
import { pseudoFs } from "./pseudo.js";
import { File, type FileOps } from "./file.js";
import { kernelMem, kernelFrames } from "./kmem.js";
import { heapFrames } from "../mm/frames.js";
import { FrameBytes } from "../mm/framebuf.js";
import { PIPE_COST } from "../mm/budget.js";
import { ArrayIter, type IoIter } from "../mm/uio.js";
import { PipeBufs } from "./pipe_bufs.js";

export const PIPE_BUF = 4096;
export const PIPE_DEF_SIZE = 16 * 4096;
export const PIPE_MAX_SIZE = 1048576; // /proc/sys/fs/pipe-max-size

// Host memory follows the bytes in flight, as Linux allocates pipe pages on
// write and frees them on read: the ring grows on demand up to the capacity
// (a power of two, so growing keeps whole pages) and a drained ring larger
// than one page is dropped. An idle pipe costs no buffer at all. The ring
// is page frames of guest RAM (mm/framebuf.ts), as pipe_buffers are pages,
// and the pipe itself is charged to the guest's memory budget
// (mm/budget.ts): a write that needs a page the budget cannot give is
// ENOMEM (as pipe_write when alloc_page fails), and making a pipe past it
// is ENOMEM. Both go back when the last end closes.

export class Pipe {
  private ring = this.newRing();
  private cap: number;
  private head = 0; // read position
  private len = 0;
  readers = 0;
  writers = 0;
  hadWriter = false;
  readonly rwait = new WaitQueue(); // readers sleep here
  readonly wwait = new WaitQueue(); // writers sleep here
  readonly openWait = new WaitQueue();
  // What a blocking reader of the empty pipe sleeps on (made once: read(2)'s fast path).
  readonly readSleep: readonly WaitQueue[] = [this.rwait];
  // The buffered bytes as Linux's pipe_buffers.
  private readonly bufs = new PipeBufs();
  private readonly mem = kernelMem();
  private charged = false; // PIPE_COST is held

  constructor(size = PIPE_DEF_SIZE) {
    this.cap = size;
    this.mem?.charge("slab", PIPE_COST, ENOMEM);
    this.charged = true;
  }

  // An end is opened (again: a FIFO's pipe lives on between its opens).
  opened(): void {
    if (!this.charged) { this.mem?.forceCharge("slab", PIPE_COST); this.charged = true; }
  }

  // The last end closed: the buffered bytes go, as Linux frees the pipe
  // (a FIFO opened again starts empty), and so do the charges.
  private freePipe(): void {
    this.len = 0;
    this.bufs.clear();
    this.head = 0;
    this.dropRing();
    if (this.charged) this.mem?.uncharge("slab", PIPE_COST);
    this.charged = false;
  }
  closed(): void { if (this.readers === 0 && this.writers === 0) this.freePipe(); }

  // A drained ring goes back to free memory.
  private dropRing(): void { this.ring.resize(0); }
  private newRing(): FrameBytes { return new FrameBytes(kernelFrames() ?? heapFrames, "pipe"); }

  get capacity(): number { return this.cap; }
  get available(): number { return this.len; }
  // Bytes a write may add now.
  get room(): number { return this.cap - this.len; }
  // No packet is buffered: the bytes are one stream (pipe_rw.ts reads them so).
  get plain(): boolean { return this.bufs.packets === 0; }

  // F_SETPIPE_SZ: the size rounded up to a power of two of pages (Linux's
  // round_pipe_size); past pipe-max-size only with CAP_SYS_RESOURCE; never
  // below what is buffered (EBUSY).
  resize(size: number, privileged: boolean, maxSize = PIPE_MAX_SIZE): number {
    let cap = PIPE_BUF;
    while (cap < size) cap *= 2;
    if (cap > maxSize && !privileged) kerr(EPERM);
    if (cap < this.len) kerr(EBUSY);
    if (this.ring.length > cap) this.relayout(cap);
    this.cap = cap;
    return cap;
  }

  // Moves the buffered bytes to the front of a new ring of `size` bytes;
  // false (nothing moved) when the budget cannot give a larger one.
  private relayout(size: number): boolean {
    const nb = this.newRing();
    if (!nb.resize(size)) return false;
    const n = this.len, ring = this.ring.length;
    const first = Math.min(n, ring - this.head);
    if (first > 0) this.ring.copyTo(nb, this.head, 0, first);
    if (n > first) this.ring.copyTo(nb, 0, first, n - first);
    this.ring.resize(0);
    this.ring = nb;
    this.head = 0;
    return true;
  }

  // Reads into dst (the user's pages, through read(2), or a kernel array).
  // asked: the count the reader asked for, when dst is shorter because the
  // user's buffer faults at dst.length. As Linux's pipe_read, each
  // pipe_buffer is copied whole or not at all: a copy that would fault in
  // one ends the read with the buffers before it, EFAULT when none, and
  // leaves that buffer in the pipe (the part that could be copied is, as
  // copy_page_to_iter copies up to the fault). An empty pipe is EOF or
  // EAGAIN before the buffer matters.
  read(dst: IoIter, asked = dst.length): number {
    if (this.len === 0) {
      if (this.writers === 0) return 0;
      kerr(EAGAIN);
    }
    const bufs = this.bufs;
    let n = 0;
    if (bufs.packets === 0 && asked === dst.length) {
      n = Math.min(dst.length, this.len);
      this.take(dst, n, 0);
      bufs.consume(n);
    } else {
      while (bufs.count > 0 && n < asked) {
        const len = bufs.headLen;
        const chars = Math.min(len, asked - n);
        if (n + chars > dst.length) {
          this.copy(dst, dst.length - n, n);
          if (n === 0) kerr(EFAULT);
          break;
        }
        this.take(dst, chars, n);
        n += chars;
        if (bufs.headPacket) { this.take(null, len - chars, 0); bufs.consume(len); break; } // the rest of the packet goes
        bufs.consume(chars);
      }
    }
    if (this.len === 0) {
      this.head = 0;
      if (this.ring.length > PIPE_BUF) this.dropRing();
    }
    this.wwait.wakeAll();
    return n;
  }

  // Copies k bytes at the head into dst at at, leaving them in the ring.
  private copy(dst: IoIter, k: number, at: number): void {
    const first = Math.min(k, this.ring.length - this.head);
    if (first > 0) this.ring.readTo(this.head, dst, at, first);
    if (k > first) this.ring.readTo(0, dst, at + first, k - first);
  }

  // Moves k bytes from the head into dst at at (or drops them). The bytes
  // are copied before the ring gives them up: a copy that fails leaves them.
  private take(dst: IoIter | null, k: number, at: number): void {
    const cap = this.ring.length;
    const first = Math.min(k, cap - this.head);
    if (dst) {
      this.ring.readTo(this.head, dst, at, first);
      if (k > first) this.ring.readTo(0, dst, at + first, k - first);
    }
    this.head = (this.head + k) % cap;
    this.len -= k;
  }

  // Copies up to n buffered bytes without consuming them (tee).
  peek(n: number): Uint8Array {
    const m = Math.min(n, this.len);
    const out = new Uint8Array(m);
    const first = Math.min(m, this.ring.length - this.head);
    this.ring.read(this.head, out, 0, first);
    if (m > first) this.ring.read(0, out, first, m - first);
    return out;
  }

  // Writes what fits; a write of up to PIPE_BUF bytes goes in whole or not at all.
  write(src: IoIter, packet = false): number {
    if (this.readers === 0) kerr(EPIPE);
    const room = this.cap - this.len;
    if (room === 0 || (src.length <= PIPE_BUF && room < src.length)) kerr(EAGAIN);
    let n = Math.min(room, src.length);
    if (this.ring.length < this.len + n) {
      let size = Math.max(PIPE_BUF, this.ring.length);
      while (size < this.len + n) size *= 2;
      if (!this.relayout(Math.min(size, this.cap))) {
        // No memory for a larger ring: what the ring has room for, or ENOMEM.
        n = Math.min(n, this.ring.length - this.len);
        if (n === 0 || (src.length <= PIPE_BUF && n < src.length)) kerr(ENOMEM);
      }
    }
    const cap = this.ring.length;
    const tail = (this.head + this.len) % cap;
    const first = Math.min(n, cap - tail);
    this.ring.writeFrom(tail, src, 0, first);
    if (n > first) this.ring.writeFrom(0, src, first, n - first);
    this.len += n;
    this.bufs.add(n, packet);
    this.rwait.wakeAll();
    return n;
  }

  poll(readable: boolean, writable: boolean): number {
    let m = 0;
    if (readable) {
      if (this.len > 0) m |= POLLIN | POLLRDNORM;
      // Hang-up once every writer is gone (a FIFO only after some writer has opened it).
      if (this.writers === 0 && this.hadWriter) m |= POLLHUP;
    }
    if (writable) {
      if (this.cap - this.len >= PIPE_BUF || (this.len === 0)) m |= POLLOUT | POLLWRNORM;
      if (this.readers === 0) m |= POLLERR;
    }
    return m;
  }
}

// File operations for one end of a pipe. A partial write returns what was written; the
// syscall layer retries the rest only for blocking files (Linux's pipe_write loops).
export function pipeOps(p: Pipe, readEnd: boolean, writeEnd: boolean, counted = false): FileOps {
  p.opened();
  if (!counted && readEnd) p.readers++;
  if (!counted && writeEnd) p.writers++;
  if (writeEnd) p.hadWriter = true;
  return {
    stream: true,
    copiesWrites: true, // into the ring's frames
    read: readEnd ? (_f, dst) => p.read(new ArrayIter(dst)) : undefined,
    write: writeEnd ? (f, src) => p.write(new ArrayIter(src), (f.flags & O_DIRECT) !== 0) : undefined,
    // read(2) and write(2): straight between the ring and the user's pages.
    readIter: readEnd ? (_f, dst, _pos, asked) => p.read(dst, asked) : undefined,
    readsPastFault: true,
    writeIter: writeEnd ? (f, src) => p.write(src, (f.flags & O_DIRECT) !== 0) : undefined,
    poll: () => p.poll(readEnd, writeEnd),
    waitQueue: () => (readEnd && !writeEnd ? p.rwait : writeEnd && !readEnd ? p.wwait : p.rwait),
    fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
    ioctl: (_f, cmd, arg, ctx) => {
      if (cmd !== FIONREAD) kerr(ENOTTY);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, p.available, true);
      ctx.copyOut(arg, b);
      return 0;
    },
    release: () => {
      if (readEnd) { p.readers--; if (p.readers === 0) p.wwait.wakeAll(); }
      if (writeEnd) { p.writers--; if (p.writers === 0) p.rwait.wakeAll(); }
      p.closed();
    },
  };
}


export class PipeInode extends Inode {
  readonly sb = pseudoFs().pipefs;
  readonly ino = pseudoFs().nextIno();
  readonly pipe: Pipe;
  constructor(size = PIPE_DEF_SIZE) { super(); this.pipe = new Pipe(size); this.mode = S_IFIFO | 0o600; }
}

export function makePipe(flags: number, size = PIPE_DEF_SIZE): [File, File] {
  const inode = new PipeInode(size);
  const keep = flags & (O_NONBLOCK | O_DIRECT);
  const r = new File(null, inode, O_RDONLY | keep, pipeOps(inode.pipe, true, false));
  const w = new File(null, inode, O_WRONLY | keep, pipeOps(inode.pipe, false, true));
  return [r, w];
}

export { EINTR };

// FIFOs (named pipes): the pipe lives with the inode while it is open. A
// blocking open waits for the other end, as Linux's fifo_open: the opener is
// counted at once, then sleeps here until the partner's open counter moves.
const fifoPipes = new WeakMap<object, Pipe & { rCounter?: number; wCounter?: number }>();

export function openFifo(t: import("../kernel/task.js").Task, inode: object, flags: number): FileOps {
  // A pipe reopened through /proc/PID/fd/N is its own pipe; a FIFO's is made at its first open.
  let p: (Pipe & { rCounter?: number; wCounter?: number }) | undefined = inode instanceof PipeInode ? inode.pipe : fifoPipes.get(inode);
  if (!p) { p = Object.assign(new Pipe(), { rCounter: 0, wCounter: 0 }); fifoPipes.set(inode, p); }
  p.rCounter ??= 0;
  p.wCounter ??= 0;
  const pipe = p;
  const acc = flags & 3;
  const nonblock = (flags & O_NONBLOCK) !== 0;
  if (inode instanceof PipeInode) {
    // As Linux's fifo_open for a pipefs inode: reopening a pipe never waits
    // for a partner and never fails with ENXIO (its other end may be gone).
    if (acc === O_RDONLY) { pipe.rCounter!++; return pipeOps(pipe, true, false); }
    if (acc === O_WRONLY) { pipe.wCounter!++; return pipeOps(pipe, false, true); }
    if (acc === O_RDWR) { pipe.rCounter!++; pipe.wCounter!++; return pipeOps(pipe, true, true); }
    return kerr(EINVAL);
  }
  const st = restartOf(t, "fifo_open");
  if (st && st.fifo === inode) {
    // A retried blocking open: already counted; done once the partner came.
    const now = st.role === "r" ? pipe.wCounter! : pipe.rCounter!;
    if (now !== st.seen) { t.onRestartDrop = null; return pipeOps(pipe, st.role === "r", st.role === "w", true); }
    sleepOn(t, [pipe.openWait]);
  }
  if (acc === 2) {
    pipe.rCounter!++; pipe.wCounter!++;
    pipe.openWait.wakeAll();
    return pipeOps(pipe, true, true);
  }
  if (acc === O_RDONLY) {
    pipe.rCounter!++;
    pipe.openWait.wakeAll();
    if (nonblock || pipe.writers > 0) return pipeOps(pipe, true, false);
    pipe.readers++;
    t.restart = { kind: "fifo_open", fifo: inode, role: "r", seen: pipe.wCounter! };
    t.onRestartDrop = () => { pipe.readers--; };
    sleepOn(t, [pipe.openWait]);
  }
  if (acc === O_WRONLY) {
    if (pipe.readers === 0 && nonblock) kerr(ENXIO);
    pipe.wCounter!++;
    pipe.openWait.wakeAll();
    if (pipe.readers > 0) return pipeOps(pipe, false, true);
    pipe.writers++;
    t.restart = { kind: "fifo_open", fifo: inode, role: "w", seen: pipe.rCounter! };
    t.onRestartDrop = () => { pipe.writers--; };
    sleepOn(t, [pipe.openWait]);
  }
  return kerr(EINVAL);
}
