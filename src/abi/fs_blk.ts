// Block-device ioctls (include/uapi/linux/fs.h) and the block-device numbers
// Ghost's virtual disks use (virtio_blk: a dynamic major, 16 minors a disk).

import { _IO, _IOR, _IOW } from "./ioctl.js";

const SIZEOF_SIZE_T = 8;

export const BLKROSET = _IO(0x12, 93);
export const BLKROGET = _IO(0x12, 94);
export const BLKRRPART = _IO(0x12, 95);
export const BLKGETSIZE = _IO(0x12, 96);
export const BLKFLSBUF = _IO(0x12, 97);
export const BLKRASET = _IO(0x12, 98);
export const BLKRAGET = _IO(0x12, 99);
export const BLKFRASET = _IO(0x12, 100);
export const BLKFRAGET = _IO(0x12, 101);
export const BLKSSZGET = _IO(0x12, 104);
export const BLKBSZGET = _IOR(0x12, 112, SIZEOF_SIZE_T);
export const BLKGETSIZE64 = _IOR(0x12, 114, SIZEOF_SIZE_T);
export const BLKDISCARD = _IO(0x12, 119);
export const BLKIOMIN = _IO(0x12, 120);
export const BLKIOOPT = _IO(0x12, 121);
export const BLKALIGNOFF = _IO(0x12, 122);
export const BLKPBSZGET = _IO(0x12, 123);
export const BLKDISCARDZEROES = _IO(0x12, 124);
export const BLKSECDISCARD = _IO(0x12, 125);
export const BLKROTATIONAL = _IO(0x12, 126);
export const BLKZEROOUT = _IO(0x12, 127);
export const BLKGETDISKSEQ = _IOR(0x12, 128, 8);
export const BLKGETZONESZ = _IOR(0x12, 132, 4);
export const BLKGETNRZONES = _IOR(0x12, 133, 4);
// BLKDISCARD, BLKSECDISCARD and BLKZEROOUT take a range: two u64, start and length in bytes.
export const BLK_RANGE_SIZE = 16;

// Inode flags (FS_IOC_GETFLAGS/SETFLAGS: the argument points to an int
// whatever the long in the number says).
const SIZEOF_LONG = 8;
export const FS_IOC_GETFLAGS = _IOR("f", 1, SIZEOF_LONG);
export const FS_IOC_SETFLAGS = _IOW("f", 2, SIZEOF_LONG);
export const FS_IMMUTABLE_FL = 0x10;
export const FS_APPEND_FL = 0x20;
export const FS_NODUMP_FL = 0x40;
export const FS_NOATIME_FL = 0x80;

export const SECTOR_SIZE = 512;
export const SECTOR_SHIFT = 9;

// The major Linux's virtio_blk usually gets (register_blkdev(0, …) hands out
// 254 first) and its minors per disk (1 << PART_BITS, PART_BITS = 4).
export const VIRTBLK_MAJOR = 254;
export const VIRTBLK_MINORS = 16;
// What qemu's virtio-blk offers (VIRTIO_BLK_F_DISCARD and _WRITE_ZEROES,
// max_discard_sectors and max_write_zeroes_sectors of BDRV_REQUEST_MAX_SECTORS):
// the largest discard or write-zeroes request, in 512-byte sectors.
export const VIRTBLK_MAX_DISCARD_SECTORS = 4194303;

// Sharing extents between files (reflink): FICLONE takes the source fd as
// its argument, FICLONERANGE a struct file_clone_range.
export const FICLONE = _IOW(0x94, 9, 4);
export const FICLONERANGE = _IOW(0x94, 13, 32);
/** struct file_clone_range: s64 src_fd, u64 src_offset, src_length, dest_offset. */
export const FILE_CLONE_RANGE_SRC_FD = 0;
