// Extended attributes of a host mount's files, kept in its metadata overlay
// (meta.ts): the rules Linux applies on tmpfs. The namespaces user.*,
// trusted.* and security.* (no system.*: POSIX ACLs are not interpreted);
// user.* on regular files and directories only (EPERM elsewhere, as Linux's
// xattr_permission); XATTR_CREATE on an existing name is EEXIST, XATTR_REPLACE
// on a missing one ENODATA. The syscall layer checks names (ERANGE), value
// sizes (E2BIG) and permissions. A file's names and values together are
// bounded (ENOSPC, as a disk filesystem's attribute space runs out), so the
// overlay cannot grow without limit.

import { kerr } from "../../lib/errors.js";
import { EEXIST, EINVAL, ENODATA, ENOSPC, EOPNOTSUPP, EPERM } from "../../abi/errno.js";
import { XATTR_CREATE, XATTR_REPLACE, XATTR_SIZE_MAX } from "../../abi/mount.js";
import { S_IFMT, S_IFREG, S_IFDIR } from "../inode.js";
import type { Xattrs } from "./meta.js";

const NAMESPACES = ["user.", "trusted.", "security."];
/** Bytes of names and values one file may hold (the largest single value). */
const XATTR_SPACE = XATTR_SIZE_MAX;

function space(m: ReadonlyMap<string, Uint8Array>): number {
  let n = 0;
  for (const [k, v] of m) n += k.length + v.length;
  return n;
}

/** The attributes after setting `name` (a new map; the caller stores it). */
export function xattrSet(cur: ReadonlyMap<string, Uint8Array> | undefined, mode: number, name: string, value: Uint8Array, flags: number): Xattrs {
  const ns = NAMESPACES.find((p) => name.startsWith(p));
  if (!ns) kerr(EOPNOTSUPP);
  if (name.length === ns.length) kerr(EINVAL);
  if (ns === "user." && (mode & S_IFMT) !== S_IFREG && (mode & S_IFMT) !== S_IFDIR) kerr(EPERM);
  const have = cur?.has(name) ?? false;
  if ((flags & XATTR_REPLACE) && !have) kerr(ENODATA);
  if ((flags & XATTR_CREATE) && have) kerr(EEXIST);
  const next: Xattrs = new Map(cur ?? []);
  next.set(name, value.slice());
  if (space(next) > XATTR_SPACE) kerr(ENOSPC);
  return next;
}

/** The attributes after removing `name` (ENODATA if it is not there). */
export function xattrRemove(cur: ReadonlyMap<string, Uint8Array> | undefined, name: string): Xattrs {
  if (!cur?.has(name)) kerr(ENODATA);
  const next: Xattrs = new Map(cur);
  next.delete(name);
  return next;
}
