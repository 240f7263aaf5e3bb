// fcntl and ioctl commands on a file's owner, O_ASYNC and leases (F_SETOWN,
// F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG, F_SETLEASE, F_GETLEASE; FIOASYNC,
// FIOSETOWN, FIOGETOWN, SIOCSPGRP, SIOCGPGRP). The state lives in fs/fown.ts.

import { F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG, F_SETLEASE, F_GETLEASE, f_owner_ex } from "../abi/fcntl.js";
import { FIOASYNC } from "../abi/ioctl.js";
import { FIOSETOWN, SIOCSPGRP, FIOGETOWN, SIOCGPGRP } from "../abi/socket.js";
import { setOwn, setOwnEx, getOwn, getOwnEx, setSig, getSig, ioctlFioasync } from "../fs/fown.js";
import { setLease, getLease } from "../fs/lease.js";
import { S_IFMT, S_IFSOCK } from "../fs/inode.js";
import { um } from "./util.js";
import type { File } from "../fs/file.js";
import type { Task } from "../kernel/task.js";

// The owner and lease commands of fcntl, or undefined for another command.
export function fcntlOwner(t: Task, f: File, fd: number, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case F_SETOWN: setOwn(t, f, arg | 0); return 0;
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
    case F_SETSIG: setSig(f, arg | 0); return 0;
    case F_GETSIG: return getSig(f);
    case F_SETLEASE: return setLease(t, f, fd, arg | 0);
    case F_GETLEASE: return getLease(t, f);
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
