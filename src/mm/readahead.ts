// Readahead for sequential reads (Linux's mm/readahead.c, on-demand
// readahead): each open file keeps a window (file_ra_state). A read that
// misses the cache at the page after the window, or right after the
// previous read, is sequential and the window grows (×4 while small, ×2
// up to the maximum); any other miss starts a window sized from the
// request. Reaching the window's marker page (the first of its last
// asyncSize pages) reads the next window before it is needed.

// VM_READAHEAD_PAGES: 128 KiB, the default read_ahead_kb of a disk.
export const RA_MAX_PAGES = 32;

export interface RaState {
  start: number; // first page of the current window
  size: number; // pages in it
  asyncSize: number; // the last asyncSize pages: reaching the first of them reads ahead
  prevIndex: number; // last page the previous read touched (-1: none)
}

export const newRaState = (): RaState => ({ start: 0, size: 0, asyncSize: 0, prevIndex: -1 });

// get_init_ra_size: the first window, from the request's size in pages.
export function initRaSize(reqPages: number, max = RA_MAX_PAGES): number {
  let n = 1;
  while (n < reqPages) n *= 2;
  if (n <= max / 32) return n * 4;
  if (n <= max / 4) return n * 2;
  return max;
}

// get_next_ra_size: the window after one of `cur` pages.
export function nextRaSize(cur: number, max = RA_MAX_PAGES): number {
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  return max;
}

// A read of `reqPages` pages from `index` found it missing: the window to
// read now ([start, start + size)), the state updated (ondemand_readahead).
export function onMiss(ra: RaState, index: number, reqPages: number): { start: number; size: number } {
  const sequential = ra.size > 0 && (index === ra.start + ra.size || index === ra.prevIndex + 1);
  if (sequential) {
    ra.start = index;
    ra.size = nextRaSize(ra.size);
    ra.asyncSize = ra.size;
  } else {
    ra.start = index;
    ra.size = Math.max(initRaSize(reqPages), Math.min(reqPages, RA_MAX_PAGES));
    ra.asyncSize = Math.max(0, ra.size - reqPages);
  }
  return { start: ra.start, size: ra.size };
}

// A read found page `index` cached: if it is the window's marker, the next
// window to read ahead now, else null.
export function onHit(ra: RaState, index: number): { start: number; size: number } | null {
  if (ra.size === 0 || ra.asyncSize === 0 || index !== ra.start + ra.size - ra.asyncSize) return null;
  ra.start += ra.size;
  ra.size = nextRaSize(ra.size);
  ra.asyncSize = ra.size;
  return { start: ra.start, size: ra.size };
}
