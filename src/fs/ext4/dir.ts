// Directory blocks (ext4_dir_entry_2): a chain of records, each with its
// inode, length, name length, file type and name; with metadata_csum a leaf
// block ends in a 12-byte fake entry holding the block's crc32c. Hashed
// (htree) directories keep their index in blocks whose entries look empty
// to a linear reader (dx_root: "." and a ".." spanning the block; dx_node:
// one empty entry spanning it), so a reader walking every block sees every
// name exactly once, as Linux's ext4_readdir does for a htree directory
// read linearly. Their checksums sit in a dx_tail after the index.

import type { Ext4Super } from "./super.js";
import { u16, u32 } from "./layout.js";
import { crc32c, crc32cZeros } from "./crc32c.js";
import { DIRENT_HEADER, EXT4_DIR_TAIL_SIZE, EXT4_FT_DIR_CSUM, DX_ROOT_INFO, DX_NODE_COUNT, DX_TAIL_SIZE } from "./layout.js";

export interface RawDirent { ino: number; name: string; fileType: number; off: number; recLen: number }

// rec_len as stored; a 64 KiB block writes 65536 as 0 or 65535 (ext4_rec_len_from_disk).
export function recLenFromDisk(v: number, blockSize: number): number {
  if (blockSize === 65536 && (v === 65535 || v === 0)) return 65536;
  return v;
}

// The entries of one directory region [start, end) of buf, checked as
// ext4_check_dir_entry does.
export function parseDirents(sb: Ext4Super, dirIno: number, buf: Uint8Array, start: number, end: number, lblk: number): RawDirent[] {
  const out: RawDirent[] = [];
  for (let off = start; off < end;) {
    if (off + DIRENT_HEADER > end) sb.corrupt("ext4_readdir", dirIno, `bad entry in directory: directory entry overrun - offset=${off}, block=${lblk}`);
    const ino = u32(buf, off);
    const recLen = recLenFromDisk(u16(buf, off + 4), sb.blockSizeBytes);
    const nameLen = buf[off + 6];
    let why = "";
    if (recLen < DIRENT_HEADER + 4) why = "rec_len is smaller than minimal";
    else if (recLen % 4) why = "rec_len % 4 != 0";
    else if (recLen < DIRENT_HEADER + nameLen) why = "rec_len is too small for name_len";
    else if (off + recLen > end) why = "directory entry overrun";
    else if (ino > sb.inodesCount) why = "inode out of bounds";
    if (why) sb.corrupt("ext4_readdir", dirIno, `bad entry in directory: ${why} - offset=${off}, block=${lblk}, inode=${ino}, rec_len=${recLen}, size=${end - start}`);
    if (ino !== 0 && nameLen > 0) {
      out.push({ ino, name: Buffer.from(buf.subarray(off + DIRENT_HEADER, off + DIRENT_HEADER + nameLen)).toString("latin1"), fileType: buf[off + 7], off, recLen });
    }
    off += recLen;
  }
  return out;
}

// Whether the block ends in a checksum tail (a fake entry of 12 bytes).
export function hasDirTail(buf: Uint8Array, bs: number): boolean {
  const t = bs - EXT4_DIR_TAIL_SIZE;
  return u32(buf, t) === 0 && u16(buf, t + 4) === EXT4_DIR_TAIL_SIZE && buf[t + 6] === 0 && buf[t + 7] === EXT4_FT_DIR_CSUM;
}

export function dirLeafCsum(seed: number, buf: Uint8Array, bs: number): number {
  return crc32c(seed, buf, 0, bs - EXT4_DIR_TAIL_SIZE);
}

// Where a dx block's count/limit sits, if the block is one (is_dx_block):
// the root (logical block 0 of an indexed directory) or an interior node.
export function dxCountOffset(buf: Uint8Array, bs: number, lblk: number, indexed: boolean): number {
  if (!indexed) return -1;
  const first = recLenFromDisk(u16(buf, 4), bs);
  if (lblk === 0 && first === 12) {
    const infoLen = buf[DX_ROOT_INFO + 5];
    return DX_ROOT_INFO + infoLen;
  }
  if (u32(buf, 0) === 0 && first === bs) return DX_NODE_COUNT;
  return -1;
}

export function dxCsum(seed: number, buf: Uint8Array, countOff: number): { ok: boolean; tail: number } {
  const limit = u16(buf, countOff), count = u16(buf, countOff + 2);
  const tail = countOff + limit * 8;
  if (count > limit || tail + DX_TAIL_SIZE > buf.length) return { ok: false, tail };
  let c = crc32c(seed, buf, 0, countOff + count * 8);
  c = crc32c(c, buf, tail, tail + 4); // dt_reserved
  c = crc32cZeros(c, 4); // dt_checksum taken as zero
  return { ok: c === u32(buf, tail + 4), tail };
}
