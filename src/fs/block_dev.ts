// Opening a block device node (Linux's block/fops.c): reads and writes at
// any offset and length through the device (partial sectors read-modify-
// write), lseek relative to the device's size, and the generic block
// ioctls. Buffered and O_DIRECT I/O reach the driver alike (there is no
// cache of the device's own); O_DIRECT adds the alignment rules: offset,
// length and buffer on a multiple of the logical block size (EINVAL).
// O_EXCL holds the device exclusively until the last close (EBUSY while a
// filesystem has it mounted, and mount is EBUSY while it is held).

import { kerr } from "../lib/errors.js";
import { EACCES, EBADF, EBUSY, EINVAL, ENOSPC, ENOTTY, ENXIO, EOPNOTSUPP, EPERM } from "../abi/errno.js";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../abi/fcntl.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";
import {
  BLKALIGNOFF, BLKBSZGET, BLKDISCARD, BLKDISCARDZEROES, BLKFLSBUF, BLKGETDISKSEQ, BLKGETNRZONES, BLKGETSIZE,
  BLKGETSIZE64, BLKGETZONESZ, BLKIOMIN, BLKIOOPT, BLKPBSZGET, BLKROGET, BLKROSET, BLKROTATIONAL, BLKRRPART,
  BLKRASET, BLKRAGET, BLKFRASET, BLKFRAGET,
  BLKSECDISCARD, BLKSSZGET, BLKZEROOUT, BLK_RANGE_SIZE, SECTOR_SIZE, SECTOR_SHIFT,
} from "../abi/fs_blk.js";
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_NO_HIDE_STALE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from "../abi/mount.js";
import type { BlockDevice } from "../block/blkdev.js";
import { lookupBdev, rescanPartitions } from "../block/genhd.js";
import { runningKernel } from "../kernel/running.js";
import type { File, FileOps, IoctlContext } from "./file.js";
import type { Inode } from "./inode.js";
import { major, minor } from "./char_dev.js";

const PAGE_SIZE = 4096;

// The block device an inode names in the running kernel, or ENXIO.
export function bdevOfInode(inode: Inode): BlockDevice {
  const k = runningKernel();
  const bdev = k ? lookupBdev(k, major(inode.rdev), minor(inode.rdev)) : undefined;
  if (!bdev) kerr(ENXIO);
  return bdev;
}

// The soft block size a fresh block device has (set_init_blocksize): the
// largest power of two up to a page that divides its size.
function initBlockSize(bdev: BlockDevice): number {
  let bs = PAGE_SIZE;
  while (bs > SECTOR_SIZE && bdev.size % bs !== 0) bs >>= 1;
  return bs;
}

function putInt(ctx: IoctlContext, arg: number, v: number, size: 2 | 4 | 8): number {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  if (size === 2) dv.setUint16(0, v, true);
  else if (size === 4) dv.setInt32(0, v, true);
  else dv.setBigUint64(0, BigInt(v), true);
  ctx.copyOut(arg, b);
  return 0;
}

// Dropping the device's cached pages before a discard or zeroing
// (truncate_bdev_range) needs the device exclusively for a moment: EBUSY
// while a filesystem or another O_EXCL opener holds it. Ghost caches none.
function mayTruncate(bdev: BlockDevice, f: File): void {
  if (!bdev.mayClaim(f.openedExcl ? f : {})) kerr(EBUSY);
}

// BLKDISCARD, BLKSECDISCARD and BLKZEROOUT (blk_ioctl_discard, blk_ioctl_zeroout):
// a range in bytes, on whole logical blocks and inside the device.
function rangeIoctl(bdev: BlockDevice, f: File, cmd: number, arg: number, ctx: IoctlContext): number {
  if (!f.writable) kerr(EBADF);
  const drv = bdev.disk.queue.driver;
  if (cmd === BLKSECDISCARD || (cmd === BLKDISCARD && drv.maxDiscardSectors === 0)) kerr(EOPNOTSUPP);
  if (cmd !== BLKZEROOUT && bdev.isReadOnly) kerr(EPERM);
  const dv = new DataView(ctx.copyIn(arg, BLK_RANGE_SIZE).buffer);
  const start = dv.getBigUint64(0, true), len = dv.getBigUint64(8, true);
  const size = BigInt(bdev.size), mask = BigInt(SECTOR_SIZE - 1);
  if (len === 0n || (start & mask) !== 0n || (len & mask) !== 0n || start + len > size) kerr(EINVAL);
  if (cmd === BLKZEROOUT && bdev.isReadOnly) kerr(EPERM);
  mayTruncate(bdev, f);
  if (cmd === BLKZEROOUT) bdev.writeZeroes(Number(start), Number(len));
  else bdev.discard(Number(start), Number(len));
  return 0;
}

// fallocate(2) on a block device (blkdev_fallocate): zero a range, or
// punch it (zeroes the driver unmaps), or discard it; inside the device
// (KEEP_SIZE trims a range past the end) and on whole logical blocks.
function blkdevFallocate(bdev: BlockDevice, f: File, mode: number, start: number, len: number): number {
  const supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_NO_HIDE_STALE;
  if (mode & ~supported) kerr(EOPNOTSUPP);
  const size = bdev.size;
  if (start >= size) kerr(EINVAL);
  if (start + len > size) {
    if (!(mode & FALLOC_FL_KEEP_SIZE)) kerr(EINVAL);
    len = size - start;
  }
  if ((start | len) % SECTOR_SIZE !== 0) kerr(EINVAL);
  const drv = bdev.disk.queue.driver;
  switch (mode) {
    case FALLOC_FL_ZERO_RANGE:
    case FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE:
      mayTruncate(bdev, f);
      if (bdev.isReadOnly) kerr(EPERM);
      bdev.writeZeroes(start, len);
      return 0;
    case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
      // BLKDEV_ZERO_NOFALLBACK: only a driver that zeroes by itself.
      mayTruncate(bdev, f);
      if (drv.maxWriteZeroesSectors === 0) kerr(EOPNOTSUPP);
      if (bdev.isReadOnly) kerr(EPERM);
      bdev.writeZeroes(start, len);
      return 0;
    case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE | FALLOC_FL_NO_HIDE_STALE:
      mayTruncate(bdev, f);
      if (drv.maxDiscardSectors === 0) kerr(EOPNOTSUPP);
      if (bdev.isReadOnly) kerr(EPERM);
      bdev.discard(start, len);
      return 0;
    default: return kerr(EOPNOTSUPP);
  }
}

function blkdevIoctl(bdev: BlockDevice, f: File, cmd: number, arg: number, ctx: IoctlContext): number {
  const admin = () => { if (!ctx.capable?.(CAP_SYS_ADMIN)) kerr(EPERM); };
  switch (cmd) {
    case BLKGETSIZE64: return putInt(ctx, arg, bdev.size, 8);
    case BLKGETSIZE: return putInt(ctx, arg, bdev.size >> SECTOR_SHIFT, 8);
    case BLKSSZGET: case BLKPBSZGET: case BLKIOMIN: return putInt(ctx, arg, SECTOR_SIZE, 4);
    case BLKIOOPT: case BLKALIGNOFF: return putInt(ctx, arg, 0, 4);
    // Discarded sectors read as anything (Linux answers 0 for every device now).
    case BLKDISCARDZEROES: return putInt(ctx, arg, 0, 4);
    case BLKROTATIONAL: return putInt(ctx, arg, 0, 2);
    // Not a zoned device: no zone size, no zones.
    case BLKGETZONESZ: case BLKGETNRZONES: return putInt(ctx, arg, 0, 4);
    case BLKGETDISKSEQ: return putInt(ctx, arg, bdev.disk.diskseq, 8);
    case BLKDISCARD: case BLKSECDISCARD: case BLKZEROOUT: return rangeIoctl(bdev, f, cmd, arg, ctx);
    case BLKBSZGET: return putInt(ctx, arg, initBlockSize(bdev), 4);
    case BLKROGET: return putInt(ctx, arg, bdev.isReadOnly ? 1 : 0, 4);
    case BLKROSET: {
      admin();
      const v = new DataView(ctx.copyIn(arg, 4).buffer).getInt32(0, true);
      if (bdev.partno === 0) bdev.disk.policyReadOnly = v !== 0 || bdev.disk.queue.driver.readOnly;
      else bdev.readOnly = v !== 0;
      return 0;
    }
    // Readahead in 512-byte sectors, kept in pages (blkdev_common_ioctl):
    // the value read back is rounded down to whole pages.
    case BLKRAGET: case BLKFRAGET:
      if (arg === 0) kerr(EINVAL);
      return putInt(ctx, arg, (bdev.disk.raPages * PAGE_SIZE) / SECTOR_SIZE, 8);
    case BLKRASET: case BLKFRASET: {
      if (!ctx.capable?.(CAP_SYS_ADMIN)) kerr(EACCES);
      const sectors = arg < 0 ? 2 ** 64 + arg : arg; // an unsigned long value, not a pointer
      bdev.disk.raPages = Math.floor((sectors * SECTOR_SIZE) / PAGE_SIZE);
      return 0;
    }
    case BLKFLSBUF:
      // Writes went to the driver already; flushing asks the host to persist them.
      admin();
      bdev.flush();
      return 0;
    case BLKRRPART:
      // As Linux: only the whole disk is rescanned (EINVAL on a partition).
      admin();
      if (bdev.partno !== 0) kerr(EINVAL);
      rescanPartitions(bdev.disk);
      return 0;
    // blkdev_ioctl: the disk driver's own (loop), else ENOTTY.
    default: {
      const drv = bdev.disk.queue.driver;
      return drv.ioctl ? drv.ioctl(bdev, cmd, arg, ctx, f.writable) : kerr(ENOTTY);
    }
  }
}

export function openBlockDevice(inode: Inode, f: File): FileOps {
  const bdev = bdevOfInode(inode);
  if (f.openedExcl) bdev.claim(f);
  bdev.openers++;
  return {
    dioAlign: SECTOR_SIZE,
    read(_f, dst, pos) {
      if (pos >= bdev.size) return 0;
      const n = Math.min(dst.length, bdev.size - pos);
      bdev.read(pos, dst.subarray(0, n));
      return n;
    },
    write(_f, src, pos) {
      // blkdev_write_iter: a read-only device is EPERM, at or past the end ENOSPC.
      if (bdev.isReadOnly) kerr(EPERM);
      if (src.length === 0) return 0;
      if (pos >= bdev.size) kerr(ENOSPC);
      const n = Math.min(src.length, bdev.size - pos);
      bdev.write(pos, src.subarray(0, n));
      return n;
    },
    seek(f, off, whence) {
      let base: number;
      switch (whence) {
        case SEEK_SET: base = 0; break;
        case SEEK_CUR: base = f.pos; break;
        case SEEK_END: base = bdev.size; break;
        default: return kerr(EINVAL);
      }
      const n = base + off;
      if (n < 0) kerr(EINVAL);
      return n;
    },
    ioctl: (f, cmd, arg, ctx) => blkdevIoctl(bdev, f, cmd, arg, ctx),
    fallocate: (f, mode, off, len) => blkdevFallocate(bdev, f, mode, off, len),
    // blkdev_fsync: the device has no cache of its own here; a flush asks the host to persist what it holds.
    fsync: () => { bdev.flush(); return 0; },
    release: (f) => {
      if (f.openedExcl) bdev.release(f);
      if (--bdev.openers === 0) bdev.disk.queue.driver.lastClose?.(bdev);
    },
  };
}
