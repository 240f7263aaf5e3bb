// BORE (Burst-Oriented Response Enhancer) on top of EEVDF, as BORE 5.9.x for
// Linux 6.15 describes it.
//
// A task's burst time is the CPU time it used since it last slept or
// yielded. Its logarithm, past an offset, becomes a penalty (0…156); the
// penalty's quarter is the burst score, added to the nice level to pick the
// task's weight. Tasks that run long without sleeping thus lose weight;
// tasks that sleep often keep it. At each sleep the burst is folded into a
// smoothed history. New tasks inherit a penalty from their relatives: a
// thread from its thread group, a process from the nearest ancestor with
// more than one child (averaged over that subtree, cached for a while).

import { fls64, PRIO_TO_WEIGHT, PRIO_TO_WMULT, mulShr } from "./weights.js";
import type { SchedEntity } from "./entity.js";
import type { Task, ThreadGroup } from "../task.js";

export const MAX_BURST_PENALTY = 39 << 2;

const ENQUEUE_WAKEUP = 0x01;
const ENQUEUE_INITIAL = 0x80;
const CLONE_PARENT = 0x8000;
const CLONE_THREAD = 0x10000;

const SCHED_IDLE = 5;

// The tunables, as kernel.sched_* sysctls.
export interface BoreTunables {
  sched_bore: number;
  sched_burst_exclude_kthreads: number;
  sched_burst_smoothness_long: number;
  sched_burst_smoothness_short: number;
  sched_burst_fork_atavistic: number;
  sched_burst_parity_threshold: number;
  sched_burst_penalty_offset: number;
  sched_burst_penalty_scale: number;
  sched_burst_cache_stop_count: number;
  sched_burst_cache_lifetime: number;
  sched_deadline_boost_mask: number;
}

export function defaultTunables(): BoreTunables {
  return {
    sched_bore: 1,
    sched_burst_exclude_kthreads: 1,
    sched_burst_smoothness_long: 1,
    sched_burst_smoothness_short: 0,
    sched_burst_fork_atavistic: 2,
    sched_burst_parity_threshold: 2,
    sched_burst_penalty_offset: 24,
    sched_burst_penalty_scale: 1280,
    sched_burst_cache_stop_count: 64,
    sched_burst_cache_lifetime: 75_000_000,
    sched_deadline_boost_mask: ENQUEUE_INITIAL | ENQUEUE_WAKEUP,
  };
}

// Range of each tunable ([min, max]) as the sysctl handlers enforce it.
export const TUNABLE_RANGES: Record<keyof BoreTunables, [number, number]> = {
  sched_bore: [0, 1],
  sched_burst_exclude_kthreads: [0, 1],
  sched_burst_smoothness_long: [0, 1],
  sched_burst_smoothness_short: [0, 1],
  sched_burst_fork_atavistic: [0, 3],
  sched_burst_parity_threshold: [0, 255],
  sched_burst_penalty_offset: [0, 64],
  sched_burst_penalty_scale: [0, 4095],
  sched_burst_cache_stop_count: [0, 0xffffffff],
  sched_burst_cache_lifetime: [0, 0xffffffff],
  sched_deadline_boost_mask: [0, 0xffffffff],
};

// log2(v) + 1 in 24.8 fixed point: the position of the top bit, and the
// eight bits below it as the fraction.
export function log2plus1Fixed8(v: number): number {
  const integral = fls64(v);
  if (integral === 0) return 0;
  const frac = integral > 9 ? Math.floor(v / 2 ** (integral - 9)) % 256 : (v * 2 ** (9 - integral)) % 256;
  return integral * 256 + frac;
}

export function calcBurstPenalty(burstTime: number, offset: number, scale: number): number {
  const greed = log2plus1Fixed8(burstTime);
  const tolerance = offset << 8;
  const penalty = Math.max(0, greed - tolerance);
  const scaled = mulShr(penalty, scale, 16);
  return Math.min(MAX_BURST_PENALTY, scaled);
}

// Virtual-slice conversions between priority levels (BORE's yield rescale).
export const scaleSlice = (delta: number, prio: number) => mulShr(delta, PRIO_TO_WMULT[prio], 22);
export const unscaleSlice = (delta: number, prio: number) => mulShr(delta, PRIO_TO_WEIGHT[prio], 10);

interface BurstCache { score: number; count: number; timestamp: number }

// What BORE needs from the scheduler around it.
export interface BoreHost {
  // Gives the task a new weight for priority index prio (0…39).
  reweightByPrio(p: Task, prio: number): void;
  isFair(p: Task): boolean;
  fairTasks(): Iterable<Task>;
  // ktime_get_ns: the monotonic clock.
  now(): number;
}

export class Bore {
  readonly t: BoreTunables = defaultTunables();
  // Per-process caches: the average penalty of a process's descendants, and
  // of its threads. Linux keeps them in the leader's entity.
  private readonly childBurst = new WeakMap<ThreadGroup, BurstCache>();
  private readonly groupBurst = new WeakMap<ThreadGroup, BurstCache>();

  constructor(readonly host: BoreHost) {}

  get enabled(): boolean { return this.t.sched_bore !== 0; }
  get parityThreshold(): number { return this.t.sched_burst_parity_threshold; }
  get deadlineBoostMask(): number { return this.t.sched_deadline_boost_mask; }

  effectivePrio(p: Task): number {
    let prio = p.nice + 20;
    if (this.enabled) prio += (p.se as SchedEntity).burstScore;
    return Math.min(39, prio);
  }

  // Recomputes the score from the penalty; a changed priority reweights.
  updateBurstScore(se: SchedEntity): void {
    const p = se.task;
    const prevPrio = this.effectivePrio(p);
    // Ghost has no kernel threads: every task is scored.
    se.burstScore = se.burstPenalty >> 2;
    const newPrio = this.effectivePrio(p);
    // SCHED_IDLE tasks keep their fixed idle weight.
    if (newPrio !== prevPrio && p.policy !== SCHED_IDLE) this.host.reweightByPrio(p, newPrio);
  }

  updateBurstPenalty(se: SchedEntity): void {
    se.currBurstPenalty = calcBurstPenalty(se.burstTime, this.t.sched_burst_penalty_offset, this.t.sched_burst_penalty_scale);
    se.burstPenalty = Math.max(se.prevBurstPenalty, se.currBurstPenalty);
    this.updateBurstScore(se);
  }

  // Rises halfway toward a larger value, drops at once to a smaller one (with
  // the default smoothness 1 and 0).
  binarySmooth(next: number, old: number): number {
    const inc = next - old;
    return inc >= 0 ? old + (inc >> this.t.sched_burst_smoothness_long) : old - ((-inc) >> this.t.sched_burst_smoothness_short);
  }

  private revolve(se: SchedEntity): void {
    se.prevBurstPenalty = this.binarySmooth(se.currBurstPenalty, se.prevBurstPenalty) & 0xff;
    se.burstTime = 0;
    se.currBurstPenalty = 0;
  }

  // At sleep: the burst ends.
  restartBurst(se: SchedEntity): void {
    this.revolve(se);
    se.burstPenalty = se.prevBurstPenalty;
    this.updateBurstScore(se);
  }

  // At yield: the burst ends, and a task that gained priority keeps its
  // remaining slice in wall time (its virtual deadline distance rescaled).
  restartBurstRescaleDeadline(se: SchedEntity): void {
    const vremain = se.deadline - se.vruntime;
    const p = se.task;
    const prevPrio = this.effectivePrio(p);
    this.restartBurst(se);
    const newPrio = this.effectivePrio(p);
    if (prevPrio > newPrio) {
      const wremain = unscaleSlice(Math.abs(vremain), prevPrio);
      let vscaled = scaleSlice(wremain, newPrio);
      if (vremain < 0) vscaled = -vscaled;
      se.deadline = se.vruntime + vscaled;
    }
  }

  resetTask(se: SchedEntity): void {
    se.burstTime = 0;
    se.prevBurstPenalty = 0;
    se.currBurstPenalty = 0;
    se.burstPenalty = 0;
    se.burstScore = 0;
    const g = se.task.tg;
    if (g.leader === se.task) { this.childBurst.delete(g); this.groupBurst.delete(g); }
  }

  // kernel.sched_bore changed: every fair task gets the weight of its
  // effective priority.
  resetWeights(): void {
    for (const p of this.host.fairTasks()) if (p.policy !== SCHED_IDLE) this.host.reweightByPrio(p, this.effectivePrio(p));
  }

  // ---------------------------------------------------------------- fork inheritance

  private groupPenalty(g: ThreadGroup): number {
    const lead = g.leader;
    return lead && lead.se ? (lead.se as SchedEntity).burstPenalty : 0;
  }

  private groupEligible(g: ThreadGroup): boolean {
    const lead = g.leader;
    return !!lead && !g.zombie && !g.exiting && this.host.isFair(lead);
  }

  private cacheExpired(bc: BurstCache, now: number): boolean {
    return bc.timestamp + this.t.sched_burst_cache_lifetime - now < 0;
  }

  private cacheOf(map: WeakMap<ThreadGroup, BurstCache>, g: ThreadGroup): BurstCache {
    let bc = map.get(g);
    if (!bc) { bc = { score: 0, count: 0, timestamp: 0 }; map.set(g, bc); }
    return bc;
  }

  private updateCache(bc: BurstCache, g: ThreadGroup, cnt: number, sum: number, now: number): void {
    const avg = cnt ? Math.floor(sum / cnt) & 0xff : 0;
    bc.score = Math.max(avg, this.groupPenalty(g));
    bc.count = cnt;
    bc.timestamp = now;
  }

  // Children of a process, leaving out the one being created (not yet linked
  // when Linux computes the inheritance).
  private childrenOf(g: ThreadGroup, skip: ThreadGroup | null): ThreadGroup[] {
    const out: ThreadGroup[] = [];
    for (const c of g.children) if (c !== skip) out.push(c);
    return out;
  }

  private upto2(g: ThreadGroup, skip: ThreadGroup | null): number {
    let n = 0;
    for (const c of g.children) { if (c === skip) continue; if (++n === 2) break; }
    return n;
  }

  private inheritDirect(parent: ThreadGroup, now: number, flags: number, skip: ThreadGroup | null): number {
    const g = (flags & CLONE_PARENT) && parent.parent ? parent.parent : parent;
    const bc = this.cacheOf(this.childBurst, g);
    if (this.cacheExpired(bc, now)) {
      let cnt = 0, sum = 0;
      for (const c of this.childrenOf(g, skip)) {
        if (!this.groupEligible(c)) continue;
        cnt++;
        sum += this.groupPenalty(c);
      }
      this.updateCache(bc, g, cnt, sum, now);
    }
    return bc.score;
  }

  private updateChildTopological(g: ThreadGroup, now: number, depth: number, acc: { cnt: number; sum: number }, skip: ThreadGroup | null): void {
    const mine = { cnt: 0, sum: 0 };
    for (const child of this.childrenOf(g, skip)) {
      // Collapse single-child chains.
      let dec = child;
      let dcnt: number;
      while ((dcnt = this.upto2(dec, skip)) === 1) dec = this.childrenOf(dec, skip)[0];
      if (!dcnt || !depth) {
        if (!this.groupEligible(dec)) continue;
        mine.cnt++;
        mine.sum += this.groupPenalty(dec);
        continue;
      }
      const bc = this.cacheOf(this.childBurst, dec);
      if (!this.cacheExpired(bc, now)) {
        mine.cnt += bc.count;
        mine.sum += bc.score * bc.count;
        if (this.t.sched_burst_cache_stop_count <= mine.cnt) break;
        continue;
      }
      this.updateChildTopological(dec, now, depth - 1, mine, skip);
    }
    this.updateCache(this.cacheOf(this.childBurst, g), g, mine.cnt, mine.sum, now);
    acc.cnt += mine.cnt;
    acc.sum += mine.sum;
  }

  private inheritTopological(parent: ThreadGroup, now: number, flags: number, skip: ThreadGroup | null): number {
    let anc = parent;
    let baseChildCnt = 0;
    if ((flags & CLONE_PARENT) && parent.parent) { anc = parent.parent; baseChildCnt = 1; }
    // Up past ancestors whose only child is this line.
    for (let next = anc.parent; next && this.upto2(anc, skip) <= baseChildCnt; next = anc.parent) {
      anc = next;
      baseChildCnt = 1;
    }
    const bc = this.cacheOf(this.childBurst, anc);
    if (this.cacheExpired(bc, now)) this.updateChildTopological(anc, now, this.t.sched_burst_fork_atavistic - 1, { cnt: 0, sum: 0 }, skip);
    return bc.score;
  }

  private inheritGroup(g: ThreadGroup, now: number, skip: Task): number {
    const bc = this.cacheOf(this.groupBurst, g);
    if (this.cacheExpired(bc, now)) {
      let cnt = 0, sum = 0;
      for (const th of g.threads) {
        if (th === skip || !th.se || !this.host.isFair(th)) continue;
        cnt++;
        sum += (th.se as SchedEntity).burstPenalty;
      }
      this.updateCache(bc, g, cnt, sum, now);
    }
    return bc.score;
  }

  // copy_process: the child's starting penalty. `child.se` is a copy of the
  // parent's (burst fields included).
  cloneTask(child: Task, parent: Task, cloneFlags: number): void {
    if (!this.host.isFair(child)) return;
    const se = child.se as SchedEntity;
    const now = this.host.now();
    let penalty: number;
    if (cloneFlags & CLONE_THREAD) penalty = this.inheritGroup(parent.tg, now, child);
    else {
      const skip = child.tg !== parent.tg ? child.tg : null;
      penalty = this.t.sched_burst_fork_atavistic
        ? this.inheritTopological(parent.tg, now, cloneFlags, skip)
        : this.inheritDirect(parent.tg, now, cloneFlags, skip);
    }
    this.revolve(se);
    se.burstPenalty = se.prevBurstPenalty = Math.max(se.prevBurstPenalty, penalty);
    if (!(cloneFlags & CLONE_THREAD)) { this.childBurst.delete(child.tg); this.groupBurst.delete(child.tg); }
  }
}
