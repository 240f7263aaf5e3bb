// errno values for riscv64 (asm-generic numbering, shared by most architectures).
//
// System calls return -errno in a0; these are the positive numbers. The
// kernel-internal restart codes (512–516) never reach user space: the signal
// delivery path turns them into EINTR or a restart.

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const ENOTBLK = 15;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const EDOM = 33;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENAMETOOLONG = 36;
export const ENOLCK = 37;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const ENOMSG = 42;
export const EIDRM = 43;
export const ECHRNG = 44;
export const EL2NSYNC = 45;
export const EL3HLT = 46;
export const EL3RST = 47;
export const ELNRNG = 48;
export const EUNATCH = 49;
export const ENOCSI = 50;
export const EL2HLT = 51;
export const EBADE = 52;
export const EBADR = 53;
export const EXFULL = 54;
export const ENOANO = 55;
export const EBADRQC = 56;
export const EBADSLT = 57;
export const EBFONT = 59;
export const ENOSTR = 60;
export const ENODATA = 61;
export const ETIME = 62;
export const ENOSR = 63;
export const ENONET = 64;
export const ENOPKG = 65;
export const EREMOTE = 66;
export const ENOLINK = 67;
export const EADV = 68;
export const ESRMNT = 69;
export const ECOMM = 70;
export const EPROTO = 71;
export const EMULTIHOP = 72;
export const EDOTDOT = 73;
export const EBADMSG = 74;
export const EOVERFLOW = 75;
export const ENOTUNIQ = 76;
export const EBADFD = 77;
export const EREMCHG = 78;
export const ELIBACC = 79;
export const ELIBBAD = 80;
export const ELIBSCN = 81;
export const ELIBMAX = 82;
export const ELIBEXEC = 83;
export const EILSEQ = 84;
export const ERESTART = 85;
export const ESTRPIPE = 86;
export const EUSERS = 87;
export const ENOTSOCK = 88;
export const EDESTADDRREQ = 89;
export const EMSGSIZE = 90;
export const EPROTOTYPE = 91;
export const ENOPROTOOPT = 92;
export const EPROTONOSUPPORT = 93;
export const ESOCKTNOSUPPORT = 94;
export const EOPNOTSUPP = 95;
export const EPFNOSUPPORT = 96;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETDOWN = 100;
export const ENETUNREACH = 101;
export const ENETRESET = 102;
export const ECONNABORTED = 103;
export const ECONNRESET = 104;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ESHUTDOWN = 108;
export const ETOOMANYREFS = 109;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EHOSTDOWN = 112;
export const EHOSTUNREACH = 113;
export const EALREADY = 114;
export const EINPROGRESS = 115;
export const ESTALE = 116;
export const EUCLEAN = 117;
export const ENOTNAM = 118;
export const ENAVAIL = 119;
export const EISNAM = 120;
export const EREMOTEIO = 121;
export const EDQUOT = 122;
export const ENOMEDIUM = 123;
export const EMEDIUMTYPE = 124;
export const ECANCELED = 125;
export const ENOKEY = 126;
export const EKEYEXPIRED = 127;
export const EKEYREVOKED = 128;
export const EKEYREJECTED = 129;
export const EOWNERDEAD = 130;
export const ENOTRECOVERABLE = 131;
export const ERFKILL = 132;
export const EHWPOISON = 133;

// Aliases Linux defines.
export const EWOULDBLOCK = EAGAIN;
export const EDEADLOCK = EDEADLK;
/** glibc and musl spell EOPNOTSUPP this way too on Linux. */
export const ENOTSUP = EOPNOTSUPP;

// Kernel-internal codes (include/linux/errno.h); never returned to user space.
/** Restart the call if the handler has SA_RESTART, else EINTR. */
export const ERESTARTSYS = 512;
/** Always restart the call. */
export const ERESTARTNOINTR = 513;
/** Restart if no handler runs, else EINTR. */
export const ERESTARTNOHAND = 514;
/** No ioctl command matched (drivers' "not mine"); becomes ENOTTY. */
export const ENOIOCTLCMD = 515;
/** Restart through restart_syscall() with the saved restart block. */
export const ERESTART_RESTARTBLOCK = 516;

/** Largest errno a syscall may return (-4095..-1 are errors). */
export const MAX_ERRNO = 4095;

const NAMES: readonly (readonly [number, string])[] = [
  [1, "EPERM"],
  [2, "ENOENT"],
  [3, "ESRCH"],
  [4, "EINTR"],
  [5, "EIO"],
  [6, "ENXIO"],
  [7, "E2BIG"],
  [8, "ENOEXEC"],
  [9, "EBADF"],
  [10, "ECHILD"],
  [11, "EAGAIN"],
  [12, "ENOMEM"],
  [13, "EACCES"],
  [14, "EFAULT"],
  [15, "ENOTBLK"],
  [16, "EBUSY"],
  [17, "EEXIST"],
  [18, "EXDEV"],
  [19, "ENODEV"],
  [20, "ENOTDIR"],
  [21, "EISDIR"],
  [22, "EINVAL"],
  [23, "ENFILE"],
  [24, "EMFILE"],
  [25, "ENOTTY"],
  [26, "ETXTBSY"],
  [27, "EFBIG"],
  [28, "ENOSPC"],
  [29, "ESPIPE"],
  [30, "EROFS"],
  [31, "EMLINK"],
  [32, "EPIPE"],
  [33, "EDOM"],
  [34, "ERANGE"],
  [35, "EDEADLK"],
  [36, "ENAMETOOLONG"],
  [37, "ENOLCK"],
  [38, "ENOSYS"],
  [39, "ENOTEMPTY"],
  [40, "ELOOP"],
  [42, "ENOMSG"],
  [43, "EIDRM"],
  [44, "ECHRNG"],
  [45, "EL2NSYNC"],
  [46, "EL3HLT"],
  [47, "EL3RST"],
  [48, "ELNRNG"],
  [49, "EUNATCH"],
  [50, "ENOCSI"],
  [51, "EL2HLT"],
  [52, "EBADE"],
  [53, "EBADR"],
  [54, "EXFULL"],
  [55, "ENOANO"],
  [56, "EBADRQC"],
  [57, "EBADSLT"],
  [59, "EBFONT"],
  [60, "ENOSTR"],
  [61, "ENODATA"],
  [62, "ETIME"],
  [63, "ENOSR"],
  [64, "ENONET"],
  [65, "ENOPKG"],
  [66, "EREMOTE"],
  [67, "ENOLINK"],
  [68, "EADV"],
  [69, "ESRMNT"],
  [70, "ECOMM"],
  [71, "EPROTO"],
  [72, "EMULTIHOP"],
  [73, "EDOTDOT"],
  [74, "EBADMSG"],
  [75, "EOVERFLOW"],
  [76, "ENOTUNIQ"],
  [77, "EBADFD"],
  [78, "EREMCHG"],
  [79, "ELIBACC"],
  [80, "ELIBBAD"],
  [81, "ELIBSCN"],
  [82, "ELIBMAX"],
  [83, "ELIBEXEC"],
  [84, "EILSEQ"],
  [85, "ERESTART"],
  [86, "ESTRPIPE"],
  [87, "EUSERS"],
  [88, "ENOTSOCK"],
  [89, "EDESTADDRREQ"],
  [90, "EMSGSIZE"],
  [91, "EPROTOTYPE"],
  [92, "ENOPROTOOPT"],
  [93, "EPROTONOSUPPORT"],
  [94, "ESOCKTNOSUPPORT"],
  [95, "EOPNOTSUPP"],
  [96, "EPFNOSUPPORT"],
  [97, "EAFNOSUPPORT"],
  [98, "EADDRINUSE"],
  [99, "EADDRNOTAVAIL"],
  [100, "ENETDOWN"],
  [101, "ENETUNREACH"],
  [102, "ENETRESET"],
  [103, "ECONNABORTED"],
  [104, "ECONNRESET"],
  [105, "ENOBUFS"],
  [106, "EISCONN"],
  [107, "ENOTCONN"],
  [108, "ESHUTDOWN"],
  [109, "ETOOMANYREFS"],
  [110, "ETIMEDOUT"],
  [111, "ECONNREFUSED"],
  [112, "EHOSTDOWN"],
  [113, "EHOSTUNREACH"],
  [114, "EALREADY"],
  [115, "EINPROGRESS"],
  [116, "ESTALE"],
  [117, "EUCLEAN"],
  [118, "ENOTNAM"],
  [119, "ENAVAIL"],
  [120, "EISNAM"],
  [121, "EREMOTEIO"],
  [122, "EDQUOT"],
  [123, "ENOMEDIUM"],
  [124, "EMEDIUMTYPE"],
  [125, "ECANCELED"],
  [126, "ENOKEY"],
  [127, "EKEYEXPIRED"],
  [128, "EKEYREVOKED"],
  [129, "EKEYREJECTED"],
  [130, "EOWNERDEAD"],
  [131, "ENOTRECOVERABLE"],
  [132, "ERFKILL"],
  [133, "EHWPOISON"],
  [512, "ERESTARTSYS"],
  [513, "ERESTARTNOINTR"],
  [514, "ERESTARTNOHAND"],
  [515, "ENOIOCTLCMD"],
  [516, "ERESTART_RESTARTBLOCK"],
];

const BY_NUMBER: ReadonlyMap<number, string> = new Map(NAMES);

/** Every errno name → number, aliases included. */
export const ERRNO: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(NAMES.map(([n, name]) => [name, n])),
  EWOULDBLOCK, EDEADLOCK, ENOTSUP,
});

/** The Linux name of errno `n` (positive or negative), e.g. 2 → "ENOENT". */
export function errnoName(n: number): string | undefined {
  return BY_NUMBER.get(Math.abs(n));
}

/** True when a raw syscall return value (as a signed 64-bit number) is an error. */
export function isErrorReturn(ret: number): boolean {
  return ret < 0 && ret >= -MAX_ERRNO;
}
