// Block and inode allocation (Linux's balloc.c, ialloc.c, without the
// multiblock allocator's preallocation): a bit per block or inode in each
// group's bitmap, the group descriptor's free counts and checksums, the
// superblock's totals; a block freed while a journal
// transaction runs is not reused before it commits. Groups mke2fs left uninitialised (BLOCK_UNINIT,
// INODE_UNINIT) get their bitmap built on first use, as
// ext4_init_block_bitmap does. Every change joins the running transaction.

import { kerr } from "../../lib/errors.js";
import { ENOSPC } from "../../abi/errno.js";
import type { Ext4Super } from "./super.js";
import type { BufferHead } from "../../block/buffer.js";
import { crc32c } from "./crc32c.js";
import { EXT4_BG_BLOCK_UNINIT, EXT4_BG_INODE_UNINIT, GD, SB, u16 } from "./layout.js";
import { hasCap } from "../../kernel/cred.js";
import { CAP_SYS_RESOURCE } from "../../abi/prctl.js";

const testBit = (b: Uint8Array, i: number) => (b[i >> 3] & (1 << (i & 7))) !== 0;
const setBit = (b: Uint8Array, i: number) => { b[i >> 3] |= 1 << (i & 7); };
const clearBit = (b: Uint8Array, i: number) => { b[i >> 3] &= ~(1 << (i & 7)); };

// Descriptor sizes that hold the high halves of the bitmap checksums.
const BLOCK_BITMAP_CSUM_HI_END = GD.blockBitmapCsumHi + 2;
const INODE_BITMAP_CSUM_HI_END = GD.inodeBitmapCsumHi + 2;

export function groupFirstBlock(sb: Ext4Super, g: number): number { return sb.firstDataBlock + g * sb.blocksPerGroup; }
export function groupBlockCount(sb: Ext4Super, g: number): number {
  return Math.min(sb.blocksPerGroup, sb.blocksCount - groupFirstBlock(sb, g));
}

function blockBitmap(sb: Ext4Super, g: number): BufferHead {
  const gd = sb.groups[g];
  if (gd.flags & EXT4_BG_BLOCK_UNINIT) {
    // Build it: the group's own superblock backup and descriptor copies, and
    // every group's bitmaps and inode table that fall inside this group.
    const bh = sb.bc.getblk(gd.blockBitmap);
    const b = bh.data;
    b.fill(0);
    const first = groupFirstBlock(sb, g), count = groupBlockCount(sb, g);
    if (sb.groupHasSuper(g)) {
      const gdtBlocks = Math.ceil(sb.groupCount / (sb.blockSizeBytes / sb.descSize));
      const n = 1 + gdtBlocks + sb.reservedGdtBlocks;
      for (let i = 0; i < n && i < count; i++) setBit(b, i);
    }
    const itBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSizeBytes);
    for (const h of sb.groups) {
      for (const [start, len] of [[h.blockBitmap, 1], [h.inodeBitmap, 1], [h.inodeTable, itBlocks]]) {
        for (let x = start; x < start + len; x++) if (x >= first && x < first + count) setBit(b, x - first);
      }
    }
    for (let i = count; i < sb.blockSizeBytes * 8; i++) setBit(b, i);
    gd.flags &= ~EXT4_BG_BLOCK_UNINIT;
    saveBlockBitmap(sb, g, bh);
    return bh;
  }
  return sb.bread(gd.blockBitmap, "ext4_read_block_bitmap", 0);
}

function inodeBitmap(sb: Ext4Super, g: number): BufferHead {
  const gd = sb.groups[g];
  if (gd.flags & EXT4_BG_INODE_UNINIT) {
    const bh = sb.bc.getblk(gd.inodeBitmap);
    bh.data.fill(0);
    for (let i = sb.inodesPerGroup; i < sb.blockSizeBytes * 8; i++) setBit(bh.data, i);
    gd.flags &= ~EXT4_BG_INODE_UNINIT;
    saveInodeBitmap(sb, g, bh);
    return bh;
  }
  return sb.bread(gd.inodeBitmap, "ext4_read_inode_bitmap", 0);
}

function saveBlockBitmap(sb: Ext4Super, g: number, bh: BufferHead): void {
  if (sb.metadataCsum) {
    const c = crc32c(sb.csumSeed, bh.data, 0, sb.blocksPerGroup / 8);
    sb.groups[g].blockBitmapCsum = sb.descSize >= BLOCK_BITMAP_CSUM_HI_END ? c : c & 0xffff;
  }
  sb.writeBuffer(bh);
}

function saveInodeBitmap(sb: Ext4Super, g: number, bh: BufferHead): void {
  if (sb.metadataCsum) {
    const c = crc32c(sb.csumSeed, bh.data, 0, sb.inodesPerGroup / 8);
    sb.groups[g].inodeBitmapCsum = sb.descSize >= INODE_BITMAP_CSUM_HI_END ? c : c & 0xffff;
  }
  sb.writeBuffer(bh);
}

// Whether the caller may use the blocks mke2fs reserved (s_r_blocks_count),
// as ext4_has_free_clusters: its fsuid is s_def_resuid, it is in group
// s_def_resgid (when that is not root's), or it has CAP_SYS_RESOURCE.
function mayUseReserved(sb: Ext4Super): boolean {
  const cred = sb.k.current?.cred;
  if (!cred) return true; // the kernel itself (a commit, a mount)
  const resgid = u16(sb.raw, SB.defResgid);
  return cred.fsuid === u16(sb.raw, SB.defResuid) || (resgid !== 0 && (cred.fsgid === resgid || cred.groups.includes(resgid))) ||
    hasCap(cred, CAP_SYS_RESOURCE);
}

// Allocates up to `want` contiguous blocks, as near `goal` as it finds;
// returns the first and how many (at least one), or ENOSPC. When nothing
// is free but blocks freed in the running transaction wait for its commit,
// the journal commits (if the handle allows it) and the search runs again,
// as ext4_should_retry_alloc.
export function allocBlocks(sb: Ext4Super, goal: number, want: number): { start: number; count: number } {
  for (let retried = false; ; retried = true) {
    const got = findBlocks(sb, goal, want);
    if (got) return got;
    if (retried || !sb.journal?.commitForSpace()) return kerr(ENOSPC);
  }
}

// Blocks a new allocation may take now: free ones not waiting for a
// commit, less the reserved ones unless the caller may use them.
export function usableBlocks(sb: Ext4Super): number {
  const usable = sb.freeBlocks - (sb.journal?.busy.size ?? 0);
  return mayUseReserved(sb) ? usable : usable - sb.reservedBlocks;
}

// Before an operation that needs `need` new blocks, while its handle has
// changed nothing: when they are not free now but blocks freed in the
// running transaction would cover them, commit first.
export function makeRoom(sb: Ext4Super, need: number): void {
  const j = sb.journal;
  if (j && j.busy.size > 0 && need > 0 && need + 1 > usableBlocks(sb)) j.commitForSpace();
}

function findBlocks(sb: Ext4Super, goal: number, want: number): { start: number; count: number } | null {
  const usable = usableBlocks(sb);
  if (usable <= 0) return null;
  want = Math.min(want, usable);
  if (goal < sb.firstDataBlock || goal >= sb.blocksCount) goal = sb.firstDataBlock;
  const g0 = Math.floor((goal - sb.firstDataBlock) / sb.blocksPerGroup);
  for (let n = 0; n < sb.groupCount; n++) {
    const g = (g0 + n) % sb.groupCount;
    if (sb.groups[g].freeBlocks === 0) continue;
    const bh = blockBitmap(sb, g);
    const b = bh.data, count = groupBlockCount(sb, g), base = groupFirstBlock(sb, g);
    // Blocks freed in the running transaction stay unused until it commits (journal.ts).
    const busy = sb.journal?.busy;
    const taken = busy?.size ? (i: number) => testBit(b, i) || busy.has(base + i) : (i: number) => testBit(b, i);
    let i = n === 0 ? goal - base : 0;
    for (let pass = 0; pass < 2; pass++, i = 0) {
      for (; i < count; i++) {
        if ((i & 7) === 0 && b[i >> 3] === 0xff) { i += 7; continue; } // eight used blocks at once
        if (taken(i)) continue;
        let len = 1;
        while (len < want && i + len < count && !taken(i + len)) len++;
        for (let j = 0; j < len; j++) setBit(b, i + j);
        saveBlockBitmap(sb, g, bh);
        sb.groups[g].freeBlocks -= len;
        sb.freeBlocks -= len;
        sb.saveGroup(g);
        return { start: groupFirstBlock(sb, g) + i, count: len };
      }
    }
  }
  return null;
}

export function freeBlocks(sb: Ext4Super, start: number, count: number): void {
  for (let blk = start; blk < start + count;) {
    const g = Math.floor((blk - sb.firstDataBlock) / sb.blocksPerGroup);
    const bh = blockBitmap(sb, g);
    const first = groupFirstBlock(sb, g), end = Math.min(start + count, first + groupBlockCount(sb, g));
    let freed = 0;
    for (; blk < end; blk++) {
      if (!testBit(bh.data, blk - first)) { sb.warn(`freeing already free block ${blk}`); continue; }
      clearBit(bh.data, blk - first);
      sb.journal?.busy.add(blk);
      freed++;
    }
    saveBlockBitmap(sb, g, bh);
    sb.groups[g].freeBlocks += freed;
    sb.freeBlocks += freed;
    sb.saveGroup(g);
  }
}

// A free inode, in the parent's group when it has one (directories spread
// to the emptiest group, as find_group_orlov roughly does).
export function allocInode(sb: Ext4Super, parentIno: number, dir: boolean): number {
  const pg = Math.floor((parentIno - 1) / sb.inodesPerGroup);
  let order = [...Array(sb.groupCount).keys()].map((n) => (pg + n) % sb.groupCount);
  if (dir) order = order.filter((g) => sb.groups[g].freeInodes > 0).sort((a, b) => sb.groups[b].freeInodes - sb.groups[a].freeInodes || a - b);
  for (const g of order) {
    const gd = sb.groups[g];
    if (gd.freeInodes === 0) continue;
    const bh = inodeBitmap(sb, g);
    const startAt = g === 0 ? sb.firstIno - 1 : 0;
    for (let i = startAt; i < sb.inodesPerGroup; i++) {
      if ((i & 7) === 0 && bh.data[i >> 3] === 0xff) { i += 7; continue; } // eight used inodes at once
      if (testBit(bh.data, i)) continue;
      setBit(bh.data, i);
      saveInodeBitmap(sb, g, bh);
      gd.freeInodes--;
      sb.freeInodes--;
      if (dir) gd.usedDirs++;
      // Inodes past the table's initialised part are now in use (itable_unused).
      if (i >= sb.inodesPerGroup - gd.itableUnused) gd.itableUnused = sb.inodesPerGroup - i - 1;
      sb.saveGroup(g);
      return g * sb.inodesPerGroup + i + 1;
    }
  }
  return kerr(ENOSPC);
}

export function freeInode(sb: Ext4Super, ino: number, dir: boolean): void {
  const g = Math.floor((ino - 1) / sb.inodesPerGroup), i = (ino - 1) % sb.inodesPerGroup;
  const bh = inodeBitmap(sb, g);
  if (!testBit(bh.data, i)) { sb.warn(`freeing already free inode ${ino}`); return; }
  clearBit(bh.data, i);
  saveInodeBitmap(sb, g, bh);
  sb.groups[g].freeInodes++;
  sb.freeInodes++;
  if (dir) sb.groups[g].usedDirs--;
  sb.saveGroup(g);
}
