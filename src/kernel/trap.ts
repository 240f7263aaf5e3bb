// Traps from the hart: system calls, page faults, illegal instructions,
// breakpoints. A fault the address space cannot resolve becomes a signal.

import * as C from "../arch/riscv64/layout.js";
import { SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGKILL, SIG_DFL, SIG_IGN, ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN, BUS_ADRERR, sigmask } from "../abi/signal.js";
import { OutOfMemory } from "../mm/phys.js";
import { SIGBUS_ADRERR } from "../mm/mm.js";
import { ENOMEM, ERESTARTSYS } from "../abi/errno.js";
import { KernelError } from "../lib/errors.js";
import { BLOCK, NORETURN } from "./blocking.js";
import { sendSignal, hasDeliverable } from "./signal.js";
import { TASK_RUNNING, type Task, type SigInfo } from "./task.js";
import type { Kernel } from "./kernel.js";
import { seccompEnter } from "./seccomp.js";
import { SECCOMP_MODE_DISABLED } from "../abi/prctl.js";
import { ptraceSyscallEnter, ptraceSyscallSkipped, ptraceSyscallBlocked, ptraceSyscallExit } from "./ptrace.js";

// force_sig_fault: a fault signal that is blocked or ignored still kills.
export function forceSignal(t: Task, info: SigInfo): void {
  const act = t.sighand.actions[info.signo];
  const blocked = (t.sigmask & sigmask(info.signo)) !== 0n;
  if (blocked || act.handler === SIG_IGN || act.handler === SIG_DFL) logUnhandled(t, info);
  if (blocked || act.handler === SIG_IGN) {
    t.sighand.actions[info.signo] = { handler: SIG_DFL, flags: 0, mask: 0n };
    t.sigmask &= ~sigmask(info.signo);
  }
  sendSignal(t, info, true, true);
}

const hex = (v: number) => "0x" + BigInt.asUintN(64, BigInt(Math.trunc(v))).toString(16).padStart(16, "0");

// Linux's show_unhandled_signals: a fault signal that will kill the task goes
// to the kernel log, with where it happened and the registers that say why.
function logUnhandled(t: Task, info: SigInfo): void {
  const hart = t.k.hart;
  const pc = hart.pc;
  const vma = t.mm.findVma(pc);
  const where = vma ? ` in ${vma.name.split("/").pop() || "anon"}[${vma.start.toString(16)}+${(vma.end - vma.start).toString(16)}]` : "";
  // The exact 64-bit values (reg() saturates past 2^53: abi/word.ts).
  const r = (n: number) => "0x" + BigInt.asUintN(64, hart.regBig(n)).toString(16).padStart(16, "0");
  t.k.log.log(6, `${t.comm}[${t.pid}]: unhandled signal ${info.signo} code 0x${info.code.toString(16)} at ${hex(info.addr ?? 0)}${where}\n` +
    `epc : ${hex(pc)} ra : ${r(1)} sp : ${r(2)}\n` +
    ` gp : ${r(3)} tp : ${r(4)} t0 : ${r(5)}\n` +
    ` a0 : ${r(10)} a1 : ${r(11)} a2 : ${r(12)}\n` +
    ` a3 : ${r(13)} a4 : ${r(14)} a5 : ${r(15)}\n` +
    ` s0 : ${r(8)} s1 : ${r(9)} a7 : ${r(17)}`);
}

export function handleTrap(k: Kernel, t: Task, cause: number): void {
  const hart = k.hart;
  switch (cause) {
    case C.CAUSE_BUDGET:
      return;
    case C.CAUSE_ECALL_U: {
      if (t.ptrace && ptraceSyscallEnter(t)) return;
      const nr = hart.reg(C.REG_A7);
      // seccomp after ptrace's entry stop, to see what a tracer changed (as
      // Linux's syscall_trace_enter); true = the filter answered the call.
      const skipped = t.ptrace !== null && ptraceSyscallSkipped(t);
      if (!skipped && t.seccomp.mode !== SECCOMP_MODE_DISABLED && seccompEnter(k, t, hart.reg32(C.REG_A7))) return;
      const r = skipped ? hart.reg(C.REG_A0) : k.dispatchSyscall(k, t, nr);
      if (r === NORETURN) {
        // execve and rt_sigreturn go on in the task: the syscall is over (a
        // ptrace entry stop marked it in progress), and a tracer sees its exit.
        if (k.current === t && t.state === TASK_RUNNING) {
          t.inSyscall = false;
          if (t.ptrace) ptraceSyscallExit(t);
        }
        return;
      }
      if (r === BLOCK) {
        t.inSyscall = true;
        if (t.ptrace) ptraceSyscallBlocked(t);
        // A signal already waiting interrupts the sleep at once.
        if (t.state !== TASK_RUNNING && hasDeliverable(t)) k.wakeTask(t);
        return;
      }
      k.dropRestart(t);
      t.restartCode = ERESTARTSYS;
      if (k.current === t) {
        hart.setReg(C.REG_A0, r);
        hart.pc = hart.pc + 4;
        if (t.ptrace) ptraceSyscallExit(t);
      }
      return;
    }
    case C.CAUSE_INSN_PAGE_FAULT:
    case C.CAUSE_LOAD_PAGE_FAULT:
    case C.CAUSE_STORE_PAGE_FAULT: {
      const va = hart.trapValue;
      const acc = cause === C.CAUSE_LOAD_PAGE_FAULT ? C.ACC_R : cause === C.CAUSE_STORE_PAGE_FAULT ? C.ACC_W : C.ACC_X;
      let code: number;
      try {
        code = t.mm.handleFault(va, acc);
      } catch (e) {
        // Reading the page's file failed: ENOMEM is Linux's VM_FAULT_OOM, any
        // other error (EIO) VM_FAULT_SIGBUS.
        if (e instanceof KernelError && e.errno !== ENOMEM) {
          forceSignal(t, { signo: SIGBUS, code: BUS_ADRERR, addr: va });
          return;
        }
        if (!(e instanceof OutOfMemory) && !(e instanceof KernelError)) throw e;
        // No page to give: the OOM killer frees some; the faulting instruction runs again.
        if (!k.oomKill()) k.exitGroup(t.tg, SIGKILL, "signal");
        return;
      }
      if (code === SIGBUS_ADRERR) forceSignal(t, { signo: SIGBUS, code: BUS_ADRERR, addr: va });
      else if (code !== 0) forceSignal(t, { signo: SIGSEGV, code, addr: va });
      return;
    }
    case C.CAUSE_ILLEGAL:
      forceSignal(t, { signo: SIGILL, code: ILL_ILLOPC, addr: hart.pc });
      return;
    case C.CAUSE_BREAKPOINT:
      forceSignal(t, { signo: SIGTRAP, code: TRAP_BRKPT, addr: hart.pc });
      return;
    case C.CAUSE_LOAD_MISALIGNED:
    case C.CAUSE_STORE_MISALIGNED:
      forceSignal(t, { signo: SIGBUS, code: BUS_ADRALN, addr: hart.trapValue });
      return;
    default:
      forceSignal(t, { signo: SIGSEGV, code: 1, addr: hart.trapValue });
  }
}
