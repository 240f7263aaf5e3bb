// inotify: watches on inodes and a queue of events per inotify instance.
// The VFS calls fsnotify() after each change; events on a directory's
// children also reach watches on the directory, with the child's name.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL, ENOMEM, ENOTTY } from "../abi/errno.js";
import { INOTIFY_EVENT_COST, INOTIFY_WATCH_COST } from "../mm/budget.js";
import { kernelMem } from "./kmem.js";
import {
  IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_OPEN, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE,
  IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED, IN_ISDIR, IN_ONESHOT, IN_EXCL_UNLINK, IN_NONBLOCK,
  IN_UNMOUNT,
} from "../abi/misc.js";
import { POLLIN, POLLRDNORM } from "../abi/poll.js";
import { WaitQueue } from "../lib/wait.js";
import { pseudoFs } from "./pseudo.js";
import { KernelLocal } from "../kernel/local.js";
import { runningKernel } from "../kernel/running.js";
import { Inode, isDir, type SuperBlock } from "./inode.js";
import { File } from "./file.js";
import type { Path } from "./dentry.js";
import { FIONREAD } from "../abi/ioctl.js";
import { dnotifyChild } from "./dnotify.js";

export const INOTIFY_MAX_EVENTS = 16384; // /proc/sys/fs/inotify/max_queued_events

export const CHILD_EVENTS = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN;

interface Watch { wd: number; mask: number; inode: Inode; group: InotifyInode }
interface Event { wd: number; mask: number; cookie: number; name: string }

const watches = new WeakMap<Inode, Set<Watch>>();
// The instances that have (or had) a watch and are still open: where a
// filesystem's shutdown finds the watches on its inodes.
const groups = new Set<InotifyInode>();
// The cookie pairing a rename's IN_MOVED_FROM and IN_MOVED_TO, counted per kernel.
const COOKIES = new KernelLocal("inotify cookies", () => ({ last: 0 }));
const noKernelCookies = { last: 0 };
export function moveCookie(): number {
  const k = runningKernel();
  return ++(k ? k.local(COOKIES) : noKernelCookies).last;
}

export class InotifyInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  readonly wq = new WaitQueue();
  readonly events: Event[] = [];
  readonly byWd = new Map<number, Watch>();
  private nextWd = 1;
  // Watches and queued events are charged to the guest's memory budget
  // (mm/budget.ts): a watch past it is ENOMEM; an event past it is lost
  // and IN_Q_OVERFLOW queued instead, as when Linux cannot allocate one.
  private readonly mem = kernelMem();
  constructor() { super(); this.mode = 0o600; }

  addWatch(inode: Inode, mask: number, add: boolean): number {
    for (const w of this.byWd.values()) {
      if (w.inode === inode) {
        w.mask = add ? w.mask | mask : mask;
        return w.wd;
      }
    }
    this.mem?.charge("slab", INOTIFY_WATCH_COST, ENOMEM);
    const w: Watch = { wd: this.nextWd++, mask, inode, group: this };
    this.byWd.set(w.wd, w);
    groups.add(this);
    let set = watches.get(inode);
    if (!set) { set = new Set(); watches.set(inode, set); }
    set.add(w);
    return w.wd;
  }

  hasWatch(inode: Inode): boolean { for (const w of this.byWd.values()) if (w.inode === inode) return true; return false; }

  removeWatch(wd: number): void {
    const w = this.byWd.get(wd);
    if (!w) kerr(EINVAL);
    this.drop(w);
  }

  drop(w: Watch): void {
    if (this.byWd.delete(w.wd)) this.mem?.uncharge("slab", INOTIFY_WATCH_COST);
    watches.get(w.inode)?.delete(w);
    this.queue({ wd: w.wd, mask: IN_IGNORED, cookie: 0, name: "" });
  }

  queue(e: Event): void {
    const last = this.events[this.events.length - 1];
    if (last && last.wd === e.wd && last.mask === e.mask && last.cookie === e.cookie && last.name === e.name) return;
    if (this.events.length >= INOTIFY_MAX_EVENTS || (this.mem && !this.mem.tryCharge("slab", eventCost(e)))) {
      if (last?.mask !== IN_Q_OVERFLOW) this.events.push({ wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: "" });
    } else this.events.push(e);
    this.wq.wakeAll();
  }

  readEvents(dst: Uint8Array): number {
    if (!this.events.length) kerr(EAGAIN);
    let off = 0;
    while (this.events.length) {
      const e = this.events[0];
      const name = Buffer.from(e.name, "latin1");
      const len = e.name ? Math.ceil((name.length + 1) / 16) * 16 : 0;
      const size = 16 + len;
      if (off + size > dst.length) { if (off === 0) kerr(EINVAL); break; }
      const dv = new DataView(dst.buffer, dst.byteOffset + off, size);
      dv.setInt32(0, e.wd, true);
      dv.setUint32(4, e.mask >>> 0, true);
      dv.setUint32(8, e.cookie, true);
      dv.setUint32(12, len, true);
      dst.fill(0, off + 16, off + size);
      dst.set(name, off + 16);
      off += size;
      this.events.shift();
      this.mem?.uncharge("slab", eventCost(e));
    }
    return off;
  }

  release(): void {
    groups.delete(this);
    this.mem?.uncharge("slab", this.byWd.size * INOTIFY_WATCH_COST);
    for (const w of [...this.byWd.values()]) { this.byWd.delete(w.wd); watches.get(w.inode)?.delete(w); }
    for (const e of this.events.splice(0)) this.mem?.uncharge("slab", eventCost(e));
  }
}

// What a queued event is charged: nothing for the overflow marker (it
// stands for the events that could not be charged).
function eventCost(e: Event): number { return e.wd === -1 ? 0 : INOTIFY_EVENT_COST + e.name.length; }

// Events from an open file (fsnotify's path events): IN_EXCL_UNLINK leaves
// them out once the file has no name left.
const PATH_EVENTS = IN_ACCESS | IN_MODIFY | IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE;

// obj: the object the event is about (the child for a directory's watch).
function deliver(inode: Inode, mask: number, name: string, cookie: number, obj: Inode = inode): void {
  // dnotify watches a directory's children, and the directory itself (Linux's
  // dnotify_handle_event takes an event on a directory, never on another file).
  if (name || isDir(inode.mode)) dnotifyChild(inode, mask, cookie);
  const set = watches.get(inode);
  if (!set || !set.size) return;
  // inotify never reported IN_ISDIR with IN_MOVE_SELF and IN_DELETE_SELF
  // (inotify_handle_inode_event masks it out of them).
  if (mask & (IN_MOVE_SELF | IN_DELETE_SELF)) mask &= ~IN_ISDIR;
  for (const w of [...set]) {
    if (!(w.mask & mask & ~IN_ISDIR)) continue;
    if ((w.mask & IN_EXCL_UNLINK) && (mask & PATH_EVENTS) && obj.nlink === 0) continue;
    w.group.queue({ wd: w.wd, mask: mask & (w.mask | IN_ISDIR), cookie, name });
    if (w.mask & IN_ONESHOT) w.group.drop(w);
  }
}

// An event on the object at `p`: its parent directory's watches with its
// name first, then its own (fsnotify_handle_event: the parent's mark, then
// the inode's).
export function fsnotify(p: Path | null, inode: Inode, mask: number, cookie = 0): void {
  const dirBit = isDir(inode.mode) ? IN_ISDIR : 0;
  if (p && (mask & CHILD_EVENTS) && p.dentry.parent) deliver(p.dentry.parent.inode, mask | dirBit, p.dentry.name, cookie, inode);
  deliver(inode, mask | dirBit, "", cookie);
}

// A name event in a directory (create, delete, moved from/to).
export function fsnotifyDir(dir: Inode, mask: number, name: string, child: Inode | null, cookie = 0): void {
  deliver(dir, mask | (child && isDir(child.mode) ? IN_ISDIR : 0), name, cookie);
}

// The inode's last link went: IN_DELETE_SELF, then its watches end (IN_IGNORED).
export function fsnotifyDeleted(inode: Inode): void {
  if (inode.nlink > (isDir(inode.mode) ? 1 : 0)) return;
  deliver(inode, IN_DELETE_SELF, "", 0);
  for (const w of [...(watches.get(inode) ?? [])]) w.group.drop(w);
}

// A filesystem is shut down (its last mount went): every watch on one of
// its inodes gets IN_UNMOUNT, whatever its mask, then ends (IN_IGNORED), as
// Linux's fsnotify_sb_delete from generic_shutdown_super.
export function fsnotifyUnmount(sb: SuperBlock): void {
  for (const g of [...groups]) {
    for (const w of [...g.byWd.values()]) {
      if (w.inode.sb !== sb) continue;
      g.queue({ wd: w.wd, mask: IN_UNMOUNT, cookie: 0, name: "" });
      g.drop(w);
    }
  }
}

export function inotifyFile(flags: number): File {
  const inode = new InotifyInode();
  return new File(null, inode, 0 | (flags & IN_NONBLOCK), {
    stream: true,
    read: (_f, dst) => inode.readEvents(dst),
    poll: () => (inode.events.length ? POLLIN | POLLRDNORM : 0),
    waitQueue: () => inode.wq,
    fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
    ioctl: (_f, cmd, arg, ctx) => {
      if (cmd !== FIONREAD) kerr(ENOTTY);
      let n = 0;
      for (const e of inode.events) n += 16 + (e.name ? Math.ceil((Buffer.byteLength(e.name) + 1) / 16) * 16 : 0);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n, true);
      ctx.copyOut(arg, b);
      return 0;
    },
    release: () => inode.release(),
  });
}

export { IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE, IN_MOVE_SELF, IN_MODIFY, IN_ATTRIB, IN_OPEN, IN_ACCESS, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE };
