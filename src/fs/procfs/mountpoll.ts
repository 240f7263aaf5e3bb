// /proc/PID/mounts and /proc/PID/mountinfo can be polled for changes of the
// mount table, as Linux's mounts_poll: always readable, and POLLERR|POLLPRI
// once after each mount, umount, move or remount since the file was opened
// or last polled (the namespace's event counter). findmnt --poll, systemd and
// udisks watch the table this way.

import { KernelLocal } from "../../kernel/local.js";
import type { Kernel } from "../../kernel/kernel.js";
import { WaitQueue } from "../../lib/wait.js";
import { POLLIN, POLLRDNORM, POLLERR, POLLPRI } from "../../abi/poll.js";
import type { File, FileOps } from "../file.js";
import { ProcFile } from "./nodes.js";

// Ghost has one mount namespace per kernel: one counter.
const EVENTS = new KernelLocal("mount table events", () => ({ seq: 0, wq: new WaitQueue() }));

// Called by every change of the mount table (Linux's touch_mnt_namespace).
export function mountsChanged(k: Kernel): void {
  const e = k.local(EVENTS);
  e.seq++;
  e.wq.wakeAll();
}

export class ProcMountsFile extends ProcFile {
  constructor(private readonly k: Kernel, key: string, generate: () => string) { super(key, generate); }
  override openOps(f: File): FileOps {
    const e = this.k.local(EVENTS);
    let seen = e.seq;
    return {
      ...super.openOps(f),
      poll: () => {
        if (seen === e.seq) return POLLIN | POLLRDNORM;
        seen = e.seq;
        return POLLIN | POLLRDNORM | POLLERR | POLLPRI;
      },
      waitQueue: () => e.wq,
      pollableRegular: true,
    };
  }
}
