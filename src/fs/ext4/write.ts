// ext4 inodes that change: file data (blocks allocated on write, holes
// left where nothing was written, unwritten extents turned written),
// truncate, and the namespace operations (create, mkdir, mknod, symlink,
// link, unlink, rmdir, rename), attributes and in-inode xattrs. File data
// goes to the disk before the call returns; metadata, with its checksums,
// joins the journal's running transaction (journal.ts), so that a clean
// unmount leaves what e2fsck expects.

import { kerr, KernelError } from "../../lib/errors.js";
import { EEXIST, ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EXDEV, EMLINK, ENAMETOOLONG, EOPNOTSUPP, EFBIG, ENOSPC, ENODATA, EPERM } from "../../abi/errno.js";
import { Inode, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, isDir, currentTime, type Cred, type Timespec } from "../inode.js";
import { major, minor } from "../char_dev.js";
import { Ext4Inode } from "./inode.js";
import type { Ext4Super } from "./super.js";
import { allocBlocks, allocInode, freeBlocks, freeInode, usableBlocks, makeRoom } from "./alloc.js";
import { ext4Fallocate } from "./fallocate.js";
import { mayOpenFlagged } from "./ioctl.js";
import { writeXattrs, currentXattrs, releaseXattrBlock, changeXattr, readAcl, checkXattrChange } from "./xattr_write.js";
import { aclCreate, toExt4Acl, chmodAcl, aclPermits, type AclEntry } from "./acl.js";
import { readExtents, writeExtents, setRange, cutFrom, unmappedIn, type Extent } from "./extent_write.js";
import { addToBlock, removeFromBlock, retarget, emptyLeaf, finishLeaf, putDirent, entriesEnd } from "./dir_write.js";
import { dxAddEntry, makeIndexed, candidateLeaves, finishDx, type DxDir } from "./htree.js";
import { dxCountOffset } from "./dir.js";
import { orphanAdd, orphanDel } from "./orphan.js";
import { HOLE } from "./extents.js";
import { cached, cachedWrite } from "./file_io.js";
import { indMapAlloc, indTruncate } from "./blockmap_write.js";

// The last logical block a block map reaches: 12 direct, then per, per², per³.
const IND_MAX_LBLK = (bs: number) => { const per = bs / 4; return Math.min(12 + per + per * per + per * per * per, 2 ** 32 - 1); };
import { u16, u32, INO, I_BLOCK_SIZE, EXT4_EXTENTS_FL, EXT4_INDEX_FL, EXT4_EXT_MAGIC, EXT_HEADER_SIZE, EXT_ENTRY_SIZE,
  EXT4_NAME_LEN, EXT4_GOOD_OLD_INODE_SIZE, INCOMPAT, SB, EXT4_IMMUTABLE_FL, EXT4_APPEND_FL,
  EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT, COMPAT } from "./layout.js";

// ext4's limits: 2^32 blocks a file (extents), 65000 links (EXT4_LINK_MAX).
const EXT4_LINK_MAX = 65000;
const MAX_LBLK = 2 ** 32 - 1;
const FT = { [S_IFREG]: 1, [S_IFDIR]: 2, [S_IFCHR]: 3, [S_IFBLK]: 4, [S_IFIFO]: 5, [S_IFSOCK]: 6, [S_IFLNK]: 7 } as Record<number, number>;
const fileType = (mode: number) => FT[mode & S_IFMT] ?? 0;

export class Ext4RwInode extends Ext4Inode implements DxDir {
  private checkChange(): void {
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
  private prepareBlocks(first: number, last: number, partial: (lblk: number) => boolean, fresh?: Set<number>, allocated?: Set<number>): { where: Map<number, number>; end: number } {
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

  // --- directories -----------------------------------------------------------

  private dirBlock(lblk: number): { pblk: number; data: Uint8Array } {
    const m = this.mapBlock(lblk);
    if (m.pblk === HOLE) this.sb.corrupt("ext4_add_entry", this.ino, `hole in directory at block ${lblk}`);
    return { pblk: m.pblk, data: this.sb.bread(m.pblk, "ext4_add_entry", this.ino).data };
  }

  // A changed directory block, checksummed as what it is: an index block
  // of a hashed directory (dx_tail) or a leaf (the dirent tail).
  private writeDirBlock(lblk: number, pblk: number, data: Uint8Array): void {
    const dx = this.flags & EXT4_INDEX_FL ? dxCountOffset(data, this.sb.blockSizeBytes, lblk, true) : -1;
    if (dx >= 0) finishDx(this.sb, this.csumSeed, data, dx);
    else finishLeaf(this.sb, this.csumSeed, data);
    this.sb.writeBuffer(this.sb.bc.getblk(pblk));
  }

  // --- the htree code's view of this directory (htree.ts) ---
  dxBlock(lblk: number): Uint8Array { return this.dirBlock(lblk).data; }
  dxWrite(lblk: number): void { const b = this.dirBlock(lblk); this.writeDirBlock(lblk, b.pblk, b.data); }
  dxAppend(): number {
    const bs = this.sb.blockSizeBytes, lblk = Math.ceil(this.size / bs);
    const pblk = this.prepareBlocks(lblk, lblk, () => false).where.get(lblk)!;
    this.sb.bc.getblk(pblk).data.fill(0);
    this.setSizeBytes((lblk + 1) * bs);
    return lblk;
  }

  private get indexed(): boolean { return (this.flags & EXT4_INDEX_FL) !== 0; }

  addEntry(name: string, ino: number, mode: number): void {
    if (this.isInline) kerr(EOPNOTSUPP);
    if (name.length > EXT4_NAME_LEN) kerr(ENAMETOOLONG);
    const bs = this.sb.blockSizeBytes, ft = this.sb.hasIncompat(INCOMPAT.FILETYPE) ? fileType(mode) : 0;
    const nblocks = Math.ceil(this.size / bs);
    if (this.indexed) dxAddEntry(this, name, ino, ft);
    else {
      let placed = false;
      for (let lblk = nblocks - 1; lblk >= 0 && !placed; lblk--) {
        const { pblk, data } = this.dirBlock(lblk);
        if (addToBlock(this.sb, data, ino, name, ft)) { this.writeDirBlock(lblk, pblk, data); placed = true; }
      }
      if (!placed && nblocks === 1 && this.sb.hasCompat(COMPAT.DIR_INDEX)) {
        // A directory outgrowing its first block gets an index (as ext4_add_entry with dir_index).
        this.flags |= EXT4_INDEX_FL;
        makeIndexed(this);
        dxAddEntry(this, name, ino, ft);
      } else if (!placed) {
        const lblk = this.dxAppend();
        const { pblk, data } = this.dirBlock(lblk);
        emptyLeaf(this.sb, this.csumSeed, data);
        putDirent(data, 0, ino, entriesEnd(this.sb), name, ft);
        this.writeDirBlock(lblk, pblk, data);
      }
    }
    this.dirNames().set(name, { ino, name, fileType: ft, off: 0, recLen: 0 });
    this.invalidateDir();
    this.touchMtime();
    this.save();
  }

  // The blocks to search for a name: the leaves its hash selects first in a
  // hashed directory, then (never expected) every block.
  private blocksFor(name: string): number[] {
    const all = [...Array(Math.ceil(this.size / this.sb.blockSizeBytes)).keys()];
    if (!this.indexed || name === "." || name === "..") return all;
    const first = candidateLeaves(this, name);
    return [...first, ...all.filter((l) => !first.includes(l))];
  }

  removeEntry(name: string): void {
    for (const lblk of this.blocksFor(name)) {
      const { pblk, data } = this.dirBlock(lblk);
      if (removeFromBlock(this.sb, data, name)) {
        this.writeDirBlock(lblk, pblk, data);
        this.dirNames().delete(name);
        this.invalidateDir();
        this.touchMtime();
        this.save();
        return;
      }
    }
    this.sb.corrupt("ext4_delete_entry", this.ino, `entry ${name} not found`);
  }

  private setEntry(name: string, ino: number, mode: number): void {
    const ft = this.sb.hasIncompat(INCOMPAT.FILETYPE) ? fileType(mode) : 0;
    if (name === "..") {
      // ".." is the second entry of block 0, also in an index root (where it spans the block).
      const { pblk, data } = this.dirBlock(0);
      new DataView(data.buffer, data.byteOffset).setUint32(12, ino, true);
      this.writeDirBlock(0, pblk, data);
      this.invalidateDir();
      return;
    }
    for (const lblk of this.blocksFor(name)) {
      const { pblk, data } = this.dirBlock(lblk);
      if (retarget(this.sb, data, name, ino, ft)) {
        this.writeDirBlock(lblk, pblk, data);
        this.dirNames().set(name, { ino, name, fileType: ft, off: 0, recLen: 0 });
        this.invalidateDir();
        return;
      }
    }
  }

  private newInode(mode: number, cred: Cred): Ext4RwInode {
    const sb = this.sb;
    const ino = allocInode(sb, this.ino, isDir(mode));
    const raw = new Uint8Array(sb.inodeSize);
    const d = new DataView(raw.buffer);
    if (sb.inodeSize > EXT4_GOOD_OLD_INODE_SIZE) d.setUint16(INO.extraIsize, Math.min(u16(sb.raw, SB.wantExtraIsize) || 32, sb.inodeSize - EXT4_GOOD_OLD_INODE_SIZE), true);
    d.setUint16(INO.mode, mode, true);
    d.setUint32(INO.generation, sb.nextGeneration(), true);
    const inode = sb.newInode(ino, raw) as Ext4RwInode;
    inode.mode = mode;
    inode.uid = cred.fsuid;
    // A set-group-id directory passes its group on (and its bit to subdirectories).
    if (this.mode & 0o2000) { inode.gid = this.gid; if (isDir(mode)) inode.mode |= 0o2000; } else inode.gid = cred.fsgid;
    inode.nlink = 1;
    const t = currentTime();
    inode.atime = t; inode.mtime = t; inode.ctime = t; inode.btime = t;
    const type = mode & S_IFMT;
    if ((type === S_IFREG || type === S_IFDIR) && sb.hasIncompat(INCOMPAT.EXTENTS)) inode.startExtents();
    // Under a default ACL (posix_acl_create; the VFS left the umask out):
    // the mode masked by it, an access ACL when the mode cannot say it
    // all, and a directory inherits the default ACL itself.
    const dflt = type === S_IFLNK ? null : this.defaultAcl();
    if (dflt) {
      const r = aclCreate(dflt, inode.mode);
      inode.mode = r.mode;
      const list = [];
      if (r.access) list.push({ index: EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, name: "", value: toExt4Acl(r.access) });
      if (type === S_IFDIR) list.push({ index: EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT, name: "", value: toExt4Acl(dflt) });
      if (list.length) writeXattrs(inode, list);
    }
    return inode;
  }

  startExtents(): void {
    this.flags |= EXT4_EXTENTS_FL;
    const d = new DataView(this.iblock.buffer, this.iblock.byteOffset, I_BLOCK_SIZE);
    d.setUint16(0, EXT4_EXT_MAGIC, true);
    d.setUint16(2, 0, true);
    d.setUint16(4, (I_BLOCK_SIZE - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE, true);
    d.setUint16(6, 0, true);
  }

  private checkNew(name: string): void {
    this.checkWritable();
    if (this.flags & EXT4_IMMUTABLE_FL) kerr(EPERM); // an immutable directory takes no new names
    if (!isDir(this.mode)) kerr(ENOTDIR);
    if (this.nlink === 0) kerr(ENOENT);
    if (name.length > EXT4_NAME_LEN) kerr(ENAMETOOLONG);
    if (this.lookup(name)) kerr(EEXIST);
  }

  private finishNew(name: string, inode: Ext4RwInode): Inode {
    inode.save();
    try {
      this.addEntry(name, inode.ino, inode.mode);
    } catch (e) {
      inode.nlink = 0;
      inode.release();
      throw e;
    }
    return inode;
  }

  override create(name: string, mode: number, cred: Cred): Inode {
    this.checkNew(name);
    return this.finishNew(name, this.newInode(S_IFREG | (mode & 0o7777), cred));
  }

  override mknod(name: string, mode: number, rdev: number, cred: Cred): Inode {
    if ((mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0) return this.create(name, mode, cred);
    this.checkNew(name);
    const inode = this.newInode(mode, cred);
    const t = mode & S_IFMT;
    if (t === S_IFCHR || t === S_IFBLK) {
      inode.rdev = rdev;
      const d = new DataView(inode.iblock.buffer, inode.iblock.byteOffset, I_BLOCK_SIZE);
      const ma = major(rdev), mi = minor(rdev);
      // Old encoding when both fit a byte (old_valid_dev), else the new one in i_block[1].
      if (ma < 256 && mi < 256) d.setUint32(0, (ma << 8) | mi, true);
      else d.setUint32(4, ((mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)) >>> 0, true);
    }
    return this.finishNew(name, inode);
  }

  override mkdir(name: string, mode: number, cred: Cred): Inode {
    this.checkNew(name);
    if (this.nlink >= EXT4_LINK_MAX && !this.sb.hasRoCompat(0x20)) kerr(EMLINK);
    const dir = this.newInode(S_IFDIR | (mode & 0o7777), cred);
    dir.nlink = 2;
    const pblk = dir.prepareBlocks(0, 0, () => false).where.get(0)!;
    const bh = this.sb.bc.getblk(pblk);
    bh.data.fill(0);
    putDirent(bh.data, 0, dir.ino, 12, ".", 2);
    putDirent(bh.data, 12, this.ino, entriesEnd(this.sb) - 12, "..", 2);
    dir.writeDirBlock(0, pblk, bh.data);
    dir.setSizeBytes(this.sb.blockSizeBytes);
    this.finishNew(name, dir);
    // dir_nlink: past the limit a directory's count stays 1 ("many").
    this.nlink = this.nlink >= EXT4_LINK_MAX || this.nlink === 1 ? 1 : this.nlink + 1;
    this.save();
    return dir;
  }

  override symlink(name: string, target: string, cred: Cred): Inode {
    this.checkNew(name);
    const inode = this.newInode(S_IFLNK | 0o777, cred);
    const bytes = Buffer.from(target, "latin1");
    if (bytes.length >= this.sb.blockSizeBytes) kerr(ENAMETOOLONG);
    if (bytes.length < I_BLOCK_SIZE) {
      inode.iblock.set(bytes); // a fast symlink
      inode.setSizeBytes(bytes.length);
    } else {
      if (this.sb.hasIncompat(INCOMPAT.EXTENTS)) inode.startExtents();
      inode.save();
      inode.write(0, bytes);
    }
    return this.finishNew(name, inode);
  }

  override link(name: string, target: Inode): void {
    this.checkNew(name);
    if (!(target instanceof Ext4RwInode) || target.sb !== this.sb) kerr(EXDEV);
    if (target.flags & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL)) kerr(EPERM); // as vfs_link
    if (target.nlink >= EXT4_LINK_MAX) kerr(EMLINK);
    this.addEntry(name, target.ino, target.mode);
    target.nlink++;
    target.touchCtime();
    target.save();
  }

  // A name to remove or rename away: as may_delete, not from an immutable or
  // append-only directory, nor an immutable or append-only inode.
  private child(name: string): Ext4RwInode {
    this.checkWritable();
    const i = this.lookup(name) as Ext4RwInode | null;
    if (!i) kerr(ENOENT);
    if ((this.flags | i.flags) & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL)) kerr(EPERM);
    return i;
  }

  override mayOpen(flags: number): void { mayOpenFlagged(this, flags); }

  private isEmptyDir(): boolean {
    return this.dirEntries().every((e) => e.name === "." || e.name === "..");
  }

  override unlink(name: string): void {
    const i = this.child(name);
    if (isDir(i.mode)) kerr(EISDIR);
    this.removeEntry(name);
    i.dropLink();
  }

  override rmdir(name: string): void {
    const i = this.child(name);
    if (!isDir(i.mode)) kerr(ENOTDIR);
    if (!i.isEmptyDir()) kerr(ENOTEMPTY);
    this.removeEntry(name);
    i.nlink = 0;
    i.dead = true;
    i.touchCtime();
    i.maybeRelease();
    if (this.nlink > 2) this.nlink--;
    this.save();
  }

  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    this.checkWritable();
    if (!(newDir instanceof Ext4RwInode) || newDir.sb !== this.sb) kerr(EXDEV);
    const NOREPLACE = 1, EXCHANGE = 2;
    if (flags & EXCHANGE) { this.exchange(oldName, newDir, newName); return; }
    const src = this.child(oldName);
    const dst = newDir.lookup(newName) as Ext4RwInode | null;
    if (newDir.flags & EXT4_IMMUTABLE_FL) kerr(EPERM);
    if (dst && ((newDir.flags | dst.flags) & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL))) kerr(EPERM);
    if (dst === src) return;
    if (dst) {
      if (flags & NOREPLACE) kerr(EEXIST);
      if (isDir(src.mode)) {
        if (!isDir(dst.mode)) kerr(ENOTDIR);
        if (!dst.isEmptyDir()) kerr(ENOTEMPTY);
      } else if (isDir(dst.mode)) kerr(EISDIR);
      newDir.setEntry(newName, src.ino, src.mode);
      if (isDir(dst.mode)) { dst.nlink = 0; dst.dead = true; dst.maybeRelease(); if (newDir.nlink > 2) newDir.nlink--; }
      else dst.dropLink();
    } else {
      newDir.addEntry(newName, src.ino, src.mode);
    }
    this.removeEntry(oldName);
    if (isDir(src.mode) && newDir !== this) {
      src.setEntry("..", newDir.ino, S_IFDIR);
      src.save();
      if (this.nlink > 2) this.nlink--;
      newDir.nlink = newDir.nlink >= EXT4_LINK_MAX || newDir.nlink === 1 ? 1 : newDir.nlink + 1;
    }
    src.touchCtime();
    src.save();
    this.touchMtime(); this.save();
    newDir.touchMtime(); newDir.save();
  }

  // RENAME_EXCHANGE (ext4_cross_rename): the two names swap inodes; each
  // directory moved to the other parent gets its ".." changed, and the
  // parents' link counts follow when only one of the two is a directory.
  private exchange(oldName: string, newDir: Ext4RwInode, newName: string): void {
    const a = this.child(oldName), b = newDir.child(newName);
    if (a === b) return;
    this.setEntry(oldName, b.ino, b.mode);
    newDir.setEntry(newName, a.ino, a.mode);
    if (newDir !== this) {
      if (isDir(a.mode)) a.setEntry("..", newDir.ino, S_IFDIR);
      if (isDir(b.mode)) b.setEntry("..", this.ino, S_IFDIR);
      if (isDir(a.mode) !== isDir(b.mode)) {
        const [gains, loses] = isDir(a.mode) ? [newDir, this] : [this, newDir];
        gains.nlink = gains.nlink >= EXT4_LINK_MAX || gains.nlink === 1 ? 1 : gains.nlink + 1;
        if (loses.nlink > 2) loses.nlink--;
      }
    }
    for (const i of [a, b]) { i.touchCtime(); i.save(); }
    this.touchMtime(); this.save();
    newDir.touchMtime(); newDir.save();
  }

  // --- life and death --------------------------------------------------------

  private dropLink(): void {
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
  override setTimes(atime: Timespec | null, mtime: Timespec | null): void { this.checkChange(); super.setTimes(atime, mtime); this.save(); }

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
  private defaultAcl(): AclEntry[] | null { return isDir(this.mode) ? readAcl(this, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT) : null; }
  override hasDefaultAcl(): boolean { return this.defaultAcl() !== null; }

  override checkAcl(want: number, cred: Cred): boolean | null {
    const acl = this.accessAcl();
    return acl ? aclPermits(acl, this.gid, cred, want) : null;
  }
}

export function newRwInode(sb: Ext4Super, ino: number, raw: Uint8Array): Ext4RwInode { return new Ext4RwInode(sb, ino, raw); }
void u32;

// Every operation that changes the filesystem runs as one journal handle
// (ext4_journal_start/stop around each VFS call) of the running
// transaction; calls made inside one (symlink writing its target) join it.
for (const name of ["write", "fallocate", "setFlags", "truncate", "create", "mknod", "mkdir", "symlink", "link", "unlink", "rmdir", "rename",
  "setMode", "setOwner", "setTimes", "setxattr", "removexattr", "lastClose"] as const) {
  const proto = Ext4RwInode.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const op = proto[name];
  proto[name] = function (this: Ext4RwInode, ...args: unknown[]) { return this.sb.transaction(() => op.apply(this, args)); };
}
