// tmpfs's superblock (its size= and nr_inodes= limits and their
// accounting) and what every tmpfs inode shares: numbering, the charge to
// the memory budget, inode flags and extended attributes. The inode kinds
// are in tmpfs.ts.

import { kerr } from "../lib/errors.js";
import { EEXIST, ENOSPC, EINVAL, EPERM, ENODATA, EOPNOTSUPP, ENOMEM } from "../abi/errno.js";
import { INODE_COST, type MemBudget } from "../mm/budget.js";
import { kernelMem } from "./kmem.js";
import { parseSize } from "./filesystems.js";
import { Inode, SuperBlock, S_IFDIR, S_IFREG, S_IFMT, type Cred } from "./inode.js";
import type { File, FileOps } from "./file.js";
import { tmpfsFileOps, mayOpenFlagged, FL_NO_CHANGE } from "./tmpfs_attr.js";
import { FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL } from "../abi/fs_blk.js";
import { STATX_ATTR_IMMUTABLE, STATX_ATTR_APPEND, STATX_ATTR_NODUMP } from "../abi/stat.js";

export const TMPFS_MAGIC = 0x01021994;
const PAGE = 4096;

// Accounting (as shmem): bytesUsed is the pages files' data covers, charged
// against size= (ENOSPC); inodes count against nr_inodes= (ENOSPC). Both are
// given back when a file's data shrinks or the file is gone (no name, no
// open file). Each page and each inode is also charged to the guest's memory
// budget (mm/budget.ts): past it, a write or a create is ENOMEM even below
// size=, as shmem's page allocation fails when RAM is gone. Without a size=
// (or nr_inodes=) the limit is Linux's default: half of RAM (half of RAM's
// pages); size=0 / nr_inodes=0 mean no limit but the budget's.
export class TmpSuperBlock extends SuperBlock {
  nextIno = 1;
  bytesUsed = 0;
  inodes = 0;
  maxInodes = Infinity;
  constructor(public maxBytes = Infinity, readOnly = false) { super("tmpfs", TMPFS_MAGIC, readOnly); }
  override statfs() {
    // An instance without a limit of its own shows RAM's (all the budget can give).
    const ram = kernelMem()?.totalBytes ?? 2 ** 32;
    const total = Math.ceil(Math.min(this.maxBytes, ram) / 4096);
    const files = this.maxInodes === Infinity ? Math.floor(ram / 4096 / 2) : this.maxInodes;
    return { blocks: total, bfree: Math.max(0, total - Math.ceil(this.bytesUsed / 4096)), files, ffree: Math.max(0, files - this.inodes), namelen: 255 };
  }
  // mount -o remount,size=…,nr_inodes=…: as shmem_reconfigure, a limit below
  // what is in use is EINVAL.
  override remount(opts: Map<string, string>, ramBytes: number): void {
    const size = opts.has("size") ? tmpfsSize(opts.get("size")!, ramBytes) : this.maxBytes;
    const inodes = opts.has("nr_inodes") ? tmpfsInodes(opts.get("nr_inodes")!) : this.maxInodes;
    if (size < this.bytesUsed || inodes < this.inodes) kerr(EINVAL);
    this.maxBytes = size;
    this.maxInodes = inodes;
  }
}

// size= (bytes, k/m/g, or a percentage of RAM) and nr_inodes=, as mount
// reads them; 0 is no limit.
function tmpfsSize(v: string, ramBytes: number): number {
  const n = parseSize(v, ramBytes);
  if (Number.isNaN(n)) kerr(EINVAL);
  return n === 0 ? Infinity : Math.ceil(n / PAGE) * PAGE;
}
function tmpfsInodes(v: string): number {
  const n = v.endsWith("%") ? NaN : parseSize(v, 0);
  if (Number.isNaN(n)) kerr(EINVAL);
  return n === 0 ? Infinity : n;
}

export abstract class TmpInode extends Inode {
  readonly ino: number;
  xattrs: Map<string, Uint8Array> | null = null;
  // FS_*_FL flags set by FS_IOC_SETFLAGS (tmpfs_attr.ts).
  fsflags = 0;
  private freed = false;
  // The budget this inode and its data are charged to (the kernel it was made in).
  protected readonly mem: MemBudget | null = kernelMem();
  constructor(readonly sb: TmpSuperBlock, mode: number, cred: Cred | null) {
    super();
    if (sb.inodes >= sb.maxInodes) kerr(ENOSPC);
    this.mem?.charge("slab", INODE_COST, ENOMEM);
    this.ino = sb.nextIno++;
    sb.inodes++;
    this.mode = mode;
    if (cred) { this.uid = cred.fsuid; this.gid = cred.fsgid; }
  }
  override inodeFlags(): number { return this.fsflags; }
  // shmem_getattr: immutable, append-only and nodump are reported and known.
  override statxAttributes(): { attrs: number; mask: number } {
    const mask = STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP;
    let attrs = 0;
    if (this.fsflags & FS_IMMUTABLE_FL) attrs |= STATX_ATTR_IMMUTABLE;
    if (this.fsflags & FS_APPEND_FL) attrs |= STATX_ATTR_APPEND;
    if (this.fsflags & FS_NODUMP_FL) attrs |= STATX_ATTR_NODUMP;
    return { attrs, mask };
  }
  override openOps(_f: File): FileOps | null { return tmpfsFileOps; }
  override mayOpen(flags: number): void { mayOpenFlagged(this.mode, this.fsflags, flags); }
  // notify_change and xattr_permission: nothing of an immutable or
  // append-only inode changes (its times are the syscalls' to refuse).
  protected checkChange(): void {
    this.checkWritable();
    if (this.fsflags & FL_NO_CHANGE) kerr(EPERM);
  }
  override setMode(mode: number): void { this.checkChange(); super.setMode(mode); }
  override setOwner(uid: number, gid: number): void { this.checkChange(); super.setOwner(uid, gid); }
  override getxattr(name: string): Uint8Array | null { return this.xattrs?.get(name) ?? null; }
  override setxattr(name: string, value: Uint8Array, flags: number): void {
    this.checkChange();
    const have = this.xattrs?.has(name) ?? false;
    const ns = ["user.", "trusted.", "security.", "system."].find((p) => name.startsWith(p));
    if (!ns) kerr(EOPNOTSUPP);
    if (name.length === ns.length) kerr(EINVAL);
    // user.* attributes exist on regular files and directories only (as Linux).
    if (ns === "user." && (this.mode & S_IFMT) !== S_IFREG && (this.mode & S_IFMT) !== S_IFDIR) kerr(EPERM);
    if ((flags & 2) && !have) kerr(ENODATA); // XATTR_REPLACE
    if ((flags & 1) && have) kerr(EEXIST); // XATTR_CREATE
    (this.xattrs ??= new Map()).set(name, value.slice());
    this.touchCtime();
  }
  override listxattr(): string[] { return [...(this.xattrs?.keys() ?? [])]; }
  // Gone for good once it has no name and no open file: its inode and data are given back.
  maybeFree(): void {
    if (this.freed || this.nlink > 0 || this.openFiles > 0) return;
    this.freed = true;
    this.sb.inodes--;
    this.mem?.uncharge("slab", INODE_COST);
    this.release();
  }
  protected release(): void { /* data, for files */ }
  override lastClose(): void { this.maybeFree(); }
  override removexattr(name: string): void {
    this.checkChange();
    if (!this.xattrs?.delete(name)) kerr(ENODATA);
    this.touchCtime();
  }
}
