// The kernel configuration, as /proc/config.gz (Linux's CONFIG_IKCONFIG_PROC)
// and /boot/config-<release> show it. Test suites and tools read it to
// decide what to test, so an option is set only where Ghost really has the
// feature: a syscall family counts when its syscall is in the table and not
// ENOSYS, a filesystem when mount(2) can make it.

import { isSyscallImplemented } from "./registry.js";
import { filesystemType } from "../filesystems.js";
import { UTS_RELEASE } from "../../lib/version.js";
import { HZ } from "../../kernel/time/timers.js";

type Probe = boolean | (() => boolean);

function has(...syscalls: string[]): () => boolean {
  return () => syscalls.every(isSyscallImplemented);
}
const fs = (name: string) => () => filesystemType(name) !== undefined;

// [option, probe]: the options programs and test suites ask about.
const OPTIONS: [string, Probe][] = [
  // The machine: one RV64GC hart with an Sv48 MMU.
  ["64BIT", true], ["RISCV", true], ["MMU", true], ["SMP", false], ["RISCV_ISA_C", true], ["FPU", true],
  ["PGTABLE_LEVELS=4", true], ["NR_CPUS=1", true],
  // Core kernel
  ["MULTIUSER", has("setuid")], ["SYSVIPC", has("shmget", "semget", "msgget")], ["SYSVIPC_SYSCTL", has("shmget")],
  ["POSIX_MQUEUE", has("mq_open")], ["CROSS_MEMORY_ATTACH", has("process_vm_readv")], ["USELIB", false],
  ["AUDIT", false], ["NO_HZ_IDLE", true], ["HIGH_RES_TIMERS", true], ["HZ_1000", true], [`HZ=${HZ}`, true],
  ["PREEMPT_NONE", true], ["TICK_CPU_ACCOUNTING", true], ["IKCONFIG", true], ["IKCONFIG_PROC", true],
  ["LOG_BUF_SHIFT=17", true], ["CGROUPS", false], ["NAMESPACES", has("setns")], ["USER_NS", false], ["PID_NS", false],
  ["NET_NS", false], ["UTS_NS", has("setns")], ["IPC_NS", has("setns")], ["CHECKPOINT_RESTORE", has("kcmp")],
  ["BLK_DEV_INITRD", true], ["SYSCTL", true], ["SGETMASK_SYSCALL", false],
  ["SYSFS_SYSCALL", false], ["FHANDLE", has("name_to_handle_at")], ["POSIX_TIMERS", has("timer_create")],
  ["PRINTK", true], ["BUG", true], ["ELF_CORE", true], ["FUTEX", has("futex")], ["FUTEX_PI", has("futex")],
  ["EPOLL", has("epoll_create1")], ["SIGNALFD", has("signalfd4")], ["TIMERFD", has("timerfd_create")],
  ["EVENTFD", has("eventfd2")], ["SHMEM", true], ["AIO", has("io_setup")], ["IO_URING", has("io_uring_setup")],
  ["ADVISE_SYSCALLS", has("madvise", "fadvise64")], ["MEMBARRIER", has("membarrier")], ["KCMP", has("kcmp")],
  ["RSEQ", has("rseq")], ["CACHESTAT_SYSCALL", has("cachestat")], ["KALLSYMS", false], ["PERF_EVENTS", has("perf_event_open")],
  ["BPF_SYSCALL", has("bpf")], ["USERFAULTFD", has("userfaultfd")], ["SECCOMP", has("seccomp")], ["SECCOMP_FILTER", has("seccomp")],
  ["MODULES", has("init_module")], ["KEYS", has("add_key")], ["BIG_KEYS", has("add_key")],
  ["PERSISTENT_KEYRINGS", false], ["KEY_DH_OPERATIONS", false], ["ENCRYPTED_KEYS", false], ["KEY_NOTIFICATIONS", false], ["SECURITY", false], ["SECURITY_LANDLOCK", has("landlock_create_ruleset")],
  ["PROFILING", false], ["KEXEC", has("kexec_load")], ["BSD_PROCESS_ACCT", has("acct")], ["TASKSTATS", false],
  ["SCHED_AUTOGROUP", false], ["SCHED_BORE", true], ["RT_GROUP_SCHED", false], ["FAIR_GROUP_SCHED", false],
  // Memory management
  ["SWAP", has("swapon")], ["TRANSPARENT_HUGEPAGE", false], ["HUGETLBFS", false], ["MEMFD_CREATE", has("memfd_create")],
  ["MIGRATION", has("move_pages")], ["NUMA", has("mbind")], ["KSM", false], ["MEMCG", false], ["ZONE_DMA32", false],
  ["SECRETMEM", has("memfd_secret")], ["ANON_VMA_NAME", false], ["MEM_SOFT_DIRTY", false],
  // Executables
  ["BINFMT_ELF", true], ["BINFMT_SCRIPT", true], ["BINFMT_MISC", false], ["COREDUMP", true], ["COMPAT", false],
  // Files
  // F_NOTIFY is dnotify.ts; ext4 keeps POSIX ACLs (ext4/acl.ts); disks are block devices (src/block).
  ["FILE_LOCKING", has("flock")], ["FSNOTIFY", has("inotify_init1")], ["INOTIFY_USER", has("inotify_init1")],
  ["DNOTIFY", has("fcntl")], ["FANOTIFY", has("fanotify_init")], ["QUOTA", has("quotactl")], ["QUOTACTL", has("quotactl")],
  ["PROC_FS", fs("proc")], ["PROC_SYSCTL", fs("proc")], ["PROC_PAGE_MONITOR", fs("proc")], ["PROC_CHILDREN", false],
  ["KERNFS", fs("sysfs")], ["SYSFS", fs("sysfs")], ["TMPFS", fs("tmpfs")], ["TMPFS_POSIX_ACL", false], ["TMPFS_XATTR", has("setxattr")],
  ["DEVTMPFS", fs("devtmpfs")], ["DEVTMPFS_MOUNT", true], ["EXT4_FS", fs("ext4")], ["EXT2_FS", fs("ext2")], ["BTRFS_FS", false],
  ["XFS_FS", false], ["FUSE_FS", false], ["OVERLAY_FS", false], ["NFS_FS", false], ["FS_POSIX_ACL", fs("ext4")], ["EXT4_FS_POSIX_ACL", fs("ext4")],
  ["CONFIGFS_FS", false], ["DEBUG_FS", false], ["TRACING", false], ["FTRACE", false], ["BLOCK", true], ["BLK_DEV_LOOP", true],
  ["MANDATORY_FILE_LOCKING", false], ["FS_DAX", false], ["FS_VERITY", false], ["FS_ENCRYPTION", false],
  // Devices
  ["TTY", true], ["VT", false], ["UNIX98_PTYS", fs("devpts")], ["LEGACY_PTYS", false], ["SERIAL_8250", false],
  ["HVC_DRIVER", true], ["DEVMEM", false], ["DEVPORT", false], ["HW_RANDOM", false], ["INPUT", false], ["RTC_CLASS", false],
  ["WATCHDOG", false], ["SOUND", false], ["DRM", false], ["USB_SUPPORT", false], ["PCI", false], ["VIRTIO", false],
  // Networking
  ["NET", has("socket")], ["UNIX", has("socket")], ["UNIX_DIAG", false], ["INET", has("socket")], ["IPV6", has("socket")],
  ["PACKET", false], ["NETLINK_DIAG", false], ["NETFILTER", false], ["VETH", false], ["TUN", false],
];

// The configuration text, in Linux's .config format.
export function configText(): string {
  const seen = new Set<string>();
  const lines = ["#", `# Ghost ${UTS_RELEASE} (riscv64): the features this kernel implements`, "#"];
  for (const [opt, probe] of OPTIONS) {
    const [name, value] = opt.split("=");
    if (seen.has(name)) continue;
    seen.add(name);
    const on = typeof probe === "boolean" ? probe : probe();
    lines.push(on ? `CONFIG_${name}=${value ?? "y"}` : `# CONFIG_${name} is not set`);
  }
  return lines.join("\n") + "\n";
}

// CRC-32 (IEEE), as gzip's trailer needs.
let crcTable: Uint32Array | null = null;
function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// A gzip member (RFC 1952) holding `data` in stored (uncompressed) deflate
// blocks: valid for every gunzip, and needs no compressor in the kernel.
export function gzipStored(data: Uint8Array): Uint8Array {
  const MAX = 0xffff;
  const blocks = Math.max(1, Math.ceil(data.length / MAX));
  const out = new Uint8Array(10 + blocks * 5 + data.length + 8);
  const dv = new DataView(out.buffer);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]); // magic, deflate, no flags, no mtime, OS unix
  let o = 10;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * MAX, Math.min(data.length, (i + 1) * MAX));
    out[o] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE=00
    dv.setUint16(o + 1, chunk.length, true);
    dv.setUint16(o + 3, ~chunk.length & 0xffff, true);
    out.set(chunk, o + 5);
    o += 5 + chunk.length;
  }
  dv.setUint32(o, crc32(data), true);
  dv.setUint32(o + 4, data.length >>> 0, true);
  return out;
}

export function configGz(): Uint8Array { return gzipStored(Buffer.from(configText(), "latin1")); }

// /boot/config-<release>: where distributions keep the same text.
export const BOOT_CONFIG_NAME = `config-${UTS_RELEASE}`;
