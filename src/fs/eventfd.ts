// eventfd: a 64-bit counter as a file. read takes the count (or 1 in
// semaphore mode) and blocks at zero; write adds and blocks on overflow.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL } from "../abi/errno.js";
import { EFD_SEMAPHORE, EFD_NONBLOCK } from "../abi/time.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, POLLERR } from "../abi/poll.js";
import { WaitQueue } from "../lib/wait.js";
import { pseudoFs } from "./pseudo.js";
import { Inode } from "./inode.js";
import { File } from "./file.js";

const MAX = 0xfffffffffffffffen;

export class EventfdInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  readonly wq = new WaitQueue();
  constructor(public count: bigint, readonly semaphore: boolean) { super(); this.mode = 0o600; }
}

export function eventfdFile(initval: number, flags: number): File {
  const inode = new EventfdInode(BigInt(initval >>> 0), (flags & EFD_SEMAPHORE) !== 0);
  return new File(null, inode, 2 | (flags & EFD_NONBLOCK), {
    stream: true,
    read(_f, dst) {
      if (dst.length < 8) kerr(EINVAL);
      if (inode.count === 0n) kerr(EAGAIN);
      const v = inode.semaphore ? 1n : inode.count;
      inode.count -= v;
      new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, v, true);
      inode.wq.wakeAll();
      return 8;
    },
    write(_f, src) {
      if (src.length < 8) kerr(EINVAL);
      const v = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
      if (v === 0xffffffffffffffffn) kerr(EINVAL);
      if (MAX - inode.count < v) kerr(EAGAIN);
      inode.count += v;
      inode.wq.wakeAll();
      return 8;
    },
    poll: () => (inode.count > 0n ? POLLIN | POLLRDNORM : 0) | (inode.count < MAX ? POLLOUT | POLLWRNORM : 0) |
      (inode.count === 0xffffffffffffffffn ? POLLERR : 0),
    waitQueue: () => inode.wq,
  });
}
