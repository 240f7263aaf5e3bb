// timerfd: a timer whose expirations are read as a 64-bit count.

import { kerr } from "../lib/errors.js";
import { EAGAIN, EINVAL, ECANCELED } from "../abi/errno.js";
import { TFD_NONBLOCK } from "../abi/time.js";
import { POLLIN, POLLRDNORM } from "../abi/poll.js";
import { WaitQueue } from "../lib/wait.js";
import { SignalTimer, type TimerClock } from "../kernel/time/posix-timers.js";
import type { Kernel } from "../kernel/kernel.js";
import { pseudoFs } from "./pseudo.js";
import { Inode } from "./inode.js";
import { File } from "./file.js";


export class TimerfdInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  readonly wq = new WaitQueue();
  ticks = 0n;
  // TFD_TIMER_CANCEL_ON_SET with an absolute CLOCK_REALTIME time: setting the
  // clock cancels it (one tick, then reads are ECANCELED until it is set again).
  cancelOnSet = false;
  canceled = false;
  readonly onClockSet = () => {
    if (!this.cancelOnSet || this.canceled) return;
    this.canceled = true;
    this.ticks++;
    this.wq.wakeAll();
  };
  readonly timer: SignalTimer;
  constructor(k: Kernel, readonly clockId: number, clock: TimerClock) {
    super();
    this.mode = 0o600;
    this.timer = new SignalTimer(k, clock, (tm) => {
      this.ticks += BigInt(1 + tm.overrun);
      tm.overrun = 0;
      this.wq.wakeAll();
    });
  }
}

export function timerfdFile(k: Kernel, clockId: number, clock: TimerClock, flags: number): File {
  const inode = new TimerfdInode(k, clockId, clock);
  return new File(null, inode, 0 | (flags & TFD_NONBLOCK), {
    stream: true,
    read(_f, dst) {
      if (dst.length < 8) kerr(EINVAL);
      if (inode.ticks === 0n) kerr(EAGAIN);
      if (inode.canceled) { inode.ticks = 0n; kerr(ECANCELED); }
      new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, inode.ticks, true);
      inode.ticks = 0n;
      return 8;
    },
    poll: () => (inode.ticks > 0n ? POLLIN | POLLRDNORM : 0),
    waitQueue: () => inode.wq,
    release: () => { inode.timer.disarm(); k.clockSetWatchers.delete(inode.onClockSet); },
  });
}
