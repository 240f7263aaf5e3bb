// The per-hart run queue and the scheduler core (Linux's kernel/sched/core.c
// for one CPU): scheduling classes in priority order (real-time above fair),
// schedule(), wake-ups with wakeup preemption, fork, the tick, yield, nice
// and sched_setattr, the load average. One Rq per hart: nothing here is
// global, so more harts mean more Rq objects.

import { SchedEntity, RR_TIMESLICE_TICKS } from "./entity.js";
import {
  FairRq, seOf, ENQUEUE_WAKEUP, ENQUEUE_RESTORE, ENQUEUE_MOVE, ENQUEUE_NOCLOCK, ENQUEUE_HEAD, ENQUEUE_INITIAL,
  ENQUEUE_DELAYED, DEQUEUE_SLEEP, DEQUEUE_SAVE, DEQUEUE_MOVE, DEQUEUE_NOCLOCK, DEQUEUE_SPECIAL, DEQUEUE_DELAYED, WF_FORK,
  TICK_NSEC, type FairHost,
} from "./fair.js";
import { RtRq, type RtHost } from "./rt.js";
import { Bore, TUNABLE_RANGES, type BoreTunables } from "./bore.js";
import { LoadAvg } from "./loadavg.js";
import { PRIO_TO_WEIGHT, PRIO_TO_WMULT, WEIGHT_IDLEPRIO, WMULT_IDLEPRIO, ilog2 } from "./weights.js";
import { EINVAL, EPERM, EBUSY } from "../../abi/errno.js";
import { kerr } from "../../lib/errors.js";
import { TASK_RUNNING, TASK_UNINTERRUPTIBLE, TASK_STOPPED, TASK_DEAD, type Task } from "../task.js";
import { SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE, SCHED_FIFO, SCHED_RR, SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX, SCHED_FLAG_ALL } from "../../abi/sched.js";
import { RLIMIT_NICE, RLIMIT_RTPRIO } from "../../abi/resource.js";

// Linux's kernel-internal values (kernel/sched/sched.h): sched_setparam's
// "keep the policy", and the schedutil governor's flag.
export const SETPARAM_POLICY = -1;
export const SCHED_FLAG_SUGOV = 0x10000000;

export type SchedPolicyName = "bore" | "eevdf";

export const isRtPolicy = (p: number) => p === SCHED_FIFO || p === SCHED_RR;
// fair_policy: NORMAL and BATCH (SCHED_IDLE runs in the fair class too, but
// has no nice level or slice of its own to set).
export const isFairPolicy = (p: number) => p === SCHED_NORMAL || p === SCHED_BATCH;
// The policies the RT run queue serves: FIFO, RR, and SCHED_DEADLINE at its top level.
const isRtClassPolicy = (p: number) => isRtPolicy(p) || p === SCHED_DEADLINE;
// Linux's sched_dl_period_max and _min (sysctl defaults), in ns, and
// DL_SCALE: the smallest runtime. The deadline bandwidth all tasks may
// reserve: sched_rt_runtime_us / sched_rt_period_us of the one CPU.
const DL_PERIOD_MAX_NS = 2 ** 22 * 1000, DL_PERIOD_MIN_NS = 100 * 1000, DL_MIN_RUNTIME_NS = 1 << 10;
const DL_BW_CAP = 950_000 / 1_000_000;
export const isValidPolicy = (p: number) => isRtPolicy(p) || isFairPolicy(p) || p === SCHED_IDLE || p === SCHED_DEADLINE;

// sched_attr as the kernel sees it (sched_setattr / sched_getattr).
export interface SchedAttr {
  policy: number; // SETPARAM_POLICY: keep the policy
  flags: number;
  nice: number;
  priority: number; // u32
  runtime: number;
  deadline: number;
  period: number;
  utilMin: number;
  utilMax: number;
}

// Observers of scheduling events (the trace).
export interface SchedTracer {
  switchTo?(prev: Task | null, next: Task | null, now: number): void;
  wakeup?(t: Task, waker: Task | null, now: number): void;
}

export interface RqOptions {
  cpu?: number;
  policy?: SchedPolicyName;
  ncpus?: number;
  // CLOCK_MONOTONIC (BORE's fork cache timestamps, trace times).
  monotonic: () => number;
  // Every task of the kernel (BORE's sysctl reset, the load average).
  tasks: () => Iterable<Task>;
}

// The classes, highest first.
const CLASS_RT = 2;
const CLASS_FAIR = 1;

export class Rq implements FairHost, RtHost {
  readonly cpu: number;
  readonly policyName: SchedPolicyName;
  // rq_clock_task: ns this hart has spent running tasks.
  clockTask = 0;
  needResched = false;
  curr: Task | null = null;
  readonly fair: FairRq;
  readonly rt: RtRq;
  readonly bore: Bore | null;
  readonly loadavg = new LoadAvg();
  nrSwitches = 0;
  tracer: SchedTracer | null = null;
  // SCHED_RR quantum in ticks (kernel.sched_rr_timeslice_ms).
  rrTimeslice = RR_TIMESLICE_TICKS;
  private readonly baseSliceNs: number;
  private readonly monotonic: () => number;
  private readonly allTasks: () => Iterable<Task>;

  constructor(o: RqOptions) {
    this.cpu = o.cpu ?? 0;
    this.policyName = o.policy ?? "bore";
    this.monotonic = o.monotonic;
    this.allTasks = o.tasks;
    this.fair = new FairRq(this);
    this.rt = new RtRq(this);
    if (this.policyName === "bore") {
      // BORE: the base slice is 2 ms rounded up to whole ticks, whatever the CPU count.
      this.baseSliceNs = TICK_NSEC * Math.max(1, Math.ceil(2_000_000 / TICK_NSEC));
      this.bore = new Bore({
        reweightByPrio: (p, prio) => this.fair.reweightTask(p, PRIO_TO_WEIGHT[prio], PRIO_TO_WMULT[prio]),
        isFair: (p) => this.classOf(p) === CLASS_FAIR && p.state !== TASK_DEAD,
        fairTasks: () => [...this.allTasks()].filter((p) => p.se && this.classOf(p) === CLASS_FAIR && p.state !== TASK_DEAD),
        now: () => this.monotonic(),
      });
      this.fair.bore = this.bore;
    } else {
      // EEVDF: 0.70 ms × (1 + ilog2(min(ncpus, 8))).
      this.baseSliceNs = 700_000 * (1 + ilog2(Math.min(o.ncpus ?? 1, 8)));
      this.bore = null;
    }
  }

  // ---------------------------------------------------------------- FairHost / RtHost

  get currTask(): Task | null { return this.curr; }
  get nrRunning(): number { return this.rt.nrRunning + this.fair.nrRunnable; }
  resched(): void { this.needResched = true; }
  baseSlice(): number { return this.baseSliceNs; }

  // Kernel priority: 0…98 real-time (lower is higher), 100…139 fair.
  // SCHED_DEADLINE is -1, above every RT level (Linux's MAX_DL_PRIO - 1).
  prioOf(p: Task): number { return p.policy === SCHED_DEADLINE ? -1 : isRtPolicy(p.policy) ? 99 - p.rtPriority : 120 + p.nice; }

  private classOf(p: Task): number { return isRtClassPolicy(p.policy) ? CLASS_RT : CLASS_FAIR; }

  // The task's entity, created on first sight with the weight of its nice level.
  se(t: Task): SchedEntity {
    let se = t.se as SchedEntity | null;
    if (!se) {
      se = new SchedEntity(t, this.baseSliceNs);
      t.se = se;
      this.setLoadWeight(t, false);
    }
    return se;
  }

  private onRq(t: Task): boolean {
    const se = t.se as SchedEntity | null;
    return !!se && (se.onRq || se.rtOnRq);
  }

  // set_load_weight: the weight of the nice level (SCHED_IDLE: the idle weight).
  private setLoadWeight(p: Task, update: boolean, cls = this.classOf(p)): void {
    const idle = p.policy === SCHED_IDLE;
    const w = idle ? WEIGHT_IDLEPRIO : PRIO_TO_WEIGHT[p.nice + 20];
    const inv = idle ? WMULT_IDLEPRIO : PRIO_TO_WMULT[p.nice + 20];
    if (update && cls === CLASS_FAIR) this.fair.reweightTask(p, w, inv);
    else { const se = this.se(p); se.load.weight = w; se.load.invWeight = inv; }
  }

  private enqueueClass(cls: number, p: Task, flags: number): void {
    if (cls === CLASS_RT) this.rt.enqueueTask(p, (flags & ENQUEUE_HEAD) !== 0);
    else this.fair.enqueueTask(p, flags);
  }

  private dequeueClass(cls: number, p: Task, flags: number): boolean {
    if (cls === CLASS_RT) { this.rt.dequeueTask(p); return true; }
    return this.fair.dequeueTask(p, flags);
  }

  private putPrev(cls: number, p: Task): void {
    if (cls === CLASS_RT) this.rt.putPrevTask(p);
    else if (this.fair.curr === seOf(p)) this.fair.putPrevTask(p);
  }

  private setNext(cls: number, p: Task): void {
    if (cls === CLASS_RT) this.rt.setNextTask(p);
    else this.fair.setNextTask(p);
  }

  // ---------------------------------------------------------------- wake-ups

  // wakeup_preempt: p became runnable; should it take the hart?
  wakeupPreempt(p: Task, wakeFlags: number): void {
    const donor = this.curr;
    if (!donor) { this.resched(); return; }
    const pc = this.classOf(p), dc = this.classOf(donor);
    if (pc === dc) {
      if (pc === CLASS_RT) this.rt.checkPreempt(p);
      else this.fair.checkPreemptWakeup(p, wakeFlags);
    } else if (pc > dc) {
      this.resched();
    }
  }

  // try_to_wake_up: t (now TASK_RUNNING) is queued, or if it never left the
  // queue (delayed, or not yet switched out) made runnable where it is.
  wake(t: Task): void {
    this.se(t);
    this.tracer?.wakeup?.(t, this.curr, this.monotonic());
    if (this.onRq(t)) {
      if (seOf(t).delayed) this.fair.enqueueTask(t, ENQUEUE_NOCLOCK | ENQUEUE_DELAYED);
      if (t !== this.curr) this.wakeupPreempt(t, 0);
      return;
    }
    this.enqueueClass(this.classOf(t), t, ENQUEUE_WAKEUP);
    this.wakeupPreempt(t, 0);
  }

  // wake_up_new_task.
  wakeNew(t: Task): void {
    this.se(t);
    if (this.onRq(t)) return;
    this.enqueueClass(this.classOf(t), t, ENQUEUE_NOCLOCK | ENQUEUE_INITIAL);
    this.wakeupPreempt(t, WF_FORK);
  }

  // The kernel's interface: a woken task (wakeup) or a new one.
  enqueue(t: Task, wakeup: boolean): void {
    if (wakeup) this.wake(t); else this.wakeNew(t);
  }

  // Takes t off the queue for good (exit, stop).
  dequeue(t: Task): void {
    const se = t.se as SchedEntity | null;
    if (!se) return;
    if (se.rtOnRq) this.rt.dequeueTask(t);
    if (se.onRq) {
      if (se.delayed) this.fair.dequeueTask(t, DEQUEUE_DELAYED | DEQUEUE_SLEEP | DEQUEUE_NOCLOCK);
      else this.fair.dequeueTask(t, DEQUEUE_SLEEP | DEQUEUE_SPECIAL | DEQUEUE_NOCLOCK);
    }
  }

  // ---------------------------------------------------------------- fork

  // A deadline task's reservation is not duplicated: its fork is EAGAIN
  // unless reset-on-fork makes the child SCHED_NORMAL (sched_fork).
  mayFork(parent: Task): boolean { return parent.policy !== SCHED_DEADLINE || this.se(parent).resetOnFork; }

  // sched_fork + task_fork + BORE's inheritance; the kernel then enqueues the
  // child as a new task.
  fork(parent: Task, child: Task, cloneFlags: number): void {
    const pse = this.se(parent);
    const se = new SchedEntity(child, pse.slice);
    se.copyFrom(pse);
    child.se = se;
    if (se.resetOnFork) {
      if (isRtPolicy(child.policy) || child.policy === SCHED_DEADLINE) {
        child.policy = SCHED_NORMAL;
        child.nice = 0;
        child.rtPriority = 0;
      } else if (child.nice < 0) {
        child.nice = 0;
      }
      this.setLoadWeight(child, false);
      se.customSlice = false;
      se.slice = this.baseSliceNs;
      se.resetOnFork = false;
    }
    se.rtTimeSlice = this.rrTimeslice;
    if (this.bore && this.classOf(child) === CLASS_FAIR) {
      this.bore.updateBurstScore(se);
      this.bore.cloneTask(child, parent, cloneFlags);
    }
  }

  // ---------------------------------------------------------------- schedule

  // schedule(): a blocked prev leaves the queue (DEQUEUE_SLEEP; the fair
  // class may keep it, delayed); the highest class with a task picks.
  pickNext(): Task | undefined {
    const prev = this.curr;
    if (prev && prev.state !== TASK_RUNNING && this.onRq(prev)) {
      const special = prev.state === TASK_STOPPED || prev.state === TASK_DEAD;
      this.dequeueClass(this.classOf(prev), prev, DEQUEUE_SLEEP | DEQUEUE_NOCLOCK | (special ? DEQUEUE_SPECIAL : 0));
    }
    const next = this.rt.pickTask() ?? this.fair.pickTask();
    if (next !== prev) {
      if (prev) this.putPrev(this.classOf(prev), prev);
      if (next) this.setNext(this.classOf(next), next);
      this.curr = next;
      this.nrSwitches++;
      this.tracer?.switchTo?.(prev, next, this.monotonic());
    }
    this.needResched = false;
    return next ?? undefined;
  }

  // Execution time: the hart ran the current task for ns.
  advance(ns: number): void { this.clockTask += ns; }

  // The periodic tick (HZ=1000).
  schedulerTick(): void {
    const curr = this.curr;
    if (curr && curr.state !== TASK_DEAD) {
      if (this.classOf(curr) === CLASS_RT) this.rt.taskTick(curr);
      else if (this.fair.curr === seOf(curr)) this.fair.taskTick();
    }
    // The active count walks every task: taken only when a sample is due (every LOAD_FREQ).
    const jiffies = Math.floor(this.monotonic() / TICK_NSEC);
    if (this.loadavg.due(jiffies)) this.loadavg.update(jiffies, this.nrActive());
  }

  // The load average's count: runnable plus uninterruptible tasks.
  nrActive(): number {
    let n = this.nrRunning;
    for (const t of this.allTasks()) if (t.state === TASK_UNINTERRUPTIBLE) n++;
    return n;
  }

  // The kernel's per-run check: whether the current task must give way.
  tick(_t: Task, _ns: number): boolean { return this.needResched; }

  // sched_yield.
  yield(t: Task): void {
    if (this.curr !== t) return;
    if (this.classOf(t) === CLASS_RT) this.rt.yieldTask(t);
    else if (this.fair.curr === seOf(t)) this.fair.yieldTask(t);
    this.resched();
  }

  // sched_rr_get_interval, in jiffies.
  rrInterval(p: Task): number {
    this.se(p);
    return this.classOf(p) === CLASS_RT ? (p.policy === SCHED_RR ? this.rrTimeslice : 0) : this.fair.rrInterval(p);
  }

  // ---------------------------------------------------------------- nice and policy

  // set_user_nice.
  setUserNice(p: Task, nice: number): void {
    this.se(p);
    if (p.nice === nice || nice < -20 || nice > 19) return;
    if (isRtPolicy(p.policy)) { p.nice = nice; return; }
    const queued = this.onRq(p), running = this.curr === p;
    if (queued) this.fair.dequeueTask(p, DEQUEUE_SAVE | DEQUEUE_NOCLOCK);
    if (running) this.putPrev(CLASS_FAIR, p);
    const oldPrio = this.prioOf(p);
    p.nice = nice;
    this.setLoadWeight(p, true);
    if (queued) this.fair.enqueueTask(p, ENQUEUE_RESTORE | ENQUEUE_NOCLOCK);
    if (running) this.setNext(CLASS_FAIR, p);
    this.fair.prioChanged(p, oldPrio);
  }

  // __sched_setscheduler: validation, permission (when `caller` is given:
  // a user request), and the change. Returns 0 or -errno.
  setAttr(p: Task, attr: SchedAttr, caller: Task | null): number {
    const se = this.se(p);
    let policy = attr.policy;
    let resetOnFork: boolean;
    if (policy < 0) {
      resetOnFork = se.resetOnFork;
      policy = p.policy;
    } else {
      resetOnFork = (attr.flags & SCHED_FLAG_RESET_ON_FORK) !== 0;
      if (!isValidPolicy(policy)) return -EINVAL;
    }
    if (attr.flags & ~(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV)) return -EINVAL;
    // FIFO and RR take priorities 1…99; the other policies 0.
    if (attr.priority > 99) return -EINVAL;
    if (isRtPolicy(policy) !== (attr.priority !== 0)) return -EINVAL;
    if (caller) {
      const r = this.userCheck(caller, p, attr, policy, resetOnFork);
      if (r) return r;
      if (attr.flags & SCHED_FLAG_SUGOV) return -EINVAL;
    }
    if (attr.flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)) {
      const ok = (v: number) => v === 0xffffffff || v <= 1024;
      if ((attr.flags & SCHED_FLAG_UTIL_CLAMP_MIN) && !ok(attr.utilMin)) return -EINVAL;
      if ((attr.flags & SCHED_FLAG_UTIL_CLAMP_MAX) && !ok(attr.utilMax)) return -EINVAL;
    }
    if (policy === SCHED_DEADLINE && !(attr.flags & SCHED_FLAG_KEEP_PARAMS)) {
      const r = this.dlAdmit(p, attr);
      if (r) return r;
    }

    if (policy === p.policy && policy !== SCHED_DEADLINE) {
      let change = false;
      if (isFairPolicy(policy) && (attr.nice !== p.nice || attr.runtime !== se.slice)) change = true;
      if (isRtPolicy(policy) && attr.priority !== p.rtPriority) change = true;
      if (attr.flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)) change = true;
      if (!change) { se.resetOnFork = resetOnFork; return 0; }
    }

    se.resetOnFork = resetOnFork;
    const oldPrio = this.prioOf(p);
    const prevClass = this.classOf(p);
    const nextClass = isRtClassPolicy(policy) ? CLASS_RT : CLASS_FAIR;
    // A delayed sleeper leaving the fair class really leaves now.
    if (prevClass !== nextClass && se.delayed) this.fair.dequeueTask(p, DEQUEUE_SLEEP | DEQUEUE_DELAYED | DEQUEUE_NOCLOCK);
    const queued = this.onRq(p), running = this.curr === p;
    if (queued) this.dequeueClass(prevClass, p, DEQUEUE_SAVE | DEQUEUE_MOVE | DEQUEUE_NOCLOCK);
    if (running) this.putPrev(prevClass, p);

    if (!(attr.flags & SCHED_FLAG_KEEP_PARAMS)) {
      p.policy = policy;
      if (isFairPolicy(policy)) {
        p.nice = attr.nice;
        if (attr.runtime) {
          se.customSlice = true;
          se.slice = Math.min(100_000_000, Math.max(100_000, attr.runtime));
        } else {
          se.customSlice = false;
          se.slice = this.baseSliceNs;
        }
      }
      if (policy === SCHED_DEADLINE) {
        se.dlRuntime = attr.runtime;
        se.dlDeadline = attr.deadline;
        se.dlPeriod = attr.period || attr.deadline;
      }
      // Real-time and deadline tasks have no timer slack.
      if (isRtClassPolicy(policy)) p.timerSlack = 0;
      else if (p.timerSlack === 0) p.timerSlack = p.defaultTimerSlack;
      p.rtPriority = attr.priority;
      this.setLoadWeight(p, true, prevClass);
    }
    if (attr.flags & SCHED_FLAG_UTIL_CLAMP_MIN) se.utilMin = attr.utilMin === 0xffffffff ? 0 : attr.utilMin;
    if (attr.flags & SCHED_FLAG_UTIL_CLAMP_MAX) se.utilMax = attr.utilMax === 0xffffffff ? 1024 : attr.utilMax;

    const cls = this.classOf(p);
    if (queued) {
      let flags = ENQUEUE_RESTORE | ENQUEUE_MOVE | ENQUEUE_NOCLOCK;
      // Raised in priority (user-space view): to the front.
      if (oldPrio < this.prioOf(p)) flags |= ENQUEUE_HEAD;
      this.enqueueClass(cls, p, flags);
    }
    if (running) this.setNext(cls, p);
    if (cls !== prevClass) {
      if (prevClass === CLASS_FAIR) this.fair.switchedFrom(p);
      if (cls === CLASS_FAIR) this.fair.switchedTo(p); else this.rt.switchedTo(p);
    } else if (oldPrio !== this.prioOf(p)) {
      if (cls === CLASS_FAIR) this.fair.prioChanged(p, oldPrio); else this.rt.prioChanged(p, oldPrio);
    }
    return 0;
  }

  // The unprivileged rules (CAP_SYS_NICE, here euid 0, may do anything).
  private userCheck(caller: Task, p: Task, attr: SchedAttr, policy: number, resetOnFork: boolean): number {
    const root = caller.cred.euid === 0;
    const rlim = (res: number) => { const v = p.tg.rlimits[res][0]; return v < 0 ? Infinity : v; };
    const isNiceReduction = (nice: number) => 20 - nice <= rlim(RLIMIT_NICE);
    let needPriv = false;
    if (isFairPolicy(policy) && attr.nice < p.nice && !isNiceReduction(attr.nice)) needPriv = true;
    if (isRtPolicy(policy)) {
      const rtprio = rlim(RLIMIT_RTPRIO);
      // Switching to an RT policy needs RLIMIT_RTPRIO; raising the priority, a high enough one.
      if (policy !== p.policy && !rtprio) needPriv = true;
      if (attr.priority > p.rtPriority && attr.priority > rtprio) needPriv = true;
    }
    if (policy === SCHED_DEADLINE) needPriv = true;
    // Leaving SCHED_IDLE counts as raising the priority from nice 20.
    if (p.policy === SCHED_IDLE && policy !== SCHED_IDLE && !isNiceReduction(p.nice)) needPriv = true;
    if (caller.cred.euid !== p.cred.euid && caller.cred.euid !== p.cred.uid) needPriv = true;
    if (this.se(p).resetOnFork && !resetOnFork) needPriv = true;
    return needPriv && !root ? -EPERM : 0;
  }

  // The parameters sched_getattr reports.
  getAttr(p: Task): SchedAttr {
    const se = this.se(p);
    const a: SchedAttr = {
      policy: p.policy, flags: se.resetOnFork ? SCHED_FLAG_RESET_ON_FORK : 0, nice: 0, priority: 0,
      runtime: 0, deadline: 0, period: 0, utilMin: se.utilMin, utilMax: se.utilMax,
    };
    if (p.policy === SCHED_DEADLINE) { a.runtime = se.dlRuntime; a.deadline = se.dlDeadline; a.period = se.dlPeriod; }
    else if (isRtPolicy(p.policy)) a.priority = p.rtPriority;
    else { a.nice = p.nice; a.runtime = se.slice; }
    return a;
  }

  // SCHED_DEADLINE's parameters (__checkparam_dl: EINVAL) and admission
  // control (sched_dl_overflow: EBUSY when the bandwidth runtime/period of
  // every deadline task, this one's new one included, passes the cap).
  // Admitted tasks run at the top of the RT queue: Ghost has no EDF class
  // and no CBS throttling, so the reservation is not enforced.
  private dlAdmit(p: Task, attr: SchedAttr): number {
    const period = attr.period || attr.deadline;
    if (attr.deadline === 0 || attr.runtime < DL_MIN_RUNTIME_NS) return -EINVAL;
    if (attr.deadline >= 2 ** 63 || period >= 2 ** 63) return -EINVAL;
    if (attr.runtime > attr.deadline || attr.deadline > period) return -EINVAL;
    if (period < DL_PERIOD_MIN_NS || period > DL_PERIOD_MAX_NS) return -EINVAL;
    let total = attr.runtime / period;
    for (const q of this.allTasks()) {
      if (q === p || q.policy !== SCHED_DEADLINE || q.state === TASK_DEAD) continue;
      const qse = this.se(q);
      total += qse.dlRuntime / qse.dlPeriod;
    }
    return total > DL_BW_CAP ? -EBUSY : 0;
  }

  // ---------------------------------------------------------------- sysctls and /proc

  // kernel.* tunables: [name, read, write].
  sysctls(): [string, () => string, (v: string) => void][] {
    const parse = (v: string, lo: number, hi: number): number => {
      if (!/^-?\d+$/.test(v.trim())) kerr(EINVAL);
      const n = Number(v.trim());
      if (n < lo || n > hi) kerr(EINVAL);
      return n;
    };
    const out: [string, () => string, (v: string) => void][] = [
      ["sched_rr_timeslice_ms", () => String(this.rrTimeslice), (v) => {
        const n = parse(v, -0x80000000, 0x7fffffff);
        this.rrTimeslice = n <= 0 ? RR_TIMESLICE_TICKS : n;
      }],
    ];
    const b = this.bore;
    if (b) {
      for (const name of Object.keys(b.t) as (keyof BoreTunables)[]) {
        const [lo, hi] = TUNABLE_RANGES[name];
        out.push([name, () => String(b.t[name]), (v) => {
          const n = parse(v, lo, hi);
          const changed = b.t[name] !== n;
          b.t[name] = n;
          if (name === "sched_bore" && changed) b.resetWeights();
        }]);
      }
    }
    return out;
  }

  // /proc/[pid]/sched.
  schedInfo(t: Task): string {
    const se = this.se(t);
    const ms = (ns: number) => {
      const neg = ns < 0;
      const a = Math.abs(Math.trunc(ns));
      return `${neg ? "-" : ""}${Math.floor(a / 1e6)}.${String(a % 1e6).padStart(6, "0")}`;
    };
    const pn = (name: string, ns: number) => `${name.padEnd(45)}:${ms(ns).padStart(21)}\n`;
    const p = (name: string, v: number | string) => `${name.padEnd(45)}:${String(v).padStart(21)}\n`;
    let s = `${t.comm} (${t.tid}, #threads: ${t.tg.threads.size})\n${"-".repeat(67)}\n`;
    s += pn("se.exec_start", se.execStart);
    s += pn("se.vruntime", se.vruntime);
    s += pn("se.sum_exec_runtime", se.sumExecRuntime);
    s += pn("se.deadline", se.deadline);
    s += pn("se.slice", se.slice);
    s += pn("se.vlag", se.vlag);
    s += p("se.nr_migrations", se.nrMigrations);
    s += pn("se.statistics.wait_max", se.waitMax);
    s += pn("se.statistics.wait_sum", se.waitSum);
    s += p("se.statistics.wait_count", se.waitCount);
    s += p("nr_switches", t.nvcsw + t.nivcsw);
    s += p("nr_voluntary_switches", t.nvcsw);
    s += p("nr_involuntary_switches", t.nivcsw);
    s += p("se.load.weight", se.load.weight * 1024);
    if (this.bore) {
      s += p("se.burst_score", se.burstScore);
      s += p("se.burst_penalty", se.burstPenalty);
    }
    s += p("se.custom_slice", se.customSlice ? 1 : 0);
    s += p("se.sched_delayed", se.delayed ? 1 : 0);
    s += p("policy", t.policy);
    s += p("prio", this.prioOf(t));
    s += p("clock-delta", 0);
    s += p("scheduler", this.bore ? (this.bore.enabled ? "bore" : "bore (off)") : "eevdf");
    return s;
  }
}
