// One process looking at or acting on another: kcmp, process_vm_readv and
// process_vm_writev, pidfd_getfd, process_madvise, process_mrelease; and membarrier, the process-wide barrier.
// Access follows Linux's ptrace_may_access (kernel/cred.ts).

import { kerr } from "../lib/errors.js";
import { EINVAL, ESRCH, EPERM, EBADF, EFAULT, ENOENT, EACCES } from "../abi/errno.js";
import {
  KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD, KCMP_EPOLL_SLOT_SIZE,
  MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
  MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU,
  MEMBARRIER_CMD_GET_REGISTRATIONS,
} from "../abi/misc.js";
import { iovec, UIO_MAXIOV } from "../abi/socket.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { readIov } from "./sys_file.js";
import { ssizeArg, fdArg, i32Arg, u32Arg } from "./args.js";
import { UserMemory } from "../mm/uaccess.js";
import { UserBuffer, IO_CHUNK } from "../mm/uio.js";
import { ptraceMayAccess, hasCap } from "../kernel/cred.js";
import { KernelLocal } from "../kernel/local.js";
import { pidfdTarget } from "../fs/pidfd.js";
import { EpollInode } from "../fs/epoll.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { madvise } from "./sys_mm.js";
import { MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE } from "../abi/mman.js";
import { CAP_SYS_NICE } from "../abi/prctl.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { pageUp, TASK_SIZE } from "../mm/mm.js";

function mayAccess(t: Task, target: Task, mode: "realcreds" | "fscreds"): boolean {
  return ptraceMayAccess(t.cred, target.cred, target.tg.dumpable !== 0, t.tg === target.tg, mode);
}

// ---- kcmp -------------------------------------------------------------------

// Kernel objects in a stable order: Linux orders them by (obfuscated)
// address; Ghost by the order kcmp first saw them. Only equality and a
// consistent order are promised.
const KCMP_IDS = new KernelLocal("kcmp object order", () => ({ ids: new WeakMap<object, number>(), next: 1 }));

function order(t: Task, a: object | null, b: object | null): number {
  if (a === b) return 0;
  const table = t.k.local(KCMP_IDS);
  const id = (o: object | null): number => {
    if (o === null) return 0;
    let n = table.ids.get(o);
    if (n === undefined) { n = table.next++; table.ids.set(o, n); }
    return n;
  };
  const x = id(a), y = id(b);
  return x < y ? 1 : 2;
}

function fileOf(task: Task, fd: number): File {
  const f = fd >= 0 && fd < 0x7fffffff ? task.files.entry(fd)?.file : undefined;
  if (!f) kerr(EBADF);
  return f;
}

function kcmp(t: Task, pid1: number, pid2: number, type: number, idx1: number, idx2: number): number {
  // idx1 and idx2 are fds (unsigned long) except for KCMP_EPOLL_TFD's slot pointer.
  const t1 = t.k.tasks.get(pid1), t2 = t.k.tasks.get(pid2);
  if (!t1 || !t2 || pid1 <= 0 || pid2 <= 0) kerr(ESRCH);
  if (!mayAccess(t, t1, "realcreds") || !mayAccess(t, t2, "realcreds")) kerr(EPERM);
  switch (type) {
    case KCMP_FILE: return order(t, fileOf(t1, idx1), fileOf(t2, idx2));
    case KCMP_VM: return order(t, t1.mm, t2.mm);
    case KCMP_FILES: return order(t, t1.files, t2.files);
    case KCMP_FS: return order(t, t1.fs, t2.fs);
    case KCMP_SIGHAND: return order(t, t1.sighand, t2.sighand);
    // Ghost keeps no I/O contexts and no separate SEM_UNDO lists: as Linux
    // for two tasks that never did block I/O or a SEM_UNDO semop, equal.
    case KCMP_IO: case KCMP_SYSVSEM: return 0;
    case KCMP_EPOLL_TFD: {
      const f = fileOf(t1, idx1);
      const slot = new DataView(um(t).read(idx2, KCMP_EPOLL_SLOT_SIZE).buffer);
      const efd = slot.getUint32(0, true), tfd = slot.getUint32(4, true), toff = slot.getUint32(8, true);
      const ep = fileOf(t2, efd);
      if (!(ep.inode instanceof EpollInode)) kerr(EINVAL);
      // The toff-th registration of tfd in that instance (a number can name
      // several files over time, each registered under it).
      const hits = [...ep.inode.items.values()].filter((it) => it.fd === tfd);
      if (toff >= hits.length) kerr(ENOENT);
      return order(t, f, hits[toff].file);
    }
    default: return kerr(EINVAL);
  }
}

// ---- process_vm_readv / process_vm_writev -----------------------------------

// The remote iovec array, read from the caller's memory: the lengths are
// ssize_t (negative is EINVAL); the addresses belong to the other process.
function remoteIov(t: Task, va: number, cnt: number, remote: UserMemory): UserBuffer {
  if (cnt < 0 || cnt > UIO_MAXIOV) kerr(EINVAL);
  if (cnt === 0) return new UserBuffer(remote, []);
  const dv = new DataView(um(t).read(va, cnt * iovec.size).buffer);
  const segs = [];
  for (let i = 0; i < cnt; i++) {
    const len = ssizeArg(iovec.getBig(dv, i * iovec.size, "iov_len"));
    if (len < 0) kerr(EINVAL);
    segs.push({ base: iovec.get(dv, i * iovec.size, "iov_base"), len });
  }
  return new UserBuffer(remote, segs);
}

// As Linux's process_vm_rw: flags must be 0; an empty local vector moves
// nothing before anything else is looked at; the other process must exist
// and be open to ptrace attach (PTRACE_MODE_ATTACH_REALCREDS). Bytes move
// page by page until either side faults: the count so far, or EFAULT when
// nothing moved.
function processVm(t: Task, pid: number, lvec: number, lcnt: number, rvec: number, rcnt: number, flags: number, write: boolean): number {
  if (flags !== 0) kerr(EINVAL);
  const local = readIov(t, lvec, lcnt);
  if (local.length === 0) return 0;
  const target = pid > 0 ? t.k.tasks.get(pid) : undefined;
  // The remote vector is read before the process is looked up.
  const remoteMem = target ? new UserMemory(target.mm) : null;
  const remote = remoteIov(t, rvec, rcnt, remoteMem ?? um(t));
  if (!target || target.tg.zombie) kerr(ESRCH);
  if (!mayAccess(t, target, "realcreds")) kerr(EPERM);
  const total = Math.min(local.length, remote.length);
  let done = 0;
  while (done < total) {
    const want = Math.min(IO_CHUNK, total - done);
    const [from, to] = write ? [local, remote] : [remote, local];
    const n = Math.min(from.accessible(done, want, false), to.accessible(done, want, true));
    if (n > 0) to.copyOut(done, from.copyIn(done, n));
    done += n;
    if (n < want) break;
  }
  if (done === 0 && total > 0) kerr(EFAULT);
  return done;
}

// ---- pidfd_getfd ------------------------------------------------------------

// A duplicate of another process's descriptor, close-on-exec, as Linux's
// pidfd_getfd: flags must be 0, the pidfd must be one (EBADF), the process
// alive (ESRCH) and open to ptrace attach (EPERM), the fd open there (EBADF).
function pidfdGetfd(t: Task, pidfd: number, fd: number, flags: number): number {
  if (flags !== 0) kerr(EINVAL);
  const tg = pidfdTarget(t.files.get(pidfd));
  if (!tg) kerr(EBADF);
  const target = [...tg.threads][0];
  if (!target || tg.zombie) kerr(ESRCH);
  if (!mayAccess(t, target, "realcreds")) kerr(EPERM);
  const f = fileOf(target, fd);
  return t.files.alloc(f.get(), true, nofile(t));
}

// ---- process_madvise --------------------------------------------------------

// madvise over an iovec of ranges of the process a pidfd names (Linux 5.10;
// any advice on the caller's own memory since 6.13). Another process needs
// PTRACE_MODE_READ and CAP_SYS_NICE and takes only the hints that change
// nothing it can see (MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE),
// which Ghost, never swapping, only checks. Returns the bytes advised; an
// error only when the first range failed, as Linux's vector_madvise.
const REMOTE_ADVICE = new Set([MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE]);

function processMadvise(t: Task, pidfd: number, iovVa: number, vlen: number, advice: number, flags: number): number {
  if (flags !== 0) kerr(EINVAL);
  if (vlen < 0 || vlen > UIO_MAXIOV) kerr(EINVAL);
  const ranges: [number, number][] = [];
  if (vlen > 0) {
    const dv = new DataView(um(t).read(iovVa, vlen * iovec.size).buffer);
    let total = 0n;
    for (let i = 0; i < vlen; i++) {
      const base = iovec.getBig(dv, i * iovec.size, "iov_base");
      const len = iovec.getBig(dv, i * iovec.size, "iov_len");
      total += len;
      if (len > 0x7fffffffffffffffn || total > 0x7fffffffffffffffn) kerr(EINVAL);
      // import_iovec's access_ok: a range past the user half is EFAULT.
      if (base + len > BigInt(TASK_SIZE)) kerr(EFAULT);
      ranges.push([Number(base), Number(len)]);
    }
  }
  const tg = pidfdTarget(t.files.get(pidfd));
  if (!tg) kerr(EBADF);
  const target = [...tg.threads][0];
  if (!target || tg.zombie) kerr(ESRCH);
  // mm_access: another process's memory needs PTRACE_MODE_READ (EACCES).
  const self = target.mm === t.mm;
  if (!self && !mayAccess(t, target, "fscreds")) kerr(EACCES);
  if (!self && !REMOTE_ADVICE.has(advice)) kerr(EINVAL);
  if (!self && !hasCap(t.cred, CAP_SYS_NICE)) kerr(EPERM);
  let done = 0;
  for (const [addr, len] of ranges) {
    try {
      if (self) madvise(t, addr, len, advice);
      else {
        if (addr % PAGE_SIZE) kerr(EINVAL);
        if (len > 0) target.mm.requireMapped(addr, addr + pageUp(len));
      }
    } catch (e) {
      if (done > 0) return done;
      throw e;
    }
    done += len;
  }
  return done;
}

// ---- process_mrelease -------------------------------------------------------

// Reaps the memory of a process that is being killed, sooner than its exit
// would (Linux 5.15). Ghost frees an address space as the last thread exits,
// so there is nothing to hurry: the checks are Linux's: flags 0, a pidfd
// (EBADF), a process that still has its memory (ESRCH once it is a zombie),
// and one that is dying (EINVAL for a live one).
function processMrelease(t: Task, pidfd: number, flags: number): number {
  if (flags !== 0) kerr(EINVAL);
  const tg = pidfdTarget(t.files.get(pidfd));
  if (!tg) kerr(EBADF);
  if (tg.zombie || tg.threads.size === 0) kerr(ESRCH);
  if (!tg.exiting) kerr(EINVAL);
  return 0;
}

// ---- membarrier -------------------------------------------------------------

// Ghost runs one hart: every barrier is already complete when the call is
// made, so the commands check and record what Linux does and return.
// Registrations belong to the address space: a fork keeps them, an exec
// starts with none, as Linux's mm. No rseq, so the RSEQ commands are EINVAL
// as in a kernel without CONFIG_RSEQ; GLOBAL is offered (no nohz_full CPUs).
const MEMBARRIER_SUPPORTED = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_GET_REGISTRATIONS;

function membarrier(t: Task, cmd: number, flags: number): number {
  if (cmd === MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ ? flags !== 0 && flags !== MEMBARRIER_CMD_FLAG_CPU : flags !== 0) kerr(EINVAL);
  const registered = t.mm.membarrierRegistered;
  switch (cmd) {
    case MEMBARRIER_CMD_QUERY: return MEMBARRIER_SUPPORTED;
    case MEMBARRIER_CMD_GLOBAL: case MEMBARRIER_CMD_GLOBAL_EXPEDITED: return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      t.mm.membarrierRegistered = registered | cmd;
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
      if (!(registered & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) kerr(EPERM);
      return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
      if (!(registered & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)) kerr(EPERM);
      return 0;
    case MEMBARRIER_CMD_GET_REGISTRATIONS: return registered;
    default: return kerr(EINVAL);
  }
}

defineSyscalls({
  kcmp: [(t, pid1, pid2, type, idx1, idx2) => kcmp(t, i32Arg(pid1), i32Arg(pid2), i32Arg(type), idx1, idx2), "partial",
    "KCMP_IO and KCMP_SYSVSEM compare equal (Ghost keeps no I/O contexts or per-task SEM_UNDO lists); object order is first-seen, not by address"],
  process_vm_readv: (t, pid, lvec, lcnt, rvec, rcnt, flags) => processVm(t, i32Arg(pid), lvec, lcnt, rvec, rcnt, flags, false),
  process_vm_writev: (t, pid, lvec, lcnt, rvec, rcnt, flags) => processVm(t, i32Arg(pid), lvec, lcnt, rvec, rcnt, flags, true),
  pidfd_getfd: (t, pidfd, fd, flags) => pidfdGetfd(t, fdArg(pidfd), fdArg(fd), u32Arg(flags)),
  process_mrelease: (t, pidfd, flags) => processMrelease(t, fdArg(pidfd), u32Arg(flags)),
  process_madvise: (t, pidfd, iov, vlen, advice, flags) => processMadvise(t, fdArg(pidfd), iov, vlen, i32Arg(advice), u32Arg(flags)),
  membarrier: [(t, cmd, flags) => membarrier(t, i32Arg(cmd), u32Arg(flags)), "partial",
    "no rseq, so the RSEQ commands are EINVAL (as Linux without CONFIG_RSEQ); barriers are immediate on Ghost's single hart"],
});
