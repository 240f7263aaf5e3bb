// Extended attributes as ext4 stores them (fs/ext4/xattr.h): in the inode
// after i_extra_isize (a magic, then entries whose values are offsets from
// the first entry) and in one external block (a 32-byte header with its
// crc32c, entries, values at offsets from the block's start). Each entry:
// name length, name index (the prefix: user., trusted., security., …), the
// value's offset and size, a hash, and the name without its prefix.
// POSIX ACLs are stored in ext4's compact form and shown in the VFS's.

import type { Ext4Super } from "./super.js";
import { u16, u32 } from "./layout.js";
import { crc32c, crc32cZeros } from "./crc32c.js";
import {
  EXT4_XATTR_MAGIC, XATTR_ENTRY_SIZE, XATTR_HEADER_SIZE, XATTR_BLOCK_CHECKSUM, XATTR_PREFIXES,
  EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT,
} from "./layout.js";

export interface Xattr { index: number; name: string; value: Uint8Array }

// Entries from `start` until a zero word; values at valueBase + e_value_offs, inside [valueBase, end).
export function parseXattrs(sb: Ext4Super, ino: number, buf: Uint8Array, start: number, valueBase: number, end: number): Xattr[] {
  const out: Xattr[] = [];
  for (let off = start; off + 4 <= end && u32(buf, off) !== 0;) {
    if (off + XATTR_ENTRY_SIZE > end) sb.corrupt("ext4_xattr_get", ino, "corrupted xattr entries");
    const nameLen = buf[off], index = buf[off + 1];
    const valueOffs = u16(buf, off + 2), valueInum = u32(buf, off + 4), size = u32(buf, off + 8);
    const next = off + ((XATTR_ENTRY_SIZE + nameLen + 3) & ~3);
    if (next > end) sb.corrupt("ext4_xattr_get", ino, "corrupted xattr entries");
    const name = Buffer.from(buf.subarray(off + XATTR_ENTRY_SIZE, off + XATTR_ENTRY_SIZE + nameLen)).toString("latin1");
    if (valueInum !== 0) {
      // ea_inode values (a value in an inode of its own) are refused at mount; one here is corruption.
      sb.corrupt("ext4_xattr_get", ino, "xattr value in an inode without ea_inode");
    }
    if (valueBase + valueOffs + size > end) sb.corrupt("ext4_xattr_get", ino, `xattr value out of bounds (offs ${valueOffs}, size ${size})`);
    out.push({ index, name, value: buf.slice(valueBase + valueOffs, valueBase + valueOffs + size) });
    off = next;
  }
  return out;
}

// The attributes of an xattr block, its header and checksum checked.
export function readXattrBlock(sb: Ext4Super, ino: number, block: number): Xattr[] {
  const bh = sb.bread(block, "ext4_xattr_block_get", ino);
  const b = bh.data;
  if (u32(b, 0) !== EXT4_XATTR_MAGIC || u32(b, 8) !== 1) sb.corrupt("ext4_xattr_block_get", ino, `bad block ${block}`);
  if (sb.metadataCsum && xattrBlockCsum(sb, block, b) !== u32(b, XATTR_BLOCK_CHECKSUM))
    sb.corrupt("ext4_xattr_block_get", ino, `xattr block ${block} checksum invalid`);
  return parseXattrs(sb, ino, b, XATTR_HEADER_SIZE, 0, b.length);
}

export function xattrBlockCsum(sb: Ext4Super, block: number, b: Uint8Array): number {
  const nr = new Uint8Array(8);
  new DataView(nr.buffer).setBigUint64(0, BigInt(block), true);
  let c = crc32c(sb.csumSeed, nr);
  c = crc32c(c, b, 0, XATTR_BLOCK_CHECKSUM);
  c = crc32cZeros(c, 4);
  return crc32c(c, b, XATTR_BLOCK_CHECKSUM + 4, b.length);
}

// The full name the VFS shows ("user.foo"), or null for an index Ghost does not know.
export function xattrFullName(x: Xattr): string | null {
  const prefix = XATTR_PREFIXES[x.index];
  if (prefix === undefined) return null;
  if (x.index === EXT4_XATTR_INDEX_POSIX_ACL_ACCESS || x.index === EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT) return prefix;
  return prefix + x.name;
}

// ext4's ACL (version 1: 4-byte entries for the owner, group, mask and
// other, 8-byte ones with an id for named users and groups) as the VFS's
// (version 2: every entry 8 bytes, ACL_UNDEFINED_ID where there is no id).
const EXT4_ACL_VERSION = 1;
const POSIX_ACL_XATTR_VERSION = 2;
const ACL_USER = 0x02, ACL_GROUP = 0x08;
const ACL_UNDEFINED_ID = 0xffffffff;
export function aclToXattr(v: Uint8Array): Uint8Array | null {
  if (v.length < 4 || u32(v, 0) !== EXT4_ACL_VERSION) return null;
  const out: number[] = [];
  const entries: [number, number, number][] = [];
  for (let o = 4; o < v.length;) {
    if (o + 4 > v.length) return null;
    const tag = u16(v, o), perm = u16(v, o + 2);
    if (tag === ACL_USER || tag === ACL_GROUP) {
      if (o + 8 > v.length) return null;
      entries.push([tag, perm, u32(v, o + 4)]);
      o += 8;
    } else {
      entries.push([tag, perm, ACL_UNDEFINED_ID]);
      o += 4;
    }
  }
  const b = new Uint8Array(4 + entries.length * 8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, POSIX_ACL_XATTR_VERSION, true);
  entries.forEach(([tag, perm, id], i) => { dv.setUint16(4 + i * 8, tag, true); dv.setUint16(6 + i * 8, perm, true); dv.setUint32(8 + i * 8, id, true); });
  void out;
  return b;
}
