// Scheduling policies and sched_setattr/sched_getattr (linux/sched.h,
// linux/sched/types.h).

import { struct } from "./struct.js";

export const SCHED_NORMAL = 0;
export const SCHED_OTHER = SCHED_NORMAL;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const SCHED_BATCH = 3;
// 4 (SCHED_ISO) is reserved and not implemented.
export const SCHED_IDLE = 5;
export const SCHED_DEADLINE = 6;
/** sched_ext BPF scheduler class (Linux 6.12). */
export const SCHED_EXT = 7;
/** OR-ed into the policy of sched_setscheduler. */
export const SCHED_RESET_ON_FORK = 0x4000_0000;

// sched_attr.sched_flags
export const SCHED_FLAG_RESET_ON_FORK = 0x01;
export const SCHED_FLAG_RECLAIM = 0x02;
export const SCHED_FLAG_DL_OVERRUN = 0x04;
export const SCHED_FLAG_KEEP_POLICY = 0x08;
export const SCHED_FLAG_KEEP_PARAMS = 0x10;
export const SCHED_FLAG_UTIL_CLAMP_MIN = 0x20;
export const SCHED_FLAG_UTIL_CLAMP_MAX = 0x40;
export const SCHED_FLAG_KEEP_ALL = SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS;
export const SCHED_FLAG_UTIL_CLAMP = SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX;
export const SCHED_FLAG_ALL =
  SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN | SCHED_FLAG_KEEP_ALL | SCHED_FLAG_UTIL_CLAMP;

/** struct sched_param. */
export const sched_param = struct("struct sched_param", 4, {
  sched_priority: [0, "i32"],
}, 4);

/** struct sched_attr; `size` says which version user space passed. */
export const sched_attr = struct("struct sched_attr", 56, {
  size: [0, "u32"],
  sched_policy: [4, "u32"],
  sched_flags: [8, "u64"],
  sched_nice: [16, "i32"],
  sched_priority: [20, "u32"],
  sched_runtime: [24, "u64"],
  sched_deadline: [32, "u64"],
  sched_period: [40, "u64"],
  sched_util_min: [48, "u32"],
  sched_util_max: [52, "u32"],
});

/** First published sched_attr size. */
export const SCHED_ATTR_SIZE_VER0 = 48;
/** Adds sched_util_min/max. */
export const SCHED_ATTR_SIZE_VER1 = 56;

/** Real-time priority range of SCHED_FIFO/SCHED_RR (sched_get_priority_min/max). */
export const MAX_RT_PRIO = 100;
export const RT_PRIO_MIN = 1;
export const RT_PRIO_MAX = 99;
