// System V semaphore sets (Linux's ipc/sem.c): the sets and their per-kernel ids.

import { SEMMNI, SEMVMX } from "../abi/ipc.js";
import { WaitQueue } from "../lib/wait.js";
import { IpcIds, perKernel, type IpcObject } from "./util.js";
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
  constructor(k: Kernel) {
    super(k, SEMMNI);
    // A process's adjustments are applied when it is gone.
    k.exitHooks.push((tg) => this.exitUndo(tg));
  }
  create(t: Task, key: number, nsems: number, mode: number): SemSet {
    return this.add({
      ...this.fresh(t, key, mode),
      vals: new Array<number>(nsems).fill(0), pids: new Array<number>(nsems).fill(0),
      otime: 0, ctime: this.now(), wq: new WaitQueue(), waiting: new Map(), removed: false,
    });
  }
  destroy(s: SemSet): void {
    s.removed = true;
    this.remove(s);
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
