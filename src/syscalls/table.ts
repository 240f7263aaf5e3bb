// The syscall table: every riscv64 syscall number with its name, Ghost's
// support status, and its handler. Handlers live in sys_*.ts files, one per
// family; they decode arguments, call into a subsystem, and return the
// result or -errno (thrown KernelErrors become -errno here).

import { registerSyscallStatus } from "../fs/procfs/registry.js";
import { SYS, SYSCALL_NAMES, NR_SYSCALLS, type SyscallName } from "../abi/syscalls.js";
import { ENOSYS, EFAULT, ENOMEM } from "../abi/errno.js";
import { KernelError } from "../lib/errors.js";
import { BLOCK, NORETURN, isSleeping } from "../kernel/blocking.js";
import { OutOfMemory } from "../mm/phys.js";
import { REG_A0 } from "../arch/riscv64/layout.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { SIGSEGV } from "../abi/signal.js";


export type Handler = (t: Task, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;
export type Status = "implemented" | "partial" | "enosys";

export interface SyscallEntry {
  readonly nr: number;
  readonly name: SyscallName;
  status: Status;
  note: string;
  handler: Handler | null;
}

export const table: SyscallEntry[] = [];
// /proc/config.gz sets an option only where its syscalls are implemented.
registerSyscallStatus((name) => {
  const e = Object.hasOwn(SYS, name) ? table[SYS[name as SyscallName]] : undefined;
  return e !== undefined && e.status !== "enosys";
});
for (let nr = 0; nr < NR_SYSCALLS; nr++) {
  const name = SYSCALL_NAMES.get(nr);
  if (name) table[nr] = { nr, name, status: "enosys", note: "not implemented", handler: null };
}

// One family's handlers, keyed by riscv64 syscall name (a misspelt or
// foreign name does not compile): a handler alone is "implemented"; a triple
// gives the status and what is missing.
export type SyscallDefs = { [N in SyscallName]?: Handler | [Handler, Status, string] };

export function defineSyscalls(defs: SyscallDefs): void {
  for (const name of Object.keys(defs) as SyscallName[]) {
    const def = defs[name]!;
    const e = table[SYS[name]];
    if (Array.isArray(def)) { e.handler = def[0]; e.status = def[1]; e.note = def[2]; }
    else { e.handler = def; e.status = "implemented"; e.note = ""; }
  }
}

// Marks a syscall as deliberately unimplemented, with the reason.
export function declareEnosys(name: SyscallName, why: string): void {
  const e = table[SYS[name]];
  e.status = "enosys"; e.note = why; e.handler = null;
}

export function dispatchSyscall(k: Kernel, t: Task, nr: number): number {
  const e = nr >= 0 && nr < table.length ? table[nr] : undefined;
  const h = k.hart;
  let r: number;
  if (!e || !e.handler) {
    r = -ENOSYS;
  } else {
    try {
      r = e.handler(t, h.reg(REG_A0), h.reg(REG_A0 + 1), h.reg(REG_A0 + 2), h.reg(REG_A0 + 3), h.reg(REG_A0 + 4), h.reg(REG_A0 + 5));
    } catch (err) {
      if (isSleeping(err)) r = BLOCK; // parked where its condition was tested (blocking.ts)
      else if (err instanceof KernelError) r = -err.errno;
      else if (err instanceof OutOfMemory) { r = -ENOMEM; }
      else {
        // An oops: a bug in the kernel while serving this task. Log it, kill the task, carry on.
        k.diag(`ghost: oops in ${e.name} (pid ${t.pid}): ${(err as Error)?.stack ?? err}\n`);
        k.log.log(1, `Oops: ${e.name} (pid ${t.pid}, ${t.comm}): ${(err as Error)?.message ?? err}`);
        k.exitGroup(t.tg, SIGSEGV, "signal");
        return NORETURN;
      }
    }
  }
  if (k.trace.syscall && r !== BLOCK) k.trace.syscall(t, nr, [0, 1, 2, 3, 4, 5].map((i) => h.reg(REG_A0 + i)), r);
  return r;
}

export function syscallCounts(): Record<Status, number> {
  const c = { implemented: 0, partial: 0, enosys: 0 };
  for (const e of table) if (e) c[e.status]++;
  return c;
}

export { EFAULT };
