// openat2 (open with struct open_how and RESOLVE_* flags) and close_range.

import { kerr } from "../lib/errors.js";
import { EINVAL, E2BIG, EXDEV, EFAULT, EAGAIN, EOPNOTSUPP } from "../abi/errno.js";
import { open_how, RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED, VALID_RESOLVE_FLAGS, O_CLOEXEC, O_CREAT, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, O_TMPFILE } from "../abi/fcntl.js";
import { CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC } from "../abi/mount.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { openAt, requireNotReadOnly } from "../fs/vfs.js";
import { type FdTable } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { fdArg, u32Arg } from "./args.js";

function openat2(t: Task, dirfd: number, pathVa: number, howVa: number, size: number): number {
  if (size < open_how.size || size > 4096) kerr(EINVAL);
  const raw = um(t).read(howVa, size);
  if (raw.subarray(open_how.size).some((b) => b)) kerr(E2BIG);
  const dv = new DataView(raw.buffer);
  const flags = open_how.getBig(dv, 0, "flags"), mode = open_how.getBig(dv, 0, "mode"), resolve = open_how.getBig(dv, 0, "resolve");
  if (flags >> 32n) kerr(EINVAL);
  if (resolve & ~BigInt(VALID_RESOLVE_FLAGS)) kerr(EINVAL);
  const f = Number(flags);
  if (mode & ~0o7777n) kerr(EINVAL);
  if (mode && !(f & O_CREAT) && (f & O_TMPFILE) !== O_TMPFILE) kerr(EINVAL);
  const r = Number(resolve);
  if ((r & RESOLVE_BENEATH) && (r & RESOLVE_IN_ROOT)) kerr(EINVAL);
  if (r & RESOLVE_CACHED) kerr(EAGAIN); // Ghost never has the lookup "cached" in the RESOLVE_CACHED sense
  const file = openAt(t, dirfd, pathArg(t, pathVa), f, Number(mode), {
    noXdev: (r & RESOLVE_NO_XDEV) !== 0, noMagic: (r & RESOLVE_NO_MAGICLINKS) !== 0,
    noSymlinks: (r & RESOLVE_NO_SYMLINKS) !== 0, beneath: (r & RESOLVE_BENEATH) !== 0, inRoot: (r & RESOLVE_IN_ROOT) !== 0,
  });
  return t.files.alloc(file, (f & O_CLOEXEC) !== 0, nofile(t));
}

function closeRange(files: FdTable, first: number, last: number, flags: number): number {
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) kerr(EINVAL);
  if (first > last) kerr(EINVAL);
  for (const [fd, e] of [...files.entries()]) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) e.cloexec = true;
    else files.close(fd);
  }
  return 0;
}

// Linux's MAX_RW_COUNT: the most one read, write or in-kernel copy moves.
export const MAX_RW_COUNT = 0x7ffff000;

export const COPY_CHUNK = 1 << 20;

export { EXDEV, EFAULT, EOPNOTSUPP, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, requireNotReadOnly };

defineSyscalls({
  openat2: (t, dirfd, path, how, size) => openat2(t, fdArg(dirfd), path, how, size),
  close_range: (t, first, last, flags) => {
    if (flags & CLOSE_RANGE_UNSHARE && t.files.refs > 1) { t.files.refs--; t.files = t.files.clone(); }
    return closeRange(t.files, u32Arg(first), u32Arg(last), u32Arg(flags));
  },
});
