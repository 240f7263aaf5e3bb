// cachestat (Linux 6.5): how many pages of a file's range are in the page
// cache. Ghost keeps a regular file's whole contents in memory (tmpfs,
// memfd) or reads through to the host (hostfs, whose page cache Ghost does
// not see), so every page up to the file's size counts as cached and none as
// dirty, written back or evicted: what Linux reports for a tmpfs file that
// was written without holes.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM } from "../abi/errno.js";
import { cachestat_range, cachestat as cachestatStruct } from "../abi/mman.js";
import { CAP_FOWNER } from "../abi/prctl.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { isReg } from "../fs/inode.js";
import { permission, MAY_WRITE } from "../fs/namei.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { fdArg, i32Arg } from "./args.js";

const U64 = (1n << 64n) - 1n;
const PAGE = BigInt(PAGE_SIZE);

// can_do_cachestat (6.14+): open for writing, the owner (or CAP_FOWNER), or write permission.
function mayCachestat(t: Task, f: File): boolean {
  if (f.writable) return true;
  if (f.inode.uid === t.cred.fsuid || hasCap(t.cred, CAP_FOWNER)) return true;
  return permission(f.inode, MAY_WRITE, t.cred);
}

function cachestat(t: Task, fd: number, rangeVa: number, outVa: number, flags: number): number {
  const f = t.files.get(fd);
  if (!mayCachestat(t, f)) kerr(EPERM);
  if (flags !== 0) kerr(EINVAL);
  const m = um(t);
  const dv = new DataView(m.read(rangeVa, cachestat_range.size).buffer);
  const off = cachestat_range.getBig(dv, 0, "off");
  const len = cachestat_range.getBig(dv, 0, "len");
  // As Linux: len 0 runs to the end; an end (off + len - 1, 64-bit) that wraps gives an empty range.
  const first = off / PAGE;
  const last = len === 0n ? U64 : ((off + len - 1n) & U64) / PAGE;
  const pages = isReg(f.inode.mode) ? (BigInt(f.inode.size) + PAGE - 1n) / PAGE : 0n;
  const end = last < pages - 1n ? last : pages - 1n;
  const nrCache = pages > 0n && end >= first ? end - first + 1n : 0n;
  const out = new Uint8Array(cachestatStruct.size);
  cachestatStruct.write(new DataView(out.buffer), 0, { nr_cache: nrCache, nr_dirty: 0n, nr_writeback: 0n, nr_evicted: 0n, nr_recently_evicted: 0n });
  m.write(outVa, out);
  return 0;
}

defineSyscalls({
  cachestat: [(t, fd, range, out, flags) => cachestat(t, fdArg(fd), range, out, i32Arg(flags)), "partial",
    "every page up to a regular file's size counts as cached, none as dirty or evicted (Ghost's files live in memory or on the host)"],
});
