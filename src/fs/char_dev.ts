// Character devices by number (major, minor), as Linux's fs/char_dev.c:
// drivers register an open function for their numbers; opening a device
// inode finds it here.

import { kerr } from "../lib/errors.js";
import { ENXIO } from "../abi/errno.js";
import { S_IFCHR, S_IFMT, type Inode, S_IFIFO, S_IFBLK } from "./inode.js";
import { openBlockDevice } from "./block_dev.js";
import type { File, FileOps } from "./file.js";


export const makedev = (major: number, minor: number) => ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
export const major = (dev: number) => (dev >>> 8) & 0xfff;
export const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & ~0xff);

export type DeviceOpen = (inode: Inode, f: File) => FileOps;
const chrdevs = new Map<number, DeviceOpen>();

export function registerChrdev(dev: number, open: DeviceOpen): void { chrdevs.set(dev, open); }

// Opens a special inode: a registered character device, or ENXIO.
export type SpecialOpen = (inode: Inode, f: File) => FileOps | null;
let fifoOpen: SpecialOpen | null = null;
export function registerFifoOpen(fn: SpecialOpen): void { fifoOpen = fn; }

export function openDevice(inode: Inode, f: File): FileOps | null {
  const type = inode.mode & S_IFMT;
  if (type === S_IFCHR) {
    const open = chrdevs.get(inode.rdev);
    if (!open) kerr(ENXIO);
    return open(inode, f);
  }
  if (type === S_IFIFO && fifoOpen) return fifoOpen(inode, f);
  if (type === S_IFBLK) return openBlockDevice(inode, f);
  return kerr(ENXIO);
}

// The misc device number of /dev/cpu_dma_latency (drivers/mem.ts opens it).
export const CPU_DMA_LATENCY_MINOR = 259;
