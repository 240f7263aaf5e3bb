// dnotify (Linux's fs/notify/dnotify): fcntl(fd, F_NOTIFY, mask) on a
// directory asks for a signal when entries of that directory are read
// (DN_ACCESS), written (DN_MODIFY), created or moved in (DN_CREATE), removed
// or moved out (DN_DELETE), renamed within it (DN_RENAME) or have their
// attributes changed (DN_ATTRIB). The signal goes to the fd's owner (the
// caller, if F_SETOWN named nobody) as send_sigio does: the F_SETSIG signal
// with si_fd and POLL_MSG, or plain SIGIO. Without DN_MULTISHOT the first
// event ends the watch; mask 0 ends it, and so does the file's last close
// (Linux ends it at each close(2) of a descriptor of it: a dup'd descriptor
// keeps it here). Events come from inotify's hook (notify.ts), which sees
// every change with the child's name.

import { kerr } from "../lib/errors.js";
import { ENOTDIR } from "../abi/errno.js";
import { DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB, DN_MULTISHOT } from "../abi/fcntl.js";
import { IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CREATE, IN_MOVED_TO, IN_DELETE, IN_MOVED_FROM } from "../abi/misc.js";
import { POLL_MSG } from "../abi/signal.js";
import { isDir, type Inode } from "./inode.js";
import { fownerOf, setOwn, sendSigio } from "./fown.js";
import type { File } from "./file.js";
import type { Task } from "../kernel/task.js";

interface Mark { f: File; fd: number; mask: number }

const marks = new WeakMap<Inode, Mark[]>();
const markedDir = new WeakMap<File, Inode>();

/** fcntl(F_NOTIFY). */
export function fcntlNotify(t: Task, f: File, fd: number, arg: number): number {
  const dir = f.inode;
  if (!isDir(dir.mode)) kerr(ENOTDIR);
  const list = marks.get(dir) ?? [];
  const i = list.findIndex((m) => m.f === f);
  if ((arg & ~DN_MULTISHOT) === 0) {
    if (i >= 0) { list.splice(i, 1); markedDir.delete(f); }
    return 0;
  }
  // As Linux's fcntl_dirnotify: with no owner yet, the caller's process is it.
  if (!fownerOf(f).pid) setOwn(t, f, t.pid);
  // A second F_NOTIFY on the same file adds to the mask (attach_dn).
  if (i >= 0) { list[i].mask |= arg; list[i].fd = fd; } else list.push({ f, fd, mask: arg >>> 0 });
  marks.set(dir, list);
  markedDir.set(f, dir);
  return 0;
}

// The DN_* events an inotify mask of a child event stands for (convert_arg's map).
function dnEvents(inMask: number, renameWithin: boolean): number {
  let dn = 0;
  if (inMask & IN_ACCESS) dn |= DN_ACCESS;
  if (inMask & IN_MODIFY) dn |= DN_MODIFY;
  if (inMask & IN_ATTRIB) dn |= DN_ATTRIB;
  if (inMask & (IN_CREATE | IN_MOVED_TO)) dn |= DN_CREATE;
  if (inMask & (IN_DELETE | IN_MOVED_FROM)) dn |= DN_DELETE;
  if (renameWithin) dn |= DN_RENAME;
  return dn;
}

// A rename's IN_MOVED_FROM, remembered until its IN_MOVED_TO says whether it stayed in the directory.
let lastMoveFrom: { dir: Inode; cookie: number } | null = null;

/** A child event in directory `dir` (inotify's IN_* mask); called for every such event. */
export function dnotifyChild(dir: Inode, inMask: number, cookie: number): void {
  let within = false;
  if (inMask & IN_MOVED_FROM) lastMoveFrom = { dir, cookie };
  else if (inMask & IN_MOVED_TO) {
    within = lastMoveFrom?.dir === dir && lastMoveFrom.cookie === cookie;
    lastMoveFrom = null;
  }
  const list = marks.get(dir);
  if (!list?.length) return;
  const dn = dnEvents(inMask, within);
  if (!dn) return;
  for (const m of [...list]) {
    if (!(m.mask & dn)) continue;
    sendSigio(m.f, m.fd, POLL_MSG);
    if (!(m.mask & DN_MULTISHOT)) { list.splice(list.indexOf(m), 1); markedDir.delete(m.f); }
  }
}

/** The file's last close: its watch ends. */
export function dnotifyRelease(f: File): void {
  const dir = markedDir.get(f);
  if (!dir) return;
  markedDir.delete(f);
  const list = marks.get(dir);
  const i = list ? list.findIndex((m) => m.f === f) : -1;
  if (i >= 0) list!.splice(i, 1);
}
