// Traps from the hart: system calls, page faults, illegal instructions,
// breakpoints. A fault the address space cannot resolve becomes a signal.

import * as C from "../arch/riscv64/layout.js";
import { SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGKILL, SIG_DFL, SIG_IGN, ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN, BUS_ADRERR, sigmask } from "../abi/signal.js";
import { OutOfMemory } from "../mm/phys.js";
import { SIGBUS_ADRERR } from "../mm/mm.js";
import { ERESTARTSYS } from "../abi/errno.js";
import { dispatchSyscall, BLOCK, NORETURN } from "../syscalls/table.js";
import { sendSignal, hasDeliverable } from "./signal.js";
import { TASK_RUNNING, type Task, type SigInfo } from "./task.js";
import type { Kernel } from "./kernel.js";

// force_sig_fault: a fault signal that is blocked or ignored still kills.
export function forceSignal(t: Task, info: SigInfo): void {
  const act = t.sighand.actions[info.signo];
  const blocked = (t.sigmask & sigmask(info.signo)) !== 0n;
  if (blocked || act.handler === SIG_IGN) {
    t.sighand.actions[info.signo] = { handler: SIG_DFL, flags: 0, mask: 0n };
    t.sigmask &= ~sigmask(info.signo);
  }
  sendSignal(t, info, true);
}

export function handleTrap(k: Kernel, t: Task, cause: number): void {
  const hart = k.hart;
  switch (cause) {
    case C.CAUSE_BUDGET:
      return;
    case C.CAUSE_ECALL_U: {
      const nr = hart.reg(C.REG_A7);
      const r = dispatchSyscall(k, t, nr);
      if (r === NORETURN) return;
      if (r === BLOCK) {
        t.inSyscall = true;
        // A signal already waiting interrupts the sleep at once.
        if (t.state !== TASK_RUNNING && hasDeliverable(t)) k.wakeTask(t);
        return;
      }
      k.dropRestart(t);
      t.restartCode = ERESTARTSYS;
      if (k.current === t) {
        hart.setReg(C.REG_A0, r);
        hart.pc = hart.pc + 4;
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
        if (!(e instanceof OutOfMemory)) throw e;
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
