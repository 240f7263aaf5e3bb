// Writing extended attributes (fs/ext4/xattr.c's ext4_xattr_set_handle):
// the in-inode area first, then one external block for what does not fit
// there. The block keeps its entries sorted by (index, name length, name)
// as Linux's lookup expects, values packed from its end (4-byte aligned),
// each entry's hash (ext4_xattr_hash_entry), the block's hash over them
// (ext4_xattr_rehash) and its crc32c. A block shared with other inodes
// (h_refcount > 1, as mbcache shares equal blocks) is never changed in
// place: the inode gets its own copy and the old one's count drops.
// Without room in either place the call is ENOSPC, as ext4 without
// ea_inode.

import { kerr } from "../../lib/errors.js";
import { EINVAL, ENOSPC, EOPNOTSUPP, EPERM } from "../../abi/errno.js";
import { isDir, isReg } from "../inode.js";
import { aclToStore, fromExt4Acl, type AclEntry } from "./acl.js";
import { allocBlocks, freeBlocks } from "./alloc.js";
import { readXattrBlock, xattrBlockCsum, type Xattr } from "./xattr.js";
import {
  u32, INO, EXT4_GOOD_OLD_INODE_SIZE, EXT4_XATTR_MAGIC, XATTR_IBODY_HEADER_SIZE, XATTR_ENTRY_SIZE, XATTR_HEADER_SIZE,
  XATTR_BLOCK_CHECKSUM, EXT4_XATTR_INDEX_SYSTEM, XATTR_PREFIXES, EXT4_XATTR_INDEX_POSIX_ACL_ACCESS,
  EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT,
} from "./layout.js";
import type { Ext4FileInode } from "./file_write.js";

// struct ext4_xattr_header
const H = { magic: 0, refcount: 4, blocks: 8, hash: 12 } as const;
const NAME_HASH_SHIFT = 5, VALUE_HASH_SHIFT = 16, BLOCK_HASH_SHIFT = 16;
const INLINE_DATA_NAME = "data";

const pad4 = (n: number) => (n + 3) & ~3;
const entrySize = (x: Xattr) => pad4(XATTR_ENTRY_SIZE + x.name.length);

// ext4_xattr_hash_entry: the name's bytes (unsigned), then the value's words.
export function xattrHash(x: Xattr): number {
  let h = 0;
  const name = Buffer.from(x.name, "latin1");
  for (const c of name) h = ((h << NAME_HASH_SHIFT) ^ (h >>> (32 - NAME_HASH_SHIFT)) ^ c) >>> 0;
  const words = pad4(x.value.length) / 4;
  const v = new Uint8Array(words * 4);
  v.set(x.value);
  for (let i = 0; i < words; i++) h = ((h << VALUE_HASH_SHIFT) ^ (h >>> (32 - VALUE_HASH_SHIFT)) ^ u32(v, i * 4)) >>> 0;
  return h;
}

// Linux's order of a block's entries (ext4_xattr_find_entry's comparison).
function compare(a: Xattr, b: Xattr): number {
  return a.index - b.index || a.name.length - b.name.length || Buffer.compare(Buffer.from(a.name, "latin1"), Buffer.from(b.name, "latin1"));
}

// Entries from `first`, values packed down from `end` (offsets from `base`),
// a zero word after the entries. The entries' hashes are returned.
function layout(buf: Uint8Array, list: Xattr[], first: number, base: number, end: number, hashed: boolean): number[] {
  const d = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let e = first, v = end;
  const hashes: number[] = [];
  for (const x of list) {
    v -= pad4(x.value.length);
    const h = hashed ? xattrHash(x) : 0; // in-inode entries carry no hash (ext4 leaves it 0)
    buf[e] = x.name.length;
    buf[e + 1] = x.index;
    d.setUint16(e + 2, x.value.length ? v - base : 0, true);
    d.setUint32(e + 4, 0, true);
    d.setUint32(e + 8, x.value.length, true);
    d.setUint32(e + 12, h, true);
    buf.set(Buffer.from(x.name, "latin1"), e + XATTR_ENTRY_SIZE);
    buf.set(x.value, v);
    hashes.push(h);
    e += entrySize(x);
  }
  return hashes;
}

const need = (list: Xattr[]) => list.reduce((s, x) => s + entrySize(x) + pad4(x.value.length), 0) + 4;

// The inode's attributes become `list` (every one but inline data's).
export function writeXattrs(inode: Ext4FileInode, list: Xattr[]): void {
  const sb = inode.sb, bs = sb.blockSizeBytes, r = inode.raw;
  const start = EXT4_GOOD_OLD_INODE_SIZE + inode.extraSize;
  const first = start + XATTR_IBODY_HEADER_SIZE;
  const ibodyRoom = sb.inodeSize > EXT4_GOOD_OLD_INODE_SIZE ? sb.inodeSize - first : 0;
  // Inline data's attribute stays in the inode, ahead of the rest.
  const inline = inode.ibody().filter((x) => x.index === EXT4_XATTR_INDEX_SYSTEM && x.name === INLINE_DATA_NAME);
  const inBody: Xattr[] = [...inline];
  const inBlock: Xattr[] = [];
  // In the inode while they fit (ext4_xattr_ibody_set first), the rest in the block.
  for (const x of list) {
    if (inBlock.length === 0 && need([...inBody, x]) <= ibodyRoom) inBody.push(x);
    else inBlock.push(x);
  }
  inBlock.sort(compare);
  if (inBlock.length && need(inBlock) > bs - XATTR_HEADER_SIZE) kerr(ENOSPC);

  // The block first: an ENOSPC while allocating leaves the inode as it was.
  const old = inode.xattrBlock;
  let block = old;
  if (inBlock.length) {
    const shared = old !== 0 && u32(sb.bread(old, "ext4_xattr_block_set", inode.ino).data, H.refcount) > 1;
    if (!old || shared) {
      block = allocBlocks(sb, sb.groups[Math.floor((inode.ino - 1) / sb.inodesPerGroup)].inodeTable, 1).start;
      if (!old) inode.addBlocks(bs / 512);
      if (shared) dropRef(inode, old, false);
    }
    const bh = sb.bc.getblk(block);
    const b = bh.data;
    b.fill(0);
    const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
    d.setUint32(H.magic, EXT4_XATTR_MAGIC, true);
    d.setUint32(H.refcount, 1, true);
    d.setUint32(H.blocks, 1, true);
    const hashes = layout(b, inBlock, XATTR_HEADER_SIZE, 0, bs, true);
    let h = 0;
    for (const eh of hashes) {
      if (eh === 0) { h = 0; break; }
      h = ((h << BLOCK_HASH_SHIFT) ^ (h >>> (32 - BLOCK_HASH_SHIFT)) ^ eh) >>> 0;
    }
    d.setUint32(H.hash, h, true);
    if (sb.metadataCsum) d.setUint32(XATTR_BLOCK_CHECKSUM, xattrBlockCsum(sb, block, b), true);
    sb.writeBuffer(bh);
  } else if (old) {
    dropRef(inode, old, true);
    block = 0;
  }
  setBlockNr(inode, block);

  if (ibodyRoom > 0) {
    r.fill(0, start, sb.inodeSize);
    if (inBody.length) {
      new DataView(r.buffer, r.byteOffset, r.byteLength).setUint32(start, EXT4_XATTR_MAGIC, true);
      layout(r, inBody, first, first, sb.inodeSize, false);
    }
  }
  inode.touchCtime();
  inode.save();
}

// The inode lets go of an xattr block: freed when it was the last user,
// else its count drops (and its checksum follows).
function dropRef(inode: Ext4FileInode, block: number, countBlocks: boolean): void {
  const sb = inode.sb;
  const bh = sb.bread(block, "ext4_xattr_release_block", inode.ino);
  const refs = u32(bh.data, H.refcount);
  if (refs <= 1) freeBlocks(sb, block, 1);
  else {
    new DataView(bh.data.buffer, bh.data.byteOffset).setUint32(H.refcount, refs - 1, true);
    if (sb.metadataCsum) new DataView(bh.data.buffer, bh.data.byteOffset).setUint32(XATTR_BLOCK_CHECKSUM, xattrBlockCsum(sb, block, bh.data), true);
    sb.writeBuffer(bh);
  }
  if (countBlocks) inode.addBlocks(-sb.blockSizeBytes / 512);
}

function setBlockNr(inode: Ext4FileInode, block: number): void {
  const d = new DataView(inode.raw.buffer, inode.raw.byteOffset);
  d.setUint32(INO.fileAclLo, block % 2 ** 32, true);
  d.setUint16(INO.fileAclHigh, Math.floor(block / 2 ** 32), true);
}

// Every attribute of the inode but inline data's, in the inode's order then the block's.
export function currentXattrs(inode: Ext4FileInode): Xattr[] {
  const list = inode.ibody().filter((x) => !(x.index === EXT4_XATTR_INDEX_SYSTEM && x.name === INLINE_DATA_NAME));
  if (inode.xattrBlock) list.push(...readXattrBlock(inode.sb, inode.ino, inode.xattrBlock));
  return list;
}

// At eviction: the block goes (or its count drops).
export function releaseXattrBlock(inode: Ext4FileInode): void {
  if (!inode.xattrBlock) return;
  dropRef(inode, inode.xattrBlock, true);
  setBlockNr(inode, 0);
}

// What the VFS checks before ext4 sees a change (xattr_permission,
// xattr_resolve_name): user.* attributes live on regular files and
// directories only (EPERM elsewhere), and a namespace prefix alone names
// nothing (EINVAL).
export function checkXattrChange(inode: Ext4FileInode, name: string): void {
  if (name.startsWith("user.") && !isReg(inode.mode) && !isDir(inode.mode)) kerr(EPERM);
  if (name === "user." || name === "trusted." || name === "security.") kerr(EINVAL);
}

// setxattr/removexattr (value null) by full name: user., trusted.,
// security. and the two POSIX ACLs (acl.ts: checked, converted to ext4's
// form, the mode updated); other system. names are EOPNOTSUPP.
export function changeXattr(inode: Ext4FileInode, name: string, value: Uint8Array | null): void {
  let index = -1, suffix = "";
  for (const [i, p] of Object.entries(XATTR_PREFIXES)) {
    if (name.startsWith(p) && (index < 0 || p.length > XATTR_PREFIXES[index].length)) { index = Number(i); suffix = name.slice(p.length); }
  }
  const acl = index === EXT4_XATTR_INDEX_POSIX_ACL_ACCESS || index === EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT;
  if (index < 0 || index === EXT4_XATTR_INDEX_SYSTEM || (acl && suffix !== "")) kerr(EOPNOTSUPP);
  if (inode.isInline) kerr(EOPNOTSUPP);
  if (acl && value) {
    const r = aclToStore(inode, inode.sb.k.current?.cred ?? null, index === EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT, value);
    inode.mode = r.mode;
    value = r.value;
  }
  const list = currentXattrs(inode).filter((x) => !(x.index === index && x.name === suffix));
  if (value) list.push({ index, name: suffix, value });
  writeXattrs(inode, list);
}

// The inode's ACL of that index (access or default), or null.
export function readAcl(inode: Ext4FileInode, index: number): AclEntry[] | null {
  const x = currentXattrs(inode).find((a) => a.index === index);
  return x ? fromExt4Acl(x.value) ?? inode.sb.corrupt("ext4_get_acl", inode.ino, "bad ACL") : null;
}
