// Signals: generation (to a thread or a thread group), delivery on the way
// back to user mode, the riscv64 rt_sigframe, and rt_sigreturn.

import {
  _NSIG, SIGINT, SIGQUIT, SIGWINCH, SIGKILL, SIGSTOP, SIGCONT, SIGCHLD, SIGSEGV, SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER,
  SA_RESETHAND, SS_ONSTACK, SS_DISABLE, SS_AUTODISARM, SIG_DFL, SIG_IGN, SI_KERNEL, SI_USER, SIGTSTP, SIGTTIN, SIGTTOU,
  SI_QUEUE, SI_TKILL, SIGRTMIN, MINSIGSTKSZ,
  defaultAction, sigmask, siginfo, ucontext, rt_sigframe, sigcontext, stack_t, SYNCHRONOUS_MASK,
} from "../abi/signal.js";
import { RLIMIT_SIGPENDING } from "../abi/resource.js";
import { EAGAIN, EINTR, EFAULT, EINVAL, ENOMEM, EPERM, ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK } from "../abi/errno.js";
import { REG_SP, REG_RA, REG_A0 } from "../arch/riscv64/layout.js";
import { FCSR_MASK } from "../arch/riscv64/regs.js";
import { UserMemory } from "../mm/uaccess.js";
import { KernelError } from "../lib/errors.js";
import { TASK_INTERRUPTIBLE, rlimit, type SigInfo, type Task, type ThreadGroup } from "./task.js";
import { ptraceSignalStop, ptraceInterruptStop, ptraceGroupStop, ptraceSyscallInterrupted } from "./ptrace.js";

export const UNBLOCKABLE = sigmask(SIGKILL) | sigmask(SIGSTOP);

// A process group is orphaned when no member has a parent in another group of the same session.
export function isOrphanedPgrp(k: Task["k"], pgid: number): boolean {
  for (const g of k.groups.values()) {
    if (g.pgid !== pgid || g.zombie) continue;
    const p = g.parent;
    if (p && !p.zombie && p.pgid !== pgid && p.sid === g.sid) return false;
  }
  return true;
}

function isIgnored(t: Task, sig: number): boolean {
  const h = t.sighand.actions[sig].handler;
  if (h === SIG_IGN) return true;
  return h === SIG_DFL && defaultAction(sig) === "ign";
}

// The siginfo entries queued to a process, for RLIMIT_SIGPENDING.
function queuedInfos(tg: ThreadGroup): number {
  let n = tg.shared.queue.length;
  for (const t of tg.threads) n += t.pending.queue.length;
  return n;
}

// RLIMIT_SIGPENDING, as Linux's __sigqueue_alloc and __send_signal_locked: a
// signal a process sends (kill, tkill, sigqueue) takes a queue entry within
// the receiver's limit, which a standard signal with si_code >= 0 may pass.
// Past it, a real-time signal sent with a code other than SI_USER fails with
// EAGAIN; any other is still sent but without its information (one pending
// bit, so a flood takes no memory). Linux counts the entries of the receiving
// user; Ghost counts those of the receiving process.
function overSigpending(tg: ThreadGroup, info: SigInfo): "fail" | "noinfo" | null {
  const code = info.code;
  if (info.forced || (code !== SI_USER && code !== SI_QUEUE && code !== SI_TKILL)) return null;
  if (info.signo < SIGRTMIN && code >= 0) return null;
  if (queuedInfos(tg) < rlimit(tg, RLIMIT_SIGPENDING)) return null;
  return info.signo >= SIGRTMIN && code !== SI_USER ? "fail" : "noinfo";
}

// Queues a signal for one thread (tkill, faults) or the whole group (kill).
// force: a fault the task cannot go on from (force_sig_fault), which even init takes.
// Returns 0, or -EAGAIN when RLIMIT_SIGPENDING refuses a queued real-time signal.
export function sendSignal(target: Task | ThreadGroup, info: SigInfo, forThread: boolean, force = false): number {
  const sig = info.signo;
  // Callers validate what a guest asks for; a number that is no signal never reaches the tables.
  if (!Number.isInteger(sig) || sig < 1 || sig > _NSIG) return 0;
  const task = forThread ? (target as Task) : undefined;
  const tg = forThread ? (target as Task).tg : (target as ThreadGroup);
  if (tg.zombie || tg.exiting) return 0;
  const anyThread = task ?? [...tg.threads][0];
  if (!anyThread) return 0;
  // Nothing sends SIGKILL or SIGSTOP to init (Linux's is_global_init check).
  if (tg.pid === 1 && !force && (sig === SIGKILL || sig === SIGSTOP)) return 0;
  if (sig === SIGKILL) {
    anyThread.k.exitGroup(tg, sig, "signal");
    return 0;
  }
  if (sig === SIGCONT) {
    // Continuing discards pending stop signals, as Linux does.
    const stops = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);
    tg.shared.mask &= ~stops;
    for (const t of tg.threads) t.pending.mask &= ~stops;
    if (tg.stopped) anyThread.k.continueGroup(tg);
  }
  // An ignored signal that is not blocked is dropped at generation.
  const blocked = ((task ?? tg.leader ?? anyThread).sigmask & sigmask(sig)) !== 0n;
  // init is unkillable (Linux's SIGNAL_UNKILLABLE): a signal it has no handler
  // for is dropped, unless blocked (sigtimedwait may take it) or a fault.
  if (tg.pid === 1 && !force && !blocked && anyThread.sighand.actions[sig].handler === SIG_DFL) return 0;
  if (force) info.forced = true;
  // A tracer sees even ignored signals (Linux's sig_ignored), SIGKILL aside.
  if (isIgnored(anyThread, sig) && !blocked && !(task ?? anyThread).ptrace) return 0;
  const pending = task ? task.pending : tg.shared;
  const bit = sigmask(sig);
  if (sig < 32 && (pending.mask & bit)) return 0; // legacy signals do not queue
  const over = overSigpending(tg, info);
  if (over === "fail") return -EAGAIN;
  if (over === "noinfo") {
    if (pending.mask & bit) return 0;
    // As Linux's collect_signal for a signal that has no queue entry.
    info = { signo: sig, code: SI_USER, pid: 0, uid: 0 };
  }
  pending.mask |= bit;
  pending.queue.push(info);
  tg.signalWait.wakeAll();
  // Wake a thread that can take it.
  const candidates = task ? [task] : [...tg.threads];
  for (const t of candidates) {
    if ((t.sigmask & bit) === 0n || (t.sigwaitSet & bit)) { signalWake(t); break; }
  }
  return 0;
}

// Interrupts an interruptible sleep so the signal can be handled.
export function signalWake(t: Task): void {
  if (t.state === TASK_INTERRUPTIBLE) t.wake();
}

export function hasDeliverable(t: Task): boolean {
  if (t.ptrace?.interrupt) return true;
  // Asked before every run of the hart: nothing pending is the common case,
  // answered by comparisons (the masks' arithmetic allocates BigInts).
  const own = t.pending.mask, shared = t.tg.shared.mask;
  if (own === 0n && shared === 0n) return false;
  return ((own | shared) & ~t.sigmask) !== 0n;
}

function dequeue(t: Task): SigInfo | null {
  const avail = (t.pending.mask | t.tg.shared.mask) & ~t.sigmask;
  if (avail === 0n) return null;
  // Synchronous faults first, then the lowest number.
  let sig = 0;
  const sync = avail & SYNCHRONOUS_MASK;
  const pick = sync !== 0n ? sync : avail;
  for (let s = 1; s <= 64; s++) if (pick & sigmask(s)) { sig = s; break; }
  const bit = sigmask(sig);
  const src = (t.pending.mask & bit) ? t.pending : t.tg.shared;
  const i = src.queue.findIndex((q) => q.signo === sig);
  const info = i >= 0 ? src.queue.splice(i, 1)[0] : { signo: sig, code: SI_KERNEL };
  if (!src.queue.some((q) => q.signo === sig)) src.mask &= ~bit;
  return info;
}

export function writeSiginfo(dv: DataView, base: number, info: SigInfo): void {
  siginfo.zero(dv, base);
  siginfo.set(dv, base, "si_signo", info.signo);
  siginfo.set(dv, base, "si_errno", info.errno ?? 0);
  siginfo.set(dv, base, "si_code", info.code);
  if (info.addr !== undefined) siginfo.set(dv, base, "si_addr", info.addr);
  if (info.pid !== undefined) { siginfo.set(dv, base, "si_pid", info.pid); siginfo.set(dv, base, "si_uid", info.uid ?? 0); }
  if (info.status !== undefined) siginfo.set(dv, base, "si_status", info.status);
  if (info.value !== undefined) siginfo.set(dv, base, "si_value", info.value);
  if (info.utime !== undefined) siginfo.set(dv, base, "si_utime", info.utime);
  if (info.stime !== undefined) siginfo.set(dv, base, "si_stime", info.stime);
  if (info.timerid !== undefined) { siginfo.set(dv, base, "si_tid", info.timerid); siginfo.set(dv, base, "si_overrun", info.overrun ?? 0); }
  if (info.band !== undefined) { siginfo.set(dv, base, "si_band", info.band); siginfo.set(dv, base, "si_fd", info.fd ?? 0); }
  if (info.syscall !== undefined) { siginfo.set(dv, base, "si_syscall", info.syscall); siginfo.set(dv, base, "si_arch", info.arch ?? 0); }
}

// Takes one pending signal of `set` (sigtimedwait, signalfd), or null.
export function dequeueFrom(t: Task, set: bigint): SigInfo | null {
  const pend = (t.pending.mask | t.tg.shared.mask) & set;
  if (pend === 0n) return null;
  let sig = 1;
  while (!(pend & sigmask(sig))) sig++;
  const bit = sigmask(sig);
  const src = (t.pending.mask & bit) ? t.pending : t.tg.shared;
  const i = src.queue.findIndex((q) => q.signo === sig);
  const info = i >= 0 ? src.queue.splice(i, 1)[0] : { signo: sig, code: SI_KERNEL };
  if (!src.queue.some((q) => q.signo === sig)) src.mask &= ~bit;
  return info;
}

// Called with the task loaded on the hart, before it returns to user mode.
// `syscallResult` is set when the task is leaving a syscall that was
// interrupted (a -ERESTART* code), so the restart rules can apply.
export function deliverSignals(t: Task): void {
  for (;;) {
    if (t.ptrace?.interrupt) { ptraceInterruptStop(t); return; }
    if (t.ptrace && ptraceSyscallInterrupted(t)) return;
    const info = dequeue(t);
    if (!info) return;
    if (t.ptrace && ptraceSignalStop(t, info)) return;
    const sig = info.signo;
    const act = t.sighand.actions[sig];
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      if (t.tg.pid === 1 && !info.forced) continue; // init takes no default actions but a fault's
      const a = defaultAction(sig);
      if (a === "ign" || a === "cont") continue;
      if (a === "stop") {
        // Job-control stops do not stop an orphaned process group (POSIX; Linux's is_orphaned_pgrp).
        if (sig !== SIGSTOP && isOrphanedPgrp(t.k, t.tg.pgid)) continue;
        t.k.stopGroup(t.tg, sig);
        if (t.ptrace) ptraceGroupStop(t, sig);
        return;
      }
      t.k.exitGroup(t.tg, sig, a === "core" ? "core" : "signal", info);
      return;
    }
    if (t.inSyscall) {
      restartOrIntr(t, t.restartCode, act.flags);
      t.k.dropRestart(t);
    }
    setupFrame(t, sig, info, act.flags, act.mask, act.handler);
    // As Linux's signal_delivered: SA_RESETHAND resets only the handler; sa_flags and sa_mask stay.
    if (act.flags & SA_RESETHAND) t.sighand.actions[sig] = { ...act, handler: SIG_DFL };
    return;
  }
}

// Fixes up a syscall that was interrupted by a signal about to be handled:
// restart it (pc back on the ecall) or make it return EINTR.
export function restartOrIntr(t: Task, code: number, handlerFlags: number | null): void {
  const hart = t.k.hart;
  const restart = code === ERESTARTNOINTR || (handlerFlags === null && (code === ERESTARTSYS || code === ERESTARTNOHAND || code === ERESTART_RESTARTBLOCK)) ||
    (handlerFlags !== null && code === ERESTARTSYS && (handlerFlags & SA_RESTART) !== 0);
  if (t.partialResult) {
    // Part of the transfer happened: the syscall returns what it did.
    hart.setReg(REG_A0, t.partialResult);
    hart.pc = hart.pc + 4;
    return;
  }
  if (t.pendingRemaining) {
    // As do_nanosleep: an interrupted sleep stores the time left at once,
    // restarted or not; a remaining-time pointer it cannot write ends the
    // call with EFAULT (nanosleep_copyout), never a restart.
    const left = Math.max(0, t.pendingRemaining.deadline - t.k.clock.monotonic());
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
    dv.setBigInt64(8, BigInt(left % 1e9), true);
    const va = t.pendingRemaining.va;
    t.pendingRemaining = null;
    if (new UserMemory(t.mm).accessible(va, b.length, true) < b.length) {
      hart.setReg(REG_A0, -EFAULT);
      hart.pc = hart.pc + 4;
      return;
    }
    new UserMemory(t.mm).write(va, b);
  }
  if (restart) return; // pc still points at the ecall: it runs again
  hart.setReg(REG_A0, -EINTR);
  hart.pc = hart.pc + 4;
}

// do_sigaltstack's change, shared by sigaltstack(2) and rt_sigreturn's
// restore_altstack: refused while running on the alternate stack (EPERM),
// for an unknown mode (EINVAL) or a stack smaller than MINSIGSTKSZ (ENOMEM).
// Returns 0 or -errno; t.altstack is unchanged on an error.
export function changeAltstack(t: Task, sp: number, ssp: number, flags: number, size: number): number {
  if (onAltStack(t, sp)) return -EPERM;
  const mode = flags & ~SS_AUTODISARM;
  if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -EINVAL;
  if (mode === SS_DISABLE) { t.altstack = { sp: 0, flags: SS_DISABLE, size: 0 }; return 0; }
  if (size < MINSIGSTKSZ) return -ENOMEM;
  t.altstack = { sp: ssp, flags: flags & SS_AUTODISARM, size };
  return 0;
}

function onAltStack(t: Task, sp: number): boolean {
  return t.altstack.flags !== SS_DISABLE && sp > t.altstack.sp && sp - t.altstack.sp <= t.altstack.size;
}

function setupFrame(t: Task, sig: number, info: SigInfo, flags: number, mask: bigint, handler: number): void {
  const hart = t.k.hart;
  let sp = hart.reg(REG_SP);
  const oldAlt = { ...t.altstack };
  const onStack = onAltStack(t, sp);
  if ((flags & SA_ONSTACK) && t.altstack.flags !== SS_DISABLE && !onStack) {
    sp = t.altstack.sp + t.altstack.size;
    if (t.altstack.flags & SS_AUTODISARM) t.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
  }
  sp = Math.floor((sp - rt_sigframe.size) / 16) * 16;
  const frame = new Uint8Array(rt_sigframe.size);
  const fdv = new DataView(frame.buffer);
  if (flags & SA_SIGINFO) writeSiginfo(fdv, 0, info);
  const uc = rt_sigframe.offsetOf("uc");
  ucontext.set(fdv, uc, "uc_flags", 0);
  ucontext.set(fdv, uc, "uc_link", 0);
  const st = uc + ucontext.offsetOf("uc_stack");
  stack_t.set(fdv, st, "ss_sp", oldAlt.sp);
  stack_t.set(fdv, st, "ss_flags", oldAlt.flags === SS_DISABLE ? SS_DISABLE : (onAltStack({ altstack: oldAlt } as Task, hart.reg(REG_SP)) ? SS_ONSTACK : 0) | (oldAlt.flags & SS_AUTODISARM));
  stack_t.set(fdv, st, "ss_size", oldAlt.size);
  // After sigsuspend the handler returns to the mask from before the call.
  ucontext.set(fdv, uc, "uc_sigmask", t.savedSigmask ?? t.sigmask);
  t.savedSigmask = null;
  const mc = uc + ucontext.offsetOf("uc_mcontext");
  // sc_regs: pc, then x1..x31.
  const regs = hart.liveRegs();
  frame.set(regs.pcBytes, mc);
  frame.set(regs.gprBytes, mc + regs.pcBytes.length);
  frame.set(regs.fprBytes, mc + sigcontext.offsetOf("sc_fpregs_d_f"));
  sigcontext.set(fdv, mc, "sc_fpregs_d_fcsr", regs.fcsr);
  try {
    new UserMemory(t.mm).write(sp, frame);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    // No room for the frame: the task dies of SIGSEGV, as Linux's force_sigsegv.
    t.k.exitGroup(t.tg, SIGSEGV, "core");
    return;
  }
  hart.setReg(REG_SP, sp);
  hart.setReg(REG_RA, t.mm.sigreturnTrampoline);
  hart.setReg(REG_A0, sig);
  hart.setReg(REG_A0 + 1, sp + rt_sigframe.offsetOf("info"));
  hart.setReg(REG_A0 + 2, sp + uc);
  hart.pc = handler;
  t.sigmask |= mask;
  if (!(flags & SA_NODEFER)) t.sigmask |= sigmask(sig);
  t.sigmask &= ~UNBLOCKABLE;
}

// rt_sigreturn: restores what setupFrame saved. Returns false if the frame is unreadable.
export function sigreturn(t: Task): boolean {
  const hart = t.k.hart;
  const sp = hart.reg(REG_SP);
  let frame: Uint8Array;
  try { frame = new UserMemory(t.mm).read(sp, rt_sigframe.size); } catch { return false; }
  const fdv = new DataView(frame.buffer);
  const uc = rt_sigframe.offsetOf("uc");
  const mc = uc + ucontext.offsetOf("uc_mcontext");
  const regs = hart.liveRegs();
  const pcLen = regs.pcBytes.length, gprLen = regs.gprBytes.length;
  regs.pcBytes.set(frame.subarray(mc, mc + pcLen));
  regs.gprBytes.set(frame.subarray(mc + pcLen, mc + pcLen + gprLen));
  const fo = mc + sigcontext.offsetOf("sc_fpregs_d_f");
  regs.fprBytes.set(frame.subarray(fo, fo + regs.fprBytes.length));
  regs.fcsr = sigcontext.get(fdv, mc, "sc_fpregs_d_fcsr") & FCSR_MASK;
  t.sigmask = ucontext.getBig(fdv, uc, "uc_sigmask") & ~UNBLOCKABLE;
  const st = uc + ucontext.offsetOf("uc_stack");
  // restore_altstack: as sigaltstack would, its errors ignored (an unknown
  // mode or a size under MINSIGSTKSZ in a corrupted frame leaves the
  // alternate stack as it was, as Linux's do_sigaltstack).
  // The EPERM test looks at the restored stack pointer (current_user_stack_pointer()
  // after restore_sigcontext), not the frame's.
  changeAltstack(t, hart.reg(REG_SP), stack_t.get(fdv, st, "ss_sp"), stack_t.get(fdv, st, "ss_flags"), stack_t.get(fdv, st, "ss_size"));
  return true;
}

export { SIGCHLD };

// A signal sent to Ghost's own host process (`ghost run`), passed on to the
// guest as qemu-user does, where each guest process is a host process: the
// ones a terminal generates (SIGINT, SIGQUIT, SIGWINCH) reach every process
// of the main program's process group, as the terminal's foreground group
// would; the others (SIGTERM, SIGHUP, SIGUSR1, SIGUSR2) the main program.
export function signalFromHost(k: { mainGroup: ThreadGroup | null; groups: Map<number, ThreadGroup> }, sig: number): void {
  const main = k.mainGroup;
  if (!main || main.zombie) return;
  if (sig === SIGINT || sig === SIGQUIT || sig === SIGWINCH) {
    // From the terminal: si_code SI_KERNEL, as Linux's tty layer sends them.
    for (const g of [...k.groups.values()]) if (g.pgid === main.pgid && !g.zombie) sendSignal(g, { signo: sig, code: SI_KERNEL }, false);
  } else {
    // From a process outside the guest: SI_USER with no pid the guest knows.
    sendSignal(main, { signo: sig, code: SI_USER, pid: 0, uid: 0 }, false);
  }
}
