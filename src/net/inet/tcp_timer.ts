// TCP's timing constants (Linux's include/net/tcp.h values) and the
// timer that the retransmission, delayed-ACK, probe and keepalive paths of
// tcp_output.ts arm on the kernel's timer wheel.

import type { TimerHandle } from "../../kernel/time/timers.js";

/** What a TcpTimer needs from its socket: the clock and the timer wheel. */
export interface TimerOwner {
  now(): number;
  timer(ns: number, fn: () => void): TimerHandle;
}

export const MS = 1_000_000;
export const SEC = 1000 * MS;
export const TCP_TIMEWAIT_LEN = 60 * SEC;
export const TCP_FIN_TIMEOUT = 60 * SEC;
export const TCP_RTO_MIN = 200 * MS;
export const TCP_RTO_MAX = 120 * SEC;
export const TCP_TIMEOUT_INIT = 1 * SEC;
export const TCP_DELACK_MIN = 40 * MS;
export const TCP_RETRIES2 = 15;
export const TCP_SYN_RETRIES = 6;
export const TCP_SYNACK_RETRIES = 5;
// tcp_orphan_retries with net.ipv4.tcp_orphan_retries at its default 0:
// eight probes for an orphan whose backed-off RTO is still under TCP_RTO_MAX.
export const TCP_ORPHAN_RETRIES_ALIVE = 8;

// The retransmission and delayed-ACK timers, kept as Linux keeps its
// inet_csk timers: clearing one only marks it idle, and arming it again no
// sooner than it would fire moves nothing (within an eighth of the timeout,
// finer than the timer wheel's own rounding at that range); firing early, it
// re-arms itself for the rest. So a connection that sends and is answered
// every round trip adds and removes no timer-wheel entry each time.
export class TcpTimer {
  private handle: TimerHandle | null = null;
  private due: number | null = null;
  constructor(private readonly sk: TimerOwner, private readonly fn: () => void) {}

  get pending(): boolean { return this.due !== null; }

  arm(ns: number): void {
    const due = this.sk.now() + ns;
    this.due = due;
    if (this.handle && this.handle.deadline <= due + ns / 8) return;
    this.handle?.cancel();
    this.handle = this.sk.timer(ns, () => this.fire());
  }

  clear(): void { this.due = null; }
  cancel(): void { this.due = null; this.handle?.cancel(); this.handle = null; }

  private fire(): void {
    this.handle = null;
    if (this.due === null) return;
    const left = this.due - this.sk.now();
    if (left > 0) { this.handle = this.sk.timer(left, () => this.fire()); return; }
    this.due = null;
    this.fn();
  }
}
