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
import type { Task } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { CAP_IPC_OWNER, CAP_SYS_ADMIN } from "../abi/prctl.js";

const SEQ_MULTIPLIER = 32768;

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
  private seq = 0;
  constructor(readonly k: Kernel, private readonly max: number) {}

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
      let found: T | undefined;
      for (const o of this.byIndex.values()) if (o.key === key) { found = o; break; }
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
    let index = 0;
    while (this.byIndex.has(index)) index++;
    if (index >= this.max) kerr(ENOSPC);
    const seq = this.seq++ % 0x10000;
    return {
      id: seq * SEQ_MULTIPLIER + index, index, key, seq,
      uid: t.cred.euid, gid: t.cred.egid, cuid: t.cred.euid, cgid: t.cred.egid, mode: mode & 0o777,
    };
  }
  add(o: T): T { this.byIndex.set(o.index, o); return o; }
  remove(o: T): void { this.byIndex.delete(o.index); }
}

// One registry of a kind per kernel.
export function perKernel<S>(make: (k: Kernel) => S): (k: Kernel) => S {
  const slot = new KernelLocal<S>("ipc namespace", make);
  return (k) => k.local(slot);
}

// /proc/sysvipc/{shm,sem,msg}: each kind registers its listing with procfs.
export { sysvipcListings } from "../fs/procfs/registry.js";

// A row's columns: [value, width, gap before]; numbers right-aligned.
export function ipcRow(cols: [number | string, number, number][]): string {
  return cols.map(([v, w, gap]) => " ".repeat(gap) + String(v).padStart(w)).join("");
}

