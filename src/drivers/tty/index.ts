// The tty layer of a kernel: the console (a terminal on the host's, or the
// host's stdin/stdout as plain streams when they are not a terminal), the
// character devices /dev/tty (5,0), /dev/console (5,1), /dev/ptmx (5,2),
// /dev/tty0 (4,0) and /dev/tty1 (4,1), devpts, and the job-control work a
// process exit triggers.

import { kerr } from "../../lib/errors.js";
import { ENOTTY, ENXIO } from "../../abi/errno.js";
import { POLLIN, POLLHUP, POLLOUT, POLLWRNORM } from "../../abi/poll.js";
import type { File, FileOps } from "../../fs/file.js";
import type { Inode } from "../../fs/inode.js";
import type { Kernel } from "../../kernel/kernel.js";
import { KernelLocal } from "../../kernel/local.js";
import { runningKernel } from "../../kernel/running.js";
import type { ThreadGroup } from "../../kernel/task.js";
import { registerDevNode } from "../../fs/devtmpfs.js";
import { Devpts, devptsBeside } from "./devpts.js";
import { makedev, registerChrdev } from "../../fs/char_dev.js";
import { Console, type ConsoleBackend } from "./console.js";
import { onGroupExit } from "./jobctl.js";
import { Tty } from "./tty.js";

export class TtySystem {
  // The console as a terminal, when the backend is one.
  console: Console | null = null;
  // Otherwise the host's stdin, stdout and stderr, passed through.
  hostStdio: [Inode, Inode, Inode] | null = null;
  private internal: Devpts | null = null;

  constructor(readonly k: Kernel) {}

  // The pty instance /dev/ptmx uses when no devpts is mounted beside it.
  internalDevpts(): Devpts { return (this.internal ??= new Devpts(this.k)); }

  // Opens the console for f: the terminal — /dev/tty1 may become a controlling
  // terminal; /dev/console never does and its files outlive hangups — or the
  // host's streams.
  openConsole(f: File, asTty1: boolean): FileOps {
    if (this.console) return this.console.tty.open(f, this.k.current, asTty1, !asTty1);
    if (this.hostStdio) return pipeConsoleOps(this.hostStdio, f);
    return kerr(ENXIO);
  }

  // Detaches the console from the host terminal (restoring it).
  shutdown(): void { this.console?.stop(); }
}

// /dev/console on a host that is not a terminal: reads from stdin, writes to stdout.
function pipeConsoleOps(stdio: [Inode, Inode, Inode], f: File): FileOps {
  const inOps = stdio[0].openOps(f)!;
  const outOps = stdio[1].openOps(f)!;
  return {
    stream: true,
    read: inOps.read,
    write: outOps.write,
    poll: (file) => ((inOps.poll?.(file) ?? 0) & (POLLIN | POLLHUP)) | POLLOUT | POLLWRNORM,
    waitQueue: inOps.waitQueue,
    ioctl: () => kerr(ENOTTY),
  };
}

// Each kernel's tty layer, once installTty made it.
const TTY_SYSTEM = new KernelLocal<{ sys: TtySystem | null }>("tty", () => ({ sys: null }));

export function ttySystem(k: Kernel): TtySystem | undefined { return k.local(TTY_SYSTEM).sys ?? undefined; }

// The tty layer of the kernel running the caller's syscall: a device's open
// has no task in hand (kernel/running.ts).
function active(): TtySystem | null {
  const k = runningKernel();
  return k && !k.halted ? k.local(TTY_SYSTEM).sys : null;
}

export interface TtyOptions {
  // The console's backend; without one /dev/console is ENXIO.
  console?: ConsoleBackend | null;
}

// Sets up the tty layer for a kernel. A terminal backend becomes the console
// tty (started at once: typed keys queue in its line discipline).
export function installTty(k: Kernel, opts: TtyOptions = {}): TtySystem {
  const slot = k.local(TTY_SYSTEM);
  if (slot.sys) return slot.sys;
  const sys = new TtySystem(k);
  slot.sys = sys;
  const hooks = (k as { exitHooks?: ((tg: ThreadGroup) => void)[] }).exitHooks;
  hooks?.push((tg) => onGroupExit(k, tg));
  const backend = opts.console;
  if (backend) {
    if (backend.isTty) {
      sys.console = new Console(k, backend);
      sys.console.start();
    } else {
      sys.hostStdio = backend.passThrough?.(k) ?? null;
    }
  }
  return sys;
}

function need(): TtySystem { const s = active(); if (!s) kerr(ENXIO); return s; }

// /dev/tty: the caller's controlling terminal.
registerChrdev(makedev(5, 0), (_inode, f) => {
  const sys = need();
  const t = sys.k.current;
  const ctty = t?.tg.ctty;
  if (!(ctty instanceof Tty)) return kerr(ENXIO);
  return ctty.open(f, t, false);
});
registerChrdev(makedev(5, 1), (_inode, f) => need().openConsole(f, false));
registerChrdev(makedev(4, 0), (_inode, f) => need().openConsole(f, true));
registerChrdev(makedev(4, 1), (_inode, f) => need().openConsole(f, true));
// /dev/ptmx: a new pty in the devpts instance mounted at pts/ beside it.
registerChrdev(makedev(5, 2), (_inode, f) => (devptsBeside(f) ?? need().internalDevpts()).openMaster(f));

registerDevNode("tty", 5, 0, 0o666);
registerDevNode("console", 5, 1, 0o600);
registerDevNode("ptmx", 5, 2, 0o666);
registerDevNode("tty0", 4, 0, 0o620);
registerDevNode("tty1", 4, 1, 0o620);

export { Tty } from "./tty.js";
export { Console, MemoryTerminal, type ConsoleBackend } from "./console.js";
