// Loop devices (Linux's drivers/block/loop.c): /dev/loopN shows a file as
// a block device. /dev/loop-control finds a free one (LOOP_CTL_GET_FREE),
// adds and removes them; LOOP_SET_FD / LOOP_CONFIGURE bind a file (with an
// offset and a size limit), LOOP_CLR_FD unbinds, LOOP_{GET,SET}_STATUS{,64}
// read and change the binding. Eight devices exist from boot (Linux's
// CONFIG_BLK_DEV_LOOP_MIN_COUNT), their /dev nodes made with /dev.
// Requests become reads and writes of the backing file at offset + sector.
// Not done: partition scanning (LO_FLAGS_PARTSCAN is only kept), a logical
// block size other than 512 (LOOP_SET_BLOCK_SIZE is kept, BLKSSZGET stays
// 512), and direct I/O (the flag is kept).

import { kerr } from "../../lib/errors.js";
import { EBADF, EBUSY, EEXIST, EINVAL, EIO, ENODEV, ENOSPC, ENOTTY, ENXIO, EOVERFLOW, EPERM, EROFS } from "../../abi/errno.js";
import { SECTOR_SIZE } from "../../abi/fs_blk.js";
import { CAP_SYS_ADMIN } from "../../abi/prctl.js";
import {
  LOOP_MAJOR, LOOP_CTRL_MINOR, LO_NAME_SIZE, LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO, LO_FLAGS_PARTSCAN,
  LOOP_SET_STATUS_SETTABLE_FLAGS, LOOP_SET_STATUS_CLEARABLE_FLAGS, LOOP_CONFIGURE_SETTABLE_FLAGS,
  LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS, LOOP_GET_STATUS, LOOP_SET_STATUS64, LOOP_GET_STATUS64, LOOP_CHANGE_FD,
  LOOP_SET_CAPACITY, LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE, LOOP_CONFIGURE, LOOP_CTL_ADD, LOOP_CTL_REMOVE,
  LOOP_CTL_GET_FREE, LOOP_INFO, LOOP_INFO64, LOOP_CONFIG,
} from "../../abi/loop.js";
import { REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, REQ_OP_WRITE_ZEROES, Gendisk, type BlockDevice, type BlockDriver, type Request } from "../../block/blkdev.js";
import { registerBlkdevProbe, registerDiskLister } from "../../block/genhd.js";
import { pathFromRoot, type Path } from "../../fs/dentry.js";
import { KernelLocal } from "../../kernel/local.js";
import type { Kernel } from "../../kernel/kernel.js";
import { runningKernel } from "../../kernel/running.js";
import { makedev, major, minor, registerChrdev } from "../../fs/char_dev.js";
import { registerDevNode } from "../../fs/devtmpfs.js";
import { S_IFBLK, S_IFMT, isReg } from "../../fs/inode.js";
import type { File, IoctlContext } from "../../fs/file.js";

const MIN_COUNT = 8;
// A root no path meets: the backing file is named from the top of its mount tree.
const TOP = { mnt: null, dentry: null } as unknown as Path;

class LoopDriver implements BlockDriver {
  readonly maxDiscardSectors = 0;
  readonly maxWriteZeroesSectors = 0;
  readonly readOnly = false;
  file: File | null = null;
  offset = 0;
  sizeLimit = 0;
  flags = 0;
  blockSize = SECTOR_SIZE;
  fileName = new Uint8Array(LO_NAME_SIZE);
  disk!: Gendisk;
  // /sys/block/loopN/loop (loop_attr_*); Linux shows the directory only while bound.
  readonly sysfsDir = {
    name: "loop",
    attrs: [
      ["backing_file", () => (this.file?.path ? `${pathFromRoot(this.file.path, TOP).name}\n` : "\n")],
      ["offset", () => `${this.offset}\n`],
      ["sizelimit", () => `${this.sizeLimit}\n`],
      ["autoclear", () => `${this.flags & LO_FLAGS_AUTOCLEAR ? 1 : 0}\n`],
      ["partscan", () => `${this.flags & LO_FLAGS_PARTSCAN ? 1 : 0}\n`],
      ["dio", () => `${this.flags & LO_FLAGS_DIRECT_IO ? 1 : 0}\n`],
    ] as [string, () => string][],
  };
  constructor(readonly number: number) {}

  get description(): string { return `loop${this.number}`; }
  get sectors(): number { return this.file ? this.disk.whole.nrSectors : 0; }

  // get_size: the file past the offset, cut to the size limit, in whole sectors.
  computeSectors(): number {
    if (!this.file) return 0;
    let n = Math.max(0, this.file.inode.size - this.offset);
    if (this.sizeLimit > 0 && this.sizeLimit < n) n = this.sizeLimit;
    return Math.floor(n / SECTOR_SIZE);
  }
  setCapacity(): void { this.disk.whole.nrSectors = this.computeSectors(); }

  submit(rq: Request): void {
    rq.done = true;
    rq.status = 0;
    const f = this.file;
    if (!f) { rq.status = -EIO; return; }
    try {
      const pos = this.offset + rq.sector * SECTOR_SIZE;
      if (rq.op === REQ_OP_READ) {
        for (let got = 0; got < rq.buf.length;) {
          const n = f.ops.read!(f, rq.buf.subarray(got), pos + got);
          if (n <= 0) { rq.buf.fill(0, got); break; } // past the file's end: zeros (lo_read_simple)
          got += n;
        }
      } else if (rq.op === REQ_OP_WRITE || rq.op === REQ_OP_WRITE_ZEROES) {
        if (this.flags & LO_FLAGS_READ_ONLY) { rq.status = -EROFS; return; }
        const src = rq.op === REQ_OP_WRITE ? rq.buf : new Uint8Array(rq.nrSectors * SECTOR_SIZE);
        for (let put = 0; put < src.length;) {
          const n = f.ops.write!(f, src.subarray(put), pos + put);
          if (n <= 0) { rq.status = -EIO; return; }
          put += n;
        }
      } else if (rq.op === REQ_OP_FLUSH) {
        f.ops.fsync?.(f);
      }
    } catch {
      rq.status = -EIO;
    }
  }
  release(): void { this.unbind(); }

  bind(f: File, writableOpen: boolean): void {
    this.file = f.get();
    // loop_configure: read-only unless both the file and the loop device are open for writing.
    if (!f.writable || !writableOpen || !f.ops.write) this.flags |= LO_FLAGS_READ_ONLY;
    this.disk.policyReadOnly = (this.flags & LO_FLAGS_READ_ONLY) !== 0;
    this.setCapacity();
  }
  unbind(): void {
    const f = this.file;
    this.file = null;
    this.offset = 0; this.sizeLimit = 0; this.flags = 0; this.blockSize = SECTOR_SIZE;
    this.fileName.fill(0);
    this.disk.policyReadOnly = false;
    this.disk.whole.nrSectors = 0;
    f?.put();
  }

  lastClose(bdev: BlockDevice): void {
    if (this.file && (this.flags & LO_FLAGS_AUTOCLEAR) && bdev.holder === null) this.unbind();
  }

  ioctl(bdev: BlockDevice, cmd: number, arg: number, ctx: IoctlContext, writable: boolean): number {
    switch (cmd) {
      case LOOP_SET_FD: return this.configure(ctx, fileArg(ctx, arg), writable, null);
      case LOOP_CONFIGURE: {
        const b = ctx.copyIn(arg, LOOP_CONFIG.SIZE);
        const dv = new DataView(b.buffer, b.byteOffset);
        const bs = dv.getUint32(LOOP_CONFIG.block_size, true);
        if (bs !== 0 && !validBlockSize(bs)) kerr(EINVAL);
        this.configure(ctx, fileArg(ctx, dv.getInt32(LOOP_CONFIG.fd, true)), writable, b.subarray(LOOP_CONFIG.info, LOOP_CONFIG.info + LOOP_INFO64.SIZE));
        if (bs) this.blockSize = bs;
        return 0;
      }
      case LOOP_CLR_FD:
        // loop_clr_fd: a device in use elsewhere (mounted) is cleared at its last close.
        if (!this.file) kerr(ENXIO);
        if (bdev.holder !== null || bdev.openers > 1) { this.flags |= LO_FLAGS_AUTOCLEAR; return 0; }
        this.unbind();
        return 0;
      case LOOP_GET_STATUS: return this.getStatus(ctx, arg, false);
      case LOOP_GET_STATUS64: return this.getStatus(ctx, arg, true);
      case LOOP_SET_STATUS: case LOOP_SET_STATUS64: {
        const is64 = cmd === LOOP_SET_STATUS64;
        const b = ctx.copyIn(arg, is64 ? LOOP_INFO64.SIZE : LOOP_INFO.SIZE);
        if (!this.file) kerr(ENXIO);
        this.setStatus(is64 ? b : oldToInfo64(b), false);
        return 0;
      }
      case LOOP_SET_CAPACITY:
        if (!this.file) kerr(ENXIO);
        this.setCapacity();
        return 0;
      case LOOP_SET_DIRECT_IO:
        if (!this.file) kerr(ENXIO);
        if (arg) this.flags |= LO_FLAGS_DIRECT_IO; else this.flags &= ~LO_FLAGS_DIRECT_IO;
        return 0;
      case LOOP_SET_BLOCK_SIZE:
        if (!this.file) kerr(ENXIO);
        if (!validBlockSize(arg)) kerr(EINVAL);
        this.blockSize = arg;
        return 0;
      case LOOP_CHANGE_FD: {
        // loop_change_fd: only a read-only binding, to a file of the same size.
        if (!this.file) kerr(ENXIO);
        if (!(this.flags & LO_FLAGS_READ_ONLY)) kerr(EINVAL);
        const f = fileArg(ctx, arg);
        if (!isReg(f.inode.mode) && !isBlk(f.inode.mode)) kerr(EINVAL);
        if (f.inode.size !== this.file.inode.size) kerr(EINVAL);
        const old = this.file;
        this.file = f.get();
        old.put();
        return 0;
      }
      default: return kerr(ENOTTY);
    }
  }

  private configure(ctx: IoctlContext, f: File, writable: boolean, info: Uint8Array | null): number {
    // loop_validate_file: a regular file or a block device, never a loop that leads back here.
    if (!isReg(f.inode.mode) && !isBlk(f.inode.mode)) kerr(EINVAL);
    if (isBlk(f.inode.mode) && major(f.inode.rdev) === LOOP_MAJOR && minor(f.inode.rdev) === this.number) kerr(EINVAL);
    if (this.file) kerr(EBUSY);
    if (info) {
      const dv = new DataView(info.buffer, info.byteOffset);
      if (dv.getUint32(LOOP_INFO64.lo_flags, true) & ~LOOP_CONFIGURE_SETTABLE_FLAGS) kerr(EINVAL);
    }
    void ctx;
    this.bind(f, writable);
    if (info) {
      try { this.setStatus(info, true); } catch (e) { this.unbind(); throw e; }
    }
    return 0;
  }

  // loop_set_status_from_info: offset, size limit, flags (only the settable ones), name.
  private setStatus(b: Uint8Array, configure: boolean): void {
    const dv = new DataView(b.buffer, b.byteOffset);
    const offset = dv.getBigUint64(LOOP_INFO64.lo_offset, true), limit = dv.getBigUint64(LOOP_INFO64.lo_sizelimit, true);
    if (offset > 0x7fffffffffffffffn || limit > 0x7fffffffffffffffn) kerr(EOVERFLOW);
    const flags = dv.getUint32(LOOP_INFO64.lo_flags, true);
    this.offset = Number(offset);
    this.sizeLimit = Number(limit);
    if (configure) this.flags |= flags & LOOP_CONFIGURE_SETTABLE_FLAGS;
    else {
      this.flags &= ~(LOOP_SET_STATUS_CLEARABLE_FLAGS & ~flags);
      this.flags |= flags & LOOP_SET_STATUS_SETTABLE_FLAGS;
    }
    this.disk.policyReadOnly = (this.flags & LO_FLAGS_READ_ONLY) !== 0;
    this.fileName.set(b.subarray(LOOP_INFO64.lo_file_name, LOOP_INFO64.lo_file_name + LO_NAME_SIZE));
    this.fileName[LO_NAME_SIZE - 1] = 0;
    this.setCapacity();
  }

  private getStatus(ctx: IoctlContext, arg: number, is64: boolean): number {
    if (arg === 0) kerr(EINVAL);
    if (!this.file) kerr(ENXIO);
    const ino = this.file.inode;
    const dev = ino.sb ? ino.sb.dev : 0;
    if (is64) {
      const b = new Uint8Array(LOOP_INFO64.SIZE), dv = new DataView(b.buffer);
      dv.setBigUint64(LOOP_INFO64.lo_device, BigInt(dev), true);
      dv.setBigUint64(LOOP_INFO64.lo_inode, BigInt(ino.ino), true);
      dv.setBigUint64(LOOP_INFO64.lo_rdevice, BigInt(dev), true);
      dv.setBigUint64(LOOP_INFO64.lo_offset, BigInt(this.offset), true);
      dv.setBigUint64(LOOP_INFO64.lo_sizelimit, BigInt(this.sizeLimit), true);
      dv.setUint32(LOOP_INFO64.lo_number, this.number, true);
      dv.setUint32(LOOP_INFO64.lo_flags, this.flags, true);
      b.set(this.fileName, LOOP_INFO64.lo_file_name);
      ctx.copyOut(arg, b);
    } else {
      // loop_info64_to_old: values past the old fields' width are EOVERFLOW.
      if (this.offset > 0x7fffffff || ino.ino > Number.MAX_SAFE_INTEGER) kerr(EOVERFLOW);
      const b = new Uint8Array(LOOP_INFO.SIZE), dv = new DataView(b.buffer);
      dv.setInt32(LOOP_INFO.lo_number, this.number, true);
      dv.setUint32(LOOP_INFO.lo_device, dev >>> 0, true);
      dv.setBigUint64(LOOP_INFO.lo_inode, BigInt(ino.ino), true);
      dv.setUint32(LOOP_INFO.lo_rdevice, dev >>> 0, true);
      dv.setInt32(LOOP_INFO.lo_offset, this.offset, true);
      dv.setInt32(LOOP_INFO.lo_flags, this.flags, true);
      b.set(this.fileName, LOOP_INFO.lo_name);
      ctx.copyOut(arg, b);
    }
    return 0;
  }
}

const isBlk = (mode: number) => (mode & S_IFMT) === S_IFBLK;

function validBlockSize(bs: number): boolean { return bs >= 512 && bs <= 4096 && (bs & (bs - 1)) === 0; }

function fileArg(ctx: IoctlContext, fd: number): File {
  if (!ctx.fget) return kerr(EBADF);
  return ctx.fget(fd | 0);
}

// struct loop_info as a loop_info64 (loop_info64_from_old).
function oldToInfo64(b: Uint8Array): Uint8Array {
  const o = new DataView(b.buffer, b.byteOffset), n = new Uint8Array(LOOP_INFO64.SIZE), dv = new DataView(n.buffer);
  dv.setBigUint64(LOOP_INFO64.lo_offset, BigInt(o.getInt32(LOOP_INFO.lo_offset, true) >>> 0), true);
  dv.setUint32(LOOP_INFO64.lo_flags, o.getInt32(LOOP_INFO.lo_flags, true) >>> 0, true);
  n.set(b.subarray(LOOP_INFO.lo_name, LOOP_INFO.lo_name + LO_NAME_SIZE), LOOP_INFO64.lo_file_name);
  return n;
}

class LoopTable {
  readonly loops = new Map<number, LoopDriver>();
  add(n: number): LoopDriver {
    const drv = new LoopDriver(n);
    drv.disk = new Gendisk(`loop${n}`, LOOP_MAJOR, n, drv);
    drv.disk.whole.nrSectors = 0;
    this.loops.set(n, drv);
    return drv;
  }
}
const LOOPS = new KernelLocal("loops", () => {
  const t = new LoopTable();
  for (let i = 0; i < MIN_COUNT; i++) t.add(i);
  return t;
});

registerDiskLister((k: Kernel) => [...k.local(LOOPS).loops.values()].map((d) => d.disk));

// One minor per device: no partitions (part_shift 0).
registerBlkdevProbe(LOOP_MAJOR, (k: Kernel, min: number) => k.local(LOOPS).loops.get(min)?.disk.whole);

// /dev/loop-control (loop_control_ioctl); CAP_SYS_ADMIN for each command.
registerChrdev(makedev(10, LOOP_CTRL_MINOR), () => ({
  ioctl(_f, cmd, arg, ctx) {
    const k = runningKernel();
    if (!k) return kerr(ENODEV);
    const t = k.local(LOOPS);
    if (!ctx.capable?.(CAP_SYS_ADMIN)) kerr(EPERM);
    switch (cmd) {
      case LOOP_CTL_GET_FREE: {
        for (const [n, d] of [...t.loops].sort((a, b) => a[0] - b[0])) if (!d.file) return n;
        let n = 0;
        while (t.loops.has(n)) n++;
        if (n >= 1 << 20) kerr(ENOSPC);
        t.add(n);
        return n;
      }
      case LOOP_CTL_ADD: {
        const n = arg < 0 ? -1 : arg;
        if (n >= 1 << 20) kerr(EINVAL);
        if (n < 0) { let i = 0; while (t.loops.has(i)) i++; t.add(i); return i; }
        if (t.loops.has(n)) kerr(EEXIST);
        t.add(n);
        return n;
      }
      case LOOP_CTL_REMOVE: {
        if (arg < 0 || arg >= 1 << 20) kerr(EINVAL);
        const d = t.loops.get(arg);
        if (!d) kerr(ENODEV);
        if (d.file || d.disk.whole.openers > 0) kerr(EBUSY);
        t.loops.delete(arg);
        return 0;
      }
      default: return kerr(ENOTTY);
    }
  },
}));

registerDevNode("loop-control", 10, LOOP_CTRL_MINOR, 0o660);
for (let i = 0; i < MIN_COUNT; i++) registerDevNode(`loop${i}`, LOOP_MAJOR, i, 0o660, "block");
