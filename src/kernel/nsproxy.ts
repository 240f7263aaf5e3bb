// Namespaces, as Linux's nsproxy: each task points at one namespace of every
// kind, shared with its parent until clone or unshare asks for a new one
// (CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC) or setns joins another. Ghost
// makes new mount, UTS and IPC namespaces; the other kinds exist once per
// kernel (their /proc/PID/ns files name them, setns to them is a no-op).
//
// Each namespace has an inode number in nsfs, the number /proc/PID/ns/*
// readlink shows ("mnt:[4026531832]") and stat's st_ino: the initial ones
// have fixed numbers (linux/proc_ns.h), later ones come from one counter
// starting at PROC_DYNAMIC_FIRST, as proc_alloc_inum.

import { WaitQueue } from "../lib/wait.js";
import type { Mount } from "../fs/dentry.js";

export type NsKind = "mnt" | "uts" | "ipc" | "net" | "pid" | "user" | "cgroup" | "time";

// linux/proc_ns.h
export const PROC_IPC_INIT_INO = 0xefffffff;
export const PROC_UTS_INIT_INO = 0xeffffffe;
export const PROC_USER_INIT_INO = 0xeffffffd;
export const PROC_PID_INIT_INO = 0xeffffffc;
export const PROC_CGROUP_INIT_INO = 0xeffffffb;
export const PROC_TIME_INIT_INO = 0xeffffffa;
export const PROC_NET_INIT_INO = 0xeffffff9;
export const PROC_MNT_INIT_INO = 0xeffffff8;
export const PROC_DYNAMIC_FIRST = 0xf0000000;

export class Namespace {
  constructor(readonly kind: NsKind, readonly inum: number) {}
}

// A mount namespace: its tree of mounts, and the event counter that
// /proc/PID/mounts polls (Linux's mnt_namespace.event).
export class MntNamespace extends Namespace {
  events = 0;
  readonly eventWait = new WaitQueue();
  constructor(inum: number, public root: Mount | null) { super("mnt", inum); }
}

export class UtsNamespace extends Namespace {
  constructor(inum: number, public hostname: string, public domainname: string) { super("uts", inum); }
}

// The IPC namespace's objects live in ipc/ (above the kernel): they keep
// their tables in a map keyed by this object.
export class IpcNamespace extends Namespace {
  constructor(inum: number) { super("ipc", inum); }
}

export class NsProxy {
  constructor(
    public mnt: MntNamespace,
    public uts: UtsNamespace,
    public ipc: IpcNamespace,
    readonly net: Namespace,
    readonly pid: Namespace,
    readonly user: Namespace,
    readonly cgroup: Namespace,
    readonly time: Namespace,
  ) {}

  with(change: Partial<Pick<NsProxy, "mnt" | "uts" | "ipc">>): NsProxy {
    return new NsProxy(change.mnt ?? this.mnt, change.uts ?? this.uts, change.ipc ?? this.ipc, this.net, this.pid, this.user, this.cgroup, this.time);
  }
}

export function initNsProxy(): NsProxy {
  return new NsProxy(
    new MntNamespace(PROC_MNT_INIT_INO, null), new UtsNamespace(PROC_UTS_INIT_INO, "ghost", "(none)"), new IpcNamespace(PROC_IPC_INIT_INO),
    new Namespace("net", PROC_NET_INIT_INO), new Namespace("pid", PROC_PID_INIT_INO), new Namespace("user", PROC_USER_INIT_INO),
    new Namespace("cgroup", PROC_CGROUP_INIT_INO), new Namespace("time", PROC_TIME_INIT_INO),
  );
}
