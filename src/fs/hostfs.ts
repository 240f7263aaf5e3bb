// hostfs: a directory of the host mounted into the guest. Every lookup is a
// single name joined to a host directory that was itself reached by lookups
// (never `..`, never a host symlink followed: links are shown to the guest as
// links and resolved in the guest's namespace), so nothing outside the
// mounted directory can be reached. A read-only mount refuses writes (EROFS).
//
// One HostInode per host inode (the superblock keeps them by host inode
// number while anything holds them), so hard links share one inode, an open
// FIFO is one pipe, and nlink stays true. An inode's host path is computed from
// its parent and name, which rename updates: a renamed directory's cached
// descendants follow it. A cached name is checked against the host on each
// walk (another host process may have changed the directory). A file that
// loses its last name while open (unlink, rename over it, O_TMPFILE) is moved
// to a hidden name in the mount's root (as NFS's "silly rename"), so that it
// stays readable, writable and linkable, and removed at its last close (or
// when Ghost exits); the guest never sees hidden names. What the host
// cannot express through Node is refused as a filesystem without the feature
// would: device nodes (EPERM), xattrs (EOPNOTSUPP), RENAME_WHITEOUT
// (EINVAL). RENAME_EXCHANGE is three host renames; timestamps with
// nanoseconds go through the host's touch(1) (Node passes a double, about a
// microsecond); FIFOs and sockets are made by mkfifo(1) and a short-lived
// host listener. Names are the kernel's byte
// strings (one char per byte) and go to the host as those bytes, so a name
// that is not UTF-8 survives the round trip.

import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import * as net from "node:net";
import { KernelError, kerr } from "../kernel/errors.js";
import { EIO, EROFS, EINVAL, EPERM, EEXIST, ENOENT, EISDIR, EOPNOTSUPP } from "../abi/errno.js";
import { RENAME_NOREPLACE, RENAME_EXCHANGE } from "../abi/fcntl.js";
import { Inode, SuperBlock, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFSOCK, dtype, type Cred, type DirEntry, type Timespec } from "./inode.js";
import type { File, FileOps } from "./file.js";
import { openDevice } from "../drivers/chrdev.js";

// Linux has no magic of its own for a host share; Ghost reports 9p's, the closest kind.
export const HOSTFS_MAGIC = 0x01021997;
// Names of open files that lost their last name, in the mount's root.
const HIDDEN_PREFIX = ".ghost-unlinked-";
const SLASH = Buffer.from("/");
const MAX_HOST_FDS = 256;

// A host descriptor of an inode; pinned: the only way left to the file (its
// names are gone and it could not be moved aside), never closed early.
interface HostHandle { fd: number; writable: boolean; pinned: boolean }

// A host path: a directory's path and a name (a kernel byte string).
function pathJoin(dir: Buffer, name: string): Buffer { return Buffer.concat([dir, SLASH, Buffer.from(name, "latin1")]); }

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
  root: HostInode | null = null;
  // Live inodes by host inode number.
  private readonly inodes = new Map<number, WeakRef<HostInode>>();
  // Host descriptors held for reads and writes, least recently used first;
  // past MAX_HOST_FDS the oldest is closed (reopened by path when needed).
  private readonly handles = new Map<HostHandle, true>();
  // Closes the host descriptor of an inode nothing references any more.
  private readonly closer = new FinalizationRegistry<HostHandle>((h) => {
    this.handles.delete(h);
    if (h.fd >= 0) try { fs.closeSync(h.fd); } catch { /* gone */ }
  });

  // h was just used: it becomes the most recent; the oldest unpinned ones close past the limit.
  touchHandle(h: HostHandle): void {
    this.handles.delete(h);
    this.handles.set(h, true);
    if (this.handles.size <= MAX_HOST_FDS) return;
    for (const old of this.handles.keys()) {
      if (this.handles.size <= MAX_HOST_FDS) break;
      if (old.pinned || old === h) continue;
      this.handles.delete(old);
      if (old.fd >= 0) try { fs.closeSync(old.fd); } catch { /* gone */ }
      old.fd = -1;
    }
  }
  readonly rootPath: Buffer;
  constructor(readonly hostRoot: string, readOnly: boolean) {
    super("hostfs", HOSTFS_MAGIC, readOnly);
    this.rootPath = Buffer.from(hostRoot);
  }
  override statfs() {
    try {
      const s = fs.statfsSync(this.hostRoot);
      return { blocks: s.blocks * s.bsize / 4096, bfree: s.bavail * s.bsize / 4096, files: s.files, ffree: s.ffree, namelen: 255 };
    } catch { return super.statfs(); }
  }

  // Names (in the root) of hidden files, removed when Ghost exits if still there.
  readonly hidden = new Set<string>();
  private hiddenSeq = 0;
  hiddenName(): string { return `${HIDDEN_PREFIX}${process.pid}-${++this.hiddenSeq}`; }
  private static exitHook = false;
  static readonly all = new Set<WeakRef<HostSuperBlock>>();
  registerCleanup(): void {
    HostSuperBlock.all.add(new WeakRef(this));
    if (HostSuperBlock.exitHook) return;
    HostSuperBlock.exitHook = true;
    process.on("exit", () => {
      for (const r of HostSuperBlock.all) {
        const sb = r.deref();
        for (const n of sb?.hidden ?? []) try { fs.unlinkSync(pathJoin(sb!.rootPath, n)); } catch { /* gone */ }
      }
    });
  }

  cached(ino: number): HostInode | undefined {
    const i = this.inodes.get(ino)?.deref();
    if (!i) this.inodes.delete(ino);
    return i;
  }

  // The inode for host file `name` in `parent` (null: the root) with status st.
  inode(parent: HostInode | null, name: string, st: fs.BigIntStats): HostInode {
    const ino = Number(st.ino);
    let i = this.cached(ino);
    // A cached inode of another type is a host inode number reused after its file went away.
    if (i && (i.mode & S_IFMT) !== (Number(st.mode) & S_IFMT)) { this.forget(i); i = undefined; }
    if (i) {
      i.parent = parent;
      i.name = name;
      i.refresh(st);
      return i;
    }
    i = new HostInode(this, parent, name, st);
    this.inodes.set(ino, new WeakRef(i));
    this.closer.register(i, i.handle);
    return i;
  }

  forget(i: HostInode): void {
    if (this.inodes.get(i.ino)?.deref() === i) this.inodes.delete(i.ino);
  }

  // A cached name still names the same host file: Dentry.child asks before using it.
  override nameValid(dir: Inode, name: string, cached: Inode): boolean {
    if (!(dir instanceof HostInode) || !(cached instanceof HostInode)) return true;
    try {
      const st = fs.lstatSync(pathJoin(dir.hostPath, name), { bigint: true });
      if (Number(st.ino) !== cached.ino || (Number(st.mode) & S_IFMT) !== (cached.mode & S_IFMT)) return false;
      cached.parent = dir;
      cached.name = name;
      cached.refresh(st);
      return true;
    } catch { return false; }
  }
}

export class HostInode extends Inode {
  ino = 0;
  private sizeBytes = 0;
  private blocks512 = 0;
  // The host descriptor reads and writes go through (opened on first use, and
  // before the last known name goes, so that open files outlive unlink).
  readonly handle: HostHandle = { fd: -1, writable: false, pinned: false };
  // Has no name left in the guest's view: lives under a hidden name in the root.
  hidden = false;
  constructor(readonly sb: HostSuperBlock, public parent: HostInode | null, public name: string, st: fs.BigIntStats) {
    super();
    this.refresh(st);
  }

  // The host path: the mount's directory for the root, else the parent's path
  // and the name; ENOENT once every name the inode was known by is gone.
  get hostPath(): Buffer {
    if (this.parent) return pathJoin(this.parent.hostPath, this.name);
    return this === this.sb.root ? this.sb.rootPath : kerr(ENOENT);
  }

  refresh(st: fs.BigIntStats): void {
    this.ino = Number(st.ino);
    this.mode = Number(st.mode);
    this.uid = Number(st.uid);
    this.gid = Number(st.gid);
    this.nlink = Math.max(0, Number(st.nlink) - (this.hidden ? 1 : 0));
    this.rdev = Number(st.rdev);
    this.sizeBytes = Number(st.size);
    this.blocks512 = Number(st.blocks);
    this.atime = ts(st.atimeNs);
    this.mtime = ts(st.mtimeNs);
    this.ctime = ts(st.ctimeNs);
    this.btime = ts(st.birthtimeNs);
  }

  // Re-reads attributes from the host (another process may have changed the file).
  override revalidate(): void {
    try {
      this.refresh(this.handle.fd >= 0 ? fs.fstatSync(this.handle.fd, { bigint: true }) : fs.lstatSync(this.hostPath, { bigint: true }));
    } catch { /* gone: keep the last view */ }
  }

  override get size(): number { return this.sizeBytes; }
  override get blocks(): number { return this.blocks512; }

  private child(name: string): Buffer {
    if (name.includes("/") || name === "." || name === ".." || name.includes("\0")) kerr(EINVAL);
    return pathJoin(this.hostPath, name);
  }

  // The inode of child `name`, which exists on the host.
  private make(name: string): HostInode {
    return this.sb.inode(this, name, fs.lstatSync(this.child(name), { bigint: true }));
  }

  override lookup(name: string): Inode | null {
    if ((this.mode & S_IFMT) !== S_IFDIR) return super.lookup(name);
    if (this === this.sb.root && name.startsWith(HIDDEN_PREFIX)) return null;
    try { return this.make(name); } catch (e) {
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
      return this.make(name);
    } catch (e) { return hostErr(e); }
  }
  // Regular files, FIFOs (made by the host's mkfifo(1): Node has no mkfifo)
  // and sockets; device nodes are refused (EPERM), as on a nodev share.
  override mknod(name: string, mode: number, _rdev: number, cred: Cred): Inode {
    const type = mode & S_IFMT;
    if (type === S_IFREG || type === 0) return this.create(name, mode, cred);
    this.writable();
    if (type === S_IFSOCK) return this.mksock(name, mode);
    if (type !== S_IFIFO) return kerr(EPERM);
    const p = this.child(name);
    if (fs.existsSync(p) || isSymlink(p)) kerr(EEXIST);
    // mkfifo(1) takes a string path: made under an ASCII name in the root, then moved.
    const tmp = this.sb.hiddenName();
    const r = spawnSync("mkfifo", ["-m", (mode & 0o7777).toString(8), "--", `${this.sb.hostRoot}/${tmp}`], { encoding: "utf8" });
    if (r.status !== 0) return kerr(EPERM);
    try { fs.renameSync(pathJoin(this.sb.rootPath, tmp), p); } catch (e) {
      try { fs.unlinkSync(pathJoin(this.sb.rootPath, tmp)); } catch { /* gone */ }
      return hostErr(e);
    }
    try { return this.make(name); } catch (e) { return hostErr(e); }
  }
  // A socket node (bind(2) of an AF_UNIX socket): the host socket file is made
  // by binding a host listener under a hidden name, which is moved into place
  // and then closed; the guest's socket lives in the kernel, keyed by inode.
  private mksock(name: string, mode: number): Inode {
    const p = this.child(name);
    if (fs.existsSync(p) || isSymlink(p)) kerr(EEXIST);
    const tmp = `${this.sb.hostRoot}/${this.sb.hiddenName()}`; // a host string: net.listen takes no Buffer
    const server = net.createServer();
    server.on("error", () => { /* reported below as EPERM */ });
    server.listen(tmp);
    try {
      if (!fs.existsSync(tmp)) return kerr(EPERM);
      fs.chmodSync(tmp, mode & 0o7777);
      fs.renameSync(tmp, p);
      return this.make(name);
    } catch (e) { return hostErr(e); } finally { server.close(); server.unref(); }
  }
  override mkdir(name: string, mode: number, _cred: Cred): Inode {
    this.writable();
    const p = this.child(name);
    try { fs.mkdirSync(p, { mode: mode & 0o7777 }); fs.chmodSync(p, mode & 0o7777); return this.make(name); } catch (e) { return hostErr(e); }
  }
  override symlink(name: string, target: string, _cred: Cred): Inode {
    this.writable();
    const p = this.child(name);
    try { fs.symlinkSync(Buffer.from(target, "latin1"), p); return this.make(name); } catch (e) { return hostErr(e); }
  }
  override link(name: string, target: Inode): void {
    this.writable();
    if (!(target instanceof HostInode) || target.sb !== this.sb) kerr(EINVAL);
    const p = this.child(name);
    try {
      if (target.hidden) {
        // Linking a file with no name (O_TMPFILE, or open and unlinked) gives its hidden name back.
        if (fs.existsSync(p) || isSymlink(p)) kerr(EEXIST);
        fs.renameSync(target.hostPath, p);
        this.sb.hidden.delete(target.name);
        target.hidden = false;
        target.parent = this;
        target.name = name;
      } else {
        fs.linkSync(target.hostPath, p);
      }
      target.revalidate();
    } catch (e) { hostErr(e); }
  }

  // Child `name` is about to go (unlink, or rename over it): if it is the last
  // name of a file that is open, the file moves to a hidden name instead
  // (moved: the name is gone then). inode: the live inode, if any.
  private detach(name: string): { inode?: HostInode; moved: boolean } {
    let st: fs.BigIntStats;
    try { st = fs.lstatSync(this.child(name), { bigint: true }); } catch { return { moved: false }; }
    const i = this.sb.cached(Number(st.ino));
    if (!i || i.openFiles === 0 || (i.mode & S_IFMT) !== S_IFREG || Number(st.nlink) !== 1 || !this.sb.root) return { inode: i, moved: false };
    const hiddenName = this.sb.hiddenName();
    try {
      fs.renameSync(this.child(name), pathJoin(this.sb.rootPath, hiddenName));
    } catch {
      i.keepOpen(); // another host filesystem under the mount: the descriptor has to do
      i.handle.pinned = i.handle.fd >= 0;
      return { inode: i, moved: false };
    }
    this.sb.hidden.add(hiddenName);
    i.hidden = true;
    i.parent = this.sb.root;
    i.name = hiddenName;
    i.revalidate();
    return { inode: i, moved: true };
  }
  // After a name went: the inode's link count, and its path if that was the name.
  private lost(i: HostInode | undefined, name: string): void {
    if (!i) return;
    i.nlink = Math.max(0, i.nlink - 1);
    i.revalidate();
    if (i.nlink === 0) this.sb.forget(i);
    if (i.parent === this && i.name === name) i.parent = null, i.name = "";
  }

  override lastClose(): void {
    if (!this.hidden) return;
    try {
      fs.unlinkSync(this.hostPath);
      this.sb.hidden.delete(this.name);
    } catch { /* gone already */ }
    this.hidden = false;
    this.parent = null;
    this.name = "";
    this.nlink = 0;
    this.sb.forget(this);
  }

  override unlink(name: string): void {
    this.writable();
    const p = this.child(name);
    try { if (fs.lstatSync(p).isDirectory()) kerr(EISDIR); } catch (e) { hostErr(e); }
    const d = this.detach(name);
    if (d.moved) return;
    try { fs.unlinkSync(p); } catch (e) { hostErr(e); }
    this.lost(d.inode, name);
  }
  override rmdir(name: string): void {
    this.writable();
    let i: HostInode | undefined;
    try { i = this.sb.cached(Number(fs.lstatSync(this.child(name), { bigint: true }).ino)); } catch { /* rmdir says */ }
    try { fs.rmdirSync(this.child(name)); } catch (e) { hostErr(e); }
    if (i) { i.nlink = 0; this.sb.forget(i); i.parent = null; i.name = ""; }
  }
  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    this.writable();
    if (!(newDir instanceof HostInode) || newDir.sb !== this.sb) kerr(EINVAL);
    if (flags === RENAME_EXCHANGE) return this.exchange(oldName, newDir, newName);
    if (flags & ~RENAME_NOREPLACE) kerr(EINVAL); // RENAME_WHITEOUT: not on this filesystem
    const from = this.child(oldName), to = newDir.child(newName);
    let st: fs.BigIntStats;
    try { st = fs.lstatSync(from, { bigint: true }); } catch (e) { return hostErr(e); }
    if (flags & RENAME_NOREPLACE && (fs.existsSync(to) || isSymlink(to))) kerr(EEXIST);
    const moving = this.sb.cached(Number(st.ino));
    let replaced: HostInode | undefined;
    if (!from.equals(to)) {
      let dst: fs.BigIntStats | undefined;
      try { dst = fs.lstatSync(to, { bigint: true }); } catch { /* no target */ }
      // Only a file replacing another may detach it first: the host checks the rest.
      if (dst && dst.ino !== st.ino && !dst.isDirectory() && !st.isDirectory()) {
        const d = newDir.detach(newName);
        if (!d.moved) replaced = d.inode;
      }
    }
    try { fs.renameSync(from, to); } catch (e) { hostErr(e); }
    if (replaced && replaced !== moving) newDir.lost(replaced, newName);
    if (moving) { moving.parent = newDir; moving.name = newName; moving.revalidate(); }
  }
  // RENAME_EXCHANGE as three host renames through a hidden name in the root:
  // atomic for the guest (the kernel runs one syscall at a time), not for
  // host processes looking at the directory meanwhile.
  private exchange(aName: string, bDir: HostInode, bName: string): void {
    const a = this.child(aName), b = bDir.child(bName);
    let sa: fs.BigIntStats, sb: fs.BigIntStats;
    try { sa = fs.lstatSync(a, { bigint: true }); sb = fs.lstatSync(b, { bigint: true }); } catch (e) { return hostErr(e); }
    if (a.equals(b)) return;
    const ia = this.sb.cached(Number(sa.ino)), ib = this.sb.cached(Number(sb.ino));
    const tmp = pathJoin(this.sb.rootPath, this.sb.hiddenName());
    try { fs.renameSync(a, tmp); } catch (e) { hostErr(e); }
    try { fs.renameSync(b, a); } catch (e) { fs.renameSync(tmp, a); hostErr(e); }
    try { fs.renameSync(tmp, b); } catch (e) { fs.renameSync(a, b); fs.renameSync(tmp, a); hostErr(e); }
    if (ia) { ia.parent = bDir; ia.name = bName; ia.revalidate(); }
    if (ib) { ib.parent = this; ib.name = aName; ib.revalidate(); }
  }

  // Not expressible through Node: a filesystem without xattr support.
  override getxattr(_name: string): Uint8Array | null { return kerr(EOPNOTSUPP); }
  override setxattr(_name: string, _value: Uint8Array, _flags: number): void { kerr(EOPNOTSUPP); }
  override listxattr(): string[] { return kerr(EOPNOTSUPP); }
  override removexattr(_name: string): void { kerr(EOPNOTSUPP); }
  override readdir(): DirEntry[] {
    try {
      const self = fs.lstatSync(this.hostPath, { bigint: true });
      const out: DirEntry[] = [{ name: ".", ino: Number(self.ino), type: dtype(S_IFDIR) }, { name: "..", ino: Number(self.ino), type: dtype(S_IFDIR) }];
      for (const raw of fs.readdirSync(this.hostPath, { encoding: "buffer" })) {
        const name = raw.toString("latin1");
        if (this === this.sb.root && name.startsWith(HIDDEN_PREFIX)) continue;
        try {
          const st = fs.lstatSync(pathJoin(this.hostPath, name), { bigint: true });
          out.push({ name, ino: Number(st.ino), type: dtype(Number(st.mode)) });
        } catch { /* vanished meanwhile */ }
      }
      return out;
    } catch (e) { return hostErr(e); }
  }
  override readlink(): string {
    if ((this.mode & S_IFMT) !== S_IFLNK) kerr(EINVAL);
    try { return fs.readlinkSync(this.hostPath, { encoding: "buffer" }).toString("latin1"); } catch (e) { return hostErr(e); }
  }

  private hostFd(write: boolean): number {
    const h = this.handle;
    if (h.fd >= 0 && (h.writable || !write)) { this.sb.touchHandle(h); return h.fd; }
    const flags = (write ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | fs.constants.O_NOFOLLOW;
    const fd = fs.openSync(this.hostPath, flags);
    if (h.fd >= 0) fs.closeSync(h.fd);
    h.fd = fd;
    h.writable = write;
    this.sb.touchHandle(h);
    return fd;
  }

  // Opens the host descriptor now, read-write if the host allows, else read-only.
  keepOpen(): void {
    try { this.hostFd(true); } catch { try { this.hostFd(false); } catch { /* unreadable: nothing to keep */ } }
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
  override setOwner(uid: number, gid: number): void {
    this.writable();
    try { fs.lchownSync(this.hostPath, uid, gid); this.revalidate(); } catch (e) { hostErr(e); }
  }
  override setTimes(atime: Timespec | null, mtime: Timespec | null): void {
    this.writable();
    try {
      const a = atime ?? this.atime, m = mtime ?? this.mtime;
      const p = this.hostPath;
      fs.lutimesSync(p, a.sec + a.nsec / 1e9, m.sec + m.nsec / 1e9);
      // Node passes times as a double of seconds, which keeps microseconds:
      // the host's touch(1) sets the nanoseconds when there are any.
      if (a.nsec % 1000 || m.nsec % 1000) {
        const path = p.toString("utf8");
        if (Buffer.from(path, "utf8").equals(p)) {
          for (const [flag, v] of [["-a", a], ["-m", m]] as const) {
            if (v.nsec % 1000 && v.sec >= 0) spawnSync("touch", ["-h", "-c", flag, "-d", `@${v.sec}.${String(v.nsec).padStart(9, "0")}`, "--", path]);
          }
        }
      }
      this.revalidate();
    } catch (e) { hostErr(e); }
  }
  override openOps(f: File): FileOps | null {
    const t = this.mode & S_IFMT;
    if (t === S_IFREG || t === S_IFDIR || t === S_IFLNK) return null;
    return openDevice(this, f);
  }
}

function isSymlink(p: Buffer): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

export function makeHostfs(hostDir: string, readOnly: boolean): HostInode {
  const sb = new HostSuperBlock(hostDir, readOnly);
  const st = fs.statSync(hostDir, { bigint: true });
  if (!st.isDirectory()) throw new Error(`hostfs: ${hostDir} is not a directory`);
  const root = sb.inode(null, "", st);
  sb.root = root;
  if (!readOnly) sb.registerCleanup();
  return root;
}
