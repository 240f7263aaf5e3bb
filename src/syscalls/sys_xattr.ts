// Extended attributes: get/set/list/removexattr and their l* (no follow),
// f* (by fd) and *at (from a directory fd, with AT_ flags) forms.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, E2BIG, ERANGE, ENODATA, EPERM, EACCES, EROFS, ENAMETOOLONG } from "../abi/errno.js";
import { XATTR_CREATE, XATTR_REPLACE, XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_ARGS_SIZE_VER0 } from "../abi/mount.js";
import { AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH } from "../abi/fcntl.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { defineSyscalls } from "./table.js";
import { sizeArg, fdArg, i32Arg, u32Arg } from "./args.js";
import { um, pathArg } from "./util.js";
import { resolveAt } from "../fs/vfs.js";
import { type Inode } from "../fs/inode.js";
import type { Task } from "../kernel/task.js";
import { permission, MAY_READ, MAY_WRITE } from "../fs/namei.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";

// What an *xattr call names: a path (following links or not), an fd, or
// (the *xattrat calls, Linux 6.13) a path from a directory fd with AT_ flags.
type Where = "path" | "lpath" | "fd" | { dirfd: number; atFlags: number };

// The inode an *xattr call names.
function xattrTarget(t: Task, kind: Where, arg: number): { inode: Inode; ro: boolean } {
  if (kind === "fd") {
    const f = t.files.get(i32Arg(arg));
    return { inode: f.inode, ro: f.path ? f.path.mnt.flags & 1 ? true : false : false };
  }
  if (typeof kind === "object") {
    const empty = (kind.atFlags & AT_EMPTY_PATH) !== 0;
    const path = arg === 0 && empty ? "" : pathArg(t, arg);
    const p = resolveAt(t, kind.dirfd, path, (kind.atFlags & AT_SYMLINK_NOFOLLOW) === 0, empty);
    return { inode: p.dentry.inode, ro: (p.mnt.flags & 1) !== 0 };
  }
  const p = resolveAt(t, -100, pathArg(t, arg), kind === "path");
  return { inode: p.dentry.inode, ro: (p.mnt.flags & 1) !== 0 };
}

// struct xattr_args of the *xattrat calls: { u64 value; u32 size; u32 flags },
// extensible as Linux's copy_struct_from_user: smaller than the first
// version is EINVAL, past a page E2BIG, and bytes past what Ghost knows must be 0.
function xattrArgs(t: Task, va: number, usize: number): { value: number; size: number; flags: number } {
  if (usize < XATTR_ARGS_SIZE_VER0) kerr(EINVAL);
  if (usize > PAGE_SIZE) kerr(E2BIG);
  const raw = um(t).read(va, usize);
  for (let i = XATTR_ARGS_SIZE_VER0; i < usize; i++) if (raw[i] !== 0) kerr(E2BIG);
  const dv = new DataView(raw.buffer);
  return { value: Number(dv.getBigUint64(0, true)), size: dv.getUint32(8, true), flags: dv.getUint32(12, true) };
}

function atWhere(dirfd: number, atFlags: number): Where {
  if (atFlags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) kerr(EINVAL);
  return { dirfd: fdArg(dirfd), atFlags };
}

function xattrName(t: Task, va: number): string {
  let name: string;
  try { name = um(t).readCString(va, 256); } catch (e) { if ((e as KernelError).errno === ENAMETOOLONG) kerr(ERANGE); throw e; }
  if (name.length === 0 || name.length > XATTR_NAME_MAX) kerr(ERANGE);
  return name;
}

// CAP_SYS_ADMIN: trusted.* attributes are visible to it alone (Linux's xattr_permission).
const sysAdmin = (t: Task) => hasCap(t.cred, CAP_SYS_ADMIN);

function getxattr(t: Task, kind: Where, arg: number, nameVa: number, valVa: number, size: number): number {
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

function setxattr(t: Task, kind: Where, arg: number, nameVa: number, valVa: number, size: number, flags: number): number {
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

function listxattr(t: Task, kind: Where, arg: number, listVa: number, size: number): number {
  size = sizeArg(size); // size_t: a "negative" size is a huge one
  const { inode } = xattrTarget(t, kind, arg);
  const names = inode.listxattr().filter((n) => sysAdmin(t) || !n.startsWith("trusted."));
  const buf = Buffer.from(names.map((n) => n + "\0").join(""), "latin1");
  if (size === 0) return buf.length;
  if (size < buf.length) kerr(ERANGE);
  um(t).write(listVa, buf);
  return buf.length;
}

function removexattr(t: Task, kind: Where, arg: number, nameVa: number): number {
  const { inode, ro } = xattrTarget(t, kind, arg);
  if (ro) kerr(EROFS);
  if (t.cred.fsuid !== 0 && t.cred.fsuid !== inode.uid) kerr(EPERM);
  inode.removexattr(xattrName(t, nameVa));
  return 0;
}

defineSyscalls({
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
  setxattrat: (t, dirfd, p, atFlags, n, uargs, usize) => {
    const where = atWhere(dirfd, u32Arg(atFlags));
    const a = xattrArgs(t, uargs, sizeArg(usize));
    return setxattr(t, where, p, n, a.value, a.size, a.flags);
  },
  getxattrat: (t, dirfd, p, atFlags, n, uargs, usize) => {
    const where = atWhere(dirfd, u32Arg(atFlags));
    const a = xattrArgs(t, uargs, sizeArg(usize));
    if (a.flags !== 0) kerr(EINVAL);
    return getxattr(t, where, p, n, a.value, a.size);
  },
  listxattrat: (t, dirfd, p, atFlags, l, s) => listxattr(t, atWhere(dirfd, u32Arg(atFlags)), p, l, s),
  removexattrat: (t, dirfd, p, atFlags, n) => removexattr(t, atWhere(dirfd, u32Arg(atFlags)), p, n),
});
