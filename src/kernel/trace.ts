// Scheduler tracing in Chrome's trace-event format (JSON; Perfetto and
// chrome://tracing open it): one track per task (pid = thread group, tid =
// task), with its running intervals, wake-ups, system calls and page
// faults. Times are the kernel's CLOCK_MONOTONIC in microseconds with
// nanosecond digits; under --clock=virtual two runs of the same program give
// byte-identical files.

import * as nodefs from "node:fs";
import { SYSCALL_NAMES } from "../abi/syscalls.js";
import * as C from "../arch/riscv64/layout.js";
import type { Kernel, KernelTrace } from "./kernel.js";
import type { SchedTracer } from "./sched/core.js";
import type { Task } from "./task.js";

const STATE_LETTER: Record<number, string> = { 0: "R", 1: "S", 2: "D", 4: "T", 64: "X" };

interface Pending { nr: number; start: number }

export class ChromeTracer implements KernelTrace, SchedTracer {
  private readonly events: string[] = [];
  private readonly running = new Map<Task, number>();
  private readonly blocked = new Map<Task, Pending>();
  // Every task seen: tid → [pid, comm].
  private readonly names = new Map<number, [number, string]>();
  private lastCpuTask: Task | null = null;

  constructor(readonly k: Kernel) {}

  // Hooks itself into the kernel: scheduling events, syscalls, traps.
  static attach(k: Kernel): ChromeTracer {
    const tr = new ChromeTracer(k);
    k.trace = tr;
    k.rq.tracer = tr;
    if (k.current) tr.switchTo(null, k.current, k.clock.monotonic());
    return tr;
  }

  private now(): number { return this.k.clock.monotonic(); }

  private ts(ns: number): string { return (ns / 1000).toFixed(3); }

  private see(t: Task): void { this.names.set(t.tid, [t.pid, t.comm]); }

  private push(ev: string): void { this.events.push(ev); }

  private complete(t: Task, name: string, cat: string, start: number, end: number, args: string): void {
    this.see(t);
    this.push(`{"name":${JSON.stringify(name)},"cat":"${cat}","ph":"X","ts":${this.ts(start)},"dur":${this.ts(end - start)},"pid":${t.pid},"tid":${t.tid},"args":{${args}}}`);
  }

  private instant(t: Task, name: string, cat: string, at: number, args: string): void {
    this.see(t);
    this.push(`{"name":${JSON.stringify(name)},"cat":"${cat}","ph":"i","s":"t","ts":${this.ts(at)},"pid":${t.pid},"tid":${t.tid},"args":{${args}}}`);
  }

  // A context switch: prev's running interval ends, next's begins.
  switchTo(prev: Task | null, next: Task | null, now: number): void {
    if (prev) {
      const start = this.running.get(prev);
      if (start !== undefined) {
        this.running.delete(prev);
        const state = STATE_LETTER[prev.state] ?? String(prev.state);
        this.complete(prev, "running", "sched", start, now, `"prev_state":"${state}","next":${next ? next.tid : 0}`);
      }
      if (prev.inSyscall && !this.blocked.has(prev)) {
        const nr = Number(new DataView(prev.regs.buffer, prev.regs.byteOffset).getBigInt64(C.REG_A7 * 8, true));
        this.blocked.set(prev, { nr, start: now });
      }
    }
    if (next) {
      this.running.set(next, now);
      if (!next.inSyscall) this.blocked.delete(next);
      this.see(next);
    }
    this.lastCpuTask = next;
  }

  wakeup(t: Task, waker: Task | null, now: number): void {
    this.instant(t, "wakeup", "sched", now, `"waker":${waker ? waker.tid : 0}`);
  }

  syscall(t: Task, nr: number, args: number[], result: number): void {
    const now = this.now();
    const b = this.blocked.get(t);
    let start = now;
    if (b) { this.blocked.delete(t); if (b.nr === nr) start = b.start; }
    const name = SYSCALL_NAMES.get(nr) ?? `syscall_${nr}`;
    const a = args.map((v) => `"0x${(v < 0 ? BigInt.asUintN(64, BigInt(v)) : BigInt(v)).toString(16)}"`).join(",");
    this.complete(t, name, "syscall", start, now, `"nr":${nr},"args":[${a}],"ret":${result}`);
  }

  trap(t: Task, cause: number, tval: number): void {
    if (cause !== C.CAUSE_INSN_PAGE_FAULT && cause !== C.CAUSE_LOAD_PAGE_FAULT && cause !== C.CAUSE_STORE_PAGE_FAULT) return;
    const acc = cause === C.CAUSE_LOAD_PAGE_FAULT ? "r" : cause === C.CAUSE_STORE_PAGE_FAULT ? "w" : "x";
    this.instant(t, "page_fault", "mm", this.now(), `"addr":"0x${tval.toString(16)}","access":"${acc}"`);
  }

  // The JSON document: events so far, open intervals closed at `now`, and
  // track names.
  toJSON(): string {
    const now = this.now();
    const tail: string[] = [];
    for (const [t, start] of this.running) {
      tail.push(`{"name":"running","cat":"sched","ph":"X","ts":${this.ts(start)},"dur":${this.ts(now - start)},"pid":${t.pid},"tid":${t.tid},"args":{"prev_state":"R","next":0}}`);
    }
    const meta: string[] = [];
    const pids = new Map<number, string>();
    for (const [tid, [pid, comm]] of [...this.names].sort((a, b) => a[0] - b[0])) {
      if (tid === pid || !pids.has(pid)) pids.set(pid, comm);
      meta.push(`{"name":"thread_name","ph":"M","pid":${pid},"tid":${tid},"args":{"name":${JSON.stringify(`${comm} ${tid}`)}}}`);
      meta.push(`{"name":"thread_sort_index","ph":"M","pid":${pid},"tid":${tid},"args":{"sort_index":${tid}}}`);
    }
    for (const [pid, comm] of pids) meta.push(`{"name":"process_name","ph":"M","pid":${pid},"tid":${pid},"args":{"name":${JSON.stringify(`${comm} ${pid}`)}}}`);
    const sched = this.k.rq.policyName;
    void this.lastCpuTask;
    return `{"displayTimeUnit":"ns","otherData":{"kernel":"ghost","scheduler":"${sched}","clock":"${this.k.clock.mode}"},"traceEvents":[\n` +
      [...meta, ...this.events, ...tail].join(",\n") + "\n]}\n";
  }

  write(path: string): void { nodefs.writeFileSync(path, this.toJSON()); }
}
