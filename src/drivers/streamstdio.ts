// A program's stdin, stdout and stderr connected to whoever embeds the
// kernel (the library's streams and callbacks) rather than to host fds: to
// the guest each is a pipe end (S_IFIFO, ENOTTY to terminal ioctls), as when
// a shell runs a program in a pipeline. Like the host's stdio they carry the
// fd they stand for (hostFd, isTty): /proc/self/fd/N shows "pipe:[ino]" and
// /dev/stdin reopens the same stream, as Linux reopens a pipe's inode.

import { takeChunks } from "../lib/chunks.js";
import { kerr } from "../lib/errors.js";
import { EAGAIN, ENOTTY, EBADF } from "../abi/errno.js";
import { POLLIN, POLLOUT, POLLHUP, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import { FIONREAD } from "../abi/ioctl.js";
import { Inode, S_IFIFO } from "../fs/inode.js";
import { pseudoFs } from "../fs/pseudo.js";
import type { File, FileOps } from "../fs/file.js";
import { WaitQueue } from "../lib/wait.js";
import type { Kernel } from "../kernel/kernel.js";

// The read end: bytes the host pushes, then its end of input.
export class StreamInputInode extends Inode {
  readonly sb = pseudoFs().pipefs;
  readonly ino: number;
  private chunks: Uint8Array[] = [];
  private eof = false;
  // Counted in k.hostWaiters while a reader waits: only the host can wake it.
  private waiting = false;
  readonly wq = new WaitQueue();
  readonly hostFd = 0;
  readonly isTty = false;

  constructor(private readonly k: Kernel, ino = pseudoFs().nextIno()) {
    super();
    this.ino = ino;
    this.mode = S_IFIFO | 0o600;
  }

  get available(): number { return this.chunks.reduce((n, c) => n + c.length, 0); }

  push(bytes: Uint8Array): void {
    if (this.eof || bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.wake();
  }

  end(): void {
    this.eof = true;
    this.wake();
  }

  private wake(): void {
    if (this.waiting) { this.waiting = false; this.k.hostWaiters--; }
    this.wq.wakeAll();
    this.k.kick();
  }

  private take(dst: Uint8Array): number {
    if (this.chunks.length === 0) {
      if (this.eof) return 0;
      if (!this.waiting) { this.waiting = true; this.k.hostWaiters++; }
      kerr(EAGAIN);
    }
    return takeChunks(this.chunks, dst);
  }

  override openOps(_f: File): FileOps {
    return {
      stream: true,
      read: (_file, dst) => this.take(dst),
      write: () => kerr(EBADF),
      poll: () => (this.chunks.length ? POLLIN | POLLRDNORM : 0) | (this.eof ? POLLHUP : 0),
      waitQueue: () => this.wq,
      ioctl: (_file, cmd, arg, ctx) => {
        if (cmd !== FIONREAD) return kerr(ENOTTY);
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, this.available, true);
        ctx.copyOut(arg, b);
        return 0;
      },
    };
  }
}

// A write end: every write goes to the host's sink at once (it buffers).
export class StreamOutputInode extends Inode {
  readonly sb = pseudoFs().pipefs;
  readonly ino: number;
  readonly isTty = false;
  constructor(private readonly sink: (bytes: Uint8Array) => void, readonly hostFd: number, ino = pseudoFs().nextIno()) {
    super();
    this.ino = ino;
    this.mode = S_IFIFO | 0o600;
  }

  override openOps(_f: File): FileOps {
    return {
      stream: true,
      read: () => kerr(EBADF),
      write: (_file, src) => { this.sink(src.slice()); return src.length; },
      poll: () => POLLOUT | POLLWRNORM,
      waitQueue: () => null,
      ioctl: () => kerr(ENOTTY),
    };
  }
}
