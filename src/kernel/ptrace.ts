// ptrace: the tracer/tracee link and the stops a tracee makes (Linux's
// kernel/ptrace.c and the ptrace parts of kernel/signal.c). A tracee in a
// ptrace-stop is TASK_STOPPED with `ptrace.stopped` set; only its tracer
// resumes it (SIGCONT does not, wakeTask refuses a stopped task). The
// requests themselves are in ptrace_request.ts; the tracer's wait side in
// ptrace_wait.ts.
//
// Hooks (each a call from the code that owns the moment):
//   trap.ts       syscall entry (ptraceSyscallEnter), exit (ptraceSyscallExit),
//                 a syscall that parks (ptraceSyscallBlocked)
//   signal.ts     signal-delivery-stop and PTRACE_INTERRUPT (ptraceSignalStop),
//                 the group-stop of a tracee (ptraceGroupStop)
//   fork (clone)  auto-attach and PTRACE_EVENT_FORK/VFORK/CLONE (ptraceFork)
//   exec          PTRACE_EVENT_EXEC or the legacy SIGTRAP (ptraceExec)
//   exit          the tracee's death and the tracer's (ptraceExitTask)

import {
  SIGTRAP, SIGSTOP, SIGKILL, SIGCHLD, CLD_TRAPPED, CLD_EXITED, CLD_KILLED, SI_USER, sigmask,
} from "../abi/signal.js";
import {
  PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEVFORKDONE, PTRACE_EVENT_VFORK_DONE, PTRACE_O_TRACEEXIT, PTRACE_O_EXITKILL,
  PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT,
  PTRACE_EVENT_STOP, PTRACE_EVENTMSG_SYSCALL_ENTRY, PTRACE_EVENTMSG_SYSCALL_EXIT, eventOption,
} from "../abi/ptrace.js";
import { CLONE_VFORK, CLONE_UNTRACED, CLONE_PTRACE, CLONE_THREAD } from "../abi/clone.js";
import { SYS } from "../abi/syscalls.js";
import { REG_A0, REG_A7 } from "../arch/riscv64/layout.js";
import { RegisterFile } from "../arch/riscv64/regs.js";
import { TASK_STOPPED, TASK_INTERRUPTIBLE, TASK_DEAD, type Task, type SigInfo } from "./task.js";
import { sendSignal } from "./signal.js";
import { UserMemory } from "../mm/uaccess.js";
import { PROT_WRITE } from "../mm/vma.js";
import { pageDown, pageUp } from "../mm/mm.js";
import { kerr, KernelError } from "../lib/errors.js";
import { EFAULT } from "../abi/errno.js";
import { notifyParent } from "./exit.js";
import type { ThreadGroup } from "./task.js";

export type StopKind = "signal" | "syscall-enter" | "syscall-exit" | "syscall-interrupted" | "event" | "group" | "interrupt";
export type ResumeMode = "cont" | "syscall";

// A tracee's side of the link (Linux's task->ptrace, ->parent, ->exit_code,
// ->last_siginfo, ->ptrace_message).
export class Tracee {
  // In a ptrace-stop, waiting for its tracer; `reported` once a wait saw it.
  stopped = false;
  reported = false;
  kind: StopKind = "signal";
  // The stop's code: the signal, SIGTRAP|0x80, or SIGTRAP | event << 8 (the wait status is code << 8 | 0x7f).
  code = 0;
  siginfo: SigInfo | null = null;
  eventMsg = 0;
  resume: ResumeMode = "cont";
  // The syscall now running had its entry reported (a parked syscall retried is the same syscall).
  enterDone = false;
  // Its exit was reported as interrupted (a0 -ERESTART*) before a signal's delivery.
  interruptedExitDone = false;
  // a0 as the syscall was entered (Linux's orig_a0).
  origA0 = 0n;
  // An event reached inside a syscall (fork, exec) and stopped at its end.
  pendingEvent: { event: number; msg: number } | null = null;
  // A syscall-exit stop is owed when the tracer resumes from an event stop with PTRACE_SYSCALL.
  exitOwed = false;
  exitEventDone = false;
  // PTRACE_INTERRUPT (or a seized child's first stop) waiting for the tracee to reach a stop point.
  interrupt = false;
  // PTRACE_LISTEN: in group-stop, but SIGCONT may wake it.
  listening = false;
  // SIGCONT came while it was in a ptrace-stop (Linux's JOBCTL_TRAP_NOTIFY): PTRACE_LISTEN re-traps at once.
  notify = false;
  // The tracee died: the status its tracer's wait reports (null while alive or once reaped).
  exitStatus: number | null = null;
  constructor(public tracer: Task, public options: number, readonly seized: boolean) {}
}

// Signals a tracer injected on restart: delivered without another signal-delivery-stop.
const injected = new WeakSet<SigInfo>();

export function traceesOf(tracer: Task): Set<Task> { return (tracer.ptraced ??= new Set()); }

export function isTracedBy(t: Task, tracer: Task): boolean { return t.ptrace !== null && t.ptrace.tracer === tracer; }

// Links t to tracer.
export function ptraceLink(t: Task, tracer: Task, options: number, seized: boolean): Tracee {
  const tr = new Tracee(tracer, options, seized);
  t.ptrace = tr;
  traceesOf(tracer).add(t);
  return tr;
}

// Undoes the link (PTRACE_DETACH, the tracer's exit, a reaped tracee).
export function ptraceUnlink(t: Task): void {
  const tr = t.ptrace;
  if (!tr) return;
  tr.tracer.ptraced?.delete(t);
  t.ptrace = null;
}

// As Linux's wait_task_zombie and exit_notify: a process traced by another
// than its parent is reported to its tracer first; its real parent learns of
// the death (SIGCHLD, wait) when the tracer has reaped it or is gone.
export function ptraceHoldsExit(tg: ThreadGroup): boolean {
  const last = tg.lastThread;
  return tg.threads.size === 0 && last !== null && last.ptrace !== null && last.ptrace.tracer.tg !== tg.parent;
}

// Unlinks a dead tracee its tracer reaped (or left by dying), handing its death to its real parent.
export function ptraceReleaseDead(t: Task): void {
  const held = ptraceHoldsExit(t.tg) && t.tg.lastThread === t;
  ptraceUnlink(t);
  if (held && t.tg.zombie) notifyParent(t.k, t.tg);
}

// The tracee's registers: live on the hart while it runs, else its saved block.
export function regsOf(t: Task): RegisterFile {
  return t.k.current === t ? t.k.hart.liveRegs() : new RegisterFile(t.regs);
}

function wakeTracer(t: Task, tr: Tracee, status: number): void {
  const tracer = tr.tracer;
  tracer.tg.childWait.wakeAll();
  // As do_notify_parent_cldstop for a ptrace stop: SIGCHLD with CLD_TRAPPED to the tracer.
  sendSignal(tracer.tg, { signo: SIGCHLD, code: CLD_TRAPPED, pid: t.tid, uid: t.cred.uid, status }, false);
}

// Enters a ptrace-stop: the task leaves the run queue until its tracer resumes it.
export function ptraceStop(t: Task, kind: StopKind, code: number, info: SigInfo | null, msg?: number): void {
  const tr = t.ptrace!;
  tr.stopped = true;
  tr.reported = false;
  tr.kind = kind;
  tr.code = code;
  tr.listening = false;
  tr.siginfo = info ?? { signo: SIGTRAP, code, pid: t.tid, uid: t.cred.uid };
  if (msg !== undefined) tr.eventMsg = msg;
  t.clearWaits();
  t.k.rq.dequeue(t);
  t.state = TASK_STOPPED;
  wakeTracer(t, tr, code & 0x7f);
}

function syscallTrapCode(tr: Tracee): number { return SIGTRAP | (tr.options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0); }

function eventStop(t: Task, event: number, msg: number): void {
  ptraceStop(t, "event", SIGTRAP | (event << 8), null, msg);
}

// Called at an ecall before the syscall runs. True: the task stopped (the
// ecall runs again when it is resumed, and this returns false then).
export function ptraceSyscallEnter(t: Task): boolean {
  const tr = t.ptrace!;
  const hart = t.k.hart;
  if (!tr.enterDone) {
    tr.enterDone = true;
    tr.origA0 = hart.regBig(REG_A0);
    if (tr.resume === "syscall") {
      // Linux's riscv stops with epc already past the ecall; Ghost runs the
      // ecall again on resume, so the tracer sees pc + 4 and resume takes it back.
      hart.pc = hart.pc + 4;
      t.inSyscall = true;
      ptraceStop(t, "syscall-enter", syscallTrapCode(tr), null, PTRACE_EVENTMSG_SYSCALL_ENTRY);
      return true;
    }
  }
  return exitEvent(t, tr, hart.reg(REG_A7));
}

// PTRACE_EVENT_EXIT, before exit or exit_group ends anything: the message is the status to be.
function exitEvent(t: Task, tr: Tracee, nr: number): boolean {
  if (tr.exitEventDone || !(tr.options & PTRACE_O_TRACEEXIT)) return false;
  if (nr !== SYS.exit && nr !== SYS.exit_group) return false;
  tr.exitEventDone = true;
  t.inSyscall = true;
  eventStop(t, PTRACE_EVENT_EXIT, (t.k.hart.reg(REG_A0) & 0xff) << 8);
  return true;
}

// The syscall number to run after the entry stop, or null when the tracer
// cancelled it: as Linux's riscv do_trap_ecall_u, a7 = -1 skips the call and
// a0 is left as the tracer set it.
export function ptraceSyscallSkipped(t: Task): boolean { return t.k.hart.reg(REG_A7) === -1; }

// Called when a syscall parks: an event already reached (vfork's) stops now.
export function ptraceSyscallBlocked(t: Task): void {
  const tr = t.ptrace!;
  const e = tr.pendingEvent;
  if (!e) return;
  tr.pendingEvent = null;
  eventStop(t, e.event, e.msg);
}

// Called as a syscall returns to user mode (the result is in a0).
export function ptraceSyscallExit(t: Task): void {
  const tr = t.ptrace!;
  tr.enterDone = false;
  tr.exitEventDone = false;
  tr.interruptedExitDone = false;
  if (t.state === TASK_DEAD) return;
  const e = tr.pendingEvent;
  if (e) {
    tr.pendingEvent = null;
    tr.exitOwed = true;
    eventStop(t, e.event, e.msg);
    return;
  }
  if (tr.resume === "syscall") ptraceStop(t, "syscall-exit", syscallTrapCode(tr), null, PTRACE_EVENTMSG_SYSCALL_EXIT);
}

// The syscall in progress is over (completed, or interrupted and undone).
export function ptraceSyscallDone(t: Task): void {
  const tr = t.ptrace!;
  tr.enterDone = false;
  tr.interruptedExitDone = false;
}

// A parked syscall about to be cut short by a signal: as Linux, whose
// syscall returns -ERESTART* before the signal is delivered, the tracer sees
// its syscall-exit-stop first (strace: "= ? ERESTARTSYS"). Ghost has not
// ended the call (it is retried, or interrupted, as the signal's handling
// decides): the stop shows Linux's registers and resume puts them back.
export function ptraceSyscallInterrupted(t: Task): boolean {
  const tr = t.ptrace!;
  if (!t.inSyscall || !tr.enterDone || tr.interruptedExitDone || tr.resume !== "syscall") return false;
  tr.interruptedExitDone = true;
  const hart = t.k.hart;
  hart.setReg(REG_A0, -t.restartCode);
  hart.pc = hart.pc + 4;
  ptraceStop(t, "syscall-interrupted", syscallTrapCode(tr), null, PTRACE_EVENTMSG_SYSCALL_EXIT);
  return true;
}

// The signal-delivery-stop: called with a signal just dequeued. True when the
// task stopped (the tracer decides on resume whether it is delivered).
export function ptraceSignalStop(t: Task, info: SigInfo): boolean {
  if (injected.has(info)) { injected.delete(info); return false; }
  if (info.signo === SIGKILL) return false;
  ptraceStop(t, "signal", info.signo, info);
  return true;
}

// PTRACE_LISTEN: the tracee stays in its group-stop, but SIGCONT (even one
// that came since the stop was reported) makes it trap again.
export function ptraceListen(t: Task): void {
  const tr = t.ptrace!;
  if (tr.notify) { tr.notify = false; ptraceStop(t, "interrupt", SIGTRAP | (PTRACE_EVENT_STOP << 8), null, 0); return; }
  tr.listening = true;
}

// PTRACE_INTERRUPT or a seized child's first stop, taken where signals are.
export function ptraceInterruptStop(t: Task): void {
  const tr = t.ptrace!;
  tr.interrupt = false;
  ptraceStop(t, "interrupt", SIGTRAP | (PTRACE_EVENT_STOP << 8), null, 0);
}

// A tracee that stops with its group reports the group-stop to its tracer
// (as PTRACE_EVENT_STOP when seized).
export function ptraceGroupStop(t: Task, sig: number): void {
  const tr = t.ptrace!;
  ptraceStop(t, "group", sig | (tr.seized ? PTRACE_EVENT_STOP << 8 : 0), { signo: sig, code: SI_USER, pid: t.tid, uid: t.cred.uid }, 0);
}

// Whether SIGCONT may wake this stopped thread: not while in a ptrace-stop,
// unless PTRACE_LISTEN let the group-stop be ended.
export function ptraceMayContinue(t: Task): boolean {
  const tr = t.ptrace;
  if (!tr || !tr.stopped) return true;
  if (!tr.listening) { tr.notify = true; return false; }
  tr.stopped = false;
  tr.listening = false;
  // As Linux, a listening tracee woken by SIGCONT traps again (PTRACE_EVENT_STOP).
  tr.interrupt = true;
  return true;
}

// Resumes a ptrace-stopped tracee (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_DETACH).
// sig: for a signal-delivery-stop, the signal to deliver (0 suppresses it);
// for a syscall stop, a signal sent to it as Linux's ptrace_report_syscall does.
export function ptraceResume(t: Task, mode: ResumeMode, sig: number, detach = false): void {
  const tr = t.ptrace;
  const kind = tr ? tr.kind : "signal";
  const info = tr?.siginfo ?? null;
  if (tr) {
    tr.stopped = false;
    tr.resume = mode;
    tr.listening = false;
    tr.notify = false;
  }
  if (kind === "signal" && sig !== 0 && info) {
    // The signal goes back at the head of the thread's queue; a different
    // number gets a siginfo from the tracer (SI_USER), as Linux's ptrace_signal.
    const deliver: SigInfo = sig === info.signo ? info : { signo: sig, code: SI_USER, pid: tr ? tr.tracer.tg.pid : 0, uid: tr ? tr.tracer.cred.uid : 0 };
    injected.add(deliver);
    t.pending.queue.unshift(deliver);
    t.pending.mask |= sigmask(sig);
  } else if ((kind === "syscall-enter" || kind === "syscall-exit" || kind === "syscall-interrupted") && sig !== 0) {
    sendSignal(t, { signo: sig, code: SI_USER, pid: tr ? tr.tracer.tg.pid : 0, uid: 0 }, true);
  }
  if (kind === "syscall-enter" || kind === "syscall-interrupted") {
    // Back onto the ecall (the stop showed pc + 4): it runs now, with its first argument.
    const regs = regsOf(t);
    regs.pc = regs.pc - 4;
    if (kind === "syscall-interrupted") regs.setX(REG_A0, Number(BigInt.asIntN(64, tr!.origA0)));
  }
  if (tr && tr.exitOwed) {
    tr.exitOwed = false;
    if (mode === "syscall" && kind === "event" && !detach) {
      ptraceStop(t, "syscall-exit", syscallTrapCode(tr), null, PTRACE_EVENTMSG_SYSCALL_EXIT);
      return;
    }
  }
  if (detach) {
    ptraceUnlink(t);
    // A thread of a group still in group-stop stays stopped once detached.
    if (t.tg.stopped) return;
  }
  if (t.state === TASK_STOPPED) { t.state = TASK_INTERRUPTIBLE; t.k.wakeTask(t); }
}

// clone/fork/vfork: children of a tracee are traced too when the tracer asked
// for the event (or the caller passed CLONE_PTRACE); the parent stops at the
// end of the call with the child's pid as the message.
export function ptraceFork(parent: Task, child: Task, flags: bigint, exitSignal: number): void {
  const tr = parent.ptrace;
  if (!tr) return;
  const has = (bit: number) => (flags & BigInt(bit)) !== 0n;
  let event = 0;
  if (!has(CLONE_UNTRACED)) {
    event = has(CLONE_VFORK) ? PTRACE_EVENT_VFORK : exitSignal !== SIGCHLD || has(CLONE_THREAD) ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
    if (!(tr.options & eventOption(event))) event = 0;
  }
  if (!event && !has(CLONE_PTRACE)) return;
  const ctr = ptraceLink(child, tr.tracer, tr.options, tr.seized);
  if (tr.seized) ctr.interrupt = true; // its first stop is PTRACE_EVENT_STOP
  else {
    // As ptrace_init_task: a child attached the classic way starts with SIGSTOP pending.
    child.pending.queue.push({ signo: SIGSTOP, code: SI_USER, pid: 0, uid: 0 });
    child.pending.mask |= sigmask(SIGSTOP);
  }
  if (event) tr.pendingEvent = { event, msg: child.tid };
}

// The vfork child let its parent go (exec or exit): PTRACE_EVENT_VFORK_DONE.
export function ptraceVforkDone(t: Task, childTid: number): void {
  const tr = t.ptrace!;
  if (tr.options & PTRACE_O_TRACEVFORKDONE) tr.pendingEvent = { event: PTRACE_EVENT_VFORK_DONE, msg: childTid };
}

// After a successful execve (past the point of no return): PTRACE_EVENT_EXEC
// with the former thread id, or SIGTRAP for a tracee attached without PTRACE_SEIZE.
export function ptraceExec(t: Task, oldTid: number): void {
  const tr = t.ptrace;
  if (!tr) return;
  if (tr.options & PTRACE_O_TRACEEXEC) tr.pendingEvent = { event: PTRACE_EVENT_EXEC, msg: oldTid };
  else if (!tr.seized) sendSignal(t, { signo: SIGTRAP, code: SI_USER, pid: 0, uid: 0 }, true);
}

// A task ended. A tracee's tracer is told (its wait reports the death, unless
// it is the real parent, whose ordinary wait does); a tracer's tracees are
// detached, or killed under PTRACE_O_EXITKILL.
export function ptraceExitTask(t: Task): void {
  const tr = t.ptrace;
  if (tr) {
    tr.stopped = false;
    const tg = t.tg;
    const status = tg.exiting || tg.threads.size === 0 ? tg.exitStatus : (t.exitCode & 0xff) << 8;
    const lastOfGroup = tg.threads.size === 0;
    if (lastOfGroup && tg.parent === tr.tracer.tg) ptraceUnlink(t);
    else {
      tr.exitStatus = status;
      tr.tracer.tg.childWait.wakeAll();
      // The tracer learns of a thread's or a foreign process's death by SIGCHLD, as do_notify_parent.
      if (lastOfGroup) sendSignal(tr.tracer.tg, { signo: SIGCHLD, code: (status & 0x7f) ? CLD_KILLED : CLD_EXITED, pid: t.tid, uid: t.cred.uid, status: (status & 0x7f) || (status >> 8) & 0xff }, false);
    }
  }
  const mine = t.ptraced;
  if (mine && mine.size) {
    for (const c of [...mine]) {
      const ctr = c.ptrace!;
      if (ctr.exitStatus !== null) { ptraceReleaseDead(c); continue; }
      if (ctr.options & PTRACE_O_EXITKILL) { ptraceUnlink(c); t.k.exitGroup(c.tg, SIGKILL, "signal"); continue; }
      // Restarted, unless in group-stop (ptrace(2): "If the tracer dies, all
      // tracees are automatically detached and restarted"), as a detach does.
      if (ctr.stopped) ptraceResume(c, "cont", 0, true);
      else ptraceUnlink(c);
    }
  }
}

// Another task's memory as a tracer or /proc/PID/mem reaches it (Linux's
// access_process_vm with FOLL_FORCE): a write may go where the task itself
// may not, into a private read-only mapping (its text: a breakpoint), which
// gets a private copy of the page. A read copies into b; an address not
// mapped (or shared read-only) is EFAULT.
export function accessForce(c: Task, addr: number, b: Uint8Array, write: boolean): void {
  const um = new UserMemory(c.mm);
  if (!write) { um.read(addr, b.length, b); return; }
  try { um.write(addr, b); return; } catch (e) { if (!(e instanceof KernelError)) throw e; }
  const v = c.mm.findVma(addr);
  const end = addr + b.length;
  if (!v || v.shared || (v.prot & PROT_WRITE) || end > v.end) kerr(EFAULT);
  const start = pageDown(addr), stop = pageUp(end);
  c.mm.mprotect(start, stop - start, v.prot | PROT_WRITE);
  try { um.write(addr, b); } finally { c.mm.mprotect(start, stop - start, v.prot); }
  // Translated code of the old bytes must not run again.
  c.k.hart.jitFlush();
}
