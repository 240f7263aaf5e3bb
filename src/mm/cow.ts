// fork's copy of an address space (Linux's dup_mmap and copy_page_range):
// the VMAs are cloned and the private pages become copy-on-write in both
// (fault.ts breaks the sharing on the first store).

import { PTE_COW, PTE_W, ptePa } from "./pagetable.js";
import { isSharedFile } from "./vma.js";
import { TASK_SIZE } from "./layout.js";
import type { AddressSpace } from "./mm.js";

// Past this many pages made copy-on-write, fork drops the parent's whole
// ASID from the TLB instead of page by page (as invalidateRange's 64).
const COW_FLUSH_PAGES = 64;
const cowScratch: number[] = [];

// A copy for fork: private pages become copy-on-write in both.
export function copyMm(mm: AddressSpace, child: AddressSpace): AddressSpace {
  child.brkStart = mm.brkStart;
  child.brk = mm.brk;
  child.mmapBase = mm.mmapBase;
  child.stackLimit = mm.stackLimit;
  child.sigreturnTrampoline = mm.sigreturnTrampoline;
  child.argStart = mm.argStart; child.argEnd = mm.argEnd; child.envStart = mm.envStart; child.envEnd = mm.envEnd;
  child.exePath = mm.exePath; child.exePathRef = mm.exePathRef; child.auxv = mm.auxv;
  child.exeDenyWrite = mm.exeDenyWrite;
  if (child.exeDenyWrite) child.exeDenyWrite.denyWrite++;
  child.startCode = mm.startCode; child.endCode = mm.endCode; child.startData = mm.startData;
  child.endData = mm.endData; child.startStack = mm.startStack;
  child.membarrierRegistered = mm.membarrierRegistered; // a fork keeps the mm's registrations (an exec starts a new mm)
  const hart = mm.hart; // (its dv read at each use: the child's tables allocated on the way may grow the memory)
  // The parent's pages made read-only here: only their TLB entries are
  // stale (what stays mapped as it was keeps its entries, so the parent
  // does not refill its whole TLB and dispatch map after every fork).
  let cowed = 0;
  const cowedPages = cowScratch;
  for (const v of mm.vmas) {
    if (v.dontFork) continue;
    const c = v.clone();
    c.locked = false; // memory locks are not inherited (fork(2))
    if (c.sharedAnon) c.sharedAnon.refs++;
    if (isSharedFile(c)) mm.phys.cache.addMapper(c.source.key, child);
    child.vmas.push(c);
    if (v.wipeOnFork && !v.shared) continue; // the child faults in zero pages
    // A file mapping with no page of its own (a program's text, a shared
    // file): the child finds every page in the page cache when it touches
    // it, as Linux's copy_page_range skips such a vma. A process that
    // forks and execs then copies and tears down no PTE of its text.
    // (Kept on measure: without it a shell loop of /bin/true took ~5% more
    // CPU, a fork+exec+wait loop ~3% more, CPU-time pairs under load.)
    if (v.source && !v.anon) continue;
    mm.pt.forEach(v.start, v.end, (va, off, pte) => {
      let p = pte;
      if (!v.shared) {
        if (p & PTE_W) {
          if (cowed < COW_FLUSH_PAGES) cowedPages[cowed] = va;
          cowed++;
        }
        p = ((p & ~PTE_W) | PTE_COW) >>> 0;
        hart.dv.setUint32(off, p, true);
      }
      mm.phys.get(ptePa(p));
      child.pt.set(va, p);
      if (!mm.phys.isZeroPage(ptePa(p))) child.rssPages++;
    });
  }
  if (cowed > COW_FLUSH_PAGES || !mm.isCurrent) mm.invalidateRange(0, TASK_SIZE);
  else for (let i = 0; i < cowed; i++) mm.invalidate(cowedPages[i]);
  return child;
}
