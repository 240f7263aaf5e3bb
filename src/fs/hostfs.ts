// hostfs: a directory of the host mounted into the guest. Every lookup is a
// single name joined to a host directory that was itself reached by lookups
// (never `..`, never a host symlink followed: links are shown to the guest as
// links and resolved in the guest's namespace), so nothing outside the
// mounted directory can be reached. A read-only mount refuses writes (EROFS).

import * as fs from "node:fs";
import { join } from "node:path";
import { KernelError, kerr } from "../kernel/errors.js";
import { EIO, EROFS, EINVAL } from "../abi/errno.js";
import { Inode, SuperBlock, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, dtype, type Cred, type DirEntry, type Timespec } from "./inode.js";
import type { File, FileOps } from "./file.js";
import { openDevice } from "../drivers/chrdev.js";

// Linux has no magic of its own for a host share; Ghost reports 9p's, the closest kind.
export const HOSTFS_MAGIC = 0x01021997;

function hostErr(e: unknown): never {
  if (e instanceof KernelError) throw e;
  const errno = (e as { errno?: number }).errno;
  if (typeof errno === "number" && errno < 0) throw new KernelError(-errno);
  throw new KernelError(EIO, String(e));
}

function ts(ns: bigint): Timespec {
  return { sec: Number(ns / 1000000000n), nsec: Number(ns % 1000000000n) };
}

export class HostSuperBlock extends SuperBlock {
  constructor(readonly hostRoot: string, readOnly: boolean) { super("hostfs", HOSTFS_MAGIC, readOnly); }
  override statfs() {
    try {
      const s = fs.statfsSync(this.hostRoot);
      return { blocks: s.blocks * s.bsize / 4096, bfree: s.bavail * s.bsize / 4096, files: s.files, ffree: s.ffree, namelen: 255 };
    } catch { return super.statfs(); }
  }
}

export class HostInode extends Inode {
  ino = 0;
  private sizeBytes = 0;
  private fd = -1;
  private fdWritable = false;
  constructor(readonly sb: HostSuperBlock, readonly hostPath: string, st: fs.BigIntStats) {
    super();
    this.refresh(st);
  }

  private refresh(st: fs.BigIntStats): void {
    this.ino = Number(st.ino);
    this.mode = Number(st.mode);
    this.uid = Number(st.uid);
    this.gid = Number(st.gid);
    this.nlink = Number(st.nlink);
    this.rdev = Number(st.rdev);
    this.sizeBytes = Number(st.size);
    this.atime = ts(st.atimeNs);
    this.mtime = ts(st.mtimeNs);
    this.ctime = ts(st.ctimeNs);
    this.btime = ts(st.birthtimeNs);
  }

  // Re-reads attributes from the host (another process may have changed the file).
  override revalidate(): void {
    try { this.refresh(fs.lstatSync(this.hostPath, { bigint: true })); } catch { /* gone: keep last view */ }
  }

  override get size(): number { return this.sizeBytes; }

  private child(name: string): string {
    if (name.includes("/") || name === "." || name === ".." || name.includes("\0")) kerr(EINVAL);
    return join(this.hostPath, name);
  }

  private make(path: string): HostInode {
    return new HostInode(this.sb, path, fs.lstatSync(path, { bigint: true }));
  }

  override lookup(name: string): Inode | null {
    if ((this.mode & S_IFMT) !== S_IFDIR) return super.lookup(name);
    try { return this.make(this.child(name)); } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return null;
      return hostErr(e);
    }
  }

  private writable(): void { if (this.sb.readOnly) kerr(EROFS); }

  override create(name: string, mode: number, _cred: Cred): Inode {
    this.writable();
    const p = this.child(name);
    try {
      const fd = fs.openSync(p, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, mode & 0o7777);
      // The guest's umask was applied already; the host's must not be.
      fs.fchmodSync(fd, mode & 0o7777);
      fs.closeSync(fd);
      return this.make(p);
    } catch (e) { return hostErr(e); }
  }
  // Host files only: Node cannot make host FIFOs or device nodes, so those are EPERM.
  override mknod(name: string, mode: number, _rdev: number, cred: Cred): Inode {
    if ((mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0) return this.create(name, mode, cred);
    this.writable();
    return kerr(1);
  }
  override mkdir(name: string, mode: number, _cred: Cred): Inode {
    this.writable();
    const p = this.child(name);
    try { fs.mkdirSync(p, { mode: mode & 0o7777 }); fs.chmodSync(p, mode & 0o7777); return this.make(p); } catch (e) { return hostErr(e); }
  }
  override symlink(name: string, target: string, _cred: Cred): Inode {
    this.writable();
    const p = this.child(name);
    try { fs.symlinkSync(target, p); return this.make(p); } catch (e) { return hostErr(e); }
  }
  override link(name: string, target: Inode): void {
    this.writable();
    if (!(target instanceof HostInode)) kerr(EINVAL);
    try { fs.linkSync(target.hostPath, this.child(name)); } catch (e) { hostErr(e); }
  }
  override unlink(name: string): void {
    this.writable();
    try {
      const p = this.child(name);
      if (fs.lstatSync(p).isDirectory()) kerr(21); // EISDIR
      fs.unlinkSync(p);
    } catch (e) { hostErr(e); }
  }
  override rmdir(name: string): void {
    this.writable();
    try { fs.rmdirSync(this.child(name)); } catch (e) { hostErr(e); }
  }
  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    this.writable();
    if (!(newDir instanceof HostInode) || newDir.sb !== this.sb || flags !== 0) kerr(EINVAL);
    try { fs.renameSync(this.child(oldName), newDir.child(newName)); } catch (e) { hostErr(e); }
  }
  override readdir(): DirEntry[] {
    try {
      const self = fs.lstatSync(this.hostPath, { bigint: true });
      const out: DirEntry[] = [{ name: ".", ino: Number(self.ino), type: dtype(S_IFDIR) }, { name: "..", ino: Number(self.ino), type: dtype(S_IFDIR) }];
      for (const name of fs.readdirSync(this.hostPath)) {
        try {
          const st = fs.lstatSync(join(this.hostPath, name), { bigint: true });
          out.push({ name, ino: Number(st.ino), type: dtype(Number(st.mode)) });
        } catch { /* vanished meanwhile */ }
      }
      return out;
    } catch (e) { return hostErr(e); }
  }
  override readlink(): string {
    if ((this.mode & S_IFMT) !== S_IFLNK) kerr(EINVAL);
    try { return fs.readlinkSync(this.hostPath); } catch (e) { return hostErr(e); }
  }

  private hostFd(write: boolean): number {
    if (this.fd >= 0 && (this.fdWritable || !write)) return this.fd;
    if (this.fd >= 0) fs.closeSync(this.fd);
    const flags = (write ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | fs.constants.O_NOFOLLOW;
    this.fd = fs.openSync(this.hostPath, flags);
    this.fdWritable = write;
    return this.fd;
  }

  override read(off: number, dst: Uint8Array): number {
    if ((this.mode & S_IFMT) !== S_IFREG) return super.read(off, dst);
    try { return fs.readSync(this.hostFd(false), dst, 0, dst.length, off); } catch (e) { return hostErr(e); }
  }
  override write(off: number, src: Uint8Array): number {
    this.writable();
    try {
      const n = fs.writeSync(this.hostFd(true), src, 0, src.length, off);
      this.sizeBytes = Math.max(this.sizeBytes, off + n);
      this.touchMtime();
      return n;
    } catch (e) { return hostErr(e); }
  }
  override truncate(size: number): void {
    this.writable();
    try { fs.ftruncateSync(this.hostFd(true), size); this.sizeBytes = size; this.touchMtime(); } catch (e) { hostErr(e); }
  }
  override setMode(mode: number): void {
    this.writable();
    try { fs.chmodSync(this.hostPath, mode & 0o7777); this.revalidate(); } catch (e) { hostErr(e); }
  }
  override setTimes(atime: Timespec | null, mtime: Timespec | null): void {
    this.writable();
    try {
      const a = atime ?? this.atime, m = mtime ?? this.mtime;
      fs.lutimesSync(this.hostPath, a.sec + a.nsec / 1e9, m.sec + m.nsec / 1e9);
      this.revalidate();
    } catch (e) { hostErr(e); }
  }
  override openOps(f: File): FileOps | null {
    const t = this.mode & S_IFMT;
    if (t === S_IFREG || t === S_IFDIR || t === S_IFLNK) return null;
    return openDevice(this, f);
  }
}

export function makeHostfs(hostDir: string, readOnly: boolean): HostInode {
  const sb = new HostSuperBlock(hostDir, readOnly);
  const st = fs.statSync(hostDir, { bigint: true });
  if (!st.isDirectory()) throw new Error(`hostfs: ${hostDir} is not a directory`);
  return new HostInode(sb, hostDir, st);
}
