// ext4's on-disk format (Linux's fs/ext4/ext4.h, ext4_extents.h, xattr.h;
// Documentation/filesystems/ext4/): offsets of the fields Ghost reads and
// writes, feature bits by their Linux names. All little-endian.

export const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
export const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

export const EXT4_SUPER_MAGIC = 0xef53;
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;

// struct ext4_super_block
export const SB = {
  inodesCount: 0x0, blocksCountLo: 0x4, rBlocksCountLo: 0x8, freeBlocksCountLo: 0xc, freeInodesCount: 0x10,
  firstDataBlock: 0x14, logBlockSize: 0x18, logClusterSize: 0x1c, blocksPerGroup: 0x20, clustersPerGroup: 0x24,
  inodesPerGroup: 0x28, mtime: 0x2c, wtime: 0x30, mntCount: 0x34, maxMntCount: 0x36, magic: 0x38, state: 0x3a,
  errors: 0x3c, minorRevLevel: 0x3e, lastCheck: 0x40, checkInterval: 0x44, creatorOs: 0x48, revLevel: 0x4c,
  defResuid: 0x50, defResgid: 0x52, firstIno: 0x54, inodeSize: 0x58, blockGroupNr: 0x5a, featureCompat: 0x5c, featureIncompat: 0x60,
  featureRoCompat: 0x64, uuid: 0x68, volumeName: 0x78, lastMounted: 0x88, reservedGdtBlocks: 0xce,
  journalUuid: 0xd0, journalInum: 0xe0, journalDev: 0xe4, lastOrphan: 0xe8, hashSeed: 0xec, defHashVersion: 0xfc,
  descSize: 0xfe, defaultMountOpts: 0x100, firstMetaBg: 0x104, mkfsTime: 0x108, blocksCountHi: 0x150,
  rBlocksCountHi: 0x154, freeBlocksCountHi: 0x158, minExtraIsize: 0x15c, wantExtraIsize: 0x15e, flags: 0x160,
  logGroupsPerFlex: 0x174, checksumType: 0x175, kbytesWritten: 0x178, overheadClusters: 0x248, backupBgs: 0x24c, checksumSeed: 0x270,
  orphanFileInum: 0x280, checksum: 0x3fc,
} as const;

export const EXT4_VALID_FS = 0x1;
export const EXT4_ERROR_FS = 0x2;
export const EXT4_ORPHAN_FS = 0x4;

export const EXT4_CRC32C_CHKSUM = 1;

// s_flags: how the directory hash treats chars (signed or unsigned).
export const EXT2_FLAGS_SIGNED_HASH = 0x1;
export const EXT2_FLAGS_UNSIGNED_HASH = 0x2;

export const COMPAT = {
  DIR_PREALLOC: 0x1, IMAGIC_INODES: 0x2, HAS_JOURNAL: 0x4, EXT_ATTR: 0x8, RESIZE_INODE: 0x10, DIR_INDEX: 0x20,
  SPARSE_SUPER2: 0x200, FAST_COMMIT: 0x400, STABLE_INODES: 0x800, ORPHAN_FILE: 0x1000,
} as const;
export const INCOMPAT = {
  COMPRESSION: 0x1, FILETYPE: 0x2, RECOVER: 0x4, JOURNAL_DEV: 0x8, META_BG: 0x10, EXTENTS: 0x40, BIT64: 0x80,
  MMP: 0x100, FLEX_BG: 0x200, EA_INODE: 0x400, DIRDATA: 0x1000, CSUM_SEED: 0x2000, LARGEDIR: 0x4000,
  INLINE_DATA: 0x8000, ENCRYPT: 0x10000, CASEFOLD: 0x20000,
} as const;
export const RO_COMPAT = {
  SPARSE_SUPER: 0x1, LARGE_FILE: 0x2, BTREE_DIR: 0x4, HUGE_FILE: 0x8, GDT_CSUM: 0x10, DIR_NLINK: 0x20,
  EXTRA_ISIZE: 0x40, HAS_SNAPSHOT: 0x80, QUOTA: 0x100, BIGALLOC: 0x200, METADATA_CSUM: 0x400, REPLICA: 0x800,
  READONLY: 0x1000, PROJECT: 0x2000, SHARED_BLOCKS: 0x4000, VERITY: 0x8000, ORPHAN_PRESENT: 0x10000,
} as const;

// What Ghost's ext4 reads. An incompatible feature outside this set refuses
// the mount (as ext4_feature_set_ok); a read-only-compatible one outside
// RO_COMPAT_WRITABLE mounts read-only.
export const INCOMPAT_SUPPORTED = INCOMPAT.FILETYPE | INCOMPAT.RECOVER | INCOMPAT.META_BG | INCOMPAT.EXTENTS |
  INCOMPAT.BIT64 | INCOMPAT.FLEX_BG | INCOMPAT.CSUM_SEED | INCOMPAT.LARGEDIR | INCOMPAT.INLINE_DATA | INCOMPAT.MMP;
export const RO_COMPAT_READABLE = RO_COMPAT.SPARSE_SUPER | RO_COMPAT.LARGE_FILE | RO_COMPAT.BTREE_DIR |
  RO_COMPAT.HUGE_FILE | RO_COMPAT.GDT_CSUM | RO_COMPAT.DIR_NLINK | RO_COMPAT.EXTRA_ISIZE | RO_COMPAT.QUOTA |
  RO_COMPAT.METADATA_CSUM | RO_COMPAT.READONLY | RO_COMPAT.PROJECT | RO_COMPAT.ORPHAN_PRESENT | RO_COMPAT.VERITY;

export const INCOMPAT_NAMES: Record<number, string> = {
  0x1: "compression", 0x2: "filetype", 0x4: "needs_recovery", 0x8: "journal_dev", 0x10: "meta_bg", 0x40: "extent",
  0x80: "64bit", 0x100: "mmp", 0x200: "flex_bg", 0x400: "ea_inode", 0x1000: "dirdata", 0x2000: "metadata_csum_seed",
  0x4000: "large_dir", 0x8000: "inline_data", 0x10000: "encrypt", 0x20000: "casefold",
};

// struct ext4_group_desc (32 bytes; 64 with the 64bit feature)
export const GD = {
  blockBitmapLo: 0x0, inodeBitmapLo: 0x4, inodeTableLo: 0x8, freeBlocksCountLo: 0xc, freeInodesCountLo: 0xe,
  usedDirsCountLo: 0x10, flags: 0x12, excludeBitmapLo: 0x14, blockBitmapCsumLo: 0x18, inodeBitmapCsumLo: 0x1a,
  itableUnusedLo: 0x1c, checksum: 0x1e, blockBitmapHi: 0x20, inodeBitmapHi: 0x24, inodeTableHi: 0x28,
  freeBlocksCountHi: 0x2c, freeInodesCountHi: 0x2e, usedDirsCountHi: 0x30, itableUnusedHi: 0x32,
  excludeBitmapHi: 0x34, blockBitmapCsumHi: 0x38, inodeBitmapCsumHi: 0x3a,
} as const;
export const EXT4_MIN_DESC_SIZE = 32;
export const EXT4_MIN_DESC_SIZE_64BIT = 64;
export const EXT4_BG_INODE_UNINIT = 0x1;
export const EXT4_BG_BLOCK_UNINIT = 0x2;
export const EXT4_BG_INODE_ZEROED = 0x4;

// struct ext4_inode
export const INO = {
  mode: 0x0, uidLo: 0x2, sizeLo: 0x4, atime: 0x8, ctime: 0xc, mtime: 0x10, dtime: 0x14, gidLo: 0x18,
  linksCount: 0x1a, blocksLo: 0x1c, flags: 0x20, version: 0x24, block: 0x28, generation: 0x64, fileAclLo: 0x68,
  sizeHigh: 0x6c, blocksHigh: 0x74, fileAclHigh: 0x76, uidHigh: 0x78, gidHigh: 0x7a, checksumLo: 0x7c,
  extraIsize: 0x80, checksumHi: 0x82, ctimeExtra: 0x84, mtimeExtra: 0x88, atimeExtra: 0x8c, crtime: 0x90,
  crtimeExtra: 0x94, versionHi: 0x98, projid: 0x9c,
} as const;
export const EXT4_GOOD_OLD_INODE_SIZE = 128;
export const EXT4_N_BLOCKS = 15;
export const I_BLOCK_SIZE = EXT4_N_BLOCKS * 4;
// i_extra_isize must reach past i_checksum_hi for it to exist.
export const EXT4_INODE_CSUM_HI_EXTRA_END = 4;

export const EXT4_ROOT_INO = 2;
export const EXT4_JOURNAL_INO = 8;
export const EXT4_GOOD_OLD_FIRST_INO = 11;

// i_flags
export const EXT4_IMMUTABLE_FL = 0x10;
export const EXT4_APPEND_FL = 0x20;
export const EXT4_INDEX_FL = 0x1000;
export const EXT4_HUGE_FILE_FL = 0x40000;
export const EXT4_EXTENTS_FL = 0x80000;
export const EXT4_EA_INODE_FL = 0x200000;
export const EXT4_INLINE_DATA_FL = 0x10000000;

// Extent tree (ext4_extents.h)
export const EXT4_EXT_MAGIC = 0xf30a;
export const EXT_HEADER_SIZE = 12;
export const EXT_ENTRY_SIZE = 12;
export const EXT_INIT_MAX_LEN = 1 << 15;
export const EXT_MAX_DEPTH = 5;

// Directory entries
export const DIRENT_HEADER = 8; // inode u32, rec_len u16, name_len u8, file_type u8
export const EXT4_DIR_TAIL_SIZE = 12;
export const EXT4_FT_DIR_CSUM = 0xde;
export const EXT4_NAME_LEN = 255;
export const EXT4_INLINE_DOTDOT_SIZE = 4;
// dx_root: "." (12 bytes), ".." then dx_root_info at 0x18; dx_node: an empty dirent, count/limit at 8.
export const DX_ROOT_INFO = 0x18;
export const DX_NODE_COUNT = 8;
export const DX_TAIL_SIZE = 8;

// Extended attributes (xattr.h)
export const EXT4_XATTR_MAGIC = 0xea020000;
export const XATTR_HEADER_SIZE = 32; // block header
export const XATTR_IBODY_HEADER_SIZE = 4; // in-inode: the magic only
export const XATTR_ENTRY_SIZE = 16;
export const XATTR_BLOCK_CHECKSUM = 0x10;
export const EXT4_XATTR_INDEX_USER = 1;
export const EXT4_XATTR_INDEX_POSIX_ACL_ACCESS = 2;
export const EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT = 3;
export const EXT4_XATTR_INDEX_TRUSTED = 4;
export const EXT4_XATTR_INDEX_SECURITY = 6;
export const EXT4_XATTR_INDEX_SYSTEM = 7;
export const XATTR_PREFIXES: Record<number, string> = {
  [EXT4_XATTR_INDEX_USER]: "user.", [EXT4_XATTR_INDEX_POSIX_ACL_ACCESS]: "system.posix_acl_access",
  [EXT4_XATTR_INDEX_POSIX_ACL_DEFAULT]: "system.posix_acl_default", [EXT4_XATTR_INDEX_TRUSTED]: "trusted.",
  [EXT4_XATTR_INDEX_SECURITY]: "security.", [EXT4_XATTR_INDEX_SYSTEM]: "system.",
};
