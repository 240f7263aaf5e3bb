// Inodes and superblocks: the objects every filesystem provides. An inode's
// operations throw KernelError with Linux's errno when they do not apply
// (ENOTDIR for directory operations on a file, EINVAL, EPERM…).

import { kerr } from "../lib/errors.js";
import { EINVAL, ENOTDIR, EPERM, EISDIR, EROFS } from "../abi/errno.js";
import type { File, FileOps } from "./file.js";
import type { IoIter } from "../mm/uio.js";
import { KernelLocal } from "../kernel/local.js";
import { runningKernel } from "../kernel/running.js";
import { NSEC_PER_SEC } from "../kernel/time/clock.js";

import { S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO } from "../abi/fcntl.js";
export { S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO };

export const isDir = (mode: number) => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number) => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number) => (mode & S_IFMT) === S_IFLNK;

// d_type values for getdents64
// The umask a creation in dir applies (Linux's mode_strip_umask with
// posix_acl_create): none under a default ACL, which masks the mode itself.
export function umaskIn(dir: Inode, umask: number): number { return dir.hasDefaultAcl() ? 0 : umask; }

export function dtype(mode: number): number { return (mode & S_IFMT) >>> 12; }

export interface Timespec { sec: number; nsec: number }

// Linux's current_time(): inodes are stamped with the running kernel's
// CLOCK_REALTIME (virtual time under the virtual clock); the host's when no
// kernel runs (a filesystem built before any kernel).
export function currentTime(): Timespec {
  const k = runningKernel();
  const ns = k ? k.clock.realtime() : Date.now() * 1e6;
  const sec = Math.floor(ns / NSEC_PER_SEC);
  return { sec, nsec: ns - sec * NSEC_PER_SEC };
}

// CLOCK_REALTIME's seconds as the kernel last read them (at most a run slice
// old), without reading the clock: for relatime's day-old test.
export function recentSeconds(): number {
  const k = runningKernel();
  return Math.floor((k ? k.clock.realtimeLast() : Date.now() * 1e6) / NSEC_PER_SEC);
}

// Credentials are the kernel's (kernel/cred.ts); the inode operations take them.
export { CAP_FULL, type Cred, type TaskCred } from "../kernel/cred.js";
import type { Cred } from "../kernel/cred.js";

export interface DirEntry { name: string; ino: number; type: number }

// Device numbers of filesystems without a device (Linux's get_anon_bdev) and
// mount ids, counted per kernel: two kernels in one process share nothing and
// number their filesystems alike.
class FsCounters { dev = 0; mount = 0; }
const FS_COUNTERS = new KernelLocal("fs counters", () => new FsCounters());
// Filesystems built where no kernel runs (unit tests) count on their own.
let noKernel: FsCounters | null = null;
export function fsCounters(): FsCounters {
  const k = runningKernel();
  return k ? k.local(FS_COUNTERS) : (noKernel ??= new FsCounters());
}

// What Dentry.child tells a filesystem's dentry cache: a dentry it now
// caches (false: not cached, memory is spent), one it no longer does, one
// found again (referenced: the shrinker gives it a second chance).
export interface DentryLru {
  add(d: object): boolean;
  forget(d: object): void;
}

export class SuperBlock {
  readonly dev: number;
  protected ro: boolean;
  constructor(public fsType: string, public magic: number, readOnly = false, dev?: number) {
    this.dev = dev ?? ++fsCounters().dev;
    this.ro = readOnly;
  }
  get readOnly(): boolean { return this.ro; }
  // fsconfig's FSCONFIG_CMD_RECONFIGURE with "ro" or "rw" (SB_RDONLY).
  reconfigureReadOnly(ro: boolean): void { this.ro = ro; }
  blockSize = 4096;
  // Regular files take RWF_NOWAIT (Linux's FMODE_NOWAIT: set by disk
  // filesystems such as ext4; tmpfs, ramfs, procfs and sysfs files lack it).
  nowaitFiles = false;
  // A tree the kernel built (sysfs, as kernfs): no names come or go (EPERM)
  // and no file is opened for writing (EACCES), root included.
  sealed = false;
  // Names appear and vanish without the VFS seeing it (procfs): never cache lookups.
  volatileNames = false;
  // Whether a cached name still names the inode it did (filesystems whose
  // directories change behind the VFS's back, like a host directory, check).
  nameValid(_dir: Inode, _name: string, _cached: Inode): boolean { return true; }
  // A bounded cache of this filesystem's dentries (hostfs: names read from
  // a host directory), charged to guest RAM and shrunk under pressure;
  // null: dentries live as long as their names (tmpfs, where the name is
  // the file).
  dcache: DentryLru | null = null;
  // The last mount of this instance went away (Linux's kill_sb): a
  // filesystem on a device writes back what it holds and lets it go.
  kill(): void { /* nothing held */ }
  // Open files on this instance (any mount of it, attached or lazily
  // detached): an instance whose last mount went while files were open
  // lives on until the last of them closes (Linux's active superblock
  // reference held by each open file's mount), then afterLastClose runs.
  openFiles = 0;
  afterLastClose: (() => void) | null = null;
  // fsync, syncfs and sync: a filesystem holding changes in memory (a
  // journal's running transaction) writes them out.
  syncFs(): void { /* nothing held */ }
  // mount -o remount with options (size=, nr_inodes=…): a filesystem that has
  // some overrides; the others ignore them, as Linux's without reconfigure.
  remount(_opts: Map<string, string>, _ramBytes: number): void { /* no options of its own */ }
  // statfs figures; filesystems with real limits override.
  // bavail (default bfree) and fsid (default the device number) where the filesystem has its own.
  statfs(): { blocks: number; bfree: number; bavail?: number; files: number; ffree: number; namelen: number; fsid?: [number, number] } {
    return { blocks: 0, bfree: 0, files: 0, ffree: 0, namelen: 255 };
  }
}

export abstract class Inode {
  // write() copies the bytes it takes and keeps no view of them (tmpfs
  // into its frames): read/write may pass a reused buffer (FileOps.copiesWrites).
  copiesWrites = false;
  abstract readonly sb: SuperBlock;
  abstract ino: number;
  mode = 0;
  uid = 0;
  gid = 0;
  nlink = 1;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime: Timespec;
  // A directory that was removed (rmdir, or renamed over): nothing may be created in it.
  dead = false;
  // Open file descriptions of this inode; lastClose runs when the last goes.
  openFiles = 0;
  // Of those, the ones open for writing (Linux's i_writecount): execve refuses such a file (ETXTBSY).
  writers = 0;
  // Address spaces running this file as their executable (Linux's negative i_writecount): open for writing is ETXTBSY.
  denyWrite = 0;
  // Open files that read only (Linux's i_readcount: write leases need the holder to be the only opener).
  readOnlyOpens = 0;
  // Set while pages of this file are in a page cache (shared mappings).
  pageCache: {
    writeBack(key: object): number;
    sync(key: object): number; // writeBack, and a writeback error not yet reported (fsync)
    updateFromWrite(key: object, off: number, data: Uint8Array): void;
    truncated(key: object, size: number): void;
    invalidate(key: object): void; // the file changed where the cache could not see (a host directory's)
  } | null = null;

  constructor() {
    const t = currentTime();
    this.atime = t; this.mtime = t; this.ctime = t; this.btime = t;
  }

  get size(): number { return 0; }
  lastClose(): void { /* nothing kept for open files */ }
  // Re-reads attributes kept elsewhere (a host file another process may change).
  revalidate(): void { /* attributes live here */ }
  get blocks(): number { return Math.ceil(this.size / 512); }

  // Directory operations.
  lookup(_name: string): Inode | null { return kerr(ENOTDIR); }
  create(_name: string, _mode: number, _cred: Cred): Inode { return kerr(ENOTDIR); }
  mkdir(_name: string, _mode: number, _cred: Cred): Inode { return kerr(ENOTDIR); }
  mknod(_name: string, _mode: number, _rdev: number, _cred: Cred): Inode { return kerr(ENOTDIR); }
  symlink(_name: string, _target: string, _cred: Cred): Inode { return kerr(ENOTDIR); }
  link(_name: string, _target: Inode): void { kerr(ENOTDIR); }
  unlink(_name: string): void { kerr(ENOTDIR); }
  rmdir(_name: string): void { kerr(ENOTDIR); }
  // cred: whose whiteout RENAME_WHITEOUT makes (the filesystem makes it
  // before anything moves, so a rename that cannot have one fails whole).
  rename(_oldName: string, _newDir: Inode, _newName: string, _flags: number, _cred?: Cred): void { kerr(ENOTDIR); }
  readdir(): DirEntry[] { return kerr(ENOTDIR); }

  readlink(): string { return kerr(EINVAL); }

  // Regular file data.
  read(_off: number, _dst: Uint8Array): number { return kerr(isDir(this.mode) ? EISDIR : EINVAL); }
  write(_off: number, _src: Uint8Array): number { return kerr(isDir(this.mode) ? EISDIR : EINVAL); }
  // read and write straight to or from the user's pages (mm/uio.ts IoIter),
  // where the file's data is in memory (tmpfs); unset: through read/write.
  readIter?(off: number, dst: IoIter): number;
  writeIter?(off: number, src: IoIter): number;
  truncate(_size: number): void { kerr(isDir(this.mode) ? EISDIR : EINVAL); }
  // The page cache writing back what shared mappings stored (not a write(2):
  // a memfd's write seals, checked when the mapping was made, do not apply).
  writeFromCache(off: number, src: Uint8Array): number { return this.write(off, src); }
  // fallocate(2) by the filesystem itself (ext4: every mode it has); false
  // leaves it to the VFS's generic one (sys_fsmeta.ts).
  fallocate(_mode: number, _off: number, _len: number): boolean { return false; }
  // A POSIX access ACL's verdict for a caller that does not own the inode
  // (acl_permission_check's check_acl), or null: no ACL, the mode decides.
  checkAcl(_want: number, _cred: Cred): boolean | null { return null; }
  // A directory with a default POSIX ACL: what it creates takes its bits
  // from that ACL instead of the umask (posix_acl_create).
  hasDefaultAcl(): boolean { return false; }
  // The filesystem's own refusals of an open (ext4's immutable and
  // append-only files: may_open's EPERM), after the permission checks.
  mayOpen(_flags: number): void { /* nothing of its own */ }
  // The FS_*_FL inode flags (chattr) the VFS itself enforces, Linux's
  // S_IMMUTABLE and S_APPEND: 0 where the filesystem keeps none in this form.
  inodeFlags(): number { return 0; }
  // Access the mode bits refused, granted anyway (procfs: a task's own
  // /proc/PID/fd is open to it whoever owns it, proc_fd_permission).
  permitsBeyondMode(_mask: number): boolean { return false; }
  // statx's attributes this filesystem reports, and the mask of those it
  // knows (the filesystem's getattr fills both; the VFS adds MOUNT_ROOT).
  statxAttributes(): { attrs: number; mask: number } { return { attrs: 0, mask: 0 }; }
  // truncate() and what the page cache holds of the file with it.
  setSize(size: number): void {
    this.truncate(size);
    this.pageCache?.truncated(this, size);
  }

  // Special files (devices, FIFOs, sockets) supply their own file operations.
  openOps(_file: File): FileOps | null { return null; }

  // Attribute changes; filesystems that store attributes elsewhere override.
  setMode(mode: number): void { this.checkWritable(); this.mode = (this.mode & S_IFMT) | (mode & 0o7777); this.touchCtime(); }
  setOwner(uid: number, gid: number): void {
    this.checkWritable();
    if (uid >= 0) this.uid = uid;
    if (gid >= 0) this.gid = gid;
    this.touchCtime();
  }
  setTimes(atime: Timespec | null, mtime: Timespec | null): void {
    this.checkWritable();
    if (atime) this.atime = atime;
    if (mtime) this.mtime = mtime;
    this.touchCtime();
  }

  checkWritable(): void {
    if (this.sb.readOnly) kerr(EROFS);
    if (this.sb.sealed) kerr(EPERM);
  }
  // sync_file_range(SYNC_FILE_RANGE_WRITE): the file's dirty data goes to
  // its disk now (filemap_fdatawrite_range; Ghost writes the whole file).
  writebackData(): void { this.pageCache?.writeBack(this); }
  // preadv2's RWF_NOWAIT: whether the page holding byte `off` is in memory
  // (filemap_read under IOCB_NOWAIT gives EAGAIN rather than read the disk).
  // Files that live in memory always are; a disk filesystem's page cache says.
  pageInMemory(_off: number): boolean { return true; }
  // A read's access time (atime.ts decided it is due); filesystems that
  // store inodes elsewhere write it back, hostfs leaves it to the host.
  touchAtime(now: Timespec): void { this.atime = now; }
  touchCtime(): void { this.ctime = currentTime(); }
  touchMtime(): void { const t = currentTime(); this.mtime = t; this.ctime = t; }

  // Extended attributes: none unless a filesystem stores them.
  getxattr(_name: string): Uint8Array | null { return null; }
  setxattr(_name: string, _value: Uint8Array, _flags: number): void { kerr(EPERM); }
  listxattr(): string[] { return []; }
  removexattr(_name: string): void { kerr(EPERM); }
}
