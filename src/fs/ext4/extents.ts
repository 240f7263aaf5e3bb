// From a file's logical block to the disk: the extent tree (ext4_extents.h:
// a header, then index entries down to leaves of extents; each block of the
// tree ends in a crc32c tail) and, for ext2/ext3 files, the old block map
// (twelve direct pointers, then single, double and triple indirect blocks).
// Every node read is checked (magic, counts, depth, checksum) and a bad one
// is corruption (EUCLEAN with a log line), never a wrong block.

import type { Ext4Super } from "./super.js";
import { u16, u32 } from "./layout.js";
import { crc32c } from "./crc32c.js";
import { EXT4_EXT_MAGIC, EXT_HEADER_SIZE, EXT_ENTRY_SIZE, EXT_INIT_MAX_LEN, EXT_MAX_DEPTH, EXT4_N_BLOCKS } from "./layout.js";

// A run of blocks from a logical block on: mapped (pblk, unwritten extents
// read as zeros) or a hole; len is how far the answer holds.
export interface Mapping { pblk: number; len: number; unwritten: boolean }
export const HOLE = -1;

const MAX_LBLK = 2 ** 32;

export interface MappedInode {
  readonly ino: number;
  readonly iblock: Uint8Array; // the 60 bytes of i_block
  readonly csumSeed: number; // ext4_inode_csum_seed
}

function checkHeader(sb: Ext4Super, inode: MappedInode, buf: Uint8Array, off: number, maxRoom: number, depth: number | null): { entries: number; max: number; depth: number } {
  const magic = u16(buf, off), entries = u16(buf, off + 2), max = u16(buf, off + 4), d = u16(buf, off + 6);
  let why = "";
  if (magic !== EXT4_EXT_MAGIC) why = "invalid magic";
  else if (d > EXT_MAX_DEPTH || (depth !== null && d !== depth)) why = "unexpected eh_depth";
  else if (max === 0 || max > maxRoom) why = "invalid eh_max";
  else if (entries > max) why = "invalid eh_entries";
  if (why) sb.corrupt("ext4_ext_check", inode.ino, `pblk 0 bad header/extent: ${why} - magic ${magic.toString(16)}, entries ${entries}, max ${max}(${maxRoom}), depth ${d}(${depth ?? d})`);
  return { entries, max, depth: d };
}

// The mapping of logical block lblk through the extent tree.
export function extentMap(sb: Ext4Super, inode: MappedInode, lblk: number): Mapping {
  let buf = inode.iblock;
  let hdr = checkHeader(sb, inode, buf, 0, (EXT4_N_BLOCKS * 4 - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE, null);
  let nextStart = MAX_LBLK; // the first logical block past this subtree
  for (;;) {
    if (hdr.depth === 0) {
      // A leaf: the extent holding lblk, or the hole up to the next one.
      for (let i = 0; i < hdr.entries; i++) {
        const o = EXT_HEADER_SIZE + i * EXT_ENTRY_SIZE;
        const first = u32(buf, o);
        let len = u16(buf, o + 4);
        const unwritten = len > EXT_INIT_MAX_LEN;
        if (unwritten) len -= EXT_INIT_MAX_LEN;
        const start = u32(buf, o + 8) + u16(buf, o + 6) * 2 ** 32;
        if (lblk < first) return { pblk: HOLE, len: first - lblk, unwritten: false };
        if (lblk < first + len) {
          if (len === 0 || start + len > sb.blocksCount || start < sb.firstDataBlock)
            sb.corrupt("ext4_ext_map_blocks", inode.ino, `bad extent address lblock: ${first}, len: ${len}, pblk: ${start}`);
          return { pblk: start + (lblk - first), len: first + len - lblk, unwritten };
        }
      }
      return { pblk: HOLE, len: Math.max(1, nextStart - lblk), unwritten: false };
    }
    // An index node: the last entry starting at or before lblk.
    let pick = -1;
    for (let i = 0; i < hdr.entries; i++) {
      if (u32(buf, EXT_HEADER_SIZE + i * EXT_ENTRY_SIZE) <= lblk) pick = i; else break;
    }
    if (pick < 0) {
      const firstIdx = hdr.entries ? u32(buf, EXT_HEADER_SIZE) : nextStart;
      return { pblk: HOLE, len: Math.max(1, firstIdx - lblk), unwritten: false };
    }
    if (pick + 1 < hdr.entries) nextStart = u32(buf, EXT_HEADER_SIZE + (pick + 1) * EXT_ENTRY_SIZE);
    const o = EXT_HEADER_SIZE + pick * EXT_ENTRY_SIZE;
    const child = u32(buf, o + 4) + u16(buf, o + 8) * 2 ** 32;
    const bh = sb.bread(child, "ext4_find_extent", inode.ino);
    const room = (sb.blockSizeBytes - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE;
    const childHdr = checkHeader(sb, inode, bh.data, 0, Math.floor(room), hdr.depth - 1);
    if (sb.metadataCsum) {
      const tail = EXT_HEADER_SIZE + childHdr.max * EXT_ENTRY_SIZE;
      if (tail + 4 > sb.blockSizeBytes || crc32c(inode.csumSeed, bh.data, 0, tail) !== u32(bh.data, tail))
        sb.corrupt("ext4_ext_check", inode.ino, `pblk ${child} extent tree block checksum invalid`);
    }
    buf = bh.data;
    hdr = childHdr;
  }
}

// The old block map: i_block[0..11] direct, [12] single, [13] double, [14]
// triple indirect. A zero pointer is a hole.
export function blockMap(sb: Ext4Super, inode: MappedInode, lblk: number): Mapping {
  const per = sb.blockSizeBytes / 4;
  const hole = (len: number): Mapping => ({ pblk: HOLE, len: Math.max(1, len), unwritten: false });
  if (lblk < 12) {
    const b = u32(inode.iblock, lblk * 4);
    return b ? { pblk: b, len: 1, unwritten: false } : hole(1);
  }
  let rel = lblk - 12;
  let level = 1, span = per;
  while (level <= 3 && rel >= span) { rel -= span; level++; span *= per; }
  if (level > 3) return hole(1);
  let block = u32(inode.iblock, (11 + level) * 4);
  let unit = span / per; // blocks covered by each pointer at this level
  while (block) {
    const bh = sb.bread(block, "ext4_ind_map_blocks", inode.ino);
    const idx = Math.floor(rel / unit);
    block = u32(bh.data, idx * 4);
    rel -= idx * unit;
    if (unit === 1) return block ? { pblk: block, len: 1, unwritten: false } : hole(1);
    unit /= per;
    if (!block) return hole(unit * per - rel);
  }
  return hole(1);
}
