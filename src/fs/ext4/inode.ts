// ext4 inodes as the VFS sees them: attributes decoded from the on-disk
// inode (32-bit ids, nanosecond timestamps with the epoch bits, 48-bit
// block counts), file data through the extent tree or the old block map
// (holes and unwritten extents read as zeros), inline data, directories
// (linear and htree, every block's checksum verified), fast and slow
// symlinks, device nodes, and extended attributes.

import { kerr } from "../../lib/errors.js";
import { ENOENT, ENOTDIR, EINVAL } from "../../abi/errno.js";
import { Inode, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, isDir, isLnk, dtype, type DirEntry, type Timespec } from "../inode.js";
import type { File, FileOps } from "../file.js";
import { openDevice, makedev } from "../char_dev.js";
import { ext4FileOps } from "./ioctl.js";
import { cached, cachedRead } from "./file_io.js";
import type { FileMapping } from "./pagecache.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import type { Ext4Super } from "./super.js";
import { u16, u32, EXT4_IMMUTABLE_FL, EXT4_APPEND_FL } from "./layout.js";
import { STATX_ATTR_COMPRESSED, STATX_ATTR_IMMUTABLE, STATX_ATTR_APPEND, STATX_ATTR_NODUMP, STATX_ATTR_ENCRYPTED, STATX_ATTR_VERITY } from "../../abi/stat.js";
import { extentMap, blockMap, HOLE, type Mapping, type MappedInode } from "./extents.js";
import { parseDirents, hasDirTail, dirLeafCsum, dxCountOffset, dxCsum, type RawDirent } from "./dir.js";
import { parseXattrs, readXattrBlock, xattrFullName, aclToXattr, type Xattr } from "./xattr.js";
import {
  INO, EXT4_GOOD_OLD_INODE_SIZE, I_BLOCK_SIZE, EXT4_EXTENTS_FL, EXT4_INDEX_FL, EXT4_INLINE_DATA_FL, EXT4_HUGE_FILE_FL,
  EXT4_XATTR_MAGIC, XATTR_IBODY_HEADER_SIZE, EXT4_XATTR_INDEX_SYSTEM, EXT4_INLINE_DOTDOT_SIZE, EXT4_DIR_TAIL_SIZE,
  RO_COMPAT, EXT4_XATTR_INDEX_POSIX_ACL_ACCESS, EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT,
} from "./layout.js";

const VALID_TYPES = new Set([S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK]);
const INLINE_DATA_NAME = "data";

// A timestamp: 32 signed bits of seconds, and in the extra field two epoch
// bits (seconds 2^32 and 2^33) and 30 bits of nanoseconds.
function decodeTime(raw: Uint8Array, secOff: number, extraOff: number, hasExtra: boolean): Timespec {
  const lo = u32(raw, secOff) | 0;
  if (!hasExtra) return { sec: lo, nsec: 0 };
  const extra = u32(raw, extraOff);
  const nsec = extra >>> 2;
  return { sec: lo + (extra & 3) * 2 ** 32, nsec: nsec < 1e9 ? nsec : 0 };
}

export class Ext4Inode extends Inode implements MappedInode {
  // S_IMMUTABLE and S_APPEND for the VFS's own checks (ext4_set_inode_flags):
  // ext4 keeps them at FS_IMMUTABLE_FL's and FS_APPEND_FL's values.
  override inodeFlags(): number { return this.flags & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL); }
  override writebackData(): void {
    super.writebackData();
    if (this.mapping) this.sb.pagecache.writeback(this.mapping);
  }
  // ext4_getattr: the inode flags statx shows (their STATX_ATTR_* bits are
  // the flags' own values), and all of them in the mask, set or not.
  override statxAttributes(): { attrs: number; mask: number } {
    const mask = STATX_ATTR_COMPRESSED | STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP | STATX_ATTR_ENCRYPTED | STATX_ATTR_VERITY;
    return { attrs: this.flags & mask, mask };
  }
  raw: Uint8Array;
  flags = 0;
  generation = 0;
  csumSeed = 0;
  private sizeBytes = 0;
  private blockCount = 0;
  // A directory's names, read once (a lookup in a big directory is then one Map get).
  private names: Map<string, RawDirent> | null = null;
  private dirList: RawDirent[] | null = null;
  // Cached pages of a regular file's data (pagecache.ts), once read or written.
  mapping: FileMapping | null = null;

  constructor(readonly sb: Ext4Super, readonly ino: number, raw: Uint8Array) {
    super();
    this.raw = raw;
    this.decode();
  }

  get iblock(): Uint8Array { return this.raw.subarray(INO.block, INO.block + I_BLOCK_SIZE); }
  private get extraIsize(): number { return this.sb.inodeSize > EXT4_GOOD_OLD_INODE_SIZE ? u16(this.raw, INO.extraIsize) : 0; }

  private decode(): void {
    const r = this.raw, sb = this.sb;
    this.mode = u16(r, INO.mode);
    if (!VALID_TYPES.has(this.mode & S_IFMT)) sb.corrupt("ext4_iget", this.ino, `bad inode mode 0${this.mode.toString(8)}`);
    this.uid = u16(r, INO.uidLo) | (u16(r, INO.uidHigh) << 16);
    this.gid = u16(r, INO.gidLo) | (u16(r, INO.gidHigh) << 16);
    this.uid >>>= 0; this.gid >>>= 0;
    this.nlink = u16(r, INO.linksCount);
    this.flags = u32(r, INO.flags);
    this.generation = u32(r, INO.generation);
    this.sizeBytes = u32(r, INO.sizeLo) + u32(r, INO.sizeHigh) * 2 ** 32;
    const extra = this.extraIsize;
    if (sb.inodeSize > EXT4_GOOD_OLD_INODE_SIZE && (extra > sb.inodeSize - EXT4_GOOD_OLD_INODE_SIZE || extra % 4))
      sb.corrupt("ext4_iget", this.ino, `bad extra_isize ${extra} (inode size ${sb.inodeSize})`);
    const has = (field: number) => EXT4_GOOD_OLD_INODE_SIZE + extra >= field + 4;
    this.atime = decodeTime(r, INO.atime, INO.atimeExtra, has(INO.atimeExtra));
    this.mtime = decodeTime(r, INO.mtime, INO.mtimeExtra, has(INO.mtimeExtra));
    this.ctime = decodeTime(r, INO.ctime, INO.ctimeExtra, has(INO.ctimeExtra));
    this.btime = has(INO.crtimeExtra) ? decodeTime(r, INO.crtime, INO.crtimeExtra, true) : this.ctime;
    let blocks = u32(r, INO.blocksLo);
    if (sb.hasRoCompat(RO_COMPAT.HUGE_FILE)) blocks += u16(r, INO.blocksHigh) * 2 ** 32;
    if (this.flags & EXT4_HUGE_FILE_FL) blocks *= sb.blockSizeBytes / 512;
    this.blockCount = blocks;
    this.csumSeed = sb.metadataCsum ? sb.inodeCsumSeed(this.ino, this.generation) : 0;
    const type = this.mode & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) {
      // Old encoding (8-bit major and minor) in i_block[0], the new one in i_block[1].
      const old = u32(r, INO.block), nw = u32(r, INO.block + 4);
      this.rdev = old ? makedev((old >>> 8) & 0xff, old & 0xff) : makedev((nw & 0xfff00) >>> 8, (nw & 0xff) | ((nw >>> 12) & 0xfff00));
    }
    if ((this.flags & EXT4_INLINE_DATA_FL) && (this.flags & EXT4_EXTENTS_FL)) sb.corrupt("ext4_iget", this.ino, "inline data and extents both set");
  }

  override get size(): number { return this.sizeBytes; }
  override get blocks(): number { return this.blockCount; }

  // --- data -----------------------------------------------------------

  private map(lblk: number): Mapping {
    return this.flags & EXT4_EXTENTS_FL ? extentMap(this.sb, this, lblk) : blockMap(this.sb, this, lblk);
  }

  // Whether the data is in the inode itself (inline_data).
  private get inline(): boolean { return (this.flags & EXT4_INLINE_DATA_FL) !== 0; }

  // Inline data: the first 60 bytes in i_block, the rest in the system.data attribute.
  private inlineData(): Uint8Array {
    const rest = this.ibodyXattrs().find((x) => x.index === EXT4_XATTR_INDEX_SYSTEM && x.name === INLINE_DATA_NAME);
    const out = new Uint8Array(I_BLOCK_SIZE + (rest?.value.length ?? 0));
    out.set(this.iblock);
    if (rest) out.set(rest.value, I_BLOCK_SIZE);
    return out;
  }

  // Bytes [off, off+dst.length) of the file's data, holes as zeros.
  readData(off: number, dst: Uint8Array): number {
    const size = this.sizeBytes;
    if (off >= size) return 0;
    const n = Math.min(dst.length, size - off);
    if (this.inline) {
      const data = this.inlineData();
      dst.fill(0, 0, n);
      dst.set(data.subarray(Math.min(off, data.length), Math.min(off + n, data.length)));
      return n;
    }
    if (cached(this)) return cachedRead(this, off, dst, null);
    return this.readDirect(off, dst.subarray(0, n));
  }

  // Bytes [off, off+dst.length) straight from the disk (O_DIRECT, symlinks,
  // blocks larger than a page); the caller keeps it inside the file.
  readDirect(off: number, dst: Uint8Array): number {
    const n = dst.length;
    const bs = this.sb.blockSizeBytes;
    for (let done = 0; done < n;) {
      const at = off + done, lblk = Math.floor(at / bs), inBlock = at % bs;
      const m = this.map(lblk);
      const runBytes = Math.min(n - done, m.len * bs - inBlock);
      const part = dst.subarray(done, done + runBytes);
      if (m.pblk === HOLE || m.unwritten) part.fill(0);
      else this.sb.bdev.read(m.pblk * bs + inBlock, part);
      done += runBytes;
    }
    return n;
  }

  // Past the end a read needs no page; files kept off the page cache (inline, large blocks) read at once.
  override pageInMemory(off: number): boolean {
    if (!cached(this) || off >= this.size) return true;
    return this.mapping?.pages.has(Math.floor(off / PAGE_SIZE)) ?? false;
  }

  override read(off: number, dst: Uint8Array): number {
    if (isDir(this.mode)) return super.read(off, dst);
    return this.readData(off, dst);
  }

  override readlink(): string {
    if (!isLnk(this.mode)) kerr(EINVAL);
    const size = this.sizeBytes;
    // A fast symlink keeps its target in i_block: no data blocks beyond an
    // xattr block's (ext4_inode_is_fast_symlink).
    const eaBlocks = this.xattrBlockNr() ? this.sb.blockSizeBytes / 512 : 0;
    if (!this.inline && this.blockCount - eaBlocks === 0) {
      if (size >= I_BLOCK_SIZE) this.sb.corrupt("ext4_get_link", this.ino, `fast symlink too long: ${size}`);
      return Buffer.from(this.iblock.subarray(0, size)).toString("latin1");
    }
    if (size > this.sb.blockSizeBytes) this.sb.corrupt("ext4_get_link", this.ino, `symlink too long: ${size}`);
    const buf = new Uint8Array(size);
    this.readData(0, buf);
    return Buffer.from(buf).toString("latin1");
  }

  // --- directories ----------------------------------------------------

  private entries(): RawDirent[] {
    if (!isDir(this.mode)) kerr(ENOTDIR);
    if (this.dirList) return this.dirList;
    const list: RawDirent[] = [];
    if (this.inline) {
      // "." is the inode itself, ".." the 4 bytes at the start of i_block; entries follow.
      const data = this.inlineData();
      list.push({ ino: this.ino, name: ".", fileType: 2, off: 0, recLen: 0 });
      list.push({ ino: u32(data, 0), name: "..", fileType: 2, off: 0, recLen: 0 });
      list.push(...parseDirents(this.sb, this.ino, data, EXT4_INLINE_DOTDOT_SIZE, I_BLOCK_SIZE, 0));
      if (data.length > I_BLOCK_SIZE) list.push(...parseDirents(this.sb, this.ino, data, I_BLOCK_SIZE, data.length, 0));
    } else {
      const bs = this.sb.blockSizeBytes;
      const nblocks = Math.ceil(this.sizeBytes / bs);
      if (nblocks > this.sb.blocksCount) this.sb.corrupt("ext4_readdir", this.ino, `directory size ${this.sizeBytes} larger than the filesystem`);
      const indexed = (this.flags & EXT4_INDEX_FL) !== 0;
      for (let lblk = 0; lblk < nblocks;) {
        const m = this.map(lblk);
        if (m.pblk === HOLE) { lblk += m.len; continue; } // a hole in a directory reads as nothing (ext4 allows it for htree)
        for (let i = 0; i < m.len && lblk < nblocks; i++, lblk++) {
          const bh = this.sb.bread(m.pblk + i, "ext4_readdir", this.ino);
          list.push(...this.blockEntries(bh.data, lblk, indexed));
        }
      }
    }
    this.dirList = list;
    return list;
  }

  // The entries of one directory block, its checksum verified.
  private blockEntries(buf: Uint8Array, lblk: number, indexed: boolean): RawDirent[] {
    const sb = this.sb, bs = sb.blockSizeBytes;
    const dx = dxCountOffset(buf, bs, lblk, indexed);
    if (sb.metadataCsum) {
      if (dx >= 0) {
        if (!dxCsum(this.csumSeed, buf, dx).ok) sb.corrupt("ext4_dx_csum_verify", this.ino, `dir seems corrupt?  Run e2fsck -D (block ${lblk})`);
      } else if (!hasDirTail(buf, bs)) {
        sb.corrupt("__ext4_read_dirblock", this.ino, `No space for directory leaf checksum. Please run e2fsck -D. (block ${lblk})`);
      } else if (dirLeafCsum(this.csumSeed, buf, bs) !== u32(buf, bs - 4)) {
        sb.corrupt("__ext4_read_dirblock", this.ino, `Directory block failed checksum (block ${lblk})`);
      }
    }
    if (dx >= 0) {
      // The root keeps "." and ".." before its index; an interior node has no names.
      return lblk === 0 ? parseDirents(sb, this.ino, buf, 0, bs, lblk) : [];
    }
    const end = sb.metadataCsum && hasDirTail(buf, bs) ? bs - EXT4_DIR_TAIL_SIZE : bs;
    return parseDirents(sb, this.ino, buf, 0, end, lblk);
  }

  override lookup(name: string): Inode | null {
    if (!isDir(this.mode)) kerr(ENOTDIR);
    if (!this.names) {
      this.names = new Map();
      for (const e of this.entries()) if (e.name !== "." && e.name !== "..") this.names.set(e.name, e);
    }
    const e = this.names.get(name);
    return e ? this.sb.iget(e.ino) : null;
  }

  override readdir(): DirEntry[] {
    if (this.nlink === 0) kerr(ENOENT);
    return this.entries().map((e) => {
      let type = e.fileType && e.fileType < 8 ? FT_TO_DT[e.fileType] : 0;
      if (!type) type = dtype(this.sb.iget(e.ino).mode); // no filetype feature (old ext2): ask the inode
      return { name: e.name, ino: e.ino, type };
    });
  }

  // --- special files, attributes --------------------------------------

  override openOps(f: File): FileOps | null {
    const t = this.mode & S_IFMT;
    if (t === S_IFCHR || t === S_IFBLK || t === S_IFIFO || t === S_IFSOCK) return openDevice(this, f);
    return ext4FileOps; // chattr and lsattr's ioctls (ioctl.ts)
  }

  private ibodyXattrs(): Xattr[] {
    const sb = this.sb;
    if (sb.inodeSize <= EXT4_GOOD_OLD_INODE_SIZE) return [];
    const start = EXT4_GOOD_OLD_INODE_SIZE + this.extraIsize;
    if (start + XATTR_IBODY_HEADER_SIZE > sb.inodeSize || u32(this.raw, start) !== EXT4_XATTR_MAGIC) return [];
    const first = start + XATTR_IBODY_HEADER_SIZE;
    return parseXattrs(sb, this.ino, this.raw, first, first, sb.inodeSize);
  }

  private xattrBlockNr(): number { return u32(this.raw, INO.fileAclLo) + u16(this.raw, INO.fileAclHigh) * 2 ** 32; }

  private xattrs(): Xattr[] {
    const list = this.ibodyXattrs().filter((x) => !(x.index === EXT4_XATTR_INDEX_SYSTEM && x.name === INLINE_DATA_NAME));
    const block = this.xattrBlockNr();
    if (block) list.push(...readXattrBlock(this.sb, this.ino, block));
    return list;
  }

  override getxattr(name: string): Uint8Array | null {
    for (const x of this.xattrs()) {
      if (xattrFullName(x) !== name) continue;
      if (x.index === EXT4_XATTR_INDEX_POSIX_ACL_ACCESS || x.index === EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT) {
        return aclToXattr(x.value) ?? this.sb.corrupt("ext4_get_acl", this.ino, "bad ACL");
      }
      return x.value;
    }
    return null;
  }
  override listxattr(): string[] {
    return this.xattrs().map(xattrFullName).filter((n): n is string => n !== null);
  }

  // --- writing (ext4/write.ts holds the operations) --------------------

  // The inode's fields back into its on-disk form, checksummed, written.
  save(): void {
    const r = this.raw, sb = this.sb;
    const d = new DataView(r.buffer, r.byteOffset, r.byteLength);
    d.setUint16(INO.mode, this.mode, true);
    d.setUint16(INO.uidLo, this.uid & 0xffff, true);
    d.setUint16(INO.uidHigh, (this.uid >>> 16) & 0xffff, true);
    d.setUint16(INO.gidLo, this.gid & 0xffff, true);
    d.setUint16(INO.gidHigh, (this.gid >>> 16) & 0xffff, true);
    d.setUint32(INO.sizeLo, this.sizeBytes % 2 ** 32, true);
    d.setUint32(INO.sizeHigh, Math.floor(this.sizeBytes / 2 ** 32), true);
    // A file past 2 GiB - 1 needs large_file (as ext4_update_inode_size's caller sets it).
    if (this.sizeBytes > 0x7fffffff && !sb.hasRoCompat(RO_COMPAT.LARGE_FILE)) sb.setRoCompat(RO_COMPAT.LARGE_FILE);
    d.setUint16(INO.linksCount, Math.min(this.nlink, 0xffff), true);
    d.setUint32(INO.flags, this.flags >>> 0, true);
    d.setUint32(INO.generation, this.generation >>> 0, true);
    const blocks = this.blockCount;
    d.setUint32(INO.blocksLo, blocks % 2 ** 32, true);
    if (sb.hasRoCompat(RO_COMPAT.HUGE_FILE)) d.setUint16(INO.blocksHigh, Math.floor(blocks / 2 ** 32) & 0xffff, true);
    const extra = this.extraIsize;
    const has = (field: number) => sb.inodeSize > EXT4_GOOD_OLD_INODE_SIZE && EXT4_GOOD_OLD_INODE_SIZE + extra >= field + 4;
    const put = (t: Timespec, secOff: number, extraOff: number) => {
      const lo = ((t.sec % 2 ** 32) + 2 ** 32) % 2 ** 32;
      d.setUint32(secOff, lo, true);
      if (has(extraOff)) {
        const epoch = Math.floor((t.sec - (lo | 0)) / 2 ** 32) & 3;
        d.setUint32(extraOff, ((t.nsec << 2) | epoch) >>> 0, true);
      }
    };
    put(this.atime, INO.atime, INO.atimeExtra);
    put(this.mtime, INO.mtime, INO.mtimeExtra);
    put(this.ctime, INO.ctime, INO.ctimeExtra);
    if (has(INO.crtimeExtra)) put(this.btime, INO.crtime, INO.crtimeExtra);
    if (sb.metadataCsum) {
      const c = sb.inodeCsum(this.ino, r);
      d.setUint16(INO.checksumLo, c & 0xffff, true);
      if (sb.hasCsumHi(r)) d.setUint16(INO.checksumHi, c >>> 16, true);
    }
    const loc = sb.inodeLocation(this.ino);
    const bh = sb.bread(loc.block, "ext4_mark_iloc_dirty", this.ino);
    bh.data.set(r, loc.offset);
    sb.writeBuffer(bh);
  }

  setSizeBytes(n: number): void { this.sizeBytes = n; }
  // A write straight to the disk, around the page cache (O_DIRECT: write.ts).
  writeDirect(_off: number, _src: Uint8Array): number { return kerr(EINVAL); }
  // FS_IOC_SETFLAGS (ioctl.ts): the new flags, as one change (write.ts journals it).
  setFlags(flags: number): void { this.flags = flags; this.touchCtime(); this.save(); }
  addBlocks(n: number): void { this.blockCount += n; }
  get blocks512(): number { return this.blockCount; }
  invalidateDir(): void { this.dirList = null; }
  dirNames(): Map<string, RawDirent> { this.lookup("."); return this.names!; }
  dirEntries(): RawDirent[] { return this.entries(); }
  mapBlock(lblk: number): Mapping { return this.map(lblk); }
  get isInline(): boolean { return this.inline; }
  get xattrBlock(): number { return this.xattrBlockNr(); }
  ibody(): Xattr[] { return this.ibodyXattrs(); }
  get extraSize(): number { return this.extraIsize; }
}

// EXT4_FT_* (1 regular … 7 symlink) to DT_*.
const FT_TO_DT = [0, 8, 4, 2, 6, 1, 12, 10];
