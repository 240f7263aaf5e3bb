// The namespace operations behind mkdirat, unlinkat, renameat2 and
// symlinkat: the path walk, Linux's permission and busy checks, the
// filesystem's operation, the dentry cache and inotify. The syscalls decode
// their arguments and call these; the library's host-side file calls
// (api/files.ts) call them too, so both see one set of rules.

import { kerr } from "../lib/errors.js";
import { EINVAL, ENOENT, ENOTDIR, EEXIST, EISDIR, ENOTEMPTY, EBUSY, EPERM, EXDEV } from "../abi/errno.js";
import { AT_REMOVEDIR, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT } from "../abi/fcntl.js";
import { isDir, S_IFMT, S_IFDIR, umaskIn } from "./inode.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_MKNOD } from "../abi/prctl.js";
import type { Path } from "./dentry.js";
import { startPath, walker, parentAndName, mayCreate, mayDelete } from "./namei.js";
import { fsnotify, fsnotifyDir, fsnotifyDeleted, moveCookie, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF } from "./notify.js";
import type { Task } from "../kernel/task.js";

export function mkdirAt(t: Task, dirfd: number, path: string, mode: number): void {
  const { parent, name } = parentAndName(t, dirfd, path);
  if (walker(t).lookupLast(parent, name, false, false)) kerr(EEXIST);
  mayCreate(parent, t.cred);
  const made = parent.dentry.inode.mkdir(name, (mode & 0o7777 & ~umaskIn(parent.dentry.inode, t.fs.umask)) | S_IFDIR, t.cred);
  parent.dentry.drop(name);
  fsnotifyDir(parent.dentry.inode, IN_CREATE, name, made);
}

/** unlinkat: flags is 0 or AT_REMOVEDIR (the caller refuses others). */
export function unlinkAt(t: Task, dirfd: number, path: string, flags: number): void {
  const w = walker(t);
  const { parent, name } = w.walkParent(startPath(t, dirfd, path), path);
  if (name === null) {
    if (!(flags & AT_REMOVEDIR)) kerr(EISDIR);
    // rmdir "d/.." names a non-empty directory; "d/." is EINVAL; "/" is busy.
    kerr(/(^|\/)\.\.\/*$/.test(path) ? ENOTEMPTY : /(^|\/)\.\/*$/.test(path) ? EINVAL : EBUSY);
  }
  const victim = w.lookupLast(parent, name, false, false);
  if (!victim) kerr(ENOENT);
  mayDelete(parent, t.cred);
  const dir = parent.dentry.inode;
  // Sticky directories: only the owner of the file or the directory (or root) may remove.
  if ((dir.mode & 0o1000) && t.cred.fsuid !== 0 && t.cred.fsuid !== dir.uid && t.cred.fsuid !== victim.dentry.inode.uid) kerr(EPERM);
  if (victim.dentry.mountedHere || victim.mnt.root === victim.dentry) kerr(EBUSY);
  if (flags & AT_REMOVEDIR) {
    if (!isDir(victim.dentry.inode.mode)) kerr(ENOTDIR);
    dir.rmdir(name);
    victim.dentry.inode.dead = true;
  } else {
    if (path.endsWith("/")) kerr(isDir(victim.dentry.inode.mode) ? EISDIR : ENOTDIR);
    if ((victim.dentry.inode.mode & S_IFMT) === S_IFDIR) kerr(EISDIR);
    dir.unlink(name);
  }
  parent.dentry.drop(name);
  // vfs_unlink: the file's link count changed (IN_ATTRIB to its own
  // watches, fsnotify_link_count), then the name went.
  if (!(flags & AT_REMOVEDIR)) fsnotify(null, victim.dentry.inode, IN_ATTRIB);
  fsnotifyDir(dir, IN_DELETE, name, victim.dentry.inode);
  fsnotifyDeleted(victim.dentry.inode);
}

function isAncestor(a: Path, b: Path): boolean {
  for (let d = b.dentry as typeof b.dentry | null; d; d = d.parent) if (d === a.dentry) return true;
  return false;
}

export function renameAt(t: Task, olddir: number, oldPath: string, newdir: number, newPath: string, flags: number): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) kerr(EINVAL);
  if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT))) kerr(EINVAL);
  // A whiteout is a device node (do_renameat2: capable(CAP_MKNOD)).
  if ((flags & RENAME_WHITEOUT) && !hasCap(t.cred, CAP_MKNOD)) kerr(EPERM);
  const w = walker(t);
  const o = w.walkParent(startPath(t, olddir, oldPath), oldPath);
  const n = w.walkParent(startPath(t, newdir, newPath), newPath);
  if (o.name === null || n.name === null) kerr(EBUSY);
  const src = w.lookupLast(o.parent, o.name, false, false);
  if (!src) kerr(ENOENT);
  if (o.parent.mnt !== n.parent.mnt) kerr(EXDEV);
  mayCreate(o.parent, t.cred);
  mayCreate(n.parent, t.cred);
  const dst = w.lookupLast(n.parent, n.name, false, false);
  if ((oldPath.endsWith("/") || newPath.endsWith("/")) && !isDir(src.dentry.inode.mode)) kerr(ENOTDIR);
  if (src.dentry.mountedHere || (dst && dst.dentry.mountedHere)) kerr(EBUSY);
  if (isDir(src.dentry.inode.mode) && isAncestor(src, n.parent)) kerr(EINVAL);
  if (dst && dst.dentry.inode === src.dentry.inode && !(flags & RENAME_EXCHANGE)) return;
  if (dst && (flags & RENAME_EXCHANGE) && isDir(dst.dentry.inode.mode) && isAncestor(dst, o.parent)) kerr(EINVAL);
  // RENAME_WHITEOUT (overlayfs's): the filesystem leaves a whiteout under
  // the old name, made before anything moves (hostfs refuses the flag).
  o.parent.dentry.inode.rename(o.name, n.parent.dentry.inode, n.name, flags, t.cred);
  if (dst && !(flags & RENAME_EXCHANGE) && isDir(dst.dentry.inode.mode)) dst.dentry.inode.dead = true;
  o.parent.dentry.drop(o.name);
  n.parent.dentry.drop(n.name);
  if (dst && (flags & RENAME_EXCHANGE)) dst.dentry.moveTo(o.parent.dentry, o.name);
  src.dentry.moveTo(n.parent.dentry, n.name);
  if (flags & RENAME_WHITEOUT) o.parent.dentry.drop(o.name);
  const cookie = moveCookie();
  fsnotifyDir(o.parent.dentry.inode, IN_MOVED_FROM, o.name, src.dentry.inode, cookie);
  fsnotifyDir(n.parent.dentry.inode, IN_MOVED_TO, n.name, src.dentry.inode, cookie);
  // fsnotify_move: a replaced target's link count changed first.
  if (dst && !(flags & RENAME_EXCHANGE)) fsnotify(null, dst.dentry.inode, IN_ATTRIB);
  fsnotify(null, src.dentry.inode, IN_MOVE_SELF);
  if (dst && !(flags & RENAME_EXCHANGE)) fsnotifyDeleted(dst.dentry.inode);
}

export function symlinkAt(t: Task, target: string, dirfd: number, path: string): void {
  const { parent, name } = parentAndName(t, dirfd, path);
  if (walker(t).lookupLast(parent, name, false, false)) kerr(EEXIST);
  mayCreate(parent, t.cred);
  const made = parent.dentry.inode.symlink(name, target, t.cred);
  parent.dentry.drop(name);
  fsnotifyDir(parent.dentry.inode, IN_CREATE, name, made);
}
