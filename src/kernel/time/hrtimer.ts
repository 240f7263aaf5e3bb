// High-resolution timers: one ordered queue per clock base (MONOTONIC,
// REALTIME, BOOTTIME, TAI), each a binary heap keyed by expiry in its own
// clock's time with the earliest timer at the top. A base's offset turns its
// times into monotonic time; a REALTIME timer set for an absolute wall time
// therefore follows clock_settime (Linux's clock_was_set). Timers fire in
// order of their monotonic expiry, ties in the order they were armed.

export type ClockBaseId = "monotonic" | "realtime" | "boottime" | "tai";

export interface TimerHandle { cancel(): void; readonly deadline: number }

export class Hrtimer implements TimerHandle {
  index = -1; // position in its base's heap, -1 when not queued
  constructor(readonly base: HrtimerBase, public expires: number, readonly fn: () => void, readonly seq: number) {}
  get active(): boolean { return this.index >= 0; }
  // Expiry in monotonic time.
  get deadline(): number { return this.expires - this.base.offset(); }
  cancel(): void { if (this.index >= 0) this.base.remove(this); }
}

export class HrtimerBase {
  private heap: Hrtimer[] = [];
  constructor(readonly id: ClockBaseId, readonly offset: () => number) {}

  get size(): number { return this.heap.length; }
  first(): Hrtimer | null { return this.heap.length ? this.heap[0] : null; }

  add(t: Hrtimer): void {
    t.index = this.heap.length;
    this.heap.push(t);
    this.up(t.index);
  }

  remove(t: Hrtimer): void {
    const h = this.heap;
    const i = t.index;
    const last = h.pop()!;
    t.index = -1;
    if (last !== t) {
      h[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
  }

  private less(a: Hrtimer, b: Hrtimer): boolean {
    return a.expires < b.expires || (a.expires === b.expires && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i], b = h[j];
    h[i] = b; b.index = i;
    h[j] = a; a.index = j;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
