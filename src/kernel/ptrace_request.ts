// ptrace(2) requests (Linux's sys_ptrace, ptrace_request and riscv's
// arch_ptrace): attach and detach, restarts, the tracee's memory, registers
// (NT_PRSTATUS, NT_PRFPREG), siginfo, signal mask, event message and
// PTRACE_GET_SYSCALL_INFO. The stops themselves are in ptrace.ts.

import { kerr, KernelError } from "../lib/errors.js";
import { EPERM, ESRCH, EIO, EINVAL, EFAULT } from "../abi/errno.js";
import * as P from "../abi/ptrace.js";
import { SIGKILL, SIGSTOP, SIGTRAP, SI_KERNEL, SIGSET_SIZE, siginfo, sigmask, validSignal } from "../abi/signal.js";
import { iovec } from "../abi/socket.js";
import { REG_SP, REG_A0, REG_A7 } from "../arch/riscv64/layout.js";
import { FCSR_MASK } from "../arch/riscv64/regs.js";
import { UserMemory } from "../mm/uaccess.js";
import { ptraceMayAccess } from "./cred.js";
import { sendSignal, signalWake, writeSiginfo } from "./signal.js";
import { TASK_STOPPED, type SigInfo, type Task } from "./task.js";
import {
  ptraceLink, ptraceResume, ptraceGroupStop, ptraceListen, accessForce, isTracedBy, regsOf, type Tracee,
} from "./ptrace.js";

const UNBLOCKABLE = sigmask(SIGKILL) | sigmask(SIGSTOP);
const WORD = 8;

// The entry point: request, pid, addr, data as the syscall passes them;
// data is also given whole (64 bits) for PTRACE_POKE*.
export function ptraceRequest(t: Task, request: number, pid: number, addr: number, data: number, dataWord: bigint): number {
  if (request === P.PTRACE_TRACEME) return traceme(t);
  if (request === P.PTRACE_ATTACH || request === P.PTRACE_SEIZE) return attach(t, pid, request === P.PTRACE_SEIZE, addr, data);
  // ptrace_check_attach: the caller's tracee, and stopped but for KILL and INTERRUPT.
  const c = t.k.tasks.get(pid);
  if (!c || !isTracedBy(c, t) || c.ptrace!.exitStatus !== null) kerr(ESRCH);
  const tr = c.ptrace!;
  if (request === P.PTRACE_KILL) {
    if (tr.stopped) t.k.exitGroup(c.tg, SIGKILL, "signal");
    return 0;
  }
  if (request === P.PTRACE_INTERRUPT) return interrupt(c, tr);
  if (!tr.stopped) kerr(ESRCH);
  const m = new UserMemory(t.mm);
  switch (request) {
    case P.PTRACE_PEEKTEXT:
    case P.PTRACE_PEEKDATA: {
      let word: Uint8Array;
      try { word = new UserMemory(c.mm).read(addr, WORD); } catch (e) { return eio(e); }
      m.write(data, word);
      return 0;
    }
    case P.PTRACE_POKETEXT:
    case P.PTRACE_POKEDATA: {
      const b = new Uint8Array(WORD);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, dataWord), true);
      try { accessForce(c, addr, b, true); } catch (e) { return eio(e); }
      return 0;
    }
    case P.PTRACE_CONT:
    case P.PTRACE_SYSCALL:
    case P.PTRACE_DETACH: {
      if (!validSignal(data)) kerr(EIO);
      ptraceResume(c, request === P.PTRACE_SYSCALL ? "syscall" : "cont", data, request === P.PTRACE_DETACH);
      return 0;
    }
    case P.PTRACE_SINGLESTEP:
      // riscv has no single-step support (arch_has_single_step() is false): EIO, as Linux.
      kerr(EIO);
      break;
    case P.PTRACE_LISTEN:
      if (!tr.seized || tr.kind !== "group") kerr(EIO);
      ptraceListen(c);
      return 0;
    case P.PTRACE_SETOPTIONS:
      if (data & ~P.PTRACE_O_MASK) kerr(EINVAL);
      tr.options = data;
      return 0;
    case P.PTRACE_GETEVENTMSG: {
      const b = new Uint8Array(WORD);
      new DataView(b.buffer).setBigUint64(0, BigInt(tr.eventMsg), true);
      m.write(data, b);
      return 0;
    }
    case P.PTRACE_GETSIGINFO: {
      if (!tr.siginfo) kerr(EINVAL);
      const b = new Uint8Array(siginfo.size);
      writeSiginfo(new DataView(b.buffer), 0, tr.siginfo);
      m.write(data, b);
      return 0;
    }
    case P.PTRACE_SETSIGINFO: {
      if (!tr.siginfo) kerr(EINVAL);
      tr.siginfo = readSiginfo(m, data);
      return 0;
    }
    case P.PTRACE_GETSIGMASK: {
      if (addr !== SIGSET_SIZE) kerr(EINVAL);
      const b = new Uint8Array(SIGSET_SIZE);
      new DataView(b.buffer).setBigUint64(0, c.sigmask, true);
      m.write(data, b);
      return 0;
    }
    case P.PTRACE_SETSIGMASK: {
      if (addr !== SIGSET_SIZE) kerr(EINVAL);
      c.sigmask = m.big64(data) & ~UNBLOCKABLE;
      return 0;
    }
    case P.PTRACE_GETREGSET:
    case P.PTRACE_SETREGSET:
      return regset(m, c, addr, data, request === P.PTRACE_SETREGSET);
    case P.PTRACE_GET_SYSCALL_INFO:
      return syscallInfo(m, c, tr, addr, data);
    default:
      // PEEKUSR/POKEUSR and whatever riscv's arch_ptrace does not know.
      kerr(EIO);
  }
  return 0;
}

function eio(e: unknown): never {
  if (e instanceof KernelError) kerr(EIO);
  throw e;
}

function traceme(t: Task): number {
  if (t.ptrace) kerr(EPERM);
  const parent = t.tg.parent;
  const tracer = parent && !parent.exiting && !parent.zombie ? parent.leader ?? [...parent.threads][0] : undefined;
  // Ghost's pid 1 under `ghost run` is a kernel stub with no thread to trace from.
  if (!tracer) kerr(EPERM);
  ptraceLink(t, tracer, 0, false);
  return 0;
}

function attach(t: Task, pid: number, seize: boolean, addr: number, flags: number): number {
  if (seize && (addr !== 0 || (flags & ~P.PTRACE_O_MASK))) kerr(EIO);
  const c = t.k.tasks.get(pid);
  if (!c || c.kthread) kerr(ESRCH);
  if (c.tg === t.tg || c.tg.exiting || c.tg.zombie) kerr(EPERM);
  if (!ptraceMayAccess(t.cred, c.cred, c.tg.dumpable !== 0, false, "realcreds")) kerr(EPERM);
  if (c.ptrace) kerr(EPERM);
  const tr = ptraceLink(c, t, seize ? flags : 0, seize);
  if (!seize) sendSignal(c, { signo: SIGSTOP, code: SI_KERNEL }, true);
  // Already in group-stop: it re-traps at once so the tracer sees the stop (Linux's JOBCTL_TRAP_STOP).
  if (c.state === TASK_STOPPED && c.tg.stopped) ptraceGroupStop(c, (c.tg.exitStatus >> 8) & 0xff);
  void tr;
  return 0;
}

function interrupt(c: Task, tr: Tracee): number {
  if (!tr.seized) kerr(EIO);
  if (tr.stopped) return 0;
  if (c.state === TASK_STOPPED && c.tg.stopped) { ptraceGroupStop(c, (c.tg.exitStatus >> 8) & 0xff); return 0; }
  tr.interrupt = true;
  signalWake(c);
  return 0;
}

function readSiginfo(m: UserMemory, va: number): SigInfo {
  const dv = new DataView(m.read(va, siginfo.size).buffer);
  return {
    signo: siginfo.get(dv, 0, "si_signo"), errno: siginfo.get(dv, 0, "si_errno"), code: siginfo.get(dv, 0, "si_code"),
    pid: siginfo.get(dv, 0, "si_pid"), uid: siginfo.get(dv, 0, "si_uid"), value: siginfo.getBig(dv, 0, "si_value"),
  };
}

// GETREGSET/SETREGSET: as Linux's ptrace_regset, iov_len must be a multiple
// of the element size; at most the regset moves, and iov_len says how much.
function regset(m: UserMemory, c: Task, type: number, iovVa: number, set: boolean): number {
  const iov = new DataView(m.read(iovVa, iovec.size).buffer);
  const base = iovec.get(iov, 0, "iov_base");
  const len = iovec.get(iov, 0, "iov_len");
  const size = type === P.NT_PRSTATUS ? P.USER_REGS_SIZE : type === P.NT_PRFPREG ? P.USER_FPREGS_SIZE : -1;
  if (size < 0 || len % P.REGSET_ELEM_SIZE !== 0) kerr(EINVAL);
  const n = Math.min(len, size);
  const regs = regsOf(c);
  const img = new Uint8Array(size);
  if (type === P.NT_PRSTATUS) {
    img.set(regs.pcBytes, 0);
    img.set(regs.gprBytes, WORD);
  } else {
    img.set(regs.fprBytes, 0);
    new DataView(img.buffer).setUint32(P.FPREGS_FCSR_OFFSET, regs.fcsr, true);
  }
  if (!set) {
    m.write(base, img.subarray(0, n));
  } else {
    img.set(m.read(base, n), 0);
    if (type === P.NT_PRSTATUS) {
      regs.pcBytes.set(img.subarray(0, WORD));
      regs.gprBytes.set(img.subarray(WORD, size));
    } else {
      regs.fprBytes.set(img.subarray(0, P.FPREGS_FCSR_OFFSET));
      regs.fcsr = new DataView(img.buffer).getUint32(P.FPREGS_FCSR_OFFSET, true) & FCSR_MASK;
    }
  }
  iovec.set(iov, 0, "iov_len", n);
  m.write(iovVa, new Uint8Array(iov.buffer));
  return 0;
}

// PTRACE_GET_SYSCALL_INFO (Linux 5.3+): what the last syscall stop saw. The
// op is known only at stops reported as SIGTRAP|0x80 (PTRACE_O_TRACESYSGOOD);
// the return value is the size of the whole record for that op, of which
// at most `size` bytes are written.
function syscallInfo(m: UserMemory, c: Task, tr: Tracee, size: number, va: number): number {
  const regs = regsOf(c);
  const b = new Uint8Array(P.ptrace_syscall_info.size);
  const dv = new DataView(b.buffer);
  const S = P.ptrace_syscall_info;
  const gpr = new DataView(regs.gprBytes.buffer, regs.gprBytes.byteOffset, regs.gprBytes.byteLength);
  const x = (i: number) => gpr.getBigUint64((i - 1) * WORD, true);
  let op = P.PTRACE_SYSCALL_INFO_NONE;
  let actual = P.PTRACE_SYSCALL_INFO_SIZE_NONE;
  S.set(dv, 0, "arch", P.AUDIT_ARCH_RISCV64);
  S.set(dv, 0, "instruction_pointer", BigInt(regs.pc));
  S.set(dv, 0, "stack_pointer", x(REG_SP));
  if (tr.siginfo && tr.siginfo.code === (SIGTRAP | 0x80) && (tr.kind === "syscall-enter" || tr.kind === "syscall-exit" || tr.kind === "syscall-interrupted")) {
    if (tr.eventMsg === P.PTRACE_EVENTMSG_SYSCALL_ENTRY) {
      op = P.PTRACE_SYSCALL_INFO_ENTRY;
      actual = P.PTRACE_SYSCALL_INFO_SIZE_ENTRY;
      S.set(dv, 0, "nr", x(REG_A7));
      const args = S.offsetOf("args");
      dv.setBigUint64(args, BigInt.asUintN(64, tr.origA0), true);
      for (let i = 1; i < 6; i++) dv.setBigUint64(args + i * WORD, x(REG_A0 + i), true);
    } else if (tr.eventMsg === P.PTRACE_EVENTMSG_SYSCALL_EXIT) {
      op = P.PTRACE_SYSCALL_INFO_EXIT;
      actual = P.PTRACE_SYSCALL_INFO_SIZE_EXIT;
      const rval = BigInt.asIntN(64, x(REG_A0));
      S.set(dv, 0, "rval", rval);
      // IS_ERR_VALUE: -4095..-1.
      S.set(dv, 0, "is_error", rval < 0n && rval >= -4095n ? 1 : 0);
    }
  }
  S.set(dv, 0, "op", op);
  const n = Math.min(size, actual);
  if (n > 0) m.write(va, b.subarray(0, n));
  return actual;
}

export { EFAULT };
