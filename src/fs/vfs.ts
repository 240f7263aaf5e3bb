// VFS operations on behalf of a task: where a path starts (dirfd), open with
// all its flags, and stat encoding. Syscall handlers call these.

import { breakLease } from "./lease.js";
import { kerr } from "../lib/errors.js";
import {
  EBADF, ENOTDIR, EEXIST, EISDIR, ELOOP, EACCES, ENOENT, EINVAL, EROFS, EPERM,
  ETXTBSY,
} from "../abi/errno.js";
import {
  AT_FDCWD, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_ACCMODE, O_RDONLY, O_WRONLY,
  O_CLOEXEC, O_TMPFILE_MASK, __O_TMPFILE, O_NOATIME,
} from "../abi/fcntl.js";
import { stat as statStruct, statx as statxStruct, STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID, STATX_ATTR_MOUNT_ROOT, STATX_DIOALIGN } from "../abi/stat.js";
import { SECTOR_SIZE } from "../abi/fs_blk.js";
import { lookupBdev } from "../block/genhd.js";
import { runningKernel } from "../kernel/running.js";
import type { Task } from "../kernel/task.js";
import { File, fileOpsFor } from "./file.js";
import { followMounts, MNT_NODEV, type Path } from "./dentry.js";
import {
  Walker, permission, MAY_READ, MAY_WRITE, walker, startPath, isReadOnly, requireNotReadOnly, requireLiveDir, mayCreate, type ResolveOpts,
} from "./namei.js";
// Where a path starts and the checks before creating moved to namei.ts; kept reachable here.
export { walker, startPath, isReadOnly, requireNotReadOnly, requireLiveDir };
import { prepareMode } from "./owner.js";
import { isDir, isLnk, isReg, S_IFREG, S_IFMT, S_IFIFO, S_IFBLK, S_IFCHR, umaskIn, type Inode } from "./inode.js";
import { openFifo } from "./pipe.js";
import { fsnotify, fsnotifyDir, IN_CREATE, IN_OPEN } from "./notify.js";
import { major, minor } from "./char_dev.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_FOWNER } from "../abi/prctl.js";


// Resolves (dirfd, path) for the *at() family, honouring AT_EMPTY_PATH.
export function resolveAt(t: Task, dirfd: number, path: string, follow: boolean, emptyPath = false): Path {
  if (path === "") {
    if (!emptyPath) kerr(ENOENT);
    if (dirfd === AT_FDCWD) return t.fs.cwd;
    const f = t.files.getRaw(dirfd);
    if (!f.path) kerr(EBADF);
    return f.path;
  }
  return walker(t).resolve(startPath(t, dirfd, path), path, follow);
}


export function openAt(t: Task, dirfd: number, path: string, flags: number, mode: number, resolve?: ResolveOpts): File {
  if ((flags & O_TMPFILE_MASK) === __O_TMPFILE) kerr(EINVAL);
  const start = resolve?.inRoot && path.startsWith("/") ? startPath(t, dirfd, ".") : startPath(t, dirfd, path);
  const w = walker(t, resolve ? { ...resolve, base: resolve.inRoot || resolve.beneath ? startPath(t, dirfd, ".") : undefined } : undefined);
  if (flags & O_TMPFILE_MASK && (flags & O_TMPFILE_MASK) === (O_TMPFILE_MASK & ~O_CREAT)) return openTmpfile(t, w, start, path, flags, mode);
  let p: Path;
  let created = false;
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  const follow = (flags & O_NOFOLLOW) === 0;
  if (flags & O_CREAT) {
    if (flags & O_DIRECTORY && !(flags & __O_TMPFILE)) kerr(EINVAL);
    const named = w.walkParent(start, path);
    if (named.name === null || path.endsWith("/")) kerr(EISDIR);
    const { path: existing, parent, name } = w.lookupCreate(named.parent, named.name, follow && !(flags & O_EXCL));
    if (existing) {
      if (flags & O_EXCL) kerr(EEXIST);
      p = existing;
      if (isDir(p.dentry.inode.mode)) kerr(EISDIR);
    } else {
      mayCreate(parent, t.cred);
      if (parent.dentry.inode.sb.sealed) kerr(EACCES); // no create operation (vfs_create)
      const inode = parent.dentry.inode.create(name, prepareMode(parent.dentry.inode, mode, umaskIn(parent.dentry.inode, t.fs.umask), t.cred) | S_IFREG, t.cred);
      parent.dentry.drop(name);
      fsnotifyDir(parent.dentry.inode, IN_CREATE, name, inode);
      const d = parent.dentry.child(name);
      if (!d) kerr(ENOENT);
      p = followMounts({ mnt: parent.mnt, dentry: d });
      created = true;
    }
  } else {
    p = w.resolve(start, path, follow);
  }
  return openPath(t, p, flags, created);
}

// Opens a resolved path (openat's last step; open_by_handle_at's only one):
// the checks of Linux's may_open, lease breaking, O_TRUNC, the new File.
export function openPath(t: Task, p: Path, flags: number, created = false): File {
  const inode = p.dentry.inode;
  if (isLnk(inode.mode) && !(flags & O_PATH)) kerr(ELOOP);
  if ((flags & O_DIRECTORY) && !isDir(inode.mode)) kerr(ENOTDIR);
  const acc = flags & O_ACCMODE;
  if (!(flags & O_PATH)) {
    if (isDir(inode.mode) && (acc !== O_RDONLY || (flags & O_TRUNC))) kerr(EISDIR);
    // As may_open_dev: no device node opens on a nodev mount, before permissions.
    const type = inode.mode & S_IFMT;
    if ((type === S_IFBLK || type === S_IFCHR) && (p.mnt.flags & MNT_NODEV)) kerr(EACCES);
    if (!created) {
      const want = (acc !== O_WRONLY ? MAY_READ : 0) | (acc !== O_RDONLY ? MAY_WRITE : 0) | ((flags & O_TRUNC) ? MAY_WRITE : 0);
      if (!permission(inode, want, t.cred)) kerr(EACCES);
    }
    inode.mayOpen(flags);
    // As Linux's may_open: only the owner (or CAP_FOWNER) may skip atime updates.
    if ((flags & O_NOATIME) && !ownerOrCapable(inode, t.cred)) kerr(EPERM);
    if ((acc !== O_RDONLY || (flags & O_TRUNC)) && isReg(inode.mode) && isReadOnly(p)) kerr(EROFS);
    if ((acc !== O_RDONLY || (flags & O_TRUNC)) && isReg(inode.mode) && inode.sb.sealed) kerr(EACCES);
    // As Linux's get_write_access: a program's executable cannot be opened for writing while it runs.
    if ((acc !== O_RDONLY || (flags & O_TRUNC)) && isReg(inode.mode) && inode.denyWrite > 0) kerr(ETXTBSY);
    // As Linux's do_dentry_open: a conflicting lease is broken first (may wait).
    if (isReg(inode.mode) && !created) breakLease(t, inode, flags);
    if ((flags & O_TRUNC) && isReg(inode.mode) && acc !== O_RDONLY) inode.setSize(0);
    else if ((flags & O_TRUNC) && isReg(inode.mode) && inode.size > 0) inode.setSize(0);
  }
  const pseudo = p.dentry.pseudo;
  const file = new File(pseudo ? null : p, inode, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC), {});
  if (pseudo) file.memfdName = pseudo.memfdName;
  file.created = created;
  file.openedExcl = (flags & O_EXCL) !== 0;
  if (!(flags & O_PATH)) {
    file.ops = (inode.mode & S_IFMT) === S_IFIFO && !pseudo?.ownOps ? openFifo(t, inode, flags) : fileOpsFor(inode, file);
    fsnotify(p, inode, IN_OPEN);
  }
  return file;
}

// Linux's inode_owner_or_capable: the file's owner by fsuid, or CAP_FOWNER.
export function ownerOrCapable(inode: Inode, cred: Task["cred"]): boolean {
  return cred.fsuid === inode.uid || hasCap(cred, CAP_FOWNER);
}

export function encodeStat(inode: Inode): Uint8Array {
  const b = new Uint8Array(statStruct.size);
  const dv = new DataView(b.buffer);
  statStruct.write(dv, 0, {
    st_dev: inode.sb.dev, st_ino: inode.ino, st_mode: inode.mode, st_nlink: inode.nlink,
    st_uid: inode.uid, st_gid: inode.gid, st_rdev: inode.rdev, st_size: inode.size,
    st_blksize: inode.sb.blockSize, st_blocks: inode.blocks,
    st_atime: inode.atime.sec, st_atime_nsec: inode.atime.nsec,
    st_mtime: inode.mtime.sec, st_mtime_nsec: inode.mtime.nsec,
    st_ctime: inode.ctime.sec, st_ctime_nsec: inode.ctime.nsec,
  });
  return b;
}

// As vfs_statx: every file says whether it is the root of its mount
// (STATX_ATTR_MOUNT_ROOT, always in the attributes mask).
export function encodeStatx(inode: Inode, mntId: number, mountRoot = false): Uint8Array {
  const b = new Uint8Array(statxStruct.size);
  const dv = new DataView(b.buffer);
  const own = inode.statxAttributes();
  // A block device that exists: its direct I/O alignment (bdev_statx),
  // what Ghost's O_DIRECT on it enforces (block_dev.ts: one sector for
  // offsets and buffers; /sys/block/<disk>/queue/dma_alignment is 511).
  const k = runningKernel();
  const dio = (inode.mode & S_IFMT) === S_IFBLK && k && lookupBdev(k, major(inode.rdev), minor(inode.rdev)) ? SECTOR_SIZE : 0;
  statxStruct.write(dv, 0, {
    stx_mask: STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID | (dio ? STATX_DIOALIGN : 0), stx_blksize: inode.sb.blockSize,
    stx_dio_mem_align: dio, stx_dio_offset_align: dio,
    stx_nlink: inode.nlink, stx_uid: inode.uid, stx_gid: inode.gid, stx_mode: inode.mode & 0xffff,
    stx_ino: inode.ino, stx_size: inode.size, stx_blocks: inode.blocks,
    stx_atime_sec: inode.atime.sec, stx_atime_nsec: inode.atime.nsec,
    stx_btime_sec: inode.btime.sec, stx_btime_nsec: inode.btime.nsec,
    stx_ctime_sec: inode.ctime.sec, stx_ctime_nsec: inode.ctime.nsec,
    stx_mtime_sec: inode.mtime.sec, stx_mtime_nsec: inode.mtime.nsec,
    stx_rdev_major: major(inode.rdev), stx_rdev_minor: minor(inode.rdev),
    stx_dev_major: major(inode.sb.dev), stx_dev_minor: minor(inode.sb.dev), stx_mnt_id: mntId,
    stx_attributes: own.attrs | (mountRoot ? STATX_ATTR_MOUNT_ROOT : 0), stx_attributes_mask: own.mask | STATX_ATTR_MOUNT_ROOT,
  });
  return b;
}


// O_TMPFILE: an unnamed regular file in a directory; linkat(AT_EMPTY_PATH) can give it a name.
function openTmpfile(t: Task, w: Walker, start: Path, path: string, flags: number, mode: number): File {
  const dir = w.resolve(start, path, true);
  if (!isDir(dir.dentry.inode.mode)) kerr(ENOTDIR);
  if ((flags & O_ACCMODE) === O_RDONLY) kerr(EINVAL);
  mayCreate(dir, t.cred);
  // Created under a hidden name and unlinked at once: the inode lives while the file is open.
  const salt = new Uint8Array(8);
  t.k.random(salt);
  const name = `.#tmpfile-${Buffer.from(salt).toString("hex")}`;
  const inode = dir.dentry.inode.create(name, prepareMode(dir.dentry.inode, mode, umaskIn(dir.dentry.inode, t.fs.umask), t.cred) | S_IFREG, t.cred);
  const d = dir.dentry.child(name)!;
  const file = new File({ mnt: dir.mnt, dentry: d }, d.inode, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_TMPFILE_MASK) | O_ACCMODE_KEEP(flags), {});
  file.ops = fileOpsFor(d.inode, file);
  if (flags & O_EXCL) file.tmpfileNoLink = true;
  dir.dentry.inode.unlink(name);
  dir.dentry.drop(name);
  void inode;
  return file;
}

function O_ACCMODE_KEEP(flags: number): number { return flags & O_ACCMODE; }
