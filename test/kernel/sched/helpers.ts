// Small stand-ins for the kernel around the scheduler: tasks with just the
// fields the scheduler reads, a run queue on a hand-driven clock.

import { Rq, type SchedPolicyName } from "../../../src/kernel/sched/core.js";
import { ThreadGroup, type Task } from "../../../src/kernel/task.js";
import { SchedEntity } from "../../../src/kernel/sched/entity.js";
import { FairRq, type FairHost } from "../../../src/kernel/sched/fair.js";
import { PRIO_TO_WEIGHT, PRIO_TO_WMULT } from "../../../src/kernel/sched/weights.js";

export interface FakeTaskOpts { nice?: number; policy?: number; rtPriority?: number; tg?: ThreadGroup; uid?: number }

export class World {
  now = 0; // CLOCK_MONOTONIC of the fake machine
  readonly tasks = new Map<number, Task>();
  readonly rq: Rq;
  private nextTid = 100;
  constructor(policy: SchedPolicyName) {
    this.rq = new Rq({ policy, monotonic: () => this.now, tasks: () => this.tasks.values() });
  }

  task(o: FakeTaskOpts = {}): Task {
    const tid = this.nextTid++;
    const tg = o.tg ?? new ThreadGroup(tid);
    const uid = o.uid ?? 0;
    const t = {
      tid, tg, state: 0, se: null, nice: o.nice ?? 0, policy: o.policy ?? 0, rtPriority: o.rtPriority ?? 0,
      comm: `t${tid}`, timerSlack: 50000, nvcsw: 0, nivcsw: 0, inSyscall: false,
      cred: { uid, euid: uid, gid: 0, egid: 0, suid: uid, sgid: 0, fsuid: uid, fsgid: 0, groups: [] },
      pid: tg.pid,
    } as unknown as Task;
    tg.threads.add(t);
    this.tasks.set(tid, t);
    return t;
  }

  // A new task, enqueued as fork would (wake_up_new_task).
  spawn(o: FakeTaskOpts = {}): Task {
    const t = this.task(o);
    this.rq.enqueue(t, false);
    return t;
  }

  // The current task runs for ns; the tick fires at every whole ms crossed.
  run(ns: number): void {
    while (ns > 0) {
      const toTick = 1_000_000 - (this.now % 1_000_000);
      const step = Math.min(ns, toTick);
      this.now += step;
      this.rq.advance(step);
      ns -= step;
      if (this.now % 1_000_000 === 0) this.rq.schedulerTick();
    }
  }

  // Runs the machine for `ns`, rescheduling whenever the scheduler asks; returns the CPU time each task got.
  simulate(ns: number, quantum = 100_000): Map<Task, number> {
    const got = new Map<Task, number>();
    let cur = this.rq.pickNext();
    const end = this.now + ns;
    while (this.now < end) {
      if (!cur) break;
      this.run(quantum);
      got.set(cur, (got.get(cur) ?? 0) + quantum);
      if (this.rq.needResched) cur = this.rq.pickNext();
    }
    return got;
  }

  sleep(t: Task): void { t.state = 1; }
  wake(t: Task): void { t.state = 0; this.rq.enqueue(t, true); }
}

export const se = (t: Task) => t.se as SchedEntity;

// A bare fair run queue with a hand-set clock, for white-box tests.
export class BareHost implements FairHost {
  clockTask = 0;
  nrRunning = 0;
  needResched = false;
  currTask: Task | null = null;
  slice = 700_000;
  resched(): void { this.needResched = true; }
  wakeupPreempt(): void { this.needResched = true; }
  baseSlice(): number { return this.slice; }
  prioOf(p: Task): number { return 120 + p.nice; }
}

export function bareRq(): { rq: FairRq; host: BareHost } {
  const host = new BareHost();
  return { rq: new FairRq(host), host };
}

// An entity at a given vruntime and deadline (weight from nice).
export function entity(v: number, d: number, weight = 1024, slice = 700_000): SchedEntity {
  const t = { tid: 0, nice: 0, policy: 0 } as unknown as Task;
  const e = new SchedEntity(t, slice);
  (t as { se: unknown }).se = e;
  e.vruntime = v;
  e.deadline = d;
  e.load.weight = weight;
  const i = PRIO_TO_WEIGHT.indexOf(weight);
  e.load.invWeight = i >= 0 ? PRIO_TO_WMULT[i] : Math.floor(2 ** 32 / weight);
  return e;
}
