// The kernel's internal filesystems, as Linux has them: pipefs (pipes and the
// host's stdio streams), sockfs (sockets of every family) and anon_inodefs
// (eventfd, signalfd, timerfd, epoll, inotify, pidfd: one inode shared by all
// of them, as anon_inode_getfile gives). They are never mounted; fstat,
// fstatfs and /proc/PID/fd show them. One set per kernel, so that two kernels
// in one process share nothing and number their inodes alike; inode numbers
// come from the set's own counter (Linux's get_next_ino).

import { KernelLocal } from "../kernel/local.js";
import { runningKernel } from "../kernel/running.js";
import { ANON_INODE_FS_MAGIC, PIPEFS_MAGIC, SOCKFS_MAGIC } from "../abi/stat.js";
import { SuperBlock } from "./inode.js";

export class PseudoFilesystems {
  readonly pipefs = new SuperBlock("pipefs", PIPEFS_MAGIC);
  readonly sockfs = new SuperBlock("sockfs", SOCKFS_MAGIC);
  readonly anon = new SuperBlock("anon_inodefs", ANON_INODE_FS_MAGIC);
  private lastIno = 0;
  // The anonymous inode: every anon_inodefs file reports this number.
  readonly anonIno = this.nextIno();
  nextIno(): number { return ++this.lastIno; }
}

const PSEUDO = new KernelLocal("pseudo filesystems", () => new PseudoFilesystems());
// Pseudo files made where no kernel runs (unit tests building a filesystem
// by hand) take a set of their own, made once.
let noKernel: PseudoFilesystems | null = null;

/** The running kernel's pipefs, sockfs and anon_inodefs. */
export function pseudoFs(): PseudoFilesystems {
  const k = runningKernel();
  return k ? k.local(PSEUDO) : (noKernel ??= new PseudoFilesystems());
}
