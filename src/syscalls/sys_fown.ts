// fcntl and ioctl commands on a file's owner, O_ASYNC, leases, queries and
// hints (F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG,
// F_SETLEASE, F_GETLEASE, F_DUPFD_QUERY, F_CREATED_QUERY, F_GET_RW_HINT,
// F_SET_RW_HINT; FIOASYNC,
// FIOSETOWN, FIOGETOWN, SIOCSPGRP, SIOCGPGRP). The state lives in fs/fown.ts.

import { F_NOTIFY, F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG, F_SETLEASE, F_GETLEASE, F_DUPFD_QUERY, F_CREATED_QUERY,
  F_GET_RW_HINT, F_SET_RW_HINT, RWH_WRITE_LIFE_NOT_SET, RWH_WRITE_LIFE_EXTREME, f_owner_ex } from "../abi/fcntl.js";
import { FIOASYNC } from "../abi/ioctl.js";
import { FIOSETOWN, SIOCSPGRP, FIOGETOWN, SIOCGPGRP } from "../abi/socket.js";
import { setOwn, setOwnEx, getOwn, getOwnEx, setSig, getSig, ioctlFioasync } from "../fs/fown.js";
import { setLease, getLease } from "../fs/lease.js";
import { S_IFMT, S_IFSOCK, type Inode } from "../fs/inode.js";
import { ownerOrCapable } from "../fs/vfs.js";
import { kerr } from "../lib/errors.js";
import { EBADF, EPERM, EINVAL } from "../abi/errno.js";
import { um } from "./util.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { i32Arg, u32Arg } from "./args.js";
import { fcntlNotify } from "../fs/dnotify.js";

const writeHint = new WeakMap<Inode, number>();

// The owner, lease, query and hint commands of fcntl, or undefined for another command.
export function fcntlOwner(t: Task, f: File, fd: number, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case F_SETOWN: setOwn(t, f, i32Arg(arg)); return 0;
    case F_GETOWN: return getOwn(f);
    case F_SETOWN_EX: {
      const dv = new DataView(um(t).read(arg, f_owner_ex.size).buffer);
      setOwnEx(t, f, f_owner_ex.get(dv, 0, "type"), f_owner_ex.get(dv, 0, "pid"));
      return 0;
    }
    case F_GETOWN_EX: {
      const b = new Uint8Array(f_owner_ex.size);
      const o = getOwnEx(f);
      f_owner_ex.write(new DataView(b.buffer), 0, { type: o.type, pid: o.pid });
      um(t).write(arg, b);
      return 0;
    }
    // As Linux: the int argument, taken as unsigned by valid_signal.
    case F_SETSIG: setSig(f, i32Arg(arg)); return 0;
    case F_GETSIG: return getSig(f);
    case F_NOTIFY: return fcntlNotify(t, f, fd, u32Arg(arg));
    case F_SETLEASE: return setLease(t, f, fd, i32Arg(arg));
    case F_GETLEASE: return getLease(t, f);
    // Linux 6.10: is the argument descriptor the same open file?
    case F_DUPFD_QUERY: {
      const other = t.files.entry(i32Arg(arg))?.file;
      if (!other) kerr(EBADF);
      return other === f ? 1 : 0;
    }
    // Linux 6.12: did the open that made this file create it?
    case F_CREATED_QUERY: return f.created ? 1 : 0;
    // Write-life hints belong to the inode (fcntl_rw_hint); Ghost's storage has no use for them.
    case F_GET_RW_HINT: um(t).setU64(arg, BigInt(writeHint.get(f.inode) ?? RWH_WRITE_LIFE_NOT_SET)); return 0;
    case F_SET_RW_HINT: {
      if (!ownerOrCapable(f.inode, t.cred)) kerr(EPERM);
      const hint = um(t).big64(arg);
      if (hint > BigInt(RWH_WRITE_LIFE_EXTREME)) kerr(EINVAL);
      writeHint.set(f.inode, Number(hint));
      return 0;
    }
  }
  return undefined;
}

// The owner ioctls: FIOASYNC on any file (do_vfs_ioctl), the rest on sockets
// only (sock_ioctl); undefined for another command.
export function ioctlOwner(t: Task, f: File, fd: number, cmd: number, arg: number): number | undefined {
  if (cmd === FIOASYNC) { ioctlFioasync(f, fd, um(t).i32(arg) !== 0); return 0; }
  if ((f.inode.mode & S_IFMT) !== S_IFSOCK) return undefined;
  switch (cmd) {
    case FIOSETOWN: case SIOCSPGRP: setOwn(t, f, um(t).i32(arg)); return 0;
    case FIOGETOWN: case SIOCGPGRP: {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, getOwn(f), true);
      um(t).write(arg, b);
      return 0;
    }
  }
  return undefined;
}
