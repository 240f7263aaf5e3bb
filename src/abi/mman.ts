// mmap/mprotect/mremap/madvise/msync/mlock constants for riscv64
// (asm-generic/mman-common.h, asm-generic/mman.h, linux/mman.h).

import { struct } from "./struct.js";

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const PROT_SEM = 0x8;
export const PROT_GROWSDOWN = 0x0100_0000;
export const PROT_GROWSUP = 0x0200_0000;

// mmap flags
export const MAP_FILE = 0;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
/** MAP_SHARED, but unknown flags fail with EOPNOTSUPP. */
export const MAP_SHARED_VALIDATE = 0x03;
/** Zero-fill pages the kernel may drop under memory pressure (Linux 6.11, 64-bit only). */
export const MAP_DROPPABLE = 0x08;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_ANON = MAP_ANONYMOUS;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x00_8000;
export const MAP_NONBLOCK = 0x01_0000;
export const MAP_STACK = 0x02_0000;
export const MAP_HUGETLB = 0x04_0000;
export const MAP_SYNC = 0x08_0000;
export const MAP_FIXED_NOREPLACE = 0x10_0000;
export const MAP_UNINITIALIZED = 0x400_0000;
/** Huge-page size log2 is stored in bits 26..31 when MAP_HUGETLB is set. */
export const MAP_HUGE_SHIFT = 26;
export const MAP_HUGE_MASK = 0x3f;
export const MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
export const MAP_HUGE_1GB = 30 << MAP_HUGE_SHIFT;

/**
 * The flags mmap has always accepted (LEGACY_MAP_MASK; MAP_32BIT and
 * MAP_ABOVE4G are 0 on riscv64). Unknown bits outside it are ignored for
 * MAP_SHARED/MAP_PRIVATE, but fail with EOPNOTSUPP under MAP_SHARED_VALIDATE
 * unless the file supports them (MAP_SYNC).
 */
export const LEGACY_MAP_MASK =
  (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED |
    MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
    MAP_HUGE_2MB | MAP_HUGE_1GB) >>> 0;

// mremap
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;

// msync
export const MS_ASYNC = 1;
export const MS_INVALIDATE = 2;
export const MS_SYNC = 4;

// mlockall / mlock2
export const MCL_CURRENT = 1;
export const MCL_FUTURE = 2;
export const MCL_ONFAULT = 4;
export const MLOCK_ONFAULT = 0x01;

// madvise
export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_MERGEABLE = 12;
export const MADV_UNMERGEABLE = 13;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_DONTDUMP = 16;
export const MADV_DODUMP = 17;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
export const MADV_POPULATE_READ = 22;
export const MADV_POPULATE_WRITE = 23;
export const MADV_DONTNEED_LOCKED = 24;
export const MADV_COLLAPSE = 25;
export const MADV_HWPOISON = 100;
export const MADV_SOFT_OFFLINE = 101;
/** Install guard regions that fault on access (Linux 6.13). */
export const MADV_GUARD_INSTALL = 102;
export const MADV_GUARD_REMOVE = 103;

// memory protection keys
export const PKEY_DISABLE_ACCESS = 0x1;
export const PKEY_DISABLE_WRITE = 0x2;
export const PKEY_ACCESS_MASK = PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE;

// /proc/sys/vm/overcommit_memory
export const OVERCOMMIT_GUESS = 0;
export const OVERCOMMIT_ALWAYS = 1;
export const OVERCOMMIT_NEVER = 2;

// cachestat(2) (Linux 6.5): the range asked about and the page counts returned.
export const cachestat_range = struct("struct cachestat_range", 16, {
  off: [0, "u64"],
  len: [8, "u64"],
}, 8);
export const cachestat = struct("struct cachestat", 40, {
  nr_cache: [0, "u64"],
  nr_dirty: [8, "u64"],
  nr_writeback: [16, "u64"],
  nr_evicted: [24, "u64"],
  nr_recently_evicted: [32, "u64"],
}, 8);
