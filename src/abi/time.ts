// Clocks, timers and time layouts for riscv64 (64-bit time everywhere:
// riscv64 has no time32 syscalls, so every timespec is struct __kernel_timespec).

import { struct } from "./struct.js";

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
/** Id 10 was CLOCK_SGI_CYCLE, long removed; it is invalid. */
export const CLOCK_SGI_CYCLE = 10;
export const CLOCK_TAI = 11;
export const MAX_CLOCKS = 16;

export const TIMER_ABSTIME = 0x01;

// CPU-time clock ids (kernel-internal encoding, include/linux/posix-timers_types.h):
// a negative id carries ~pid (or ~tid) above 3 bits of clock type.
export const CPUCLOCK_PROF = 0;
export const CPUCLOCK_VIRT = 1;
export const CPUCLOCK_SCHED = 2;
export const CPUCLOCK_MAX = 3;
export const CLOCKFD = CPUCLOCK_MAX;
export const CPUCLOCK_CLOCK_MASK = 3;
export const CPUCLOCK_PERTHREAD_MASK = 4;
export const CLOCKFD_MASK = CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_CLOCK_MASK;

/** clockid for CPU clock `which` of process `pid` (0 = the caller). */
export function MAKE_PROCESS_CPUCLOCK(pid: number, which: number): number {
  return (~pid << 3) | which;
}
/** clockid for CPU clock `which` of thread `tid` (0 = the caller). */
export function MAKE_THREAD_CPUCLOCK(tid: number, which: number): number {
  return MAKE_PROCESS_CPUCLOCK(tid, which | CPUCLOCK_PERTHREAD_MASK);
}
/** The pid/tid a CPU clockid names (0 means the caller). */
export function CPUCLOCK_PID(clock: number): number {
  return ~(clock >> 3);
}
export function CPUCLOCK_PERTHREAD(clock: number): boolean {
  return (clock & CPUCLOCK_PERTHREAD_MASK) !== 0;
}
export function CPUCLOCK_WHICH(clock: number): number {
  return clock & CPUCLOCK_CLOCK_MASK;
}
/** clockid for a dynamic (posix clock device) fd. */
export function FD_TO_CLOCKID(fd: number): number {
  return (~fd << 3) | CLOCKFD;
}
export function CLOCKID_TO_FD(clock: number): number {
  return ~(clock >> 3) >>> 0;
}

/** struct __kernel_timespec (= struct timespec on riscv64). */
export const timespec = struct("struct __kernel_timespec", 16, {
  tv_sec: [0, "i64"],
  tv_nsec: [8, "i64"],
});

/** struct __kernel_old_timeval (= struct timeval on riscv64). */
export const timeval = struct("struct __kernel_old_timeval", 16, {
  tv_sec: [0, "i64"],
  tv_usec: [8, "i64"],
});

/** struct __kernel_itimerspec. */
export const itimerspec = struct("struct __kernel_itimerspec", 32, {
  it_interval_sec: [0, "i64"],
  it_interval_nsec: [8, "i64"],
  it_value_sec: [16, "i64"],
  it_value_nsec: [24, "i64"],
});

/** struct __kernel_old_itimerval (getitimer/setitimer). */
export const itimerval = struct("struct __kernel_old_itimerval", 32, {
  it_interval_sec: [0, "i64"],
  it_interval_usec: [8, "i64"],
  it_value_sec: [16, "i64"],
  it_value_usec: [24, "i64"],
});

/** struct timezone. */
export const timezone = struct("struct timezone", 8, {
  tz_minuteswest: [0, "i32"],
  tz_dsttime: [4, "i32"],
}, 4);

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;

export const NSEC_PER_SEC = 1_000_000_000;
export const USEC_PER_SEC = 1_000_000;

// sigevent (timer_create, mq_notify)
export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
export const SIGEV_THREAD_ID = 4;
export const SIGEV_MAX_SIZE = 64;

/** struct sigevent (64 bytes; the tail is a union). */
export const sigevent = struct("struct sigevent", SIGEV_MAX_SIZE, {
  sigev_value: [0, "u64"],
  sigev_signo: [8, "i32"],
  sigev_notify: [12, "i32"],
  sigev_notify_thread_id: [16, "i32"],
  sigev_notify_function: [16, "u64"],
  sigev_notify_attributes: [24, "u64"],
});

// timerfd
export const TFD_TIMER_ABSTIME = 1 << 0;
export const TFD_TIMER_CANCEL_ON_SET = 1 << 1;
export const TFD_CLOEXEC = 0o2000000;
export const TFD_NONBLOCK = 0o4000;
/** _IOW('T', 0, __u64). */
export const TFD_IOC_SET_TICKS = 0x4008_5400;

// eventfd
export const EFD_SEMAPHORE = 1 << 0;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
