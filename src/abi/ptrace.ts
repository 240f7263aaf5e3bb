// ptrace(2) requests, options, events and the structures it exchanges
// (linux/ptrace.h, asm/ptrace.h for riscv64, linux/elf.h note types).

import { struct, bytes } from "./struct.js";

export const PTRACE_TRACEME = 0;
export const PTRACE_PEEKTEXT = 1;
export const PTRACE_PEEKDATA = 2;
export const PTRACE_PEEKUSR = 3;
export const PTRACE_POKETEXT = 4;
export const PTRACE_POKEDATA = 5;
export const PTRACE_POKEUSR = 6;
export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_SINGLESTEP = 9;
export const PTRACE_ATTACH = 16;
export const PTRACE_DETACH = 17;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_SETSIGINFO = 0x4203;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SETREGSET = 0x4205;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_PEEKSIGINFO = 0x4209;
export const PTRACE_GETSIGMASK = 0x420a;
export const PTRACE_SETSIGMASK = 0x420b;
export const PTRACE_GET_SYSCALL_INFO = 0x420e;

export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACEVFORKDONE = 0x20;
export const PTRACE_O_TRACEEXIT = 0x40;
export const PTRACE_O_TRACESECCOMP = 0x80;
export const PTRACE_O_EXITKILL = 0x100000;
export const PTRACE_O_SUSPEND_SECCOMP = 0x200000;
export const PTRACE_O_MASK = 0x0000_00ff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_VFORK_DONE = 5;
export const PTRACE_EVENT_EXIT = 6;
export const PTRACE_EVENT_SECCOMP = 7;
export const PTRACE_EVENT_STOP = 128;

/** The option bit that enables PTRACE_EVENT_x is 1 << x (PTRACE_O_TRACEFORK = 1 << PTRACE_EVENT_FORK, …). */
export function eventOption(event: number): number { return 1 << event; }

/** ptrace_message at syscall stops, read by PTRACE_GET_SYSCALL_INFO. */
export const PTRACE_EVENTMSG_SYSCALL_ENTRY = 1;
export const PTRACE_EVENTMSG_SYSCALL_EXIT = 2;

// struct ptrace_syscall_info's op.
export const PTRACE_SYSCALL_INFO_NONE = 0;
export const PTRACE_SYSCALL_INFO_ENTRY = 1;
export const PTRACE_SYSCALL_INFO_EXIT = 2;
export const PTRACE_SYSCALL_INFO_SECCOMP = 3;

/** AUDIT_ARCH_RISCV64: EM_RISCV | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_RISCV64 = 0xc000_00f3;

/** struct ptrace_syscall_info (Linux 5.3+); the union starts at 24. */
export const ptrace_syscall_info = struct("struct ptrace_syscall_info", 88, {
  op: [0, "u8"],
  arch: [4, "u32"],
  instruction_pointer: [8, "u64"],
  stack_pointer: [16, "u64"],
  nr: [24, "u64"], // entry.nr, seccomp.nr
  rval: [24, "i64"], // exit.rval
  is_error: [32, "u8"], // exit.is_error
  args: [32, bytes(48)], // entry.args[6], seccomp.args[6]
  ret_data: [80, "u32"], // seccomp.ret_data
});
/** The sizes Linux returns: up to the last field each op fills (offsetof, offsetofend). */
export const PTRACE_SYSCALL_INFO_SIZE_NONE = ptrace_syscall_info.offsetOf("nr");
export const PTRACE_SYSCALL_INFO_SIZE_ENTRY = ptrace_syscall_info.offsetOf("args") + ptrace_syscall_info.sizeOf("args");
export const PTRACE_SYSCALL_INFO_SIZE_EXIT = ptrace_syscall_info.offsetOf("is_error") + ptrace_syscall_info.sizeOf("is_error");

// Regset note types (linux/elf.h).
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
/** riscv64 struct user_regs_struct: pc, then x1..x31. */
export const USER_REGS_SIZE = 32 * 8;
/** riscv64 struct __riscv_d_ext_state: f0..f31, fcsr, padded to 8. */
export const USER_FPREGS_SIZE = 33 * 8;
export const FPREGS_FCSR_OFFSET = 32 * 8;
/** Both regsets are arrays of 8-byte elements: an iov_len must be a multiple of it. */
export const REGSET_ELEM_SIZE = 8;
