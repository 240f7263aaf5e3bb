// nsfs, as Linux's fs/nsfs.c: one inode per namespace, numbered by the
// namespace's inum, reached through the magic links /proc/PID/ns/* and
// never mounted. Two opens of the same namespace's link stat alike (same
// st_dev and st_ino); an open one is what setns(2) takes.

import { KernelLocal } from "../kernel/local.js";
import { runningKernel } from "../kernel/running.js";
import type { Namespace } from "../kernel/nsproxy.js";
import { NSFS_MAGIC } from "../abi/stat.js";
import { Inode, SuperBlock, S_IFREG } from "./inode.js";
import { Dentry, Mount, type Path } from "./dentry.js";
import type { File } from "./file.js";

export class NsInode extends Inode {
  readonly ino: number;
  constructor(readonly sb: SuperBlock, readonly ns: Namespace) {
    super();
    this.ino = ns.inum;
    this.mode = S_IFREG | 0o444;
  }
}

class Nsfs {
  readonly sb = new SuperBlock("nsfs", NSFS_MAGIC);
  readonly mnt: Mount;
  private readonly inodes = new WeakMap<Namespace, Dentry>();
  constructor() {
    this.mnt = new Mount(this.sb, new Dentry("/", null, new NsInode(this.sb, { kind: "mnt", inum: 0 } as Namespace)), null, null, 0, "nsfs", "nsfs");
  }
  dentry(ns: Namespace): Dentry {
    let d = this.inodes.get(ns);
    if (!d) { d = new Dentry(nsName(ns), null, new NsInode(this.sb, ns)); this.inodes.set(ns, d); }
    return d;
  }
}
const NSFS = new KernelLocal("nsfs", () => new Nsfs());
let noKernel: Nsfs | null = null;
const nsfs = () => { const k = runningKernel(); return k ? k.local(NSFS) : (noKernel ??= new Nsfs()); };

// "mnt:[4026531832]": the text of the /proc/PID/ns link and the dentry's name.
export function nsName(ns: Namespace): string { return `${ns.kind}:[${ns.inum}]`; }

// The path an ns link jumps to.
export function nsPath(ns: Namespace): Path {
  const fs = nsfs();
  return { mnt: fs.mnt, dentry: fs.dentry(ns) };
}

// The namespace an open file stands for, if it is an nsfs file.
export function nsOfFile(f: File): Namespace | null { return f.inode instanceof NsInode ? f.inode.ns : null; }
