// stat/statx/statfs/getdents64 layouts for riscv64.
//
// riscv64 uses the asm-generic struct stat (fstat 80, newfstatat 79) and the
// asm-generic 64-bit struct statfs (statfs 43, fstatfs 44). Mode bits (S_IF*)
// live in fcntl.ts.

import { struct, bytes } from "./struct.js";

/** struct stat (asm-generic/stat.h, 64-bit). */
export const stat = struct("struct stat", 128, {
  st_dev: [0, "u64"],
  st_ino: [8, "u64"],
  st_mode: [16, "u32"],
  st_nlink: [20, "u32"],
  st_uid: [24, "u32"],
  st_gid: [28, "u32"],
  st_rdev: [32, "u64"],
  __pad1: [40, "u64"],
  st_size: [48, "i64"],
  st_blksize: [56, "i32"],
  __pad2: [60, "i32"],
  st_blocks: [64, "i64"],
  st_atime: [72, "i64"],
  st_atime_nsec: [80, "u64"],
  st_mtime: [88, "i64"],
  st_mtime_nsec: [96, "u64"],
  st_ctime: [104, "i64"],
  st_ctime_nsec: [112, "u64"],
  __unused4: [120, "u32"],
  __unused5: [124, "u32"],
});

/** struct statx_timestamp. */
export const statx_timestamp = struct("struct statx_timestamp", 16, {
  tv_sec: [0, "i64"],
  tv_nsec: [8, "u32"],
  __reserved: [12, "i32"],
});

/**
 * struct statx as of Linux 6.15 (256 bytes). Fields after stx_dev_minor were
 * added over time: stx_mnt_id (5.8), stx_dio_* (6.1), stx_subvol (6.10),
 * stx_atomic_write_* (6.11), stx_dio_read_offset_align (6.14).
 * Timestamps are statx_timestamp (tv_sec at +0, tv_nsec at +8).
 */
export const statx = struct("struct statx", 256, {
  stx_mask: [0x00, "u32"],
  stx_blksize: [0x04, "u32"],
  stx_attributes: [0x08, "u64"],
  stx_nlink: [0x10, "u32"],
  stx_uid: [0x14, "u32"],
  stx_gid: [0x18, "u32"],
  stx_mode: [0x1c, "u16"],
  stx_ino: [0x20, "u64"],
  stx_size: [0x28, "u64"],
  stx_blocks: [0x30, "u64"],
  stx_attributes_mask: [0x38, "u64"],
  stx_atime: [0x40, bytes(16)],
  stx_atime_sec: [0x40, "i64"],
  stx_atime_nsec: [0x48, "u32"],
  stx_btime: [0x50, bytes(16)],
  stx_btime_sec: [0x50, "i64"],
  stx_btime_nsec: [0x58, "u32"],
  stx_ctime: [0x60, bytes(16)],
  stx_ctime_sec: [0x60, "i64"],
  stx_ctime_nsec: [0x68, "u32"],
  stx_mtime: [0x70, bytes(16)],
  stx_mtime_sec: [0x70, "i64"],
  stx_mtime_nsec: [0x78, "u32"],
  stx_rdev_major: [0x80, "u32"],
  stx_rdev_minor: [0x84, "u32"],
  stx_dev_major: [0x88, "u32"],
  stx_dev_minor: [0x8c, "u32"],
  stx_mnt_id: [0x90, "u64"],
  stx_dio_mem_align: [0x98, "u32"],
  stx_dio_offset_align: [0x9c, "u32"],
  stx_subvol: [0xa0, "u64"],
  stx_atomic_write_unit_min: [0xa8, "u32"],
  stx_atomic_write_unit_max: [0xac, "u32"],
  stx_atomic_write_segments_max: [0xb0, "u32"],
  stx_dio_read_offset_align: [0xb4, "u32"],
});

// statx mask bits
export const STATX_TYPE = 0x0000_0001;
export const STATX_MODE = 0x0000_0002;
export const STATX_NLINK = 0x0000_0004;
export const STATX_UID = 0x0000_0008;
export const STATX_GID = 0x0000_0010;
export const STATX_ATIME = 0x0000_0020;
export const STATX_MTIME = 0x0000_0040;
export const STATX_CTIME = 0x0000_0080;
export const STATX_INO = 0x0000_0100;
export const STATX_SIZE = 0x0000_0200;
export const STATX_BLOCKS = 0x0000_0400;
export const STATX_BASIC_STATS = 0x0000_07ff;
export const STATX_BTIME = 0x0000_0800;
export const STATX_MNT_ID = 0x0000_1000;
export const STATX_DIOALIGN = 0x0000_2000;
/** Linux 6.8. */
export const STATX_MNT_ID_UNIQUE = 0x0000_4000;
/** Linux 6.10. */
export const STATX_SUBVOL = 0x0000_8000;
/** Linux 6.11. */
export const STATX_WRITE_ATOMIC = 0x0001_0000;
/** Linux 6.14. */
export const STATX_DIO_READ_ALIGN = 0x0002_0000;
export const STATX__RESERVED = 0x8000_0000;
/** Deprecated alias of STATX_BASIC_STATS | STATX_BTIME. */
export const STATX_ALL = 0x0000_0fff;

// statx attributes
export const STATX_ATTR_COMPRESSED = 0x0000_0004;
export const STATX_ATTR_IMMUTABLE = 0x0000_0010;
export const STATX_ATTR_APPEND = 0x0000_0020;
export const STATX_ATTR_NODUMP = 0x0000_0040;
export const STATX_ATTR_ENCRYPTED = 0x0000_0800;
export const STATX_ATTR_AUTOMOUNT = 0x0000_1000;
export const STATX_ATTR_MOUNT_ROOT = 0x0000_2000;
export const STATX_ATTR_VERITY = 0x0010_0000;
export const STATX_ATTR_DAX = 0x0020_0000;
/** Linux 6.11. */
export const STATX_ATTR_WRITE_ATOMIC = 0x0040_0000;

/** struct statfs (asm-generic/statfs.h, 64-bit: every word is 8 bytes but f_fsid). */
export const statfs = struct("struct statfs", 120, {
  f_type: [0, "i64"],
  f_bsize: [8, "i64"],
  f_blocks: [16, "u64"],
  f_bfree: [24, "u64"],
  f_bavail: [32, "u64"],
  f_files: [40, "u64"],
  f_ffree: [48, "u64"],
  f_fsid: [56, bytes(8)],
  f_fsid0: [56, "i32"],
  f_fsid1: [60, "i32"],
  f_namelen: [64, "i64"],
  f_frsize: [72, "i64"],
  f_flags: [80, "i64"],
  f_spare: [88, bytes(32)],
});

// statfs f_flags (ST_*; the kernel reports ST_VALID when f_flags is meaningful)
export const ST_RDONLY = 0x0001;
export const ST_NOSUID = 0x0002;
export const ST_NODEV = 0x0004;
export const ST_NOEXEC = 0x0008;
export const ST_SYNCHRONOUS = 0x0010;
export const ST_VALID = 0x0020;
export const ST_MANDLOCK = 0x0040;
export const ST_NOATIME = 0x0400;
export const ST_NODIRATIME = 0x0800;
export const ST_RELATIME = 0x1000;
export const ST_NOSYMFOLLOW = 0x2000;

// filesystem magic numbers (statfs f_type; linux/magic.h)
export const ADFS_SUPER_MAGIC = 0xadf5;
export const AFFS_SUPER_MAGIC = 0xadff;
export const AFS_SUPER_MAGIC = 0x5346414f;
export const AUTOFS_SUPER_MAGIC = 0x0187;
export const CEPH_SUPER_MAGIC = 0x00c36400;
export const CODA_SUPER_MAGIC = 0x73757245;
export const CRAMFS_MAGIC = 0x28cd3d45;
export const DEBUGFS_MAGIC = 0x64626720;
export const SECURITYFS_MAGIC = 0x73636673;
export const SELINUX_MAGIC = 0xf97cff8c;
export const SMACK_MAGIC = 0x43415d53;
export const RAMFS_MAGIC = 0x858458f6;
export const TMPFS_MAGIC = 0x01021994;
export const HUGETLBFS_MAGIC = 0x958458f6;
export const SQUASHFS_MAGIC = 0x73717368;
export const ECRYPTFS_SUPER_MAGIC = 0xf15f;
export const EFS_SUPER_MAGIC = 0x414a53;
export const EROFS_SUPER_MAGIC_V1 = 0xe0f5e1e2;
export const EXT2_SUPER_MAGIC = 0xef53;
export const EXT3_SUPER_MAGIC = 0xef53;
export const EXT4_SUPER_MAGIC = 0xef53;
export const XENFS_SUPER_MAGIC = 0xabba1974;
export const BTRFS_SUPER_MAGIC = 0x9123683e;
export const NILFS_SUPER_MAGIC = 0x3434;
export const F2FS_SUPER_MAGIC = 0xf2f52010;
export const HPFS_SUPER_MAGIC = 0xf995e849;
export const ISOFS_SUPER_MAGIC = 0x9660;
export const JFFS2_SUPER_MAGIC = 0x72b6;
export const XFS_SUPER_MAGIC = 0x58465342;
export const PSTOREFS_MAGIC = 0x6165676c;
export const EFIVARFS_MAGIC = 0xde5e81e4;
export const HOSTFS_SUPER_MAGIC = 0x00c0ffee;
export const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
export const FUSE_SUPER_MAGIC = 0x65735546;
export const MINIX_SUPER_MAGIC = 0x137f;
export const MINIX_SUPER_MAGIC2 = 0x138f;
export const MINIX2_SUPER_MAGIC = 0x2468;
export const MINIX2_SUPER_MAGIC2 = 0x2478;
export const MINIX3_SUPER_MAGIC = 0x4d5a;
export const MSDOS_SUPER_MAGIC = 0x4d44;
export const EXFAT_SUPER_MAGIC = 0x2011bab0;
export const NCP_SUPER_MAGIC = 0x564c;
export const NFS_SUPER_MAGIC = 0x6969;
export const OCFS2_SUPER_MAGIC = 0x7461636f;
export const OPENPROM_SUPER_MAGIC = 0x9fa1;
export const QNX4_SUPER_MAGIC = 0x002f;
export const QNX6_SUPER_MAGIC = 0x68191122;
export const AFS_FS_MAGIC = 0x6b414653;
export const REISERFS_SUPER_MAGIC = 0x52654973;
export const SMB_SUPER_MAGIC = 0x517b;
export const CIFS_SUPER_MAGIC = 0xff534d42;
export const SMB2_SUPER_MAGIC = 0xfe534d42;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const RDTGROUP_SUPER_MAGIC = 0x7655821;
export const STACK_END_MAGIC = 0x57ac6e9d;
export const TRACEFS_MAGIC = 0x74726163;
export const V9FS_MAGIC = 0x01021997;
export const BDEVFS_MAGIC = 0x62646576;
export const DAXFS_MAGIC = 0x64646178;
export const BINFMTFS_MAGIC = 0x42494e4d;
export const DEVPTS_SUPER_MAGIC = 0x1cd1;
export const BINDERFS_SUPER_MAGIC = 0x6c6f6f70;
export const FUTEXFS_SUPER_MAGIC = 0xbad1dea;
export const PIPEFS_MAGIC = 0x50495045;
export const PROC_SUPER_MAGIC = 0x9fa0;
export const SOCKFS_MAGIC = 0x534f434b;
export const SYSFS_MAGIC = 0x62656572;
export const USBDEVICE_SUPER_MAGIC = 0x9fa2;
export const MTD_INODE_FS_MAGIC = 0x11307854;
export const ANON_INODE_FS_MAGIC = 0x09041934;
export const BTRFS_TEST_MAGIC = 0x73727279;
export const NSFS_MAGIC = 0x6e736673;
export const BPF_FS_MAGIC = 0xcafe4a11;
export const AAFS_MAGIC = 0x5a3c69f0;
export const ZONEFS_MAGIC = 0x5a4f4653;
export const UDF_SUPER_MAGIC = 0x15013346;
export const DMA_BUF_MAGIC = 0x444d4142;
export const DEVMEM_MAGIC = 0x454d444d;
export const SECRETMEM_MAGIC = 0x5345434d;
/** pidfs (Linux 6.9). */
export const PID_FS_MAGIC = 0x50494446;

/**
 * struct linux_dirent64 header; d_name (NUL-terminated) starts at 19 and each
 * record's d_reclen is rounded up to a multiple of 8.
 */
export const linux_dirent64 = struct("struct linux_dirent64", 24, {
  d_ino: [0, "u64"],
  d_off: [8, "i64"],
  d_reclen: [16, "u16"],
  d_type: [18, "u8"],
});
/** offsetof(struct linux_dirent64, d_name). */
export const DIRENT64_NAME_OFFSET = 19;

/** d_reclen of a linux_dirent64 whose name is `nameBytes` long (without the NUL). */
export function dirent64RecLen(nameBytes: number): number {
  return (DIRENT64_NAME_OFFSET + nameBytes + 1 + 7) & ~7;
}

// d_type
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;
export const DT_WHT = 14;

/** d_type for a mode (IFTODT). */
export function IFTODT(mode: number): number {
  return (mode & 0o170000) >>> 12;
}
/** mode file-type bits for a d_type (DTTOIF). */
export function DTTOIF(dt: number): number {
  return (dt << 12) >>> 0;
}

/** Device number as stat's st_dev/st_rdev carry it (new_encode_dev: 12-bit major, 20-bit minor). */
export function encodeDev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
export function devMajor(dev: number): number {
  return (dev & 0xfff00) >>> 8;
}
export function devMinor(dev: number): number {
  return ((dev & 0xff) | ((dev >>> 12) & 0xfff00)) >>> 0;
}
