// Path syscalls: stat family, access, readlink, cwd, umask, directory and
// link creation and removal.

import { FS_IMMUTABLE_FL } from "../abi/fs_blk.js";
import { kerr } from "../lib/errors.js";
import { EINVAL, ERANGE, ENOENT, EACCES, ENOTDIR, ENOTEMPTY, ENAMETOOLONG, EROFS, EPERM } from "../abi/errno.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, F_OK } from "../abi/fcntl.js";
import { statfs as statfsStruct, ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC, ST_NOSYMFOLLOW, ST_NOATIME, ST_NODIRATIME, ST_RELATIME } from "../abi/stat.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { resolveAt, encodeStat, encodeStatx } from "../fs/vfs.js";
import { isDir, isLnk, isReg, type Inode, type SuperBlock } from "../fs/inode.js";
import { pathName, pathFromRoot, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOSYMFOLLOW, MNT_NOATIME, MNT_NODIRATIME, MNT_STRICTATIME, type Path } from "../fs/dentry.js";
import { permission, MAY_WRITE, MAY_EXEC, PATH_MAX } from "../fs/namei.js";
import { mkdirAt, unlinkAt } from "../fs/pathops.js";
import type { Task } from "../kernel/task.js";
import { fdArg, sizeArg } from "./args.js";

function statPath(t: Task, dirfd: number, pathVa: number, flags: number): Path {
  const path = pathVa === 0 && (flags & AT_EMPTY_PATH) ? "" : pathArg(t, pathVa);
  return resolveAt(t, fdArg(dirfd), path, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
}

// The inode a stat call names; with AT_EMPTY_PATH and an empty path, the open
// file at dirfd itself, which need not have a path (a pipe, a socket, stdio).
function statTarget(t: Task, dirfd: number, pathVa: number, flags: number): { inode: Inode; mntId: number; mountRoot: boolean } {
  if (flags & AT_EMPTY_PATH) {
    const path = pathVa === 0 ? "" : pathArg(t, pathVa);
    if (path === "" && (fdArg(dirfd)) !== -100) {
      const f = t.files.getRaw(fdArg(dirfd));
      f.inode.revalidate();
      return { inode: f.inode, mntId: f.path?.mnt.id ?? 0, mountRoot: f.path !== null && f.path.dentry === f.path.mnt.root };
    }
  }
  const p = statPath(t, dirfd, pathVa, flags);
  return { inode: p.dentry.inode, mntId: p.mnt.id, mountRoot: p.dentry === p.mnt.root };
}

// A file without a path (a pipe, socket or anonymous-inode file) is on one of
// the kernel's unmounted filesystems: no mount flags.
function encodeStatfs(sb: SuperBlock, m: number, mounted = true): Uint8Array {
  const s = sb.statfs();
  const b = new Uint8Array(statfsStruct.size);
  const dv = new DataView(b.buffer);
  const flags = 0x20 /* ST_VALID */ | (m & MNT_RDONLY || sb.readOnly ? ST_RDONLY : 0) | (m & MNT_NOSUID ? ST_NOSUID : 0) |
    (m & MNT_NODEV ? ST_NODEV : 0) | (m & MNT_NOEXEC ? ST_NOEXEC : 0) | (m & MNT_NOSYMFOLLOW ? ST_NOSYMFOLLOW : 0) |
    (m & MNT_NOATIME ? ST_NOATIME : 0) | (m & MNT_NODIRATIME ? ST_NODIRATIME : 0) | (!mounted || m & (MNT_NOATIME | MNT_STRICTATIME) ? 0 : ST_RELATIME);
  statfsStruct.write(dv, 0, {
    f_type: sb.magic, f_bsize: sb.blockSize, f_blocks: s.blocks, f_bfree: s.bfree, f_bavail: s.bavail ?? s.bfree,
    f_files: s.files, f_ffree: s.ffree, f_fsid0: s.fsid?.[0] ?? sb.dev, f_fsid1: s.fsid?.[1] ?? 0, f_namelen: s.namelen, f_frsize: sb.blockSize, f_flags: flags,
  });
  return b;
}

function access(t: Task, dirfd: number, pathVa: number, mode: number, flags: number): number {
  if (mode & ~7) kerr(EINVAL);
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
  const p = statPath(t, dirfd, pathVa, flags);
  if (mode === F_OK) return 0;
  // A regular file on a noexec mount is not executable, whatever its mode.
  if ((mode & 1) && isReg(p.dentry.inode.mode) && (p.mnt.flags & MNT_NOEXEC)) kerr(EACCES);
  // Without AT_EACCESS the check uses the real ids, as access(2).
  const c = t.cred;
  const cred = flags & AT_EACCESS ? c : { ...c, fsuid: c.uid, fsgid: c.gid };
  // inode_permission: writing an immutable inode is EPERM, before the mode is looked at.
  if ((mode & MAY_WRITE) && (p.dentry.inode.inodeFlags() & FS_IMMUTABLE_FL)) kerr(EPERM);
  if (!permission(p.dentry.inode, mode, cred)) kerr(EACCES);
  if ((mode & MAY_WRITE) && (p.mnt.flags & MNT_RDONLY || p.dentry.inode.sb.readOnly) && !isLnk(p.dentry.inode.mode)) kerr(EROFS);
  return 0;
}

export function getcwd(t: Task): string { return pathName(t.fs.cwd, t.fs.root); }

defineSyscalls({
  fstat: (t, fd, va) => { const i = t.files.getRaw(fdArg(fd)).inode; i.revalidate(); um(t).write(va, encodeStat(i)); return 0; },
  newfstatat: (t, dirfd, pathVa, va, flags) => {
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | 0x800)) kerr(EINVAL);
    um(t).write(va, encodeStat(statTarget(t, dirfd, pathVa, flags).inode));
    return 0;
  },
  statx: (t, dirfd, pathVa, flags, mask, va) => {
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | 0x800 | 0x6000)) kerr(EINVAL);
    if (mask & 0x80000000) kerr(EINVAL); // STATX__RESERVED
    if ((flags & 0x6000) === 0x6000) kerr(EINVAL);
    const s = statTarget(t, dirfd, pathVa, flags);
    um(t).write(va, encodeStatx(s.inode, s.mntId, s.mountRoot));
    return 0;
  },
  statfs: (t, pathVa, va) => {
    const p = resolveAt(t, -100, pathArg(t, pathVa), true);
    um(t).write(va, encodeStatfs(p.dentry.inode.sb, p.mnt.flags));
    return 0;
  },
  fstatfs: (t, fd, va) => {
    const f = t.files.getRaw(fdArg(fd));
    um(t).write(va, encodeStatfs(f.inode.sb, f.path?.mnt.flags ?? 0, f.path !== null));
    return 0;
  },
  faccessat: (t, dirfd, pathVa, mode) => access(t, dirfd, pathVa, mode, 0),
  faccessat2: (t, dirfd, pathVa, mode, flags) => access(t, dirfd, pathVa, mode, flags),
  readlinkat: (t, dirfd, pathVa, buf, size) => {
    if (size <= 0) kerr(EINVAL);
    // An empty path reads the link an O_PATH|O_NOFOLLOW descriptor refers to.
    const empty = pathVa !== 0 && um(t).readCString(pathVa, 4096) === "";
    const p = statPath(t, dirfd, pathVa, AT_SYMLINK_NOFOLLOW | (empty ? AT_EMPTY_PATH : 0));
    // As do_readlinkat: a non-link is EINVAL, but ENOENT when named by an empty path.
    if (!isLnk(p.dentry.inode.mode)) kerr(empty ? ENOENT : EINVAL);
    const target = Buffer.from(p.dentry.inode.readlink(), "latin1");
    const n = Math.min(size, target.length);
    um(t).write(buf, target.subarray(0, n));
    return n;
  },
  getcwd: (t, buf, size) => {
    if (t.fs.cwd.dentry.inode.dead) kerr(ENOENT);
    // A cwd outside the root (chroot without chdir) is "(unreachable)/…", which
    // glibc's getcwd and realpath turn into ENOENT (Linux's getcwd).
    const cwd = pathFromRoot(t.fs.cwd, t.fs.root);
    const s = Buffer.from((cwd.reachable ? "" : "(unreachable)") + cwd.name + "\0", "latin1");
    // As Linux's getcwd: the path is built in one page; longer is ENAMETOOLONG.
    if (s.length > PATH_MAX) kerr(ENAMETOOLONG);
    // size is a size_t: (size_t)-1 is room enough, and the copy then faults.
    if (sizeArg(size) < s.length) kerr(ERANGE);
    um(t).write(buf, s);
    return s.length;
  },
  chdir: (t, pathVa) => {
    const p = resolveAt(t, -100, pathArg(t, pathVa), true);
    if (!isDir(p.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(p.dentry.inode, MAY_EXEC, t.cred)) kerr(EACCES);
    t.fs.cwd = p;
    return 0;
  },
  fchdir: (t, fd) => {
    const f = t.files.getRaw(fdArg(fd));
    if (!f.path || !isDir(f.inode.mode)) kerr(ENOTDIR);
    // As Linux's fchdir: the directory must be searchable now, as for chdir.
    if (!permission(f.inode, MAY_EXEC, t.cred)) kerr(EACCES);
    t.fs.cwd = f.path;
    return 0;
  },
  umask: (t, mask) => { const old = t.fs.umask; t.fs.umask = mask & 0o777; return old; },
  mkdirat: (t, dirfd, pathVa, mode) => { mkdirAt(t, fdArg(dirfd), pathArg(t, pathVa), mode); return 0; },
  unlinkat: (t, dirfd, pathVa, flags) => {
    if (flags & ~AT_REMOVEDIR) kerr(EINVAL);
    unlinkAt(t, fdArg(dirfd), pathArg(t, pathVa), flags);
    return 0;
  },
});

export { ENOTEMPTY };
