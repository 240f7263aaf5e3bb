// memfd_create.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, ENAMETOOLONG } from "../abi/errno.js";
import { O_RDWR, F_SEAL_EXEC, O_LARGEFILE } from "../abi/fcntl.js";
import { MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC, MFD_HUGE_MASK, MFD_HUGE_SHIFT } from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { File, inodeFileOps } from "../fs/file.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { MemfdInode } from "../fs/memfd.js";
import { u32Arg } from "./args.js";

function memfdCreate(t: Task, nameVa: number, flags: number): number {
  // As Linux: a huge page size may be encoded in the flags only with MFD_HUGETLB.
  const known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
  if (flags & ~(known | ((flags & MFD_HUGETLB) ? (MFD_HUGE_MASK << MFD_HUGE_SHIFT) >>> 0 : 0))) kerr(EINVAL);
  if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) kerr(EINVAL);
  let name: string;
  try { name = um(t).readCString(nameVa, 249); } catch (e) { if ((e as KernelError).errno === ENAMETOOLONG) kerr(EINVAL); throw e; }
  const inode = new MemfdInode(name);
  if (flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)) inode.seals = 0;
  if (flags & MFD_NOEXEC_SEAL) { inode.mode &= ~0o111; inode.seals |= F_SEAL_EXEC; }
  const f = new File(null, inode, O_RDWR | O_LARGEFILE, inodeFileOps);
  f.memfdName = `/memfd:${name} (deleted)`;
  return t.files.alloc(f, (flags & MFD_CLOEXEC) !== 0, nofile(t));
}

defineSyscalls({
  memfd_create: (t, name, flags) => memfdCreate(t, name, u32Arg(flags)),
});
