// The guest's files seen from the host while a machine runs: read, write,
// list, stat. Each call walks the guest's namespace as
// root from pid 1's root and working directory (what a kernel thread sees),
// through the same VFS calls a program's syscalls make, so every
// filesystem answers (tmpfs, hostfs, procfs, devpts…) and a guest that
// watches the file (inotify, a reader blocked on it) sees the change.

import { KernelError } from "../lib/errors.js";
import { errnoName } from "../abi/errno.js";
import { AT_FDCWD, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, O_APPEND } from "../abi/fcntl.js";
import { EAGAIN } from "../abi/errno.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../fs/inode.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { enterKernel, runningKernel } from "../kernel/running.js";
import { fromHost, toHost } from "../kernel/kstr.js";
import { openAt, resolveAt } from "../fs/vfs.js";

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
