// clone, fork, vfork: a new task sharing or copying each part of its parent
// as the flags say (Linux's copy_process).

import { kerr } from "../lib/errors.js";
import { EINVAL, EAGAIN, EPERM, ENOMEM, EFAULT } from "../abi/errno.js";
import {
  CSIGNAL, CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD, CLONE_VFORK, CLONE_PARENT, CLONE_THREAD,
  CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_NS_FLAGS, CLONE_CLEAR_SIGHAND,
  CLONE_INTO_CGROUP, CLONE_SYSVSEM, CLONE_DETACHED, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_UNTRACED, CLONE_PTRACE, CLONE_IO, CLONE_NEWTIME,
} from "../abi/clone.js";
import { SIG_IGN } from "../abi/signal.js";
import { REG_SP, REG_TP, REG_A0 } from "../arch/riscv64/layout.js";
import { RegisterFile } from "../arch/riscv64/regs.js";
import { UserMemory } from "../mm/uaccess.js";
import { Task, ThreadGroup, SigHand, SIG_DFL_ACTION, TASK_RUNNING } from "./task.js";
import { WaitQueue } from "../lib/wait.js";
import { RLIMIT_NPROC } from "../abi/resource.js";
import { rlimit } from "./task.js";
import { copySeccomp } from "./seccomp.js";
import { hasCap } from "./cred.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";

export interface CloneArgs {
  flags: bigint;
  exitSignal: number;
  stack: number;
  stackSize: number;
  parentTid: number;
  childTid: number;
  tls: number;
  pidfd: number; // where to store the pidfd (CLONE_PIDFD)
}

const KNOWN = BigInt(CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD | CLONE_PTRACE |
  CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
  CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO) |
  BigInt(CLONE_NS_FLAGS) | BigInt(CLONE_CLEAR_SIGHAND) | BigInt(CLONE_INTO_CGROUP);

// Processes a user owns (for RLIMIT_NPROC).
function processesOf(t: Task, uid: number): number {
  let n = 0;
  for (const g of t.k.groups.values()) {
    if (g.zombie) continue;
    const lead = [...g.threads][0];
    if (lead && lead.cred.uid === uid) n++;
  }
  return n;
}

export function vforkWaitQueue(t: Task): WaitQueue { return (t.vforkDone ??= new WaitQueue()); }

// Creates the child; returns it. The caller returns its tid to the parent.
// CLONE_PIDFD's file comes from the caller (pidfds are files: fs/, above the kernel).
export type PidfdOpen = (t: Task, tg: ThreadGroup, thread: boolean) => number;

// Whether a clone flag (CLONE_*, up to 64 bits) is among the flags, given as 32-bit halves.
function flagSet(lo: number, hi: number, bit: number): boolean {
  return (bit >= 0x1_0000_0000 ? (hi & (bit / 0x1_0000_0000)) : (lo & bit)) !== 0;
}

export function copyProcess(t: Task, a: CloneArgs, openPidfd: PidfdOpen): Task {
  const f = a.flags;
  // The flags as two 32-bit halves: a test per flag without a BigInt each.
  const lo = Number(f & 0xffffffffn), hi = Number((f >> 32n) & 0xffffffffn);
  if ((f & ~KNOWN) !== 0n) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_THREAD) && !flagSet(lo, hi, CLONE_SIGHAND)) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_SIGHAND) && !flagSet(lo, hi, CLONE_VM)) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_CLEAR_SIGHAND) && flagSet(lo, hi, CLONE_SIGHAND)) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_PARENT) && t.tg.pid === 1) kerr(EINVAL);
  // Namespaces: new mount, UTS and IPC ones (made by the caller, nsproxy.ts); no other kind exists.
  if ((f & BigInt(CLONE_NS_FLAGS & ~(CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC))) !== 0n) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_NEWNS) && flagSet(lo, hi, CLONE_FS)) kerr(EINVAL);
  if (flagSet(lo, hi, CLONE_NEWIPC) && flagSet(lo, hi, CLONE_SYSVSEM)) kerr(EINVAL);
  if ((flagSet(lo, hi, CLONE_NEWNS) || flagSet(lo, hi, CLONE_NEWUTS) || flagSet(lo, hi, CLONE_NEWIPC)) && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM);
  if (flagSet(lo, hi, CLONE_INTO_CGROUP)) kerr(EINVAL);
  // As copy_process, a pidfd that cannot be stored fails the call with no
  // child made (EFAULT); checked first, as nothing here is undone later.
  if (flagSet(lo, hi, CLONE_PIDFD) && new UserMemory(t.mm).accessible(a.pidfd, 4, true) < 4) kerr(EFAULT);
  const k = t.k;
  const uid = t.cred.uid;
  if (!flagSet(lo, hi, CLONE_THREAD)) {
    const lim = rlimit(t.tg, RLIMIT_NPROC);
    // Root is exempt, as in Linux (CAP_SYS_RESOURCE / CAP_SYS_ADMIN).
    if (lim >= 0 && uid !== 0 && processesOf(t, uid) >= lim) kerr(EAGAIN);
  }
  if (k.tasks.size >= 32768) kerr(EAGAIN);
  // A SCHED_DEADLINE task forks only with reset-on-fork (sched_fork).
  if (!k.rq.mayFork(t)) kerr(EAGAIN);
  // No memory for another task (its kernel stack and task_struct): ENOMEM, as copy_process.
  if (k.phys.mem.lowAfterReclaim()) kerr(ENOMEM);

  if (!flagSet(lo, hi, CLONE_FILES)) t.files.checkDup(k.nrOpen);
  const mm = flagSet(lo, hi, CLONE_VM) ? t.mm : t.mm.fork();
  if (flagSet(lo, hi, CLONE_VM)) mm.users++;
  const files = flagSet(lo, hi, CLONE_FILES) ? t.files : t.files.clone();
  if (flagSet(lo, hi, CLONE_FILES)) files.refs++;
  const fs = flagSet(lo, hi, CLONE_FS) ? t.fs : { ...t.fs };
  let sighand: SigHand;
  if (flagSet(lo, hi, CLONE_SIGHAND)) { sighand = t.sighand; sighand.refs++; }
  else {
    sighand = t.sighand.clone();
    if (flagSet(lo, hi, CLONE_CLEAR_SIGHAND)) sighand.actions.forEach((act, sig) => { if (act.handler !== SIG_IGN) sighand.actions[sig] = SIG_DFL_ACTION; });
  }
  const cred = { ...t.cred, groups: [...t.cred.groups] };

  let child: Task;
  if (flagSet(lo, hi, CLONE_THREAD)) {
    const tid = k.allocPid();
    child = new Task(k, tid, t.tg, mm, files, fs, cred, sighand);
    t.tg.threads.add(child);
    k.tasks.set(tid, child);
  } else {
    const parent = flagSet(lo, hi, CLONE_PARENT) ? t.tg.parent : t.tg;
    child = k.newProcess(parent, mm, files, fs, cred, sighand);
    const g: ThreadGroup = child.tg;
    // As Linux's copy_process: a CLONE_PARENT child is its parent's sibling
    // and reports to that parent with the caller's own exit signal, not the
    // one in the flags.
    g.exitSignal = flagSet(lo, hi, CLONE_PARENT) ? t.tg.exitSignal : a.exitSignal;
    g.pgid = t.tg.pgid;
    g.sid = t.tg.sid;
    g.rlimits = t.tg.rlimits.slice(); // the [cur, max] pairs are replaced, never changed (prlimit)
    g.ctty = t.tg.ctty;
  }
  child.ns = t.ns;
  child.comm = t.comm;
  child.ioprio = t.ioprio;
  child.personality = t.personality;
  // As Linux's copy_process: no_new_privs and the seccomp filters are inherited.
  child.noNewPrivs = t.noNewPrivs;
  child.seccomp = copySeccomp(t.seccomp);
  child.sigmask = t.sigmask;
  child.nice = t.nice;
  child.timerSlack = t.timerSlack;
  child.defaultTimerSlack = t.timerSlack;
  child.policy = t.policy;
  child.rtPriority = t.rtPriority;
  child.pdeathSignal = 0;
  // A child sharing the parent's memory must not share its signal stack (Linux clears it).
  child.altstack = flagSet(lo, hi, CLONE_VM) && !flagSet(lo, hi, CLONE_VFORK) ? { sp: 0, flags: 2, size: 0 } : { ...t.altstack };

  // Registers: the parent's, returning 0 from the ecall, on the new stack and TLS.
  k.hart.saveState(child.regs);
  const regs = new RegisterFile(child.regs);
  regs.pc = k.hart.pc + 4;
  regs.setX(REG_A0, 0);
  if (a.stack) regs.setX(REG_SP, a.stack + a.stackSize);
  if (flagSet(lo, hi, CLONE_SETTLS)) regs.setX(REG_TP, a.tls);

  if (flagSet(lo, hi, CLONE_PARENT_SETTID) && a.parentTid) new UserMemory(t.mm).setU32(a.parentTid, child.tid);
  if (flagSet(lo, hi, CLONE_CHILD_SETTID) && a.childTid) {
    try { new UserMemory(mm).setU32(a.childTid, child.tid); } catch { /* Linux ignores a bad pointer here */ }
  }
  if (flagSet(lo, hi, CLONE_CHILD_CLEARTID)) child.clearChildTid = a.childTid;
  if (flagSet(lo, hi, CLONE_PIDFD)) {
    const fd = openPidfd(t, child.tg, flagSet(lo, hi, CLONE_THREAD));
    new UserMemory(t.mm).setU32(a.pidfd, fd);
  }
  if (flagSet(lo, hi, CLONE_VFORK)) child.vforkParent = t;
  child.state = TASK_RUNNING;
  // sched_fork and BORE's burst inheritance, then wake_up_new_task.
  k.rq.fork(t, child, Number(f & 0xffffffffn));
  k.rq.enqueue(child, false);
  return child;
}

export { EPERM };
