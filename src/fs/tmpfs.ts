// tmpfs: files, directories and links held in memory. The default root, /tmp
// and /dev (with device nodes) are tmpfs instances.

import { kerr } from "../kernel/errors.js";
import { EEXIST, ENOENT, ENOTEMPTY, EISDIR, ENOTDIR, EFBIG, ENOSPC, EINVAL, EPERM, ENODATA, EOPNOTSUPP } from "../abi/errno.js";
import {
  Inode, SuperBlock, S_IFDIR, S_IFREG, S_IFLNK, isDir, dtype, type Cred, type DirEntry,
} from "./inode.js";
import type { File, FileOps } from "./file.js";
import { openDevice } from "../drivers/chrdev.js";

export const TMPFS_MAGIC = 0x01021994;
const MAX_FILE = 2 ** 40;

// Accounting (as shmem): bytesUsed is the pages files' data covers, charged
// against size= (ENOSPC); inodes count against nr_inodes= (ENOSPC). Both are
// given back when a file's data shrinks or the file is gone (no name, no
// open file).
export class TmpSuperBlock extends SuperBlock {
  nextIno = 1;
  bytesUsed = 0;
  inodes = 0;
  maxInodes = Infinity;
  constructor(readonly maxBytes = Infinity, readOnly = false) { super("tmpfs", TMPFS_MAGIC, readOnly); }
  override statfs() {
    const total = this.maxBytes === Infinity ? 1 << 20 : Math.ceil(this.maxBytes / 4096);
    const files = this.maxInodes === Infinity ? 1 << 20 : this.maxInodes;
    return { blocks: total, bfree: Math.max(0, total - Math.ceil(this.bytesUsed / 4096)), files, ffree: Math.max(0, files - this.inodes), namelen: 255 };
  }
}

abstract class TmpInode extends Inode {
  readonly ino: number;
  xattrs: Map<string, Uint8Array> | null = null;
  private freed = false;
  constructor(readonly sb: TmpSuperBlock, mode: number, cred: Cred | null) {
    super();
    if (sb.inodes >= sb.maxInodes) kerr(ENOSPC);
    this.ino = sb.nextIno++;
    sb.inodes++;
    this.mode = mode;
    if (cred) { this.uid = cred.fsuid; this.gid = cred.fsgid; }
  }
  override getxattr(name: string): Uint8Array | null { return this.xattrs?.get(name) ?? null; }
  override setxattr(name: string, value: Uint8Array, flags: number): void {
    this.checkWritable();
    const have = this.xattrs?.has(name) ?? false;
    const ns = ["user.", "trusted.", "security.", "system."].find((p) => name.startsWith(p));
    if (!ns) kerr(EOPNOTSUPP);
    if (name.length === ns.length) kerr(EINVAL);
    // user.* attributes exist on regular files and directories only (as Linux).
    if (ns === "user." && (this.mode & 0o170000) !== 0o100000 && (this.mode & 0o170000) !== 0o040000) kerr(EPERM);
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
    this.release();
  }
  protected release(): void { /* data, for files */ }
  override lastClose(): void { this.maybeFree(); }
  override removexattr(name: string): void {
    if (!this.xattrs?.delete(name)) kerr(ENODATA);
    this.touchCtime();
  }
}

export class TmpFile extends TmpInode {
  private data: Uint8Array = new Uint8Array(0);
  private length = 0;
  private charged = 0; // bytes charged to the filesystem: the pages [0, length) covers
  constructor(sb: TmpSuperBlock, mode: number, cred: Cred | null) { super(sb, S_IFREG | (mode & 0o7777), cred); }
  override get size(): number { return this.length; }
  override get blocks(): number { return this.charged / 512; }

  // Charges the pages up to n bytes (ENOSPC past size=) and makes room for them.
  private reserve(n: number): void {
    if (n > MAX_FILE) kerr(EFBIG);
    this.charge(n);
    if (n <= this.data.length) return;
    const cap = Math.max(n, Math.min(this.data.length * 2, n + (64 << 20)), 4096);
    const d = new Uint8Array(Math.ceil(cap / 4096) * 4096);
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }
  private charge(n: number): void {
    const want = Math.ceil(n / 4096) * 4096;
    if (want <= this.charged) return;
    if (this.sb.bytesUsed + want - this.charged > this.sb.maxBytes) kerr(ENOSPC);
    this.sb.bytesUsed += want - this.charged;
    this.charged = want;
  }
  // The charge goes back; the bytes stay for a mapping that may still read
  // them (the garbage collector frees them with the last reference).
  protected override release(): void {
    this.sb.bytesUsed -= this.charged;
    this.charged = 0;
  }

  override read(off: number, dst: Uint8Array): number {
    if (off >= this.length) return 0;
    const n = Math.min(dst.length, this.length - off);
    dst.set(this.data.subarray(off, off + n));
    return n;
  }

  override write(off: number, src: Uint8Array): number {
    this.checkWritable();
    if (src.length === 0) return 0;
    this.reserve(off + src.length);
    if (off > this.length) this.data.fill(0, this.length, off);
    this.data.set(src, off);
    this.length = Math.max(this.length, off + src.length);
    this.touchMtime();
    return src.length;
  }

  override truncate(size: number): void {
    this.checkWritable();
    if (size < 0) kerr(EINVAL);
    if (size > this.length) { this.reserve(size); this.data.fill(0, this.length, size); }
    else {
      this.data.fill(0, size, this.length);
      // Shrinking gives the pages past the new end back.
      const keep = Math.ceil(size / 4096) * 4096;
      if (keep < this.charged) { this.sb.bytesUsed -= this.charged - keep; this.charged = keep; }
      if (keep < this.data.length / 2) this.data = this.data.slice(0, keep);
    }
    this.length = size;
    this.touchMtime();
  }

  // Replaces the contents wholesale (used when a root filesystem is populated).
  setContents(bytes: Uint8Array): void {
    this.sb.bytesUsed -= this.charged;
    this.charged = 0;
    this.charge(bytes.length);
    this.data = bytes;
    this.length = bytes.length;
  }
}

export class TmpSymlink extends TmpInode {
  constructor(sb: TmpSuperBlock, readonly target: string, cred: Cred | null) { super(sb, S_IFLNK | 0o777, cred); }
  override get size(): number { return Buffer.byteLength(this.target); }
  override readlink(): string { return this.target; }
}

// Device nodes, FIFOs and sockets: the inode holds only attributes; opening
// it reaches the driver named by rdev.
export class TmpSpecial extends TmpInode {
  constructor(sb: TmpSuperBlock, mode: number, rdev: number, cred: Cred | null) {
    super(sb, mode, cred);
    this.rdev = rdev;
  }
  override openOps(f: File): FileOps | null { return openDevice(this, f); }
}

export class TmpDir extends TmpInode {
  readonly entries = new Map<string, Inode>();
  parent: TmpDir;
  constructor(sb: TmpSuperBlock, mode: number, cred: Cred | null, parent?: TmpDir) {
    super(sb, S_IFDIR | (mode & 0o7777), cred);
    this.parent = parent ?? this;
    this.nlink = 2;
  }
  override get size(): number { return 4096; }

  override lookup(name: string): Inode | null { return this.entries.get(name) ?? null; }

  private add(name: string, inode: Inode): Inode {
    this.checkWritable();
    if (this.entries.has(name)) kerr(EEXIST);
    this.entries.set(name, inode);
    this.touchMtime();
    return inode;
  }

  override create(name: string, mode: number, cred: Cred): Inode {
    return this.add(name, new TmpFile(this.sb, mode, cred));
  }
  override mkdir(name: string, mode: number, cred: Cred): Inode {
    const d = new TmpDir(this.sb, mode, cred, this);
    this.add(name, d);
    this.nlink++;
    return d;
  }
  override mknod(name: string, mode: number, rdev: number, cred: Cred): Inode {
    if ((mode & 0o170000) === S_IFREG || (mode & 0o170000) === 0) return this.create(name, mode, cred);
    return this.add(name, new TmpSpecial(this.sb, mode, rdev, cred));
  }
  override symlink(name: string, target: string, cred: Cred): Inode {
    return this.add(name, new TmpSymlink(this.sb, target, cred));
  }
  override link(name: string, target: Inode): void {
    this.add(name, target);
    target.nlink++;
    target.touchCtime();
  }
  override unlink(name: string): void {
    this.checkWritable();
    const i = this.entries.get(name);
    if (!i) kerr(ENOENT);
    if (isDir(i.mode)) kerr(EISDIR);
    this.entries.delete(name);
    i.nlink--;
    i.touchCtime();
    this.touchMtime();
    if (i instanceof TmpInode) i.maybeFree();
  }
  override rmdir(name: string): void {
    this.checkWritable();
    const i = this.entries.get(name);
    if (!i) kerr(ENOENT);
    if (!(i instanceof TmpDir)) kerr(ENOTDIR);
    if (i.entries.size) kerr(ENOTEMPTY);
    this.entries.delete(name);
    i.nlink = 0;
    this.nlink--;
    this.touchMtime();
    i.maybeFree();
  }
  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    this.checkWritable();
    if (!(newDir instanceof TmpDir) || newDir.sb !== this.sb) kerr(EINVAL);
    const src = this.entries.get(oldName);
    if (!src) kerr(ENOENT);
    const dst = newDir.entries.get(newName);
    const NOREPLACE = 1, EXCHANGE = 2;
    if (flags & EXCHANGE) {
      if (!dst) kerr(ENOENT);
      this.entries.set(oldName, dst);
      newDir.entries.set(newName, src);
      if (src instanceof TmpDir) { src.parent = newDir; }
      if (dst instanceof TmpDir) { dst.parent = this; }
      if (isDir(src.mode) !== isDir(dst.mode)) {
        const d = isDir(src.mode) ? 1 : -1;
        newDir.nlink += d; this.nlink -= d;
      }
      this.touchMtime(); newDir.touchMtime();
      return;
    }
    if (dst === src) return;
    if (dst) {
      if (flags & NOREPLACE) kerr(EEXIST);
      if (isDir(src.mode)) {
        if (!isDir(dst.mode)) kerr(ENOTDIR);
        if (dst instanceof TmpDir && dst.entries.size) kerr(ENOTEMPTY);
        newDir.nlink--;
      } else if (isDir(dst.mode)) kerr(EISDIR);
      dst.nlink--;
      if (isDir(dst.mode)) dst.nlink = 0;
    }
    this.entries.delete(oldName);
    newDir.entries.set(newName, src);
    if (src instanceof TmpDir) { src.parent = newDir; this.nlink--; newDir.nlink++; }
    src.touchCtime();
    this.touchMtime(); newDir.touchMtime();
    if (dst instanceof TmpInode) dst.maybeFree();
  }
  override readdir(): DirEntry[] {
    if (this.nlink === 0) kerr(ENOENT); // removed while open
    const out: DirEntry[] = [
      { name: ".", ino: this.ino, type: dtype(this.mode) },
      { name: "..", ino: this.parent.ino, type: dtype(this.parent.mode) },
    ];
    for (const [name, i] of this.entries) out.push({ name, ino: i.ino, type: dtype(i.mode) });
    return out;
  }
}

export function makeTmpfs(maxBytes = Infinity, mode = 0o1777, opts: { maxInodes?: number; uid?: number; gid?: number } = {}): TmpDir {
  const sb = new TmpSuperBlock(maxBytes);
  sb.maxInodes = opts.maxInodes ?? Infinity;
  const root = new TmpDir(sb, mode, null);
  root.uid = opts.uid ?? 0;
  root.gid = opts.gid ?? 0;
  return root;
}
