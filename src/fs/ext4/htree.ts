// Keeping a hashed (htree) directory's index as names are added
// (Documentation/filesystems/ext4/directory.rst; Linux's ext4_dx_add_entry
// and make_indexed_dir). Block 0 is the root: "." and a ".." spanning the
// block, the root info (hash version, depth), then (hash, block) entries,
// sorted, the first with an implied hash of 0. Interior nodes (a second
// level, "indirect_levels" 1) hold the same entries behind an empty
// dirent spanning the block. Leaves are ordinary directory blocks whose
// names hash into [their entry's hash, the next entry's).
//
// A name goes into the leaf its hash selects; a full leaf is split (its
// entries sorted by hash, the upper half by size moved to a new block, the
// new block's first hash inserted into the parent, with the low bit set
// when equal hashes continue across the split); a full parent is split the
// same way, and a full root gains a level, up to the two levels an ext4
// without largedir allows (then ENOSPC, "Directory index full!"). Names
// are never merged back on removal, as in Linux. Each changed index block
// gets its dx_tail checksum (metadata_csum): the caller's write does it.

import { kerr } from "../../lib/errors.js";
import { ENOSPC } from "../../abi/errno.js";
import type { Ext4Super } from "./super.js";
import { crc32c, crc32cZeros } from "./crc32c.js";
import { u16, u32, DX_ROOT_INFO, DX_NODE_COUNT, DX_TAIL_SIZE, DIRENT_HEADER, INCOMPAT } from "./layout.js";
import { dirHash, DX_HASH_TEA } from "./hash.js";
import { addToBlock, direntSize, entriesEnd, finishLeaf } from "./dir_write.js";
import { recLenFromDisk } from "./dir.js";

// What the index code needs of the directory (ext4/write.ts provides it).
export interface DxDir {
  readonly sb: Ext4Super;
  readonly ino: number;
  readonly csumSeed: number;
  dxBlock(lblk: number): Uint8Array; // a block of the directory, through the buffer cache
  dxWrite(lblk: number): void; // that block changed: checksummed and written (leaf or index, by its content)
  dxAppend(): number; // a zeroed block added at the end; its logical number
}

const ROOT_INFO_LENGTH = 8;
const ROOT_COUNT = DX_ROOT_INFO + ROOT_INFO_LENGTH;
const ENTRY = 8;
const BLOCK_MASK = 0x0fffffff; // dx_get_block: the top bits are reserved

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const count = (b: Uint8Array, co: number) => u16(b, co + 2);
const limit = (b: Uint8Array, co: number) => u16(b, co);
const hashAt = (b: Uint8Array, co: number, i: number) => (i === 0 ? 0 : u32(b, co + ENTRY * i));
const blockAt = (b: Uint8Array, co: number, i: number) => u32(b, co + ENTRY * i + 4) & BLOCK_MASK;
const tailRoom = (sb: Ext4Super) => (sb.metadataCsum ? DX_TAIL_SIZE : 0);
const rootLimit = (sb: Ext4Super) => (sb.blockSizeBytes - ROOT_COUNT - tailRoom(sb)) / ENTRY;
const nodeLimit = (sb: Ext4Super) => (sb.blockSizeBytes - DX_NODE_COUNT - tailRoom(sb)) / ENTRY;
// indirect_levels may reach 1, or 2 with largedir (ext4_dir_htree_level - 1).
const maxLevels = (sb: Ext4Super) => (sb.hasIncompat(INCOMPAT.LARGEDIR) ? 2 : 1);
const recLenToDisk = (len: number, bs: number) => (len === 65536 && bs === 65536 ? 65535 : len);

// Writes the dx_tail checksum of an index block whose count sits at `co`.
export function finishDx(sb: Ext4Super, seed: number, b: Uint8Array, co: number): void {
  if (!sb.metadataCsum) return;
  const tail = co + limit(b, co) * ENTRY;
  if (tail + DX_TAIL_SIZE > b.length) return;
  const d = dv(b);
  d.setUint32(tail, 0, true);
  let c = crc32c(seed, b, 0, co + count(b, co) * ENTRY);
  c = crc32c(c, b, tail, tail + 4);
  c = crc32cZeros(c, 4);
  d.setUint32(tail + 4, c, true);
}

// The hash version a directory's names are hashed with (the root's, made
// "unsigned" by the superblock's flag).
function hashVersion(dir: DxDir, root: Uint8Array): number {
  const v = root[DX_ROOT_INFO + 4];
  if (v > DX_HASH_TEA) dir.sb.corrupt("dx_probe", dir.ino, `Unrecognised inode hash code ${v}`);
  return v + (dir.sb.unsignedHash ? 3 : 0);
}

export function nameHash(dir: DxDir, name: string): number {
  return dirHash(Buffer.from(name, "latin1"), hashVersion(dir, dir.dxBlock(0)), dir.sb.hashSeed);
}

interface Frame { lblk: number; co: number; at: number }

// The path from the root to the leaf a hash selects (dx_probe).
function probe(dir: DxDir, hash: number): { frames: Frame[]; leaf: number } {
  const root = dir.dxBlock(0);
  if (root[DX_ROOT_INFO + 5] !== ROOT_INFO_LENGTH || u32(root, DX_ROOT_INFO) !== 0) dir.sb.corrupt("dx_probe", dir.ino, "bad root info");
  const levels = root[DX_ROOT_INFO + 6];
  if (levels > maxLevels(dir.sb)) dir.sb.corrupt("dx_probe", dir.ino, `Unimplemented hash depth: ${levels}`);
  const frames: Frame[] = [];
  let b = root, lblk = 0, co = ROOT_COUNT;
  for (let level = 0; ; level++) {
    const n = count(b, co);
    if (n === 0 || n > limit(b, co) || co + limit(b, co) * ENTRY > b.length) dir.sb.corrupt("dx_probe", dir.ino, `dx entry: count ${n} limit ${limit(b, co)}`);
    // The last entry whose hash is at most `hash`.
    let lo = 1, hi = n - 1, at = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (hashAt(b, co, mid) > hash) hi = mid - 1; else { at = mid; lo = mid + 1; }
    }
    frames.push({ lblk, co, at });
    const child = blockAt(b, co, at);
    if (level === levels) return { frames, leaf: child };
    lblk = child;
    b = dir.dxBlock(lblk);
    if (u32(b, 0) !== 0 || recLenFromDisk(u16(b, 4), dir.sb.blockSizeBytes) !== dir.sb.blockSizeBytes) dir.sb.corrupt("dx_probe", dir.ino, `block ${lblk} is not an index node`);
    co = DX_NODE_COUNT;
  }
}

// The leaves a name may sit in: the one its hash selects, and the ones
// after it its run of equal hashes continues into (the continuation bit).
export function candidateLeaves(dir: DxDir, name: string): number[] {
  const hash = nameHash(dir, name);
  const { frames, leaf } = probe(dir, hash);
  const out = [leaf];
  const f = frames[frames.length - 1];
  const b = dir.dxBlock(f.lblk);
  for (let i = f.at + 1; i < count(b, f.co) && hashAt(b, f.co, i) === (hash | 1); i++) out.push(blockAt(b, f.co, i));
  return out;
}

function insertEntry(b: Uint8Array, co: number, after: number, hash: number, block: number): void {
  const n = count(b, co);
  b.copyWithin(co + ENTRY * (after + 2), co + ENTRY * (after + 1), co + ENTRY * n);
  const d = dv(b);
  d.setUint32(co + ENTRY * (after + 1), hash, true);
  d.setUint32(co + ENTRY * (after + 1) + 4, block, true);
  d.setUint16(co + 2, n + 1, true);
}

interface LiveEntry { bytes: Uint8Array; hash: number }

// A leaf's live entries, copied out, each with its hash.
function leafEntries(dir: DxDir, b: Uint8Array, version: number): LiveEntry[] {
  const sb = dir.sb, end = entriesEnd(sb), out: LiveEntry[] = [];
  for (let off = 0; off < end;) {
    const rec = recLenFromDisk(u16(b, off + 4), sb.blockSizeBytes);
    if (rec < DIRENT_HEADER || off + rec > end) dir.sb.corrupt("do_split", dir.ino, `bad entry at ${off}`);
    const nameLen = b[off + 6];
    if (u32(b, off) !== 0 && nameLen) {
      const name = b.subarray(off + DIRENT_HEADER, off + DIRENT_HEADER + nameLen);
      out.push({ bytes: b.slice(off, off + direntSize(nameLen)), hash: dirHash(name, version, sb.hashSeed) });
    }
    off += rec;
  }
  return out;
}

// Rewrites a leaf to hold exactly these entries, packed, the last one
// spanning the rest (an empty leaf: one empty entry).
function packLeaf(dir: DxDir, b: Uint8Array, list: LiveEntry[]): void {
  const end = entriesEnd(dir.sb), bs = dir.sb.blockSizeBytes;
  b.fill(0, 0, end);
  const d = dv(b);
  if (!list.length) { d.setUint16(4, recLenToDisk(end, bs), true); return; }
  let off = 0;
  list.forEach((e, i) => {
    b.set(e.bytes, off);
    const rec = i === list.length - 1 ? end - off : e.bytes.length;
    d.setUint16(off + 4, recLenToDisk(rec, bs), true);
    off += e.bytes.length;
  });
}

// Splits a full leaf (do_split): returns the new leaf and its index hash
// (low bit set when the split falls inside a run of equal hashes).
function splitLeaf(dir: DxDir, leaf: number, version: number): { block: number; hash: number; plain: number } {
  const list = leafEntries(dir, dir.dxBlock(leaf), version).sort((x, y) => x.hash - y.hash);
  if (list.length < 2) dir.sb.corrupt("do_split", dir.ino, `leaf ${leaf} full with ${list.length} entries`);
  const half = entriesEnd(dir.sb) / 2;
  let split = list.length, moved = 0;
  while (split > 1 && moved + list[split - 1].bytes.length <= half) moved += list[--split].bytes.length;
  if (split === list.length) split = list.length - 1;
  const plain = list[split].hash;
  const continued = plain === list[split - 1].hash ? 1 : 0;
  // The new block first: allocating may read other blocks, and a buffer
  // is fetched again after it (the cache may have let a clean one go).
  const block = dir.dxAppend();
  packLeaf(dir, dir.dxBlock(block), list.slice(split));
  packLeaf(dir, dir.dxBlock(leaf), list.slice(0, split));
  dir.dxWrite(block);
  dir.dxWrite(leaf);
  return { block, hash: plain + continued, plain };
}

// Splits a full interior node under a parent with room.
function splitNode(dir: DxDir, parent: Frame, node: Frame): void {
  const block = dir.dxAppend();
  const b = dir.dxBlock(node.lblk), n = count(b, node.co);
  const keep = n >> 1;
  const nb = dir.dxBlock(block);
  const d = dv(nb);
  d.setUint16(4, recLenToDisk(dir.sb.blockSizeBytes, dir.sb.blockSizeBytes), true);
  const co = DX_NODE_COUNT;
  const firstHash = hashAt(b, node.co, keep);
  nb.set(b.subarray(node.co + ENTRY * keep, node.co + ENTRY * n), co);
  d.setUint16(co, nodeLimit(dir.sb), true);
  d.setUint16(co + 2, n - keep, true);
  dv(b).setUint16(node.co + 2, keep, true);
  b.fill(0, node.co + ENTRY * keep, node.co + ENTRY * n);
  const pb = dir.dxBlock(parent.lblk);
  insertEntry(pb, parent.co, parent.at, firstHash, block);
  dir.dxWrite(block);
  dir.dxWrite(node.lblk);
  dir.dxWrite(parent.lblk);
}

// The root is full: its entries move to a new node under it, one level deeper.
function addLevel(dir: DxDir): void {
  const levels = dir.dxBlock(0)[DX_ROOT_INFO + 6];
  if (levels >= maxLevels(dir.sb)) {
    dir.sb.warn(`Directory (ino: ${dir.ino}) index full, reach max htree level :${levels + 1}`);
    kerr(ENOSPC);
  }
  const block = dir.dxAppend();
  const root = dir.dxBlock(0);
  const n = count(root, ROOT_COUNT);
  const nb = dir.dxBlock(block);
  const d = dv(nb);
  d.setUint16(4, recLenToDisk(dir.sb.blockSizeBytes, dir.sb.blockSizeBytes), true);
  nb.set(root.subarray(ROOT_COUNT, ROOT_COUNT + ENTRY * n), DX_NODE_COUNT);
  d.setUint16(DX_NODE_COUNT, nodeLimit(dir.sb), true);
  d.setUint16(DX_NODE_COUNT + 2, n, true);
  root.fill(0, ROOT_COUNT + ENTRY, ROOT_COUNT + ENTRY * n);
  dv(root).setUint16(ROOT_COUNT + 2, 1, true);
  dv(root).setUint32(ROOT_COUNT + 4, block, true);
  root[DX_ROOT_INFO + 6] = levels + 1;
  dir.dxWrite(block);
  dir.dxWrite(0);
}

// Adds a name to an indexed directory (ext4_dx_add_entry).
export function dxAddEntry(dir: DxDir, name: string, ino: number, fileType: number): void {
  const version = hashVersion(dir, dir.dxBlock(0));
  const hash = dirHash(Buffer.from(name, "latin1"), version, dir.sb.hashSeed);
  for (let guard = 0; guard < 8; guard++) {
    const { frames, leaf } = probe(dir, hash);
    const lb = dir.dxBlock(leaf);
    if (addToBlock(dir.sb, lb, ino, name, fileType)) { dir.dxWrite(leaf); return; }
    // The deepest index block on the path with room for one more entry.
    let i = frames.length - 1;
    const full = (f: Frame) => { const b = dir.dxBlock(f.lblk); return count(b, f.co) >= limit(b, f.co); };
    while (i >= 0 && full(frames[i])) i--;
    if (i < 0) { addLevel(dir); continue; }
    if (i < frames.length - 1) { splitNode(dir, frames[i], frames[i + 1]); continue; }
    const parent = frames[i];
    const s = splitLeaf(dir, leaf, version);
    insertEntry(dir.dxBlock(parent.lblk), parent.co, parent.at, s.hash, s.block);
    dir.dxWrite(parent.lblk);
    const target = hash >= s.plain ? s.block : leaf;
    if (addToBlock(dir.sb, dir.dxBlock(target), ino, name, fileType)) { dir.dxWrite(target); return; }
  }
  dir.sb.corrupt("ext4_dx_add_entry", dir.ino, `no room for ${name} after splitting`);
}

// Turns a one-block linear directory into an indexed one
// (make_indexed_dir): the names after ".." move to a new leaf, and block 0
// becomes the root with one entry pointing at it.
export function makeIndexed(dir: DxDir): void {
  const sb = dir.sb, bs = sb.blockSizeBytes;
  const first = dir.dxBlock(0);
  const rest = recLenFromDisk(u16(first, 12 + 4), bs);
  if (u16(first, 4) !== 12 || first[6] !== 1 || first[12 + 6] !== 2 || 12 + rest > bs) sb.corrupt("make_indexed_dir", dir.ino, "invalid \"..\" or \".\" entry");
  const version = sb.defHashVersion <= DX_HASH_TEA ? sb.defHashVersion : 1;
  const leaf = dir.dxAppend();
  const root = dir.dxBlock(0), lb = dir.dxBlock(leaf);
  // The entries after ".." (which spans them when it is the last), up to the tail.
  const list: LiveEntry[] = [];
  const end = entriesEnd(sb);
  for (let off = 12 + rest; off < end;) {
    const rec = recLenFromDisk(u16(root, off + 4), bs);
    if (rec < DIRENT_HEADER || off + rec > end) sb.corrupt("make_indexed_dir", dir.ino, `bad entry at ${off}`);
    if (u32(root, off) !== 0 && root[off + 6]) list.push({ bytes: root.slice(off, off + direntSize(root[off + 6])), hash: 0 });
    off += rec;
  }
  packLeaf(dir, lb, list);
  finishLeaf(sb, dir.csumSeed, lb);
  root.fill(0, 24);
  const d = dv(root);
  d.setUint16(12 + 4, recLenToDisk(bs - 12, bs), true);
  root[DX_ROOT_INFO + 4] = version;
  root[DX_ROOT_INFO + 5] = ROOT_INFO_LENGTH;
  d.setUint16(ROOT_COUNT, rootLimit(sb), true);
  d.setUint16(ROOT_COUNT + 2, 1, true);
  d.setUint32(ROOT_COUNT + 4, leaf, true);
  dir.dxWrite(leaf);
  dir.dxWrite(0);
}
