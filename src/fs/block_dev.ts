// Opening a block device node (Linux's block/fops.c): reads and writes at
// any offset and length through the device (partial sectors read-modify-
// write), lseek relative to the device's size, and the generic block
// ioctls. Buffered and O_DIRECT I/O reach the driver alike (there is no
// cache of the device's own); O_DIRECT adds the alignment rules: offset,
// length and buffer on a multiple of the logical block size (EINVAL).

import { kerr } from "../lib/errors.js";
import { EINVAL, ENOSPC, ENXIO, EPERM, ENOIOCTLCMD } from "../abi/errno.js";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../abi/fcntl.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";
import {
  BLKBSZGET, BLKFLSBUF, BLKGETSIZE, BLKGETSIZE64, BLKIOMIN, BLKIOOPT, BLKPBSZGET, BLKROGET, BLKROSET, BLKRRPART,
  BLKSSZGET, SECTOR_SIZE, SECTOR_SHIFT,
} from "../abi/fs_blk.js";
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

function putInt(ctx: IoctlContext, arg: number, v: number, size: 4 | 8): number {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  if (size === 4) dv.setInt32(0, v, true); else dv.setBigUint64(0, BigInt(v), true);
  ctx.copyOut(arg, b);
  return 0;
}

function blkdevIoctl(bdev: BlockDevice, cmd: number, arg: number, ctx: IoctlContext): number {
  const admin = () => { if (!ctx.capable?.(CAP_SYS_ADMIN)) kerr(EPERM); };
  switch (cmd) {
    case BLKGETSIZE64: return putInt(ctx, arg, bdev.size, 8);
    case BLKGETSIZE: return putInt(ctx, arg, bdev.size >> SECTOR_SHIFT, 8);
    case BLKSSZGET: case BLKPBSZGET: case BLKIOMIN: return putInt(ctx, arg, SECTOR_SIZE, 4);
    case BLKIOOPT: return putInt(ctx, arg, 0, 4);
    case BLKBSZGET: return putInt(ctx, arg, initBlockSize(bdev), 4);
    case BLKROGET: return putInt(ctx, arg, bdev.isReadOnly ? 1 : 0, 4);
    case BLKROSET: {
      admin();
      const v = new DataView(ctx.copyIn(arg, 4).buffer).getInt32(0, true);
      if (bdev.partno === 0) bdev.disk.policyReadOnly = v !== 0 || bdev.disk.queue.driver.readOnly;
      else bdev.readOnly = v !== 0;
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
    default: return -ENOIOCTLCMD;
  }
}

export function openBlockDevice(inode: Inode, _f: File): FileOps {
  const bdev = bdevOfInode(inode);
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
    ioctl: (_f, cmd, arg, ctx) => blkdevIoctl(bdev, cmd, arg, ctx),
  };
}
