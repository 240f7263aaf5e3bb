// Open file descriptions (Linux's struct file) and per-process fd tables.
// A File is shared by dup() and fork(); its offset and status flags with it.

import { dnotifyRelease } from "./dnotify.js";
import { kerr } from "../lib/errors.js";
import { EBADF, EMFILE, EINVAL, ESPIPE, EISDIR, ENFILE } from "../abi/errno.js";
import { FILE_COST } from "../mm/budget.js";
import { kernelMem } from "./kmem.js";
import type { WaitQueue } from "../lib/wait.js";
import { flockRelease, releaseOwner } from "./locks.js";
import { fsnotify, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE } from "./notify.js";
import type { Path } from "./dentry.js";
import type { IoWait } from "./iowait.js";
import type { IoIter } from "../mm/uio.js";
import type { Task } from "../kernel/task.js";
import { isDir, type Inode, type SuperBlock } from "./inode.js";
import { fasyncRelease, type FOwner } from "./fown.js";
import { leaseRelease } from "./lease.js";

import { O_ACCMODE, O_RDONLY, O_WRONLY, O_APPEND, O_NONBLOCK, O_PATH } from "../abi/fcntl.js";
// Status flags F_SETFL stores: Linux's SETFL_MASK. FASYNC is set by the file
// type's fasync only (fs/fown.ts): a file without one never shows O_ASYNC.
export { SETFL_MASK } from "../abi/fcntl.js";

export interface IoctlContext {
  copyIn(va: number, len: number): Uint8Array;
  copyOut(va: number, data: Uint8Array): void;
  // Whether the calling task has a capability (CAP_SYS_ADMIN, …) in effect.
  capable?(cap: number): boolean;
  // The caller's filesystem uid (inode_owner_or_capable).
  fsuid?: number;
  // The caller's open file at fd, or EBADF (fdget: loop's LOOP_SET_FD).
  fget?(fd: number): File;
}

export interface FileOps {
  // Reads into dst at pos (ignored by streams); returns bytes read. A stream
  // with nothing to read yet throws KernelError(EAGAIN) and offers waitQueue().
  read?(f: File, dst: Uint8Array, pos: number): number;
  write?(f: File, src: Uint8Array, pos: number): number;
  // read(2) and write(2) straight to or from the user's pages (the same
  // contract as read and write, with an IoIter: mm/uio.ts): no bounce buffer.
  // asked: the count read(2) asked for, when dst stops short of it at a
  // fault in the user's buffer (only with readsPastFault).
  readIter?(f: File, dst: IoIter, pos: number, asked?: number): number;
  writeIter?(f: File, src: IoIter, pos: number): number;
  // readIter decides what a fault in the user's buffer gives (Linux's
  // pipe_read): it is called even when not a byte of the buffer can be
  // written, with the count asked for, rather than read(2) failing EFAULT.
  readsPastFault?: boolean;
  // write() takes every byte without looking at it (Linux's write_null for
  // /dev/null and /dev/zero): the user buffer is never read.
  sink?: boolean;
  // write() copies every byte of src it takes before it returns and keeps
  // no view of it: the caller may reuse the array (syscalls' bounce buffer).
  copiesWrites?: boolean;
  // Not seekable (pipes, ttys, sockets): lseek is ESPIPE, pread is ESPIPE.
  stream?: boolean;
  // A stream Linux gives no poll method (fsopen's context, fscontext_fops):
  // epoll_ctl refuses it (EPERM), as file_can_poll.
  noPoll?: boolean;
  // O_DIRECT is served (bypassing the page cache) with the file offset, the
  // length and each user buffer aligned to this many bytes (the device's
  // logical block size); unaligned I/O is EINVAL. Unset: O_DIRECT is ignored.
  dioAlign?: number;
  // Linux's FMODE_NOWAIT for a device: preadv2/pwritev2 may pass RWF_NOWAIT
  // (regular files, pipes and sockets always may).
  nowait?: boolean;
  // Readiness mask (POLLIN, POLLOUT, …) and the queue woken when it changes.
  poll?(f: File): number;
  // A regular file whose poll method epoll may watch (/proc/self/mounts):
  // other regular files, host stdio redirected to one included, are EPERM.
  pollableRegular?: boolean;
  waitQueue?(f: File): WaitQueue | null;
  ioctl?(f: File, cmd: number, arg: number, ctx: IoctlContext): number;
  // How a blocking read(2) waits when it must (a socket's SO_RCVTIMEO); default: the file's queue, no deadline.
  readWait?(f: File, t: Task): IoWait;
  // A device's own lseek (the new position); default: the usual SEEK_SET/CUR/END arithmetic.
  seek?(f: File, off: number, whence: number): number;
  // The file type sends SIGIO to its owner with O_ASYNC (Linux's f_op->fasync): fown.ts watches waitQueue().
  fasync?: boolean;
  release?(f: File): void;
  // fallocate(2) and fsync(2) of a device (Linux's blkdev_fallocate, blkdev_fsync).
  fallocate?(f: File, mode: number, off: number, len: number): number;
  fsync?(f: File): number;
  // Every close of a descriptor, by the process (thread group) closing it
  // (Linux's f_op->flush): a message queue drops that process's notification.
  flush?(f: File, owner: object): void;
}

export class File {
  pos = 0;
  refs = 1;
  // Directory stream position: index into the entry list snapshot.
  dirEntries: { name: string; ino: number; type: number }[] | null = null;
  // The open that made it created the file (F_CREATED_QUERY).
  created = false;
  // Opened with O_EXCL (which flags does not keep): a block device is then
  // held exclusively (Linux's BLK_OPEN_EXCL).
  openedExcl = false;
  // O_TMPFILE with O_EXCL: may never be linked into the filesystem.
  tmpfileNoLink = false;
  // memfd: the name /proc shows for it.
  memfdName = "";
  // F_SETOWN/F_SETSIG state (Linux's f_owner), made at first use (fown.ts).
  owner: FOwner | null = null;
  // Counted in inode.writers (fixed at open: F_SETFL cannot change the access mode).
  private readonly countedWriter: boolean;
  private readonly countedReader: boolean;
  // The memory budget the open file's fixed cost is charged to (mm/budget.ts).
  // The charge is taken even past the budget (the object exists); a new
  // descriptor for it is then refused (FdTable.alloc: ENFILE).
  readonly mem = kernelMem();
  constructor(public path: Path | null, readonly inode: Inode, public flags: number, public ops: FileOps) {
    this.mem?.forceCharge("slab", FILE_COST);
    inode.openFiles++;
    // (Inodes a driver makes without a filesystem, such as a test's, have no sb.)
    const sb = inode.sb as SuperBlock | undefined;
    if (sb) sb.openFiles++;
    this.countedWriter = this.writable;
    if (this.countedWriter) inode.writers++;
    this.countedReader = this.readable && !this.writable;
    if (this.countedReader) inode.readOnlyOpens++;
  }

  get readable(): boolean { return (this.flags & O_PATH) === 0 && (this.flags & O_ACCMODE) !== O_WRONLY; }
  get writable(): boolean { return (this.flags & O_PATH) === 0 && (this.flags & O_ACCMODE) !== O_RDONLY; }
  get nonblock(): boolean { return (this.flags & O_NONBLOCK) !== 0; }

  get(): File { this.refs++; return this; }
  put(): void {
    if (--this.refs !== 0) return;
    // The last reference: flock and OFD locks go with the open file description.
    flockRelease(this.inode, this);
    releaseOwner(this.inode, this);
    fasyncRelease(this);
    dnotifyRelease(this);
    leaseRelease(this);
    if (this.path && !(this.flags & O_PATH)) fsnotify(this.path, this.inode, this.writable ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
    if (this.ops.release) this.ops.release(this);
    if (this.countedWriter) this.inode.writers--;
    if (this.countedReader) this.inode.readOnlyOpens--;
    this.mem?.uncharge("slab", FILE_COST);
    if (--this.inode.openFiles === 0) this.inode.lastClose();
    const sb = this.inode.sb as SuperBlock | undefined;
    if (sb && --sb.openFiles === 0 && sb.afterLastClose) {
      const done = sb.afterLastClose;
      sb.afterLastClose = null;
      done();
    }
  }
}

// File operations of regular files and directories, through the inode.
export const inodeFileOps: FileOps = {
  read(f, dst, pos) {
    if (isDir(f.inode.mode)) kerr(EISDIR);
    // Shared mappings of the file may hold newer bytes: write them back first.
    f.inode.pageCache?.writeBack(f.inode);
    return f.inode.read(pos, dst);
  },
  write(f, src, pos) {
    if (f.flags & O_APPEND) pos = f.inode.size;
    const n = f.inode.write(pos, src);
    f.inode.pageCache?.updateFromWrite(f.inode, pos, src.subarray(0, n));
    return n;
  },
  readIter(f, dst, pos) {
    if (isDir(f.inode.mode)) kerr(EISDIR);
    f.inode.pageCache?.writeBack(f.inode);
    return f.inode.readIter!(pos, dst);
  },
  // Only while no page cache holds pages of the file (canWriteIter).
  writeIter(f, src, pos) {
    if (f.flags & O_APPEND) pos = f.inode.size;
    return f.inode.writeIter!(pos, src);
  },
};

// Whether read(2) and write(2) of f may hand the op the user's pages
// (FileOps.readIter/writeIter). A write to a file with pages in a page cache
// goes through an array, which updateFromWrite copies into the cache's own
// pages (those not lent by the file).
// An ops table may be inodeFileOps spread with a few ops of its own (ext4's
// and tmpfs's ioctls): its readIter/writeIter are then inodeFileOps's, which
// need the inode's own.
export function canReadIter(f: File): boolean {
  const op = f.ops.readIter;
  return op !== undefined && (op !== inodeFileOps.readIter || f.inode.readIter !== undefined);
}
export function canWriteIter(f: File): boolean {
  const op = f.ops.writeIter;
  return op !== undefined && (op !== inodeFileOps.writeIter || (f.inode.writeIter !== undefined && f.inode.pageCache === null));
}

export function fileOpsFor(inode: Inode, f: File): FileOps {
  return inode.openOps(f) ?? inodeFileOps;
}

export interface FdEntry { file: File; cloexec: boolean }

export class FdTable {
  private fds: (FdEntry | undefined)[] = [];
  refs = 1; // tasks sharing this table (CLONE_FILES)

  // The file at fd for an operation on the file itself: an O_PATH descriptor is EBADF (Linux's fdget).
  get(fd: number): File {
    const e = fd >= 0 ? this.fds[fd] : undefined;
    if (!e || (e.file.flags & O_PATH)) kerr(EBADF);
    return e.file;
  }

  // The file at fd where O_PATH descriptors are fine too: *at() dirfds, fstat, fchdir, dup, fcntl (fdget_raw).
  getRaw(fd: number): File {
    const e = fd >= 0 ? this.fds[fd] : undefined;
    if (!e) kerr(EBADF);
    return e.file;
  }
  entry(fd: number): FdEntry | undefined { return fd >= 0 ? this.fds[fd] : undefined; }

  // Lowest free descriptor at or above min, below limit. On failure the
  // caller's reference to the file is dropped (a file made for the new
  // descriptor goes, with its memory charge), as fd_install's callers fput.
  alloc(file: File, cloexec: boolean, limit: number, min = 0): number {
    try {
      if (min >= limit) kerr(EINVAL);
      // The guest's memory is spent (kernel objects included): no new file,
      // as Linux's alloc_empty_file past file-max.
      if (file.refs === 1 && file.mem?.lowAfterReclaim()) kerr(ENFILE);
      for (let fd = min; fd < limit; fd++) {
        if (!this.fds[fd]) { this.fds[fd] = { file, cloexec }; return fd; }
      }
      return kerr(EMFILE);
    } catch (e) {
      file.put();
      throw e;
    }
  }

  // Installs at a given number, closing what was there.
  // Whether an fd below limit is free (EMFILE otherwise): for calls that, as
  // Linux's get_unused_fd_flags, must fail with EMFILE before they act.
  checkFree(limit: number): void {
    for (let fd = 0; fd < limit; fd++) if (!this.fds[fd]) return;
    kerr(EMFILE);
  }

  install(fd: number, file: File, cloexec: boolean): void {
    const old = this.fds[fd];
    this.fds[fd] = { file, cloexec };
    if (old) { releaseOwner(old.file.inode, this); old.file.put(); }
  }

  close(fd: number): void {
    const e = fd >= 0 ? this.fds[fd] : undefined;
    if (!e) kerr(EBADF);
    this.fds[fd] = undefined;
    // POSIX record locks belong to the fd table and go on any close of the file.
    releaseOwner(e.file.inode, this);
    e.file.put();
  }

  closeOnExec(): void {
    this.fds.forEach((e, fd) => { if (e?.cloexec) this.close(fd); });
  }

  closeAll(): void {
    this.fds.forEach((e, fd) => { if (e) this.close(fd); });
  }

  // Whether a copy for fork or unshare(CLONE_FILES) may be made, as Linux's
  // dup_fd: EMFILE when the table, grown in steps of 64 past the first 64 to
  // hold its highest open fd, would pass fs.nr_open (lowered since then).
  checkDup(nrOpen: number): void {
    let top = this.fds.length;
    while (top > 0 && !this.fds[top - 1]) top--;
    if (top > 64 && Math.ceil(top / 64) * 64 > Math.floor(nrOpen / 64) * 64) kerr(EMFILE);
  }

  clone(): FdTable {
    const t = new FdTable();
    t.fds = this.fds.map((e) => (e ? { file: e.file.get(), cloexec: e.cloexec } : undefined));
    return t;
  }

  *entries(): Generator<[number, FdEntry]> {
    for (let fd = 0; fd < this.fds.length; fd++) { const e = this.fds[fd]; if (e) yield [fd, e]; }
  }

  get count(): number { return this.fds.filter(Boolean).length; }
}

export function checkSeekable(f: File): void { if (f.ops.stream) kerr(ESPIPE); }
