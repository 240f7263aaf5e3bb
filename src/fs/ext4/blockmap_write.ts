// Writing the old block map of files without extents (ext2 and ext3, and
// ext4 files made before extents; Linux's fs/ext4/indirect.c): i_block[0..11]
// point at data blocks, i_block[12], [13] and [14] at single, double and
// triple indirect blocks of 32-bit pointers. A write maps a hole by
// allocating the data block and any indirect block on the way (zeroed, as
// metadata through the journal); a truncate frees the data blocks from a
// logical block on and every indirect block left with no pointer. Each
// block counts in i_blocks, indirect ones too.

import { kerr } from "../../lib/errors.js";
import { EFBIG } from "../../abi/errno.js";
import { allocBlocks, freeBlocks } from "./alloc.js";
import { u32 } from "./layout.js";
import type { Ext4Inode } from "./inode.js";

const N_DIRECT = 12;

// Blocks the pointers of each level cover: [1, per, per², per³].
function spans(per: number): number[] { return [1, per, per * per, per * per * per]; }

// The data block of lblk, allocating what is missing near goal; fresh: the
// data block is new (its bytes are whatever the disk held).
export function indMapAlloc(inode: Ext4Inode, lblk: number, goal: number): { pblk: number; fresh: boolean } {
  const sb = inode.sb, bs = sb.blockSizeBytes, per = bs / 4, span = spans(per);
  const newBlock = (near: number): number => {
    const b = allocBlocks(sb, near, 1).start;
    inode.addBlocks(bs / 512);
    return b;
  };
  const iblockDv = new DataView(inode.iblock.buffer, inode.iblock.byteOffset, 60);
  if (lblk < N_DIRECT) {
    const have = iblockDv.getUint32(lblk * 4, true);
    if (have) return { pblk: have, fresh: false };
    const b = newBlock(goal);
    iblockDv.setUint32(lblk * 4, b, true);
    return { pblk: b, fresh: true };
  }
  let rel = lblk - N_DIRECT, level = 1;
  while (level <= 3 && rel >= span[level]) { rel -= span[level]; level++; }
  if (level > 3) kerr(EFBIG);
  // The top pointer, in the inode.
  let ptr = iblockDv.getUint32((N_DIRECT - 1 + level) * 4, true);
  if (!ptr) {
    ptr = newBlock(goal);
    sb.bc.getblk(ptr).data.fill(0);
    sb.writeBuffer(sb.bc.getblk(ptr));
    iblockDv.setUint32((N_DIRECT - 1 + level) * 4, ptr, true);
  }
  for (let l = level; l >= 1; l--) {
    const bh = sb.bread(ptr, "ext4_ind_map_blocks", inode.ino);
    const idx = Math.floor(rel / span[l - 1]);
    rel -= idx * span[l - 1];
    let next = u32(bh.data, idx * 4);
    let fresh = false;
    if (!next) {
      next = newBlock(l === 1 ? goal : ptr + 1);
      fresh = true;
      if (l > 1) { sb.bc.getblk(next).data.fill(0); sb.writeBuffer(sb.bc.getblk(next)); }
      new DataView(bh.data.buffer, bh.data.byteOffset).setUint32(idx * 4, next, true);
      sb.writeBuffer(bh);
    }
    if (l === 1) return { pblk: next, fresh };
    ptr = next;
  }
  return kerr(EFBIG);
}

// Frees the data blocks from lblk `from` on, and indirect blocks left
// empty (ext4_ind_truncate). The caller saves the inode.
export function indTruncate(inode: Ext4Inode, from: number): void {
  const sb = inode.sb, bs = sb.blockSizeBytes, per = bs / 4, span = spans(per);
  const iblockDv = new DataView(inode.iblock.buffer, inode.iblock.byteOffset, 60);
  const release = (b: number) => { freeBlocks(sb, b, 1); inode.addBlocks(-bs / 512); };
  // The subtree under ptr (level l: 0 a data block) covering [base, base + span[l]):
  // what lies at or past `from` goes; true when nothing of it is left.
  const cut = (ptr: number, l: number, base: number): boolean => {
    if (!ptr) return true;
    if (base + span[l] <= from) return false;
    if (l === 0) { release(ptr); return true; }
    const bh = sb.bread(ptr, "ext4_ind_truncate", inode.ino);
    const dv = new DataView(bh.data.buffer, bh.data.byteOffset);
    let changed = false, left = false;
    for (let i = 0; i < per; i++) {
      const child = dv.getUint32(i * 4, true);
      if (!child) continue;
      if (cut(child, l - 1, base + i * span[l - 1])) { dv.setUint32(i * 4, 0, true); changed = true; } else left = true;
    }
    if (!left) { release(ptr); return true; }
    if (changed) sb.writeBuffer(bh);
    return false;
  };
  for (let i = Math.max(0, from); i < N_DIRECT; i++) {
    const b = iblockDv.getUint32(i * 4, true);
    if (b) { release(b); iblockDv.setUint32(i * 4, 0, true); }
  }
  let base = N_DIRECT;
  for (let level = 1; level <= 3; level++) {
    const off = (N_DIRECT - 1 + level) * 4;
    if (cut(iblockDv.getUint32(off, true), level, base)) iblockDv.setUint32(off, 0, true);
    base += span[level];
  }
}
