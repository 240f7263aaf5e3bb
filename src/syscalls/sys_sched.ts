// Scheduling: policies and priorities (sched_setscheduler, sched_setattr and
// their getters), nice values (setpriority/getpriority), sched_yield,
// sched_rr_get_interval and CPU affinity. The decisions are the scheduler
// core's (kernel/sched/core.ts); this file decodes and checks arguments.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, ESRCH, EFAULT, EACCES, E2BIG } from "../abi/errno.js";
import { sched_param, sched_attr, SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1, SCHED_RESET_ON_FORK } from "../abi/sched.js";
import { timespec } from "../abi/time.js";
import { PRIO_PROCESS, PRIO_PGRP, PRIO_USER } from "../abi/resource.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import {
  SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR, SCHED_DEADLINE,
  SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN,
  SCHED_FLAG_UTIL_CLAMP_MAX, SCHED_FLAG_ALL,
} from "../abi/sched.js";
import { SETPARAM_POLICY, type SchedAttr } from "../kernel/sched/core.js";
import type { Task } from "../kernel/task.js";
import { i32Arg, u32Arg } from "./args.js";

const PAGE_SIZE = 4096;
const RLIMIT_NICE = 13;
const TICK_NSEC = 1_000_000;

// find_process_by_pid: 0 is the caller; otherwise any thread id.
function findTask(t: Task, pid: number): Task {
  if (pid === 0) return t;
  const o = pid > 0 ? t.k.tasks.get(pid) : undefined;
  if (!o) kerr(ESRCH);
  return o;
}

function check(r: number): number { if (r < 0) kerr(-r); return r; }

// do_sched_setscheduler (sched_setscheduler, sched_setparam).
function setScheduler(t: Task, pid: number, policy: number, paramVa: number): number {
  if (!paramVa || pid < 0) kerr(EINVAL);
  const prio = um(t).i32(paramVa);
  const p = findTask(t, pid);
  const attr: SchedAttr = {
    policy, flags: 0, nice: p.nice, priority: u32Arg(prio), runtime: 0, deadline: 0, period: 0, utilMin: 0, utilMax: 0,
  };
  const se = t.k.rq.se(p);
  if (se.customSlice) attr.runtime = se.slice;
  // The legacy way to ask for reset-on-fork: a flag in the policy.
  if (policy !== SETPARAM_POLICY && (policy & SCHED_RESET_ON_FORK)) {
    attr.flags |= SCHED_FLAG_RESET_ON_FORK;
    attr.policy = policy & ~SCHED_RESET_ON_FORK;
  }
  return check(t.k.rq.setAttr(p, attr, t));
}

// sched_copy_attr: the user's struct sched_attr, of whatever size it says.
function readAttr(t: Task, va: number): SchedAttr {
  const m = um(t);
  let size = m.u32(va);
  if (!size) size = SCHED_ATTR_SIZE_VER0;
  const tooBig = () => { m.setU32(va, sched_attr.size); return kerr(E2BIG); };
  if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE) tooBig();
  const raw = m.read(va, size);
  // A newer, larger struct: the part Ghost does not know must be zero.
  for (let i = sched_attr.size; i < size; i++) if (raw[i]) tooBig();
  const b = new Uint8Array(sched_attr.size);
  b.set(raw.subarray(0, Math.min(size, sched_attr.size)));
  const dv = new DataView(b.buffer);
  const u64 = (f: "sched_flags" | "sched_runtime" | "sched_deadline" | "sched_period") => {
    const v = sched_attr.getBig(dv, 0, f);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const flags = u64("sched_flags");
  if ((flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)) && size < SCHED_ATTR_SIZE_VER1) kerr(EINVAL);
  return {
    policy: sched_attr.get(dv, 0, "sched_policy") | 0,
    flags,
    nice: Math.min(19, Math.max(-20, sched_attr.get(dv, 0, "sched_nice"))),
    priority: sched_attr.get(dv, 0, "sched_priority") >>> 0,
    runtime: u64("sched_runtime"),
    deadline: u64("sched_deadline"),
    period: u64("sched_period"),
    utilMin: sched_attr.get(dv, 0, "sched_util_min") >>> 0,
    utilMax: sched_attr.get(dv, 0, "sched_util_max") >>> 0,
  };
}

function writeAttr(t: Task, va: number, a: SchedAttr, usize: number): void {
  const b = new Uint8Array(sched_attr.size);
  const dv = new DataView(b.buffer);
  const size = Math.min(usize, sched_attr.size);
  sched_attr.set(dv, 0, "size", size);
  sched_attr.set(dv, 0, "sched_policy", a.policy);
  sched_attr.set(dv, 0, "sched_flags", BigInt(a.flags));
  sched_attr.set(dv, 0, "sched_nice", a.nice);
  sched_attr.set(dv, 0, "sched_priority", a.priority);
  sched_attr.set(dv, 0, "sched_runtime", BigInt(a.runtime));
  sched_attr.set(dv, 0, "sched_deadline", BigInt(a.deadline));
  sched_attr.set(dv, 0, "sched_period", BigInt(a.period));
  sched_attr.set(dv, 0, "sched_util_min", a.utilMin);
  sched_attr.set(dv, 0, "sched_util_max", a.utilMax);
  um(t).write(va, b.subarray(0, size));
}

// setpriority's permission: the caller owns p, or is privileged.
function canChange(t: Task, p: Task): boolean {
  return p.cred.uid === t.cred.euid || p.cred.euid === t.cred.euid || t.cred.euid === 0;
}

// set_one_prio: EPERM (not yours), EACCES (raising priority beyond RLIMIT_NICE).
function setOnePrio(t: Task, p: Task, nice: number, error: number): number {
  if (!canChange(t, p)) return -EPERM;
  const lim = p.tg.rlimits[RLIMIT_NICE][0];
  const isNiceReduction = lim < 0 || 20 - nice <= lim;
  if (nice < p.nice && !isNiceReduction && t.cred.euid !== 0) return -EACCES;
  t.k.rq.setUserNice(p, nice);
  return error === -ESRCH ? 0 : error;
}

// The tasks `which`/`who` name: a thread, a process group, or a user's tasks.
function prioTargets(t: Task, which: number, who: number): Task[] {
  const all = [...t.k.tasks.values()];
  switch (which) {
    case PRIO_PROCESS: {
      const p = who ? t.k.tasks.get(who) : t;
      return p ? [p] : [];
    }
    case PRIO_PGRP: {
      const pgid = who || t.tg.pgid;
      return all.filter((p) => p.tg.pgid === pgid);
    }
    case PRIO_USER: {
      const uid = who || t.cred.uid;
      return all.filter((p) => p.cred.uid === uid);
    }
    default: return kerr(EINVAL);
  }
}

defineSyscalls({
  sched_yield: (t) => { t.k.rq.yield(t); t.k.needResched = true; return 0; },

  sched_setscheduler: (t, pid, policy, param) => {
    if ((i32Arg(policy)) < 0) kerr(EINVAL);
    return setScheduler(t, i32Arg(pid), i32Arg(policy), param);
  },
  sched_setparam: (t, pid, param) => setScheduler(t, i32Arg(pid), SETPARAM_POLICY, param),
  sched_getscheduler: (t, pid) => {
    if ((i32Arg(pid)) < 0) kerr(EINVAL);
    const p = findTask(t, i32Arg(pid));
    const se = t.k.rq.se(p);
    return p.policy | (se.resetOnFork ? SCHED_RESET_ON_FORK : 0);
  },
  sched_getparam: (t, pid, param) => {
    if (!param || (i32Arg(pid)) < 0) kerr(EINVAL);
    const p = findTask(t, i32Arg(pid));
    const b = new Uint8Array(sched_param.size);
    sched_param.set(new DataView(b.buffer), 0, "sched_priority", p.policy === SCHED_FIFO || p.policy === SCHED_RR ? p.rtPriority : 0);
    um(t).write(param, b);
    return 0;
  },

  sched_setattr: [(t, pid, uattr, flags) => {
    if (!uattr || (i32Arg(pid)) < 0 || flags) kerr(EINVAL);
    const attr = readAttr(t, uattr);
    if (attr.policy < 0) kerr(EINVAL);
    if (attr.flags & SCHED_FLAG_KEEP_POLICY) attr.policy = SETPARAM_POLICY;
    const p = findTask(t, i32Arg(pid));
    if (attr.flags & SCHED_FLAG_KEEP_PARAMS) {
      const cur = t.k.rq.getAttr(p);
      attr.nice = cur.nice; attr.priority = cur.priority; attr.runtime = cur.runtime;
    }
    return check(t.k.rq.setAttr(p, attr, t));
  }, "partial", "SCHED_NORMAL/BATCH/IDLE (nice, slice), FIFO/RR, reset-on-fork, util clamps checked; SCHED_DEADLINE: parameters checked and admitted against the 95% bandwidth cap (EBUSY), reported by sched_getattr, but run at the top RT level: no EDF ordering among deadline tasks and no CBS throttling"],
  sched_getattr: (t, pid, uattr, usize, flags) => {
    if (!uattr || (i32Arg(pid)) < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 || flags) kerr(EINVAL);
    const p = findTask(t, i32Arg(pid));
    const a = t.k.rq.getAttr(p);
    a.flags &= SCHED_FLAG_ALL;
    writeAttr(t, uattr, a, usize);
    return 0;
  },

  sched_get_priority_max: (_t, policy) => {
    switch (i32Arg(policy)) {
      case SCHED_FIFO: case SCHED_RR: return 99;
      case SCHED_NORMAL: case SCHED_BATCH: case SCHED_IDLE: case SCHED_DEADLINE: return 0;
      default: return kerr(EINVAL);
    }
  },
  sched_get_priority_min: (_t, policy) => {
    switch (i32Arg(policy)) {
      case SCHED_FIFO: case SCHED_RR: return 1;
      case SCHED_NORMAL: case SCHED_BATCH: case SCHED_IDLE: case SCHED_DEADLINE: return 0;
      default: return kerr(EINVAL);
    }
  },
  sched_rr_get_interval: (t, pid, va) => {
    if ((i32Arg(pid)) < 0) kerr(EINVAL);
    const p = findTask(t, i32Arg(pid));
    const ns = t.k.rq.rrInterval(p) * TICK_NSEC;
    const b = new Uint8Array(timespec.size);
    timespec.write(new DataView(b.buffer), 0, { tv_sec: Math.floor(ns / 1e9), tv_nsec: ns % 1e9 });
    um(t).write(va, b);
    return 0;
  },

  setpriority: (t, which, who, niceval) => {
    which |= 0; who |= 0;
    if (which < PRIO_PROCESS || which > PRIO_USER) kerr(EINVAL);
    const nice = Math.min(19, Math.max(-20, i32Arg(niceval)));
    let error = -ESRCH;
    for (const p of prioTargets(t, which, who)) error = setOnePrio(t, p, nice, error);
    return check(error);
  },
  // The result is 20 - nice (1…40), so that it is never negative; libc converts.
  getpriority: (t, which, who) => {
    which |= 0; who |= 0;
    if (which < PRIO_PROCESS || which > PRIO_USER) kerr(EINVAL);
    let best = -ESRCH;
    for (const p of prioTargets(t, which, who)) best = Math.max(best, 20 - p.nice);
    return check(best);
  },

  sched_getaffinity: (t, pid, len, va) => {
    // Ghost has one CPU; a mask is one long.
    len >>>= 0;
    if (len * 8 < 1 || len % 8) kerr(EINVAL);
    findTask(t, i32Arg(pid));
    const b = new Uint8Array(8);
    b[0] = 1;
    um(t).write(va, b);
    return 8;
  },
  sched_setaffinity: (t, pid, len, va) => {
    len >>>= 0;
    const set = len >= 8 ? um(t).read(va, 8) : new Uint8Array(8);
    const p = findTask(t, i32Arg(pid));
    if (!canChange(t, p) && t.cred.euid !== 0) kerr(EPERM);
    if (!(set[0] & 1)) kerr(EINVAL); // no CPU Ghost has
    return 0;
  },
});

export { EFAULT };
