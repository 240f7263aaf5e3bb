// inotify: inotify_init1, inotify_add_watch, inotify_rm_watch (the watches are fs/notify.ts).

import { kerr } from "../lib/errors.js";
import { EINVAL, ENOTDIR, EACCES, EEXIST } from "../abi/errno.js";
import { defineSyscalls } from "./table.js";
import { pathArg } from "./util.js";
import { resolveAt } from "../fs/vfs.js";
import { isDir } from "../fs/inode.js";
import { inotifyFile, InotifyInode } from "../fs/notify.js";
import { IN_CLOEXEC, IN_NONBLOCK, IN_ALL_EVENTS, IN_MASK_ADD, IN_MASK_CREATE, IN_DONT_FOLLOW, IN_ONLYDIR, IN_ONESHOT, IN_EXCL_UNLINK } from "../abi/misc.js";
import { permission, MAY_READ } from "../fs/namei.js";
import { nofile } from "../kernel/task.js";
import { fdArg, i32Arg, u32Arg } from "./args.js";

defineSyscalls({
  inotify_init1: (t, flags) => {
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) kerr(EINVAL);
    return t.files.alloc(inotifyFile(flags), (flags & IN_CLOEXEC) !== 0, nofile(t));
  },
  inotify_add_watch: (t, fd, pathVa, mask) => {
    const f = t.files.get(fdArg(fd));
    if (!(f.inode instanceof InotifyInode)) kerr(EINVAL);
    const m = u32Arg(mask);
    if (!(m & IN_ALL_EVENTS)) kerr(EINVAL);
    if ((m & IN_MASK_ADD) && (m & IN_MASK_CREATE)) kerr(EINVAL);
    const p = resolveAt(t, -100, pathArg(t, pathVa), (m & IN_DONT_FOLLOW) === 0);
    if ((m & IN_ONLYDIR) && !isDir(p.dentry.inode.mode)) kerr(ENOTDIR);
    if (!permission(p.dentry.inode, MAY_READ, t.cred)) kerr(EACCES);
    if ((m & IN_MASK_CREATE) && f.inode.hasWatch(p.dentry.inode)) kerr(EEXIST);
    return f.inode.addWatch(p.dentry.inode, m & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK), (m & IN_MASK_ADD) !== 0);
  },
  inotify_rm_watch: (t, fd, wd) => {
    const f = t.files.get(fdArg(fd));
    if (!(f.inode instanceof InotifyInode)) kerr(EINVAL);
    f.inode.removeWatch(i32Arg(wd));
    return 0;
  },
});
