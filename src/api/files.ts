// The guest's files seen from the host while a machine runs: read, write,
// list, stat, make and remove directories, unlink, rename, symlinks. Each call walks the guest's namespace as
// root from pid 1's root and working directory (what a kernel thread sees),
// through the same VFS calls a program's syscalls make, so every
// filesystem answers (tmpfs, hostfs, procfs, devpts…) and a guest that
// watches the file (inotify, a reader blocked on it) sees the change.

import { KernelError } from "../lib/errors.js";
import { errnoName } from "../abi/errno.js";
import { AT_FDCWD, AT_REMOVEDIR, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, O_APPEND } from "../abi/fcntl.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isDir, isLnk } from "../fs/inode.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { enterKernel, runningKernel } from "../kernel/running.js";
import { fromHost, toHost } from "../kernel/kstr.js";
import { openAt, resolveAt } from "../fs/vfs.js";
import { mkdirAt, renameAt, symlinkAt, unlinkAt } from "../fs/pathops.js";
import { EAGAIN, EEXIST, EINVAL } from "../abi/errno.js";

// What a failed call throws: a Node-style error (code "ENOENT", errno 2).
export class GuestFsError extends Error {
  readonly code: string;
  constructor(readonly errno: number, readonly syscall: string, readonly path: string) {
    const code = errnoName(errno) ?? `errno ${errno}`;
    super(`${code}: ${syscall} '${path}'`);
    this.code = code;
  }
}

export interface GuestStat {
  type: "file" | "dir" | "symlink" | "other";
  mode: number; // st_mode
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

// pid 1 acts for the host: its root and cwd are the machine's.
function actor(k: Kernel): Task {
  const t = k.tasks.get(1) ?? k.tasks.values().next().value;
  if (!t || k.halted) throw new Error("the machine is not running");
  return t;
}

// Runs op as the kernel would serve a syscall: this kernel is the running
// one meanwhile (inode timestamps, /dev/urandom), and a guest error becomes a
// GuestFsError. The previously running kernel is restored after.
function withKernel<T>(k: Kernel, syscall: string, path: string, op: (t: Task) => T): T {
  const before = runningKernel();
  enterKernel(k);
  try {
    return op(actor(k));
  } catch (e) {
    if (e instanceof KernelError) throw new GuestFsError(e.errno, syscall, path);
    throw e;
  } finally {
    if (before) enterKernel(before);
  }
}

export function readFile(k: Kernel, path: string): Uint8Array {
  return withKernel(k, "open", path, (t) => {
    const f = openAt(t, AT_FDCWD, fromHost(path), O_RDONLY, 0);
    try {
      const parts: Uint8Array[] = [];
      let pos = 0;
      for (;;) {
        const buf = new Uint8Array(65536);
        let n: number;
        try {
          n = f.ops.read ? f.ops.read(f, buf, pos) : 0;
        } catch (e) {
          // A stream with nothing more now (a pipe, a tty): what was there is the answer.
          if (e instanceof KernelError && e.errno === EAGAIN) break;
          throw e;
        }
        if (n <= 0) break;
        parts.push(buf.subarray(0, n));
        pos += n;
      }
      const out = new Uint8Array(pos);
      let off = 0;
      for (const p of parts) { out.set(p, off); off += p.length; }
      return out;
    } finally {
      f.put();
    }
  });
}

export interface WriteOptions { mode?: number; append?: boolean }

export function writeFile(k: Kernel, path: string, data: Uint8Array, opts: WriteOptions = {}): void {
  withKernel(k, "open", path, (t) => {
    const flags = O_WRONLY | O_CREAT | (opts.append ? O_APPEND : O_TRUNC);
    const f = openAt(t, AT_FDCWD, fromHost(path), flags, opts.mode ?? 0o644);
    try {
      let pos = opts.append ? f.inode.size : 0;
      let off = 0;
      while (off < data.length) {
        const n = f.ops.write!(f, data.subarray(off), pos);
        if (n <= 0) break;
        off += n;
        pos += n;
      }
    } finally {
      f.put();
    }
  });
}

export function readdir(k: Kernel, path: string): string[] {
  return withKernel(k, "scandir", path, (t) => {
    const f = openAt(t, AT_FDCWD, fromHost(path), O_RDONLY | O_DIRECTORY, 0);
    try {
      return f.inode.readdir().map((e) => e.name).filter((n) => n !== "." && n !== "..").map(toHost).sort();
    } finally {
      f.put();
    }
  });
}

export function stat(k: Kernel, path: string): GuestStat {
  return withKernel(k, "stat", path, (t) => {
    const inode = resolveAt(t, AT_FDCWD, fromHost(path), false).dentry.inode;
    const fmt = inode.mode & S_IFMT;
    return {
      type: fmt === S_IFREG ? "file" : fmt === S_IFDIR ? "dir" : fmt === S_IFLNK ? "symlink" : "other",
      mode: inode.mode, size: inode.size, uid: inode.uid, gid: inode.gid,
      mtimeMs: inode.mtime.sec * 1000 + inode.mtime.nsec / 1e6,
    };
  });
}

export interface MkdirOptions { mode?: number; recursive?: boolean }

// mkdir as mkdirat(2) (the umask of pid 1 applies, as to any program);
// recursive: the missing parents too, and an existing directory is no error.
export function mkdir(k: Kernel, path: string, opts: MkdirOptions = {}): void {
  withKernel(k, "mkdir", path, (t) => {
    const mode = opts.mode ?? 0o777;
    if (!opts.recursive) { mkdirAt(t, AT_FDCWD, fromHost(path), mode); return; }
    const parts = fromHost(path).split("/");
    let at = parts[0] === "" ? "/" : "";
    for (const part of parts) {
      if (part === "") continue;
      at = at === "" || at.endsWith("/") ? at + part : `${at}/${part}`;
      try {
        mkdirAt(t, AT_FDCWD, at, mode);
      } catch (e) {
        if (!(e instanceof KernelError && e.errno === EEXIST && isDir(resolveAt(t, AT_FDCWD, at, true).dentry.inode.mode))) throw e;
      }
    }
  });
}

export function rmdir(k: Kernel, path: string): void {
  withKernel(k, "rmdir", path, (t) => unlinkAt(t, AT_FDCWD, fromHost(path), AT_REMOVEDIR));
}

export function unlink(k: Kernel, path: string): void {
  withKernel(k, "unlink", path, (t) => unlinkAt(t, AT_FDCWD, fromHost(path), 0));
}

export function rename(k: Kernel, from: string, to: string): void {
  withKernel(k, "rename", from, (t) => renameAt(t, AT_FDCWD, fromHost(from), AT_FDCWD, fromHost(to), 0));
}

export function symlink(k: Kernel, target: string, path: string): void {
  withKernel(k, "symlink", path, (t) => symlinkAt(t, fromHost(target), AT_FDCWD, fromHost(path)));
}

export function readlink(k: Kernel, path: string): string {
  return withKernel(k, "readlink", path, (t) => {
    const inode = resolveAt(t, AT_FDCWD, fromHost(path), false).dentry.inode;
    if (!isLnk(inode.mode)) throw new KernelError(EINVAL);
    return toHost(inode.readlink());
  });
}
