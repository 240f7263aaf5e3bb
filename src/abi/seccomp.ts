// seccomp(2) and classic BPF (linux/seccomp.h, linux/filter.h, linux/bpf_common.h,
// linux/audit.h). The modes themselves (SECCOMP_MODE_*) live with prctl (prctl.ts).

import { struct } from "./struct.js";

// seccomp(2) operations
export const SECCOMP_SET_MODE_STRICT = 0;
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;
export const SECCOMP_GET_NOTIF_SIZES = 3;

// SECCOMP_SET_MODE_FILTER flags
export const SECCOMP_FILTER_FLAG_TSYNC = 1 << 0;
export const SECCOMP_FILTER_FLAG_LOG = 1 << 1;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;
export const SECCOMP_FILTER_FLAGS_ALL = 0x3f;

// Filter return values: the action in the high 16 bits (compared as a signed
// 32-bit value, most restrictive lowest), data in the low 16.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** AUDIT_ARCH_RISCV64: EM_RISCV (243) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_RISCV64 = 0xc00000f3;

/** struct seccomp_data: what a filter reads with BPF_LD|BPF_W|BPF_ABS. */
export const seccomp_data = struct("struct seccomp_data", 64, {
  nr: [0, "i32"],
  arch: [4, "u32"],
  instruction_pointer: [8, "u64"],
  args: [16, "u64"], // args[0]; args[i] at 16 + 8 * i
});

/** struct sock_fprog: a classic BPF program's length and address. */
export const sock_fprog = struct("struct sock_fprog", 16, {
  len: [0, "u16"],
  filter: [8, "u64"],
});

/** struct sock_filter: one instruction (code, jt, jf, k). */
export const SOCK_FILTER_SIZE = 8;

/** struct seccomp_notif_sizes (SECCOMP_GET_NOTIF_SIZES). */
export const seccomp_notif_sizes = struct("struct seccomp_notif_sizes", 6, {
  seccomp_notif: [0, "u16"],
  seccomp_notif_resp: [2, "u16"],
  seccomp_data: [4, "u16"],
});
export const SIZEOF_SECCOMP_NOTIF = 80;
export const SIZEOF_SECCOMP_NOTIF_RESP = 24;

/** BPF_MAXINSNS: the longest classic program; MAX_INSNS_PER_PATH: all of a task's filters, 4 more each. */
export const BPF_MAXINSNS = 4096;
export const SECCOMP_MAX_INSNS_PER_PATH = (1 << 18) / SOCK_FILTER_SIZE;
/** BPF_MEMWORDS: the scratch memory slots M[0..15]. */
export const BPF_MEMWORDS = 16;

// Instruction classes and fields (linux/bpf_common.h), and its BPF_CLASS and BPF_OP.
export const bpfClass = (code: number): number => code & 0x07;
export const bpfOp = (code: number): number => code & 0xf0;
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;
