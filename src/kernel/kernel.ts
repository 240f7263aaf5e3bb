// The kernel instance: the hart, memory, tasks and the scheduler loop (exit
// and reaping: exit.ts; pids: pid.ts; the OOM killer: mm/oom_kill.ts). One instance is single-threaded; it hands control back to the
// host event loop often enough for host I/O and timers to be served.

import { Hart } from "../arch/riscv64/hart.js";
import { PhysAllocator } from "../mm/phys.js";
import { Clock, type ClockMode } from "./time/clock.js";
import { TimerQueue } from "./time/timers.js";
import { blockHost, spinHostUntil, HOST_BLOCK_STEP_MS, HOST_SPIN_MS, HOST_TIMER_MARGIN_MS } from "./time/hostwait.js";
import { Rq, type SchedPolicyName } from "./sched/core.js";
import { Task, ThreadGroup, SigHand, TASK_RUNNING, TASK_DEAD, TASK_STOPPED, TASK_INTERRUPTIBLE, NR_OPEN } from "./task.js";
import { handleTrap } from "./trap.js";
import { processCpuTime } from "./time/posix-timers.js";
import { deliverSignals, hasDeliverable, sendSignal } from "./signal.js";
import { SIGCHLD, SIGKILL, SIGCONT, CLD_STOPPED, CLD_CONTINUED, SA_NOCLDSTOP, SIGXCPU, SI_KERNEL } from "../abi/signal.js";
import type { FsContext } from "../fs/namei.js";
import type { FdTable } from "../fs/file.js";
import type { AddressSpace } from "../mm/mm.js";
import type { Mount } from "../fs/dentry.js";
import { hostRandom, uuid, type RandomSource } from "./random.js";
import { seededRandom } from "./time/virtual.js";
import { KernelLocals, type KernelLocal } from "./local.js";
import { enterKernel, leaveKernel, hostObserved } from "./running.js";
import * as exit from "./exit.js";
import { ptraceMayContinue, ptraceSyscallDone } from "./ptrace.js";
import { PidAllocator } from "./pid.js";
import { initNsProxy, PROC_DYNAMIC_FIRST } from "./nsproxy.js";
import { oomKill } from "../mm/oom_kill.js";
import type { FutexWaiter } from "./futex.js";
import { KernelLog } from "./printk.js";
import { LOGLEVEL_ERR } from "../abi/syslog.js";
import { UTS_RELEASE, UTS_VERSION } from "../lib/version.js";
import { RLIMIT_CPU } from "../abi/resource.js";
import { ENOSYS } from "../abi/errno.js";
import { SYS, NR_SYSCALLS } from "../abi/syscalls.js";
import { CAUSE_ECALL_U, REG_A7 } from "../arch/riscv64/layout.js";

export interface KernelConfig {
  memoryBytes: number;
  clock: ClockMode;
  // Instructions a run() call may execute before returning to the kernel (the tick).
  tickBudget?: number;
  // The fair class: EEVDF with BORE (default) or plain EEVDF.
  sched?: SchedPolicyName;
  // A seed makes the random source a deterministic generator (virtual-clock runs).
  randomSeed?: number;
  // The layers above the kernel that it calls, given by whoever builds it
  // (boot/): the syscall table (without one every syscall is ENOSYS), and
  // the core dumper (without one no core file is written).
  syscall?: SyscallDispatch;
  coreDump?: CoreDumper;
  // Where the kernel's words to the host go (an oops, the OOM killer, a JIT
  // failure): the `ghost` command writes them to stderr, the library emits
  // them as events. Without one they are dropped (the kernel log keeps them):
  // a kernel never writes to the host's stdio on its own.
  diag?: (text: string) => void;
  // Called with every kernel log record as it is logged (GHOST_KLOG, the
  // library's "log" event), from the first one on.
  onLog?: (level: number, line: string) => void;
  // Called when a process is created (fork, clone, the first process).
  onNewProcess?: (tg: ThreadGroup) => void;
}

export type SyscallDispatch = (k: Kernel, t: Task, nr: number) => number;
export interface CoreDumper {
  // Sets up its settings (the core_pattern sysctls) as the kernel starts.
  setup(k: Kernel): void;
  // Writes the core of a group killed by `sig`; whether one was written.
  dump(k: Kernel, tg: ThreadGroup, sig: number, info: { code: number; addr: number }): boolean;
}

export interface KernelTrace {
  syscall?(t: Task, nr: number, args: number[], result: number): void;
  trap?(t: Task, cause: number, tval: number): void;
}

// A turn of the host's event loop: setImmediate on Node; in a browser (a
// worker) a message to itself, which runs after pending events (setTimeout
// would be clamped to 4 ms once nested).
const yieldToHost: () => Promise<void> = typeof setImmediate === "function"
  ? () => new Promise((r) => setImmediate(r))
  : (() => {
    const ch = new MessageChannel();
    const waiting: (() => void)[] = [];
    ch.port1.onmessage = () => { waiting.shift()?.(); };
    return () => new Promise<void>((r) => { waiting.push(r); ch.port2.postMessage(0); });
  })();
// Host time a slice may take before the host event loop gets a turn.
const HOST_SLICE_MS = 10;
// The instructions (in runs of the hart) one measurement of its host speed
// takes (measureHostRate).
const HOST_RATE_MIN_INSNS = 10_000;
// The shortest run counted towards a measurement.
const HOST_RATE_SAMPLE_INSNS = 500;
// The shortest budget of a run on the host clock (runBudget).
const HOST_MIN_BUDGET = 1000;
// Reading the host clock costs about what a whole null syscall does (0.1 to
// 0.2 us each under Node 20), and the loop read it twice per trap. A cheap
// syscall after a short run (at most LAZY_RUN_INSNS) reads it not at all,
// up to LAZY_TRAPS in a row and LAZY_STRETCH_INSNS retired: the next read
// measures the stretch, and splits it between the runs (user time, at the
// measured rate) and the handlers (system time). Timers and the host's turn
// are looked at with the time of the last read meanwhile: at most a few
// microseconds late. (The bound was 8 traps of up to 2,000 instructions
// each; a tight syscall loop runs ~20 instructions between its traps, and
// read the clock every 8th: a sixth of a null syscall in the bundle, whose
// clock (process.hrtime) allocates.)
const LAZY_RUN_INSNS = 2000;
const LAZY_TRAPS = 32;
const LAZY_STRETCH_INSNS = 16_000;
// The syscalls whose handlers are short (or that block, which reads the
// clock at once): the getpid and getuid families, the clocks, futex, signal
// masks and reads and writes (bounded copies).
const LAZY_SYSCALLS: Uint8Array = (() => {
  const m = new Uint8Array(NR_SYSCALLS);
  for (const name of ["getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getpgid", "getsid",
    "clock_gettime", "clock_getres", "gettimeofday", "futex", "sched_yield", "rt_sigprocmask", "sigaltstack",
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek"] as const) m[SYS[name]] = 1;
  return m;
})();

export class Kernel {
  readonly hart: Hart;
  readonly phys: PhysAllocator;
  readonly clock: Clock;
  readonly log: KernelLog;
  // Timers armed at an absolute CLOCK_REALTIME time, and what else wants to
  // know when the clock is set (timerfds with TFD_TIMER_CANCEL_ON_SET).
  readonly absRealTimers = new Set<import("./time/posix-timers.js").SignalTimer>();
  readonly clockSetWatchers = new Set<() => void>();
  readonly timers = new TimerQueue();
  readonly rq: Rq;
  readonly tasks = new Map<number, Task>();
  readonly groups = new Map<number, ThreadGroup>();
  readonly tickBudget: number;
  current: Task | null = null;
  // The namespaces of init and of every task that made no new one (nsproxy.ts).
  readonly initNs = initNsProxy();
  // The last namespace inode number given out (proc_alloc_inum).
  lastNsInum = PROC_DYNAMIC_FIRST - 1;
  // The root of the initial mount namespace.
  get rootMount(): Mount | null { return this.initNs.mnt.root; }
  set rootMount(m: Mount | null) { this.initNs.mnt.root = m; }
  // pid 1 when Ghost runs a single program: a kernel-side reaper with no threads.
  initStub: ThreadGroup | null = null;
  // The thread group whose exit ends the kernel (ghost run's program, or init).
  mainGroup: ThreadGroup | null = null;
  exitStatus: number | null = null;
  halted = false;
  needResched = false;
  trace: KernelTrace = {};
  bootTime = Date.now();
  // The initial UTS namespace's names (a task's own: t.ns.uts).
  get hostname(): string { return this.initNs.uts.hostname; }
  set hostname(v: string) { this.initNs.uts.hostname = v; }
  get domainname(): string { return this.initNs.uts.domainname; }
  set domainname(v: string) { this.initNs.uts.domainname = v; }
  // Figures /proc reports.
  contextSwitches = 0;
  forks = 0;
  // fs.nr_open: the most fds a table may grow to (RLIMIT_NOFILE's ceiling, dup_fd's EMFILE).
  nrOpen = NR_OPEN;
  // getrandom, /dev/urandom, AT_RANDOM, UUIDs: this kernel's own source.
  readonly random: RandomSource;
  readonly bootId: string;
  // Tasks sleeping in futex waits, by futex key (futex.ts).
  readonly futexQueues = new Map<string, FutexWaiter[]>();
  // The table's size at which its empty lists are swept (futex.ts).
  futexSweepAt = 1024;
  // Scheduler tunables under /proc/sys/kernel: [name, read, write?].
  sysctls: [string, () => string, ((v: string) => void)?][] = [];
  // Called when a process has exited, before its children are reparented (tty hangup, orphaned groups).
  readonly exitHooks: ((tg: ThreadGroup) => void)[] = [];
  // Called once as halt() begins, every process and file still there (the
  // library's "shutdown" event: an embedder's last look at the guest's files).
  readonly haltHooks: (() => void)[] = [];
  readonly pids = new PidAllocator();
  private idleWake: (() => void) | null = null;
  private lastTimeSync = 0;
  // Host time: the host ns one guest instruction takes, as last measured.
  // The hart's budget up to the next timer is counted with it, so a timer
  // expiring while a task runs is handled on time however fast the JIT
  // goes (the nominal rate may be several times off).
  private hostNsPerInsn = 0;
  // Runs of the hart not yet folded into hostNsPerInsn (host ns, instructions).
  private rateNs = 0;
  private rateInsns = 0;
  private readonly locals = new KernelLocals();
  // The syscall layer this kernel was built with (KernelConfig.syscall).
  readonly dispatchSyscall: SyscallDispatch;
  // The host's side channel (KernelConfig.diag).
  readonly diag: (text: string) => void;

  constructor(readonly config: KernelConfig) {
    enterKernel(this);
    this.random = config.randomSeed === undefined ? hostRandom : seededRandom(config.randomSeed);
    this.bootId = this.newUuid();
    this.diag = config.diag ?? (() => {});
    this.hart = new Hart(config.memoryBytes);
    if (this.hart.jit) this.hart.jit.warn = (text) => this.diag(text);
    this.phys = new PhysAllocator(this.hart);
    this.clock = new Clock(config.clock);
    this.log = new KernelLog(() => this.clock.monotonic());
    if (config.onLog) this.log.onRecord = config.onLog;
    this.dispatchSyscall = config.syscall ?? (() => -ENOSYS);
    config.coreDump?.setup(this); // /proc/sys/kernel/core_pattern, core_uses_pid
    this.log.log(5, `Linux version ${UTS_RELEASE} (ghost@ghost) (TypeScript) ${UTS_VERSION}`);
    this.log.log(6, `Machine model: Ghost RV64GC (1 hart, Sv48)`);
    this.log.log(6, `Memory: ${Math.floor(this.phys.frames * 4)}K available`);
    this.clock.onClockWasSet = (delta) => {
      for (const tm of [...this.absRealTimers]) tm.clockWasSet(delta);
      for (const w of [...this.clockSetWatchers]) w();
    };
    this.tickBudget = config.tickBudget ?? 100_000;
    this.timers.attach(this.clock);
    this.rq = new Rq({ policy: config.sched ?? "bore", monotonic: () => this.clock.monotonic(), tasks: () => this.tasks.values() });
    this.timers.startTick(() => this.rq.schedulerTick());
    this.sysctls.push(...this.rq.sysctls());
    this.log.log(6, `sched: ${this.rq.policyName === "bore" ? "EEVDF with BORE" : "EEVDF"}, 1000 Hz tick, ${config.clock ?? "host"} clock`);
    // Under memory pressure, unused page-cache pages go first.
    this.phys.onOutOfMemory = () => this.phys.cache.trimAll() > 0;
    // A deleted tmpfs file's frames wait for its last mapping (mm/phys.ts).
    this.phys.isMapped = (key) => [...this.tasks.values()].some((t) => t.mm.vmas.some((v) => v.source?.key === key));
    // A shared mapping's page that could not go back to its file (Linux logs a lost page write).
    this.phys.cache.onWritebackError = (path, off, errno) =>
      this.log.log(LOGLEVEL_ERR, `writeback error on ${path} at offset ${off}: errno ${errno}, page write lost`);
  }

  // The OOM killer: the process with the most resident memory dies (never pid 1
  // while another candidate exists). Returns the victim, or null.
  oomKill(): ThreadGroup | null { return oomKill(this); }

  // A subsystem's per-kernel state (local.ts).
  local<T>(slot: KernelLocal<T>): T { return this.locals.get(this, slot); }

  newUuid(): string { return uuid(this.random); }

  loadavgText(): string {
    return `${this.rq.loadavg.formatted().join(" ")} ${this.rq.nrRunning}/${this.tasks.size} ${this.pids.last}\n`;
  }

  // /proc/[pid]/sched: what the scheduler knows of a task.
  schedInfo(t: Task): string { return this.rq.schedInfo(t); }

  allocPid(): number { return this.pids.alloc((pid) => this.tasks.has(pid) || this.groups.has(pid)); }

  // A new thread group with its first task.
  newProcess(parent: ThreadGroup | null, mm: AddressSpace, files: FdTable, fs: FsContext, cred: Task["cred"], sighand: SigHand): Task {
    const pid = this.allocPid();
    const tg = new ThreadGroup(pid);
    tg.parent = parent;
    tg.startTime = this.clock.monotonic();
    if (parent) { parent.children.add(tg); tg.pgid = parent.pgid; tg.sid = parent.sid; }
    const t = new Task(this, pid, tg, mm, files, fs, cred, sighand);
    this.forks++;
    tg.threads.add(t);
    this.tasks.set(pid, t);
    this.groups.set(pid, tg);
    this.config.onNewProcess?.(tg);
    return t;
  }

  // Makes a task runnable.
  wakeTask(t: Task): void {
    if (t.state === TASK_DEAD || t.state === TASK_STOPPED || t.kthread) return;
    t.clearWaits();
    if (t.state !== TASK_RUNNING) {
      t.state = TASK_RUNNING;
      this.rq.enqueue(t, true);
    }
    if (this.idleWake) { const w = this.idleWake; this.idleWake = null; w(); }
  }

  // Wakes the idle loop (host I/O arrived).
  kick(): void { if (this.idleWake) { const w = this.idleWake; this.idleWake = null; w(); } }

  start(t: Task): void {
    t.state = TASK_RUNNING;
    this.rq.enqueue(t, false);
  }

  private switchTo(t: Task): void {
    if (this.current === t) return;
    this.contextSwitches++;
    this.hart.loadState(t.regs);
    // Threads of one process share the address space: it is loaded already
    // (with its ASID, and its TLB kept current by invalidate()).
    if (this.hart.currentMm !== t.mm) t.mm.activate();
    this.current = t;
  }

  private saveCurrent(): void {
    const t = this.current;
    if (t && t.state !== TASK_DEAD) this.hart.saveState(t.regs);
  }

  // The time CSR follows the kernel's monotonic clock at 10 MHz.
  private syncTimeCsr(): void {
    const ns = this.clock.monotonic();
    this.hart.setTimeBase(BigInt(Math.floor(ns / 100)), this.hart.instret, this.clock.nsPerInsn / 100);
  }

  // The run loop. The host (stdin, signals to Node, host timers, sockets) is
  // served between slices, at least every HOST_SLICE_MS of host time: a task
  // that runs alone never sees the scheduler preempt it, so runSlice also
  // stops on host time. Such a stop is not a scheduling decision: the same
  // task resumes after the host had its turn, unless something (a host event,
  // a timer) asked for a reschedule meanwhile. So the order in which tasks run
  // does not depend on host time, and virtual-clock runs stay reproducible.
  async run(): Promise<number> {
    let lastYield = performance.now();
    // The host clock's last read: a slice ends with one (after its last
    // trap's handler), and the switch to the next task reuses it rather than
    // reading the clock three more times (a read costs about a null syscall).
    let hostNow = lastYield;
    let resume: Task | null = null;
    while (!this.halted) {
      enterKernel(this); // another kernel may have run while this one awaited the host
      this.timers.expire(this.clock.monotonicAt(hostNow));
      const keep: boolean = resume !== null && resume === this.current && resume.state === TASK_RUNNING && !this.needResched && !this.rq.needResched;
      const t: Task | undefined = keep ? resume! : this.rq.pickNext();
      resume = null;
      if (!t) { await this.idle(); hostObserved(); hostNow = performance.now(); continue; }
      const hostTurn = this.runSlice(t, keep, hostNow);
      hostNow = this.sliceEnd;
      if (hostTurn) resume = t;
      if (hostTurn || hostNow - lastYield > HOST_SLICE_MS) { await yieldToHost(); hostObserved(); lastYield = hostNow = performance.now(); }
    }
    leaveKernel(this);
    return this.exitStatus ?? 0;
  }

  private async idle(): Promise<void> {
    const next = this.timers.next();
    if (next === Infinity && this.rq.nrRunning === 0 && !this.hasHostWaiters()) {
      // Nothing can ever wake a task: every task sleeps forever.
      if (this.mainGroup && !this.mainGroup.zombie) {
        await new Promise<void>((r) => { this.idleWake = r; setTimeout(r, 1000); });
        return;
      }
    }
    if (this.clock.mode === "virtual" && next !== Infinity && !this.hasHostWaiters()) {
      this.clock.skipTo(next);
      return;
    }
    const delayMs = next === Infinity ? 1000 : Math.max(0, (next - this.clock.monotonic()) / 1e6);
    // Host time: the host timer stops short of the guest timer, and the last
    // stretch is waited out precisely (time/hostwait.ts).
    const precise = this.clock.mode === "host" && next !== Infinity;
    const hostDue = performance.now() + delayMs;
    const timerMs = precise ? delayMs - HOST_TIMER_MARGIN_MS : delayMs;
    if (timerMs > 0 || !precise) {
      let timedOut = false;
      await new Promise<void>((r) => {
        const timer = setTimeout(() => { this.idleWake = null; timedOut = true; r(); }, Math.min(Math.max(0, timerMs), 1000));
        this.idleWake = () => { clearTimeout(timer); r(); };
      });
      // Virtual time: a wait that ran out (no host event came) jumps to the timer.
      if (this.clock.mode === "virtual" && next !== Infinity && timedOut) this.clock.skipTo(next);
      if (!timedOut || !precise || timerMs > 1000) return;
    }
    await this.waitHostUntil(hostDue);
  }

  // Waits until host time `due` (performance.now()) or a host event (kick).
  private async waitHostUntil(due: number): Promise<void> {
    let woken = false;
    const wake = () => { woken = true; };
    this.idleWake = wake;
    while (!woken && performance.now() < due) {
      const left = due - performance.now();
      if (left > HOST_SPIN_MS) blockHost(Math.min(left - HOST_SPIN_MS, HOST_BLOCK_STEP_MS));
      else spinHostUntil(due);
      await yieldToHost();
    }
    if (this.idleWake === wake) this.idleWake = null;
  }

  hostWaiters = 0;
  private hasHostWaiters(): boolean { return this.hostWaiters > 0; }

  // Runs t until it sleeps, is preempted or exits (returns false), or until
  // HOST_SLICE_MS of host time went by (returns true: the host's turn; the
  // caller resumes t with resumed set, which carries on exactly where the
  // loop stopped).
  // The host time (performance.now()) runSlice last read the clock.
  private sliceEnd = 0;

  private runSlice(t: Task, resumed: boolean, hostStartedAt: number): boolean {
    this.switchTo(t);
    const hart = this.hart;
    const clock = this.clock;
    const host = clock.mode === "host";
    // The host clock is read twice per trap, no more (each read is ~0.1 us,
    // a third of a null syscall): once when the run ends (the task's CPU
    // time), once after the handler — that one expires the timers, decides
    // the host's turn, sizes the next run's budget and starts its time.
    let hostNow = hostStartedAt;
    const hostDeadline = hostNow + HOST_SLICE_MS;
    let hostTurn = false;
    // Traps since the host clock was last read, and the instructions their runs retired.
    let lazyTraps = 0, lazyInsns = 0;
    if (!resumed && clock.monotonicAt(hostNow) - this.lastTimeSync > 1_000_000) { this.syncTimeCsr(); this.lastTimeSync = clock.monotonic(); }
    // A task woken inside a syscall retries it before its signals are
    // delivered: a wait that can now complete returns its result (the handler
    // runs after); one that must sleep again is interrupted then.
    let retry = !resumed && t.inSyscall;
    // The last budget and timer expiry on the host clock, with the host time
    // and the timers' generation they were computed at: after a lazy
    // syscall (no clock read) with no timer armed meanwhile, both would give
    // the same answer again, so they are not recomputed.
    const timers = this.timers;
    let budgetAt = NaN, budgetGen = -1, budgetRate = NaN, budget = 0;
    let expiredAt = NaN, expiredGen = -1;
    let after = hart.instretNum;
    for (;;) {
      if (!retry && hasDeliverable(t)) {
        deliverSignals(t);
        if (t.state !== TASK_RUNNING || this.current !== t) break;
      }
      retry = false;
      const before = after; // instret is the hart's (not a task's): only run() moves it
      const hostStart = hostNow; // the last read of the host clock
      if (!host || hostStart !== budgetAt || timers.gen !== budgetGen || this.hostNsPerInsn !== budgetRate) {
        budget = this.runBudget(clock.monotonicAt(hostStart));
        budgetAt = hostStart; budgetGen = timers.gen; budgetRate = this.hostNsPerInsn;
      }
      const cause = hart.run(budget);
      after = hart.instretNum;
      const ran = after - before;
      clock.setInstret(after);
      const lazy = cause === CAUSE_ECALL_U && ran < LAZY_RUN_INSNS && lazyTraps < LAZY_TRAPS && lazyInsns + ran < LAZY_STRETCH_INSNS && LAZY_SYSCALLS[hart.reg32(REG_A7)] === 1;
      let hostEnd = hostStart;
      let ns = ran * clock.nsPerInsn;
      if (!host) t.utime += ns;
      else if (lazy) { lazyTraps++; lazyInsns += ran; }
      else {
        hostEnd = performance.now();
        ns = Math.round((hostEnd - hostStart) * 1e6);
        if (lazyTraps === 0) { this.measureHostRate(ns, ran); t.utime += ns; }
        else { this.chargeStretch(t, ns, lazyInsns + ran); lazyTraps = 0; lazyInsns = 0; }
      }
      // The scheduler's clock counts retired instructions at the nominal rate in
      // both clock modes: host stalls and JIT compiles are steal time to it.
      this.rq.advance(ran * clock.nsPerInsn);
      this.checkCpuTimers(t);
      if (this.trace.trap) this.trace.trap(t, cause, hart.trapValue);
      try {
        handleTrap(this, t, cause);
      } catch (e) {
        // An oops: a kernel bug while serving this task. It dies; the kernel goes on.
        this.diag(`ghost: oops (pid ${t.pid}, trap ${cause}): ${(e as Error)?.stack ?? e}\n`);
        this.log.log(1, `Oops: pid ${t.pid} (${t.comm}) trap ${cause}: ${(e as Error)?.message ?? e}`);
        this.exitGroup(t.tg, SIGKILL, "signal");
      }
      const goesOn = this.current === t && t.state === TASK_RUNNING;
      if (!lazy || !goesOn) {
        hostNow = performance.now();
        // The handler's host time is the task's system time (on the virtual
        // clock no time passes in the kernel: it counts instructions only).
        if (host && !lazy) t.stime += Math.round((hostNow - hostEnd) * 1e6);
        else if (host) { this.chargeStretch(t, Math.round((hostNow - hostStart) * 1e6), lazyInsns); lazyTraps = 0; lazyInsns = 0; }
      }
      if (!goesOn) { t.nvcsw++; break; }
      if (!host || hostNow !== expiredAt || timers.gen !== expiredGen) {
        timers.expire(clock.monotonicAt(hostNow));
        expiredAt = hostNow; expiredGen = timers.gen;
      }
      if (this.rq.tick(t, ns) || this.needResched) { this.needResched = false; t.nivcsw++; break; }
      if (this.halted) break;
      if (hostNow >= hostDeadline) { hostTurn = true; break; }
    }
    if (lazyTraps !== 0) {
      const end = performance.now();
      if (host) this.chargeStretch(t, Math.round((end - hostNow) * 1e6), lazyInsns);
      hostNow = end;
    }
    this.sliceEnd = hostNow;
    this.saveCurrent();
    return hostTurn;
  }

  // Host time `ns` that runs retiring `insns` instructions and the handlers
  // of their traps took, unmeasured one by one (LAZY_TRAPS): the runs are
  // user time at the measured rate, the rest system time.
  private chargeStretch(t: Task, ns: number, insns: number): void {
    const user = Math.min(ns, Math.round(insns * (this.hostNsPerInsn || this.clock.nsPerInsn)));
    t.utime += user;
    t.stime += ns - user;
  }

  // Instructions the hart may run before the kernel looks at the timers.
  // On the host clock, at least HOST_MIN_BUDGET: counted at the measured rate,
  // a run ends just short of the next timer, and the runs left until the timer
  // is due shrink to a few instructions each — runs that cost their entry and
  // nothing else (well under a microsecond of guest time), and that split
  // LR/SC pairs (every run starts without a reservation, as Linux's trap
  // return clears it) far more often than the tick ever does.
  private runBudget(now: number): number {
    const n = this.timers.budget(this.tickBudget, this.hostNsPerInsn || this.clock.nsPerInsn, now);
    return this.clock.mode === "host" ? Math.max(n, Math.min(HOST_MIN_BUDGET, this.tickBudget)) : n;
  }

  // Folds a run of the hart into hostNsPerInsn once runs adding up to
  // HOST_RATE_MIN_INSNS were seen. Runs are summed, not each required to be
  // that long: before the first measurement the budget is counted at the
  // nominal rate (often 50-100 times too slow for the JIT), which keeps every
  // run below HOST_RATE_MIN_INSNS when a timer is due each millisecond, so
  // nothing was ever measured and a CPU-bound task entered the hart every
  // ~1,000 instructions (CoreMark: 3 million runs, a quarter of the CPU time
  // in this loop). Runs under HOST_RATE_SAMPLE_INSNS are left out: their time
  // is mostly the cost of entering the hart, and counting it would make the
  // rate look slow, the budgets shorter, and the next runs shorter still.
  private measureHostRate(ns: number, ran: number): void {
    if (ran < HOST_RATE_SAMPLE_INSNS) return;
    this.rateNs += ns;
    this.rateInsns += ran;
    if (this.rateInsns < HOST_RATE_MIN_INSNS) return;
    const r = this.rateNs / this.rateInsns;
    this.hostNsPerInsn = this.hostNsPerInsn ? (3 * this.hostNsPerInsn + r) / 4 : r;
    this.rateNs = 0;
    this.rateInsns = 0;
  }

  private checkCpuTimers(t: Task): void {
    // RLIMIT_CPU: SIGXCPU at the soft limit and every second past it; SIGKILL at the hard limit.
    // Indexed, not destructured: this runs at every trap, and array
    // destructuring goes through the iterator protocol.
    const lim = t.tg.rlimits[RLIMIT_CPU];
    const soft = lim[0], hard = lim[1];
    if (soft >= 0 || hard >= 0) {
      const cpu = processCpuTime(t.tg) / 1e9;
      if (hard >= 0 && cpu >= hard) this.exitGroup(t.tg, SIGKILL, "signal");
      else if (soft >= 0 && cpu >= soft && cpu >= (t.tg.nextXcpu ?? soft)) {
        t.tg.nextXcpu = Math.floor(cpu) + 1;
        sendSignal(t.tg, { signo: SIGXCPU, code: SI_KERNEL }, false);
      }
    }
    const it = t.tg.itimers;
    if (it) { it.virt.checkCpu(); it.prof.checkCpu(); }
    if (t.tg.posixTimers.size !== 0) for (const pt of t.tg.posixTimers.values()) pt.timer.checkCpu();
  }

  // Ends one thread. Last thread out makes the group a zombie.
  exitTask(t: Task, code: number): void { exit.exitTask(this, t, code); }
  // Kills every thread of a group: exit_group(code) or death by signal.
  exitGroup(tg: ThreadGroup, sigOrCode: number, how: "exit" | "signal" | "core", info?: { code: number; addr?: number }): void { exit.exitGroup(this, tg, sigOrCode, how, info); }
  // A vfork child that execs or exits lets its parent go on.
  releaseVfork(t: Task): void { exit.releaseVfork(this, t); }
  // Removes a reaped zombie from the tables.
  release(tg: ThreadGroup): void { exit.release(this, tg); }

  // Forgets a parked syscall's state (and undoes what it queued).
  dropRestart(t: Task): void {
    if (t.onRestartDrop) { const f = t.onRestartDrop; t.onRestartDrop = null; f(); }
    t.restart = null;
    t.pendingRemaining = null;
    t.partialResult = null;
    t.inSyscall = false;
    if (t.ptrace) ptraceSyscallDone(t);
  }

  stopGroup(tg: ThreadGroup, sig: number): void {
    if (tg.stopped) return;
    tg.stopped = true;
    tg.exitStatus = (sig << 8) | 0x7f;
    for (const th of tg.threads) {
      if (th.state === TASK_DEAD) continue;
      th.clearWaits();
      this.rq.dequeue(th);
      th.state = TASK_STOPPED;
    }
    tg.stopReport = sig;
    const parent = tg.parent;
    if (parent) {
      parent.childWait.wakeAll();
      if (!this.noCldStop(parent)) sendSignal(parent, { signo: SIGCHLD, code: CLD_STOPPED, pid: tg.pid, uid: 0, status: sig }, false);
    }
  }

  continueGroup(tg: ThreadGroup): void {
    if (!tg.stopped) return;
    tg.stopped = false;
    tg.contReport = true;
    for (const th of tg.threads) {
      if (th.state === TASK_STOPPED && ptraceMayContinue(th)) { th.state = TASK_INTERRUPTIBLE; this.wakeTask(th); }
    }
    const parent = tg.parent;
    if (parent) {
      parent.childWait.wakeAll();
      if (!this.noCldStop(parent)) sendSignal(parent, { signo: SIGCHLD, code: CLD_CONTINUED, pid: tg.pid, uid: 0, status: SIGCONT }, false);
    }
  }

  // SA_NOCLDSTOP on the parent's SIGCHLD: no signal for a child's stop or continue.
  private noCldStop(parent: ThreadGroup): boolean {
    const lead = [...parent.threads][0];
    return !!lead && (lead.sighand.actions[SIGCHLD].flags & SA_NOCLDSTOP) !== 0;
  }

  // Ends the whole kernel (reboot(2), or the host asked).
  halt(status: number): void {
    if (!this.halted) for (const h of this.haltHooks.splice(0)) h();
    this.exitStatus = status;
    this.halted = true;
    for (const tg of [...this.groups.values()]) if (!tg.zombie) this.exitGroup(tg, SIGKILL, "signal");
  }
}
