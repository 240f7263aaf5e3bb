// Checks src/abi/ against the real riscv64 ABI.
//
// A C program is generated from the TypeScript values, cross-compiled with
// riscv64-linux-gnu-gcc against the installed riscv64 uapi headers (Debian
// bookworm: Linux 6.1) and glibc, run under qemu-riscv64, and its output
// compared with the TypeScript values. Names the 6.1 headers do not have
// (newer than 6.1, kernel-internal, or helpers of ours) are listed below with
// the reason; any other missing name fails the test.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Struct, struct, bytes } from "../../src/abi/struct.js";
import * as syscalls from "../../src/abi/syscalls.js";
import * as errno from "../../src/abi/errno.js";
import * as signal from "../../src/abi/signal.js";
import * as fcntl from "../../src/abi/fcntl.js";
import * as mman from "../../src/abi/mman.js";
import * as stat from "../../src/abi/stat.js";
import * as elf from "../../src/abi/elf.js";
import * as auxv from "../../src/abi/auxv.js";
import * as hwprobe from "../../src/abi/hwprobe.js";
import * as clone from "../../src/abi/clone.js";
import * as wait from "../../src/abi/wait.js";
import * as time from "../../src/abi/time.js";
import * as timex from "../../src/abi/timex.js";
import * as resource from "../../src/abi/resource.js";
import * as sched from "../../src/abi/sched.js";
import * as ioctl from "../../src/abi/ioctl.js";
import * as poll from "../../src/abi/poll.js";
import * as futex from "../../src/abi/futex.js";
import * as prctl from "../../src/abi/prctl.js";
import * as seccomp from "../../src/abi/seccomp.js";
import * as socket from "../../src/abi/socket.js";
import * as inet from "../../src/abi/inet.js";
import * as netlink from "../../src/abi/netlink.js";
import * as mount from "../../src/abi/mount.js";
import * as misc from "../../src/abi/misc.js";
import * as ptrace from "../../src/abi/ptrace.js";
import { NOT_IN_6_1, CHANGED_SINCE_6_1 } from "./abi-expect.js";

// dist/test/abi/abi.test.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BUILD = join(ROOT, "build", "test", "abi");

type Ns = Record<string, unknown>;

/** A translation unit: the headers one part of the probe includes. */
interface Unit {
  readonly id: string;
  /** A glibc unit (compiled with _GNU_SOURCE); kernel-only units include no libc header. */
  readonly glibc: boolean;
  readonly headers: readonly string[];
  /** Extra C statements printing "X key value" lines. */
  readonly extra?: string;
}

interface StructCheck {
  readonly s: Struct;
  readonly unit: string;
  /** C type when it differs from s.name. */
  readonly cType?: string;
  /** TS field → C member designator; null skips the field. */
  readonly fields?: Readonly<Record<string, string | null>>;
  /** false when the C type's size differs by design (e.g. a header-only layout). */
  readonly size?: boolean;
}

interface ModuleCheck {
  readonly name: string;
  readonly ns: Ns;
  readonly units: readonly string[];
  /** TS name → C name. */
  readonly cName?: (ts: string) => string;
  /** Which exported numbers are Linux constants (default: names starting with A–Z or _). */
  readonly isConstant?: (ts: string) => boolean;
  /** Names that are C enum members (no #ifdef). */
  readonly enums?: readonly string[];
  readonly structs?: readonly StructCheck[];
}

const UNITS: readonly Unit[] = [
  { id: "unistd", glibc: false, headers: ["asm/unistd.h"] },
  { id: "errno_k", glibc: false, headers: ["linux/errno.h"] },
  { id: "errno_g", glibc: true, headers: ["errno.h"] },
  {
    id: "signal", glibc: false,
    headers: ["asm/signal.h", "linux/signal.h", "asm/siginfo.h", "asm/sigcontext.h", "asm/ptrace.h", "asm/ucontext.h"],
  },
  {
    id: "fcntl_k", glibc: false,
    headers: ["linux/fcntl.h", "linux/openat2.h", "linux/fs.h", "linux/stat.h", "linux/fadvise.h"],
  },
  { id: "fcntl_g", glibc: true, headers: ["fcntl.h", "unistd.h", "sys/stat.h"] },
  { id: "mman", glibc: false, headers: ["linux/mman.h"] },
  { id: "stat_k", glibc: false, headers: ["asm/stat.h", "linux/stat.h", "asm/statfs.h", "linux/magic.h"] },
  { id: "stat_g", glibc: true, headers: ["dirent.h", "sys/statvfs.h"] },
  { id: "elf_g", glibc: true, headers: ["elf.h"] },
  { id: "elf_k", glibc: false, headers: ["linux/elf.h"] },
  { id: "auxv", glibc: false, headers: ["linux/auxvec.h", "asm/hwcap.h"] },
  { id: "sched", glibc: false, headers: ["linux/sched.h", "linux/sched/types.h"] },
  { id: "sched_g", glibc: true, headers: ["sched.h"] },
  { id: "wait", glibc: false, headers: ["linux/wait.h"] },
  { id: "ptrace", glibc: false, headers: ["linux/ptrace.h", "linux/elf.h", "linux/audit.h"] },
  {
    id: "wait_g", glibc: true, headers: ["sys/wait.h"],
    extra: `X("W_EXITCODE_7", W_EXITCODE(7, 0)); X("W_STOPCODE_19", W_STOPCODE(19));
      X("W_CONTINUED", __W_CONTINUED); X("WCOREFLAG", WCOREFLAG);`,
  },
  {
    id: "time", glibc: false,
    headers: ["linux/time.h", "linux/time_types.h", "linux/timerfd.h", "asm/siginfo.h"],
  },
  {
    id: "time_g", glibc: true, headers: ["sys/eventfd.h", "time.h", "pthread.h", "unistd.h"],
    extra: `{ clockid_t c; X("pid", getpid()); X("tid", gettid());
      if (clock_getcpuclockid(getpid(), &c) == 0) X("process_cpuclock", c);
      if (pthread_getcpuclockid(pthread_self(), &c) == 0) X("thread_cpuclock", c); }`,
  },
  { id: "timex", glibc: false, headers: ["linux/timex.h"] },
  { id: "resource", glibc: false, headers: ["linux/resource.h", "linux/sysinfo.h", "linux/utsname.h", "linux/times.h"] },
  { id: "ioctl", glibc: false, headers: ["asm/ioctl.h", "asm/termios.h", "linux/tty.h", "linux/random.h"] },
  { id: "poll", glibc: false, headers: ["linux/poll.h", "linux/eventpoll.h", "linux/posix_types.h"] },
  { id: "poll_g", glibc: true, headers: ["sys/select.h"] },
  { id: "futex", glibc: false, headers: ["linux/futex.h"] },
  { id: "prctl", glibc: false, headers: ["linux/prctl.h", "linux/capability.h", "linux/seccomp.h", "linux/securebits.h"] },
  { id: "seccomp", glibc: false, headers: ["linux/seccomp.h", "linux/filter.h", "linux/audit.h"] },
  {
    id: "sock_k", glibc: false,
    headers: [
      "linux/socket.h", "asm/socket.h", "asm/sockios.h", "linux/sockios.h", "linux/in.h", "linux/in6.h",
      "linux/un.h", "linux/netlink.h", "linux/tcp.h", "linux/uio.h", "linux/net.h",
    ],
  },
  { id: "sock_g", glibc: true, headers: ["sys/socket.h", "netinet/in.h", "netinet/tcp.h", "netinet/udp.h", "time.h", "linux/errqueue.h"] },
  {
    id: "inet", glibc: false,
    headers: ["linux/ip.h", "linux/icmp.h", "linux/icmpv6.h", "linux/if.h", "linux/if_arp.h", "linux/route.h", "linux/sockios.h",
      "linux/tcp.h"],
  },
  { id: "netlink", glibc: false, headers: ["linux/netlink.h", "linux/rtnetlink.h", "linux/if_link.h", "linux/if_addr.h", "linux/if.h"] },
  { id: "mount", glibc: false, headers: ["linux/fcntl.h", "linux/limits.h", "linux/mount.h", "linux/xattr.h", "linux/falloc.h", "linux/close_range.h"] },
  { id: "mount_g", glibc: true, headers: ["sys/mount.h", "fcntl.h"] },
  {
    id: "misc", glibc: false,
    headers: [
      "linux/reboot.h", "linux/random.h", "linux/memfd.h", "linux/inotify.h", "linux/signalfd.h",
      "linux/personality.h", "linux/membarrier.h", "linux/pidfd.h", "linux/kcmp.h", "linux/aio_abi.h",
    ],
  },
];

const tv = (prefix: string, names: readonly string[]): Record<string, string> =>
  Object.fromEntries(names.flatMap((n) => [[`${prefix}${n}_sec`, `${n}.tv_sec`], [`${prefix}${n}_nsec`, `${n}.tv_nsec`]]));

const MODULES: readonly ModuleCheck[] = [
  {
    name: "syscalls", ns: { ...syscalls.SYS, NR_SYSCALLS: syscalls.NR_SYSCALLS, NR_ARCH_SPECIFIC_SYSCALL: syscalls.NR_ARCH_SPECIFIC_SYSCALL },
    units: ["unistd"],
    isConstant: () => true,
    cName: (n) => (n === "NR_SYSCALLS" ? "__NR_syscalls" : n === "NR_ARCH_SPECIFIC_SYSCALL" ? "__NR_arch_specific_syscall" : `__NR_${n}`),
  },
  { name: "errno", ns: errno, units: ["errno_k", "errno_g"] },
  {
    name: "signal", ns: signal, units: ["signal"],
    structs: [
      { s: signal.sigaction, unit: "signal" },
      { s: signal.stack_t, unit: "signal" },
      { s: signal.siginfo, unit: "signal", fields: { si_sys_private: "_sifields._timer._sys_private" } },
      { s: signal.user_regs_struct, unit: "signal" },
      {
        s: signal.sigcontext, unit: "signal",
        fields: { sc_fpregs_d_f: "sc_fpregs.d.f", sc_fpregs_d_fcsr: "sc_fpregs.d.fcsr", sc_extdesc_hdr_magic: null, sc_extdesc_hdr_size: null },
      },
      { s: signal.ucontext, unit: "signal" },
    ],
  },
  {
    name: "fcntl", ns: fcntl, units: ["fcntl_k", "fcntl_g"],
    structs: [
      { s: fcntl.flock, unit: "fcntl_k" },
      { s: fcntl.open_how, unit: "fcntl_k" },
      { s: fcntl.f_owner_ex, unit: "fcntl_k" },
      { s: fcntl.file_handle, unit: "fcntl_g" },
    ],
  },
  { name: "mman", ns: mman, units: ["mman"] },
  {
    name: "stat", ns: stat, units: ["stat_k", "stat_g"],
    structs: [
      { s: stat.stat, unit: "stat_k" },
      { s: stat.statx_timestamp, unit: "stat_k" },
      {
        s: stat.statx, unit: "stat_k",
        fields: {
          ...tv("", ["stx_atime", "stx_btime", "stx_ctime", "stx_mtime"]),
          // Newer than 6.1: stx_subvol (6.10), atomic writes (6.11), dio read align (6.14).
          stx_subvol: null, stx_atomic_write_unit_min: null, stx_atomic_write_unit_max: null,
          stx_atomic_write_segments_max: null, stx_dio_read_offset_align: null,
        },
      },
      { s: stat.statfs, unit: "stat_k", fields: { f_fsid0: "f_fsid.val[0]", f_fsid1: "f_fsid.val[1]" } },
      { s: stat.linux_dirent64, unit: "stat_g", cType: "struct dirent64", size: false },
    ],
  },
  {
    name: "elf", ns: elf, units: ["elf_g", "elf_k"],
    structs: [
      { s: elf.Elf64_Ehdr, unit: "elf_g" },
      { s: elf.Elf64_Phdr, unit: "elf_g" },
      { s: elf.Elf64_Shdr, unit: "elf_g" },
      { s: elf.Elf64_Dyn, unit: "elf_g", fields: { d_val: "d_un.d_val" } },
      { s: elf.Elf64_Sym, unit: "elf_g" },
      { s: elf.Elf64_Nhdr, unit: "elf_g" },
      { s: auxv.Elf64_auxv_t, unit: "elf_g", fields: { a_val: "a_un.a_val" } },
    ],
  },
  { name: "auxv", ns: auxv, units: ["auxv"] },
  {
    name: "clone", ns: clone, units: ["sched"],
    structs: [{ s: clone.clone_args, unit: "sched" }],
  },
  {
    name: "sched", ns: sched, units: ["sched", "sched_g"],
    structs: [{ s: sched.sched_param, unit: "sched" }, { s: sched.sched_attr, unit: "sched" }],
  },
  { name: "wait", ns: wait, units: ["wait", "wait_g"] },
  {
    name: "ptrace", ns: ptrace, units: ["ptrace"],
    structs: [{
      s: ptrace.ptrace_syscall_info, unit: "ptrace",
      fields: { nr: "entry.nr", rval: "exit.rval", is_error: "exit.is_error", args: "entry.args", ret_data: "seccomp.ret_data" },
    }],
  },
  {
    name: "time", ns: time, units: ["time", "time_g"],
    structs: [
      { s: time.timespec, unit: "time" },
      { s: time.timeval, unit: "time" },
      {
        s: time.itimerspec, unit: "time",
        fields: {
          it_interval_sec: "it_interval.tv_sec", it_interval_nsec: "it_interval.tv_nsec",
          it_value_sec: "it_value.tv_sec", it_value_nsec: "it_value.tv_nsec",
        },
      },
      {
        s: time.itimerval, unit: "time",
        fields: {
          it_interval_sec: "it_interval.tv_sec", it_interval_usec: "it_interval.tv_usec",
          it_value_sec: "it_value.tv_sec", it_value_usec: "it_value.tv_usec",
        },
      },
      { s: time.timezone, unit: "time" },
      {
        s: time.sigevent, unit: "time",
        fields: {
          sigev_notify_thread_id: "_sigev_un._tid",
          sigev_notify_function: "_sigev_un._sigev_thread._function",
          sigev_notify_attributes: "_sigev_un._sigev_thread._attribute",
        },
      },
    ],
  },
  {
    name: "timex", ns: timex, units: ["timex"],
    structs: [{ s: timex.timex, unit: "timex", fields: { time_sec: "time.tv_sec", time_usec: "time.tv_usec" } }],
  },
  {
    name: "resource", ns: resource, units: ["resource"],
    structs: [
      { s: resource.rlimit, unit: "resource" },
      { s: resource.rlimit64, unit: "resource" },
      {
        s: resource.rusage, unit: "resource",
        fields: {
          ru_utime_sec: "ru_utime.tv_sec", ru_utime_usec: "ru_utime.tv_usec",
          ru_stime_sec: "ru_stime.tv_sec", ru_stime_usec: "ru_stime.tv_usec",
        },
      },
      { s: resource.sysinfo, unit: "resource", fields: { loads0: "loads[0]", loads1: "loads[1]", loads2: "loads[2]" } },
      { s: resource.utsname, unit: "resource" },
      { s: resource.tms, unit: "resource" },
    ],
  },
  {
    name: "ioctl", ns: ioctl, units: ["ioctl"],
    structs: [
      { s: ioctl.termios, unit: "ioctl" },
      { s: ioctl.termios2, unit: "ioctl" },
      { s: ioctl.termio, unit: "ioctl" },
      { s: ioctl.winsize, unit: "ioctl" },
    ],
  },
  {
    name: "poll", ns: poll, units: ["poll", "poll_g"],
    structs: [{ s: poll.pollfd, unit: "poll" }, { s: poll.epoll_event, unit: "poll" }],
  },
  {
    name: "futex", ns: futex, units: ["futex"],
    structs: [
      { s: futex.futex_waitv, unit: "futex" },
      { s: futex.robust_list, unit: "futex" },
      { s: futex.robust_list_head, unit: "futex", fields: { list_next: "list.next" } },
    ],
  },
  {
    name: "seccomp", ns: seccomp, units: ["seccomp"],
    // Kernel-internal limits and sizes Ghost names itself (not in the uapi headers).
    isConstant: (n) => /^[A-Z_]/.test(n) && !["SECCOMP_MAX_INSNS_PER_PATH", "SECCOMP_FILTER_FLAGS_ALL", "SOCK_FILTER_SIZE",
      "SIZEOF_SECCOMP_NOTIF", "SIZEOF_SECCOMP_NOTIF_RESP"].includes(n),
    structs: [
      { s: seccomp.seccomp_data, unit: "seccomp" },
      { s: seccomp.sock_fprog, unit: "seccomp" },
      { s: seccomp.seccomp_notif_sizes, unit: "seccomp" },
    ],
  },
  {
    name: "prctl", ns: prctl, units: ["prctl"],
    structs: [
      { s: prctl.prctl_mm_map, unit: "prctl" },
      { s: prctl.user_cap_header, unit: "prctl" },
      { s: prctl.user_cap_data, unit: "prctl" },
    ],
  },
  { name: "inet", ns: inet, units: ["inet"] },
  {
    name: "netlink", ns: netlink, units: ["netlink"],
    enums: ["RTM_NEWLINK", "RTM_DELLINK", "RTM_GETLINK", "RTM_SETLINK", "RTM_NEWADDR", "RTM_DELADDR", "RTM_GETADDR", "RTM_NEWROUTE",
      "RTM_DELROUTE", "RTM_GETROUTE", "IFLA_ADDRESS", "IFLA_BROADCAST", "IFLA_IFNAME", "IFLA_MTU", "IFLA_QDISC", "IFLA_STATS",
      "IFLA_TXQLEN", "IFLA_OPERSTATE", "IFLA_LINKMODE", "IF_OPER_UNKNOWN", "IF_OPER_DOWN", "IF_OPER_UP", "IFA_ADDRESS", "IFA_LOCAL", "IFA_LABEL",
      "IFA_BROADCAST", "IFA_FLAGS", "RTA_DST", "RTA_OIF", "RTA_GATEWAY", "RTA_PRIORITY", "RTA_PREFSRC", "RTA_TABLE", "RT_TABLE_MAIN",
      "RT_SCOPE_UNIVERSE", "RT_SCOPE_SITE", "RT_SCOPE_LINK", "RT_SCOPE_HOST", "RTN_UNICAST", "IFF_LOWER_UP",
      "RTN_MULTICAST", "IFA_CACHEINFO", "NDA_DST", "NDA_LLADDR", "NDA_CACHEINFO", "NDA_PROBES"],
  },
  {
    name: "socket", ns: socket, units: ["sock_k", "sock_g"], enums: ["SS_UNCONNECTED", "SS_CONNECTING", "SS_CONNECTED"],
    structs: [
      { s: socket.sockaddr, unit: "sock_g" },
      { s: socket.sockaddr_storage, unit: "sock_k", cType: "struct __kernel_sockaddr_storage" },
      { s: socket.sockaddr_in, unit: "sock_k", fields: { sin_addr: "sin_addr.s_addr" } },
      { s: socket.sockaddr_in6, unit: "sock_k" },
      { s: socket.sockaddr_un, unit: "sock_k" },
      { s: socket.sockaddr_nl, unit: "sock_k" },
      { s: socket.iovec, unit: "sock_k" },
      { s: socket.msghdr, unit: "sock_g", cType: "struct msghdr" },
      { s: socket.mmsghdr, unit: "sock_g" },
      { s: socket.cmsghdr, unit: "sock_g" },
      { s: socket.ucred, unit: "sock_g" },
      { s: socket.linger, unit: "sock_g" },
    ],
  },
  { name: "mount", ns: mount, units: ["mount", "mount_g"], enums: ["FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY", "FSCONFIG_SET_PATH", "FSCONFIG_SET_PATH_EMPTY", "FSCONFIG_SET_FD", "FSCONFIG_CMD_CREATE", "FSCONFIG_CMD_RECONFIGURE"] },
  {
    name: "misc", ns: misc, units: ["misc"],
    enums: [
      ...Object.keys(misc).filter((n) => n.startsWith("MEMBARRIER_CMD_") && n !== "MEMBARRIER_CMD_GET_REGISTRATIONS"),
      "UNAME26", "ADDR_NO_RANDOMIZE", "FDPIC_FUNCPTRS", "MMAP_PAGE_ZERO", "ADDR_COMPAT_LAYOUT", "READ_IMPLIES_EXEC",
      "ADDR_LIMIT_32BIT", "SHORT_INODE", "WHOLE_SECONDS", "STICKY_TIMEOUTS", "ADDR_LIMIT_3GB",
      "PER_LINUX", "PER_LINUX32", "PER_LINUX32_3GB", "PER_LINUX_32BIT", "PER_LINUX_FDPIC", "PER_MASK",
      ...Object.keys(misc).filter((n) => n.startsWith("KCMP_") && n !== "KCMP_EPOLL_SLOT_SIZE"),
      ...Object.keys(misc).filter((n) => n.startsWith("IOCB_CMD_")),
    ],
    structs: [{ s: misc.inotify_event, unit: "misc" }, { s: misc.signalfd_siginfo, unit: "misc" }, { s: misc.iocb, unit: "misc" }],
  },
];

/** Exported integer constants of a module, by TS name. */
function constantsOf(m: ModuleCheck): [string, number | bigint][] {
  const isConstant = m.isConstant ?? ((n: string) => /^[A-Z_]/.test(n));
  return Object.entries(m.ns).filter(
    (e): e is [string, number | bigint] => isConstant(e[0]) && (typeof e[1] === "number" || typeof e[1] === "bigint"),
  );
}

const cIdent = (s: string): string => s.replace(/[^A-Za-z0-9]/g, "_");

function generate(): { files: string[]; keys: Map<string, { mod: string; ts: string; unit: string }> } {
  const byUnit = new Map<string, string[]>(UNITS.map((u) => [u.id, []]));
  const keys = new Map<string, { mod: string; ts: string; unit: string }>();
  for (const m of MODULES) {
    const enums = new Set(m.enums ?? []);
    for (const [ts] of constantsOf(m)) {
      const c = m.cName ? m.cName(ts) : ts;
      for (const u of m.units) {
        const key = `${m.name}:${ts}@${u}`;
        keys.set(key, { mod: m.name, ts, unit: u });
        const body = `P("${key}", (unsigned long long)(${c}));`;
        byUnit.get(u)!.push(enums.has(c) && !u.endsWith("_g") ? body : `#ifdef ${c}\n  ${body}\n#else\n  M("${key}");\n#endif`);
      }
    }
    for (const sc of m.structs ?? []) {
      const ct = sc.cType ?? sc.s.name;
      const lines = byUnit.get(sc.unit)!;
      if (sc.size !== false) lines.push(`P("size:${sc.s.name}", sizeof(${ct}));`);
      for (const f of sc.s.fieldNames) {
        const member = sc.fields && f in sc.fields ? sc.fields[f] : f;
        if (member === null || member === undefined) continue;
        lines.push(`P("off:${sc.s.name}.${f}", __builtin_offsetof(${ct}, ${member}));`);
      }
    }
  }
  const files: string[] = [];
  const common = `extern int printf(const char *, ...);
#define P(k, v) printf("V %s %llu\\n", k, (unsigned long long)(v))
#define M(k) printf("M %s\\n", k)
#define X(k, v) printf("X %s %lld\\n", k, (long long)(v))
`;
  for (const u of UNITS) {
    const pre = u.glibc ? "#define _GNU_SOURCE\n" : "";
    const inc = u.headers.map((h) => `#include <${h}>`).join("\n");
    const src = `${pre}${inc}\n${common}void unit_${cIdent(u.id)}(void) {\n  ${byUnit.get(u.id)!.join("\n  ")}\n  ${u.extra ?? ""}\n}\n`;
    const path = join(BUILD, `u_${u.id}.c`);
    writeFileSync(path, src);
    files.push(path);
  }
  const main = join(BUILD, "main.c");
  writeFileSync(main, `${UNITS.map((u) => `void unit_${cIdent(u.id)}(void);`).join("\n")}\nint main(void) {\n${UNITS.map((u) => `  unit_${cIdent(u.id)}();`).join("\n")}\n  return 0;\n}\n`);
  files.push(main);
  return { files, keys };
}

function have(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const toolchain = have("riscv64-linux-gnu-gcc") && have("qemu-riscv64");

interface ProbeResult {
  values: Map<string, bigint>;
  missing: Set<string>;
  extra: Map<string, bigint>;
  keys: Map<string, { mod: string; ts: string; unit: string }>;
}

let probe: ProbeResult | Error | undefined;
function runProbe(): ProbeResult {
  if (probe instanceof Error) throw probe;
  if (probe) return probe;
  try {
    probe = buildAndRun();
  } catch (e) {
    probe = e instanceof Error ? e : new Error(String(e));
    throw probe;
  }
  return probe;
}

function buildAndRun(): ProbeResult {
  mkdirSync(BUILD, { recursive: true });
  const { files, keys } = generate();
  const exe = join(BUILD, "abi-probe");
  execFileSync("riscv64-linux-gnu-gcc", ["-O0", "-static", "-w", "-o", exe, ...files], { stdio: ["ignore", "inherit", "inherit"] });
  const out = execFileSync("qemu-riscv64", [exe], { encoding: "utf8", maxBuffer: 64 << 20 });
  const values = new Map<string, bigint>();
  const missing = new Set<string>();
  const extra = new Map<string, bigint>();
  for (const line of out.split("\n")) {
    const kind = line.slice(0, 1);
    const rest = line.slice(2);
    const sp = rest.lastIndexOf(" ");
    if (kind === "V") values.set(rest.slice(0, sp), BigInt(rest.slice(sp + 1)));
    else if (kind === "M") missing.add(rest);
    else if (kind === "X") extra.set(rest.slice(0, sp), BigInt(rest.slice(sp + 1)));
  }
  return { values, missing, extra, keys };
}

/** Same constant, allowing int vs unsigned int spellings of one 32-bit value. */
function sameValue(ts: number | bigint, c: bigint): boolean {
  const t = BigInt(ts);
  if (BigInt.asUintN(64, t) === c) return true;
  const hi = c >> 32n;
  const fits32 = t >= -(1n << 31n) && t < 1n << 32n;
  return fits32 && (hi === 0n || hi === 0xffff_ffffn) && BigInt.asUintN(32, t) === BigInt.asUintN(32, c);
}

for (const m of MODULES) {
  test(`abi/${m.name}: constants match the riscv64 headers`, { skip: !toolchain && "riscv64 cross toolchain or qemu-riscv64 not installed" }, () => {
    const p = runProbe();
    const mismatches: string[] = [];
    const unknown: string[] = [];
    const notIn61 = NOT_IN_6_1[m.name] ?? {};
    const changed = CHANGED_SINCE_6_1[m.name] ?? {};
    for (const [ts, v] of constantsOf(m)) {
      // The first unit that defines the name is the authority (kernel headers before glibc).
      const unit = m.units.find((u) => p.values.has(`${m.name}:${ts}@${u}`));
      if (unit === undefined) {
        if (!(ts in notIn61)) unknown.push(ts);
        continue;
      }
      const c = p.values.get(`${m.name}:${ts}@${unit}`)!;
      if (ts in notIn61) mismatches.push(`${ts}: listed as not in 6.1, but <${unit}> defines it as ${c}`);
      const expect61 = changed[ts];
      if (expect61 !== undefined) {
        if (!sameValue(expect61, c)) mismatches.push(`${ts}: the 6.1 header has ${c}, abi-expect.ts says ${expect61}`);
      } else if (!sameValue(v, c)) {
        mismatches.push(`${ts}@${unit}: ts ${v} (0x${BigInt.asUintN(64, BigInt(v)).toString(16)}) vs C ${c} (0x${c.toString(16)})`);
      }
    }
    assert.deepEqual({ mismatches, unknown }, { mismatches: [], unknown: [] },
      "values differ, or names neither in the 6.1 headers nor explained in abi-expect.ts");
  });

  if (m.structs?.length) {
    test(`abi/${m.name}: struct layouts match the riscv64 headers`, { skip: !toolchain && "riscv64 cross toolchain or qemu-riscv64 not installed" }, () => {
      const p = runProbe();
      const bad: string[] = [];
      for (const sc of m.structs!) {
        if (sc.size !== false) {
          const c = p.values.get(`size:${sc.s.name}`);
          if (c !== BigInt(sc.s.size)) bad.push(`sizeof(${sc.s.name}): ts ${sc.s.size} vs C ${c}`);
        }
        for (const f of sc.s.fieldNames) {
          const member = sc.fields && f in sc.fields ? sc.fields[f] : f;
          if (member === null) continue;
          const c = p.values.get(`off:${sc.s.name}.${f}`);
          if (c !== BigInt(sc.s.fields[f].offset)) bad.push(`${sc.s.name}.${f}: ts ${sc.s.fields[f].offset} vs C ${c}`);
        }
      }
      assert.deepEqual(bad, []);
    });
  }
}

test("abi/syscalls: every __NR_ in the 6.1 riscv64 header is in SYS (but nfsservctl)", { skip: !toolchain && "no toolchain" }, () => {
  const defs = execFileSync("riscv64-linux-gnu-gcc", ["-E", "-dM", "-x", "c", "-"], { input: "#include <asm/unistd.h>\n", encoding: "utf8" });
  const names = [...defs.matchAll(/^#define __NR_(\w+) /gm)].map((x) => x[1]!);
  // nfsservctl (42) has no entry in the 6.11+ generated table; the other two are markers, not calls.
  const ignore = new Set(["nfsservctl", "syscalls", "arch_specific_syscall"]);
  const absent = names.filter((n) => !ignore.has(n) && !(n in syscalls.SYS));
  assert.deepEqual(absent, []);
});

test("abi/syscalls: numbering facts", () => {
  const nums = Object.values(syscalls.SYS);
  assert.equal(new Set(nums).size, nums.length, "numbers are unique");
  assert.equal(syscalls.SYSCALL_NAMES.size, nums.length);
  for (let n = 403; n <= 423; n++) assert.equal(syscalls.syscallName(n), undefined, `time64 ${n} absent`);
  for (let n = 295; n <= 402; n++) assert.equal(syscalls.syscallName(n), undefined);
  for (let n = 244; n <= 257; n++) assert.equal(syscalls.syscallName(n), undefined);
  assert.equal(syscalls.syscallName(38), undefined, "no renameat");
  assert.equal(syscalls.syscallName(42), undefined);
  assert.equal(syscalls.syscallName(258), "riscv_hwprobe");
  assert.equal(syscalls.syscallName(467), "open_tree_attr");
  assert.equal(Math.max(...nums) + 1, syscalls.NR_SYSCALLS);
});

test("abi/time: CPU clock ids match glibc's encoding", { skip: !toolchain && "no toolchain" }, () => {
  const p = runProbe();
  const pid = Number(p.extra.get("pid"));
  const tid = Number(p.extra.get("tid"));
  assert.equal(Number(p.extra.get("process_cpuclock")), time.MAKE_PROCESS_CPUCLOCK(pid, time.CPUCLOCK_SCHED));
  assert.equal(Number(p.extra.get("thread_cpuclock")), time.MAKE_THREAD_CPUCLOCK(tid, time.CPUCLOCK_SCHED));
  assert.equal(time.CPUCLOCK_PID(time.MAKE_THREAD_CPUCLOCK(tid, 2)), tid);
  assert.ok(time.CPUCLOCK_PERTHREAD(time.MAKE_THREAD_CPUCLOCK(tid, 2)));
});

test("abi/wait: status encoding matches glibc", { skip: !toolchain && "no toolchain" }, () => {
  const p = runProbe();
  assert.equal(BigInt(wait.wExited(7)), p.extra.get("W_EXITCODE_7"));
  assert.equal(BigInt(wait.wStopped(19)), p.extra.get("W_STOPCODE_19"));
  assert.equal(BigInt(wait.wContinued()), p.extra.get("W_CONTINUED"));
  assert.equal(BigInt(wait.WCOREFLAG), p.extra.get("WCOREFLAG"));
  const s = wait.wSignaled(11, true);
  assert.ok(wait.WIFSIGNALED(s) && wait.WCOREDUMP(s) && wait.WTERMSIG(s) === 11 && !wait.WIFEXITED(s));
  assert.ok(wait.WIFEXITED(wait.wExited(3)) && wait.WEXITSTATUS(wait.wExited(3)) === 3);
  assert.ok(wait.WIFSTOPPED(wait.wStopped(19)) && !wait.WIFSIGNALED(wait.wStopped(19)));
  assert.ok(wait.WIFCONTINUED(wait.wContinued()));
});

test("abi/struct: reads and writes little-endian fields", () => {
  const s = struct("struct t", 32, { a: [0, "u8"], b: [2, "i16"], c: [4, "u32"], d: [8, "i64"], e: [16, "u64"], f: [24, bytes(8)] });
  const dv = new DataView(new ArrayBuffer(64));
  s.write(dv, 8, { a: 0x1ff, b: -2, c: -1, d: -5, e: 2 ** 53 - 1, f: Uint8Array.of(1, 2, 3) });
  assert.equal(s.get(dv, 8, "a"), 0xff);
  assert.equal(s.get(dv, 8, "b"), -2);
  assert.equal(s.get(dv, 8, "c"), 0xffff_ffff);
  assert.equal(s.get(dv, 8, "d"), -5);
  assert.equal(s.getBig(dv, 8, "d"), -5n);
  assert.equal(s.get(dv, 8, "e"), 2 ** 53 - 1);
  assert.deepEqual([...s.bytesOf(dv, 8, "f")], [1, 2, 3, 0, 0, 0, 0, 0]);
  assert.equal(dv.getUint8(8 + 4), 0xff, "u32 stored little-endian");
  // Past ±2^53 a 64-bit field saturates (abi/word.ts): sign and low 32 bits kept, magnitude past every limit.
  s.set(dv, 8, "e", 0xffff_ffff_ffff_ffffn);
  assert.equal(s.get(dv, 8, "e"), 2 ** 53 - 1);
  assert.equal(s.get(dv, 8, "e") | 0, -1);
  assert.equal(s.getBig(dv, 8, "e"), resource.RLIM_INFINITY);
  s.set(dv, 8, "e", 0x4000_0000_0000_0005n);
  assert.equal(s.get(dv, 8, "e") >>> 0, 5);
  assert.ok(s.get(dv, 8, "e") >= 2 ** 52);
  s.set(dv, 8, "d", -(2 ** 53) + 1);
  assert.equal(s.get(dv, 8, "d"), -(2 ** 53) + 1);
  s.set(dv, 8, "d", -(2n ** 63n));
  assert.equal(s.get(dv, 8, "d"), -(2 ** 53));
  // A number past 2^53 is stored as the integer it is; a fraction is a kernel bug.
  s.set(dv, 8, "e", 2 ** 60);
  assert.equal(s.getBig(dv, 8, "e"), 2n ** 60n);
  assert.throws(() => s.set(dv, 8, "e", 0.5), RangeError);
  assert.throws(() => struct("bad", 4, { x: [2, "u32"] }), RangeError);
});

test("abi/errno, signal, futex, ioctl helpers", () => {
  assert.equal(errno.errnoName(2), "ENOENT");
  assert.equal(errno.errnoName(-errno.ERESTARTSYS), "ERESTARTSYS");
  assert.equal(errno.errnoName(41), undefined, "41 is unused");
  assert.equal(errno.ERRNO["EHWPOISON"], 133);
  assert.equal(signal.defaultAction(signal.SIGCHLD), "ign");
  assert.equal(signal.defaultAction(signal.SIGSEGV), "core");
  assert.equal(signal.defaultAction(signal.SIGTSTP), "stop");
  assert.equal(signal.defaultAction(signal.SIGCONT), "cont");
  assert.equal(signal.defaultAction(signal.SIGRTMIN + 3), "term");
  assert.equal(signal.signalName(34), "SIGRTMIN+2");
  assert.equal(signal.sigmask(signal.SIGKILL) | signal.sigmask(signal.SIGSTOP), signal.SIG_KERNEL_ONLY_MASK);
  const op = futex.FUTEX_OP(futex.FUTEX_OP_ADD | futex.FUTEX_OP_OPARG_SHIFT, 5, futex.FUTEX_OP_CMP_GT, -1);
  assert.deepEqual(futex.decodeFutexOp(op), { op: futex.FUTEX_OP_ADD, shift: true, cmp: futex.FUTEX_OP_CMP_GT, oparg: 5, cmparg: -1 });
  assert.equal(ioctl._IOC_SIZE(ioctl.TCGETS2), 44);
  assert.equal(ioctl._IOC_DIR(ioctl.TIOCGPTN), ioctl._IOC_READ);
  assert.equal(ioctl.INIT_C_CC[ioctl.VINTR], 3);
  assert.equal(ioctl.INIT_C_CC.length, ioctl.NCCS);
  assert.equal(signal.rt_sigframe.size % 16, 0);
});

test("abi/hwprobe: keys and bits are distinct (no 6.1 header to check against)", () => {
  const bits = [...hwprobe.HWPROBE_IMA_EXT_0.values()];
  assert.equal(new Set(bits).size, bits.length);
  for (let i = 0; i < bits.length; i++) assert.equal(bits[i], 1n << BigInt(i), `bit ${i} in order`);
  assert.equal(hwprobe.riscv_hwprobe.size, 16);
  assert.equal(auxv.hwcapIsa("v"), auxv.COMPAT_HWCAP_ISA_V);
});
