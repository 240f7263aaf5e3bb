// memfd files (Linux's mm/memfd.c): anonymous tmpfs files with seals (F_ADD_SEALS, F_GET_SEALS).

import { kerr } from "../lib/errors.js";
import { EINVAL, EPERM, EBUSY } from "../abi/errno.js";
import { F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_EXEC } from "../abi/fcntl.js";
import { File } from "./file.js";
import { TmpFile, TmpSuperBlock } from "./tmpfs.js";
import type { Task } from "../kernel/task.js";
import { PROT_WRITE } from "../mm/vma.js";
import type { IoIter } from "../mm/uio.js";

// memfd: an anonymous tmpfs file; with MFD_ALLOW_SEALING, F_ADD_SEALS can freeze it.
const memfdSb = new TmpSuperBlock();

export class MemfdInode extends TmpFile {
  seals = F_SEAL_SEAL;
  constructor(readonly name: string) { super(memfdSb, 0o777, null); this.nlink = 0; }
  override write(off: number, src: Uint8Array): number {
    this.checkSeals(off, src.length);
    return super.write(off, src);
  }
  override writeIter(off: number, src: IoIter): number {
    this.checkSeals(off, src.length);
    return super.writeIter(off, src);
  }
  private checkSeals(off: number, len: number): void {
    if (this.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) kerr(EPERM);
    if ((this.seals & F_SEAL_GROW) && off + len > this.size) kerr(EPERM);
  }
  override writeFromCache(off: number, src: Uint8Array): number { return super.write(off, src); }
  override truncate(size: number): void {
    if ((this.seals & F_SEAL_SHRINK) && size < this.size) kerr(EPERM);
    if ((this.seals & F_SEAL_GROW) && size > this.size) kerr(EPERM);
    super.truncate(size);
  }
}

// Whether some address space maps the inode shared and writable.
function mappedWritable(t: Task, inode: object): boolean {
  const seen = new Set<object>();
  for (const task of t.k.tasks.values()) {
    if (seen.has(task.mm)) continue;
    seen.add(task.mm);
    if (task.mm.vmas.some((v) => v.shared && v.source?.key === inode && (v.prot & PROT_WRITE))) return true;
  }
  return false;
}

export function memfdSeals(t: Task, f: File, add: number | null): number {
  if (!(f.inode instanceof MemfdInode)) kerr(EINVAL);
  const m = f.inode;
  if (add === null) return m.seals;
  if (add & ~(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)) kerr(EINVAL);
  if (!f.writable) kerr(EPERM);
  if (m.seals & F_SEAL_SEAL) kerr(EPERM);
  if ((add & F_SEAL_WRITE) && !(m.seals & F_SEAL_WRITE) && mappedWritable(t, m)) kerr(EBUSY);
  m.seals |= add;
  return 0;
}
