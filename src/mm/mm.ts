// An address space (Linux's mm_struct): its page table, its VMAs, brk, and
// the page-fault handler that fills pages on demand.

import type { Hart } from "../arch/riscv64/hart.js";
import { ACC_R, ACC_W, ACC_X } from "../arch/riscv64/layout.js";
import { kerr } from "../lib/errors.js";
import { EEXIST, EINVAL, ENOMEM, EFAULT, EACCES } from "../abi/errno.js";
import { PAGE_SIZE, type PhysAllocator } from "./phys.js";
import { PageTable, PTE_A, PTE_COW, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, makePte, ptePa } from "./pagetable.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, SharedAnon, Vma, isSharedFile, fileIndex, type MapSource } from "./vma.js";
import type { CacheMapper } from "./pagecache.js";

// Linux riscv64 keeps user mappings below 2^38 unless asked for more (Sv39 compatible).
export const STACK_TOP = 0x4000000000;
export const TASK_SIZE = 0x800000000000;
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
export const MMAP_MIN_ADDR = 0x10000;

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
// handleFault's answer for an access past the end of a mapped file: SIGBUS with BUS_ADRERR.
export const SIGBUS_ADRERR = -2;

export function pageDown(a: number): number { return a - (a % PAGE_SIZE); }
export function pageUp(a: number): number { return Math.ceil(a / PAGE_SIZE) * PAGE_SIZE; }

function protToPte(prot: number): number {
  let f = 0;
  if (prot & PROT_READ) f |= PTE_R;
  if (prot & PROT_WRITE) f |= PTE_R | PTE_W; // W without R is reserved in RISC-V
  if (prot & PROT_EXEC) f |= PTE_X;
  return f;
}

// ASIDs: 12 bits, handed out by generation (as Linux's RISC-V and arm64
// allocators): when they run out, a new generation starts with every TLB
// entry dropped, the running address space takes a fresh ASID at once, and
// every other one takes a fresh ASID when it is next activated. So no two live
// address spaces ever run under the same ASID. The top eight of the 12-bit
// values are never handed out: an empty TLB entry is all ones, which is the
// tag of the top virtual page under ASID 0xfff, so a guest touching that page
// would hit an empty entry instead of faulting. (The JIT's inline check once
// folded an access's misalignment into the ASID bits and so needed the eight;
// it now compares the interpreter's full tag, and one would do; the margin stays.)
const ASID_LIMIT = 0xff8;
interface AsidState { gen: number; next: number }
const asidStates = new WeakMap<Hart, AsidState>();
function asidState(hart: Hart): AsidState {
  let s = asidStates.get(hart);
  if (!s) { s = { gen: 1, next: 1 }; asidStates.set(hart, s); }
  return s;
}
let nextMmId = 1;

// Past this many pages made copy-on-write, fork drops the parent's whole
// ASID from the TLB instead of page by page (as invalidateRange's 64).
const COW_FLUSH_PAGES = 64;
const FAULT_AROUND_BYTES = 16 * PAGE_SIZE;
const cowScratch: number[] = [];

export class AddressSpace implements CacheMapper {
  readonly pt: PageTable;
  vmas: Vma[] = [];
  asid = 0;
  private asidGen = 0;
  // Stable identity (private futex keys): the ASID may change.
  readonly id = nextMmId++;
  brkStart = 0;
  brk = 0;
  mmapBase = STACK_TOP - 8 * 1024 * 1024 - STACK_GUARD_GAP;
  stackLimit = 8 * 1024 * 1024; // RLIMIT_STACK as the stack VMA may grow
  rssPages = 0;
  private tlbStale = false;
  // Whether the hart has run under this ASID since it was handed out: until
  // then no TLB or dispatch entry can carry it, and a change to the page
  // table needs no flush (exec fills the new stack and trampoline before the
  // program's first instruction; a flush of the whole ASID at its first
  // activation cost every exec a scan of the TLBs).
  private asidLoaded = false;
  users = 1; // tasks sharing this mm (CLONE_VM)
  sigreturnTrampoline = 0;
  // What /proc shows: where argv and envp strings are, the executable's path, code and stack bounds.
  argStart = 0; argEnd = 0; envStart = 0; envEnd = 0;
  exePath = "";
  auxv: Uint8Array = new Uint8Array(0); // the auxiliary vector exec gave the program
  exePathRef: unknown = null;
  // The executable's inode, held against writers while this address space lives (exec.ts sets it).
  exeDenyWrite: { denyWrite: number } | null = null;
  startCode = 0; endCode = 0; startData = 0; endData = 0; startStack = 0;

  constructor(readonly hart: Hart, readonly phys: PhysAllocator) {
    this.pt = new PageTable(phys, hart);
    this.newAsid();
  }

  private newAsid(): void {
    const s = asidState(this.hart);
    if (s.next >= ASID_LIMIT) {
      s.gen++;
      s.next = 1;
      this.hart.tlbFlushAll();
      const cur = this.hart.currentMm as AddressSpace | undefined;
      if (cur && cur !== this) {
        cur.asid = s.next++;
        cur.asidGen = s.gen;
        this.hart.setAddressSpace(cur.pt.root, cur.asid);
      }
    }
    this.asid = s.next++;
    this.asidGen = s.gen;
    this.asidLoaded = false;
  }

  get isCurrent(): boolean { return this.hart.currentMm === this; }

  activate(): void {
    if (this.asidGen !== asidState(this.hart).gen) { this.newAsid(); this.tlbStale = false; }
    this.hart.setAddressSpace(this.pt.root, this.asid);
    this.hart.currentMm = this;
    this.asidLoaded = true;
    if (this.tlbStale) { this.hart.tlbFlushAsid(this.asid); this.tlbStale = false; }
  }

  private invalidate(va: number): void {
    if (this.isCurrent) this.hart.tlbFlushPage(va);
    else if (this.asidLoaded) this.tlbStale = true;
  }

  private invalidateRange(start: number, end: number): void {
    if (!this.isCurrent) { if (this.asidLoaded) this.tlbStale = true; return; }
    if (end - start > 64 * PAGE_SIZE) this.hart.tlbFlushAsid(this.asid);
    else for (let va = start; va < end; va += PAGE_SIZE) this.hart.tlbFlushPage(va);
  }

  findVma(va: number): Vma | undefined {
    let lo = 0, hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid];
      if (va < v.start) hi = mid - 1;
      else if (va >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  // Index of the first VMA ending above va.
  private indexAfter(va: number): number {
    let lo = 0, hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid].end <= va) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  private overlaps(start: number, end: number): boolean {
    const i = this.indexAfter(start);
    return i < this.vmas.length && this.vmas[i].start < end;
  }

  private insert(vma: Vma): void {
    const i = this.indexAfter(vma.start);
    this.vmas.splice(i, 0, vma);
    this.mergeAround(i);
  }

  private mergeAround(i: number): void {
    if (i + 1 < this.vmas.length && this.vmas[i].canMerge(this.vmas[i + 1])) {
      this.vmas[i].end = this.vmas[i + 1].end;
      this.vmas[i].anon ||= this.vmas[i + 1].anon;
      this.dropMerged(this.vmas.splice(i + 1, 1)[0]);
    }
    if (i > 0 && this.vmas[i - 1].canMerge(this.vmas[i])) {
      this.vmas[i - 1].end = this.vmas[i].end;
      this.vmas[i - 1].anon ||= this.vmas[i].anon;
      this.dropMerged(this.vmas.splice(i, 1)[0]);
    }
  }

  // A VMA merged into its neighbour: its hold on shared anonymous pages goes
  // (the neighbour holds them), as Linux closes the vma it merged away.
  private dropMerged(v: Vma): void {
    const s = v.sharedAnon;
    if (s) { s.refs--; s.onUnref?.(); }
  }

  // Splits VMAs so that none straddles start or end; returns the index range
  // inside. A split past vm.max_map_count is ENOMEM (split_vma), unless the
  // caller made its own check (munmap, mremap).
  private carve(start: number, end: number, limited = true): [number, number] {
    let i = this.indexAfter(start);
    if (i < this.vmas.length && this.vmas[i].start < start) {
      this.checkMapCount(limited);
      this.vmas.splice(i + 1, 0, this.vmas[i].splitAt(start));
      i++;
    }
    let j = i;
    while (j < this.vmas.length && this.vmas[j].start < end) {
      if (this.vmas[j].end > end) {
        this.checkMapCount(limited);
        this.vmas.splice(j + 1, 0, this.vmas[j].splitAt(end));
      }
      j++;
    }
    return [i, j];
  }

  private checkMapCount(limited: boolean): void {
    if (limited && this.vmas.length >= this.phys.maxMapCount) kerr(ENOMEM);
  }

  // How many VMAs this address space has (mm->map_count).
  get mapCount(): number { return this.vmas.length; }

  // Finds a free range of len bytes, top-down below mmapBase (as Linux's default layout).
  unmappedArea(len: number, hint: number): number {
    if (hint) {
      const h = pageDown(hint);
      if (h >= MMAP_MIN_ADDR && h + len <= TASK_SIZE && !this.overlaps(h, h + len)) return h;
    }
    let top = this.mmapBase;
    for (let i = this.indexAfter(top) - 1; i >= -1; i--) {
      const below = i >= 0 ? this.vmas[i].end + (this.vmas[i].growsDown ? 0 : 0) : MMAP_MIN_ADDR;
      if (i + 1 < this.vmas.length && this.vmas[i + 1].start < top) top = this.vmas[i + 1].start;
      const gapTop = Math.min(top, this.mmapBase);
      if (gapTop - len >= below) return gapTop - len;
      if (i >= 0) top = this.vmas[i].start;
    }
    kerr(ENOMEM);
  }

  mmap(addr: number, len: number, prot: number, opts: {
    fixed?: boolean; noReplace?: boolean; shared?: boolean; source?: MapSource | null; offset?: number;
    growsDown?: boolean; name?: string; fileEnd?: number; sharedAnon?: SharedAnon;
  }): number {
    if (len <= 0) kerr(EINVAL);
    len = pageUp(len);
    if (len > TASK_SIZE) kerr(ENOMEM);
    // do_mmap: too many mappings already (the new one may take the count one past).
    if (this.vmas.length > this.phys.maxMapCount) kerr(ENOMEM);
    let start: number;
    if (opts.fixed || opts.noReplace) {
      if (addr % PAGE_SIZE) kerr(EINVAL);
      if (addr + len > TASK_SIZE || addr < MMAP_MIN_ADDR) kerr(opts.noReplace ? EEXIST : ENOMEM);
      if (opts.noReplace && this.overlaps(addr, addr + len)) kerr(EEXIST);
      this.unmap(addr, len);
      start = addr;
    } else {
      start = this.unmappedArea(len, addr);
    }
    const source = opts.source ?? null;
    const vma = new Vma(start, start + len, prot, !!opts.shared, source, opts.offset ?? 0,
      opts.fileEnd ?? Infinity, opts.name ?? "", !!opts.growsDown);
    if (opts.shared && !source) {
      vma.sharedAnon = opts.sharedAnon ?? new SharedAnon();
      vma.sharedAnon.refs++;
    }
    if (this.lockFuture) vma.locked = true;
    this.insert(vma);
    return start;
  }

  // Drops the pages of [start, end) and the VMAs there.
  unmap(start: number, len: number): void {
    if (start % PAGE_SIZE) kerr(EINVAL);
    const end = start + pageUp(len);
    if (!this.overlaps(start, end)) return;
    // A hole inside one VMA leaves one more: refused at vm.max_map_count so
    // that munmap never ends past the limit (other unmaps may pass it for a
    // moment, as Linux lets them, to free what they can).
    const first = this.vmas[this.indexAfter(start)];
    if (first.start < start && end < first.end && this.vmas.length >= this.phys.maxMapCount) kerr(ENOMEM);
    const [i, j] = this.carve(start, end, false);
    this.zap(start, end);
    for (const v of this.vmas.splice(i, j - i)) this.releaseVma(v);
  }

  // A VMA has left the address space (already out of this.vmas).
  private releaseVma(v: Vma): void {
    if (isSharedFile(v)) {
      // Its dirty pages go back to the file (Ghost has no flusher thread to do
      // it later); the pages stay cached (as Linux's page cache) until memory
      // pressure trims them. A failure is logged by the cache, never thrown:
      // munmap, exit and exec always complete, as on Linux.
      const key = v.source.key;
      this.phys.cache.writeBack(key);
      if (!this.vmas.some((o) => isSharedFile(o) && o.source.key === key)) this.phys.cache.dropMapper(key, this);
    }
    const s = v.sharedAnon;
    if (s && --s.refs === 0) s.freePages(this.phys);
    s?.onUnref?.();
    // A tmpfs file gone but for its mappings may have lost its last one.
    if (v.source && this.phys.deferredCount > 0) this.phys.sweepDeferred();
  }

  // Writeback made a page clean: its PTEs here lose write permission so
  // the next store faults and dirties it again (Linux's page_mkclean).
  writeProtectFilePage(key: object, index: number, pa: number): void {
    const off = index * PAGE_SIZE;
    for (const v of this.vmas) {
      if (!isSharedFile(v) || v.source.key !== key) continue;
      if (off < v.offset || off >= v.offset + (v.end - v.start)) continue;
      const va = v.start + (off - v.offset);
      const pte = this.pt.get(va);
      if (!(pte & PTE_V) || ptePa(pte) !== pa || !(pte & PTE_W)) continue;
      this.pt.set(va, (pte & ~(PTE_W | PTE_D)) >>> 0);
      this.invalidate(va);
    }
  }

  // mremap: resize a mapping in place, or move it (its pages move with it, not copied).
  mremap(old: number, oldLen: number, newLen: number, mayMove: boolean, fixedAt: number | null): number {
    if (old % PAGE_SIZE || newLen <= 0) kerr(EINVAL);
    oldLen = pageUp(oldLen);
    newLen = pageUp(newLen);
    const vma = this.findVma(old);
    if (!vma || oldLen === 0 || old + oldLen > vma.end) kerr(EFAULT);
    if (fixedAt !== null) {
      if (fixedAt % PAGE_SIZE || fixedAt + newLen > TASK_SIZE) kerr(EINVAL);
      if (fixedAt < old + oldLen && old < fixedAt + newLen) kerr(EINVAL);
      this.unmap(fixedAt, newLen);
      if (newLen < oldLen) { this.unmap(old + newLen, oldLen - newLen); oldLen = newLen; }
      this.move(old, oldLen, fixedAt, newLen);
      return fixedAt;
    }
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.unmap(old + newLen, oldLen - newLen);
      return old;
    }
    // Grow in place when the VMA ends here and the space after is free.
    if (old + oldLen === vma.end && !this.overlaps(vma.end, old + newLen) && old + newLen <= TASK_SIZE) {
      vma.end = old + newLen;
      this.mergeAround(this.vmas.indexOf(vma));
      return old;
    }
    if (!mayMove) kerr(ENOMEM);
    const dest = this.unmappedArea(newLen, 0);
    this.move(old, oldLen, dest, newLen);
    return dest;
  }

  private move(old: number, oldLen: number, dest: number, newLen: number): void {
    // move_vma: up to three more VMAs (splits at both ends, the new one).
    if (this.vmas.length >= this.phys.maxMapCount - 3) kerr(ENOMEM);
    const [i, j] = this.carve(old, old + oldLen, false);
    const src = this.vmas[i];
    const moved = src.clone();
    moved.start = dest;
    moved.end = dest + newLen;
    if (moved.fileEnd !== Infinity) moved.fileEnd += dest - old;
    const dv = this.hart.dv;
    const ptes: [number, number][] = [];
    this.pt.forEach(old, old + oldLen, (va, off, pte) => { ptes.push([va, pte]); dv.setUint32(off, 0, true); });
    for (const [va, pte] of ptes) this.pt.set(dest + (va - old), pte);
    this.vmas.splice(i, j - i);
    this.insert(moved);
    this.invalidateRange(old, old + oldLen);
    this.invalidateRange(dest, dest + newLen);
  }

  // msync: dirty shared file pages of the range go back to their files.
  // ENOMEM if part is unmapped. With sync (MS_SYNC), returns the errno of a
  // failed writeback, as Linux's msync reports the file's writeback errors.
  msync(start: number, len: number, sync: boolean): number {
    const end = start + pageUp(len);
    this.requireMapped(start, end);
    let err = 0;
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (!isSharedFile(v)) continue;
      const first = fileIndex(v, Math.max(start, v.start));
      const last = fileIndex(v, Math.min(end, v.end)) - 1;
      const r = sync ? this.phys.cache.sync(v.source.key, first, last) : this.phys.cache.writeBack(v.source.key, first, last);
      if (r && !err) err = r;
    }
    return err;
  }

  // mincore: one byte per page, 1 when the page is resident. A page this
  // process has not mapped yet is resident when its shared object or file
  // holds it (Linux's mincore_page on the mapping's page cache): a page
  // another process faulted in or locked in a shared mapping counts.
  residency(start: number, len: number): Uint8Array {
    const end = start + pageUp(len);
    this.requireMapped(start, end);
    const out = new Uint8Array((end - start) / PAGE_SIZE);
    this.pt.forEach(start, end, (va) => { out[(va - start) / PAGE_SIZE] = 1; });
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (!v.sharedAnon && !v.source) continue;
      for (let a = Math.max(v.start, start); a < Math.min(v.end, end); a += PAGE_SIZE) {
        const at = (a - start) / PAGE_SIZE;
        if (out[at]) continue;
        const index = fileIndex(v, a);
        if (v.sharedAnon ? v.sharedAnon.pages.has(index) : this.phys.cache.has(v.source!.key, index)) out[at] = 1;
      }
    }
    return out;
  }

  // Every page of [start, end) must belong to some VMA (else ENOMEM).
  requireMapped(start: number, end: number): void {
    let at = start;
    for (let i = this.indexAfter(start); at < end; i++) {
      const v = this.vmas[i];
      if (!v || v.start > at) kerr(ENOMEM);
      at = v.end;
    }
  }

  // MADV_DONTFORK / DOFORK / WIPEONFORK / KEEPONFORK on a range.
  setForkFlags(start: number, len: number, change: (v: Vma) => void): void {
    const end = start + pageUp(len);
    this.requireMapped(start, end);
    const [i, j] = this.carve(start, end);
    for (let k = i; k < j; k++) change(this.vmas[k]);
    for (let k = j - 1; k >= i; k--) this.mergeAround(Math.min(k, this.vmas.length - 1));
  }

  // MADV_DONTNEED: the pages go; private ones refault as zero (or file) pages.
  dropPages(start: number, len: number): void {
    if (start % PAGE_SIZE) kerr(EINVAL);
    this.zap(start, start + pageUp(len));
  }

  // Clears the PTEs of [start, end), releasing their frames.
  private zap(start: number, end: number): void {
    const dv = this.hart.dv;
    this.pt.forEach(start, end, (_va, off, pte) => {
      dv.setUint32(off, 0, true);
      if (!this.phys.isZeroPage(ptePa(pte))) this.rssPages--;
      this.phys.put(ptePa(pte));
    });
    this.invalidateRange(start, end);
  }

  // mlock/munlock: marks [start, end) locked or not; locking faults every
  // readable page in now (writable private pages get their own copy), unless
  // onFault. ENOMEM when part of the range is unmapped.
  setLocked(start: number, end: number, on: boolean, onFault = false): void {
    this.requireMapped(start, end);
    const [i, j] = this.carve(start, end);
    for (let k = i; k < j; k++) {
      const v = this.vmas[k];
      v.locked = on;
      if (on && !onFault) this.populateVma(v, v.start, v.end);
    }
    for (let k = j - 1; k >= i; k--) this.mergeAround(Math.min(k, this.vmas.length - 1));
  }

  // mseal: seals [start, end); ENOMEM (and nothing sealed) when part is unmapped.
  seal(start: number, end: number): void {
    this.requireMapped(start, end);
    const [i, j] = this.carve(start, end);
    for (let k = i; k < j; k++) this.vmas[k].sealed = true;
    for (let k = j - 1; k >= i; k--) this.mergeAround(Math.min(k, this.vmas.length - 1));
  }

  // Where the first VMA in [start, end) that matches begins (clipped to start), or null (a sealed one: EPERM).
  firstIn(start: number, end: number, pred: (v: Vma) => boolean): number | null {
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      if (pred(this.vmas[i])) return Math.max(this.vmas[i].start, start);
    }
    return null;
  }

  // MAP_POPULATE: faults the readable pages of [start, end) in now.
  populate(start: number, end: number): void {
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      this.populateVma(v, Math.max(v.start, start), Math.min(v.end, end));
    }
  }

  // Writable private pages get their own copy, as Linux's populate faults for write.
  // At most as many pages as memory has free frames: past that Linux would be
  // out of memory, and a range of terabytes must not hold the kernel for minutes.
  private populateVma(v: Vma, start: number, end: number): void {
    // As populate_vma_page_range, any accessible VMA is populated (FOLL_FORCE): a write-only one by
    // writing (a shared one too — it has no read access to fault with), an exec-only one by executing.
    if (!(v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return;
    const acc = (v.prot & PROT_WRITE) && (!v.shared || !(v.prot & PROT_READ)) ? ACC_W : v.prot & PROT_READ ? ACC_R : ACC_X;
    let budget = this.phys.freeFrames;
    for (let a = start; a < end && budget > 0; a += PAGE_SIZE, budget--) {
      if (!(this.pt.get(a) & PTE_V) || acc === ACC_W) this.handleFault(a, acc);
    }
  }

  // Bytes in locked VMAs (VmLck).
  get lockedBytes(): number { return this.vmas.reduce((n, v) => n + (v.locked ? v.end - v.start : 0), 0); }
  // Bytes of [start, end) already locked (count_mm_mlocked_page_nr).
  lockedIn(start: number, end: number): number {
    let n = 0;
    for (let i = this.indexAfter(start); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const v = this.vmas[i];
      if (v.locked) n += Math.min(v.end, end) - Math.max(v.start, start);
    }
    return n;
  }
  // mlockall(MCL_FUTURE): new mappings are locked too.
  lockFuture = false;

  mprotect(start: number, len: number, prot: number): void {
    if (start % PAGE_SIZE) kerr(EINVAL);
    const end = start + pageUp(len);
    this.requireMapped(start, end);
    if (prot & PROT_WRITE) {
      for (const v of this.vmas) {
        if (v.end > start && v.start < end && v.shared && (v.source?.mayWrite === false || v.sharedAnon?.mayWrite === false)) kerr(EACCES);
      }
    }
    const [i, j] = this.carve(start, end);
    for (let k = i; k < j; k++) this.vmas[k].prot = prot;
    const dv = this.hart.dv;
    this.pt.forEach(start, end, (va, off, pte) => {
      const keep = pte & ~(PTE_R | PTE_W | PTE_X);
      dv.setUint32(off, (keep | this.pagePerms(this.findVma(va)!, va, pte)) >>> 0, true);
    });
    this.invalidateRange(start, end);
    for (let k = j - 1; k >= i; k--) this.mergeAround(Math.min(k, this.vmas.length - 1));
  }

  setBrk(newBrk: number): number {
    if (newBrk < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk), newTop = pageUp(newBrk);
    if (newTop > oldTop) {
      if (this.overlaps(oldTop, newTop + STACK_GUARD_GAP * 0)) return this.brk;
      if (this.vmas.length > this.phys.maxMapCount) return this.brk; // do_brk_flags: too many mappings
      const vma = new Vma(oldTop, newTop, PROT_READ | PROT_WRITE, false, null, 0, Infinity, "[heap]");
      vma.locked = this.lockFuture;
      this.insert(vma);
    } else if (newTop < oldTop) {
      this.unmap(newTop, oldTop - newTop);
    }
    this.brk = newBrk;
    return newBrk;
  }

  // Resolves a fault at va for an access kind. Returns 0 when the access may
  // now proceed, or the SIGSEGV si_code (SEGV_MAPERR, SEGV_ACCERR).
  handleFault(va: number, acc: number): number {
    let vma = this.findVma(va);
    if (!vma) {
      vma = this.growStack(va);
      if (!vma) return SEGV_MAPERR;
    }
    const need = acc === ACC_R ? PROT_READ : acc === ACC_W ? PROT_WRITE : PROT_EXEC;
    if ((vma.prot & need) === 0) return SEGV_ACCERR;
    const page = pageDown(va);
    const pte = this.pt.get(page);
    if (pte & PTE_V) {
      if (acc === ACC_W && (pte & PTE_COW)) { this.breakCow(page, pte, vma); return 0; }
      // The first store to a clean shared file page dirties it (Linux's do_wp_page → page_mkwrite).
      if (acc === ACC_W && isSharedFile(vma)) this.phys.cache.markDirty(vma.source.key, fileIndex(vma, page));
      // Permissions lag the VMA (or the TLB was stale): rewrite the PTE from the VMA.
      this.pt.set(page, ((pte & ~(PTE_R | PTE_W | PTE_X)) | this.pagePerms(vma, page, pte)) >>> 0);
      this.invalidate(page);
      return 0;
    }
    return this.fillPage(vma, page, acc) ? 0 : SIGBUS_ADRERR;
  }

  // R/W/X bits of the PTE of a present page: the VMA's, less write for a
  // copy-on-write page, and for a clean page of a shared file mapping (so
  // the store that would dirty it faults first).
  private pagePerms(vma: Vma, page: number, pte: number): number {
    let f = protToPte(vma.prot);
    if (pte & PTE_COW) f &= ~PTE_W;
    if ((f & PTE_W) && isSharedFile(vma) && !this.phys.cache.isDirty(vma.source.key, fileIndex(vma, page))) f &= ~PTE_W;
    return f;
  }

  private growStack(va: number): Vma | undefined {
    const i = this.indexAfter(va);
    const v = this.vmas[i];
    if (!v || !v.growsDown || va >= v.start) return undefined;
    const newStart = pageDown(va);
    if (v.end - newStart > this.stackLimit) return undefined;
    const prev = this.vmas[i - 1];
    if (prev && prev.end + STACK_GUARD_GAP > newStart) return undefined;
    v.start = newStart;
    v.offset = 0;
    return v;
  }

  // Fills a page on demand; false when a file mapping's page lies wholly past the file's end (SIGBUS).
  private fillPage(vma: Vma, page: number, acc: number): boolean {
    let pa: number;
    let cow = 0;
    let readOnly = false;
    const shared = vma.sharedAnon;
    const index = fileIndex(vma, page);
    if (shared) {
      const have = shared.pages.get(index);
      if (have !== undefined) { pa = have; this.phys.get(pa); }
      else { pa = this.phys.alloc(); this.phys.get(pa); shared.pages.set(index, pa); }
    } else if (isSharedFile(vma)) {
      if (index * PAGE_SIZE >= pageUp(vma.source.size())) return false;
      const cache = this.phys.cache;
      pa = cache.getPage(vma.source.key, vma.source, index, this);
      // Only a store dirties the page; a clean one is mapped without write permission.
      if (acc === ACC_W) cache.markDirty(vma.source.key, index);
      else readOnly = !cache.isDirty(vma.source.key, index);
    } else if (vma.source && acc !== ACC_W && page + PAGE_SIZE <= vma.fileEnd) {
      // A private page wholly from the file: the page cache's own frame, copied
      // on the first write (so the text of a program is one set of frames, and
      // one set of JIT translations, for every process running it).
      if (vma.offset + (page - vma.start) >= pageUp(vma.source.size())) return false;
      pa = this.phys.cache.getPage(vma.source.key, vma.source, index, null);
      cow = PTE_COW;
      this.faultAround(vma, page);
    } else if (!vma.source && acc !== ACC_W) {
      // A read of never-written private anonymous memory: the zero page,
      // copied on the first write (Linux's do_anonymous_page). It is not
      // counted in the resident set.
      vma.anon = true;
      pa = this.phys.zeroPage();
      this.phys.get(pa);
      this.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_COW | (protToPte(vma.prot) & ~PTE_W)));
      this.invalidate(page);
      return true;
    } else {
      if (vma.source && vma.fileEnd === Infinity && vma.offset + (page - vma.start) >= pageUp(vma.source.size())) return false;
      pa = this.phys.alloc();
      vma.anon = true;
      if (vma.source && page < vma.fileEnd) {
        const bytes = this.phys.view(pa);
        const want = Math.min(PAGE_SIZE, vma.fileEnd - page);
        try {
          if (want === PAGE_SIZE) {
            // A store to a private page wholly from the file (do_cow_fault):
            // the file's page is read through the page cache and copied, so it
            // is cached afterwards as on Linux (mincore, a later read).
            const src = this.phys.cache.getPage(vma.source.key, vma.source, index, null);
            bytes.set(this.phys.view(src));
            this.phys.put(src);
          } else {
            vma.source.readAt(vma.offset + (page - vma.start), bytes.subarray(0, want));
          }
        } catch (err) { this.phys.put(pa); throw err; }
      }
    }
    this.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_D | cow | (protToPte(vma.prot) & ~(cow || readOnly ? PTE_W : 0))));
    this.rssPages++;
    this.invalidate(page);
    return true;
  }

  // Linux's fault-around (do_fault_around, fault_around_bytes = 64 KiB): a
  // read fault on a private file mapping also maps the pages of the same
  // aligned 64 KiB window that the page cache already holds, read-only and
  // copy-on-write as the faulting page, so a program's text costs one fault
  // per window instead of one per page. Pages not cached are left to their
  // own faults (no read is started here), as filemap_map_pages does. The
  // pages are resident and counted as such (Linux adds them to MM_FILEPAGES).
  // They had no valid entry, so no TLB entry can be stale.
  private faultAround(vma: Vma, page: number): void {
    const src = vma.source!;
    const from = Math.max(vma.start, page - (page % FAULT_AROUND_BYTES));
    const to = Math.min(vma.end, from + FAULT_AROUND_BYTES, vma.fileEnd === Infinity ? Infinity : pageDown(vma.fileEnd));
    const cache = this.phys.cache;
    const fileEnd = src.size();
    const flags = PTE_V | PTE_U | PTE_A | PTE_D | PTE_COW | (protToPte(vma.prot) & ~PTE_W);
    for (let va = from; va < to; va += PAGE_SIZE) {
      if (va === page) continue;
      const index = fileIndex(vma, va);
      if (index * PAGE_SIZE >= fileEnd || !cache.has(src.key, index)) continue;
      const off = this.pt.leaf(va, true);
      if (this.hart.dv.getUint32(off, true) & PTE_V) continue;
      const pa = cache.getPage(src.key, src, index, null);
      this.hart.dv.setUint32(off, makePte(pa, flags), true);
      this.hart.dv.setUint32(off + 4, 0, true);
      this.rssPages++;
    }
  }

  private breakCow(page: number, pte: number, vma: Vma): void {
    vma.anon = true;
    const old = ptePa(pte);
    let pa = old;
    if (this.phys.isZeroPage(old)) {
      pa = this.phys.alloc();
      this.phys.put(old);
      this.rssPages++;
    } else if (this.phys.refCount(old) > 1) {
      pa = this.phys.alloc(false);
      this.phys.view(pa).set(this.phys.view(old));
      this.phys.put(old);
    }
    this.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_D | protToPte(vma.prot)));
    this.invalidate(page);
  }

  // membarrier(2) commands registered for this address space (REGISTER_* bits).
  membarrierRegistered = 0;

  // A copy for fork: private pages become copy-on-write in both.
  fork(): AddressSpace {
    const child = new AddressSpace(this.hart, this.phys);
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.mmapBase = this.mmapBase;
    child.stackLimit = this.stackLimit;
    child.sigreturnTrampoline = this.sigreturnTrampoline;
    child.argStart = this.argStart; child.argEnd = this.argEnd; child.envStart = this.envStart; child.envEnd = this.envEnd;
    child.exePath = this.exePath; child.exePathRef = this.exePathRef; child.auxv = this.auxv;
    child.exeDenyWrite = this.exeDenyWrite;
    if (child.exeDenyWrite) child.exeDenyWrite.denyWrite++;
    child.startCode = this.startCode; child.endCode = this.endCode; child.startData = this.startData;
    child.endData = this.endData; child.startStack = this.startStack;
    child.membarrierRegistered = this.membarrierRegistered; // a fork keeps the mm's registrations (an exec starts a new mm)
    const dv = this.hart.dv;
    // The parent's pages made read-only here: only their TLB entries are
    // stale (what stays mapped as it was keeps its entries, so the parent
    // does not refill its whole TLB and dispatch map after every fork).
    let cowed = 0;
    const cowedPages = cowScratch;
    for (const v of this.vmas) {
      if (v.dontFork) continue;
      const c = v.clone();
      c.locked = false; // memory locks are not inherited (fork(2))
      if (c.sharedAnon) c.sharedAnon.refs++;
      if (isSharedFile(c)) this.phys.cache.addMapper(c.source.key, child);
      child.vmas.push(c);
      if (v.wipeOnFork && !v.shared) continue; // the child faults in zero pages
      // A file mapping with no page of its own (a program's text, a shared
      // file): the child finds every page in the page cache when it touches
      // it, as Linux's copy_page_range skips such a vma. A process that
      // forks and execs then copies and tears down no PTE of its text.
      if (v.source && !v.anon) continue;
      this.pt.forEach(v.start, v.end, (va, off, pte) => {
        let p = pte;
        if (!v.shared) {
          if (p & PTE_W) {
            if (cowed < COW_FLUSH_PAGES) cowedPages[cowed] = va;
            cowed++;
          }
          p = ((p & ~PTE_W) | PTE_COW) >>> 0;
          dv.setUint32(off, p, true);
        }
        this.phys.get(ptePa(p));
        child.pt.set(va, p);
        if (!this.phys.isZeroPage(ptePa(p))) child.rssPages++;
      });
    }
    if (cowed > COW_FLUSH_PAGES || !this.isCurrent) this.invalidateRange(0, TASK_SIZE);
    else for (let i = 0; i < cowed; i++) this.invalidate(cowedPages[i]);
    return child;
  }

  private destroyed = false;

  // Frees every page and table. Once only: the mappings are detached before
  // anything is released, so a failure part-way can leak frames but never
  // free one twice.
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.exeDenyWrite) { this.exeDenyWrite.denyWrite--; this.exeDenyWrite = null; }
    const vmas = this.vmas;
    this.vmas = [];
    for (const v of vmas) this.pt.forEach(v.start, v.end, (_va, _off, pte) => this.phys.put(ptePa(pte)));
    for (const v of vmas) this.releaseVma(v);
    this.pt.destroy();
    // No TLB flush: this ASID is never handed out again in this generation,
    // and a new generation starts with every entry dropped (newAsid), so
    // its stale entries can never be hit. (Scanning the three TLBs and the
    // JIT's dispatch map here cost about a tenth of every fork+exec+exit.)
    if (this.hart.currentMm === this) this.hart.currentMm = undefined;
  }

  get totalVmPages(): number {
    let n = 0;
    for (const v of this.vmas) n += (v.end - v.start) / PAGE_SIZE;
    return n;
  }
}

export { ACC_R, ACC_W, ACC_X, PTE_U };
