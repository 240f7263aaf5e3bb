// What the scheduler keeps per task (Task.se): the fair-class entity with
// its EEVDF state, BORE's burst state, the real-time state, and the
// attributes set through sched_setattr.

import type { TreeNode } from "./tree.js";
import { NICE_0_LOAD, PRIO_TO_WMULT, type LoadWeight } from "./weights.js";
import type { Task } from "../task.js";

export const RR_TIMESLICE_TICKS = 100; // SCHED_RR quantum: 100 ms at HZ=1000

export class SchedEntity implements TreeNode {
  // Deadline-tree node (see tree.ts).
  deadline = 0;
  vruntime = 0;
  slice: number;
  left: TreeNode | null = null;
  right: TreeNode | null = null;
  height = 0;
  minVruntime = 0;
  minSlice = 0;
  seq = 0;

  readonly load: LoadWeight = { weight: NICE_0_LOAD, invWeight: PRIO_TO_WMULT[20] };
  onRq = false; // queued on the fair run queue (possibly delayed)
  delayed = false; // DELAY_DEQUEUE: asleep but still queued until picked or woken
  relDeadline = false; // deadline held relative to vruntime across a dequeue
  customSlice = false; // slice set with sched_setattr(sched_runtime)
  vlag = 0; // V - v at dequeue; while running, a copy of the deadline (slice protection)
  execStart = 0;
  sumExecRuntime = 0;
  prevSumExecRuntime = 0;
  nrMigrations = 0;

  // BORE.
  burstTime = 0;
  prevBurstPenalty = 0;
  currBurstPenalty = 0;
  burstPenalty = 0;
  burstScore = 0;

  // Real-time classes.
  rtTimeSlice = RR_TIMESLICE_TICKS;
  rtOnRq = false;

  // SCHED_DEADLINE's parameters (ns), as sched_setattr gave them.
  dlRuntime = 0;
  dlDeadline = 0;
  dlPeriod = 0;

  // sched_setattr bits.
  resetOnFork = false;
  utilMin = 0;
  utilMax = 1024;

  // Wait statistics (/proc/[pid]/sched, the latency benchmark).
  waitStart = 0;
  waitMax = 0;
  waitSum = 0;
  waitCount = 0;

  constructor(readonly task: Task, slice: number) { this.slice = slice; }

  // A field-by-field copy for fork (dup_task_struct).
  copyFrom(o: SchedEntity): void {
    this.slice = o.slice;
    this.customSlice = o.customSlice;
    this.load.weight = o.load.weight;
    this.load.invWeight = o.load.invWeight;
    this.burstTime = o.burstTime;
    this.prevBurstPenalty = o.prevBurstPenalty;
    this.currBurstPenalty = o.currBurstPenalty;
    this.burstPenalty = o.burstPenalty;
    this.burstScore = o.burstScore;
    this.resetOnFork = o.resetOnFork;
    this.utilMin = o.utilMin;
    this.utilMax = o.utilMax;
    this.dlRuntime = o.dlRuntime;
    this.dlDeadline = o.dlDeadline;
    this.dlPeriod = o.dlPeriod;
  }
}
