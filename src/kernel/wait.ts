// Wait queues: a task that cannot go on (empty pipe, futex, child not yet
// exited) parks on one or more queues; a wake makes it runnable again, and
// it retries its syscall from the start (restart semantics). Watchers (epoll
// items) stay registered and are told of every wake.

export interface Waiter { wake(): void }

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();
  private readonly watchers = new Set<Waiter>();
  add(w: Waiter): void { this.waiters.add(w); }
  remove(w: Waiter): void { this.waiters.delete(w); }
  watch(w: Waiter): void { this.watchers.add(w); }
  unwatch(w: Waiter): void { this.watchers.delete(w); }
  get size(): number { return this.waiters.size; }
  wakeAll(): void {
    if (this.watchers.size) for (const w of [...this.watchers]) w.wake();
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w.wake();
  }
  wakeOne(): boolean {
    if (this.watchers.size) for (const w of [...this.watchers]) w.wake();
    for (const w of this.waiters) { this.waiters.delete(w); w.wake(); return true; }
    return false;
  }
}
