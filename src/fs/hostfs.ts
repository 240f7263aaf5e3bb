// hostfs: a directory of the host mounted into the guest, as a sandbox: the
// guest reaches nothing on the host outside the mounted directory, and no
// host call Ghost makes for it follows a host symlink.
//
// Every host call is relative to a host directory descriptor (see
// hostfs/hostcalls.ts): the mount's root is opened once; each directory
// inode opens its own from its parent's descriptor and its name with
// O_DIRECTORY|O_NOFOLLOW (held under the bound on host descriptors, and
// reopened from the nearest open ancestor when it was closed), and the name
// given to each call is a single component that the call does not follow.
// So `..`, host symlinks and host paths never take part: links are shown to
// the guest as links and resolved in the guest's namespace, and a tree of
// any depth works (no host path is longer than /proc/self/fd/N/NAME). A
// read-only mount refuses writes (EROFS).
//
// One HostInode per host inode (the superblock keeps them by host inode
// number while anything holds them), so hard links share one inode, an open
// FIFO is one pipe, and nlink stays true. An inode knows its parent and name,
// which rename updates. A cached name is checked against the host on each
// walk (another host process may have changed the directory). A file that
// loses its last name while open (unlink, rename over it, O_TMPFILE) moves
// to the mount's hidden directory (hostfs/hidden.ts; as NFS's "silly
// rename"), so that it stays readable, writable and linkable, and is removed
// at its last close (or when Ghost exits).
//
// What the guest sees of owners and modes is Linux's, as on tmpfs, whatever
// the host user: a new file is the creator's (fsuid, fsgid, a set-group-ID
// directory's group: owner.ts), chown and set-id bits are kept, root may
// make device nodes; the host keeps plain files its user can use, and what
// they do not hold lives in the mount's metadata overlay (hostfs/meta.ts).
// Permission checks are the VFS's on that view, never the host's. What the
// host cannot express through Node is refused as a filesystem without the
// feature would: RENAME_WHITEOUT (EINVAL).
// RENAME_EXCHANGE is three host renames; timestamps with nanoseconds go
// through the host's touch(1) (Node passes a double, about a microsecond);
// FIFOs and sockets are made by mkfifo(1) and a short-lived host listener in
// a private directory. Names are the kernel's byte strings (one char per
// byte) and go to the host as those bytes, so a name that is not UTF-8
// survives the round trip.

import * as fs from "node:fs";
import { KernelError, kerr } from "../lib/errors.js";
import { EIO, EROFS, EINVAL, EPERM, EEXIST, ENOENT, EISDIR, ENOTDIR, EOPNOTSUPP, ESTALE } from "../abi/errno.js";
import { RENAME_NOREPLACE, RENAME_EXCHANGE } from "../abi/fcntl.js";
import { Inode, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, dtype, type Cred, type DirEntry, type Timespec } from "./inode.js";
import type { File, FileOps } from "./file.js";
import { openDevice } from "./char_dev.js";
import { HIDDEN_PREFIX, HOST_O_PATH, at, chmodAt, lstatAt, mkfifoAt, mksockAt, moveNew, openPath, touchNs } from "./hostfs/hostcalls.js";
import { sweep } from "./hostfs/hidden.js";
import type { GuestMeta } from "./hostfs/meta.js";
import { xattrSet, xattrRemove } from "./hostfs/xattr.js";
import { newOwner } from "./owner.js";
import { HostSuperBlock, ts, type HostHandle } from "./hostfs/super.js";
import { hostObserved } from "../kernel/running.js";

export { HOSTFS_MAGIC, HostSuperBlock } from "./hostfs/super.js";

const { O_RDONLY, O_RDWR, O_NOFOLLOW, O_NONBLOCK, O_CREAT, O_EXCL, O_WRONLY, O_DIRECTORY, O_NOATIME } = fs.constants;

// Opens a host file with O_NOATIME when the host allows it (its owner, or
// CAP_FOWNER; EPERM otherwise): a read through it leaves the host's atime,
// which the guest's reads then set only as atime.ts decides (touchAtime).
function openNoatime(path: fs.PathLike, flags: number): number {
  try { return fs.openSync(path, flags | O_NOATIME); } catch (e) {
    if ((e as { code?: string }).code !== "EPERM") throw e;
    return fs.openSync(path, flags);
  }
}
const atimeScratch = new Uint8Array(1);

// A host call's failure as the guest's errno (a Node error carries -errno).
function hostErr(e: unknown): never {
  if (e instanceof KernelError) throw e;
  const errno = (e as { errno?: number }).errno;
  if (typeof errno === "number" && errno < 0) throw new KernelError(-errno);
  throw new KernelError(EIO, String(e));
}

function unchanged(was: fs.BigIntStats, st: fs.BigIntStats): boolean {
  return was.ctimeNs === st.ctimeNs && was.ino === st.ino && was.dev === st.dev && was.mtimeNs === st.mtimeNs &&
    was.size === st.size && was.birthtimeNs === st.birthtimeNs;
}

export class HostInode extends Inode {
  ino = 0;
  private sizeBytes = 0;
  private blocks512 = 0;
  // The host descriptor: a directory's (O_PATH), or the one reads and writes
  // go through (opened on first use, and before the last known name goes, so
  // that open files outlive unlink).
  readonly handle: HostHandle = { fd: -1, writable: false, pinned: false, busy: 0 };
  // Has no name left in the guest's view: lives in the mount's hidden directory under `name`.
  hidden = false;
  // The host file's status when last read (its device and number key the metadata overlay).
  private hostSt: fs.BigIntStats | null = null;
  // The host epoch in which a cached name of it (checkedAs in checkedIn) was
  // last found unchanged on the host (super.ts nameValid).
  checkedEpoch = -1;
  checkedIn: HostInode | null = null;
  checkedAs = "";
  constructor(readonly sb: HostSuperBlock, public parent: HostInode | null, public name: string, st: fs.BigIntStats) {
    super();
    this.refresh(st);
  }

  // The inode is now known as `name` in `parent`. A directory's descriptor
  // stays valid (it follows the directory wherever it goes).
  moved(parent: HostInode | null, name: string): void {
    this.parent = parent;
    this.name = name;
  }

  // The host directory the inode's name is in: its parent's descriptor, or
  // the hidden directory's; ENOENT once every name it was known by is gone.
  private whereFd(): number {
    if (this.hidden) return this.sb.hidden.dirFd();
    if (this.parent) return this.parent.dirFd();
    return kerr(ENOENT);
  }
  private get isRoot(): boolean { return this === this.sb.root; }

  // A directory's host descriptor (O_PATH|O_DIRECTORY), reopened from the
  // nearest ancestor whose descriptor is open, one name at a time, each
  // checked to be the same directory (another host process may have moved it).
  dirFd(): number {
    if ((this.mode & S_IFMT) !== S_IFDIR) kerr(ENOTDIR);
    const chain: HostInode[] = [];
    let i: HostInode = this;
    while (i.handle.fd < 0) {
      if (!i.parent) kerr(ENOENT); // a removed directory (the root's is always open)
      chain.push(i);
      i = i.parent;
    }
    this.sb.touchHandle(i.handle);
    let fd = i.handle.fd;
    for (let k = chain.length - 1; k >= 0; k--) {
      const c = chain[k];
      try { fd = openPath(fd, c.name, true, c.ino); } catch (e) { return hostErr(e); }
      c.handle.fd = fd;
      this.sb.touchHandle(c.handle);
    }
    return fd;
  }

  // A lookup or a cached name's check found st for this inode: when the
  // host file's status is the one last read (ctime, which any change of
  // the inode moves, mtime, size; read and access times aside), the
  // guest's view stands and only the access time is taken. Ghost's own
  // changes to its view (the overlay: record) refresh in full. As NFS's
  // attribute revalidation, a change the host makes within one tick of its
  // coarse clock with the same size is not seen.
  revalidatedBy(st: fs.BigIntStats): void {
    const was = this.hostSt;
    if (was && unchanged(was, st)) {
      this.hostSt = st;
      if (was.atimeNs !== st.atimeNs) this.atime = ts(st.atimeNs);
      return;
    }
    this.refresh(st);
  }
  // st is the host file last read, unchanged (see revalidatedBy).
  sameAsLast(st: fs.BigIntStats): boolean { return this.hostSt !== null && unchanged(this.hostSt, st); }

  refresh(st: fs.BigIntStats): void {
    const was = this.hostSt;
    this.hostSt = st;
    // The host file changed since Ghost last looked (its data, size or
    // inode times): cached pages of the old contents must not be served.
    if (was && this.pageCache && (was.mtimeNs !== st.mtimeNs || was.ctimeNs !== st.ctimeNs || was.size !== st.size)) {
      this.pageCache.invalidate(this);
    }
    this.ino = Number(st.ino);
    const g = this.sb.meta.view(st);
    this.mode = g.mode;
    this.uid = g.uid;
    this.gid = g.gid;
    // A hidden file's hidden name, and the hidden directory's `..` in the root, are not the guest's links.
    const own = this.hidden || (this.isRoot && this.sb.hidden.exists) ? 1 : 0;
    this.nlink = Math.max(0, Number(st.nlink) - own);
    // A host filesystem that does not count subdirectories in a directory's
    // links (btrfs, some network ones report 1): counted here, for Linux
    // shows 2 + subdirectories (hostfs's own entries are not the guest's).
    if ((g.mode & S_IFMT) === S_IFDIR && Number(st.nlink) < 2) this.nlink = 2 + this.subdirs();
    this.rdev = g.rdev;
    this.sizeBytes = Number(st.size);
    this.blocks512 = Number(st.blocks);
    this.atime = ts(st.atimeNs);
    this.mtime = ts(st.mtimeNs);
    this.ctime = ts(st.ctimeNs);
    this.btime = ts(st.birthtimeNs);
  }

  // The host file's status now.
  private hostStat(): fs.BigIntStats {
    hostObserved();
    if (this.handle.fd >= 0) return fs.fstatSync(this.handle.fd, { bigint: true });
    return this.isRoot ? fs.fstatSync(this.sb.rootFd, { bigint: true }) : lstatAt(this.whereFd(), this.name);
  }

  // The directory's subdirectories on the host, but for hostfs's own entries.
  private subdirs(): number {
    try {
      let n = 0;
      for (const e of fs.readdirSync(at(this.dirFd()), { withFileTypes: true, encoding: "buffer" })) {
        if (e.isDirectory() && !this.reserved(e.name.toString("latin1"))) n++;
      }
      return n;
    } catch { return 0; }
  }

  // Re-reads attributes from the host (another process may have changed the file).
  override revalidate(): void {
    try { this.refresh(this.hostStat()); } catch { /* gone: keep the last view */ }
  }

  // The guest's view of the inode is now `want` (kept in the overlay where the host file differs).
  private record(want: GuestMeta): void {
    const st = this.hostStat();
    this.sb.meta.set(st, want);
    this.refresh(st);
  }

  override get size(): number { return this.sizeBytes; }
  override get blocks(): number { return this.blocks512; }

  // A name the guest gives: one component.
  private checkName(name: string): void {
    if (name.includes("/") || name === "." || name === ".." || name === "" || name.includes("\0")) kerr(EINVAL);
  }
  // Names of hostfs's own hidden entries in the root: no such file for the guest.
  private reserved(name: string): boolean { return this.isRoot && name.startsWith(HIDDEN_PREFIX); }
  // A name the guest wants to create: a reserved one is refused.
  private newName(name: string): void {
    this.checkName(name);
    if (this.reserved(name)) kerr(EPERM, `hostfs: names starting with ${HIDDEN_PREFIX} are reserved in a mount's root`);
  }
  // A name the guest wants to act on: a reserved one does not exist.
  private oldName(name: string): void {
    this.checkName(name);
    if (this.reserved(name)) kerr(ENOENT);
  }

  // The inode of child `name`, which exists on the host.
  private make(name: string): HostInode {
    return this.sb.inode(this, name, lstatAt(this.dirFd(), name));
  }
  // The inode of child `name`, just made by the guest: its owner and mode are
  // the guest's (Linux's inode_init_owner, owner.ts), whatever the host file's.
  private made(name: string, o: { uid: number; gid: number; mode: number }, rdev = 0): HostInode {
    const st = lstatAt(this.dirFd(), name);
    this.sb.meta.set(st, { mode: o.mode, uid: o.uid, gid: o.gid, rdev });
    return this.sb.inode(this, name, st);
  }

  override lookup(name: string): Inode | null {
    if ((this.mode & S_IFMT) !== S_IFDIR) return super.lookup(name);
    this.checkName(name);
    if (this.reserved(name)) return null;
    try { return this.make(name); } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return null;
      return hostErr(e);
    }
  }

  private writable(): void { if (this.sb.readOnly) kerr(EROFS); }

  override create(name: string, mode: number, cred: Cred): Inode {
    this.writable();
    this.newName(name);
    const o = newOwner(this, S_IFREG | (mode & 0o7777), cred);
    try {
      const fd = fs.openSync(at(this.dirFd(), name), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
      // The guest's umask was applied already; the host's must not be.
      try { fs.fchmodSync(fd, this.sb.hostPerm(o.mode)); } finally { fs.closeSync(fd); }
      return this.made(name, o);
    } catch (e) { return hostErr(e); }
  }
  // Regular files, FIFOs and sockets are made on the host; a device node is a
  // placeholder file there and a node in the overlay (hostfs/meta.ts).
  override mknod(name: string, mode: number, rdev: number, cred: Cred): Inode {
    const type = mode & S_IFMT;
    if (type === S_IFREG || type === 0) return this.create(name, mode, cred);
    this.writable();
    this.newName(name);
    if (type !== S_IFIFO && type !== S_IFSOCK && type !== S_IFCHR && type !== S_IFBLK) return kerr(EINVAL);
    const o = newOwner(this, mode, cred);
    const perm = this.sb.hostPerm(o.mode);
    // A socket node is what bind(2) of an AF_UNIX socket leaves: the guest's
    // socket lives in the kernel, keyed by inode.
    try {
      const dirFd = this.dirFd();
      if (type === S_IFIFO) mkfifoAt(dirFd, name, perm);
      else if (type === S_IFSOCK) mksockAt(dirFd, name, perm);
      else {
        const fd = fs.openSync(at(dirFd, name), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
        try { fs.fchmodSync(fd, perm); } finally { fs.closeSync(fd); }
      }
      return this.made(name, o, type === S_IFCHR || type === S_IFBLK ? rdev : 0);
    } catch (e) { return hostErr(e); }
  }
  override mkdir(name: string, mode: number, cred: Cred): Inode {
    this.writable();
    this.newName(name);
    const o = newOwner(this, S_IFDIR | (mode & 0o7777), cred);
    try {
      const fd = this.dirFd();
      fs.mkdirSync(at(fd, name), { mode: 0o700 });
      chmodAt(fd, name, this.sb.hostPerm(o.mode));
      return this.made(name, o);
    } catch (e) { return hostErr(e); }
  }
  override symlink(name: string, target: string, cred: Cred): Inode {
    this.writable();
    this.newName(name);
    const o = newOwner(this, S_IFLNK | 0o777, cred);
    try { fs.symlinkSync(Buffer.from(target, "latin1"), at(this.dirFd(), name)); return this.made(name, o); } catch (e) { return hostErr(e); }
  }
  override link(name: string, target: Inode): void {
    this.writable();
    this.newName(name);
    if (!(target instanceof HostInode) || target.sb !== this.sb) kerr(EINVAL);
    try {
      if (target.hidden) {
        // Linking a file with no name (O_TMPFILE, or open and unlinked) gives its hidden name back.
        const hiddenName = target.name;
        moveNew(this.sb.hidden.dirFd(), hiddenName, this.dirFd(), name);
        target.hidden = false;
        target.moved(this, name);
        this.sb.hidden.remove(hiddenName);
      } else {
        if (!target.parent) kerr(ENOENT);
        // link(2) never follows the old name's symlink, nor the new name.
        this.sb.withDirs([target.parent, this], ([from, to]) => fs.linkSync(at(from, target.name), at(to, name)));
      }
      target.revalidate();
    } catch (e) { hostErr(e); }
  }

  // Child `name` is about to go (unlink, or rename over it): if it is the last
  // name of a file that is open, the file moves to the hidden directory
  // instead (moved: the name is gone then). inode: the live inode, if any.
  private detach(name: string): { inode?: HostInode; moved: boolean } {
    let st: fs.BigIntStats;
    try { st = lstatAt(this.dirFd(), name); } catch { return { moved: false }; }
    const i = this.sb.cached(Number(st.ino));
    if (!i || i.openFiles === 0 || (i.mode & S_IFMT) !== S_IFREG) return { inode: i, moved: false };
    if (Number(st.nlink) !== 1) {
      // Other host names remain, but not one Ghost knows if this was it: the descriptor is the way left.
      if (i.parent === this && i.name === name) { i.keepOpen(); i.handle.pinned = i.handle.fd >= 0; }
      return { inode: i, moved: false };
    }
    const hiddenName = this.sb.hidden.newName();
    try {
      const hiddenFd = this.sb.hidden.dirFd();
      fs.renameSync(at(this.dirFd(), name), at(hiddenFd, hiddenName));
    } catch {
      i.keepOpen(); // another host filesystem under the mount: the descriptor has to do
      i.handle.pinned = i.handle.fd >= 0;
      return { inode: i, moved: false };
    }
    this.sb.hidden.files.add(hiddenName);
    i.hidden = true;
    i.moved(null, hiddenName);
    i.revalidate();
    return { inode: i, moved: true };
  }
  // After a name went: the inode's link count, and its place if that was the name.
  private lost(i: HostInode | undefined, name: string): void {
    if (!i) return;
    i.nlink = Math.max(0, i.nlink - 1);
    i.revalidate();
    if (i.nlink === 0) this.sb.forget(i);
    if (i.parent === this && i.name === name) i.moved(null, "");
  }

  override lastClose(): void {
    if (!this.hidden) return;
    // The descriptor stays (a shared mapping may still write back through it).
    this.sb.hidden.remove(this.name);
    if (this.hostSt) this.sb.meta.forget(this.hostSt);
    this.hidden = false;
    this.moved(null, "");
    this.nlink = 0;
    this.sb.forget(this);
  }

  override unlink(name: string): void {
    this.writable();
    this.oldName(name);
    let st: fs.BigIntStats;
    try { st = lstatAt(this.dirFd(), name); } catch (e) { return hostErr(e); }
    if (st.isDirectory()) kerr(EISDIR);
    const d = this.detach(name);
    if (d.moved) return;
    try { fs.unlinkSync(at(this.dirFd(), name)); } catch (e) { hostErr(e); }
    if (Number(st.nlink) <= 1) this.sb.meta.forget(st);
    this.lost(d.inode, name);
  }
  override rmdir(name: string): void {
    this.writable();
    this.oldName(name);
    let i: HostInode | undefined;
    let st: fs.BigIntStats | undefined;
    try { st = lstatAt(this.dirFd(), name); i = this.sb.cached(Number(st.ino)); } catch { /* rmdir says */ }
    try { fs.rmdirSync(at(this.dirFd(), name)); } catch (e) { hostErr(e); }
    if (st) this.sb.meta.forget(st);
    if (i) {
      i.nlink = 0;
      this.sb.forget(i);
      i.moved(null, "");
      if (i.handle.fd >= 0) { try { fs.closeSync(i.handle.fd); } catch { /* closed */ } i.handle.fd = -1; }
    }
  }
  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    this.writable();
    if (!(newDir instanceof HostInode) || newDir.sb !== this.sb) kerr(EINVAL);
    this.oldName(oldName);
    newDir.newName(newName);
    if (flags === RENAME_EXCHANGE) return this.exchange(oldName, newDir, newName);
    if (flags & ~RENAME_NOREPLACE) kerr(EINVAL); // RENAME_WHITEOUT: not on this filesystem
    let st: fs.BigIntStats;
    try { st = lstatAt(this.dirFd(), oldName); } catch (e) { return hostErr(e); }
    const same = this === newDir && oldName === newName;
    let dst: fs.BigIntStats | undefined;
    try { dst = lstatAt(newDir.dirFd(), newName); } catch { /* no target */ }
    if (flags & RENAME_NOREPLACE && dst) kerr(EEXIST);
    const moving = this.sb.cached(Number(st.ino));
    let replaced: HostInode | undefined;
    let kept = false;
    // Only a file replacing another may detach it first: the host checks the rest.
    if (!same && dst && dst.ino !== st.ino && !dst.isDirectory() && !st.isDirectory()) {
      const d = newDir.detach(newName);
      if (!d.moved) replaced = d.inode;
      kept = d.moved;
    }
    try {
      this.sb.withDirs([this, newDir], ([from, to]) => fs.renameSync(at(from, oldName), at(to, newName)));
    } catch (e) { hostErr(e); }
    // The replaced file lost its last name: its overlay entry goes too.
    if (!same && dst && dst.ino !== st.ino && !kept && (dst.isDirectory() || Number(dst.nlink) <= 1)) this.sb.meta.forget(dst);
    if (replaced && replaced !== moving) newDir.lost(replaced, newName);
    if (moving) { moving.moved(newDir, newName); moving.revalidate(); }
  }
  // RENAME_EXCHANGE as three host renames through the hidden directory:
  // atomic for the guest (the kernel runs one syscall at a time), not for
  // host processes looking at the directory meanwhile.
  private exchange(aName: string, bDir: HostInode, bName: string): void {
    let sa: fs.BigIntStats, sb: fs.BigIntStats;
    try { sa = lstatAt(this.dirFd(), aName); sb = lstatAt(bDir.dirFd(), bName); } catch (e) { return hostErr(e); }
    if (this === bDir && aName === bName) return;
    const ia = this.sb.cached(Number(sa.ino)), ib = this.sb.cached(Number(sb.ino));
    const tmpName = this.sb.hidden.newName();
    this.sb.withDirs([this, bDir], ([aFd, bFd]) => {
      const tmpFd = this.sb.hidden.dirFd();
      this.sb.hidden.files.add(tmpName);
      const a = at(aFd, aName), b = at(bFd, bName), tmp = at(tmpFd, tmpName);
      try {
        try { fs.renameSync(a, tmp); } catch (e) { hostErr(e); }
        try { fs.renameSync(b, a); } catch (e) { fs.renameSync(tmp, a); hostErr(e); }
        try { fs.renameSync(tmp, b); } catch (e) { fs.renameSync(a, b); fs.renameSync(tmp, a); hostErr(e); }
      } finally { this.sb.hidden.files.delete(tmpName); }
    });
    if (ia) { ia.moved(bDir, bName); ia.revalidate(); }
    if (ib) { ib.moved(this, aName); ib.revalidate(); }
  }

  // Extended attributes: Node cannot reach the host's, so the guest's live in
  // the mount's overlay (hostfs/meta.ts), with tmpfs's rules (hostfs/xattr.ts).
  override getxattr(name: string): Uint8Array | null { return this.sb.meta.xattrs(this.hostStat())?.get(name) ?? null; }
  override setxattr(name: string, value: Uint8Array, flags: number): void {
    this.writable();
    const st = this.hostStat();
    this.sb.meta.setXattrs(st, xattrSet(this.sb.meta.xattrs(st), this.mode, name, value, flags));
  }
  override listxattr(): string[] { return [...(this.sb.meta.xattrs(this.hostStat())?.keys() ?? [])]; }
  override removexattr(name: string): void {
    this.writable();
    const st = this.hostStat();
    this.sb.meta.setXattrs(st, xattrRemove(this.sb.meta.xattrs(st), name));
  }
  override readdir(): DirEntry[] {
    try {
      const fd = this.dirFd();
      const self = fs.fstatSync(fd, { bigint: true });
      const out: DirEntry[] = [{ name: ".", ino: Number(self.ino), type: dtype(S_IFDIR) }, { name: "..", ino: Number(self.ino), type: dtype(S_IFDIR) }];
      // Opening /proc/self/fd/N reads the directory N holds (readdir needs a readable descriptor).
      for (const raw of fs.readdirSync(at(fd), { encoding: "buffer" })) {
        const name = raw.toString("latin1");
        if (this.reserved(name)) continue;
        try {
          const st = lstatAt(fd, name);
          out.push({ name, ino: Number(st.ino), type: dtype(this.sb.meta.view(st).mode) });
        } catch { /* vanished meanwhile */ }
      }
      return out;
    } catch (e) { return hostErr(e); }
  }
  override readlink(): string {
    if ((this.mode & S_IFMT) !== S_IFLNK) kerr(EINVAL);
    try { return fs.readlinkSync(at(this.whereFd(), this.name), { encoding: "buffer" }).toString("latin1"); } catch (e) { return hostErr(e); }
  }

  // A regular file's descriptor for reads and writes, reopened by its name
  // when it was closed (O_NOFOLLOW; O_NONBLOCK: a FIFO put there meanwhile
  // must not block Ghost; O_NOATIME: only a read the guest's rules say
  // touches the atime does, so an O_NOATIME open leaves it), and checked to be the same file.
  private hostFd(write: boolean): number {
    const h = this.handle;
    if (h.fd >= 0 && (h.writable || !write)) { this.sb.touchHandle(h); return h.fd; }
    const flags = (write ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK;
    const fd = openNoatime(at(this.whereFd(), this.name), flags);
    const st = fs.fstatSync(fd, { bigint: true });
    if (Number(st.ino) !== this.ino || !st.isFile()) { fs.closeSync(fd); kerr(ESTALE); }
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
    hostObserved();
    try { return fs.readSync(this.hostFd(false), dst, 0, dst.length, off); } catch (e) { return hostErr(e); }
  }
  override write(off: number, src: Uint8Array): number {
    this.writable();
    if ((this.mode & S_IFMT) !== S_IFREG) return super.write(off, src);
    try {
      const n = fs.writeSync(this.hostFd(true), src, 0, src.length, off);
      this.sizeBytes = Math.max(this.sizeBytes, off + n);
      this.touchMtime();
      return n;
    } catch (e) { return hostErr(e); }
  }
  override truncate(size: number): void {
    this.writable();
    if ((this.mode & S_IFMT) !== S_IFREG) return super.truncate(size);
    try { fs.ftruncateSync(this.hostFd(true), size); this.sizeBytes = size; this.touchMtime(); } catch (e) { hostErr(e); }
  }
  // chmod of the inode itself, never of what a symlink names (as fchmodat
  // with AT_SYMLINK_NOFOLLOW: EOPNOTSUPP for a symlink). The host file gets
  // what it may hold (SuperBlock.hostPerm); a file the host user cannot
  // chmod (another host user's) keeps its host mode: the overlay has the guest's.
  override setMode(mode: number): void {
    this.writable();
    const type = this.mode & S_IFMT;
    if (type === S_IFLNK) kerr(EOPNOTSUPP);
    const want: GuestMeta = { mode: type | (mode & 0o7777), uid: this.uid, gid: this.gid, rdev: this.rdev };
    try {
      const perm = this.sb.hostPerm(want.mode);
      try {
        if (this.isRoot) fs.chmodSync(at(this.sb.rootFd), perm);
        else chmodAt(this.whereFd(), this.name, perm, this.ino);
      } catch (e) { if ((e as { code?: string }).code !== "EPERM") throw e; }
      this.record(want);
    } catch (e) { hostErr(e); }
  }
  // The guest's owner lives in the overlay; the host file stays the host user's.
  // As chown(2) of a regular file, the set-user-ID and set-group-ID bits go.
  override setOwner(uid: number, gid: number): void {
    this.writable();
    const want: GuestMeta = { mode: this.mode, uid: uid >= 0 ? uid : this.uid, gid: gid >= 0 ? gid : this.gid, rdev: this.rdev };
    // (the set-id bits chown takes are the VFS's to clear: chownKilledBits)
    try { this.record(want); } catch (e) { hostErr(e); }
  }
  // A guest read whose atime is due (atime.ts: not O_NOATIME, the guest
  // mount's rules): a one-byte read through a descriptor without O_NOATIME
  // lets the host set it by its own mount's rules, leaving the ctime (which
  // setting it with utimes would change). Directories: the host's readdir does.
  // The guest's view takes the atime the host then has, or now when the host
  // kept none (a noatime host mount): else every later read of this file
  // would find the atime still due and go to the host again.
  override touchAtime(now: Timespec): void {
    if ((this.mode & S_IFMT) !== S_IFREG) return;
    try {
      const fd = fs.openSync(at(this.whereFd(), this.name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        if (Number(fs.fstatSync(fd, { bigint: true }).ino) !== this.ino) return;
        fs.readSync(fd, atimeScratch, 0, 1, 0);
        const after = fs.fstatSync(fd, { bigint: true });
        const was = this.atime;
        this.atime = ts(after.atimeNs);
        if (this.atime.sec === was.sec && this.atime.nsec === was.nsec) this.atime = now;
      } finally { fs.closeSync(fd); }
    } catch { /* gone or unreadable: no atime to set */ }
  }
  override setTimes(atime: Timespec | null, mtime: Timespec | null): void {
    this.writable();
    try {
      const a = atime ?? this.atime, m = mtime ?? this.mtime;
      // The root through its own descriptor (the magic link is followed to
      // it); anything else by its name, not followed.
      const dirFd = this.isRoot ? this.sb.rootFd : this.whereFd();
      const name = this.isRoot ? undefined : this.name;
      if (name === undefined) fs.utimesSync(at(dirFd), a.sec + a.nsec / 1e9, m.sec + m.nsec / 1e9);
      else fs.lutimesSync(at(dirFd, name), a.sec + a.nsec / 1e9, m.sec + m.nsec / 1e9);
      // Node passes times as a double of seconds, which keeps microseconds:
      // the host's touch(1) sets the nanoseconds when there are any.
      for (const [flag, v] of [["-a", a], ["-m", m]] as const) {
        if (v.nsec % 1000 && v.sec >= 0) touchNs(dirFd, name, flag, v.sec, v.nsec);
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

export function makeHostfs(hostDir: string, readOnly: boolean): HostInode {
  // The mount's own directory is the one path taken as the user gave it.
  if (!fs.existsSync("/proc/self/fd")) throw new Error("hostfs: needs a Linux host with /proc mounted");
  let rootFd: number;
  try { rootFd = fs.openSync(hostDir, HOST_O_PATH | O_DIRECTORY); } catch {
    throw new Error(`hostfs: ${hostDir} is not a directory`);
  }
  const sb = new HostSuperBlock(hostDir, readOnly, rootFd, (s, p, n, st) => new HostInode(s, p, n, st));
  const root = sb.inode(null, "", fs.fstatSync(rootFd, { bigint: true }));
  root.handle.fd = rootFd;
  root.handle.pinned = true;
  sb.root = root;
  if (!readOnly) sweep(rootFd);
  return root;
}
