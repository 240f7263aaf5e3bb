// A placeholder run queue: first in, first out, a fixed slice. The
// BORE-EEVDF fair class replaces it behind the same interface.

import type { Task } from "../task.js";

export interface RunQueue {
  enqueue(t: Task, wakeup: boolean): void;
  dequeue(t: Task): void;
  pickNext(): Task | undefined;
  // Accounts `ns` of CPU time to t; true if t should be preempted.
  tick(t: Task, ns: number): boolean;
  // sched_yield: t gives up the rest of its slice.
  yield?(t: Task): void;
  readonly nrRunning: number;
}

export class FifoRunQueue implements RunQueue {
  private q: Task[] = [];
  private used = new Map<Task, number>();
  constructor(readonly sliceNs = 4_000_000) {}
  get nrRunning(): number { return this.q.length; }
  enqueue(t: Task): void { if (!this.q.includes(t)) this.q.push(t); }
  dequeue(t: Task): void { const i = this.q.indexOf(t); if (i >= 0) this.q.splice(i, 1); this.used.delete(t); }
  pickNext(): Task | undefined {
    const t = this.q.shift();
    if (t) this.q.push(t);
    return t;
  }
  tick(t: Task, ns: number): boolean {
    const u = (this.used.get(t) ?? 0) + ns;
    if (u >= this.sliceNs) { this.used.set(t, 0); return this.q.length > 1; }
    this.used.set(t, u);
    return false;
  }
}
