// More file syscalls: openat2, extended attributes, memfd_create with seals,
// close_range, and the in-kernel copies (sendfile, copy_file_range, splice, tee).

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, E2BIG, ERANGE, ENODATA, EBADF, EXDEV, ESPIPE, EPERM, EFAULT, EISDIR, EAGAIN, EOPNOTSUPP, ENOTDIR, EACCES, EEXIST, EBUSY, EROFS, ENAMETOOLONG } from "../abi/errno.js";
import {
  open_how, RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT,
  RESOLVE_CACHED, VALID_RESOLVE_FLAGS, O_CLOEXEC, O_CREAT, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, O_RDWR,
  F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_EXEC, O_TMPFILE, O_LARGEFILE, O_APPEND
} from "../abi/fcntl.js";
import { XATTR_CREATE, XATTR_REPLACE, XATTR_NAME_MAX, XATTR_SIZE_MAX, CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC, SPLICE_F_NONBLOCK, SPLICE_F_MOVE, SPLICE_F_MORE, SPLICE_F_GIFT } from "../abi/mount.js";
import { MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC, MFD_HUGE_MASK, MFD_HUGE_SHIFT } from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { waitForIo } from "../fs/iowait.js";
import { sizeArg } from "./args.js";
import { um, pathArg } from "./util.js";
import { openAt, resolveAt, requireNotReadOnly } from "../fs/vfs.js";
import { File, inodeFileOps, type FdTable } from "../fs/file.js";
import { PipeInode } from "../fs/pipe.js";
import { TmpFile, TmpSuperBlock } from "../fs/tmpfs.js";
import { isDir, isReg, type Inode } from "../fs/inode.js";
import type { Task } from "../kernel/task.js";
import { inotifyFile, InotifyInode } from "../fs/notify.js";
import { IN_CLOEXEC, IN_NONBLOCK, IN_ALL_EVENTS, IN_MASK_ADD, IN_MASK_CREATE, IN_DONT_FOLLOW, IN_ONLYDIR, IN_ONESHOT, IN_EXCL_UNLINK } from "../abi/misc.js";
import { permission, MAY_READ, MAY_WRITE } from "../fs/namei.js";
import { PROT_WRITE } from "../mm/vma.js";
import { nofile } from "../kernel/task.js";


function openat2(t: Task, dirfd: number, pathVa: number, howVa: number, size: number): number {
  if (size < open_how.size || size > 4096) kerr(EINVAL);
  const raw = um(t).read(howVa, size);
  if (raw.subarray(open_how.size).some((b) => b)) kerr(E2BIG);
  const dv = new DataView(raw.buffer);
  const flags = open_how.getBig(dv, 0, "flags"), mode = open_how.getBig(dv, 0, "mode"), resolve = open_how.getBig(dv, 0, "resolve");
  if (flags >> 32n) kerr(EINVAL);
  if (resolve & ~BigInt(VALID_RESOLVE_FLAGS)) kerr(EINVAL);
  const f = Number(flags);
  if (mode & ~0o7777n) kerr(EINVAL);
  if (mode && !(f & O_CREAT) && (f & O_TMPFILE) !== O_TMPFILE) kerr(EINVAL);
  const r = Number(resolve);
  if ((r & RESOLVE_BENEATH) && (r & RESOLVE_IN_ROOT)) kerr(EINVAL);
  if (r & RESOLVE_CACHED) kerr(EAGAIN); // Ghost never has the lookup "cached" in the RESOLVE_CACHED sense
  const file = openAt(t, dirfd, pathArg(t, pathVa), f, Number(mode), {
    noXdev: (r & RESOLVE_NO_XDEV) !== 0, noMagic: (r & RESOLVE_NO_MAGICLINKS) !== 0,
    noSymlinks: (r & RESOLVE_NO_SYMLINKS) !== 0, beneath: (r & RESOLVE_BENEATH) !== 0, inRoot: (r & RESOLVE_IN_ROOT) !== 0,
  });
  return t.files.alloc(file, (f & O_CLOEXEC) !== 0, nofile(t));
}

// The inode an *xattr call names: by path (following links or not) or by fd.
function xattrTarget(t: Task, kind: "path" | "lpath" | "fd", arg: number): { inode: Inode; ro: boolean } {
  if (kind === "fd") {
    const f = t.files.get(arg | 0);
    return { inode: f.inode, ro: f.path ? f.path.mnt.flags & 1 ? true : false : false };
  }
  const p = resolveAt(t, -100, pathArg(t, arg), kind === "path");
  return { inode: p.dentry.inode, ro: (p.mnt.flags & 1) !== 0 };
}

function xattrName(t: Task, va: number): string {
  let name: string;
  try { name = um(t).readCString(va, 256); } catch (e) { if ((e as KernelError).errno === ENAMETOOLONG) kerr(ERANGE); throw e; }
  if (name.length === 0 || name.length > XATTR_NAME_MAX) kerr(ERANGE);
  return name;
}

// CAP_SYS_ADMIN: trusted.* attributes are visible to it alone (Linux's xattr_permission).
const sysAdmin = (t: Task) => (t.cred.capEff & (1n << 21n)) !== 0n;

function getxattr(t: Task, kind: "path" | "lpath" | "fd", arg: number, nameVa: number, valVa: number, size: number): number {
  size = sizeArg(size); // size_t: a "negative" size is a huge one
  const { inode } = xattrTarget(t, kind, arg);
  const name = xattrName(t, nameVa);
  if (name.startsWith("trusted.") && !sysAdmin(t)) kerr(ENODATA);
  if (name.startsWith("user.") && !permission(inode, MAY_READ, t.cred)) kerr(EACCES);
  const v = inode.getxattr(name);
  if (!v) kerr(ENODATA);
  if (size === 0) return v.length;
  if (size < v.length) kerr(ERANGE);
  um(t).write(valVa, v);
  return v.length;
}

function setxattr(t: Task, kind: "path" | "lpath" | "fd", arg: number, nameVa: number, valVa: number, size: number, flags: number): number {
  size = sizeArg(size); // size_t: a "negative" size is a huge one
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) kerr(EINVAL);
  if (size > XATTR_SIZE_MAX) kerr(E2BIG);
  const { inode, ro } = xattrTarget(t, kind, arg);
  if (ro) kerr(EROFS);
  const name = xattrName(t, nameVa);
  if (name.startsWith("user.") && !permission(inode, MAY_WRITE, t.cred)) kerr(EACCES);
  if (name.startsWith("trusted.") && !sysAdmin(t)) kerr(EPERM);
  inode.setxattr(name, size ? um(t).read(valVa, size) : new Uint8Array(0), flags);
  return 0;
}

function listxattr(t: Task, kind: "path" | "lpath" | "fd", arg: number, listVa: number, size: number): number {
  size = sizeArg(size); // size_t: a "negative" size is a huge one
  const { inode } = xattrTarget(t, kind, arg);
  const names = inode.listxattr().filter((n) => sysAdmin(t) || !n.startsWith("trusted."));
  const buf = Buffer.from(names.map((n) => n + "\0").join(""), "latin1");
  if (size === 0) return buf.length;
  if (size < buf.length) kerr(ERANGE);
  um(t).write(listVa, buf);
  return buf.length;
}

function removexattr(t: Task, kind: "path" | "lpath" | "fd", arg: number, nameVa: number): number {
  const { inode, ro } = xattrTarget(t, kind, arg);
  if (ro) kerr(EROFS);
  if (t.cred.fsuid !== 0 && t.cred.fsuid !== inode.uid) kerr(EPERM);
  inode.removexattr(xattrName(t, nameVa));
  return 0;
}

// memfd: an anonymous tmpfs file; with MFD_ALLOW_SEALING, F_ADD_SEALS can freeze it.
const memfdSb = new TmpSuperBlock();
export class MemfdInode extends TmpFile {
  seals = F_SEAL_SEAL;
  constructor(readonly name: string) { super(memfdSb, 0o777, null); this.nlink = 0; }
  override write(off: number, src: Uint8Array): number {
    if (this.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) kerr(EPERM);
    if ((this.seals & F_SEAL_GROW) && off + src.length > this.size) kerr(EPERM);
    return super.write(off, src);
  }
  override writeFromCache(off: number, src: Uint8Array): number { return super.write(off, src); }
  override truncate(size: number): void {
    if ((this.seals & F_SEAL_SHRINK) && size < this.size) kerr(EPERM);
    if ((this.seals & F_SEAL_GROW) && size > this.size) kerr(EPERM);
    super.truncate(size);
  }
}

function memfdCreate(t: Task, nameVa: number, flags: number): number {
  // As Linux: a huge page size may be encoded in the flags only with MFD_HUGETLB.
  const known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
  if (flags & ~(known | ((flags & MFD_HUGETLB) ? (MFD_HUGE_MASK << MFD_HUGE_SHIFT) >>> 0 : 0))) kerr(EINVAL);
  if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) kerr(EINVAL);
  let name: string;
  try { name = um(t).readCString(nameVa, 249); } catch (e) { if ((e as KernelError).errno === ENAMETOOLONG) kerr(EINVAL); throw e; }
  const inode = new MemfdInode(name);
  if (flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)) inode.seals = 0;
  if (flags & MFD_NOEXEC_SEAL) { inode.mode &= ~0o111; inode.seals |= F_SEAL_EXEC; }
  const f = new File(null, inode, O_RDWR | O_LARGEFILE, inodeFileOps);
  f.memfdName = `/memfd:${name} (deleted)`;
  return t.files.alloc(f, (flags & MFD_CLOEXEC) !== 0, nofile(t));
}

// Whether some address space maps the inode shared and writable.
function mappedWritable(t: Task, inode: object): boolean {
  const seen = new Set<object>();
  for (const task of t.k.tasks.values()) {
    if (seen.has(task.mm)) continue;
    seen.add(task.mm);
    if (task.mm.vmas.some((v) => v.shared && v.source?.key === inode && (v.prot & PROT_WRITE))) return true;
  }
  return false;
}

export function memfdSeals(t: Task, f: File, add: number | null): number {
  if (!(f.inode instanceof MemfdInode)) kerr(EINVAL);
  const m = f.inode;
  if (add === null) return m.seals;
  if (add & ~(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)) kerr(EINVAL);
  if (!f.writable) kerr(EPERM);
  if (m.seals & F_SEAL_SEAL) kerr(EPERM);
  if ((add & F_SEAL_WRITE) && !(m.seals & F_SEAL_WRITE) && mappedWritable(t, m)) kerr(EBUSY);
  m.seals |= add;
  return 0;
}

function closeRange(files: FdTable, first: number, last: number, flags: number): number {
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) kerr(EINVAL);
  if (first > last) kerr(EINVAL);
  for (const [fd, e] of [...files.entries()]) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) e.cloexec = true;
    else files.close(fd);
  }
  return 0;
}

// Linux's MAX_RW_COUNT: the most one read, write or in-kernel copy moves.
const MAX_RW_COUNT = 0x7ffff000;
const COPY_CHUNK = 1 << 20;

// Moves up to len bytes from one file to another through the kernel, a
// chunk at a time, as Linux's do_splice_direct: until len is done, the input
// ends, or the output takes less (a full pipe). Only a seekable input goes
// past its first chunk, so that no byte read is ever lost to a failed write.
function transfer(t: Task, inF: File, inPos: number | null, outF: File, outPos: number | null, len: number, nonblock: boolean): { n: number; inPos: number | null; outPos: number | null } {
  if (!inF.readable || !inF.ops.read) kerr(EBADF);
  if (!outF.writable || !outF.ops.write) kerr(EBADF);
  if (isDir(inF.inode.mode)) kerr(EISDIR);
  len = Math.min(len, MAX_RW_COUNT);
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
  const inF = t.files.get(inFd | 0), outF = t.files.get(outFd | 0);
  if (len < 0) kerr(EINVAL);
  if (kind === "copy") {
    if (flags) kerr(EINVAL);
    if (!isReg(inF.inode.mode) || !isReg(outF.inode.mode)) kerr(isDir(inF.inode.mode) || isDir(outF.inode.mode) ? EISDIR : EINVAL);
    if (outF.flags & O_APPEND) kerr(EBADF);
  }
  if (kind === "splice") {
    if (flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)) kerr(EINVAL);
    const inPipe = inF.inode instanceof PipeInode, outPipe = outF.inode instanceof PipeInode;
    if (!inPipe && !outPipe) kerr(EINVAL);
    if ((inPipe && inOffVa) || (outPipe && outOffVa)) kerr(ESPIPE);
  }
  if (kind === "sendfile" && inF.ops.stream && !(inF.inode instanceof PipeInode)) kerr(EINVAL);
  if (kind === "sendfile" && (outF.flags & O_APPEND)) kerr(EINVAL);
  if (kind === "copy" && inF.inode === outF.inode) {
    const ip = inOffVa ? um(t).i64(inOffVa) : inF.pos, op = outOffVa ? um(t).i64(outOffVa) : outF.pos;
    if (ip < op + len && op < ip + len) kerr(EINVAL);
  }
  // As Linux's do_sendfile and copy_file_range: a negative offset is EINVAL.
  const inOff = readOff(t, inOffVa), outOff = kind === "sendfile" ? null : readOff(t, outOffVa);
  if ((inOff !== null && inOff < 0) || (outOff !== null && outOff < 0)) kerr(EINVAL);
  if (len === 0) return 0;
  const r = transfer(t, inF, inOff, outF, outOff, len, (flags & SPLICE_F_NONBLOCK) !== 0);
  if (inOffVa && r.inPos !== null) um(t).setU64(inOffVa, r.inPos);
  if (outOffVa && r.outPos !== null && kind !== "sendfile") um(t).setU64(outOffVa, r.outPos);
  return r.n;
}

defineSyscalls({
  openat2: (t, dirfd, path, how, size) => openat2(t, dirfd | 0, path, how, size),
  getxattr: (t, p, n, v, s) => getxattr(t, "path", p, n, v, s),
  lgetxattr: (t, p, n, v, s) => getxattr(t, "lpath", p, n, v, s),
  fgetxattr: (t, fd, n, v, s) => getxattr(t, "fd", fd, n, v, s),
  setxattr: (t, p, n, v, s, f) => setxattr(t, "path", p, n, v, s, f),
  lsetxattr: (t, p, n, v, s, f) => setxattr(t, "lpath", p, n, v, s, f),
  fsetxattr: (t, fd, n, v, s, f) => setxattr(t, "fd", fd, n, v, s, f),
  listxattr: (t, p, l, s) => listxattr(t, "path", p, l, s),
  llistxattr: (t, p, l, s) => listxattr(t, "lpath", p, l, s),
  flistxattr: (t, fd, l, s) => listxattr(t, "fd", fd, l, s),
  removexattr: (t, p, n) => removexattr(t, "path", p, n),
  lremovexattr: (t, p, n) => removexattr(t, "lpath", p, n),
  fremovexattr: (t, fd, n) => removexattr(t, "fd", fd, n),
  memfd_create: (t, name, flags) => memfdCreate(t, name, flags >>> 0),
  close_range: (t, first, last, flags) => {
    if (flags & CLOSE_RANGE_UNSHARE && t.files.refs > 1) { t.files.refs--; t.files = t.files.clone(); }
    return closeRange(t.files, first >>> 0, last >>> 0, flags >>> 0);
  },
  sendfile: (t, out, inp, offVa, count) => copyCall(t, inp, offVa, out, 0, count, 0, "sendfile"),
  copy_file_range: (t, inp, inOff, out, outOff, len, flags) => copyCall(t, inp, inOff, out, outOff, len, flags, "copy"),
  splice: (t, inp, inOff, out, outOff, len, flags) => copyCall(t, inp, inOff, out, outOff, len, flags >>> 0, "splice"),
  tee: [(t, inp, out, len, flags) => {
    const inF = t.files.get(inp | 0), outF = t.files.get(out | 0);
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

export { EXDEV, EFAULT, EOPNOTSUPP, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, requireNotReadOnly };

defineSyscalls({
  inotify_init1: (t, flags) => {
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) kerr(EINVAL);
    return t.files.alloc(inotifyFile(flags), (flags & IN_CLOEXEC) !== 0, nofile(t));
  },
  inotify_add_watch: (t, fd, pathVa, mask) => {
    const f = t.files.get(fd | 0);
    if (!(f.inode instanceof InotifyInode)) kerr(EINVAL);
    const m = mask >>> 0;
    if (!(m & IN_ALL_EVENTS)) kerr(EINVAL);
    if ((m & IN_MASK_ADD) && (m & IN_MASK_CREATE)) kerr(EINVAL);
    const p = resolveAt(t, -100, pathArg(t, pathVa), (m & IN_DONT_FOLLOW) === 0);
    if ((m & IN_ONLYDIR) && !isDir(p.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(p.dentry.inode, MAY_READ, t.cred)) kerr(EACCES);
    if ((m & IN_MASK_CREATE) && f.inode.hasWatch(p.dentry.inode)) kerr(EEXIST);
    return f.inode.addWatch(p.dentry.inode, m & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK), (m & IN_MASK_ADD) !== 0);
  },
  inotify_rm_watch: (t, fd, wd) => {
    const f = t.files.get(fd | 0);
    if (!(f.inode instanceof InotifyInode)) kerr(EINVAL);
    f.inode.removeWatch(wd | 0);
    return 0;
  },
});
