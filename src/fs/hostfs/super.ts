// hostfs's superblock: one per mount. It keeps the live inodes by host
// inode number (so hard links share one inode), bounds the host descriptors
// hostfs holds open (least recently used closed first, reopened from their
// parent's when needed), and owns the mount's hidden directory (hidden.ts)
// and metadata overlay (meta.ts).

import * as fs from "node:fs";
import { SuperBlock, S_IFMT, S_IFDIR, S_IFCHR, S_IFBLK, type Inode, type Timespec } from "../inode.js";
import { at, checkAt } from "./hostcalls.js";
import { currentHostEpoch, hostObserved } from "../../kernel/running.js";
import { HiddenDir } from "./hidden.js";
import { MetaStore } from "./meta.js";
import type { HostInode } from "../hostfs.js";
import { HostDentryCache } from "./dcache.js";
import { kerr } from "../../lib/errors.js";
import { EACCES } from "../../abi/errno.js";
import { kernelFrames } from "../kmem.js";

// Linux has no magic of its own for a host share; Ghost reports 9p's, the closest kind.
export const HOSTFS_MAGIC = 0x01021997;
// Host descriptors hostfs keeps open (directories' O_PATH ones and files'),
// a quarter of the process's limit (Node raises the soft limit to the hard
// one) between 256 and 4096. A path walk touches every directory on the
// way; a tree deeper than this bound reopens its upper levels on each walk.
const MAX_HOST_FDS = Math.max(256, Math.min(4096, Math.floor(openFilesLimit() / 4)));
function openFilesLimit(): number {
  try {
    const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.split(/\s+/)[3]);
    return Number.isFinite(soft) ? soft : 1024;
  } catch { return 1024; }
}

// A host descriptor of an inode: a directory's O_PATH descriptor, or a
// regular file's for reads and writes. pinned: never closed early (the
// root's, or the only way left to a file whose names are gone and that could
// not be moved aside); busy: in use by the operation running now.
export interface HostHandle { fd: number; writable: boolean; pinned: boolean; busy: number }

// st is the host file the inode stands for: same number, type and (where
// the host records it) birth time; a number can be reused once a file is gone.
export function sameFile(i: HostInode, st: fs.BigIntStats): boolean {
  if (Number(st.ino) !== i.ino || (i.sb.meta.view(st).mode & S_IFMT) !== (i.mode & S_IFMT)) return false;
  return st.birthtimeNs === 0n || (ts(st.birthtimeNs).sec === i.btime.sec && ts(st.birthtimeNs).nsec === i.btime.nsec);
}

export function ts(ns: bigint): Timespec {
  return { sec: Number(ns / 1000000000n), nsec: Number(ns % 1000000000n) };
}

export class HostSuperBlock extends SuperBlock {
  root: HostInode | null = null;
  // A directory shared read-only (-v H:G:ro) never becomes writable: a
  // remount read-write is EACCES, as for a read-only block device.
  private readonly hostReadOnly: boolean;
  override reconfigureReadOnly(ro: boolean): void {
    if (!ro && this.hostReadOnly) kerr(EACCES);
    super.reconfigureReadOnly(ro);
  }
  // A host directory stands for a disk filesystem: its files take RWF_NOWAIT.
  override nowaitFiles = true;
  // Live inodes by host inode number.
  private readonly inodes = new Map<number, WeakRef<HostInode>>();
  // Host descriptors held, least recently used first; past MAX_HOST_FDS the
  // oldest is closed (reopened from its parent's descriptor when needed).
  private readonly handles = new Map<HostHandle, true>();
  // Closes the host descriptor of an inode nothing references any more, and
  // forgets its number (a walk over a million names leaves no million
  // entries behind).
  private readonly closer = new FinalizationRegistry<{ h: HostHandle; ino: number }>(({ h, ino }) => {
    this.handles.delete(h);
    if (h.fd >= 0) try { fs.closeSync(h.fd); } catch { /* gone */ }
    if (this.inodes.get(ino)?.deref() === undefined) this.inodes.delete(ino);
  });
  // Files that lost their last name while open.
  readonly hidden: HiddenDir;
  // The guest's owners, modes and device nodes where the host files differ (hostfs/meta.ts).
  readonly meta: MetaStore;
  // Ghost runs as the host's root: it may use any file whatever its mode.
  private readonly hostIsRoot = process.geteuid?.() === 0;

  // h was just used: it becomes the most recent; the oldest idle ones close past the limit.
  touchHandle(h: HostHandle): void {
    this.handles.delete(h);
    this.handles.set(h, true);
    if (this.handles.size <= MAX_HOST_FDS) return;
    for (const old of this.handles.keys()) {
      if (this.handles.size <= MAX_HOST_FDS) break;
      if (old.pinned || old.busy || old === h) continue;
      this.handles.delete(old);
      if (old.fd >= 0) try { fs.closeSync(old.fd); } catch { /* gone */ }
      old.fd = -1;
    }
  }
  constructor(
    readonly hostRoot: string, readOnly: boolean, readonly rootFd: number,
    // Makes a HostInode (hostfs.ts), which this file knows by type only.
    private readonly newInode: (sb: HostSuperBlock, parent: HostInode | null, name: string, st: fs.BigIntStats) => HostInode,
  ) {
    super("hostfs", HOSTFS_MAGIC, readOnly);
    this.hostReadOnly = readOnly;
    this.hidden = new HiddenDir(rootFd);
    this.meta = new MetaStore(rootFd, readOnly);
    const phys = kernelFrames();
    this.dentries = new HostDentryCache(phys?.mem ?? null);
    this.dcache = this.dentries;
    phys?.registerShrinker(this.dentries);
    this.phys = phys;
  }

  // The names cached from the host (dcache.ts), a shrinker of the kernel's.
  readonly dentries: HostDentryCache;
  private readonly phys: ReturnType<typeof kernelFrames>;
  override kill(): void {
    this.phys?.unregisterShrinker(this.dentries);
    super.kill();
  }

  // The host mode of a file the guest gives `mode`: its permission bits
  // (never set-id or sticky: see hostfs/meta.ts), and, when Ghost is not the
  // host's root, read and write (and search) for the host user, so that Ghost
  // can always use it. A device node is a placeholder nobody on the host uses.
  hostPerm(mode: number): number {
    const t = mode & S_IFMT;
    const own = this.hostIsRoot ? 0 : t === S_IFDIR ? 0o700 : 0o600;
    return t === S_IFCHR || t === S_IFBLK ? own : (mode & 0o777) | own;
  }
  override statfs() {
    try {
      const s = fs.statfsSync(at(this.rootFd));
      return { blocks: s.blocks * s.bsize / 4096, bfree: s.bavail * s.bsize / 4096, files: s.files, ffree: s.ffree, namelen: 255 };
    } catch { return super.statfs(); }
  }

  cached(ino: number): HostInode | undefined {
    const i = this.inodes.get(ino)?.deref();
    if (!i) this.inodes.delete(ino);
    return i;
  }

  // The inode for host file `name` in `parent` (null: the root) with status st.
  inode(parent: HostInode | null, name: string, st: fs.BigIntStats): HostInode {
    const ino = Number(st.ino);
    let i = this.cached(ino);
    // A host inode number reused after its file went away.
    if (i && !sameFile(i, st)) { this.forget(i); i = undefined; }
    if (i) {
      if (i.parent !== parent || i.name !== name) i.moved(parent, name);
      i.revalidatedBy(st);
      return i;
    }
    i = this.newInode(this, parent, name, st);
    this.inodes.set(ino, new WeakRef(i));
    this.closer.register(i, { h: i.handle, ino });
    return i;
  }

  private ours(i: Inode): boolean { return (i as { sb?: unknown }).sb === this; }

  forget(i: HostInode): void {
    if (this.inodes.get(i.ino)?.deref() === i) this.inodes.delete(i.ino);
  }

  // A cached name still names the same host file: Dentry.child asks before
  // using it. A name found unchanged is not asked again until the host
  // epoch moves (kernel/running.ts: the host event loop had a turn, or
  // hostfs made a host call that may show the host's changes, a check that
  // found a change included). The guest's own changes go through Ghost and
  // move the epoch too. A change made on the host side behind Ghost's back
  // (a rename over the name, a rewrite in place) is seen at the next turn
  // of the host event loop (at most HOST_SLICE_MS, 10 ms, of host time
  // while the guest runs) or at the next host call that could have shown
  // it: never after something the guest saw that the host did later. As a
  // FUSE mount's entry timeout (virtiofs), with causality kept.
  override nameValid(d: Inode, name: string, c: Inode): boolean {
    // Both of this mount (its inodes are HostInodes).
    if (!this.ours(d) || !this.ours(c)) return true;
    const dir = d as HostInode, cached = c as HostInode;
    if (cached.checkedEpoch === currentHostEpoch() && cached.checkedIn === dir && cached.checkedAs === name) return true;
    try {
      const st = checkAt(dir.dirFd(), name);
      if (!cached.sameAsLast(st)) {
        hostObserved();
        if (!sameFile(cached, st)) return false;
      }
      if (cached.parent !== dir || cached.name !== name) cached.moved(dir, name);
      cached.revalidatedBy(st);
      cached.checkedEpoch = currentHostEpoch();
      cached.checkedIn = dir;
      cached.checkedAs = name;
      return true;
    } catch { hostObserved(); return false; }
  }

  // Runs fn with the descriptors of these directories, none of them closed
  // meanwhile by the descriptor bound (a closed number could be reused).
  withDirs<T>(dirs: HostInode[], fn: (fds: number[]) => T): T {
    const held: HostHandle[] = [];
    try {
      const fds = dirs.map((d) => { const fd = d.dirFd(); d.handle.busy++; held.push(d.handle); return fd; });
      return fn(fds);
    } finally { for (const h of held) h.busy--; }
  }
}
