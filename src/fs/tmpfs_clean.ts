// Clean pages of lazily read tmpfs files (a root filled from a host
// directory or a cpio archive: tmpfs.ts setLazyContents) are page cache over
// their source, as a file's pages over a disk are on Linux: under memory
// pressure the kernel drops those no mapping holds and reads them again on
// the next use (shrink_page_list on clean, unmapped file pages). So a root
// larger than guest RAM reads whole, as often as the guest likes, instead of
// filling RAM once and answering ENOMEM after.
//
// The files with clean pages are kept in the order they last read from
// their source, and pressure takes from the one that read longest ago first
// (an LRU by file, as Linux's inactive list is by page). A page written, or
// held by a mapping or the page cache (its frame has another reference),
// is never dropped: only the source's bytes are.

import type { PhysAllocator, Shrinker } from "../mm/phys.js";

// Pages freed by one shrink under pressure (Linux's SWAP_CLUSTER_MAX is 32;
// a larger batch makes fewer passes over the files for a big read).
const SHRINK_BATCH = 256;

// A file whose clean pages can go: drops up to max of them, returns how many went.
export interface CleanHolder {
  dropClean(max: number): number;
}

export class CleanPages implements Shrinker {
  // Dropped by echo 1 > /proc/sys/vm/drop_caches, as page cache.
  readonly pageCache = true;
  // A kernel charge (tmpfs data, a pipe, a socket) does not push program text
  // out: RAM would fill with that data and the program's next fault would
  // call the OOM killer where the charge was to fail (phys.ts, reclaim).
  readonly faultOnly = true;
  private readonly files = new Set<CleanHolder>(); // least recently read first

  // The file read from its source just now: it goes to the young end.
  touch(f: CleanHolder): void {
    this.files.delete(f);
    this.files.add(f);
  }
  forget(f: CleanHolder): void { this.files.delete(f); }

  shrink(all: boolean): boolean {
    const goal = all ? Infinity : SHRINK_BATCH;
    let freed = 0;
    for (const f of [...this.files]) {
      freed += f.dropClean(goal - freed);
      if (freed >= goal) break;
    }
    return freed > 0;
  }
}

const byPool = new WeakMap<PhysAllocator, CleanPages>();

// The clean-page list of a kernel's physical memory, registered as its shrinker.
export function cleanPagesOf(phys: PhysAllocator): CleanPages {
  let c = byPool.get(phys);
  if (!c) {
    c = new CleanPages();
    byPool.set(phys, c);
    phys.registerShrinker(c);
  }
  return c;
}
