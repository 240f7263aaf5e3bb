// tmpfs: files, directories and links held in memory. The default root, /tmp
// and /dev (with device nodes) are tmpfs instances.

import { kerr, KernelError } from "../lib/errors.js";
import { EEXIST, ENOENT, ENOTEMPTY, EISDIR, ENOTDIR, EFBIG, ENOSPC, EINVAL, EPERM, ENOMEM, EIO, ENXIO } from "../abi/errno.js";
import { kernelMem, kernelFrames } from "./kmem.js";
import { heapFrames, type FrameBacked, type FramePool } from "../mm/frames.js";
import { ArrayIter, type IoIter } from "../mm/uio.js";
import { PhysAllocator } from "../mm/phys.js";
import { cleanPagesOf, type CleanHolder, type CleanPages } from "./tmpfs_clean.js";
import {
  Inode, S_IFDIR, S_IFREG, S_IFMT, S_IFLNK, S_IFCHR, isDir, dtype, type Cred, type DirEntry,
} from "./inode.js";
import type { File, FileOps } from "./file.js";
import { newOwner } from "./owner.js";
import { openDevice } from "./char_dev.js";
import { TMPFS_FL_INHERITED, FL_NO_CHANGE } from "./tmpfs_attr.js";
import { FS_IMMUTABLE_FL } from "../abi/fs_blk.js";
import { RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT } from "../abi/fcntl.js";
import { TmpInode, TmpSuperBlock, TMPFS_MAGIC } from "./tmpfs_super.js";

export { TmpSuperBlock, TMPFS_MAGIC };

const MAX_FILE = 2 ** 40;
const PAGE = 4096;
const READ_AHEAD = 16; // pages read from a lazy file's source at a time
const WHOLE_FILE_PAGES = 2048; // lazy files up to 8 MiB are read in whole at first use
const READ_CHUNK = 64; // pages of a whole-file read taken from the source at a time

// The bytes of a lazy read on their way to guest frames, one buffer for all
// of them (reads are synchronous): a new buffer each time was a megabyte of
// fresh host pages for every large file read in (a boot reads busybox,
// 1.6 MB), each page a fault of ~15 us of CPU on a loaded machine.
// (A read begun while one is in progress, were reclaim ever to read,
// gets its own buffer.)
let scratch = new Uint8Array(0);
let scratchBusy = false;

// A regular file's data is sparse, as shmem's: pages that were never
// written (a hole left by ftruncate or a write past the end) hold nothing and
// read as zeros, so growing a file to 8 GiB costs no host memory; only
// written pages are charged against size=. Written pages are page frames of
// guest RAM (mm/frames.ts), as shmem pages are page-cache pages on Linux:
// one pool with anonymous memory, and what a shared mapping of the file maps.
export class TmpFile extends TmpInode implements FrameBacked, CleanHolder {
  override copiesWrites = true; // into its frames
  private pages = new Map<number, number>(); // page index -> frame
  // Pages fallocate made and nothing has written yet: shmem's falloc folios,
  // not up to date, which read as zeros and are holes to SEEK_DATA until a
  // write (or a fault of a mapping) makes them data.
  private unwritten: Set<number> | null = null;
  private length = 0;
  private readonly pool: FramePool = kernelFrames() ?? heapFrames;
  constructor(sb: TmpSuperBlock, mode: number, cred: Cred | null) { super(sb, S_IFREG | (mode & 0o7777), cred); }
  override get size(): number { return this.length; }
  override get blocks(): number { return this.src ? Math.ceil(this.length / PAGE) * (PAGE / 512) : (this.pages.size * PAGE) / 512; }

  // Contents not read in yet: a root filesystem filled from a host directory
  // or a cpio archive gives each page its bytes on first use (in chunks of
  // READ_AHEAD pages), so a start does not read every file of a large root,
  // and a root larger than RAM can be used as far as the guest reads it.
  // Pages read from the source and not written since are clean: like page
  // cache over a disk they cost guest RAM but not room in the filesystem
  // (size=), so reading a root file never fails for want of room in a
  // filesystem the guest has filled, and a tree larger than size= is whole.
  // A write to a clean page charges it against size= (ENOSPC past it). With
  // guest RAM spent a read is ENOMEM and the file stays as it was, to be read
  // in by a later access (nothing is cut). Under memory pressure clean pages
  // nothing else holds are dropped and read again when next used
  // (tmpfs_clean.ts), so the guest can read more of the root than RAM holds.
  private src: ((off: number, dst: Uint8Array) => number) | null = null;
  private srcPages = 0; // pages [0, srcPages) not yet in `pages` come from src
  private clean: Set<number> | null = null; // pages read from src and not written: not charged to size=
  private cleanList: CleanPages | null = null; // the shrinker that may drop them
  private reading = false; // reading from src now: its clean pages stay
  setLazyContents(size: number, read: (off: number, dst: Uint8Array) => number): void {
    this.setContents(new Uint8Array(0));
    this.length = size;
    this.src = read;
    this.srcPages = Math.ceil(size / PAGE);
    this.clean = new Set();
    if (this.pool instanceof PhysAllocator) this.cleanList = cleanPagesOf(this.pool);
  }
  // The source is gone (the file was reshaped, replaced or freed): no page
  // can be read again from it, so none may be dropped.
  private dropSource(): void {
    this.src = null;
    this.srcPages = 0;
    this.cleanList?.forget(this);
    this.cleanList = null;
  }
  // CleanHolder: up to max clean pages that only this file holds go back to
  // guest RAM; pages [0, srcPages) missing from `pages` are read in again.
  dropClean(max: number): number {
    if (!this.src || !this.clean || this.reading || !(this.pool instanceof PhysAllocator)) return 0;
    let n = 0;
    for (const i of this.clean) {
      if (n >= max) break;
      const pa = this.pages.get(i)!;
      if (this.pool.refCount(pa) !== 1) continue; // mapped, or lent to the page cache
      this.clean.delete(i);
      this.pages.delete(i);
      this.pool.release(pa, "shmem");
      n++;
    }
    if (this.clean.size === 0) this.cleanList?.forget(this);
    return n;
  }
  // Reads page i from the source into a fresh clean frame, with what follows
  // it (up to READ_AHEAD pages not yet in), or the whole file.
  private readIn(i: number, whole: boolean): void {
    // A small file, or one being mapped (a program, a library), comes in
    // whole, as an eager copy had it: its pages are there before memory runs
    // short, and a program running from it does not fault its text in one
    // page at a time.
    // Reclaim while frames are taken spares this file's clean pages
    // (reading): those just read are about to be used.
    this.reading = true;
    this.cleanList?.touch(this);
    try {
      if (whole || this.srcPages <= WHOLE_FILE_PAGES) {
        for (let j = 0; j < this.srcPages;) j = this.pages.has(j) ? j + 1 : this.readRange(j, j + READ_CHUNK);
      } else this.readRange(i, i + READ_AHEAD);
    } finally {
      this.reading = false;
    }
  }
  // Reads pages [i, limit) from the source, stopping at one already in;
  // returns where it stopped. ENOMEM if not even page i could be had.
  private readRange(i: number, limit: number): number {
    let end = i + 1;
    while (end < this.srcPages && end < limit && !this.pages.has(end)) end++;
    const own = scratchBusy;
    if (!own && scratch.length < (end - i) * PAGE) scratch = new Uint8Array(Math.max(READ_CHUNK, end - i) * PAGE);
    const buf = own ? new Uint8Array((end - i) * PAGE) : scratch.subarray(0, (end - i) * PAGE); // only its first `got` bytes are used
    scratchBusy = true;
    try {
      return this.fillFrom(buf, i, end);
    } finally {
      if (!own) scratchBusy = false;
    }
  }
  private fillFrom(buf: Uint8Array, i: number, end: number): number {
    let got: number;
    try { got = this.src!(i * PAGE, buf); } catch { kerr(EIO); } // the host's file went away
    // The size stays the one stat has shown: a host file changed since reads short as zeros.
    for (let j = i; j < end; j++) {
      const pa = this.pool.take("shmem", true, true); // may push older clean pages out
      if (pa === null) { if (j === i) kerr(ENOMEM); return j; }
      const from = (j - i) * PAGE;
      if (from < got) this.pool.view(pa).set(buf.subarray(from, Math.min(got, from + PAGE)));
      this.pages.set(j, pa);
      this.clean!.add(j);
    }
    return end;
  }
  // The frame of page i for reading, if the page has one (read in from the source if it comes from there).
  private peek(i: number, whole = false): number | undefined {
    const pa = this.pages.get(i);
    if (pa !== undefined || !this.src || i >= this.srcPages) return pa;
    this.readIn(i, whole);
    return this.pages.get(i) ?? kerr(ENOMEM);
  }
  // Every page read in and charged: for the operations that reshape the file
  // (truncate, fallocate, hole punching, wholesale replacement) the source goes.
  private materialize(): void {
    if (!this.src) return;
    let need = 0;
    for (let i = 0; i < this.srcPages; i++) if (!this.pages.has(i) || this.clean!.has(i)) need++;
    if (this.charged && this.sb.bytesUsed + need * PAGE > this.sb.maxBytes) kerr(ENOSPC);
    for (let i = 0; i < this.srcPages; i++) this.peek(i);
    if (this.charged) this.sb.bytesUsed += this.clean!.size * PAGE;
    this.clean = null;
    this.dropSource();
  }

  // The frame of page i, made (and charged: ENOSPC past size=, ENOMEM when
  // guest RAM is spent) if it is a hole. overwrite: the caller writes every
  // byte of the page at once, so a new frame need not be zeroed first.
  private page(i: number, overwrite = false): number {
    let pa = this.peek(i);
    if (pa !== undefined && !this.clean?.has(i)) return pa;
    if (this.charged && this.sb.bytesUsed + PAGE > this.sb.maxBytes) kerr(ENOSPC);
    if (pa === undefined) {
      const got = this.pool.take("shmem", !overwrite);
      if (got === null) kerr(ENOMEM);
      pa = got;
      this.pages.set(i, pa);
    } else this.clean!.delete(i); // a clean page written: it counts from now on
    if (this.charged) this.sb.bytesUsed += PAGE;
    return pa;
  }
  private dropPage(i: number): void {
    const pa = this.pages.get(i);
    if (pa === undefined) return;
    this.unwritten?.delete(i);
    this.pages.delete(i);
    this.pool.release(pa, "shmem");
    if (this.clean?.delete(i)) return;
    if (this.charged) this.sb.bytesUsed -= PAGE;
  }
  // No name and no open file: size= gets the pages back at once; the frames
  // go now, or once no mapping can fault them in any more (a memfd mapped
  // and closed lives on in its mappings, as Linux's file stays referenced
  // by the VMA).
  protected override release(): void {
    if (this.charged) this.sb.bytesUsed -= (this.pages.size - (this.clean?.size ?? 0)) * PAGE;
    this.dropSource();
    this.clean = null;
    this.charged = false;
    if (this.pool instanceof PhysAllocator) this.pool.releaseWhenUnmapped({ key: this, releaseFrames: () => this.releaseFrames() });
    else this.releaseFrames();
  }
  private releaseFrames(): void {
    for (const pa of this.pages.values()) this.pool.release(pa, "shmem");
    this.pages.clear();
    this.framesGone = true;
  }
  private charged = true; // false once released: the pages no longer count against size=
  private framesGone = false; // the frames went: nothing can reach the data again

  // FrameBacked: a shared mapping maps the file's own frames (a hole inside
  // the file gets one, as shmem_fault allocates it).
  frameFor(index: number, pool: FramePool): number | null {
    if (pool !== this.pool || index * PAGE >= this.length) return null;
    // A clean page is mapped as it is: a store through a shared mapping
    // makes it dirty without charging it to size= (the fault path does not
    // tell a write from a read here).
    let have: number | undefined;
    try { have = this.peek(index, true); } catch (e) { if (e instanceof KernelError) return null; throw e; }
    // shmem_fault: a fallocated page a mapping reaches is zeroed and up to date.
    this.unwritten?.delete(index);
    if (have !== undefined || this.framesGone) return have ?? null;
    // Past size= or out of memory: the cache keeps a copy of its own, and the fault decides.
    try { return this.page(index); } catch (e) { if (e instanceof KernelError) return null; throw e; }
  }
  ownsFrame(index: number, pa: number): boolean { return this.pages.get(index) === pa; }
  // A clean page written through a shared mapping is the file's data now:
  // it is never dropped for its source's bytes again, and counts against
  // size= (past it if need be: the store cannot fail, as a store to an
  // existing shmem page cannot on Linux, and the page is in RAM already).
  frameDirtied(index: number): void {
    if (this.clean?.delete(index) && this.charged) this.sb.bytesUsed += PAGE;
  }

  override read(off: number, dst: Uint8Array): number { return this.readIter(off, new ArrayIter(dst)); }
  override write(off: number, src: Uint8Array): number { return this.writeFrames(off, new ArrayIter(src)); }

  // Straight between the frames and dst (the user's pages for read(2)).
  override readIter(off: number, dst: IoIter): number {
    if (off >= this.length) return 0;
    const n = Math.min(dst.length, this.length - off);
    for (let done = 0; done < n;) {
      const at = off + done, i = Math.floor(at / PAGE), o = at % PAGE;
      const k = Math.min(n - done, PAGE - o);
      let pa: number | undefined;
      // Memory spent part-way: what was read is the result; nothing read is the error.
      try { pa = this.peek(i); } catch (e) { if (done === 0) throw e; return done; }
      if (pa !== undefined) dst.toIter(done, this.pool.view(pa), o, k);
      else dst.zeroIter(done, k);
      done += k;
    }
    return n;
  }

  // Straight from src (the user's pages for write(2)) into the frames. A
  // subclass that checks writes (memfd's seals) overrides write and writeIter.
  override writeIter(off: number, src: IoIter): number { return this.writeFrames(off, src); }
  protected writeFrames(off: number, src: IoIter): number {
    this.checkWritable();
    if (src.length === 0) return 0;
    if (this.framesGone) return src.length; // a late writeback of a file gone for good
    if (off + src.length > MAX_FILE) kerr(EFBIG);
    let done = 0;
    while (done < src.length) {
      const at = off + done, o = at % PAGE;
      const k = Math.min(src.length - done, PAGE - o);
      let pa: number;
      // Out of room part-way: what was written stays and counts (a short
      // write, as generic_perform_write); nothing written is the error.
      const i = Math.floor(at / PAGE);
      // A hole (not one to read in from the source) gets a frame that is not zeroed when the write covers it.
      const fresh = k === PAGE && !this.pages.has(i) && !(this.src && i < this.srcPages);
      try { pa = this.page(i, k === PAGE); } catch (e) { if (done === 0) throw e; break; }
      const view = this.pool.view(pa);
      try {
        src.fromIter(done, view, o, k);
      } catch (e) {
        // The user's page went under the copy (the caller checked it): a
        // frame taken without zeroing shows no old bytes; what was written stands.
        if (fresh) this.pool.view(pa).fill(0); // (a fault in the copy may have grown the memory: a view anew)
        if (done === 0) throw e;
        break;
      }
      this.unwritten?.delete(i); // fallocate's page holds data now (SEEK_DATA)
      done += k;
    }
    this.length = Math.max(this.length, off + done);
    this.touchMtime();
    return done;
  }

  override truncate(size: number): void {
    this.checkWritable();
    if (size < 0) kerr(EINVAL);
    if (size > MAX_FILE) kerr(EFBIG);
    if (size === 0) this.dropSource(); // O_TRUNC of a root file: nothing to read in
    this.materialize();
    if (size < this.length) {
      // Shrinking gives the pages past the new end back and zeroes the tail of the last one.
      const keep = Math.ceil(size / PAGE);
      for (const i of [...this.pages.keys()]) if (i >= keep) this.dropPage(i);
      const last = this.pages.get(keep - 1);
      if (size % PAGE && last !== undefined) this.pool.view(last).fill(0, size % PAGE);
    }
    this.length = size;
    this.touchMtime();
  }

  // fallocate: as shmem_fallocate, the pages of [off, off+len) are charged
  // now, so a full filesystem says ENOSPC here rather than at a later write.
  // Only a filesystem with a size= limit needs them made: without one no
  // write can fail, and a hole reads the same zeros without host memory.
  allocate(off: number, len: number): void {
    this.checkWritable();
    if (off + len > MAX_FILE) kerr(EFBIG);
    this.materialize();
    if (this.sb.maxBytes === Infinity) return;
    const first = Math.floor(off / PAGE), end = Math.ceil((off + len) / PAGE);
    let missing = 0;
    for (let i = first; i < end; i++) if (!this.pages.has(i)) missing++;
    if (this.charged && this.sb.bytesUsed + missing * PAGE > this.sb.maxBytes) kerr(ENOSPC);
    if (this.charged && this.pool.mem && !this.pool.mem.fits(missing * PAGE)) kerr(ENOMEM);
    for (let i = first; i < end; i++) {
      if (this.pages.has(i)) continue;
      this.page(i);
      (this.unwritten ??= new Set()).add(i);
    }
  }

  // lseek SEEK_DATA / SEEK_HOLE, as Linux's shmem_file_llseek: a page the file
  // holds (or will read in from its source) is data, a missing one a hole;
  // the end of the file is a hole. No data at or after off is ENXIO.
  // A page fallocate made and nothing wrote is a hole, as a folio not up to
  // date is to mapping_seek_hole_data.
  seekHoleData(off: number, data: boolean): number {
    const size = this.length;
    if (off < 0 || off >= size) kerr(ENXIO);
    const held = (i: number) => (this.pages.has(i) && !this.unwritten?.has(i)) || (i < this.srcPages && this.src !== null);
    let i = Math.floor(off / PAGE);
    if (data) {
      // the first held page at or after i: a scan of what is held, not of the range
      let first = i < this.srcPages && this.src !== null ? i : Infinity;
      for (const j of this.pages.keys()) if (j >= i && j < first && !this.unwritten?.has(j)) first = j;
      if (first * PAGE >= size) kerr(ENXIO);
      return Math.max(off, first * PAGE);
    }
    while (held(i) && i * PAGE < size) i++;
    return Math.min(Math.max(off, i * PAGE), size);
  }

  // FALLOC_FL_PUNCH_HOLE over [off, end): whole pages go back, partial ones are zeroed.
  punchHole(off: number, end: number): void {
    this.checkWritable();
    this.materialize();
    for (const [i, pa] of [...this.pages]) {
      const ps = i * PAGE, pe = ps + PAGE;
      if (pe <= off || ps >= end) continue;
      if (ps >= off && pe <= end) this.dropPage(i);
      else this.pool.view(pa).fill(0, Math.max(off - ps, 0), Math.min(end - ps, PAGE));
    }
  }

  // Replaces the contents wholesale (used when a root filesystem is populated).
  setContents(bytes: Uint8Array): void {
    for (const i of [...this.pages.keys()]) this.dropPage(i);
    this.dropSource();
    this.clean = null;
    this.length = 0;
    this.write(0, bytes);
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
  private readonly own = new Map<string, Inode>();
  // A directory of a root read from a host directory (boot.ts populate) is
  // filled the first time anything looks into it, as a disk filesystem reads
  // a directory's blocks on first lookup: starting Debian's python3 on a
  // 560 MB root used to stat every file of the tree first (~390 ms).
  private fill: ((d: TmpDir) => void) | null = null;
  private filling = false;
  parent: TmpDir;
  constructor(sb: TmpSuperBlock, mode: number, cred: Cred | null, parent?: TmpDir) {
    super(sb, S_IFDIR | (mode & 0o7777), cred);
    this.parent = parent ?? this;
    this.nlink = 2;
  }
  override get size(): number { return 4096; }

  // The directory's names (filled first if still lazy).
  get entries(): Map<string, Inode> {
    if (this.fill) this.fillNow();
    return this.own;
  }
  // Lazy contents: fill(d) creates the entries when first needed; until then
  // the link count is the source's (2 + subdirectories where the host keeps
  // it so, as ext4 and tmpfs do; 1, "unknown" to find(1), where it does not).
  setLazyEntries(nlink: number, fill: (d: TmpDir) => void): void {
    this.fill = fill;
    this.nlink = nlink;
  }
  private fillNow(): void {
    const fill = this.fill!;
    this.fill = null;
    const { mtime, ctime } = this;
    this.filling = true;
    try {
      fill(this);
    } catch (e) {
      // Memory or inodes spent part-way (ENOMEM, ENOSPC), or the source
      // unreadable (EIO): the caller gets the error, the next look tries
      // again and adds what is still missing (fill skips names present).
      this.fill = fill;
      throw e;
    } finally {
      this.filling = false;
      // Reading a directory in changes nothing a program can see: its times
      // stay, and its link count is 2 + the subdirectories it holds.
      this.mtime = mtime;
      this.ctime = ctime;
      let subdirs = 0;
      for (const i of this.own.values()) if (i instanceof TmpDir) subdirs++;
      if (!this.fill) this.nlink = 2 + subdirs;
    }
  }

  override lookup(name: string): Inode | null { return this.entries.get(name) ?? null; }

  private add(name: string, inode: Inode): Inode {
    if (!this.filling) this.checkWritable();
    if (this.entries.has(name)) kerr(EEXIST);
    this.mayCreate();
    this.entries.set(name, inode);
    if (!this.filling) this.touchMtime();
    return inode;
  }

  // may_create: inode_permission(dir, MAY_WRITE) is EPERM on an immutable directory.
  private mayCreate(): void {
    if (this.fsflags & FS_IMMUTABLE_FL) kerr(EPERM);
  }
  // may_delete: no name leaves an immutable or append-only directory, and
  // no immutable or append-only inode loses a name.
  private mayDelete(i: Inode): void {
    if ((this.fsflags | i.inodeFlags()) & FL_NO_CHANGE) kerr(EPERM);
  }

  // A new inode's owner and mode as Linux's inode_init_owner (set-group-ID
  // directories); its NODUMP/NOATIME from this directory (shmem_get_inode).
  private owned<T extends TmpInode>(i: T, cred: Cred): T {
    i.fsflags = this.fsflags & TMPFS_FL_INHERITED;
    const o = newOwner(this, i.mode, cred);
    i.uid = o.uid;
    i.gid = o.gid;
    i.mode = o.mode;
    return i;
  }
  override create(name: string, mode: number, cred: Cred): Inode {
    return this.add(name, this.owned(new TmpFile(this.sb, mode, cred), cred));
  }
  override mkdir(name: string, mode: number, cred: Cred): Inode {
    const d = this.owned(new TmpDir(this.sb, mode, cred, this), cred);
    this.add(name, d);
    this.nlink++;
    return d;
  }
  override mknod(name: string, mode: number, rdev: number, cred: Cred): Inode {
    if ((mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0) return this.create(name, mode, cred);
    return this.add(name, this.owned(new TmpSpecial(this.sb, mode, rdev, cred), cred));
  }
  override symlink(name: string, target: string, cred: Cred): Inode {
    return this.add(name, this.owned(new TmpSymlink(this.sb, target, cred), cred));
  }
  override link(name: string, target: Inode): void {
    if (target.inodeFlags() & FL_NO_CHANGE) kerr(EPERM); // vfs_link
    this.add(name, target);
    target.nlink++;
    target.touchCtime();
  }
  override unlink(name: string): void {
    this.checkWritable();
    const i = this.entries.get(name);
    if (!i) kerr(ENOENT);
    this.mayDelete(i);
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
    this.mayDelete(i);
    if (!(i instanceof TmpDir)) kerr(ENOTDIR);
    if (i.entries.size) kerr(ENOTEMPTY);
    this.entries.delete(name);
    i.nlink = 0;
    this.nlink--;
    this.touchMtime();
    i.maybeFree();
  }
  override rename(oldName: string, newDir: Inode, newName: string, flags: number, cred?: Cred): void {
    this.checkWritable();
    if (!(newDir instanceof TmpDir) || newDir.sb !== this.sb) kerr(EINVAL);
    const src = this.entries.get(oldName);
    if (!src) kerr(ENOENT);
    const dst = newDir.entries.get(newName);
    // vfs_rename: may_delete of the source; of the target when there is one, else may_create.
    this.mayDelete(src);
    if (dst) newDir.mayDelete(dst);
    else newDir.mayCreate();
    if (flags & RENAME_EXCHANGE) {
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
      if (flags & RENAME_NOREPLACE) kerr(EEXIST);
      if (isDir(src.mode)) {
        if (!isDir(dst.mode)) kerr(ENOTDIR);
        if (dst instanceof TmpDir && dst.entries.size) kerr(ENOTEMPTY);
        newDir.nlink--;
      } else if (isDir(dst.mode)) kerr(EISDIR);
    }
    // RENAME_WHITEOUT: the whiteout (a character device 0:0 with mode 0,
    // WHITEOUT_MODE/WHITEOUT_DEV) is made first, as shmem_rename2 does: with
    // no inode or memory for it the rename fails and nothing has moved.
    const whiteout = flags & RENAME_WHITEOUT && cred ? this.owned(new TmpSpecial(this.sb, S_IFCHR, 0, cred), cred) : null;
    if (dst) {
      dst.nlink--;
      if (isDir(dst.mode)) dst.nlink = 0;
    }
    this.entries.delete(oldName);
    if (whiteout) this.entries.set(oldName, whiteout);
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

// A new tmpfs. maxBytes/maxInodes undefined: Linux's defaults, half of RAM
// and half of RAM's pages (no limit outside a kernel); Infinity: no limit
// but the memory budget's.
export function makeTmpfs(maxBytes?: number, mode = 0o1777, opts: { maxInodes?: number; uid?: number; gid?: number } = {}): TmpDir {
  const ram = kernelMem()?.totalBytes ?? Infinity;
  const sb = new TmpSuperBlock(maxBytes ?? Math.floor(ram / 2 / PAGE) * PAGE);
  sb.maxInodes = opts.maxInodes ?? Math.floor(ram / PAGE / 2);
  const root = new TmpDir(sb, mode, null);
  root.uid = opts.uid ?? 0;
  root.gid = opts.gid ?? 0;
  return root;
}
