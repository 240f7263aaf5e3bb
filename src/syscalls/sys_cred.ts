// Credentials, process groups and sessions, prctl, resource usage.

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, ESRCH, EACCES, EFAULT } from "../abi/errno.js";
import {
  PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_SET_NAME,
  PR_GET_NAME, PR_GET_SECCOMP, PR_SET_SECCOMP, PR_CAPBSET_READ, PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, PR_SET_CHILD_SUBREAPER,
  PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS, PR_SET_THP_DISABLE,
  PR_GET_THP_DISABLE, PR_CAP_AMBIENT, PR_SET_VMA, PR_CAPBSET_DROP, PR_GET_SECUREBITS, PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, SECURE_ALL_BITS, SECURE_ALL_LOCKS, CAP_LAST_CAP, CAP_SETPCAP, user_cap_header, user_cap_data, CAP_SETGID, CAP_SETUID,
  _LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3 } from "../abi/prctl.js";
import { rusage, tms, RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD } from "../abi/resource.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import { isRtPolicy } from "../kernel/sched/core.js";
import { capBnd, credsChangeDumpability, hasCap } from "../kernel/cred.js";
import { prctlSetSeccomp } from "../kernel/seccomp.js";

type Cred = Task["cred"];
import { CAP_FULL } from "../fs/inode.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { i32Arg, u32Arg } from "./args.js";
const NGROUPS_MAX = 65536;
// (uid_t)-1: no id maps to it (Linux's INVALID_UID / INVALID_GID).
const INVALID_ID = 0xffffffff;

function isRoot(c: Cred): boolean { return hasCap(c, CAP_SETUID); }
function isRootGid(c: Cred): boolean { return hasCap(c, CAP_SETGID); }

// Capabilities follow uid changes as Linux's cap_emulate_setxuid: losing every
// zero uid drops them (permitted kept with keepcaps); euid 0 -> n drops the
// effective set; n -> 0 raises it to the permitted set.
function fixCaps(t: Task, before: { uid: number; euid: number; suid: number }): void {
  for (const th of t.tg.threads) {
    const c = th.cred;
    const hadZero = before.uid === 0 || before.euid === 0 || before.suid === 0;
    const hasZero = c.uid === 0 || c.euid === 0 || c.suid === 0;
    if (hadZero && !hasZero) { if (!t.keepCaps) c.capPrm = 0n; c.capEff = 0n; }
    if (before.euid === 0 && c.euid !== 0) c.capEff = 0n;
    if (before.euid !== 0 && c.euid === 0) c.capEff = c.capPrm;
  }
}

// Each credential change applies to every thread of the process (as glibc's setxid broadcast makes it).
// As Linux's commit_creds: a change of euid, egid, fsuid or fsgid (or permitted
// capabilities gained) makes the process undumpable (fs.suid_dumpable is 0) and
// clears each thread's parent-death signal.
function setCred(t: Task, change: (c: Cred) => void): number {
  const c0 = t.cred;
  const before = { uid: c0.uid, euid: c0.euid, suid: c0.suid };
  const ids = { euid: c0.euid, egid: c0.egid, fsuid: c0.fsuid, fsgid: c0.fsgid, capPrm: c0.capPrm };
  for (const th of t.tg.threads) change(th.cred);
  fixCaps(t, before);
  if (credsChangeDumpability(ids, t.cred)) {
    t.tg.dumpable = 0;
    for (const th of t.tg.threads) th.pdeathSignal = 0;
  }
  return 0;
}

const keep = (v: number) => v === -1 || v === 0xffffffff;

function setresuid(t: Task, r: number, e: number, s: number): number {
  const c = t.cred;
  const ok = (v: number) => keep(v) || isRoot(c) || v === c.uid || v === c.euid || v === c.suid;
  if (!ok(r) || !ok(e) || !ok(s)) kerr(EPERM);
  return setCred(t, (x) => {
    if (!keep(r)) x.uid = r;
    if (!keep(e)) x.euid = e;
    if (!keep(s)) x.suid = s;
    x.fsuid = x.euid;
  });
}

function setresgid(t: Task, r: number, e: number, s: number): number {
  const c = t.cred;
  const ok = (v: number) => keep(v) || isRootGid(c) || v === c.gid || v === c.egid || v === c.sgid;
  if (!ok(r) || !ok(e) || !ok(s)) kerr(EPERM);
  return setCred(t, (x) => {
    if (!keep(r)) x.gid = r;
    if (!keep(e)) x.egid = e;
    if (!keep(s)) x.sgid = s;
    x.fsgid = x.egid;
  });
}

function getres(t: Task, a: number, b: number, c: number, vals: [number, number, number]): number {
  const m = um(t);
  m.setU32(a, vals[0]); m.setU32(b, vals[1]); m.setU32(c, vals[2]);
  return 0;
}

function group(t: Task, pid: number): ThreadGroup {
  if (pid === 0) return t.tg;
  const g = t.k.groups.get(pid);
  if (!g || g.zombie) kerr(ESRCH);
  return g;
}

function setpgid(t: Task, pid: number, pgid: number): number {
  if (pgid < 0) kerr(EINVAL);
  const g = group(t, pid);
  if (g !== t.tg && g.parent !== t.tg) kerr(ESRCH);
  if (g.sid !== t.tg.sid) kerr(EPERM);
  if (g.pid === g.sid) kerr(EPERM); // a session leader keeps its group
  const target = pgid === 0 ? g.pid : pgid;
  if (target !== g.pid) {
    const exists = [...t.k.groups.values()].some((x) => x.pgid === target && x.sid === t.tg.sid && !x.zombie);
    if (!exists) kerr(EPERM);
  }
  if (g !== t.tg && g.execed) kerr(EACCES);
  g.pgid = target;
  return 0;
}

function setsid(t: Task): number {
  const g = t.tg;
  if (g.pgid === g.pid || [...t.k.groups.values()].some((x) => x !== g && x.pgid === g.pid && !x.zombie)) kerr(EPERM);
  g.sid = g.pid;
  g.pgid = g.pid;
  g.ctty = null;
  return g.pid;
}

function writeRusage(t: Task, va: number, who: number): number {
  let ut: number, st: number;
  const g = t.tg;
  switch (who) {
    case RUSAGE_SELF: {
      ut = g.deadUtime; st = g.deadStime;
      for (const th of g.threads) { ut += th.utime; st += th.stime; }
      break;
    }
    case RUSAGE_CHILDREN: ut = g.childUtime; st = g.childStime; break;
    case RUSAGE_THREAD: ut = t.utime; st = t.stime; break;
    default: return kerr(EINVAL);
  }
  const b = new Uint8Array(rusage.size);
  const dv = new DataView(b.buffer);
  rusage.write(dv, 0, {
    ru_utime_sec: Math.floor(ut / 1e9), ru_utime_usec: Math.floor((ut % 1e9) / 1e3),
    ru_stime_sec: Math.floor(st / 1e9), ru_stime_usec: Math.floor((st % 1e9) / 1e3),
    // In KiB: the group's peak and its memory's for RUSAGE_SELF (and, as
    // Linux, RUSAGE_THREAD), the reaped children's for RUSAGE_CHILDREN.
    ru_maxrss: (who === RUSAGE_CHILDREN ? g.childMaxRss : Math.max(g.maxRss, t.mm.maxRssPages)) * (PAGE_SIZE / 1024),
  });
  um(t).write(va, b);
  return 0;
}

function prctl(t: Task, op: number, a2: number, a3: number, a4: number, a5: number): number {
  switch (op) {
    case PR_SET_PDEATHSIG: if (a2 < 0 || a2 > 64) kerr(EINVAL); t.pdeathSignal = a2; return 0;
    case PR_GET_PDEATHSIG: um(t).setI32(a2, t.pdeathSignal); return 0;
    case PR_SET_NAME: {
      const raw = um(t).read(a2, 16);
      const end = raw.indexOf(0);
      t.comm = Buffer.from(raw.subarray(0, Math.min(end < 0 ? 15 : end, 15))).toString("latin1");
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(Buffer.from(t.comm, "latin1").subarray(0, 15));
      um(t).write(a2, b);
      return 0;
    }
    case PR_GET_DUMPABLE: return t.tg.dumpable;
    case PR_SET_DUMPABLE: if (a2 !== 0 && a2 !== 1) kerr(EINVAL); t.tg.dumpable = a2; return 0;
    case PR_GET_KEEPCAPS: return t.keepCaps ? 1 : 0;
    case PR_GET_SECUREBITS: return (t.cred.securebits ?? 0) | (t.keepCaps ? SECBIT_KEEP_CAPS : 0);
    case PR_SET_SECUREBITS: {
      // As cap_task_prctl: no locked bit changes, no lock is undone, no
      // unknown bit, and any change at all needs CAP_SETPCAP.
      const old = (t.cred.securebits ?? 0) | (t.keepCaps ? SECBIT_KEEP_CAPS : 0);
      if (a2 < 0 || a2 > 0xffff_ffff || (((old & SECURE_ALL_LOCKS) >>> 1) & (old ^ a2)) || (old & SECURE_ALL_LOCKS & ~a2) ||
        (a2 & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS)) || !hasCap(t.cred, CAP_SETPCAP)) kerr(EPERM);
      t.cred.securebits = a2 & ~SECBIT_KEEP_CAPS;
      t.keepCaps = (a2 & SECBIT_KEEP_CAPS) !== 0;
      return 0;
    }
    case PR_SET_KEEPCAPS: if (a2 !== 0 && a2 !== 1) kerr(EINVAL); t.keepCaps = a2 === 1; return 0;
    case PR_GET_SECCOMP: return t.seccomp.mode;
    case PR_SET_SECCOMP: return prctlSetSeccomp(t, a2, a3);
    case PR_CAPBSET_READ:
      if (a2 < 0 || a2 > CAP_LAST_CAP) kerr(EINVAL);
      return (capBnd(t.cred) >> BigInt(a2)) & 1n ? 1 : 0;
    case PR_CAPBSET_DROP:
      // As Linux's cap_prctl_drop: CAP_SETPCAP in the effective set; the bit is gone for good.
      if (a2 < 0 || a2 > CAP_LAST_CAP) kerr(EINVAL);
      if (!hasCap(t.cred, CAP_SETPCAP)) kerr(EPERM);
      t.cred.capBnd = capBnd(t.cred) & ~(1n << BigInt(a2));
      return 0;
    case PR_SET_TIMERSLACK:
      // As Linux: ignored for a real-time task; 0 restores the slack the task started with.
      if (isRtPolicy(t.policy)) return 0;
      t.timerSlack = a2 <= 0 ? t.defaultTimerSlack : a2;
      return 0;
    case PR_GET_TIMERSLACK: return t.timerSlack;
    case PR_SET_CHILD_SUBREAPER: t.tg.subreaper = a2 !== 0; return 0;
    case PR_GET_CHILD_SUBREAPER: um(t).setI32(a2, t.tg.subreaper ? 1 : 0); return 0;
    // As Linux: the arguments these options do not use must be 0.
    case PR_SET_NO_NEW_PRIVS: if (a2 !== 1 || a3 || a4 || a5) kerr(EINVAL); t.noNewPrivs = true; return 0;
    case PR_GET_NO_NEW_PRIVS: if (a2 || a3 || a4 || a5) kerr(EINVAL); return t.noNewPrivs ? 1 : 0;
    case PR_GET_TID_ADDRESS: um(t).setU64(a2, t.clearChildTid); return 0;
    case PR_SET_THP_DISABLE: if (a3 || a4 || a5) kerr(EINVAL); t.tg.thpDisable = a2 !== 0; return 0;
    case PR_GET_THP_DISABLE: if (a2 || a3 || a4 || a5) kerr(EINVAL); return t.tg.thpDisable ? 1 : 0;
    case PR_CAP_AMBIENT: return a2 === 1 /* IS_SET */ ? 0 : kerr(EINVAL);
    case PR_SET_VMA: return 0; // anonymous VMA names are only cosmetic
    default: return kerr(EINVAL);
  }
}

// Capabilities: root has all of them, others none (no file capabilities in Ghost).
function capget(t: Task, hdrVa: number, dataVa: number): number {
  const m = um(t);
  const hb = m.read(hdrVa, user_cap_header.size);
  const hdv = new DataView(hb.buffer);
  const version = user_cap_header.get(hdv, 0, "version");
  if (version !== _LINUX_CAPABILITY_VERSION_3 && version !== _LINUX_CAPABILITY_VERSION_2 && version !== _LINUX_CAPABILITY_VERSION_1) {
    user_cap_header.set(hdv, 0, "version", _LINUX_CAPABILITY_VERSION_3);
    m.write(hdrVa, hb);
    if (dataVa) kerr(EINVAL);
    return 0;
  }
  const pid = user_cap_header.get(hdv, 0, "pid");
  // As Linux's capget: a negative pid is EINVAL, a missing one ESRCH.
  if (pid < 0) kerr(EINVAL);
  const who = pid === 0 ? t : t.k.tasks.get(pid);
  if (!who) kerr(ESRCH);
  if (!dataVa) return 0;
  const words = version === _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
  const b = new Uint8Array(user_cap_data.size * words);
  const dv = new DataView(b.buffer);
  const part = (v: bigint, i: number) => Number((v >> BigInt(32 * i)) & 0xffffffffn);
  const c = who.cred;
  for (let i = 0; i < words; i++) {
    user_cap_data.write(dv, i * user_cap_data.size, { effective: part(c.capEff, i), permitted: part(c.capPrm, i), inheritable: part(c.capInh, i) });
  }
  m.write(dataVa, b);
  return 0;
}

defineSyscalls({
  setuid: (t, uid) => {
    const c = t.cred;
    if ((u32Arg(uid)) === 0xffffffff) kerr(EINVAL);
    if (isRoot(c)) return setCred(t, (x) => { x.uid = x.euid = x.suid = x.fsuid = u32Arg(uid); });
    if (uid !== c.uid && uid !== c.suid) kerr(EPERM);
    return setCred(t, (x) => { x.euid = x.fsuid = u32Arg(uid); });
  },
  setgid: (t, gid) => {
    const c = t.cred;
    if ((u32Arg(gid)) === 0xffffffff) kerr(EINVAL);
    if (isRootGid(c)) return setCred(t, (x) => { x.gid = x.egid = x.sgid = x.fsgid = u32Arg(gid); });
    if (gid !== c.gid && gid !== c.sgid) kerr(EPERM);
    return setCred(t, (x) => { x.egid = x.fsgid = u32Arg(gid); });
  },
  setreuid: (t, r, e) => {
    const c = t.cred;
    if (!keep(r) && !isRoot(c) && r !== c.uid && r !== c.euid) kerr(EPERM);
    if (!keep(e) && !isRoot(c) && e !== c.uid && e !== c.euid && e !== c.suid) kerr(EPERM);
    const newE = keep(e) ? c.euid : u32Arg(e);
    const setSaved = !keep(r) || (!keep(e) && newE !== c.uid);
    return setCred(t, (x) => {
      if (!keep(r)) x.uid = u32Arg(r);
      x.euid = x.fsuid = newE;
      if (setSaved) x.suid = newE;
    });
  },
  setregid: (t, r, e) => {
    const c = t.cred;
    if (!keep(r) && !isRootGid(c) && r !== c.gid && r !== c.egid) kerr(EPERM);
    if (!keep(e) && !isRootGid(c) && e !== c.gid && e !== c.egid && e !== c.sgid) kerr(EPERM);
    const newE = keep(e) ? c.egid : u32Arg(e);
    const setSaved = !keep(r) || (!keep(e) && newE !== c.gid);
    return setCred(t, (x) => {
      if (!keep(r)) x.gid = u32Arg(r);
      x.egid = x.fsgid = newE;
      if (setSaved) x.sgid = newE;
    });
  },
  setresuid: (t, r, e, s) => setresuid(t, u32Arg(r), u32Arg(e), u32Arg(s)),
  setresgid: (t, r, e, s) => setresgid(t, u32Arg(r), u32Arg(e), u32Arg(s)),
  getresuid: (t, a, b, c) => getres(t, a, b, c, [t.cred.uid, t.cred.euid, t.cred.suid]),
  getresgid: (t, a, b, c) => getres(t, a, b, c, [t.cred.gid, t.cred.egid, t.cred.sgid]),
  setfsuid: (t, uid) => {
    const c = t.cred, old = c.fsuid;
    // As __sys_setfsuid: an id with no mapping ((uid_t)-1) changes nothing.
    if (u32Arg(uid) === INVALID_ID) return old;
    if (isRoot(c) || [c.uid, c.euid, c.suid, c.fsuid].includes(u32Arg(uid))) setCred(t, (x) => { x.fsuid = u32Arg(uid); });
    return old;
  },
  setfsgid: (t, gid) => {
    const c = t.cred, old = c.fsgid;
    if (u32Arg(gid) === INVALID_ID) return old;
    if (isRootGid(c) || [c.gid, c.egid, c.sgid, c.fsgid].includes(u32Arg(gid))) setCred(t, (x) => { x.fsgid = u32Arg(gid); });
    return old;
  },
  getgroups: (t, size, va) => {
    const g = t.cred.groups;
    if (size < 0) kerr(EINVAL);
    if (size === 0) return g.length;
    if (size < g.length) kerr(EINVAL);
    const b = new Uint8Array(4 * g.length);
    const dv = new DataView(b.buffer);
    g.forEach((x, i) => dv.setUint32(4 * i, x, true));
    if (g.length) um(t).write(va, b);
    return g.length;
  },
  setgroups: (t, size, va) => {
    if (!isRootGid(t.cred)) kerr(EPERM);
    if (size < 0 || size > NGROUPS_MAX) kerr(EINVAL);
    const dv = new DataView(um(t).read(va, 4 * size).buffer);
    const groups = Array.from({ length: size }, (_, i) => dv.getUint32(4 * i, true)).sort((a, b) => a - b);
    return setCred(t, (x) => { x.groups = [...groups]; });
  },
  capget: (t, hdr, data) => capget(t, hdr, data),
  capset: (t, hdr, data) => {
    const hb = um(t).read(hdr, user_cap_header.size);
    const hdv = new DataView(hb.buffer);
    const version = user_cap_header.get(hdv, 0, "version"), pid = user_cap_header.get(hdv, 0, "pid");
    // As Linux's cap_validate_magic: an unknown version is EINVAL with the preferred one written back, before the pid or data.
    if (version !== _LINUX_CAPABILITY_VERSION_3 && version !== _LINUX_CAPABILITY_VERSION_2 && version !== _LINUX_CAPABILITY_VERSION_1) {
      user_cap_header.set(hdv, 0, "version", _LINUX_CAPABILITY_VERSION_3);
      um(t).write(hdr, hb);
      kerr(EINVAL);
    }
    if (pid !== 0 && pid !== t.tid) kerr(EPERM);
    if (!data) kerr(EFAULT);
    const words = version === _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
    const dv = new DataView(um(t).read(data, 12 * words).buffer);
    const get = (field: number) => {
      let v = 0n;
      for (let i = 0; i < words; i++) v |= BigInt(dv.getUint32(12 * i + field, true)) << BigInt(32 * i);
      return v & CAP_FULL;
    };
    const eff = get(0), prm = get(4), inh = get(8);
    const c = t.cred;
    // Permitted may only shrink; effective must lie in the new permitted; inheritable within old inheritable|permitted.
    if ((prm & ~c.capPrm) !== 0n || (eff & ~prm) !== 0n || (inh & ~(c.capInh | c.capPrm)) !== 0n) kerr(EPERM);
    c.capEff = eff; c.capPrm = prm; c.capInh = inh;
    return 0;
  },
  setpgid: (t, pid, pgid) => setpgid(t, i32Arg(pid), i32Arg(pgid)),
  getpgid: (t, pid) => group(t, i32Arg(pid)).pgid,
  setsid: (t) => setsid(t),
  getsid: (t, pid) => group(t, i32Arg(pid)).sid,
  prctl: [(t, op, a2, a3, a4, a5) => prctl(t, i32Arg(op), a2, a3, a4, a5), "partial",
    "PR_SET_NAME/GET_NAME, PDEATHSIG, CHILD_SUBREAPER, DUMPABLE, KEEPCAPS, NO_NEW_PRIVS, TIMERSLACK, THP, CAPBSET_READ/DROP; other options EINVAL"],
  getrusage: (t, who, va) => writeRusage(t, va, i32Arg(who)),
  times: (t, va) => {
    const g = t.tg;
    let ut = g.deadUtime, st = g.deadStime;
    for (const th of g.threads) { ut += th.utime; st += th.stime; }
    if (va) {
      const b = new Uint8Array(tms.size);
      const dv = new DataView(b.buffer);
      const ticks = (ns: number) => Math.floor(ns / 1e7);
      tms.write(dv, 0, { tms_utime: ticks(ut), tms_stime: ticks(st), tms_cutime: ticks(g.childUtime), tms_cstime: ticks(g.childStime) });
      um(t).write(va, b);
    }
    return Math.floor(t.k.clock.monotonic() / 1e7);
  },
});
