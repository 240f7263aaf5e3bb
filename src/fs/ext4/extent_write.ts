// Changing a file's block mapping: the extent tree is read into a sorted
// list, changed there (new blocks, unwritten extents turned written, blocks
// cut off by truncate), and written back whole: in the inode while it has
// four extents or fewer, else as one level of leaf blocks (each with its
// checksum tail) under an index in the inode. Tree blocks are reused while
// their number does not change. Two levels cover 340 × 4 extents with 4 KiB
// blocks (84 × 4 with 1 KiB), plenty for the files Ghost writes; past that
// the write is EFBIG rather than a tree Ghost cannot build.

import { kerr } from "../../lib/errors.js";
import { EFBIG } from "../../abi/errno.js";
import type { Ext4Super } from "./super.js";
import { crc32c } from "./crc32c.js";
import { allocBlocks, freeBlocks } from "./alloc.js";
import { u16, u32, EXT4_EXT_MAGIC, EXT_HEADER_SIZE, EXT_ENTRY_SIZE, EXT_INIT_MAX_LEN, EXT4_N_BLOCKS } from "./layout.js";

export interface Extent { lblk: number; len: number; pblk: number; unwritten: boolean }

export interface ExtentOwner {
  readonly sb: Ext4Super;
  readonly ino: number;
  readonly iblock: Uint8Array;
  csumSeed: number;
  // i_blocks in 512-byte units: grows and shrinks with data and tree blocks.
  addBlocks(n: number): void;
}

const ROOT_MAX = (EXT4_N_BLOCKS * 4 - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE;
const MAX_UNWRITTEN_LEN = EXT_INIT_MAX_LEN - 1;

// The whole tree as a sorted list, and the tree blocks holding it.
export function readExtents(o: ExtentOwner): { list: Extent[]; treeBlocks: number[] } {
  const list: Extent[] = [];
  const treeBlocks: number[] = [];
  const walk = (buf: Uint8Array, depth: number, guard: number) => {
    if (u16(buf, 0) !== EXT4_EXT_MAGIC || u16(buf, 6) !== depth) o.sb.corrupt("ext4_ext_walk", o.ino, "bad extent header");
    const entries = u16(buf, 2);
    if (EXT_HEADER_SIZE + entries * EXT_ENTRY_SIZE > buf.length) o.sb.corrupt("ext4_ext_walk", o.ino, "bad extent count");
    for (let i = 0; i < entries; i++) {
      const e = EXT_HEADER_SIZE + i * EXT_ENTRY_SIZE;
      if (depth === 0) {
        let len = u16(buf, e + 4);
        const unwritten = len > EXT_INIT_MAX_LEN;
        if (unwritten) len -= EXT_INIT_MAX_LEN;
        list.push({ lblk: u32(buf, e), len, pblk: u32(buf, e + 8) + u16(buf, e + 6) * 2 ** 32, unwritten });
      } else {
        if (guard > 5) o.sb.corrupt("ext4_ext_walk", o.ino, "extent tree too deep");
        const child = u32(buf, e + 4) + u16(buf, e + 8) * 2 ** 32;
        treeBlocks.push(child);
        walk(o.sb.bread(child, "ext4_ext_walk", o.ino).data, depth - 1, guard + 1);
      }
    }
  };
  walk(o.iblock, u16(o.iblock, 6), 0);
  return { list, treeBlocks };
}

function putHeader(b: Uint8Array, entries: number, max: number, depth: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint16(0, EXT4_EXT_MAGIC, true);
  dv.setUint16(2, entries, true);
  dv.setUint16(4, max, true);
  dv.setUint16(6, depth, true);
  dv.setUint32(8, 0, true);
}

function putExtent(b: Uint8Array, i: number, x: Extent): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const o = EXT_HEADER_SIZE + i * EXT_ENTRY_SIZE;
  dv.setUint32(o, x.lblk, true);
  dv.setUint16(o + 4, x.unwritten ? x.len + EXT_INIT_MAX_LEN : x.len, true);
  dv.setUint16(o + 6, Math.floor(x.pblk / 2 ** 32), true);
  dv.setUint32(o + 8, x.pblk % 2 ** 32, true);
}

function putIndex(b: Uint8Array, i: number, lblk: number, block: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const o = EXT_HEADER_SIZE + i * EXT_ENTRY_SIZE;
  dv.setUint32(o, lblk, true);
  dv.setUint32(o + 4, block % 2 ** 32, true);
  dv.setUint16(o + 8, Math.floor(block / 2 ** 32), true);
  dv.setUint16(o + 10, 0, true);
}

// Writes the list back as a tree (see the header), reusing oldTree's blocks.
export function writeExtents(o: ExtentOwner, whole: Extent[], oldTree: number[]): void {
  const sb = o.sb, bs = sb.blockSizeBytes;
  const list = splitLong(whole);
  const perLeaf = Math.floor((bs - EXT_HEADER_SIZE - 4) / EXT_ENTRY_SIZE);
  const root = o.iblock;
  if (list.length <= ROOT_MAX) {
    root.fill(0);
    putHeader(root, list.length, ROOT_MAX, 0);
    list.forEach((x, i) => putExtent(root, i, x));
    releaseTree(o, oldTree, 0);
    return;
  }
  const leaves = Math.ceil(list.length / perLeaf);
  if (leaves > ROOT_MAX) kerr(EFBIG);
  const blocks = oldTree.slice(0, leaves);
  // New leaves first: an ENOSPC here leaves the tree as it was.
  try {
    while (blocks.length < leaves) {
      const got = allocBlocks(sb, blocks.length ? blocks[blocks.length - 1] + 1 : list[0].pblk, 1);
      o.addBlocks(bs / 512);
      blocks.push(got.start);
    }
  } catch (e) {
    releaseTree(o, blocks, oldTree.length);
    throw e;
  }
  releaseTree(o, oldTree, leaves);
  root.fill(0);
  putHeader(root, leaves, ROOT_MAX, 1);
  for (let l = 0; l < leaves; l++) {
    const part = list.slice(l * perLeaf, (l + 1) * perLeaf);
    const bh = sb.bc.getblk(blocks[l]);
    bh.data.fill(0);
    putHeader(bh.data, part.length, perLeaf, 0);
    part.forEach((x, i) => putExtent(bh.data, i, x));
    if (sb.metadataCsum) {
      const tail = EXT_HEADER_SIZE + perLeaf * EXT_ENTRY_SIZE;
      new DataView(bh.data.buffer, bh.data.byteOffset).setUint32(tail, crc32c(o.csumSeed, bh.data, 0, tail), true);
    }
    sb.writeBuffer(bh);
    putIndex(root, l, part[0].lblk, blocks[l]);
  }
}

function releaseTree(o: ExtentOwner, oldTree: number[], keep: number): void {
  for (const b of oldTree.slice(keep)) { freeBlocks(o.sb, b, 1); o.addBlocks(-o.sb.blockSizeBytes / 512); }
}

// Sets [lblk, lblk+len) to map to pblk.. (written), replacing what was there.
export function setRange(list: Extent[], x: Extent): Extent[] {
  const end = x.lblk + x.len;
  const out: Extent[] = [];
  for (const e of list) {
    const eEnd = e.lblk + e.len;
    if (eEnd <= x.lblk || e.lblk >= end) { out.push(e); continue; }
    if (e.lblk < x.lblk) out.push({ ...e, len: x.lblk - e.lblk });
    if (eEnd > end) out.push({ lblk: end, len: eEnd - end, pblk: e.pblk + (end - e.lblk), unwritten: e.unwritten });
  }
  out.push(x);
  out.sort((a, b) => a.lblk - b.lblk);
  return mergeExtents(out);
}

// Joins neighbours that continue each other on disk.
export function mergeExtents(list: Extent[]): Extent[] {
  const out: Extent[] = [];
  for (const e of list) {
    const p = out[out.length - 1];
    const max = e.unwritten ? MAX_UNWRITTEN_LEN : EXT_INIT_MAX_LEN;
    if (p && p.unwritten === e.unwritten && p.lblk + p.len === e.lblk && p.pblk + p.len === e.pblk && p.len + e.len <= max) p.len += e.len;
    else out.push({ ...e });
  }
  return out;
}

// Drops every block at or past `fromLblk`; returns the runs to free.
export function cutFrom(list: Extent[], fromLblk: number): { list: Extent[]; freed: [number, number][] } {
  const out: Extent[] = [];
  const freed: [number, number][] = [];
  for (const e of list) {
    if (e.lblk + e.len <= fromLblk) { out.push(e); continue; }
    if (e.lblk >= fromLblk) { freed.push([e.pblk, e.len]); continue; }
    const keep = fromLblk - e.lblk;
    out.push({ ...e, len: keep });
    freed.push([e.pblk + keep, e.len - keep]);
  }
  return { list: out, freed };
}

// How many blocks of [first, last] no extent maps.
export function unmappedIn(list: Extent[], first: number, last: number): number {
  let mapped = 0;
  for (const e of list) mapped += Math.max(0, Math.min(e.lblk + e.len, last + 1) - Math.max(e.lblk, first));
  return last - first + 1 - mapped;
}

// An extent holds at most 32768 written or 32767 unwritten blocks (the
// length field's top value marks unwritten ones): longer runs split.
function splitLong(list: Extent[]): Extent[] {
  if (list.every((e) => e.len <= (e.unwritten ? MAX_UNWRITTEN_LEN : EXT_INIT_MAX_LEN))) return list;
  const out: Extent[] = [];
  for (const e of list) {
    const max = e.unwritten ? MAX_UNWRITTEN_LEN : EXT_INIT_MAX_LEN;
    for (let at = 0; at < e.len; at += max) out.push({ ...e, lblk: e.lblk + at, pblk: e.pblk + at, len: Math.min(max, e.len - at) });
  }
  return out;
}
