// The host's stdin, stdout and stderr as guest files, for `ghost run`: the
// program's fds 0, 1 and 2 reach the host's as under qemu-user. A host tty
// answers TCGETS and TIOCGWINSZ; a pipe or file answers ENOTTY.

import { takeChunks } from "../lib/chunks.js";
import * as fs from "node:fs";
import * as tty from "node:tty";
import { kerr } from "../lib/errors.js";
import { EAGAIN, ENOTTY, EIO, EPIPE, EINVAL } from "../abi/errno.js";
import {
  TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCGPGRP, TIOCSPGRP, FIONREAD, termios, winsize, NCCS,
  INIT_C_CC, INIT_C_IFLAG, INIT_C_OFLAG, INIT_C_CFLAG, INIT_C_LFLAG,
} from "../abi/ioctl.js";
import { POLLIN, POLLOUT, POLLHUP } from "../abi/poll.js";
import { Inode, SuperBlock, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG } from "../fs/inode.js";
import type { File, FileOps } from "../fs/file.js";
import { WaitQueue } from "../lib/wait.js";
import type { Kernel } from "../kernel/kernel.js";
import { KernelLocal } from "../kernel/local.js";
import { DEVPTS_SUPER_MAGIC } from "../abi/stat.js";

// The host's terminal and stdio files look like ptys of a devpts (one per kernel).
const STDIO_SB = new KernelLocal("host stdio", () => new SuperBlock("devpts", DEVPTS_SUPER_MAGIC));

// Buffered asynchronous reads from a host fd that may block (tty, pipe).
class HostReader {
  private chunks: Uint8Array[] = [];
  private pending = false;
  eof = false;
  readonly wq = new WaitQueue();
  constructor(private readonly fd: number, private readonly k: Kernel) {}

  get available(): number { return this.chunks.reduce((n, c) => n + c.length, 0); }

  private start(): void {
    if (this.pending || this.eof) return;
    this.pending = true;
    this.k.hostWaiters++;
    const buf = Buffer.alloc(65536);
    fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
      this.pending = false;
      this.k.hostWaiters--;
      if (err) { if ((err as NodeJS.ErrnoException).code === "EAGAIN") { setTimeout(() => this.start(), 5); return; } this.eof = true; }
      else if (n === 0) this.eof = true;
      else this.chunks.push(new Uint8Array(buf.buffer, buf.byteOffset, n));
      this.wq.wakeAll();
      this.k.kick();
    });
  }

  read(dst: Uint8Array): number {
    if (this.chunks.length === 0) {
      if (this.eof) return 0;
      this.start();
      kerr(EAGAIN);
    }
    return takeChunks(this.chunks, dst);
  }

  poll(): number {
    if (this.chunks.length) return POLLIN;
    if (this.eof) return POLLIN | POLLHUP;
    this.start();
    return 0;
  }
}

function writeAll(fd: number, src: Uint8Array): number {
  let off = 0;
  while (off < src.length) {
    try {
      off += fs.writeSync(fd, src, off, src.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EPIPE") { if (off) return off; kerr(EPIPE); }
      kerr(EIO);
    }
  }
  return src.length;
}

export class HostStdioInode extends Inode {
  readonly sb: SuperBlock;
  readonly ino: number;
  readonly isTty: boolean;
  private reader: HostReader | null = null;
  private readonly termiosBytes = new Uint8Array(termios.size);
  pgrp = 0;

  constructor(readonly hostFd: number, private readonly k: Kernel) {
    super();
    this.sb = k.local(STDIO_SB);
    this.ino = 3 + hostFd;
    let mode = S_IFIFO | 0o600;
    let tty = false;
    try {
      const st = fs.fstatSync(hostFd);
      if (st.isCharacterDevice()) { mode = S_IFCHR | 0o620; tty = isTty(hostFd, Number(st.rdev)); this.rdev = tty ? (136 << 8) : Number(st.rdev); }
      else if (st.isFile()) mode = S_IFREG | 0o644;
    } catch { /* closed fd: acts as a pipe at EOF */ }
    this.mode = mode;
    this.isTty = tty;
    const dv = new DataView(this.termiosBytes.buffer);
    termios.write(dv, 0, { c_iflag: INIT_C_IFLAG, c_oflag: INIT_C_OFLAG, c_cflag: INIT_C_CFLAG, c_lflag: INIT_C_LFLAG, c_line: 0 });
    termios.setBytes(dv, 0, "c_cc", INIT_C_CC.subarray(0, NCCS));
  }

  override get size(): number {
    if ((this.mode & S_IFMT) === S_IFREG) { try { return fs.fstatSync(this.hostFd).size; } catch { return 0; } }
    return 0;
  }

  private input(): HostReader { return (this.reader ??= new HostReader(this.hostFd, this.k)); }

  override openOps(_f: File): FileOps {
    const isFile = (this.mode & S_IFMT) === S_IFREG;
    const self = this;
    // A host file behind stdio is read and written at the host fd's own
    // offset (shared with whoever else holds it), so Ghost does not seek it.
    return {
      stream: true,
      read(_f, dst) {
        if (isFile) { try { return fs.readSync(self.hostFd, dst, 0, dst.length, null); } catch { kerr(EIO); } }
        return self.input().read(dst);
      },
      write(_f, src) {
        return writeAll(self.hostFd, src);
      },
      poll() {
        if (isFile) return POLLIN | POLLOUT;
        return (self.hostFd === 0 ? self.input().poll() : 0) | (self.hostFd !== 0 ? POLLOUT : 0);
      },
      waitQueue() { return isFile ? null : self.input().wq; },
      ioctl(_f, cmd, arg, ctx) {
        if (!self.isTty) kerr(ENOTTY);
        switch (cmd) {
          case TCGETS: ctx.copyOut(arg, self.termiosBytes); return 0;
          case TCSETS: case TCSETSW: case TCSETSF: self.termiosBytes.set(ctx.copyIn(arg, termios.size)); return 0;
          case TIOCGWINSZ: {
            const b = new Uint8Array(winsize.size);
            const dv = new DataView(b.buffer);
            const out = process.stdout as { columns?: number; rows?: number };
            winsize.write(dv, 0, { ws_row: out.rows ?? 24, ws_col: out.columns ?? 80, ws_xpixel: 0, ws_ypixel: 0 });
            ctx.copyOut(arg, b);
            return 0;
          }
          case TIOCGPGRP: { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, self.pgrp, true); ctx.copyOut(arg, b); return 0; }
          case TIOCSPGRP: { self.pgrp = new DataView(ctx.copyIn(arg, 4).buffer).getInt32(0, true); return 0; }
          case FIONREAD: { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, self.hostFd === 0 ? self.input().available : 0, true); ctx.copyOut(arg, b); return 0; }
          default: return kerr(EINVAL);
        }
      },
    };
  }
}

// Linux's memory devices (major 1: /dev/null, /dev/zero, /dev/urandom…) are
// never terminals: asked without loading node:tty (and the net and stream
// modules it needs), ~3 ms of a `ghost run` whose output goes to /dev/null.
const MEM_MAJOR = 1;

function isTty(fd: number, rdev: number): boolean {
  if (((rdev >> 8) & 0xfff) === MEM_MAJOR && rdev < 2 ** 32) return false;
  try { return tty.isatty(fd); } catch { return false; }
}
