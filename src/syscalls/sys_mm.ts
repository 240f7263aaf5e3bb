// Memory syscalls: brk, mmap, munmap, mprotect, madvise, and the icache flush.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EBUSY, EINVAL, EACCES, ENODEV, ENOMEM, EPERM, EOPNOTSUPP, ENOSPC } from "../abi/errno.js";
import { MemfdInode } from "../fs/memfd.js";
import { F_SEAL_WRITE, F_SEAL_FUTURE_WRITE } from "../abi/fcntl.js";
import {
  PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
  MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_LOCKED, MADV_DONTNEED, MADV_FREE,
  MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
  MADV_DONTDUMP, MADV_DODUMP, MADV_COLD, MADV_PAGEOUT, MREMAP_MAYMOVE, MREMAP_FIXED, MADV_WIPEONFORK, MADV_KEEPONFORK,
  MREMAP_DONTUNMAP, MS_ASYNC, MS_INVALIDATE, MS_SYNC, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT, PKEY_ACCESS_MASK,
} from "../abi/mman.js";
import { sizeArg, fdArg, i32Arg, u32Arg } from "./args.js";
import { um } from "./util.js";
import { defineSyscalls } from "./table.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { pageUp, TASK_SIZE } from "../mm/mm.js";
import { SharedAnon, type Vma } from "../mm/vma.js";
import { inodeSource } from "../fs/exec.js";
import type { Task } from "../kernel/task.js";
import { isReg, isDir } from "../fs/inode.js";
import { pathName } from "../fs/dentry.js";
import { rlimit } from "../kernel/task.js";
import { RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK } from "../abi/resource.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_IPC_LOCK } from "../abi/prctl.js";

const KNOWN_MAP = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | 0x800 | 0x1000 | 0x2000 | 0x4000 |
  MAP_POPULATE | 0x10000 | 0x20000 | 0x40000 | 0x80000 | MAP_FIXED_NOREPLACE | (0x3f << 26);

// RLIMIT_AS: the address space may not grow past the soft limit.
function checkAs(t: Task, grow: number): void {
  const lim = rlimit(t.tg, RLIMIT_AS);
  if (lim >= 0 && t.mm.totalVmPages * PAGE_SIZE + grow > lim) kerr(ENOMEM);
}

// As Linux's do_mprotect_pkey: an unaligned start is EINVAL, a zero length
// does nothing (whatever prot is), a range that wraps is ENOMEM, then prot is
// checked, then the key: without protection keys only -1 (none) and 0 (the
// default key) are valid.
function mprotectPkey(t: Task, addr: number, len: number, prot: number, pkey: number): number {
  if (addr % PAGE_SIZE) kerr(EINVAL);
  if (len === 0) return 0;
  if (len < 0 || addr + len > 2 ** 64) kerr(ENOMEM);
  if ((u32Arg(prot)) & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) kerr(EINVAL);
  if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) === (PROT_GROWSDOWN | PROT_GROWSUP)) kerr(EINVAL);
  if (pkey !== -1 && pkey !== 0) kerr(EINVAL);
  // As Linux (6.12+, mprotect_fixup): the VMAs before a sealed one are
  // changed, then the sealed one stops the walk with EPERM.
  const end = Math.min(addr + pageUp(len), TASK_SIZE);
  const sealedAt = t.mm.firstIn(addr, end, (v) => v.sealed);
  if (sealedAt !== null) {
    if (sealedAt > addr) t.mm.mprotect(addr, sealedAt - addr, prot & 7);
    kerr(EPERM);
  }
  t.mm.mprotect(addr, len, prot & 7);
  return 0;
}

// mseal (Linux 6.10): a sealed VMA in the range makes munmap, mprotect,
// mremap and a MAP_FIXED mmap over it EPERM before anything changes.
function checkUnsealed(t: Task, start: number, end: number): void {
  if (t.mm.firstIn(start, end, (v) => v.sealed) !== null) kerr(EPERM);
}
// A discarding madvise is refused only on sealed read-only private
// anonymous memory (can_modify_vma_madv: its contents could not be rewritten).
function checkDiscard(t: Task, start: number, end: number): void {
  if (t.mm.firstIn(start, end, (v) => v.sealed && !v.source && !v.shared && !(v.prot & PROT_WRITE)) !== null) kerr(EPERM);
}

function mseal(t: Task, start: number, len: number, flags: number): number {
  if (flags !== 0) kerr(EINVAL);
  if (start % PAGE_SIZE || start < 0) kerr(EINVAL);
  // A length whose page-rounded end wraps is EINVAL; one past the user half is unmapped (ENOMEM).
  if (len < 0 || start + pageUp(len) >= 2 ** 64) kerr(EINVAL);
  const end = start + pageUp(len);
  if (end === start) return 0;
  if (end > TASK_SIZE) kerr(ENOMEM);
  t.mm.seal(start, end);
  return 0;
}

// The advice madvise takes (madvise_behavior_valid). Ghost has no KSM
// (no /sys/kernel/mm/ksm), so MADV_MERGEABLE and MADV_UNMERGEABLE are
// EINVAL as on such a kernel; its sysfs shows transparent huge pages set to
// "never", where MADV_HUGEPAGE and MADV_NOHUGEPAGE are taken (and change
// nothing). Not implemented (EINVAL): MADV_REMOVE, MADV_POPULATE_*,
// MADV_DONTNEED_LOCKED, MADV_GUARD_*.
const MADV_VALID = new Set([MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
  MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_DONTDUMP, MADV_DODUMP, MADV_COLD, MADV_PAGEOUT,
  MADV_HUGEPAGE, MADV_NOHUGEPAGE]);

// As madvise_walk_vmas: the advice goes VMA by VMA over what is mapped of
// [start, end); an error stops the walk there; a hole in the range is
// ENOMEM once the mapped parts are advised.
function walkVmas(t: Task, start: number, end: number, visit: (v: Vma, s: number, e: number) => void): void {
  const mm = t.mm;
  let hole = false;
  for (let at = start; at < end;) {
    const v = mm.vmas[mm.indexAfter(at)];
    if (!v || v.start >= end) { hole = true; break; }
    if (v.start > at) { hole = true; at = v.start; }
    const e = Math.min(v.end, end);
    visit(v, at, e);
    at = e;
  }
  if (hole) kerr(ENOMEM);
}

// madvise(2); also process_madvise's, for each range of the caller's own memory.
export function madvise(t: Task, addr: number, len: number, advice: number): number {
  if (!MADV_VALID.has(advice)) kerr(EINVAL);
  if (addr % PAGE_SIZE || len < 0) kerr(EINVAL);
  const end = addr + pageUp(len);
  if (end === addr) return 0;
  const mm = t.mm;
  switch (advice) {
    case MADV_DONTNEED: case MADV_FREE:
      checkDiscard(t, addr, end);
      walkVmas(t, addr, end, (v, s, e) => {
        // madvise_dontneed_free_valid_vma: not on locked memory; MADV_FREE
        // only on private anonymous memory (madvise_free_single_vma).
        if (v.locked || (advice === MADV_FREE && (v.shared || v.source))) kerr(EINVAL);
        mm.dropPages(s, e - s);
      });
      return 0;
    case MADV_DONTFORK: checkDiscard(t, addr, end); walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { v.dontFork = true; })); return 0;
    case MADV_DOFORK: walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { v.dontFork = false; })); return 0;
    case MADV_WIPEONFORK:
      checkDiscard(t, addr, end);
      walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { if (v.shared || v.source) kerr(EINVAL); v.wipeOnFork = true; }));
      return 0;
    case MADV_KEEPONFORK: walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { v.wipeOnFork = false; })); return 0;
    // VM_DONTDUMP: the core dump leaves the range out. Linux refuses to let
    // MADV_DODUMP clear it on a VM_SPECIAL mapping (none in Ghost's model).
    case MADV_DONTDUMP: walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { v.dontDump = true; })); return 0;
    case MADV_DODUMP: walkVmas(t, addr, end, (_v, s, e) => mm.setForkFlags(s, e - s, (v) => { v.dontDump = false; })); return 0;
    default:
      // MADV_NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD,
      // PAGEOUT, HUGEPAGE, NOHUGEPAGE: hints with nothing to do in Ghost's memory model, but a
      // hole in the range is still ENOMEM.
      walkVmas(t, addr, end, () => {});
      return 0;
  }
}

defineSyscalls({
  mseal: (t, start, len, flags) => mseal(t, start, len, flags),
  brk: (t, addr) => {
    const grow = pageUp(addr) - pageUp(t.mm.brk);
    if (addr > t.mm.brk && grow > 0) {
      const lim = rlimit(t.tg, RLIMIT_AS), data = rlimit(t.tg, RLIMIT_DATA);
      if (lim >= 0 && t.mm.totalVmPages * PAGE_SIZE + grow > lim) return t.mm.brk;
      if (data >= 0 && addr - t.mm.brkStart > data) return t.mm.brk;
    }
    return t.mm.setBrk(addr);
  },
  mmap: [(t, addr, len, prot, flags, fd, off) => {
    // As riscv's sys_mmap then ksys_mmap_pgoff: an unaligned offset, then a
    // bad fd (EBADF), come before every check of do_mmap (a zero length).
    if (off % PAGE_SIZE) kerr(EINVAL);
    const f = flags & MAP_ANONYMOUS ? null : t.files.get(fdArg(fd));
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) kerr(EINVAL);
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) kerr(EINVAL);
    if (type === MAP_SHARED_VALIDATE && (flags & ~KNOWN_MAP)) kerr(EOPNOTSUPP);
    if (len <= 0 || pageUp(len) > TASK_SIZE) kerr(len === 0 ? EINVAL : ENOMEM);
    if (off < 0 || off % PAGE_SIZE) kerr(EINVAL);
    const shared = type !== MAP_PRIVATE;
    const opts = {
      fixed: (flags & MAP_FIXED) !== 0, noReplace: (flags & MAP_FIXED_NOREPLACE) !== 0 && !(flags & MAP_FIXED),
      shared, growsDown: (flags & MAP_GROWSDOWN) !== 0, offset: 0, source: null as ReturnType<typeof inodeSource> | null, name: "",
      sharedAnon: undefined as SharedAnon | undefined,
    };
    const p = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    checkAs(t, pageUp(len));
    if (f) {
      if (isDir(f.inode.mode)) kerr(ENODEV);
      if (!f.readable) kerr(EACCES);
      if (shared && (p & PROT_WRITE) && !f.writable) kerr(EACCES);
      if (isReg(f.inode.mode)) {
        opts.source = inodeSource(f.inode, f.path ? pathName(f.path, t.fs.root) : f.memfdName || "anon_inode");
        if (shared) {
          const sealed = f.inode instanceof MemfdInode && (f.inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0;
          if (sealed && (p & PROT_WRITE)) kerr(EPERM);
          opts.source.mayWrite = f.writable && !sealed;
        }
        opts.offset = off;
        opts.name = opts.source.path;
      } else if (f.inode.rdev !== ((1 << 8) | 5)) {
        kerr(ENODEV); // only /dev/zero among devices can be mapped
      } else if (shared && !f.writable) {
        opts.sharedAnon = Object.assign(new SharedAnon(), { mayWrite: false });
      }
    }
    // As Linux's do_mmap: MAP_LOCKED needs a nonzero RLIMIT_MEMLOCK (EPERM);
    // a locked mapping (MAP_LOCKED or mlockall(MCL_FUTURE)) past it is EAGAIN.
    const lock = (flags & MAP_LOCKED) !== 0 || t.mm.lockFuture;
    if (lock) mayLock(t, pageUp(len), EAGAIN);
    if ((opts.fixed || opts.noReplace) && addr % PAGE_SIZE === 0) checkUnsealed(t, addr, addr + pageUp(len));
    const start = t.mm.mmap(addr, len, p, opts);
    if (lock) t.mm.setLocked(start, start + pageUp(len), true);
    else if (flags & MAP_POPULATE) t.mm.populate(start, start + pageUp(len));
    return start;
  }, "partial", "MAP_HUGETLB and MAP_SYNC are accepted but give normal pages"],
  // Deprecated since Linux 4.0 and emulated there (mm/mmap.c): the range of one
  // shared file mapping is mapped again in place from file page pgoff, with the
  // mapping's protection, populated (do_mmap MAP_FIXED|MAP_SHARED|MAP_POPULATE).
  // prot must be 0; flags other than MAP_NONBLOCK are ignored; returns 0.
  remap_file_pages: [(t, start, size, prot, pgoff, _flags) => {
    if (prot !== 0) kerr(EINVAL);
    start -= start % PAGE_SIZE;
    size -= size % PAGE_SIZE;
    if (size <= 0 || start + size > TASK_SIZE || pgoff + size / PAGE_SIZE > Number.MAX_SAFE_INTEGER / PAGE_SIZE) kerr(EINVAL);
    const vma = t.mm.findVma(start);
    if (!vma || !vma.shared || !vma.source) return kerr(EINVAL);
    // Past its end, the range may go on through mappings of the same file with
    // the same protection, without a hole (an earlier remap splits one).
    for (let end = vma.end; end < start + size;) {
      const next = t.mm.findVma(end);
      if (!next || !next.shared || next.source?.key !== vma.source.key || next.prot !== vma.prot) kerr(EINVAL);
      end = next.end;
    }
    checkUnsealed(t, start, start + size);
    const locked = vma.locked;
    t.mm.mmap(start, size, vma.prot, { fixed: true, shared: true, source: vma.source, offset: pgoff * PAGE_SIZE, name: vma.name });
    if (locked) t.mm.setLocked(start, start + size, true);
    else t.mm.populate(start, start + size);
    return 0;
  }, "partial", "file mappings only: a shared anonymous or System V shm mapping is EINVAL"],
  munmap: (t, addr, len) => {
    if (addr % PAGE_SIZE || len <= 0 || addr < 0 || addr + len > TASK_SIZE) kerr(EINVAL);
    checkUnsealed(t, addr, addr + pageUp(len));
    t.mm.unmap(addr, len);
    return 0;
  },
  mprotect: (t, addr, len, prot) => mprotectPkey(t, addr, len, prot, -1),
  pkey_mprotect: (t, addr, len, prot, pkey) => mprotectPkey(t, addr, len, prot, i32Arg(pkey)),
  // riscv64 has no protection keys: as Linux's generic pkeys, no key is
  // ever free (ENOSPC after the argument checks) and none can be freed.
  pkey_alloc: (_t, flags, access) => {
    if (flags !== 0 || (u32Arg(access)) & ~PKEY_ACCESS_MASK) kerr(EINVAL);
    return kerr(ENOSPC);
  },
  pkey_free: () => kerr(EINVAL),
  madvise: [(t, addr, len, advice) => madvise(t, addr, len, advice), "partial",
    "no MADV_REMOVE, MADV_POPULATE_READ/WRITE, MADV_DONTNEED_LOCKED, MADV_GUARD_INSTALL/REMOVE (EINVAL); no KSM (MADV_MERGEABLE EINVAL as without CONFIG_KSM)"],
  mremap: (t, old, oldLen, newLen, flags, newAddr) => {
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) kerr(EINVAL);
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) kerr(EINVAL);
    if (flags & MREMAP_DONTUNMAP) kerr(EINVAL);
    if (newLen > oldLen) checkAs(t, pageUp(newLen) - pageUp(oldLen));
    if (old % PAGE_SIZE === 0 && old >= 0 && old < TASK_SIZE) checkUnsealed(t, old, Math.min(old + pageUp(Math.max(oldLen, 1)), TASK_SIZE));
    if ((flags & MREMAP_FIXED) && newAddr % PAGE_SIZE === 0 && newAddr >= 0 && newAddr < TASK_SIZE) checkUnsealed(t, newAddr, Math.min(newAddr + pageUp(newLen), TASK_SIZE));
    return t.mm.mremap(old, oldLen, newLen, (flags & MREMAP_MAYMOVE) !== 0, flags & MREMAP_FIXED ? newAddr : null);
  },
  msync: (t, addr, len, flags) => {
    if (addr % PAGE_SIZE || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || ((flags & MS_ASYNC) && (flags & MS_SYNC))) kerr(EINVAL);
    // As Linux's msync: invalidating a locked (VM_LOCKED) range is EBUSY.
    if ((flags & MS_INVALIDATE) && len > 0 && t.mm.lockedIn(addr, addr + pageUp(len)) > 0) kerr(EBUSY);
    const err = t.mm.msync(addr, len, (flags & MS_SYNC) !== 0);
    return err ? -err : 0;
  },
  mincore: (t, addr, len, vec) => {
    if (addr % PAGE_SIZE) kerr(EINVAL);
    // As Linux: a range access_ok refuses (any length past the user half) is ENOMEM.
    len = sizeArg(len);
    if (!(addr >= 0 && len <= TASK_SIZE - addr)) kerr(ENOMEM);
    if (len === 0) return 0;
    um(t).write(vec, t.mm.residency(addr, len));
    return 0;
  },
  // Translated code may be stale after the guest rewrote it: drop the JIT's translations.
  riscv_flush_icache: (t, _start, _end, flags) => { if (flags & ~1) kerr(EINVAL); t.k.hart.jitFlush(); return 0; },
});

// mlock family. Ghost never swaps, so locking means: the pages are faulted in
// now (unless ONFAULT), the VMAs carry VM_LOCKED (VmLck in /proc/PID/status),
// and RLIMIT_MEMLOCK bounds it without CAP_IPC_LOCK, as Linux's do_mlock.
function mayLock(t: Task, more: number, err = ENOMEM): void {
  const lim = rlimit(t.tg, RLIMIT_MEMLOCK);
  const capable = hasCap(t.cred, CAP_IPC_LOCK);
  if (lim === 0 && !capable) kerr(EPERM);
  // Whole pages, as Linux counts locked_vm against the limit shifted to pages.
  if (!capable && lim >= 0 && (t.mm.lockedBytes + more) / PAGE_SIZE > Math.floor(lim / PAGE_SIZE)) kerr(err);
}
function lockRange(t: Task, addr: number, len: number, on: boolean, onFault: boolean): number {
  if (len < 0 || addr < 0) kerr(EINVAL);
  const start = addr - (addr % PAGE_SIZE);
  const end = pageUp(addr + len);
  if (end > TASK_SIZE) kerr(ENOMEM);
  if (end === start) return 0;
  // Pages of the range already locked are not counted twice (do_mlock).
  if (on) mayLock(t, end - start - t.mm.lockedIn(start, end));
  t.mm.setLocked(start, end, on, onFault);
  return 0;
}

defineSyscalls({
  mlock: (t, addr, len) => lockRange(t, addr, len, true, false),
  mlock2: (t, addr, len, flags) => {
    if (flags & ~MLOCK_ONFAULT) kerr(EINVAL);
    return lockRange(t, addr, len, true, (flags & MLOCK_ONFAULT) !== 0);
  },
  munlock: (t, addr, len) => lockRange(t, addr, len, false, false),
  mlockall: (t, flags) => {
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags === MCL_ONFAULT) kerr(EINVAL);
    const mm = t.mm;
    if (flags & MCL_CURRENT) {
      const total = mm.vmas.reduce((n, v) => n + (v.end - v.start), 0);
      mayLock(t, total - mm.lockedBytes);
      for (const v of [...mm.vmas]) if (!v.locked) mm.setLocked(v.start, v.end, true, (flags & MCL_ONFAULT) !== 0);
    }
    mm.lockFuture = (flags & MCL_FUTURE) !== 0;
    return 0;
  },
  munlockall: (t) => {
    const mm = t.mm;
    for (const v of [...mm.vmas]) if (v.locked) mm.setLocked(v.start, v.end, false);
    mm.lockFuture = false;
    return 0;
  },
});
