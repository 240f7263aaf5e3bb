// Access times, as Linux's file_accessed, touch_atime and
// atime_needs_update (fs/inode.c): reading a file or a directory sets its
// atime to now, unless the open said O_NOATIME, the inode is FS_NOATIME_FL,
// the mount is noatime (or nodiratime, for a directory) or read-only. The
// default, relatime, writes it only when it is not newer than the mtime
// or the ctime, or is a day old (relatime_need_update); strictatime always.

import { O_NOATIME } from "../abi/fcntl.js";
import { FS_NOATIME_FL } from "../abi/fs_blk.js";
import { currentTime, recentSeconds, isDir, type Inode, type Timespec } from "./inode.js";
import { MNT_NOATIME, MNT_NODIRATIME, MNT_RDONLY, MNT_STRICTATIME, type Mount } from "./dentry.js";
import type { File } from "./file.js";

const DAY_SEC = 24 * 60 * 60;

const cmp = (a: Timespec, b: Timespec) => a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;

// file_accessed: after a read of a regular file (even one at its end) and
// after each getdents of a directory.
export function fileAccessed(f: File): void {
  if (f.flags & O_NOATIME || !f.path) return;
  touchAtime(f.path.mnt, f.inode);
}

export function touchAtime(mnt: Mount, inode: Inode): void {
  const mf = mnt.flags;
  if (mf & (MNT_NOATIME | MNT_RDONLY)) return;
  if (mf & MNT_NODIRATIME && isDir(inode.mode)) return;
  if (inode.sb.readOnly || inode.sb.sealed || inode.inodeFlags() & FS_NOATIME_FL) return;
  const atime = inode.atime;
  // relatime's common case, an atime newer than the mtime and the ctime and
  // less than a day old, needs no read of the clock: the kernel's last
  // reading is at most a run slice old.
  if (!(mf & MNT_STRICTATIME) && cmp(inode.mtime, atime) < 0 && cmp(inode.ctime, atime) < 0 &&
    recentSeconds() - atime.sec < DAY_SEC) return;
  const now = currentTime();
  if (cmp(now, atime) === 0) return;
  inode.touchAtime(now);
}
