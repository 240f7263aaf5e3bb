// Page faults (Linux's mm/memory.c): a fault fills the page on demand from
// its VMA (zero page, anonymous page, page cache frame, shared object),
// grows the stack, and breaks copy-on-write on a store.

import { ACC_R, ACC_W } from "../arch/riscv64/layout.js";
import { PAGE_SIZE } from "./phys.js";
import { PTE_A, PTE_COW, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, makePte, ptePa } from "./pagetable.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, Vma, isSharedFile, fileIndex } from "./vma.js";
import { STACK_GUARD_GAP, SEGV_MAPERR, SEGV_ACCERR, SIGBUS_ADRERR, pageDown, pageUp } from "./layout.js";
import type { AddressSpace } from "./mm.js";

const FAULT_AROUND_BYTES = 16 * PAGE_SIZE;

// The R/W/X bits of a VMA's protection.
export function protToPte(prot: number): number {
  let f = 0;
  if (prot & PROT_READ) f |= PTE_R;
  if (prot & PROT_WRITE) f |= PTE_R | PTE_W; // W without R is reserved in RISC-V
  if (prot & PROT_EXEC) f |= PTE_X;
  return f;
}

// Resolves a fault at va for an access kind. Returns 0 when the access may
// now proceed, or the SIGSEGV si_code (SEGV_MAPERR, SEGV_ACCERR).
export function handleFault(mm: AddressSpace, va: number, acc: number): number {
  let vma = mm.findVma(va);
  if (!vma) {
    vma = growStack(mm, va);
    if (!vma) return SEGV_MAPERR;
  }
  const need = acc === ACC_R ? PROT_READ : acc === ACC_W ? PROT_WRITE : PROT_EXEC;
  if ((vma.prot & need) === 0) return SEGV_ACCERR;
  const page = pageDown(va);
  const pte = mm.pt.get(page);
  if (pte & PTE_V) {
    if (acc === ACC_W && (pte & PTE_COW)) { breakCow(mm, page, pte, vma); return 0; }
    // The first store to a clean shared file page dirties it (Linux's do_wp_page → page_mkwrite).
    if (acc === ACC_W && isSharedFile(vma)) mm.phys.cache.markDirty(vma.source.key, fileIndex(vma, page));
    // Permissions lag the VMA (or the TLB was stale): rewrite the PTE from the VMA.
    mm.pt.set(page, ((pte & ~(PTE_R | PTE_W | PTE_X)) | pagePerms(mm, vma, page, pte)) >>> 0);
    mm.invalidate(page);
    return 0;
  }
  return fillPage(mm, vma, page, acc) ? 0 : SIGBUS_ADRERR;
}

// R/W/X bits of the PTE of a present page: the VMA's, less write for a
// copy-on-write page, and for a clean page of a shared file mapping (so
// the store that would dirty it faults first).
export function pagePerms(mm: AddressSpace, vma: Vma, page: number, pte: number): number {
  let f = protToPte(vma.prot);
  if (pte & PTE_COW) f &= ~PTE_W;
  if ((f & PTE_W) && isSharedFile(vma) && !mm.phys.cache.isDirty(vma.source.key, fileIndex(vma, page))) f &= ~PTE_W;
  return f;
}

function growStack(mm: AddressSpace, va: number): Vma | undefined {
  const i = mm.indexAfter(va);
  const v = mm.vmas[i];
  if (!v || !v.growsDown || va >= v.start) return undefined;
  const newStart = pageDown(va);
  if (v.end - newStart > mm.stackLimit) return undefined;
  const prev = mm.vmas[i - 1];
  if (prev && prev.end + STACK_GUARD_GAP > newStart) return undefined;
  v.start = newStart;
  v.offset = 0;
  return v;
}

// Fills a page on demand; false when a file mapping's page lies wholly past the file's end (SIGBUS).
function fillPage(mm: AddressSpace, vma: Vma, page: number, acc: number): boolean {
  let pa: number;
  let cow = 0;
  let readOnly = false;
  const shared = vma.sharedAnon;
  const index = fileIndex(vma, page);
  if (shared) {
    const have = shared.pages.get(index);
    if (have !== undefined) { pa = have; mm.phys.get(pa); }
    else { pa = mm.phys.alloc(); mm.phys.get(pa); shared.pages.set(index, pa); }
  } else if (isSharedFile(vma)) {
    if (index * PAGE_SIZE >= pageUp(vma.source.size())) return false;
    const cache = mm.phys.cache;
    pa = cache.getPage(vma.source.key, vma.source, index, mm);
    // Only a store dirties the page; a clean one is mapped without write permission.
    if (acc === ACC_W) cache.markDirty(vma.source.key, index);
    else readOnly = !cache.isDirty(vma.source.key, index);
  } else if (vma.source && acc !== ACC_W && page + PAGE_SIZE <= vma.fileEnd) {
    // A private page wholly from the file: the page cache's own frame, copied
    // on the first write (so the text of a program is one set of frames, and
    // one set of JIT translations, for every process running it).
    if (vma.offset + (page - vma.start) >= pageUp(vma.source.size())) return false;
    pa = mm.phys.cache.getPage(vma.source.key, vma.source, index, null);
    cow = PTE_COW;
    faultAround(mm, vma, page);
  } else if (!vma.source && acc !== ACC_W) {
    // A read of never-written private anonymous memory: the zero page,
    // copied on the first write (Linux's do_anonymous_page). It is not
    // counted in the resident set.
    vma.anon = true;
    pa = mm.phys.zeroPage();
    mm.phys.get(pa);
    mm.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_COW | (protToPte(vma.prot) & ~PTE_W)));
    mm.invalidate(page);
    return true;
  } else {
    if (vma.source && vma.fileEnd === Infinity && vma.offset + (page - vma.start) >= pageUp(vma.source.size())) return false;
    pa = mm.phys.alloc();
    vma.anon = true;
    if (vma.source && page < vma.fileEnd) {
      const want = Math.min(PAGE_SIZE, vma.fileEnd - page);
      try {
        // The file's page through the page cache, copied (do_cow_fault;
        // cached afterwards as on Linux: mincore, a later read, the next exec
        // of the program). A page the mapping's file part ends in (an ELF
        // segment's last page, before its bss) takes only the bytes up to
        // that end; the rest stays zero.
        const src = mm.phys.cache.getPage(vma.source.key, vma.source, index, null);
        const bytes = mm.phys.view(pa); // (after getPage: reading the page in may grow the memory)
        bytes.set(want === PAGE_SIZE ? mm.phys.view(src) : mm.phys.view(src).subarray(0, want));
        mm.phys.put(src);
      } catch (err) { mm.phys.put(pa); throw err; }
    }
  }
  mm.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_D | cow | (protToPte(vma.prot) & ~(cow || readOnly ? PTE_W : 0))));
  mm.rssPages++;
  mm.invalidate(page);
  return true;
}

// Linux's fault-around (do_fault_around, fault_around_bytes = 64 KiB): a
// read fault on a private file mapping also maps the pages of the same
// aligned 64 KiB window that the page cache already holds, read-only and
// copy-on-write as the faulting page, so a program's text costs one fault
// per window instead of one per page. Pages not cached are left to their
// own faults (no read is started here), as filemap_map_pages does. The
// pages are resident and counted as such (Linux adds them to MM_FILEPAGES).
// They had no valid entry, so no TLB entry can be stale. Kept on measure
// (CPU-time pairs, 5 each, load ~25): without it a fork+exec+wait loop took
// ~13% more CPU, a shell loop of /bin/true ~3% more.
function faultAround(mm: AddressSpace, vma: Vma, page: number): void {
  const src = vma.source!;
  const from = Math.max(vma.start, page - (page % FAULT_AROUND_BYTES));
  const to = Math.min(vma.end, from + FAULT_AROUND_BYTES, vma.fileEnd === Infinity ? Infinity : pageDown(vma.fileEnd));
  const cache = mm.phys.cache;
  const fileEnd = src.size();
  const flags = PTE_V | PTE_U | PTE_A | PTE_D | PTE_COW | (protToPte(vma.prot) & ~PTE_W);
  for (let va = from; va < to; va += PAGE_SIZE) {
    if (va === page) continue;
    const index = fileIndex(vma, va);
    if (index * PAGE_SIZE >= fileEnd || !cache.has(src.key, index)) continue;
    const off = mm.pt.leaf(va, true);
    if (mm.hart.dv.getUint32(off, true) & PTE_V) continue;
    const pa = cache.getPage(src.key, src, index, null);
    mm.hart.dv.setUint32(off, makePte(pa, flags), true);
    mm.hart.dv.setUint32(off + 4, 0, true);
    mm.rssPages++;
  }
}

function breakCow(mm: AddressSpace, page: number, pte: number, vma: Vma): void {
  vma.anon = true;
  const old = ptePa(pte);
  let pa = old;
  if (mm.phys.isZeroPage(old)) {
    pa = mm.phys.alloc();
    mm.phys.put(old);
    mm.rssPages++;
  } else if (mm.phys.refCount(old) > 1) {
    pa = mm.phys.alloc(false);
    mm.phys.view(pa).set(mm.phys.view(old));
    mm.phys.put(old);
  }
  mm.pt.set(page, makePte(pa, PTE_V | PTE_U | PTE_A | PTE_D | protToPte(vma.prot)));
  mm.invalidate(page);
}
