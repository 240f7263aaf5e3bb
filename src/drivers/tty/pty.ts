// Pseudo-terminals (pty(7)): a master, opened through /dev/ptmx, and a slave,
// /dev/pts/N in a devpts instance, with the N_TTY line discipline on the
// slave. What the master writes is the slave's input; what the slave's
// programs write (after output processing) and its echoes are the master's
// input. Master-side ioctls: TIOCGPTN, TIOCSPTLCK/TIOCGPTLCK, TIOCPKT,
// TIOCGPTPEER, TIOCSIG; settings, window size and job control act on the slave.

import { kerr } from "../../lib/errors.js";
import { EAGAIN, EIO, EINVAL } from "../../abi/errno.js";
import {
  TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT, TIOCGPTPEER, TIOCSIG, FIONREAD, TIOCOUTQ, TCFLSH,
  TCIFLUSH, TCOFLUSH, TCIOFLUSH, TIOCPKT_DATA, TIOCPKT_FLUSHREAD, TIOCPKT_FLUSHWRITE, TIOCPKT_STOP, TIOCPKT_START,
} from "../../abi/ioctl.js";
import { POLLIN, POLLOUT, POLLHUP, POLLRDNORM, POLLWRNORM } from "../../abi/poll.js";
import { O_ACCMODE, O_CLOEXEC, O_NOCTTY, O_NONBLOCK } from "../../abi/fcntl.js";
import { SIGHUP, SIGCONT, SI_KERNEL } from "../../abi/signal.js";
import { WaitQueue } from "../../lib/wait.js";
import { File, type FileOps, type IoctlContext } from "../../fs/file.js";
import { followMounts, type Path } from "../../fs/dentry.js";
import type { Inode } from "../../fs/inode.js";
import type { Kernel } from "../../kernel/kernel.js";
import { sendSignal } from "../../kernel/signal.js";
import { Tty, type TtyDriver } from "./tty.js";
import { makedev } from "../../fs/char_dev.js";
import { clearSessionCtty, signalPgrp } from "./jobctl.js";
import { nofile } from "../../kernel/task.js";

// How much slave output a master may leave unread before the slave's writers wait.
export const PTY_OUTPUT_MAX = 65536;

export const UNIX98_PTY_SLAVE_MAJOR = 136;
export const ptsDev = (index: number) => makedev(UNIX98_PTY_SLAVE_MAJOR + (index >> 8), index & 0xff);

// Where the pair lives: its devpts instance (to drop the /dev/pts entry).
export interface PtyHome {
  release(index: number): void;
  unlink(index: number): void;
}

class PtySlave extends Tty {
  constructor(k: Kernel, readonly pair: PtyPair, index: number) { super(k, `pts/${index}`, ptsDev(index), pair); }
  override released(): void { this.pair.slaveReleased(); }
}

export class PtyPair implements TtyDriver {
  readonly slave: PtySlave;
  // Slave output not yet read by the master.
  private out: Uint8Array[] = [];
  private outBytes = 0;
  readonly masterWq = new WaitQueue();
  masterOpens = 0;
  // Set when the last slave file closes; cleared by the next slave open.
  otherClosed = false;
  locked = true;
  packet = false;
  private pktStatus = 0;
  gone = false; // the master is closed
  readonly hangupOnLeaderExit = false;
  // The /dev/pts/N inode (set by devpts).
  inode: Inode | null = null;

  constructor(readonly k: Kernel, readonly index: number, private readonly home: PtyHome) {
    this.slave = new PtySlave(k, this, index);
  }

  // ---------------------------------------------------------------- the slave's device

  output(bytes: number[]): void {
    if (this.gone || !bytes.length) return;
    this.out.push(Uint8Array.from(bytes));
    this.outBytes += bytes.length;
    this.masterWq.wakeAll();
  }
  writeRoom(): number { return PTY_OUTPUT_MAX - this.outBytes; }
  // Output already handed to the master stays readable (as in Linux, where it
  // sits in the master's own read queue); packet mode reports the flush.
  flushOutput(): void { this.status(TIOCPKT_FLUSHWRITE); }
  inputFlushed(): void { this.status(TIOCPKT_FLUSHREAD); }
  flowChanged(stopped: boolean): void { this.status(stopped ? TIOCPKT_STOP : TIOCPKT_START); }
  inputDrained(): void { this.masterWq.wakeAll(); }

  private status(bit: number): void {
    if (!this.packet) return;
    if (bit === TIOCPKT_STOP) this.pktStatus &= ~TIOCPKT_START;
    if (bit === TIOCPKT_START) this.pktStatus &= ~TIOCPKT_STOP;
    this.pktStatus |= bit;
    this.masterWq.wakeAll();
  }

  // ---------------------------------------------------------------- the slave's files

  openSlave(f: File): FileOps {
    if (this.gone || this.locked) kerr(EIO);
    const ops = this.slave.open(f, this.k.current, true);
    this.otherClosed = false;
    return ops;
  }

  slaveReleased(): void {
    if (this.slave.opens > 0) return;
    if (this.gone) { this.home.release(this.index); return; }
    this.otherClosed = true;
    this.masterWq.wakeAll();
  }

  // ---------------------------------------------------------------- the master

  masterOps(): FileOps {
    this.masterOpens++;
    return {
      stream: true,
      read: (_f, dst) => this.masterRead(dst),
      write: (_f, src) => this.masterWrite(src),
      poll: () => this.masterPoll(),
      waitQueue: () => this.masterWq,
      fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
      ioctl: (f, cmd, arg, ctx) => this.masterIoctl(f, cmd, arg, ctx),
      release: () => { if (--this.masterOpens === 0) this.masterClosed(); },
    };
  }

  private masterRead(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.packet && this.pktStatus) {
      dst[0] = this.pktStatus;
      this.pktStatus = 0;
      return 1;
    }
    if (this.outBytes === 0) {
      if (this.otherClosed) kerr(EIO);
      kerr(EAGAIN);
    }
    let n = 0;
    const room = this.packet ? dst.length - 1 : dst.length;
    const base = this.packet ? 1 : 0;
    if (this.packet) dst[0] = TIOCPKT_DATA;
    while (n < room && this.out.length) {
      const c = this.out[0];
      const take = Math.min(c.length, room - n);
      dst.set(c.subarray(0, take), base + n);
      n += take;
      if (take === c.length) this.out.shift(); else this.out[0] = c.subarray(take);
    }
    this.outBytes -= n;
    this.slave.wq.wakeAll(); // writers waiting for room
    return base + n;
  }

  private masterWrite(src: Uint8Array): number {
    if (src.length === 0) return 0;
    const n = this.slave.input(src);
    if (n === 0) kerr(EAGAIN);
    return n;
  }

  private masterPoll(): number {
    let m = 0;
    if (this.outBytes > 0 || (this.packet && this.pktStatus)) m |= POLLIN | POLLRDNORM;
    if (this.otherClosed) m |= POLLHUP;
    if (this.slave.inputRoom() > 0) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  private masterIoctl(f: File, cmd: number, arg: number, ctx: IoctlContext): number {
    const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); ctx.copyOut(arg, b); };
    const i32 = () => new DataView(ctx.copyIn(arg, 4).buffer).getInt32(0, true);
    switch (cmd) {
      case TIOCGPTN: u32(this.index); return 0;
      case TIOCSPTLCK: this.locked = i32() !== 0; return 0;
      case TIOCGPTLCK: u32(this.locked ? 1 : 0); return 0;
      case TIOCPKT: {
        const on = i32() !== 0;
        if (on && !this.packet) this.pktStatus = 0;
        this.packet = on;
        return 0;
      }
      case TIOCGPKT: u32(this.packet ? 1 : 0); return 0;
      case TIOCGPTPEER: return this.openPeer(f, arg);
      case TIOCSIG: {
        if (arg <= 0 || arg >= 65) kerr(EINVAL);
        if (this.slave.pgrp) signalPgrp(this.k, this.slave.pgrp, arg);
        return 0;
      }
      case FIONREAD: u32(this.outBytes); return 0;
      case TIOCOUTQ: u32(0); return 0;
      case TCFLSH:
        // The master's own queues: its input is the slave's output, its output the slave's pending input.
        if (arg !== TCIFLUSH && arg !== TCOFLUSH && arg !== TCIOFLUSH) kerr(EINVAL);
        if (arg !== TCOFLUSH) { this.out = []; this.outBytes = 0; this.slave.wq.wakeAll(); }
        return 0;
    }
    return this.slave.ioctl(f, this.slave.generation, cmd, arg, ctx, true);
  }

  // TIOCGPTPEER: the slave, opened as a new descriptor of the caller.
  private openPeer(master: File, flags: number): number {
    const t = this.k.current;
    if (!t) kerr(EIO);
    if (!this.inode) kerr(EIO);
    const path = this.slavePath(master);
    // As Linux, the flags are not checked: the access mode, O_NONBLOCK and O_NOCTTY apply.
    const f = new File(path, this.inode, flags & (O_ACCMODE | O_NONBLOCK | O_NOCTTY), {});
    f.ops = this.openSlave(f);
    try {
      return t.files.alloc(f, (flags & O_CLOEXEC) !== 0, nofile(t));
    } catch (e) { f.put(); throw e; }
  }

  // /dev/pts/N as seen from where the master was opened (/dev/ptmx or /dev/pts/ptmx).
  private slavePath(master: File): Path | null {
    const p = master.path;
    if (!p?.dentry.parent) return null;
    try {
      let dir: Path = { mnt: p.mnt, dentry: p.dentry.parent };
      if (p.dentry.inode.sb !== this.inode!.sb) {
        const pts = dir.dentry.child("pts");
        if (!pts) return null;
        dir = followMounts({ mnt: p.mnt, dentry: pts });
      } else if (p.dentry === p.mnt.root) return null;
      const d = dir.dentry.child(String(this.index));
      return d && d.inode === this.inode ? { mnt: dir.mnt, dentry: d } : null;
    } catch { return null; }
  }

  // The last master file closed: the slave hangs up (its session leader hears
  // SIGHUP and SIGCONT, the session loses it) and /dev/pts/N goes away.
  private masterClosed(): void {
    this.gone = true;
    this.out = [];
    this.outBytes = 0;
    const s = this.slave;
    if (s.sid) {
      const leader = this.k.groups.get(s.sid);
      if (leader && !leader.zombie) {
        sendSignal(leader, { signo: SIGHUP, code: SI_KERNEL }, false);
        sendSignal(leader, { signo: SIGCONT, code: SI_KERNEL }, false);
      }
      clearSessionCtty(this.k, s.sid, s);
      s.sid = 0;
      s.pgrp = 0;
    }
    s.hangup();
    this.home.unlink(this.index);
    if (s.opens === 0) this.home.release(this.index);
  }
}
