// open(2)/fcntl(2)/*at(2) constants and layouts for riscv64.
//
// riscv64 uses the asm-generic values throughout (asm-generic/fcntl.h,
// linux/fcntl.h, linux/openat2.h, linux/stat.h). Octal as Linux writes them.

import { struct } from "./struct.js";

// open flags
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_NDELAY = O_NONBLOCK;
export const O_DSYNC = 0o10000;
export const FASYNC = 0o20000;
export const O_DIRECT = 0o40000;
/** Forced on by the 64-bit kernel for every open; user-space headers may define it as 0. */
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const __O_SYNC = 0o4000000;
export const O_SYNC = __O_SYNC | O_DSYNC;
export const O_RSYNC = O_SYNC;
export const O_PATH = 0o10000000;
export const __O_TMPFILE = 0o20000000;
export const O_TMPFILE = __O_TMPFILE | O_DIRECTORY;
export const O_TMPFILE_MASK = __O_TMPFILE | O_DIRECTORY | O_CREAT;

/** The only flags that make sense together with O_PATH. */
export const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
/** Flags fcntl(F_SETFL) stores; FASYNC is also accepted, through the file's fasync hook. */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME;

// fcntl commands
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETSIG = 10;
export const F_GETSIG = 11;
export const F_SETOWN_EX = 15;
export const F_GETOWN_EX = 16;
export const F_GETOWNER_UIDS = 17;
export const F_OFD_GETLK = 36;
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;

export const F_LINUX_SPECIFIC_BASE = 1024;
export const F_SETLEASE = F_LINUX_SPECIFIC_BASE + 0;
export const F_GETLEASE = F_LINUX_SPECIFIC_BASE + 1;
export const F_NOTIFY = F_LINUX_SPECIFIC_BASE + 2;
/** Is the argument fd the same file as this one? (Linux 6.10) */
export const F_DUPFD_QUERY = F_LINUX_SPECIFIC_BASE + 3;
/** Was this file created by the open that returned it? (Linux 6.12) */
export const F_CREATED_QUERY = F_LINUX_SPECIFIC_BASE + 4;
export const F_CANCELLK = F_LINUX_SPECIFIC_BASE + 5;
export const F_DUPFD_CLOEXEC = F_LINUX_SPECIFIC_BASE + 6;
export const F_SETPIPE_SZ = F_LINUX_SPECIFIC_BASE + 7;
export const F_GETPIPE_SZ = F_LINUX_SPECIFIC_BASE + 8;
export const F_ADD_SEALS = F_LINUX_SPECIFIC_BASE + 9;
export const F_GET_SEALS = F_LINUX_SPECIFIC_BASE + 10;
export const F_GET_RW_HINT = F_LINUX_SPECIFIC_BASE + 11;
export const F_SET_RW_HINT = F_LINUX_SPECIFIC_BASE + 12;
export const F_GET_FILE_RW_HINT = F_LINUX_SPECIFIC_BASE + 13;
export const F_SET_FILE_RW_HINT = F_LINUX_SPECIFIC_BASE + 14;

// file seals
export const F_SEAL_SEAL = 0x0001;
export const F_SEAL_SHRINK = 0x0002;
export const F_SEAL_GROW = 0x0004;
export const F_SEAL_WRITE = 0x0008;
export const F_SEAL_FUTURE_WRITE = 0x0010;
/** Linux 6.3. */
export const F_SEAL_EXEC = 0x0020;

// write-life hints
export const RWH_WRITE_LIFE_NOT_SET = 0;
export const RWH_WRITE_LIFE_NONE = 1;
export const RWH_WRITE_LIFE_SHORT = 2;
export const RWH_WRITE_LIFE_MEDIUM = 3;
export const RWH_WRITE_LIFE_LONG = 4;
export const RWH_WRITE_LIFE_EXTREME = 5;

// F_NOTIFY events
export const DN_ACCESS = 0x0000_0001;
export const DN_MODIFY = 0x0000_0002;
export const DN_CREATE = 0x0000_0004;
export const DN_DELETE = 0x0000_0008;
export const DN_RENAME = 0x0000_0010;
export const DN_ATTRIB = 0x0000_0020;
export const DN_MULTISHOT = 0x8000_0000;

// F_SETOWN_EX owner types; struct f_owner_ex
export const F_OWNER_TID = 0;
export const F_OWNER_PID = 1;
export const F_OWNER_PGRP = 2;
export const f_owner_ex = struct("struct f_owner_ex", 8, {
  type: [0, "i32"],
  pid: [4, "i32"],
}, 4);

export const FD_CLOEXEC = 1;

// record locks
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;
export const F_EXLCK = 4;
export const F_SHLCK = 8;

/** struct flock (= struct flock64 on riscv64). */
export const flock = struct("struct flock", 32, {
  l_type: [0, "i16"],
  l_whence: [2, "i16"],
  l_start: [8, "i64"],
  l_len: [16, "i64"],
  l_pid: [24, "i32"],
});

// flock(2)
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const LOCK_MAND = 32;
export const LOCK_READ = 64;
export const LOCK_WRITE = 128;
export const LOCK_RW = 192;

// *at() directory fd and flags
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** faccessat: use effective ids (same bit as AT_REMOVEDIR). */
export const AT_EACCESS = 0x200;
/** unlinkat: remove a directory. */
export const AT_REMOVEDIR = 0x200;
/** name_to_handle_at: a handle for identification only (Linux 6.5; same bit). */
export const AT_HANDLE_FID = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;
export const AT_STATX_SYNC_AS_STAT = 0x0000;
export const AT_STATX_FORCE_SYNC = 0x2000;
export const AT_STATX_DONT_SYNC = 0x4000;
export const AT_RECURSIVE = 0x8000;
/** execveat: only check whether the file could be executed (Linux 6.14). */
export const AT_EXECVE_CHECK = 0x10000;
// Per-syscall flags in the low byte (named in the uapi header after 6.1).
export const AT_RENAME_NOREPLACE = 0x0001;
export const AT_RENAME_EXCHANGE = 0x0002;
export const AT_RENAME_WHITEOUT = 0x0004;
export const AT_HANDLE_MNT_ID_UNIQUE = 0x001;
export const AT_HANDLE_CONNECTABLE = 0x002;

// renameat2
export const RENAME_NOREPLACE = 1 << 0;
export const RENAME_EXCHANGE = 1 << 1;
export const RENAME_WHITEOUT = 1 << 2;

// openat2: struct open_how and RESOLVE_*
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;
export const VALID_RESOLVE_FLAGS = 0x3f;
export const OPEN_HOW_SIZE_VER0 = 24;
export const OPEN_HOW_SIZE_LATEST = OPEN_HOW_SIZE_VER0;
export const open_how = struct("struct open_how", 24, {
  flags: [0, "u64"],
  mode: [8, "u64"],
  resolve: [16, "u64"],
});

// lseek whence
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
export const SEEK_MAX = SEEK_HOLE;

// file type and mode bits
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o004000;
export const S_ISGID = 0o002000;
export const S_ISVTX = 0o001000;
export const S_IRWXU = 0o700;
export const S_IRUSR = 0o400;
export const S_IWUSR = 0o200;
export const S_IXUSR = 0o100;
export const S_IRWXG = 0o070;
export const S_IRGRP = 0o040;
export const S_IWGRP = 0o020;
export const S_IXGRP = 0o010;
export const S_IRWXO = 0o007;
export const S_IROTH = 0o004;
export const S_IWOTH = 0o002;
export const S_IXOTH = 0o001;
export const S_IALLUGO = S_ISUID | S_ISGID | S_ISVTX | S_IRWXU | S_IRWXG | S_IRWXO;

export const S_ISLNK = (m: number): boolean => (m & S_IFMT) === S_IFLNK;
export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
export const S_ISCHR = (m: number): boolean => (m & S_IFMT) === S_IFCHR;
export const S_ISBLK = (m: number): boolean => (m & S_IFMT) === S_IFBLK;
export const S_ISFIFO = (m: number): boolean => (m & S_IFMT) === S_IFIFO;
export const S_ISSOCK = (m: number): boolean => (m & S_IFMT) === S_IFSOCK;

// access(2) modes
export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

// utimensat tv_nsec specials
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

// fadvise64 advice (64-bit values)
export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_RANDOM = 1;
export const POSIX_FADV_SEQUENTIAL = 2;
export const POSIX_FADV_WILLNEED = 3;
export const POSIX_FADV_DONTNEED = 4;
export const POSIX_FADV_NOREUSE = 5;

// sync_file_range
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
export const SYNC_FILE_RANGE_WRITE = 2;
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;

// name_to_handle_at / open_by_handle_at
export const MAX_HANDLE_SZ = 128;
/** struct file_handle header; f_handle[] follows at offset 8. */
export const file_handle = struct("struct file_handle", 8, {
  handle_bytes: [0, "u32"],
  handle_type: [4, "i32"],
}, 4);

// The most one read/write-family call transfers (include/linux/fs.h:
// INT_MAX rounded down to a page).
export const MAX_RW_COUNT = 0x7ffff000;

// preadv2/pwritev2 flags (include/uapi/linux/fs.h, rwf_t).
export const RWF_HIPRI = 0x01;
export const RWF_DSYNC = 0x02;
export const RWF_SYNC = 0x04;
export const RWF_NOWAIT = 0x08;
export const RWF_APPEND = 0x10;
export const RWF_NOAPPEND = 0x20;
export const RWF_ATOMIC = 0x40;
export const RWF_DONTCACHE = 0x80;
export const RWF_SUPPORTED = 0xff;
