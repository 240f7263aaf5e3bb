// FS_IOC_FIEMAP on an ext4 (ext2/3) file, as ext4_fiemap through iomap:
// the mapped extents of [fm_start, fm_start + fm_length), from the block
// map (extent tree or indirect blocks; the latter's runs are MERGED), with
// LAST on the file's last one, UNWRITTEN for preallocated blocks and
// DATA_INLINE for inline data. Flags other than SYNC, XATTR and CACHE:
// EBADR, the unknown ones written back in fm_flags (fiemap_prep). XATTR
// (the extended attribute block) reports no extents in Ghost.

import { kerr } from "../../lib/errors.js";
import { EBADR, EINVAL, EFBIG } from "../../abi/errno.js";
import {
  FIEMAP_SIZE, FIEMAP_EXTENT_SIZE, FIEMAP_FLAG_SYNC, FIEMAP_FLAG_XATTR, FIEMAP_FLAG_CACHE, FIEMAP_EXTENT_LAST,
  FIEMAP_EXTENT_UNWRITTEN, FIEMAP_EXTENT_MERGED, FIEMAP_EXTENT_DATA_INLINE,
} from "../../abi/fiemap.js";
import { HOLE } from "./extents.js";
import { EXT4_EXTENTS_FL } from "./layout.js";
import type { Ext4Inode } from "./inode.js";

// FIEMAP_MAX_EXTENTS: (UINT_MAX / sizeof(struct fiemap_extent)) - 1
const FIEMAP_MAX_EXTENTS = Math.floor(0xffffffff / FIEMAP_EXTENT_SIZE) - 1;
const SUPPORTED = FIEMAP_FLAG_SYNC | FIEMAP_FLAG_XATTR | FIEMAP_FLAG_CACHE;
// s_maxbytes of a 4 KiB-block extent file (2^32 blocks).
const MAX_BYTES = 2 ** 44;

interface Extent { logical: number; physical: number; length: number; flags: number }

export function fiemap(inode: Ext4Inode, arg: number, io: { copyIn(va: number, n: number): Uint8Array; copyOut(va: number, b: Uint8Array): void }): number {
  const head = io.copyIn(arg, FIEMAP_SIZE);
  const dv = new DataView(head.buffer, head.byteOffset, FIEMAP_SIZE);
  const start = Number(dv.getBigUint64(0, true));
  let len = Number(dv.getBigUint64(8, true));
  const flags = dv.getUint32(16, true);
  const count = dv.getUint32(24, true);
  if (count > FIEMAP_MAX_EXTENTS) kerr(EINVAL);
  if (flags & ~SUPPORTED) {
    dv.setUint32(16, flags & ~SUPPORTED, true);
    io.copyOut(arg, head);
    kerr(EBADR);
  }
  if (len === 0) kerr(EINVAL);
  if (start >= MAX_BYTES) kerr(EFBIG);
  len = Math.min(len, MAX_BYTES - start);
  if (flags & FIEMAP_FLAG_SYNC) inode.writebackData();

  const found: Extent[] = flags & FIEMAP_FLAG_XATTR ? [] : extents(inode, start, len);
  const out = new Uint8Array(FIEMAP_EXTENT_SIZE);
  const ev = new DataView(out.buffer);
  let mapped = 0;
  for (const e of found) {
    if (count === 0) { mapped++; continue; }
    if (mapped === count) break;
    out.fill(0);
    ev.setBigUint64(0, BigInt(e.logical), true);
    ev.setBigUint64(8, BigInt(e.physical), true);
    ev.setBigUint64(16, BigInt(e.length), true);
    ev.setUint32(40, e.flags, true);
    io.copyOut(arg + FIEMAP_SIZE + mapped * FIEMAP_EXTENT_SIZE, out);
    mapped++;
  }
  dv.setUint32(20, mapped, true);
  io.copyOut(arg, head);
  return 0;
}

// The file's extents overlapping [start, start + len), in logical order.
function extents(inode: Ext4Inode, start: number, len: number): Extent[] {
  const size = inode.size;
  if (inode.isInline) return size > 0 && start < size ? [{ logical: 0, physical: 0, length: size, flags: FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_LAST }] : [];
  const bs = inode.sb.blockSizeBytes;
  const merged = inode.flags & EXT4_EXTENTS_FL ? 0 : FIEMAP_EXTENT_MERGED;
  const endBlk = Math.ceil(size / bs);
  const first = Math.floor(start / bs), last = Math.min(endBlk, Math.ceil((start + len) / bs));
  const out: Extent[] = [];
  let cur: Extent | null = null;
  for (let lblk = first; lblk < endBlk;) {
    const m = inode.mapBlock(lblk);
    const n = Math.max(1, Math.min(m.len, endBlk - lblk));
    if (m.pblk !== HOLE) {
      const flags = (m.unwritten ? FIEMAP_EXTENT_UNWRITTEN : 0) | merged;
      if (lblk >= last) { out.push({ logical: -1, physical: 0, length: 0, flags: 0 }); break; }
      if (cur && cur.logical + cur.length === lblk * bs && cur.physical + cur.length === m.pblk * bs && cur.flags === flags) {
        cur.length += n * bs;
      } else {
        cur = { logical: lblk * bs, physical: m.pblk * bs, length: n * bs, flags };
        out.push(cur);
      }
    } else cur = null;
    lblk += n;
  }
  // A marker past the range: the last reported extent is not the file's last.
  const more = out.length > 0 && out[out.length - 1].logical === -1;
  if (more) out.pop();
  else if (out.length) out[out.length - 1].flags |= FIEMAP_EXTENT_LAST;
  return out;
}
