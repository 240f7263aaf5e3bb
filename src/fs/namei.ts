// Path walk (Linux's namei): from a starting point, component by component,
// across mounts and through symlinks, with Linux's errors.

import { kerr } from "../lib/errors.js";
import { EACCES, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, EXDEV, EISDIR, EBADF, EEXIST, EROFS } from "../abi/errno.js";
import { AT_FDCWD } from "../abi/fcntl.js";
import type { Task } from "../kernel/task.js";
import { followMounts, MNT_RDONLY, MNT_NOSYMFOLLOW, type Path } from "./dentry.js";
import { isDir, isLnk, type Cred, type Inode } from "./inode.js";

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
const MAXSYMLINKS = 40;

export interface FsContext { root: Path; cwd: Path; umask: number }

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

// Unix permission bits, with root's override (CAP_DAC_OVERRIDE): root may do
// anything except execute a file with no execute bit at all.
export function permission(inode: Inode, mask: number, cred: Cred): boolean {
  if (cred.fsuid === 0) {
    if ((mask & MAY_EXEC) && !isDir(inode.mode) && (inode.mode & 0o111) === 0) return false;
    return true;
  }
  let bits: number;
  if (inode.uid === cred.fsuid) bits = inode.mode >> 6;
  else if ((inode.mode & 0o070) && (bits = aclVerdict(inode, mask, cred)) >= 0) return bits === 1;
  else if (inode.gid === cred.fsgid || cred.groups.includes(inode.gid)) bits = inode.mode >> 3;
  else bits = inode.mode;
  return (bits & mask & 7) === (mask & 7) || inode.permitsBeyondMode(mask);
}

// 1 or 0 when the inode's POSIX ACL decides (as Linux's check_acl, asked
// only while the mode has group bits), -1 when it has none.
function aclVerdict(inode: Inode, mask: number, cred: Cred): number {
  const v = inode.checkAcl(mask & 7, cred);
  return v === null ? -1 : v ? 1 : 0;
}

function up(p: Path, root: Path): Path {
  let cur = p;
  for (;;) {
    if (cur.mnt === root.mnt && cur.dentry === root.dentry) return cur;
    if (cur.dentry === cur.mnt.root) {
      if (!cur.mnt.parent || !cur.mnt.mountpoint) return cur;
      cur = { mnt: cur.mnt.parent, dentry: cur.mnt.mountpoint };
      continue;
    }
    return followMounts({ mnt: cur.mnt, dentry: cur.dentry.parent ?? cur.dentry });
  }
}

function checkLength(path: string): void {
  if (path.length >= PATH_MAX) kerr(ENAMETOOLONG);
}

export interface WalkResult { path: Path; }

// openat2's RESOLVE_* restrictions, relative to the starting directory `base`.
export interface ResolveOpts { noXdev?: boolean; noMagic?: boolean; noSymlinks?: boolean; beneath?: boolean; inRoot?: boolean; base?: Path }

export class Walker {
  private links = 0;
  private readonly fs: FsContext;
  constructor(fs: FsContext, private readonly cred: Cred, private readonly opts: ResolveOpts = {}) {
    // RESOLVE_IN_ROOT: the starting directory acts as the root for the whole walk.
    this.fs = opts.inRoot && opts.base ? { ...fs, root: opts.base } : fs;
  }

  private checkAbsolute(path: string): void {
    if (this.opts.beneath && path.startsWith("/")) kerr(EXDEV);
  }

  private checkUp(from: Path, to: Path): void {
    const b = this.opts.base;
    if (this.opts.beneath && b && from.mnt === b.mnt && from.dentry === b.dentry) kerr(EXDEV);
    if (this.opts.noXdev && from.mnt !== to.mnt) kerr(EXDEV);
  }

  // Resolves every component of `path`; the last symlink is followed when `follow`.
  resolve(start: Path, path: string, follow: boolean): Path {
    checkLength(path);
    if (path === "") kerr(ENOENT);
    const trailing = path.endsWith("/");
    const { parent, name } = this.walkParent(start, path);
    if (name === null) return parent;
    const p = this.step(parent, name);
    return this.finish(parent, p, follow || trailing, trailing);
  }

  // Walks all but the last component. name is null when the path names a
  // directory itself ("/", ".", "..", "a/..").
  walkParent(start: Path, path: string): { parent: Path; name: string | null } {
    checkLength(path);
    if (path === "") kerr(ENOENT);
    this.checkAbsolute(path);
    let cur = path.startsWith("/") ? this.fs.root : start;
    const parts = path.split("/").filter((c) => c.length > 0);
    for (const c of parts) if (c.length > NAME_MAX) kerr(ENAMETOOLONG);
    for (let i = 0; i < parts.length - 1; i++) {
      cur = this.component(cur, parts[i]);
    }
    const last = parts.length ? parts[parts.length - 1] : null;
    if (last === null) return { parent: cur, name: null };
    this.requireSearch(cur);
    if (last === ".") return { parent: cur, name: null };
    if (last === "..") { const u = up(cur, this.fs.root); this.checkUp(cur, u); return { parent: u, name: null }; }
    return { parent: cur, name: last };
  }

  private requireSearch(dir: Path): void {
    if (!isDir(dir.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(dir.dentry.inode, MAY_EXEC, this.cred)) kerr(EACCES);
  }

  // One intermediate component: must end at a directory.
  private component(cur: Path, name: string): Path {
    this.requireSearch(cur);
    if (name === ".") return cur;
    if (name === "..") { const u = up(cur, this.fs.root); this.checkUp(cur, u); return u; }
    const next = this.step(cur, name);
    if (!next) kerr(ENOENT);
    const r = this.finish(cur, next, true, true);
    if (!r) kerr(ENOENT);
    return r;
  }

  // Looks a name up in a directory; null when it does not exist.
  step(dir: Path, name: string): Path | null {
    const d = dir.dentry.child(name);
    if (!d) return null;
    const p = followMounts({ mnt: dir.mnt, dentry: d });
    if (this.opts.noXdev && p.mnt !== dir.mnt) kerr(EXDEV);
    return p;
  }

  // Follows a symlink at p when asked; checks the directory requirement.
  private finish(dir: Path, p: Path | null, follow: boolean, mustBeDir: boolean): Path {
    if (!p) kerr(ENOENT);
    let cur = p;
    let base = dir;
    while (follow && isLnk(cur.dentry.inode.mode)) {
      // As pick_link: a symlink on a nosymfollow mount is not followed (ELOOP).
      if (++this.links > MAXSYMLINKS || this.opts.noSymlinks || cur.mnt.flags & MNT_NOSYMFOLLOW) kerr(ELOOP);
      // Magic links (/proc/[pid]/fd/N, exe, cwd) lead to the object itself.
      const magic = (cur.dentry.inode as { magicLink?: () => Path | null }).magicLink?.();
      if (magic) {
        if (this.opts.noMagic || this.opts.beneath || this.opts.inRoot) kerr(ELOOP);
        // The object itself is the end: a symlink open as O_PATH is not
        // followed again (Linux's nd_jump_link ends the walk there).
        cur = magic;
        break;
      }
      const target = cur.dentry.inode.readlink();
      if (target === "") kerr(ENOENT);
      const { parent, name } = this.walkParent(base, target);
      if (name === null) { cur = parent; break; }
      const next = this.step(parent, name);
      if (!next) kerr(ENOENT);
      base = parent;
      cur = next;
    }
    if (mustBeDir && !isDir(cur.dentry.inode.mode)) kerr(ENOTDIR);
    return cur;
  }

  // Resolves the last component if present, following links as asked; null if absent.
  // open(O_CREAT)'s last component: what it names, following symlinks when
  // asked; where a dangling link ends, the directory and name to create (as
  // Linux, O_CREAT through a dangling symlink creates its target).
  lookupCreate(parent: Path, name: string, follow: boolean): { path: Path | null; parent: Path; name: string } {
    let base = parent, last = name;
    let cur = this.step(parent, name);
    while (cur && follow && isLnk(cur.dentry.inode.mode)) {
      // As pick_link: a symlink on a nosymfollow mount is not followed (ELOOP).
      if (++this.links > MAXSYMLINKS || this.opts.noSymlinks || cur.mnt.flags & MNT_NOSYMFOLLOW) kerr(ELOOP);
      const magic = (cur.dentry.inode as { magicLink?: () => Path | null }).magicLink?.();
      if (magic) {
        if (this.opts.noMagic || this.opts.beneath || this.opts.inRoot) kerr(ELOOP);
        return { path: magic, parent: base, name: last };
      }
      const target = cur.dentry.inode.readlink();
      if (target === "") kerr(ENOENT);
      const w = this.walkParent(base, target);
      if (w.name === null) return { path: w.parent, parent: base, name: last };
      if (target.endsWith("/")) kerr(EISDIR);
      base = w.parent;
      last = w.name;
      cur = this.step(base, last);
    }
    return { path: cur, parent: base, name: last };
  }

  lookupLast(parent: Path, name: string, follow: boolean, mustBeDir: boolean): Path | null {
    const p = this.step(parent, name);
    if (!p) return null;
    return this.finish(parent, p, follow, mustBeDir);
  }
}

export function walker(t: Task, opts?: ResolveOpts): Walker { return new Walker(t.fs, t.cred, opts); }

// The directory a relative path starts from: cwd, or the directory open at dirfd.
export function startPath(t: Task, dirfd: number, path: string): Path {
  if (path.startsWith("/")) return t.fs.root;
  if (dirfd === AT_FDCWD) return t.fs.cwd;
  const f = t.files.getRaw(dirfd);
  // A file with no path here (a pipe, a socket, an anonymous inode, the host's
  // stdio) sits on one of Linux's internal filesystems: a non-directory, so a
  // path below it is ENOTDIR there, as under a regular file.
  if (!f.path) kerr(path !== "" ? ENOTDIR : EBADF);
  if (path !== "" && !isDir(f.inode.mode)) kerr(ENOTDIR);
  return f.path;
}

// The directory that will hold the last component of (dirfd, path), and that
// component; a path with none ("/", "..") names something that exists: EEXIST.
export function parentAndName(t: Task, dirfd: number, path: string): { parent: Path; name: string } {
  const { parent, name } = walker(t).walkParent(startPath(t, dirfd, path), path);
  if (name === null) kerr(EEXIST);
  return { parent, name };
}

export function isReadOnly(p: Path): boolean { return (p.mnt.flags & MNT_RDONLY) !== 0 || p.dentry.inode.sb.readOnly; }
export function requireNotReadOnly(p: Path): void { if (isReadOnly(p)) kerr(EROFS); }
// Creating in a directory that was removed is ENOENT (Linux's IS_DEADDIR).
export function requireLiveDir(p: Path): void { if (p.dentry.inode.dead) kerr(ENOENT); }

// Linux's may_create, with the mount's write check before it: the directory
// is on a writable mount (EROFS), still linked (ENOENT), and the caller may
// write and search it (EACCES).
export function mayCreate(dir: Path, cred: Cred): void {
  requireNotReadOnly(dir);
  requireLiveDir(dir);
  if (!permission(dir.dentry.inode, MAY_WRITE | MAY_EXEC, cred)) kerr(EACCES);
}

// Linux's may_delete, its directory part: a writable mount, write and search permission.
export function mayDelete(dir: Path, cred: Cred): void {
  requireNotReadOnly(dir);
  if (!permission(dir.dentry.inode, MAY_WRITE | MAY_EXEC, cred)) kerr(EACCES);
}
