// System V shared memory (Linux's ipc/shm.c): the segments and their per-kernel ids.

import { SHMMNI, SHMMAX, SHMALL } from "../abi/ipc.js";
import { EINVAL } from "../abi/errno.js";
import { kerr } from "../lib/errors.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { SharedAnon } from "../mm/vma.js";
import { IpcIds, perKernel, procKernelSysctls, registerNextId, intSysctl, IPCMNI, type IpcObject } from "./util.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";

export interface Segment extends IpcObject {
  size: number; anon: SharedAnon;
  atime: number; dtime: number; ctime: number; cpid: number; lpid: number;
  removed: boolean; // IPC_RMID: goes with its last attach
}

export class ShmSpace extends IpcIds<Segment> {
  // kernel.shmmax (bytes in one segment) and kernel.shmall (pages in all),
  // unsigned longs as Linux keeps them; shmTot: the pages of the segments
  // that exist (Linux's shm_tot, until a removed one's last detach).
  shmmax = BigInt(SHMMAX);
  shmall = BigInt(SHMALL);
  shmTot = 0;
  constructor(k: Kernel) { super(k, SHMMNI); }

  create(t: Task, key: number, size: number, mode: number): Segment {
    const anon = new SharedAnon();
    anon.refs = 1; // the segment's own hold
    const s: Segment = {
      ...this.fresh(t, key, mode), size, anon, atime: 0, dtime: 0, ctime: this.now(), cpid: t.tg.pid, lpid: 0, removed: false,
    };
    anon.shmid = s.id;
    this.shmTot += Math.ceil(size / PAGE_SIZE);
    anon.onUnref = () => {
      s.dtime = this.now();
      if (s.removed && s.anon.refs === 1) this.destroy(s);
    };
    return this.add(s);
  }
  // The segment's own hold goes; its pages go with the last attach.
  destroy(s: Segment): void {
    this.remove(s);
    this.shmTot -= Math.ceil(s.size / PAGE_SIZE);
    if (--s.anon.refs === 0) s.anon.freePages(this.k.phys);
  }
}

export const space = perKernel((k) => new ShmSpace(k));

// kernel.shmmni (0 to IPCMNI, as Linux's shm sysctl) and kernel.shm_next_id.
procKernelSysctls.set("shmmni", { get: (k) => String(space(k).mni), set: (k, v) => { space(k).mni = intSysctl(v, 0, IPCMNI); } });
registerNextId("shm", space);

// An unsigned long sysctl as proc_doulongvec_minmax reads it: decimal digits
// up to ULONG_MAX, else EINVAL.
function ulongSysctl(v: string): bigint {
  const m = /^\s*\+?(\d+)\s*$/.exec(v);
  const n = m ? BigInt(m[1]) : -1n;
  if (n < 0n || n > 0xffff_ffff_ffff_ffffn) kerr(EINVAL);
  return n;
}
procKernelSysctls.set("shmmax", { get: (k) => String(space(k).shmmax), set: (k, v) => { space(k).shmmax = ulongSysctl(v); } });
procKernelSysctls.set("shmall", { get: (k) => String(space(k).shmall), set: (k, v) => { space(k).shmall = ulongSysctl(v); } });
