// Block devices: a disk (Linux's gendisk) driven through a request
// interface, and the block devices a guest opens — the whole disk and each
// partition (Linux's block_device), with byte access on top of sectors.
//
// Requests: a driver takes a request (read, write or flush of whole
// sectors) and completes it by setting `status` and `done`. The host-file
// driver completes before submit() returns: the VFS's inode operations are
// synchronous (as hostfs's host calls are), so a read of an ext4 file reads
// its blocks in place. A driver whose storage answers later (a browser's
// OPFS) leaves `done` false; the caller then parks on the queue's wait queue
// (kernel/blocking.ts) until complete() wakes it. Only synchronous drivers
// exist today: execute() treats an unfinished request as an I/O error.

import { kerr } from "../lib/errors.js";
import { EBUSY, EIO, EINVAL } from "../abi/errno.js";
import { SECTOR_SIZE } from "../abi/fs_blk.js";
import { WaitQueue } from "../lib/wait.js";

// What a driver's ioctl sees of the caller (fs/file.ts's IoctlContext is one).
export interface BlockIoctlContext {
  copyIn(va: number, len: number): Uint8Array;
  copyOut(va: number, data: Uint8Array): void;
  capable?(cap: number): boolean;
}

export const REQ_OP_READ = 0;
export const REQ_OP_WRITE = 1;
export const REQ_OP_FLUSH = 2;
// Linux's numbers: the sectors may be forgotten (discard: they then read as
// anything), or must read as zeros (write zeroes). Neither carries data.
export const REQ_OP_DISCARD = 3;
export const REQ_OP_WRITE_ZEROES = 9;

export interface Request {
  op: number;
  sector: number; // first sector, from the start of the disk
  buf: Uint8Array; // a whole number of sectors (empty for a flush, a discard, write zeroes)
  nrSectors: number; // buf's length in sectors, or the range of a discard or write zeroes
  done: boolean;
  status: number; // 0, or -errno once done
}

export interface BlockDriver {
  readonly description: string; // for logs and /sys (the host file's path)
  readonly sectors: number;
  readonly readOnly: boolean;
  // The largest REQ_OP_DISCARD and REQ_OP_WRITE_ZEROES the driver takes, in
  // sectors (Linux's max_discard_sectors, max_write_zeroes_sectors); 0: not supported.
  readonly maxDiscardSectors: number;
  readonly maxWriteZeroesSectors: number;
  submit(rq: Request): void;
  release(): void;
  // The driver's own ioctls (a gendisk's fops->ioctl: loop's LOOP_*), tried
  // after the block layer's; ENOTTY when it has none.
  ioctl?(bdev: BlockDevice, cmd: number, arg: number, ctx: BlockIoctlContext, writable: boolean): number;
  // The driver's own sysfs directory under /sys/block/<disk> (loop's "loop"), its attributes read when read.
  readonly sysfsDir?: { name: string; attrs: [string, () => string][] };
  // The last close of the device (lo_release: LO_FLAGS_AUTOCLEAR).
  lastClose?(bdev: BlockDevice): void;
}

export class RequestQueue {
  readonly wq = new WaitQueue();
  submitted = 0;
  constructor(readonly driver: BlockDriver) {}
  complete(rq: Request, status: number): void { rq.status = status; rq.done = true; this.wq.wakeAll(); }
  // Runs a request to completion; an error is EIO to the caller, as
  // blk_status_to_errno turns a failed bio into -EIO.
  execute(op: number, sector: number, buf: Uint8Array, nrSectors = buf.length / SECTOR_SIZE): void {
    const rq: Request = { op, sector, buf, nrSectors, done: false, status: 0 };
    this.submitted++;
    this.driver.submit(rq);
    if (!rq.done || rq.status !== 0) kerr(EIO);
  }
}

export class Gendisk {
  readonly queue: RequestQueue;
  // Index 0 is the whole disk; then the partitions by number (gaps undefined).
  parts: (BlockDevice | undefined)[] = [];
  // Set with BLKROSET (or :ro); the driver's own read-only state is below it.
  policyReadOnly: boolean;
  // BLKGETDISKSEQ: a number no other disk of this boot had (Linux's diskseq, from 1).
  diskseq = 0;
  // The disk's readahead in pages (bdi->ra_pages: BLKRASET, BLKRAGET), from
  // VM_READAHEAD_PAGES (128 KiB). Ghost's page cache keeps its own windows.
  raPages = 32;
  constructor(readonly name: string, readonly major: number, readonly firstMinor: number, driver: BlockDriver) {
    this.queue = new RequestQueue(driver);
    this.policyReadOnly = driver.readOnly;
    this.parts[0] = new BlockDevice(this, 0, 0, driver.sectors);
  }
  get whole(): BlockDevice { return this.parts[0]!; }
  get sectors(): number { return this.queue.driver.sectors; }
  partName(n: number): string { return /\d$/.test(this.name) ? `${this.name}p${n}` : `${this.name}${n}`; }
}

// I/O counters of a disk or partition, as /proc/diskstats shows them
// (Linux's disk_stats: completed requests and 512-byte sectors; Ghost merges
// no requests). ioMs is the host time the driver spent on requests (Linux's
// io_ticks, "ms doing I/O", which tools read as "this disk did I/O").
export interface DiskStats { reads: number; sectorsRead: number; writes: number; sectorsWritten: number; flushes: number; ioMs: number }

// A byte-addressed window of a disk: the whole disk or one partition.
export class BlockDevice {
  readonly stats: DiskStats = { reads: 0, sectorsRead: 0, writes: 0, sectorsWritten: 0, flushes: 0, ioMs: 0 };
  // The exclusive holder (Linux's bd_holder): a mounted filesystem or a file
  // opened with O_EXCL, and how many claims it made (BLKRRPART is EBUSY
  // while any partition has one).
  holder: object | null = null;
  holders = 0;
  readOnly = false; // a partition's own BLKROSET
  openers = 0; // open files on the device (bd_openers)
  // nrSectors changes only for a disk whose driver resizes it (a loop device: set_capacity).
  constructor(readonly disk: Gendisk, readonly partno: number, readonly startSector: number, public nrSectors: number) {}

  get name(): string { return this.partno === 0 ? this.disk.name : this.disk.partName(this.partno); }
  get dev(): { major: number; minor: number } { return { major: this.disk.major, minor: this.disk.firstMinor + this.partno }; }
  get size(): number { return this.nrSectors * SECTOR_SIZE; }
  get isReadOnly(): boolean { return this.readOnly || this.disk.policyReadOnly; }

  // Reads dst.length bytes at byte offset off (inside the device): whole
  // sectors go straight to the driver, a partial one through a bounce buffer.
  read(off: number, dst: Uint8Array): void { this.rw(false, off, dst); }
  // Writes src at off; a partial sector is read, patched and written.
  write(off: number, src: Uint8Array): void { this.rw(true, off, src); }
  flush(): void {
    const t0 = performance.now();
    this.disk.queue.execute(REQ_OP_FLUSH, 0, new Uint8Array(0));
    const ms = performance.now() - t0;
    this.account((s) => { s.flushes++; s.ioMs += ms; });
  }

  // Whether holder may claim the device (Linux's bd_may_claim): nobody else
  // holds it, and for a partition nobody holds the whole disk; the whole
  // disk cannot be claimed while one of its partitions is.
  mayClaim(holder: object): boolean {
    if (this.holder === holder) return true;
    if (this.holder !== null) return false;
    if (this.partno !== 0) return this.disk.whole.holder === null;
    return !this.disk.parts.some((p, i) => i > 0 && p && p.holder !== null);
  }
  // Claims the device for holder, or EBUSY (bd_prepare_to_claim).
  claim(holder: object): void {
    if (!this.mayClaim(holder)) kerr(EBUSY);
    this.holder = holder;
    this.holders++;
  }
  // A holder that is not an open file (a mounted filesystem) stands for an
  // open of the device, as in Linux, where the mount's blkdev_put is a last
  // close too: loop's autoclear detaches at umount, not at the next close.
  release(holder: object): void {
    if (this.holder !== holder || this.holders === 0) return;
    if (--this.holders === 0) {
      this.holder = null;
      if (this.openers === 0) this.disk.queue.driver.lastClose?.(this);
    }
  }

  // Forgets or zeroes len bytes at off (inside the device, whole sectors:
  // the caller checked), in requests no larger than the driver takes.
  discard(off: number, len: number): void { this.rangeOp(REQ_OP_DISCARD, this.disk.queue.driver.maxDiscardSectors, off, len); }
  writeZeroes(off: number, len: number): void {
    const max = this.disk.queue.driver.maxWriteZeroesSectors;
    if (max > 0) { this.rangeOp(REQ_OP_WRITE_ZEROES, max, off, len); return; }
    // blkdev_issue_zeroout's fallback: writes of zero pages.
    const zeros = new Uint8Array(Math.min(len, 1 << 20));
    for (let at = 0; at < len; at += zeros.length) this.write(off + at, zeros.subarray(0, Math.min(zeros.length, len - at)));
  }
  private rangeOp(op: number, max: number, off: number, len: number): void {
    if (max <= 0) kerr(EIO);
    let sector = off / SECTOR_SIZE;
    for (let left = len / SECTOR_SIZE; left > 0;) {
      const n = Math.min(left, max);
      const t0 = performance.now();
      this.disk.queue.execute(op, this.startSector + sector, new Uint8Array(0), n);
      const ms = performance.now() - t0;
      // Linux counts discards apart (diskstats' fields 15-18); written zeroes count as writes.
      if (op === REQ_OP_WRITE_ZEROES) this.account((s) => { s.writes++; s.sectorsWritten += n; s.ioMs += ms; });
      else this.account((s) => { s.ioMs += ms; });
      sector += n;
      left -= n;
    }
  }

  // A request counts for the partition and for its whole disk (part_stat_add).
  private account(f: (s: DiskStats) => void): void {
    f(this.stats);
    if (this.partno !== 0) f(this.disk.whole.stats);
  }
  private execute(op: number, sector: number, buf: Uint8Array): void {
    const t0 = performance.now();
    this.disk.queue.execute(op, sector, buf);
    const ms = performance.now() - t0;
    const n = buf.length / SECTOR_SIZE;
    if (op === REQ_OP_WRITE) this.account((s) => { s.writes++; s.sectorsWritten += n; s.ioMs += ms; });
    else this.account((s) => { s.reads++; s.sectorsRead += n; s.ioMs += ms; });
  }

  private rw(write: boolean, off: number, data: Uint8Array): void {
    if (off < 0 || off + data.length > this.size) kerr(EINVAL);
    const base = this.startSector;
    let done = 0;
    while (done < data.length) {
      const at = off + done;
      const sector = Math.floor(at / SECTOR_SIZE), inSector = at % SECTOR_SIZE;
      const left = data.length - done;
      if (inSector === 0 && left >= SECTOR_SIZE) {
        // The longest run of whole sectors, in one request.
        const n = Math.floor(left / SECTOR_SIZE) * SECTOR_SIZE;
        const part = data.subarray(done, done + n);
        this.execute(write ? REQ_OP_WRITE : REQ_OP_READ, base + sector, part);
        done += n;
        continue;
      }
      const bounce = new Uint8Array(SECTOR_SIZE);
      const k = Math.min(left, SECTOR_SIZE - inSector);
      this.execute(REQ_OP_READ, base + sector, bounce);
      if (write) {
        bounce.set(data.subarray(done, done + k), inSector);
        this.execute(REQ_OP_WRITE, base + sector, bounce);
      } else {
        data.set(bounce.subarray(inSector, inSector + k), done);
      }
      done += k;
    }
  }
}
