// The guest's one memory budget. Guest RAM (--mem) is the whole of it: page
// frames handed out by the physical allocator (anonymous memory, page
// tables, the page cache, tmpfs and memfd data: mm/frames.ts) and what the
// kernel keeps for the guest in the host's heap — pipe buffers, socket and
// message-queue buffers, and a fixed cost per kernel object (inode, open
// file, task: Linux's slab) — all draw from it, as Linux charges
// page-cache, shmem, pipe and skb pages to the same RAM. A charge takes bytes away from the free frames: while the
// kernel holds C bytes, the allocator keeps ceil(C / PAGE_SIZE) frames back,
// so guest RAM in use plus kernel charges never pass --mem, and neither does
// the host memory they cost (plus Ghost's own fixed overhead).
//
// A charge that does not fit first reclaims (unused page-cache pages), then
// fails: the subsystem answers as Linux does at that point (tmpfs ENOSPC or
// ENOMEM, a pipe write ENOMEM, a socket send ENOBUFS, a new file ENFILE…).
// The OOM killer runs only for anonymous memory (a page fault): the kernel
// objects above belong to no process's RSS.

import { kerr } from "../lib/errors.js";
import { ENOMEM } from "../abi/errno.js";
import type { FrameKind } from "./frames.js";

export const PAGE_BYTES = 4096;

// What the kernel's charges are, as /proc/meminfo names them: Shmem (tmpfs
// data), pipe and socket buffers and kernel objects (both unreclaimable slab
// on Linux: SUnreclaim), KernelStack (tasks).
export type MemKind = "shmem" | "pipe" | "sock" | "slab" | "stack";

// Fixed costs of kernel objects: what each costs the host's heap (measured:
// 100,000 eventfds grow Node by about 1.2 KB each), near Linux's own (struct
// inode with its shmem_inode_info and dentry; struct file; task_struct with
// a 16 KiB kernel stack; pipe_inode_info with its ring of pipe_buffers;
// struct sock).
export const INODE_COST = 1024;
export const FILE_COST = 1024;
export const TASK_COST = 16384 + 8192;
export const PIPE_COST = 1024;
export const SOCK_COST = 2048;
// A TCP socket (struct tcp_sock, about twice a UDP one on Linux): measured
// about 3.5 KB in Node's heap per TIME_WAIT connection (24,000 of them).
export const TCP_SOCK_COST = 4096;
export const SKB_COST = 256; // per queued message, beside its bytes (sk_buff)
export const EPITEM_COST = 256; // per epoll interest item (struct epitem with its eppoll_entry)
export const INOTIFY_WATCH_COST = 256; // per inotify watch (inotify_inode_mark)
export const INOTIFY_EVENT_COST = 128; // per queued inotify event, beside its name
// A cached host name with its inode (hostfs: the Dentry, the HostInode with
// its status and descriptor handle; measured about 2.8 KB each in Node's
// heap for 100,000 names), reclaimable as Linux's dentry and inode slabs.
export const HOST_DENTRY_COST = 2048;

// The free frames the budget can take from (the physical allocator), and a
// way to reclaim some (drop clean page-cache pages): true if any went.
export interface FrameSource {
  readonly frames: number;
  readonly freeFrames: number;
  reclaim(): boolean;
}

export class MemBudget {
  private readonly bytes: Record<MemKind, number> = { shmem: 0, pipe: 0, sock: 0, slab: 0, stack: 0 };
  private sum = 0;
  // Frames the kernel holds for data (frames.ts): already out of the free
  // list, so counted here only for /proc/meminfo, never in sum.
  private readonly framed: Record<FrameKind, number> = { shmem: 0, pipe: 0, sock: 0, file: 0 };

  constructor(private readonly src: FrameSource) {}

  // Guest RAM, all of it (--mem).
  get totalBytes(): number { return this.src.frames * PAGE_BYTES; }
  // Bytes charged, in all or of one kind.
  get charged(): number { return this.sum; }
  of(kind: MemKind): number { return this.bytes[kind] + (kind in this.framed ? this.framed[kind as FrameKind] * PAGE_BYTES : 0); }
  // Bytes of kernel-held data in frames, all kinds (not in charged).
  get framedBytes(): number { return (this.framed.shmem + this.framed.pipe + this.framed.sock + this.framed.file) * PAGE_BYTES; }
  // A frame taken for (n = 1) or given back from (n = -1) kernel-held data.
  countFrames(kind: FrameKind, n: number): void { this.framed[kind] += n; }
  framesOf(kind: FrameKind): number { return this.framed[kind]; }
  // Whether the kernel may take n more bytes (or frames) now, before reclaim.
  fits(n: number): boolean { return this.sum + n + this.reserve <= this.src.freeFrames * PAGE_BYTES; }
  // Frames the allocator keeps back for the charges.
  get reservedFrames(): number { return Math.ceil(this.sum / PAGE_BYTES); }
  // Bytes neither in frames nor charged.
  get free(): number { return Math.max(0, this.src.freeFrames * PAGE_BYTES - this.sum); }

  // What kernel charges leave free for page faults, as Linux's min_free_kbytes
  // keeps a reserve the kernel's own allocations do not take: sqrt(16 * RAM
  // in KiB) KiB (2 MiB of 256 MiB), so that a full pipe or socket fails its
  // write rather than the next page fault calling the OOM killer.
  get reserve(): number { return Math.floor(Math.sqrt(16 * this.src.frames * 4)) * 1024; }

  // True when no more than the reserve is left: a new kernel object (a file,
  // a task) is refused rather than left to starve the next page fault.
  get low(): boolean { return this.free <= this.reserve; }
  // low, after reclaiming what can go (cached host names, page cache): a
  // new object is refused only when memory is spent, not merely cached.
  lowAfterReclaim(): boolean {
    while (this.low) {
      if (!this.src.reclaim()) return true;
    }
    return false;
  }

  // How many of `want` bytes a charge could take now, after reclaiming
  // what it takes to fit them (0 when none fit): for a queue that accepts
  // part of a write, as a TCP send under memory pressure does.
  room(want: number): number {
    while (!this.fits(want)) {
      if (!this.src.reclaim()) break;
    }
    return Math.max(0, Math.min(want, this.src.freeFrames * PAGE_BYTES - this.sum - this.reserve));
  }

  // Takes n bytes if they fit (after reclaim); false if not.
  tryCharge(kind: MemKind, n: number): boolean {
    if (n <= 0) return true;
    while (!this.fits(n)) {
      if (!this.src.reclaim()) return false;
    }
    this.add(kind, n);
    return true;
  }

  // Takes n bytes, or throws errno (ENOMEM by default) when they do not fit.
  charge(kind: MemKind, n: number, errno = ENOMEM): void {
    if (!this.tryCharge(kind, n)) kerr(errno);
  }

  // Takes n bytes even past the budget: for an object already made (a task
  // in fork's last step, a file being installed), whose cost the next
  // allocation then meets.
  forceCharge(kind: MemKind, n: number): void { if (n > 0) this.add(kind, n); }

  uncharge(kind: MemKind, n: number): void {
    if (n <= 0) return;
    const k = Math.min(n, this.bytes[kind]);
    this.bytes[kind] -= k;
    this.sum -= k;
  }

  // Kernel memory by kind, for /proc/meminfo.
  snapshot(): Record<MemKind, number> {
    return { ...this.bytes, shmem: this.of("shmem"), pipe: this.of("pipe"), sock: this.of("sock") };
  }

  private add(kind: MemKind, n: number): void {
    this.bytes[kind] += n;
    this.sum += n;
  }
}
