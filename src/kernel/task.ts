// Tasks (threads) and thread groups (processes), in Linux's terms: a Task is
// a task_struct; a ThreadGroup holds what its threads share (signal_struct,
// pid, parent, children, rlimits, exit status).

import { TASK_STATE_SIZE } from "../arch/riscv64/layout.js";
import type { AddressSpace } from "../mm/mm.js";
import { TASK_COST } from "../mm/budget.js";
import type { FdTable } from "../fs/file.js";
import type { FsContext } from "../fs/namei.js";
import type { TaskCred } from "./cred.js";
import { WaitQueue, type Waiter } from "../lib/wait.js";
import type { Kernel } from "./kernel.js";
import type { ITimers, PosixTimer } from "./time/posix-timers.js";
import type { Restart } from "./restart.js";
import type { FutexWait } from "./futex.js";
import type { SeccompState } from "./seccomp.js";
import type { Tracee } from "./ptrace.js";
import { RLIMIT_NOFILE } from "../abi/resource.js";
import type { NsProxy } from "./nsproxy.js";

export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
export const TASK_STOPPED = 4;
export const TASK_DEAD = 64;

export interface SigAction { handler: number; flags: number; mask: bigint }

// A signal's disposition. Never changed in place: sigaction, SA_RESETHAND,
// exec and a forced fault put a new record in the table, so a fork shares
// the records and copies only the array.
export const SIG_DFL_ACTION: SigAction = Object.freeze({ handler: 0, flags: 0, mask: 0n });

export class SigHand {
  // Each fork without CLONE_SIGHAND copies the table: 65 references (the
  // records are immutable), not 65 new objects (~3% of a fork+exec+wait).
  actions: SigAction[];
  refs = 1;
  constructor(from?: SigAction[]) {
    this.actions = from ? from.slice() : new Array<SigAction>(65).fill(SIG_DFL_ACTION);
  }
  clone(): SigHand { return new SigHand(this.actions); }
}

export interface SigInfo {
  signo: number; code: number; errno?: number;
  pid?: number; uid?: number; status?: number; addr?: number; value?: bigint;
  utime?: number; stime?: number; timerid?: number; overrun?: number; band?: number; fd?: number;
  syscall?: number; arch?: number; // SIGSYS from seccomp (si_call_addr is addr)
  forced?: boolean; // a fault (force_sig_fault): kills even init
}

export class SigPending {
  mask = 0n;
  queue: SigInfo[] = [];
}

export const RLIM_INFINITY = -1; // stored as -1: the all-ones u64 in the ABI
// fs.nr_open's default and bounds (Linux's sysctl_nr_open, _min and _max on
// 64-bit): the most fds a table may hold, RLIMIT_NOFILE's ceiling.
export const NR_OPEN = 1 << 20;
export const NR_OPEN_MIN = 64; // BITS_PER_LONG
export const NR_OPEN_MAX = 0x7fffffc0; // INT_MAX rounded down to BITS_PER_LONG

export const RLIMIT_DEFAULTS: [number, number][] = [
  [-1, -1], // CPU
  [-1, -1], // FSIZE
  [-1, -1], // DATA
  [8 << 20, -1], // STACK
  [0, -1], // CORE
  [-1, -1], // RSS
  [4096, 4096], // NPROC
  [1024, 4096], // NOFILE
  [8 << 20, 8 << 20], // MEMLOCK
  [-1, -1], // AS
  [-1, -1], // LOCKS
  [4096, 4096], // SIGPENDING
  [819200, 819200], // MSGQUEUE
  [0, 0], // NICE
  [0, 0], // RTPRIO
  [-1, -1], // RTTIME
];

export class ThreadGroup {
  readonly threads = new Set<Task>();
  readonly children = new Set<ThreadGroup>();
  parent: ThreadGroup | null = null;
  pgid: number;
  sid: number;
  exitStatus = 0; // wait status word
  zombie = false;
  exiting = false;
  groupExitCode = 0;
  readonly shared = new SigPending();
  readonly childWait = new WaitQueue(); // parents sleeping in wait4
  // [cur, max] pairs, replaced and never changed in place (prlimit): shared
  // with the defaults and, after a fork, with the parent's.
  rlimits: [number, number][] = RLIMIT_DEFAULTS.slice();
  exitSignal = 17; // SIGCHLD
  subreaper = false;
  // CPU time of exited threads, in ns.
  deadUtime = 0;
  deadStime = 0;
  childUtime = 0;
  childStime = 0;
  // Peak resident pages of the group's exited threads' and exec'd-away
  // memories (signal->maxrss), and the most of any reaped child's own and
  // children's (cmaxrss): getrusage's ru_maxrss.
  maxRss = 0;
  childMaxRss = 0;
  startTime = 0;
  stopped = false;
  // Controlling terminal of the session (a tty object of drivers/tty).
  ctty: unknown = null;
  // Stop/continue events not yet reported to a waiting parent.
  stopReport = 0;
  contReport = false;
  dumpable = 1;
  nextXcpu: number | undefined; // next CPU second at which RLIMIT_CPU sends SIGXCPU
  oomScoreAdj = 0;
  thpDisable = false;
  execed = false; // has called execve since fork (setpgid on a child then is EACCES)
  itimers: ITimers | null = null;
  readonly posixTimers = new Map<number, PosixTimer>();
  // Woken whenever a signal is queued to the group or one of its threads (signalfd).
  readonly signalWait = new WaitQueue();
  // Woken when the group exits (pidfd poll).
  readonly exitWait = new WaitQueue();
  constructor(readonly pid: number) {
    this.pgid = pid;
    this.sid = pid;
  }
  // The last thread that exited: what /proc shows of a zombie until it is reaped.
  lastThread: Task | null = null;
  get leader(): Task | undefined {
    for (const t of this.threads) if (t.tid === this.pid) return t;
    return undefined;
  }
}

export class Task implements Waiter {
  readonly regs = new Uint8Array(TASK_STATE_SIZE);
  state = TASK_RUNNING;
  comm = "";
  sigmask = 0n;
  readonly pending = new SigPending();
  altstack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  // Queues this task sleeps on, and its wake-up timer.
  // The queues it sleeps on: the first nWaits slots (the array is kept,
  // not truncated, so a sleep after a wake-up allocates nothing).
  private waits: (WaitQueue | null)[] = [];
  private nWaits = 0;
  wakeTimer: { cancel(): void } | null = null;
  // Set while the task is parked inside a syscall that will be retried.
  inSyscall = false;
  // A kernel thread: never runs guest code and is never woken (ghost run's pid 1).
  kthread = false;
  // Per-syscall state kept across restarts (a sleep's deadline, …); cleared when the syscall completes.
  restart: Restart | null = null;
  // How an interrupted syscall resumes (ERESTARTSYS, ERESTARTNOHAND, …).
  restartCode = 512;
  timedOut = false;
  // Bytes a parked syscall already transferred: returned instead of EINTR.
  partialResult: number | null = null;
  // A sleep interrupted by a handled signal writes the time left here.
  pendingRemaining: { va: number; deadline: number } | null = null;
  // CPU time in ns.
  utime = 0;
  stime = 0;
  exitCode = 0;
  pdeathSignal = 0;
  // Scheduler entity data (the scheduler owns its meaning).
  se: unknown = null;
  nice = 0;
  ioprio = 0; // ioprio_set: class << 13 | level (0: none set, derived from nice)
  personality = 0; // personality(2): PER_LINUX and its flags
  nvcsw = 0; // voluntary context switches (slept)
  nivcsw = 0; // involuntary (preempted)
  policy = 0;
  rtPriority = 0;

  // vfork: the parent waiting for this child to exec or exit, and the queue it waits on.
  vforkParent: Task | null = null;
  vforkDone: WaitQueue | null = null;
  vforkReleased = false;
  // Dropped restart state may need undoing (a futex waiter to dequeue).
  onRestartDrop: (() => void) | null = null;
  // Its last FUTEX_WAIT's waiter, reused by the next (futex.ts).
  futexWait: FutexWait | null = null;
  // sigsuspend: the mask to restore when the handler returns; sigtimedwait: the signals awaited.
  savedSigmask: bigint | null = null;
  sigwaitSet = 0n;
  keepCaps = false;
  noNewPrivs = false;
  // seccomp mode and filter chain (seccomp.ts); fork copies it, execve keeps it.
  seccomp: SeccompState = { mode: 0, filter: null };
  // The timer slack (ns) and what PR_SET_TIMERSLACK 0 restores: as Linux's
  // timer_slack_ns and default_timer_slack_ns, the creator's slack at fork or clone.
  timerSlack = 50000;
  defaultTimerSlack = 50000;
  // ptrace (ptrace.ts): this task's link to its tracer, and the tasks it traces.
  ptrace: Tracee | null = null;
  ptraced: Set<Task> | null = null;
  // Its namespaces (nsproxy.ts): the creator's unless clone asked for new ones.
  ns: NsProxy;

  constructor(
    readonly k: Kernel,
    public tid: number,
    public tg: ThreadGroup,
    public mm: AddressSpace,
    public files: FdTable,
    public fs: FsContext,
    public cred: TaskCred,
    public sighand: SigHand,
  ) {
    // Its task_struct and kernel stack, charged to the guest's memory (mm/budget.ts) until it is reaped.
    k.phys.mem.forceCharge("stack", TASK_COST);
    this.ns = k.initNs;
  }

  get pid(): number { return this.tg.pid; }

  wake(): void { this.k.wakeTask(this); }

  // Parks the task on queues (and an optional deadline in ns on the
  // monotonic clock); the syscall returns BLOCK and is retried when woken
  // (blocking.ts: sleepOn() parks and unwinds in one step).
  sleepOn(queues: readonly WaitQueue[], deadline?: number): void {
    for (let i = 0; i < queues.length; i++) { const q = queues[i]; q.add(this); this.waits[this.nWaits++] = q; }
    if (deadline !== undefined) {
      // An hrtimer, as Linux's schedule_hrtimeout_range for poll, select,
      // epoll_wait, futex, sigtimedwait and semtimedop: the timeout ends on
      // time, not at the next jiffy (or a coarser timer-wheel bucket).
      this.wakeTimer = this.k.timers.add(deadline, () => { this.timedOut = true; this.wake(); });
    }
    this.state = TASK_INTERRUPTIBLE;
  }

  clearWaits(): void {
    // Emptied in place: a wake-up happens per pipe or futex hand-off, and a
    // new array each time was garbage for every one.
    const waits = this.waits;
    for (let i = 0; i < this.nWaits; i++) { waits[i]!.remove(this); waits[i] = null; }
    this.nWaits = 0;
    if (this.wakeTimer) { this.wakeTimer.cancel(); this.wakeTimer = null; }
  }
}

// A resource's soft limit (Linux's rlimit()); RLIM_INFINITY is -1.
export function rlimit(tg: ThreadGroup, resource: number): number { return tg.rlimits[resource][0]; }

// RLIMIT_NOFILE as fd allocation uses it: one more than the highest fd allowed.
export function nofile(t: Task): number {
  const l = rlimit(t.tg, RLIMIT_NOFILE);
  return l < 0 ? t.k.nrOpen : l;
}
