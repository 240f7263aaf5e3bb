// The buffer cache for filesystem metadata (Linux's buffer_head layer): one
// block-sized buffer per block number of a device, read once and kept while
// it is used often; dirty buffers are written back by sync().
//
// Bounded: past `capacity` clean buffers, the least recently used goes
// (a Map keeps insertion order; a hit re-inserts). Dirty buffers stay until
// written back.

import type { BlockDevice } from "./blkdev.js";

export interface BufferHead {
  readonly blockNr: number;
  readonly data: Uint8Array;
  dirty: boolean;
}

export class BufferCache {
  private readonly buffers = new Map<number, BufferHead>();
  private dirtyCount = 0;
  reads = 0;
  constructor(readonly bdev: BlockDevice, readonly blockSize: number, readonly capacity = 4096) {}

  get blocks(): number { return Math.floor(this.bdev.size / this.blockSize); }

  // The buffer of block nr, read from the device if not cached (EIO from
  // the device, EINVAL past its end, propagate as KernelError).
  bread(nr: number): BufferHead {
    let bh = this.buffers.get(nr);
    if (bh) {
      this.buffers.delete(nr);
      this.buffers.set(nr, bh);
      return bh;
    }
    const data = new Uint8Array(this.blockSize);
    this.bdev.read(nr * this.blockSize, data);
    this.reads++;
    bh = { blockNr: nr, data, dirty: false };
    this.insert(bh);
    return bh;
  }

  // A buffer for a block about to be overwritten whole: not read first.
  getblk(nr: number): BufferHead {
    const have = this.buffers.get(nr);
    if (have) return have;
    const bh = { blockNr: nr, data: new Uint8Array(this.blockSize), dirty: false };
    this.insert(bh);
    return bh;
  }

  markDirty(bh: BufferHead): void {
    if (!bh.dirty) { bh.dirty = true; this.dirtyCount++; }
  }

  // Writes every dirty buffer back, in block order.
  sync(): void {
    if (this.dirtyCount === 0) return;
    const dirty = [...this.buffers.values()].filter((b) => b.dirty).sort((a, b) => a.blockNr - b.blockNr);
    for (const bh of dirty) this.writeBack(bh);
  }

  writeBack(bh: BufferHead): void {
    if (!bh.dirty) return;
    this.bdev.write(bh.blockNr * this.blockSize, bh.data);
    bh.dirty = false;
    this.dirtyCount--;
  }

  // Drops clean buffers (BLKFLSBUF, umount); dirty ones stay.
  invalidate(): void {
    for (const [nr, bh] of this.buffers) if (!bh.dirty) this.buffers.delete(nr);
  }

  private insert(bh: BufferHead): void {
    this.buffers.set(bh.blockNr, bh);
    if (this.buffers.size <= this.capacity) return;
    for (const [nr, old] of this.buffers) {
      if (this.buffers.size <= this.capacity) break;
      if (!old.dirty && old !== bh) this.buffers.delete(nr);
    }
  }
}
