// ext4 regular-file data through the page cache (pagecache.ts): reads
// with readahead (mm/readahead.ts), buffered writes whose blocks are
// allocated at once and written back later, and the disk I/O of pages
// (whole runs of blocks contiguous on the disk in one request). Files
// whose blocks are larger than a page, inline data and symlinks keep the
// direct path of inode.ts and write.ts.

import { PAGE_SIZE } from "../../mm/phys.js";
import { onMiss, onHit, type RaState } from "../../mm/readahead.js";
import { S_IFMT, S_IFREG } from "../inode.js";
import { HOLE, type Mapping } from "./extents.js";
import type { Ext4Inode } from "./inode.js";
import { FileMapping, type CachePage, type MappingIo } from "./pagecache.js";

// Blocks of one device request at most when writing back (1 MiB at 4 KiB blocks).
const MAX_RUN_BYTES = 1 << 20;

// Whether the inode's data goes through the page cache.
export function cached(inode: Ext4Inode): boolean {
  return (inode.mode & S_IFMT) === S_IFREG && !inode.isInline && inode.sb.blockSizeBytes <= PAGE_SIZE;
}

// The inode's mapping, made on first use.
export function mappingOf(inode: Ext4Inode): FileMapping {
  if (!inode.mapping) inode.mapping = new FileMapping(inode.sb.pagecache, pageIo(inode));
  return inode.mapping;
}

// A cursor over the file's block mapping: consecutive lookups reuse the
// extent found (one tree walk per extent, not per block).
function mapper(inode: Ext4Inode): (lblk: number) => { pblk: number; unwritten: boolean; len: number } {
  let at = -1, m: Mapping | null = null;
  return (lblk) => {
    if (!m || lblk < at || lblk >= at + m.len) { m = inode.mapBlock(lblk); at = lblk; }
    const d = lblk - at;
    return { pblk: m.pblk === HOLE ? HOLE : m.pblk + d, unwritten: m.unwritten, len: m.len - d };
  };
}

// Fills dst (pages from index first, whole pages) from the disk: holes,
// unwritten blocks and blocks past the end of the file as zeros.
export function readPagesInto(inode: Ext4Inode, first: number, dst: Uint8Array): void {
  const sb = inode.sb, bs = sb.blockSizeBytes;
  const lblk0 = (first * PAGE_SIZE) / bs, nblk = dst.length / bs;
  const endBlk = Math.min(lblk0 + nblk, Math.ceil(inode.size / bs));
  const map = mapper(inode);
  dst.fill(0);
  for (let lblk = lblk0; lblk < endBlk;) {
    const m = map(lblk);
    const n = Math.min(m.len, endBlk - lblk);
    if (m.pblk !== HOLE && !m.unwritten) sb.bdev.read(m.pblk * bs, dst.subarray((lblk - lblk0) * bs, (lblk - lblk0 + n) * bs));
    lblk += n;
  }
  sb.pagecache.pagesRead += dst.length / PAGE_SIZE;
}

function pageIo(inode: Ext4Inode): MappingIo {
  return {
    // Dirty blocks of the pages, in runs contiguous on the disk.
    writePages(pages: CachePage[], view: (p: CachePage) => Uint8Array): void {
      const sb = inode.sb, bs = sb.blockSizeBytes, per = PAGE_SIZE / bs;
      const run = new Uint8Array(Math.max(bs, MAX_RUN_BYTES - (MAX_RUN_BYTES % bs)));
      let runStart = -1, runLen = 0;
      const flush = () => { if (runLen) sb.bdev.write(runStart * bs, run.subarray(0, runLen * bs)); runLen = 0; };
      const map = mapper(inode);
      for (const p of pages) {
        const data = view(p);
        for (let i = 0; i < per; i++) {
          if (!(p.dirty & (1 << i))) continue;
          const m = map(p.index * per + i);
          if (m.pblk === HOLE || m.unwritten) continue; // cut since (truncate, punch): nothing to write
          if (runLen && (m.pblk !== runStart + runLen || (runLen + 1) * bs > run.length)) flush();
          if (!runLen) runStart = m.pblk;
          run.set(data.subarray(i * bs, (i + 1) * bs), runLen * bs);
          runLen++;
        }
      }
      flush();
    },
  };
}

// Reads pages [start, start + size) that are not cached yet (not past the
// end of the file), as far as memory allows.
function readWindow(inode: Ext4Inode, m: FileMapping, start: number, size: number): void {
  const cache = m.cache, lastPage = Math.ceil(inode.size / PAGE_SIZE) - 1;
  const end = Math.min(start + size - 1, lastPage);
  for (let i = start; i <= end;) {
    if (m.pages.has(i)) { i++; continue; }
    const got: CachePage[] = [];
    while (i <= end && !m.pages.has(i)) {
      const p = cache.alloc(m, i);
      if (!p) break;
      got.push(p);
      i++;
    }
    if (got.length === 0) return; // no memory: the caller reads around the cache
    const buf = new Uint8Array(got.length * PAGE_SIZE);
    try {
      readPagesInto(inode, got[0].index, buf);
    } catch (e) {
      for (const p of got) cache.free(p);
      throw e;
    }
    got.forEach((p, j) => { cache.view(p).set(buf.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE)); p.pins--; cache.insert(p); });
  }
}

// read(2) of a cached file: bytes [off, off + dst.length) clipped at the
// end of the file, through the cache, reading ahead on ra's window.
export function cachedRead(inode: Ext4Inode, off: number, dst: Uint8Array, ra: RaState | null): number {
  const size = inode.size;
  if (off >= size || dst.length === 0) return 0;
  const n = Math.min(dst.length, size - off);
  const m = mappingOf(inode), cache = m.cache, state = ra ?? m.ra;
  const first = Math.floor(off / PAGE_SIZE), last = Math.floor((off + n - 1) / PAGE_SIZE);
  for (let index = first; index <= last; index++) {
    let p = cache.find(m, index);
    if (!p) {
      const w = onMiss(state, index, last - index + 1);
      readWindow(inode, m, index, Math.max(w.size, 1));
      p = cache.find(m, index);
    } else {
      const w = onHit(state, index);
      if (w) {
        // Reading ahead must not take this page away (reclaim), and its failure is not this read's.
        p.pins++;
        try { readWindow(inode, m, w.start, w.size); } catch { /* read again when asked for */ } finally { p.pins--; }
      }
    }
    const from = Math.max(off, index * PAGE_SIZE), to = Math.min(off + n, (index + 1) * PAGE_SIZE);
    const out = dst.subarray(from - off, to - off);
    if (p) out.set(cache.view(p).subarray(from - index * PAGE_SIZE, to - index * PAGE_SIZE));
    else {
      // No memory for a page: this one is read around the cache.
      const page = new Uint8Array(PAGE_SIZE);
      readPagesInto(inode, index, page);
      out.set(page.subarray(from - index * PAGE_SIZE, to - index * PAGE_SIZE));
    }
  }
  state.prevIndex = last;
  return n;
}

// O_DIRECT read (iomap's direct I/O): dirty cached pages go home first,
// then the bytes come from the disk, up to the end of the file.
export function directRead(inode: Ext4Inode, off: number, dst: Uint8Array): number {
  const size = inode.size;
  if (off >= size || dst.length === 0) return 0;
  if (inode.mapping) inode.sb.pagecache.writeback(inode.mapping);
  return inode.readDirect(off, dst.subarray(0, Math.min(dst.length, size - off)));
}

// O_DIRECT write: cached pages of the range go home and leave the cache
// (before and after, as filemap_write_and_wait_range and
// invalidate_inode_pages2_range), the bytes go to the disk at once.
export function directWrite(inode: Ext4Inode, off: number, src: Uint8Array): number {
  const m = inode.mapping, cache = inode.sb.pagecache;
  const first = Math.floor(off / PAGE_SIZE), last = Math.floor((off + Math.max(src.length, 1) - 1) / PAGE_SIZE);
  if (m) { cache.writeback(m); cache.invalidate(m, first, last); }
  const n = inode.writeDirect(off, src);
  if (m) cache.invalidate(m, first, last);
  return n;
}

// A page a write is filling: the cache's (pinned) or, when memory is
// spent, a buffer of its own that goes to the disk at once.
interface Held { page: CachePage | null; buf: Uint8Array | null; loaded: boolean }

// write(2) of a cached file. `prepare` maps blocks [first, last] (the
// inode's prepareBlocks): it returns the first block left unmapped (a full
// disk) and adds to `allocated` the blocks this transaction allocated or
// turned from unwritten. Pages the write covers in part are read before
// the blocks change (so a new block's other bytes are the zeros its hole
// read as); then the bytes go into the pages, marked dirty.
export function cachedWrite(inode: Ext4Inode, off: number, src: Uint8Array,
  prepare: (first: number, last: number, allocated: Set<number>) => number): number {
  const sb = inode.sb, bs = sb.blockSizeBytes, per = PAGE_SIZE / bs;
  const m = mappingOf(inode), cache = m.cache;
  let end = off + src.length;
  const held = new Map<number, Held>();
  const hold = (index: number, lo: number, hi: number): Held => {
    let h = held.get(index);
    if (!h) {
      const have = cache.find(m, index);
      if (have) { have.pins++; h = { page: have, buf: null, loaded: true }; }
      else {
        // A page the write covers whole needs no zeroing: every byte is the write's.
        const whole = lo <= index * PAGE_SIZE && hi >= (index + 1) * PAGE_SIZE;
        const p = cache.alloc(m, index, !whole);
        h = { page: p, buf: p ? null : new Uint8Array(PAGE_SIZE), loaded: false };
      }
      held.set(index, h);
    }
    // The bytes of the page this write leaves alone must be the file's.
    if (!h.loaded && (lo > index * PAGE_SIZE || hi < (index + 1) * PAGE_SIZE)) {
      readPagesInto(inode, index, h.page ? cache.view(h.page) : h.buf!);
      h.loaded = true;
    }
    return h;
  };
  try {
    const firstPage = Math.floor(off / PAGE_SIZE), lastPage = Math.floor((end - 1) / PAGE_SIZE);
    hold(firstPage, off, end);
    if (lastPage !== firstPage) hold(lastPage, off, end);
    const allocated = new Set<number>();
    const stop = prepare(Math.floor(off / bs), Math.floor((end - 1) / bs), allocated);
    if (stop * bs < end) { end = stop * bs; src = src.subarray(0, end - off); }
    for (let index = firstPage; index * PAGE_SIZE < end; index++) {
      const h = hold(index, off, end);
      const from = Math.max(off, index * PAGE_SIZE), to = Math.min(end, (index + 1) * PAGE_SIZE);
      const data = h.page ? cache.view(h.page) : h.buf!;
      data.set(src.subarray(from - off, to - off), from - index * PAGE_SIZE);
      let mask = 0, ordered = false;
      for (let i = 0; i < per; i++) {
        const lblk = index * per + i;
        if ((lblk + 1) * bs <= from || lblk * bs >= to) continue;
        mask |= 1 << i;
        if (allocated.has(lblk)) ordered = true;
      }
      if (h.page) {
        if (!h.loaded) { h.loaded = true; } // wholly written: its bytes are all the write's
        cache.markDirty(h.page, mask, ordered);
      } else {
        const map = mapper(inode);
        for (let i = 0; i < per; i++) {
          if (!(mask & (1 << i))) continue;
          const b = map(index * per + i);
          if (b.pblk !== HOLE) sb.bdev.write(b.pblk * bs, data.subarray(i * bs, (i + 1) * bs));
        }
      }
    }
  } finally {
    for (const h of held.values()) {
      if (!h.page) continue;
      h.page.pins--;
      if (h.loaded && !cache.find(m, h.page.index)) cache.insert(h.page);
      else if (!h.loaded) cache.free(h.page); // allocated but never filled (the write stopped short)
    }
  }
  return end - off;
}
