// The kernel's timer queue: callbacks ordered by their monotonic deadline in
// a binary heap (an hrtimer base). The earliest deadline tells the idle loop
// how long it may sleep.

export interface TimerHandle { cancel(): void; readonly deadline: number }

interface Entry { deadline: number; seq: number; fn: () => void; live: boolean }

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;

  add(deadline: number, fn: () => void): TimerHandle {
    const e: Entry = { deadline, seq: this.seq++, fn, live: true };
    this.push(e);
    return { cancel: () => { e.live = false; }, deadline };
  }

  // Earliest live deadline, or Infinity.
  next(): number {
    while (this.heap.length && !this.heap[0].live) this.pop();
    return this.heap.length ? this.heap[0].deadline : Infinity;
  }

  // Runs every timer due at `now`, in deadline order.
  expire(now: number): number {
    let n = 0;
    while (this.heap.length && this.heap[0].deadline <= now) {
      const e = this.pop();
      if (e.live) { e.live = false; e.fn(); n++; }
    }
    return n;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
