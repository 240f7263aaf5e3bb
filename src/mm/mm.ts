// An address space (Linux's mm_struct): its page table, its VMAs, brk, and
// the changes to its mappings (mmap, munmap, mremap, mprotect, mlock…). Its
// page faults are in fault.ts, fork's copy-on-write copy in cow.ts.

import type { Hart } from "../arch/riscv64/hart.js";
import { ACC_R, ACC_W, ACC_X } from "../arch/riscv64/layout.js";
import { kerr } from "../lib/errors.js";
import { EEXIST, EINVAL, ENOMEM, EFAULT, EACCES } from "../abi/errno.js";
import { PAGE_SIZE, type PhysAllocator } from "./phys.js";
import { PageTable, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, ptePa } from "./pagetable.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, SharedAnon, Vma, isSharedFile, fileIndex, type MapSource } from "./vma.js";
import type { CacheMapper } from "./pagecache.js";
import { STACK_TOP, TASK_SIZE, STACK_GUARD_GAP, MMAP_MIN_ADDR, SEGV_MAPERR, SEGV_ACCERR, SIGBUS_ADRERR, pageDown, pageUp } from "./layout.js";
import { handleFault, pagePerms } from "./fault.js";
import { copyMm } from "./cow.js";

export { STACK_TOP, TASK_SIZE, STACK_GUARD_GAP, MMAP_MIN_ADDR, SEGV_MAPERR, SEGV_ACCERR, SIGBUS_ADRERR, pageDown, pageUp };

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
  // The most pages ever resident, as Linux's hiwater_rss: brought up to
  // date only before pages are dropped (update_hiwater_rss), so the peak is
  // max(hiwaterRss, rssPages) (get_mm_hiwater_rss; getrusage's ru_maxrss).
  hiwaterRss = 0;
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

  // TLB upkeep after a PTE changed (also for fault.ts and cow.ts).
  invalidate(va: number): void {
    if (this.isCurrent) this.hart.tlbFlushPage(va);
    else if (this.asidLoaded) this.tlbStale = true;
  }

  invalidateRange(start: number, end: number): void {
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
  indexAfter(va: number): number {
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
    if (this.rssPages > this.hiwaterRss) this.hiwaterRss = this.rssPages;
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
      dv.setUint32(off, (keep | pagePerms(this, this.findVma(va)!, va, pte)) >>> 0, true);
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

  // Resolves a fault at va for an access kind (fault.ts). Returns 0 when the
  // access may now proceed, or the SIGSEGV si_code (SEGV_MAPERR, SEGV_ACCERR),
  // or SIGBUS_ADRERR.
  handleFault(va: number, acc: number): number { return handleFault(this, va, acc); }

  // A copy for fork: private pages become copy-on-write in both (cow.ts).
  fork(): AddressSpace { return copyMm(this, new AddressSpace(this.hart, this.phys)); }

  // Its UserMemory (uaccess.ts: UserMemory.of), made at first use.
  userMemory: unknown = null;

  // membarrier(2) commands registered for this address space (REGISTER_* bits).
  membarrierRegistered = 0;

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
    this.pt.destroy(); // every mapped page's frame, and the tables
    for (const v of vmas) this.releaseVma(v);
    // No TLB flush: this ASID is never handed out again in this generation,
    // and a new generation starts with every entry dropped (newAsid), so
    // its stale entries can never be hit. (Scanning the three TLBs and the
    // JIT's dispatch map here cost about a tenth of every fork+exec+exit.)
    if (this.hart.currentMm === this) this.hart.currentMm = undefined;
  }

  get maxRssPages(): number { return Math.max(this.hiwaterRss, this.rssPages); }

  get totalVmPages(): number {
    let n = 0;
    for (const v of this.vmas) n += (v.end - v.start) / PAGE_SIZE;
    return n;
  }
}

export { ACC_R, ACC_W, ACC_X, PTE_U };
