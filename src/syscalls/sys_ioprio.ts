// I/O priorities: ioprio_get/set. Ghost has no block devices: priorities are
// kept and reported; nothing schedules I/O by them.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, ESRCH } from "../abi/errno.js";
import {
  IOPRIO_CLASS_SHIFT, IOPRIO_PRIO_MASK, IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE,
  IOPRIO_NR_LEVELS, IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER,
} from "../abi/ioprio.js";
import { defineSyscalls } from "./table.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_ADMIN, CAP_SYS_NICE } from "../abi/prctl.js";
import { i32Arg } from "./args.js";



// The tasks an ioprio "who" names.
function ioprioTargets(t: Task, which: number, who: number): Task[] {
  const all = [...t.k.tasks.values()].filter((x) => !x.kthread);
  switch (which) {
    case IOPRIO_WHO_PROCESS: return who === 0 ? [t] : all.filter((x) => x.tid === who);
    case IOPRIO_WHO_PGRP: { const pg = who === 0 ? t.tg.pgid : who; return all.filter((x) => x.tg.pgid === pg); }
    case IOPRIO_WHO_USER: { const uid = who === 0 ? t.cred.uid : who; return all.filter((x) => x.cred.uid === uid); }
    default: return kerr(EINVAL);
  }
}

function ioprioSet(t: Task, which: number, who: number, ioprio: number): number {
  // The data is a level (3 bits) and hints (the rest), as Linux 6.5+.
  const cls = ioprio >>> IOPRIO_CLASS_SHIFT, level = ioprio & (IOPRIO_NR_LEVELS - 1);
  if (cls === IOPRIO_CLASS_RT && !hasCap(t.cred, CAP_SYS_ADMIN) && !hasCap(t.cred, CAP_SYS_NICE)) kerr(EPERM);
  if (cls === IOPRIO_CLASS_NONE && level) kerr(EINVAL);
  if (cls > IOPRIO_CLASS_IDLE) kerr(EINVAL);
  const targets = ioprioTargets(t, which, who);
  if (!targets.length) kerr(ESRCH);
  for (const x of targets) {
    if (x.cred.uid !== t.cred.euid && x.cred.uid !== t.cred.uid && !hasCap(t.cred, CAP_SYS_NICE)) kerr(EPERM);
    x.ioprio = ioprio;
  }
  return 0;
}

function ioprioGet(t: Task, which: number, who: number): number {
  const targets = ioprioTargets(t, which, who);
  if (!targets.length) kerr(ESRCH);
  // Several tasks: the highest priority (lowest class, then lowest level), as Linux's ioprio_best;
  // one that never set its own has none (IOPRIO_CLASS_NONE).
  let best = -1;
  for (const x of targets) {
    const p = x.ioprio;
    if (best < 0) { best = p; continue; }
    const c = (v: number) => (v >> IOPRIO_CLASS_SHIFT) || IOPRIO_CLASS_BE;
    if (c(p) < c(best) || (c(p) === c(best) && (p & IOPRIO_PRIO_MASK) < (best & IOPRIO_PRIO_MASK))) best = p;
  }
  return best;
}

defineSyscalls({
  ioprio_set: (t, which, who, ioprio) => ioprioSet(t, i32Arg(which), i32Arg(who), i32Arg(ioprio)),
  ioprio_get: (t, which, who) => ioprioGet(t, i32Arg(which), i32Arg(who)),
});
