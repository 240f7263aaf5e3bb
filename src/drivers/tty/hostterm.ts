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

// What the `ghost` command's shell lines left for `ghost boot` on a terminal
// (scripts/build.mjs): the terminal's settings as `stty -g` printed them and
// the pid of a guardian that restores them when Node's pid ends. Taken once:
// a reboot's console starts its own guardian.
interface LauncherGuard { saved: string; pid: number }
let launcherGuard: LauncherGuard | null = takeLauncherGuard();

function takeLauncherGuard(): LauncherGuard | null {
  const saved = process.env.GHOST_TTY_SAVED, pid = Number(process.env.GHOST_TTY_GUARD);
  delete process.env.GHOST_TTY_SAVED;
  delete process.env.GHOST_TTY_GUARD;
  if (!saved || !/^[0-9a-fA-F]+(:[0-9a-fA-F]+){4,}$/.test(saved) || !Number.isInteger(pid) || pid <= 1) return null;
  return { saved, pid };
}

// Output flags (termios c_oflag, Linux's values): the host's output processing.
const OPOST = 0x1, ONLCR = 0x4;

// The guardian the shell lines started, if it is still a live child of this
// process (not a zombie: no tail --pid, say; a pid whose process is gone may
// have been reused).
function isOurChild(pid: number): boolean {
  try {
    const stat = nodefs.readFileSync(`/proc/${pid}/stat`, "latin1");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return state !== "Z" && Number(ppid) === process.pid;
  } catch { return false; }
}

// Bytes with every CR LF made a bare LF, for a terminal whose output
// processing (ONLCR) makes each LF a CR LF again; null if some LF has no CR
// before it (a program that turned its own ONLCR off), which that terminal
// cannot show as it is.
function undoOnlcr(b: Uint8Array): Uint8Array | null {
  let i = b.indexOf(10);
  if (i < 0) return b;
  const out = new Uint8Array(b.length);
  let n = 0, from = 0;
  for (; i >= 0; i = b.indexOf(10, i + 1)) {
    if (i === 0 || b[i - 1] !== 13) return null;
    out.set(b.subarray(from, i - 1), n);
    n += i - 1 - from;
    from = i;
  }
  out.set(b.subarray(from), n);
  return out.subarray(0, n + b.length - from);
}
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
  // The host's raw mode still has output processing on (ONLCR only, the
  // settings said): write() undoes the guest's CR LF until a bare LF needs
  // `stty -opost` (a process start, so not at every boot).
  private hostOnlcr = false;
  private launcher: LauncherGuard | null = null;

  constructor(private readonly inFd = 0, private readonly outFd = 1) {
    this.isTty = isatty(inFd);
  }

  passThrough(k: Kernel): [Inode, Inode, Inode] { return [new HostStdioInode(0, k), new HostStdioInode(1, k), new HostStdioInode(2, k)]; }

  write(bytes: Uint8Array): void {
    if (this.hostOnlcr) {
      const plain = undoOnlcr(bytes);
      if (plain) bytes = plain;
      else if (spawnSync("stty", ["-opost"], { stdio: [this.inFd, "ignore", "ignore"] }).status === 0) this.hostOnlcr = false;
      else bytes = bytes.filter((c, i) => c !== 13 || bytes[i + 1] !== 10); // no stty: each LF shows as CR LF
    }
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
    // Node asked the terminal already (TIOCGWINSZ); 0 x 0 is an answer too
    // (a pty nobody sized, as script(1)'s when its input is a pipe) and is
    // what stty would print — not a reason to start stty at every boot.
    if (out.isTTY && typeof out.rows === "number" && typeof out.columns === "number") return { rows: out.rows, cols: out.columns };
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
      const lg = launcherGuard;
      launcherGuard = null;
      const oflag = lg ? parseInt(lg.saved.split(":")[1], 16) : NaN;
      if (lg && (oflag & ~ONLCR) === OPOST && isOurChild(lg.pid)) {
        // A guardian is there already (the command's shell lines): raw mode
        // now, before the guest's first output (its shell asks the terminal
        // for the cursor's position at the prompt: cooked, the terminal's
        // answer would be echoed on the screen).
        this.launcher = lg;
        stdin.setRawMode(true);
        this.hostOnlcr = true;
      } else {
        // Raw mode once the guardian has saved the settings it would restore
        // (asynchronous: a blocking `stty -g` here held up every boot by a
        // process start; the guest's first output is later than that).
        this.startGuardian(() => {
          if (!this.attached) return;
          stdin.setRawMode(true);
          // libuv's raw mode keeps output processing (ONLCR); the guest does its
          // own. The guardian turns it off when told (a line on its stdin): a
          // process start costs the event loop a fork of all of Node.
          if (this.guardian?.stdin) this.guardian.stdin.write("\n");
          else spawn("stty", ["-opost"], { stdio: [this.inFd, "ignore", "ignore"] }).on("error", () => { /* no stty */ }).unref();
        });
      }
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
    this.hostOnlcr = false;
    this.guardian?.kill();
    this.guardian = null;
    // The shell lines' guardian has nothing left to do (and restoring later
    // would undo what the next program sets).
    if (this.launcher && isOurChild(this.launcher.pid)) { try { process.kill(this.launcher.pid, "SIGTERM"); } catch { /* gone */ } }
    this.launcher = null;
    stdin.pause();
  }

  // A way out no handler sees (SIGKILL, an abort in Node itself) would leave
  // the terminal raw. So a small host shell holds the read end of a pipe from
  // Ghost and the terminal as fd 3; when the pipe ends without Ghost having
  // given the terminal back (Ghost died), it restores the saved settings.
  // The guardian saves the settings itself (`stty -g`) and prints them;
  // then() runs when it has (or when there is no guardian: no sh, no stty,
  // a terminal stty does not know), before raw mode is set. Its first line
  // of input asks for `stty -opost` (after raw mode); the end of its input,
  // with or without that line, restores the saved settings.
  private guardian: ChildProcess | null = null;
  private startGuardian(then: () => void): void {
    let done = false;
    const go = () => { if (!done) { done = true; then(); } };
    try {
      const g = spawn("sh", ["-c", 's=$(stty -g <&3) || exit 1; echo "$s"; read _ && stty -opost <&3; read _ ; stty "$s" <&3'],
        { stdio: ["pipe", "pipe", "ignore", this.inFd] });
      g.stdin?.on("error", () => { /* the guardian is gone: nothing to tell */ });
      let said = "";
      g.stdout?.on("data", (b: Buffer) => {
        said += b.toString("latin1");
        if (!said.includes("\n")) return;
        if (!/^[0-9a-fA-F:]+\n/.test(said)) { g.kill(); this.guardian = null; } // not a terminal stty knows
        g.stdout?.destroy();
        go();
      });
      g.on("error", go); // no sh: nothing guards
      g.on("exit", () => { if (this.guardian === g) this.guardian = null; go(); });
      g.unref();
      (g.stdin as unknown as { unref?(): void } | null)?.unref?.();
      (g.stdout as unknown as { unref?(): void } | null)?.unref?.();
      this.guardian = g;
    } catch { go(); /* nothing guards */ }
  }
}

function isatty(fd: number): boolean {
  try { return nodetty.isatty(fd); } catch { return false; }
}
