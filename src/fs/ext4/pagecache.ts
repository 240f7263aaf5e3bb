// The page cache of an ext4 filesystem's file data (Linux's mm/filemap.c
// with the writeback of fs/fs-writeback.c): one 4 KiB frame of guest RAM
// per cached page of a file, so cached data costs guest RAM (meminfo's
// Cached) and clean pages are the first memory reclaim takes back (the
// cache is a shrinker of mm/phys.ts, oldest first, with a second chance for pages read again).
//
// A write fills pages and marks their blocks dirty; the blocks are mapped
// (allocated) at once, as ext4 with nodelalloc, and the data goes home
// later: an inode dirty for longer than vm.dirty_expire_centisecs (30 s) is
// written back by the flusher, which wakes every
// vm.dirty_writeback_centisecs (5 s); on sync, syncfs, fsync and fdatasync
// and at unmount everything dirty goes; past vm.dirty_background_ratio of
// guest RAM in dirty pages the oldest inodes go at once. Ordered mode
// (journal.ts) still holds: a page whose blocks were allocated in the
// running transaction is written before that transaction commits
// (jbd2's inode list of ordered data), so a committed file never shows
// another file's old bytes.
//
// A page being filled or written by an operation is pinned: reclaim, which
// any frame allocation may run, never takes it from under the operation.

import type { FramePool } from "../../mm/frames.js";
import { heapFrames } from "../../mm/frames.js";
import { PAGE_SIZE, type PhysAllocator, type Shrinker } from "../../mm/phys.js";
import { kernelFrames } from "../kmem.js";
import { KernelError } from "../../lib/errors.js";
import { NSEC_PER_CENTISEC, defaultWriteback, type WritebackTunables } from "../../mm/writeback.js";
import { WRITEBACK } from "../writeback.js";
import { newRaState, type RaState } from "../../mm/readahead.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { TimerHandle } from "../../kernel/time/timers.js";

export interface CachePage {
  readonly index: number;
  readonly pa: number;
  dirty: number; // bit i: the page's block i holds data not yet on the disk
  pins: number;
  referenced: boolean; // found again since reclaim last looked (a second chance, as PG_referenced)
  readonly owner: FileMapping;
}

// What the inode does for its pages (ext4/file_io.ts): the disk I/O.
export interface MappingIo {
  // Writes the dirty blocks of these pages (ascending index) home.
  writePages(pages: CachePage[], view: (p: CachePage) => Uint8Array): void;
}

// One inode's cached pages (Linux's address_space).
export class FileMapping {
  readonly pages = new Map<number, CachePage>();
  dirtyPages = 0;
  dirtiedWhen = 0; // monotonic ns when it went from clean to dirty (inode->dirtied_when)
  readonly ordered = new Set<number>(); // dirty pages holding blocks the running transaction allocated
  readonly ra: RaState = newRaState(); // readahead for reads without an open file (exec, mappings)
  constructor(readonly cache: Ext4PageCache, readonly io: MappingIo) {}
}

// What one shrink under pressure frees at least (as the hostfs dcache's batch).
const SHRINK_BATCH = 256;

export class Ext4PageCache implements Shrinker {
  readonly pool: FramePool;
  private readonly phys: PhysAllocator | null;
  private readonly wb: WritebackTunables;
  // Every cached page, oldest first (a Map keeps insertion order; reclaim gives referenced pages a second chance).
  private readonly lru = new Map<CachePage, true>();
  // Dirty mappings, in the order they became dirty (the flusher's b_dirty list).
  private readonly dirty = new Set<FileMapping>();
  private readonly orderedMappings = new Set<FileMapping>();
  private timer: TimerHandle | null = null;
  // Counters for tests and benchmarks: pages read from the disk, and written.
  pagesRead = 0;
  pagesWritten = 0;

  constructor(private readonly k: Kernel | null, private readonly warn: (msg: string) => void) {
    this.phys = k ? kernelFrames() : null;
    this.pool = this.phys ?? heapFrames;
    this.wb = k ? k.local(WRITEBACK) : defaultWriteback(); // outside a kernel (a unit test): never shared
    this.phys?.registerShrinker(this);
  }

  get size(): number { return this.lru.size; }

  view(p: CachePage): Uint8Array { return this.pool.view(p.pa).subarray(0, PAGE_SIZE); }

  // The cached page, marked referenced; undefined if not cached.
  find(m: FileMapping, index: number): CachePage | undefined {
    const p = m.pages.get(index);
    if (p) p.referenced = true;
    return p;
  }

  // A new page for index, zeroed and pinned, not yet visible in the cache
  // (insert() makes it so once filled); null when memory is spent.
  // zero false: the caller writes every byte of the page before it is read.
  alloc(m: FileMapping, index: number, zero = true): CachePage | null {
    const pa = this.pool.take("file", zero);
    if (pa === null) return null;
    return { index, pa, dirty: 0, pins: 1, referenced: false, owner: m };
  }
  insert(p: CachePage): void {
    const m = p.owner, old = m.pages.get(p.index);
    if (old) this.drop(old);
    m.pages.set(p.index, p);
    this.lru.set(p, true);
  }
  // A page alloc() gave that will not be inserted.
  free(p: CachePage): void { this.pool.release(p.pa, "file"); }

  // Blocks of p (mask) now hold data the disk does not; ordered: some of
  // them were allocated by the running transaction.
  markDirty(p: CachePage, mask: number, ordered: boolean): void {
    const m = p.owner;
    if (!p.dirty) {
      m.dirtyPages++;
      this.wb.dirtyPages++;
    }
    p.dirty |= mask;
    if (ordered) { m.ordered.add(p.index); this.orderedMappings.add(m); }
    if (!this.dirty.has(m)) {
      m.dirtiedWhen = this.now();
      this.dirty.add(m);
      this.armFlusher();
    }
  }

  // Writes back m's dirty pages (or only those of the ordered set). A disk
  // error is logged and the pages are clean (their data lost), as Linux
  // after a failed writeback; the errno is returned (0 if none).
  writeback(m: FileMapping, orderedOnly = false): number {
    const which = orderedOnly ? [...m.ordered].map((i) => m.pages.get(i)).filter((p): p is CachePage => p !== undefined && p.dirty !== 0)
      : [...m.pages.values()].filter((p) => p.dirty !== 0);
    if (which.length === 0) { if (!orderedOnly || m.dirtyPages === 0) this.cleaned(m); m.ordered.clear(); return 0; }
    which.sort((a, b) => a.index - b.index);
    for (const p of which) p.pins++;
    let err = 0;
    try {
      m.io.writePages(which, (p) => this.view(p));
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      err = e.errno;
      this.warn(`writeback of ${which.length} pages failed (errno ${err}); their data is lost`);
    } finally {
      for (const p of which) {
        p.pins--;
        if (p.dirty) { p.dirty = 0; m.dirtyPages--; this.wb.dirtyPages--; }
      }
      this.pagesWritten += which.length;
    }
    if (orderedOnly) for (const p of which) m.ordered.delete(p.index);
    else m.ordered.clear();
    if (m.ordered.size === 0) this.orderedMappings.delete(m);
    if (m.dirtyPages === 0) this.cleaned(m);
    return err;
  }

  private cleaned(m: FileMapping): void {
    this.dirty.delete(m);
    this.orderedMappings.delete(m);
    m.ordered.clear();
    m.dirtiedWhen = 0;
  }

  // Before a journal commit: the data of blocks it allocated goes home first.
  writeOrdered(): void {
    for (const m of [...this.orderedMappings]) this.writeback(m, true);
  }

  // sync, syncfs, fsync, umount: every dirty page home. The first errno, or 0.
  syncAll(): number {
    let err = 0;
    for (const m of [...this.dirty]) { const e = this.writeback(m); if (!err) err = e; }
    return err;
  }

  // The mapping's pages go, dirty or not (the inode's blocks are being
  // freed or changed under them: truncate, fallocate, eviction). Pinned
  // pages stay.
  invalidate(m: FileMapping, fromIndex = 0, toIndex = Infinity): void {
    for (const p of [...m.pages.values()]) if (p.index >= fromIndex && p.index <= toIndex && p.pins === 0) this.drop(p);
    if (m.dirtyPages === 0) this.cleaned(m);
  }

  private drop(p: CachePage): void {
    const m = p.owner;
    if (p.dirty) { p.dirty = 0; m.dirtyPages--; this.wb.dirtyPages--; }
    m.ordered.delete(p.index);
    m.pages.delete(p.index);
    this.lru.delete(p);
    this.pool.release(p.pa, "file");
  }

  // After a write: past dirty_background_ratio of guest RAM in dirty pages,
  // the oldest dirty inodes go home until it is below again.
  balanceDirty(): void {
    const frames = this.phys?.frames ?? 0;
    if (!frames) return;
    const limit = Math.floor((frames * this.wb.dirtyBackgroundRatio) / 100);
    for (const m of this.dirty) {
      if (this.wb.dirtyPages <= limit) break;
      this.writeback(m);
    }
  }

  // The flusher: wakes every dirty_writeback_centisecs while something is
  // dirty and writes back the inodes dirty for longer than dirty_expire_centisecs.
  private armFlusher(): void {
    if (this.timer || !this.k || this.wb.dirtyWritebackCentisecs === 0) return;
    const k = this.k;
    this.timer = k.timers.addCoarse(k.clock.monotonic() + this.wb.dirtyWritebackCentisecs * NSEC_PER_CENTISEC, () => {
      this.timer = null;
      this.flush();
      if (this.dirty.size) this.armFlusher();
    });
  }

  private flush(): void {
    const expire = this.wb.dirtyExpireCentisecs * NSEC_PER_CENTISEC, now = this.now();
    for (const m of [...this.dirty]) if (now - m.dirtiedWhen >= expire) this.writeback(m);
    this.balanceDirty();
  }

  private now(): number { return this.k ? this.k.clock.monotonic() : 0; }

  // Memory pressure: clean pages no operation holds, oldest first, a page
  // found again since the last look getting a second chance (moved to the
  // end, unreferenced); an eighth of the cache (at least a batch), or all.
  shrink(all: boolean): boolean {
    const want = all ? Infinity : Math.max(SHRINK_BATCH, this.lru.size >> 3);
    let freed = 0;
    for (const p of [...this.lru.keys()]) {
      if (freed >= want) break;
      if (p.dirty || p.pins) continue;
      if (p.referenced && !all) { p.referenced = false; this.lru.delete(p); this.lru.set(p, true); continue; }
      this.drop(p);
      freed++;
    }
    return freed > 0;
  }
  // Page-cache pages: drop_caches 1 empties it (phys.ts), 2 leaves it.
  readonly pageCache = true;

  // Unmount: everything written back (by the caller), every frame given back.
  kill(): void {
    this.timer?.cancel();
    this.timer = null;
    for (const p of [...this.lru.keys()]) { p.pins = 0; this.drop(p); }
    this.phys?.unregisterShrinker(this);
  }
}
