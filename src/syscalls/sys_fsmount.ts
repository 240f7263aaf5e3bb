// The new mount API (Linux 5.2+): fsopen, fsconfig and fsmount build a
// filesystem and a detached mount of it step by step; fspick reopens a
// mounted one's superblock for reconfiguration; open_tree opens (or clones)
// a mount tree as a file; move_mount attaches a detached tree or moves an
// attached one; mount_setattr changes mount attributes and propagation.
// The order of the checks, and so which errno wins, follows fs/fsopen.c and
// fs/namespace.c.

import { kerr } from "../lib/errors.js";
import { EBADF, EBUSY, EINVAL, ENODEV, ENOTBLK, EOPNOTSUPP, EPERM, E2BIG } from "../abi/errno.js";
import {
  FSOPEN_CLOEXEC, FSPICK_CLOEXEC, FSPICK_SYMLINK_NOFOLLOW, FSPICK_NO_AUTOMOUNT, FSPICK_EMPTY_PATH, FSMOUNT_CLOEXEC,
  FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_SET_BINARY, FSCONFIG_SET_PATH, FSCONFIG_SET_PATH_EMPTY, FSCONFIG_SET_FD,
  FSCONFIG_CMD_CREATE, FSCONFIG_CMD_RECONFIGURE, FSCONFIG_CMD_CREATE_EXCL,
  MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR__ATIME, MOUNT_ATTR_RELATIME,
  MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_IDMAP, MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_SIZE_VER0,
  MOVE_MOUNT_F_SYMLINKS, MOVE_MOUNT_F_AUTOMOUNTS, MOVE_MOUNT_F_EMPTY_PATH, MOVE_MOUNT_T_SYMLINKS, MOVE_MOUNT_T_AUTOMOUNTS,
  MOVE_MOUNT_T_EMPTY_PATH, MOVE_MOUNT_SET_GROUP, MOVE_MOUNT_BENEATH, OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC,
  MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, MS_REC, mount_attr,
} from "../abi/mount.js";
import { AT_FDCWD, AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_RECURSIVE, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_PATH, O_RDWR } from "../abi/fcntl.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { fdArg, i32Arg, u32Arg } from "./args.js";
import { resolveAt, openPath } from "../fs/vfs.js";
import { Dentry, Mount, attachMount, detachMount, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC, MNT_NOSYMFOLLOW, MNT_NOATIME, MNT_NODIRATIME, MNT_STRICTATIME, type Path } from "../fs/dentry.js";
import { filesystemType } from "../fs/filesystems.js";
import { FsContextInode, fsContextFile, fsContextOf, type FsParam } from "../fs/fs_context.js";
import { nsOfFile } from "../fs/nsfs.js";
import { inNamespace, mountsChanged, killUnmounted } from "../fs/mnt_namespace.js";
import { subtree } from "../fs/pnode.js";
import { requireAdmin, isMountRoot, createFs, bindTree, moveMount, changeType, mountTarget } from "./sys_mount.js";
import type { Task } from "../kernel/task.js";
import type { File } from "../fs/file.js";
import { nofile } from "../kernel/task.js";

// Trees made by fsmount and open_tree(OPEN_TREE_CLONE), not attached
// anywhere yet (Linux keeps them in an anonymous namespace): move_mount may
// attach them, mount_setattr may change them.
const detached = new WeakSet<Mount>();

const isDetached = (m: Mount) => !m.parent && detached.has(m);
// Contexts fsmount made a mount of: that mount holds the filesystem now.
const fsmounted = new WeakSet<FsContextInode>();

function fdFile(t: Task, fd: number) {
  const f = t.files.entry(fd)?.file;
  if (!f) kerr(EBADF);
  return f;
}

function fsopen(t: Task, nameVa: number, flags: number): number {
  requireAdmin(t);
  if (flags & ~FSOPEN_CLOEXEC) kerr(EINVAL);
  const name = pathArg(t, nameVa);
  if (!filesystemType(name)) kerr(ENODEV);
  const ctx = new FsContextInode(name, false);
  const file = fsContextFile(ctx, O_RDWR);
  // The context's hold on the filesystem it created (put_fs_context): with
  // no mount made of it, closing the context ends it and frees its device.
  const k = t.k;
  file.ops = { ...file.ops, release: () => { if (ctx.root && !fsmounted.has(ctx)) killUnmounted(k, ctx.root.sb); } };
  return t.files.alloc(file, (flags & FSOPEN_CLOEXEC) !== 0, nofile(t));
}

function fspick(t: Task, dfd: number, pathVa: number, flags: number): number {
  requireAdmin(t);
  if (flags & ~(FSPICK_CLOEXEC | FSPICK_SYMLINK_NOFOLLOW | FSPICK_NO_AUTOMOUNT | FSPICK_EMPTY_PATH)) kerr(EINVAL);
  const p = resolveAt(t, dfd, pathArg(t, pathVa), !(flags & FSPICK_SYMLINK_NOFOLLOW), (flags & FSPICK_EMPTY_PATH) !== 0);
  if (!isMountRoot(p)) kerr(EINVAL);
  const ctx = new FsContextInode(p.mnt.fsType, true);
  ctx.root = p.mnt.sb === p.dentry.inode.sb ? p.dentry.inode : null;
  ctx.picked = p.mnt;
  return t.files.alloc(fsContextFile(ctx, O_RDWR), (flags & FSPICK_CLOEXEC) !== 0, nofile(t));
}

// The superblock made (vfs_get_tree): a filesystem on a device needs its source.
function create(t: Task, ctx: FsContextInode): void {
  const fs = filesystemType(ctx.fsType)!;
  if (!fs.nodev && ctx.source === null) ctx.invalf("No source specified", false);
  const readOnly = ctx.sbFlags.get("ro") === true;
  const root = createFs(t, ctx.fsType, ctx.source ?? "none", ctx.options, readOnly, () => {
    try { return resolveAt(t, AT_FDCWD, ctx.source!, true); } catch { return kerr(ENOTBLK); }
  });
  if (readOnly) root.sb.reconfigureReadOnly(true);
  ctx.root = root;
}

// FSCONFIG_CMD_RECONFIGURE (reconfigure_super): the filesystem's options, then read-only or read-write.
function reconfigure(t: Task, ctx: FsContextInode): void {
  const sb = ctx.superBlock() ?? ctx.picked?.sb;
  if (!sb) kerr(EINVAL);
  if (ctx.options.size) sb.remount(ctx.options, t.k.phys.frames * 4096);
  const ro = ctx.sbFlags.get("ro");
  if (ro !== undefined) sb.reconfigureReadOnly(ro);
  mountsChanged(t);
}

function fsconfig(t: Task, fd: number, cmd: number, keyVa: number, valueVa: number, aux: number): number {
  if (fd < 0) kerr(EINVAL); // before the command is looked at, as Linux
  switch (cmd) {
    case FSCONFIG_SET_FLAG: if (!keyVa || valueVa || aux) kerr(EINVAL); break;
    case FSCONFIG_SET_STRING: if (!keyVa || !valueVa || aux) kerr(EINVAL); break;
    case FSCONFIG_SET_BINARY: if (!keyVa || !valueVa || aux <= 0 || aux > 1024 * 1024) kerr(EINVAL); break;
    case FSCONFIG_SET_PATH: case FSCONFIG_SET_PATH_EMPTY: if (!keyVa || !valueVa || (aux !== AT_FDCWD && aux < 0)) kerr(EINVAL); break;
    case FSCONFIG_SET_FD: if (!keyVa || valueVa || aux < 0) kerr(EINVAL); break;
    case FSCONFIG_CMD_CREATE: case FSCONFIG_CMD_CREATE_EXCL: case FSCONFIG_CMD_RECONFIGURE: if (keyVa || valueVa || aux) kerr(EINVAL); break;
    default: kerr(EOPNOTSUPP);
  }
  const ctx = fsContextOf(fdFile(t, fd));
  if (!ctx) kerr(EINVAL);
  const key = keyVa ? um(t).readCString(keyVa, 256) : "";
  let param: FsParam | null = null;
  switch (cmd) {
    case FSCONFIG_SET_FLAG: param = { key, kind: "flag", value: null }; break;
    case FSCONFIG_SET_STRING: param = { key, kind: "string", value: um(t).readCString(valueVa, 256) }; break;
    case FSCONFIG_SET_BINARY: um(t).read(valueVa, aux); param = { key, kind: "binary", value: null }; break;
    case FSCONFIG_SET_PATH: case FSCONFIG_SET_PATH_EMPTY: param = { key, kind: "path", value: pathArg(t, valueVa) }; break;
    case FSCONFIG_SET_FD: fdFile(t, aux); param = { key, kind: "fd", value: null }; break;
  }
  if (param) {
    if (ctx.phase !== "create-params" && ctx.phase !== "reconf-params") kerr(EBUSY);
    ctx.parse(param);
    return 0;
  }
  if (cmd === FSCONFIG_CMD_RECONFIGURE) {
    if (ctx.phase !== "reconf-params") kerr(EBUSY);
    requireAdmin(t);
    reconfigure(t, ctx);
    ctx.clean();
    return 0;
  }
  if (ctx.phase !== "create-params") kerr(EBUSY);
  requireAdmin(t);
  try { create(t, ctx); } catch (e) { ctx.phase = "failed"; throw e; }
  ctx.phase = "awaiting-mount";
  return 0;
}

// MOUNT_ATTR_* bits to Ghost's mount flags (attr_flags_to_mnt_flags).
function attrFlags(attr: number): number {
  return (attr & MOUNT_ATTR_RDONLY ? MNT_RDONLY : 0) | (attr & MOUNT_ATTR_NOSUID ? MNT_NOSUID : 0) | (attr & MOUNT_ATTR_NODEV ? MNT_NODEV : 0) |
    (attr & MOUNT_ATTR_NOEXEC ? MNT_NOEXEC : 0) | (attr & MOUNT_ATTR_NOSYMFOLLOW ? MNT_NOSYMFOLLOW : 0) |
    (attr & MOUNT_ATTR_NODIRATIME ? MNT_NODIRATIME : 0) | ((attr & MOUNT_ATTR__ATIME) === MOUNT_ATTR_NOATIME ? MNT_NOATIME : 0) |
    ((attr & MOUNT_ATTR__ATIME) === MOUNT_ATTR_STRICTATIME ? MNT_STRICTATIME : 0);
}

const ATIME_OK = [MOUNT_ATTR_RELATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME];

function fsmount(t: Task, fsfd: number, flags: number, attr: number): number {
  requireAdmin(t);
  if (flags & ~FSMOUNT_CLOEXEC) kerr(EINVAL);
  if (attr & ~(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)) kerr(EINVAL);
  if (!ATIME_OK.includes(attr & MOUNT_ATTR__ATIME)) kerr(EINVAL);
  const ctx = fsContextOf(fdFile(t, fsfd));
  if (!ctx || !ctx.root) kerr(EINVAL);
  if (ctx.phase !== "awaiting-mount") kerr(EBUSY);
  const m = new Mount(ctx.root.sb, new Dentry("/", null, ctx.root), null, null, attrFlags(attr), ctx.source ?? "none", ctx.fsType);
  detached.add(m);
  fsmounted.add(ctx);
  ctx.clean();
  const file = openPath(t, { mnt: m, dentry: m.root }, O_PATH);
  dissolveOnClose(t, file, m);
  return t.files.alloc(file, (flags & FSMOUNT_CLOEXEC) !== 0, nofile(t));
}

// A detached tree (fsmount, open_tree's clone) still detached when its file
// goes is unmounted, and its filesystems die once no open file holds them
// (Linux's dissolve_on_fput): the device of a never-attached mount is free again.
function dissolveOnClose(t: Task, file: File, m: Mount): void {
  const k = t.k, release = file.ops.release;
  file.ops = { ...file.ops, release: (f) => {
    release?.(f);
    if (!isDetached(m)) return;
    detached.delete(m);
    for (const x of subtree(m)) killUnmounted(k, x.sb);
  } };
}

const MOVE_MOUNT_MASK = MOVE_MOUNT_F_SYMLINKS | MOVE_MOUNT_F_AUTOMOUNTS | MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS |
  MOVE_MOUNT_T_AUTOMOUNTS | MOVE_MOUNT_T_EMPTY_PATH | MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_BENEATH;

function moveMountSys(t: Task, fromDfd: number, fromVa: number, toDfd: number, toVa: number, flags: number): number {
  requireAdmin(t);
  if (flags & ~MOVE_MOUNT_MASK) kerr(EINVAL);
  if ((flags & (MOVE_MOUNT_BENEATH | MOVE_MOUNT_SET_GROUP)) === (MOVE_MOUNT_BENEATH | MOVE_MOUNT_SET_GROUP)) kerr(EINVAL);
  const from = resolveAt(t, fromDfd, pathArg(t, fromVa), (flags & MOVE_MOUNT_F_SYMLINKS) !== 0, (flags & MOVE_MOUNT_F_EMPTY_PATH) !== 0);
  const to = resolveAt(t, toDfd, pathArg(t, toVa), (flags & MOVE_MOUNT_T_SYMLINKS) !== 0, (flags & MOVE_MOUNT_T_EMPTY_PATH) !== 0);
  if (flags & MOVE_MOUNT_SET_GROUP) return setGroup(t, from, to);
  if (flags & MOVE_MOUNT_BENEATH) return moveBeneath(t, from, to);
  const m = from.mnt;
  if (!m.parent && !isDetached(m)) kerr(EINVAL);
  moveMount(t, from, mountTarget(to));
  detached.delete(m);
  return 0;
}

// MOVE_MOUNT_BENEATH (do_move_mount, can_move_mount_beneath): from is
// mounted where the top mount at to is, and that mount then sits on from's
// root, so unmounting it uncovers from. The top must be a mount root with a
// parent in this namespace; under a shared parent (propagation) EINVAL.
function moveBeneath(t: Task, from: Path, to: Path): number {
  const top = to.mnt, m = from.mnt;
  if (!isMountRoot(to) || !top.parent || !top.mountpoint || !inNamespace(top, t.ns.mnt)) kerr(EINVAL);
  if (!m.parent && !isDetached(m)) kerr(EINVAL);
  if (m === top || m === top.parent || subtree(m).includes(top) || top.parent.group) kerr(EINVAL);
  const under: Path = { mnt: top.parent, dentry: top.mountpoint };
  detachMount(top);
  try { moveMount(t, from, under); } catch (e) { attachMount(under, top); throw e; }
  attachMount({ mnt: m, dentry: m.root }, top);
  detached.delete(m);
  mountsChanged(t);
  return 0;
}

// MOVE_MOUNT_SET_GROUP (do_set_group): to joins from's peer group and takes its master.
function setGroup(t: Task, from: Path, to: Path): number {
  if (!isMountRoot(from) || !isMountRoot(to)) kerr(EINVAL);
  if (!inNamespace(from.mnt, t.ns.mnt) || !inNamespace(to.mnt, t.ns.mnt)) kerr(EINVAL);
  if (from.mnt.sb !== to.mnt.sb) kerr(EINVAL);
  if (!from.mnt.group && !from.mnt.master) kerr(EINVAL);
  if (to.mnt.group) kerr(EINVAL);
  if (from.mnt.group) { to.mnt.group = from.mnt.group; from.mnt.group.members.add(to.mnt); }
  if (from.mnt.master) { to.mnt.master = from.mnt.master; from.mnt.master.slaves.add(to.mnt); }
  mountsChanged(t);
  return 0;
}

function openTree(t: Task, dfd: number, pathVa: number, flags: number): number {
  if (flags & ~(AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) kerr(EINVAL);
  if ((flags & (AT_RECURSIVE | OPEN_TREE_CLONE)) === AT_RECURSIVE) kerr(EINVAL);
  const clone = (flags & OPEN_TREE_CLONE) !== 0;
  if (clone) requireAdmin(t);
  const p = resolveAt(t, dfd, pathArg(t, pathVa), !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  let at = p;
  if (clone) {
    if (!inNamespace(p.mnt, t.ns.mnt)) kerr(EINVAL);
    const m = bindTree(p, (flags & AT_RECURSIVE) !== 0);
    detached.add(m);
    at = { mnt: m, dentry: m.root };
  }
  const file = openPath(t, at, O_PATH);
  if (clone) dissolveOnClose(t, file, at.mnt);
  return t.files.alloc(file, (flags & O_CLOEXEC) !== 0, nofile(t));
}

const SETATTR_VALID = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME |
  MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSYMFOLLOW;
const PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

function mountSetattr(t: Task, dfd: number, pathVa: number, flags: number, attrVa: number, size: number): number {
  if (flags & ~(AT_EMPTY_PATH | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)) kerr(EINVAL);
  if (size > 4096) kerr(E2BIG);
  if (size < MOUNT_ATTR_SIZE_VER0) kerr(EINVAL);
  requireAdmin(t);
  const raw = um(t).read(attrVa, size);
  if (raw.subarray(mount_attr.size).some((b) => b)) kerr(E2BIG);
  const dv = new DataView(raw.buffer, raw.byteOffset, Math.min(size, mount_attr.size));
  const set = Number(mount_attr.getBig(dv, 0, "attr_set")), clr = Number(mount_attr.getBig(dv, 0, "attr_clr"));
  const propagation = Number(mount_attr.getBig(dv, 0, "propagation"));
  const usernsFd = mount_attr.getBig(dv, 0, "userns_fd");
  if (!set && !clr && !propagation) return 0;
  // build_mount_kattr
  if (propagation & ~PROPAGATION) kerr(EINVAL);
  if (propagation & (propagation - 1)) kerr(EINVAL);
  if ((set | clr) & ~SETATTR_VALID) kerr(EINVAL);
  if (clr & MOUNT_ATTR__ATIME) {
    if ((clr & MOUNT_ATTR__ATIME) !== MOUNT_ATTR__ATIME) kerr(EINVAL);
    if (!ATIME_OK.includes(set & MOUNT_ATTR__ATIME)) kerr(EINVAL);
  } else if (set & MOUNT_ATTR__ATIME) kerr(EINVAL);
  if ((set | clr) & MOUNT_ATTR_IDMAP) {
    // An idmapping can only be set, from a user namespace file; Ghost's one
    // user namespace is the initial one, which no mount may be mapped to.
    if (clr & MOUNT_ATTR_IDMAP) kerr(EINVAL);
    if (usernsFd > 0x7fffffffn) kerr(EINVAL);
    const ns = nsOfFile(fdFile(t, Number(usernsFd)));
    if (!ns || ns.kind !== "user") kerr(EINVAL);
    kerr(EPERM);
  }
  const p = resolveAt(t, dfd, pathArg(t, pathVa), !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  if (!isMountRoot(p)) kerr(EINVAL);
  const top = p.mnt;
  if (!(top.parent ? inNamespace(top, t.ns.mnt) : isDetached(top) || t.ns.mnt.root === top)) kerr(EINVAL);
  const mounts = flags & AT_RECURSIVE ? subtree(top) : [top];
  const setF = attrFlags(set), clrF = attrFlags(clr) | (clr & MOUNT_ATTR__ATIME ? MNT_NOATIME | MNT_STRICTATIME : 0);
  for (const m of mounts) m.flags = (m.flags & ~clrF) | setF;
  if (propagation) changeType(top, propagation | (flags & AT_RECURSIVE ? MS_REC : 0));
  mountsChanged(t);
  return 0;
}

defineSyscalls({
  fsopen: [(t, name, flags) => fsopen(t, name, u32Arg(flags)), "partial", "the filesystems mount(2) knows; ext4 options are accepted by name"],
  fsconfig: [(t, fd, cmd, key, value, aux) => fsconfig(t, fdArg(fd), u32Arg(cmd), key, value, i32Arg(aux)), "partial",
    "path, fd and binary parameters reach no filesystem (none takes one); sync/dirsync/lazytime are accepted and ignored"],
  fsmount: (t, fd, flags, attr) => fsmount(t, fdArg(fd), u32Arg(flags), u32Arg(attr)),
  fspick: (t, dfd, path, flags) => fspick(t, i32Arg(dfd), path, u32Arg(flags)),
  move_mount: [(t, fd1, p1, fd2, p2, flags) => moveMountSys(t, i32Arg(fd1), p1, i32Arg(fd2), p2, u32Arg(flags)), "partial", "MOVE_MOUNT_BENEATH only where the top mount's parent is not shared (no propagation beneath)"],
  open_tree: (t, dfd, path, flags) => openTree(t, i32Arg(dfd), path, u32Arg(flags)),
  mount_setattr: [(t, dfd, path, flags, attr, size) => mountSetattr(t, i32Arg(dfd), path, u32Arg(flags), attr, size), "partial",
    "MOUNT_ATTR_IDMAP is EPERM (Ghost has only the initial user namespace); atime modes are kept and shown, not applied to atime updates"],
});

