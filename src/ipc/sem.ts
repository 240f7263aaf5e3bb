// System V semaphore sets (Linux's ipc/sem.c): the sets and their per-kernel ids.

import { SEMMNI, SEMMSL, SEMMNS, SEMOPM, SEMVMX } from "../abi/ipc.js";
import { kerr } from "../lib/errors.js";
import { EINVAL, ERANGE } from "../abi/errno.js";
import { WaitQueue } from "../lib/wait.js";
import { IpcIds, perKernel, procKernelSysctls, registerNextId, IPCMNI, type IpcObject } from "./util.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task, ThreadGroup } from "../kernel/task.js";

export interface SemSet extends IpcObject {
  vals: number[]; pids: number[];
  otime: number; ctime: number;
  readonly wq: WaitQueue;
  // Tasks asleep in semop, with the operation each waits on (semncnt, semzcnt).
  readonly waiting: Map<Task, { num: number; zero: boolean }>;
  removed: boolean;
}

export class SemSpace extends IpcIds<SemSet> {
  // SEM_UNDO adjustments: process → set id → per-semaphore adjustment.
  readonly undo = new WeakMap<ThreadGroup, Map<number, number[]>>();
  // kernel.sem's first three limits (semmni is mni): semaphores per set,
  // semaphores in all sets, operations per semop.
  semmsl = SEMMSL;
  semmns = SEMMNS;
  semopm = SEMOPM;
  // The semaphores in all sets (Linux's used_sems).
  usedSems = 0;
  constructor(k: Kernel) {
    super(k, SEMMNI);
    // A process's adjustments are applied when it is gone.
    k.exitHooks.push((tg) => this.exitUndo(tg));
  }
  create(t: Task, key: number, nsems: number, mode: number): SemSet {
    const o = this.fresh(t, key, mode);
    this.usedSems += nsems;
    return this.add({
      ...o,
      vals: new Array<number>(nsems).fill(0), pids: new Array<number>(nsems).fill(0),
      otime: 0, ctime: this.now(), wq: new WaitQueue(), waiting: new Map(), removed: false,
    });
  }
  destroy(s: SemSet): void {
    s.removed = true;
    this.remove(s);
    this.usedSems -= s.vals.length;
    s.wq.wakeAll(); // sleepers see EIDRM
  }
  // Undo entries of a set: changing a value with SETVAL/SETALL clears them.
  clearUndo(s: SemSet, num: number | null): void {
    for (const g of this.k.groups.values()) {
      const adj = this.undo.get(g)?.get(s.id);
      if (adj) { if (num === null) adj.fill(0); else adj[num] = 0; }
    }
  }
  private exitUndo(tg: ThreadGroup): void {
    const m = this.undo.get(tg);
    if (!m) return;
    this.undo.delete(tg);
    for (const [id, adj] of m) {
      let s: SemSet;
      try { s = this.find(id); } catch { continue; } // removed meanwhile
      adj.forEach((a, i) => { if (a) { s.vals[i] = Math.min(SEMVMX, Math.max(0, s.vals[i] + a)); s.pids[i] = tg.pid; } });
      s.wq.wakeAll();
    }
  }
}

export const space = perKernel((k) => new SemSpace(k));

// kernel.sem: "semmsl semmns semopm semmni". A write sets the values it
// gives, in that order (proc_dointvec); a semmni outside 0..IPCMNI is ERANGE
// and leaves semmni as it was, the others written (sem_check_semmni).
procKernelSysctls.set("sem", {
  get: (k) => { const sp = space(k); return `${sp.semmsl}\t${sp.semmns}\t${sp.semopm}\t${sp.mni}`; },
  set: (k, v) => {
    const words = v.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0 || words.some((w) => !/^[-+]?\d+$/.test(w))) kerr(EINVAL);
    const n = words.slice(0, 4).map(Number);
    if (n.some((x) => x < -0x8000_0000 || x > 0x7fff_ffff)) kerr(EINVAL);
    const sp = space(k);
    [sp.semmsl, sp.semmns, sp.semopm] = [n[0], n[1] ?? sp.semmns, n[2] ?? sp.semopm];
    if (n.length > 3) {
      if (n[3] < 0 || n[3] > IPCMNI) kerr(ERANGE);
      sp.mni = n[3];
    }
  },
});
registerNextId("sem", space);
