// AF_UNIX addresses (unix(7)): a sockaddr_un names a socket inode by path,
// or an abstract name (a leading NUL). Binding makes the inode (Linux's
// unix_bind); connecting and sending find the socket an address names
// (unix_find_other).

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, ECONNREFUSED, EACCES, EADDRINUSE, EEXIST } from "../abi/errno.js";
import { AF_UNIX } from "../abi/socket.js";
import { AT_FDCWD } from "../abi/fcntl.js";
import { resolveAt, startPath, walker } from "../fs/vfs.js";
import { permission, MAY_WRITE, mayCreate } from "../fs/namei.js";
import { fsnotifyDir, IN_CREATE } from "../fs/notify.js";
import { S_IFMT, S_IFSOCK, umaskIn } from "../fs/inode.js";
import type { Task } from "../kernel/task.js";
import { lookupBound, type UnixSocket } from "./unix.js";

export function family(a: Uint8Array): number { return a[0] | (a[1] << 8); }

// A filesystem name: sun_path up to its first NUL.
export function pathOf(a: Uint8Array): string {
  const p = a.subarray(2);
  const end = p.indexOf(0);
  return Buffer.from(end < 0 ? p : p.subarray(0, end)).toString("latin1");
}

// The socket an address names: ENOENT from the path walk, ECONNREFUSED when nothing is bound.
export function lookupAddr(t: Task, a: Uint8Array): UnixSocket {
  if (family(a) !== AF_UNIX) kerr(EINVAL);
  if (a.length === 2) kerr(EINVAL);
  if (a[2] === 0) return lookupBound(t.k, "a:" + Buffer.from(a.subarray(2)).toString("latin1")) ?? kerr(ECONNREFUSED);
  const p = resolveAt(t, AT_FDCWD, pathOf(a), true);
  const inode = p.dentry.inode;
  if (!permission(inode, MAY_WRITE, t.cred)) kerr(EACCES);
  if ((inode.mode & S_IFMT) !== S_IFSOCK) kerr(ECONNREFUSED);
  return lookupBound(t.k, `p:${inode.sb.dev}:${inode.ino}`) ?? kerr(ECONNREFUSED);
}

export function bind(t: Task, s: UnixSocket, a: Uint8Array): void {
  if (family(a) !== AF_UNIX) kerr(EINVAL);
  if (a.length === 2) { if (s.addr) kerr(EINVAL); s.autobind(); return; }
  if (a[2] === 0) { s.bind(a.slice(), "a:" + Buffer.from(a.subarray(2)).toString("latin1")); return; }
  const path = pathOf(a);
  // The stored address is the path with its NUL, as getsockname reports it.
  const stored = new Uint8Array(2 + Buffer.byteLength(path, "latin1") + 1);
  stored.set(a.subarray(0, stored.length - 1));
  const { parent, name } = walker(t).walkParent(startPath(t, AT_FDCWD, path), path);
  if (name === null) kerr(EADDRINUSE);
  if (walker(t).lookupLast(parent, name, false, false)) kerr(EADDRINUSE);
  if (s.addr) kerr(EINVAL); // as Linux: an existing path is reported first
  mayCreate(parent, t.cred);
  let made;
  try {
    made = parent.dentry.inode.mknod(name, S_IFSOCK | (0o777 & ~umaskIn(parent.dentry.inode, t.fs.umask)), 0, t.cred);
  } catch (e) {
    if (e instanceof KernelError && e.errno === EEXIST) kerr(EADDRINUSE);
    throw e;
  }
  parent.dentry.drop(name);
  fsnotifyDir(parent.dentry.inode, IN_CREATE, name, made);
  s.bind(stored, `p:${made.sb.dev}:${made.ino}`, true);
}
