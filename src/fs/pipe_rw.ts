// read(2) and write(2) of a pipe in the cases a pipe round trip is made of,
// straight between the ring and one range of user memory: a read of bytes
// that are there, a write that fits whole, and a blocking read of an empty
// pipe (which sleeps). Everything else — readv and writev, packets, a
// buffer that faults, a write that must wait or raise SIGPIPE, a restarted
// partial write — answers PIPE_SLOW, and the general path (sys_file.ts:
// doRead, doWrite) gives the same result it always gave. The general path
// builds a UserBuffer, an iterator, two closures and a view per page for
// each call; this one allocates nothing.

import { IO_CHUNK, type IoIter } from "../mm/uio.js";
import type { UserMemory } from "../mm/uaccess.js";
import { O_DIRECT } from "../abi/fcntl.js";
import { park } from "../kernel/blocking.js";
import type { Task } from "../kernel/task.js";
import type { File } from "./file.js";
import { PIPE_BUF, type Pipe } from "./pipe.js";
import { fsnotify, IN_ACCESS, IN_MODIFY } from "./notify.js";

// Not handled here: take the general path. (Every result here is >= 0 or BLOCK.)
export const PIPE_SLOW = -1;

// [va, va + length) of one task's memory as an IoIter, the caller having
// checked it is accessible. One instance, set before each use: the kernel
// runs one syscall at a time, and the ring copies before it wakes anybody.
class UserRange implements IoIter {
  um: UserMemory | null = null;
  va = 0;
  length = 0;
  set(um: UserMemory, va: number, length: number): this { this.um = um; this.va = va; this.length = length; return this; }
  toIter(off: number, src: Uint8Array, at: number, n: number): void { this.um!.copyToUser(this.va + off, src, at, n); }
  fromIter(off: number, dst: Uint8Array, at: number, n: number): void { this.um!.copyFromUser(this.va + off, dst, at, n); }
  zeroIter(off: number, n: number): void { this.um!.clearUser(this.va + off, n); }
}
const range = new UserRange();

// read(fd, va, total) of a pipe's read end; total > 0 is the count already
// cut at MAX_RW_COUNT, [va, va + total) inside the user half (access_ok).
export function pipeRead(t: Task, f: File, p: Pipe, um: UserMemory, va: number, total: number): number {
  if (!f.readable || f.ops.read === undefined || total === 0 || total > IO_CHUNK || !p.plain) return PIPE_SLOW;
  const have = p.available;
  if (have === 0) {
    // Blocking and a writer is left: sleep until a write (the buffer is
    // not looked at before there is something to copy, as pipe_read).
    if (p.writers > 0 && !f.nonblock) return park(t, p.readSleep);
    return PIPE_SLOW;
  }
  const n = Math.min(total, have);
  if (um.accessible(va, n, true) !== n) return PIPE_SLOW;
  const got = p.read(range.set(um, va, n));
  range.um = null;
  if (got > 0 && f.path) fsnotify(f.path, f.inode, IN_ACCESS);
  return got;
}

// write(fd, va, total) of a pipe's write end (same conditions on total and
// va). Up to PIPE_BUF bytes only: such a write goes in whole or fails whole
// (ENOMEM when the ring cannot grow, as on the general path), where a
// larger one could stop part-way and the general path would go on.
export function pipeWrite(t: Task, f: File, p: Pipe, um: UserMemory, va: number, total: number): number {
  if (!f.writable || f.ops.write === undefined || total === 0 || total > PIPE_BUF || t.restart !== null) return PIPE_SLOW;
  if ((f.flags & O_DIRECT) !== 0 || p.readers === 0 || total > p.room) return PIPE_SLOW;
  if (um.accessible(va, total, false) !== total) return PIPE_SLOW;
  const n = p.write(range.set(um, va, total), false);
  range.um = null;
  if (n > 0 && f.path) fsnotify(f.path, f.inode, IN_MODIFY);
  return n;
}
