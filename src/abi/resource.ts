// Resource limits, usage, priorities, sysinfo, uname and times for riscv64
// (asm-generic/resource.h, linux/resource.h, linux/sysinfo.h, linux/utsname.h,
// linux/times.h).

import { struct, bytes } from "./struct.js";

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIMIT_RTTIME = 15;
export const RLIM_NLIMITS = 16;

export const RLIMIT_NAMES: readonly string[] = [
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
  "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
];

/** RLIM_INFINITY (~0UL on riscv64) as a bigint. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
export const RLIM64_INFINITY = RLIM_INFINITY;
/** The same all-ones 64-bit value, as the two 32-bit halves a DataView writes. */
export const RLIM_INFINITY_LO = 0xffff_ffff;
export const RLIM_INFINITY_HI = 0xffff_ffff;

/** struct rlimit (= struct rlimit64 on riscv64). */
export const rlimit = struct("struct rlimit", 16, {
  rlim_cur: [0, "u64"],
  rlim_max: [8, "u64"],
});
export const rlimit64 = struct("struct rlimit64", 16, {
  rlim_cur: [0, "u64"],
  rlim_max: [8, "u64"],
});

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_BOTH = -2;
export const RUSAGE_THREAD = 1;

/** struct rusage; times are struct timeval (sec, usec) pairs. */
export const rusage = struct("struct rusage", 144, {
  ru_utime_sec: [0, "i64"],
  ru_utime_usec: [8, "i64"],
  ru_stime_sec: [16, "i64"],
  ru_stime_usec: [24, "i64"],
  ru_maxrss: [32, "i64"],
  ru_ixrss: [40, "i64"],
  ru_idrss: [48, "i64"],
  ru_isrss: [56, "i64"],
  ru_minflt: [64, "i64"],
  ru_majflt: [72, "i64"],
  ru_nswap: [80, "i64"],
  ru_inblock: [88, "i64"],
  ru_oublock: [96, "i64"],
  ru_msgsnd: [104, "i64"],
  ru_msgrcv: [112, "i64"],
  ru_nsignals: [120, "i64"],
  ru_nvcsw: [128, "i64"],
  ru_nivcsw: [136, "i64"],
});

export const PRIO_MIN = -20;
export const PRIO_MAX = 20;
export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;

/** struct sysinfo: 64-bit longs, a u16 process count, padded to 112 bytes. */
export const sysinfo = struct("struct sysinfo", 112, {
  uptime: [0, "i64"],
  loads0: [8, "u64"],
  loads1: [16, "u64"],
  loads2: [24, "u64"],
  totalram: [32, "u64"],
  freeram: [40, "u64"],
  sharedram: [48, "u64"],
  bufferram: [56, "u64"],
  totalswap: [64, "u64"],
  freeswap: [72, "u64"],
  procs: [80, "u16"],
  pad: [82, "u16"],
  totalhigh: [88, "u64"],
  freehigh: [96, "u64"],
  mem_unit: [104, "u32"],
});
/** Fixed-point shift of sysinfo.loads[] (1 << 16 is a load of 1.0). */
export const SI_LOAD_SHIFT = 16;

/** Length of each utsname string, without its NUL. */
export const __NEW_UTS_LEN = 64;
/** struct new_utsname (uname(2) on riscv64): six char[65]. */
export const utsname = struct("struct new_utsname", 390, {
  sysname: [0, bytes(65)],
  nodename: [65, bytes(65)],
  release: [130, bytes(65)],
  version: [195, bytes(65)],
  machine: [260, bytes(65)],
  domainname: [325, bytes(65)],
}, 1);

/** struct tms (times(2)); clock_t is long. */
export const tms = struct("struct tms", 32, {
  tms_utime: [0, "i64"],
  tms_stime: [8, "i64"],
  tms_cutime: [16, "i64"],
  tms_cstime: [24, "i64"],
});
