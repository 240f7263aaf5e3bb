// Small syscall-specific ABIs: reboot, getrandom, memfd_create, inotify,
// signalfd, personality, membarrier, pidfd. (Mount, xattr, splice, fallocate
// and close_range flags are in mount.ts; struct iovec is in socket.ts.)

import { struct } from "./struct.js";

// reboot(2) (linux/reboot.h)
export const LINUX_REBOOT_MAGIC1 = 0xfee1_dead;
export const LINUX_REBOOT_MAGIC2 = 672274793; // 0x28121969
export const LINUX_REBOOT_MAGIC2A = 85072278; // 0x05121996
export const LINUX_REBOOT_MAGIC2B = 369367448; // 0x16041998
export const LINUX_REBOOT_MAGIC2C = 537993216; // 0x20112000
export const LINUX_REBOOT_CMD_RESTART = 0x0123_4567;
export const LINUX_REBOOT_CMD_HALT = 0xcdef_0123;
export const LINUX_REBOOT_CMD_CAD_ON = 0x89ab_cdef;
export const LINUX_REBOOT_CMD_CAD_OFF = 0x0000_0000;
export const LINUX_REBOOT_CMD_POWER_OFF = 0x4321_fedc;
export const LINUX_REBOOT_CMD_RESTART2 = 0xa1b2_c3d4;
export const LINUX_REBOOT_CMD_SW_SUSPEND = 0xd000_fce2;
export const LINUX_REBOOT_CMD_KEXEC = 0x4558_4543;

// getrandom(2)
export const GRND_NONBLOCK = 0x0001;
export const GRND_RANDOM = 0x0002;
export const GRND_INSECURE = 0x0004;

// memfd_create(2)
export const MFD_CLOEXEC = 0x0001;
export const MFD_ALLOW_SEALING = 0x0002;
export const MFD_HUGETLB = 0x0004;
/** Linux 6.3: not executable, and F_SEAL_EXEC applied. */
export const MFD_NOEXEC_SEAL = 0x0008;
/** Linux 6.3: executable. */
export const MFD_EXEC = 0x0010;
export const MFD_HUGE_SHIFT = 26;
export const MFD_HUGE_MASK = 0x3f;

// inotify
export const IN_ACCESS = 0x0000_0001;
export const IN_MODIFY = 0x0000_0002;
export const IN_ATTRIB = 0x0000_0004;
export const IN_CLOSE_WRITE = 0x0000_0008;
export const IN_CLOSE_NOWRITE = 0x0000_0010;
export const IN_OPEN = 0x0000_0020;
export const IN_MOVED_FROM = 0x0000_0040;
export const IN_MOVED_TO = 0x0000_0080;
export const IN_CREATE = 0x0000_0100;
export const IN_DELETE = 0x0000_0200;
export const IN_DELETE_SELF = 0x0000_0400;
export const IN_MOVE_SELF = 0x0000_0800;
export const IN_UNMOUNT = 0x0000_2000;
export const IN_Q_OVERFLOW = 0x0000_4000;
export const IN_IGNORED = 0x0000_8000;
export const IN_CLOSE = IN_CLOSE_WRITE | IN_CLOSE_NOWRITE;
export const IN_MOVE = IN_MOVED_FROM | IN_MOVED_TO;
export const IN_ONLYDIR = 0x0100_0000;
export const IN_DONT_FOLLOW = 0x0200_0000;
export const IN_EXCL_UNLINK = 0x0400_0000;
export const IN_MASK_CREATE = 0x1000_0000;
export const IN_MASK_ADD = 0x2000_0000;
export const IN_ISDIR = 0x4000_0000;
export const IN_ONESHOT = 0x8000_0000;
export const IN_ALL_EVENTS =
  IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN | IN_MOVED_FROM | IN_MOVED_TO |
  IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF;
export const IN_CLOEXEC = 0o2000000;
export const IN_NONBLOCK = 0o4000;
/** struct inotify_event header; the NUL-padded name (len bytes) follows. */
export const inotify_event = struct("struct inotify_event", 16, {
  wd: [0, "i32"],
  mask: [4, "u32"],
  cookie: [8, "u32"],
  len: [12, "u32"],
}, 4);

// signalfd
export const SFD_CLOEXEC = 0o2000000;
export const SFD_NONBLOCK = 0o4000;
/** struct signalfd_siginfo (128 bytes per signal read). */
export const signalfd_siginfo = struct("struct signalfd_siginfo", 128, {
  ssi_signo: [0, "u32"],
  ssi_errno: [4, "i32"],
  ssi_code: [8, "i32"],
  ssi_pid: [12, "u32"],
  ssi_uid: [16, "u32"],
  ssi_fd: [20, "i32"],
  ssi_tid: [24, "u32"],
  ssi_band: [28, "u32"],
  ssi_overrun: [32, "u32"],
  ssi_trapno: [36, "u32"],
  ssi_status: [40, "i32"],
  ssi_int: [44, "i32"],
  ssi_ptr: [48, "u64"],
  ssi_utime: [56, "u64"],
  ssi_stime: [64, "u64"],
  ssi_addr: [72, "u64"],
  ssi_addr_lsb: [80, "u16"],
  __pad2: [82, "u16"],
  ssi_syscall: [84, "i32"],
  ssi_call_addr: [88, "u64"],
  ssi_arch: [96, "u32"],
});

// personality(2)
export const UNAME26 = 0x002_0000;
export const ADDR_NO_RANDOMIZE = 0x004_0000;
export const FDPIC_FUNCPTRS = 0x008_0000;
export const MMAP_PAGE_ZERO = 0x010_0000;
export const ADDR_COMPAT_LAYOUT = 0x020_0000;
export const READ_IMPLIES_EXEC = 0x040_0000;
export const ADDR_LIMIT_32BIT = 0x080_0000;
export const SHORT_INODE = 0x100_0000;
export const WHOLE_SECONDS = 0x200_0000;
export const STICKY_TIMEOUTS = 0x400_0000;
export const ADDR_LIMIT_3GB = 0x800_0000;
export const PER_LINUX = 0x0000;
export const PER_LINUX_32BIT = PER_LINUX | ADDR_LIMIT_32BIT;
export const PER_LINUX_FDPIC = PER_LINUX | FDPIC_FUNCPTRS;
export const PER_LINUX32 = 0x0008;
export const PER_LINUX32_3GB = PER_LINUX32 | ADDR_LIMIT_3GB;
export const PER_MASK = 0x00ff;
/** personality(0xffffffff) only queries. */
export const PER_QUERY = 0xffff_ffff;

// membarrier(2)
export const MEMBARRIER_CMD_QUERY = 0;
export const MEMBARRIER_CMD_GLOBAL = 1 << 0;
export const MEMBARRIER_CMD_SHARED = MEMBARRIER_CMD_GLOBAL;
export const MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
export const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
export const MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
export const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;
export const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5;
export const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6;
export const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7;
export const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 1 << 8;
/** Linux 6.3. */
export const MEMBARRIER_CMD_GET_REGISTRATIONS = 1 << 9;
export const MEMBARRIER_CMD_FLAG_CPU = 1 << 0;

// pidfd_open / pidfd_send_signal (linux/pidfd.h)
export const PIDFD_NONBLOCK = 0o4000;
/** A pidfd for a thread rather than a thread group (Linux 6.9; = O_EXCL). */
export const PIDFD_THREAD = 0o200;
/** pidfd_send_signal scopes (Linux 6.9). */
export const PIDFD_SIGNAL_THREAD = 1 << 0;
export const PIDFD_SIGNAL_THREAD_GROUP = 1 << 1;
export const PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2;

// kcmp(2) types (linux/kcmp.h)
export const KCMP_FILE = 0;
export const KCMP_VM = 1;
export const KCMP_FILES = 2;
export const KCMP_FS = 3;
export const KCMP_SIGHAND = 4;
export const KCMP_IO = 5;
export const KCMP_SYSVSEM = 6;
export const KCMP_EPOLL_TFD = 7;
/** struct kcmp_epoll_slot { __u32 efd, tfd, toff; } */
export const KCMP_EPOLL_SLOT_SIZE = 12;

// Native AIO (include/uapi/linux/aio_abi.h)
export const IOCB_CMD_PREAD = 0;
export const IOCB_CMD_PWRITE = 1;
export const IOCB_CMD_FSYNC = 2;
export const IOCB_CMD_FDSYNC = 3;
export const IOCB_CMD_POLL = 5;
export const IOCB_CMD_NOOP = 6;
export const IOCB_CMD_PREADV = 7;
export const IOCB_CMD_PWRITEV = 8;
export const IOCB_FLAG_RESFD = 1 << 0;
export const IOCB_FLAG_IOPRIO = 1 << 1;
/** The key io_submit writes into iocb.aio_key (KIOCB_KEY). */
export const KIOCB_KEY = 0;
/** struct iocb (64 bytes, little-endian field order). */
export const iocb = struct("struct iocb", 64, {
  aio_data: [0, "u64"],
  aio_key: [8, "u32"],
  aio_rw_flags: [12, "i32"],
  aio_lio_opcode: [16, "u16"],
  aio_reqprio: [18, "i16"],
  aio_fildes: [20, "u32"],
  aio_buf: [24, "u64"],
  aio_nbytes: [32, "u64"],
  aio_offset: [40, "i64"],
  aio_reserved2: [48, "u64"],
  aio_flags: [56, "u32"],
  aio_resfd: [60, "u32"],
});
/** struct io_event: data, obj, res, res2. */
export const IO_EVENT_SIZE = 32;
/** struct aio_ring's header, in the ring the context id points at. */
export const AIO_RING_MAGIC = 0xa10a10a1;
export const AIO_RING_COMPAT_FEATURES = 1;
export const AIO_RING_INCOMPAT_FEATURES = 0;
export const AIO_RING_HEADER_SIZE = 32;
/** /proc/sys/fs/aio-max-nr's default: events all contexts may hold. */
export const AIO_MAX_NR = 65536;
