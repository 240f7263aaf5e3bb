// The mount tree from user space: mount (new, bind, remount, move,
// propagation), umount2, chroot, pivot_root. Mounts belong to the caller's
// mount namespace (fs/mnt_namespace.ts); shared, slave, private and
// unbindable mounts propagate as Linux's (fs/pnode.ts).

import { kerr } from "../lib/errors.js";
import { EPERM, EACCES, EINVAL, ENODEV, ENOTDIR, EBUSY, ENOENT, ENOTBLK, ELOOP, EAGAIN } from "../abi/errno.js";
import {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOSYMFOLLOW, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE, MS_SLAVE,
  MS_SHARED, MS_UNBINDABLE, MS_NOATIME, MS_NODIRATIME, MS_STRICTATIME, MS_MGC_MSK, MS_MGC_VAL, MS_SILENT, MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW,
} from "../abi/mount.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { resolveAt } from "../fs/vfs.js";
import { permission, MAY_EXEC } from "../fs/namei.js";
import { Dentry, Mount, detachMount, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOSYMFOLLOW, MNT_NOATIME, MNT_NODIRATIME, MNT_STRICTATIME, MNT_ATIME_MASK, type Path } from "../fs/dentry.js";
import { filesystemType, parseOptions, parseSize, registerFilesystem } from "../fs/filesystems.js";
import { isDir, isReg, S_IFBLK, S_IFLNK, S_IFMT } from "../fs/inode.js";
import { attachPropagated, copyTree, detachPropagated, isBelow, makePrivate, makeShared, makeSlave, makeUnbindable, subtree } from "../fs/pnode.js";
import { inNamespace, killUnmounted, mountsChanged } from "../fs/mnt_namespace.js";
import { hasCap } from "../kernel/cred.js";
// Evaluated when a mount first asks for ext4 (the bundle's lazy import,
// scripts/build.mjs): a run that mounts none never pays for its code.
import * as ext4 from "../fs/ext4/index.js"; // ghost:lazy
import { makeTmpfs } from "../fs/tmpfs.js";
import { makeSysfs } from "../fs/sysfs.js";
import { makeProcRoot } from "../fs/procfs/root.js";
import { makeDevTree } from "../fs/devtmpfs.js";
import type { Task } from "../kernel/task.js";
import { u32Arg } from "./args.js";

const isBlk = (mode: number) => (mode & S_IFMT) === S_IFBLK;

for (const t of ["ext4", "ext3", "ext2"]) registerFilesystem(t, (k, source, o, ctx) => ext4.ext4Filesystem(t)(k, source, o, ctx), false);
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

export function mntFlags(ms: number): number {
  return (ms & MS_RDONLY ? MNT_RDONLY : 0) | (ms & MS_NOSUID ? MNT_NOSUID : 0) | (ms & MS_NODEV ? MNT_NODEV : 0) | (ms & MS_NOEXEC ? MNT_NOEXEC : 0) |
    (ms & MS_NOSYMFOLLOW ? MNT_NOSYMFOLLOW : 0) | (ms & MS_NOATIME ? MNT_NOATIME : 0) | (ms & MS_NODIRATIME ? MNT_NODIRATIME : 0) |
    (ms & MS_STRICTATIME ? MNT_STRICTATIME : 0);
}

// Linux's may_mount: CAP_SYS_ADMIN.
export function requireAdmin(t: Task): void { if (!hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM); }

export function isMountRoot(p: Path): boolean { return p.dentry === p.mnt.root; }

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

function inUse(t: Task, m: Mount): boolean {
  const mounts = new Set(subtree(m));
  for (const task of t.k.tasks.values()) {
    if (mounts.has(task.fs.cwd.mnt) || mounts.has(task.fs.root.mnt)) return true;
    for (const [, e] of task.files.entries()) if (e.file.path && mounts.has(e.file.path.mnt)) return true;
  }
  return false;
}

// Where a mount goes: a directory or file, never a symlink (a magic link to
// an O_PATH symlink lands on one: ENOENT, as Linux's lock_mount).
export function mountTarget(p: Path): Path {
  if ((p.dentry.inode.mode & S_IFMT) === S_IFLNK) kerr(ENOENT);
  return p;
}

// Propagation change (MS_SHARED/PRIVATE/SLAVE/UNBINDABLE, one of them), on
// the mount or its whole subtree (MS_REC), as do_change_type.
export function changeType(m: Mount, flags: number): void {
  const type = flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE);
  if (!type || (type & (type - 1))) kerr(EINVAL);
  for (const x of flags & MS_REC ? subtree(m) : [m]) {
    if (type === MS_SHARED) makeShared(x);
    else if (type === MS_PRIVATE) makePrivate(x);
    else if (type === MS_SLAVE) makeSlave(x);
    else makeUnbindable(x);
  }
}

// A bind mount's tree: the source mount from the source dentry down,
// with its submounts when recursive (unbindable ones refused: EINVAL).
export function bindTree(src: Path, recursive: boolean): Mount {
  if (src.mnt.unbindable) kerr(EINVAL);
  return copyTree(src.mnt, src.dentry, recursive, true);
}

// Attaches a tree at a target in the caller's namespace (graft_tree).
export function graft(t: Task, target: Path, m: Mount): void {
  if (!inNamespace(target.mnt, t.ns.mnt)) kerr(EINVAL);
  if (isDir(m.root.inode.mode) !== isDir(target.dentry.inode.mode)) kerr(ENOTDIR);
  attachPropagated(target, m);
  mountsChanged(t);
}

// Moves an attached mount (or a detached tree) to a target (do_move_mount).
export function moveMount(t: Task, src: Path, target: Path): void {
  if (!isMountRoot(src)) kerr(EINVAL);
  const m = src.mnt;
  const attached = m.parent !== null;
  if (attached && !inNamespace(m, t.ns.mnt)) kerr(EINVAL);
  if (!attached && t.ns.mnt.root === m) kerr(EINVAL);
  if (!inNamespace(target.mnt, t.ns.mnt)) kerr(EINVAL);
  if (subtree(m).includes(target.mnt)) kerr(ELOOP);
  // Moving a mount out from under a shared parent is refused (do_move_mount).
  if (attached && m.parent!.group) kerr(EINVAL);
  if (isDir(m.root.inode.mode) !== isDir(target.dentry.inode.mode)) kerr(EINVAL);
  if (attached) detachMount(m);
  attachPropagated(target, m);
  mountsChanged(t);
}

// Creates a filesystem instance the way mount(2) names it (type, source,
// options), as the new mount API's fsconfig(FSCONFIG_CMD_CREATE) does too.
export function createFs(t: Task, type: string, source: string, options: Map<string, string>, readOnly: boolean, sourcePath: () => Path) {
  const fs = filesystemType(type);
  if (!fs) kerr(ENODEV);
  // A filesystem on a device: the source names a block device node (Linux's lookup_bdev).
  let bdev: number | undefined;
  if (!fs.nodev) {
    const src = sourcePath().dentry.inode;
    if (!isBlk(src.mode)) kerr(ENOTBLK);
    bdev = src.rdev;
  }
  return fs.make(t.k, source, options, { bdev, readOnly });
}

function doMount(t: Task, srcVa: number, targetVa: number, typeVa: number, flags: number, dataVa: number): number {
  requireAdmin(t);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  flags &= ~MS_SILENT;
  const target = mountTarget(resolveAt(t, -100, pathArg(t, targetVa), true));
  const data = dataVa ? um(t).readCString(dataVa, 4096) : "";
  if (flags & MS_REMOUNT) {
    if (!isMountRoot(target)) kerr(EINVAL);
    if (!inNamespace(target.mnt, t.ns.mnt)) kerr(EINVAL);
    // Read-only while a file is open for writing on the mount is EBUSY (sb_prepare_remount_readonly).
    if ((flags & MS_RDONLY) && !(target.mnt.flags & MNT_RDONLY) && openForWriting(t, target.mnt)) kerr(EBUSY);
    if (data && !(flags & MS_BIND)) target.mnt.sb.remount(parseOptions(data), t.k.phys.frames * 4096);
    // Without MS_BIND the superblock turns read-only or read-write too (reconfigure_super).
    if (!(flags & MS_BIND)) target.mnt.sb.reconfigureReadOnly((flags & MS_RDONLY) !== 0);
    const keep = target.mnt.flags & ~(MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_NOSYMFOLLOW | MNT_ATIME_MASK);
    target.mnt.flags = keep | mntFlags(flags);
    mountsChanged(t);
    return 0;
  }
  if (flags & MS_BIND) {
    const src = resolveAt(t, -100, pathArg(t, srcVa), true);
    if (!inNamespace(src.mnt, t.ns.mnt)) kerr(EINVAL);
    const m = bindTree(src, (flags & MS_REC) !== 0);
    m.flags = (src.mnt.flags & ~MNT_RDONLY) | mntFlags(flags);
    graft(t, target, m);
    return 0;
  }
  if (flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)) {
    if (!isMountRoot(target)) kerr(EINVAL);
    if (!inNamespace(target.mnt, t.ns.mnt)) kerr(EINVAL);
    changeType(target.mnt, flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE | MS_REC));
    mountsChanged(t);
    return 0;
  }
  if (flags & MS_MOVE) {
    const src = resolveAt(t, -100, pathArg(t, srcVa), true);
    if (!src.mnt.parent) kerr(EINVAL);
    moveMount(t, src, target);
    return 0;
  }
  // No type at all is EINVAL, an unknown one ENODEV (do_new_mount).
  if (!typeVa) kerr(EINVAL);
  const type = um(t).readCString(typeVa, 256);
  if (!filesystemType(type)) kerr(ENODEV);
  if (!isDir(target.dentry.inode.mode)) kerr(ENOTDIR);
  const source = srcVa ? um(t).readCString(srcVa, 4096) : "none";
  const root = createFs(t, type, source, parseOptions(data), (flags & MS_RDONLY) !== 0, () => {
    if (!srcVa) kerr(EINVAL); // get_tree_bdev: "No source specified"
    return resolveAt(t, -100, pathArg(t, srcVa), true);
  });
  // The same filesystem again on top of itself is EBUSY (do_add_mount).
  if (isMountRoot(target) && target.mnt.sb === root.sb) kerr(EBUSY);
  const m = new Mount(root.sb, new Dentry(target.dentry.name, null, root), null, null, mntFlags(flags), source, type);
  graft(t, target, m);
  return 0;
}

// Detaches m (and its propagated copies); a filesystem whose last mount
// went is shut down (kill_sb).
export function unmount(t: Task, m: Mount): void {
  const gone = detachPropagated(m);
  for (const x of gone) for (const y of subtree(x)) killUnmounted(t.k, y.sb);
  mountsChanged(t);
}

function umount(t: Task, targetVa: number, flags: number): number {
  requireAdmin(t);
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) kerr(EINVAL);
  if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH))) kerr(EINVAL);
  const p = resolveAt(t, -100, pathArg(t, targetVa), (flags & UMOUNT_NOFOLLOW) === 0);
  if (!isMountRoot(p)) kerr(EINVAL);
  const m = p.mnt;
  if (!inNamespace(m, t.ns.mnt)) kerr(EINVAL);
  if (!m.parent) kerr(EBUSY); // the root mount
  if (!(flags & MNT_DETACH)) {
    if (m.children.size || inUse(t, m)) kerr(EBUSY);
  }
  // MNT_EXPIRE (do_umount): the first call marks the mount and is EAGAIN;
  // a second one unmounts it if no walk but its own entered it since.
  if (flags & MNT_EXPIRE && (m.expiryMark === null || m.crossings !== m.expiryMark + 1)) {
    m.expiryMark = m.crossings;
    kerr(EAGAIN);
  }
  unmount(t, m);
  return 0;
}

// As Linux's pivot_root: the caller's root mount moves to put_old (which
// must be at or under new_root), and new_root takes its place; every task
// of the namespace rooted or working at the old root follows.
function pivotRoot(t: Task, newVa: number, oldVa: number): number {
  requireAdmin(t);
  const newRoot = resolveAt(t, -100, pathArg(t, newVa), true);
  const putOld = resolveAt(t, -100, pathArg(t, oldVa), true);
  if (!isDir(newRoot.dentry.inode.mode) || !isDir(putOld.dentry.inode.mode)) kerr(ENOTDIR);
  const root = t.fs.root;
  const ns = t.ns.mnt;
  if (putOld.mnt.group || newRoot.mnt.parent?.group || root.mnt.parent?.group) kerr(EINVAL);
  if (!inNamespace(root.mnt, ns) || !inNamespace(newRoot.mnt, ns)) kerr(EINVAL);
  if (newRoot.mnt === root.mnt || putOld.mnt === root.mnt) kerr(EBUSY);
  if (!isMountRoot(root)) kerr(EINVAL);
  if (!isMountRoot(newRoot) || !newRoot.mnt.parent) kerr(EINVAL);
  if (!reachable(putOld, newRoot) || !reachable(newRoot, root)) kerr(EINVAL);
  const oldRoot = root.mnt;
  const rootParent = oldRoot.parent, rootPoint = oldRoot.mountpoint;
  detachMount(newRoot.mnt);
  if (rootParent && rootPoint) detachMount(oldRoot);
  // put_old is on the new root's tree; the old root hangs there now.
  attachPropagated(putOld, oldRoot);
  if (rootParent && rootPoint) attachPropagated({ mnt: rootParent, dentry: rootPoint }, newRoot.mnt);
  else ns.root = newRoot.mnt;
  const to: Path = { mnt: newRoot.mnt, dentry: newRoot.mnt.root };
  for (const task of t.k.tasks.values()) {
    if (task.ns.mnt !== ns) continue;
    if (task.fs.root.mnt === oldRoot && task.fs.root.dentry === root.dentry) task.fs.root = to;
    if (task.fs.cwd.mnt === oldRoot && task.fs.cwd.dentry === root.dentry) task.fs.cwd = to;
  }
  mountsChanged(t);
  return 0;
}

// Whether p lies at or below top, crossing mounts (is_path_reachable).
function reachable(p: Path, top: Path): boolean {
  let mnt: Mount | null = p.mnt, d = p.dentry;
  while (mnt) {
    if (mnt === top.mnt) return isBelow(d, top.dentry);
    if (!mnt.mountpoint) return false;
    d = mnt.mountpoint;
    mnt = mnt.parent;
  }
  return false;
}

defineSyscalls({
  mount: [(t, src, target, type, flags, data) => doMount(t, src, target, type, u32Arg(flags), data), "partial",
    "filesystem types tmpfs, proc, sysfs, devtmpfs (and those drivers register); bind, remount, move, shared/slave/private/unbindable propagation"],
  umount2: (t, target, flags) => umount(t, target, u32Arg(flags)),
  // As ksys_chroot: the lookup, then search permission on the directory
  // (EACCES), and only then the capability (EPERM).
  chroot: (t, pathVa) => {
    const p = resolveAt(t, -100, pathArg(t, pathVa), true);
    if (!isDir(p.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(p.dentry.inode, MAY_EXEC, t.cred)) kerr(EACCES);
    if (t.cred.euid !== 0) kerr(EPERM);
    t.fs.root = p;
    return 0;
  },
  pivot_root: (t, n, o) => pivotRoot(t, n, o),
});
