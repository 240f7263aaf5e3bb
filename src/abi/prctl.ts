// prctl(2) options and capabilities (linux/prctl.h, linux/capability.h).
//
// Options up to PR_SME_GET_VL (64) are checked against the installed Linux 6.1
// headers. Newer ones, all in 6.15: 65/66 MDWE (6.3), 67/68 MEMORY_MERGE (6.4),
// 69/70 RISCV_V (6.5),
// 71 RISCV_SET_ICACHE_FLUSH_CTX (6.9), 72/73 PPC DEXCR (6.10),
// 74–76 shadow-stack status (6.13), 77 TIMER_CREATE_RESTORE_IDS (6.15).

import { struct } from "./struct.js";

export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_GET_UNALIGN = 5;
export const PR_SET_UNALIGN = 6;
export const PR_GET_KEEPCAPS = 7;
export const PR_SET_KEEPCAPS = 8;
export const PR_GET_FPEMU = 9;
export const PR_SET_FPEMU = 10;
export const PR_GET_FPEXC = 11;
export const PR_SET_FPEXC = 12;
export const PR_GET_TIMING = 13;
export const PR_SET_TIMING = 14;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_GET_ENDIAN = 19;
export const PR_SET_ENDIAN = 20;
export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_GET_TSC = 25;
export const PR_SET_TSC = 26;
export const PR_GET_SECUREBITS = 27;
export const PR_SET_SECUREBITS = 28;
// The securebits (include/uapi/linux/securebits.h): each bit at 2n, its lock at 2n+1.
export const SECBIT_NOROOT = 1 << 0;
export const SECBIT_NO_SETUID_FIXUP = 1 << 2;
export const SECBIT_KEEP_CAPS = 1 << 4;
export const SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6;
export const SECBIT_EXEC_RESTRICT_FILE = 1 << 8;
export const SECBIT_EXEC_DENY_INTERACTIVE = 1 << 10;
export const SECURE_ALL_BITS = SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE |
  SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_DENY_INTERACTIVE;
export const SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;
export const PR_SET_TIMERSLACK = 29;
export const PR_GET_TIMERSLACK = 30;
export const PR_TASK_PERF_EVENTS_DISABLE = 31;
export const PR_TASK_PERF_EVENTS_ENABLE = 32;
export const PR_MCE_KILL = 33;
export const PR_MCE_KILL_GET = 34;
export const PR_SET_MM = 35;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_GET_TID_ADDRESS = 40;
export const PR_SET_THP_DISABLE = 41;
export const PR_GET_THP_DISABLE = 42;
export const PR_MPX_ENABLE_MANAGEMENT = 43;
export const PR_MPX_DISABLE_MANAGEMENT = 44;
export const PR_SET_FP_MODE = 45;
export const PR_GET_FP_MODE = 46;
export const PR_CAP_AMBIENT = 47;
export const PR_SVE_SET_VL = 50;
export const PR_SVE_GET_VL = 51;
export const PR_GET_SPECULATION_CTRL = 52;
export const PR_SET_SPECULATION_CTRL = 53;
export const PR_PAC_RESET_KEYS = 54;
export const PR_SET_TAGGED_ADDR_CTRL = 55;
export const PR_GET_TAGGED_ADDR_CTRL = 56;
export const PR_SET_IO_FLUSHER = 57;
export const PR_GET_IO_FLUSHER = 58;
export const PR_SET_SYSCALL_USER_DISPATCH = 59;
export const PR_PAC_SET_ENABLED_KEYS = 60;
export const PR_PAC_GET_ENABLED_KEYS = 61;
export const PR_SCHED_CORE = 62;
export const PR_SME_SET_VL = 63;
export const PR_SME_GET_VL = 64;
export const PR_SET_MDWE = 65;
export const PR_GET_MDWE = 66;
export const PR_SET_MEMORY_MERGE = 67;
export const PR_GET_MEMORY_MERGE = 68;
export const PR_RISCV_V_SET_CONTROL = 69;
export const PR_RISCV_V_GET_CONTROL = 70;
export const PR_RISCV_SET_ICACHE_FLUSH_CTX = 71;
export const PR_PPC_GET_DEXCR = 72;
export const PR_PPC_SET_DEXCR = 73;
export const PR_GET_SHADOW_STACK_STATUS = 74;
export const PR_SET_SHADOW_STACK_STATUS = 75;
export const PR_LOCK_SHADOW_STACK_STATUS = 76;
export const PR_TIMER_CREATE_RESTORE_IDS = 77;
/** Copy the auxiliary vector to user space (added after 6.1). */
export const PR_GET_AUXV = 0x4155_5856;
/** Name anonymous memory (arg2 = PR_SET_VMA_ANON_NAME). */
export const PR_SET_VMA = 0x5356_4d41;
export const PR_SET_VMA_ANON_NAME = 0;
/** Yama: allow this process to be ptraced by arg2. */
export const PR_SET_PTRACER = 0x5961_6d61;
/** (unsigned long)-1 */
export const PR_SET_PTRACER_ANY = 0xffff_ffff_ffff_ffffn;

// PR_SET_DUMPABLE values (SUID_DUMP_*)
export const SUID_DUMP_DISABLE = 0;
export const SUID_DUMP_USER = 1;
export const SUID_DUMP_ROOT = 2;

// PR_SET_TIMING
export const PR_TIMING_STATISTICAL = 0;
export const PR_TIMING_TIMESTAMP = 1;

// PR_CAP_AMBIENT
export const PR_CAP_AMBIENT_IS_SET = 1;
export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_LOWER = 3;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

// PR_MCE_KILL
export const PR_MCE_KILL_CLEAR = 0;
export const PR_MCE_KILL_SET = 1;
export const PR_MCE_KILL_LATE = 0;
export const PR_MCE_KILL_EARLY = 1;
export const PR_MCE_KILL_DEFAULT = 2;

// PR_SET_MM
export const PR_SET_MM_START_CODE = 1;
export const PR_SET_MM_END_CODE = 2;
export const PR_SET_MM_START_DATA = 3;
export const PR_SET_MM_END_DATA = 4;
export const PR_SET_MM_START_STACK = 5;
export const PR_SET_MM_START_BRK = 6;
export const PR_SET_MM_BRK = 7;
export const PR_SET_MM_ARG_START = 8;
export const PR_SET_MM_ARG_END = 9;
export const PR_SET_MM_ENV_START = 10;
export const PR_SET_MM_ENV_END = 11;
export const PR_SET_MM_AUXV = 12;
export const PR_SET_MM_EXE_FILE = 13;
export const PR_SET_MM_MAP = 14;
export const PR_SET_MM_MAP_SIZE = 15;

/** struct prctl_mm_map (PR_SET_MM_MAP). */
export const prctl_mm_map = struct("struct prctl_mm_map", 104, {
  start_code: [0, "u64"],
  end_code: [8, "u64"],
  start_data: [16, "u64"],
  end_data: [24, "u64"],
  start_brk: [32, "u64"],
  brk: [40, "u64"],
  start_stack: [48, "u64"],
  arg_start: [56, "u64"],
  arg_end: [64, "u64"],
  env_start: [72, "u64"],
  env_end: [80, "u64"],
  auxv: [88, "u64"],
  auxv_size: [96, "u32"],
  exe_fd: [100, "u32"],
});

// PR_SET_MDWE
export const PR_MDWE_REFUSE_EXEC_GAIN = 1 << 0;
export const PR_MDWE_NO_INHERIT = 1 << 1;

// PR_RISCV_V_SET_CONTROL / PR_RISCV_V_GET_CONTROL
export const PR_RISCV_V_VSTATE_CTRL_DEFAULT = 0;
export const PR_RISCV_V_VSTATE_CTRL_OFF = 1;
export const PR_RISCV_V_VSTATE_CTRL_ON = 2;
export const PR_RISCV_V_VSTATE_CTRL_INHERIT = 1 << 4;
export const PR_RISCV_V_VSTATE_CTRL_CUR_MASK = 0x3;
export const PR_RISCV_V_VSTATE_CTRL_NEXT_MASK = 0xc;
export const PR_RISCV_V_VSTATE_CTRL_MASK = 0x1f;

// PR_RISCV_SET_ICACHE_FLUSH_CTX
export const PR_RISCV_CTX_SW_FENCEI_ON = 0;
export const PR_RISCV_CTX_SW_FENCEI_OFF = 1;
export const PR_RISCV_SCOPE_PER_PROCESS = 0;
export const PR_RISCV_SCOPE_PER_THREAD = 1;

// PR_SET_SHADOW_STACK_STATUS
export const PR_SHADOW_STACK_ENABLE = 1 << 0;
export const PR_SHADOW_STACK_WRITE = 1 << 1;
export const PR_SHADOW_STACK_PUSH = 1 << 2;

// PR_TIMER_CREATE_RESTORE_IDS
export const PR_TIMER_CREATE_RESTORE_IDS_OFF = 0;
export const PR_TIMER_CREATE_RESTORE_IDS_ON = 1;
export const PR_TIMER_CREATE_RESTORE_IDS_GET = 2;

// PR_SET_SECCOMP / seccomp(2) modes
export const SECCOMP_MODE_DISABLED = 0;
export const SECCOMP_MODE_STRICT = 1;
export const SECCOMP_MODE_FILTER = 2;

/** Length of the comm buffer PR_SET_NAME/PR_GET_NAME use (TASK_COMM_LEN). */
export const TASK_COMM_LEN = 16;

// capabilities
export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_BROADCAST = 11;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;
export const CAP_IPC_LOCK = 14;
export const CAP_IPC_OWNER = 15;
export const CAP_SYS_MODULE = 16;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_CHROOT = 18;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_PACCT = 20;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_BOOT = 22;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;
export const CAP_SYS_TIME = 25;
export const CAP_SYS_TTY_CONFIG = 26;
export const CAP_MKNOD = 27;
export const CAP_LEASE = 28;
export const CAP_AUDIT_WRITE = 29;
export const CAP_AUDIT_CONTROL = 30;
export const CAP_SETFCAP = 31;
export const CAP_MAC_OVERRIDE = 32;
export const CAP_MAC_ADMIN = 33;
export const CAP_SYSLOG = 34;
export const CAP_WAKE_ALARM = 35;
export const CAP_BLOCK_SUSPEND = 36;
export const CAP_AUDIT_READ = 37;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;
export const CAP_CHECKPOINT_RESTORE = 40;
export const CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;
/** Every capability bit, as a 64-bit mask. */
export const CAP_FULL_SET = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

export const _LINUX_CAPABILITY_VERSION_1 = 0x1998_0330;
export const _LINUX_CAPABILITY_U32S_1 = 1;
export const _LINUX_CAPABILITY_VERSION_2 = 0x2007_1026;
export const _LINUX_CAPABILITY_U32S_2 = 2;
export const _LINUX_CAPABILITY_VERSION_3 = 0x2008_0522;
export const _LINUX_CAPABILITY_U32S_3 = 2;

/** struct __user_cap_header_struct. */
export const user_cap_header = struct("struct __user_cap_header_struct", 8, {
  version: [0, "u32"],
  pid: [4, "i32"],
}, 4);

/** struct __user_cap_data_struct; versions 2 and 3 pass an array of two (low word first). */
export const user_cap_data = struct("struct __user_cap_data_struct", 12, {
  effective: [0, "u32"],
  permitted: [4, "u32"],
  inheritable: [8, "u32"],
}, 4);
