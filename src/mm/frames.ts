// Page frames for the data the kernel keeps for the guest: tmpfs and memfd
// pages (Linux's shmem pages are page frames of the page cache). They come
// from the same physical allocator as anonymous memory, so one pool of
// --mem frames serves both uses: a frame the guest freed from its heap
// serves the next tmpfs page and the other way round, and the host never
// holds guest data twice (a wasm page once touched stays resident; data in
// the JavaScript heap would be memory beside it). A shared mapping of a
// tmpfs file maps the file's own frame (page cache and file are one).
//
// Outside a kernel (a filesystem a unit test builds) there is no guest RAM:
// the same interface is served from the JavaScript heap.

import type { MemBudget } from "./budget.js";

export const FRAME_BYTES = 4096;

// What frames held by the kernel are for, as /proc/meminfo names them.
// "file": a disk filesystem's cached file data (ext4/pagecache.ts), meminfo's Cached.
export type FrameKind = "shmem" | "pipe" | "sock" | "file";

export interface FramePool {
  // A zeroed frame for kernel-held data, or null when memory is spent: as
  // any kernel allocation, it leaves the page-fault reserve free (after
  // reclaim). Counted under kind until release(). zero false: the holder
  // writes every byte before it reads one (a pipe's ring). evictClean: it
  // may push out clean pages of a lazily read root (only to read others in).
  take(kind: FrameKind, zero?: boolean, evictClean?: boolean): number | null;
  // The holder lets go of a frame from take(): it is freed with the last
  // reference (a mapping may still hold it).
  release(pa: number, kind: FrameKind): void;
  get(pa: number): void;
  put(pa: number): void;
  // The frame's bytes (a fresh view each call: never kept).
  view(pa: number): Uint8Array;
  // The array the frame's bytes are in, and where they start in it: what
  // view() gives without making a view (a pipe's every read and write).
  store(pa: number): Uint8Array;
  offset(pa: number): number;
  // The budget the frames are counted in (null outside a kernel).
  readonly mem: MemBudget | null;
}

// A file whose data lives in frames of a pool: a shared mapping maps them.
export interface FrameBacked {
  // The frame holding page index of the file, made for a hole inside the
  // file; null if there is none to give (past the end, memory spent, or a
  // different pool): the page cache then keeps a copy of its own.
  frameFor(index: number, pool: FramePool): number | null;
  // Whether pa is still the file's frame for index (truncation replaces it).
  ownsFrame(index: number, pa: number): boolean;
  // A store through a shared mapping is about to reach the frame of index:
  // from now on it holds the file's data, whatever becomes of writeback.
  frameDirtied?(index: number): void;
}

export function isFrameBacked(o: object): o is FrameBacked {
  return typeof (o as Partial<FrameBacked>).frameFor === "function";
}

// The heap's stand-in for guest RAM, outside any kernel: never runs out.
class HeapFrames implements FramePool {
  private readonly frames = new Map<number, { bytes: Uint8Array; refs: number }>();
  private next = 1;
  readonly mem = null;
  take(): number {
    const pa = this.next++ * FRAME_BYTES;
    this.frames.set(pa, { bytes: new Uint8Array(FRAME_BYTES), refs: 1 });
    return pa;
  }
  release(pa: number): void { this.put(pa); }
  get(pa: number): void { const f = this.frames.get(pa); if (f) f.refs++; }
  put(pa: number): void {
    const f = this.frames.get(pa);
    if (f && --f.refs === 0) this.frames.delete(pa);
  }
  view(pa: number): Uint8Array { return this.frames.get(pa)?.bytes ?? new Uint8Array(FRAME_BYTES); }
  store(pa: number): Uint8Array { return this.view(pa); }
  offset(): number { return 0; }
}

export const heapFrames: FramePool = new HeapFrames();
