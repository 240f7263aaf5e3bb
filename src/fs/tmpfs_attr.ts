// tmpfs inode flags (Linux 6.0 on: shmem_fileattr_get/set): FS_IOC_GETFLAGS
// and FS_IOC_SETFLAGS on a tmpfs file or directory. shmem keeps only
// FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL and FS_NOATIME_FL; any other
// flag asked for is EOPNOTSUPP. As vfs_fileattr_set: only the owner (or
// CAP_FOWNER) sets them, and a change of immutable or append-only takes
// CAP_LINUX_IMMUTABLE. What the two forbid is refused by the operations
// themselves (tmpfs.ts, and the syscalls through Inode.inodeFlags()).

import { kerr } from "../lib/errors.js";
import { EPERM, EOPNOTSUPP, ENOTTY } from "../abi/errno.js";
import { CAP_FOWNER, CAP_LINUX_IMMUTABLE } from "../abi/prctl.js";
import { O_ACCMODE, O_RDONLY, O_TRUNC, O_APPEND } from "../abi/fcntl.js";
import {
  FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IMMUTABLE_FL, FS_APPEND_FL, FS_NODUMP_FL, FS_NOATIME_FL,
} from "../abi/fs_blk.js";
import { isDir } from "./inode.js";
import { inodeFileOps, type FileOps } from "./file.js";

// SHMEM_FL_USER_MODIFIABLE, and SHMEM_FL_INHERITED: what a new inode takes
// from its directory (shmem_get_inode).
export const TMPFS_FL_MODIFIABLE = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL;
export const TMPFS_FL_INHERITED = FS_NODUMP_FL | FS_NOATIME_FL;
export const FL_NO_CHANGE = FS_IMMUTABLE_FL | FS_APPEND_FL;

interface Flagged {
  fsflags: number;
  uid: number;
  checkWritable(): void;
  touchCtime(): void;
}

// A tmpfs file's (or directory's) operations: the inode's own, with the flags' ioctls.
export const tmpfsFileOps: FileOps = {
  ...inodeFileOps,
  copiesWrites: true, // TmpFile.write copies into its frames
  ioctl(f, cmd, arg, ctx) {
    const inode = f.inode as unknown as Flagged;
    if (cmd === FS_IOC_GETFLAGS) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, inode.fsflags, true);
      ctx.copyOut(arg, b);
      return 0;
    }
    if (cmd !== FS_IOC_SETFLAGS) return kerr(ENOTTY);
    // ioctl_setflags: the int is read before the owner is checked.
    const b = ctx.copyIn(arg, 4);
    const want = new DataView(b.buffer, b.byteOffset).getInt32(0, true) >>> 0;
    if (ctx.fsuid !== undefined && ctx.fsuid !== inode.uid && !ctx.capable?.(CAP_FOWNER)) kerr(EPERM);
    inode.checkWritable();
    // fileattr_set_prepare, then shmem_fileattr_set.
    if ((want ^ inode.fsflags) & FL_NO_CHANGE && !ctx.capable?.(CAP_LINUX_IMMUTABLE)) kerr(EPERM);
    if (want & ~TMPFS_FL_MODIFIABLE) kerr(EOPNOTSUPP);
    inode.fsflags = want;
    inode.touchCtime();
    return 0;
  },
};

// may_open: an immutable file opens for reading only (inode_permission's
// EPERM for MAY_WRITE), an append-only one for writing only with O_APPEND;
// neither is truncated.
export function mayOpenFlagged(mode: number, fl: number, flags: number): void {
  const writing = (flags & O_ACCMODE) !== O_RDONLY, trunc = (flags & O_TRUNC) !== 0;
  if ((fl & FS_IMMUTABLE_FL) && (writing || trunc) && !isDir(mode)) kerr(EPERM);
  if ((fl & FS_APPEND_FL) && ((writing && !(flags & O_APPEND)) || trunc)) kerr(EPERM);
}
