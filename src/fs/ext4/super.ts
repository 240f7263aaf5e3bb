// An ext4 filesystem instance: the superblock and group descriptors read
// and checked at mount, raw inodes read (and checksummed) from the inode
// tables, and the error path every corruption goes through: a log line
// naming the device and what was wrong, and EUCLEAN (Linux's
// EFSCORRUPTED) to the caller — never an exception of JavaScript's own.

import { encodeDev } from "../../abi/stat.js";
import { kerr, KernelError } from "../../lib/errors.js";
import { EINVAL, EUCLEAN, EIO, EBUSY, EROFS } from "../../abi/errno.js";
import { LOGLEVEL_ERR, LOGLEVEL_INFO, LOGLEVEL_WARNING } from "../../abi/syslog.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { BlockDevice } from "../../block/blkdev.js";
import { BufferCache, type BufferHead } from "../../block/buffer.js";
import { SuperBlock, currentTime } from "../inode.js";
import { crc32c, crc32cU32, crc32cZeros } from "./crc32c.js";
import {
  SB, GD, INO, COMPAT, INCOMPAT, RO_COMPAT, INCOMPAT_SUPPORTED, RO_COMPAT_READABLE, INCOMPAT_NAMES,
  EXT4_SUPER_MAGIC, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, EXT4_MIN_DESC_SIZE, EXT4_MIN_DESC_SIZE_64BIT,
  EXT4_GOOD_OLD_INODE_SIZE, EXT4_GOOD_OLD_FIRST_INO, EXT4_INODE_CSUM_HI_EXTRA_END, EXT4_CRC32C_CHKSUM,
  u16, u32, EXT4_ROOT_INO,
} from "./layout.js";
import type { Ext4Inode } from "./inode.js";
import { newRwInode } from "./write.js";
import { Ext4PageCache } from "./pagecache.js";
import type { OrphanFile } from "./orphan_file.js";
import type { Journal } from "./journal.js";

export const EXT4_SUPER_MAGIC_STATFS = EXT4_SUPER_MAGIC;
const GOOD_OLD_REV = 0;

export class Ext4Error extends KernelError {}

export interface GroupDesc {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
  usedDirs: number;
  flags: number;
  itableUnused: number;
  blockBitmapCsum: number;
  inodeBitmapCsum: number;
  // Where the descriptor sits on disk.
  block: number;
  offset: number;
}

export { u16, u32 };

export class Ext4Super extends SuperBlock {
  readonly raw: Uint8Array;
  readonly bc: BufferCache;
  readonly blockSizeBytes: number;
  readonly blocksCount: number;
  readonly firstDataBlock: number;
  readonly blocksPerGroup: number;
  readonly inodesPerGroup: number;
  readonly inodesCount: number;
  readonly inodeSize: number;
  readonly firstIno: number;
  readonly descSize: number;
  readonly groupCount: number;
  readonly compat: number;
  readonly incompat: number;
  readonly roCompat: number;
  readonly csumSeed: number;
  readonly hashSeed: Uint32Array;
  readonly defHashVersion: number;
  readonly unsignedHash: boolean;
  readonly groups: GroupDesc[] = [];
  readonly label: string;
  // Free counts kept here and written with the superblock.
  freeBlocks = 0;
  freeInodes = 0;
  readonly reservedBlocks: number;
  readonly reservedGdtBlocks: number;
  // Inodes in use, by number: hard links share one inode object.
  // ext4_file_open sets FMODE_NOWAIT: preadv2/pwritev2 take RWF_NOWAIT. (Ghost
  // reads a page not yet cached at once rather than answering EAGAIN.)
  override nowaitFiles = true;
  private readonly icache = new Map<number, Ext4Inode>();

  constructor(readonly k: Kernel, readonly bdev: BlockDevice, readOnly: boolean, fsType: string) {
    // st_dev of its files is the device's number, as Linux's s_dev = bdev->bd_dev
    // (e2fsprogs' check_mntent_file compares it with the device's st_rdev).
    super(fsType, EXT4_SUPER_MAGIC, readOnly, encodeDev(bdev.dev.major, bdev.dev.minor));
    const raw = new Uint8Array(SUPERBLOCK_SIZE);
    if (bdev.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) this.mountError("device too small for a superblock", EINVAL);
    bdev.read(SUPERBLOCK_OFFSET, raw);
    this.raw = raw;
    // As ext4_fill_super, a device without the magic is "can't find ext4 filesystem" (EINVAL).
    if (u16(raw, SB.magic) !== EXT4_SUPER_MAGIC) this.mountError(`VFS: Can't find ext4 filesystem`, EINVAL);
    this.incompat = u32(raw, SB.featureIncompat);
    this.compat = u32(raw, SB.featureCompat);
    this.roCompat = u32(raw, SB.featureRoCompat);
    if (this.hasRoCompat(RO_COMPAT.METADATA_CSUM)) {
      if (raw[SB.checksumType] !== EXT4_CRC32C_CHKSUM) this.mountError("VFS: Found ext4 filesystem with unknown checksum algorithm.", EINVAL);
      if (crc32c(0xffffffff, raw, 0, SB.checksum) !== u32(raw, SB.checksum)) this.mountError("VFS: Found ext4 filesystem with invalid superblock checksum.  Run e2fsck?", EUCLEAN);
    }
    const unknown = this.incompat & ~INCOMPAT_SUPPORTED;
    if (unknown) {
      const names = Object.entries(INCOMPAT_NAMES).filter(([bit]) => unknown & Number(bit)).map(([, n]) => n);
      this.mountError(`Couldn't mount because of unsupported optional features (${unknown.toString(16)}: ${names.join(", ") || "unknown"})`, EINVAL);
    }
    const logBlock = u32(raw, SB.logBlockSize);
    if (logBlock > 6) this.mountError(`Invalid log block size: ${logBlock}`, EINVAL);
    this.blockSizeBytes = 1024 << logBlock;
    this.blockSize = this.blockSizeBytes;
    if (u32(raw, SB.logClusterSize) !== logBlock) this.mountError("bigalloc (clusters larger than a block) is not supported", EINVAL);
    const is64 = this.hasIncompat(INCOMPAT.BIT64);
    this.blocksCount = u32(raw, SB.blocksCountLo) + (is64 ? u32(raw, SB.blocksCountHi) * 2 ** 32 : 0);
    this.firstDataBlock = u32(raw, SB.firstDataBlock);
    this.blocksPerGroup = u32(raw, SB.blocksPerGroup);
    this.inodesPerGroup = u32(raw, SB.inodesPerGroup);
    this.inodesCount = u32(raw, SB.inodesCount);
    const rev = u32(raw, SB.revLevel);
    this.inodeSize = rev === GOOD_OLD_REV ? EXT4_GOOD_OLD_INODE_SIZE : u16(raw, SB.inodeSize);
    this.firstIno = rev === GOOD_OLD_REV ? EXT4_GOOD_OLD_FIRST_INO : u32(raw, SB.firstIno);
    this.descSize = is64 ? u16(raw, SB.descSize) : EXT4_MIN_DESC_SIZE;
    const bs = this.blockSizeBytes;
    if (this.inodeSize < EXT4_GOOD_OLD_INODE_SIZE || this.inodeSize > bs || (this.inodeSize & (this.inodeSize - 1)))
      this.mountError(`invalid inode size: ${this.inodeSize}`, EINVAL);
    if (is64 && (this.descSize < EXT4_MIN_DESC_SIZE_64BIT || this.descSize > 1024 || (this.descSize & (this.descSize - 1))))
      this.mountError(`unsupported descriptor size ${this.descSize}`, EINVAL);
    if (this.blocksPerGroup === 0 || this.blocksPerGroup > bs * 8 || this.inodesPerGroup === 0 || this.inodesPerGroup > bs * 8)
      this.mountError(`invalid blocks or inodes per group: ${this.blocksPerGroup}, ${this.inodesPerGroup}`, EINVAL);
    if (this.firstDataBlock >= this.blocksCount || this.blocksCount * bs > bdev.size)
      this.mountError(`bad geometry: block count ${this.blocksCount} exceeds size of device (${Math.floor(bdev.size / bs)} blocks)`, EINVAL);
    this.groupCount = Math.ceil((this.blocksCount - this.firstDataBlock) / this.blocksPerGroup);
    if (this.groupCount * this.inodesPerGroup !== this.inodesCount)
      this.mountError(`inodes count not valid: ${this.inodesCount} vs computed ${this.groupCount * this.inodesPerGroup}`, EINVAL);
    if (this.hasIncompat(INCOMPAT.CSUM_SEED)) this.csumSeed = u32(raw, SB.checksumSeed);
    else this.csumSeed = crc32c(0xffffffff, raw, SB.uuid, SB.uuid + 16);
    this.hashSeed = new Uint32Array(4);
    for (let i = 0; i < 4; i++) this.hashSeed[i] = u32(raw, SB.hashSeed + 4 * i);
    this.defHashVersion = raw[SB.defHashVersion];
    this.unsignedHash = (u32(raw, SB.flags) & 0x2) !== 0;
    this.label = Buffer.from(raw.subarray(SB.volumeName, SB.volumeName + 16)).toString("latin1").replace(/\0.*$/s, "");
    this.reservedBlocks = u32(raw, SB.rBlocksCountLo) + (is64 ? u32(raw, SB.rBlocksCountHi) * 2 ** 32 : 0);
    this.reservedGdtBlocks = u16(raw, SB.reservedGdtBlocks);
    this.bc = new BufferCache(bdev, bs);
    this.readGroupDescriptors();
    this.freeBlocks = this.groups.reduce((s, g) => s + g.freeBlocks, 0);
    this.freeInodes = this.groups.reduce((s, g) => s + g.freeInodes, 0);
  }

  // Called when the last mount goes (set by the mount code).
  onKill: (() => void) | null = null;
  // Sets up writing when a read-only mount becomes read-write (index.ts), or throws.
  onRemountWritable: (() => void) | null = null;
  override kill(): void {
    if (!this.readOnly) this.stopWriting();
    this.cachedPages?.kill();
    this.cachedPages = null;
    this.onKill?.();
  }
  // The state written at unmount (the one found at mount, clean or not).
  cleanState = 0;

  // Read-only from now on (a feature Ghost cannot write, or errors=remount-ro).
  setReadOnly(): void { this.ro = true; }

  // Everything home and the superblock clean, as at unmount (ext4_put_super).
  private stopWriting(): void {
    this.cachedPages?.syncAll();
    this.journal?.commit();
    this.bc.sync();
    if (this.journal) { this.journal.markEmpty(); this.setIncompat(INCOMPAT.RECOVER, false); this.journal = null; }
    // No orphan entry left: the orphan file needs no look at the next mount.
    if (this.orphanFile?.empty) this.setRoCompat(RO_COMPAT.ORPHAN_PRESENT, false, false);
    this.saveSuper(this.cleanState);
    this.bdev.flush();
  }

  // mount -o remount,ro / rw (ext4_reconfigure): to read-only, as at an
  // unmount, but not while unlinked files wait to be freed (EBUSY, as
  // sb_prepare_remount_readonly); back to read-write, as a read-write mount.
  override reconfigureReadOnly(ro: boolean): void {
    if (ro === this.readOnly) return;
    if (ro) {
      if (this.orphans.size) kerr(EBUSY);
      this.stopWriting();
      this.orphanFile = null;
      this.ro = true;
      return;
    }
    if (!this.onRemountWritable) kerr(EROFS);
    this.ro = false;
    try { this.onRemountWritable(); } catch (e) { this.ro = true; throw e; }
  }

  // Inodes on the orphan list or in the orphan file (orphan.ts), by number.
  readonly orphans = new Set<number>();
  // The orphan file, when the filesystem has one and is mounted read-write (orphan_file.ts).
  orphanFile: OrphanFile | null = null;

  // The journal, when the filesystem has one and is mounted read-write.
  journal: Journal | null = null;

  // The page cache of file data (pagecache.ts), made on first use.
  private cachedPages: Ext4PageCache | null = null;
  get pagecache(): Ext4PageCache {
    return (this.cachedPages ??= new Ext4PageCache(this.k, (msg) => this.warn(msg)));
  }
  // Before a commit (journal.ts): data in blocks the transaction allocated goes home first.
  writeOrderedData(): void { this.cachedPages?.writeOrdered(); }

  // fsync, fdatasync, syncfs, sync: dirty pages go home, the running
  // transaction commits, then the disk's cache is flushed. (fsync writes
  // every file's dirty pages, not only its own: more than Linux, never less.)
  override syncFs(): void {
    if (this.readOnly) return;
    this.cachedPages?.syncAll();
    this.journal?.commit();
    this.bc.sync();
    this.bdev.flush();
  }

  // A changed metadata block: held for the running transaction (also when
  // it is changed outside a handle while that transaction holds it), or
  // written home.
  writeBuffer(bh: BufferHead): void {
    this.bc.markDirty(bh);
    if (this.journal && (this.journal.active || this.journal.holds(bh))) this.journal.hold(bh);
    else this.bc.writeBack(bh);
  }
  writeHome(bh: BufferHead): void { this.bc.markDirty(bh); this.bc.writeBack(bh); }

  // One VFS operation as one transaction (nested calls join the outer one).
  transaction<T>(fn: () => T): T {
    const j = this.journal;
    if (!j) return fn();
    j.begin();
    try { return fn(); } finally { j.end(); }
  }

  // Writes group g's descriptor back, with its checksum.
  saveGroup(g: number): void {
    const gd = this.groups[g];
    const bh = this.bread(gd.block, "ext4_group_desc", 0);
    const d = bh.data, o = gd.offset, is64 = this.descSize >= EXT4_MIN_DESC_SIZE_64BIT;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const put16 = (lo: number, hi: number, v: number) => { dv.setUint16(o + lo, v & 0xffff, true); if (is64) dv.setUint16(o + hi, Math.floor(v / 65536) & 0xffff, true); };
    put16(GD.freeBlocksCountLo, GD.freeBlocksCountHi, gd.freeBlocks);
    put16(GD.freeInodesCountLo, GD.freeInodesCountHi, gd.freeInodes);
    put16(GD.usedDirsCountLo, GD.usedDirsCountHi, gd.usedDirs);
    put16(GD.itableUnusedLo, GD.itableUnusedHi, gd.itableUnused);
    put16(GD.blockBitmapCsumLo, GD.blockBitmapCsumHi, gd.blockBitmapCsum);
    put16(GD.inodeBitmapCsumLo, GD.inodeBitmapCsumHi, gd.inodeBitmapCsum);
    dv.setUint16(o + GD.flags, gd.flags, true);
    if (this.metadataCsum) dv.setUint16(o + GD.checksum, this.groupDescCsum(g, d.subarray(o, o + this.descSize)), true);
    this.writeBuffer(bh);
  }

  // Writes the superblock back (free counts, state, write time), with its checksum.
  saveSuper(state?: number): void {
    const r = this.raw;
    const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const is64 = this.hasIncompat(INCOMPAT.BIT64);
    dv.setUint32(SB.freeBlocksCountLo, this.freeBlocks % 2 ** 32, true);
    if (is64) dv.setUint32(SB.freeBlocksCountHi, Math.floor(this.freeBlocks / 2 ** 32), true);
    dv.setUint32(SB.freeInodesCount, this.freeInodes, true);
    if (state !== undefined) dv.setUint16(SB.state, state, true);
    dv.setUint32(SB.wtime, currentTime().sec >>> 0, true);
    if (this.metadataCsum) dv.setUint32(SB.checksum, crc32c(0xffffffff, r, 0, SB.checksum), true);
    // Through the block holding it, so that the journal carries it too.
    const bh = this.bc.bread(Math.floor(SUPERBLOCK_OFFSET / this.blockSizeBytes));
    bh.data.set(r, SUPERBLOCK_OFFSET % this.blockSizeBytes);
    this.writeBuffer(bh);
  }
  setIncompat(f: number, on: boolean): void {
    const v = on ? this.incompat | f : this.incompat & ~f;
    (this as { incompat: number }).incompat = v >>> 0;
    new DataView(this.raw.buffer, this.raw.byteOffset).setUint32(SB.featureIncompat, v >>> 0, true);
  }
  // A read-only-compatible feature turned on by a write (large_file), saved at once.
  setRoCompat(f: number, on = true, save = true): void {
    const v = (on ? this.roCompat | f : this.roCompat & ~f) >>> 0;
    (this as { roCompat: number }).roCompat = v;
    new DataView(this.raw.buffer, this.raw.byteOffset).setUint32(SB.featureRoCompat, v, true);
    if (save) this.saveSuper();
  }
  get state(): number { return u16(this.raw, SB.state); }

  iget(ino: number): Ext4Inode {
    let inode = this.icache.get(ino);
    if (!inode) {
      inode = newRwInode(this, ino, this.readRawInode(ino));
      this.icache.set(ino, inode);
    }
    return inode;
  }

  // A just-allocated inode, from its fresh on-disk image.
  newInode(ino: number, raw: Uint8Array): Ext4Inode {
    this.released.delete(ino);
    const inode = newRwInode(this, ino, raw);
    this.icache.set(ino, inode);
    return inode;
  }
  private readonly released = new Set<number>();
  evicted(ino: number): boolean { return this.released.has(ino); }
  forget(ino: number): void { this.released.add(ino); this.icache.delete(ino); }
  private generation = 0;
  nextGeneration(): number { return (this.generation = (this.generation + 0x9e3779b1) >>> 0); }

  get root(): Ext4Inode { return this.iget(EXT4_ROOT_INO); }

  hasCompat(f: number): boolean { return (this.compat & f) !== 0; }
  hasIncompat(f: number): boolean { return (this.incompat & f) !== 0; }
  hasRoCompat(f: number): boolean { return (this.roCompat & f) !== 0; }
  get metadataCsum(): boolean { return this.hasRoCompat(RO_COMPAT.METADATA_CSUM); }
  get unknownRoCompat(): number { return this.roCompat & ~RO_COMPAT_READABLE; }

  log(level: number, msg: string): void { this.k.log.log(level, `EXT4-fs (${this.bdev.name}): ${msg}`); }
  info(msg: string): void { this.log(LOGLEVEL_INFO, msg); }
  warn(msg: string): void { this.log(LOGLEVEL_WARNING, msg); }

  private mountError(msg: string, errno: number): never {
    this.log(LOGLEVEL_ERR, msg);
    throw new Ext4Error(errno);
  }

  // A corrupt structure found while serving a guest: the log line Linux's
  // ext4_error_inode gives, and EUCLEAN (EFSCORRUPTED).
  corrupt(fn: string, ino: number, msg: string): never {
    this.log(LOGLEVEL_ERR, `error: ${fn}: inode #${ino}: comm ${this.k.current?.comm ?? "kernel"}: ${msg}`);
    throw new Ext4Error(EUCLEAN);
  }

  // A block of the filesystem through the buffer cache; a number outside it is corruption.
  bread(nr: number, fn: string, ino: number): BufferHead {
    if (!Number.isSafeInteger(nr) || nr < this.firstDataBlock || nr >= this.blocksCount) this.corrupt(fn, ino, `block ${nr} out of range`);
    try {
      return this.bc.bread(nr);
    } catch (e) {
      if (e instanceof KernelError) { this.log(LOGLEVEL_ERR, `I/O error reading block ${nr}`); kerr(EIO); }
      throw e;
    }
  }

  // Whether group g holds a superblock backup (sparse_super: 0, 1 and the
  // powers of 3, 5 and 7; sparse_super2: the two groups s_backup_bgs names).
  groupHasSuper(g: number): boolean {
    if (g === 0) return true;
    if (this.hasCompat(COMPAT.SPARSE_SUPER2)) return g === u32(this.raw, SB.backupBgs) || g === u32(this.raw, SB.backupBgs + 4);
    if (g <= 1 || !this.hasRoCompat(RO_COMPAT.SPARSE_SUPER)) return true;
    if (!(g & 1)) return false;
    for (const base of [3, 5, 7]) { let p = base; while (p < g) p *= base; if (p === g) return true; }
    return false;
  }

  // The block holding descriptor block i (ext4's descriptor_loc): after the
  // superblock, or with meta_bg from s_first_meta_bg on, in the first group
  // of each meta group.
  private descriptorBlock(i: number): number {
    const descPerBlock = this.blockSizeBytes / this.descSize;
    const firstMetaBg = u32(this.raw, SB.firstMetaBg);
    if (!this.hasIncompat(INCOMPAT.META_BG) || i < firstMetaBg) return this.firstDataBlock + 1 + i;
    const g = i * descPerBlock;
    return this.firstDataBlock + g * this.blocksPerGroup + (this.groupHasSuper(g) ? 1 : 0);
  }

  private readGroupDescriptors(): void {
    const descPerBlock = this.blockSizeBytes / this.descSize;
    const is64 = this.hasIncompat(INCOMPAT.BIT64);
    for (let g = 0; g < this.groupCount; g++) {
      const bh = this.bread(this.descriptorBlock(Math.floor(g / descPerBlock)), "ext4_group_desc", 0);
      const off = (g % descPerBlock) * this.descSize;
      const d = bh.data;
      if (this.metadataCsum && this.groupDescCsum(g, d.subarray(off, off + this.descSize)) !== u16(d, off + GD.checksum))
        this.mountError(`ext4_check_descriptors: Checksum for group ${g} failed`, EUCLEAN);
      const hi = (o: number) => (is64 ? u32(d, off + o) * 2 ** 32 : 0);
      const hi16 = (o: number) => (is64 ? u16(d, off + o) * 65536 : 0);
      const gd: GroupDesc = {
        blockBitmap: u32(d, off + GD.blockBitmapLo) + hi(GD.blockBitmapHi),
        inodeBitmap: u32(d, off + GD.inodeBitmapLo) + hi(GD.inodeBitmapHi),
        inodeTable: u32(d, off + GD.inodeTableLo) + hi(GD.inodeTableHi),
        freeBlocks: u16(d, off + GD.freeBlocksCountLo) + hi16(GD.freeBlocksCountHi),
        freeInodes: u16(d, off + GD.freeInodesCountLo) + hi16(GD.freeInodesCountHi),
        usedDirs: u16(d, off + GD.usedDirsCountLo) + hi16(GD.usedDirsCountHi),
        flags: u16(d, off + GD.flags),
        itableUnused: u16(d, off + GD.itableUnusedLo) + hi16(GD.itableUnusedHi),
        blockBitmapCsum: u16(d, off + GD.blockBitmapCsumLo) + hi16(GD.blockBitmapCsumHi),
        inodeBitmapCsum: u16(d, off + GD.inodeBitmapCsumLo) + hi16(GD.inodeBitmapCsumHi),
        block: bh.blockNr,
        offset: off,
      };
      const itBlocks = Math.ceil((this.inodesPerGroup * this.inodeSize) / this.blockSizeBytes);
      const inFs = (b: number, n = 1) => b >= this.firstDataBlock && b + n <= this.blocksCount;
      if (!inFs(gd.blockBitmap) || !inFs(gd.inodeBitmap) || !inFs(gd.inodeTable, itBlocks))
        this.mountError(`ext4_check_descriptors: Block bitmap, inode bitmap or inode table for group ${g} not in the filesystem`, EUCLEAN);
      this.groups.push(gd);
    }
  }

  // ext4_group_desc_csum with metadata_csum: crc32c over the group number
  // and the descriptor with its checksum field taken as zero, low 16 bits.
  groupDescCsum(g: number, desc: Uint8Array): number {
    let c = crc32cU32(this.csumSeed, g);
    c = crc32c(c, desc, 0, GD.checksum);
    c = crc32cZeros(c, 2);
    c = crc32c(c, desc, GD.checksum + 2, this.descSize);
    return c & 0xffff;
  }

  // The seed every per-inode checksum starts from (ext4_inode_csum_seed).
  inodeCsumSeed(ino: number, generation: number): number {
    return crc32cU32(crc32cU32(this.csumSeed, ino), generation);
  }

  // ext4_inode_csum: the whole on-disk inode, both checksum halves as zero.
  inodeCsum(ino: number, raw: Uint8Array): number {
    const seed = this.inodeCsumSeed(ino, u32(raw, INO.generation));
    let c = crc32c(seed, raw, 0, INO.checksumLo);
    c = crc32cZeros(c, 2);
    c = crc32c(c, raw, INO.checksumLo + 2, EXT4_GOOD_OLD_INODE_SIZE);
    if (this.inodeSize > EXT4_GOOD_OLD_INODE_SIZE) {
      c = crc32c(c, raw, EXT4_GOOD_OLD_INODE_SIZE, INO.checksumHi);
      if (this.hasCsumHi(raw)) {
        c = crc32cZeros(c, 2);
        c = crc32c(c, raw, INO.checksumHi + 2, this.inodeSize);
      } else {
        c = crc32c(c, raw, INO.checksumHi, this.inodeSize);
      }
    }
    return c >>> 0;
  }

  hasCsumHi(raw: Uint8Array): boolean {
    return this.inodeSize > EXT4_GOOD_OLD_INODE_SIZE && u16(raw, INO.extraIsize) >= EXT4_INODE_CSUM_HI_EXTRA_END;
  }

  // Where inode ino lives: its block and the offset in it.
  inodeLocation(ino: number): { block: number; offset: number } {
    if (!Number.isInteger(ino) || ino < 1 || ino > this.inodesCount) this.corrupt("ext4_get_inode_loc", ino, "bad inode number");
    const g = Math.floor((ino - 1) / this.inodesPerGroup);
    const index = (ino - 1) % this.inodesPerGroup;
    const byte = index * this.inodeSize;
    return { block: this.groups[g].inodeTable + Math.floor(byte / this.blockSizeBytes), offset: byte % this.blockSizeBytes };
  }

  // A copy of the raw inode, its checksum verified.
  readRawInode(ino: number): Uint8Array {
    const loc = this.inodeLocation(ino);
    const bh = this.bread(loc.block, "__ext4_get_inode_loc", ino);
    const raw = bh.data.slice(loc.offset, loc.offset + this.inodeSize);
    if (this.metadataCsum) {
      const want = this.inodeCsum(ino, raw);
      const have = u16(raw, INO.checksumLo) | (this.hasCsumHi(raw) ? u16(raw, INO.checksumHi) << 16 : 0);
      const mask = this.hasCsumHi(raw) ? 0xffffffff : 0xffff;
      // An inode never used (all zeros) has no checksum to match.
      if (((want & mask) >>> 0) !== (have >>> 0) && raw.some((b) => b !== 0))
        this.corrupt("ext4_iget", ino, `checksum invalid`);
    }
    return raw;
  }

  // statfs as ext4_statfs: f_blocks without the overhead, f_bavail without
  // the blocks kept for root (s_r_blocks_count) and ext4's own reserve
  // (s_resv_clusters: 2% or 4096 blocks, whichever is smaller, with
  // extents), f_fsid from the UUID (its two 64-bit halves xored).
  override statfs() {
    const r = this.raw;
    const is64 = this.hasIncompat(INCOMPAT.BIT64);
    const free = u32(r, SB.freeBlocksCountLo) + (is64 ? u32(r, SB.freeBlocksCountHi) * 2 ** 32 : 0);
    const bfree = this.groups.reduce((s, g) => s + g.freeBlocks, 0) || free;
    const freeInodes = this.groups.reduce((s, g) => s + g.freeInodes, 0);
    const resv = this.hasIncompat(INCOMPAT.EXTENTS) ? Math.min(Math.floor(this.blocksCount / 50), 4096) : 0;
    const keep = this.reservedBlocks + resv;
    const fsid: [number, number] = [(u32(r, SB.uuid) ^ u32(r, SB.uuid + 8)) >>> 0, (u32(r, SB.uuid + 4) ^ u32(r, SB.uuid + 12)) >>> 0];
    return {
      blocks: this.blocksCount - this.overhead(), bfree, bavail: bfree > keep ? bfree - keep : 0,
      files: this.inodesCount, ffree: freeInodes, namelen: 255, fsid,
    };
  }

  // The blocks of the filesystem's own structures (ext4_calculate_overhead,
  // computed once, or s_overhead_clusters when stored): those before
  // s_first_data_block; in each group its superblock backup with the
  // descriptor and reserved GDT blocks after it (or, past s_first_meta_bg,
  // its meta_bg descriptor block), its inode table and its two bitmaps,
  // wherever flex_bg put them; the internal journal.
  private overheadBlocks = -1;
  overhead(): number {
    if (this.overheadBlocks >= 0) return this.overheadBlocks;
    const stored = u32(this.raw, SB.overheadClusters);
    if (stored) return (this.overheadBlocks = stored);
    const bs = this.blockSizeBytes, descPerBlock = bs / this.descSize;
    const itb = Math.ceil((this.inodesPerGroup * this.inodeSize) / bs);
    const gdbCount = Math.ceil(this.groupCount / descPerBlock);
    const metaBg = this.hasIncompat(INCOMPAT.META_BG), firstMetaBg = u32(this.raw, SB.firstMetaBg);
    // ext4_num_base_meta_blocks: the superblock and descriptor blocks group g holds.
    const baseMeta = (g: number): number => {
      const sup = this.groupHasSuper(g) ? 1 : 0;
      if (!metaBg || g < firstMetaBg * descPerBlock) return sup ? 1 + (metaBg ? firstMetaBg : gdbCount) + this.reservedGdtBlocks : 0;
      const i = g % descPerBlock;
      return sup + (i === 0 || i === 1 || i === descPerBlock - 1 ? 1 : 0);
    };
    let n = this.firstDataBlock;
    for (let g = 0; g < this.groupCount; g++) n += baseMeta(g) + itb + 2;
    const jIno = u32(this.raw, SB.journalInum);
    if (this.hasCompat(COMPAT.HAS_JOURNAL) && jIno !== 0 && u32(this.raw, SB.journalDev) === 0) {
      try { n += Math.floor(this.iget(jIno).size / bs); } catch { /* no journal inode: nothing counted, as Linux logs and goes on */ }
    }
    return (this.overheadBlocks = n);
  }

  // A read-write mount stores the overhead it computed (ext4_update_overhead),
  // so that the next mount and e2fsprogs find it.
  recordOverhead(): void {
    if (this.readOnly || u32(this.raw, SB.overheadClusters) !== 0) return;
    const n = this.overhead();
    new DataView(this.raw.buffer, this.raw.byteOffset, this.raw.byteLength).setUint32(SB.overheadClusters, n, true);
  }
}
