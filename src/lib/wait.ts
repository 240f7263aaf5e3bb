// Wait queues: a task that cannot go on (empty pipe, futex, child not yet
// exited) parks on one or more queues; a wake makes it runnable again, and
// it retries its syscall from the start (restart semantics). Watchers (epoll
// items) stay registered and are told of every wake.

// An exclusive watcher's wake() says whether it woke somebody: a wake stops
// at the first that did (Linux's WQ_FLAG_EXCLUSIVE, as EPOLLEXCLUSIVE uses).
export interface Waiter { wake(): void | boolean; exclusive?: boolean }

// The waiter of a queue with one (wakeAll), passed out of forEach.
let only: Waiter | null = null;
const takeOnly = (w: Waiter): void => { only = w; };

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();
  private readonly watchers = new Set<Waiter>();
  add(w: Waiter): void { this.waiters.add(w); }
  remove(w: Waiter): void { this.waiters.delete(w); }
  watch(w: Waiter): void { this.watchers.add(w); }
  unwatch(w: Waiter): void { this.watchers.delete(w); }
  get size(): number { return this.waiters.size; }
  private tellWatchers(): void {
    let exclusiveDone = false;
    for (const w of [...this.watchers]) {
      if (!w.exclusive) w.wake();
      else if (!exclusiveDone && w.wake() === true) exclusiveDone = true;
    }
  }
  wakeAll(): void {
    if (this.watchers.size) this.tellWatchers();
    if (this.waiters.size === 0) return;
    if (this.waiters.size === 1) {
      // The common case (one reader of a pipe, one waiter): no copy, and
      // no iterator either (forEach with a function made once; a for-of
      // over the Set made one per wake, a third of a pipe round trip's garbage).
      this.waiters.forEach(takeOnly);
      const w = only!;
      only = null;
      this.waiters.clear();
      w.wake();
      return;
    }
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w.wake();
  }
  wakeOne(): boolean {
    if (this.watchers.size) this.tellWatchers();
    for (const w of this.waiters) { this.waiters.delete(w); w.wake(); return true; }
    return false;
  }
}
