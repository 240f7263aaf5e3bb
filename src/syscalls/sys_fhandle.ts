// name_to_handle_at and open_by_handle_at (Linux's fs/fhandle.c); the
// handles themselves are fs/fhandle.ts's.

import { kerr } from "../lib/errors.js";
import { EINVAL, EOVERFLOW, EPERM, ESTALE } from "../abi/errno.js";
import {
  AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, AT_HANDLE_FID, AT_HANDLE_MNT_ID_UNIQUE, AT_HANDLE_CONNECTABLE, AT_FDCWD,
  MAX_HANDLE_SZ, file_handle, O_CLOEXEC, O_PATH, O_DIRECTORY, O_NOFOLLOW,
} from "../abi/fcntl.js";
import { CAP_DAC_READ_SEARCH } from "../abi/prctl.js";
import { defineSyscalls } from "./table.js";
import { um, pathArg } from "./util.js";
import { resolveAt, openPath } from "../fs/vfs.js";
import { encodeHandle, decodeHandle, encodeInodeFid, hasExportOps, FILEID_INO32_GEN, FILEID_INO64_GEN } from "../fs/fhandle.js";
import type { Path } from "../fs/dentry.js";
import type { Task } from "../kernel/task.js";
import { nofile } from "../kernel/task.js";
import { hasCap } from "../kernel/cred.js";
import { fdArg, i32Arg } from "./args.js";

// FILEID_INVALID: the handle_type name_to_handle_at reports with EOVERFLOW.
const FILEID_INVALID = 255;
// Linux's unique mount ids start past the 32-bit ones (MNT_UNIQUE_ID_OFFSET).
const MNT_UNIQUE_ID_OFFSET = 2 ** 32;

function nameToHandleAt(t: Task, dirfd: number, pathVa: number, fhVa: number, mntIdVa: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE | AT_HANDLE_CONNECTABLE)) kerr(EINVAL);
  if ((flags & AT_HANDLE_CONNECTABLE) && (flags & AT_HANDLE_FID)) kerr(EINVAL);
  const path = pathVa === 0 && (flags & AT_EMPTY_PATH) ? "" : pathArg(t, pathVa);
  const p = resolveAt(t, dirfd, path, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
  const m = um(t);
  const want = m.u32(fhVa); // handle_bytes
  if (want > MAX_HANDLE_SZ) kerr(EINVAL);
  // A file id only (AT_HANDLE_FID) needs no export operations: procfs gives one.
  const fidOnly = (flags & AT_HANDLE_FID) !== 0 && !hasExportOps(p.dentry);
  const bytes = fidOnly ? encodeInodeFid(p.dentry) : encodeHandle(p.dentry);
  const fits = bytes.length <= want;
  const out = new Uint8Array(file_handle.size + (fits ? bytes.length : 0));
  const type = fidOnly ? FILEID_INO64_GEN : FILEID_INO32_GEN;
  file_handle.write(new DataView(out.buffer), 0, { handle_bytes: bytes.length, handle_type: fits ? type : FILEID_INVALID });
  if (fits) out.set(bytes, file_handle.size);
  // As Linux: the mount id is written even when the buffer is too small.
  if (flags & AT_HANDLE_MNT_ID_UNIQUE) m.setU64(mntIdVa, BigInt(MNT_UNIQUE_ID_OFFSET + p.mnt.id));
  else m.setU32(mntIdVa, p.mnt.id);
  m.write(fhVa, out);
  return fits ? 0 : kerr(EOVERFLOW);
}

function openByHandleAt(t: Task, mountFd: number, fhVa: number, flags: number): number {
  // get_path_anchor, then may_decode_fh (CAP_DAC_READ_SEARCH), then the handle.
  // A file with no path of Ghost's (a pipe, a socket, the host's stdio)
  // stands on one of Linux's internal mounts (pipefs, sockfs…), whose
  // filesystem decodes no handle: ESTALE once the handle is read.
  let anchor: Path | null;
  if (mountFd === AT_FDCWD) anchor = t.fs.cwd;
  else anchor = t.files.getRaw(mountFd).path ?? null;
  if (!hasCap(t.cred, CAP_DAC_READ_SEARCH)) kerr(EPERM);
  const m = um(t);
  const hdr = new DataView(m.read(fhVa, file_handle.size).buffer);
  const len = file_handle.get(hdr, 0, "handle_bytes");
  const type = file_handle.get(hdr, 0, "handle_type");
  if (len > MAX_HANDLE_SZ || len === 0) kerr(EINVAL);
  if (type < 0) kerr(EINVAL);
  const bytes = m.read(fhVa + file_handle.size, len);
  if (!anchor) return kerr(ESTALE);
  const dentry = decodeHandle(anchor.mnt.sb, type, bytes);
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  const file = openPath(t, { mnt: anchor.mnt, dentry }, flags);
  return t.files.alloc(file, (flags & O_CLOEXEC) !== 0, nofile(t));
}

defineSyscalls({
  name_to_handle_at: (t, dirfd, path, fh, mntId, flags) => nameToHandleAt(t, fdArg(dirfd), path, fh, mntId, i32Arg(flags)),
  open_by_handle_at: (t, mountFd, fh, flags) => openByHandleAt(t, i32Arg(mountFd), fh, i32Arg(flags)),
});
