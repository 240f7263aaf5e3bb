// Page-cache hints: fadvise64, readahead, sync_file_range. They validate their
// arguments as Linux does and act where Ghost has something to act on
// (sync_file_range writes back shared mappings' pages; fadvise DONTNEED drops
// unmapped cached pages), else do nothing, as Linux does on tmpfs.

import { kerr } from "../lib/errors.js";
import { EINVAL, ESPIPE, EBADF } from "../abi/errno.js";
import {
  POSIX_FADV_NORMAL, POSIX_FADV_NOREUSE, POSIX_FADV_DONTNEED, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE,
  SYNC_FILE_RANGE_WAIT_AFTER, S_IFMT, S_IFREG, S_IFBLK, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK,
} from "../abi/fcntl.js";
import { defineSyscalls } from "./table.js";
import type { Task } from "../kernel/task.js";
import { fdArg } from "./args.js";

// The file the hint is about: ESPIPE for pipes and sockets.
function hintFile(t: Task, fd: number) {
  const f = t.files.get(fd);
  const type = f.inode.mode & S_IFMT;
  if (type === S_IFIFO || type === S_IFSOCK) kerr(ESPIPE);
  return f;
}

defineSyscalls({
  fadvise64: (t, fd, _off, len, advice) => {
    const f = hintFile(t, fdArg(fd));
    if (len < 0 || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) kerr(EINVAL);
    if (advice === POSIX_FADV_DONTNEED) f.inode.pageCache?.writeBack(f.inode);
    return 0;
  },
  readahead: (t, fd, _off, _count) => {
    const f = t.files.get(fdArg(fd));
    if (!f.readable) kerr(EBADF);
    if ((f.inode.mode & S_IFMT) !== S_IFREG) kerr(EINVAL);
    return 0;
  },
  sync_file_range: (t, fd, off, nbytes, flags) => {
    if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) kerr(EINVAL);
    if (off < 0 || nbytes < 0) kerr(EINVAL);
    const f = t.files.get(fdArg(fd));
    const type = f.inode.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFBLK && type !== S_IFDIR && type !== S_IFLNK) kerr(ESPIPE);
    if (flags & SYNC_FILE_RANGE_WRITE) f.inode.writebackData();
    return 0;
  },
});
