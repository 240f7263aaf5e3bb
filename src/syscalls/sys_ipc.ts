// System V shared memory: shmget, shmat, shmdt, shmctl (IPC_STAT, IPC_SET,
// IPC_RMID, IPC_INFO, SHM_INFO, SHM_STAT, SHM_LOCK/UNLOCK). A segment is
// shared anonymous memory (the pages MAP_SHARED|MAP_ANONYMOUS uses); every
// mapping of it is an attach (as Linux counts them: fork and splits too). A
// segment marked for removal goes when its last attach does. Semaphores are
// in sys_sem.ts, message queues in sys_msg.ts, what all three share in
// kernel/ipc.ts.

import { kerr } from "../lib/errors.js";
import { EINVAL, EEXIST, EACCES, EPERM, ENOSPC } from "../abi/errno.js";
import { KernelError } from "../lib/errors.js";
import {
  IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC,
  SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY, SHM_DEST, SHM_LOCKED, SHMMIN, SHM_HUGETLB,
  ipc64_perm, shmid64_ds, shminfo64, shm_info,
} from "../abi/ipc.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "../mm/vma.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { pageUp, TASK_SIZE } from "../mm/mm.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { allowed, mayChange, sysvipcListings, ipcRow } from "../ipc/util.js";
import type { Task } from "../kernel/task.js";
import { Segment, space } from "../ipc/shm.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_IPC_LOCK } from "../abi/prctl.js";
import { i32Arg } from "./args.js";



sysvipcListings.set("shm", {
  header: "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap",
  rows: (k) => [...space(k).byIndex.values()].sort((a, b) => a.index - b.index).map((s) => ipcRow([
    [s.key | 0, 10, 0], [s.id, 10, 1], [(s.mode & 0o777).toString(8), 4, 2], [s.size, 21, 1], [s.cpid, 5, 1], [s.lpid, 5, 1],
    [Math.max(0, s.anon.refs - 1), 5, 2], [s.uid, 5, 1], [s.gid, 5, 1], [s.cuid, 5, 1], [s.cgid, 5, 1],
    [s.atime, 10, 1], [s.dtime, 10, 1], [s.ctime, 10, 1], [s.anon.pages.size * 4096, 21, 1], [0, 21, 1],
  ])),
});

// Attaches: every mapping holds the pages, and so does the segment itself.
const nattch = (s: Segment) => s.anon.refs - 1;
const lockedSegs = new WeakSet<Segment>(); // SHM_LOCK: reported; Ghost never swaps

function shmget(t: Task, key: number, size: number, flags: number): number {
  const sp = space(t.k);
  return sp.get(t, key, flags, (s) => { if (size > s.size) kerr(EINVAL); }, () => {
    // newseg: the size against shmmax, the pages of all segments against shmall.
    if (size < SHMMIN || BigInt(size) > sp.shmmax) kerr(EINVAL);
    if (BigInt(sp.shmTot + pageUp(size) / PAGE_SIZE) > sp.shmall) kerr(ENOSPC);
    // Huge pages: no hstate for any size without CONFIG_HUGETLBFS (EINVAL, as newseg).
    if (flags & SHM_HUGETLB) kerr(EINVAL);
    return sp.create(t, key, size, flags);
  });
}

function shmat(t: Task, id: number, addr: number, flags: number): number {
  const s = space(t.k).find(id);
  let at = addr;
  if (at % PAGE_SIZE) {
    if (!(flags & SHM_RND)) kerr(EINVAL);
    at -= at % PAGE_SIZE; // SHMLBA is a page on riscv64
  }
  if ((flags & SHM_REMAP) && !at) kerr(EINVAL);
  const ro = (flags & SHM_RDONLY) !== 0;
  const prot = PROT_READ | (ro ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
  if (!allowed(t, s, ro ? 4 : 6)) kerr(EACCES);
  const len = pageUp(s.size);
  if (at && at + len > TASK_SIZE) kerr(EINVAL);
  let va: number;
  try {
    va = t.mm.mmap(at, len, prot, {
      fixed: at !== 0 && (flags & SHM_REMAP) !== 0, noReplace: at !== 0 && !(flags & SHM_REMAP),
      shared: true, sharedAnon: s.anon, name: `/SYSV${(s.key >>> 0).toString(16).padStart(8, "0")} (deleted)`,
    });
  } catch (e) {
    if (e instanceof KernelError && e.errno === EEXIST) kerr(EINVAL); // the range is in use
    throw e;
  }
  s.atime = space(t.k).now();
  s.lpid = t.tg.pid;
  return va;
}

// shmdt: every mapping of the segment attached at addr, as far as the segment reaches.
function shmdt(t: Task, addr: number): number {
  if (addr % PAGE_SIZE) kerr(EINVAL);
  const mm = t.mm;
  const first = mm.vmas.find((v) => v.start === addr && v.sharedAnon && v.sharedAnon.shmid >= 0 && v.offset === 0);
  if (!first) kerr(EINVAL);
  const anon = first.sharedAnon!;
  const s = space(t.k).byIndex.get(anon.shmid % 32768);
  const end = addr + pageUp(s?.size ?? first.end - first.start);
  if (s) s.lpid = t.tg.pid;
  for (const v of [...mm.vmas]) {
    if (v.sharedAnon === anon && v.start >= addr && v.start < end && v.offset === v.start - addr) mm.unmap(v.start, v.end - v.start);
  }
  return 0;
}

function writeStat(t: Task, va: number, s: Segment): void {
  const b = new Uint8Array(shmid64_ds.size);
  const dv = new DataView(b.buffer);
  ipc64_perm.write(dv, 0, {
    key: s.key, uid: s.uid, gid: s.gid, cuid: s.cuid, cgid: s.cgid,
    mode: s.mode | (s.removed ? SHM_DEST : 0) | (lockedSegs.has(s) ? SHM_LOCKED : 0), seq: s.seq,
  });
  shmid64_ds.write(dv, 0, {
    shm_segsz: s.size, shm_atime: s.atime, shm_dtime: s.dtime, shm_ctime: s.ctime,
    shm_cpid: s.cpid, shm_lpid: s.lpid, shm_nattch: Math.max(0, nattch(s)),
  });
  um(t).write(va, b);
}


function shmctl(t: Task, id: number, cmd: number, va: number): number {
  const sp = space(t.k);
  switch (cmd) {
    case IPC_INFO: case SHM_INFO: {
      // struct shminfo64 / shm_info: the limits, or what is in use. shmseg is
      // shmmni (shmctl_ipc_info); shminfo64 is 72 bytes, not a byte more.
      const b = new Uint8Array(cmd === IPC_INFO ? shminfo64.size : shm_info.size);
      const dv = new DataView(b.buffer);
      if (cmd === IPC_INFO) {
        shminfo64.write(dv, 0, { shmmax: sp.shmmax, shmmin: SHMMIN, shmmni: sp.mni, shmseg: sp.mni, shmall: sp.shmall });
      } else {
        let pages = 0, rss = 0;
        for (const s of sp.byIndex.values()) { pages += pageUp(s.size) / PAGE_SIZE; rss += s.anon.pages.size; }
        shm_info.write(dv, 0, { used_ids: sp.byIndex.size, shm_tot: pages, shm_rss: rss });
      }
      um(t).write(va, b);
      // The highest index in use, 0 with none (shmctl_ipc_info, shmctl_shm_info).
      return Math.max(0, ...sp.byIndex.keys());
    }
    case SHM_STAT: case SHM_STAT_ANY: {
      const s = sp.byIndex.get(id);
      if (!s) kerr(EINVAL);
      if (cmd === SHM_STAT && !allowed(t, s, 4)) kerr(EACCES);
      writeStat(t, va, s);
      return s.id;
    }
  }
  const s = sp.find(id);
  switch (cmd) {
    case IPC_STAT:
      if (!allowed(t, s, 4)) kerr(EACCES);
      writeStat(t, va, s);
      return 0;
    case IPC_SET: case IPC_RMID: {
      mayChange(t, s);
      if (cmd === IPC_SET) {
        const dv = new DataView(um(t).read(va, shmid64_ds.size).buffer);
        s.uid = ipc64_perm.get(dv, 0, "uid");
        s.gid = ipc64_perm.get(dv, 0, "gid");
        s.mode = (s.mode & ~0o777) | (ipc64_perm.get(dv, 0, "mode") & 0o777);
        s.ctime = sp.now();
        return 0;
      }
      s.removed = true;
      sp.forgetKey(s);
      s.key = IPC_PRIVATE; // a removed segment's key is free again
      if (s.anon.refs === 1) sp.destroy(s);
      return 0;
    }
    case SHM_LOCK: case SHM_UNLOCK:
      if (!hasCap(t.cred, CAP_IPC_LOCK) && t.cred.euid !== s.uid && t.cred.euid !== s.cuid) kerr(EPERM);
      if (cmd === SHM_LOCK) lockedSegs.add(s); else lockedSegs.delete(s);
      return 0;
    default:
      return kerr(EINVAL);
  }
}

defineSyscalls({
  shmget: (t, key, size, flags) => shmget(t, i32Arg(key), size, i32Arg(flags)),
  shmat: (t, id, addr, flags) => shmat(t, i32Arg(id), addr, i32Arg(flags)),
  shmdt: (t, addr) => shmdt(t, addr),
  shmctl: (t, id, cmd, va) => shmctl(t, i32Arg(id), i32Arg(cmd), va),
});
