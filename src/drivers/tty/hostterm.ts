// The host's terminal as the console's backend (Node only): raw mode with
// output processing off (the guest's line discipline does both), its size
// and its resizes, restored on every way out of the process: normal exit, a
// fatal signal, an uncaught exception. When the host's stdin is not a
// terminal, /dev/console passes the host's stdio through.

import * as nodefs from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as nodetty from "node:tty";
import { kerr } from "../../lib/errors.js";
import { EIO } from "../../abi/errno.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Inode } from "../../fs/inode.js";
import { HostStdioInode } from "../hoststdio.js";
import type { ConsoleBackend } from "./console.js";

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

  passThrough(k: Kernel): [Inode, Inode, Inode] { return [new HostStdioInode(0, k), new HostStdioInode(1, k), new HostStdioInode(2, k)]; }

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
