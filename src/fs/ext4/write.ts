// ext4 inodes that change, as Linux's fs/ext4/namei.c: directory entries
// (linear and htree), the namespace operations (create, mkdir, mknod,
// symlink, link, unlink, rmdir, rename with RENAME_NOREPLACE and
// RENAME_EXCHANGE) and new inodes. What every inode shares (file data,
// truncate, the inode's end, attributes, xattrs) is Ext4FileInode
// (file_write.ts). Metadata, with its checksums, joins the journal's
// running transaction (journal.ts), one handle per VFS call (below), so
// that a clean unmount leaves what e2fsck expects.

import { kerr } from "../../lib/errors.js";
import { EEXIST, ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EXDEV, EMLINK, ENAMETOOLONG, EOPNOTSUPP, EPERM } from "../../abi/errno.js";
import { Inode, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, isDir, currentTime, type Cred } from "../inode.js";
import { major, minor } from "../char_dev.js";
import { RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT } from "../../abi/fcntl.js";
import type { Ext4Super } from "./super.js";
import { allocInode } from "./alloc.js";
import { mayOpenFlagged } from "./ioctl.js";
import { writeXattrs } from "./xattr_write.js";
import { aclCreate, toExt4Acl } from "./acl.js";
import { addToBlock, removeFromBlock, retarget, emptyLeaf, finishLeaf, putDirent, entriesEnd } from "./dir_write.js";
import { dxAddEntry, makeIndexed, candidateLeaves, finishDx, type DxDir } from "./htree.js";
import { dxCountOffset } from "./dir.js";
import { HOLE } from "./extents.js";
import { Ext4FileInode } from "./file_write.js";
import { u16, INO, I_BLOCK_SIZE, EXT4_EXTENTS_FL, EXT4_INDEX_FL, EXT4_EXT_MAGIC, EXT_HEADER_SIZE, EXT_ENTRY_SIZE, EXT4_NAME_LEN, EXT4_GOOD_OLD_INODE_SIZE, INCOMPAT, SB, EXT4_IMMUTABLE_FL, EXT4_APPEND_FL, EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT, COMPAT } from "./layout.js";


// ext4's limit of 65000 links (EXT4_LINK_MAX).
const EXT4_LINK_MAX = 65000;
const FT = { [S_IFREG]: 1, [S_IFDIR]: 2, [S_IFCHR]: 3, [S_IFBLK]: 4, [S_IFIFO]: 5, [S_IFSOCK]: 6, [S_IFLNK]: 7 } as Record<number, number>;
const fileType = (mode: number) => FT[mode & S_IFMT] ?? 0;

export class Ext4RwInode extends Ext4FileInode implements DxDir {
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

  override rename(oldName: string, newDir: Inode, newName: string, flags: number, cred?: Cred): void {
    this.checkWritable();
    if (!(newDir instanceof Ext4RwInode) || newDir.sb !== this.sb) kerr(EXDEV);
    if (flags & RENAME_EXCHANGE) { this.exchange(oldName, newDir, newName); return; }
    const src = this.child(oldName);
    const dst = newDir.lookup(newName) as Ext4RwInode | null;
    if (newDir.flags & EXT4_IMMUTABLE_FL) kerr(EPERM);
    if (dst && ((newDir.flags | dst.flags) & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL))) kerr(EPERM);
    if (dst === src) return;
    if (dst) {
      if (flags & RENAME_NOREPLACE) kerr(EEXIST);
      if (isDir(src.mode)) {
        if (!isDir(dst.mode)) kerr(ENOTDIR);
        if (!dst.isEmptyDir()) kerr(ENOTEMPTY);
      } else if (isDir(dst.mode)) kerr(EISDIR);
    }
    // RENAME_WHITEOUT (ext4_whiteout_for_rename): the whiteout inode, a
    // character device 0:0 with mode 0, is made before any entry changes, so
    // without an inode for it the rename fails whole; it then takes the old
    // name's entry in place (ext4_setent), which needs no new space.
    const whiteout = flags & RENAME_WHITEOUT && cred ? this.newInode(S_IFCHR, cred) : null;
    if (whiteout) whiteout.save();
    try {
      this.moveEntry(src, oldName, newDir, newName, dst, whiteout);
    } catch (e) {
      if (whiteout) { whiteout.nlink = 0; whiteout.release(); }
      throw e;
    }
  }

  private moveEntry(src: Ext4RwInode, oldName: string, newDir: Ext4RwInode, newName: string, dst: Ext4RwInode | null, whiteout: Ext4RwInode | null): void {
    if (dst) {
      newDir.setEntry(newName, src.ino, src.mode);
      if (isDir(dst.mode)) { dst.nlink = 0; dst.dead = true; dst.maybeRelease(); if (newDir.nlink > 2) newDir.nlink--; }
      else dst.dropLink();
    } else {
      newDir.addEntry(newName, src.ino, src.mode);
    }
    if (whiteout) this.setEntry(oldName, whiteout.ino, whiteout.mode);
    else this.removeEntry(oldName);
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

}


export function newRwInode(sb: Ext4Super, ino: number, raw: Uint8Array): Ext4RwInode { return new Ext4RwInode(sb, ino, raw); }

// Every operation that changes the filesystem runs as one journal handle
// (ext4_journal_start/stop around each VFS call) of the running
// transaction; calls made inside one (symlink writing its target) join it.
for (const name of ["write", "fallocate", "setFlags", "truncate", "create", "mknod", "mkdir", "symlink", "link", "unlink", "rmdir", "rename",
  "setMode", "setOwner", "setTimes", "touchAtime", "setxattr", "removexattr", "lastClose"] as const) {
  const proto = Ext4RwInode.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const op = proto[name];
  proto[name] = function (this: Ext4RwInode, ...args: unknown[]) { return this.sb.transaction(() => op.apply(this, args)); };
}
