// A terminal (Linux's tty_struct): settings, window size, the N_TTY line
// discipline, the session it controls and its foreground process group, and
// the file operations and ioctls (tty_ioctl(4)) of a file open on it. The
// device below it (the host console, or the master side of a pty) is its
// driver.

import { kerr } from "../../lib/errors.js";
import {
  EAGAIN, EIO, EINVAL, ENOTTY, EPERM, ESRCH, EBUSY,
} from "../../abi/errno.js";
import {
  TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETS2, TCSETS2, TCSETSW2, TCSETSF2, TCGETA, TCSETA, TCSETAW, TCSETAF,
  TIOCGWINSZ, TIOCSWINSZ, TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID, FIONREAD, TIOCOUTQ, TCFLSH,
  TCXONC, TIOCSTI, TIOCEXCL, TIOCNXCL, TIOCGEXCL, TIOCGETD, TIOCSETD, TCSBRK, TCSBRKP, TIOCSBRK, TIOCCBRK,
  TIOCGSOFTCAR, TIOCSSOFTCAR, TIOCGDEV, TIOCVHANGUP, TIOCCONS, TIOCGLCKTRMIOS, TIOCSLCKTRMIOS,
  TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF, TCION, termios as termiosStruct, termios2, termio, winsize,
  ICANON, TOSTOP, VMIN, VTIME, VSTART, VSTOP, CLOCAL, N_TTY,
} from "../../abi/ioctl.js";
import { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM } from "../../abi/poll.js";
import { SIGTTIN, SIGTTOU, SIGWINCH } from "../../abi/signal.js";
import { WaitQueue } from "../../lib/wait.js";
import { sleepOn } from "../../kernel/blocking.js";
import { restartOf } from "../../kernel/restart.js";
import type { File, FileOps, IoctlContext } from "../../fs/file.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Task } from "../../kernel/task.js";
import { Termios } from "./termios.js";
import { NTty, type LdiscPort } from "./ldisc.js";
import {
  signalPgrp, isOrphanedPgrp, ignoresOrBlocks, setCtty, clearSessionCtty, disassociateCtty, membersOf, cttyOf,
  type CttyLike,
} from "./jobctl.js";

// VT_GETSTATE (linux/vt.h): which virtual console is active (cttyhack asks).
export const VT_GETSTATE = 0x5603;

// Bytes a device may have queued for a tty before its writer waits (Linux's
// per-port buffer limit).
export const TTY_INPUT_MAX = 65536;

// The generation of files opened through /dev/console: they outlive hangups.
const REDIRECT = -1;

export interface Winsize { row: number; col: number; xpixel: number; ypixel: number }

// The device under a tty.
export interface TtyDriver {
  // Bytes the line discipline produced (output and echoes).
  output(bytes: number[]): void;
  // How many more bytes output() can take now (Infinity: no limit).
  writeRoom(): number;
  // ISIG or TCOFLUSH: drop output the device has not yet taken.
  flushOutput(): void;
  // Output stopped or started, input flushed (packet mode reports these).
  flowChanged?(stopped: boolean): void;
  inputFlushed?(): void;
  // Room appeared in the tty's input queue (a pty master writer may go on).
  inputDrained?(): void;
  // The device is gone for good (pty master closed): reads end, writes fail.
  readonly gone?: boolean;
  // A console hangs up when its controlling process exits; a pty slave does not.
  readonly hangupOnLeaderExit: boolean;
  // Console-only ioctls (VT_GETSTATE); return null when cmd is not one.
  extraIoctl?(cmd: number, arg: number, ctx: IoctlContext): number | null;
}

const WS_BYTES = (w: Winsize) => {
  const b = new Uint8Array(winsize.size);
  winsize.write(new DataView(b.buffer), 0, { ws_row: w.row, ws_col: w.col, ws_xpixel: w.xpixel, ws_ypixel: w.ypixel });
  return b;
};

function i32(ctx: IoctlContext, va: number): number { return new DataView(ctx.copyIn(va, 4).buffer).getInt32(0, true); }
function putI32(ctx: IoctlContext, va: number, v: number): void {
  const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); ctx.copyOut(va, b);
}

export class Tty implements LdiscPort, CttyLike {
  termios = new Termios();
  readonly ldisc: NTty;
  winsize: Winsize = { row: 0, col: 0, xpixel: 0, ypixel: 0 };
  sid = 0; // the session this is the controlling terminal of (0: none)
  pgrp = 0; // its foreground process group (0: none)
  // Readers, writers and pollers of the slave side: woken on any change.
  readonly wq = new WaitQueue();
  // A hangup makes every file opened before it hung up.
  generation = 0;
  exclusive = false;
  opens = 0;
  // Device input not yet taken by the line discipline (it was full).
  private pendingIn: Uint8Array[] = [];
  private pendingBytes = 0;
  private readTimer: { deadline: number; cancel(): void } | null = null;

  constructor(readonly k: Kernel, readonly name: string, readonly rdev: number, public driver: TtyDriver) {
    this.ldisc = new NTty(this.termios, this);
  }

  // ------------------------------------------------------------ line discipline port

  emit(bytes: number[]): void { this.driver.output(bytes); }
  signal(sig: number): void { if (this.pgrp) signalPgrp(this.k, this.pgrp, sig); }
  flushOutput(): void { this.driver.flushOutput(); this.driver.inputFlushed?.(); }
  flowChanged(): void { this.driver.flowChanged?.(this.ldisc.stopped); this.wq.wakeAll(); }
  wake(): void { this.wq.wakeAll(); }

  // ------------------------------------------------------------ device side

  // Bytes from the device (keyboard, pty master). Returns how many were
  // accepted; a device that sends more than TTY_INPUT_MAX ahead must wait.
  input(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.inputRoom());
    if (n <= 0) return 0;
    this.pendingIn.push(bytes.slice(0, n));
    this.pendingBytes += n;
    this.drainInput();
    return n;
  }

  inputRoom(): number { return TTY_INPUT_MAX - this.pendingBytes; }

  // Moves queued device input into the line discipline as room allows.
  drainInput(): void {
    const before = this.pendingBytes;
    while (this.pendingIn.length) {
      const chunk = this.pendingIn[0];
      const n = this.ldisc.receive(chunk, this.k.clock.monotonic());
      this.pendingBytes -= n;
      if (n < chunk.length) { this.pendingIn[0] = chunk.subarray(n); break; }
      this.pendingIn.shift();
    }
    if (this.pendingBytes < before) this.driver.inputDrained?.();
  }

  setWinsize(w: Winsize): void {
    const old = this.winsize;
    if (old.row === w.row && old.col === w.col && old.xpixel === w.xpixel && old.ypixel === w.ypixel) return;
    this.winsize = { ...w };
    this.signal(SIGWINCH);
  }

  // The console hangs up when its session leader exits (jobctl calls this).
  leaderExited(): void { if (this.driver.hangupOnLeaderExit) this.hangup(); }

  // Every file opened so far is hung up: reads return 0, writes EIO.
  hangup(): void {
    this.generation++;
    this.ldisc.flushInput();
    this.pendingIn = [];
    this.pendingBytes = 0;
    this.wq.wakeAll();
  }

  // ------------------------------------------------------------ opening

  // Opens the tty for f: exclusive mode, and the controlling terminal a session
  // leader without one acquires (unless O_NOCTTY or the device says no).
  // A file opened as /dev/console (redirect) never hangs up and its reads and
  // writes are not job-controlled, as Linux's console files.
  open(f: File, t: Task | null, mayAcquire: boolean, redirect = false): FileOps {
    if (this.exclusive && t && t.cred.euid !== 0) kerr(EBUSY);
    if (mayAcquire && t && (f.flags & 0o400 /* O_NOCTTY */) === 0) {
      const tg = t.tg;
      if (tg.pid === tg.sid && !tg.ctty && !this.sid) setCtty(tg, this);
    }
    return this.fileOps(f, redirect);
  }

  fileOps(_f: File, redirect = false): FileOps {
    const gen = redirect ? REDIRECT : this.generation;
    this.opens++;
    return {
      stream: true,
      read: (f, dst) => this.read(f, gen, dst),
      write: (f, src) => this.write(f, gen, src),
      poll: () => this.poll(gen),
      waitQueue: () => this.wq,
      fasync: true, // SIGIO with O_ASYNC (fs/fown.ts)
      ioctl: (f, cmd, arg, ctx) => this.ioctl(f, gen, cmd, arg, ctx, false),
      release: () => { this.opens--; this.released(); },
    };
  }

  // Hook for the pty slave (counts its opens).
  released(): void { /* the console stays */ }

  hungUp(gen: number): boolean { return (gen !== REDIRECT && gen !== this.generation) || (this.driver.gone ?? false); }

  // ------------------------------------------------------------ job control

  // tty_check_change: a background process touching its controlling terminal.
  // Returns false to go on; true when sig was sent to its group (the caller
  // waits and the syscall is retried after the stop). EIO for an orphaned
  // group, or for SIGTTIN ignored or blocked.
  private background(t: Task | null, sig: number): boolean {
    if (!t) return false;
    const tg = t.tg;
    if (tg.ctty !== this || !this.pgrp || tg.pgid === this.pgrp) return false;
    if (ignoresOrBlocks(t, sig)) { if (sig === SIGTTIN) kerr(EIO); return false; }
    if (isOrphanedPgrp(this.k, tg.pgid)) kerr(EIO);
    signalPgrp(this.k, tg.pgid, sig);
    return true;
  }

  private caller(): Task | null { return this.k.current; }

  // ------------------------------------------------------------ read, write, poll

  private read(f: File, gen: number, dst: Uint8Array): number {
    if (this.hungUp(gen)) return 0;
    const t = this.caller();
    if (gen !== REDIRECT && this.background(t, SIGTTIN)) kerr(EAGAIN);
    const ld = this.ldisc;
    const cc = this.termios.cc;
    if (this.termios.lflag & ICANON) {
      if (ld.available() > 0) return this.take(dst);
      if (this.driver.gone) return 0;
      return kerr(EAGAIN);
    }
    const min = cc[VMIN], time = cc[VTIME] * 100_000_000;
    const avail = ld.available();
    if (min === 0 && time === 0) return avail ? this.take(dst) : 0;
    const now = this.k.clock.monotonic();
    const start = this.readStart(t, now);
    if (min === 0) {
      if (avail) return this.take(dst);
      if (this.driver.gone) return 0;
      if (f.nonblock) kerr(EAGAIN);
      if (now >= start + time) return 0;
      this.wakeAt(start + time);
      return kerr(EAGAIN);
    }
    const want = Math.min(min, dst.length);
    if (avail >= want) return this.take(dst);
    if (avail > 0) {
      if (f.nonblock || this.driver.gone) return this.take(dst);
      if (time) {
        // The inter-byte timer: VTIME after the later of the last byte and the read's start.
        const deadline = Math.max(ld.lastInput, start) + time;
        if (now >= deadline) return this.take(dst);
        this.wakeAt(deadline);
      }
    } else if (this.driver.gone) return 0;
    return kerr(EAGAIN);
  }

  private take(dst: Uint8Array): number {
    const { n } = this.ldisc.read(dst);
    this.drainInput();
    return n;
  }

  // When this read began (kept across the retries of one syscall).
  private readStart(t: Task | null, now: number): number {
    if (!t) return now;
    const st = restartOf(t, "tty_read");
    if (st) return st.start;
    if (t.restart === null) t.restart = { kind: "tty_read", start: now };
    return now;
  }

  // Wakes the readers at a deadline (VTIME).
  private wakeAt(deadline: number): void {
    if (this.readTimer && this.readTimer.deadline <= deadline) return;
    this.readTimer?.cancel();
    const h = this.k.timers.add(deadline, () => { this.readTimer = null; this.wq.wakeAll(); });
    this.readTimer = { deadline, cancel: () => h.cancel() };
  }

  private write(_f: File, gen: number, src: Uint8Array): number {
    if (this.hungUp(gen)) kerr(EIO);
    if ((this.termios.lflag & TOSTOP) && gen !== REDIRECT) { if (this.background(this.caller(), SIGTTOU)) kerr(EAGAIN); }
    if (src.length === 0) return 0;
    if (this.ldisc.stopped) kerr(EAGAIN);
    const room = this.driver.writeRoom();
    if (room <= 0) kerr(EAGAIN);
    const n = Math.min(src.length, room);
    this.ldisc.write(n === src.length ? src : src.subarray(0, n));
    return n;
  }

  private poll(gen: number): number {
    if (this.hungUp(gen)) return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    let m = 0;
    if (this.ldisc.readyForPoll()) m |= POLLIN | POLLRDNORM;
    if (!this.ldisc.stopped && this.driver.writeRoom() > 0) m |= POLLOUT | POLLWRNORM;
    return m;
  }

  // ------------------------------------------------------------ ioctl

  // A job-control check for ioctls that change the terminal: the caller
  // waits for its SIGTTOU (and the ioctl runs again after it continues).
  private changeCheck(t: Task | null): void {
    if (this.background(t, SIGTTOU)) sleepOn(t!, [this.wq]);
  }

  setTermios(next: Termios): void {
    this.termios = next;
    this.ldisc.setTermios(next);
    this.wq.wakeAll();
  }

  // tty_ioctl for a file open on this tty, or (fromMaster) on its pty master:
  // settings, window size and job control then act on this (the slave).
  ioctl(f: File, gen: number, cmd: number, arg: number, ctx: IoctlContext, fromMaster: boolean): number {
    const t = this.caller();
    // A hung-up file answers every ioctl with EIO (TIOCSPGRP with ENOTTY).
    if (!fromMaster && this.hungUp(gen)) kerr(cmd === TIOCSPGRP ? ENOTTY : EIO);
    const isCtty = t !== null && t.tg.ctty === this;
    const root = t !== null && t.cred.euid === 0;
    switch (cmd) {
      case TCGETS: ctx.copyOut(arg, this.termios.encode()); return 0;
      case TCGETS2: ctx.copyOut(arg, this.termios.encode2()); return 0;
      case TCGETA: ctx.copyOut(arg, this.termios.encodeTermio()); return 0;
      case TCSETS: case TCSETSW: case TCSETSF:
      case TCSETS2: case TCSETSW2: case TCSETSF2:
      case TCSETA: case TCSETAW: case TCSETAF: {
        const two = cmd === TCSETS2 || cmd === TCSETSW2 || cmd === TCSETSF2;
        const old = cmd === TCSETA || cmd === TCSETAW || cmd === TCSETAF;
        const raw = ctx.copyIn(arg, two ? termios2.size : old ? termio.size : termiosStruct.size);
        this.changeCheck(t);
        const next = two ? Termios.decode2(raw, this.termios) : old ? Termios.decodeTermio(raw, this.termios) : Termios.decode(raw, this.termios);
        // Output drains at once here (TCSADRAIN); TCSAFLUSH also drops pending input.
        if (cmd === TCSETSF || cmd === TCSETSF2 || cmd === TCSETAF) { this.ldisc.flushInput(); this.pendingIn = []; this.pendingBytes = 0; this.driver.inputDrained?.(); }
        this.setTermios(next);
        return 0;
      }
      case TIOCGWINSZ: ctx.copyOut(arg, WS_BYTES(this.winsize)); return 0;
      case TIOCSWINSZ: {
        const dv = new DataView(ctx.copyIn(arg, winsize.size).buffer);
        this.setWinsize({
          row: winsize.get(dv, 0, "ws_row"), col: winsize.get(dv, 0, "ws_col"),
          xpixel: winsize.get(dv, 0, "ws_xpixel"), ypixel: winsize.get(dv, 0, "ws_ypixel"),
        });
        return 0;
      }
      case TIOCSCTTY: return this.tiocsctty(f, t, arg);
      case TIOCNOTTY: {
        if (fromMaster || !t || !isCtty) kerr(ENOTTY);
        if (t.tg.pid === t.tg.sid) disassociateCtty(this.k, t.tg, false);
        else t.tg.ctty = null;
        return 0;
      }
      case TIOCGPGRP:
        if (!fromMaster && !isCtty) kerr(ENOTTY);
        putI32(ctx, arg, this.pgrp);
        return 0;
      case TIOCSPGRP: {
        try { this.changeCheck(t); } catch (e) { if ((e as { errno?: number }).errno === EIO) kerr(ENOTTY); throw e; }
        if (!t || !isCtty || this.sid !== t.tg.sid) kerr(ENOTTY);
        const pgid = i32(ctx, arg);
        if (pgid < 0) kerr(EINVAL);
        const members = membersOf(this.k, pgid);
        if (!members.length) kerr(ESRCH);
        if (members[0].sid !== t.tg.sid) kerr(EPERM);
        this.pgrp = pgid;
        return 0;
      }
      case TIOCGSID:
        if (!fromMaster && !isCtty) kerr(ENOTTY);
        if (!this.sid) kerr(ENOTTY);
        putI32(ctx, arg, this.sid);
        return 0;
      case FIONREAD: putI32(ctx, arg, this.ldisc.inq()); return 0;
      case TIOCOUTQ: putI32(ctx, arg, 0); return 0;
      case TCFLSH: {
        this.changeCheck(t);
        switch (arg) {
          case TCIFLUSH: this.flushIn(); return 0;
          case TCOFLUSH: this.driver.flushOutput(); return 0;
          case TCIOFLUSH: this.flushIn(); this.driver.flushOutput(); return 0;
          default: return kerr(EINVAL);
        }
      }
      case TCXONC: {
        this.changeCheck(t);
        switch (arg) {
          case TCOOFF: this.ldisc.stop(true); return 0;
          case TCOON: this.ldisc.start(true); return 0;
          case TCIOFF: if (this.termios.cc[VSTOP]) this.ldisc.sendRaw(this.termios.cc[VSTOP]); return 0;
          case TCION: if (this.termios.cc[VSTART]) this.ldisc.sendRaw(this.termios.cc[VSTART]); return 0;
          default: return kerr(EINVAL);
        }
      }
      case TIOCSTI: {
        if (!isCtty && !root) kerr(EPERM);
        const c = ctx.copyIn(arg, 1)[0];
        this.ldisc.simulate(c, this.k.clock.monotonic());
        return 0;
      }
      case TIOCEXCL: this.exclusive = true; return 0;
      case TIOCNXCL: this.exclusive = false; return 0;
      case TIOCGEXCL: putI32(ctx, arg, this.exclusive ? 1 : 0); return 0;
      case TIOCGETD: putI32(ctx, arg, N_TTY); return 0;
      case TIOCSETD: if (i32(ctx, arg) !== N_TTY) kerr(EINVAL); return 0;
      case TCSBRK: case TCSBRKP:
        this.changeCheck(t);
        return 0;
      case TIOCSBRK: case TIOCCBRK: return 0;
      case TIOCGSOFTCAR: putI32(ctx, arg, this.termios.cflag & CLOCAL ? 1 : 0); return 0;
      case TIOCSSOFTCAR: {
        const next = this.termios.clone();
        next.cflag = i32(ctx, arg) ? next.cflag | CLOCAL : next.cflag & ~CLOCAL;
        this.setTermios(next);
        return 0;
      }
      case TIOCGLCKTRMIOS: ctx.copyOut(arg, new Uint8Array(termiosStruct.size)); return 0;
      case TIOCSLCKTRMIOS: if (!root) kerr(EPERM); return 0;
      case TIOCGDEV: putI32(ctx, arg, this.rdev); return 0;
      case TIOCVHANGUP: if (!root) kerr(EPERM); this.vhangup(); return 0;
      case TIOCCONS: if (!root) kerr(EPERM); return 0;
    }
    const extra = this.driver.extraIoctl?.(cmd, arg, ctx);
    if (extra !== undefined && extra !== null) return extra;
    return kerr(ENOTTY);
  }

  private flushIn(): void {
    this.ldisc.flushInput();
    this.pendingIn = [];
    this.pendingBytes = 0;
    this.driver.inputFlushed?.();
    this.driver.inputDrained?.();
  }

  // TIOCSCTTY: a session leader without a controlling terminal takes this one;
  // with arg 1 root may steal it from another session.
  private tiocsctty(f: File, t: Task | null, arg: number): number {
    if (!t) kerr(EPERM);
    const tg = t.tg;
    if (tg.pid === tg.sid && this.sid === tg.sid && tg.ctty === this) return 0;
    if (tg.pid !== tg.sid || tg.ctty) kerr(EPERM);
    if (this.sid) {
      if (arg === 1 && t.cred.euid === 0) clearSessionCtty(this.k, this.sid, this);
      else kerr(EPERM);
    }
    if (!f.readable && t.cred.euid !== 0) kerr(EPERM);
    setCtty(tg, this);
    return 0;
  }

  // vhangup(2) / TIOCVHANGUP: the session loses this terminal and its files hang up.
  vhangup(): void {
    if (this.sid) {
      const leader = this.k.groups.get(this.sid);
      if (leader && cttyOf(leader) === this) disassociateCtty(this.k, leader, false);
      else { clearSessionCtty(this.k, this.sid, this); this.sid = 0; this.pgrp = 0; }
    }
    this.hangup();
  }
}

