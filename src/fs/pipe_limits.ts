// /proc/sys/fs/pipe-max-size, per kernel: the largest pipe an unprivileged
// task may ask for with F_SETPIPE_SZ, and the cap on a new pipe's size for a
// task without CAP_SYS_RESOURCE (Linux's pipe_max_size and alloc_pipe_info).

import { kerr } from "../lib/errors.js";
import { EINVAL } from "../abi/errno.js";
import { CAP_SYS_RESOURCE } from "../abi/prctl.js";
import { KernelLocal } from "../kernel/local.js";
import { hasCap } from "../kernel/cred.js";
import type { Kernel } from "../kernel/kernel.js";
import { PIPE_BUF, PIPE_DEF_SIZE, PIPE_MAX_SIZE } from "./pipe.js";

const MAX_SIZE = new KernelLocal("pipe-max-size", () => ({ bytes: PIPE_MAX_SIZE }));

export function pipeMaxSize(k: Kernel): number { return k.local(MAX_SIZE).bytes; }

// As round_pipe_size: at least a page, a power of two, at most 2^31 bytes;
// the sysctl takes an unsigned int and refuses what cannot be rounded.
export function roundPipeSize(size: number): number {
  if (size > 0x80000000) return 0;
  let cap = PIPE_BUF;
  while (cap < size) cap *= 2;
  return cap;
}

export function setPipeMaxSize(k: Kernel, v: string): void {
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) kerr(EINVAL);
  const bytes = roundPipeSize(Number(v));
  if (bytes === 0) kerr(EINVAL);
  k.local(MAX_SIZE).bytes = bytes;
}

// alloc_pipe_info: a new pipe holds PIPE_DEF_SIZE, or pipe-max-size if that
// is smaller and its creator lacks CAP_SYS_RESOURCE.
export function newPipeSize(k: Kernel, cred: { capEff: bigint }): number {
  const max = pipeMaxSize(k);
  return PIPE_DEF_SIZE > max && !hasCap(cred, CAP_SYS_RESOURCE) ? max : PIPE_DEF_SIZE;
}
