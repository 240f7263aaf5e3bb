// Signals on riscv64: numbers, sigaction flags, si_code values, and the
// layouts of struct sigaction (as rt_sigaction reads it), siginfo_t, stack_t
// and the riscv64 ucontext a signal frame carries.
//
// riscv64 takes everything from asm-generic/signal.h: 64 signals, a one-word
// sigset_t, MINSIGSTKSZ 2048 / SIGSTKSZ 8192, and no SA_RESTORER: the kernel's
// struct sigaction is { handler, flags, mask } (24 bytes) and the return
// trampoline lives in the vDSO (__vdso_rt_sigreturn). Since Linux 5.11 the
// kernel clears flag bits it does not know, so 0x04000000 is dropped on riscv64.

import { struct, bytes } from "./struct.js";

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGIOT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPOLL = SIGIO;
export const SIGPWR = 30;
export const SIGSYS = 31;
/** First real-time signal as the kernel sees it (libcs reserve a few above it). */
export const SIGRTMIN = 32;
/** Last real-time signal (= _NSIG). */
export const SIGRTMAX = 64;

/** Number of signals; valid signals are 1.._NSIG. */
export const _NSIG = 64;
export const _NSIG_BPW = 64;
export const _NSIG_WORDS = 1;
/** Linux's valid_signal(): 0 (no signal, as kill's probe) through _NSIG. */
export function validSignal(sig: number): boolean { return Number.isInteger(sig) && sig >= 0 && sig <= _NSIG; }
/** sizeof(sigset_t) the kernel accepts as `sigsetsize` in rt_sig* calls. */
export const SIGSET_SIZE = 8;

/** Linux's names for signals 1..31, indexed by number. */
export const SIGNAL_NAMES: readonly (string | undefined)[] = [
  undefined, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
  "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
  "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];

export function signalName(sig: number): string | undefined {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${sig - SIGRTMIN}`;
  return SIGNAL_NAMES[sig];
}

/** The bit for `sig` in a sigset_t word (sigmask() in Linux). */
export function sigmask(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

// sigaction sa_flags (asm-generic/signal-defs.h).
export const SA_NOCLDSTOP = 0x0000_0001;
export const SA_NOCLDWAIT = 0x0000_0002;
export const SA_SIGINFO = 0x0000_0004;
/** Never supported: lets user space probe for flag-bit support (5.11+). */
export const SA_UNSUPPORTED = 0x0000_0400;
/** Keep tag bits of si_addr (arm64 MTE/TBI); accepted everywhere since 5.11. */
export const SA_EXPOSE_TAGBITS = 0x0000_0800;
/** Defined on x86/arm/…; NOT defined on riscv64 and cleared by the kernel there. */
export const SA_RESTORER = 0x0400_0000;
export const SA_ONSTACK = 0x0800_0000;
export const SA_RESTART = 0x1000_0000;
export const SA_NODEFER = 0x4000_0000;
export const SA_RESETHAND = 0x8000_0000;
export const SA_NOMASK = SA_NODEFER;
export const SA_ONESHOT = SA_RESETHAND;
/** Every flag the riscv64 kernel keeps in sa_flags (UAPI_SA_FLAGS, no SA_RESTORER). */
export const UAPI_SA_FLAGS =
  (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_EXPOSE_TAGBITS) >>> 0;

// rt_sigprocmask `how`.
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

// Special handler values.
export const SIG_DFL = 0;
export const SIG_IGN = 1;
export const SIG_ERR = -1;

// sigaltstack ss_flags.
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 0x8000_0000;
export const SS_FLAG_BITS = SS_AUTODISARM;

export const MINSIGSTKSZ = 2048;
export const SIGSTKSZ = 8192;

// si_code: generic values (<= 0 come from user space).
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_MESGQ = -3;
export const SI_ASYNCIO = -4;
export const SI_SIGIO = -5;
export const SI_TKILL = -6;
export const SI_DETHREAD = -7;
export const SI_ASYNCNL = -60;

// SIGILL
export const ILL_ILLOPC = 1;
export const ILL_ILLOPN = 2;
export const ILL_ILLADR = 3;
export const ILL_ILLTRP = 4;
export const ILL_PRVOPC = 5;
export const ILL_PRVREG = 6;
export const ILL_COPROC = 7;
export const ILL_BADSTK = 8;
export const ILL_BADIADDR = 9;
export const NSIGILL = 11;

// SIGFPE
export const FPE_INTDIV = 1;
export const FPE_INTOVF = 2;
export const FPE_FLTDIV = 3;
export const FPE_FLTOVF = 4;
export const FPE_FLTUND = 5;
export const FPE_FLTRES = 6;
export const FPE_FLTINV = 7;
export const FPE_FLTSUB = 8;
export const FPE_FLTUNK = 14;
export const FPE_CONDTRAP = 15;
export const NSIGFPE = 15;

// SIGSEGV
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_BNDERR = 3;
export const SEGV_PKUERR = 4;
export const SEGV_ACCADI = 5;
export const SEGV_ADIDERR = 6;
export const SEGV_ADIPERR = 7;
export const SEGV_MTEAERR = 8;
export const SEGV_MTESERR = 9;
/** Control-protection (shadow stack) fault; Linux 6.6. */
export const SEGV_CPERR = 10;
/** 10 since Linux 6.6 (SEGV_CPERR); 9 before. */
export const NSIGSEGV = 10;

// SIGBUS
export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;
export const BUS_MCEERR_AR = 4;
export const BUS_MCEERR_AO = 5;
export const NSIGBUS = 5;

// SIGTRAP
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
export const TRAP_BRANCH = 3;
export const TRAP_HWBKPT = 4;
export const TRAP_UNK = 5;
export const TRAP_PERF = 6;
export const NSIGTRAP = 6;
/** si_perf_flags bit: the perf event was asynchronous. */
export const TRAP_PERF_FLAG_ASYNC = 1 << 0;

// SIGCHLD
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;
export const NSIGCHLD = 6;

// SIGPOLL
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const POLL_MSG = 3;
export const POLL_ERR = 4;
export const POLL_PRI = 5;
export const POLL_HUP = 6;
export const NSIGPOLL = 6;

// SIGSYS
export const SYS_SECCOMP = 1;
export const SYS_USER_DISPATCH = 2;
export const NSIGSYS = 2;

/** What happens when a signal with SIG_DFL is delivered. */
export type DefaultAction = "term" | "core" | "ign" | "stop" | "cont";

const DEFAULT_ACTION: readonly DefaultAction[] = (() => {
  const a: DefaultAction[] = new Array<DefaultAction>(_NSIG + 1).fill("term");
  for (const s of [SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS]) a[s] = "core";
  for (const s of [SIGCHLD, SIGURG, SIGWINCH]) a[s] = "ign";
  for (const s of [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]) a[s] = "stop";
  a[SIGCONT] = "cont";
  return a;
})();

/** Default disposition of `sig` (1.._NSIG). Real-time signals terminate. */
export function defaultAction(sig: number): DefaultAction {
  if (!Number.isInteger(sig) || sig < 1 || sig > _NSIG) throw new RangeError(`bad signal ${sig}`);
  return DEFAULT_ACTION[sig]!;
}

const maskOf = (...sigs: number[]): bigint => sigs.reduce((m, s) => m | sigmask(s), 0n);
/** Cannot be caught, blocked or ignored. */
export const SIG_KERNEL_ONLY_MASK = maskOf(SIGKILL, SIGSTOP);
export const SIG_KERNEL_STOP_MASK = maskOf(SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU);
export const SIG_KERNEL_COREDUMP_MASK = maskOf(SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGSEGV, SIGBUS, SIGSYS, SIGXCPU, SIGXFSZ);
export const SIG_KERNEL_IGNORE_MASK = maskOf(SIGCONT, SIGCHLD, SIGWINCH, SIGURG);
/** Faults the kernel delivers to the faulting thread first. */
export const SYNCHRONOUS_MASK = maskOf(SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS);

/** struct sigaction as rt_sigaction reads and writes it on riscv64 (no sa_restorer). */
export const sigaction = struct("struct sigaction", 24, {
  sa_handler: [0, "u64"],
  sa_flags: [8, "u64"],
  sa_mask: [16, "u64"],
});

/** stack_t (struct sigaltstack). */
export const stack_t = struct("stack_t", 24, {
  ss_sp: [0, "u64"],
  ss_flags: [8, "i32"],
  ss_size: [16, "u64"],
});

export const SI_MAX_SIZE = 128;
/** The three ints before the union, padded to 8 on 64-bit (__ARCH_SI_PREAMBLE_SIZE). */
export const SI_PREAMBLE_SIZE = 16;

/**
 * siginfo_t (128 bytes). Fields of different union members overlap; each group
 * below is one member of union __sifields. riscv64 has no si_trapno.
 */
export const siginfo = struct("siginfo_t", SI_MAX_SIZE, {
  si_signo: [0, "i32"],
  si_errno: [4, "i32"],
  si_code: [8, "i32"],
  // _kill, _rt, _sigchld: sender
  si_pid: [16, "i32"],
  si_uid: [20, "u32"],
  // _timer (POSIX timers)
  si_tid: [16, "i32"],
  si_overrun: [20, "i32"],
  si_sys_private: [32, "i32"],
  // _timer, _rt: union sigval
  si_value: [24, "u64"],
  si_int: [24, "i32"],
  si_ptr: [24, "u64"],
  // _sigchld
  si_status: [24, "i32"],
  si_utime: [32, "i64"],
  si_stime: [40, "i64"],
  // _sigfault
  si_addr: [16, "u64"],
  si_addr_lsb: [24, "i16"],
  si_lower: [32, "u64"],
  si_upper: [40, "u64"],
  si_pkey: [32, "u32"],
  si_perf_data: [24, "u64"],
  si_perf_type: [32, "u32"],
  si_perf_flags: [36, "u32"],
  // _sigpoll
  si_band: [16, "i64"],
  si_fd: [24, "i32"],
  // _sigsys
  si_call_addr: [16, "u64"],
  si_syscall: [24, "i32"],
  si_arch: [28, "u32"],
}, 8);

// riscv64 signal frame pieces (arch/riscv/include/uapi/asm/{ucontext,sigcontext,ptrace}.h).

/** struct user_regs_struct: pc then x1..x31, 8 bytes each. */
export const user_regs_struct = struct("struct user_regs_struct", 256, {
  pc: [0, "u64"],
  ra: [8, "u64"],
  sp: [16, "u64"],
  gp: [24, "u64"],
  tp: [32, "u64"],
  t0: [40, "u64"],
  t1: [48, "u64"],
  t2: [56, "u64"],
  s0: [64, "u64"],
  s1: [72, "u64"],
  a0: [80, "u64"],
  a1: [88, "u64"],
  a2: [96, "u64"],
  a3: [104, "u64"],
  a4: [112, "u64"],
  a5: [120, "u64"],
  a6: [128, "u64"],
  a7: [136, "u64"],
  s2: [144, "u64"],
  s3: [152, "u64"],
  s4: [160, "u64"],
  s5: [168, "u64"],
  s6: [176, "u64"],
  s7: [184, "u64"],
  s8: [192, "u64"],
  s9: [200, "u64"],
  s10: [208, "u64"],
  s11: [216, "u64"],
  t3: [224, "u64"],
  t4: [232, "u64"],
  t5: [240, "u64"],
  t6: [248, "u64"],
});

/**
 * struct sigcontext: the GPRs, then union __riscv_fp_state (its largest member,
 * the Q layout, is 528 bytes and 16-aligned). With D, f[i] is at 256 + 8*i and
 * fcsr at 512. Since Linux 6.5 the same 528 bytes may instead hold
 * struct __riscv_extra_ext_header, whose context-header chain (at 256 + 520)
 * leads to vector state placed after the ucontext.
 */
export const sigcontext = struct("struct sigcontext", 784, {
  sc_regs: [0, bytes(256)],
  sc_fpregs: [256, bytes(528)],
  sc_fpregs_d_f: [256, bytes(256)],
  sc_fpregs_d_fcsr: [512, "u32"],
  sc_extdesc_hdr_magic: [256 + 520, "u32"],
  sc_extdesc_hdr_size: [256 + 524, "u32"],
}, 16);

/** struct ucontext on riscv64: uc_sigmask is padded to 1024 bits. */
export const ucontext = struct("struct ucontext", 960, {
  uc_flags: [0, "u64"],
  uc_link: [8, "u64"],
  uc_stack: [16, bytes(24)],
  uc_sigmask: [40, "u64"],
  uc_mcontext: [176, bytes(784)],
}, 16);

/** Magic of the vector-state context header in the extended signal context (6.5+). */
export const RISCV_V_MAGIC = 0x53465457;
export const END_MAGIC = 0;
export const END_HDR_SIZE = 0;
/** struct __riscv_ctx_hdr. */
export const riscv_ctx_hdr = struct("struct __riscv_ctx_hdr", 8, {
  magic: [0, "u32"],
  size: [4, "u32"],
}, 4);

/**
 * riscv's struct rt_sigframe (kernel-private, arch/riscv/kernel/signal.c, MMU
 * build): siginfo then ucontext; the frame is 16-aligned below the stack.
 */
export const rt_sigframe = struct("struct rt_sigframe", SI_MAX_SIZE + 960, {
  info: [0, bytes(SI_MAX_SIZE)],
  uc: [SI_MAX_SIZE, bytes(960)],
}, 16);
