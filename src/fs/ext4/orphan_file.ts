// The orphan file (COMPAT_ORPHAN_FILE, Documentation/filesystems/ext4/
// orphan.rst): instead of the list chained through the inodes, orphan
// inode numbers live in the blocks of a special file named by the
// superblock's s_orphan_file_inum. Each block is an array of __le32 inode
// numbers (0: a free slot) ending in a tail: the magic 0x0b10ca04 and,
// with metadata_csum, a crc32c over the block's disk number (le64) and
// the array, seeded with the orphan file inode's checksum seed. While the
// filesystem is mounted read-write RO_COMPAT_ORPHAN_PRESENT says entries
// may exist; a clean unmount with no entry left clears it.
//
// Slot changes go through the buffer cache and the running transaction,
// so an entry is as durable as the unlink that made it. When the file is
// full, the classic list takes the inode (as ext4_orphan_add falls back).

import type { Ext4Super } from "./super.js";
import { crc32c } from "./crc32c.js";
import { HOLE } from "./extents.js";
import { u32 } from "./layout.js";

export const EXT4_ORPHAN_BLOCK_MAGIC = 0x0b10ca04;
const TAIL_SIZE = 8; // struct ext4_orphan_block_tail: ob_magic, ob_checksum

export class OrphanFile {
  private readonly blocks: number[] = []; // disk block of each block of the file
  private readonly perBlock: number;
  private readonly seed: number;
  private readonly slotOf = new Map<number, number>(); // inode → slot (block * perBlock + index)
  readonly ino: number;

  // Reads and checks every block (ext4_init_orphan_info): a bad magic or
  // checksum, or a hole, refuses the mount as corruption.
  constructor(private readonly sb: Ext4Super, ino: number) {
    this.ino = ino;
    const bs = sb.blockSizeBytes;
    this.perBlock = (bs - TAIL_SIZE) / 4;
    if (ino < 1 || ino > sb.inodesCount) sb.corrupt("ext4_init_orphan_info", ino, "bad orphan file inode number");
    const inode = sb.iget(ino);
    this.seed = inode.csumSeed; // ext4_inode_csum_seed of the orphan file (with metadata_csum)
    const n = Math.floor(inode.size / bs);
    if (n > sb.blocksCount) sb.corrupt("ext4_init_orphan_info", ino, `orphan file larger than the filesystem (${inode.size} bytes)`);
    for (let lblk = 0; lblk < n; lblk++) {
      const m = inode.mapBlock(lblk);
      if (m.pblk === HOLE || m.unwritten) sb.corrupt("ext4_init_orphan_info", ino, `orphan file has a hole at block ${lblk}`);
      const data = sb.bread(m.pblk, "ext4_init_orphan_info", ino).data;
      if (u32(data, bs - TAIL_SIZE) !== EXT4_ORPHAN_BLOCK_MAGIC) sb.corrupt("ext4_init_orphan_info", ino, `orphan file block ${lblk}: bad magic`);
      if (sb.metadataCsum && this.csum(m.pblk, data) !== u32(data, bs - 4)) sb.corrupt("ext4_init_orphan_info", ino, `orphan file block ${lblk}: bad checksum`);
      this.blocks.push(m.pblk);
      for (let i = 0; i < this.perBlock; i++) {
        const e = u32(data, 4 * i);
        if (e) this.slotOf.set(e, lblk * this.perBlock + i);
      }
    }
  }

  private csum(pblk: number, data: Uint8Array): number {
    const nr = new Uint8Array(8);
    new DataView(nr.buffer).setBigUint64(0, BigInt(pblk), true);
    return crc32c(crc32c(this.seed, nr), data, 0, this.perBlock * 4) >>> 0;
  }

  // The inode numbers the file holds (at mount: what a crash left).
  get entries(): number[] { return [...this.slotOf.keys()]; }
  get empty(): boolean { return this.slotOf.size === 0; }
  has(ino: number): boolean { return this.slotOf.has(ino); }

  // Puts ino in a free slot; false when the file is full.
  add(ino: number): boolean {
    if (this.slotOf.has(ino)) return true;
    const used = new Set(this.slotOf.values());
    for (let slot = 0; slot < this.blocks.length * this.perBlock; slot++) {
      if (used.has(slot)) continue;
      this.put(slot, ino);
      this.slotOf.set(ino, slot);
      return true;
    }
    return false;
  }

  // Frees ino's slot; false if it had none.
  del(ino: number): boolean {
    const slot = this.slotOf.get(ino);
    if (slot === undefined) return false;
    this.put(slot, 0);
    this.slotOf.delete(ino);
    return true;
  }

  private put(slot: number, value: number): void {
    const sb = this.sb, bs = sb.blockSizeBytes;
    const b = Math.floor(slot / this.perBlock), pblk = this.blocks[b];
    const bh = sb.bread(pblk, "ext4_orphan_file_add", this.ino);
    const dv = new DataView(bh.data.buffer, bh.data.byteOffset, bh.data.byteLength);
    dv.setUint32(4 * (slot % this.perBlock), value >>> 0, true);
    if (sb.metadataCsum) dv.setUint32(bs - 4, this.csum(pblk, bh.data), true);
    sb.writeBuffer(bh);
  }
}
