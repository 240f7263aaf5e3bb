// The fair class: EEVDF as in Linux 6.15's kernel/sched/fair.c, one run queue
// per hart (no task groups).
//
// Every queued entity i has a vruntime v_i (service received, scaled by
// NICE_0_LOAD / weight) and a virtual deadline vd_i = v_i + slice/w_i. V, the
// load-weighted average vruntime, is kept as sum((v_i - v0) * w_i) and
// sum(w_i) relative to v0 = minVruntime, the running entity (curr, which is
// not in the tree) included on the fly. An entity is eligible when its lag
// V - v_i is >= 0. pick_eevdf takes the eligible entity with the earliest
// deadline, searching the deadline-ordered tree through each subtree's
// minimum vruntime. Placement on enqueue keeps the lag an entity had when it
// left (PLACE_LAG), scaled for the weight it adds to V.

import { DeadlineTree } from "./tree.js";
import { SchedEntity } from "./entity.js";
import { calcDeltaFair, divS64, mulDivS64 } from "./weights.js";
import type { Bore } from "./bore.js";
import type { Task } from "../task.js";

export const ENQUEUE_WAKEUP = 0x01;
export const ENQUEUE_RESTORE = 0x02;
export const ENQUEUE_MOVE = 0x04;
export const ENQUEUE_NOCLOCK = 0x08;
export const ENQUEUE_HEAD = 0x10;
export const ENQUEUE_INITIAL = 0x80;
export const ENQUEUE_DELAYED = 0x200;

export const DEQUEUE_SLEEP = 0x01;
export const DEQUEUE_SAVE = 0x02;
export const DEQUEUE_MOVE = 0x04;
export const DEQUEUE_NOCLOCK = 0x08;
export const DEQUEUE_SPECIAL = 0x10;
export const DEQUEUE_DELAYED = 0x200;

export const WF_FORK = 0x04;

export const TICK_NSEC = 1_000_000;

const SCHED_NORMAL = 0;
const SCHED_IDLE = 5;

// sched_feat(): the EEVDF switches, with 6.15's defaults.
export interface SchedFeatures {
  PLACE_LAG: boolean;
  PLACE_DEADLINE_INITIAL: boolean;
  PLACE_REL_DEADLINE: boolean;
  RUN_TO_PARITY: boolean;
  PREEMPT_SHORT: boolean;
  NEXT_BUDDY: boolean;
  PICK_BUDDY: boolean;
  DELAY_DEQUEUE: boolean;
  DELAY_ZERO: boolean;
  WAKEUP_PREEMPTION: boolean;
}

export function defaultFeatures(): SchedFeatures {
  return {
    PLACE_LAG: true, PLACE_DEADLINE_INITIAL: true, PLACE_REL_DEADLINE: true, RUN_TO_PARITY: true,
    PREEMPT_SHORT: true, NEXT_BUDDY: false, PICK_BUDDY: true, DELAY_DEQUEUE: true, DELAY_ZERO: true,
    WAKEUP_PREEMPTION: true,
  };
}

// What the fair class needs from the per-hart run queue it belongs to.
export interface FairHost {
  // rq_clock_task: ns of execution time this hart has run.
  readonly clockTask: number;
  // Tasks runnable on the hart, every class (rq->nr_running).
  readonly nrRunning: number;
  readonly needResched: boolean;
  // The task the hart runs now (rq->curr / rq->donor).
  readonly currTask: Task | null;
  resched(): void;
  wakeupPreempt(p: Task, wakeFlags: number): void;
  baseSlice(): number;
  prioOf(p: Task): number;
}

export function seOf(t: Task): SchedEntity { return t.se as SchedEntity; }

export class FairRq {
  readonly tree = new DeadlineTree<SchedEntity>();
  curr: SchedEntity | null = null;
  next: SchedEntity | null = null; // the next buddy (NEXT_BUDDY; off by default)
  minVruntime = 0;
  // sum((v_i - minVruntime) * w_i) and sum(w_i) over the entities in the tree.
  avgVruntime = 0;
  avgLoad = 0;
  // Weight of every queued entity, curr included (cfs_rq->load).
  loadWeight = 0;
  // Queued entities, curr and delayed ones included (cfs_rq->nr_queued).
  nrQueued = 0;
  // Queued tasks that are not delayed (cfs_rq->h_nr_runnable).
  nrRunnable = 0;
  readonly features: SchedFeatures = defaultFeatures();
  bore: Bore | null = null;

  constructor(readonly host: FairHost) {}

  // ---------------------------------------------------------------- V and lag

  private entityKey(se: SchedEntity): number { return se.vruntime - this.minVruntime; }

  private avgVruntimeAdd(se: SchedEntity): void {
    const w = se.load.weight;
    this.avgVruntime += this.entityKey(se) * w;
    this.avgLoad += w;
  }

  private avgVruntimeSub(se: SchedEntity): void {
    const w = se.load.weight;
    this.avgVruntime -= this.entityKey(se) * w;
    this.avgLoad -= w;
  }

  // V, the weighted average vruntime; rounded toward -infinity so that an
  // entity at exactly V is eligible.
  avgVruntimeValue(): number {
    const curr = this.curr;
    let avg = this.avgVruntime;
    let load = this.avgLoad;
    if (curr && curr.onRq) {
      const w = curr.load.weight;
      avg += this.entityKey(curr) * w;
      load += w;
    }
    if (load) {
      if (avg < 0) avg -= load - 1;
      avg = divS64(avg, load);
    }
    return this.minVruntime + avg;
  }

  // lag_i = V - v_i, clamped to a bit more than a slice either way.
  updateEntityLag(se: SchedEntity): void {
    const vlag = this.avgVruntimeValue() - se.vruntime;
    let limit = calcDeltaFair(Math.max(2 * se.slice, TICK_NSEC), se.load);
    if (this.bore?.enabled) limit = Math.floor(limit / 2);
    se.vlag = Math.min(limit, Math.max(-limit, vlag));
  }

  // v is eligible when V >= v, in the scaled sums (no division):
  // sum((v_j - v0) * w_j) >= (v - v0) * sum(w_j).
  vruntimeEligible(vruntime: number): boolean {
    const curr = this.curr;
    let avg = this.avgVruntime;
    let load = this.avgLoad;
    if (curr && curr.onRq) {
      const w = curr.load.weight;
      avg += this.entityKey(curr) * w;
      load += w;
    }
    return avg >= (vruntime - this.minVruntime) * load;
  }

  entityEligible(se: SchedEntity): boolean { return this.vruntimeEligible(se.vruntime); }

  // minVruntime only moves forward; the sums are rebased when it does.
  updateMinVruntime(): void {
    const root = this.tree.root;
    let curr = this.curr;
    let v = this.minVruntime;
    if (curr) {
      if (curr.onRq) v = curr.vruntime;
      else curr = null;
    }
    if (root) v = curr ? Math.min(v, root.minVruntime) : root.minVruntime;
    const delta = v - this.minVruntime;
    if (delta > 0) {
      this.avgVruntime -= this.avgLoad * delta;
      this.minVruntime = v;
    }
  }

  // The shortest slice of the queued entities (cfs_rq_min_slice).
  minSlice(): number {
    const root = this.tree.root;
    let m = Infinity;
    if (this.curr && this.curr.onRq) m = this.curr.slice;
    if (root) m = Math.min(m, root.minSlice);
    return m;
  }

  // __enqueue_entity / __dequeue_entity: the tree and the V sums only.
  enqueueTree(se: SchedEntity): void {
    this.avgVruntimeAdd(se);
    this.tree.insert(se);
  }

  dequeueTree(se: SchedEntity): void {
    this.tree.erase(se);
    this.avgVruntimeSub(se);
  }

  // RUN_TO_PARITY: at pick, a copy of the deadline is stashed in vlag (unused
  // until dequeue); while they match, the slice is protected.
  private setProtectSlice(se: SchedEntity): void { se.vlag = se.deadline; }
  protectSlice(se: SchedEntity): boolean { return se.vlag === se.deadline; }
  private cancelProtectSlice(se: SchedEntity): void { if (this.protectSlice(se)) se.vlag = se.deadline + 1; }

  private entityBefore(a: SchedEntity, b: SchedEntity): boolean { return a.deadline < b.deadline; }

  // ---------------------------------------------------------------- pick

  // Earliest Eligible Virtual Deadline First.
  pickEevdf(): SchedEntity | null {
    let node = this.tree.root;
    let se = this.tree.leftmost();
    let curr = this.curr;
    let best: SchedEntity | null = null;

    // One entity: nothing to choose.
    if (this.nrQueued === 1) return curr && curr.onRq ? curr : se;

    if (curr && (!curr.onRq || !this.entityEligible(curr))) curr = null;

    // Run an eligible curr until its protected slice is used up (BORE skips
    // this when more than parity-threshold entities are queued).
    if (this.features.RUN_TO_PARITY && curr && this.protectSlice(curr)) {
      const b = this.bore;
      if (!(b && b.enabled && b.parityThreshold && b.parityThreshold < this.nrQueued)) return curr;
    }

    if (se && this.entityEligible(se)) {
      best = se;
    } else {
      // Heap search: an eligible entity in the left subtree always has an
      // earlier deadline than this node; else this node; else go right.
      while (node) {
        const left = node.left as SchedEntity | null;
        if (left && this.vruntimeEligible(left.minVruntime)) { node = left; continue; }
        se = node;
        if (this.entityEligible(se)) { best = se; break; }
        node = node.right as SchedEntity | null;
      }
    }
    if (!best || (curr && this.entityBefore(curr, best))) best = curr;
    return best;
  }

  // ---------------------------------------------------------------- runtime

  // When vruntime passes the deadline: a new slice and deadline; reschedule.
  private updateDeadline(se: SchedEntity): boolean {
    if (se.vruntime < se.deadline) return false;
    if (!se.customSlice) se.slice = this.host.baseSlice();
    se.deadline = se.vruntime + calcDeltaFair(se.slice, se.load);
    return true;
  }

  // PREEMPT_SHORT: curr lost its slice protection to a shorter-slice wakee
  // and is no longer eligible.
  private didPreemptShort(curr: SchedEntity): boolean {
    if (!this.features.PREEMPT_SHORT) return false;
    if (curr.vlag === curr.deadline) return false;
    return !this.entityEligible(curr);
  }

  private doPreemptShort(pse: SchedEntity, se: SchedEntity): boolean {
    if (!this.features.PREEMPT_SHORT) return false;
    if (pse.slice >= se.slice) return false;
    if (!this.entityEligible(pse)) return false;
    if (this.entityBefore(pse, se)) return true;
    if (!this.entityEligible(se)) return true;
    return false;
  }

  private clearBuddies(se: SchedEntity): void { if (this.next === se) this.next = null; }

  // Charges curr for the time it ran since its last update.
  updateCurr(): void {
    const curr = this.curr;
    if (!curr) return;
    const now = this.host.clockTask;
    const delta = now - curr.execStart;
    if (delta <= 0) return;
    curr.execStart = now;
    curr.sumExecRuntime += delta;
    if (this.bore) {
      curr.burstTime += delta;
      this.bore.updateBurstPenalty(curr);
    }
    curr.vruntime += calcDeltaFair(delta, curr.load);
    const resched = this.updateDeadline(curr);
    this.updateMinVruntime();
    if (this.nrQueued === 1) return;
    if (resched || this.didPreemptShort(curr)) {
      this.host.resched();
      this.clearBuddies(curr);
    }
  }

  // ---------------------------------------------------------------- placement

  placeEntity(se: SchedEntity, flags: number): void {
    const vruntime = this.avgVruntimeValue();
    let lag = 0;
    if (!se.customSlice) se.slice = this.host.baseSlice();
    let vslice = calcDeltaFair(se.slice, se.load);

    // Keep the lag the entity left with. Adding an entity with lag l moves V
    // by -l*w_i/(W + w_i); inflate l by (W + w_i)/W so that, once it is in,
    // its lag against the new V is l again.
    if (this.features.PLACE_LAG && this.nrQueued && se.vlag) {
      const curr = this.curr;
      let load = this.avgLoad;
      if (curr && curr.onRq) load += curr.load.weight;
      lag = mulDivS64(se.vlag, load + se.load.weight, load || 1);
    }
    se.vruntime = vruntime - lag;

    if (se.relDeadline) {
      se.deadline += se.vruntime;
      se.relDeadline = false;
      return;
    }
    if (this.bore?.enabled) {
      // BORE: woken and new tasks start with half a slice.
      if (flags & this.bore.deadlineBoostMask) vslice = Math.floor(vslice / 2);
    } else if (this.features.PLACE_DEADLINE_INITIAL && (flags & ENQUEUE_INITIAL)) {
      // New tasks join halfway through a slice, as the others are on average.
      vslice = Math.floor(vslice / 2);
    }
    se.deadline = se.vruntime + vslice;
  }

  enqueueEntity(se: SchedEntity, flags: number): void {
    const isCurr = this.curr === se;
    if (isCurr) this.placeEntity(se, flags);
    this.updateCurr();
    if (!isCurr) this.placeEntity(se, flags);
    this.loadWeight += se.load.weight;
    this.nrQueued++;
    if (!isCurr) {
      this.enqueueTree(se);
      se.waitStart = this.host.clockTask;
    }
    se.onRq = true;
  }

  // Returns false when the entity stays queued, delayed (DELAY_DEQUEUE).
  dequeueEntity(se: SchedEntity, flags: number): boolean {
    const sleep = (flags & DEQUEUE_SLEEP) !== 0;
    this.updateCurr();
    this.clearBuddies(se);
    if (!(flags & DEQUEUE_DELAYED)) {
      const delay = sleep && !(flags & DEQUEUE_SPECIAL);
      // An ineligible sleeper keeps competing until it is picked or woken:
      // its negative lag is burnt off rather than forgotten.
      if (this.features.DELAY_DEQUEUE && delay && !this.entityEligible(se)) {
        se.delayed = true;
        return false;
      }
    }
    this.updateEntityLag(se);
    // (Out of the tree first: the tree finds entities by their deadline.)
    if (se !== this.curr) this.dequeueTree(se);
    if (this.features.PLACE_REL_DEADLINE && !sleep) {
      se.deadline -= se.vruntime;
      se.relDeadline = true;
    }
    se.onRq = false;
    this.loadWeight -= se.load.weight;
    this.nrQueued--;
    if ((flags & (DEQUEUE_SAVE | DEQUEUE_MOVE)) !== DEQUEUE_SAVE) this.updateMinVruntime();
    if (flags & DEQUEUE_DELAYED) {
      se.delayed = false;
      if (this.features.DELAY_ZERO && se.vlag > 0) se.vlag = 0;
    }
    return true;
  }

  // A delayed entity is woken: it is runnable again where it stands, except
  // that positive lag (DELAY_ZERO) is dropped and it is placed afresh.
  private requeueDelayedEntity(se: SchedEntity): void {
    if (this.features.DELAY_ZERO) {
      this.updateEntityLag(se);
      if (se.vlag > 0) {
        this.nrQueued--;
        if (se !== this.curr) this.dequeueTree(se);
        se.vlag = 0;
        this.placeEntity(se, 0);
        if (se !== this.curr) this.enqueueTree(se);
        this.nrQueued++;
      }
    }
    se.delayed = false;
    this.nrRunnable++;
  }

  setNextEntity(se: SchedEntity): void {
    this.clearBuddies(se);
    const now = this.host.clockTask;
    if (se.onRq) {
      const waited = now - se.waitStart;
      if (waited > se.waitMax) se.waitMax = waited;
      se.waitSum += waited;
      se.waitCount++;
      this.dequeueTree(se);
      this.setProtectSlice(se);
    }
    se.execStart = now;
    this.curr = se;
    se.prevSumExecRuntime = se.sumExecRuntime;
  }

  putPrevEntity(prev: SchedEntity): void {
    if (prev.onRq) {
      this.updateCurr();
      prev.waitStart = this.host.clockTask;
      this.enqueueTree(prev);
    }
    this.curr = null;
  }

  // A new weight: the entity's lag and relative deadline are rescaled so its
  // standing (w_i * lag) is kept, and it is placed again.
  reweightEntity(se: SchedEntity, weight: number): void {
    const isCurr = this.curr === se;
    if (se.onRq) {
      this.updateCurr();
      this.updateEntityLag(se);
      if (!isCurr) this.dequeueTree(se);
      se.deadline -= se.vruntime;
      se.relDeadline = true;
      this.nrQueued--;
      this.loadWeight -= se.load.weight;
    }
    se.vlag = mulDivS64(se.vlag, se.load.weight, weight);
    if (se.relDeadline) se.deadline = mulDivS64(se.deadline, se.load.weight, weight);
    se.load.weight = weight;
    se.load.invWeight = 0;
    if (se.onRq) {
      this.placeEntity(se, 0);
      this.loadWeight += weight;
      if (!isCurr) this.enqueueTree(se);
      this.nrQueued++;
      this.updateMinVruntime();
    }
  }

  // ---------------------------------------------------------------- task operations

  enqueueTask(p: Task, flags: number): void {
    const se = seOf(p);
    if (flags & ENQUEUE_DELAYED) { this.requeueDelayedEntity(se); return; }
    if (se.onRq) {
      if (se.delayed) this.requeueDelayedEntity(se);
      return;
    }
    // A delayed entity taken off for a change (DEQUEUE_SAVE) comes back delayed.
    const stillDelayed = se.delayed;
    this.enqueueEntity(se, flags);
    if (!stillDelayed) this.nrRunnable++;
  }

  // false: the task stays queued, delayed.
  dequeueTask(p: Task, flags: number): boolean {
    const se = seOf(p);
    if (this.bore && (flags & DEQUEUE_SLEEP)) {
      if (this.curr === se) this.updateCurr();
      this.bore.restartBurst(se);
    }
    return this.dequeueEntities(se, flags);
  }

  private dequeueEntities(se: SchedEntity, flags: number): boolean {
    const wasDelayed = se.delayed;
    if (!this.dequeueEntity(se, flags)) {
      this.nrRunnable--;
      return false;
    }
    if (!wasDelayed) this.nrRunnable--;
    return true;
  }

  pickTask(): Task | null {
    for (;;) {
      if (!this.nrQueued) return null;
      if (this.curr && this.curr.onRq) this.updateCurr();
      if (this.features.PICK_BUDDY && this.next && this.entityEligible(this.next)) return this.next.task;
      const se = this.pickEevdf();
      if (!se) return null;
      if (se.delayed) {
        // A delayed sleeper reached the front: now it really leaves.
        this.dequeueEntities(se, DEQUEUE_SLEEP | DEQUEUE_DELAYED);
        continue;
      }
      return se.task;
    }
  }

  putPrevTask(p: Task): void { this.putPrevEntity(seOf(p)); }
  setNextTask(p: Task): void { this.setNextEntity(seOf(p)); }

  taskTick(): void { this.updateCurr(); }

  // sched_yield: an eligible task forfeits the rest of its slice (its
  // vruntime moves to its deadline) and its deadline moves one slice out.
  // As Linux since "sched/fair: Forfeit vruntime on yield" (6.17, in 6.12.y
  // stable): before it, only the deadline moved, by a slice per yield, so a
  // yield loop pushed it minutes ahead and the task then starved behind
  // its siblings whatever their nice values.
  yieldTask(p: Task): void {
    const se = seOf(p);
    if (!this.bore) {
      if (this.host.nrRunning === 1) return;
      this.clearBuddies(se);
    }
    this.updateCurr();
    if (this.bore) {
      this.bore.restartBurstRescaleDeadline(se);
      if (this.host.nrRunning === 1) return;
      this.clearBuddies(se);
    }
    if (!this.entityEligible(se)) return;
    se.vruntime = se.deadline;
    se.deadline += calcDeltaFair(se.slice, se.load);
  }

  // Wakeup preemption: should the woken p take the hart from curr (both fair)?
  checkPreemptWakeup(p: Task, wakeFlags: number): void {
    const donor = this.host.currTask;
    if (!donor) return;
    const se = seOf(donor), pse = seOf(p);
    if (se === pse) return;
    if (this.features.NEXT_BUDDY && !(wakeFlags & WF_FORK) && !pse.delayed) this.next = pse;
    if (this.host.needResched) return;
    if (!this.features.WAKEUP_PREEMPTION) return;
    const cseIdle = donor.policy === SCHED_IDLE, pseIdle = p.policy === SCHED_IDLE;
    // A non-idle task preempts an idle one, never the reverse.
    if (cseIdle && !pseIdle) { this.host.resched(); return; }
    if (cseIdle !== pseIdle) return;
    // SCHED_BATCH and SCHED_IDLE wakees do not preempt.
    if (p.policy !== SCHED_NORMAL) return;
    this.updateCurr();
    // A shorter-slice eligible wakee overrides curr's slice protection.
    if (this.doPreemptShort(pse, se)) this.cancelProtectSlice(se);
    if (this.pickEevdf() === pse) this.host.resched();
  }

  reweightTask(p: Task, weight: number, invWeight: number): void {
    const se = seOf(p);
    this.reweightEntity(se, weight);
    se.load.invWeight = invWeight;
  }

  prioChanged(p: Task, oldPrio: number): void {
    if (!seOf(p).onRq) return;
    if (this.nrQueued === 1) return;
    if (this.host.currTask === p) {
      if (this.host.prioOf(p) > oldPrio) this.host.resched();
    } else {
      this.host.wakeupPreempt(p, 0);
    }
  }

  switchedFrom(p: Task): void {
    const se = seOf(p);
    se.relDeadline = false;
    this.bore?.resetTask(se);
  }

  switchedTo(p: Task): void {
    if (!seOf(p).onRq) return;
    if (this.host.currTask === p) this.host.resched();
    else this.host.wakeupPreempt(p, 0);
  }

  // sched_rr_get_interval for a fair task: its slice in whole jiffies.
  rrInterval(p: Task): number {
    return this.loadWeight ? Math.floor(seOf(p).slice / TICK_NSEC) : 0;
  }

  // Checks the queue's bookkeeping against a recount (tests).
  check(): void {
    this.tree.check();
    let avg = 0, load = 0;
    for (const se of this.tree) { avg += (se.vruntime - this.minVruntime) * se.load.weight; load += se.load.weight; }
    if (avg !== this.avgVruntime || load !== this.avgLoad) throw new Error(`avg_vruntime drifted: ${avg}/${load} vs ${this.avgVruntime}/${this.avgLoad}`);
    const queued = this.tree.size + (this.curr && this.curr.onRq ? 1 : 0);
    if (queued !== this.nrQueued) throw new Error(`nr_queued ${this.nrQueued} vs ${queued}`);
  }
}
