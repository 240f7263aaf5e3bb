// The page cache of file mappings: one physical page per (file, page index),
// shared by every MAP_SHARED mapping of the file, so writes through one
// mapping are seen through all of them, and by MAP_PRIVATE mappings until
// they write (copy on write: a program's text is one set of frames).
//
// A file whose data already lives in page frames (tmpfs, memfd: FrameBacked
// in frames.ts) lends the cache its own frames instead of a copy, as
// shmem's pages are the page cache: a mapping and read()/write() see one
// page, and the data costs guest RAM once. The paths that keep a copy equal
// to the file (writeback, updateFromWrite) then copy a page onto itself.
//
// Dirty tracking, as Linux's: a page becomes dirty only when written through a
// writable shared mapping (the address space maps clean pages without write
// permission and reports the write fault with markDirty). Only dirty pages go
// back to the file (msync, fsync, munmap, exit, exec, before read(), memory
// pressure); once written back a page is clean again and every mapping of it
// is write-protected, so the next store dirties it anew. A failed writeback
// (EROFS, EIO, ENOSPC) never throws: it is logged, remembered for the next
// fsync/msync(MS_SYNC) of the file, and the page is clean (its data lost), as
// Linux does after a writeback error.

import { KernelError } from "../lib/errors.js";
import { EIO } from "../abi/errno.js";
import type { PhysAllocator } from "./phys.js";
import { PAGE_SIZE } from "./phys.js";
import { isFrameBacked } from "./frames.js";

export interface CachedFile {
  readAt(offset: number, dst: Uint8Array): number;
  writeAt(offset: number, src: Uint8Array): number;
  size(): number;
  readonly path?: string;
}

// An address space that maps pages of a cached file shared (Linux's
// i_mmap): told to write-protect a page that writeback made clean.
export interface CacheMapper {
  writeProtectFilePage(key: object, index: number, pa: number): void;
}

interface Entry {
  pages: Map<number, number>; // page index → physical address
  file: CachedFile;
  dirty: Set<number>; // indexes written through a shared mapping since their last writeback
  lent: Set<number>; // indexes whose page is the file's own frame (Shmem, not cache)
  mappers: Set<CacheMapper>;
  wbErr: number; // errno of a writeback failure not yet reported to fsync/msync, or 0
}

export class PageCache {
  private readonly files = new Map<object, Entry>();
  // Where writeback failures are reported (the kernel log); set by the kernel.
  onWritebackError: ((path: string, offset: number, errno: number) => void) | undefined;

  constructor(private readonly phys: PhysAllocator) {}

  private entry(key: object, file: CachedFile): Entry {
    let e = this.files.get(key);
    if (!e) {
      e = { pages: new Map(), file, dirty: new Set(), mappers: new Set(), wbErr: 0, lent: new Set() };
      this.files.set(key, e);
      (key as { pageCache?: PageCache | null }).pageCache = this;
    }
    return e;
  }

  // The cache's page for index (a reference is taken for the caller's PTE).
  // mapper: an address space mapping it shared, to be write-protected after writeback.
  getPage(key: object, file: CachedFile, index: number, mapper: CacheMapper | null): number {
    const e = this.entry(key, file);
    let pa = e.pages.get(index);
    const own = pa === undefined && isFrameBacked(key) ? key.frameFor(index, this.phys) : null;
    if (own !== null) {
      pa = own;
      this.phys.get(pa); // the cache's reference, beside the file's
      e.pages.set(index, pa);
      e.lent.add(index);
    } else if (pa === undefined) {
      pa = this.phys.alloc();
      const off = index * PAGE_SIZE;
      const size = file.size();
      // A read that fails (the host's file gone, memory spent while a lazily
      // loaded file reads in) leaves nothing behind; the fault decides.
      try { if (off < size) this.readPage(file, off, pa, Math.min(PAGE_SIZE, size - off)); }
      catch (err) { this.phys.put(pa); throw err; }
      e.pages.set(index, pa);
    }
    if (mapper) e.mappers.add(mapper);
    this.phys.get(pa);
    return pa;
  }

  // n bytes of the file at off into frame pa. Through a buffer of the
  // kernel's, not into the frame's view: the file's read may take frames of
  // its own (an ext4 file's block cache) and grow the memory, which detaches
  // every view of it taken before (Hart.growRam).
  private readPage(file: CachedFile, off: number, pa: number, n: number): void {
    const buf = this.readBuf ?? new Uint8Array(PAGE_SIZE);
    this.readBuf = null; // lent: a read that faults another page in takes its own
    try {
      const got = file.readAt(off, buf.subarray(0, n));
      this.phys.view(pa).set(buf.subarray(0, Math.max(0, Math.min(n, got)))); // the rest stays zero
    } finally { this.readBuf = buf; }
  }
  private readBuf: Uint8Array | null = null;

  has(key: object, index: number): boolean { return this.files.get(key)?.pages.has(index) ?? false; }

  // A store through a shared mapping is about to reach the page. A lent
  // frame is the file's own page: the store is in the file from now on, so
  // the file must not treat the frame as a clean copy of its source any
  // more, even if the writeback below fails (tmpfs_clean.ts would drop it).
  markDirty(key: object, index: number): void {
    const e = this.files.get(key);
    if (!e) return;
    e.dirty.add(index);
    if (e.lent.has(index) && isFrameBacked(key)) key.frameDirtied?.(index);
  }
  isDirty(key: object, index: number): boolean { return this.files.get(key)?.dirty.has(index) ?? false; }

  addMapper(key: object, mapper: CacheMapper): void { this.files.get(key)?.mappers.add(mapper); }
  // The address space no longer maps the file shared (its mappings went, or it died).
  dropMapper(key: object, mapper: CacheMapper): void {
    const e = this.files.get(key);
    if (!e) return;
    e.mappers.delete(mapper);
    if (e.pages.size === 0 && e.mappers.size === 0 && e.wbErr === 0) this.forget(key);
  }

  private forget(key: object): void {
    this.files.delete(key);
    (key as { pageCache?: PageCache | null }).pageCache = null;
  }

  // Writes the dirty pages of [first, last] (page indexes) back to the file,
  // not past its end. Returns 0, or the errno of the first failure (already
  // logged): never throws.
  writeBack(key: object, first = 0, last = Infinity): number {
    const e = this.files.get(key);
    if (!e || e.dirty.size === 0) return 0;
    let err = 0;
    for (const index of [...e.dirty]) {
      if (index < first || index > last) continue;
      const pa = e.pages.get(index);
      e.dirty.delete(index);
      if (pa === undefined) continue;
      for (const m of e.mappers) m.writeProtectFilePage(key, index, pa);
      const r = this.writeBackPage(e, index, pa);
      if (r && !err) err = r;
    }
    return err;
  }

  // fsync/msync(MS_SYNC): write back, and report a failure of this writeback
  // or of an earlier one nobody was told about (Linux's errseq wb_err), once.
  sync(key: object, first = 0, last = Infinity): number {
    const err = this.writeBack(key, first, last);
    const e = this.files.get(key);
    const pending = e?.wbErr ?? 0;
    if (e) e.wbErr = 0;
    return err || pending;
  }

  // A write() to the file: keep cached pages equal to the file's bytes.
  updateFromWrite(key: object, offset: number, data: Uint8Array): void {
    const e = this.files.get(key);
    if (!e) return;
    for (let done = 0; done < data.length;) {
      const off = offset + done;
      const index = Math.floor(off / PAGE_SIZE);
      const within = off % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - within, data.length - done);
      const pa = e.pages.get(index);
      if (pa !== undefined) this.phys.view(pa).set(data.subarray(done, done + n), within);
      done += n;
    }
  }

  // The file was truncated to size: cached bytes past it read as zeros, and
  // pages wholly past it that no mapping holds go.
  truncated(key: object, size: number): void {
    const e = this.files.get(key);
    if (!e) return;
    for (const [index, pa] of e.pages) {
      const off = index * PAGE_SIZE;
      if (off + PAGE_SIZE <= size) continue;
      this.phys.view(pa).fill(0, Math.max(0, size - off));
      if (off >= size && this.phys.refCount(pa) === 1) this.dropPage(key, e, index, pa);
    }
  }

  // The file changed where no write of the guest's could keep the cache
  // equal to it (another host process wrote a host directory's file): its
  // clean pages go, so the next fault or exec reads the file anew, as a
  // network filesystem's revalidation (NFS's invalidate_inode_pages2) does.
  // Frames already mapped stay with the processes that map them (a running
  // program keeps the text it started with). A file mapped shared keeps its
  // pages: those mappings and write() stay coherent with each other.
  invalidate(key: object): void {
    const e = this.files.get(key);
    if (!e || e.mappers.size > 0) return;
    for (const [index, pa] of e.pages) if (!e.dirty.has(index)) this.dropPage(key, e, index, pa);
    if (e.pages.size === 0 && e.wbErr === 0) this.forget(key);
  }

  isCached(key: object): boolean { return this.files.has(key); }

  // Pages held by the cache (Cached in /proc/meminfo), not counting the
  // frames tmpfs files lend it (Shmem).
  get pageCount(): number {
    let n = 0;
    for (const e of this.files.values()) n += e.pages.size - e.lent.size;
    return n;
  }

  // The cache lets go of one page.
  private dropPage(_key: object, e: Entry, index: number, pa: number): void {
    this.phys.put(pa);
    e.pages.delete(index);
    e.dirty.delete(index);
    e.lent.delete(index);
  }

  // Memory pressure: drops every page no mapping uses. Returns how many went.
  trimAll(): number {
    let n = 0;
    for (const key of [...this.files.keys()]) {
      const before = this.files.get(key)!.pages.size;
      this.trim(key);
      n += before - (this.files.get(key)?.pages.size ?? 0);
    }
    return n;
  }

  // Drops pages no mapping uses any more (the cache holds one reference
  // each); a dirty one is written back first.
  trim(key: object): void {
    const e = this.files.get(key);
    if (!e) return;
    for (const [index, pa] of e.pages) {
      // Unused: only the cache holds it, or the cache and the file lending it.
      const lentNow = e.lent.has(index) && isFrameBacked(key) && key.ownsFrame(index, pa);
      if (this.phys.refCount(pa) !== (lentNow ? 2 : 1)) continue;
      if (e.dirty.delete(index)) this.writeBackPage(e, index, pa);
      this.dropPage(key, e, index, pa);
    }
    if (e.pages.size === 0 && e.mappers.size === 0 && e.wbErr === 0) this.forget(key);
  }

  // One page to the file; a failure is logged and kept for fsync, never thrown.
  private writeBackPage(e: Entry, index: number, pa: number): number {
    const off = index * PAGE_SIZE;
    try {
      const size = e.file.size();
      if (off < size) e.file.writeAt(off, this.phys.view(pa).subarray(0, Math.min(PAGE_SIZE, size - off)));
      return 0;
    } catch (err) {
      const errno = err instanceof KernelError ? err.errno : EIO;
      e.wbErr = errno;
      this.onWritebackError?.(e.file.path ?? "?", off, errno);
      return errno;
    }
  }
}
