// A Ghost machine as a library sees it: one kernel with its memory, clock,
// root filesystem and first process, its standard streams or its console
// terminal, its exit as a promise, and its events. Machines share nothing
// (each is a Kernel of its own: ARCHITECTURE.md, per-kernel state), so any
// number run side by side in one host process. A machine never writes to the
// host's stdout or stderr and never ends the host process: its output, its
// diagnostics and its kernel log go where the embedder says.

import { bootProgram, bootSystem, shutdownFilesystems, type BootHost, type HostMount, type MemoryFile } from "../boot/core.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import type { ClockMode } from "../kernel/time/clock.js";
import type { SchedPolicyName } from "../kernel/sched/core.js";
import { signalFromHost } from "../kernel/signal.js";
import { SIGNAL_NAMES, signalName } from "../abi/signal.js";
import { StreamInputInode, StreamOutputInode } from "../drivers/streamstdio.js";
import { ttySystem, type ConsoleBackend } from "../drivers/tty/index.js";
import { rebootState } from "../syscalls/sys_system.js";
import * as files from "./files.js";
import { Terminal } from "./terminal.js";

export type { MemoryFile, HostMount, BootHost };

export interface MachineOptions {
  // Guest physical memory: bytes, or "512M", "1G" (default 512M).
  memory?: number | string;
  // Guest time follows the host's ("host", default) or retired instructions ("virtual": reproducible runs).
  clock?: ClockMode;
  // The fair scheduler: EEVDF with BORE ("bore", default) or plain "eevdf".
  sched?: SchedPolicyName;
  // The root filesystem: Ghost's default (busybox) when absent; a host
  // directory or cpio (newc) archive by path; or a cpio archive in memory.
  root?: string | Uint8Array;
  // Files added to the root from memory: guest path → contents (a string is
  // UTF-8), or a full description (mode, directory, symbolic link).
  files?: Record<string, string | Uint8Array | Omit<MemoryFile, "path">>;
  // Host directories mounted in the guest (hostfs; a sandbox: nothing outside them is reachable).
  mounts?: { host: string; guest: string; readOnly?: boolean }[];
  // Host files attached as disks (/dev/vda, /dev/vdb, …; a Node host only).
  disks?: { path: string; readOnly?: boolean }[];
  // The first process's environment: NAME → value, or "NAME=value" strings.
  env?: Record<string, string> | string[];
  // The network, as `ghost run --net` (Node only: the library's run, boot
  // and exec attach it; in a browser the page's ?relay= gives eth0):
  // "none" (default here: lo only) or "user", eth0 (10.0.2.15/24) behind
  // Ghost's user-mode NAT, the gateway 10.0.2.2 being the host's loopback;
  // or its settings: `forwards` as -p ("[ADDR:]HOSTPORT:GUESTPORT[/udp]"),
  // `lossPct` and `delayMs` as --net-loss and --net-delay.
  net?: "none" | "user" | { forwards?: string[]; lossPct?: number; delayMs?: number };
  // Where diagnostics go (an oops, the OOM killer): also the "diag" event.
  onDiag?: (text: string) => void;
}

export interface RunOptions extends MachineOptions {
  // The program's working directory in the guest (default "/"). With
  // hostCwd, a host directory mounted at its own path is the working
  // directory instead (as `ghost run` does with the current directory).
  cwd?: string;
  hostCwd?: string;
  // "pipe" (default): machine.stdin, stdout and stderr are streams the
  // embedder reads and writes (and the onStdout/onStderr callbacks).
  // "inherit": the host process's own fds 0, 1 and 2, as `ghost run` does.
  stdio?: "pipe" | "inherit";
  onStdout?: (data: Uint8Array) => void;
  onStderr?: (data: Uint8Array) => void;
  // Bytes the program reads on stdin; its stdin then ends. Without it, write
  // to machine.stdin and call machine.stdin.end().
  input?: string | Uint8Array;
}

export interface BootOptions extends MachineOptions {
  // The first program (default /sbin/init).
  init?: string;
  // Run this one shell command on the console, then power off (`ghost boot -c`).
  command?: string;
  // The console terminal's size (default 24×80) and TERM (default "linux").
  rows?: number;
  cols?: number;
  term?: string;
  // Another console backend (the `ghost` command's host terminal); then machine.terminal is null.
  console?: ConsoleBackend;
}

// How the machine ended.
export interface ExitResult {
  // As a shell reports it: the exit code, or 128 + the signal that killed the main program.
  status: number;
  code: number | null; // the exit code when the main program exited
  signal: string | null; // the signal's name when one killed it ("SIGKILL")
  // A booted system's way down: "poweroff", "halt", "restart" (reboot), or null.
  shutdown: "poweroff" | "halt" | "restart" | null;
}

export interface ProcessEvent { pid: number; ppid: number; command: string }
export interface ProcessExitEvent extends ProcessEvent { code: number | null; signal: string | null }
// A kernel log record as dmesg shows it ("<6>[    0.000000] text"), without its newline.
export interface LogEvent { level: number; line: string }

// The machine starts going down (reboot(2) from the guest, or powerOff()):
// every process and file is still there, and the handler may read the
// guest's files (readFile, readdir…) for the last time; it runs before any
// process is killed, and `exited` resolves later.
export interface ShutdownEvent { action: "poweroff" | "halt" | "restart" }

interface MachineEvents {
  shutdown: (e: ShutdownEvent) => void;
  spawn: (e: ProcessEvent) => void;
  exit: (e: ProcessExitEvent) => void;
  log: (e: LogEvent) => void;
  diag: (text: string) => void;
}

// A small typed emitter (no host module: the same code serves the browser).
class Emitter {
  private readonly handlers = new Map<string, Set<(arg: never) => void>>();
  on<E extends keyof MachineEvents>(event: E, fn: MachineEvents[E]): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn as (arg: never) => void);
    return this;
  }
  off<E extends keyof MachineEvents>(event: E, fn: MachineEvents[E]): this {
    this.handlers.get(event)?.delete(fn as (arg: never) => void);
    return this;
  }
  protected emit<E extends keyof MachineEvents>(event: E, arg: Parameters<MachineEvents[E]>[0]): void {
    for (const fn of [...(this.handlers.get(event) ?? [])]) (fn as (a: typeof arg) => void)(arg);
  }
}

export function parseSize(s: string | number): number {
  if (typeof s === "number") return s;
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size: ${s}`);
  return Number(m[1]) * ({ "": 1, K: 1024, M: 1 << 20, G: 1 << 30 } as Record<string, number>)[m[2].toUpperCase()];
}

function envList(env: MachineOptions["env"]): string[] {
  if (!env) return [];
  return Array.isArray(env) ? [...env] : Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

function memoryFiles(f: MachineOptions["files"]): MemoryFile[] {
  return Object.entries(f ?? {}).map(([path, v]) =>
    typeof v === "string" ? { path, data: new TextEncoder().encode(v) }
      : v instanceof Uint8Array ? { path, data: v }
        : { ...v, path });
}

function rootConfig(o: MachineOptions): { rootfs?: string; rootImage?: Uint8Array; files: MemoryFile[]; disks: { path: string; readOnly: boolean }[] } {
  return {
    disks: (o.disks ?? []).map((d) => ({ path: d.path, readOnly: !!d.readOnly })),
    rootfs: typeof o.root === "string" ? o.root : undefined,
    rootImage: o.root instanceof Uint8Array ? o.root : undefined,
    files: memoryFiles(o.files),
  };
}

function signalNumber(sig: string | number): number {
  if (typeof sig === "number") return sig;
  const n = SIGNAL_NAMES.indexOf(sig.startsWith("SIG") ? sig : `SIG${sig}`);
  if (n <= 0) throw new Error(`unknown signal ${sig}`);
  return n;
}

// Events from the kernel; those of the build (the first process, the boot
// log) wait until the machine starts, when the caller's listeners are on.
class Hooks {
  queued: (() => void)[] | null = [];
  post(fn: () => void): void { if (this.queued) this.queued.push(fn); else fn(); }
  flush(): void { const q = this.queued ?? []; this.queued = null; for (const fn of q) fn(); }
}

// The host's side of a program's stdin, through a reference dropped when
// the machine ends: the input inode holds the kernel, which an embedder
// keeping the ended machine must not keep. Made here, not in the Machine's
// constructor, whose closures share one context with the kernel in it.
function hostInput(stdin: StreamInputInode | null): { stdio: Machine["stdio"]; drop: () => void } {
  let input = stdin;
  const stdio = stdin ? {
    write: (d: string | Uint8Array) => input?.push(typeof d === "string" ? new TextEncoder().encode(d) : d),
    end: () => input?.end(),
  } : null;
  return { stdio, drop: () => { input = null; } };
}

type Build = (m: Machine) => { k: Kernel; terminal: Terminal | null; stdin: StreamInputInode | null };

export class Machine extends Emitter {
  // The kernel (for tools built on the library: tracing, the `ghost` command).
  // Null once the machine has ended and let its memory go.
  kernel: Kernel | null;
  // The main program's pid.
  readonly pid: number;
  // Resolves when the machine has ended (never rejects).
  readonly exited: Promise<ExitResult>;
  // The console terminal of a booted machine (null for a program run, or with a console backend).
  readonly terminal: Terminal | null;
  // Pipe-mode standard streams of a program run: the host's side.
  readonly stdio: { write(data: string | Uint8Array): void; end(): void } | null;
  private readonly hooks = new Hooks();
  private result: ExitResult | null = null;
  private instret = 0;
  // powerOff(status): the status the machine ends with.
  private poweredOff: number | null = null;
  private readonly dropInput: () => void;

  // Use runProgram() or bootMachine().
  constructor(make: Build) {
    super();
    const { k, terminal, stdin } = make(this);
    this.kernel = k;
    this.terminal = terminal;
    const input = hostInput(stdin);
    this.stdio = input.stdio;
    this.dropInput = input.drop;
    this.pid = k.mainGroup?.pid ?? 0;
    k.haltHooks.push(() => {
      try { this.fire("shutdown", { action: rebootState(k).action ?? "poweroff" }); } catch { /* the embedder's error is not the guest's */ }
    });
    // Starts once the caller's synchronous code has attached its listeners.
    this.exited = Promise.resolve().then(() => this.start(k));
  }

  private async start(k: Kernel): Promise<ExitResult> {
    this.hooks.flush();
    let status: number;
    try {
      status = await k.run();
      // Every filesystem shut down as umount would (an ext4 image left clean).
      shutdownFilesystems(k);
    } finally {
      ttySystem(k)?.shutdown();
    }
    const raw = k.mainGroup?.exitStatus ?? 0;
    const shutdown = rebootState(k).action;
    const sig = raw & 0x7f;
    this.result = {
      status: this.poweredOff ?? status,
      code: sig ? null : (raw >> 8) & 0xff,
      signal: sig && sig !== 0x7f ? signalName(sig) ?? `signal ${sig}` : null,
      shutdown: shutdown ?? (this.poweredOff !== null ? "poweroff" : null),
    };
    this.instret = Number(k.hart.instret);
    this.terminal?.closed();
    // Nothing of the kernel stays reachable from the machine once it ended.
    this.dropInput();
    this.kernel = null;
    return this.result;
  }

  /** @internal The host side of events. */
  fire<E extends keyof MachineEvents>(event: E, arg: Parameters<MachineEvents[E]>[0]): void {
    this.hooks.post(() => this.emit(event, arg));
  }

  get running(): boolean { return this.kernel !== null && !this.kernel.halted; }

  // Instructions the guest retired so far.
  get instructions(): number { return this.kernel ? Number(this.kernel.hart.instret) : this.instret; }

  // Sends a signal as from outside the guest: SIGINT, SIGQUIT and SIGWINCH
  // (a terminal's) go to the main program's process group, any other to the
  // main program (default SIGKILL: the machine ends with it).
  kill(signal: string | number = "SIGKILL"): void {
    const k = this.kernel;
    if (!k || k.halted) return;
    signalFromHost(k, signalNumber(signal));
    k.kick();
  }

  // Stops the machine at once, as pulling the plug: every process dies (by
  // SIGKILL, which `signal` reports) and the machine ends with `status`.
  powerOff(status = 0): void {
    const k = this.kernel;
    if (!k || k.halted) return;
    this.poweredOff = status;
    k.halt(status);
    k.kick();
  }

  // The guest's files from the host, while the machine runs (files.ts).
  readFile(path: string): Uint8Array { return files.readFile(this.live(), path); }
  readText(path: string): string { return new TextDecoder().decode(this.readFile(path)); }
  writeFile(path: string, data: string | Uint8Array, opts?: files.WriteOptions): void {
    files.writeFile(this.live(), path, typeof data === "string" ? new TextEncoder().encode(data) : data, opts);
    this.kernel?.kick();
  }
  readdir(path: string): string[] { return files.readdir(this.live(), path); }
  stat(path: string): files.GuestStat { return files.stat(this.live(), path); }
  mkdir(path: string, opts?: files.MkdirOptions): void { files.mkdir(this.live(), path, opts); this.kernel?.kick(); }
  rmdir(path: string): void { files.rmdir(this.live(), path); this.kernel?.kick(); }
  unlink(path: string): void { files.unlink(this.live(), path); this.kernel?.kick(); }
  rename(from: string, to: string): void { files.rename(this.live(), from, to); this.kernel?.kick(); }
  symlink(target: string, path: string): void { files.symlink(this.live(), target, path); this.kernel?.kick(); }
  readlink(path: string): string { return files.readlink(this.live(), path); }

  private live(): Kernel {
    if (!this.kernel || this.kernel.halted) throw new Error("the machine is not running");
    return this.kernel;
  }
}

// The kernel hooks that turn into a machine's events. A new process is
// reported once its creator's turn is over (a microtask later), so that the
// command it shows is the one it runs (fork copies the name, exec sets it).
function eventHooks(m: Machine, o: MachineOptions) {
  return {
    diag: (text: string) => { o.onDiag?.(text); m.fire("diag", text); },
    onLog: (level: number, line: string) => m.fire("log", { level, line: line.replace(/\n$/, "") }),
    onNewProcess: (tg: ThreadGroup) => {
      const leader = [...tg.threads][0];
      leaders.set(tg, leader);
      queueMicrotask(() => m.fire("spawn", { pid: tg.pid, ppid: tg.parent?.pid ?? 0, command: leader?.comm ?? "" }));
    },
  };
}

const leaders = new WeakMap<ThreadGroup, Task>();

function exitEvents(m: Machine, k: Kernel): void {
  k.exitHooks.push((tg) => {
    const s = tg.exitStatus;
    const sig = s & 0x7f;
    m.fire("exit", { pid: tg.pid, ppid: tg.parent?.pid ?? 0, command: leaders.get(tg)?.comm ?? "",
      code: sig ? null : (s >> 8) & 0xff, signal: sig ? signalName(sig) ?? null : null });
  });
}

// Runs one program (argv[0]: a path, or a name looked up in the guest's
// PATH) as pid 2 under a kernel-side init. Throws an Error with `errno`
// when the program cannot be executed (ENOENT: not found). The host gives
// what only it has (boot/core.ts: Node's in boot/boot.ts, none in a browser).
export function runProgram(argv: string[], o: RunOptions, host: BootHost): Machine {
  if (!argv.length) throw new Error("runProgram: argv is empty");
  return new Machine((m) => {
    const out = (cb: ((d: Uint8Array) => void) | undefined) => (d: Uint8Array) => cb?.(d);
    let stdin: StreamInputInode | null = null;
    const k = bootProgram({
      argv, env: envList(o.env), cwd: o.hostCwd ?? o.cwd ?? "/", noCwdMount: o.hostCwd === undefined,
      mounts: (o.mounts ?? []).map((x) => ({ host: x.host, guest: x.guest, readOnly: !!x.readOnly })),
      memoryBytes: parseSize(o.memory ?? 512 << 20), clock: o.clock ?? "host", sched: o.sched,
      ...rootConfig(o), ...eventHooks(m, o),
      stdio: (k) => {
        if (o.stdio === "inherit") {
          const own = host.stdio?.(k);
          if (!own) throw new Error("this host has no stdio to inherit");
          return own;
        }
        stdin = new StreamInputInode(k);
        return [stdin, new StreamOutputInode(out(o.onStdout), 1), new StreamOutputInode(out(o.onStderr), 2)];
      },
    }, host);
    exitEvents(m, k);
    const input: StreamInputInode | null = stdin;
    if (input && o.input !== undefined) {
      (input as StreamInputInode).push(typeof o.input === "string" ? new TextEncoder().encode(o.input) : o.input);
      (input as StreamInputInode).end();
    }
    return { k, terminal: null, stdin: input };
  });
}

// Boots the system: init as pid 1 with the console as its terminal
// (machine.terminal), until it powers off, halts or reboots.
export function bootMachine(o: BootOptions, host: BootHost): Machine {
  return new Machine((m) => {
    const terminal = o.console ? null : new Terminal(o.rows ?? 24, o.cols ?? 80);
    const k = bootSystem({
      init: o.init, command: o.command, env: envList(o.env), term: o.term,
      console: o.console ?? terminal!.backend,
      memoryBytes: parseSize(o.memory ?? 512 << 20), clock: o.clock ?? "host", sched: o.sched,
      ...rootConfig(o), ...eventHooks(m, o),
    }, host);
    exitEvents(m, k);
    return { k, terminal, stdin: null };
  });
}
