// Process lifetime syscalls: exit, exit_group, execve.

import { kerr } from "../lib/errors.js";
import { EFAULT, EINVAL, ENOENT } from "../abi/errno.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from "../abi/fcntl.js";
import { defineSyscalls } from "./table.js";
import { NORETURN } from "../kernel/blocking.js";
import { um, pathArg } from "./util.js";
import { execve } from "../fs/exec.js";
import { keysExec } from "../security/keys/process_keys.js";
import { startPath } from "../fs/vfs.js";
import type { Task } from "../kernel/task.js";
import type { CStrings } from "../mm/uaccess.js";
import { fdArg } from "./args.js";

const MAX_ARGS = 0x7fffffff;

function readStrings(t: Task, va: number): CStrings {
  return um(t).readCStringVector(va, 32 * 4096, MAX_ARGS);
}

function doExecve(t: Task, dirfd: number, pathVa: number, argvVa: number, envpVa: number, flags: number): number {
  if (pathVa === 0) kerr(EFAULT);
  let path = um(t).readCString(pathVa, 4096);
  // getname: an empty path is ENOENT unless AT_EMPTY_PATH names the fd's file.
  if (path === "" && !(flags & AT_EMPTY_PATH)) kerr(ENOENT);
  // do_open_execat: any flag but these two is EINVAL, before argv is read.
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) kerr(EINVAL);
  const argv = readStrings(t, argvVa);
  const envp = readStrings(t, envpVa);
  let start;
  if (path === "" && (flags & AT_EMPTY_PATH)) {
    // The file itself, which may be an O_PATH descriptor (as fexecve opens it).
    const f = t.files.getRaw(dirfd);
    if (!f.path) kerr(EFAULT);
    start = f.path;
  } else start = startPath(t, dirfd, path);
  execve(t, start, path, { argv, envp }, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  keysExec(t);
  return NORETURN;
}

defineSyscalls({
  exit: (t, code) => {
    // The last thread's exit code is the process's exit status.
    if (t.tg.threads.size === 1) t.tg.exitStatus = (code & 0xff) << 8;
    t.k.exitTask(t, code & 0xff);
    return NORETURN;
  },
  exit_group: (t, code) => { t.k.exitGroup(t.tg, code & 0xff, "exit"); return NORETURN; },
  execve: (t, path, argv, envp) => doExecve(t, -100, path, argv, envp, 0),
  execveat: (t, dirfd, path, argv, envp, flags) => doExecve(t, fdArg(dirfd), path, argv, envp, flags),
});

void pathArg;
