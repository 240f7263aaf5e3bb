// The page cache of file mappings: one physical page per (file, page index),
// shared by every MAP_SHARED mapping of the file, so writes through one
// mapping are seen through all of them, and by MAP_PRIVATE mappings until
// they write (copy on write: a program's text is one set of frames). Pages a
// shared mapping has held are written back to the file on msync, munmap and
// exit, and before the file is read with read(); the others are never
// written; a write() to the file updates the cached pages.

import type { PhysAllocator } from "./phys.js";
import { PAGE_SIZE } from "./phys.js";

export interface CachedFile {
  readAt(offset: number, dst: Uint8Array): number;
  writeAt(offset: number, src: Uint8Array): number;
  size(): number;
}

// shared: indexes of pages a MAP_SHARED mapping has held (the only ones that can differ from the file).
interface Entry { pages: Map<number, number>; file: CachedFile; shared: Set<number> }

export class PageCache {
  private readonly files = new Map<object, Entry>();
  constructor(private readonly phys: PhysAllocator) {}

  // The cache's page for index (a reference is taken for the caller's PTE);
  // shared: for a MAP_SHARED mapping, which may write it.
  getPage(key: object, file: CachedFile, index: number, shared: boolean): number {
    let e = this.files.get(key);
    if (!e) {
      e = { pages: new Map(), file, shared: new Set() };
      this.files.set(key, e);
      (key as { pageCache?: PageCache | null }).pageCache = this;
    }
    let pa = e.pages.get(index);
    if (pa === undefined) {
      pa = this.phys.alloc();
      const off = index * PAGE_SIZE;
      const size = file.size();
      if (off < size) file.readAt(off, this.phys.view(pa).subarray(0, Math.min(PAGE_SIZE, size - off)));
      e.pages.set(index, pa);
    }
    if (shared) e.shared.add(index);
    this.phys.get(pa);
    return pa;
  }

  has(key: object, index: number): boolean { return this.files.get(key)?.pages.has(index) ?? false; }

  // Writes cached pages of [first, last] (page indexes) back to the file, not past its end.
  writeBack(key: object, first = 0, last = Infinity): void {
    const e = this.files.get(key);
    if (!e || e.shared.size === 0) return;
    const size = e.file.size();
    for (const [index, pa] of e.pages) {
      if (index < first || index > last || !e.shared.has(index)) continue;
      const off = index * PAGE_SIZE;
      if (off >= size) continue;
      e.file.writeAt(off, this.phys.view(pa).subarray(0, Math.min(PAGE_SIZE, size - off)));
    }
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
      if (off >= size && this.phys.refCount(pa) === 1) { this.phys.put(pa); e.pages.delete(index); e.shared.delete(index); }
    }
  }

  isCached(key: object): boolean { return this.files.has(key); }

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

  // Drops pages no mapping uses any more (the cache holds one reference each).
  trim(key: object): void {
    const e = this.files.get(key);
    if (!e) return;
    for (const [index, pa] of e.pages) {
      if (this.phys.refCount(pa) === 1) {
        if (e.shared.delete(index)) this.writeBackPage(e, index, pa);
        this.phys.put(pa);
        e.pages.delete(index);
      }
    }
    if (e.pages.size === 0) {
      this.files.delete(key);
      (key as { pageCache?: PageCache | null }).pageCache = null;
    }
  }

  private writeBackPage(e: Entry, index: number, pa: number): void {
    const off = index * PAGE_SIZE;
    const size = e.file.size();
    if (off < size) e.file.writeAt(off, this.phys.view(pa).subarray(0, Math.min(PAGE_SIZE, size - off)));
  }
}
