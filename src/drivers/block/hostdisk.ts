// A virtual disk backed by a host file (what `--disk=FILE[:ro]` attaches):
// positional reads and writes on a Node file descriptor.
//
// Synchronous host calls, on purpose: the VFS's inode operations return
// their result (as hostfs's do), so a request completes before submit()
// returns and a guest's read of an ext4 file reads its blocks in place. A
// backend whose storage answers later (OPFS, fetch) implements the same
// BlockDriver and completes through RequestQueue.complete (block/blkdev.ts).
// A file whose size is not a whole number of sectors shows its whole
// sectors, as a loop device does.

import * as nodefs from "node:fs";
import { SECTOR_SIZE, VIRTBLK_MAX_DISCARD_SECTORS } from "../../abi/fs_blk.js";
import { EIO, EROFS } from "../../abi/errno.js";
import {
  REQ_OP_DISCARD, REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, REQ_OP_WRITE_ZEROES, type BlockDriver, type Request,
} from "../../block/blkdev.js";

// Zeros for REQ_OP_WRITE_ZEROES, written a piece at a time.
const ZEROS = new Uint8Array(1 << 20);

export class HostFileDisk implements BlockDriver {
  readonly sectors: number;
  // Discard and write zeroes as qemu's virtio-blk offers them by default.
  readonly maxDiscardSectors = VIRTBLK_MAX_DISCARD_SECTORS;
  readonly maxWriteZeroesSectors = VIRTBLK_MAX_DISCARD_SECTORS;
  private fd: number;
  constructor(readonly path: string, readonly readOnly: boolean) {
    this.fd = nodefs.openSync(path, readOnly ? "r" : "r+");
    this.sectors = Math.floor(nodefs.fstatSync(this.fd).size / SECTOR_SIZE);
  }
  get description(): string { return this.path; }

  submit(rq: Request): void {
    rq.done = true;
    rq.status = 0;
    try {
      const pos = rq.sector * SECTOR_SIZE;
      if (rq.op === REQ_OP_READ) {
        for (let got = 0; got < rq.buf.length;) {
          const n = nodefs.readSync(this.fd, rq.buf, got, rq.buf.length - got, pos + got);
          if (n === 0) { rq.buf.fill(0, got); break; } // the host file shrank: zeros, as past a loop file's end
          got += n;
        }
      } else if (rq.op === REQ_OP_WRITE) {
        if (this.readOnly) { rq.status = -EROFS; return; }
        for (let put = 0; put < rq.buf.length;) put += nodefs.writeSync(this.fd, rq.buf, put, rq.buf.length - put, pos + put);
      } else if (rq.op === REQ_OP_WRITE_ZEROES) {
        if (this.readOnly) { rq.status = -EROFS; return; }
        const len = rq.nrSectors * SECTOR_SIZE;
        for (let put = 0; put < len;) put += nodefs.writeSync(this.fd, ZEROS, 0, Math.min(ZEROS.length, len - put), pos + put);
      } else if (rq.op === REQ_OP_DISCARD) {
        // The host file keeps its bytes, as qemu's default discard=ignore:
        // a discarded sector may read as anything, its old bytes included.
        if (this.readOnly) rq.status = -EROFS;
      } else if (rq.op === REQ_OP_FLUSH) {
        if (!this.readOnly) nodefs.fdatasyncSync(this.fd);
      }
    } catch {
      rq.status = -EIO;
    }
  }

  release(): void {
    if (this.fd >= 0) nodefs.closeSync(this.fd);
    this.fd = -1;
  }
}
