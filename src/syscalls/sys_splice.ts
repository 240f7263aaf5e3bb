// Copies inside the kernel: sendfile, copy_file_range, splice, tee; and vmsplice.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, EBADF, ESPIPE, EISDIR, EAGAIN, EOVERFLOW } from "../abi/errno.js";
import { O_APPEND, O_NONBLOCK } from "../abi/fcntl.js";
import { SPLICE_F_NONBLOCK, SPLICE_F_MOVE, SPLICE_F_MORE, SPLICE_F_GIFT } from "../abi/mount.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { waitForIo } from "../fs/iowait.js";
import { um } from "./util.js";
import { File } from "../fs/file.js";
import { PipeInode } from "../fs/pipe.js";
import { isDir, isReg } from "../fs/inode.js";
import { fileAccessed } from "../fs/atime.js";
import type { Task } from "../kernel/task.js";
import { COPY_CHUNK, MAX_RW_COUNT } from "./sys_openat2.js";
import { readIov, rwWithFlags } from "./sys_file.js";
import { fdArg, i32Arg, u32Arg, sizeArg } from "./args.js";

// Moves up to len bytes from one file to another through the kernel, a
// chunk at a time, as Linux's do_splice_direct: until len is done, the input
// ends, or the output takes less (a full pipe). Only a seekable input goes
// past its first chunk, so that no byte read is ever lost to a failed write.
function transfer(t: Task, inF: File, inPos: number | null, outF: File, outPos: number | null, len: number, nonblock: boolean): { n: number; inPos: number | null; outPos: number | null } {
  if (!inF.readable || !inF.ops.read) kerr(EBADF);
  if (!outF.writable || !outF.ops.write) kerr(EBADF);
  if (isDir(inF.inode.mode)) kerr(EISDIR);
  len = Math.min(len, MAX_RW_COUNT);
  if (isReg(inF.inode.mode)) fileAccessed(inF); // filemap_splice_read
  const buf = new Uint8Array(Math.min(len, COPY_CHUNK));
  let done = 0;
  while (done < len) {
    const want = buf.subarray(0, Math.min(buf.length, len - done));
    let n: number;
    try {
      // Only the first read waits: after that, what moved so far is the result.
      n = waitForIo(t, inF, () => inF.ops.read!(inF, want, inPos ?? inF.pos), { nonblock: done > 0 || nonblock || inF.nonblock });
    } catch (e) {
      if (done > 0) break;
      throw e;
    }
    if (n <= 0) break;
    let w: number;
    try {
      w = outF.ops.write(outF, want.subarray(0, n), outPos ?? (outF.flags & O_APPEND ? outF.inode.size : outF.pos));
    } catch (e) {
      if (done > 0) break; // what moved so far is the result
      throw e;
    }
    if (inPos === null) { if (!inF.ops.stream) inF.pos += w; } else inPos += w;
    if (outPos === null) { if (!outF.ops.stream) outF.pos += w; } else outPos += w;
    done += w;
    if (w < n || inF.ops.stream || n < want.length) break;
  }
  return { n: done, inPos, outPos };
}

function readOff(t: Task, va: number): number | null { return va ? um(t).i64(va) : null; }

function copyCall(t: Task, inFd: number, inOffVa: number, outFd: number, outOffVa: number, len: number, flags: number, kind: "sendfile" | "copy" | "splice"): number {
  const inF = t.files.get(i32Arg(inFd)), outF = t.files.get(i32Arg(outFd));
  if (kind === "copy") return copyFileRange(t, inF, inOffVa, outF, outOffVa, len, flags);
  if (len < 0) kerr(EINVAL);
  if (kind === "splice") {
    if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)) kerr(EINVAL);
    const inPipe = inF.inode instanceof PipeInode, outPipe = outF.inode instanceof PipeInode;
    if (!inPipe && !outPipe) kerr(EINVAL);
    if ((inPipe && inOffVa) || (outPipe && outOffVa)) kerr(ESPIPE);
    // As Linux's do_splice: a pipe is not spliced into an append-only file.
    if (inPipe && !outPipe && (outF.flags & O_APPEND)) kerr(EINVAL);
    // A directory has no splice_read (do_splice_read: EINVAL).
    if (!inPipe && inF.readable && isDir(inF.inode.mode)) kerr(EINVAL);
  }
  if (kind === "sendfile" && inF.ops.stream && !(inF.inode instanceof PipeInode)) kerr(EINVAL);
  if (kind === "sendfile" && (outF.flags & O_APPEND)) kerr(EINVAL);
  // As Linux's do_sendfile: a negative offset is EINVAL.
  const inOff = readOff(t, inOffVa), outOff = kind === "sendfile" ? null : readOff(t, outOffVa);
  if ((inOff !== null && inOff < 0) || (outOff !== null && outOff < 0)) kerr(EINVAL);
  if (len === 0) return 0;
  const r = transfer(t, inF, inOff, outF, outOff, len, (flags & SPLICE_F_NONBLOCK) !== 0);
  if (inOffVa && r.inPos !== null) um(t).setU64(inOffVa, r.inPos);
  if (outOffVa && r.outPos !== null && kind !== "sendfile") um(t).setU64(outOffVa, r.outPos);
  return r.n;
}

// copy_file_range, in the order of Linux's vfs_copy_file_range and
// generic_copy_file_checks: flags, file types and modes, then offsets that
// would wrap past 2^64 (EOVERFLOW: len is a size_t, ULLONG_MAX is not -1),
// then the count shortened to the source's end, an overlap inside one file
// (EINVAL), negative offsets (EINVAL, rw_verify_area).
function copyFileRange(t: Task, inF: File, inOffVa: number, outF: File, outOffVa: number, len: number, flags: number): number {
  if (flags) kerr(EINVAL);
  if (!isReg(inF.inode.mode) || !isReg(outF.inode.mode)) kerr(isDir(inF.inode.mode) || isDir(outF.inode.mode) ? EISDIR : EINVAL);
  if (!inF.readable || !outF.writable || (outF.flags & O_APPEND)) kerr(EBADF);
  const inOff = readOff(t, inOffVa), outOff = readOff(t, outOffVa);
  const ip = inOff ?? inF.pos, op = outOff ?? outF.pos;
  // len >= 2^63 arrives negative: the unsigned count is 2^64 + len, and
  // pos + count wraps exactly when pos >= -len.
  if (len < 0 && ((ip >= 0 && ip >= -len) || (op >= 0 && op >= -len))) kerr(EOVERFLOW);
  let count = sizeArg(len);
  count = ip >= inF.inode.size ? 0 : Math.min(count, inF.inode.size - ip);
  if (inF.inode === outF.inode && op + count > ip && op < ip + count) kerr(EINVAL);
  if (ip < 0 || op < 0) kerr(EINVAL);
  if (count === 0) return 0;
  const r = transfer(t, inF, inOff, outF, outOff, count, false);
  if (inOffVa && r.inPos !== null) um(t).setU64(inOffVa, r.inPos);
  if (outOffVa && r.outPos !== null) um(t).setU64(outOffVa, r.outPos);
  return r.n;
}

// vmsplice: user memory into a pipe (its write end) or out of it (its read
// end). Ghost copies (SPLICE_F_GIFT gifts nothing; Linux may map the pages).
// As Linux's vmsplice_to_pipe and vmsplice_to_user: wait (unless
// SPLICE_F_NONBLOCK or O_NONBLOCK) only until some room or some data is
// there, then move as much as goes at once.
function vmsplice(t: Task, fd: number, iov: number, cnt: number, flags: number): number {
  if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)) kerr(EINVAL);
  const f = t.files.get(fd);
  if (!f.readable && !f.writable) kerr(EBADF);
  const toPipe = f.writable;
  const buf = readIov(t, iov, cnt);
  if (buf.length === 0) return 0;
  if (!(f.inode instanceof PipeInode)) kerr(EBADF);
  const blocking = !(flags & SPLICE_F_NONBLOCK) && !f.nonblock;
  try {
    return rwWithFlags(t, f, buf, null, toPipe, O_NONBLOCK);
  } catch (e) {
    if (!(e instanceof KernelError && e.errno === EAGAIN) || !blocking) throw e;
  }
  const q = f.ops.waitQueue?.(f);
  return q ? sleepOn(t, [q]) : kerr(EAGAIN);
}

defineSyscalls({
  vmsplice: (t, fd, iov, cnt, flags) => vmsplice(t, fdArg(fd), iov, cnt, u32Arg(flags)),
  sendfile: (t, out, inp, offVa, count) => copyCall(t, inp, offVa, out, 0, count, 0, "sendfile"),
  copy_file_range: (t, inp, inOff, out, outOff, len, flags) => copyCall(t, inp, inOff, out, outOff, len, flags, "copy"),
  splice: (t, inp, inOff, out, outOff, len, flags) => copyCall(t, inp, inOff, out, outOff, len, u32Arg(flags), "splice"),
  tee: [(t, inp, out, len, flags) => {
    const inF = t.files.get(i32Arg(inp)), outF = t.files.get(i32Arg(out));
    if (!(inF.inode instanceof PipeInode) || !(outF.inode instanceof PipeInode) || inF.inode === outF.inode) kerr(EINVAL);
    if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)) kerr(EINVAL);
    const n = inF.inode.pipe.peek(Math.min(len, 1 << 20));
    if (n.length === 0) {
      if (inF.inode.pipe.writers === 0) return 0;
      if (flags & SPLICE_F_NONBLOCK || inF.nonblock) kerr(EAGAIN);
      return sleepOn(t, [inF.inode.pipe.rwait]);
    }
    return outF.ops.write!(outF, n, 0);
  }, "implemented", ""],
});
