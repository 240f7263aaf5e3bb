// What System V shared memory, semaphores and message queues share (Linux's
// ipc/util.c): the owner and mode of an object, the permission check, and
// the ids of one kind of object: id = seq * 32768 + the lowest free index,
// looked up by id or by key, with shmget/semget/msgget's IPC_CREAT and
// IPC_EXCL rules.

import { kerr } from "../lib/errors.js";
import { EINVAL, ENOENT, EEXIST, EACCES, ENOSPC, EPERM } from "../abi/errno.js";
import { IPC_PRIVATE, IPC_CREAT, IPC_EXCL } from "../abi/ipc.js";
import type { Kernel } from "../kernel/kernel.js";
import { KernelLocal } from "../kernel/local.js";
import { procKernelSysctls } from "../fs/procfs/registry.js";
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_IPC_OWNER, CAP_SYS_ADMIN } from "../abi/prctl.js";

const SEQ_MULTIPLIER = 32768;
// IPCMNI: the most objects of a kind (the limits' upper bound).
export const IPCMNI = SEQ_MULTIPLIER;
const INT_MAX = 0x7fff_ffff;

// The owner and mode of any System V IPC object.
export interface IpcPerm { uid: number; gid: number; cuid: number; cgid: number; mode: number }
export interface IpcObject extends IpcPerm { id: number; index: number; key: number; seq: number }

// Linux's ipcperms: the owner's, group's or others' bits, or CAP_IPC_OWNER.
// flags: the access wanted as mode bits (any of the three triples).
export function allowed(t: Task, s: IpcPerm, flags: number): boolean {
  const want = (flags >> 6) | (flags >> 3) | flags;
  const c = t.cred;
  let bits = s.mode;
  if (c.euid === s.uid || c.euid === s.cuid) bits >>= 6;
  else if (c.egid === s.gid || c.egid === s.cgid || c.groups.includes(s.gid) || c.groups.includes(s.cgid)) bits >>= 3;
  return (want & ~bits & 0o7) === 0 || hasCap(t.cred, CAP_IPC_OWNER);
}

// IPC_SET and IPC_RMID: the owner, the creator, or CAP_SYS_ADMIN (EPERM otherwise).
export function mayChange(t: Task, o: IpcPerm): void {
  if (t.cred.euid !== o.uid && t.cred.euid !== o.cuid && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EPERM);
}

export class IpcIds<T extends IpcObject> {
  readonly byIndex = new Map<number, T>();
  // The objects with a key (not IPC_PRIVATE), and the lowest index that may
  // be free: a few thousand objects (semget05 fills semmni, 32000) must not
  // cost a scan of them all per get.
  private readonly byKey = new Map<number, T>();
  private lowFree = 0;
  private seq = 0;
  // kernel.{msg,shm}mni and semmni: how many objects may exist at once (ENOSPC past it).
  mni: number;
  // kernel.{msg,sem,shm}_next_id (CONFIG_CHECKPOINT_RESTORE): the id the next
  // object gets, used once; -1 for none (Linux's ipc_idr_alloc).
  nextId = -1;
  constructor(readonly k: Kernel, max: number) { this.mni = max; }

  now(): number { return Math.floor(this.k.clock.realtime() / 1e9); }

  // The object of an id; EINVAL for an id no object has (any more).
  find(id: number): T {
    if (id < 0) kerr(EINVAL);
    const o = this.byIndex.get(id % SEQ_MULTIPLIER);
    if (!o || o.id !== id) kerr(EINVAL);
    return o;
  }

  // xxxget: the object of key (more: the kind's own checks of an existing
  // one, before the permission check), or a new one from make.
  get(t: Task, key: number, flags: number, more: (o: T) => void, make: () => T): number {
    if (key !== IPC_PRIVATE) {
      const found = this.byKey.get(key);
      if (found) {
        if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) kerr(EEXIST);
        more(found);
        if (!allowed(t, found, flags)) kerr(EACCES);
        return found.id;
      }
      if (!(flags & IPC_CREAT)) kerr(ENOENT);
    }
    return make().id;
  }

  // The id and owner of a new object made by t (ENOSPC past the limit); add() files it.
  fresh(t: Task, key: number, mode: number): IpcObject {
    // As ipc_addid: the count in use against the limit comes first, and a
    // refused object leaves next_id set.
    if (this.byIndex.size >= this.mni) kerr(ENOSPC);
    const want = this.nextId;
    this.nextId = -1;
    // With next_id, its index or the lowest free one above it, and its seq;
    // else the lowest free index and the next seq.
    let index = want >= 0 ? want % SEQ_MULTIPLIER : this.lowFree;
    while (this.byIndex.has(index)) index++;
    if (want < 0) this.lowFree = index + 1;
    const seq = want >= 0 ? Math.floor(want / SEQ_MULTIPLIER) : this.seq++ % 0x10000;
    return {
      id: seq * SEQ_MULTIPLIER + index, index, key, seq,
      uid: t.cred.euid, gid: t.cred.egid, cuid: t.cred.euid, cgid: t.cred.egid, mode: mode & 0o777,
    };
  }
  add(o: T): T {
    this.byIndex.set(o.index, o);
    if (o.key !== IPC_PRIVATE) this.byKey.set(o.key, o);
    return o;
  }
  remove(o: T): void {
    this.byIndex.delete(o.index);
    this.forgetKey(o);
    this.lowFree = Math.min(this.lowFree, o.index);
  }
  // A removed object still in use (an attached shm segment) no longer has its key;
  // the caller sets it to IPC_PRIVATE.
  forgetKey(o: T): void {
    if (this.byKey.get(o.key) === o) this.byKey.delete(o.key);
  }
}

// An integer sysctl as proc_dointvec_minmax reads it: EINVAL unless a
// decimal integer in [min, max].
export function intSysctl(v: string, min: number, max: number): number {
  const n = /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) kerr(EINVAL);
  return n;
}

// kernel.NAME_next_id of a kind: -1 (none) or the id to give next.
export function registerNextId(name: string, ids: (k: Kernel) => IpcIds<IpcObject>): void {
  procKernelSysctls.set(`${name}_next_id`, {
    get: (k) => String(ids(k).nextId),
    set: (k, v) => { ids(k).nextId = intSysctl(v, -1, INT_MAX); },
  });
}

// One registry of a kind per IPC namespace: the running task's (Linux's
// current->nsproxy->ipc_ns), the initial one when no task runs.
export function perKernel<S>(make: (k: Kernel) => S): (k: Kernel) => S {
  const slot = new KernelLocal<WeakMap<object, S>>("ipc namespaces", () => new WeakMap());
  return (k) => {
    const ns: object = k.current?.ns.ipc ?? k.initNs?.ipc ?? k;
    const spaces = k.local(slot);
    let s = spaces.get(ns);
    if (!s) { s = make(k); spaces.set(ns, s); }
    return s;
  };
}

// /proc/sysvipc/{shm,sem,msg}: each kind registers its listing with procfs,
// and its limits under /proc/sys/kernel.
export { sysvipcListings, procKernelSysctls } from "../fs/procfs/registry.js";

// A row's columns: [value, width, gap before]; numbers right-aligned.
export function ipcRow(cols: [number | string, number, number][]): string {
  return cols.map(([v, w, gap]) => " ".repeat(gap) + String(v).padStart(w)).join("");
}

