// The memory devices of Linux's drivers/char/mem.c: null, zero, full,
// random, urandom; and /dev/cpu_dma_latency (their nodes are made by devtmpfs).

import { kerr } from "../lib/errors.js";
import { ENOSPC, EPERM, EINVAL, ERANGE } from "../abi/errno.js";
import { RNDGETENTCNT, RNDADDTOENTCNT, RNDADDENTROPY, RNDZAPENTCNT, RNDCLEARPOOL, RNDRESEEDCRNG } from "../abi/ioctl.js";
import type { File, FileOps, IoctlContext } from "../fs/file.js";
import { runningKernel } from "../kernel/running.js";
import { KernelLocal } from "../kernel/local.js";
import { CAP_SYS_ADMIN } from "../abi/prctl.js";
import { hostRandom } from "../kernel/random.js";
import { makedev, registerChrdev, CPU_DMA_LATENCY_MINOR } from "../fs/char_dev.js";


// /dev/random and /dev/urandom read the running kernel's random source
// (a seeded generator under the virtual clock: reproducible runs).
function fillRandom(dst: Uint8Array): void { (runningKernel()?.random ?? hostRandom)(dst); }

// lseek on the memory devices always lands at 0 (Linux's null_lseek). They
// have no poll method: poll() finds them always ready, epoll refuses them (EPERM).
// null, zero, random and urandom take RWF_NOWAIT (Linux's devlist gives them FMODE_NOWAIT).
const nullOps: FileOps = { read: () => 0, write: (_f, src) => src.length, sink: true, seek: () => 0, nowait: true };
const zeroOps: FileOps = { read: (_f, dst) => { dst.fill(0); return dst.length; }, write: (_f, src) => src.length, sink: true, seek: () => 0, nowait: true };
const fullOps: FileOps = { read: (_f, dst) => { dst.fill(0); return dst.length; }, write: () => kerr(ENOSPC) };
// As Linux's random_ioctl: the entropy count reads as a full pool (Ghost's
// source never runs dry); crediting, zapping and reseeding need
// CAP_SYS_ADMIN and change nothing; any other request is EINVAL.
const POOL_BITS = 256;
function randomIoctl(cmd: number, arg: number, ctx: IoctlContext): number {
  const admin = () => { if (!ctx.capable?.(CAP_SYS_ADMIN)) kerr(EPERM); };
  switch (cmd) {
    case RNDGETENTCNT: {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, POOL_BITS, true);
      ctx.copyOut(arg, b);
      return 0;
    }
    case RNDADDTOENTCNT: admin(); ctx.copyIn(arg, 4); return 0;
    case RNDADDENTROPY: {
      admin();
      const size = new DataView(ctx.copyIn(arg, 8).buffer).getInt32(4, true);
      if (size < 0) kerr(EINVAL);
      ctx.copyIn(arg + 8, size);
      return 0;
    }
    case RNDZAPENTCNT: case RNDCLEARPOOL: case RNDRESEEDCRNG: admin(); return 0;
    default: return kerr(EINVAL);
  }
}
const randomOps: FileOps = {
  nowait: true,
  read: (_f, dst) => { fillRandom(dst); return dst.length; }, write: (_f, src) => src.length,
  ioctl: (_f, cmd, arg, ctx) => randomIoctl(cmd, arg, ctx),
};

// /dev/cpu_dma_latency (misc 10:259, Linux's PM QoS): each open file is a
// latency request, 2000 s (PM_QOS_CPU_LATENCY_DEFAULT_VALUE) until written; a
// read gives the strictest request in force as an s32; a write takes an s32,
// or a hexadecimal string when it is not 4 bytes long. Ghost has no idle
// states for it to govern.
// The requests are the kernel's own: another kernel in the process never sees them.
const LATENCY_DEFAULT = 2000000000;
const LATENCY_REQUESTS = new KernelLocal("cpu latency requests", () => new Map<File, number>());
function cpuLatencyOps(f: File): FileOps {
  const k = runningKernel();
  const latencyRequests = k ? k.local(LATENCY_REQUESTS) : new Map<File, number>();
  latencyRequests.set(f, LATENCY_DEFAULT);
  return {
    read: (_f, dst, pos) => {
      const b = new Uint8Array(4);
      let strictest = Infinity; // never stays: the reader's own file is a request
      for (const v of latencyRequests.values()) strictest = Math.min(strictest, v);
      new DataView(b.buffer).setInt32(0, strictest, true);
      if (pos >= 4) return 0;
      const n = Math.min(dst.length, 4 - pos);
      dst.set(b.subarray(pos, pos + n));
      return n;
    },
    write: (_f, src) => {
      let v: number;
      if (src.length === 4) v = new DataView(src.buffer, src.byteOffset, 4).getInt32(0, true);
      else {
        const text = Buffer.from(src).toString("latin1").trim();
        if (!/^(0x)?[0-9a-fA-F]+$/.test(text)) kerr(EINVAL);
        v = parseInt(text, 16);
        if (v > 0x7fffffff) kerr(ERANGE);
      }
      latencyRequests.set(f, v);
      return src.length;
    },
    release: () => { latencyRequests.delete(f); },
  };
}
registerChrdev(makedev(10, CPU_DMA_LATENCY_MINOR), (_i, f) => cpuLatencyOps(f));

registerChrdev(makedev(1, 3), () => nullOps);
registerChrdev(makedev(1, 5), () => zeroOps);
registerChrdev(makedev(1, 7), () => fullOps);
// /dev/random alone has a poll method (Linux's random_fops; urandom_fops has none).
registerChrdev(makedev(1, 8), () => ({ ...randomOps, poll: () => 0x5 }));
registerChrdev(makedev(1, 9), () => randomOps);
