// Metadata and namespace changes: truncate, sync, rename, link, symlink,
// mknod, chmod, chown, utimensat.

import { FS_IMMUTABLE_FL, FS_APPEND_FL } from "../abi/fs_blk.js";
import { breakLease } from "../fs/lease.js";
import { O_WRONLY, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_GROW } from "../abi/fcntl.js";
import { MemfdInode } from "../fs/memfd.js";
import { saturated } from "../abi/word.js";
import { TmpFile } from "../fs/tmpfs.js";
import { kerr } from "../lib/errors.js";
import {
  EINVAL, EISDIR, EPERM, EEXIST, ENOENT, EXDEV, ENOTEMPTY, EACCES, EBADF, EFBIG, ENODEV, EOPNOTSUPP, ESPIPE,
  ETXTBSY,
} from "../abi/errno.js";
import {
  AT_SYMLINK_NOFOLLOW, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, AT_FDCWD, UTIME_NOW, UTIME_OMIT,
} from "../abi/fcntl.js";
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from "../abi/mount.js";
import { SIGXFSZ, SI_KERNEL } from "../abi/signal.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { resolveAt, walker, requireNotReadOnly } from "../fs/vfs.js";
import { prepareMode, chownKilledBits } from "../fs/owner.js";
import { isDir, isReg, isLnk, S_IFMT, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, umaskIn, type Inode } from "../fs/inode.js";
import { permission, MAY_WRITE, parentAndName, mayCreate } from "../fs/namei.js";
import { sendSignal } from "../kernel/signal.js";
import { fsnotify, fsnotifyDir, IN_CREATE, IN_ATTRIB, IN_MODIFY } from "../fs/notify.js";
import type { Path, Mount } from "../fs/dentry.js";
import { renameAt, symlinkAt } from "../fs/pathops.js";
import type { Task } from "../kernel/task.js";
import { rlimit } from "../kernel/task.js";
import { RLIMIT_FSIZE } from "../abi/resource.js";
import { fdArg, i32Arg, u32Arg } from "./args.js";

function owner(t: Task, inode: Inode): void {
  if (t.cred.fsuid !== 0 && t.cred.fsuid !== inode.uid) kerr(EPERM);
}

function truncateInode(t: Task, inode: Inode, len: number): void {
  if (len < 0) kerr(EINVAL);
  if (isDir(inode.mode)) kerr(EISDIR);
  if (!isReg(inode.mode)) kerr(EINVAL);
  const lim = rlimit(t.tg, RLIMIT_FSIZE);
  if (lim >= 0 && len > lim) { sendSignal(t, { signo: SIGXFSZ, code: SI_KERNEL }, true); kerr(EFBIG); }
  inode.pageCache?.writeBack(inode);
  inode.setSize(len);
  fsnotify(null, inode, IN_MODIFY);
}


function linkat(t: Task, olddir: number, oldVa: number, newdir: number, newVa: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
  const oldPath = oldVa === 0 && (flags & AT_EMPTY_PATH) ? "" : pathArg(t, oldVa);
  if (oldPath === "" && (flags & AT_EMPTY_PATH) && t.files.getRaw(olddir).tmpfileNoLink) kerr(ENOENT);
  const src = resolveAt(t, olddir, oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
  const newPath = pathArg(t, newVa);
  const { parent, name } = parentAndName(t, newdir, newPath);
  // do_linkat's order: an existing name (filename_create), a read-only
  // mount, another mount, permission (vfs_link's may_create), and last a
  // directory's EPERM.
  if (walker(t).lookupLast(parent, name, false, false)) kerr(EEXIST);
  requireNotReadOnly(parent);
  if (parent.mnt !== src.mnt) kerr(EXDEV);
  mayCreate(parent, t.cred);
  if (isDir(src.dentry.inode.mode)) kerr(EPERM);
  parent.dentry.inode.link(name, src.dentry.inode);
  parent.dentry.drop(name);
  fsnotifyDir(parent.dentry.inode, IN_CREATE, name, src.dentry.inode);
  fsnotify(null, src.dentry.inode, IN_ATTRIB);
  return 0;
}

function setTimes(t: Task, inode: Inode, va: number): void {
  const now = { sec: Math.floor(t.k.clock.realtime() / 1e9), nsec: t.k.clock.realtime() % 1e9 };
  // notify_change: no time of an immutable inode changes, and none is set
  // explicitly on an append-only one (touching it to now is allowed).
  const fl = inode.inodeFlags();
  if (va === 0) {
    if (fl & FS_IMMUTABLE_FL) kerr(EPERM);
    if (t.cred.fsuid !== 0 && t.cred.fsuid !== inode.uid && !permission(inode, MAY_WRITE, t.cred)) kerr(EACCES);
    inode.setTimes(now, now);
    return;
  }
  const dv = new DataView(um(t).read(va, 32).buffer);
  const parse = (o: number) => {
    const nsec = Number(dv.getBigInt64(o + 8, true));
    if (nsec === UTIME_OMIT) return null;
    if (nsec === UTIME_NOW) return now;
    if (nsec < 0 || nsec >= 1e9) kerr(EINVAL);
    return { sec: Number(dv.getBigInt64(o, true)), nsec };
  };
  const a = parse(0), m = parse(16);
  if (a === null && m === null) return;
  const explicit = (a !== null && a !== now) || (m !== null && m !== now);
  // Only both UTIME_NOW is a touch (do_utimes makes it times == NULL); any
  // other times are ATTR_TIMES_SET, which an append-only inode refuses.
  const touch = a === now && m === now;
  if (fl & (touch ? FS_IMMUTABLE_FL : FS_IMMUTABLE_FL | FS_APPEND_FL)) kerr(EPERM);
  if (explicit) owner(t, inode);
  else if (t.cred.fsuid !== 0 && t.cred.fsuid !== inode.uid && !permission(inode, MAY_WRITE, t.cred)) kerr(EACCES);
  inode.setTimes(a, m);
  fsnotify(null, inode, IN_ATTRIB);
}

function chown(t: Task, inode: Inode, uid: number, gid: number): void {
  const c = t.cred;
  const u = uid === -1 || uid === 0xffffffff ? -1 : u32Arg(uid);
  const g = gid === -1 || gid === 0xffffffff ? -1 : u32Arg(gid);
  if (c.fsuid !== 0) {
    if (u !== -1 && u !== inode.uid) kerr(EPERM);
    if (g !== -1 && (c.fsuid !== inode.uid || (g !== c.fsgid && !c.groups.includes(g)))) kerr(EPERM);
  }
  const kill = chownKilledBits(inode, c);
  inode.setOwner(u, g);
  if (kill) inode.setMode(inode.mode & ~kill);
  fsnotify(null, inode, IN_ATTRIB);
}

function chmod(t: Task, inode: Inode, mode: number, p: Path | null = null): void {
  // As notify_change (Linux 6.6+): a symlink's mode never changes, however
  // it was reached (fchmodat2's AT_SYMLINK_NOFOLLOW, a /proc/self/fd link).
  if (isLnk(inode.mode)) kerr(EOPNOTSUPP);
  owner(t, inode);
  let m = mode & 0o7777;
  if (t.cred.fsuid !== 0 && inode.gid !== t.cred.fsgid && !t.cred.groups.includes(inode.gid)) m &= ~0o2000;
  inode.setMode(m);
  fsnotify(p, inode, IN_ATTRIB);
}

// A filesystem's own fallocate (ext4): pages dirtied through shared
// mappings go to the file first, and the cached pages from off on are read
// again after, for the mode may have zeroed or moved their bytes (as Linux
// writes back and drops the page cache over the range).
function fsFallocate(inode: Inode, mode: number, off: number, len: number): boolean {
  const cache = inode.pageCache;
  cache?.writeBack(inode);
  if (!inode.fallocate(mode, off, len)) return false;
  if (cache) {
    cache.truncated(inode, inode.size);
    const buf = new Uint8Array(1 << 20);
    for (let at = off; at < inode.size; at += buf.length) {
      const n = inode.read(at, buf.subarray(0, Math.min(buf.length, inode.size - at)));
      if (n <= 0) break;
      cache.updateFromWrite(inode, at, buf.subarray(0, n));
    }
  }
  return true;
}

// 2^63 - 1 bytes (a double rounds it to 2^63; an end at 2^63 is already past it).
const MAX_LFS_FILESIZE = 2 ** 63 - 1;

defineSyscalls({
  truncate: (t, pathVa, len) => {
    const p = resolveAt(t, -100, pathArg(t, pathVa), true);
    requireNotReadOnly(p);
    // vfs_truncate: inode_permission (EPERM for an immutable inode), then EPERM for an append-only one.
    if (p.dentry.inode.inodeFlags() & FS_IMMUTABLE_FL) kerr(EPERM);
    if (!permission(p.dentry.inode, MAY_WRITE, t.cred)) kerr(EACCES);
    if (p.dentry.inode.inodeFlags() & FS_APPEND_FL) kerr(EPERM);
    // As Linux's vfs_truncate (get_write_access): not a running program's executable.
    if (p.dentry.inode.denyWrite > 0) kerr(ETXTBSY);
    // As Linux's vfs_truncate: leases are broken as for an open for writing.
    if (isReg(p.dentry.inode.mode)) breakLease(t, p.dentry.inode, O_WRONLY);
    truncateInode(t, p.dentry.inode, len);
    return 0;
  },
  ftruncate: (t, fd, len) => {
    const f = t.files.get(fdArg(fd));
    if (!f.writable) kerr(f.path ? EINVAL : EBADF);
    if (f.inode.inodeFlags() & FS_APPEND_FL) kerr(EPERM); // do_ftruncate
    truncateInode(t, f.inode, len);
    return 0;
  },
  fallocate: (t, fd, mode, off, len) => {
    const f = t.files.get(fdArg(fd));
    if (off < 0 || len <= 0) kerr(EINVAL);
    if (!f.writable) kerr(EBADF);
    // vfs_fallocate: an append-only file only grows; an immutable one not at all.
    if ((mode & ~FALLOC_FL_KEEP_SIZE) && (f.inode.inodeFlags() & FS_APPEND_FL)) kerr(EPERM);
    if (f.inode.inodeFlags() & FS_IMMUTABLE_FL) kerr(EPERM);
    if ((f.inode.mode & S_IFMT) === S_IFIFO) kerr(ESPIPE);
    if (f.ops.fallocate && (f.inode.mode & S_IFMT) === S_IFBLK) return f.ops.fallocate(f, mode, off, len);
    if (!isReg(f.inode.mode)) kerr(isDir(f.inode.mode) ? EISDIR : ENODEV);
    // As vfs_fallocate: an end past the largest file size (MAX_LFS_FILESIZE) is EFBIG
    // (a word too big to be exact, abi/word.ts, is past it too: 2^62 + 2^62 is).
    if (saturated(off) || saturated(len) || off + len >= MAX_LFS_FILESIZE) kerr(EFBIG);
    if (fsFallocate(f.inode, mode, off, len)) return 0;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) kerr(EOPNOTSUPP);
    // As shmem_fallocate: a memfd's write seals refuse a hole, F_SEAL_GROW an allocation past the size.
    const seals = f.inode instanceof MemfdInode ? f.inode.seals : 0;
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      if (!(mode & FALLOC_FL_KEEP_SIZE)) kerr(EOPNOTSUPP); // as vfs_fallocate
      if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) kerr(EPERM);
      const end = Math.min(off + len, f.inode.size);
      // tmpfs gives the pages back; elsewhere zeros are written. Either way a
      // bounded piece at a time, for the range may be gigabytes.
      const tmp = f.inode instanceof TmpFile ? f.inode : null;
      if (end > off) tmp?.punchHole(off, end);
      const zeros = new Uint8Array(Math.min(Math.max(end - off, 0), 1 << 20));
      for (let at = off; at < end; at += zeros.length) {
        const piece = zeros.subarray(0, Math.min(zeros.length, end - at));
        if (!tmp) f.inode.write(at, piece);
        f.inode.pageCache?.updateFromWrite(f.inode, at, piece);
      }
      return 0;
    }
    if ((seals & F_SEAL_GROW) && off + len > f.inode.size) kerr(EPERM);
    if (f.inode instanceof TmpFile) f.inode.allocate(off, len);
    if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > f.inode.size) truncateInode(t, f.inode, off + len);
    return 0;
  },
  // A failed writeback of mapped pages is reported here, as Linux's fsync reports the mapping's wb_err.
  // Then the filesystem writes out what it holds (ext4's running transaction).
  fsync: (t, fd) => fsyncFile(t, fdArg(fd)),
  fdatasync: (t, fd) => fsyncFile(t, fdArg(fd)),
  sync: (t) => { syncMounts(t.k.rootMount); return 0; },
  syncfs: (t, fd) => { t.files.get(fdArg(fd)).inode.sb.syncFs(); return 0; },
  renameat2: (t, od, ov, nd, nv, flags) => { renameAt(t, i32Arg(od), pathArg(t, ov), i32Arg(nd), pathArg(t, nv), u32Arg(flags)); return 0; },
  linkat: (t, od, ov, nd, nv, flags) => linkat(t, i32Arg(od), ov, i32Arg(nd), nv, flags),
  symlinkat: (t, targetVa, dirfd, pathVa) => { symlinkAt(t, pathArg(t, targetVa), fdArg(dirfd), pathArg(t, pathVa)); return 0; },
  mknodat: [(t, dirfd, pathVa, mode, dev) => {
    const type = mode & S_IFMT;
    if (type !== 0 && type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) kerr(EINVAL);
    if ((type === S_IFCHR || type === S_IFBLK) && t.cred.euid !== 0) kerr(EPERM);
    const { parent, name } = parentAndName(t, fdArg(dirfd), pathArg(t, pathVa));
    if (walker(t).lookupLast(parent, name, false, false)) kerr(EEXIST);
    mayCreate(parent, t.cred);
    const made = parent.dentry.inode.mknod(name, (type || S_IFREG) | prepareMode(parent.dentry.inode, mode, umaskIn(parent.dentry.inode, t.fs.umask), t.cred), u32Arg(dev), t.cred);
    parent.dentry.drop(name);
    fsnotifyDir(parent.dentry.inode, IN_CREATE, name, made);
    return 0;
  }, "implemented", ""],
  fchmod: (t, fd, mode) => { const f = t.files.get(fdArg(fd)); if (f.path) requireNotReadOnly(f.path); chmod(t, f.inode, mode); return 0; },
  fchmodat: (t, dirfd, pathVa, mode) => {
    const p = resolveAt(t, fdArg(dirfd), pathArg(t, pathVa), true);
    requireNotReadOnly(p);
    chmod(t, p.dentry.inode, mode, p);
    return 0;
  },
  // fchmodat with flags (Linux 6.6): AT_SYMLINK_NOFOLLOW reaches a symlink
  // itself, whose mode Linux never changes (EOPNOTSUPP, as notify_change).
  fchmodat2: (t, dirfd, pathVa, mode, flags) => {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
    const path = pathVa === 0 && (flags & AT_EMPTY_PATH) ? "" : pathArg(t, pathVa);
    const p = resolveAt(t, fdArg(dirfd), path, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
    requireNotReadOnly(p);
    chmod(t, p.dentry.inode, mode, p);
    return 0;
  },
  fchownat: (t, dirfd, pathVa, uid, gid, flags) => {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
    const path = pathVa === 0 && (flags & AT_EMPTY_PATH) ? "" : pathArg(t, pathVa);
    const p = resolveAt(t, fdArg(dirfd), path, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
    requireNotReadOnly(p);
    chown(t, p.dentry.inode, uid, gid);
    return 0;
  },
  fchown: (t, fd, uid, gid) => { const f = t.files.get(fdArg(fd)); if (f.path) requireNotReadOnly(f.path); chown(t, f.inode, uid, gid); return 0; },
  utimensat: (t, dirfd, pathVa, times, flags) => {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
    let p: Path;
    // As do_utimes: a NULL path means the file open at dirfd; with AT_FDCWD
    // it is a path after all, and a NULL one is EFAULT.
    if (pathVa === 0 && fdArg(dirfd) !== AT_FDCWD) {
      if (flags) kerr(EINVAL); // do_utimes_fd takes no flags
      const f = t.files.get(fdArg(dirfd));
      if (!f.path) kerr(EBADF);
      p = f.path;
    } else {
      p = resolveAt(t, fdArg(dirfd), pathArg(t, pathVa), (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
    }
    requireNotReadOnly(p);
    setTimes(t, p.dentry.inode, times);
    return 0;
  },
});

export { ENOTEMPTY };

function fsyncFile(t: Task, fd: number): number {
  const f = t.files.get(fd);
  if (f.ops.stream && !f.path) kerr(EINVAL);
  if (f.ops.fsync) return f.ops.fsync(f);
  // As vfs_fsync_range: a file whose f_op has no fsync is EINVAL — FIFOs, sockets and character
  // devices (/dev/null, ttys) have none; regular files and directories do (a block device has its own above).
  const type = f.inode.mode & S_IFMT;
  if (type === S_IFIFO || type === S_IFSOCK || type === S_IFCHR) kerr(EINVAL);
  const err = f.inode.pageCache?.sync(f.inode) ?? 0;
  f.inode.sb.syncFs();
  return -err;
}

// sync(2): every mounted filesystem, each once (ksys_sync's iterate_supers).
function syncMounts(root: Mount | null): void {
  const seen = new Set<object>();
  const visit = (m: Mount): void => {
    if (!seen.has(m.sb)) { seen.add(m.sb); m.sb.syncFs(); }
    for (const c of m.children.values()) visit(c);
  };
  if (root) visit(root);
}
