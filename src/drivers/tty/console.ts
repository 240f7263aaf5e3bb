// The system console: /dev/console, /dev/tty0 and /dev/tty1, on a backend
// that is the host's terminal (hostterm.ts: raw mode, its size, its
// resizes), the library's terminal (api/terminal.ts: xterm.js in a page) or,
// for tests and benchmarks, an in-memory terminal. The bytes typed reach the
// N_TTY line discipline; what programs write goes out through its output
// processing.

import type { Kernel } from "../../kernel/kernel.js";
import type { IoctlContext } from "../../fs/file.js";
import type { Inode } from "../../fs/inode.js";
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
  // A backend that is not a terminal (isTty false): the files that stand for
  // the host's stdin, stdout and stderr, which /dev/console then passes through.
  passThrough?(k: Kernel): [Inode, Inode, Inode];
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
