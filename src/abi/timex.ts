// adjtimex(2) and clock_adjtime(2): struct timex and its mode, status and
// state values (include/uapi/linux/timex.h), for riscv64 (64-bit longs).

import { struct } from "./struct.js";

/** struct timex (208 bytes: eleven ints of padding after tai). */
export const timex = struct("struct timex", 208, {
  modes: [0, "u32"],
  offset: [8, "i64"],
  freq: [16, "i64"],
  maxerror: [24, "i64"],
  esterror: [32, "i64"],
  status: [40, "i32"],
  constant: [48, "i64"],
  precision: [56, "i64"],
  tolerance: [64, "i64"],
  time_sec: [72, "i64"],
  time_usec: [80, "i64"],
  tick: [88, "i64"],
  ppsfreq: [96, "i64"],
  jitter: [104, "i64"],
  shift: [112, "i32"],
  stabil: [120, "i64"],
  jitcnt: [128, "i64"],
  calcnt: [136, "i64"],
  errcnt: [144, "i64"],
  stbcnt: [152, "i64"],
  tai: [160, "i32"],
});

// timex.modes
export const ADJ_OFFSET = 0x0001;
export const ADJ_FREQUENCY = 0x0002;
export const ADJ_MAXERROR = 0x0004;
export const ADJ_ESTERROR = 0x0008;
export const ADJ_STATUS = 0x0010;
export const ADJ_TIMECONST = 0x0020;
export const ADJ_TAI = 0x0080;
export const ADJ_SETOFFSET = 0x0100;
export const ADJ_MICRO = 0x1000;
export const ADJ_NANO = 0x2000;
export const ADJ_TICK = 0x4000;
export const ADJ_OFFSET_SINGLESHOT = 0x8001;
export const ADJ_OFFSET_SS_READ = 0xa001;
/** The kernel's names for the bits of the two adjtime() modes (include/linux/timex.h). */
export const ADJ_ADJTIME = 0x8000;
export const ADJ_OFFSET_READONLY = 0x2000;

// timex.status
export const STA_PLL = 0x0001;
export const STA_PPSFREQ = 0x0002;
export const STA_PPSTIME = 0x0004;
export const STA_FLL = 0x0008;
export const STA_INS = 0x0010;
export const STA_DEL = 0x0020;
export const STA_UNSYNC = 0x0040;
export const STA_FREQHOLD = 0x0080;
export const STA_PPSSIGNAL = 0x0100;
export const STA_PPSJITTER = 0x0200;
export const STA_PPSWANDER = 0x0400;
export const STA_PPSERROR = 0x0800;
export const STA_CLOCKERR = 0x1000;
export const STA_NANO = 0x2000;
export const STA_MODE = 0x4000;
export const STA_CLK = 0x8000;
/** The read-only status bits: ADJ_STATUS keeps them as they are. */
export const STA_RONLY = STA_PPSSIGNAL | STA_PPSJITTER | STA_PPSWANDER | STA_PPSERROR | STA_CLOCKERR | STA_NANO | STA_MODE | STA_CLK;

// The clock state adjtimex returns.
export const TIME_OK = 0;
export const TIME_INS = 1;
export const TIME_DEL = 2;
export const TIME_OOP = 3;
export const TIME_WAIT = 4;
export const TIME_ERROR = 5;
