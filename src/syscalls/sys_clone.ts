// Process creation and reaping: clone, clone3, wait4, waitid, pidfds.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL, ECHILD, ESRCH, EBADF, EFAULT, E2BIG, EPERM, ERESTARTNOINTR } from "../abi/errno.js";
import {
  clone_args, CLONE_VFORK, CLONE_PIDFD, CLONE_PARENT_SETTID, CLONE_THREAD, CSIGNAL, CLONE_ARGS_SIZE_VER0,
  CLONE_FILES, CLONE_FS, CLONE_SIGHAND, CLONE_VM, CLONE_SYSVSEM, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NS_FLAGS,
} from "../abi/clone.js";
import {
  WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE, P_ALL, P_PID, P_PGID, P_PIDFD,
  wContinued, wStopped,
} from "../abi/wait.js";
import { rusage } from "../abi/resource.js";
import { SIGCHLD, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, CLD_TRAPPED, SI_USER, SI_TKILL } from "../abi/signal.js";
import { O_CLOEXEC, O_NONBLOCK } from "../abi/fcntl.js";
import { defineSyscalls } from "./table.js";
import { sleepOn, park, BLOCK } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { keysFork } from "../security/keys/process_keys.js";
import { copyProcess, vforkWaitQueue, type CloneArgs } from "../kernel/fork.js";
import { ptraceFork, ptraceVforkDone, ptraceHoldsExit } from "../kernel/ptrace.js";
import { waitableTracees, traceeReady, consumeTraceReport, tracedByGroup, type TraceReport } from "../kernel/ptrace_wait.js";
import { openPidfd, pidfdFile, pidfdTarget } from "../fs/pidfd.js";
import { procPidTarget } from "../fs/procfs/pid.js";
import { PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP } from "../abi/misc.js";
import { sendSignal, writeSiginfo } from "../kernel/signal.js";
import type { SigInfo, Task, ThreadGroup } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";
import { fdArg, i32Arg, u32Arg } from "./args.js";
import { newNamespaces } from "./sys_ns.js";

function doClone(t: Task, a: CloneArgs): number {
  // vfork: the parent sleeps until the child execs or exits; the retried call returns its pid.
  const waiting = restartOf(t, "vfork");
  if (waiting) {
    if (waiting.child.vforkReleased) {
      if (t.ptrace) ptraceVforkDone(t, waiting.child.tid);
      return waiting.child.tid;
    }
    return sleepOn(t, [vforkWaitQueue(waiting.child)]);
  }
  const child = copyProcess(t, a, openPidfd);
  const ns = Number(a.flags & BigInt(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC));
  if (ns) child.ns = newNamespaces(t, ns, child.fs);
  keysFork(t, child, (a.flags & BigInt(CLONE_THREAD)) !== 0n);
  if (t.ptrace) ptraceFork(t, child, a.flags, a.exitSignal);
  if ((a.flags & BigInt(CLONE_VFORK)) !== 0n) {
    t.restart = { kind: "vfork", child };
    t.restartCode = ERESTARTNOINTR; // a signal never cuts a vfork short
    if (child.vforkReleased) return child.tid;
    return sleepOn(t, [vforkWaitQueue(child)]);
  }
  return child.tid;
}

function clone3(t: Task, va: number, size: number): number {
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) kerr(EINVAL);
  const raw = um(t).read(va, size);
  if (size > clone_args.size && raw.subarray(clone_args.size).some((b) => b !== 0)) kerr(E2BIG);
  const buf = new Uint8Array(clone_args.size);
  buf.set(raw.subarray(0, Math.min(size, clone_args.size)));
  const dv = new DataView(buf.buffer);
  const g = (f: Parameters<typeof clone_args.getBig>[2]) => clone_args.getBig(dv, 0, f);
  const flags = g("flags");
  const exitSignal = Number(g("exit_signal"));
  if (exitSignal > 64 || (flags & BigInt(CSIGNAL)) !== 0n) kerr(EINVAL);
  if (g("set_tid") !== 0n || g("set_tid_size") !== 0n) kerr(EPERM);
  const stack = Number(g("stack")), stackSize = Number(g("stack_size"));
  if ((stack === 0) !== (stackSize === 0)) kerr(EINVAL);
  return doClone(t, {
    flags, exitSignal: (flags & BigInt(CLONE_THREAD)) ? 0 : exitSignal, stack, stackSize,
    parentTid: Number(g("parent_tid")), childTid: Number(g("child_tid")), tls: Number(g("tls")), pidfd: Number(g("pidfd")),
  });
}

interface Report { tg: ThreadGroup; kind: "exit" | "stop" | "cont" | "trap"; status: number; pid?: number; trace?: TraceReport }

// Children the waiter may collect, as wait4/waitid select them.
function candidates(t: Task, which: number, id: number, options: number): ThreadGroup[] {
  const out: ThreadGroup[] = [];
  const parents = options & __WNOTHREAD ? [t.tg] : [t.tg];
  for (const p of parents) {
    for (const c of p.children) {
      if (which === P_PID && c.pid !== id) continue;
      if (which === P_PGID && c.pgid !== id) continue;
      const cloneChild = c.exitSignal !== SIGCHLD;
      if (!(options & __WALL) && cloneChild !== ((options & __WCLONE) !== 0)) continue;
      out.push(c);
    }
  }
  return out;
}

function ready(c: ThreadGroup, options: number): Report | null {
  if (c.zombie && c.threads.size === 0) {
    if (!(options & WEXITED) || ptraceHoldsExit(c)) return null;
    return { tg: c, kind: "exit", status: c.exitStatus };
  }
  if ((options & WUNTRACED) && c.stopped && c.stopReport) return { tg: c, kind: "stop", status: wStopped(c.stopReport) };
  if ((options & WCONTINUED) && c.contReport) return { tg: c, kind: "cont", status: wContinued() };
  return null;
}

function consume(t: Task, r: Report, options: number): void {
  if (options & WNOWAIT) return;
  if (r.trace) consumeTraceReport(r.trace);
  else if (r.kind === "exit") {
    // wait_task_zombie: the waiter's group takes the child's peak RSS (its
    // own and its reaped children's); an auto-reaped child's goes nowhere.
    const peak = Math.max(r.tg.maxRss, r.tg.childMaxRss);
    if (peak > t.tg.childMaxRss) t.tg.childMaxRss = peak;
    t.k.release(r.tg);
  }
  else if (r.kind === "stop") r.tg.stopReport = 0;
  else r.tg.contReport = false;
}

function writeRusage(t: Task, va: number, g: ThreadGroup | null): void {
  if (!va) return;
  const b = new Uint8Array(rusage.size);
  const dv = new DataView(b.buffer);
  const ut = g ? g.deadUtime + g.childUtime : 0, st = g ? g.deadStime + g.childStime : 0;
  rusage.write(dv, 0, {
    ru_utime_sec: Math.floor(ut / 1e9), ru_utime_usec: Math.floor((ut % 1e9) / 1e3),
    ru_stime_sec: Math.floor(st / 1e9), ru_stime_usec: Math.floor((st % 1e9) / 1e3),
    // getrusage(RUSAGE_BOTH) of the child: its own peak and its children's, in KiB.
    ru_maxrss: g ? Math.max(g.maxRss, g.childMaxRss) * (PAGE_SIZE / 1024) : 0,
  });
  um(t).write(va, b);
}

// A child to report, null (WNOHANG), or PARKED: the task sleeps until a
// child changes (parked without unwinding: park, not sleepOn's throw).
const PARKED = "parked";
function doWait(t: Task, which: number, id: number, options: number): Report | null | typeof PARKED {
  const list = candidates(t, which, id, options);
  const tracees = t.ptraced?.size || t.tg.threads.size > 1 ? waitableTracees(t, which, id, options) : [];
  if (!list.length && !tracees.length) kerr(ECHILD);
  for (const c of tracees) {
    const tr = traceeReady(c, options);
    if (tr) return { tg: c.tg, kind: tr.kind, status: tr.status, pid: tr.pid, trace: tr };
  }
  for (const c of list) {
    const r = ready(c, tracees.length && tracedByGroup(c, t.tg) ? options & ~(WUNTRACED | WCONTINUED) : options);
    if (r) return r;
  }
  if (options & WNOHANG) return null;
  park(t, [t.tg.childWait]);
  return PARKED;
}

function wait4(t: Task, pid: number, statusVa: number, options: number, ruVa: number): number {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) kerr(EINVAL);
  // As kernel_wait4: -INT_MIN names no process group (ESRCH).
  if (pid === -0x80000000) kerr(ESRCH);
  let which = P_ALL, id = 0;
  if (pid > 0) { which = P_PID; id = pid; }
  else if (pid === 0) { which = P_PGID; id = t.tg.pgid; }
  else if (pid < -1) { which = P_PGID; id = -pid; }
  const r = doWait(t, which, id, options | WEXITED);
  if (r === PARKED) return BLOCK;
  if (r === null) return 0;
  if (statusVa) um(t).setI32(statusVa, r.status);
  writeRusage(t, ruVa, r.kind === "exit" && !r.trace ? r.tg : null);
  consume(t, r, options);
  return r.pid ?? r.tg.pid;
}

function waitid(t: Task, idtype: number, id: number, infoVa: number, options: number, ruVa: number): number {
  if (options & ~(WNOHANG | WEXITED | WSTOPPED_ | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)) kerr(EINVAL);
  if (!(options & (WEXITED | WSTOPPED_ | WCONTINUED))) kerr(EINVAL);
  let which = idtype, eagain = false;
  switch (idtype) {
    case P_ALL: id = 0; break;
    case P_PID: if (id <= 0) kerr(EINVAL); break;
    case P_PGID: if (id < 0) kerr(EINVAL); if (id === 0) id = t.tg.pgid; break;
    case P_PIDFD: {
      const f = t.files.entry(id)?.file;
      if (!f) kerr(EBADF);
      const g = pidfdTarget(f);
      if (!g) kerr(EINVAL);
      which = P_PID; id = g.pid;
      if (g.parent !== t.tg) kerr(ECHILD);
      // A PIDFD_NONBLOCK pidfd never blocks: with no child ready, a wait
      // without WNOHANG is EAGAIN (kernel_waitid, since 5.10).
      if (f.nonblock && !(options & WNOHANG)) { options |= WNOHANG; eagain = true; }
      break;
    }
    default: kerr(EINVAL);
  }
  const r = doWait(t, which, id, options);
  if (r === PARKED) return BLOCK;
  if (!r && eagain) kerr(EAGAIN);
  if (infoVa) {
    const b = new Uint8Array(128);
    if (r) {
      const s = r.status;
      let code: number, status: number;
      if (r.kind === "exit") {
        code = s & 0x7f ? (s & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
        status = s & 0x7f ? s & 0x7f : (s >> 8) & 0xff;
      } else if (r.kind === "stop") { code = CLD_STOPPED; status = (s >> 8) & 0xff; }
      else if (r.kind === "trap") { code = CLD_TRAPPED; status = (s >> 8) & 0xffff; }
      else { code = CLD_CONTINUED; status = 18; }
      writeSiginfo(new DataView(b.buffer), 0, {
        signo: SIGCHLD, code, pid: r.pid ?? r.tg.pid, uid: [...r.tg.threads][0]?.cred.uid ?? 0, status,
        utime: Math.floor(r.tg.deadUtime / 1e7), stime: Math.floor(r.tg.deadStime / 1e7),
      });
    }
    um(t).write(infoVa, b);
  }
  if (r) { writeRusage(t, ruVa, r.kind === "exit" ? r.tg : null); consume(t, r, options); }
  return 0;
}
const WSTOPPED_ = WUNTRACED;

// unshare: the fd table and the fs context (root, cwd, umask) become the
// task's own. Unsharing what a single-threaded process does not share is a
// no-op. New mount, UTS and IPC namespaces are made (sys_ns.ts; CAP_SYS_ADMIN,
// else EPERM); other kinds do not exist in Ghost (EINVAL). No SysV semaphore
// undo exists, so CLONE_SYSVSEM has nothing to undo.
function unshare(t: Task, flags: number): number {
  const known = (CLONE_THREAD | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VM | CLONE_SYSVSEM | CLONE_NS_FLAGS) >>> 0;
  const made = (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) >>> 0;
  if (flags & ~known) kerr(EINVAL);
  if ((flags & CLONE_THREAD) && t.tg.threads.size > 1) kerr(EINVAL);
  if ((flags & CLONE_SIGHAND) && t.sighand.refs > 1) kerr(EINVAL);
  if ((flags & CLONE_VM) && t.mm.users > 1) kerr(EINVAL);
  if (flags & CLONE_NS_FLAGS) {
    if (!(flags & CLONE_NEWUSER) && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM);
    if (flags & CLONE_NS_FLAGS & ~made) kerr(EINVAL);
  }
  if (flags & (CLONE_FS | CLONE_NEWNS)) t.fs = { ...t.fs };
  if (flags & made) t.ns = newNamespaces(t, flags, t.fs);
  if ((flags & CLONE_FILES) && t.files.refs > 1) {
    t.files.checkDup(t.k.nrOpen);
    const own = t.files.clone();
    t.files.refs--;
    t.files = own;
  }
  return 0;
}

// As Linux's pidfd_send_signal: a pidfd or an open /proc/[pid] directory;
// an optional siginfo whose si_signo must be the signal, forging a kernel
// or tkill si_code only towards the caller's own process; ESRCH once reaped.
function pidfdSendSignal(t: Task, fd: number, sig: number, infoVa: number, flags: number): number {
  const scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
  if ((flags & ~scopes) || (flags & (flags - 1))) kerr(EINVAL); // at most one scope
  const f = t.files.get(fd);
  const g = pidfdTarget(f) ?? procPidTarget(f);
  if (!g) kerr(EBADF);
  if (sig < 0 || sig > 64) kerr(EINVAL);
  let info: SigInfo = { signo: sig, code: SI_USER, pid: t.pid, uid: t.cred.uid };
  if (infoVa) {
    const dv = new DataView(um(t).read(infoVa, 128).buffer);
    if (dv.getInt32(0, true) !== sig) kerr(EINVAL);
    const code = dv.getInt32(8, true);
    if (g !== t.tg && (code >= 0 || code === SI_TKILL)) kerr(EPERM);
    info = { signo: sig, code, pid: dv.getInt32(16, true), uid: dv.getUint32(20, true), value: dv.getBigUint64(24, true) };
  }
  if (t.k.groups.get(g.pid) !== g) kerr(ESRCH);
  const lead = [...g.threads][0];
  if (lead && t.cred.euid !== 0 && t.cred.euid !== lead.cred.uid && t.cred.euid !== lead.cred.suid &&
    t.cred.uid !== lead.cred.uid && t.cred.uid !== lead.cred.suid) kerr(EPERM);
  if (!sig || g.zombie) return 0;
  if (flags === PIDFD_SIGNAL_THREAD) { if (lead) sendSignal(g.leader ?? lead, info, true); }
  else if (flags === PIDFD_SIGNAL_PROCESS_GROUP) { for (const o of [...t.k.groups.values()]) if (o.pgid === g.pgid && !o.zombie) sendSignal(o, { ...info }, false); }
  else sendSignal(g, info, false);
  return 0;
}

defineSyscalls({
  unshare: [(t, flags) => unshare(t, u32Arg(flags)), "partial", "CLONE_FILES, CLONE_FS, CLONE_THREAD/SIGHAND/VM/SYSVSEM (no-ops when not shared), CLONE_NEWNS/NEWUTS/NEWIPC; user, pid, net, cgroup and time namespaces are EINVAL (EPERM without CAP_SYS_ADMIN)"],
  clone: [(t, flags, newsp, parentTid, tls, childTid) => {
    const f = BigInt.asUintN(64, BigInt(flags));
    // In clone(), CLONE_PIDFD stores the fd through parent_tid, so the two cannot go together.
    if ((f & BigInt(CLONE_PIDFD)) && (f & BigInt(CLONE_PARENT_SETTID))) kerr(EINVAL);
    if ((f & BigInt(CLONE_PIDFD)) && (f & BigInt(CLONE_THREAD))) kerr(EINVAL);
    // As Linux's clone(): only the low 32 bits are flags (glibc's int flags
    // arrive sign-extended: CLONE_IO, bit 31, sets the upper half too).
    const lo = Number(f & 0xffffffffn);
    return doClone(t, {
      flags: BigInt(lo) & ~0xffn, exitSignal: (lo & CLONE_THREAD) ? 0 : lo & 0xff, stack: newsp, stackSize: 0,
      parentTid, childTid, tls, pidfd: parentTid,
    });
  }, "partial", "CLONE_NEWNS, CLONE_NEWUTS and CLONE_NEWIPC make namespaces; the other CLONE_NEW* are EINVAL: Ghost has one of each"],
  clone3: [(t, va, size) => clone3(t, va, size), "partial", "set_tid is EPERM; CLONE_INTO_CGROUP and user, pid, net, cgroup and time namespaces EINVAL: Ghost has one of each and no cgroups"],
  wait4: (t, pid, status, options, ru) => wait4(t, i32Arg(pid), status, u32Arg(options), ru),
  waitid: (t, idtype, id, info, options, ru) => waitid(t, i32Arg(idtype), i32Arg(id), info, u32Arg(options), ru),
  pidfd_open: (t, pid, flags) => {
    if (flags & ~(O_NONBLOCK | 8 /* PIDFD_THREAD */)) kerr(EINVAL);
    if (pid <= 0) kerr(EINVAL);
    const g = t.k.groups.get(pid);
    if (!g) kerr(ESRCH);
    return t.files.alloc(pidfdFile(g, false, flags & O_NONBLOCK), true, nofile(t));
  },
  pidfd_send_signal: (t, fd, sig, infoVa, flags) => pidfdSendSignal(t, fdArg(fd), i32Arg(sig), infoVa, u32Arg(flags)),
});

export { EFAULT, O_CLOEXEC };
