// /proc/PID/mem: the process's memory at the file offset (Linux's mem_rw).
// Opening needs PTRACE_MODE_ATTACH_FSCREDS (mm_access: EACCES); reads and
// writes go page by page through kernel/ptrace.ts's accessForce (FOLL_FORCE:
// a write reaches read-only private pages); nothing at the offset is EIO.

import { Inode, S_IFREG } from "../inode.js";
import type { File, FileOps } from "../file.js";
import { EACCES, EIO } from "../../abi/errno.js";
import { kerr, KernelError } from "../../lib/errors.js";
import { ptraceMayAccess } from "../../kernel/cred.js";
import { accessForce } from "../../kernel/ptrace.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { procSb, procIno } from "./nodes.js";
import type { Kernel } from "../../kernel/kernel.js";
import { TASK_DEAD, type Task } from "../../kernel/task.js";

export class PidMemFile extends Inode {
  readonly sb = procSb();
  readonly ino: number;
  constructor(key: string, private readonly k: Kernel, private readonly t: Task) {
    super();
    this.ino = procIno(key);
    this.mode = S_IFREG | 0o600;
  }
  override get size(): number { return 0; }
  override openOps(_f: File): FileOps {
    const opener = this.k.current;
    const t = this.t;
    if (opener && !ptraceMayAccess(opener.cred, t.cred, t.tg.dumpable !== 0, opener.tg === t.tg, "fscreds")) kerr(EACCES);
    // Page by page: a transfer stops at the first page it cannot reach, EIO if that is the first.
    const rw = (buf: Uint8Array, pos: number, write: boolean): number => {
      if (t.state === TASK_DEAD) return 0; // its memory is gone, as Linux's mem_rw without an mm
      let done = 0;
      while (done < buf.length) {
        const a = pos + done;
        const n = Math.min(buf.length - done, PAGE_SIZE - (a % PAGE_SIZE));
        try { accessForce(t, a, buf.subarray(done, done + n), write); } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          break;
        }
        done += n;
      }
      if (done === 0 && buf.length > 0) kerr(EIO);
      return done;
    };
    return {
      read: (_f2, dst, pos) => rw(dst, pos, false),
      write: (_f2, src, pos) => rw(src, pos, true),
    };
  }
}
