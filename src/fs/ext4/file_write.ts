// ext4 inodes that change, the part every kind shares: file data (blocks
// allocated on write, holes left where nothing was written, unwritten
// extents turned written), truncate, the inode's end (ext4_evict_inode),
// attributes, xattrs and ACLs. The namespace operations of directories are
// in write.ts (Ext4RwInode, which extends this class). File data goes to the
// disk through the page cache; metadata, with its checksums, joins the
// journal's running transaction (journal.ts).

import { kerr, KernelError } from "../../lib/errors.js";
import { EEXIST, EISDIR, EINVAL, EOPNOTSUPP, EFBIG, ENOSPC, ENODATA, EPERM } from "../../abi/errno.js";
import { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, isDir, currentTime, type Cred, type Timespec } from "../inode.js";
import { Ext4Inode } from "./inode.js";
import { allocBlocks, freeBlocks, freeInode, usableBlocks, makeRoom } from "./alloc.js";
import { ext4Fallocate } from "./fallocate.js";
import { writeXattrs, currentXattrs, releaseXattrBlock, changeXattr, readAcl, checkXattrChange } from "./xattr_write.js";
import { toExt4Acl, chmodAcl, aclPermits, type AclEntry } from "./acl.js";
import { readExtents, writeExtents, setRange, cutFrom, unmappedIn, type Extent } from "./extent_write.js";
import { orphanAdd, orphanDel } from "./orphan.js";
import { HOLE } from "./extents.js";
import { cached, cachedWrite } from "./file_io.js";
import { indMapAlloc, indTruncate } from "./blockmap_write.js";
import { INO, I_BLOCK_SIZE, EXT4_EXTENTS_FL, EXT4_IMMUTABLE_FL, EXT4_APPEND_FL, EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT } from "./layout.js";

// The last logical block a block map reaches: 12 direct, then per, per², per³.
const IND_MAX_LBLK = (bs: number) => { const per = bs / 4; return Math.min(12 + per + per * per + per * per * per, 2 ** 32 - 1); };
// ext4's limit of 2^32 blocks a file (extents).
const MAX_LBLK = 2 ** 32 - 1;

export class Ext4FileInode extends Ext4Inode {
  protected checkChange(): void {
    this.checkWritable();
    if (this.flags & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL)) kerr(EPERM);
  }

  // --- file data ---------------------------------------------------------

  private extentsOrFail(): { list: Extent[]; treeBlocks: number[] } {
    if (this.isInline) kerr(EOPNOTSUPP); // inline files are read-only in Ghost
    if (!(this.flags & EXT4_EXTENTS_FL)) return { list: [], treeBlocks: [] }; // a block map (prepareIndBlocks)
    return readExtents(this);
  }

  // Maps [first, last] for writing: holes get new blocks, unwritten blocks
  // become written. Those the write does not cover whole are put in
  // `fresh`: their other bytes must be written as zeros. `end` is the
  // first block left unmapped: last + 1, or less when the disk filled up
  // part way (the blocks got so far are kept: a short write, as Linux's).
  protected prepareBlocks(first: number, last: number, partial: (lblk: number) => boolean, fresh?: Set<number>, allocated?: Set<number>): { where: Map<number, number>; end: number } {
    const sb = this.sb, bs = sb.blockSizeBytes;
    if (!(this.flags & EXT4_EXTENTS_FL)) {
      if (this.isInline) kerr(EOPNOTSUPP);
      return this.prepareIndBlocks(first, last, partial, fresh, allocated);
    }
    const { list: start, treeBlocks } = this.extentsOrFail();
    let list = start;
    const where = new Map<number, number>();
    const got: [number, number][] = [];
    let changed = false;
    let lblk = first;
    while (lblk <= last) {
      const e = list.find((x) => x.lblk <= lblk && lblk < x.lblk + x.len);
      if (e && !e.unwritten) {
        const n = Math.min(e.lblk + e.len, last + 1) - lblk;
        for (let i = 0; i < n; i++) where.set(lblk + i, e.pblk + (lblk + i - e.lblk));
        lblk += n;
        continue;
      }
      if (e && e.unwritten) {
        // The block's other bytes must read as zeros now it is written.
        const pblk = e.pblk + (lblk - e.lblk);
        if (partial(lblk)) fresh?.add(lblk);
        allocated?.add(lblk);
        list = setRange(list, { lblk, len: 1, pblk, unwritten: false });
        where.set(lblk, pblk);
        changed = true;
        lblk++;
        continue;
      }
      const next = list.find((x) => x.lblk > lblk);
      const holeEnd = Math.min(last, next ? next.lblk - 1 : MAX_LBLK);
      const prev = [...list].reverse().find((x) => x.lblk < lblk);
      const goal = prev ? prev.pblk + (lblk - prev.lblk) : sb.groups[Math.floor((this.ino - 1) / sb.inodesPerGroup)].inodeTable;
      let run: { start: number; count: number };
      try {
        run = allocBlocks(sb, goal, holeEnd - lblk + 1);
      } catch (err) {
        if (lblk === first || !(err instanceof KernelError) || err.errno !== ENOSPC) throw err;
        break;
      }
      got.push([run.start, run.count]);
      this.addBlocks(run.count * bs / 512);
      for (let i = 0; i < run.count; i++) {
        where.set(lblk + i, run.start + i);
        allocated?.add(lblk + i);
        if (partial(lblk + i)) fresh?.add(lblk + i);
      }
      list = setRange(list, { lblk, len: run.count, pblk: run.start, unwritten: false });
      changed = true;
      lblk += run.count;
    }
    if (changed) {
      try {
        writeExtents(this, list, treeBlocks);
      } catch (err) {
        // No leaf for the new extents: the data blocks go back.
        for (const [b, n] of got) { freeBlocks(sb, b, n); this.addBlocks(-n * bs / 512); }
        throw err;
      }
    }
    return { where, end: lblk };
  }

  // Before an operation that changes the block map under cached pages
  // (truncate, fallocate): they go home and leave the cache, so what is
  // read next comes from the new map (truncate_pagecache).
  settlePages(): void {
    if (!this.mapping) return;
    this.sb.pagecache.writeback(this.mapping);
    this.sb.pagecache.invalidate(this.mapping);
  }

  // prepareBlocks for a block-mapped file (ext2, ext3): one block at a
  // time through the indirect tree (blockmap_write.ts), each near the last.
  private prepareIndBlocks(first: number, last: number, partial: (lblk: number) => boolean, fresh?: Set<number>, allocated?: Set<number>): { where: Map<number, number>; end: number } {
    const sb = this.sb;
    if (last >= IND_MAX_LBLK(sb.blockSizeBytes)) kerr(EFBIG);
    const where = new Map<number, number>();
    let goal = sb.groups[Math.floor((this.ino - 1) / sb.inodesPerGroup)].inodeTable;
    let lblk = first;
    for (; lblk <= last; lblk++) {
      let got: { pblk: number; fresh: boolean };
      try {
        got = indMapAlloc(this, lblk, goal);
      } catch (err) {
        if (lblk === first || !(err instanceof KernelError) || err.errno !== ENOSPC) throw err;
        break;
      }
      where.set(lblk, got.pblk);
      if (got.fresh) { allocated?.add(lblk); if (partial(lblk)) fresh?.add(lblk); }
      goal = got.pblk + 1;
    }
    return { where, end: lblk };
  }

  // Before a write that allocates: room made by a commit if needed (alloc.ts).
  private makeRoom(first: number, last: number): void {
    const j = this.sb.journal;
    if (!j || j.busy.size === 0 || !(this.flags & EXT4_EXTENTS_FL) || last - first + 2 <= usableBlocks(this.sb)) return;
    makeRoom(this.sb, unmappedIn(readExtents(this).list, first, last));
  }

  override fallocate(mode: number, off: number, len: number): boolean {
    this.settlePages();
    ext4Fallocate(this, mode, off, len);
    return true;
  }

  override write(off: number, data: Uint8Array): number {
    let src = data;
    this.checkWritable();
    if (this.flags & EXT4_IMMUTABLE_FL) kerr(EPERM);
    if (isDir(this.mode)) kerr(EISDIR);
    if (src.length === 0) return 0;
    const sb = this.sb, bs = sb.blockSizeBytes;
    let end = off + src.length;
    if (Math.ceil(end / bs) > MAX_LBLK) kerr(EFBIG);
    if (cached(this) && !this.bypassCache) {
      // Through the page cache (file_io.ts): the blocks mapped now, the bytes written back later.
      this.extentsOrFail();
      this.makeRoom(Math.floor(off / bs), Math.floor((end - 1) / bs));
      const n = cachedWrite(this, off, src, (first, last, allocated) => this.prepareBlocks(first, last, () => false, undefined, allocated).end);
      if (off + n > this.size) this.setSizeBytes(off + n);
      this.touchMtime();
      this.save();
      sb.pagecache.balanceDirty();
      return n;
    }
    const first = Math.floor(off / bs);
    let last = Math.floor((end - 1) / bs);
    const partial = (lblk: number) => lblk * bs < off || (lblk + 1) * bs > end;
    const fresh = new Set<number>();
    this.makeRoom(first, last);
    const prep = this.prepareBlocks(first, last, partial, fresh);
    const where = prep.where;
    // A disk that filled up part way: the bytes of the blocks mapped.
    if (prep.end <= last) { last = prep.end - 1; end = prep.end * bs; src = src.subarray(0, end - off); }
    // A new block the write covers in part: zeros around the bytes, one device write.
    for (const lblk of fresh) {
      const block = new Uint8Array(bs);
      const from = Math.max(off, lblk * bs), to = Math.min(end, (lblk + 1) * bs);
      block.set(src.subarray(from - off, to - off), from - lblk * bs);
      sb.bdev.write(where.get(lblk)! * bs, block);
    }
    // Runs of blocks contiguous on disk go in one device write.
    for (let lblk = first; lblk <= last;) {
      const p = where.get(lblk)!;
      if (fresh.has(lblk)) { lblk++; continue; }
      let n = 1;
      while (lblk + n <= last && where.get(lblk + n) === p + n && !fresh.has(lblk + n)) n++;
      const from = Math.max(off, lblk * bs), to = Math.min(end, (lblk + n) * bs);
      sb.bdev.write(p * bs + (from - lblk * bs), src.subarray(from - off, to - off));
      lblk += n;
    }
    if (end > this.size) this.setSizeBytes(end);
    this.touchMtime();
    this.save();
    return src.length;
  }

  // O_DIRECT (file_io.ts directWrite): the write below, around the cache.
  private bypassCache = false;
  override writeDirect(off: number, src: Uint8Array): number {
    this.bypassCache = true;
    try { return this.write(off, src); } finally { this.bypassCache = false; }
  }

  override truncate(size: number): void {
    this.checkChange();
    if (size < 0) kerr(EINVAL);
    if (isDir(this.mode)) kerr(EISDIR);
    const sb = this.sb, bs = sb.blockSizeBytes;
    if (Math.ceil(size / bs) > MAX_LBLK) kerr(EFBIG);
    this.settlePages();
    if (size < this.size) this.cutBlocks(Math.ceil(size / bs));
    // The rest of the last block must read as zeros if the file grows again.
    if (size % bs && size < this.size) {
      const m = this.mapBlock(Math.floor(size / bs));
      if (m.pblk !== HOLE && !m.unwritten) sb.bdev.write(m.pblk * bs + (size % bs), new Uint8Array(bs - (size % bs)));
    }
    this.setSizeBytes(size);
    this.touchMtime();
    this.save();
  }

  // An orphan entry for a truncate a crash cut short: the blocks past the
  // size go (ext4_truncate from ext4_orphan_cleanup).
  cutPastSize(): void {
    this.settlePages();
    this.cutBlocks(Math.ceil(this.size / this.sb.blockSizeBytes));
    this.save();
  }

  private cutBlocks(fromLblk: number): void {
    if (!(this.flags & EXT4_EXTENTS_FL)) {
      if (this.blocks512 === 0 || this.isInline) return;
      indTruncate(this, fromLblk);
      return;
    }
    const { list, treeBlocks } = readExtents(this);
    const cut = cutFrom(list, fromLblk);
    if (!cut.freed.length) return;
    for (const [start, n] of cut.freed) { freeBlocks(this.sb, start, n); this.addBlocks(-n * this.sb.blockSizeBytes / 512); }
    writeExtents(this, cut.list, treeBlocks);
  }

  // --- life and death --------------------------------------------------------

  protected dropLink(): void {
    this.nlink--;
    this.touchCtime();
    this.save();
    // Still open: on the orphan list until the last close (orphan.ts).
    if (this.nlink === 0 && this.openFiles > 0) orphanAdd(this);
    this.maybeRelease();
  }

  override lastClose(): void { this.maybeRelease(); }

  maybeRelease(): void {
    if (this.nlink > 0 || this.openFiles > 0) return;
    this.release();
  }

  // The inode and its blocks go back (ext4_evict_inode): data, tree and
  // xattr block freed, dtime set, the bitmap bit cleared.
  release(): void {
    const sb = this.sb;
    if (this.sb.evicted(this.ino)) return;
    if (this.mapping) sb.pagecache.invalidate(this.mapping); // the data dies with the inode: nothing to write
    orphanDel(this);
    // Data blocks: extents, or a block map (never a fast symlink's target or a device number in i_block).
    const t = this.mode & S_IFMT;
    if (this.flags & EXT4_EXTENTS_FL || t === S_IFREG || t === S_IFDIR || (t === S_IFLNK && this.size >= I_BLOCK_SIZE)) this.cutBlocks(0);
    releaseXattrBlock(this);
    this.setSizeBytes(0);
    new DataView(this.raw.buffer, this.raw.byteOffset).setUint32(INO.dtime, currentTime().sec >>> 0, true);
    this.nlink = 0;
    this.save();
    freeInode(sb, this.ino, isDir(this.mode));
    sb.forget(this.ino);
  }

  // --- attributes ------------------------------------------------------------

  // chmod carries the new bits into an access ACL (posix_acl_chmod).
  // notify_change: no attribute of an immutable or append-only inode changes.
  override setMode(mode: number): void {
    this.checkChange();
    super.setMode(mode);
    const acl = this.accessAcl();
    if (acl) {
      const list = currentXattrs(this).filter((x) => x.index !== EXT4_XATTR_INDEX_POSIX_ACL_ACCESS);
      list.push({ index: EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, name: "", value: toExt4Acl(chmodAcl(acl, this.mode)) });
      this.aclCache = undefined;
      writeXattrs(this, list);
    }
    this.save();
  }
  override setOwner(uid: number, gid: number): void { this.checkChange(); super.setOwner(uid, gid); this.save(); }
  // The VFS refuses times on immutable inodes and explicit times on append-only ones;
  // touching an append-only inode to now is allowed (notify_change).
  override setTimes(atime: Timespec | null, mtime: Timespec | null): void {
    this.checkWritable();
    if (this.flags & EXT4_IMMUTABLE_FL) kerr(EPERM);
    super.setTimes(atime, mtime);
    this.save();
  }

  override touchAtime(now: Timespec): void { this.atime = now; this.save(); }

  // In the inode, then in an xattr block (xattr_write.ts).
  override setxattr(name: string, value: Uint8Array, flags: number): void {
    this.checkChange(); // xattr_permission: EPERM on immutable and append-only inodes
    checkXattrChange(this, name);
    const have = this.getxattr(name) !== null;
    if ((flags & 2) && !have) kerr(ENODATA);
    if ((flags & 1) && have) kerr(EEXIST);
    this.changeXattr(name, value);
  }
  override removexattr(name: string): void {
    this.checkChange();
    checkXattrChange(this, name);
    if (this.getxattr(name) === null) kerr(ENODATA);
    this.changeXattr(name, null);
  }

  private changeXattr(name: string, value: Uint8Array | null): void {
    this.aclCache = undefined;
    changeXattr(this, name, value);
  }

  // The access ACL, parsed once (undefined: not read yet).
  aclCache: AclEntry[] | null | undefined = undefined;
  private accessAcl(): AclEntry[] | null {
    if (this.aclCache === undefined) this.aclCache = readAcl(this, EXT4_XATTR_INDEX_POSIX_ACL_ACCESS);
    return this.aclCache;
  }
  protected defaultAcl(): AclEntry[] | null { return isDir(this.mode) ? readAcl(this, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT) : null; }
  override hasDefaultAcl(): boolean { return this.defaultAcl() !== null; }

  override checkAcl(want: number, cred: Cred): boolean | null {
    const acl = this.accessAcl();
    return acl ? aclPermits(acl, this.gid, cred, want) : null;
  }
}
