// Writeback of dirty page-cache pages (Linux's mm/page-writeback.c and
// fs/fs-writeback.c): the tunables under /proc/sys/vm and the count of
// dirty pages /proc/meminfo shows. A filesystem that caches file data
// (ext4/pagecache.ts) reads them (one set per kernel: fs/writeback.ts): an inode dirty for longer than
// dirty_expire_centisecs is written back by the flusher, which wakes every
// dirty_writeback_centisecs; past dirty_background_ratio percent of guest
// RAM in dirty pages, the oldest inodes are written back at once.

export interface WritebackTunables {
  dirtyExpireCentisecs: number; // vm.dirty_expire_centisecs (Linux's default 3000: 30 s)
  dirtyWritebackCentisecs: number; // vm.dirty_writeback_centisecs (500: 5 s; 0 turns the flusher off)
  dirtyBackgroundRatio: number; // vm.dirty_background_ratio (10 %)
  dirtyPages: number; // pages with data not yet on the disk (meminfo's Dirty)
}

// Linux's defaults. Each kernel holds its own (fs/writeback.ts).
export function defaultWriteback(): WritebackTunables {
  return { dirtyExpireCentisecs: 3000, dirtyWritebackCentisecs: 500, dirtyBackgroundRatio: 10, dirtyPages: 0 };
}

// One centisecond in nanoseconds (the tunables' unit).
export const NSEC_PER_CENTISEC = 10_000_000;
