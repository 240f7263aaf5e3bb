// /proc/[pid] and /proc/[pid]/task/[tid]: what a process is, from the
// kernel's own structures (as fs/proc/array.c, base.c and task_mmu.c show it).

import { ProcDir, ProcFile, ProcLink, type Entries } from "./nodes.js";
import { ProcMountsFile, mountsText, mountinfoText } from "./mountpoll.js";
import { nsDir } from "./ns.js";
import { pathName, unlinked, Dentry, Mount, type Path } from "../dentry.js";
import type { Inode } from "../inode.js";
import { UserMemory } from "../../mm/uaccess.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "../../mm/vma.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { SIG_IGN, SIG_DFL } from "../../abi/signal.js";
import type { Task, ThreadGroup } from "../../kernel/task.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { File } from "../file.js";
import { PipeInode } from "../pipe.js";
import { smaps, PagemapFile } from "./mmfiles.js";
import { PidMemFile } from "./pidmem.js";
import { InotifyInode } from "../notify.js";
import { EventfdInode } from "../eventfd.js";
import { SignalfdInode } from "../signalfd.js";
import { PidfdInode } from "../pidfd.js";
import { major, minor } from "../char_dev.js";
import { kerr } from "../../lib/errors.js";
import { ENOENT, ENAMETOOLONG, EINVAL } from "../../abi/errno.js";
import { OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX } from "../../abi/oom.js";
import { oomScore } from "../../mm/oom_kill.js";
import { PATH_MAX } from "../namei.js";
import { RLIMIT_SIGPENDING } from "../../abi/resource.js";
import { rlimit } from "../../kernel/task.js";
import { capBnd } from "../../kernel/cred.js";
import { S_IFMT, S_IFIFO, O_CLOEXEC } from "../../abi/fcntl.js";

const hex = (v: bigint | number, w = 16) => v.toString(16).padStart(w, "0");
const kb = (pages: number) => `${String(pages * 4).padStart(8)} kB`;

export function taskState(t: Task): string {
  if (t.tg.zombie) return "Z (zombie)";
  if (t.tg.stopped) return "T (stopped)";
  if (t.k.current === t) return "R (running)";
  switch (t.state) {
    case 0: return "R (running)";
    case 1: return "S (sleeping)";
    case 2: return "D (disk sleep)";
    case 4: return "T (stopped)";
    default: return "X (dead)";
  }
}

function leaderOf(tg: ThreadGroup): Task | undefined { return tg.leader ?? [...tg.threads][0] ?? (tg.zombie ? tg.lastThread ?? undefined : undefined); }

// A path as Linux's d_path writes it for a magic link: " (deleted)" after a
// name that is gone; past one page, ENAMETOOLONG.
function dPath(p: Path, root: Path): string {
  const s = pathName(p, root) + (unlinked(p) ? " (deleted)" : "");
  if (s.length >= PATH_MAX) kerr(ENAMETOOLONG);
  return s;
}

// What a file descriptor's link shows.
export function fdTarget(f: File, root: Path): string {
  if (f.memfdName) return f.memfdName;
  // A namespace file is named by its nsfs dentry, "mnt:[N]" (ns_dname).
  if (f.path && f.path.mnt.sb.fsType === "nsfs") return f.path.dentry.name;
  if (f.path) return dPath(f.path, root);
  if (f.inode instanceof PipeInode) return `pipe:[${f.inode.ino}]`;
  const host = f.inode as { hostFd?: number; isTty?: boolean };
  if (host.hostFd !== undefined) return host.isTty ? "/dev/console" : (f.inode.mode & S_IFMT) === S_IFIFO ? `pipe:[${f.inode.ino}]` : `host:[fd${host.hostFd}]`;
  const fs = f.inode.sb.fsType;
  if (fs === "anon_inodefs") {
    const name = f.inode.constructor.name.replace(/Inode$/, "").toLowerCase().replace("pidfd", "pidfd").replace("epoll", "eventpoll");
    return `anon_inode:[${name}]`;
  }
  if (fs === "sockfs") return `socket:[${f.inode.ino}]`;
  return `${fs}:[${f.inode.ino}]`;
}

// What a magic link to a file without a path leads to: pipes and memfds can
// be opened again through it (Linux reopens their inodes); others cannot.
const pseudoMounts = new WeakMap<object, Mount>();
function pathlessPath(f: File): Path | null {
  // The host's stdin or stdout as a pipe reopens as itself (`echo x | ghost run cat /dev/stdin`).
  const host = f.inode as { hostFd?: number; isTty?: boolean };
  const hostPipe = host.hostFd !== undefined && !host.isTty;
  if (!(f.inode instanceof PipeInode) && !f.memfdName && !hostPipe) return null;
  let mnt = pseudoMounts.get(f.inode.sb);
  const d = new Dentry(fdTarget(f, f.path ?? ({} as Path)), null, f.inode);
  if (!mnt) { mnt = new Mount(f.inode.sb, d, null, null, 0, f.inode.sb.fsType, f.inode.sb.fsType); pseudoMounts.set(f.inode.sb, mnt); }
  d.pseudo = { memfdName: f.memfdName, ownOps: hostPipe };
  return { mnt, dentry: d };
}

function readUser(t: Task, start: number, end: number): Uint8Array {
  if (!start || end <= start) return new Uint8Array(0);
  try { return new UserMemory(t.mm).read(start, Math.min(end - start, 1 << 20)); } catch { return new Uint8Array(0); }
}

function sigMasks(t: Task): { ign: bigint; cgt: bigint } {
  let ign = 0n, cgt = 0n;
  t.sighand.actions.forEach((a, sig) => {
    if (sig === 0) return;
    const bit = 1n << BigInt(sig - 1);
    if (a.handler === SIG_IGN) ign |= bit;
    else if (a.handler !== SIG_DFL) cgt |= bit;
  });
  return { ign, cgt };
}

function vmStats(t: Task) {
  const mm = t.mm;
  let size = 0, stack = 0, data = 0, exe = 0;
  for (const v of mm.vmas) {
    const pages = (v.end - v.start) / PAGE_SIZE;
    size += pages;
    if (v.growsDown || v.name === "[stack]") stack += pages;
    else if ((v.prot & PROT_WRITE) && !v.shared) data += pages;
    if ((v.prot & PROT_EXEC) && v.source) exe += pages;
  }
  return { size, stack, data, exe, rss: mm.rssPages };
}

export function statLine(t: Task, k: Kernel): string {
  const tg = t.tg;
  const mm = t.mm;
  const ticks = (ns: number) => Math.floor(ns / 1e7);
  const vm = vmStats(t);
  const { ign, cgt } = sigMasks(t);
  const pending = t.pending.mask | tg.shared.mask;
  const fields = [
    t.tid, `(${t.comm})`, taskState(t)[0], tg.parent?.pid ?? 0, tg.pgid, tg.sid,
    (tg.ctty as { rdev?: number } | null)?.rdev ?? 0, (tg.ctty as { pgrp?: number } | null)?.pgrp || -1, 0x400000,
    0, 0, 0, 0, ticks(t.utime), ticks(t.stime), ticks(tg.childUtime), ticks(tg.childStime),
    t.policy === 1 || t.policy === 2 ? -1 - t.rtPriority : 20 + t.nice, t.nice, tg.threads.size, 0, ticks(tg.startTime), vm.size * PAGE_SIZE, vm.rss,
    "18446744073709551615", mm.startCode, mm.endCode, mm.startStack, 0, 0,
    (pending & 0x7fffffffn).toString(), (t.sigmask & 0x7fffffffn).toString(), (ign & 0x7fffffffn).toString(), (cgt & 0x7fffffffn).toString(),
    0, 0, 0, tg.exitSignal, 0, t.rtPriority, t.policy, 0, 0, 0,
    mm.startData, mm.endData, mm.brkStart, mm.argStart, mm.argEnd, mm.envStart, mm.envEnd, tg.zombie ? tg.exitStatus : 0,
  ];
  void k;
  return fields.join(" ") + "\n";
}

function status(t: Task): string {
  const tg = t.tg, c = t.cred;
  const vm = vmStats(t);
  const { ign, cgt } = sigMasks(t);
  const cap = (v: bigint) => v.toString(16).padStart(16, "0");
  return [
    `Name:\t${t.comm}`, `Umask:\t${t.fs.umask.toString(8).padStart(4, "0")}`, `State:\t${taskState(t)}`,
    `Tgid:\t${tg.pid}`, `Ngid:\t0`, `Pid:\t${t.tid}`, `PPid:\t${tg.parent?.pid ?? 0}`, `TracerPid:\t${t.ptrace?.tracer.tid ?? 0}`,
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`, `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `FDSize:\t${Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, t.files.count))))}`, `Groups:\t${c.groups.join(" ")}${c.groups.length ? " " : ""}`,
    `NStgid:\t${tg.pid}`, `NSpid:\t${t.tid}`, `NSpgid:\t${tg.pgid}`, `NSsid:\t${tg.sid}`,
    `VmPeak:\t${kb(vm.size)}`, `VmSize:\t${kb(vm.size)}`, `VmLck:\t${kb(t.mm.lockedBytes / PAGE_SIZE)}`, `VmPin:\t${kb(0)}`,
    `VmHWM:\t${kb(vm.rss)}`, `VmRSS:\t${kb(vm.rss)}`, `RssAnon:\t${kb(vm.rss)}`, `RssFile:\t${kb(0)}`, `RssShmem:\t${kb(0)}`,
    `VmData:\t${kb(vm.data)}`, `VmStk:\t${kb(vm.stack)}`, `VmExe:\t${kb(vm.exe)}`, `VmLib:\t${kb(0)}`,
    `VmPTE:\t${kb(t.mm.pt.tablePages)}`, `VmSwap:\t${kb(0)}`,
    `Threads:\t${tg.threads.size}`, `SigQ:\t${tg.shared.queue.length}/${rlimit(tg, RLIMIT_SIGPENDING)}`,
    `SigPnd:\t${hex(t.pending.mask)}`, `ShdPnd:\t${hex(tg.shared.mask)}`, `SigBlk:\t${hex(t.sigmask)}`,
    `SigIgn:\t${hex(ign)}`, `SigCgt:\t${hex(cgt)}`,
    `CapInh:\t${cap(c.capInh)}`, `CapPrm:\t${cap(c.capPrm)}`, `CapEff:\t${cap(c.capEff)}`, `CapBnd:\t${cap(capBnd(c))}`, `CapAmb:\t0000000000000000`,
    `NoNewPrivs:\t${t.noNewPrivs ? 1 : 0}`, `Seccomp:\t${t.seccomp.mode}`, `Seccomp_filters:\t${t.seccomp.filter?.count ?? 0}`,
    `Cpus_allowed:\t1`, `Cpus_allowed_list:\t0`, `Mems_allowed:\t1`, `Mems_allowed_list:\t0`,
    `voluntary_ctxt_switches:\t${t.nvcsw}`, `nonvoluntary_ctxt_switches:\t${t.nivcsw}`,
  ].join("\n") + "\n";
}

// One /proc/[pid]/maps line (smaps starts each entry with it too).
export function mapsLine(t: Task, v: Task["mm"]["vmas"][number]): string {
  const mm = t.mm;
  const perms = (v.prot & PROT_READ ? "r" : "-") + (v.prot & PROT_WRITE ? "w" : "-") + (v.prot & PROT_EXEC ? "x" : "-") + (v.shared ? "s" : "p");
  const src = v.source;
  const dev = src ? `${hex(major(src.dev), 2)}:${hex(minor(src.dev), 2)}` : "00:00";
  const head = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(src ? v.offset : 0, 8)} ${dev} ${src ? src.ino : 0}`;
  let name = src ? src.path : v.name;
  if (!src && v.start <= mm.brk && v.end >= mm.brkStart && v.name === "[heap]") name = "[heap]";
  return name ? head.padEnd(73) + name : head + " ";
}

function maps(t: Task): string {
  return t.mm.vmas.map((v) => mapsLine(t, v) + "\n").join("");
}

function limits(tg: ThreadGroup): string {
  const names: [string, string][] = [
    ["Max cpu time", "seconds"], ["Max file size", "bytes"], ["Max data size", "bytes"], ["Max stack size", "bytes"],
    ["Max core file size", "bytes"], ["Max resident set", "bytes"], ["Max processes", "processes"],
    ["Max open files", "files"], ["Max locked memory", "bytes"], ["Max address space", "bytes"],
    ["Max file locks", "locks"], ["Max pending signals", "signals"], ["Max msgqueue size", "bytes"],
    ["Max nice priority", ""], ["Max realtime priority", ""], ["Max realtime timeout", "us"],
  ];
  const v = (n: number) => (n < 0 ? "unlimited" : String(n));
  let out = `${"Limit".padEnd(26)}${"Soft Limit".padEnd(21)}${"Hard Limit".padEnd(21)}Units     \n`;
  names.forEach(([name, unit], i) => {
    const [cur, max] = tg.rlimits[i];
    out += `${name.padEnd(26)}${v(cur).padEnd(21)}${v(max).padEnd(21)}${unit.padEnd(10)}\n`;
  });
  return out;
}

// The lines an fdinfo file adds for its kind of file, as Linux's show_fdinfo
// methods: inotify's watches, an eventfd's count, a signalfd's mask, a pidfd's pid.
function fdinfoExtra(k: Kernel, f: File): string {
  const i = f.inode;
  if (i instanceof InotifyInode) {
    return [...i.byWd.values()].map((w) => {
      const sdev = ((major(w.inode.sb.dev) << 20) | minor(w.inode.sb.dev)) >>> 0;
      return `inotify wd:${w.wd.toString(16)} ino:${w.inode.ino.toString(16)} sdev:${sdev.toString(16)} mask:${(w.mask >>> 0).toString(16)} ignored_mask:0\n`;
    }).join("");
  }
  if (i instanceof EventfdInode) return `eventfd-count: ${hex(i.count)}\neventfd-id: ${i.ino}\neventfd-semaphore: ${i.semaphore ? 1 : 0}\n`;
  if (i instanceof SignalfdInode) return `sigmask:\t${hex(i.mask)}\n`;
  if (i instanceof PidfdInode) { const pid = k.groups.get(i.tg.pid) === i.tg ? i.tg.pid : -1; return `Pid:\t${pid}\nNSpid:\t${pid}\n`; }
  return "";
}

function fdDir(t: Task, key: string, info: boolean): ProcDir {
  const entries: Entries = () => [...t.files.entries()].map(([fd, e]) => [String(fd), () => info
    ? new ProcFile(`${key}/${fd}`, () => `pos:\t${e.file.pos}\nflags:\t0${(e.file.flags | (e.cloexec ? O_CLOEXEC : 0)).toString(8).padStart(7, "0")}\nmnt_id:\t${e.file.path?.mnt.id ?? 0}\nino:\t${e.file.inode.ino}\n${fdinfoExtra(t.k, e.file)}`)
    : new ProcLink(`${key}/${fd}`, () => fdTarget(e.file, t.fs.root), () => e.file.path ?? pathlessPath(e.file), 0o700)]);
  return info ? new ProcDir(key, entries, 0o500) : new FdDir(t, key, entries);
}

// /proc/PID/fd: as proc_fd_permission, open to the task's own thread group
// even when the mode refuses it (the directory is root's once a set-id
// change made the task not dumpable).
class FdDir extends ProcDir {
  constructor(private readonly t: Task, key: string, entries: Entries) { super(key, entries, 0o500); }
  override permitsBeyondMode(_mask: number): boolean { return this.t.k.current?.tg === this.t.tg; }
}

// The entries of /proc/[pid] (tg given) or /proc/[pid]/task/[tid].
// The entries of /proc/[pid] and /proc/[pid]/task/[tid], in readdir order.
// A lookup makes only the inode it names: glibc reads /proc/self/exe at each
// start of a static program, and building every entry for it was ~8% of a
// fork+exec+wait.
const TASK_NAMES = ["stat", "status", "statm", "cmdline", "environ", "auxv", "comm", "maps", "smaps", "smaps_rollup", "pagemap", "mem", "mounts", "limits", "exe", "cwd", "root", "fd", "ns", "fdinfo", "oom_score_adj", "oom_score", "wchan", "personality", "timerslack_ns", "coredump_filter", "oom_adj", "loginuid", "sessionid", "schedstat", "mountinfo", "sched"] as const;

function taskEntry(k: Kernel, t: Task, key: string, isProcess: boolean, name: string): Inode | null {
  const tg = t.tg;
  switch (name) {
    case "stat": return new ProcFile(`${key}/stat`, () => statLine(t, k));
    case "status": return new ProcFile(`${key}/status`, () => status(t));
    case "statm": return new ProcFile(`${key}/statm`, () => { const v = vmStats(t); return `${v.size} ${v.rss} 0 ${v.exe} 0 ${v.data + v.stack} 0\n`; });
    case "cmdline": return new ProcFile(`${key}/cmdline`, () => readUser(t, t.mm.argStart, t.mm.argEnd));
    case "environ": return new ProcFile(`${key}/environ`, () => readUser(t, t.mm.envStart, t.mm.envEnd), 0o400);
    case "auxv": return new ProcFile(`${key}/auxv`, () => t.mm.auxv.slice(), 0o400);
    case "comm": return new ProcFile(`${key}/comm`, () => `${t.comm}\n`, 0o644, (d) => { t.comm = Buffer.from(d).toString("latin1").replace(/\n$/, "").slice(0, 15); });
    case "maps": return new ProcFile(`${key}/maps`, () => maps(t));
    case "smaps": return new ProcFile(`${key}/smaps`, () => smaps(t, false));
    case "smaps_rollup": return new ProcFile(`${key}/smaps_rollup`, () => smaps(t, true));
    case "pagemap": return new PagemapFile(`${key}/pagemap`, k, t);
    case "mem": return new PidMemFile(`${key}/mem`, k, t);
    case "mounts": return new ProcMountsFile(t, `${key}/mounts`, () => mountsText(t));
    case "limits": return new ProcFile(`${key}/limits`, () => limits(tg));
    case "exe": return new ProcLink(`${key}/exe`, () => t.mm.exePath || kerr(ENOENT), () => (t.mm.exePathRef as Path | null) ?? null);
    case "cwd": return new ProcLink(`${key}/cwd`, () => dPath(t.fs.cwd, t.fs.root), () => t.fs.cwd);
    case "root": return new ProcLink(`${key}/root`, () => dPath(t.fs.root, t.fs.root), () => t.fs.root);
    case "fd": return fdDir(t, `${key}/fd`, false);
    case "ns": return nsDir(t, `${key}/ns`);
    case "fdinfo": return fdDir(t, `${key}/fdinfo`, true);
    case "oom_score_adj": return new ProcFile(`${key}/oom_score_adj`, () => `${tg.oomScoreAdj}\n`, 0o644, (d) => {
      // As Linux's oom_score_adj_write: an integer in [-1000, 1000], else EINVAL.
      const text = Buffer.from(d).toString("latin1").trim();
      const v = Number(text);
      if (!/^-?\d+$/.test(text) || v < OOM_SCORE_ADJ_MIN || v > OOM_SCORE_ADJ_MAX) kerr(EINVAL);
      tg.oomScoreAdj = v;
    });
    case "oom_score": return new ProcFile(`${key}/oom_score`, () => `${oomScore(k, tg)}\n`);
    case "wchan": return new ProcFile(`${key}/wchan`, () => "0");
    case "personality": return new ProcFile(`${key}/personality`, () => `${hex(t.personality >>> 0, 8)}\n`, 0o400);
    case "timerslack_ns": return new ProcFile(`${key}/timerslack_ns`, () => `${t.timerSlack}\n`, 0o666, (d) => {
      const v = Number(Buffer.from(d).toString("latin1").trim());
      if (Number.isInteger(v) && v >= 0) t.timerSlack = v === 0 ? t.defaultTimerSlack : v; // 0 restores the default, as Linux
    });
    // Linux's default coredump_filter (anonymous private and shared, ELF headers, private huge pages).
    case "coredump_filter": return new ProcFile(`${key}/coredump_filter`, () => "00000033\n");
    // Legacy scale of oom_score_adj (-1000..1000 as -17..15), as Linux's oom_adj.
    case "oom_adj": return new ProcFile(`${key}/oom_adj`, () => `${tg.oomScoreAdj === 1000 ? 15 : Math.trunc(tg.oomScoreAdj * 17 / 1000)}\n`);
    // No audit subsystem: unset, as Linux shows (uid_t)-1 and an unset session.
    case "loginuid": return new ProcFile(`${key}/loginuid`, () => "4294967295");
    case "sessionid": return new ProcFile(`${key}/sessionid`, () => "4294967295");
    case "schedstat": return new ProcFile(`${key}/schedstat`, () => `${t.utime + t.stime} 0 ${t.nvcsw + t.nivcsw}\n`);
    case "mountinfo": return new ProcMountsFile(t, `${key}/mountinfo`, () => mountinfoText(t));
    case "sched": return new ProcFile(`${key}/sched`, () => k.schedInfo(t));
    case "task":
      if (!isProcess) return null;
      return new ProcDir(`${key}/task`, () => [...tg.threads].map((th) => [String(th.tid), () => taskDir(k, th, `${key}/task/${th.tid}`, false)]));
    default: return null;
  }
}

// A task's directories (/proc/[pid], /proc/[tid], /proc/[pid]/task/[tid])
// and the links in them are made once and kept with the task, as Linux's
// dcache keeps them while the task lives: a process that walks its /proc
// directory again (ps, a shell, /proc/self/fd) no longer makes new inodes
// each time. (A fork+exec+wait's child looks its exe up once: it still
// makes them.) The links compute their targets when read, so one made
// before an exec still answers for the new program. Files are made at each
// lookup (some keep per-open state).
const taskDirs = new WeakMap<Task, Map<string, ProcDir>>();
const CACHED_LINKS = new Set(["exe", "cwd", "root"]);

export function taskDir(k: Kernel, t: Task, key: string, isProcess: boolean): ProcDir {
  let dirs = taskDirs.get(t);
  const known = dirs?.get(key);
  if (known) return known;
  const entries: Entries = () => {
    const e: [string, () => Inode][] = TASK_NAMES.map((n) => [n, () => d.lookup(n)!]);
    if (isProcess) e.push(["task", () => taskEntry(k, t, key, true, "task")!]);
    return e;
  };
  const d = new ProcDir(key, entries);
  const links = new Map<string, Inode>();
  d.lookup = (name: string) => {
    if (!CACHED_LINKS.has(name)) return taskEntry(k, t, key, isProcess, name);
    let l = links.get(name);
    if (!l) { l = taskEntry(k, t, key, isProcess, name)!; links.set(name, l); }
    return l;
  };
  if (!dirs) taskDirs.set(t, dirs = new Map());
  dirs.set(key, d);
  return d;
}

// The process an open /proc/[pid] directory stands for: as Linux's
// pidfd_to_pid, pidfd_send_signal takes such a file as a pidfd.
const pidDirs = new WeakMap<object, ThreadGroup>();
export function procPidTarget(f: File): ThreadGroup | null { return pidDirs.get(f.inode) ?? null; }

export function pidDir(k: Kernel, tg: ThreadGroup): ProcDir | null {
  const t = leaderOf(tg);
  if (!t) return null;
  const d = taskDir(k, t, `/${tg.pid}`, true);
  pidDirs.set(d, tg);
  return d;
}
