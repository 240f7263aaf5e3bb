// Signal syscalls: sigaction, masks, alternate stacks, sending, waiting,
// and rt_sigreturn.

import { kerr } from "../lib/errors.js";
import { EINVAL, ESRCH, EPERM, EFAULT, EAGAIN, EINTR, ERESTARTNOHAND } from "../abi/errno.js";
import {
  sigaction as sigactionStruct, stack_t, SIGKILL, SIGSTOP, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, SIG_IGN, SIG_DFL,
  SS_DISABLE, SS_ONSTACK, SI_USER, SI_TKILL, SI_QUEUE, UAPI_SA_FLAGS, sigmask, defaultAction, SIGSEGV, SI_KERNEL
} from "../abi/signal.js";
import { REG_SP } from "../arch/riscv64/layout.js";
import { defineSyscalls } from "./table.js";
import { NORETURN, sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { readTimespec } from "./sys_time.js";
import { um } from "./util.js";
import { sendSignal, sigreturn, changeAltstack, UNBLOCKABLE, dequeueFrom, writeSiginfo } from "../kernel/signal.js";
import type { SigInfo, Task, ThreadGroup } from "../kernel/task.js";
import { i32Arg } from "./args.js";

function validSig(sig: number): void { if (sig < 1 || sig > 64) kerr(EINVAL); }
function sigsetSize(n: number): void { if (n !== 8) kerr(EINVAL); }

function rtSigaction(t: Task, sig: number, actVa: number, oldVa: number, size: number): number {
  sigsetSize(size);
  validSig(sig);
  const cur = t.sighand.actions[sig];
  if (oldVa) {
    const b = new Uint8Array(sigactionStruct.size);
    const dv = new DataView(b.buffer);
    sigactionStruct.write(dv, 0, { sa_handler: cur.handler, sa_flags: cur.flags >>> 0, sa_mask: cur.mask });
    um(t).write(oldVa, b);
  }
  if (actVa) {
    if (sig === SIGKILL || sig === SIGSTOP) kerr(EINVAL);
    const dv = new DataView(um(t).read(actVa, sigactionStruct.size).buffer);
    const handler = Number(sigactionStruct.getBig(dv, 0, "sa_handler"));
    const flags = Number(sigactionStruct.getBig(dv, 0, "sa_flags") & 0xffffffffn) & UAPI_SA_FLAGS;
    const mask = sigactionStruct.getBig(dv, 0, "sa_mask") & ~UNBLOCKABLE;
    t.sighand.actions[sig] = { handler, flags, mask };
    // Setting a signal to be ignored discards it where pending (POSIX).
    if (handler === SIG_IGN || (handler === SIG_DFL && defaultAction(sig) === "ign")) {
      const bit = sigmask(sig);
      const drop = (p: { mask: bigint; queue: { signo: number }[] }) => { p.mask &= ~bit; p.queue = p.queue.filter((q) => q.signo !== sig); };
      drop(t.tg.shared);
      for (const th of t.tg.threads) drop(th.pending);
    }
  }
  return 0;
}

function sigprocmask(t: Task, how: number, setVa: number, oldVa: number, size: number): number {
  sigsetSize(size);
  let next: bigint | null = null;
  if (setVa) {
    const set = um(t).big64(setVa);
    switch (how) {
      case SIG_BLOCK: next = t.sigmask | set; break;
      case SIG_UNBLOCK: next = t.sigmask & ~set; break;
      case SIG_SETMASK: next = set; break;
      default: kerr(EINVAL);
    }
  }
  if (oldVa) um(t).setU64(oldVa, t.sigmask);
  if (next !== null) t.sigmask = next & ~UNBLOCKABLE;
  return 0;
}

function sigaltstack(t: Task, ssVa: number, oldVa: number): number {
  const sp = t.k.hart.reg(REG_SP);
  const a = t.altstack;
  const onStack = a.flags !== SS_DISABLE && sp > a.sp && sp - a.sp <= a.size;
  if (oldVa) {
    const b = new Uint8Array(stack_t.size);
    const dv = new DataView(b.buffer);
    stack_t.write(dv, 0, { ss_sp: a.sp, ss_flags: onStack ? SS_ONSTACK : (a.flags === SS_DISABLE ? SS_DISABLE : a.flags), ss_size: a.size });
    um(t).write(oldVa, b);
  }
  if (ssVa) {
    const dv = new DataView(um(t).read(ssVa, stack_t.size).buffer);
    const ssp = stack_t.get(dv, 0, "ss_sp");
    const flags = stack_t.get(dv, 0, "ss_flags");
    const size = stack_t.get(dv, 0, "ss_size");
    const r = changeAltstack(t, sp, ssp, flags, size);
    if (r < 0) return r;
  }
  return 0;
}

// Permission to signal: root, or a matching real/effective uid.
function maySignal(t: Task, target: ThreadGroup): boolean {
  const lead = [...target.threads][0];
  if (!lead || t.cred.euid === 0) return true;
  const c = lead.cred;
  return t.cred.euid === c.uid || t.cred.euid === c.suid || t.cred.uid === c.uid || t.cred.uid === c.suid;
}

// The process a positive pid names: a thread group's id, or the id of any of
// its threads (Linux's kill_proc_info finds the task, then signals its group).
function groupOfPid(t: Task, pid: number): ThreadGroup | undefined {
  return t.k.groups.get(pid) ?? t.k.tasks.get(pid)?.tg;
}

function kill(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) kerr(EINVAL);
  const info = { signo: sig, code: SI_USER, pid: t.pid, uid: t.cred.uid };
  const k = t.k;
  let targets: ThreadGroup[];
  if (pid > 0) {
    const g = groupOfPid(t, pid);
    if (!g || g.zombie) { if (g) return 0; kerr(ESRCH); }
    targets = [g];
  } else {
    const pgid = pid === 0 ? t.tg.pgid : pid < -1 ? -pid : 0;
    targets = [...k.groups.values()].filter((g) => !g.zombie && (pid === -1 ? g.pid !== 1 && g !== t.tg : g.pgid === pgid));
    if (!targets.length) kerr(ESRCH);
  }
  let ok = 0;
  for (const g of targets) {
    if (!maySignal(t, g)) continue;
    ok++;
    if (sig !== 0) sendSignal(g, info, false);
  }
  if (!ok) kerr(EPERM);
  return 0;
}

// tgid 0 is tkill's "any process"; tgkill itself refuses a tgid <= 0 (Linux's tgkill: EINVAL).
function tgkill(t: Task, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > 64 || tid <= 0 || tgid < 0) kerr(EINVAL);
  const o = t.k.tasks.get(tid);
  if (!o || (tgid > 0 && o.tg.pid !== tgid)) kerr(ESRCH);
  if (!maySignal(t, o.tg)) kerr(EPERM);
  return sig ? sendSignal(o, { signo: sig, code: SI_TKILL, pid: t.pid, uid: t.cred.uid }, true) : 0;
}

// The siginfo of rt_sigqueueinfo/rt_tgsigqueueinfo. As Linux: a process may
// forge a kernel (si_code >= 0) or tkill code only towards itself; root has
// no exemption (since 2.6.39).
function readQueuedInfo(t: Task, infoVa: number, sig: number, toSelf: boolean): SigInfo {
  const dv = new DataView(um(t).read(infoVa, 128).buffer);
  const code = dv.getInt32(8, true);
  if ((code >= 0 || code === SI_TKILL) && !toSelf) kerr(EPERM);
  return { signo: sig, code, pid: dv.getInt32(16, true), uid: dv.getUint32(20, true), value: dv.getBigUint64(24, true) };
}

// Sends a queued siginfo after the checks of Linux's check_kill_permission:
// the signal number (0 only probes), then the credentials.
function queueSignal(t: Task, any: Task | undefined, g: ThreadGroup, sig: number, info: SigInfo, forThread: boolean): number {
  if (sig < 0 || sig > 64) kerr(EINVAL);
  if (!maySignal(t, g)) kerr(EPERM);
  if (sig !== 0 && any && !g.zombie) return sendSignal(forThread ? any : g, info, forThread);
  return 0;
}

defineSyscalls({
  rt_sigaction: (t, sig, act, old, size) => rtSigaction(t, i32Arg(sig), act, old, size),
  rt_sigprocmask: (t, how, set, old, size) => sigprocmask(t, i32Arg(how), set, old, size),
  sigaltstack: (t, ss, old) => sigaltstack(t, ss, old),
  rt_sigreturn: (t) => {
    if (!sigreturn(t)) { sendSignal(t, { signo: SIGSEGV, code: SI_KERNEL }, true); }
    return NORETURN;
  },
  rt_sigpending: (t, va, size) => {
    if (size > 8) kerr(EINVAL);
    const set = (t.pending.mask | t.tg.shared.mask) & t.sigmask;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, set, true);
    um(t).write(va, b.subarray(0, size));
    return 0;
  },
  rt_sigsuspend: (t, maskVa, size) => {
    sigsetSize(size);
    if (restartOf(t, "sigsuspend") === null) {
      const mask = um(t).big64(maskVa) & ~UNBLOCKABLE;
      t.restart = { kind: "sigsuspend" };
      t.savedSigmask = t.sigmask;
      t.sigmask = mask;
      // If the task leaves without a handler running (killed), nothing is left to restore.
    }
    t.restartCode = ERESTARTNOHAND;
    return sleepOn(t, []);
  },
  rt_sigtimedwait: (t, setVa, infoVa, tsVa, size) => {
    sigsetSize(size);
    const want = um(t).big64(setVa) & ~UNBLOCKABLE;
    const info = dequeueFrom(t, want);
    if (info) {
      t.sigwaitSet = 0n;
      if (infoVa) { const b = new Uint8Array(128); writeSiginfo(new DataView(b.buffer), 0, info); um(t).write(infoVa, b); }
      return info.signo;
    }
    let st = restartOf(t, "deadline");
    if (!st) {
      st = { kind: "deadline", deadline: tsVa ? t.k.clock.monotonic() + readTimespec(t, tsVa) : null };
      t.restart = st;
      t.onRestartDrop = () => { t.sigwaitSet = 0n; };
    }
    if (st.deadline !== null && t.k.clock.monotonic() >= st.deadline) { t.sigwaitSet = 0n; kerr(EAGAIN); }
    t.sigwaitSet = want;
    // As Linux's do_sigtimedwait: a handled signal ends the wait with EINTR,
    // never a restart, whatever SA_RESTART says.
    t.restartCode = EINTR;
    return sleepOn(t, [], st.deadline ?? undefined);
  },
  rt_tgsigqueueinfo: (t, tgid, tid, sig, infoVa) => {
    if ((i32Arg(tgid)) <= 0 || (i32Arg(tid)) <= 0) kerr(EINVAL);
    const info = readQueuedInfo(t, infoVa, sig, (i32Arg(tid)) === t.tid);
    const o = t.k.tasks.get(i32Arg(tid));
    if (!o || o.tg.pid !== (i32Arg(tgid))) kerr(ESRCH);
    return queueSignal(t, o, o.tg, sig, info, true);
  },
  // Ghost restarts interrupted sleeps in place, so user space never needs this: as Linux without a restart block.
  restart_syscall: () => -EINTR,
  kill: (t, pid, sig) => kill(t, i32Arg(pid), i32Arg(sig)),
  tkill: (t, tid, sig) => tgkill(t, 0, i32Arg(tid), i32Arg(sig)),
  tgkill: (t, tgid, tid, sig) => (i32Arg(tgid) <= 0 ? -EINVAL : tgkill(t, i32Arg(tgid), i32Arg(tid), i32Arg(sig))),
  rt_sigqueueinfo: (t, pid, sig, infoVa) => {
    // As Linux's do_rt_sigqueueinfo: "to itself" compares with the caller's own task id.
    const info = readQueuedInfo(t, infoVa, sig, (i32Arg(pid)) === t.tid);
    const g = groupOfPid(t, i32Arg(pid));
    if (!g) kerr(ESRCH);
    return queueSignal(t, [...g.threads][0], g, sig, info, false);
  },
});

export { EFAULT, SI_QUEUE };
