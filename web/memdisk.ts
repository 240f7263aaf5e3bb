// A virtual disk held in the page's memory: what a browser gives for a root
// filesystem image fetched by URL (web/worker.ts attaches it as /dev/vda
// and mounts it). Writes change the copy in memory only; they are gone when
// the page closes. Requests complete before submit() returns, as the host
// file disk's do (drivers/block/hostdisk.ts).

import { SECTOR_SIZE } from "../src/abi/fs_blk.js";
import { EIO } from "../src/abi/errno.js";
import { REQ_OP_READ, REQ_OP_WRITE, type BlockDriver, type Request } from "../src/block/blkdev.js";

export class MemoryDisk implements BlockDriver {
  readonly sectors: number;
  readonly readOnly = false;
  // No discard or write zeroes (BLKDISCARD, BLKZEROOUT: EOPNOTSUPP), as a
  // disk whose queue limits are 0.
  readonly maxDiscardSectors = 0;
  readonly maxWriteZeroesSectors = 0;
  constructor(private readonly bytes: Uint8Array, readonly description: string) {
    // Whole sectors only, as a loop device shows a file.
    this.sectors = Math.floor(bytes.length / SECTOR_SIZE);
  }

  submit(rq: Request): void {
    rq.done = true;
    rq.status = 0;
    const pos = rq.sector * SECTOR_SIZE;
    if (pos + rq.buf.length > this.sectors * SECTOR_SIZE) { rq.status = -EIO; return; }
    if (rq.op === REQ_OP_READ) rq.buf.set(this.bytes.subarray(pos, pos + rq.buf.length));
    else if (rq.op === REQ_OP_WRITE) this.bytes.set(rq.buf, pos);
    // A flush has nothing to do: memory is the medium.
  }

  release(): void {}
}
