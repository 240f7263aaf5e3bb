// Exit and reaping (Linux's kernel/exit.c): a thread ends, the last one
// makes its group a zombie, children go to a reaper, the parent is told
// (SIGCHLD, its wait queue) or the zombie is reaped at once.
import { Task, ThreadGroup, rlimit, TASK_DEAD } from "./task.js";
import { sendSignal } from "./signal.js";
import { validSignal, SIGCHLD, SIG_IGN, SA_NOCLDWAIT, CLD_EXITED, CLD_KILLED, CLD_DUMPED } from "../abi/signal.js";
import { UserMemory } from "../mm/uaccess.js";
import { TASK_COST } from "../mm/budget.js";
import { futexWakeKey, futexKeyFor, exitRobustList } from "./futex.js";
import { RLIMIT_CORE } from "../abi/resource.js";
import { ptraceExitTask, ptraceHoldsExit } from "./ptrace.js";

import type { Kernel } from "./kernel.js";

// Ends one thread. Last thread out makes the group a zombie.
export function exitTask(k: Kernel, t: Task, code: number): void {
  if (t.state === TASK_DEAD) return;
  t.clearWaits();
  k.dropRestart(t);
  releaseVfork(k, t);
  exitRobustList(k, t);
  k.rq.dequeue(t);
  t.state = TASK_DEAD;
  t.exitCode = code;
  // As Linux's mm_release: only while another task shares the memory (a
  // thread; a vfork parent): nobody else can see the word of a process's last
  // task, and the fault-in, store and futex lookup were ~1.5% of a
  // fork+exec+wait.
  if (t.clearChildTid && t.mm.users > 1) {
    try {
      new UserMemory(t.mm).setU32(t.clearChildTid, 0);
      // A shared wake, as Linux's mm_release: glibc waits on the tid with a shared futex.
      futexWakeKey(k, futexKeyFor(t.mm, t.clearChildTid, false), 1, 0xffffffff);
    } catch { /* the address went away: nothing to clear */ }
  }
  if (t.mm.maxRssPages > t.tg.maxRss) t.tg.maxRss = t.mm.maxRssPages; // do_exit's setmax_mm_hiwater_rss
  if (--t.mm.users === 0) t.mm.destroy();
  if (--t.files.refs === 0) t.files.closeAll();
  const tg = t.tg;
  tg.threads.delete(t);
  if (tg.threads.size === 0) tg.lastThread = t;
  tg.deadUtime += t.utime;
  tg.deadStime += t.stime;
  k.tasks.delete(t.tid);
  k.phys.mem.uncharge("stack", TASK_COST);
  if (k.current === t) k.current = null;
  if (tg.threads.size === 0) groupDied(k, tg);
  if (t.ptrace || t.ptraced) ptraceExitTask(t);
}

// Kills every thread of a group: exit_group(code) or death by signal.
export function exitGroup(k: Kernel, tg: ThreadGroup, sigOrCode: number, how: "exit" | "signal" | "core", info?: { code: number; addr?: number }): void {
  if (tg.exiting) return;
  tg.exiting = true;
  // The core flag is reported when a dump was written: RLIMIT_CORE 0 (the default) means none.
  const dumps = how === "core" && rlimit(tg, RLIMIT_CORE) !== 0 && tg.dumpable !== 0 &&
    (k.config.coreDump?.dump(k, tg, sigOrCode, { code: info?.code ?? 0, addr: info?.addr ?? 0 }) ?? false);
  tg.exitStatus = how === "exit" ? (sigOrCode & 0xff) << 8 : (sigOrCode & 0x7f) | (dumps ? 0x80 : 0);
  for (const th of [...tg.threads]) exitTask(k, th, sigOrCode);
}

// A vfork child that execs or exits lets its parent go on.
export function releaseVfork(k: Kernel, t: Task): void {
  if (!t.vforkParent) return;
  t.vforkReleased = true;
  t.vforkParent = null;
  t.vforkDone?.wakeAll();
}

function groupDied(k: Kernel, tg: ThreadGroup): void {
  tg.zombie = true;
  if (tg.itimers) { tg.itimers.real.disarm(); tg.itimers.virt.disarm(); tg.itimers.prof.disarm(); }
  for (const pt of tg.posixTimers.values()) pt.timer.disarm();
  tg.posixTimers.clear();
  tg.exitWait.wakeAll();
  for (const h of k.exitHooks) h(tg);
  const reaper = findReaper(k, tg);
  for (const c of [...tg.children]) {
    // PR_SET_PDEATHSIG: the child learns its parent died.
    for (const th of c.threads) if (th.pdeathSignal) sendSignal(th, { signo: th.pdeathSignal, code: 0, pid: tg.pid, uid: 0 }, true);
    tg.children.delete(c);
    c.parent = reaper;
    if (reaper) {
      reaper.children.add(c);
      if (c.zombie && !ptraceHoldsExit(c)) notifyParent(k, c);
    }
  }
  if (tg === k.mainGroup) {
    const s = tg.exitStatus;
    k.exitStatus = (s & 0x7f) ? 128 + (s & 0x7f) : (s >> 8) & 0xff;
    k.halted = true;
  }
  // A tracee's death reaches its real parent once its tracer has reaped it (ptrace.ts).
  if (!ptraceHoldsExit(tg)) notifyParent(k, tg);
}

function findReaper(k: Kernel, tg: ThreadGroup): ThreadGroup | null {
  for (let p = tg.parent; p; p = p.parent) if (p.subreaper && !p.zombie) return p;
  return k.groups.get(1) ?? null;
}

// SIGCHLD and wait-queue wake for a dead child; auto-reap where the parent asked.
export function notifyParent(k: Kernel, tg: ThreadGroup): void {
  const parent = tg.parent;
  if (!parent) { release(k, tg); return; }
  const s = tg.exitStatus;
  const code = (s & 0x7f) ? ((s & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
  const status = (s & 0x7f) ? (s & 0x7f) : (s >> 8) & 0xff;
  const leader = [...parent.threads][0];
  const act = leader?.sighand.actions[SIGCHLD];
  // As Linux's do_notify_parent: a parent ignoring SIGCHLD (or with
  // SA_NOCLDWAIT) reaps automatically only children whose exit signal is
  // SIGCHLD; an exit signal that is no valid signal (legacy clone() takes
  // any value in CSIGNAL) is sent to nobody, but the parent is still woken.
  const sig = tg.exitSignal;
  const ignored = act !== undefined && (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0);
  const autoReap = parent === k.initStub || (sig === SIGCHLD && ignored);
  if (validSignal(sig) && sig !== 0 && leader && !(sig === SIGCHLD && act?.handler === SIG_IGN)) {
    sendSignal(parent, { signo: sig, code, pid: tg.pid, uid: 0, status, utime: Math.floor(tg.deadUtime / 1e7), stime: Math.floor(tg.deadStime / 1e7) }, false);
  }
  parent.childWait.wakeAll();
  if (autoReap) release(k, tg);
}

// Removes a reaped zombie from the tables.
export function release(k: Kernel, tg: ThreadGroup): void {
  tg.parent?.children.delete(tg);
  if (tg.parent) { tg.parent.childUtime += tg.deadUtime + tg.childUtime; tg.parent.childStime += tg.deadStime + tg.childStime; }
  k.groups.delete(tg.pid);
  tg.lastThread = null;
}
