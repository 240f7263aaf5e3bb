// The building blocks of procfs: directories whose entries are computed on
// each lookup, files whose text is generated when opened, and links whose
// target is computed when read (with "magic" links that lead straight to an
// open file's path, as /proc/[pid]/fd/N does).

import { kerr } from "../../lib/errors.js";
import { EACCES, EINVAL, ENOENT } from "../../abi/errno.js";
import { Inode, SuperBlock, S_IFDIR, S_IFREG, S_IFLNK, dtype, type DirEntry } from "../inode.js";
import type { File, FileOps } from "../file.js";
import type { Path } from "../dentry.js";
import { PROC_SUPER_MAGIC } from "../../abi/stat.js";
import { KernelLocal } from "../../kernel/local.js";
import { runningKernel } from "../../kernel/running.js";

// procfs's superblock, and stable inode numbers for its generated nodes keyed
// by their path in /proc: one of each per kernel, as every kernel has its own proc.
class ProcSuper {
  readonly sb = new SuperBlock("proc", PROC_SUPER_MAGIC);
  readonly inos = new Map<string, number>();
  constructor() { this.sb.volatileNames = true; }
}
const PROC = new KernelLocal("procfs", () => new ProcSuper());
// Nodes made where no kernel runs (unit tests) share a set of their own.
let noKernel: ProcSuper | null = null;
function procSuper(): ProcSuper {
  const k = runningKernel();
  return k ? k.local(PROC) : (noKernel ??= new ProcSuper());
}

/** The running kernel's proc superblock. */
export function procSb(): SuperBlock { return procSuper().sb; }

export function procIno(key: string): number {
  const inos = procSuper().inos;
  let n = inos.get(key);
  if (n === undefined) { n = 0x1000 + inos.size; inos.set(key, n); }
  return n;
}

export type Entries = () => [string, () => Inode][];

export class ProcDir extends Inode {
  readonly sb = procSb();
  readonly ino: number;
  constructor(readonly key: string, private readonly entries: Entries, mode = 0o555, private readonly parentIno?: number) {
    super();
    this.ino = procIno(key);
    this.mode = S_IFDIR | mode;
    this.nlink = 2;
  }
  override lookup(name: string): Inode | null {
    for (const [n, make] of this.entries()) if (n === name) return make();
    return this.lookupExtra(name);
  }
  // Names not listed in readdir but still reachable (thread ids under /proc).
  lookupExtra(_name: string): Inode | null { return null; }
  override readdir(): DirEntry[] {
    const out: DirEntry[] = [
      { name: ".", ino: this.ino, type: dtype(S_IFDIR) },
      { name: "..", ino: this.parentIno ?? this.ino, type: dtype(S_IFDIR) },
    ];
    for (const [name, make] of this.entries()) {
      const i = make();
      out.push({ name, ino: i.ino, type: dtype(i.mode) });
    }
    return out;
  }
}

// A file generated at open; writes (if allowed) go to `store`.
export class ProcFile extends Inode {
  readonly sb = procSb();
  readonly ino: number;
  constructor(readonly key: string, private readonly generate: () => string | Uint8Array, mode = 0o444,
    private readonly store?: (data: Uint8Array) => void) {
    super();
    this.ino = procIno(key);
    this.mode = S_IFREG | mode;
  }
  override get size(): number { return 0; }
  override openOps(_f: File): FileOps {
    let snapshot: Uint8Array | null = null;
    const bytes = () => {
      if (!snapshot) { const g = this.generate(); snapshot = typeof g === "string" ? Buffer.from(g, "latin1") : g; }
      return snapshot;
    };
    return {
      read: (_f2, dst, pos) => {
        // As seq_file: a read from the start (after lseek to 0) generates the text anew.
        if (pos === 0) snapshot = null;
        const b = bytes();
        if (pos >= b.length) return 0;
        const n = Math.min(dst.length, b.length - pos);
        dst.set(b.subarray(pos, pos + n));
        return n;
      },
      write: (_f2, src) => {
        if (!this.store) kerr(EACCES);
        this.store(src);
        snapshot = null;
        return src.length;
      },
    };
  }
  override truncate(): void { if (!this.store) kerr(EACCES); }
}

export class ProcLink extends Inode {
  readonly sb = procSb();
  readonly ino: number;
  constructor(readonly key: string, private readonly target: () => string, private readonly magic?: () => Path | null, perm = 0o777) {
    super();
    this.ino = procIno(key);
    this.mode = S_IFLNK | perm;
  }
  override readlink(): string { return this.target(); }
  override get size(): number { return Buffer.byteLength(this.target()); }
  // The path a magic link jumps to, bypassing its text.
  magicLink(): Path | null { return this.magic ? this.magic() : null; }
}

export function notFound(): never { return kerr(ENOENT); }
export function invalid(): never { return kerr(EINVAL); }
