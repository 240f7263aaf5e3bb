// System V shared memory (Linux's ipc/shm.c): the segments and their per-kernel ids.

import { SHMMNI } from "../abi/ipc.js";
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
  constructor(k: Kernel) { super(k, SHMMNI); }

  create(t: Task, key: number, size: number, mode: number): Segment {
    const anon = new SharedAnon();
    anon.refs = 1; // the segment's own hold
    const s: Segment = {
      ...this.fresh(t, key, mode), size, anon, atime: 0, dtime: 0, ctime: this.now(), cpid: t.tg.pid, lpid: 0, removed: false,
    };
    anon.shmid = s.id;
    anon.onUnref = () => {
      s.dtime = this.now();
      if (s.removed && s.anon.refs === 1) this.destroy(s);
    };
    return this.add(s);
  }
  // The segment's own hold goes; its pages go with the last attach.
  destroy(s: Segment): void {
    this.remove(s);
    if (--s.anon.refs === 0) s.anon.freePages(this.k.phys);
  }
}

export const space = perKernel((k) => new ShmSpace(k));

// kernel.shmmni (0 to IPCMNI, as Linux's shm sysctl) and kernel.shm_next_id.
procKernelSysctls.set("shmmni", { get: (k) => String(space(k).mni), set: (k, v) => { space(k).mni = intSysctl(v, 0, IPCMNI); } });
registerNextId("shm", space);
