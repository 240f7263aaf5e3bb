// System V semaphores: semget, semop, semtimedop, semctl. A semop applies
// all its operations at once or none: when one would block (a decrement
// below zero, a wait for zero) the task sleeps on the set and tries the
// whole list again when the set changes. SEM_UNDO adjustments are kept per
// process and applied when it exits. With a signal, semop fails with EINTR
// (never restarted), as on Linux.

import { kerr } from "../lib/errors.js";
import { EINVAL, EACCES, E2BIG, EFBIG, ERANGE, EAGAIN, EIDRM, EINTR, ENOSPC } from "../abi/errno.js";
import {
  IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, SEM_UNDO, GETPID, GETVAL,
  GETALL, GETNCNT, GETZCNT, SETVAL, SETALL, SEM_STAT, SEM_INFO, SEM_STAT_ANY, SEMVMX, SEMUSZ,
  SEMAEM, SEMUME, SEMMNU, SEMMAP, ipc64_perm, sembuf, semid64_ds,
} from "../abi/ipc.js";
import { timespec } from "../abi/time.js";
import { defineSyscalls } from "./table.js";
import { sleepOn } from "../kernel/blocking.js";
import { restartOf } from "../kernel/restart.js";
import { um } from "./util.js";
import { allowed, mayChange, sysvipcListings, ipcRow } from "../ipc/util.js";
import type { Task } from "../kernel/task.js";
import { SemSet, space } from "../ipc/sem.js";
import { i32Arg } from "./args.js";



sysvipcListings.set("sem", {
  header: "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime",
  rows: (k) => [...space(k).byIndex.values()].sort((a, b) => a.index - b.index).map((s) => ipcRow([
    [s.key | 0, 10, 0], [s.id, 10, 1], [(s.mode & 0o777).toString(8), 4, 2], [s.vals.length, 10, 1],
    [s.uid, 5, 1], [s.gid, 5, 1], [s.cuid, 5, 1], [s.cgid, 5, 1], [s.otime, 10, 1], [s.ctime, 10, 1],
  ])),
});

function semget(t: Task, key: number, nsems: number, flags: number): number {
  const sp = space(t.k);
  if (nsems < 0 || nsems > sp.semmsl) kerr(EINVAL);
  return sp.get(t, key, flags, (s) => { if (nsems > s.vals.length) kerr(EINVAL); }, () => {
    if (nsems === 0) kerr(EINVAL);
    if (sp.usedSems + nsems > sp.semmns) kerr(ENOSPC); // newary: past semmns in all sets
    return sp.create(t, key, nsems, flags);
  });
}

// The state a semop that sleeps keeps across its retries: its deadline.
function semop(t: Task, semid: number, sopsVa: number, nsops: number, timeoutVa: number): number {
  const sp = space(t.k);
  if (nsops < 1 || semid < 0) kerr(EINVAL);
  if (nsops > sp.semopm) kerr(E2BIG);
  const dv = new DataView(um(t).read(sopsVa, nsops * sembuf.size).buffer);
  const ops = Array.from({ length: nsops }, (_, i) => ({
    num: sembuf.get(dv, i * sembuf.size, "sem_num"), op: sembuf.get(dv, i * sembuf.size, "sem_op"), flg: sembuf.get(dv, i * sembuf.size, "sem_flg"),
  }));
  const prev = restartOf(t, "semop");
  let s: SemSet;
  try { s = sp.find(semid); } catch (e) {
    if (prev) kerr(EIDRM); // removed while we slept
    throw e;
  }
  s.waiting.delete(t);
  if (ops.some((o) => o.num >= s.vals.length)) kerr(EFBIG);
  if (!allowed(t, s, ops.some((o) => o.op !== 0) ? 2 : 4)) kerr(EACCES);
  let deadline: number | null = prev?.deadline ?? null;
  if (!prev && timeoutVa) {
    const tv = new DataView(um(t).read(timeoutVa, timespec.size).buffer);
    const sec = timespec.get(tv, 0, "tv_sec"), nsec = timespec.get(tv, 0, "tv_nsec");
    if (sec < 0 || nsec < 0 || nsec >= 1e9) kerr(EINVAL);
    deadline = t.k.clock.monotonic() + sec * 1e9 + nsec;
  }

  // Try the whole list on a copy; the first operation that cannot go on blocks it.
  const vals = s.vals.slice();
  let blocker: { num: number; zero: boolean; nowait: boolean } | null = null;
  for (const o of ops) {
    const v = vals[o.num];
    if (o.op > 0) {
      if (v + o.op > SEMVMX) kerr(ERANGE);
      vals[o.num] = v + o.op;
    } else if (o.op < 0) {
      if (v + o.op < 0) { blocker = { num: o.num, zero: false, nowait: (o.flg & IPC_NOWAIT) !== 0 }; break; }
      vals[o.num] = v + o.op;
    } else if (v !== 0) { blocker = { num: o.num, zero: true, nowait: (o.flg & IPC_NOWAIT) !== 0 }; break; }
  }
  if (blocker) {
    if (blocker.nowait) kerr(EAGAIN);
    if (deadline !== null && t.k.clock.monotonic() >= deadline) kerr(EAGAIN);
    s.waiting.set(t, { num: blocker.num, zero: blocker.zero });
    t.restart = { kind: "semop", semid, deadline };
    t.onRestartDrop = () => { s.waiting.delete(t); };
    t.restartCode = EINTR;
    return sleepOn(t, [s.wq], deadline ?? undefined);
  }
  // Every operation goes through: apply them, with their undo entries.
  for (const o of ops) {
    if (o.op !== 0 && (o.flg & SEM_UNDO)) {
      let m = sp.undo.get(t.tg);
      if (!m) { m = new Map(); sp.undo.set(t.tg, m); }
      let adj = m.get(s.id);
      if (!adj) { adj = new Array<number>(s.vals.length).fill(0); m.set(s.id, adj); }
      if (Math.abs(adj[o.num] - o.op) > SEMAEM) kerr(ERANGE);
      adj[o.num] -= o.op;
    }
  }
  s.vals = vals;
  for (const o of ops) s.pids[o.num] = t.tg.pid;
  s.otime = sp.now();
  t.onRestartDrop = null;
  s.wq.wakeAll();
  return 0;
}

function writeStat(t: Task, va: number, s: SemSet): void {
  const b = new Uint8Array(semid64_ds.size);
  const dv = new DataView(b.buffer);
  ipc64_perm.write(dv, 0, { key: s.key, uid: s.uid, gid: s.gid, cuid: s.cuid, cgid: s.cgid, mode: s.mode, seq: s.seq });
  semid64_ds.write(dv, 0, { sem_otime: s.otime, sem_ctime: s.ctime, sem_nsems: s.vals.length });
  um(t).write(va, b);
}

function semctl(t: Task, semid: number, num: number, cmd: number, arg: number): number {
  const sp = space(t.k);
  if (cmd === IPC_INFO || cmd === SEM_INFO) {
    // struct seminfo: ten ints.
    const b = new Uint8Array(40);
    const dv = new DataView(b.buffer);
    const inUse = [...sp.byIndex.values()];
    // semmap semmni semmns semmnu semmsl semopm semume semusz semvmx semaem; SEM_INFO puts the sets
    // in use in semusz and the semaphores in them in semaem (Linux's semctl_info).
    const f = [SEMMAP, sp.mni, sp.semmns, SEMMNU, sp.semmsl, sp.semopm, SEMUME, SEMUSZ, SEMVMX, SEMAEM];
    if (cmd === SEM_INFO) { f[7] = inUse.length; f[9] = inUse.reduce((n, s) => n + s.vals.length, 0); }
    f.forEach((v, i) => dv.setInt32(i * 4, Math.min(v, 0x7fffffff), true));
    um(t).write(arg, b);
    return Math.max(0, ...sp.byIndex.keys());
  }
  if (cmd === SEM_STAT || cmd === SEM_STAT_ANY) {
    const s = sp.byIndex.get(semid);
    if (!s) kerr(EINVAL);
    if (cmd === SEM_STAT && !allowed(t, s, 4)) kerr(EACCES);
    writeStat(t, arg, s);
    return s.id;
  }
  const s = sp.find(semid);
  const semnum = () => { if (num < 0 || num >= s.vals.length) kerr(EINVAL); return num; };
  const read = () => { if (!allowed(t, s, 4)) kerr(EACCES); };
  const alter = () => { if (!allowed(t, s, 2)) kerr(EACCES); };
  switch (cmd) {
    case IPC_STAT: read(); writeStat(t, arg, s); return 0;
    case IPC_SET: case IPC_RMID: {
      mayChange(t, s);
      if (cmd === IPC_RMID) { sp.destroy(s); return 0; }
      const dv = new DataView(um(t).read(arg, semid64_ds.size).buffer);
      s.uid = ipc64_perm.get(dv, 0, "uid");
      s.gid = ipc64_perm.get(dv, 0, "gid");
      s.mode = ipc64_perm.get(dv, 0, "mode") & 0o777;
      s.ctime = sp.now();
      return 0;
    }
    case GETVAL: read(); return s.vals[semnum()];
    case GETPID: read(); return s.pids[semnum()];
    case GETNCNT: case GETZCNT: {
      read();
      const n = semnum();
      let c = 0;
      for (const w of s.waiting.values()) if (w.num === n && w.zero === (cmd === GETZCNT)) c++;
      return c;
    }
    case GETALL: {
      read();
      const b = new Uint8Array(s.vals.length * 2);
      const dv = new DataView(b.buffer);
      s.vals.forEach((v, i) => dv.setUint16(i * 2, v, true));
      um(t).write(arg, b);
      return 0;
    }
    case SETVAL: {
      alter();
      const n = semnum();
      const v = i32Arg(arg); // semun.val: an int in the argument register
      if (v < 0 || v > SEMVMX) kerr(ERANGE);
      s.vals[n] = v;
      s.pids[n] = t.tg.pid;
      sp.clearUndo(s, n);
      s.ctime = sp.now();
      s.wq.wakeAll();
      return 0;
    }
    case SETALL: {
      alter();
      const dv = new DataView(um(t).read(arg, s.vals.length * 2).buffer);
      const vals = s.vals.map((_, i) => dv.getUint16(i * 2, true));
      if (vals.some((v) => v > SEMVMX)) kerr(ERANGE);
      s.vals = vals;
      s.pids.fill(t.tg.pid);
      sp.clearUndo(s, null);
      s.ctime = sp.now();
      s.wq.wakeAll();
      return 0;
    }
    default: return kerr(EINVAL);
  }
}

defineSyscalls({
  semget: (t, key, nsems, flags) => semget(t, i32Arg(key), i32Arg(nsems), i32Arg(flags)),
  semop: (t, id, sops, nsops) => semop(t, i32Arg(id), sops, i32Arg(nsops), 0),
  semtimedop: (t, id, sops, nsops, timeout) => semop(t, i32Arg(id), sops, i32Arg(nsops), timeout),
  semctl: (t, id, num, cmd, arg) => semctl(t, i32Arg(id), i32Arg(num), cmd & ~0x100 /* IPC_64 */, arg),
});
