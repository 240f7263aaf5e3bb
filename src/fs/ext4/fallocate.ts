// fallocate(2) on ext4 (ext4_fallocate in fs/ext4/extents.c): preallocation
// as unwritten extents (they read as zeros until written), PUNCH_HOLE
// (blocks freed, partial blocks zeroed), ZERO_RANGE (blocks turned
// unwritten), COLLAPSE_RANGE and INSERT_RANGE (the extents past the range
// shifted by whole blocks). As Linux's ext4, every mode but PUNCH_HOLE
// needs an extent-mapped file (EOPNOTSUPP otherwise); Ghost punches holes
// only in extent-mapped files too, as it writes no block-mapped file.
//
// Each call is one journal handle. A disk that fills up part way keeps what
// was allocated (recorded in the extent tree, counted in i_blocks) and is
// ENOSPC, as ext4_alloc_file_blocks leaves its earlier chunks in place.

import { kerr, KernelError } from "../../lib/errors.js";
import { EOPNOTSUPP, EINVAL, EPERM, EFBIG, ENOSPC } from "../../abi/errno.js";
import {
  FALLOC_FL_ALLOCATE_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE,
} from "../../abi/mount.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { allocBlocks, freeBlocks, makeRoom } from "./alloc.js";
import { readExtents, writeExtents, setRange, unmappedIn, mergeExtents, type Extent } from "./extent_write.js";
import { EXT4_EXTENTS_FL, EXT4_IMMUTABLE_FL, EXT4_APPEND_FL } from "./layout.js";
import type { Ext4FileInode } from "./file_write.js";

const EXT4_SUPPORTED = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE;
// The operations vfs_fallocate knows (FALLOC_FL_MODE_MASK); ext4 does all but UNSHARE_RANGE.
const VFS_OPS = new Set([FALLOC_FL_ALLOCATE_RANGE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE,
  FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE]);
const MAX_LBLK = 2 ** 32 - 1;
// The largest unwritten extent (EXT_UNWRITTEN_MAX_LEN).
const UNWRITTEN_MAX = 32767;

export function ext4Fallocate(inode: Ext4FileInode, mode: number, off: number, len: number): void {
  // vfs_fallocate's checks of the mode (Linux 6.11 on: one operation, with
  // KEEP_SIZE where it means something), then ext4_fallocate's.
  const op = mode & ~FALLOC_FL_KEEP_SIZE, keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
  if (!VFS_OPS.has(op)) kerr(EOPNOTSUPP);
  if (op === FALLOC_FL_PUNCH_HOLE && !keep) kerr(EOPNOTSUPP);
  if ((op === FALLOC_FL_COLLAPSE_RANGE || op === FALLOC_FL_INSERT_RANGE) && keep) kerr(EOPNOTSUPP);
  if (mode & ~EXT4_SUPPORTED) kerr(EOPNOTSUPP);
  inode.checkWritable();
  // Only plain preallocation on an append-only file; nothing on an immutable one.
  if ((mode & ~FALLOC_FL_KEEP_SIZE) && (inode.flags & EXT4_APPEND_FL)) kerr(EPERM);
  if (inode.flags & EXT4_IMMUTABLE_FL) kerr(EPERM);
  const bs = inode.sb.blockSizeBytes;
  // s_maxbytes of an extent-mapped file: 2^32 - 1 blocks.
  if (off + len > MAX_LBLK * bs) kerr(EFBIG);
  if (!(inode.flags & EXT4_EXTENTS_FL) || inode.isInline) kerr(EOPNOTSUPP);
  if (mode & FALLOC_FL_PUNCH_HOLE) return punchHole(inode, off, len);
  if (mode & FALLOC_FL_COLLAPSE_RANGE) return collapseRange(inode, off, len);
  if (mode & FALLOC_FL_INSERT_RANGE) return insertRange(inode, off, len);
  if (mode & FALLOC_FL_ZERO_RANGE) return zeroRange(inode, off, len, keep);
  return allocateRange(inode, off, len, keep);
}

// Drops [from, to) from the list; the runs of disk blocks it held.
function cutRange(list: Extent[], from: number, to: number): { list: Extent[]; freed: [number, number][] } {
  const out: Extent[] = [];
  const freed: [number, number][] = [];
  for (const e of list) {
    const end = e.lblk + e.len;
    if (end <= from || e.lblk >= to) { out.push(e); continue; }
    const a = Math.max(e.lblk, from), b = Math.min(end, to);
    if (e.lblk < a) out.push({ ...e, len: a - e.lblk });
    freed.push([e.pblk + (a - e.lblk), b - a]);
    if (end > b) out.push({ ...e, lblk: b, len: end - b, pblk: e.pblk + (b - e.lblk) });
  }
  return { list: out, freed };
}

function release(inode: Ext4FileInode, freed: [number, number][]): void {
  for (const [start, n] of freed) { freeBlocks(inode.sb, start, n); inode.addBlocks(-n * inode.sb.blockSizeBytes / 512); }
}

// Zeros on the disk for bytes [from, to) of one block, when it holds written data.
function zeroPartial(inode: Ext4FileInode, list: Extent[], from: number, to: number): void {
  if (to <= from) return;
  const bs = inode.sb.blockSizeBytes, lblk = Math.floor(from / bs);
  const e = list.find((x) => x.lblk <= lblk && lblk < x.lblk + x.len);
  if (!e || e.unwritten) return;
  inode.sb.bdev.write((e.pblk + lblk - e.lblk) * bs + (from % bs), new Uint8Array(to - from));
}

// The edges of [off, end) that cover a block in part, zeroed.
function zeroEdges(inode: Ext4FileInode, list: Extent[], off: number, end: number): void {
  const bs = inode.sb.blockSizeBytes;
  const firstFull = Math.ceil(off / bs) * bs, lastFull = Math.floor(end / bs) * bs;
  if (firstFull > lastFull) { zeroPartial(inode, list, off, end); return; } // inside one block
  zeroPartial(inode, list, off, firstFull);
  zeroPartial(inode, list, lastFull, end);
}

// Unwritten extents for the holes of [first, last]; on ENOSPC what was
// got stays. Returns the list and the first block not reached.
function fillHoles(inode: Ext4FileInode, list: Extent[], first: number, last: number): { list: Extent[]; end: number; full: boolean } {
  const sb = inode.sb, bs = sb.blockSizeBytes;
  for (let lblk = first; lblk <= last;) {
    const e = list.find((x) => x.lblk <= lblk && lblk < x.lblk + x.len);
    if (e) { lblk = e.lblk + e.len; continue; }
    const next = list.find((x) => x.lblk > lblk);
    const holeEnd = Math.min(last, next ? next.lblk - 1 : MAX_LBLK);
    const prev = [...list].reverse().find((x) => x.lblk < lblk);
    const goal = prev ? prev.pblk + (lblk - prev.lblk) : sb.groups[Math.floor((inode.ino - 1) / sb.inodesPerGroup)].inodeTable;
    let run: { start: number; count: number };
    try {
      run = allocBlocks(sb, goal, Math.min(holeEnd - lblk + 1, UNWRITTEN_MAX));
    } catch (err) {
      if (err instanceof KernelError && err.errno === ENOSPC) return { list, end: lblk, full: true };
      throw err;
    }
    inode.addBlocks(run.count * bs / 512);
    list = setRange(list, { lblk, len: run.count, pblk: run.start, unwritten: true });
    lblk += run.count;
  }
  return { list, end: last + 1, full: false };
}

// The new mapping written, the blocks it no longer holds freed, the size set.
function finish(inode: Ext4FileInode, list: Extent[], treeBlocks: number[], size: number | null, freed: [number, number][] = []): void {
  writeExtents(inode, list, treeBlocks);
  release(inode, freed);
  if (size !== null) inode.setSizeBytes(size);
  inode.touchMtime(); // file_modified(): mtime and ctime
  inode.save();
}

function allocateRange(inode: Ext4FileInode, off: number, len: number, keep: boolean): void {
  const bs = inode.sb.blockSizeBytes, end = off + len;
  const first = Math.floor(off / bs), last = Math.floor((end - 1) / bs);
  const { list, treeBlocks } = readExtents(inode);
  makeRoom(inode.sb, unmappedIn(list, first, last));
  const got = fillHoles(inode, list, first, last);
  // The size grows to what was allocated (ext4_alloc_file_blocks's epos).
  const grown = Math.min(end, got.end * bs);
  finish(inode, got.list, treeBlocks, !keep && grown > inode.size ? grown : null);
  if (got.full) kerr(ENOSPC);
}

// ext4_punch_hole: nothing past the end of the file (rounded up to a page);
// whole blocks freed, the partial ones at the edges zeroed.
function punchHole(inode: Ext4FileInode, off: number, len: number): void {
  const bs = inode.sb.blockSizeBytes, size = inode.size;
  if (off >= size) return;
  const end = Math.min(off + len, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  const { list, treeBlocks } = readExtents(inode);
  zeroEdges(inode, list, off, end);
  const cut = cutRange(list, Math.ceil(off / bs), Math.floor(end / bs));
  finish(inode, cut.list, treeBlocks, null, cut.freed);
}

// ext4_zero_range: the range reads as zeros and stays allocated: holes
// become unwritten extents, whole written blocks unwritten ones, the
// partial blocks at the edges get zeros written.
function zeroRange(inode: Ext4FileInode, off: number, len: number, keep: boolean): void {
  const bs = inode.sb.blockSizeBytes, end = off + len;
  const first = Math.floor(off / bs), last = Math.floor((end - 1) / bs);
  const { list: start, treeBlocks } = readExtents(inode);
  makeRoom(inode.sb, unmappedIn(start, first, last));
  const got = fillHoles(inode, start, first, last);
  let list = got.list;
  const full0 = Math.ceil(off / bs), full1 = Math.min(Math.floor(end / bs), got.end);
  for (const e of [...list]) {
    const a = Math.max(e.lblk, full0), b = Math.min(e.lblk + e.len, full1);
    if (a < b && !e.unwritten) list = setRange(list, { lblk: a, len: b - a, pblk: e.pblk + (a - e.lblk), unwritten: true });
  }
  zeroEdges(inode, list, off, Math.min(end, got.end * bs));
  const grown = Math.min(end, got.end * bs);
  finish(inode, list, treeBlocks, !keep && grown > inode.size ? grown : null);
  if (got.full) kerr(ENOSPC);
}

function checkAligned(inode: Ext4FileInode, off: number, len: number): void {
  const bs = inode.sb.blockSizeBytes;
  if (off % bs || len % bs) kerr(EINVAL);
}

// ext4_collapse_range: [off, off+len) goes, what follows moves down; the
// range must end before the end of the file.
function collapseRange(inode: Ext4FileInode, off: number, len: number): void {
  checkAligned(inode, off, len);
  if (off + len >= inode.size) kerr(EINVAL);
  const bs = inode.sb.blockSizeBytes, from = off / bs, n = len / bs;
  const { list, treeBlocks } = readExtents(inode);
  const cut = cutRange(list, from, from + n);
  const moved = cut.list.map((e) => (e.lblk >= from + n ? { ...e, lblk: e.lblk - n } : e));
  finish(inode, mergeExtents(moved), treeBlocks, inode.size - len, cut.freed);
}

// ext4_insert_range: a hole of len bytes at off, what follows moves up;
// off must be inside the file.
function insertRange(inode: Ext4FileInode, off: number, len: number): void {
  checkAligned(inode, off, len);
  if (len > MAX_LBLK * inode.sb.blockSizeBytes - inode.size) kerr(EFBIG);
  if (off >= inode.size) kerr(EINVAL);
  const bs = inode.sb.blockSizeBytes, at = off / bs, n = len / bs;
  const { list, treeBlocks } = readExtents(inode);
  const out: Extent[] = [];
  for (const e of list) {
    const end = e.lblk + e.len;
    if (end <= at) { out.push(e); continue; }
    if (e.lblk < at) {
      out.push({ ...e, len: at - e.lblk });
      out.push({ ...e, lblk: at + n, len: end - at, pblk: e.pblk + (at - e.lblk) });
    } else out.push({ ...e, lblk: e.lblk + n });
  }
  const lastEnd = out.length ? out[out.length - 1].lblk + out[out.length - 1].len : 0;
  if (lastEnd > MAX_LBLK) kerr(EFBIG);
  finish(inode, out, treeBlocks, inode.size + len);
}
