// File I/O syscalls: open/close, read/write and their vector and positional
// forms, lseek, getdents64, dup, fcntl, ioctl.

import { kerr, KernelError } from "../lib/errors.js";
import { EBADF, EINVAL, ESPIPE, EISDIR, EXDEV, EPIPE, ENOTTY, ENOTDIR, EFAULT, EOVERFLOW, EAGAIN, EPERM, EDEADLK, EWOULDBLOCK, EFBIG, ENXIO, EOPNOTSUPP } from "../abi/errno.js";
import {
  O_CLOEXEC, O_NOATIME, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC, SEEK_SET, SEEK_CUR,
  SEEK_END, SEEK_DATA, SEEK_HOLE, O_LARGEFILE, O_NONBLOCK, F_GETPIPE_SZ, F_SETPIPE_SZ, F_GETLK, F_SETLK, F_SETLKW,
  F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_UNLCK, F_RDLCK, F_WRLCK, flock as flockStruct, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, F_ADD_SEALS, F_GET_SEALS,
  MAX_RW_COUNT, FASYNC, F_DUPFD_QUERY, F_CREATED_QUERY, O_PATH, O_APPEND, O_DIRECT, RWF_SUPPORTED, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE
} from "../abi/fcntl.js";
import { FIOCLEX, FIONCLEX, FIONBIO } from "../abi/ioctl.js";
import { FS_IOC_FIEMAP } from "../abi/fiemap.js";
import { FICLONE, FICLONERANGE, FILE_CLONE_RANGE_SRC_FD, FS_APPEND_FL } from "../abi/fs_blk.js";
import { SIGPIPE, SIGXFSZ, SI_KERNEL } from "../abi/signal.js";
import { iovec, UIO_MAXIOV } from "../abi/socket.js";
import { defineSyscalls } from "./table.js";
import { sleepOn, isSleeping, park } from "../kernel/blocking.js";
import { waitForIo } from "../fs/iowait.js";
import { restartOf } from "../kernel/restart.js";
import { um, pathArg, ioctlContext } from "./util.js";
import { UserBuffer, IO_CHUNK, bounceBuffer } from "../mm/uio.js";
import { TASK_SIZE } from "../mm/mm.js";
import { openAt, ownerOrCapable } from "../fs/vfs.js";
import { memfdSeals } from "../fs/memfd.js";
import { fsnotify, IN_ACCESS, IN_MODIFY } from "../fs/notify.js";
import { checkType, recordSet, recordTest, lockWaitQueue, noteWaiting, wouldDeadlock, flockTry, flockRelease, noteLocked, type RecordLock } from "../fs/locks.js";
import { makePipe, PipeInode } from "../fs/pipe.js";
import { newPipeSize, pipeMaxSize } from "../fs/pipe_limits.js";
import { pipeRead, pipeWrite, PIPE_SLOW } from "../fs/pipe_rw.js";
import { CAP_SYS_RESOURCE } from "../abi/prctl.js";
import { SETFL_MASK, File, inodeFileOps, canReadIter, canWriteIter } from "../fs/file.js";
import { isDir, isReg, S_IFMT, S_IFIFO, S_IFSOCK } from "../fs/inode.js";
import { fileAccessed } from "../fs/atime.js";
import { sendSignal } from "../kernel/signal.js";
import { setFasync } from "../fs/fown.js";
import { fcntlOwner, ioctlOwner } from "./sys_fown.js";
import type { Task } from "../kernel/task.js";
import { nofile, rlimit } from "../kernel/task.js";
import { RLIMIT_FSIZE } from "../abi/resource.js";
import { hasCap } from "../kernel/cred.js";
import { fdArg, i32Arg, u32Arg } from "./args.js";



function checkRead(f: File): void { if (!f.readable || !f.ops.read) kerr(EBADF); }
function checkWrite(f: File): void { if (!f.writable || !f.ops.write) kerr(EBADF); }

// Reads into the user buffer; pos null means the file's own offset. Copies
// in chunks of at most IO_CHUNK, never more than the buffer can take from
// where it is mapped writable: a fault part-way ends the read with what was
// copied (EFAULT if nothing), and a stream gives up no byte it cannot
// deliver, as Linux's copy_to_iter. A stream is read again only after it
// filled a whole chunk, and only while it has more at once.
// O_DIRECT on a file that serves it: offset, length and buffers aligned (EINVAL, as iomap_dio_rw).
function checkDirect(f: File, buf: UserBuffer, pos: number | null): void {
  const a = f.ops.dioAlign;
  if (!(f.flags & O_DIRECT) || !a) return;
  if ((pos ?? f.pos) % a !== 0 || !buf.aligned(a)) kerr(EINVAL);
}

function doRead(t: Task, f: File, buf: UserBuffer, pos: number | null): number {
  checkRead(f);
  if (isDir(f.inode.mode)) kerr(EISDIR);
  checkDirect(f, buf, pos);
  const total = Math.min(buf.length, MAX_RW_COUNT);
  if (total === 0) return 0;
  const size = Math.min(total, IO_CHUNK);
  // A blocking read of an empty pipe sleeps at once, as the general path
  // below would (after its buffer check), without the two exceptions it
  // takes to get there (EAGAIN from the pipe, then the sleep): half of a
  // pipe round trip's reads.
  if (f.inode instanceof PipeInode && !f.nonblock) {
    const p = f.inode.pipe;
    if (p.available === 0 && p.writers > 0) return park(t, p.readSleep);
  }
  // A regular file's atime, even for a read at its end (filemap_read's file_accessed).
  if (isReg(f.inode.mode)) fileAccessed(f);
  // A pipe or a tmpfs file copies straight into the user's pages.
  if (canReadIter(f)) return readChunks(t, f, buf, pos, total, null, size);
  // Others fill the reused bounce buffer: a read op fills it and forgets
  // it, the bytes are copied out before anything else runs.
  const lent = bounceBuffer.take(size);
  const chunk = lent ? lent.subarray(0, size) : new Uint8Array(size);
  try {
    return readChunks(t, f, buf, pos, total, chunk, size);
  } finally { if (lent) bounceBuffer.give(); }
}

// chunk null: the file's readIter copies into the user's pages itself.
function readChunks(t: Task, f: File, buf: UserBuffer, pos: number | null, total: number, chunk: Uint8Array | null, size: number): number {
  return waitForIo(t, f, () => {
    let done = 0;
    while (done < total) {
      const ask = Math.min(size, total - done);
      const want = buf.accessible(done, ask, true);
      if (want === 0 && !f.ops.readsPastFault) { if (done > 0) break; kerr(EFAULT); }
      const at = pos === null ? f.pos : pos + done;
      let n: number;
      try {
        n = chunk ? f.ops.read!(f, chunk.subarray(0, want), at) : f.ops.readIter!(f, buf.iter(done, want), at, ask);
      } catch (e) {
        if (done > 0) break; // what was read stands (a stream with nothing more now)
        throw e;
      }
      if (n > 0 && chunk) buf.copyOut(done, chunk.subarray(0, n));
      if (pos === null && !f.ops.stream) f.pos = at + n;
      done += n;
      if (n < want || want < ask) break; // short (EOF, drained), or at the fault
    }
    if (done > 0 && f.path) fsnotify(f.path, f.inode, IN_ACCESS);
    return done;
  }, f.ops.readWait?.(f, t));
}

// Writes from the user buffer, in chunks of at most IO_CHUNK copied in from
// where it is readable: a fault part-way ends the write with what was
// written (EFAULT if nothing), as Linux's generic_perform_write. A blocking
// stream that takes only part (a full pipe) parks the task and the retried
// syscall goes on from where it stopped, so a blocking write completes
// whole, as Linux's pipe_write does.
function doWrite(t: Task, f: File, buf: UserBuffer, pos: number | null): number {
  checkWrite(f);
  checkDirect(f, buf, f.flags & O_APPEND ? f.inode.size : pos);
  let total = Math.min(buf.length, MAX_RW_COUNT);
  // RLIMIT_FSIZE: a regular file may not grow past the limit (SIGXFSZ, then EFBIG).
  const fsize = rlimit(t.tg, RLIMIT_FSIZE);
  if (fsize >= 0 && isReg(f.inode.mode)) {
    const at = f.flags & O_APPEND ? f.inode.size : pos ?? f.pos;
    if (at + total > fsize) {
      if (at >= fsize) { sendSignal(t, { signo: SIGXFSZ, code: SI_KERNEL }, true); kerr(EFBIG); }
      total = fsize - at;
    }
  }
  if (f.ops.sink) { if (total > 0 && f.path) fsnotify(f.path, f.inode, IN_MODIFY); return total; }
  let done = restartOf(t, "write")?.written ?? 0;
  // A pipe or a tmpfs file copies straight from the user's pages.
  const direct = canWriteIter(f);
  for (;;) {
    // A zero-length write still reaches the file (an empty datagram is a message).
    const want = Math.min(IO_CHUNK, total - done);
    const have = buf.accessible(done, want, false);
    if (have === 0 && want > 0) { if (done > 0) return finishWrite(f, done); kerr(EFAULT); }
    // A file whose write copies the bytes before it returns (a pipe, tmpfs)
    // takes them from the reused bounce buffer; others get their own array.
    const lent = !direct && (f.ops.copiesWrites || (f.ops === inodeFileOps && f.inode.copiesWrites)) ? bounceBuffer.take(have) : null;
    const data = direct ? null : buf.copyIn(done, have, lent ?? undefined);
    const src = direct ? buf.iter(done, have) : null;
    const at = pos === null ? f.pos : pos + done;
    let n: number;
    try {
      n = waitForIo(t, f, () => (src ? f.ops.writeIter!(f, src, at) : f.ops.write!(f, data!, at)), new WriteParking(t, done));
    } catch (e) {
      if (lent) bounceBuffer.give();
      if (isSleeping(e)) throw e;
      if (e instanceof KernelError && e.errno === EPIPE) sendSignal(t, { signo: SIGPIPE, code: 0, pid: t.pid, uid: t.cred.uid }, true);
      if (done > 0) return finishWrite(f, done);
      throw e;
    }
    if (lent) bounceBuffer.give();
    if (pos === null && !f.ops.stream) f.pos = (f.flags & O_APPEND ? f.inode.size - n : at) + n;
    done += n;
    if (done >= total || n === 0) return finishWrite(f, done);
    // A short write: a file (disk full, a limit) or a non-blocking stream stops here;
    // a blocking stream goes on, and sleeps when it is full.
    if (n < have && (!f.ops.stream || f.nonblock)) return finishWrite(f, done);
  }
}

// The end of a write that wrote `done` bytes. (This and WriteParking are not
// closures made in doWrite: the bundle names every named closure when it is
// made, a defineProperty per write(2) that was ~8% of a pipe round trip.)
function finishWrite(f: File, done: number): number {
  if (done > 0 && f.path) fsnotify(f.path, f.inode, IN_MODIFY);
  return done;
}

// A blocking write that must wait records how far it got: the retried
// syscall goes on from there.
class WriteParking {
  constructor(private readonly t: Task, private readonly done: number) {}
  park(): void {
    this.t.restart = { kind: "write", written: this.done };
    this.t.partialResult = this.done || null;
  }
}

// The iovec array: at most UIO_MAXIOV entries; a length negative as ssize_t is
// EINVAL; the total is cut at MAX_RW_COUNT (as Linux's import_iovec).
export function readIov(t: Task, iov: number, cnt: number): UserBuffer {
  if (cnt < 0 || cnt > UIO_MAXIOV) kerr(EINVAL);
  const m = um(t);
  if (cnt === 0) return new UserBuffer(m, []);
  const raw = m.read(iov, cnt * iovec.size);
  const dv = new DataView(raw.buffer);
  const segs = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = iovec.get(dv, i * iovec.size, "iov_base");
    const big = iovec.getBig(dv, i * iovec.size, "iov_len");
    if (big > 0x7fffffffffffffffn) kerr(EINVAL);
    if (!accessOk(base, Number(big))) kerr(EFAULT);
    const len = Math.min(Number(big), MAX_RW_COUNT - total);
    total += len;
    segs.push({ base, len });
  }
  return new UserBuffer(m, segs);
}

// Linux's access_ok: the range lies wholly in user space (else EFAULT,
// before anything else is looked at; a count of (size_t)-1 is EFAULT so).
function accessOk(va: number, len: number): boolean { return len >= 0 && va >= 0 && len <= TASK_SIZE && va <= TASK_SIZE - len; }

// The buffer of read/write, its count cut at MAX_RW_COUNT.
function userBuf(t: Task, va: number, len: number): UserBuffer {
  if (!accessOk(va, len)) kerr(EFAULT);
  return UserBuffer.of(um(t), va, Math.min(len, MAX_RW_COUNT));
}

function posArg(pos: number): number { if (pos < 0) kerr(EINVAL); return pos; }

// preadv2/pwritev2: an offset of -1 is the file's own position (readv and
// writev), any other negative one EINVAL; the rwf_t flags act on this call
// only. As Linux's vfs_readv/vfs_writev and kiocb_set_rw_flags: the fd, the
// mode and the iovec are checked first, a transfer of nothing succeeds
// whatever the flags, then flags Linux does not know are EOPNOTSUPP, as are
// RWF_NOWAIT where the file cannot promise it (pipes, sockets, the memory
// devices and files of disk filesystems can; tmpfs files, ttys and others cannot), RWF_ATOMIC (no filesystem here offers
// atomic writes) and RWF_DONTCACHE (no uncached buffered I/O). RWF_HIPRI,
// RWF_DSYNC and RWF_SYNC ask for what Ghost's writes already are: complete
// and in memory when the call returns. RWF_APPEND writes at the end of the
// file, RWF_NOAPPEND ignores O_APPEND, and RWF_NOWAIT makes a pipe or a
// socket non-blocking, for this call.
function rw2(t: Task, fd: number, iov: number, cnt: number, pos: number, flags: number, write: boolean): number {
  if (pos < -1) kerr(EINVAL);
  const f = t.files.get(fd);
  if (pos !== -1) seekable(f);
  if (write) checkWrite(f); else checkRead(f);
  const buf = readIov(t, iov, cnt);
  if (buf.length === 0) return 0;
  if (flags & ~RWF_SUPPORTED) kerr(EOPNOTSUPP);
  const type = f.inode.mode & S_IFMT;
  const nowait = isReg(f.inode.mode) ? f.inode.sb.nowaitFiles : type === S_IFIFO || type === S_IFSOCK || f.ops.nowait;
  if ((flags & RWF_NOWAIT) && !nowait) kerr(EOPNOTSUPP);
  if (flags & (RWF_ATOMIC | RWF_DONTCACHE)) kerr(EOPNOTSUPP);
  // A read that would go to the disk: EAGAIN (filemap_get_pages under
  // IOCB_NOWAIT). Ghost looks at the first page only: a read that starts in
  // memory runs to its end, where Linux stops short at the first page missing.
  if ((flags & RWF_NOWAIT) && !write && isReg(f.inode.mode) && !f.inode.pageInMemory(pos === -1 ? f.pos : pos)) kerr(EAGAIN);
  let set = 0, clear = 0;
  if (flags & RWF_NOWAIT) set |= O_NONBLOCK;
  if (write && (flags & RWF_APPEND)) set |= O_APPEND;
  if (write && (flags & RWF_NOAPPEND) && !(flags & RWF_APPEND)) clear |= O_APPEND;
  return rwWithFlags(t, f, buf, pos === -1 ? null : pos, write, set, clear);
}

// A read or write with open-file flags set or cleared for this call only
// (Linux passes them per request: RWF_*, SPLICE_F_NONBLOCK, AIO's attempt
// that must not wait). The file's operations read them from the open file,
// and nothing else runs until the call returns or parks, so they are put
// back as they were either way.
export function rwWithFlags(t: Task, f: File, buf: UserBuffer, pos: number | null, write: boolean, set: number, clear = 0): number {
  if (!set && !clear) return write ? doWrite(t, f, buf, pos) : doRead(t, f, buf, pos);
  const saved = f.flags;
  f.flags = (f.flags | set) & ~clear;
  try {
    return write ? doWrite(t, f, buf, pos) : doRead(t, f, buf, pos);
  } finally {
    f.flags = (f.flags & ~(set | clear)) | (saved & (set | clear));
  }
}

function seekable(f: File): void { if (f.ops.stream) kerr(ESPIPE); }

export function lseek(f: File, off: number, whence: number): number {
  seekable(f);
  if (f.ops.seek) { if (whence < 0 || whence > 4) kerr(EINVAL); return (f.pos = f.ops.seek(f, off, whence)); }
  let base: number;
  switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = f.pos; break;
    case SEEK_END: base = f.inode.size; break;
    case SEEK_DATA: case SEEK_HOLE: {
      // A filesystem that knows its holes (tmpfs) says where they are;
      // elsewhere, as generic_file_llseek_size, all is data up to EOF.
      const own = (f.inode as { seekHoleData?: (off: number, data: boolean) => number }).seekHoleData;
      if (own) return (f.pos = own.call(f.inode, off, whence === SEEK_DATA));
      if (off < 0 || off >= f.inode.size) kerr(ENXIO);
      return (f.pos = whence === SEEK_DATA ? off : f.inode.size);
    }
    default: return kerr(EINVAL);
  }
  const n = base + off;
  if (n < 0) kerr(EINVAL);
  if (n > Number.MAX_SAFE_INTEGER) kerr(EOVERFLOW);
  if (isDir(f.inode.mode) && n === 0) f.dirEntries = null;
  f.pos = n;
  return n;
}

function getdents64(t: Task, fd: number, va: number, count: number): number {
  const f = t.files.get(fd);
  if (!f.path) kerr(EBADF);
  if (!isDir(f.inode.mode)) kerr(ENOTDIR);
  if (f.dirEntries === null || f.pos === 0) f.dirEntries = f.inode.readdir();
  const out: Uint8Array[] = [];
  let used = 0;
  while (f.pos < f.dirEntries.length) {
    const e = f.dirEntries[f.pos];
    const name = Buffer.from(e.name, "latin1");
    const reclen = Math.ceil((19 + name.length + 1) / 8) * 8;
    if (used + reclen > count) {
      if (used === 0) kerr(EINVAL);
      break;
    }
    const rec = new Uint8Array(reclen);
    const dv = new DataView(rec.buffer);
    dv.setBigUint64(0, BigInt(e.ino), true);
    dv.setBigInt64(8, BigInt(f.pos + 1), true);
    dv.setUint16(16, reclen, true);
    rec[18] = e.type;
    rec.set(name, 19);
    out.push(rec);
    used += reclen;
    f.pos++;
  }
  const buf = new Uint8Array(used);
  let o = 0;
  for (const r of out) { buf.set(r, o); o += r.length; }
  if (used) um(t).write(va, buf);
  fileAccessed(f); // iterate_dir
  return used;
}

// A lock's byte range from l_start and l_len (64-bit, any value a guest
// writes), as Linux's flock64_to_posix_lock: past OFFSET_MAX is EOVERFLOW, a
// start before 0 is EINVAL, l_len 0 runs to the end (Infinity here). Offsets
// past 2^53 become the nearest number: ranges there are only approximate.
function lockRange(base: bigint, lStart: bigint, lLen: bigint): { start: number; end: number } {
  if (lStart > OFFSET_MAX - base) kerr(EOVERFLOW);
  let start = base + lStart;
  if (start < 0n) kerr(EINVAL);
  let end: bigint;
  if (lLen > 0n) {
    if (lLen - 1n > OFFSET_MAX - start) kerr(EOVERFLOW);
    end = start + lLen - 1n;
  } else if (lLen < 0n) {
    if (start + lLen < 0n) kerr(EINVAL);
    end = start - 1n;
    start += lLen;
  } else end = OFFSET_MAX;
  return { start: Number(start), end: end === OFFSET_MAX ? Infinity : Number(end) };
}
const OFFSET_MAX = (1n << 63n) - 1n;

// fcntl record locks: POSIX (owned by the fd table) and OFD (owned by the open file).
function recordLock(t: Task, f: File, cmd: number, arg: number): number {
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  const dv = new DataView(um(t).read(arg, flockStruct.size).buffer);
  const type = flockStruct.get(dv, 0, "l_type");
  const whence = flockStruct.get(dv, 0, "l_whence");
  if (ofd && flockStruct.get(dv, 0, "l_pid") !== 0) kerr(EINVAL);
  checkType(type);
  const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? f.pos : whence === SEEK_END ? f.inode.size : kerr(EINVAL);
  const { start, end } = lockRange(BigInt(base), flockStruct.getBig(dv, 0, "l_start"), flockStruct.getBig(dv, 0, "l_len"));
  const owner: object = ofd ? f : t.files;
  const want: RecordLock = { owner, pid: ofd ? -1 : t.pid, type, start, end };
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    const c = recordTest(f.inode, want);
    if (!c) flockStruct.set(dv, 0, "l_type", F_UNLCK);
    else {
      flockStruct.set(dv, 0, "l_type", c.type);
      flockStruct.set(dv, 0, "l_whence", SEEK_SET);
      flockStruct.set(dv, 0, "l_start", BigInt(c.start));
      flockStruct.set(dv, 0, "l_len", c.end === Infinity ? 0n : BigInt(c.end) - BigInt(c.start) + 1n);
      flockStruct.set(dv, 0, "l_pid", c.pid);
    }
    um(t).write(arg, new Uint8Array(dv.buffer));
    return 0;
  }
  if (type === F_RDLCK && !f.readable) kerr(EBADF);
  if (type === F_WRLCK && !f.writable) kerr(EBADF);
  if (recordSet(f.inode, want)) { noteWaiting(t.k, owner, null); noteLocked(t.k, f.inode); return 0; }
  if (cmd === F_SETLK || cmd === F_OFD_SETLK) kerr(EAGAIN);
  const blocker = recordTest(f.inode, want)!;
  if (!ofd && wouldDeadlock(t.k, owner, blocker.owner)) kerr(EDEADLK);
  noteWaiting(t.k, owner, blocker.owner);
  t.onRestartDrop = () => noteWaiting(t.k, owner, null);
  return sleepOn(t, [lockWaitQueue(f.inode)]);
}

function fcntl(t: Task, fd: number, cmd: number, arg: number): number {
  const f = t.files.getRaw(fd);
  // As Linux's check_fcntl_cmd: an O_PATH descriptor takes only these.
  if ((f.flags & O_PATH) && cmd !== F_DUPFD && cmd !== F_DUPFD_CLOEXEC && cmd !== F_GETFD && cmd !== F_SETFD && cmd !== F_GETFL &&
    cmd !== F_DUPFD_QUERY && cmd !== F_CREATED_QUERY) kerr(EBADF);
  const e = t.files.entry(fd)!;
  switch (cmd) {
    case F_DUPFD: case F_DUPFD_CLOEXEC:
      if (arg < 0 || arg >= nofile(t)) kerr(EINVAL);
      return t.files.alloc(f.get(), cmd === F_DUPFD_CLOEXEC, nofile(t), arg);
    case F_GETFD: return e.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: e.cloexec = (arg & FD_CLOEXEC) !== 0; return 0;
    case F_GETFL: return f.flags | O_LARGEFILE;
    case F_SETFL:
      // As Linux's setfl: turning O_NOATIME on takes the owner or CAP_FOWNER.
      if ((arg & O_NOATIME) && !(f.flags & O_NOATIME) && !ownerOrCapable(f.inode, t.cred)) kerr(EPERM);
      // setfl: O_APPEND stays on a file of an append-only inode.
      if (((arg ^ f.flags) & O_APPEND) && (f.inode.inodeFlags() & FS_APPEND_FL)) kerr(EPERM);
      // As Linux's setfl: a change of FASYNC goes through the file's fasync,
      // which alone sets or clears the bit (ignored by a file type without one).
      if ((arg ^ f.flags) & FASYNC) setFasync(f, fd, (arg & FASYNC) !== 0);
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
      return recordLock(t, f, cmd, arg);
    case F_ADD_SEALS: return memfdSeals(t, f, u32Arg(arg));
    case F_GET_SEALS: return memfdSeals(t, f, null);
    case F_GETPIPE_SZ: case F_SETPIPE_SZ: {
      if (!(f.inode instanceof PipeInode)) kerr(EBADF);
      if (cmd === F_GETPIPE_SZ) return f.inode.pipe.capacity;
      // As Linux's pipe_set_size: the size is an unsigned int; past 2^31 it cannot be rounded (EINVAL).
      if ((u32Arg(arg)) > 0x80000000) kerr(EINVAL);
      return f.inode.pipe.resize(Math.max(u32Arg(arg), 4096), hasCap(t.cred, CAP_SYS_RESOURCE), pipeMaxSize(t.k));
    }
    default: return fcntlOwner(t, f, fd, cmd, arg) ?? kerr(EINVAL);
  }
}

defineSyscalls({
  openat: (t, dirfd, path, flags, mode) => {
    const f = openAt(t, fdArg(dirfd), pathArg(t, path), u32Arg(flags), u32Arg(mode));
    try { return t.files.alloc(f, (flags & O_CLOEXEC) !== 0, nofile(t)); } catch (e) { f.put(); throw e; }
  },
  close: (t, fd) => {
    const f = t.files.entry(fdArg(fd))?.file;
    f?.ops.flush?.(f, t.tg);
    t.files.close(fdArg(fd));
    return 0;
  },
  read: (t, fd, va, len) => { // a zero-byte read never blocks
    const f = t.files.get(fdArg(fd));
    if (f.inode instanceof PipeInode && accessOk(va, len)) {
      const r = pipeRead(t, f, f.inode.pipe, um(t), va, Math.min(len, MAX_RW_COUNT));
      if (r !== PIPE_SLOW) return r;
    }
    return doRead(t, f, userBuf(t, va, len), null);
  },
  write: (t, fd, va, len) => {
    const f = t.files.get(fdArg(fd));
    if (f.inode instanceof PipeInode && accessOk(va, len)) {
      const r = pipeWrite(t, f, f.inode.pipe, um(t), va, Math.min(len, MAX_RW_COUNT));
      if (r !== PIPE_SLOW) return r;
    }
    return doWrite(t, f, userBuf(t, va, len), null);
  },
  pread64: (t, fd, va, len, pos) => { const f = t.files.get(fdArg(fd)); seekable(f); return doRead(t, f, userBuf(t, va, len), posArg(pos)); },
  pwrite64: (t, fd, va, len, pos) => { const f = t.files.get(fdArg(fd)); seekable(f); return doWrite(t, f, userBuf(t, va, len), posArg(pos)); },
  readv: (t, fd, iov, cnt) => { const f = t.files.get(fdArg(fd)); checkRead(f); return doRead(t, f, readIov(t, iov, cnt), null); },
  writev: (t, fd, iov, cnt) => { const f = t.files.get(fdArg(fd)); checkWrite(f); return doWrite(t, f, readIov(t, iov, cnt), null); },
  preadv: (t, fd, iov, cnt, pos) => { const f = t.files.get(fdArg(fd)); seekable(f); checkRead(f); return doRead(t, f, readIov(t, iov, cnt), posArg(pos)); },
  pwritev: (t, fd, iov, cnt, pos) => { const f = t.files.get(fdArg(fd)); seekable(f); checkWrite(f); return doWrite(t, f, readIov(t, iov, cnt), posArg(pos)); },
  preadv2: [(t, fd, iov, cnt, pos, _posHigh, flags) => rw2(t, fdArg(fd), iov, cnt, pos, i32Arg(flags), false), "partial",
    "RWF_NOWAIT on ext4 looks at the first page only: a read that starts in the page cache runs on through pages not in it (Linux returns short at the first)"],
  pwritev2: (t, fd, iov, cnt, pos, _posHigh, flags) => rw2(t, fdArg(fd), iov, cnt, pos, i32Arg(flags), true),
  lseek: (t, fd, off, whence) => lseek(t.files.get(fdArg(fd)), off, i32Arg(whence)),
  getdents64: (t, fd, va, count) => getdents64(t, fdArg(fd), va, u32Arg(count)),
  dup: (t, fd) => t.files.alloc(t.files.getRaw(fdArg(fd)).get(), false, nofile(t)),
  dup3: (t, oldfd, newfd, flags) => {
    if ((flags & ~O_CLOEXEC) !== 0 || oldfd === newfd) kerr(EINVAL);
    const f = t.files.getRaw(i32Arg(oldfd));
    if (newfd < 0 || newfd >= nofile(t)) kerr(EBADF);
    t.files.install(i32Arg(newfd), f.get(), (flags & O_CLOEXEC) !== 0);
    return newfd;
  },
  fcntl: (t, fd, cmd, arg) => fcntl(t, fdArg(fd), i32Arg(cmd), arg),
  ioctl: (t, fd, cmd, arg) => {
    const f = t.files.get(fdArg(fd));
    const e = t.files.entry(fdArg(fd))!;
    switch (u32Arg(cmd)) {
      case FIOCLEX: e.cloexec = true; return 0;
      case FIONCLEX: e.cloexec = false; return 0;
      case FIONBIO: {
        const on = um(t).i32(arg) !== 0;
        f.flags = on ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
        return 0;
      }
      case FICLONE: return cloneFile(t, f, i32Arg(arg));
      case FICLONERANGE: return cloneFile(t, f, Number(um(t).big64(arg + FILE_CLONE_RANGE_SRC_FD) & 0xffffffffn) | 0);
      case FS_IOC_FIEMAP: return fiemap(t, f, arg);
    }
    const owner = ioctlOwner(t, f, fdArg(fd), u32Arg(cmd), arg);
    if (owner !== undefined) return owner;
    if (!f.ops.ioctl) kerr(ENOTTY);
    return f.ops.ioctl(f, u32Arg(cmd), arg, ioctlContext(t));
  },
});

export { EFAULT };

// FICLONE/FICLONERANGE, with the checks of Linux's ioctl_file_clone and
// vfs_clone_file_range: the source fd, one mount for both, regular files
// open for reading (source) and writing (destination). No filesystem of
// Ghost shares extents (no remap_file_range), so a valid request is EOPNOTSUPP.
function cloneFile(t: Task, dst: File, srcFd: number): number {
  const src = t.files.get(srcFd);
  if (src.path?.mnt !== dst.path?.mnt) kerr(EXDEV);
  if (isDir(src.inode.mode) || isDir(dst.inode.mode)) kerr(EISDIR);
  if (!isReg(src.inode.mode) || !isReg(dst.inode.mode)) kerr(EINVAL);
  if (!src.readable || !dst.writable || (dst.flags & O_APPEND)) kerr(EBADF);
  kerr(EOPNOTSUPP);
}

// FS_IOC_FIEMAP is do_vfs_ioctl's for every file, ahead of the file's own
// ioctls (ioctl_fiemap): the filesystem's fiemap (ext2/3/4 in Ghost), and
// EOPNOTSUPP for a file whose filesystem has none (tmpfs, pipes, ttys).
function fiemap(t: Task, f: File, arg: number): number {
  if (f.ops.ioctl) {
    try { return f.ops.ioctl(f, FS_IOC_FIEMAP, arg, ioctlContext(t)); }
    catch (e) { if (!(e instanceof KernelError) || e.errno !== ENOTTY) throw e; }
  }
  kerr(EOPNOTSUPP);
}

defineSyscalls({
  pipe2: (t, va, flags) => {
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT /* packet mode */)) kerr(EINVAL);
    const [r, w] = makePipe(flags, newPipeSize(t.k, t.cred));
    r.inode.uid = t.cred.fsuid;
    r.inode.gid = t.cred.fsgid;
    const m = um(t);
    const rfd = t.files.alloc(r, (flags & O_CLOEXEC) !== 0, nofile(t));
    let wfd: number;
    try { wfd = t.files.alloc(w, (flags & O_CLOEXEC) !== 0, nofile(t)); } catch (e) { t.files.close(rfd); throw e; }
    try {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setInt32(0, rfd, true);
      new DataView(b.buffer).setInt32(4, wfd, true);
      m.write(va, b);
    } catch (e) { t.files.close(rfd); t.files.close(wfd); throw e; }
    return 0;
  },
});

defineSyscalls({
  flock: (t, fd, op) => {
    const f = t.files.get(fdArg(fd));
    const kind = op & ~LOCK_NB;
    if (kind === LOCK_UN) { flockRelease(f.inode, f); return 0; }
    if (kind !== LOCK_SH && kind !== LOCK_EX) kerr(EINVAL);
    if (f.flags & O_PATH) kerr(EBADF);
    if (flockTry(f.inode, f, kind === LOCK_EX, t.pid)) { noteLocked(t.k, f.inode); return 0; }
    if (op & LOCK_NB) kerr(EWOULDBLOCK);
    return sleepOn(t, [lockWaitQueue(f.inode)]);
  },
});
