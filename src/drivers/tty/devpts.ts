// devpts: the filesystem of pty slaves (pty(7)). Each mount is an instance
// with its own numbering: `ptmx` (c 5,2) opens a new master and a slave
// appears as `N` (c 136+N/256, N%256) until its master closes. Options:
// mode= (new slaves, default 0600), uid=, gid= (default the opener's),
// ptmxmode= (default 0000), max= (ptys in this instance).

import { kerr } from "../../lib/errors.js";
import { ENOSPC, EINVAL } from "../../abi/errno.js";
import { Inode, SuperBlock, S_IFCHR, S_IFDIR, dtype, type DirEntry } from "../../fs/inode.js";
import type { File, FileOps } from "../../fs/file.js";
import { followMounts } from "../../fs/dentry.js";
import type { Kernel } from "../../kernel/kernel.js";
import { registerFilesystem } from "../../fs/filesystems.js";
import { makedev } from "../../fs/char_dev.js";
import { PtyPair, ptsDev, type PtyHome } from "./pty.js";

export const DEVPTS_SUPER_MAGIC = 0x1cd1;
export const PTMX_DEV = makedev(5, 2);

export class DevptsSuperBlock extends SuperBlock {
  constructor(readonly instance: Devpts) {
    super("devpts", DEVPTS_SUPER_MAGIC);
    this.volatileNames = true;
    this.blockSize = 1024;
  }
}

class DevptsRoot extends Inode {
  readonly ino = 1;
  constructor(readonly sb: DevptsSuperBlock) { super(); this.mode = S_IFDIR | 0o755; this.nlink = 2; }
  private get dp(): Devpts { return this.sb.instance; }
  override lookup(name: string): Inode | null {
    if (name === "ptmx") return this.dp.ptmx;
    if (!/^(0|[1-9]\d*)$/.test(name) || !this.dp.listed.has(Number(name))) return null;
    return this.dp.ptys.get(Number(name))?.inode ?? null;
  }
  override readdir(): DirEntry[] {
    const out: DirEntry[] = [
      { name: ".", ino: 1, type: dtype(this.mode) }, { name: "..", ino: 1, type: dtype(this.mode) },
      { name: "ptmx", ino: 2, type: dtype(S_IFCHR) },
    ];
    for (const [i, p] of [...this.dp.ptys].sort((a, b) => a[0] - b[0])) if (p.inode && this.dp.listed.has(i)) out.push({ name: String(i), ino: p.inode.ino, type: dtype(S_IFCHR) });
    return out;
  }
}

class PtmxInode extends Inode {
  readonly ino = 2;
  constructor(readonly sb: DevptsSuperBlock, mode: number) { super(); this.mode = S_IFCHR | (mode & 0o7777); this.rdev = PTMX_DEV; }
  override openOps(f: File): FileOps { return this.sb.instance.openMaster(f); }
}

class PtsInode extends Inode {
  readonly ino: number;
  constructor(readonly sb: DevptsSuperBlock, readonly pair: PtyPair, mode: number, uid: number, gid: number) {
    super();
    this.ino = pair.index + 3;
    this.mode = S_IFCHR | (mode & 0o7777);
    this.rdev = ptsDev(pair.index);
    this.uid = uid;
    this.gid = gid;
  }
  override openOps(f: File): FileOps { return this.pair.openSlave(f); }
}

export class Devpts implements PtyHome {
  readonly sb: DevptsSuperBlock;
  readonly root: DevptsRoot;
  readonly ptmx: PtmxInode;
  readonly ptys = new Map<number, PtyPair>();
  // Indexes whose /dev/pts entry still exists (the master is open).
  readonly listed = new Set<number>();
  private readonly mode: number;
  private readonly uid: number | null;
  private readonly gid: number | null;
  private readonly max: number;

  constructor(readonly k: Kernel, options: Map<string, string> = new Map()) {
    const num = (key: string, base: number, dflt: number | null) => {
      const v = options.get(key);
      if (v === undefined) return dflt;
      const n = parseInt(v, base);
      if (!Number.isFinite(n) || n < 0) kerr(EINVAL);
      return n;
    };
    this.mode = num("mode", 8, 0o600)!;
    this.uid = num("uid", 10, null);
    this.gid = num("gid", 10, null);
    this.max = Math.min(num("max", 10, 1 << 20)!, 1 << 20);
    this.sb = new DevptsSuperBlock(this);
    this.root = new DevptsRoot(this.sb);
    this.ptmx = new PtmxInode(this.sb, num("ptmxmode", 8, 0)!);
  }

  // Opening ptmx: a new pair, the lowest free index, the slave locked.
  openMaster(_f: File): FileOps {
    let index = 0;
    while (this.ptys.has(index)) index++;
    if (index >= this.max) kerr(ENOSPC);
    const pair = new PtyPair(this.k, index, this);
    const cred = this.k.current?.cred;
    pair.inode = new PtsInode(this.sb, pair, this.mode, this.uid ?? cred?.fsuid ?? 0, this.gid ?? cred?.fsgid ?? 0);
    pair.slave.winsize = { row: 0, col: 0, xpixel: 0, ypixel: 0 };
    this.ptys.set(index, pair);
    this.listed.add(index);
    return pair.masterOps();
  }

  unlink(index: number): void { this.listed.delete(index); }
  release(index: number): void { this.ptys.delete(index); this.listed.delete(index); }
}

// Finds the pty instance mounted at the `pts` directory beside a ptmx node
// (Linux's rule for /dev/ptmx), or null.
export function devptsBeside(f: File): Devpts | null {
  const p = f.path;
  if (!p?.dentry.parent) return null;
  const pts = p.dentry.parent.child("pts");
  if (!pts) return null;
  const cur = followMounts({ mnt: p.mnt, dentry: pts });
  const sb = cur.dentry.inode.sb;
  return sb instanceof DevptsSuperBlock ? sb.instance : null;
}

export function makeDevpts(k: Kernel, options?: Map<string, string>): Inode {
  return new Devpts(k, options).root;
}

registerFilesystem("devpts", (k, _source, options) => makeDevpts(k, options));
