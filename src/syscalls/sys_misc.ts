// Process attributes and I/O hints: getcpu, personality, ioprio_get/set,
// fadvise64, readahead, sync_file_range.
//
// Ghost has one CPU and no block devices: getcpu is cpu 0, node 0; I/O
// priorities are kept and reported (nothing schedules I/O by them); the
// page-cache hints validate their arguments as Linux does and act where Ghost
// has something to act on (sync_file_range writes back shared mappings'
// pages; fadvise DONTNEED drops unmapped cached pages), else do nothing, as
// Linux does on tmpfs.

import { kerr } from "../lib/errors.js";
import { EINVAL, ESPIPE, EBADF, EPERM, ESRCH } from "../abi/errno.js";
import {
  POSIX_FADV_NORMAL, POSIX_FADV_NOREUSE, POSIX_FADV_DONTNEED, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE,
  SYNC_FILE_RANGE_WAIT_AFTER, S_IFMT, S_IFREG, S_IFBLK, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK,
} from "../abi/fcntl.js";
import { PER_QUERY } from "../abi/misc.js";
import {
  IOPRIO_CLASS_SHIFT, IOPRIO_PRIO_MASK, IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE,
  IOPRIO_NR_LEVELS, IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER,
} from "../abi/ioprio.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import type { Task } from "../kernel/task.js";

const CAP_SYS_ADMIN = 21n, CAP_SYS_NICE = 23n;
const capable = (t: Task, cap: bigint) => (t.cred.capEff & (1n << cap)) !== 0n;

// The tasks an ioprio "who" names.
function ioprioTargets(t: Task, which: number, who: number): Task[] {
  const all = [...t.k.tasks.values()].filter((x) => !x.kthread);
  switch (which) {
    case IOPRIO_WHO_PROCESS: return who === 0 ? [t] : all.filter((x) => x.tid === who);
    case IOPRIO_WHO_PGRP: { const pg = who === 0 ? t.tg.pgid : who; return all.filter((x) => x.tg.pgid === pg); }
    case IOPRIO_WHO_USER: { const uid = who === 0 ? t.cred.uid : who; return all.filter((x) => x.cred.uid === uid); }
    default: return kerr(EINVAL);
  }
}


function ioprioSet(t: Task, which: number, who: number, ioprio: number): number {
  // The data is a level (3 bits) and hints (the rest), as Linux 6.5+.
  const cls = ioprio >>> IOPRIO_CLASS_SHIFT, level = ioprio & (IOPRIO_NR_LEVELS - 1);
  if (cls === IOPRIO_CLASS_RT && !capable(t, CAP_SYS_ADMIN) && !capable(t, CAP_SYS_NICE)) kerr(EPERM);
  if (cls === IOPRIO_CLASS_NONE && level) kerr(EINVAL);
  if (cls > IOPRIO_CLASS_IDLE) kerr(EINVAL);
  const targets = ioprioTargets(t, which, who);
  if (!targets.length) kerr(ESRCH);
  for (const x of targets) {
    if (x.cred.uid !== t.cred.euid && x.cred.uid !== t.cred.uid && !capable(t, CAP_SYS_NICE)) kerr(EPERM);
    x.ioprio = ioprio;
  }
  return 0;
}

function ioprioGet(t: Task, which: number, who: number): number {
  const targets = ioprioTargets(t, which, who);
  if (!targets.length) kerr(ESRCH);
  // Several tasks: the highest priority (lowest class, then lowest level), as Linux's ioprio_best;
  // one that never set its own has none (IOPRIO_CLASS_NONE).
  let best = -1;
  for (const x of targets) {
    const p = x.ioprio;
    if (best < 0) { best = p; continue; }
    const c = (v: number) => (v >> IOPRIO_CLASS_SHIFT) || IOPRIO_CLASS_BE;
    if (c(p) < c(best) || (c(p) === c(best) && (p & IOPRIO_PRIO_MASK) < (best & IOPRIO_PRIO_MASK))) best = p;
  }
  return best;
}

// The file the hint is about: ESPIPE for pipes and sockets.
function hintFile(t: Task, fd: number) {
  const f = t.files.get(fd);
  const type = f.inode.mode & S_IFMT;
  if (type === S_IFIFO || type === S_IFSOCK) kerr(ESPIPE);
  return f;
}

defineSyscalls({
  getcpu: (t, cpuVa, nodeVa) => {
    if (cpuVa) um(t).setU32(cpuVa, 0);
    if (nodeVa) um(t).setU32(nodeVa, 0);
    return 0;
  },
  // The execution domain: only PER_LINUX exists, but the flags are kept and returned, as Linux does.
  personality: (t, persona) => {
    const old = t.personality;
    if ((persona >>> 0) !== PER_QUERY) t.personality = persona >>> 0;
    return old;
  },
  ioprio_set: (t, which, who, ioprio) => ioprioSet(t, which | 0, who | 0, ioprio | 0),
  ioprio_get: (t, which, who) => ioprioGet(t, which | 0, who | 0),
  fadvise64: (t, fd, _off, len, advice) => {
    const f = hintFile(t, fd | 0);
    if (len < 0 || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) kerr(EINVAL);
    if (advice === POSIX_FADV_DONTNEED) f.inode.pageCache?.writeBack(f.inode);
    return 0;
  },
  readahead: (t, fd, _off, _count) => {
    const f = t.files.get(fd | 0);
    if (!f.readable) kerr(EBADF);
    if ((f.inode.mode & S_IFMT) !== S_IFREG) kerr(EINVAL);
    return 0;
  },
  sync_file_range: (t, fd, off, nbytes, flags) => {
    if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) kerr(EINVAL);
    if (off < 0 || nbytes < 0) kerr(EINVAL);
    const f = t.files.get(fd | 0);
    const type = f.inode.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFBLK && type !== S_IFDIR && type !== S_IFLNK) kerr(ESPIPE);
    if (flags & SYNC_FILE_RANGE_WRITE) f.inode.pageCache?.writeBack(f.inode);
    return 0;
  },
});
