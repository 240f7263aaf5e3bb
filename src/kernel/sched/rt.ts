// The real-time classes SCHED_FIFO and SCHED_RR: 99 priority levels above
// every fair task, a FIFO list per level (the running task stays at its
// place in its list). The highest non-empty level runs; FIFO tasks run until
// they block, yield or are preempted by a higher level; SCHED_RR tasks also
// go to the back of their level when their 100 ms quantum is used up.

import type { SchedEntity } from "./entity.js";
import type { Task } from "../task.js";
import { SCHED_RR, SCHED_DEADLINE } from "../../abi/sched.js";

export const MAX_RT_PRIO = 100;

// Kernel priority of an RT task: 0 (highest) … 98; lower runs first. A
// SCHED_DEADLINE task runs at the highest level (Ghost has no EDF class).
export function rtPrio(p: Task): number { return p.policy === SCHED_DEADLINE ? 0 : MAX_RT_PRIO - 1 - p.rtPriority; }

export interface RtHost {
  readonly clockTask: number;
  // The SCHED_RR quantum in ticks (kernel.sched_rr_timeslice_ms).
  readonly rrTimeslice: number;
  readonly currTask: Task | null;
  resched(): void;
  prioOf(p: Task): number;
}

export class RtRq {
  private readonly queues: Task[][] = Array.from({ length: MAX_RT_PRIO }, () => []);
  // Bit i of word w set: queue 32*w + i is non-empty.
  private readonly bitmap = new Uint32Array(4);
  nrRunning = 0;
  private execStart = 0;

  constructor(readonly host: RtHost) {}

  private setBit(i: number, on: boolean): void {
    if (on) this.bitmap[i >> 5] |= 1 << (i & 31);
    else this.bitmap[i >> 5] &= ~(1 << (i & 31));
  }

  private firstPrio(): number {
    for (let w = 0; w < this.bitmap.length; w++) {
      const b = this.bitmap[w];
      if (b) return w * 32 + (31 - Math.clz32(b & -b));
    }
    return -1;
  }

  enqueueTask(p: Task, head: boolean): void {
    const se = p.se as SchedEntity;
    if (se.rtOnRq) return;
    const q = this.queues[rtPrio(p)];
    if (head) q.unshift(p); else q.push(p);
    this.setBit(rtPrio(p), true);
    se.rtOnRq = true;
    this.nrRunning++;
  }

  dequeueTask(p: Task): void {
    const se = p.se as SchedEntity;
    if (!se.rtOnRq) return;
    if (this.host.currTask === p) this.updateCurr(p);
    const prio = rtPrio(p);
    const q = this.queues[prio];
    const i = q.indexOf(p);
    if (i >= 0) q.splice(i, 1);
    if (!q.length) this.setBit(prio, false);
    se.rtOnRq = false;
    this.nrRunning--;
  }

  // Moves p to the back (or front) of its level.
  requeue(p: Task, head: boolean): void {
    const q = this.queues[rtPrio(p)];
    const i = q.indexOf(p);
    if (i < 0) return;
    q.splice(i, 1);
    if (head) q.unshift(p); else q.push(p);
  }

  pickTask(): Task | null {
    const prio = this.firstPrio();
    return prio < 0 ? null : this.queues[prio][0];
  }

  private updateCurr(p: Task): void {
    const now = this.host.clockTask;
    const delta = now - this.execStart;
    if (delta <= 0) return;
    this.execStart = now;
    (p.se as SchedEntity).sumExecRuntime += delta;
  }

  setNextTask(p: Task): void {
    this.execStart = this.host.clockTask;
    const se = p.se as SchedEntity;
    se.execStart = this.execStart;
    se.prevSumExecRuntime = se.sumExecRuntime;
  }

  putPrevTask(p: Task): void { this.updateCurr(p); }

  // The tick: SCHED_RR tasks use up their quantum.
  taskTick(p: Task): void {
    this.updateCurr(p);
    if (p.policy !== SCHED_RR) return;
    const se = p.se as SchedEntity;
    if (--se.rtTimeSlice > 0) return;
    se.rtTimeSlice = this.host.rrTimeslice;
    // Back of the line, if anyone else is at this level.
    if (this.queues[rtPrio(p)].length > 1) {
      this.requeue(p, false);
      this.host.resched();
    }
  }

  yieldTask(p: Task): void { this.requeue(p, false); }

  // A woken RT task preempts a lower-priority running RT task.
  checkPreempt(p: Task): void {
    const curr = this.host.currTask;
    if (curr && this.host.prioOf(p) < this.host.prioOf(curr)) this.host.resched();
  }

  prioChanged(p: Task, oldPrio: number): void {
    const se = p.se as SchedEntity;
    if (!se.rtOnRq) return;
    const curr = this.host.currTask;
    if (curr === p) {
      // Lowered its own priority: someone else may now be first.
      if (oldPrio < this.host.prioOf(p)) this.host.resched();
    } else if (curr && this.host.prioOf(p) < this.host.prioOf(curr)) {
      this.host.resched();
    }
  }

  switchedTo(p: Task): void {
    const se = p.se as SchedEntity;
    if (!se.rtOnRq) return;
    const curr = this.host.currTask;
    if (curr !== p && (!curr || this.host.prioOf(p) < this.host.prioOf(curr))) this.host.resched();
  }

  rrInterval(p: Task): number { return p.policy === SCHED_RR ? this.host.rrTimeslice : 0; }

  *tasks(): IterableIterator<Task> { for (const q of this.queues) yield* q; }
}
