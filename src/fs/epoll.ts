// epoll instances: an interest list of (fd, file) items, each watching its
// file's wait queue. Level-triggered items report while ready; EPOLLET items
// report once per wake of their file; EPOLLONESHOT items disarm after one report.

import { kerr } from "../lib/errors.js";
import { EEXIST, ENOENT, EINVAL, ELOOP, EPERM, ENOMEM } from "../abi/errno.js";
import { EPITEM_COST } from "../mm/budget.js";
import { kernelMem } from "./kmem.js";
import { EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLRDNORM } from "../abi/poll.js";
import { WaitQueue, type Waiter } from "../lib/wait.js";
import { Inode, isReg, isDir } from "./inode.js";
import { pseudoFs } from "./pseudo.js";
import { File } from "./file.js";
import { pollFile, fileWaitQueue } from "./poll.js";


export class EpollItem implements Waiter {
  fired = true; // for edge-triggered items: a wake since the last report
  disabled = false; // EPOLLONESHOT after a report
  private wq: WaitQueue | null;
  constructor(readonly ep: EpollInode, readonly fd: number, readonly file: File, public events: number, public data: bigint) {
    this.wq = fileWaitQueue(file);
    this.wq?.watch(this);
    if (file.inode instanceof EpollInode) file.inode.parents.add(this);
  }
  // EPOLLEXCLUSIVE: among the exclusive items of one file, a wake goes on to
  // the next only while the instances it reached had no task waiting in them.
  get exclusive(): boolean { return (this.events & EPOLLEXCLUSIVE) !== 0; }
  wake(): boolean {
    this.fired = true;
    const waiting = this.ep.wq.size > 0;
    this.ep.wq.wakeAll();
    return waiting;
  }
  detach(): void {
    this.wq?.unwatch(this);
    this.wq = null;
    if (this.file.inode instanceof EpollInode) this.file.inode.parents.delete(this);
  }
}

export class EpollInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  readonly items = new Map<string, EpollItem>();
  readonly wq = new WaitQueue();
  // The items of other epoll instances that watch this one (nesting depth).
  readonly parents = new Set<EpollItem>();
  private rotor = 0;
  // Each item is charged to the guest's memory budget (mm/budget.ts): one
  // file dup'ed to many descriptors and watched by many instances costs no
  // new file, so the items themselves must count. Past it, EPOLL_CTL_ADD is
  // ENOMEM, as ep_insert when the epitem cannot be allocated.
  private readonly mem = kernelMem();
  constructor() { super(); this.mode = 0o600; }

  private key(fd: number, f: File): string { return `${fd}:${fileId(f)}`; }

  add(fd: number, f: File, events: number, data: bigint): void {
    // As Linux's file_can_poll: a file without a poll method (a regular file,
    // a directory, /dev/null, /dev/zero) cannot be watched; a regular file
    // that has one (/proc/self/mounts) can.
    if (((isReg(f.inode.mode) || isDir(f.inode.mode)) && !f.ops.pollableRegular) || (!f.ops.poll && !f.ops.stream) || f.ops.noPoll) kerr(EPERM);
    if (f.inode === this) kerr(EINVAL);
    if (f.inode instanceof EpollInode && (events & EPOLLEXCLUSIVE)) kerr(EINVAL);
    // As Linux's ep_loop_check: no cycle, and no chain of nested instances
    // longer than EP_MAX_NESTS through the new link.
    if (f.inode instanceof EpollInode && (reaches(f.inode, this) || this.depthUp() + 1 + f.inode.depthDown() > EP_MAX_NESTS)) kerr(ELOOP);
    const k = this.key(fd, f);
    if (this.items.has(k)) kerr(EEXIST);
    this.mem?.charge("slab", EPITEM_COST, ENOMEM);
    this.items.set(k, new EpollItem(this, fd, f, events | EPOLLERR | EPOLLHUP, data));
    this.wq.wakeAll();
  }

  modify(fd: number, f: File, events: number, data: bigint): void {
    const it = this.items.get(this.key(fd, f));
    if (!it) kerr(ENOENT);
    if (it.events & EPOLLEXCLUSIVE) kerr(EINVAL);
    it.events = events | EPOLLERR | EPOLLHUP;
    it.data = data;
    it.disabled = false;
    it.fired = true;
    this.wq.wakeAll();
  }

  remove(fd: number, f: File): void {
    const k = this.key(fd, f);
    const it = this.items.get(k);
    if (!it) kerr(ENOENT);
    it.detach();
    this.items.delete(k);
    this.mem?.uncharge("slab", EPITEM_COST);
  }

  // Items whose file closed go away, as Linux drops them with the last reference.
  private prune(): void {
    for (const [k, it] of this.items) if (it.file.refs <= 0) { it.detach(); this.items.delete(k); this.mem?.uncharge("slab", EPITEM_COST); }
  }

  // Collects up to max ready events.
  harvest(max: number): { events: number; data: bigint }[] {
    this.prune();
    const out: { events: number; data: bigint }[] = [];
    // Start after the last item reported, so ready items take turns (Linux requeues them at the tail).
    const all = [...this.items.values()];
    const startAt = all.length ? this.rotor % all.length : 0;
    const order = [...all.slice(startAt), ...all.slice(0, startAt)];
    for (const it of order) {
      if (out.length >= max) break;
      if (it.disabled) continue;
      if ((it.events & EPOLLET) && !it.fired) continue;
      const ready = pollFile(it.file) & (it.events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP));
      if (!ready) continue;
      out.push({ events: ready >>> 0, data: it.data });
      this.rotor = all.indexOf(it) + 1;
      it.fired = false;
      if (it.events & EPOLLONESHOT) it.disabled = true;
    }
    return out;
  }

  // Readiness of the epoll file itself (nested epoll, poll on an epoll fd).
  readyMask(): number {
    this.prune();
    for (const it of this.items.values()) {
      if (it.disabled || ((it.events & EPOLLET) && !it.fired)) continue;
      if (pollFile(it.file) & it.events) return EPOLLIN | EPOLLRDNORM;
    }
    return 0;
  }

  release(): void {
    for (const it of this.items.values()) it.detach();
    this.mem?.uncharge("slab", this.items.size * EPITEM_COST);
    this.items.clear();
  }

  // The longest chain of epoll instances below this one (watched by it) and above it (watching it).
  depthDown(seen = new Set<EpollInode>()): number {
    if (seen.has(this)) return 0;
    seen.add(this);
    let d = 0;
    for (const it of this.items.values()) if (it.file.inode instanceof EpollInode) d = Math.max(d, 1 + it.file.inode.depthDown(seen));
    seen.delete(this);
    return d;
  }
  depthUp(seen = new Set<EpollInode>()): number {
    if (seen.has(this)) return 0;
    seen.add(this);
    let d = 0;
    for (const it of this.parents) d = Math.max(d, 1 + it.ep.depthUp(seen));
    seen.delete(this);
    return d;
  }
}

const EP_MAX_NESTS = 4;

const ids = new WeakMap<File, number>();
let nextId = 1;
function fileId(f: File): number {
  let id = ids.get(f);
  if (!id) { id = nextId++; ids.set(f, id); }
  return id;
}

// Whether `to` is `from` or watched by it, directly or through nested instances.
function reaches(from: EpollInode, to: EpollInode, seen = new Set<EpollInode>()): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  for (const it of from.items.values()) if (it.file.inode instanceof EpollInode && reaches(it.file.inode, to, seen)) return true;
  return false;
}

export function epollFile(flags: number): File {
  const inode = new EpollInode();
  return new File(null, inode, 2 | flags, {
    stream: true,
    poll: () => inode.readyMask(),
    waitQueue: () => inode.wq,
    release: () => inode.release(),
  });
}
