// The /proc root: one directory per process, self and thread-self, and the
// system-wide files (meminfo, cpuinfo, stat, uptime, loadavg, version,
// mounts, filesystems) and /proc/sys.

import { leaseBreakTime, setLeaseBreakTime, leaseLines } from "../lease.js";
import { lockLines } from "../locks.js";
import { F_RDLCK, F_WRLCK } from "../../abi/fcntl.js";
import { major, minor } from "../char_dev.js";
import { DFLT_MSG, DFLT_MSGMAX, DFLT_MSGSIZE, DFLT_MSGSIZEMAX, DFLT_QUEUESMAX } from "../../abi/ipc.js";
import { ProcDir, ProcFile, ProcLink, type Entries } from "./nodes.js";
import { pidDir, taskDir } from "./pid.js";
import { configGz } from "./config.js";
import { sysvipcListings, procNetFiles, procNetSysctls, procKernelSysctls, procRootFiles, procKernelSysctlDirs, procFsSysctlDirs } from "./registry.js";
import { MSGMAX, MSGMNB } from "../../abi/ipc.js";
import { pipeMaxSize, setPipeMaxSize } from "../pipe_limits.js";
import { INOTIFY_MAX_EVENTS } from "../notify.js";
import { CPU_DMA_LATENCY_MINOR } from "../char_dev.js";
import { UTS_RELEASE, UTS_VERSION } from "../../lib/version.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Task, ThreadGroup } from "../../kernel/task.js";
import { NR_OPEN_MAX, NR_OPEN_MIN } from "../../kernel/task.js";
import { partitionsText, diskstatsText } from "../../block/genhd.js";
import { VIRTBLK_MAJOR } from "../../abi/fs_blk.js";
import type { Inode } from "../inode.js";
import { kerr } from "../../lib/errors.js";
import { EINVAL } from "../../abi/errno.js";
import { WRITEBACK } from "../writeback.js";

// vm.drop_caches takes 1 to 4 (proc_dointvec_minmax); 4 only silences its log line.
// An integer sysctl in [0, max] (proc_dointvec_minmax's EINVAL otherwise).
function intSysctl(v: string, max: number): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= max)) kerr(EINVAL);
  return n;
}

function dropCaches(k: Kernel, v: string): void {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 4)) kerr(EINVAL);
  k.phys.dropCaches(n);
}

// The one memory budget (mm/budget.ts) as Linux's meminfo shows it: MemFree
// is what neither guest pages nor the kernel's charges hold; Cached counts
// the page cache and tmpfs data (Shmem, part of Cached as on Linux); pipe
// and socket buffers and kernel objects are unreclaimable slab; each task
// its KernelStack.
function meminfo(k: Kernel): string {
  const kb = (bytes: number) => Math.floor(bytes / 1024);
  const mem = k.phys.mem, c = mem.snapshot();
  const total = k.phys.frames * 4, free = kb(mem.free);
  // Mapped files' pages, and a disk filesystem's cached file data (its frames are framedBytes too).
  const mapped = k.phys.cache.pageCount * 4, cache = mapped + mem.framesOf("file") * 4, shmem = kb(c.shmem);
  const anon = Math.max(0, k.phys.usedFrames * 4 - mapped - kb(mem.framedBytes)); // tmpfs data and pipe rings are in frames too (mm/frames.ts)
  const dirty = k.local(WRITEBACK).dirtyPages * 4;
  const slab = kb(c.slab + c.pipe + c.sock);
  const rows: [string, number][] = [
    ["MemTotal", total], ["MemFree", free], ["MemAvailable", free + cache], ["Buffers", 0], ["Cached", cache + shmem], ["SwapCached", 0],
    ["Active", anon + shmem], ["Inactive", cache], ["Active(anon)", anon + shmem], ["Inactive(anon)", 0], ["Active(file)", 0],
    ["Inactive(file)", cache], ["Unevictable", 0], ["Mlocked", 0], ["SwapTotal", 0], ["SwapFree", 0], ["Dirty", dirty],
    ["Writeback", 0], ["AnonPages", anon], ["Mapped", mapped], ["Shmem", shmem], ["KReclaimable", 0], ["Slab", slab],
    ["SReclaimable", 0], ["SUnreclaim", slab], ["KernelStack", kb(c.stack)], ["PageTables", 0], ["CommitLimit", total],
    ["Committed_AS", total - free], ["VmallocTotal", 0], ["VmallocUsed", 0], ["VmallocChunk", 0],
    ["HugePages_Total", 0], ["HugePages_Free", 0], ["HugePages_Rsvd", 0], ["HugePages_Surp", 0], ["Hugepagesize", 2048],
  ];
  return rows.map(([n, v]) => n.startsWith("HugePages_") ? `${(n + ":").padEnd(16)}${String(v).padStart(8)}` : `${(n + ":").padEnd(16)}${String(v).padStart(8)} kB`).join("\n") + "\n";
}

const ISA = "rv64imafdc_zicntr_zicsr_zifencei";

function cpuinfo(): string {
  return `processor\t: 0\nhart\t\t: 0\nisa\t\t: ${ISA}\nmmu\t\t: sv48\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\nhart isa\t: ${ISA}\n\n`;
}

function stat(k: Kernel): string {
  let user = 0;
  for (const t of k.tasks.values()) user += t.utime;
  for (const g of k.groups.values()) user += g.deadUtime;
  const ticks = Math.floor(user / 1e7);
  const idle = Math.max(0, Math.floor(k.clock.monotonic() / 1e7) - ticks);
  const cpu = `${ticks} 0 0 ${idle} 0 0 0 0 0 0`;
  const running = [...k.tasks.values()].filter((t) => t.state === 0).length;
  const blocked = [...k.tasks.values()].filter((t) => t.state === 2).length;
  return `cpu  ${cpu}\ncpu0 ${cpu}\nintr 0\nctxt ${k.contextSwitches}\nbtime ${Math.floor((k.clock.realtime() - k.clock.monotonic()) / 1e9)}\n` +
    `processes ${k.forks}\nprocs_running ${running}\nprocs_blocked ${blocked}\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
}

function uptime(k: Kernel): string {
  const up = k.clock.monotonic() / 1e9;
  let busy = 0;
  for (const t of k.tasks.values()) busy += t.utime;
  return `${up.toFixed(2)} ${Math.max(0, up - busy / 1e9).toFixed(2)}\n`;
}

function sysvipcText(k: Kernel, kind: string): string {
  const l = sysvipcListings.get(kind);
  return l ? [l.header, ...l.rows(k)].join("\n") + "\n" : "";
}

// /proc/devices: the character device majors Ghost has drivers for.
function devices(): string {
  return "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n" +
    " 10 misc\n136 pts\n\nBlock devices:\n" + `${VIRTBLK_MAJOR} virtblk\n`;
}

const FILESYSTEMS = ["nodev\tsysfs", "nodev\ttmpfs", "nodev\tproc", "nodev\tdevtmpfs", "nodev\tdevpts", "nodev\tpipefs",
  "nodev\tanon_inodefs", "nodev\thostfs", "\text3", "\text2", "\text4"];

const uts = (k: Kernel) => (k.current ?? null)?.ns.uts ?? k.initNs.uts;

// /proc/sys: kernel tunables as files. Writable ones store into the kernel.
function sysDir(k: Kernel): ProcDir {
  const file = (key: string, get: () => string, set?: (v: string) => void) =>
    () => new ProcFile(`/sys/${key}`, () => get() + "\n", set ? 0o644 : 0o444, set ? (d) => set(Buffer.from(d).toString("latin1").trim()) : undefined);
  const dir = (key: string, entries: [string, () => Inode][]) => () => new ProcDir(`/sys/${key}`, () => entries);
  // A directory's fixed entries, with those a layer above fs/ registered in their place.
  const fsSysctlDir = (d: string, fixed: [string, () => Inode][]): [string, () => Inode][] => {
    const reg = procFsSysctlDirs.get(d);
    if (!reg) return fixed;
    return fixed.map(([name, make]): [string, () => Inode] => {
      const sc = reg.get(name);
      return sc ? [name, file(`fs/${d}/${name}`, () => sc.get(k), sc.set && ((v: string) => sc.set!(k, v)))] : [name, make];
    });
  };
  const kernel: [string, () => Inode][] = [
    // The reader's UTS namespace's names (proc_do_uts_string).
    ["hostname", file("kernel/hostname", () => uts(k).hostname, (v) => { uts(k).hostname = v.slice(0, 64); })],
    ["domainname", file("kernel/domainname", () => uts(k).domainname, (v) => { uts(k).domainname = v.slice(0, 64); })],
    ["osrelease", file("kernel/osrelease", () => UTS_RELEASE)],
    ["ostype", file("kernel/ostype", () => "Linux")],
    ["version", file("kernel/version", () => UTS_VERSION)],
    ["pid_max", file("kernel/pid_max", () => "4194304")],
    ["threads-max", file("kernel/threads-max", () => "32768")],
    ["ngroups_max", file("kernel/ngroups_max", () => "65536")],
    ["cap_last_cap", file("kernel/cap_last_cap", () => "40")],
    // No modules and no proprietary code: nothing taints Ghost.
    ["tainted", file("kernel/tainted", () => "0")],
    ["panic", file("kernel/panic", () => "0")],
    ["printk", file("kernel/printk", () => "4\t4\t1\t7")],
    ["randomize_va_space", file("kernel/randomize_va_space", () => "0")],
    ["overflowuid", file("kernel/overflowuid", () => "65534")],
    ["overflowgid", file("kernel/overflowgid", () => "65534")],
    ["msgmax", file("kernel/msgmax", () => String(MSGMAX))],
    ["msgmnb", file("kernel/msgmnb", () => String(MSGMNB))],
    ["random", dir("kernel/random", [
      ["boot_id", file("kernel/random/boot_id", () => k.bootId)],
      ["uuid", file("kernel/random/uuid", () => k.newUuid())],
      ["entropy_avail", file("kernel/random/entropy_avail", () => "256")],
      ["poolsize", file("kernel/random/poolsize", () => "256")],
    ])],
    ...k.sysctls.map(([name, get, set]): [string, () => Inode] => [name, file(`kernel/${name}`, get, set)]),
    ...[...procKernelSysctls].map(([name, sc]): [string, () => Inode] =>
      [name, file(`kernel/${name}`, () => sc.get(k), sc.set && ((v: string) => sc.set!(k, v)))]),
    ...[...procKernelSysctlDirs].map(([d, m]): [string, () => Inode] => [d, dir(`kernel/${d}`, [...m].map(([name, sc]): [string, () => Inode] =>
      [name, file(`kernel/${d}/${name}`, () => sc.get(k), sc.set && ((v: string) => sc.set!(k, v)))]))]),
  ];
  const vm: [string, () => Inode][] = [
    ["overcommit_memory", file("vm/overcommit_memory", () => "0")],
    // 1 the page cache, 2 dentries and inodes, 3 both (mm/phys.ts dropCaches).
    ["drop_caches", file("vm/drop_caches", () => "0", (v) => dropCaches(k, v))],
    // proc_dointvec_minmax from 0 (mm/mm.ts checks it on every mmap and split).
    ["max_map_count", file("vm/max_map_count", () => String(k.phys.maxMapCount), (v) => { k.phys.maxMapCount = intSysctl(v, 0x7fffffff); })],
    ["mmap_min_addr", file("vm/mmap_min_addr", () => "65536")],
    // Writeback's tunables (mm/writeback.ts), non-negative integers as proc_dointvec_minmax takes them.
    ["dirty_expire_centisecs", file("vm/dirty_expire_centisecs", () => String(k.local(WRITEBACK).dirtyExpireCentisecs), (v) => { k.local(WRITEBACK).dirtyExpireCentisecs = intSysctl(v, 0x7fffffff); })],
    ["dirty_writeback_centisecs", file("vm/dirty_writeback_centisecs", () => String(k.local(WRITEBACK).dirtyWritebackCentisecs), (v) => { k.local(WRITEBACK).dirtyWritebackCentisecs = intSysctl(v, 0x7fffffff); })],
    ["dirty_background_ratio", file("vm/dirty_background_ratio", () => String(k.local(WRITEBACK).dirtyBackgroundRatio), (v) => { k.local(WRITEBACK).dirtyBackgroundRatio = intSysctl(v, 100); })],
  ];
  const fs: [string, () => Inode][] = [
    ["pipe-max-size", file("fs/pipe-max-size", () => String(pipeMaxSize(k)), (v) => setPipeMaxSize(k, v))],
    // Linux's defaults; Ghost does not cut pipes down per user, so nothing is past them.
    ["pipe-user-pages-soft", file("fs/pipe-user-pages-soft", () => "16384")],
    ["pipe-user-pages-hard", file("fs/pipe-user-pages-hard", () => "0")],
    ["inotify", dir("fs/inotify", [
      ["max_queued_events", file("fs/inotify/max_queued_events", () => String(INOTIFY_MAX_EVENTS))],
      ["max_user_instances", file("fs/inotify/max_user_instances", () => "128")],
      ["max_user_watches", file("fs/inotify/max_user_watches", () => "8192")],
    ])],
    ["epoll", dir("fs/epoll", [["max_user_watches", file("fs/epoll/max_user_watches", () => "8192")]])],
    // POSIX message queues (ipc/mqueue.ts): the namespace's fixed limits.
    ["mqueue", dir("fs/mqueue", fsSysctlDir("mqueue", [
      ["msg_default", file("fs/mqueue/msg_default", () => String(DFLT_MSG))],
      ["msg_max", file("fs/mqueue/msg_max", () => String(DFLT_MSGMAX))],
      ["msgsize_default", file("fs/mqueue/msgsize_default", () => String(DFLT_MSGSIZE))],
      ["msgsize_max", file("fs/mqueue/msgsize_max", () => String(DFLT_MSGSIZEMAX))],
      ["queues_max", file("fs/mqueue/queues_max", () => String(DFLT_QUEUESMAX))],
    ]))],
    ["overflowuid", file("fs/overflowuid", () => "65534")],
    ["overflowgid", file("fs/overflowgid", () => "65534")],
    ["protected_hardlinks", file("fs/protected_hardlinks", () => "0")],
    ["protected_symlinks", file("fs/protected_symlinks", () => "0")],
    ["protected_fifos", file("fs/protected_fifos", () => "0")],
    ["protected_regular", file("fs/protected_regular", () => "0")],
    ["suid_dumpable", file("fs/suid_dumpable", () => "0")],
    ["leases-enable", file("fs/leases-enable", () => "1")],
    ["lease-break-time", file("fs/lease-break-time", () => String(leaseBreakTime(k)), (v) => setLeaseBreakTime(k, v))],
    ["mount-max", file("fs/mount-max", () => "100000")],
    ["aio-max-nr", file("fs/aio-max-nr", () => "65536")],
    ["aio-nr", file("fs/aio-nr", () => "0")],
    // proc_dointvec_minmax between BITS_PER_LONG and sysctl_nr_open_max.
    ["nr_open", file("fs/nr_open", () => String(k.nrOpen), (v) => {
      const n = intSysctl(v, NR_OPEN_MAX);
      if (n < NR_OPEN_MIN) kerr(EINVAL);
      k.nrOpen = n;
    })],
    ["file-max", file("fs/file-max", () => "9223372036854775807")],
  ];
  // net.*: "ipv4/ip_local_port_range" and the like, as the stack registers them.
  const netTree = (prefix: string): [string, () => Inode][] => {
    const names = new Set<string>();
    for (const key of procNetSysctls.keys()) if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split("/")[0]);
    return [...names].sort().map((n): [string, () => Inode] => {
      const sc = procNetSysctls.get(prefix + n);
      if (sc) return [n, file(`net/${prefix}${n}`, () => sc.get(k), sc.set && ((v: string) => sc.set!(k, v)))];
      return [n, dir(`net/${prefix}${n}`, netTree(`${prefix}${n}/`))];
    });
  };
  return new ProcDir("/sys", () => [["kernel", dir("kernel", kernel)], ["vm", dir("vm", vm)], ["fs", dir("fs", fs)], ["net", dir("net", netTree(""))]]);
}

export function makeProcRoot(k: Kernel): ProcDir {
  // One "self" link for every task: as Linux's proc_self_get_link, it
  // names the process of whoever reads it (the task that looked it up, when
  // the host reads it with no task running). glibc reads /proc/self/exe at
  // each start of a static program: one inode fewer to make.
  let selfFor: Task | null = null;
  let self: ProcLink | null = null;
  const selfLink = (cur: Task) => {
    selfFor = cur;
    return self ??= new ProcLink("/self", () => String((k.current ?? selfFor!).tg.pid));
  };
  const threadSelfLink = (cur: Task) => new ProcLink("/thread-self", () => { const c = k.current ?? cur; return `${c.tg.pid}/task/${c.tid}`; });
  // Whether /proc lists the group (a zombie only while its last thread is kept).
  const listed = (g: ThreadGroup) => g.threads.size !== 0 || (g.zombie && g.lastThread);
  const entries: Entries = () => {
    const cur = k.current;
    const e: [string, () => Inode][] = [];
    if (cur) {
      e.push(["self", () => selfLink(cur)]);
      e.push(["thread-self", () => threadSelfLink(cur)]);
    }
    e.push(
      ["meminfo", () => new ProcFile("/meminfo", () => meminfo(k))],
      ["cpuinfo", () => new ProcFile("/cpuinfo", cpuinfo)],
      ["stat", () => new ProcFile("/stat", () => stat(k))],
      ["uptime", () => new ProcFile("/uptime", () => uptime(k))],
      ["loadavg", () => new ProcFile("/loadavg", () => k.loadavgText())],
      ["version", () => new ProcFile("/version", () => `Linux version ${UTS_RELEASE} (ghost@ghost) (TypeScript) ${UTS_VERSION}\n`)],
      ["filesystems", () => new ProcFile("/filesystems", () => FILESYSTEMS.join("\n") + "\n")],
      ["mounts", () => new ProcLink("/mounts", () => "self/mounts")],
      ["cmdline", () => new ProcFile("/cmdline", () => "console=hvc0 root=/dev/root\n")],
      ["sys", () => sysDir(k)],
      ["config.gz", () => new ProcFile("/config.gz", configGz)],
      ["sysvipc", () => new ProcDir("/sysvipc", () => ["shm", "sem", "msg"].map((kind): [string, () => Inode] =>
        [kind, () => new ProcFile(`/sysvipc/${kind}`, () => sysvipcText(k, kind))]))],
      ["locks", () => new ProcFile("/locks", () => locksText(k))],
      ["swaps", () => new ProcFile("/swaps", () => "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")],
      ["partitions", () => new ProcFile("/partitions", () => partitionsText(k))],
      ["modules", () => new ProcFile("/modules", () => "")],
      ["diskstats", () => new ProcFile("/diskstats", () => diskstatsText(k))],
      ["vmstat", () => new ProcFile("/vmstat", () => `nr_free_pages ${k.phys.freeFrames}\nnr_anon_pages ${k.phys.frames - k.phys.freeFrames}\n` +
        "nr_mlock 0\nnr_dirty 0\nnr_writeback 0\npswpin 0\npswpout 0\n")],
      ["devices", () => new ProcFile("/devices", devices)],
      ["misc", () => new ProcFile("/misc", () => `${CPU_DMA_LATENCY_MINOR} cpu_dma_latency\n`)],
      ["net", () => new ProcDir("/net", () => [...procNetFiles.keys()].sort().map((n): [string, () => Inode] =>
        [n, () => new ProcFile(`/net/${n}`, () => procNetFiles.get(n)!(k))]))],
      ...[...procRootFiles].map(([n, text]): [string, () => Inode] => [n, () => new ProcFile(`/${n}`, () => text(k))]),
    );
    for (const g of [...k.groups.values()].sort((a, b) => a.pid - b.pid)) {
      if (!listed(g)) continue;
      e.push([String(g.pid), () => pidDir(k, g)!]);
    }
    return e;
  };
  const root = new ProcDir("/", entries);
  // Thread ids are reachable as /proc/[tid] though not listed.
  root.lookupExtra = (name: string) => {
    const tid = Number(name);
    const t = Number.isInteger(tid) ? k.tasks.get(tid) : undefined;
    return t ? taskDir(k, t, `/${tid}`, false) : null;
  };
  // The names every program looks up (/proc/self/..., /proc/PID/...: glibc
  // reads /proc/self/exe at each start) without building the whole listing:
  // the same inode the listing would give.
  const fromList = root.lookup.bind(root);
  root.lookup = (name: string) => {
    if (name === "self" || name === "thread-self") {
      const cur = k.current;
      if (!cur) return root.lookupExtra(name);
      return name === "self" ? selfLink(cur) : threadSelfLink(cur);
    }
    if (/^[1-9][0-9]*$/.test(name)) {
      const g = k.groups.get(Number(name));
      return g && listed(g) ? pidDir(k, g) : root.lookupExtra(name);
    }
    return fromList(name);
  };
  return root;
}


// /proc/locks (Linux's lock_get_status): every lock and lease, numbered from 1.
function locksText(k: Kernel): string {
  let n = 0;
  const hex2 = (v: number) => v.toString(16).padStart(2, "0");
  const typeName = (t: number) => (t === F_WRLCK ? "WRITE" : t === F_RDLCK ? "READ" : "UNLCK");
  const where = (inode: Inode) => `${hex2(major(inode.sb.dev))}:${hex2(minor(inode.sb.dev))}:${inode.ino}`;
  const locks = lockLines(k).map((l) => {
    const inode = l.inode as Inode;
    const range = l.kind === "FLOCK" ? "0 EOF" : `${l.start} ${l.end === Infinity ? "EOF" : l.end}`;
    const kind = l.kind === "FLOCK" ? "FLOCK  ADVISORY  " : `${l.kind.padEnd(6)} ADVISORY  `;
    return `${++n}: ${kind}${typeName(l.type)} ${l.pid} ${where(inode)} ${range}\n`;
  });
  const leases = leaseLines(k).map((l) =>
    `${++n}: LEASE  ${l.state.padEnd(10)}${typeName(l.type)} ${l.pid} ${where(l.inode)} 0 EOF\n`);
  return [...locks, ...leases].join("");
}
