// The tracer's side of wait4/waitid (Linux's wait_consider_task over
// tsk->ptraced): every tracee of the waiting group (of the waiting thread
// under __WNOTHREAD) is eligible whatever its exit signal, and its
// ptrace-stops are reported without WUNTRACED. A tracee whose real parent is
// the tracer reports its death through the ordinary child path.

import { P_PID, P_PGID, WEXITED, __WNOTHREAD, WSTOPFLAG } from "../abi/wait.js";
import { ptraceReleaseDead } from "./ptrace.js";
import type { Task, ThreadGroup } from "./task.js";

export interface TraceReport { tracee: Task; pid: number; kind: "trap" | "exit"; status: number }

// The tracees the waiter may collect.
export function waitableTracees(t: Task, which: number, id: number, options: number): Task[] {
  const out: Task[] = [];
  const tracers = options & __WNOTHREAD ? [t] : [...t.tg.threads];
  for (const tracer of tracers) {
    for (const c of tracer.ptraced ?? []) {
      if (which === P_PID && c.tid !== id) continue;
      if (which === P_PGID && c.tg.pgid !== id) continue;
      out.push(c);
    }
  }
  return out;
}

export function traceeReady(c: Task, options: number): TraceReport | null {
  const tr = c.ptrace;
  if (!tr) return null;
  if (tr.exitStatus !== null) return options & WEXITED ? { tracee: c, pid: c.tid, kind: "exit", status: tr.exitStatus } : null;
  if (tr.stopped && !tr.reported) return { tracee: c, pid: c.tid, kind: "trap", status: ((tr.code & 0xffff) << 8) | WSTOPFLAG };
  return null;
}

export function consumeTraceReport(r: TraceReport): void {
  if (r.kind === "exit") ptraceReleaseDead(r.tracee);
  else if (r.tracee.ptrace) r.tracee.ptrace.reported = true;
}

// Whether a thread of g is traced by a thread of `waiter`'s group: its stops
// then reach the waiter through the ptrace path only (as Linux treats a child
// traced by its own parent).
export function tracedByGroup(g: ThreadGroup, waiter: ThreadGroup): boolean {
  for (const th of g.threads) if (th.ptrace && th.ptrace.tracer.tg === waiter) return true;
  return false;
}
