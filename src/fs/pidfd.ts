// pidfds: file descriptors that refer to a process. Readable (POLLIN) once
// the process has exited; waitid(P_PIDFD) and pidfd_send_signal use them.

import { File } from "./file.js";
import { pseudoFs } from "./pseudo.js";
import { Inode } from "./inode.js";
import { O_RDWR, O_CLOEXEC } from "../abi/fcntl.js";
import { POLLIN } from "../abi/poll.js";
import type { Task, ThreadGroup } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";


export class PidfdInode extends Inode {
  readonly sb = pseudoFs().anon;
  readonly ino = pseudoFs().anonIno;
  constructor(readonly tg: ThreadGroup, readonly thread: boolean) { super(); this.mode = 0o600; }
}

export function pidfdFile(tg: ThreadGroup, thread: boolean, flags: number): File {
  const inode = new PidfdInode(tg, thread);
  return new File(null, inode, O_RDWR | (flags & ~O_CLOEXEC), {
    stream: true,
    poll: () => (tg.zombie ? POLLIN : 0),
    waitQueue: () => tg.exitWait,
  });
}

export function openPidfd(t: Task, tg: ThreadGroup, thread: boolean): number {
  return t.files.alloc(pidfdFile(tg, thread, 0), true, nofile(t));
}

export function pidfdTarget(f: File): ThreadGroup | null {
  return f.inode instanceof PidfdInode ? f.inode.tg : null;
}
