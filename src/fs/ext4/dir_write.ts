// Changing directory blocks: a name goes into the first block with room
// (splitting an entry's slack, as ext4's add_dirent_to_buf) or a new block
// at the end; a removed name's record joins the one before it. Each changed
// block gets its checksum tail again. Hashed (htree) directories keep
// their index: htree.ts picks the leaf and splits what fills up.

import type { Ext4Super } from "./super.js";
import { crc32c } from "./crc32c.js";
import { u16, u32, DIRENT_HEADER, EXT4_DIR_TAIL_SIZE, EXT4_FT_DIR_CSUM } from "./layout.js";
import { recLenFromDisk } from "./dir.js";

export const direntSize = (nameLen: number) => (DIRENT_HEADER + nameLen + 3) & ~3;

function dv(b: Uint8Array): DataView { return new DataView(b.buffer, b.byteOffset, b.byteLength); }

export function putDirent(b: Uint8Array, off: number, ino: number, recLen: number, name: string, fileType: number): void {
  const d = dv(b);
  d.setUint32(off, ino, true);
  d.setUint16(off + 4, recLen, true);
  b[off + 6] = name.length;
  b[off + 7] = fileType;
  b.set(Buffer.from(name, "latin1"), off + DIRENT_HEADER);
}

// The end of the entries (where the checksum tail starts, when there is one).
export function entriesEnd(sb: Ext4Super): number {
  return sb.metadataCsum ? sb.blockSizeBytes - EXT4_DIR_TAIL_SIZE : sb.blockSizeBytes;
}

// Writes the checksum tail (and its checksum) of a leaf block.
export function finishLeaf(sb: Ext4Super, seed: number, b: Uint8Array): void {
  if (!sb.metadataCsum) return;
  const t = sb.blockSizeBytes - EXT4_DIR_TAIL_SIZE;
  const d = dv(b);
  d.setUint32(t, 0, true);
  d.setUint16(t + 4, EXT4_DIR_TAIL_SIZE, true);
  b[t + 6] = 0;
  b[t + 7] = EXT4_FT_DIR_CSUM;
  d.setUint32(t + 8, crc32c(seed, b, 0, t), true);
}

// A fresh leaf block holding one entry (or none: ino 0) over all its room.
export function emptyLeaf(sb: Ext4Super, seed: number, b: Uint8Array): void {
  b.fill(0);
  dv(b).setUint16(4, entriesEnd(sb), true);
  finishLeaf(sb, seed, b);
}

// Puts the entry in this block if it has room; whether it did.
export function addToBlock(sb: Ext4Super, b: Uint8Array, ino: number, name: string, fileType: number): boolean {
  const need = direntSize(name.length);
  const end = entriesEnd(sb);
  for (let off = 0; off < end;) {
    const eIno = u32(b, off);
    const rec = recLenFromDisk(u16(b, off + 4), sb.blockSizeBytes);
    if (rec < DIRENT_HEADER || off + rec > end) return false;
    const used = eIno ? direntSize(b[off + 6]) : 0;
    if (rec - used >= need) {
      if (eIno) {
        dv(b).setUint16(off + 4, used, true);
        putDirent(b, off + used, ino, rec - used, name, fileType);
      } else {
        putDirent(b, off, ino, rec, name, fileType);
      }
      return true;
    }
    off += rec;
  }
  return false;
}

// Takes the named entry out of this block; whether it was there.
export function removeFromBlock(sb: Ext4Super, b: Uint8Array, name: string): boolean {
  const end = entriesEnd(sb);
  const bytes = Buffer.from(name, "latin1");
  let prev = -1;
  for (let off = 0; off < end;) {
    const rec = recLenFromDisk(u16(b, off + 4), sb.blockSizeBytes);
    if (rec < DIRENT_HEADER || off + rec > end) return false;
    const nameLen = b[off + 6];
    if (u32(b, off) !== 0 && nameLen === bytes.length && Buffer.compare(Buffer.from(b.subarray(off + DIRENT_HEADER, off + DIRENT_HEADER + nameLen)), bytes) === 0) {
      if (prev >= 0) dv(b).setUint16(prev + 4, u16(b, prev + 4) + rec, true);
      else dv(b).setUint32(off, 0, true);
      return true;
    }
    prev = off;
    off += rec;
  }
  return false;
}

// Points the named entry at another inode (rename over, "..").
export function retarget(sb: Ext4Super, b: Uint8Array, name: string, ino: number, fileType: number): boolean {
  const end = entriesEnd(sb);
  for (let off = 0; off < end;) {
    const rec = recLenFromDisk(u16(b, off + 4), sb.blockSizeBytes);
    if (rec < DIRENT_HEADER || off + rec > end) return false;
    const nameLen = b[off + 6];
    if (u32(b, off) !== 0 && Buffer.from(b.subarray(off + DIRENT_HEADER, off + DIRENT_HEADER + nameLen)).toString("latin1") === name) {
      dv(b).setUint32(off, ino, true);
      b[off + 7] = fileType;
      return true;
    }
    off += rec;
  }
  return false;
}
