// mount(2)/umount2(2) flags and the new mount API's flags (linux/mount.h),
// extended attributes (linux/xattr.h), fallocate (linux/falloc.h) and
// splice/close_range flags.

import { struct } from "./struct.js";

// mount(2) flags
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_SYNCHRONOUS = 16;
export const MS_REMOUNT = 32;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOSYMFOLLOW = 256;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_BIND = 4096;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MS_VERBOSE = 32768;
export const MS_SILENT = 32768;
export const MS_POSIXACL = 1 << 16;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_KERNMOUNT = 1 << 22;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;
export const MS_SUBMOUNT = 1 << 26;
export const MS_NOREMOTELOCK = 1 << 27;
export const MS_NOSEC = 1 << 28;
export const MS_BORN = 1 << 29;
export const MS_ACTIVE = 1 << 30;
export const MS_NOUSER = 0x8000_0000;
/** Flags that can change on MS_REMOUNT of the superblock. */
export const MS_RMT_MASK = MS_RDONLY | MS_SYNCHRONOUS | MS_MANDLOCK | MS_I_VERSION | MS_LAZYTIME;
/** Old magic in the top 16 bits of the flags; ignored. */
export const MS_MGC_VAL = 0xc0ed_0000;
export const MS_MGC_MSK = 0xffff_0000;

// umount2(2) flags
export const MNT_FORCE = 0x0000_0001;
export const MNT_DETACH = 0x0000_0002;
export const MNT_EXPIRE = 0x0000_0004;
export const UMOUNT_NOFOLLOW = 0x0000_0008;
export const UMOUNT_UNUSED = 0x8000_0000;

// open_tree(2)
export const OPEN_TREE_CLONE = 1;
export const OPEN_TREE_CLOEXEC = 0o2000000;

// move_mount(2)
export const MOVE_MOUNT_F_SYMLINKS = 0x0000_0001;
export const MOVE_MOUNT_F_AUTOMOUNTS = 0x0000_0002;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x0000_0004;
export const MOVE_MOUNT_T_SYMLINKS = 0x0000_0010;
export const MOVE_MOUNT_T_AUTOMOUNTS = 0x0000_0020;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x0000_0040;
export const MOVE_MOUNT_SET_GROUP = 0x0000_0100;
/** Linux 6.5. */
export const MOVE_MOUNT_BENEATH = 0x0000_0200;

// fsopen/fspick/fsmount
export const FSOPEN_CLOEXEC = 0x0000_0001;
export const FSPICK_CLOEXEC = 0x0000_0001;
export const FSPICK_SYMLINK_NOFOLLOW = 0x0000_0002;
export const FSPICK_NO_AUTOMOUNT = 0x0000_0004;
export const FSPICK_EMPTY_PATH = 0x0000_0008;
export const FSMOUNT_CLOEXEC = 0x0000_0001;

// fsconfig(2) commands
export const FSCONFIG_SET_FLAG = 0;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_SET_BINARY = 2;
export const FSCONFIG_SET_PATH = 3;
export const FSCONFIG_SET_PATH_EMPTY = 4;
export const FSCONFIG_SET_FD = 5;
export const FSCONFIG_CMD_CREATE = 6;
export const FSCONFIG_CMD_RECONFIGURE = 7;
/** Linux 6.6. */
export const FSCONFIG_CMD_CREATE_EXCL = 8;

// mount attributes (fsmount, mount_setattr)
export const MOUNT_ATTR_RDONLY = 0x0000_0001;
export const MOUNT_ATTR_NOSUID = 0x0000_0002;
export const MOUNT_ATTR_NODEV = 0x0000_0004;
export const MOUNT_ATTR_NOEXEC = 0x0000_0008;
export const MOUNT_ATTR__ATIME = 0x0000_0070;
export const MOUNT_ATTR_RELATIME = 0x0000_0000;
export const MOUNT_ATTR_NOATIME = 0x0000_0010;
export const MOUNT_ATTR_STRICTATIME = 0x0000_0020;
export const MOUNT_ATTR_NODIRATIME = 0x0000_0080;
export const MOUNT_ATTR_IDMAP = 0x0010_0000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x0020_0000;
export const MOUNT_ATTR_SIZE_VER0 = 32;
/** struct mount_attr (mount_setattr). */
export const mount_attr = struct("struct mount_attr", 32, {
  attr_set: [0, "u64"],
  attr_clr: [8, "u64"],
  propagation: [16, "u64"],
  userns_fd: [24, "u64"],
});

// extended attributes
export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;
export const XATTR_NAME_MAX = 255;
/** struct xattr_args (the *xattrat calls, Linux 6.13): its first size. */
export const XATTR_ARGS_SIZE_VER0 = 16;
export const XATTR_SIZE_MAX = 65536;
export const XATTR_LIST_MAX = 65536;

// splice/vmsplice/tee
export const SPLICE_F_MOVE = 0x01;
export const SPLICE_F_NONBLOCK = 0x02;
export const SPLICE_F_MORE = 0x04;
export const SPLICE_F_GIFT = 0x08;

// fallocate modes
/** Plain allocation, the default mode (named in the uapi header after 6.1). */
export const FALLOC_FL_ALLOCATE_RANGE = 0x00;
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_NO_HIDE_STALE = 0x04;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;
export const FALLOC_FL_UNSHARE_RANGE = 0x40;

// close_range(2)
export const CLOSE_RANGE_UNSHARE = 1 << 1;
export const CLOSE_RANGE_CLOEXEC = 1 << 2;
