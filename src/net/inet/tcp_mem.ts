// What TCP's queues cost the guest's memory (Linux's tcp_memory_allocated
// against net.ipv4.tcp_mem): every send and receive queue charges the bytes
// it holds, with a per-chunk cost for a received segment (its sk_buff), to
// the one budget of guest RAM (mm/budget.ts), and all of them together stay
// under tcp_mem[2], the hard limit Linux sets at boot from RAM
// (tcp_init_mem: 3/32 of the pages). Past it, as Linux's
// __sk_mem_raise_allocated refuses: a send copies what fits (or none, and
// waits for memory as sk_stream_wait_memory does), and a segment that
// arrives is dropped (the peer retransmits it). A queue that is empty may
// still take one chunk past tcp_mem (Linux's forced first skb on both
// sides, so that a connection always makes progress), but never past RAM.

import type { MemBudget } from "../../mm/budget.js";

// What an empty queue may take past tcp_mem: about one skb of loopback's
// size goal (Linux forces the first skb, of up to 64 KiB).
const FIRST_CHUNK = 64 << 10;

// Writers waiting for memory (they found none): woken when some is freed.
export interface MemWaiter { memFreed(): void }

export class TcpMem {
  private allocated = 0;
  private readonly waiters = new Set<MemWaiter>();

  // ramBytes: guest RAM; mem: its budget (null outside a kernel: only the limit counts).
  constructor(private readonly mem: MemBudget | null, ramBytes: number) {
    const pages = Math.max(128, Math.floor(ramBytes / 4096 / 16));
    this.limit = Math.floor(pages / 4) * 3 * 2 * 4096;
  }

  // tcp_mem[2], in bytes.
  readonly limit: number;
  get bytes(): number { return this.allocated; }
  // Past tcp_mem[1] (2/3 of the hard limit): queues keep no spare memory.
  get pressure(): boolean { return this.allocated * 3 >= this.limit * 2; }

  // How many of `want` bytes a queue may take now; `first` for an empty
  // queue (not held to tcp_mem, only to RAM).
  room(want: number, first: boolean): number {
    if (want <= 0) return 0;
    const cap = first ? Math.min(want, FIRST_CHUNK) : Math.min(want, this.limit - this.allocated);
    if (cap <= 0) return 0;
    return this.mem ? this.mem.room(cap) : cap;
  }

  // A queue's footprint changed by d bytes (after room() said it fits).
  adjust(d: number): void {
    if (d === 0) return;
    this.allocated += d;
    if (d > 0) { this.mem?.forceCharge("sock", d); return; }
    this.mem?.uncharge("sock", -d);
    if (this.waiters.size) {
      const ws = [...this.waiters];
      this.waiters.clear();
      for (const w of ws) w.memFreed();
    }
  }

  waitFor(w: MemWaiter): void { this.waiters.add(w); }
  forget(w: MemWaiter): void { this.waiters.delete(w); }
}
