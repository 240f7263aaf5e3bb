// seccomp (Linux's kernel/seccomp.c): a task's syscall filter. Mode strict
// allows read, write, exit and rt_sigreturn and kills the thread with SIGKILL
// for anything else; mode filter runs every attached classic BPF program (the
// newest first) over struct seccomp_data and acts on the most restrictive
// result. Filters are an immutable chain shared with children: fork and clone
// copy the task's pointer to it, execve keeps it, a filter is only ever added.
//
// Not done: user notification listeners (SECCOMP_FILTER_FLAG_NEW_LISTENER is
// EINVAL here; a filter returning SECCOMP_RET_USER_NOTIF makes the syscall fail
// with ENOSYS, as Linux does when the filter has no listener).

import {
  SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES,
  SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_FILTER_FLAGS_ALL,
  SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF,
  SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA,
  AUDIT_ARCH_RISCV64, seccomp_data, sock_fprog, SOCK_FILTER_SIZE, BPF_MAXINSNS, SECCOMP_MAX_INSNS_PER_PATH,
  seccomp_notif_sizes, SIZEOF_SECCOMP_NOTIF, SIZEOF_SECCOMP_NOTIF_RESP, BPF_RET, BPF_JMP, BPF_JA, bpfClass, bpfOp,
} from "../abi/seccomp.js";
import { SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER, CAP_SYS_ADMIN } from "../abi/prctl.js";
import { SYS } from "../abi/syscalls.js";
import { EINVAL, EACCES, EFAULT, ENOMEM, ENOSYS, EOPNOTSUPP, ESRCH } from "../abi/errno.js";
import { SIGKILL, SIGSYS, SIG_DFL, SIG_IGN, SYS_SECCOMP, sigmask } from "../abi/signal.js";
import { REG_A0 } from "../arch/riscv64/layout.js";
import { kerr } from "../lib/errors.js";
import { UserMemory } from "../mm/uaccess.js";
import { hasCap } from "./cred.js";
import { sendSignal } from "./signal.js";
import { checkSeccompProg, runSeccompProg, type BpfProg } from "./seccomp_bpf.js";
import { TASK_DEAD, type Task } from "./task.js";
import type { Kernel } from "./kernel.js";

/** MAX_ERRNO: SECCOMP_RET_ERRNO data above it is clamped. */
const MAX_ERRNO = 4095;

/** One attached filter and those attached before it. */
export interface SeccompFilter {
  readonly prog: BpfProg;
  readonly prev: SeccompFilter | null;
  readonly count: number; // filters in the chain, this one included (Seccomp_filters:)
  readonly insns: number; // instructions along the chain, with Linux's penalty of 4 per filter
  readonly log: boolean; // SECCOMP_FILTER_FLAG_LOG
}

/** A task's seccomp state (Linux's struct seccomp). */
export interface SeccompState { mode: number; filter: SeccompFilter | null }

export function newSeccomp(): SeccompState { return { mode: SECCOMP_MODE_DISABLED, filter: null }; }
/** fork/clone: the child runs under the same filters. */
export function copySeccomp(s: SeccompState): SeccompState { return { mode: s.mode, filter: s.filter }; }

const STRICT_ALLOWED = new Set<number>([SYS.read, SYS.write, SYS.exit, SYS.rt_sigreturn]);

/**
 * The syscall-entry hook, called before the syscall and before any ptrace
 * syscall-enter stop (Linux runs secure_computing first). Returns true when
 * seccomp consumed the syscall: it was skipped with its result in a0, or the
 * task was killed; false when it runs.
 */
export function seccompEnter(k: Kernel, t: Task, nr: number): boolean {
  const s = t.seccomp;
  if (s.mode === SECCOMP_MODE_STRICT) {
    if (STRICT_ALLOWED.has(nr)) return false;
    auditLog(k, t, nr, SIGKILL, 0);
    killThread(k, t, SIGKILL, false);
    return true;
  }
  if (s.mode !== SECCOMP_MODE_FILTER || !s.filter) return false;
  const hart = k.hart;
  const ip = hart.pc + 4; // Linux's riscv entry has advanced epc past the ecall already
  const dv = new DataView(new ArrayBuffer(seccomp_data.size));
  dv.setInt32(0, nr | 0, true);
  dv.setUint32(4, AUDIT_ARCH_RISCV64, true);
  dv.setBigUint64(8, BigInt.asUintN(64, BigInt(ip)), true);
  for (let i = 0; i < 6; i++) dv.setBigInt64(16 + 8 * i, hart.regBig(REG_A0 + i), true);
  // The most restrictive result wins (actions compared as signed 32-bit); on a tie, the newest filter's.
  let ret = SECCOMP_RET_ALLOW, match = s.filter;
  for (let f: SeccompFilter | null = s.filter; f; f = f.prev) {
    const r = runSeccompProg(f.prog, dv);
    if ((r & SECCOMP_RET_ACTION_FULL) < (ret & SECCOMP_RET_ACTION_FULL)) { ret = r; match = f; }
  }
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0, data = ret & SECCOMP_RET_DATA;
  const skip = (result: number | null) => { if (result !== null) hart.setReg(REG_A0, result); hart.pc = ip; return true; };
  switch (action) {
    case SECCOMP_RET_ALLOW: return false;
    case SECCOMP_RET_LOG: auditLog(k, t, nr, 0, ret); return false;
    case SECCOMP_RET_ERRNO:
      if (match.log) auditLog(k, t, nr, 0, ret);
      return skip(-Math.min(data, MAX_ERRNO));
    case SECCOMP_RET_TRAP: {
      if (match.log) auditLog(k, t, nr, SIGSYS, ret);
      // The handler sees the registers of the call (riscv's syscall_rollback keeps a0) and returns past the ecall.
      skip(null);
      forceSigsys(t, { signo: SIGSYS, code: SYS_SECCOMP, errno: data, addr: ip, syscall: nr | 0, arch: AUDIT_ARCH_RISCV64 });
      return true;
    }
    case SECCOMP_RET_TRACE:
      // Without a tracer asking for PTRACE_O_TRACESECCOMP the syscall fails with ENOSYS.
      if (match.log) auditLog(k, t, nr, 0, ret);
      return skip(-ENOSYS);
    case SECCOMP_RET_USER_NOTIF:
      // No listener can exist here (see the header): Linux's answer without one.
      if (match.log) auditLog(k, t, nr, 0, ret);
      return skip(-ENOSYS);
    default:
      // KILL_THREAD, KILL_PROCESS and any unknown action (Linux treats those as KILL_PROCESS).
      auditLog(k, t, nr, SIGSYS, ret);
      killThread(k, t, SIGSYS, action !== SECCOMP_RET_KILL_THREAD);
      return true;
  }
}

// Strict mode's do_exit(SIGKILL) and the filter's kill actions: the thread
// alone dies unless it is the last one or the whole process is meant (then the
// process dies of the signal; SIGSYS dumps core as its default action does).
function killThread(k: Kernel, t: Task, sig: number, wholeProcess: boolean): void {
  let live = 0;
  for (const th of t.tg.threads) if (th.state !== TASK_DEAD) live++;
  if (wholeProcess || live <= 1) k.exitGroup(t.tg, sig, sig === SIGSYS ? "core" : "signal", { code: SYS_SECCOMP });
  else k.exitTask(t, sig);
}

// force_sig_seccomp without a forced dump: a blocked or ignored SIGSYS is
// unblocked and reset to the default action, which kills.
function forceSigsys(t: Task, info: Parameters<typeof sendSignal>[1]): void {
  const act = t.sighand.actions[SIGSYS];
  if ((t.sigmask & sigmask(SIGSYS)) !== 0n || act.handler === SIG_IGN) {
    t.sighand.actions[SIGSYS] = { handler: SIG_DFL, flags: 0, mask: 0n };
    t.sigmask &= ~sigmask(SIGSYS);
  }
  sendSignal(t, info, true, true);
}

// The audit record Linux prints for a logged seccomp action (type 1326).
function auditLog(k: Kernel, t: Task, nr: number, sig: number, ret: number): void {
  k.log.log(5, `audit: type=1326 pid=${t.pid} comm="${t.comm}" sig=${sig} arch=${AUDIT_ARCH_RISCV64.toString(16)} ` +
    `syscall=${nr} compat=0 ip=0x${(k.hart.pc + 4).toString(16)} code=0x${(ret >>> 0).toString(16)}`);
}

// seccomp_may_assign_mode: a task leaves mode disabled once, for one mode.
function mayAssign(t: Task, mode: number): void {
  if (t.seccomp.mode !== SECCOMP_MODE_DISABLED && t.seccomp.mode !== mode) kerr(EINVAL);
}

export function setModeStrict(t: Task): number {
  mayAssign(t, SECCOMP_MODE_STRICT);
  t.seccomp.mode = SECCOMP_MODE_STRICT;
  return 0;
}

// Whether `anc` is `f` or one of the filters attached before it (TSYNC's test).
function isAncestor(anc: SeccompFilter | null, f: SeccompFilter | null): boolean {
  if (!anc) return true;
  for (; f; f = f.prev) if (f === anc) return true;
  return false;
}

export function setModeFilter(t: Task, flags: number, uargs: number): number {
  if (flags & ~SECCOMP_FILTER_FLAGS_ALL) kerr(EINVAL);
  const tsync = (flags & SECCOMP_FILTER_FLAG_TSYNC) !== 0;
  // As Linux: a listener fd and a TSYNC failure tid cannot share the return value.
  if ((flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && tsync && !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH)) kerr(EINVAL);
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) kerr(EINVAL);
  const um = new UserMemory(t.mm);
  const fp = um.read(uargs, sock_fprog.size);
  const fdv = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
  const len = sock_fprog.get(fdv, 0, "len");
  const ptr = Number(sock_fprog.getBig(fdv, 0, "filter"));
  if (len === 0 || len > BPF_MAXINSNS) kerr(EINVAL);
  // Without no_new_privs a filter could fool a set-user-ID program it execs: CAP_SYS_ADMIN only.
  if (!t.noNewPrivs && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EACCES);
  if (!Number.isSafeInteger(ptr)) kerr(EFAULT);
  const prog = checkSeccompProg(um.read(ptr, len * SOCK_FILTER_SIZE), len);
  // Not implemented: the listener fd for SECCOMP_RET_USER_NOTIF (see the header).
  if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) kerr(EINVAL);
  mayAssign(t, SECCOMP_MODE_FILTER);
  const prev = t.seccomp.filter;
  // As seccomp_attach_filter: the new program's length plus each earlier one's and 4 (lengths after conversion).
  const ebpf = convertedLength(prog);
  if (ebpf + (prev?.insns ?? 0) > SECCOMP_MAX_INSNS_PER_PATH) kerr(ENOMEM);
  const insns = (prev?.insns ?? 0) + ebpf + 4;
  if (tsync) {
    // Every other thread must be unfiltered or run an ancestor of our chain; else its tid is the answer.
    for (const th of t.tg.threads) {
      if (th === t || th.state === TASK_DEAD) continue;
      const ok = th.seccomp.mode === SECCOMP_MODE_DISABLED || (th.seccomp.mode === SECCOMP_MODE_FILTER && isAncestor(th.seccomp.filter, prev));
      if (!ok) return (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : th.tid;
    }
  }
  const f: SeccompFilter = { prog, prev, count: (prev?.count ?? 0) + 1, insns, log: (flags & SECCOMP_FILTER_FLAG_LOG) !== 0 };
  t.seccomp.filter = f;
  t.seccomp.mode = SECCOMP_MODE_FILTER;
  if (tsync) {
    for (const th of t.tg.threads) {
      if (th === t) continue;
      th.seccomp.filter = f;
      th.seccomp.mode = SECCOMP_MODE_FILTER;
      if (t.noNewPrivs) th.noNewPrivs = true;
    }
  }
  return 0;
}

// Linux limits a chain by the length of its programs once converted to eBPF:
// three instructions of prologue, two for a RET (move and exit) and for a
// conditional jump with both branches taken somewhere, one for the rest.
function convertedLength(p: BpfProg): number {
  let n = 3;
  for (let pc = 0; pc < p.code.length; pc++) {
    const c = p.code[pc];
    n += bpfClass(c) === BPF_RET || (bpfClass(c) === BPF_JMP && bpfOp(c) !== BPF_JA && p.jt[pc] !== 0 && p.jf[pc] !== 0) ? 2 : 1;
  }
  return n;
}

// SECCOMP_GET_ACTION_AVAIL: the actions this kernel knows.
const ACTIONS = new Set<number>([SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
  SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW]);

/** seccomp(2). */
export function doSeccomp(t: Task, op: number, flags: number, uargs: number): number {
  switch (op) {
    case SECCOMP_SET_MODE_STRICT:
      if (flags !== 0 || uargs !== 0) kerr(EINVAL);
      return setModeStrict(t);
    case SECCOMP_SET_MODE_FILTER: return setModeFilter(t, flags, uargs);
    case SECCOMP_GET_ACTION_AVAIL: {
      if (flags !== 0) kerr(EINVAL);
      return ACTIONS.has(new UserMemory(t.mm).u32(uargs)) ? 0 : -EOPNOTSUPP;
    }
    case SECCOMP_GET_NOTIF_SIZES: {
      if (flags !== 0) kerr(EINVAL);
      const b = new Uint8Array(seccomp_notif_sizes.size);
      const dv = new DataView(b.buffer);
      seccomp_notif_sizes.set(dv, 0, "seccomp_notif", SIZEOF_SECCOMP_NOTIF);
      seccomp_notif_sizes.set(dv, 0, "seccomp_notif_resp", SIZEOF_SECCOMP_NOTIF_RESP);
      seccomp_notif_sizes.set(dv, 0, "seccomp_data", seccomp_data.size);
      new UserMemory(t.mm).write(uargs, b);
      return 0;
    }
    default: kerr(EINVAL);
  }
}

/** prctl(PR_SET_SECCOMP, mode, filter): strict ignores the filter argument. */
export function prctlSetSeccomp(t: Task, mode: number, filter: number): number {
  if (mode === SECCOMP_MODE_STRICT) return doSeccomp(t, SECCOMP_SET_MODE_STRICT, 0, 0);
  if (mode === SECCOMP_MODE_FILTER) return doSeccomp(t, SECCOMP_SET_MODE_FILTER, 0, filter);
  kerr(EINVAL);
}

