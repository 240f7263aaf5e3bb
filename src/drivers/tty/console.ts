// The system console: /dev/console, /dev/tty0 and /dev/tty1, on a backend
// that is the host's terminal (raw mode, its size, its resizes) or, for
// tests and benchmarks, an in-memory terminal. The bytes typed reach the
// N_TTY line discipline; what programs write goes out through its output
// processing.
//
// The host terminal is put in raw mode with output processing off (the
// guest's line discipline does both), and restored on every way out of the
// process: normal exit, a fatal signal, an uncaught exception.

import * as nodefs from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as nodetty from "node:tty";
import { kerr } from "../../lib/errors.js";
import { EIO } from "../../abi/errno.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { IoctlContext } from "../../fs/file.js";
import { makedev } from "../../fs/char_dev.js";
import { Tty, VT_GETSTATE, type TtyDriver } from "./tty.js";

export interface ConsoleBackend {
  readonly isTty: boolean;
  write(bytes: Uint8Array): void;
  size(): { rows: number; cols: number };
  // Starts delivering input, resizes and the end of input.
  attach(events: { input(b: Uint8Array): void; resize(): void; end(): void }): void;
  // Stops and gives the terminal back as it was.
  detach(): void;
}

// ---------------------------------------------------------------- the host terminal

const restorers = new Set<() => void>();
let hooksInstalled = false;

function restoreAll(): void { for (const r of [...restorers]) { try { r(); } catch { /* going away anyway */ } } }

// Restores the terminal on exit, on fatal signals and on uncaught exceptions.
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", restoreAll);
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"] as const) {
    process.on(sig, () => {
      restoreAll();
      const n = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 }[sig];
      process.exit(128 + n);
    });
  }
  process.on("uncaughtException", (e) => {
    restoreAll();
    process.stderr.write(`ghost: ${(e as Error)?.stack ?? e}\n`);
    process.exit(70);
  });
}

export class HostTerminal implements ConsoleBackend {
  readonly isTty: boolean;
  private attached = false;
  private onData: ((b: Buffer) => void) | null = null;
  private onResize: (() => void) | null = null;
  private onEnd: (() => void) | null = null;
  private readonly restore = () => this.detach();

  constructor(private readonly inFd = 0, private readonly outFd = 1) {
    this.isTty = isatty(inFd);
  }

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      try {
        off += nodefs.writeSync(this.outFd, bytes, off, bytes.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") continue;
        kerr(EIO);
      }
    }
  }

  size(): { rows: number; cols: number } {
    const out = process.stdout as Partial<nodetty.WriteStream>;
    if (out.isTTY && out.rows && out.columns) return { rows: out.rows, cols: out.columns };
    const r = spawnSync("stty", ["size"], { stdio: [this.inFd, "pipe", "ignore"] });
    const m = /^(\d+) (\d+)/.exec(r.stdout?.toString() ?? "");
    return m ? { rows: Number(m[1]), cols: Number(m[2]) } : { rows: 24, cols: 80 };
  }

  attach(events: { input(b: Uint8Array): void; resize(): void; end(): void }): void {
    if (this.attached) return;
    this.attached = true;
    const stdin = process.stdin as nodetty.ReadStream;
    if (this.isTty) {
      installExitHooks();
      restorers.add(this.restore);
      this.startGuardian();
      stdin.setRawMode(true);
      // libuv's raw mode keeps output processing (ONLCR); the guest does its own.
      // (Asynchronous: the first output is far later than stty takes.)
      spawn("stty", ["-opost"], { stdio: [this.inFd, "ignore", "ignore"] }).on("error", () => { /* no stty */ }).unref();
    }
    this.onData = (b: Buffer) => events.input(new Uint8Array(b.buffer, b.byteOffset, b.length));
    this.onEnd = () => events.end();
    this.onResize = () => events.resize();
    stdin.on("data", this.onData);
    stdin.on("end", this.onEnd);
    process.stdout.on("resize", this.onResize);
    stdin.resume();
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    restorers.delete(this.restore);
    const stdin = process.stdin as nodetty.ReadStream;
    if (this.onData) stdin.off("data", this.onData);
    if (this.onEnd) stdin.off("end", this.onEnd);
    if (this.onResize) process.stdout.off("resize", this.onResize);
    // Back to the settings the terminal had before raw mode (output processing included).
    if (this.isTty) { try { stdin.setRawMode(false); } catch { /* the terminal is gone */ } }
    this.guardian?.kill();
    this.guardian = null;
    stdin.pause();
  }

  // A way out no handler sees (SIGKILL, an abort in Node itself) would leave
  // the terminal raw. So a small host shell holds the read end of a pipe from
  // Ghost and the terminal as fd 3; when the pipe ends without Ghost having
  // given the terminal back (Ghost died), it restores the saved settings.
  private guardian: ChildProcess | null = null;
  private startGuardian(): void {
    const saved = spawnSync("stty", ["-g"], { stdio: [this.inFd, "pipe", "ignore"] }).stdout?.toString().trim() ?? "";
    if (!/^[0-9a-fA-F:]+$/.test(saved)) return; // no stty, or not a terminal it knows
    try {
      const g = spawn("sh", ["-c", 'read _ ; stty "$0" <&3', saved], { stdio: ["pipe", "ignore", "ignore", this.inFd] });
      g.on("error", () => { /* no sh: nothing guards */ });
      g.unref();
      (g.stdin as unknown as { unref?(): void } | null)?.unref?.();
      this.guardian = g;
    } catch { /* nothing guards */ }
  }
}

function isatty(fd: number): boolean {
  try { return nodetty.isatty(fd); } catch { return false; }
}

// ---------------------------------------------------------------- an in-memory terminal

// A terminal a test or a benchmark drives: type() sends keys, output holds the screen's bytes.
export class MemoryTerminal implements ConsoleBackend {
  readonly isTty = true;
  readonly chunks: Uint8Array[] = [];
  rows: number;
  cols: number;
  private events: { input(b: Uint8Array): void; resize(): void; end(): void } | null = null;
  // Called after each write (a benchmark watches for the prompt).
  onWrite: ((text: string) => void) | null = null;

  constructor(rows = 24, cols = 80) { this.rows = rows; this.cols = cols; }

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.onWrite?.(Buffer.from(bytes).toString("latin1"));
  }
  size(): { rows: number; cols: number } { return { rows: this.rows, cols: this.cols }; }
  attach(events: { input(b: Uint8Array): void; resize(): void; end(): void }): void { this.events = events; }
  detach(): void { this.events = null; }

  type(s: string | Uint8Array): void { this.events?.input(typeof s === "string" ? Buffer.from(s, "latin1") : s); }
  resize(rows: number, cols: number): void { this.rows = rows; this.cols = cols; this.events?.resize(); }
  end(): void { this.events?.end(); }
  get text(): string { return Buffer.concat(this.chunks).toString("latin1"); }
}

// ---------------------------------------------------------------- the console device

export const CONSOLE_DEV = makedev(5, 1);
export const TTY1_DEV = makedev(4, 1);

export class Console implements TtyDriver {
  readonly tty: Tty;
  readonly hangupOnLeaderExit = true;
  // Typed input waiting for room in the tty.
  private backlog: Uint8Array[] = [];

  constructor(readonly k: Kernel, readonly backend: ConsoleBackend) {
    this.tty = new Tty(k, "tty1", TTY1_DEV, this);
    const { rows, cols } = backend.size();
    this.tty.winsize = { row: rows, col: cols, xpixel: 0, ypixel: 0 };
  }

  start(): void {
    this.k.hostWaiters++;
    this.backend.attach({
      input: (b) => { this.backlog.push(b.slice()); this.pump(); },
      resize: () => {
        const { rows, cols } = this.backend.size();
        this.tty.setWinsize({ ...this.tty.winsize, row: rows, col: cols });
        this.k.kick();
      },
      end: () => { this.tty.hangup(); this.k.kick(); },
    });
  }

  stop(): void {
    this.backend.detach();
    this.k.hostWaiters = Math.max(0, this.k.hostWaiters - 1);
  }

  private pump(): void {
    while (this.backlog.length) {
      const b = this.backlog[0];
      const n = this.tty.input(b);
      if (n < b.length) { this.backlog[0] = b.subarray(n); break; }
      this.backlog.shift();
    }
    this.k.kick();
  }

  output(bytes: number[]): void { this.backend.write(Uint8Array.from(bytes)); }
  writeRoom(): number { return Infinity; }
  flushOutput(): void { /* the host took it already */ }
  inputDrained(): void { if (this.backlog.length) queueMicrotask(() => this.pump()); }

  // VT_GETSTATE: the console is virtual terminal 1 (so cttyhack finds /dev/tty1).
  extraIoctl(cmd: number, arg: number, ctx: IoctlContext): number | null {
    if (cmd !== VT_GETSTATE) return null;
    const b = new Uint8Array(6);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, 1, true); // v_active
    dv.setUint16(2, 0, true); // v_signal
    dv.setUint16(4, 0b10, true); // v_state: tty1 in use
    ctx.copyOut(arg, b);
    return 0;
  }
}
