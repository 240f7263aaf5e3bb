// Readiness of a file for poll, select and epoll. A file without a poll
// operation (regular files, directories) is always ready, as in Linux.

import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import type { WaitQueue } from "../lib/wait.js";
import type { File } from "./file.js";

export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

export function pollFile(f: File): number {
  return f.ops.poll ? f.ops.poll(f) : DEFAULT_POLLMASK;
}

export function fileWaitQueue(f: File): WaitQueue | null {
  return f.ops.waitQueue?.(f) ?? null;
}
