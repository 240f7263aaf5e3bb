// The inode flags through FS_IOC_GETFLAGS/SETFLAGS (chattr, lsattr), as
// ext4's fileattr get/set: the user-visible flags read, the modifiable ones
// set by the owner (or CAP_FOWNER), immutable and append-only only with
// CAP_LINUX_IMMUTABLE. Ghost does not convert a file between extents and
// block maps nor turn on data journaling: asking for that is EOPNOTSUPP.
// What immutable and append-only forbid is checked by the operations
// themselves (write.ts, and mayOpen for opens).

import { kerr } from "../../lib/errors.js";
import { EPERM, EOPNOTSUPP, ENOTTY } from "../../abi/errno.js";
import { CAP_FOWNER, CAP_LINUX_IMMUTABLE } from "../../abi/prctl.js";
import { FS_IOC_GETFLAGS, FS_IOC_SETFLAGS } from "../../abi/fs_blk.js";
import { O_ACCMODE, O_RDONLY, O_TRUNC, O_APPEND, O_DIRECT } from "../../abi/fcntl.js";
import { SECTOR_SIZE } from "../../abi/fs_blk.js";
import { isDir } from "../inode.js";
import { inodeFileOps, type File, type FileOps } from "../file.js";
import { newRaState, type RaState } from "../../mm/readahead.js";
import { cached, cachedRead, directRead, directWrite } from "./file_io.js";
import { EXT4_IMMUTABLE_FL, EXT4_APPEND_FL, EXT4_EXTENTS_FL } from "./layout.js";
import type { Ext4Inode } from "./inode.js";
import { FS_IOC_FIEMAP } from "../../abi/fiemap.js";
import { fiemap } from "./fiemap.js";

// EXT4_FL_USER_VISIBLE and EXT4_FL_USER_MODIFIABLE.
const EXT4_FL_USER_VISIBLE = 0x705bdfff;
const EXT4_FL_USER_MODIFIABLE = 0x604bc0ff;
// Flags whose change needs more than a new bit: journal data, extents, casefold.
const EXT4_JOURNAL_DATA_FL = 0x4000, EXT4_CASEFOLD_FL = 0x40000000;
const NOT_TOGGLED_HERE = EXT4_JOURNAL_DATA_FL | EXT4_EXTENTS_FL | EXT4_CASEFOLD_FL;

// Each open file's readahead window (Linux's file->f_ra).
const raStates = new WeakMap<File, RaState>();
function raOf(f: File): RaState {
  let ra = raStates.get(f);
  if (!ra) raStates.set(f, (ra = newRaState()));
  return ra;
}

export const ext4FileOps: FileOps = {
  ...inodeFileOps,
  // O_DIRECT: aligned to the disk's logical block size (virtio-blk's 512 bytes).
  dioAlign: SECTOR_SIZE,
  read(f, dst, pos) {
    const inode = f.inode as Ext4Inode;
    if (!cached(inode)) return inodeFileOps.read!(f, dst, pos);
    // Shared mappings of the file may hold newer bytes: written back first.
    inode.pageCache?.writeBack(inode);
    if (f.flags & O_DIRECT) return directRead(inode, pos, dst);
    return cachedRead(inode, pos, dst, raOf(f));
  },
  write(f, src, pos) {
    const inode = f.inode as Ext4Inode;
    if (!(f.flags & O_DIRECT) || !cached(inode)) return inodeFileOps.write!(f, src, pos);
    if (f.flags & O_APPEND) pos = inode.size;
    const n = directWrite(inode, pos, src);
    inode.pageCache?.updateFromWrite(inode, pos, src.subarray(0, n));
    return n;
  },
  ioctl(f, cmd, arg, ctx) {
    const inode = f.inode as Ext4Inode;
    if (cmd === FS_IOC_GETFLAGS) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, inode.flags & EXT4_FL_USER_VISIBLE, true);
      ctx.copyOut(arg, b);
      return 0;
    }
    if (cmd === FS_IOC_FIEMAP) return fiemap(inode, arg, ctx);
    if (cmd !== FS_IOC_SETFLAGS) return kerr(ENOTTY);
    const cred = inode.sb.k.current?.cred;
    if (cred && cred.fsuid !== inode.uid && !ctx.capable?.(CAP_FOWNER)) kerr(EPERM);
    const b = ctx.copyIn(arg, 4);
    const want = new DataView(b.buffer, b.byteOffset).getInt32(0, true) >>> 0;
    inode.checkWritable();
    const old = inode.flags;
    if ((want ^ old) & (EXT4_IMMUTABLE_FL | EXT4_APPEND_FL) && !ctx.capable?.(CAP_LINUX_IMMUTABLE)) kerr(EPERM);
    if (want & ~EXT4_FL_USER_VISIBLE) kerr(EOPNOTSUPP);
    const flags = ((want & EXT4_FL_USER_MODIFIABLE) | (old & ~EXT4_FL_USER_MODIFIABLE)) >>> 0;
    if ((flags ^ old) & NOT_TOGGLED_HERE) kerr(EOPNOTSUPP);
    inode.setFlags(flags);
    return 0;
  },
};

// may_open: an immutable file opens for reading only, an append-only one
// for writing only with O_APPEND; neither is truncated.
export function mayOpenFlagged(inode: Ext4Inode, flags: number): void {
  const writing = (flags & O_ACCMODE) !== O_RDONLY, trunc = (flags & O_TRUNC) !== 0;
  if ((inode.flags & EXT4_IMMUTABLE_FL) && (writing || trunc) && !isDir(inode.mode)) kerr(EPERM);
  if ((inode.flags & EXT4_APPEND_FL) && ((writing && !(flags & O_APPEND)) || trunc)) kerr(EPERM);
}
