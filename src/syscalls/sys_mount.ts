// The mount tree from user space: mount (new, bind, remount, move,
// propagation), umount2, chroot, pivot_root.

import { mountsChanged } from "../fs/procfs/mountpoll.js";
import { kerr } from "../lib/errors.js";
import { EPERM, EACCES, EINVAL, ENODEV, ENOTDIR, EBUSY, ENOENT, ENOTBLK } from "../abi/errno.js";
import {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOSYMFOLLOW, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE, MS_SLAVE,
  MS_SHARED, MS_UNBINDABLE, MS_MGC_MSK, MS_MGC_VAL, MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW,
} from "../abi/mount.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { resolveAt } from "../fs/vfs.js";
import { permission, MAY_EXEC } from "../fs/namei.js";
import { Dentry, Mount, attachMount, detachMount, followMounts, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOSYMFOLLOW, type Path } from "../fs/dentry.js";
import { filesystemType, parseOptions, parseSize, registerFilesystem } from "../fs/filesystems.js";
import { isDir, isReg, S_IFBLK, S_IFMT } from "../fs/inode.js";
import "../fs/ext4/index.js";

const isBlk = (mode: number) => (mode & S_IFMT) === S_IFBLK;
import { makeTmpfs } from "../fs/tmpfs.js";
import { makeSysfs } from "../fs/sysfs.js";
import { makeProcRoot } from "../fs/procfs/root.js";
import { makeDevTree } from "../fs/devtmpfs.js";
import type { Task } from "../kernel/task.js";
import { u32Arg } from "./args.js";

registerFilesystem("tmpfs", (k, _src, o) => {
  // No size=: half of RAM (makeTmpfs); size=0: no limit but RAM's.
  const size = o.has("size") ? parseSize(o.get("size")!, k.phys.frames * 4096) : undefined;
  if (Number.isNaN(size)) kerr(EINVAL);
  const mode = o.has("mode") ? parseInt(o.get("mode")!, 8) : 0o1777;
  const num = (name: string) => {
    if (!o.has(name)) return undefined;
    const v = name === "nr_inodes" ? parseSize(o.get(name)!, 0) : /^\d+$/.test(o.get(name)!) ? Number(o.get(name)) : NaN;
    if (Number.isNaN(v)) kerr(EINVAL);
    return v;
  };
  const nrInodes = num("nr_inodes");
  return makeTmpfs(size === 0 ? Infinity : size, mode, { maxInodes: nrInodes === 0 ? Infinity : nrInodes, uid: num("uid"), gid: num("gid") });
});
registerFilesystem("proc", (k) => makeProcRoot(k));
registerFilesystem("sysfs", (k) => makeSysfs(k.phys.frames * 4096, k));
registerFilesystem("devtmpfs", (k) => makeDevTree(k));

function mntFlags(ms: number): number {
  return (ms & MS_RDONLY ? MNT_RDONLY : 0) | (ms & MS_NOSUID ? MNT_NOSUID : 0) | (ms & MS_NODEV ? MNT_NODEV : 0) | (ms & MS_NOEXEC ? MNT_NOEXEC : 0) |
    (ms & MS_NOSYMFOLLOW ? MNT_NOSYMFOLLOW : 0);
}

function requireRoot(t: Task): void { if (t.cred.euid !== 0) kerr(EPERM); }

function isMountRoot(p: Path): boolean { return p.dentry === p.mnt.root; }

// Whether any process has a file on mount m open for writing.
function openForWriting(t: Task, m: Mount): boolean {
  const seen = new Set<object>();
  for (const task of t.k.tasks.values()) {
    if (seen.has(task.files)) continue;
    seen.add(task.files);
    for (const [, e] of task.files.entries()) if (e.file.writable && e.file.path?.mnt === m && isReg(e.file.inode.mode)) return true;
  }
  return false;
}

// Every mount below m (m included).
function subtree(m: Mount): Mount[] {
  const out = [m];
  for (const c of m.children.values()) out.push(...subtree(c));
  return out;
}

function inUse(t: Task, m: Mount): boolean {
  const mounts = new Set(subtree(m));
  for (const task of t.k.tasks.values()) {
    if (mounts.has(task.fs.cwd.mnt) || mounts.has(task.fs.root.mnt)) return true;
    for (const [, e] of task.files.entries()) if (e.file.path && mounts.has(e.file.path.mnt)) return true;
  }
  return false;
}

function doMount(t: Task, srcVa: number, targetVa: number, typeVa: number, flags: number, dataVa: number): number {
  requireRoot(t);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  const target = resolveAt(t, -100, pathArg(t, targetVa), true);
  const data = dataVa ? um(t).readCString(dataVa, 4096) : "";
  if (flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)) {
    // Propagation types: Ghost's mounts are all private, which is what they ask for or close to it.
    if (!isMountRoot(target)) kerr(EINVAL);
    return 0;
  }
  if (flags & MS_REMOUNT) {
    if (!isMountRoot(target)) kerr(EINVAL);
    // Read-only while a file is open for writing on the mount is EBUSY (sb_prepare_remount_readonly).
    if ((flags & MS_RDONLY) && !(target.mnt.flags & MNT_RDONLY) && openForWriting(t, target.mnt)) kerr(EBUSY);
    if (data) target.mnt.sb.remount(parseOptions(data), t.k.phys.frames * 4096);
    const keep = target.mnt.flags & ~(MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_NOSYMFOLLOW);
    target.mnt.flags = keep | mntFlags(flags);
    mountsChanged(t.k);
    return 0;
  }
  if (flags & MS_BIND) {
    const src = resolveAt(t, -100, pathArg(t, srcVa), true);
    if (isDir(src.dentry.inode.mode) !== isDir(target.dentry.inode.mode)) kerr(ENOTDIR);
    const m = new Mount(src.mnt.sb, src.dentry, null, null, (src.mnt.flags & ~MNT_RDONLY) | mntFlags(flags), src.mnt.source, src.mnt.fsType);
    attachMount(target, m);
    if (flags & MS_REC) {
      // Submounts below the source come along.
      for (const [d, child] of src.mnt.children) {
        if (isBelow(d, src.dentry)) attachMount({ mnt: m, dentry: d }, new Mount(child.sb, child.root, null, null, child.flags, child.source, child.fsType));
      }
    }
    mountsChanged(t.k);
    return 0;
  }
  if (flags & MS_MOVE) {
    const src = resolveAt(t, -100, pathArg(t, srcVa), true);
    if (!isMountRoot(src) || !src.mnt.parent) kerr(EINVAL);
    if (subtree(src.mnt).includes(target.mnt)) kerr(EINVAL);
    detachMount(src.mnt);
    attachMount(target, src.mnt);
    mountsChanged(t.k);
    return 0;
  }
  const type = typeVa ? um(t).readCString(typeVa, 256) : "";
  const fs = filesystemType(type);
  if (!fs) kerr(ENODEV);
  if (!isDir(target.dentry.inode.mode)) kerr(ENOTDIR);
  const source = srcVa ? um(t).readCString(srcVa, 4096) : "none";
  // A filesystem on a device: the source names a block device node (Linux's lookup_bdev).
  let bdev: number | undefined;
  if (!fs.nodev) {
    if (!srcVa) kerr(ENOTBLK);
    const src = resolveAt(t, -100, pathArg(t, srcVa), true).dentry.inode;
    if (!isBlk(src.mode)) kerr(ENOTBLK);
    bdev = src.rdev;
  }
  const root = fs.make(t.k, source, parseOptions(data), { bdev, readOnly: (flags & MS_RDONLY) !== 0 });
  const m = new Mount(root.sb, new Dentry(target.dentry.name, null, root), null, null, mntFlags(flags), source, type);
  attachMount(target, m);
  mountsChanged(t.k);
  return 0;
}

function isBelow(d: Dentry, top: Dentry): boolean {
  for (let x: Dentry | null = d; x; x = x.parent) if (x === top) return true;
  return false;
}

function umount(t: Task, targetVa: number, flags: number): number {
  requireRoot(t);
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) kerr(EINVAL);
  if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH))) kerr(EINVAL);
  const p = resolveAt(t, -100, pathArg(t, targetVa), (flags & UMOUNT_NOFOLLOW) === 0);
  if (!isMountRoot(p)) kerr(EINVAL);
  const m = p.mnt;
  if (!m.parent) kerr(EBUSY); // the root mount
  if (!(flags & MNT_DETACH)) {
    if (m.children.size || inUse(t, m)) kerr(EBUSY);
  }
  detachMount(m);
  // The last mount of a filesystem gone: it is shut down (kill_sb).
  if (t.k.rootMount && !subtree(t.k.rootMount).some((x) => x.sb === m.sb)) m.sb.kill();
  mountsChanged(t.k);
  return 0;
}

function pivotRoot(t: Task, newVa: number, oldVa: number): number {
  requireRoot(t);
  const newRoot = resolveAt(t, -100, pathArg(t, newVa), true);
  const putOld = resolveAt(t, -100, pathArg(t, oldVa), true);
  if (!isDir(newRoot.dentry.inode.mode) || !isDir(putOld.dentry.inode.mode)) kerr(ENOTDIR);
  if (!isMountRoot(newRoot) || !newRoot.mnt.parent) kerr(EINVAL);
  const oldRoot = t.fs.root;
  if (newRoot.mnt === oldRoot.mnt) kerr(EBUSY);
  if (!subtree(newRoot.mnt).includes(putOld.mnt)) kerr(EINVAL);
  // The old root moves under put_old; the new root becomes the root of every task that had the old one.
  detachMount(newRoot.mnt);
  attachMount(followMounts(putOld), oldRoot.mnt);
  for (const task of t.k.tasks.values()) {
    if (task.fs.root.mnt === oldRoot.mnt && task.fs.root.dentry === oldRoot.dentry) task.fs.root = { mnt: newRoot.mnt, dentry: newRoot.mnt.root };
    if (task.fs.cwd.mnt === oldRoot.mnt && task.fs.cwd.dentry === oldRoot.dentry) task.fs.cwd = { mnt: newRoot.mnt, dentry: newRoot.mnt.root };
  }
  t.k.rootMount = newRoot.mnt;
  mountsChanged(t.k);
  return 0;
}

defineSyscalls({
  mount: [(t, src, target, type, flags, data) => doMount(t, src, target, type, u32Arg(flags), data), "partial",
    "filesystem types tmpfs, proc, sysfs, devtmpfs (and those drivers register); bind, remount, move; propagation is always private"],
  umount2: (t, target, flags) => umount(t, target, u32Arg(flags)),
  // As ksys_chroot: the lookup, then search permission on the directory
  // (EACCES), and only then the capability (EPERM).
  chroot: (t, pathVa) => {
    const p = resolveAt(t, -100, pathArg(t, pathVa), true);
    if (!isDir(p.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(p.dentry.inode, MAY_EXEC, t.cred)) kerr(EACCES);
    requireRoot(t);
    t.fs.root = p;
    return 0;
  },
  pivot_root: (t, n, o) => pivotRoot(t, n, o),
});

export { ENOENT };
