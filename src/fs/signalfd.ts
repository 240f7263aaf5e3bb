// signalfd: pending signals of a mask read as signalfd_siginfo records.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL } from "../abi/errno.js";
import { SFD_NONBLOCK, signalfd_siginfo } from "../abi/misc.js";
import { POLLIN, POLLRDNORM } from "../abi/poll.js";
import { dequeueFrom } from "../kernel/signal.js";
import type { Task } from "../kernel/task.js";
import { pseudoFs } from "./pseudo.js";
import { Inode } from "./inode.js";
import { File } from "./file.js";


export class SignalfdInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  constructor(public mask: bigint) { super(); this.mode = 0o600; }
}

// The reader is whichever task reads: signals are taken from its own pending sets.
export function signalfdFile(mask: bigint, flags: number, current: () => Task): File {
  const inode = new SignalfdInode(mask);
  return new File(null, inode, 0 | (flags & SFD_NONBLOCK), {
    stream: true,
    read(_f, dst) {
      const size = signalfd_siginfo.size;
      if (dst.length < size) kerr(EINVAL);
      const t = current();
      let n = 0;
      while (n + size <= dst.length) {
        const info = dequeueFrom(t, inode.mask);
        if (!info) break;
        const dv = new DataView(dst.buffer, dst.byteOffset + n, size);
        signalfd_siginfo.zero(dv, 0);
        signalfd_siginfo.write(dv, 0, {
          ssi_signo: info.signo, ssi_errno: info.errno ?? 0, ssi_code: info.code, ssi_pid: info.pid ?? 0,
          ssi_uid: info.uid ?? 0, ssi_fd: info.fd ?? 0, ssi_tid: info.timerid ?? 0, ssi_band: info.band ?? 0,
          ssi_overrun: info.overrun ?? 0, ssi_status: info.status ?? 0,
          ssi_int: Number(BigInt.asIntN(32, info.value ?? 0n)), ssi_ptr: info.value ?? 0n,
          ssi_utime: info.utime ?? 0, ssi_stime: info.stime ?? 0, ssi_addr: info.addr ?? 0,
        });
        n += size;
      }
      if (n === 0) kerr(EAGAIN);
      return n;
    },
    poll: () => {
      const t = current();
      return ((t.pending.mask | t.tg.shared.mask) & inode.mask) ? POLLIN | POLLRDNORM : 0;
    },
    waitQueue: () => current().tg.signalWait,
  });
}
