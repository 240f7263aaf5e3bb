// Process ids (Linux's kernel/pid.c): handed out in increasing order,
// wrapping past pid_max to 2 (1 is init's), skipping ids still in use.

// pid_max's ceiling on 64-bit Linux (PID_MAX_LIMIT, include/linux/threads.h).
export const PID_MAX_LIMIT = 4194304;

export class PidAllocator {
  private next = 1;
  // The id handed out last (/proc/loadavg's last field).
  get last(): number { return this.next - 1; }
  alloc(inUse: (pid: number) => boolean): number {
    for (;;) {
      const pid = this.next++;
      if (this.next > PID_MAX_LIMIT) this.next = 2;
      if (!inUse(pid)) return pid;
    }
  }
}
