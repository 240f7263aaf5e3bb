// The physical page allocator: guest RAM in 4 KiB frames, each with a
// reference count (a frame shared copy-on-write or through the page cache
// is freed when its last user lets go).

import type { Hart } from "../arch/riscv64/hart.js";
import { RAM_BASE } from "../arch/riscv64/layout.js";
import { PageCache } from "./pagecache.js";
import { MemBudget } from "./budget.js";
import type { FrameKind, FramePool } from "./frames.js";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export class OutOfMemory extends Error {
  constructor() { super("out of guest physical memory"); }
}

// A holder of frames that outlives its last name and open file while some
// mapping may still fault its pages in (a memfd mapped and closed): its
// frames go once no address space maps it (checked under memory pressure
// and when an address space goes).
export interface DeferredRelease {
  readonly key: object; // what a mapping of it names (MapSource.key)
  releaseFrames(): void;
}

// A cache that can give memory back (Linux's struct shrinker).
export interface Shrinker {
  // Frees unused objects: some of them, or all; true if any went.
  shrink(all: boolean): boolean;
  // Its objects are page-cache pages (drop_caches 1), not slab objects (2).
  readonly pageCache?: boolean;
  // Reclaimed only for a page fault or to read such pages in (a lazily read
  // root's clean pages: program text), never for a kernel charge.
  readonly faultOnly?: boolean;
}

export const DEFAULT_MAX_MAP_COUNT = 65535 - 5;

export class PhysAllocator implements FramePool {
  readonly frames: number;
  private readonly refs: Uint32Array;
  // Freed frames, reused last-freed first; frames never handed out are the
  // range [fresh, frames), taken in ascending order after the freed ones.
  // (Filling the whole list at boot was a 131,072-step loop per `ghost run`
  // of the default 512 MiB; the order frames are handed out is the same.)
  private readonly free: Int32Array;
  private nstack = 0;
  private fresh = 1; // frame 0 stays reserved: physical address 0 is never handed out
  private get nfree(): number { return this.nstack + Math.max(0, this.frames - this.fresh); }
  // The page cache of shared file mappings (it holds references to frames of this allocator).
  readonly cache: PageCache = new PageCache(this);
  // Called when memory runs out; may free frames (reclaim). Returns true if it did.
  onOutOfMemory: (() => boolean) | undefined;
  // The one budget guest RAM and the kernel's memory for the guest share
  // (budget.ts): frames kept back for kernel charges are not handed out.
  readonly mem: MemBudget = new MemBudget(this);
  // vm.max_map_count: how many VMAs one address space may have (mm.ts);
  // Linux's DEFAULT_MAX_MAP_COUNT, USHRT_MAX less the ELF core dump margin.
  maxMapCount = DEFAULT_MAX_MAP_COUNT;

  constructor(private readonly hart: Hart) {
    this.frames = Math.floor(hart.ramSize / PAGE_SIZE);
    this.refs = new Uint32Array(this.frames);
    this.free = new Int32Array(this.frames);
  }

  get freeFrames(): number { return this.nfree; }
  get usedFrames(): number { return this.frames - 1 - this.nfree; }
  // Frames neither in use nor kept back for the kernel's charges.
  get availableFrames(): number { return Math.max(0, this.nfree - this.mem.reservedFrames); }

  // Memory pressure: frees what can be freed without killing (unused
  // page-cache pages, deferred holders, then the kernel's caches through
  // their shrinkers). True if some memory came back. Clean pages of a lazily
  // read root go only for a page fault or to read root pages in (clean):
  // were a kernel charge (tmpfs data, a pipe, a socket) to push a program's
  // text out, RAM would fill with that data and the program's next fault
  // would call the OOM killer, where the charge was to fail (ENOMEM, ENOSPC).
  reclaim(clean = false): boolean {
    return !!this.onOutOfMemory?.() || this.sweepDeferred() || this.shrink(false, undefined, clean);
  }

  // The kernel's caches of objects charged to the budget (Linux's
  // register_shrinker: the dentry and inode caches of hostfs), and of clean
  // pages read from a lazily filled root (fs/tmpfs_clean.ts).
  private readonly shrinkers = new Set<Shrinker>();
  registerShrinker(s: Shrinker): void { this.shrinkers.add(s); }
  unregisterShrinker(s: Shrinker): void { this.shrinkers.delete(s); }
  // Asks each shrinker (or those of page-cache pages, or of slab objects) to
  // free some (all: every unused object); true if any did.
  // faultOnly shrinkers are asked only when withFaultOnly.
  shrink(all: boolean, only?: "pagecache" | "slab", withFaultOnly = true): boolean {
    let any = false;
    for (const s of this.shrinkers) {
      if (only && (only === "pagecache") !== !!s.pageCache) continue;
      if (s.faultOnly && !withFaultOnly) continue;
      if (s.shrink(all)) any = true;
    }
    return any;
  }

  // echo N > /proc/sys/vm/drop_caches: 1 the clean page cache, 2 the
  // reclaimable slab objects (dentries and inodes), 3 both.
  dropCaches(mode: number): void {
    if (mode & 1) { this.cache.trimAll(); this.shrink(true, "pagecache"); }
    if (mode & 2) this.shrink(true, "slab");
  }

  // Whether some address space maps the file named key; set by the kernel
  // (it knows the address spaces). Without it every release is at once.
  isMapped: ((key: object) => boolean) | undefined;
  private readonly deferred = new Set<DeferredRelease>();
  // A holder's frames go now if nothing maps it, else when a sweep finds it unmapped.
  releaseWhenUnmapped(d: DeferredRelease): void {
    if (this.isMapped?.(d.key)) this.deferred.add(d);
    else d.releaseFrames();
  }
  // Releases the deferred holders no mapping names any more (memory
  // pressure, an address space gone); true if any went.
  sweepDeferred(): boolean {
    let any = false;
    for (const d of [...this.deferred]) {
      if (this.isMapped?.(d.key)) continue;
      this.deferred.delete(d);
      d.releaseFrames();
      any = true;
    }
    return any;
  }
  get deferredCount(): number { return this.deferred.size; }

  // FramePool (frames.ts): a frame for kernel-held data (tmpfs, memfd). As a
  // kernel charge it leaves the page-fault reserve free; null when even
  // reclaim cannot make room.
  take(kind: FrameKind, zero = true, evictClean = false): number | null {
    while (!this.mem.fits(PAGE_SIZE)) {
      if (!this.reclaim(evictClean)) return null;
    }
    const pa = this.alloc(zero);
    this.mem.countFrames(kind, 1);
    return pa;
  }
  release(pa: number, kind: FrameKind): void {
    this.mem.countFrames(kind, -1);
    this.put(pa);
  }

  // A zeroed frame; returns its guest physical address.
  alloc(zero = true): number {
    while (this.nfree <= this.mem.reservedFrames) {
      if (!this.reclaim(true)) throw new OutOfMemory();
    }
    const reused = this.nstack > 0;
    // A frame past the RAM the wasm memory holds makes it grow (Hart.growRam):
    // every view of the memory taken before is detached then.
    if (!reused && (this.fresh + 1) * PAGE_SIZE > this.hart.ramBacked) this.grow((this.fresh + 1) * PAGE_SIZE);
    const f = reused ? this.free[--this.nstack] : this.fresh++;
    this.refs[f] = 1;
    const pa = f * PAGE_SIZE;
    this.hart.jitFrameAlloc(pa); // translated code of the frame's old contents is stale
    // A frame never handed out is still the zeros the wasm memory began
    // with: not filling it leaves its host pages untouched until the guest
    // writes them (zeroing every fresh frame was ~4% of a boot's CPU).
    if (zero && reused) this.hart.u8.fill(0, RAM_BASE + pa, RAM_BASE + pa + PAGE_SIZE);
    return pa;
  }

  // The host refusing the memory is the guest's RAM running out.
  private grow(bytes: number): void {
    try { this.hart.growRam(bytes); } catch (e) { if (e instanceof RangeError) throw new OutOfMemory(); throw e; }
  }

  // The shared zero page (Linux's ZERO_PAGE): mapped read-only, copy on
  // write, wherever never-written private anonymous memory is read. Its own
  // reference is never dropped, so it is never freed nor reused in place.
  private zero = 0;
  zeroPage(): number {
    if (this.zero === 0) this.zero = this.alloc();
    return this.zero;
  }
  isZeroPage(pa: number): boolean { return pa === this.zero && pa !== 0; }

  get(pa: number): void { this.refs[pa / PAGE_SIZE]++; }
  refCount(pa: number): number { return this.refs[pa / PAGE_SIZE]; }

  put(pa: number): void {
    const f = pa / PAGE_SIZE;
    if (this.refs[f] === 0) throw new Error(`double free of frame ${f}`);
    if (--this.refs[f] === 0) this.free[this.nstack++] = f;
  }

  // The bytes of a frame, as a view into guest RAM: valid until the next
  // frame allocation (which may grow the memory and detach it).
  view(pa: number): Uint8Array {
    return this.hart.u8.subarray(RAM_BASE + pa, RAM_BASE + pa + PAGE_SIZE);
  }
  store(): Uint8Array { return this.hart.u8; }
  offset(pa: number): number { return RAM_BASE + pa; }
}
